"""The LightningModule: one EveNet network, its summed multi-task loss, optimiser and schedule.

Loss: sum over configured heads of ``loss_weights[head]`` x the head's loss;
each head's loss is already a mean over its contributing events, processes or
particles (classification: weighted mean cross entropy, clean + alpha^2(t) x
noised, paper Eq. 1; diffusion heads: masked MSE per noised object and
feature, paper Eq. 4).

Randomness of a training step (diffusion times, noise masks, dropout) is drawn
from the global generator re-seeded with (seed, global step, rank), so a run
resumed from a checkpoint repeats exactly the steps an uninterrupted run takes.
Validation uses a fixed seed per batch, so validation losses are comparable.

A non-finite loss stops the run with :class:`NonFiniteLossError` (a one-line user
error naming the step and the heads), instead of training on NaN weights.
"""

from __future__ import annotations

import copy

import lightning.pytorch as pl
import numpy as np
import torch

from evenet.errors import ConfigError, UserError
from evenet.model.heads.segmentation import segmentation_targets
from evenet.model.heads.topology import ResonanceTopology
from evenet.model.network import build_model
from evenet.train.finetune import apply_freezing, count_parameters, parameter_groups
from evenet.train.metrics import classification_auc
from evenet.train.optimizers import build_optimizer, build_schedule, scaled_hyperparameters

MODEL_INPUTS = ("source", "source_mask", "globals", "invisible", "invisible_mask", "parameters")


class NonFiniteLossError(UserError):
    """A training or validation loss that is NaN or infinite."""


def model_inputs(batch: dict) -> dict:
    """The network's inputs of a data batch; the event's process class is the ``label``
    that generation heads with ``num_labels`` > 1 are conditioned on (docs/model.md)."""
    inputs = {k: batch[k] for k in MODEL_INPUTS if k in batch}
    inputs["label"] = batch["process"]
    return inputs


def step_seed(seed: int, step: int, rank: int = 0) -> int:
    return int(np.random.SeedSequence([seed, step, rank]).generate_state(1)[0])


def network_overrides(config: dict) -> dict:
    """ModelConfig overrides of the config, with the adapter size of ``finetune.adapters``."""
    overrides = copy.deepcopy(config["model"].get("overrides") or {})
    if int(config["finetune"]["adapters"]):
        overrides.setdefault("body", {})["adapter_bottleneck"] = int(config["finetune"]["adapters"])
    return overrides


