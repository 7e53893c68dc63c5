"""Train SPANet 2.1.1 (the released package) on exported events and write its test predictions.

Runs in the SPANet side environment (``PYTHONPATH=src .venv-spanet/bin/python -m
analyses.haa.spanet_train``, built by ``make spanet-env``), so of ``evenet`` it imports only
``evenet.errors`` (standard library only; ``src`` on the path): bad input ends the run as
it ends the other analysis scripts, with one line ``<prog>: error: ...`` and exit status 2.
SPANet's own ``spanet.train`` fails with the pinned versions; its ``JetReconstructionModel(Options(...))`` trained by a
``pytorch_lightning.Trainer`` works. Inputs are the files of ``evenet export spanet``
(train: the training subset; val: the validation split; test: the test split).

Outputs in ``--output``:

* ``predictions.h5``: per test event, in the layout of ``evenet predict``:
  ``classification/probabilities`` (N, C) (softmax of SPANet's event classifier),
  ``assignment/<resonance>`` (N, n_products) (SPANet's jointly decoded slots), and
  ``CLASSIFICATIONS/EVENT/process``, ``WEIGHTS/weight``, ``META/*`` copied from the
  test export, so SIC and pairing efficiency come from ``evenet.stats`` as for EveNet;
* ``spanet.json``: SPANet's own purity report on the same test events
  (``SymmetricEvaluator.full_report_string``, keys ``Purity/<category>/...``), the number
  of parameters, the options, and the validation-accuracy history with the step of its
  maximum (SPANet computes no validation loss: its checkpoint criterion is this accuracy);
* ``tensorboard/``: the run's logs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import h5py
import numpy as np

from evenet.errors import ConfigError, InputFileError, command

CARRIED = ("CLASSIFICATIONS/EVENT/process", "WEIGHTS/weight", "META/run", "META/luminosityBlock", "META/event",
           "META/split", "META/file")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--event-info", required=True, help="event-info YAML of `evenet export spanet`")
    p.add_argument("--train", required=True, help="exported training events")
    p.add_argument("--val", required=True, help="exported validation events")
    p.add_argument("--test", required=True, help="exported test events")
    p.add_argument("--options", default="{}", help="JSON mapping of SPANet Options to set (body size, epochs, ...)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--output", required=True, help="output directory")
    return p.parse_args(argv)


def make_options(args):
    from spanet import Options

    options = Options(args.event_info, args.train, args.val, args.test)
    # Fixed by this baseline: background events have no targets (partial events must stay),
    # the event classifier is trained, no GPU, at least one loader worker (0 fails here).
    options.partial_events = True
    options.classification_loss_scale = 1.0
    options.num_gpu = 0
    options.num_dataloader_workers = 1
    options.verbose_output = False
    options.optimizer = "AdamW"
    try:
        overrides = json.loads(args.options)
    except json.JSONDecodeError as err:
        raise ConfigError(f"--options: not JSON ({err.msg})") from None
    if not isinstance(overrides, dict):
        raise ConfigError(f"--options: not a JSON mapping: {args.options}")
    for key, value in overrides.items():
        if not hasattr(options, key):
            raise ConfigError(f"--options: SPANet has no option {key!r}")
        setattr(options, key, value)
    return options


class History:
    """Validation accuracy (SPANet's checkpoint criterion) per validation run, with the step,
    and the weights at its maximum (kept in memory: the run is small)."""

    def __init__(self):
        import copy

        import pytorch_lightning as pl

        class Callback(pl.Callback):
            def on_validation_epoch_end(cb, trainer, module):
                value = trainer.callback_metrics.get("validation_accuracy")
                if value is None or trainer.sanity_checking:
                    return
                row = {"step": int(trainer.global_step), "epoch": int(trainer.current_epoch),
                       "validation_accuracy": float(value)}
                self.rows.append(row)
                if np.isfinite(row["validation_accuracy"]) and (
                        self.best is None or row["validation_accuracy"] > self.best["validation_accuracy"]):
                    self.best = row
                    self.best_state = copy.deepcopy(module.state_dict())

        self.rows: list[dict] = []
        self.best: dict | None = None
        self.best_state = None
        self.callback = Callback()


def baseline_model_class():
    """SPANet's JetReconstructionModel, skipping training batches whose assignment loss SPANet
    finds to be NaN: it averages the loss over the events where a resonance is reconstructable,
    gets 0/0 when a batch of mostly background has none (or none of a symmetric combination it
    averages over), and raises "Assignment loss has diverged!" before any backward pass, so the
    weights are untouched. The skipped batches are counted in spanet.json; a run that skips
    most of its batches has really diverged and stops.

    A training set smaller than one batch (the subset of a small training size can be)
    trains as one partial batch per epoch, as EveNet's does: SPANet would drop it, train no
    step, and schedule a zero learning rate (its steps per epoch round down to 0). A run
    that trains no batch at all (a subset without a reconstructable resonance) stops with an
    error rather than report an untrained network."""
    from spanet import JetReconstructionModel

    class BaselineModel(JetReconstructionModel):
        skipped_batches = 0
        trained_batches = 0

        def __init__(self, options):
            super().__init__(options)
            self.partial_batch = len(self.training_dataset) < options.batch_size
            if self.partial_batch:
                self.steps_per_epoch = 1
                self.total_steps = options.epochs
                self.warmup_steps = int(round(options.learning_rate_warmup_epochs))

        def train_dataloader(self):
            if not self.partial_batch:
                return super().train_dataloader()
            return self.dataloader(self.training_dataset, shuffle=True, drop_last=False, **self.dataloader_options)

        def training_step(self, batch, batch_nb):
            if any(not bool(target.mask.any()) for target in batch.assignment_targets):
                return self._skip()
            try:
                loss = super().training_step(batch, batch_nb)
            except ValueError as err:
                if "diverged" not in str(err):
                    raise
                return self._skip()
            self.trained_batches += 1
            return loss

        def _skip(self):
            self.skipped_batches += 1
            if self.skipped_batches > 20 and self.skipped_batches > self.trained_batches:
                raise RuntimeError(
                    f"SPANet skipped {self.skipped_batches} of {self.skipped_batches + self.trained_batches}"
                    " training batches with a NaN assignment loss: the run diverged")
            return None

    return BaselineModel


def spanet_purity(model, assignments: dict[str, np.ndarray]) -> dict[str, float]:
    """SPANet's own purity report on the testing dataset, from its evaluator."""
    from spanet.dataset.evaluator import SymmetricEvaluator

    dataset = model.testing_dataset
    names = list(model.event_info.product_particles)
    targets = [dataset.assignments[name][0].numpy() for name in names]
    masks = [dataset.assignments[name][1].numpy() for name in names]
    predictions = [assignments[name] for name in names]
    report = SymmetricEvaluator(model.event_info).full_report_string(predictions, targets, masks, prefix="Purity/")
    return {k: float(v) for k, v in report.items()}


def write_predictions(path: Path, test_file: str, evaluation, event_info) -> int:
    classification = evaluation.classifications["EVENT/process"]
    with h5py.File(test_file, "r") as source, h5py.File(path, "w") as out:
        n = len(source["CLASSIFICATIONS/EVENT/process"])
        if len(classification) != n:
            raise RuntimeError(f"{len(classification)} SPANet predictions for {n} test events of {test_file}")
        out.attrs["files"] = source.attrs["files"]
        out.attrs["split"] = source.attrs["split"]
        out.attrs["n_events"] = n
        out.attrs["model"] = "SPANet 2.1.1"
        out.create_dataset("classification/probabilities", data=classification.astype(np.float32))
        for name in event_info.product_particles:
            out.create_dataset(f"assignment/{name}", data=evaluation.assignments[name].astype(np.int64))
        for name in CARRIED:
            out.create_dataset(name, data=source[name][:])
    return n


@command("python -m analyses.haa.spanet_train")
def main(argv=None) -> int:
    args = parse_args(argv)
    for name in ("event_info", "train", "val", "test"):
        if not Path(getattr(args, name)).is_file():
            raise InputFileError(f"--{name.replace('_', '-')} {getattr(args, name)}: no such file")
    import torch

    torch.set_num_threads(args.threads)
    import pytorch_lightning as pl
    from pytorch_lightning.loggers import TensorBoardLogger
    from spanet.evaluation import evaluate_on_test_dataset

    # SPANet's validation metrics average over empty categories of a batch (NaN, skipped
    # when logged) and warn for each; keep the log readable.
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"(numpy|spanet)\.")
    warnings.filterwarnings("ignore", message=".*(ill-defined|no true samples|no predicted samples).*")
    pl.seed_everything(args.seed, workers=True)
    output = Path(args.output)
    work = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent if output.parent.exists() else None))
    try:
        options = make_options(args)
        model = baseline_model_class()(options)
        n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        history = History()
        trainer = pl.Trainer(logger=TensorBoardLogger(str(work), name="tensorboard", version=""),
                             max_epochs=options.epochs, callbacks=[history.callback], accelerator="cpu",
                             devices=1, enable_progress_bar=False, enable_model_summary=False,
                             gradient_clip_val=options.gradient_clip if options.gradient_clip > 0 else None,
                             num_sanity_val_steps=0, enable_checkpointing=False)
        trainer.fit(model)
        if model.trained_batches == 0:
            raise InputFileError(f"{args.train}: SPANet trained no batch on its {len(model.training_dataset)} events"
                                 f" ({model.skipped_batches} skipped: no batch had every resonance"
                                 " reconstructable in at least one event, so its assignment loss is 0/0)")
        if history.best_state is not None:
            model.load_state_dict(history.best_state)
        model.eval()
        with torch.no_grad():  # as spanet.evaluation.load_model prepares a model for it
            evaluation = evaluate_on_test_dataset(model, progress=None)
        n = write_predictions(work / "predictions.h5", args.test, evaluation, model.event_info)
        top = history.best
        summary = {
            "model": "SPANet 2.1.1",
            "n_parameters": n_params,
            "test_events": n,
            "train_events": len(model.training_dataset),
            "purity": {k: (v if np.isfinite(v) else None) for k, v in spanet_purity(model, evaluation.assignments).items()},
            "validation_history": history.rows,
            "steps_to_best_validation_accuracy": top["step"] if top else None,
            "best_validation_accuracy": top["validation_accuracy"] if top else None,
            "steps": int(trainer.global_step),
            "skipped_batches": int(model.skipped_batches),
            "trained_batches": int(model.trained_batches),
            "options": {k: v for k, v in vars(options).items() if isinstance(v, (int, float, str, bool))},
        }
        (work / "spanet.json").write_text(json.dumps(summary, indent=1))
        if output.exists():
            shutil.rmtree(output)
        os.replace(work, output)
    finally:
        if work.exists():
            shutil.rmtree(work)
    print(f"SPANet: {n_params} parameters, {n} test events -> {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
