"""``evenet vary``: a batch of systematic pseudo-experiments (JES or soft MET) on a stream's
selected events, the nominal trained models evaluated on each without retraining."""

from __future__ import annotations


import argparse

from evenet.errors import ConfigError, InputFileError


def _model(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=CHECKPOINT")
    return name, path


def _indices(text: str) -> list[int]:
    first, sep, stop = text.partition(":")
    try:
        return list(range(int(first), int(stop))) if sep else [int(first)]
    except ValueError:
        raise ConfigError(f"--experiments {text!r}: expected START:STOP (STOP excluded) or one index") from None


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("vary", help="JES / soft-MET pseudo-experiments from selected events, models evaluated")
    p.add_argument("--selected", nargs="+", required=True, help="selected-events Parquet files of the stream (evenet select)")
    p.add_argument("--nominal", nargs="+", required=True,
                   help="the nominal point clouds of the same samples, same order (their attributes are copied)")
    p.add_argument("--selection", required=True, help="the stream's selection name")
    p.add_argument("--selection-params", required=True, help="the selection's config block as JSON (or @file)")
    p.add_argument("--source", required=True, choices=["nominal", "jes", "soft_met"],
                   help="variation source; nominal runs the same chain with no variation")
    p.add_argument("--variation", default="{}", help="the source's config block as JSON (or @file), every key given")
    p.add_argument("--seed", type=int, required=True, help="seed of the source's pseudo-experiments")
    p.add_argument("--experiments", default="0", help="indices START:STOP (STOP excluded) of this batch")
    p.add_argument("--model", action="append", default=[], type=_model, metavar="NAME=CHECKPOINT",
                   help="a trained model to evaluate (repeat)")
    p.add_argument("--metrics", nargs="*", default=[], help="read-outs per model (max_sic, pairing_efficiency)")
    p.add_argument("--readout-options", default="{}", help="JSON: signal_class, min_background")
    p.add_argument("--split", default="test", choices=["train", "val", "test", "all"],
                   help="events varied and evaluated (all: every event, for samples never trained on)")
    p.add_argument("--predict-options", default="{}",
                   help="JSON: further options of the evaluation (evenet predict's batch_size, steps, seed, ...)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("-o", "--output", required=True, help="batch directory (experiments.json and per-experiment files)")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from evenet.commands.select import json_arg
    from evenet.systematics.batch import BatchJob, run_batch
    from evenet.systematics.config import parse_variation
    from evenet.systematics.pseudo_experiments import SampleInputs

    if len(args.selected) != len(args.nominal):
        raise ConfigError(f"--selected has {len(args.selected)} files, --nominal {len(args.nominal)}: give one of each per sample")
    samples = [SampleInputs(Path(n).stem, Path(s), Path(n)) for s, n in zip(args.selected, args.nominal)]
    names = [s.name for s in samples]
    if len(set(names)) != len(names):
        raise ConfigError(f"--nominal: two samples share a name ({names})")
    for path in [p for s in samples for p in (s.selected, s.nominal)] + [Path(p) for _, p in args.model]:
        if not path.is_file():
            raise InputFileError(f"{path}: no such file")
    variation = None if args.source == "nominal" else parse_variation(args.source, json_arg(args.variation, "variation"),
                                                                     "--variation")
    models = dict(args.model)
    if args.metrics and not models:
        raise ConfigError("--metrics: no --model to read out")
    import torch

    torch.set_num_threads(args.threads)
    job = BatchJob(samples, args.selection, json_arg(args.selection_params, "selection-params"), variation, args.seed,
                   _indices(args.experiments), {k: Path(v) for k, v in models.items()}, args.metrics,
                   json_arg(args.readout_options, "readout-options"), None if args.split == "all" else args.split,
                   json_arg(args.predict_options, "predict-options"))
    records = run_batch(job, args.output)
    print(f"{len(records)} pseudo-experiment(s) -> {args.output}")
    return 0
