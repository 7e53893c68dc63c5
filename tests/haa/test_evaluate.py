"""analyses.haa.evaluate on hand-built predictions: known max SIC and purities, both readings
of the symmetries, and misaligned files refused."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from haa_testing import TOPOLOGY

from analyses.haa import evaluate
from evenet.results import read_result

N_SIG, N_BKG = 8, 40


def _truth(path):
    n = N_SIG + N_BKG
    label = np.r_[np.ones(N_SIG, np.int64), np.zeros(N_BKG, np.int64)]
    targets = np.full((n, 4), -1, np.int64)
    targets[:N_SIG] = [0, 1, 2, 3]
    targets[6:8, 2:] = -1  # two signal events with only a1 reconstructable
    with h5py.File(path, "w") as h:
        h.attrs["topology"] = json.dumps(TOPOLOGY)
        h["CLASSIFICATIONS/EVENT/process"] = label
        h["WEIGHTS/weight"] = np.ones(n, np.float32)
        h["META/event"] = np.arange(n, dtype=np.uint64)
        h["META/file"] = np.zeros(n, np.int32)
        for k, (r, p) in enumerate([("a1", "b1"), ("a1", "b2"), ("a2", "b1"), ("a2", "b2")]):
            h[f"TARGETS/{r}/{p}"] = targets[:, k]
    return path


def _predictions(path, events=None, group="assignment"):
    n = N_SIG + N_BKG
    score = np.r_[np.full(N_SIG, 0.9), np.arange(N_BKG) / 100.0]
    a1 = np.tile([0, 1], (n, 1))
    a2 = np.tile([2, 3], (n, 1))
    a1[1], a2[1] = [3, 2], [1, 0]   # a1 <-> a2 and b1 <-> b2: still correct
    a1[2], a2[2] = [1, 0], [2, 3]   # b1 <-> b2 in a1: correct
    a1[3], a2[3] = [0, 2], [1, 3]   # b's exchanged between the a's: wrong
    a1[4], a2[4] = [0, 1], [2, 4]   # a2 wrong
    a1[6], a2[6] = [1, 0], [4, 5]   # only a1 reconstructable: right
    a1[7], a2[7] = [0, 5], [1, 2]   # only a1 reconstructable: wrong
    with h5py.File(path, "w") as h:
        h["classification/probabilities"] = np.stack([1 - score, score], 1).astype(np.float32)
        h[f"{group}/a1"], h[f"{group}/a2"] = a1, a2
        if group != "assignment":  # an untrained assignment head beside it: every pairing wrong
            h["assignment/a1"], h["assignment/a2"] = np.tile([0, 2], (n, 1)), np.tile([1, 3], (n, 1))
        h["META/event"] = np.arange(n, dtype=np.uint64) if events is None else events
        h["META/file"] = np.zeros(n, np.int32)
    return path


def _metrics(path):
    path.write_text(json.dumps({"steps_to_min_val_loss": 42, "train_events": 30, "val_auc": 0.9,
                                "parameters": {"total": 1000}, "initialised_from": None}))
    return path


def test_known_sic_and_purities(tmp_path):
    run = tmp_path / "cls_asn" / "full_s0.05_seed3"
    run.mkdir(parents=True)
    out = tmp_path / "result.json"
    assert evaluate.main(["--predictions", str(_predictions(run / "predictions.h5")), "--metrics",
                          str(_metrics(run / "metrics.json")), "--truth", str(_truth(tmp_path / "test.h5")),
                          "--signal-label", "1", "-o", str(out)]) == 0
    result = read_result(out)
    numbers = {k: m.value for k, m in result.numbers.items()}
    # 10 of 40 unit-weight background events pass the best allowed cut, every signal event does.
    assert numbers["max_sic"] == pytest.approx(1 / np.sqrt(10 / 40))
    # six signal events with both a's: 0, 1, 2, 5 right; 3, 4 wrong
    assert numbers["event_purity"] == pytest.approx(4 / 6)
    # resonances: event 3 gets neither right, event 4 gets a1 right: (8 + 1) / 12
    assert numbers["particle_purity"] == pytest.approx(9 / 12)
    # >= 1 reconstructable: the six plus events 6 (right) and 7 (wrong)
    assert numbers["event_purity_any"] == pytest.approx(5 / 8)
    assert numbers["steps_to_min_val_loss"] == 42
    assert result.extra["run"] == {"model": "cls_asn", "variant": "full", "size": 0.05, "seed": 3}


def test_misaligned_predictions_are_refused(tmp_path, capsys):
    run = tmp_path / "cls_asn" / "full_s0.05_seed3"
    run.mkdir(parents=True)
    shuffled = np.roll(np.arange(N_SIG + N_BKG, dtype=np.uint64), 1)
    assert evaluate.main(["--predictions", str(_predictions(run / "predictions.h5", shuffled)), "--metrics",
                          str(_metrics(run / "metrics.json")), "--truth", str(_truth(tmp_path / "test.h5")),
                          "--signal-label", "1", "-o", str(tmp_path / "result.json")]) == 2
    assert "differ from the test export" in capsys.readouterr().err
    assert not (tmp_path / "result.json").exists()


def test_segmentation_pairing_is_read_when_asked(tmp_path):
    run = tmp_path / "cls_seg" / "full_s0.05_seed3"
    run.mkdir(parents=True)
    args = ["--predictions", str(_predictions(run / "predictions.h5", group="segmentation")), "--metrics",
            str(_metrics(run / "metrics.json")), "--truth", str(_truth(tmp_path / "test.h5")), "--signal-label", "1"]
    assert evaluate.main(args + ["--pairing-head", "segmentation", "-o", str(tmp_path / "seg.json")]) == 0
    assert evaluate.main(args + ["-o", str(tmp_path / "asn.json")]) == 0
    assert read_result(tmp_path / "seg.json").numbers["event_purity"].value == pytest.approx(4 / 6)
    assert read_result(tmp_path / "asn.json").numbers["event_purity"].value == 0.0


def test_missing_segmentation_pairing_is_refused(tmp_path, capsys):
    run = tmp_path / "cls_seg" / "full_s0.05_seed3"
    run.mkdir(parents=True)
    assert evaluate.main(["--predictions", str(_predictions(run / "predictions.h5")), "--metrics",
                          str(_metrics(run / "metrics.json")), "--truth", str(_truth(tmp_path / "test.h5")),
                          "--signal-label", "1", "--pairing-head", "segmentation",
                          "-o", str(tmp_path / "result.json")]) == 2
    assert "segmentation" in capsys.readouterr().err
    assert not (tmp_path / "result.json").exists()
