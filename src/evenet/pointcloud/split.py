"""Deterministic per-event train/val/test split.

Each event's split is a function of (run, luminosityBlock, event) and a seed
only, so it does not change with file order, chunk size or which other events
are processed: the same event lands in the same split in every stream.
"""

from __future__ import annotations

import numpy as np

from evenet.errors import ConfigError
from evenet.pointcloud.schema import SPLIT_CODES

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    # Steele, Lea & Flood, "Fast splittable pseudorandom number generators" (2014).
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def event_uniform(run: np.ndarray, lumi: np.ndarray, event: np.ndarray, seed: int) -> np.ndarray:
    """A number in [0, 1) per event, fixed by its identity and the seed."""
    h = _splitmix64(np.full(len(event), seed, dtype=np.uint64))
    for part in (run, lumi, event):
        h = _splitmix64(h ^ np.asarray(part, dtype=np.uint64))
    return (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def assign_split(run, lumi, event, fractions: dict[str, float], seed: int) -> np.ndarray:
    """Split code per event (0 train, 1 val, 2 test) for the given fractions."""
    unknown = set(fractions) - set(SPLIT_CODES)
    if unknown:
        raise ConfigError(f"split.fractions: unknown split(s) {sorted(unknown)} (known: train, val, test)")
    total = sum(fractions.values())
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(f"split.fractions: must sum to 1, got {total}")
    u = event_uniform(run, lumi, event, seed)
    codes = np.full(len(u), SPLIT_CODES["test"], dtype=np.uint8)
    edge = 0.0
    for name in ("train", "val", "test"):
        frac = fractions.get(name, 0.0)
        codes[(u >= edge) & (u < edge + frac)] = SPLIT_CODES[name]
        edge += frac
    return codes
