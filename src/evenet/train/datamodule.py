"""Lightning data module over point-cloud HDF5 files (one stream's files, or several streams').

Train and validation sets are :class:`evenet.train.dataset.PointCloudStream`
over the ``META/split`` train (0) and val (1) events. The train loader knows
where it stands in an epoch: the LightningModule stores (epoch, batches done)
in each checkpoint and the loader re-enters the event stream there on resume.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import lightning.pytorch as pl
from torch.utils.data import DataLoader

from evenet.errors import ConfigError
from evenet.model.heads.topology import ResonanceTopology
from evenet.train.dataset import PointCloudStream, class_totals, expand_inputs, index_blocks

log = logging.getLogger(__name__)


class PositionedLoader(DataLoader):
    """A DataLoader over a PointCloudStream that tells it the epoch and the batches to skip
    (``position()`` -> (epoch, skip)) each time an epoch's iteration starts."""

    def __init__(self, dataset: PointCloudStream, position: Callable[[], tuple[int, int]], num_workers: int = 0):
        dataset.num_workers = max(1, num_workers)
        super().__init__(dataset, batch_size=None, num_workers=num_workers, persistent_workers=False)
        self.position = position

    def __iter__(self):
        # Ask for the position at the first batch, not at iter(): Lightning may create the
        # iterator before it has restored its loop state from a checkpoint.
        def batches():
            self.dataset.epoch, self.dataset.skip_batches = self.position()
            yield from super(PositionedLoader, self).__iter__()

        return batches()


def resonance_products(heads: dict) -> dict[str, list[str]]:
    """Resonance -> product names, in the order the assignment head expects them."""
    if "assignment" not in heads:
        return {}
    topology = ResonanceTopology.from_config((heads["assignment"] or {}).get("topology", {}))
    return {r.name: list(r.products) for r in topology.resonances}


class PointCloudDataModule(pl.LightningDataModule):
    def __init__(self, inputs: Sequence[str | Path], data: dict, heads: dict, seed: int = 0):
        super().__init__()
        self.files = expand_inputs(inputs)
        self.data = data
        self.resonances = resonance_products(heads) if data.get("load_targets", True) else {}
        self.parameters = int((heads.get("classification") or {}).get("num_parameters", 0)) > 0
        self.seed = int(seed)
        self.resume_position: tuple[int, int] | None = None  # (epoch, batches done) from a checkpoint
        self.train_set: PointCloudStream | None = None
        self.val_set: PointCloudStream | None = None

    def _stream(self, split: str, fraction: float, shuffle: bool, drop_last: bool) -> PointCloudStream:
        d = self.data
        blocks = index_blocks(self.files, split, int(d["chunk_size"]), fraction, int(d["subset_seed"]))
        mode = d["event_weights"]
        class_weight = None
        if mode == "balanced":
            totals = class_totals(self.files, blocks, physical=True)
            mean = sum(totals.values()) / max(len(totals), 1)
            class_weight = {c: mean / t for c, t in totals.items() if t > 0}
        trainer = self.trainer
        return PointCloudStream(
            self.files, blocks, int(d["batch_size"]), seed=self.seed, shuffle=shuffle,
            shuffle_blocks=int(d["shuffle_blocks"]), drop_last=drop_last, class_weight=class_weight,
            physical_weights=mode in ("physical", "balanced"), resonances=self.resonances,
            world_size=trainer.world_size if trainer else 1, rank=trainer.global_rank if trainer else 0,
            parameters=self.parameters,
        )

    def setup(self, stage: str | None = None) -> None:
        fraction = float(self.data["train_fraction"])
        self.train_set = self._stream("train", fraction, True, True)
        if len(self.train_set) == 0 and self.train_set.n_events > 0:
            # Fewer training events than one batch: a small subset of a training-size scan.
            # Train on all of them as one partial batch per epoch rather than on nothing.
            log.warning("data: %d training events, fewer than data.batch_size %s: one partial batch per epoch",
                        self.train_set.n_events, self.data["batch_size"])
            self.train_set = self._stream("train", fraction, True, False)
        self.val_set = self._stream("val", float(self.data["val_fraction"]), False, False)
        if len(self.train_set) == 0:
            raise ConfigError(
                f"data: {self.train_set.n_events} training events give no full batch of "
                f"{self.data['batch_size']} (lower data.batch_size or raise data.train_fraction)"
            )

    def _train_position(self) -> tuple[int, int]:
        epoch = self.trainer.current_epoch if self.trainer is not None else 0
        skip = 0
        if self.resume_position is not None:
            saved_epoch, done = self.resume_position
            if saved_epoch == epoch and done < len(self.train_set):
                skip = done
            self.resume_position = None
        return epoch, skip

    def train_dataloader(self) -> DataLoader:
        loader = PositionedLoader(self.train_set, self._train_position, int(self.data["num_workers"]))
        s = self.train_set
        lo, hi = s.rank_events()
        log.info("rank %d of %d: training events %d-%d of %d in each epoch's order, %d batches of %d",
                 s.rank, s.world_size, lo, hi, s.n_events, len(s), s.batch_size)
        return loader

    def val_dataloader(self) -> DataLoader:
        return PositionedLoader(self.val_set, lambda: (0, 0), int(self.data["num_workers"]))

    # ------------------------------------------------------------------ resumable position
    def state_dict(self) -> dict:
        """Saved in every checkpoint: the epoch and how many of its batches were trained on."""
        if self.trainer is None:
            return {}
        done = self.trainer.fit_loop.epoch_loop.batch_progress.current.processed
        return {"epoch": int(self.trainer.current_epoch), "batches": int(done)}

    def load_state_dict(self, state: dict) -> None:
        if state:
            self.resume_position = (int(state["epoch"]), int(state["batches"]))
