"""Input normalisation stored inside the model as buffers.

The data pipeline writes, from the training split only, a JSON artifact with
one entry per feature group (``source``, ``globals``, ``invisible``; optional
``multiplicity``). Each feature has ``transform`` ("none" | "log1p"), ``mean``
and ``std`` (of the transformed value) and ``normalize`` (categorical
features such as btag, isLepton, charge are left as they are). Two layouts are
accepted for a group::

    {"energy": {"transform": "log1p", "mean": 3.9, "std": 1.0, "normalize": true}, ...}
    {"names": [...], "transform": [...], "mean": [...], "std": [...], "normalize": [...]}

An optional per-feature ``uniform: true`` maps a standardised uniform variable
(e.g. phi) to a Gaussian through the inverse normal CDF, as the released
EveNet does.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from torch import Tensor, nn

from evenet.errors import ConfigError, InputFileError

TRANSFORMS = ("none", "log1p")
_SQRT3 = math.sqrt(3.0)


class FeatureNormalizer(nn.Module):
    """x -> (transform(x) - mean) / std per feature (where ``normalize``), zero in padding."""

    def __init__(self, num_features: int):
        super().__init__()
        self.register_buffer("log1p", torch.zeros(num_features, dtype=torch.bool))
        self.register_buffer("uniform", torch.zeros(num_features, dtype=torch.bool))
        self.register_buffer("mean", torch.zeros(num_features))
        self.register_buffer("std", torch.ones(num_features))

    @property
    def num_features(self) -> int:
        return self.mean.numel()

    def set_statistics(self, transform, mean, std, normalize, uniform=None) -> None:
        n = self.num_features
        for name, values in (("transform", transform), ("mean", mean), ("std", std), ("normalize", normalize)):
            if len(values) != n:
                raise ConfigError(f"normalisation {name!r} has {len(values)} entries, expected {n}")
        for t in transform:
            if t not in TRANSFORMS:
                raise ConfigError(f"normalisation transform {t!r} is not one of {TRANSFORMS}")
        normalize = torch.tensor([bool(v) for v in normalize])
        self.log1p.copy_(torch.tensor([t == "log1p" for t in transform]))
        self.uniform.copy_(torch.tensor([bool(v) for v in (uniform or [False] * n)]))
        self.mean.copy_(torch.where(normalize, torch.tensor(mean, dtype=torch.float32), 0.0))
        self.std.copy_(torch.where(normalize, torch.tensor(std, dtype=torch.float32), 1.0).clamp(min=1e-6))

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """``x``: (..., F); ``mask``: (...) bool or None. Log features are clamped at 0 first."""
        x = torch.where(self.log1p, torch.log1p(x.clamp(min=0.0)), x)
        x = (x - self.mean) / self.std
        p = ((x + _SQRT3) / (2.0 * _SQRT3)).clamp(1e-6, 1.0 - 1e-6)
        x = torch.where(self.uniform, math.sqrt(2.0) * torch.erfinv(2.0 * p - 1.0), x)
        if mask is not None:
            x = x * mask.unsqueeze(-1).to(x.dtype)
        return x

    def inverse(self, z: Tensor, mask: Tensor | None = None) -> Tensor:
        """Back to physical units (undoes :meth:`forward`)."""
        u = 0.5 * (1.0 + torch.erf(z / math.sqrt(2.0)))
        z = torch.where(self.uniform, u * 2.0 * _SQRT3 - _SQRT3, z)
        x = z * self.std + self.mean
        x = torch.where(self.log1p, torch.expm1(x), x)
        if mask is not None:
            x = x * mask.unsqueeze(-1).to(x.dtype)
        return x


def _group_lists(group: dict, key: str) -> tuple[list, list, list, list, list]:
    if "mean" in group and isinstance(group["mean"], list):
        n = len(group["mean"])
        return (
            list(group.get("transform", ["none"] * n)),
            list(group["mean"]),
            list(group["std"]),
            list(group.get("normalize", [True] * n)),
            list(group.get("uniform", [False] * n)),
        )
    columns: tuple[list, ...] = ([], [], [], [], [])
    for feature, spec in group.items():
        if not isinstance(spec, dict) or "mean" not in spec or "std" not in spec:
            raise ConfigError(f"normalisation {key}.{feature} needs 'mean' and 'std'")
        columns[0].append(spec.get("transform", "none"))
        columns[1].append(float(spec["mean"]))
        columns[2].append(float(spec["std"]))
        columns[3].append(bool(spec.get("normalize", True)))
        columns[4].append(bool(spec.get("uniform", False)))
    return columns


def apply_statistics(normalizer: FeatureNormalizer, statistics: dict, key: str) -> None:
    """Fill ``normalizer`` from the group ``key`` of a normalisation dict (see module doc)."""
    if key not in statistics:
        raise ConfigError(f"normalisation has no group {key!r}")
    transform, mean, std, normalize, uniform = _group_lists(statistics[key], key)
    try:
        normalizer.set_statistics(transform, mean, std, normalize, uniform)
    except ConfigError as err:
        raise ConfigError(f"normalisation group {key!r}: {err}") from None


def load_statistics(path: str | Path) -> dict:
    """Read the normalisation JSON artifact."""
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, json.JSONDecodeError) as err:
        raise InputFileError(f"{path}: cannot read normalisation JSON ({err})") from None
