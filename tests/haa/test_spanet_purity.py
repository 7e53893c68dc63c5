"""SPANet trained in its side environment: our event purity on its predictions is its own."""

from __future__ import annotations

import json
import os
import subprocess

import h5py
import numpy as np
import pytest
from haa_testing import NO_SPANET, ROOT, SPANET_PYTHON

from evenet.cli import main as evenet
from evenet.stats.pairing import pairing_purity

TINY = {"epochs": 2, "batch_size": 32, "hidden_dim": 16, "transformer_dim": 16, "num_encoder_layers": 1,
        "num_branch_encoder_layers": 1, "num_embedding_layers": 1, "learning_rate": 1e-3}


@pytest.mark.slow
@pytest.mark.skipif(not SPANET_PYTHON.exists(), reason=NO_SPANET)
def test_our_purity_on_spanet_predictions_equals_spanets(haa_stream, tmp_path):
    files = list(map(str, haa_stream))
    for split in ("train", "val", "test"):
        info = ["--event-info", str(tmp_path / "event.yaml")] if split == "train" else []
        assert evenet(["export", "spanet", *files, "-o", str(tmp_path / f"{split}.h5"), "--split", split, *info]) == 0
    subprocess.run([str(SPANET_PYTHON), "-m", "analyses.haa.spanet_train", "--event-info", str(tmp_path / "event.yaml"),
                    "--train", str(tmp_path / "train.h5"), "--val", str(tmp_path / "val.h5"),
                    "--test", str(tmp_path / "test.h5"), "--options", json.dumps(TINY), "--output",
                    str(tmp_path / "run")], cwd=ROOT, check=True, capture_output=True, timeout=600,
                   env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    spanet = json.loads((tmp_path / "run" / "spanet.json").read_text())["purity"]
    with h5py.File(tmp_path / "run" / "predictions.h5", "r") as p, h5py.File(tmp_path / "test.h5", "r") as t:
        topology = json.loads(t.attrs["topology"])
        predicted = {r: p[f"assignment/{r}"][:] for r in ("a1", "a2")}
        truth = {r: {q: t[f"TARGETS/{r}/{q}"][:] for q in ("b1", "b2")} for r in ("a1", "a2")}
        assert p["classification/probabilities"].shape == (len(t["CLASSIFICATIONS/EVENT/process"]), 2)
        np.testing.assert_array_equal(p["META/event"][:], t["META/event"][:])
    report = pairing_purity(predicted, truth, topology)
    # SPANet's categories: "2a" both a's reconstructable, "1a" one, "*a" at least one.
    for ours, theirs in (("2", "2a"), ("1", "1a"), ("all", "*a")):
        row = report.row(ours)
        assert row.event_purity.value == pytest.approx(spanet[f"Purity/{theirs}/event_purity"], abs=1e-12)
        assert row.particle_purity.value == pytest.approx(spanet[f"Purity/{theirs}/a_purity"], abs=1e-12)
        assert row.event_fraction.value == pytest.approx(spanet[f"Purity/{theirs}/event_proportion"], abs=1e-12)


def test_bad_input_ends_with_one_line(tmp_path, capsys):
    """Checked before SPANet is imported, so this runs in the main environment too."""
    from analyses.haa import spanet_train

    (tmp_path / "event.yaml").write_text("{}")
    argv = ["--event-info", str(tmp_path / "event.yaml"), "--train", str(tmp_path / "missing.h5"),
            "--val", str(tmp_path / "event.yaml"), "--test", str(tmp_path / "event.yaml"), "--output", str(tmp_path / "run")]
    assert spanet_train.main(argv) == 2
    assert capsys.readouterr().err == f"python -m analyses.haa.spanet_train: error: --train {tmp_path}/missing.h5: no such file\n"
    assert not (tmp_path / "run").exists()
