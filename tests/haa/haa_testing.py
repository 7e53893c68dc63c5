"""Helpers of the H -> aa -> 4b tests: a tiny synthetic stream with two identical resonances a1, a2 -> (b1, b2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from evenet.pointcloud import schema as S
from evenet.pointcloud.writer import PointCloudWriter
from evenet.train.synthetic import synthetic_events

TOPOLOGY = {"resonances": {"a1": {"products": ["b1", "b2"], "symmetric": [["b1", "b2"]]},
                           "a2": {"products": ["b1", "b2"], "symmetric": [["b1", "b2"]]}},
            "identical": [["a1", "a2"]]}
ROOT = Path(__file__).resolve().parents[2]
SPANET_PYTHON = ROOT / ".venv-spanet" / "bin" / "python"
NO_SPANET = "SPANet side environment .venv-spanet absent (build it with `make spanet-env`)"


def haa_events(n: int, label: int, seed: int) -> dict:
    """Synthetic events; signal has four b slots among the first six objects, some unmatched."""
    events = synthetic_events(n, label, seed)
    del events[f"{S.TARGETS}/a1/b1"], events[f"{S.TARGETS}/a1/b2"]
    rng = np.random.default_rng(seed + 1)
    n_obj = events[f"{S.SOURCE}/mask"].sum(1)
    slots = np.full((n, 4), -1, np.int64)
    if label == 1:
        for i in range(n):
            chosen = rng.permutation(min(int(n_obj[i]), 6))[:4]
            slots[i, : len(chosen)] = chosen
        slots[rng.random((n, 4)) < 0.15] = -1
    for k, (res, prod) in enumerate([("a1", "b1"), ("a1", "b2"), ("a2", "b1"), ("a2", "b2")]):
        events[f"{S.TARGETS}/{res}/{prod}"] = slots[:, k]
    return events


def write_haa_file(path: Path, n: int, label: int, seed: int) -> Path:
    writer = PointCloudWriter(path, {"stream": "haa", "sample": path.stem, "selection": "haa", "label": label,
                                     "is_data": False, "class_names": json.dumps(["QCD", "signal"]),
                                     "topology": json.dumps(TOPOLOGY)})
    writer.append(haa_events(n, label, seed), {f"{S.SOURCE}/data": S.SOURCE_FEATURES,
                                               f"{S.GLOBALS}/data": S.GLOBAL_FEATURES,
                                               f"{S.INVISIBLE}/data": S.INVISIBLE_FEATURES})
    writer.close()
    return path
