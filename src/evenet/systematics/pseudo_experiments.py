"""Pseudo-experiments: a seeded variation of every selected sample of a stream, written as point clouds.

One pseudo-experiment of a source (``jes`` or ``soft_met``) has the seed
:func:`evenet.systematics.seeds.experiment_seed` (configured seed, source, index); its
variation is applied to the selected objects of each sample (``evenet select``'s
Parquet, never the ROOT files), the selection is applied again
(:mod:`evenet.systematics.reselect`) and the point cloud is built as ``evenet build``
builds it, keeping only the evaluated split. ``variation=None`` is the nominal, through
the same code. The nuisance values are recorded: the experiment's delta (JES drawn per
experiment) or the mean and spread of the per-event draws.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import awkward as ak
import h5py
import numpy as np

from evenet.atomic import atomic_output
from evenet.errors import InputFileError
from evenet.io.parquet import iterate_chunks, read_metadata
from evenet.pipeline.build import FEATURES, chunk_datasets
from evenet.pointcloud import schema as S
from evenet.pointcloud.features import FlatObjects
from evenet.pointcloud.writer import PointCloudWriter
from evenet.systematics.config import JESVariation, SoftMETVariation, Variation
from evenet.systematics.jes import corrected_met, event_deltas, experiment_delta, scale_jets
from evenet.systematics.met import shift_met
from evenet.systematics.reselect import reselect
from evenet.systematics.soft_met import soft_met_kicks


@dataclass(frozen=True)
class SampleInputs:
    """One sample of the stream: its selected events and its nominal point cloud (whose
    attributes, class names and topology included, the varied file copies)."""

    name: str
    selected: Path
    nominal: Path


def vary_chunk(chunk: ak.Array, variation: Variation | None, seed: int, selection: str,
               params: dict) -> tuple[ak.Array, np.ndarray]:
    """The varied, re-selected chunk and the per-event nuisance value of every input event
    (JES: delta; soft MET: magnitude added, GeV; nominal: zeros)."""
    flat = FlatObjects.from_jagged(chunk.objects)
    columns = dict(flat.columns)
    met_pt = ak.to_numpy(chunk.MET.pt).astype(np.float64)
    met_phi = ak.to_numpy(chunk.MET.phi).astype(np.float64)
    identity = [ak.to_numpy(chunk[name]) for name in ("run", "luminosityBlock", "event")]
    nuisance = np.zeros(len(chunk))
    if isinstance(variation, JESVariation):
        nuisance = event_deltas(variation, seed, *identity)
        pt, energy = scale_jets(columns["pt"], columns["energy"], columns["kind"], nuisance[flat.event])
        if variation.met == "propagate":
            met_pt, met_phi = corrected_met(met_pt, met_phi, flat.event, columns["phi"], columns["pt"], pt)
        columns["pt"], columns["energy"] = pt, energy
    elif isinstance(variation, SoftMETVariation):
        nuisance, direction = soft_met_kicks(variation, seed, *identity)
        met_pt, met_phi = shift_met(met_pt, met_phi, nuisance * np.cos(direction), nuisance * np.sin(direction))
    elif variation is not None:
        raise TypeError(f"unknown variation {variation!r}")
    return reselect(chunk, columns, met_pt, met_phi, selection, params), nuisance


def _attrs(nominal: Path) -> tuple[dict, dict]:
    with h5py.File(nominal, "r") as handle:
        attrs = {k: v for k, v in handle.attrs.items() if k not in ("schema_version", "n_events")}
        meta = dict(handle[S.META].attrs) if S.META in handle else {}
    return attrs, meta


def write_varied_sample(sample: SampleInputs, output: Path, variation: Variation | None, seed: int, selection: str,
                        params: dict, split: str | None = "test") -> dict:
    """Write the varied point cloud of one sample (events of ``split`` only; None: all); returns
    {events_in, events_out, nuisance values of the input events}."""
    if read_metadata(sample.selected)["selection"] != selection:
        raise InputFileError(f"{sample.selected}: selected with the {read_metadata(sample.selected)['selection']} selection, not {selection}")
    attrs, meta = _attrs(sample.nominal)
    attrs["variation"] = json.dumps({"source": variation.source if variation else "nominal", "seed": seed})
    code = None if split is None else S.SPLIT_CODES[split]
    n_in, n_out, values = 0, 0, []
    with atomic_output(output) as tmp:
        writer = PointCloudWriter(tmp, attrs)
        for chunk in iterate_chunks(sample.selected):
            if code is not None:
                chunk = chunk[ak.to_numpy(chunk.split) == code]
            varied, nuisance = vary_chunk(chunk, variation, seed, selection, params)
            writer.append(chunk_datasets(varied), FEATURES)
            n_in, n_out = n_in + len(chunk), n_out + len(varied)
            values.append(nuisance)
        writer.group_attrs(S.META, meta)
        writer.close()
    return {"events_in": n_in, "events_out": n_out, "nuisance": np.concatenate(values) if values else np.zeros(0)}


def nuisance_record(variation: Variation | None, seed: int, values: np.ndarray) -> dict:
    """What a pseudo-experiment records about its nuisance: ``value`` (the number its point is
    coloured by: the JES delta of the experiment, or the mean of the per-event draws),
    and the mean and spread of the per-event values."""
    if variation is None:
        return {"source": "nominal", "seed": seed, "value": 0.0}
    record = {"source": variation.source, "seed": seed}
    if isinstance(variation, JESVariation) and variation.draw == "experiment":
        record["delta"] = experiment_delta(variation, seed)
        record["value"] = record["delta"]
        return record
    record["mean"] = float(values.mean()) if len(values) else 0.0
    record["std"] = float(values.std()) if len(values) else 0.0
    record["value"] = record["mean"]
    return record
