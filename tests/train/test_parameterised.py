"""A parameterised classifier trains on the files' hypothesis parameters and is scored against a
chosen hypothesis (the X -> YH parameterised fine-tune)."""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest

from evenet.cli import main
from evenet.errors import InputFileError
from evenet.pointcloud.parameters import DATASET
from evenet.train.run import train


def with_parameters(files, tmp_path):
    """Copies of the synthetic files with (M_X, M_Y): signal (label 1) at 500/100, background drawn."""
    out = []
    for path in files:
        copy = tmp_path / path.name
        shutil.copy(path, copy)
        with h5py.File(copy, "a") as f:
            labels = f["CLASSIFICATIONS/EVENT/process"][:]
            rows = np.where(labels[:, None] == 1, [500.0, 100.0],
                            np.array([[300.0, 60.0], [500.0, 100.0]])[np.arange(len(labels)) % 2])
            f.create_dataset(DATASET, data=rows.astype(np.float32))
        out.append(copy)
    return out


def test_parameterised_training_and_prediction(stream, tmp_path, tiny_config):
    files, norm = stream
    config = tiny_config(**{"model.heads": "{classification: {num_classes: 2, num_parameters: 2, noised: false}}",
                            "trainer.max_epochs": 1, "ema.enabled": "false"})
    with pytest.raises(InputFileError, match="0 hypothesis parameters"):
        train(config, [str(f) for f in files], tmp_path / "bad", normalization=str(norm))
    files = with_parameters(files, tmp_path)
    metrics = train(config, [str(f) for f in files], tmp_path / "run", normalization=str(norm))
    assert metrics["steps"] > 0
    scores = {}
    for hypothesis in (["300", "60"], ["500", "100"]):
        out = tmp_path / f"pred_{hypothesis[0]}.h5"
        assert main(["predict", "--checkpoint", str(tmp_path / "run" / "best.ckpt"), "--data", *map(str, files),
                     "--parameters", *hypothesis, "--output", str(out)]) == 0
        with h5py.File(out) as f:
            assert list(f.attrs["parameters"]) == [float(h) for h in hypothesis]
            scores[hypothesis[0]] = f["classification/probabilities"][:, 1]
    assert not np.allclose(scores["300"], scores["500"])  # the hypothesis is an input
    assert main(["predict", "--checkpoint", str(tmp_path / "run" / "best.ckpt"), "--data", *map(str, files),
                 "--parameters", "500", "--output", str(tmp_path / "x.h5")]) != 0
