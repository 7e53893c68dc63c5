"""``evenet bench vary``: time per systematic pseudo-experiment (vary the selected objects,
re-select, build the point cloud; optionally evaluate models), against ``evenet build`` of the
same selected events (the peer: what one nominal point cloud costs), measured in one run.

Every sample's events of all splits are varied (``--split all``, the default here) unless a
split is named; ``--model NAME=CHECKPOINT`` (with a named split) adds the models' evaluation
to each experiment. The first experiment is not timed (one-off compilation of kernels).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path


def add_parser(subparsers) -> None:
    from evenet.commands.vary import _model

    p = subparsers.add_parser("vary", help="seconds per JES / soft-MET pseudo-experiment vs a nominal build",
                              description=__doc__)
    p.add_argument("--selected", nargs="+", required=True, help="selected-events Parquet files")
    p.add_argument("--nominal", nargs="+", required=True, help="their nominal point clouds, same order")
    p.add_argument("--selection", required=True)
    p.add_argument("--selections", default="config/selections.yaml", help="selection parameters YAML")
    p.add_argument("--source", default="jes", choices=["jes", "soft_met"])
    p.add_argument("--experiments", type=int, default=5, help="timed pseudo-experiments")
    p.add_argument("--split", default="all", choices=["all", "train", "val", "test"])
    p.add_argument("--model", action="append", default=[], type=_model, metavar="NAME=CHECKPOINT")
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=run)


VARIATIONS = {"jes": {"width": 0.01, "clip": 0.1, "draw": "experiment", "met": "propagate"},
              "soft_met": {"mu": 0.0, "sigma": 1.0, "max_gev": 5.0}}


def run(args) -> int:
    import torch
    import yaml

    from evenet.pipeline.build import build_pointcloud
    from evenet.systematics.batch import BatchJob, run_batch
    from evenet.systematics.config import parse_variation
    from evenet.systematics.pseudo_experiments import SampleInputs
    from evenet.errors import ConfigError

    torch.set_num_threads(args.threads)
    with open(args.selections) as handle:
        params = yaml.safe_load(handle)[args.selection]
    samples = [SampleInputs(Path(n).stem, Path(s), Path(n)) for s, n in zip(args.selected, args.nominal)]
    variation = parse_variation(args.source, VARIATIONS[args.source])
    if args.split == "all" and args.model:
        raise ConfigError("--split all: models are evaluated on one split; name it (--split test)")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for sample in samples:
            build_pointcloud(sample.selected, Path(tmp) / f"{sample.name}.h5", {"sample": sample.name})
        build_s = time.perf_counter() - start
        job = BatchJob(samples, args.selection, params, variation, seed=1, indices=list(range(args.experiments + 1)),
                       models={k: Path(v) for k, v in args.model}, metrics=(), split=None if args.split == "all" else args.split)
        records = run_batch(job, Path(tmp) / "batch")
    timed = records[1:]  # the first one pays the one-off compilation of the selection's kernels
    per_experiment = sum(r["seconds"]["vary"] + r["seconds"]["evaluate"] for r in timed) / len(timed)
    cpu = sum(r["seconds"]["cpu"] for r in timed) / len(timed)
    events = sum(e["events_in"] for e in timed[0]["events"].values())
    print(f"pseudo-experiment ({args.source}, {'with' if args.model else 'without'} model evaluation): "
          f"{per_experiment:.3f} s wall, {cpu:.3f} s CPU for {events} events ({events / per_experiment:,.0f} events/s)")
    print(f"peer, evenet build of the same selected events (all splits): {build_s:.3f} s; "
          f"ratio pseudo-experiment / build: {per_experiment / build_s:.2f}")
    return 0
