"""Build: selected events of one sample -> the point-cloud HDF5 file (docs/pointcloud.md)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import awkward as ak
import numpy as np

from evenet.atomic import atomic_output
from evenet.io.parquet import iterate_chunks, read_metadata
from evenet.pointcloud import schema as S
from evenet.pointcloud.features import FlatObjects, global_arrays, invisible_arrays, source_arrays
from evenet.pointcloud.writer import PointCloudWriter

log = logging.getLogger(__name__)

FEATURES = {
    f"{S.SOURCE}/data": S.SOURCE_FEATURES,
    f"{S.GLOBALS}/data": S.GLOBAL_FEATURES,
    f"{S.INVISIBLE}/data": S.INVISIBLE_FEATURES,
}


def chunk_datasets(chunk: ak.Array) -> dict[str, np.ndarray]:
    """All HDF5 datasets of one chunk of selected events."""
    flat = FlatObjects.from_jagged(chunk.objects)
    source, mask = source_arrays(flat)
    out = {
        f"{S.SOURCE}/data": source,
        f"{S.SOURCE}/mask": mask,
        f"{S.GLOBALS}/data": global_arrays(flat, chunk.MET),
        S.CLASSIFICATION: ak.to_numpy(chunk.label).astype(np.int64),
        S.WEIGHT: ak.to_numpy(chunk.weight).astype(np.float32),
    }
    for name in ("run", "luminosityBlock", "event"):
        out[f"{S.META}/{name}"] = ak.to_numpy(chunk[name]).astype(np.uint64)
    out[f"{S.META}/split"] = ak.to_numpy(chunk.split).astype(np.uint8)
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


def build_pointcloud(selected: str | Path, output: str | Path, attrs: dict) -> int:
    """Write the HDF5 point cloud of one sample; return the number of events."""
    meta = read_metadata(selected)
    attrs = {**attrs, "selection": meta["selection"], "is_data": bool(meta["is_data"]), "label": int(meta["label"])}
    attrs = {k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in attrs.items()}
    with atomic_output(output) as tmp:
        writer = PointCloudWriter(tmp, attrs)
        for chunk in iterate_chunks(selected):
            writer.append(chunk_datasets(chunk), FEATURES)
        writer.group_attrs(S.META, {"event_id": meta["event_id"]})
        writer.close()
    log.info("%s: %d events", output, writer.n_events)
    return writer.n_events
