"""Select: ingested events of one sample -> preselected events with weights, split and truth targets.

Output is chunked Parquet (the input of ``build``) plus the sample's cutflow
JSON. The event weight is xsec x lumi / (sum of generator weights over all
generated events) x generator weight (DESIGN.md); collision data weigh 1.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import awkward as ak
import numpy as np

from evenet.atomic import atomic_output
from evenet.errors import ConfigError, InputFileError
from evenet.io.parquet import ChunkWriter, iterate_chunks, read_metadata
from evenet.pointcloud.split import assign_split
from evenet.selection.preselections import parse_parameters, select
from evenet.truth.targets import TruthConfig, assignment_targets, invisible_targets

log = logging.getLogger(__name__)

OBJECT_FIELDS = ("pt", "eta", "phi", "energy", "btag", "isLepton", "charge", "kind")
READER_FIELDS = ("run", "luminosityBlock", "event", "genWeight", "MET", "GenPart", "objects")


@dataclass(frozen=True)
class SelectJob:
    """Everything ``select`` needs to know about one (stream, sample)."""

    selection: str
    selection_params: dict
    label: int
    xsec_pb: float | None
    lumi_pb: float
    split_fractions: dict
    split_seed: int
    truth: TruthConfig = field(default_factory=TruthConfig)


def _merge_cutflow(total: list[dict] | None, chunk: list[dict]) -> list[dict]:
    if total is None:
        return [dict(row) for row in chunk]
    for row, add in zip(total, chunk):
        row["events"] += add["events"]
        row["weighted"] += add["weighted"]
    return total


def _sample_normalisation(inputs: list[Path]) -> tuple[float, bool]:
    metas = [read_metadata(p) for p in inputs]
    is_data = {m["is_data"] for m in metas}
    if len(is_data) > 1:
        raise InputFileError(f"{inputs[0]}: a sample mixes collision data and simulation files")
    return sum(m["sum_generator_weights"] for m in metas), is_data.pop()


def selected_record(events: ak.Array, job: SelectJob, scale: float | None, has_truth: bool) -> ak.Array:
    """One chunk of passing events as ``build`` reads it: objects, MET, identity, weight
    (generator weight x ``scale``; 1 for data when ``scale`` is None), label, split,
    selection outputs (``extra``) and, for simulation, truth targets."""
    objects = events.objects
    gen_weight = ak.to_numpy(events.genWeight).astype(np.float64)
    out = {
        "objects": ak.zip({f: objects[f] for f in OBJECT_FIELDS}),
        "MET": events.MET,
        "run": events.run,
        "luminosityBlock": events.luminosityBlock,
        "event": events.event,
        "weight": gen_weight * scale if scale is not None else np.ones(len(events)),
        "label": np.full(len(events), job.label, dtype=np.int64),
        "split": assign_split(
            ak.to_numpy(events.run), ak.to_numpy(events.luminosityBlock), ak.to_numpy(events.event),
            job.split_fractions, job.split_seed,
        ),
    }
    extras = {f: events[f] for f in events.fields if f not in READER_FIELDS}
    if extras:
        out["extra"] = ak.zip(extras, depth_limit=1)
    if has_truth and job.truth.resonances:
        targets = assignment_targets(events, objects, job.truth)
        out["targets"] = ak.zip({r: ak.zip(prods, depth_limit=1) for r, prods in targets.items()}, depth_limit=1)
    if has_truth and job.truth.max_invisible > 0:
        inv = invisible_targets(events, job.truth.max_invisible)
        out["invisible"] = ak.zip({k: ak.from_numpy(v) for k, v in inv.items()}, depth_limit=1)
    return ak.zip(out, depth_limit=1)


def select_sample(inputs: list[str | Path], job: SelectJob, output: str | Path, cutflow_path: str | Path) -> list[dict]:
    """Preselect every ingested file of a sample into one selected-events file; return the cutflow."""
    inputs = [Path(p) for p in inputs]
    if not inputs:
        raise ConfigError("select: no input files")
    parse_parameters(job.selection, job.selection_params)  # fail on bad config before reading anything
    sum_w, is_data = _sample_normalisation(inputs)
    if is_data:
        scale = None
    elif job.xsec_pb is None:
        raise ConfigError("samples.<name>.xsec_pb: simulated sample needs a cross section")
    else:
        scale = job.xsec_pb * job.lumi_pb / sum_w if sum_w != 0 else 0.0
    cutflow = None
    meta = {"selection": job.selection, "is_data": is_data, "label": job.label, "sum_generator_weights": sum_w}
    with atomic_output(output) as tmp:
        writer = ChunkWriter(tmp, meta)
        for path in inputs:
            for chunk in iterate_chunks(path):
                result = select(chunk, job.selection, job.selection_params)
                has_truth = "GenPart" in chunk.fields
                cutflow = _merge_cutflow(cutflow, result.cutflow)
                writer.write(selected_record(result.events, job, scale, has_truth))
        writer.close()
        with atomic_output(cutflow_path) as tmp_cutflow:
            scaled = [dict(row, weighted_xsec_lumi=row["weighted"] * scale if scale else None) for row in cutflow]
            tmp_cutflow.write_text(json.dumps({"selection": job.selection, "inputs": [str(p) for p in inputs], "cutflow": scaled}, indent=2))
    log.info("%s: %d of %d events pass %s", output, cutflow[-1]["events"], cutflow[0]["events"], job.selection)
    return cutflow
