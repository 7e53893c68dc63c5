"""Shared fixtures of the training tests: a tiny synthetic stream (schema of docs/pointcloud.md)."""

from __future__ import annotations

import pytest

from evenet.train.config import load_config
from evenet.train.synthetic import write_synthetic_stream


@pytest.fixture(scope="session")
def stream(tmp_path_factory):
    """(files, normalization path): 300 background + 300 signal events."""
    return write_synthetic_stream(tmp_path_factory.mktemp("stream"), events_per_class=300, seed=3)


def _tiny_config(**sections) -> dict:
    base = [
        "model.preset=tiny",
        "model.heads={classification: {num_classes: 2}, point_cloud_generation: {}}",
        "data.batch_size=16", "data.chunk_size=64", "data.shuffle_blocks=2",
        "trainer.max_epochs=2", "trainer.threads=1", "schedule.warmup_steps=5",
        "ema.decay=0.9",
    ]
    return load_config(None, base + [f"{k}={v}" for k, v in sections.items()])


@pytest.fixture(scope="session")
def tiny_config():
    """Factory of tiny-preset configs; keyword arguments are dotted overrides (``**{"data.batch_size": 8}``)."""
    return _tiny_config
