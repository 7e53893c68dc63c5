"""Select: ingested events of one sample -> preselected events with weights, split and truth targets.

Output is chunked Parquet (the input of ``build``) plus the sample's cutflow
JSON. The event weight is xsec x lumi / (sum of generator weights over all
generated events) x generator weight (DESIGN.md); collision data (files
without a generator weight) weigh 1 and take no cross section. The split uses
the events' identity (run, luminosityBlock, event), or their entry index in
the file where the files have no event numbers (``event_id`` in the metadata).
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
from evenet.io.needs import RecordNeeds
from evenet.io.parquet import ChunkWriter, iterate_chunks, read_metadata
from evenet.pointcloud.split import assign_split
from evenet.selection.preselections import record_needs, select
from evenet.truth.targets import TruthConfig, assignment_targets, invisible_targets

log = logging.getLogger(__name__)

OBJECT_FIELDS = ("pt", "eta", "phi", "energy", "btag", "btag_score", "isLepton", "charge", "kind")
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
    sample: str = "<sample>"
    """the sample's name in config/config.yaml, for messages"""


def _merge_cutflow(total: list[dict] | None, chunk: list[dict]) -> list[dict]:
    if total is None:
        return [dict(row) for row in chunk]
    for row, add in zip(total, chunk):
        row["events"] += add["events"]
        row["weighted"] += add["weighted"]
    return total


def _sample_summary(inputs: list[Path], needs: RecordNeeds) -> tuple[float, bool, str]:
    """(sum of generator weights, is collision data, event_id) of a sample's ingested files;
    each file must hold every record key the selection requires."""
    metas = [read_metadata(p) for p in inputs]
    for path, meta in zip(inputs, metas):
        if "read" not in meta or "event_id" not in meta:
            raise InputFileError(f"{path}: ingested by an older evenet (no record of what was read); ingest it again")
        missing = sorted(needs.required - set(meta["read"]))
        if missing:
            raise InputFileError(f"{path}: ingested without {', '.join(missing)}, which the selection needs "
                                 "(ingest with it in --needs; the workflow does this itself)")
    for key, what in (("is_data", "collision data and simulation files"), ("event_id", "files with and without event numbers")):
        for path, meta in zip(inputs[1:], metas[1:]):
            if meta[key] != metas[0][key]:
                raise InputFileError(f"{path}: a sample mixes {what} ({inputs[0]}: {metas[0][key]}, this file: {meta[key]})")
    return sum(m["sum_generator_weights"] for m in metas), metas[0]["is_data"], metas[0]["event_id"]


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
    needs = record_needs(job.selection, job.selection_params)  # fails on bad config before reading anything
    sum_w, is_data, event_id = _sample_summary(inputs, needs)
    if is_data and job.xsec_pb is not None:
        raise ConfigError(f"samples.{job.sample}.xsec_pb: the sample is collision data (its files have no generator "
                          "weight), which is not normalised to a cross section; remove xsec_pb")
    if is_data:
        scale = None
    elif job.xsec_pb is None:
        raise ConfigError(f"samples.{job.sample}.xsec_pb: simulated sample needs a cross section")
    else:
        scale = job.xsec_pb * job.lumi_pb / sum_w if sum_w != 0 else 0.0
    cutflow = None
    meta = {"selection": job.selection, "is_data": is_data, "label": job.label, "sum_generator_weights": sum_w,
            "event_id": event_id}
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
