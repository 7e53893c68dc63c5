"""The lite preset computes the same function as evenet-core's 20M network.

tests/compat/evenet_core_reference.py runs in the side environment
(.venv-evenet-core, from envs/evenet-core-side.txt): it builds the released
network with a fixed seed, perturbs the weights and saves its state dict, the
inputs and its outputs. Here the state dict is imported into our model and
every output must agree to 1e-4 relative (max |ours - theirs| / max |theirs|).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import torch

from evenet.model.convert import load_evenet_core_state_dict
from evenet.model.network import build_model

ROOT = Path(__file__).resolve().parents[2]
SIDE_PYTHON = ROOT / ".venv-evenet-core" / "bin" / "python"
SCRIPT = ROOT / "tests" / "compat" / "evenet_core_reference.py"

pytestmark = [pytest.mark.compat, pytest.mark.slow]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    if not SIDE_PYTHON.exists():
        pytest.skip(f"side environment missing: {SIDE_PYTHON} (create it from envs/evenet-core-side.txt)")
    outdir = tmp_path_factory.mktemp("evenet_core")
    # Without PYTHONPATH: a path to this project's src would shadow evenet-core (both import as evenet).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([str(SIDE_PYTHON), str(SCRIPT), str(outdir)], check=True, cwd=ROOT, timeout=600, env=env)
    return torch.load(outdir / "reference.pt", weights_only=False)


@pytest.fixture(scope="module")
def ours(reference) -> dict:
    model = build_model("lite", reference["heads"], reference["normalization"])
    load_evenet_core_state_dict(model, reference["state_dict"])
    model.eval()
    inputs = reference["inputs"]
    batch = {k: inputs[k] for k in ("source", "source_mask", "globals", "invisible", "invisible_mask")}
    with torch.no_grad():
        norm = model.normalize(batch)
        return {
            "logits": model.predict(batch)["classification"]["logits"],
            "v_objects": model.point_cloud_velocity(inputs["x_t_objects"], inputs["t"], norm, norm["mask"]),
            "v_invisible": model.invisible_velocity(inputs["x_t_invisible"], inputs["t"], norm, norm["invisible_mask"]),
            "v_globals": model.globals_velocity(inputs["x_t_globals"], inputs["t"], norm),
        }


@pytest.mark.parametrize("output", ["logits", "v_objects", "v_invisible", "v_globals"])
def test_same_outputs_as_evenet_core(reference, ours, output):
    theirs = reference["outputs"][output]
    assert ours[output].shape == theirs.shape
    assert theirs.abs().max() > 0.1  # the comparison is not between near-zero outputs
    relative = (ours[output] - theirs).abs().max() / theirs.abs().max()
    assert relative < 1e-4, f"{output}: max relative deviation {relative:.2e}"


def test_inputs_cover_sparse_and_full_events(reference):
    counts = reference["inputs"]["source_mask"].sum(1)
    assert counts.min() < 4 <= counts.max() == 18  # fewer objects than k+1 neighbours, and a full event
