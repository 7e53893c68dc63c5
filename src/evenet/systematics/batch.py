"""A batch of pseudo-experiments in one job: vary every sample, evaluate every model, read out.

Layout of a batch directory (written whole or not at all)::

    experiments.json                 one record per experiment (below)
    <label>/pointcloud/<sample>.h5   the varied point clouds (evaluated split only)
    <label>/predictions/<model>.h5   ``evenet predict``'s output of each model on them

``label`` is ``nominal`` or ``<source>_<index>`` (index zero-padded to 3 digits). A record:
{label, index, seed, nuisance (pseudo_experiments.nuisance_record), events {sample:
{events_in, events_out}}, metrics {model: {metric: {value, error}}}, seconds {vary,
evaluate (wall), cpu (the process's CPU time for both)}}. The models are the nominal trained checkpoints: nothing is retrained.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evenet.atomic import atomic_directory
from evenet.systematics.config import Variation
from evenet.systematics.pseudo_experiments import SampleInputs, nuisance_record, write_varied_sample
from evenet.systematics.readout import evaluate_metrics
from evenet.systematics.seeds import experiment_seed

log = logging.getLogger(__name__)
RECORDS = "experiments.json"


@dataclass(frozen=True)
class BatchJob:
    samples: Sequence[SampleInputs]
    selection: str
    selection_params: Mapping
    variation: Variation | None
    """None: the nominal (one experiment, through the same code)"""
    seed: int
    indices: Sequence[int]
    models: Mapping[str, Path] = field(default_factory=dict)
    metrics: Sequence[str] = ()
    readout_options: Mapping = field(default_factory=dict)
    split: str | None = "test"
    """the split varied and evaluated (None: every event)"""
    predict_options: Mapping = field(default_factory=dict)
    """further keyword arguments of :func:`evenet.train.predict.predict` (batch_size, steps, ...)"""


def experiment_label(variation: Variation | None, index: int) -> str:
    return "nominal" if variation is None else f"{variation.source}_{index:03d}"


def run_experiment(job: BatchJob, index: int, directory: Path) -> dict:
    """One pseudo-experiment into ``directory`` (its label's folder); returns its record."""
    from evenet.train.predict import predict  # torch: only where models are evaluated

    label = experiment_label(job.variation, index)
    seed = job.seed if job.variation is None else experiment_seed(job.seed, job.variation.source, index)
    start, cpu_start = time.perf_counter(), time.process_time()
    files, events, values = [], {}, []
    for sample in job.samples:
        path = directory / label / "pointcloud" / f"{sample.name}.h5"
        out = write_varied_sample(sample, path, job.variation, seed, job.selection, dict(job.selection_params), job.split)
        files.append(path)
        events[sample.name] = {"events_in": out["events_in"], "events_out": out["events_out"]}
        values.append(out["nuisance"])
    varied = time.perf_counter()
    metrics = {}
    for name, checkpoint in job.models.items():
        path = directory / label / "predictions" / f"{name}.h5"
        path.parent.mkdir(parents=True, exist_ok=True)
        predict(checkpoint, [str(f) for f in files], path, split=job.split or "all", **job.predict_options)
        metrics[name] = evaluate_metrics(job.metrics, path, files, job.readout_options)
    done = time.perf_counter()
    record = {
        "label": label, "index": index, "seed": seed,
        "nuisance": nuisance_record(job.variation, seed, np.concatenate(values) if values else np.zeros(0)),
        "events": events, "metrics": metrics,
        "seconds": {"vary": round(varied - start, 4), "evaluate": round(done - varied, 4),
                    "cpu": round(time.process_time() - cpu_start, 4)},
    }
    log.info("%s: %s, %.2f s vary, %.2f s evaluate", label, record["nuisance"], varied - start, done - varied)
    return record


def run_batch(job: BatchJob, output: str | Path) -> list[dict]:
    """Every experiment of the batch into ``output`` (a directory, replaced whole on success)."""
    indices = [0] if job.variation is None else list(job.indices)
    with atomic_directory(output) as tmp:
        records = [run_experiment(job, i, tmp) for i in indices]
        document = {
            "source": "nominal" if job.variation is None else job.variation.source,
            "variation": None if job.variation is None else vars(job.variation),
            "seed": job.seed, "selection": job.selection, "split": job.split,
            "models": {k: str(v) for k, v in job.models.items()},
            "samples": [s.name for s in job.samples], "experiments": records,
        }
        (tmp / RECORDS).write_text(json.dumps(document, indent=2) + "\n")
    return records
