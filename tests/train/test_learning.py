"""Training learns the known structure of the synthetic stream (class 1 has 2x harder objects and
b-tags; the a1 products are always slots 0 and 1), and predictions reflect it."""

from __future__ import annotations

import h5py
import numpy as np
import yaml

from evenet.cli import main
from evenet.train.run import train


def test_classification_and_assignment_learn(stream, tmp_path, tiny_config):
    files, norm = stream
    config = tiny_config(**{
        "model.heads": "{classification: {num_classes: 2}, assignment: {topology: {resonances: "
                       "{a1: {products: [b1, b2], symmetric: [[b1, b2]]}}}}}",
        "trainer.max_epochs": 4, "optimizer.lr": "1e-3", "ema.enabled": "false",
        "optimizer.backbone_lr_scale": "0.1", "optimizer.bridge_lr_scale": "0.3",
    })
    metrics = train(config, [str(f) for f in files], tmp_path / "run", normalization=str(norm))
    # Random init (Scratch): the reduced module rates, meant for pretrained weights, are lifted.
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert saved["optimizer"]["backbone_lr_scale"] == saved["optimizer"]["bridge_lr_scale"] == 1.0
    assert metrics["steps"] == 4 * 30
    assert metrics["val_auc"] > 0.9  # chance is 0.5
    losses = [h["loss"] for h in metrics["history"]]
    assert min(losses[1:]) < losses[0]
    assert metrics["steps_to_min_val_loss"] == metrics["best"]["step"]

    out = tmp_path / "pred.h5"
    assert main(["predict", "--checkpoint", str(tmp_path / "run" / "best.ckpt"), "--data", *map(str, files),
                 "--output", str(out)]) == 0
    with h5py.File(out) as handle:
        choice = np.sort(handle["assignment/a1"][:], axis=1)
        assert choice.shape == (60, 2)
        assert (choice == [0, 1]).all(axis=1).mean() > 0.5  # chance over >= 2 of up to 18 objects is far lower
        assert handle["detection/a1"][:].min() >= 0.0
