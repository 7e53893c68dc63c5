"""Fixtures of the H -> aa -> 4b tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from haa_testing import write_haa_file


@pytest.fixture(scope="session")
def haa_stream(tmp_path_factory) -> list[Path]:
    """QCD (300 events) and signal (300 events) files of the synthetic stream."""
    directory = tmp_path_factory.mktemp("haa")
    return [write_haa_file(directory / "qcd.h5", 300, 0, 11), write_haa_file(directory / "signal.h5", 300, 1, 12)]
