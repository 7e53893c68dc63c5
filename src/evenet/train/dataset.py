"""Streaming, resumable reads of point-cloud HDF5 files (layout: docs/pointcloud.md).

An epoch is one deterministic stream of events: the files are cut into blocks
of ``chunk_size`` rows (one HDF5 slice each), the blocks are put in an order
drawn from (seed, epoch), consecutive groups of ``shuffle_blocks`` blocks form a
shuffle window whose events are permuted with (seed, epoch, window), and the
windows are concatenated. Only a window is ever in memory.

For S = world size x data-loader workers shards, shard s takes the s-th of S
equal contiguous pieces of that stream, so every shard yields the same number
of batches and reads about 1/S of the data. Because the number of events in
every block is known before reading (from ``META/split``), the stream can be
entered at any batch: resuming mid-epoch skips whole windows unread.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from evenet.errors import InputFileError
from evenet.pointcloud import schema
from evenet.pointcloud.parameters import DATASET as PARAMETERS
from evenet.train.subset import subset_masks

SPLIT_CODES = schema.SPLIT_CODES


def expand_inputs(inputs: Sequence[str | Path]) -> list[Path]:
    """Directories -> their ``*.h5`` files (sorted); files are kept as given."""
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files.extend(sorted(path.glob("*.h5")))
        elif path.is_file():
            files.append(path)
        else:
            raise InputFileError(f"{path}: no such point-cloud file or directory")
    if not files:
        raise InputFileError(f"no point-cloud HDF5 files in {', '.join(map(str, inputs))}")
    return files


@dataclass(frozen=True)
class Block:
    file: int
    start: int  # row range [start, stop) read as one slice
    stop: int
    rows: np.ndarray  # selected rows, absolute indices within the file


def index_blocks(files: Sequence[Path], split: str, chunk_size: int, fraction: float = 1.0,
                 subset_seed: int = 0) -> list[Block]:
    """Blocks of the selected split, or of every event for ``split="all"`` (reads only ``META/split``),
    restricted to the training-size subset ``(fraction, subset_seed)`` (:mod:`evenet.train.subset`)."""
    selected = []
    for path in files:
        try:
            with h5py.File(path, "r") as handle:
                codes = handle[f"{schema.META}/split"][:]
        except (OSError, KeyError) as err:
            raise InputFileError(f"{path}: cannot read META/split ({err})") from None
        selected.append(np.ones(len(codes), dtype=bool) if split == "all" else codes == SPLIT_CODES[split])
    blocks = []
    for i, keep in enumerate(subset_masks(files, selected, fraction, subset_seed)):
        for start in range(0, len(keep), chunk_size):
            stop = min(start + chunk_size, len(keep))
            rows = start + np.flatnonzero(keep[start:stop])
            if len(rows):
                blocks.append(Block(i, start, stop, rows))
    return blocks


class PointCloudStream(IterableDataset):
    """Yields ready batches (dicts of tensors); use with ``DataLoader(batch_size=None)``.

    Batch keys: ``source`` (B, 18, 7), ``source_mask``, ``globals`` (B, 10), ``process``
    (B,) class label, ``weight`` (B,), optional ``invisible``/``invisible_mask``,
    ``targets`` {resonance: (B, n_products)} for the resonances in ``resonances`` and,
    with ``parameters``, the hypothesis ``parameters`` (B, P) of a parameterised classifier
    (``INPUTS/Parameters/data``, or the fixed row ``parameter_values`` for every event).
    """

    def __init__(self, files: Sequence[Path], blocks: list[Block], batch_size: int, seed: int = 0,
                 shuffle: bool = True, shuffle_blocks: int = 8, drop_last: bool = True,
                 class_weight: dict[int, float] | None = None, physical_weights: bool = False,
                 resonances: dict[str, list[str]] | None = None, world_size: int = 1, rank: int = 0,
                 parameters: bool = False, parameter_values: Sequence[float] | None = None):
        self.files = [str(f) for f in files]
        self.blocks = blocks
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.shuffle = shuffle
        self.shuffle_blocks = int(shuffle_blocks)
        self.drop_last = drop_last
        self.class_weight = class_weight
        self.physical_weights = physical_weights
        self.resonances = resonances or {}
        self.parameters = parameters
        self.parameter_values = None if parameter_values is None else np.asarray(parameter_values, np.float32)
        self.world_size, self.rank = int(world_size), int(rank)
        self.num_workers = 1
        self.epoch = 0
        self.skip_batches = 0  # batches of this rank to skip at the start of the next iteration
        self.n_events = int(sum(len(b.rows) for b in blocks))
        self._handles: dict[int, h5py.File] = {}

    # ------------------------------------------------------------------ geometry
    def _shards(self) -> int:
        return self.world_size * self.num_workers

    def _shard_events(self) -> int:
        return self.n_events // self._shards() if self.drop_last else -(-self.n_events // self._shards())

    def _worker_batches(self) -> int:
        m = self._shard_events()
        return m // self.batch_size if self.drop_last else -(-m // self.batch_size)

    def __len__(self) -> int:
        """Batches this rank yields per epoch (all workers together)."""
        return self._worker_batches() * self.num_workers

    def rank_events(self) -> tuple[int, int]:
        """Positions [lo, hi) in each epoch's event stream from which this rank's batches come
        (all its workers together): the ranks of a multi-process run read disjoint parts."""
        width = self.num_workers * self._shard_events()
        return self.rank * width, min((self.rank + 1) * width, self.n_events)

    def _windows(self, epoch: int) -> list[list[Block]]:
        order = np.arange(len(self.blocks))
        if self.shuffle:
            order = np.random.default_rng([self.seed, epoch]).permutation(len(self.blocks))
        groups = [order[i : i + self.shuffle_blocks] for i in range(0, len(order), self.shuffle_blocks)]
        return [[self.blocks[j] for j in g] for g in groups]

    # ------------------------------------------------------------------ reading
    def _file(self, index: int) -> h5py.File:
        if index not in self._handles:
            try:
                self._handles[index] = h5py.File(self.files[index], "r")
            except OSError as err:
                raise InputFileError(f"{self.files[index]}: cannot open ({err})") from None
        return self._handles[index]

    def _read_block(self, block: Block) -> dict[str, np.ndarray]:
        handle = self._file(block.file)
        local = block.rows - block.start
        sl = slice(block.start, block.stop)

        def read(key: str) -> np.ndarray:
            if key not in handle:
                raise InputFileError(f"{self.files[block.file]}: missing dataset {key}")
            return handle[key][sl][local]

        out = {
            "source": read(f"{schema.SOURCE}/data"),
            "source_mask": read(f"{schema.SOURCE}/mask"),
            "globals": read(f"{schema.GLOBALS}/data"),
            "process": read(schema.CLASSIFICATION).astype(np.int64),
        }
        weight = read(schema.WEIGHT).astype(np.float32) if self.physical_weights else np.ones(len(local), np.float32)
        if self.class_weight is not None:
            weight = weight * np.array([self.class_weight.get(int(c), 0.0) for c in out["process"]], np.float32)
        out["weight"] = weight
        if f"{schema.INVISIBLE}/data" in handle:
            out["invisible"] = read(f"{schema.INVISIBLE}/data")
            out["invisible_mask"] = read(f"{schema.INVISIBLE}/mask")
        if self.parameters and self.parameter_values is not None:
            out["parameters"] = np.tile(self.parameter_values, (len(local), 1))
        elif self.parameters:
            out["parameters"] = read(PARAMETERS).astype(np.float32)
        for resonance, products in self.resonances.items():
            # A product without a target dataset is an error, never "unmatched" (-1) in every event.
            columns = [read(f"{schema.TARGETS}/{resonance}/{product}") for product in products]
            out[f"targets/{resonance}"] = np.stack(columns, axis=1).astype(np.int64)
        return out

    def _read_window(self, window: list[Block], epoch: int, index: int) -> dict[str, np.ndarray]:
        parts = [self._read_block(b) for b in window]
        keys = set.intersection(*(set(p) for p in parts))
        merged = {k: np.concatenate([p[k] for p in parts]) for k in keys}
        if self.shuffle:
            perm = np.random.default_rng([self.seed, epoch, index]).permutation(len(merged["process"]))
            merged = {k: v[perm] for k, v in merged.items()}
        return merged

    def _events(self, epoch: int, lo: int, hi: int) -> Iterator[dict[str, np.ndarray]]:
        """Pieces of the epoch's event stream covering positions [lo, hi), in order."""
        position = 0
        for index, window in enumerate(self._windows(epoch)):
            count = sum(len(b.rows) for b in window)
            begin, end = max(lo, position), min(hi, position + count)
            if begin < end:
                data = self._read_window(window, epoch, index)
                yield {k: v[begin - position : end - position] for k, v in data.items()}
            position += count
            if position >= hi:
                return

    @staticmethod
    def _to_batch(arrays: dict[str, np.ndarray]) -> dict:
        batch: dict = {"targets": {}}
        for key, value in arrays.items():
            tensor = torch.from_numpy(np.ascontiguousarray(value))
            if key.startswith("targets/"):
                batch["targets"][key.split("/", 1)[1]] = tensor
            else:
                batch[key] = tensor
        return batch

    def __iter__(self) -> Iterator[dict]:
        info = get_worker_info()
        worker = info.id if info is not None else 0
        shard = self.rank * self.num_workers + worker
        m = self._shard_events()
        lo, hi = shard * m, min((shard + 1) * m, self.n_events)
        # Rank-local batch j comes from worker j % num_workers (the DataLoader's round robin).
        skipped = len(range(worker, self.skip_batches, self.num_workers))
        lo += skipped * self.batch_size
        if self.drop_last:
            hi = lo + (self._worker_batches() - skipped) * self.batch_size
        pending: list[dict[str, np.ndarray]] = []  # pieces of the batch being assembled
        size = 0
        for piece in self._events(self.epoch, lo, hi):
            start, n = 0, len(piece["process"])
            while start < n:
                take = min(self.batch_size - size, n - start)
                pending.append({k: v[start : start + take] for k, v in piece.items()})
                size += take
                start += take
                if size == self.batch_size:
                    yield self._collate(pending)
                    pending, size = [], 0
        if size and not self.drop_last:
            yield self._collate(pending)

    def _collate(self, pieces: list[dict[str, np.ndarray]]) -> dict:
        if len(pieces) == 1:
            return self._to_batch(pieces[0])
        return self._to_batch({k: np.concatenate([p[k] for p in pieces]) for k in pieces[0]})

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_handles"] = {}
        return state


def class_totals(files: Sequence[Path], blocks: list[Block], physical: bool) -> dict[int, float]:
    """Sum of event weights per class over the blocks (for balanced weights)."""
    totals: dict[int, float] = {}
    by_file: dict[int, list[np.ndarray]] = {}
    for b in blocks:
        by_file.setdefault(b.file, []).append(b.rows)
    for index, rows in by_file.items():
        rows_all = np.concatenate(rows)
        with h5py.File(files[index], "r") as handle:
            labels = handle[schema.CLASSIFICATION][:][rows_all]
            weights = handle[schema.WEIGHT][:][rows_all] if physical else np.ones(len(rows_all))
        for label in np.unique(labels):
            totals[int(label)] = totals.get(int(label), 0.0) + float(weights[labels == label].sum())
    return totals
