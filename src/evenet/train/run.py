"""One training run (a pretraining stage or a fine-tune) from a resolved configuration.

Nothing is written before the inputs are checked (evenet.train.inputs: the data
against the config, the --init checkpoint against the network, enough events for
a batch). Then it writes into ``output``: ``config.yaml`` (the resolved configuration, first),
``last.ckpt`` (at the end; resumable), ``best.ckpt`` (lowest validation loss) and
``metrics.json`` (last, atomically: its presence means the run finished). While it
trains, its checkpoints are in ``output/resume/`` (evenet.train.resume): a rerun of an
interrupted run with the same inputs and configuration continues from there, and a
SIGUSR1 or SIGTERM saves one and stops the run (evenet.train.callbacks.StopOnSignal).
A non-finite loss stops the run and removes what it wrote.
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from pathlib import Path

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.pytorch.callbacks.weight_averaging import EMAWeightAveraging

from evenet.atomic import atomic_output
from evenet.errors import ConfigError
from evenet.model.normalization import load_statistics
from evenet.train import resume
from evenet.train.callbacks import ConvergenceTracker, StopOnSignal
from evenet.train.checkpoints import AtomicCheckpointIO, load_weights, network_state, read_checkpoint
from evenet.train.config import save_config
from evenet.train.datamodule import PointCloudDataModule
from evenet.train.dataset import expand_inputs
from evenet.train.inputs import prepare as prepare_inputs
from evenet.train.lightning_module import EveNetModule, NonFiniteLossError

log = logging.getLogger(__name__)


def set_cpu_threads(requested: int) -> int:
    """torch threads for CPU work: ``requested``, or min(2, cores) when 0."""
    threads = int(requested) or max(1, min(2, os.cpu_count() or 1))
    torch.set_num_threads(threads)
    return threads


def build_trainer(config: dict, output: Path, checkpoints: Path, callbacks: list, checkpoint_every: int) -> pl.Trainer:
    t = config["trainer"]
    last = ModelCheckpoint(dirpath=checkpoints, save_last=True, save_top_k=0, every_n_train_steps=checkpoint_every,
                           enable_version_counter=False)
    best = ModelCheckpoint(dirpath=checkpoints, filename="best", monitor="val/loss", mode="min", save_top_k=1,
                           enable_version_counter=False, auto_insert_metric_name=False)
    return pl.Trainer(
        max_epochs=int(t["max_epochs"]), max_steps=int(t["max_steps"]), val_check_interval=t["val_check_interval"],
        limit_val_batches=t["limit_val_batches"], accelerator=t["accelerator"], devices=t["devices"],
        num_nodes=int(t["num_nodes"]), strategy=t["strategy"], precision=t["precision"],
        gradient_clip_val=t["gradient_clip_val"], log_every_n_steps=int(t["log_every_n_steps"]),
        enable_progress_bar=bool(t["progress_bar"]), enable_model_summary=False, logger=False,
        default_root_dir=str(output), callbacks=[*callbacks, last, best], deterministic=False,
        num_sanity_val_steps=0, plugins=[AtomicCheckpointIO()],
    )


def initialise(module: EveNetModule, config: dict, init: str | None) -> list[str]:
    """Load ``init`` (a checkpoint) into the network per ``finetune``; [] when starting from scratch."""
    if not init:
        return []
    ft = config["finetune"]
    state = network_state(read_checkpoint(init), init)
    reuse = ft["reuse_heads"]
    if reuse == "all":  # stage 2 from stage 1: "all weights from the SSL phase were reused" (paper Sec. II C)
        reuse = [h for h in module.model.heads if any(k.startswith(f"heads.{h}.") for k in state)]
    return load_weights(module.model, state, init, reuse_heads=list(reuse),
                        keep_normalization=ft["normalization"] == "checkpoint")


def without_module_lr_scales(config: dict) -> dict:
    """The reduced backbone, bridge and last-block rates protect pretrained weights; a randomly
    initialised network (Scratch) trains every module at the head rate."""
    opt = config["optimizer"]
    scales = ("backbone_lr_scale", "bridge_lr_scale", "last_blocks_lr_scale")
    if any(opt[k] != 1.0 for k in scales):
        log.info("random init: %s set to 1 (they apply to pretrained modules)", ", ".join(scales))
    return {**config, "optimizer": {**opt, **{k: 1.0 for k in scales}}}


def train(config: dict, data: list[str], output: str | Path, normalization: str | None = None,
          init: str | None = None, checkpoint_every: int = 200, extra_callbacks: list | None = None) -> dict:
    """Train per ``config`` on the point-cloud files/directories ``data``; returns the metrics dict.

    Continues from ``output/resume/last.ckpt`` when that was saved by a run with the same
    inputs and configuration (evenet.train.resume); otherwise starts from step 0.
    """
    output = Path(output)
    set_cpu_threads(int(config["trainer"]["threads"]))
    pl.seed_everything(int(config["seed"]), workers=True, verbose=False)
    init = init or config["finetune"]["init"]
    config = {**config, "finetune": {**config["finetune"], "init": str(init) if init else None}}
    if not init:
        config = without_module_lr_scales(config)
    statistics = load_statistics(normalization) if normalization else None
    if statistics is None and (not init or config["finetune"]["normalization"] == "data"):
        raise ConfigError("--normalization is required without --init or with finetune.normalization: data")
    files = expand_inputs(data)
    config = prepare_inputs(config, files)

    module = EveNetModule(config, statistics)
    loaded = initialise(module, config, init)
    parameters = module.apply_finetune_strategy()
    datamodule = PointCloudDataModule(files, config["data"], config["model"]["heads"], seed=int(config["seed"]))
    datamodule.setup("fit")  # too few events for a batch: an error before anything is written
    # Inputs checked: from here on the run writes. A metrics.json left by an earlier run is not this run's.
    (output / "metrics.json").unlink(missing_ok=True)
    save_config(config, output / "config.yaml")
    log.info("parameters: %d trainable of %d; %d tensors loaded from %s", parameters["trainable"],
             parameters["total"], len(loaded), init or "nothing (random init)")

    tracker = ConvergenceTracker()
    callbacks: list = [tracker]
    if config["ema"]["enabled"]:
        callbacks.append(EMAWeightAveraging(decay=float(config["ema"]["decay"])))
    if config["early_stopping"]["enabled"]:
        es = config["early_stopping"]
        callbacks.append(EarlyStopping(monitor="val/loss", mode="min", patience=int(es["patience"]),
                                       min_delta=float(es["min_delta"])))
    checkpoints = output / resume.RESUME_DIR
    stop = StopOnSignal(checkpoints / "last.ckpt")
    callbacks.append(stop)
    callbacks.extend(extra_callbacks or [])
    trainer = build_trainer(config, output, checkpoints, callbacks, checkpoint_every)
    identity = resume.run_identity(config, [*files, *filter(None, (normalization, init))], trainer.world_size)
    ckpt_path, resumed_at = resume.start(checkpoints, identity, writer=trainer.is_global_zero)
    started = time.perf_counter()
    with warnings.catch_warnings(), stop:
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        # The data module re-enters the stream itself (PointCloudDataModule.state_dict); Lightning cannot see that.
        warnings.filterwarnings("ignore", ".*your dataloader is not resumable.*")
        warnings.filterwarnings("ignore", ".*`IterableDataset` has `__len__` defined.*")
        warnings.filterwarnings("ignore", ".*Checkpoint directory .* exists and is not empty.*")
        try:
            trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
        except NonFiniteLossError:
            for name in ("config.yaml", "last.ckpt", "best.ckpt"):  # weights on the way to NaN: not a result
                (output / name).unlink(missing_ok=True)
            resume.discard(checkpoints)
            raise
        wall = time.perf_counter() - started
        trainer.save_checkpoint(output / "last.ckpt", weights_only=False)
        metrics = run_metrics(config, trainer, tracker, datamodule, parameters, init, ckpt_path, resumed_at, wall)
        if trainer.is_global_zero:  # finished: best.ckpt to the output, metrics.json, nothing left to resume
            resume.keep_best(checkpoints, output)
            with atomic_output(output / "metrics.json") as tmp:
                tmp.write_text(json.dumps(metrics, indent=1))
            resume.discard(checkpoints)
    return metrics


def run_metrics(config: dict, trainer: pl.Trainer, tracker: ConvergenceTracker, datamodule: PointCloudDataModule,
                parameters: dict, init: str | None, resumed_from: str | None, resumed_at: int, wall: float) -> dict:
    best = tracker.best()
    return {
        "stage": config["stage"],
        "steps": int(trainer.global_step),
        "epochs": int(trainer.current_epoch),
        "steps_to_min_val_loss": best.get("step"),
        "best": best,
        "final": tracker.history[-1] if tracker.history else {},
        "val_auc": best.get("auc"),
        "parameters": parameters,
        "train_events": datamodule.train_set.n_events,
        "val_events": datamodule.val_set.n_events,
        "initialised_from": str(init) if init else None,
        "resumed_from": str(resumed_from) if resumed_from else None,
        "resumed_at_step": resumed_at,
        "wall_s": round(wall, 2),
        "history": tracker.history,
    }