class EveNetModule(pl.LightningModule):
    def __init__(self, config: dict, normalization: dict | None = None):
        super().__init__()
        self.save_hyperparameters({"config": config})
        self.config = config
        heads = config["model"]["heads"]
        self.model = build_model(config["model"]["preset"], heads, normalization, **network_overrides(config))
        self.loss_weights = {h: float(config["loss_weights"].get(h, 1.0)) for h in heads}
        self.segmentation_topology = None
        if "segmentation" in heads:
            assignment = (heads.get("assignment") or {}).get("topology")
            if assignment is None:
                raise ConfigError("heads.segmentation needs heads.assignment.topology (segments come from it)")
            self.segmentation_topology = ResonanceTopology.from_config(assignment)
        self._val_probabilities: list[torch.Tensor] = []
        self._val_labels: list[torch.Tensor] = []

    # ------------------------------------------------------------------ setup
    def apply_finetune_strategy(self) -> dict[str, int]:
        ft = self.config["finetune"]
        apply_freezing(self.model, list(ft["freeze"]), adapters=int(ft["adapters"]) > 0,
                       last_blocks=int(ft["last_blocks"]))
        return count_parameters(self.model)

    def noise_probability(self) -> float:
        """Masking probability of the inpainting pass, ramped over the first part of the run."""
        noise = self.config["noise"]
        start, end, ramp = float(noise["start"]), float(noise["end"]), float(noise["ramp_fraction"])
        if ramp <= 0.0 or self._trainer is None:
            return end
        total = max(1, int(self.trainer.estimated_stepping_batches))
        progress = min(1.0, self.global_step / (ramp * total))
        return start + (end - start) * progress

    # ------------------------------------------------------------------ steps
    def _targets(self, batch: dict) -> dict:
        targets = {"classification": batch["process"], "assignment": batch.get("targets", {})}
        if self.segmentation_topology is not None:
            targets["segmentation"] = segmentation_targets(
                batch["targets"], self.segmentation_topology, batch["source_mask"].shape[1]
            )
        return targets

    def _losses(self, batch: dict, noise_prob: float) -> tuple[torch.Tensor, dict, dict]:
        outputs = self.model(model_inputs(batch), noise_prob=noise_prob)
        losses = self.model.losses(outputs, self._targets(batch), batch["weight"])
        total = sum(self.loss_weights[name] * value for name, value in losses.items())
        return total, losses, outputs

    def _check_finite(self, total: torch.Tensor, losses: dict, where: str) -> None:
        if not torch.isfinite(total):
            bad = ", ".join(f"{name} {float(value.detach()):g}" for name, value in losses.items() if not torch.isfinite(value))
            raise NonFiniteLossError(f"non-finite {where} loss at step {self.global_step} ({bad or total}); "
                                     "look for NaN/inf in the inputs or lower optimizer.lr")

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        torch.manual_seed(step_seed(int(self.config["seed"]), self.global_step, self.global_rank))
        noise_prob = self.noise_probability()
        total, losses, _ = self._losses(batch, noise_prob)
        self._check_finite(total, losses, "training")
        size = batch["source"].shape[0]
        self.log("train/loss", total, prog_bar=True, batch_size=size)
        for name, value in losses.items():
            self.log(f"train/{name}", value, batch_size=size)
        self.log("train/noise_prob", noise_prob, batch_size=size)
        return total

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
            torch.manual_seed(step_seed(int(self.config["seed"]), batch_idx, 1_000_003))
            total, losses, outputs = self._losses(batch, float(self.config["noise"]["end"]))
        self._check_finite(total, losses, "validation")
        size = batch["source"].shape[0]
        self.log("val/loss", total, prog_bar=True, batch_size=size, sync_dist=True)
        for name, value in losses.items():
            self.log(f"val/{name}", value, batch_size=size, sync_dist=True)
        if "classification" in outputs:
            self._val_probabilities.append(outputs["classification"]["logits"].float().softmax(-1).detach())
            self._val_labels.append(batch["process"].detach())

    def on_validation_epoch_end(self) -> None:
        if not self._val_probabilities:
            return
        probabilities = torch.cat(self._val_probabilities)
        labels = torch.cat(self._val_labels)
        self._val_probabilities, self._val_labels = [], []
        if self.trainer.world_size > 1:
            # Ranks may hold different numbers of validation events: pad to the largest, drop the padding.
            sizes = self.all_gather(torch.tensor([len(labels)], device=self.device)).flatten()
            pad = int(sizes.max()) - len(labels)
            probabilities = torch.nn.functional.pad(probabilities, (0, 0, 0, pad))
            labels = torch.nn.functional.pad(labels, (0, pad), value=-1)
            probabilities = self.all_gather(probabilities).flatten(0, 1)
            labels = self.all_gather(labels).flatten(0, 1)
            probabilities, labels = probabilities[labels >= 0], labels[labels >= 0]
        auc = classification_auc(probabilities.cpu().numpy(), labels.cpu().numpy())
        self.log("val/auc", auc, rank_zero_only=True)

    # ------------------------------------------------------------------ optimisation
    def configure_optimizers(self):
        opt = self.config["optimizer"]
        lr, weight_decay = scaled_hyperparameters(float(opt["lr"]), float(opt["weight_decay"]),
                                                  self.trainer.world_size, bool(opt["scale_with_devices"]))
        groups = parameter_groups(self.model, lr, weight_decay, float(opt["backbone_lr_scale"]),
                                  float(opt["bridge_lr_scale"]), int(self.config["finetune"]["last_blocks"]),
                                  float(opt["last_blocks_lr_scale"]))
        optimizer = build_optimizer(groups, opt["name"], opt["betas"])
        schedule = self.config["schedule"]
        scheduler = build_schedule(optimizer, int(self.trainer.estimated_stepping_batches),
                                   int(schedule["warmup_steps"]), float(schedule["min_lr_ratio"]))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
