"""Build: selected events of one sample -> the point-cloud HDF5 file (docs/pointcloud.md)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import awkward as ak
import numpy as np

from evenet.atomic import atomic_output
from evenet.errors import InputFileError
from evenet.io.parquet import iterate_chunks, read_metadata
from evenet.pointcloud import schema as S
from evenet.pointcloud import topology as T
from evenet.pointcloud.parameters import DATASET as PARAMETERS
from evenet.pointcloud.parameters import ParameterSpec
from evenet.pointcloud.features import FlatObjects, global_arrays, invisible_arrays, source_arrays
from evenet.pointcloud.writer import PointCloudWriter

log = logging.getLogger(__name__)

FEATURES = {
    f"{S.SOURCE}/data": S.SOURCE_FEATURES,
    f"{S.GLOBALS}/data": S.GLOBAL_FEATURES,
    f"{S.INVISIBLE}/data": S.INVISIBLE_FEATURES,
}


def chunk_datasets(chunk: ak.Array, parameters: ParameterSpec | None = None) -> dict[str, np.ndarray]:
    """All HDF5 datasets of one chunk of selected events."""
    flat = FlatObjects.from_jagged(chunk.objects)
    source, mask = source_arrays(flat)
    out = {
        f"{S.SOURCE}/data": source,
        f"{S.SOURCE}/mask": mask,
        # the continuous b-tag discriminant beside the point cloud's 0/1 flag (feature tables use it)
        S.BTAG_SCORE: flat.slot_array("btag_score", np.float32) if "btag_score" in flat.columns
        else source[..., S.SOURCE_FEATURES.index("btag")],
        f"{S.GLOBALS}/data": global_arrays(flat, chunk.MET),
        S.CLASSIFICATION: ak.to_numpy(chunk.label).astype(np.int64),
        S.WEIGHT: ak.to_numpy(chunk.weight).astype(np.float32),
    }
    for name in ("run", "luminosityBlock", "event"):
        out[f"{S.META}/{name}"] = ak.to_numpy(chunk[name]).astype(np.uint64)
    out[f"{S.META}/split"] = ak.to_numpy(chunk.split).astype(np.uint8)
    if parameters is not None:
        out[PARAMETERS] = parameters.assign(out[f"{S.META}/run"], out[f"{S.META}/luminosityBlock"], out[f"{S.META}/event"])
    if "extra" in chunk.fields:
        for name in chunk.extra.fields:
            out[f"{S.META}/{name}"] = ak.to_numpy(chunk.extra[name])
    if "targets" in chunk.fields:
        for res in chunk.targets.fields:
            for prod in chunk.targets[res].fields:
                out[f"{S.TARGETS}/{res}/{prod}"] = ak.to_numpy(chunk.targets[res][prod]).astype(np.int64)
    if "invisible" in chunk.fields:
        inv = {k: ak.to_numpy(chunk.invisible[k]) for k in chunk.invisible.fields}
        mask_inv = inv["mask"].astype(bool)
        out[f"{S.INVISIBLE}/data"] = invisible_arrays(inv["pt"], inv["eta"], inv["phi"], mask_inv)
        out[f"{S.INVISIBLE}/mask"] = mask_inv
        out[f"{S.INVISIBLE}/pdgId"] = inv["pdgId"].astype(np.int64)
    return out


def _check_targets(datasets: dict[str, np.ndarray], expected: set[str], selected: Path) -> None:
    """The chunk's truth targets are exactly the topology's products (simulation), or absent (data)."""
    found = {name for name in datasets if name.startswith(f"{S.TARGETS}/")}
    if found and found != expected:
        differ = sorted(found ^ expected)
        raise InputFileError(f"{selected}: truth targets differ from the stream's topology at {differ[0]} "
                             "(select it again with the stream's truth block)")


def build_pointcloud(selected: str | Path, output: str | Path, attrs: dict, topology: dict | None = None,
                     parameters: ParameterSpec | None = None) -> int:
    """Write the HDF5 point cloud of one sample; return the number of events.

    ``parameters``: hypothesis parameters stored per event (:mod:`evenet.pointcloud.parameters`).
    ``topology``: the stream's assignment topology (:func:`evenet.pointcloud.topology.assignment_topology`),
    stored as the ``topology`` attribute; the sample's truth targets must then be its products.
    """
    meta = read_metadata(selected)
    attrs = {**attrs, "selection": meta["selection"], "is_data": bool(meta["is_data"]), "label": int(meta["label"])}
    if topology is not None:
        attrs[T.ATTRIBUTE] = topology
    attrs = {k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in attrs.items()}
    expected = {f"{S.TARGETS}/{r}/{p}" for r, p in T.products(topology)} if topology else None
    with atomic_output(output) as tmp:
        writer = PointCloudWriter(tmp, attrs)
        for chunk in iterate_chunks(selected):
            datasets = chunk_datasets(chunk, parameters)
            if expected is not None:
                _check_targets(datasets, expected, Path(selected))
            features = FEATURES if parameters is None else {**FEATURES, PARAMETERS: parameters.names}
            writer.append(datasets, features)
        writer.group_attrs(S.META, {"event_id": meta["event_id"]})
        writer.close()
    log.info("%s: %d events", output, writer.n_events)
    return writer.n_events
