"""Synthetic point-cloud files in the schema of docs/pointcloud.md, for tests and benchmarks.

Two classes with a known difference: class-1 events have harder objects (pt
scaled by ``signal_scale``) and one resonance a1 -> (b1, b2) whose products are
slots 0 and 1. Events carry two invisible particles. Splits follow the event
number (event % 10: 0-7 train, 8 val, 9 test).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from evenet.pointcloud import schema as S
from evenet.pointcloud.writer import PointCloudWriter

SPLIT_OF_DIGIT = np.array([0] * 8 + [1, 2], dtype=np.uint8)
# The assignment topology the files carry (docs/pointcloud.md, attribute ``topology``).
TOPOLOGY = {"resonances": {"a1": {"products": ["b1", "b2"], "symmetric": [["b1", "b2"]]}}}


def synthetic_events(n: int, label: int, seed: int, signal_scale: float = 2.0, first_event: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    n_obj = rng.integers(2, S.MAX_OBJECTS + 1, size=n)
    mask = np.arange(S.MAX_OBJECTS)[None, :] < n_obj[:, None]
    pt = rng.exponential(40.0, size=(n, S.MAX_OBJECTS)) + 20.0
    pt *= signal_scale if label == 1 else 1.0
    pt = -np.sort(-pt, axis=1)
    eta = rng.normal(0.0, 1.5, size=pt.shape)
    phi = rng.uniform(-np.pi, np.pi, size=pt.shape)
    energy = pt * np.cosh(eta)
    btag = (rng.random(pt.shape) < (0.6 if label == 1 else 0.2)).astype(float)
    source = np.stack([energy, pt, eta, phi, btag, np.zeros_like(pt), np.zeros_like(pt)], axis=-1)
    source = (source * mask[..., None]).astype(np.float32)
    met = rng.exponential(30.0, size=n)
    ht = (pt * mask).sum(1)
    globals_ = np.zeros((n, len(S.GLOBAL_FEATURES)), np.float32)
    globals_[:, 0], globals_[:, 1] = met, rng.uniform(-np.pi, np.pi, n)
    globals_[:, 3], globals_[:, 4], globals_[:, 5] = (btag * mask).sum(1), n_obj, ht
    globals_[:, 7] = ht * 1.1
    inv_pt = rng.exponential(30.0, size=(n, 2)) + 5.0
    inv_eta = rng.normal(0.0, 1.0, size=(n, 2))
    invisible = np.stack([inv_pt * np.cosh(inv_eta), inv_pt, inv_eta, rng.uniform(-np.pi, np.pi, (n, 2))], -1)
    events = first_event + np.arange(n, dtype=np.uint64)
    return {
        f"{S.SOURCE}/data": source, f"{S.SOURCE}/mask": mask,
        f"{S.GLOBALS}/data": globals_,
        f"{S.INVISIBLE}/data": invisible.astype(np.float32), f"{S.INVISIBLE}/mask": np.ones((n, 2), bool),
        S.CLASSIFICATION: np.full(n, label, np.int64),
        f"{S.TARGETS}/a1/b1": np.zeros(n, np.int64), f"{S.TARGETS}/a1/b2": np.ones(n, np.int64),
        S.WEIGHT: np.full(n, 0.5 + label, np.float32),
        f"{S.META}/run": np.ones(n, np.uint64), f"{S.META}/luminosityBlock": np.ones(n, np.uint64),
        f"{S.META}/event": events, f"{S.META}/split": SPLIT_OF_DIGIT[events % 10],
    }


def write_synthetic_file(path: Path, n: int, label: int, seed: int, signal_scale: float = 2.0,
                         chunk: int = 1000) -> Path:
    """One file of ``n`` events of class ``label`` (written in chunks of ``chunk`` events)."""
    writer = PointCloudWriter(path, {"stream": "synthetic", "sample": path.stem, "selection": "none", "label": label,
                                     "is_data": False, "class_names": json.dumps(["background", "signal"]),
                                     "topology": json.dumps(TOPOLOGY)})
    features = {f"{S.SOURCE}/data": S.SOURCE_FEATURES, f"{S.GLOBALS}/data": S.GLOBAL_FEATURES,
                f"{S.INVISIBLE}/data": S.INVISIBLE_FEATURES}
    for start in range(0, n, chunk):
        count = min(chunk, n - start)
        writer.append(synthetic_events(count, label, seed + start, signal_scale, first_event=start), features)
    writer.close()
    return path


def write_synthetic_stream(directory: Path, events_per_class: int = 400, seed: int = 0) -> tuple[list[Path], Path]:
    """Background and signal files plus their normalization.json; returns (files, normalisation path)."""
    from evenet.pointcloud.normalization import write_normalization

    directory.mkdir(parents=True, exist_ok=True)
    files = [write_synthetic_file(directory / f"{name}.h5", events_per_class, label, seed + 7919 * label)
             for label, name in enumerate(("background", "signal"))]
    norm = directory / "normalization.json"
    write_normalization(files, norm)
    return files, norm
