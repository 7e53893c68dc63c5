"""Shared fixtures: the real reference files in ../shared/data, and the evenet CLI on PATH."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# Workflow tests run rules that call `evenet`: use the one installed beside this interpreter.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture(autouse=True)
def single_torch_thread():
    """Test tensors are tiny: torch's intra-op threads only add spin-wait overhead (20x on a loaded 2-core machine)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference files not present: {SHARED_DATA} (../shared sits beside CI's clone, not a user's)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def nanoaod(shared_data) -> Path:
    return shared_data / "nanoaod"
