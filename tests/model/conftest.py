"""Fixtures of the model tests; helpers live in model_fixtures.py."""

from __future__ import annotations

import pytest
import torch
from model_fixtures import make_batch


@pytest.fixture
def batch() -> dict[str, torch.Tensor]:
    return make_batch()
