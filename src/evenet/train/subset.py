"""Training-size subsets (``data.train_fraction``, ``data.subset_seed``): a stratified draw.

The events of a split fall into strata: (sample, class label, number of resonances whose
products are all matched). A subset of fraction f keeps exactly ``stratum_count(N, f)``
= round(f x N) of the N events of every stratum, and at least one of every non-empty
stratum, so even the smallest subset holds every sample, both classes and the
reconstructable signal in the proportions of the split (a binomial draw per event can
leave a few-event subset without a single matched resonance).

Within a stratum the events kept are those with the smallest keys, uniform numbers drawn
per event from (seed, file name). The keys do not depend on the fraction, so for one seed
the subset of a smaller fraction lies inside that of a larger one; nor on the order of the
files, the chunking or the model, so every model (EveNet's variants, the SPANet export) at
one (fraction, seed) reads the same events.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np

from evenet.errors import InputFileError
from evenet.pointcloud import schema


def stratum_count(n: int, fraction: float) -> int:
    """Events kept of a stratum of ``n`` events: round(fraction x n), at least 1 of a non-empty one."""
    if fraction >= 1.0 or n == 0:
        return n
    return min(n, max(1, math.floor(fraction * n + 0.5)))


def event_strata(path: Path, rows: np.ndarray) -> tuple[str, np.ndarray, np.ndarray]:
    """Sample name, class labels and number of fully matched resonances of ``rows`` of one file."""
    try:
        with h5py.File(path, "r") as handle:
            sample = str(handle.attrs.get("sample", path.stem))
            labels = handle[schema.CLASSIFICATION][:][rows].astype(np.int64)
            matched = np.zeros(len(rows), np.int64)
            targets = handle.get(schema.TARGETS)
            for resonance in (targets.values() if targets is not None else []):
                complete = np.ones(len(rows), dtype=bool)
                for product in resonance.values():
                    complete &= product[:][rows] >= 0
                matched += complete
    except (OSError, KeyError) as err:
        raise InputFileError(f"{path}: cannot read the class labels and targets of the subset draw ({err})") from None
    return sample, labels, matched


def subset_masks(files: Sequence[Path], selected: Sequence[np.ndarray], fraction: float, seed: int) -> list[np.ndarray]:
    """Per-file keep flags: the stratified subset of ``fraction`` of the ``selected`` events."""
    masks = [np.asarray(s, dtype=bool).copy() for s in selected]
    if fraction >= 1.0:
        return masks
    samples: dict[str, int] = {}
    columns = []  # per file: (sample, label, matched, key, file, row)
    for i, (path, sel) in enumerate(zip(files, masks)):
        rows = np.flatnonzero(sel)
        sample, labels, matched = event_strata(path, rows)
        keys = np.random.default_rng([seed, zlib.crc32(path.name.encode())]).random(len(sel))[rows]
        code = samples.setdefault(sample, len(samples))
        columns.append((np.full(len(rows), code), labels, matched, keys, np.full(len(rows), i), rows))
        sel[:] = False
    sample, label, matched, key, file, row = (np.concatenate(c) for c in zip(*columns))
    order = np.lexsort((row, file, key, matched, label, sample))  # by stratum, then by key
    stratum = np.stack([sample, label, matched], axis=1)[order]
    starts = np.flatnonzero(np.r_[True, (stratum[1:] != stratum[:-1]).any(axis=1)])
    kept = np.concatenate([order[lo : lo + stratum_count(int(hi - lo), fraction)]
                           for lo, hi in zip(starts, np.r_[starts[1:], len(order)])])
    for i, mask in enumerate(masks):
        mask[row[kept[file[kept] == i]]] = True
    return masks
