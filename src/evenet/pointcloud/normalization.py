"""Normalisation statistics of a stream, from its training split only.

For every feature: the transform (``log1p`` or ``none``), whether it is
standardised, and the mean and standard deviation of the transformed values
over real (unmasked) entries of training events. The model stores these as
buffers, so a checkpoint carries the normalisation it was trained with.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from evenet.atomic import atomic_output
from evenet.errors import InputFileError
from evenet.pointcloud import schema as S

READ_ROWS = 65_536


def apply_transform(values: np.ndarray, transforms: list[str]) -> np.ndarray:
    out = values.astype(np.float64, copy=True)
    for i, name in enumerate(transforms):
        if name == "log1p":
            out[..., i] = np.log1p(np.maximum(out[..., i], 0.0))
    return out


class _Moments:
    def __init__(self, n_features: int):
        self.count = np.zeros(n_features)
        self.total = np.zeros(n_features)
        self.total_sq = np.zeros(n_features)

    def add(self, values: np.ndarray) -> None:
        self.count += len(values)
        self.total += values.sum(axis=0)
        self.total_sq += (values**2).sum(axis=0)

    def result(self, names, transform_table) -> dict:
        mean = np.divide(self.total, self.count, out=np.zeros_like(self.total), where=self.count > 0)
        var = np.divide(self.total_sq, self.count, out=np.zeros_like(self.total), where=self.count > 0) - mean**2
        std = np.sqrt(np.maximum(var, 0.0))
        normalize = [transform_table[n][1] for n in names]
        return {
            "features": list(names),
            "transform": [transform_table[n][0] for n in names],
            "normalize": normalize,
            "mean": [float(m) if z else 0.0 for m, z in zip(mean, normalize)],
            "std": [float(s) if (z and s > 0) else 1.0 for s, z in zip(std, normalize)],
            "count": int(self.count[0]) if len(self.count) else 0,
        }


def compute_normalization(files: list[str | Path]) -> dict:
    groups = {
        "source": (S.SOURCE, S.SOURCE_FEATURES, S.SOURCE_TRANSFORM),
        "globals": (S.GLOBALS, S.GLOBAL_FEATURES, S.GLOBAL_TRANSFORM),
        "invisible": (S.INVISIBLE, S.INVISIBLE_FEATURES, S.INVISIBLE_TRANSFORM),
    }
    moments = {k: _Moments(len(names)) for k, (_, names, _) in groups.items()}
    multiplicity = _Moments(1)  # objects per event, for the event-level diffusion of the multiplicity
    present = {k: False for k in groups}
    n_train = 0
    for path in files:
        try:
            h5 = h5py.File(path, "r")
        except OSError as exc:
            raise InputFileError(f"{path}: not a readable HDF5 file ({exc})") from None
        with h5:
            if f"{S.META}/split" not in h5:
                raise InputFileError(f"{path}: missing dataset '{S.META}/split'")
            n = h5[f"{S.META}/split"].shape[0]
            for start in range(0, n, READ_ROWS):
                train = h5[f"{S.META}/split"][start : start + READ_ROWS] == S.SPLIT_CODES["train"]
                n_train += int(train.sum())
                counts = h5[f"{S.SOURCE}/mask"][start : start + READ_ROWS][train].sum(axis=1)
                multiplicity.add(counts.astype(np.float64)[:, None])
                for key, (group, names, table) in groups.items():
                    if f"{group}/data" not in h5:
                        continue
                    present[key] = True
                    data = h5[f"{group}/data"][start : start + READ_ROWS][train]
                    transforms = [table[nm][0] for nm in names]
                    if f"{group}/mask" in h5:
                        mask = h5[f"{group}/mask"][start : start + READ_ROWS][train]
                        data = data[mask]
                    moments[key].add(apply_transform(data, transforms))
    out = {"schema_version": S.SCHEMA_VERSION, "n_train_events": n_train, "files": [str(f) for f in files]}
    for key, (_, names, table) in groups.items():
        if present[key]:
            out[key] = moments[key].result(names, table)
    out["multiplicity"] = multiplicity.result(("n_objects",), {"n_objects": ("none", True)})
    return out


def write_normalization(files: list[str | Path], output: str | Path) -> dict:
    stats = compute_normalization(files)
    with atomic_output(output) as tmp:
        tmp.write_text(json.dumps(stats, indent=2))
    return stats
