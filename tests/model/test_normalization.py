"""Normalisation buffers: known values, inverse, both JSON layouts, and errors naming the key."""

from __future__ import annotations

import math

import pytest
import torch

from evenet.errors import ConfigError
from evenet.model.normalization import FeatureNormalizer, apply_statistics


def test_known_values_and_padding():
    norm = FeatureNormalizer(3)
    norm.set_statistics(["log1p", "none", "none"], [1.0, 2.0, 5.0], [2.0, 4.0, 9.0], [True, True, False])
    x = torch.tensor([[[math.e - 1.0, 10.0, 1.0], [7.0, 7.0, 7.0]]])
    out = norm(x, torch.tensor([[True, False]]))
    assert torch.allclose(out[0, 0], torch.tensor([0.0, 2.0, 1.0]))  # categorical feature untouched
    assert (out[0, 1] == 0).all()


def test_inverse_round_trip_with_uniform_feature():
    norm = FeatureNormalizer(2)
    norm.set_statistics(["log1p", "none"], [3.0, 0.0], [1.0, math.pi / math.sqrt(3)], [True, True],
                        uniform=[False, True])
    x = torch.tensor([[40.0, 2.5], [3.0, -1.0]])
    z = norm(x)
    assert abs(z[0, 1].item() - 1.26961) < 1e-4  # Phi^-1((2.5 + pi) / (2 pi)), scipy.stats.norm.ppf
    assert torch.allclose(norm.inverse(z), x, rtol=1e-5)


def test_per_feature_layout_equals_list_layout():
    a, b = FeatureNormalizer(2), FeatureNormalizer(2)
    apply_statistics(a, {"source": {"pt": {"transform": "log1p", "mean": 1.0, "std": 2.0, "normalize": True},
                                    "btag": {"transform": "none", "mean": 0.5, "std": 0.5, "normalize": False}}},
                     "source")
    apply_statistics(b, {"source": {"features": ["pt", "btag"], "transform": ["log1p", "none"],
                                    "mean": [1.0, 0.5], "std": [2.0, 0.5], "normalize": [True, False]}}, "source")
    for name in ("log1p", "mean", "std"):
        assert torch.equal(getattr(a, name), getattr(b, name))
    assert a.mean[1] == 0 and a.std[1] == 1


def test_errors_name_the_key():
    with pytest.raises(ConfigError, match="globals"):
        apply_statistics(FeatureNormalizer(2), {"source": {}}, "globals")
    with pytest.raises(ConfigError, match="'source'.*3 entries"):
        apply_statistics(FeatureNormalizer(2), {"source": {"mean": [0, 0, 0], "std": [1, 1, 1]}}, "source")
    with pytest.raises(ConfigError, match="sqrt"):
        apply_statistics(FeatureNormalizer(1), {"source": {"transform": ["sqrt"], "mean": [0], "std": [1]}}, "source")
