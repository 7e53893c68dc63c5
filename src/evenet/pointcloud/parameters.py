"""Hypothesis parameters of a parameterised classifier (e.g. the (M_X, M_Y) of a mass grid).

A parameterised network (Baldi et al., arXiv:1601.07913) takes the hypothesis it
tests as an input. Signal events carry the parameters they were generated with;
background events, which have none, get one of the signal hypotheses each, drawn
uniformly and deterministically from the event identity (as the split is, see
:mod:`evenet.pointcloud.split`), so the network cannot tell the classes apart by
the parameter. ``build`` stores them as ``INPUTS/Parameters/data`` (N, P) with the
names as the ``features`` attribute.

Spec (JSON, ``evenet build --parameters``): ``{"names": [...], "values": [[...], ...],
"seed": 0}``: one row of ``values`` gives every event that row; several rows make
each event draw one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evenet.errors import ConfigError
from evenet.pointcloud.split import event_uniform

DATASET = "INPUTS/Parameters/data"


@dataclass(frozen=True)
class ParameterSpec:
    names: tuple[str, ...]
    values: np.ndarray  # (rows, P)
    seed: int = 0

    @classmethod
    def from_json(cls, spec: dict, where: str = "--parameters") -> "ParameterSpec":
        if not isinstance(spec, dict) or set(spec) - {"names", "values", "seed"} or not {"names", "values"} <= set(spec):
            raise ConfigError(f"{where}: expected {{names: [...], values: [[...], ...], seed: int}}")
        names = tuple(str(n) for n in spec["names"])
        try:
            values = np.asarray(spec["values"], dtype=np.float64)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: values must be a list of rows of numbers") from None
        if not names or values.ndim != 2 or values.shape[0] == 0 or values.shape[1] != len(names):
            raise ConfigError(f"{where}: values must be a non-empty list of rows of {len(names)} numbers")
        if not np.all(np.isfinite(values)):
            raise ConfigError(f"{where}: values must be finite")
        return cls(names, values, int(spec.get("seed", 0)))

    def assign(self, run: np.ndarray, lumi: np.ndarray, event: np.ndarray) -> np.ndarray:
        """(N, P) float32: the single row for every event, or one row per event drawn from its identity."""
        if len(self.values) == 1:
            return np.repeat(self.values.astype(np.float32), len(event), axis=0)
        u = event_uniform(run, lumi, event, self.seed)
        rows = np.minimum((u * len(self.values)).astype(np.int64), len(self.values) - 1)
        return self.values[rows].astype(np.float32)
