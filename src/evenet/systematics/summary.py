"""Collect the pseudo-experiments of an analysis: shifts from the nominal per source, model and metric.

Inputs are the ``experiments.json`` of the nominal run and of every batch
(:mod:`evenet.systematics.batch`). For each source, model and metric the shift of each
experiment is (x - x_nominal) / sigma_stat(nominal), or x - x_nominal for the metrics
named ``absolute`` (:func:`evenet.systematics.readout.shifts`), and the shifts are
summarised by their median and central 68 % / 95 % intervals.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evenet.errors import InputFileError
from evenet.systematics.batch import RECORDS
from evenet.systematics.readout import interval_summary, shifts


@dataclass(frozen=True)
class SourceShifts:
    """Shifts of one source: per model and metric, one value per experiment (sorted by index)."""

    source: str
    indices: np.ndarray
    nuisance: np.ndarray
    shifts: dict[str, dict[str, np.ndarray]]
    seconds: np.ndarray
    """wall time per experiment (vary + evaluate), s"""
    cpu_seconds: np.ndarray
    """CPU time per experiment, s (NaN where not recorded)"""
    events: int
    """events varied per experiment (all samples)"""


def read_records(path: str | Path) -> dict:
    """A batch's ``experiments.json`` (``path``: the batch directory or the file)."""
    path = Path(path)
    if path.is_dir():
        path = path / RECORDS
    try:
        document = json.loads(path.read_text())
        {r["label"]: r for r in document["experiments"]}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputFileError(f"{path}: not an experiments file of evenet vary ({err})") from None
    return document


def merge_readout(documents: Sequence[dict], path: str | Path) -> None:
    """Merge an analysis' read-out of experiments (a JSON file {label: {model: {metric: {value,
    error}}}}, computed outside evenet, e.g. the precision of D) into their metrics, in place."""
    records = {r["label"]: r for d in documents for r in d["experiments"]}
    try:
        readout = json.loads(Path(path).read_text())
        for label, models in readout.items():
            for model, metrics in models.items():
                records[label]["metrics"].setdefault(model, {}).update(metrics)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise InputFileError(f"{path}: not a read-out of the given experiments ({err})") from None


def collect(nominal: dict, batches: Iterable[dict], absolute: Sequence[str] = ()) -> list[SourceShifts]:
    """Shifts per source from the nominal document and the batch documents."""
    reference = nominal["experiments"][0]["metrics"]
    by_source: dict[str, list[dict]] = {}
    for document in batches:
        by_source.setdefault(document["source"], []).extend(document["experiments"])
    out = []
    for source, records in sorted(by_source.items()):
        records = sorted(records, key=lambda r: r["index"])
        indices = [r["index"] for r in records]
        if len(set(indices)) != len(indices):
            raise InputFileError(f"{source}: an experiment index appears in two batches")
        table: dict[str, dict[str, np.ndarray]] = {}
        for model, metrics in reference.items():
            table[model] = {}
            for metric, nominal_value in metrics.items():
                values = [r["metrics"][model][metric]["value"] for r in records]
                sigma = None if metric in absolute else nominal_value["error"]
                table[model][metric] = shifts(values, nominal_value["value"], sigma)
        seconds = np.array([r["seconds"]["vary"] + r["seconds"]["evaluate"] for r in records])
        cpu = np.array([r["seconds"].get("cpu", np.nan) for r in records])
        events = sum(e["events_in"] for e in records[0]["events"].values()) if records else 0
        out.append(SourceShifts(source, np.array(indices), np.array([r["nuisance"]["value"] for r in records]),
                                table, seconds, cpu, events))
    return out


def summary_table(collected: Sequence[SourceShifts]) -> dict:
    """{source: {model: {metric: interval_summary}}}."""
    return {s.source: {model: {metric: interval_summary(values) for metric, values in metrics.items()}
                       for model, metrics in s.shifts.items()} for s in collected}
