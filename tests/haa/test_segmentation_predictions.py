"""Cls+Seg: `evenet predict` writes the segmentation head's pairing (``segmentation/<a>``) beside
the assignment head's, in the same layout, and it is a valid pairing of each event's objects."""

from __future__ import annotations

import h5py
import numpy as np
import torch
import yaml

from evenet.cli import main as evenet
from evenet.pointcloud.normalization import write_normalization
from evenet.train.config import load_config
from evenet.train.run import train
from haa_testing import ROOT


def test_predict_writes_a_valid_segmentation_pairing(haa_stream, tmp_path):
    cls_seg = yaml.safe_load((ROOT / "config" / "haa" / "haa.yaml").read_text())["models"]["cls_seg"]
    config = load_config(str(ROOT / "config" / "training" / "finetune_haa.yaml"), [
        "model.preset=tiny", f"model.heads={cls_seg['heads']}", f"loss_weights={cls_seg['loss_weights']}",
        "data.load_targets=true", "data.batch_size=32", "trainer.max_epochs=1", "trainer.threads=1",
        "schedule.warmup_steps=2", "data.event_weights=unit",
    ])
    torch.set_num_threads(1)
    write_normalization(haa_stream, tmp_path / "normalization.json")
    train(config, [str(f) for f in haa_stream], tmp_path / "run", normalization=str(tmp_path / "normalization.json"),
          checkpoint_every=50)
    assert evenet(["predict", "--checkpoint", str(tmp_path / "run" / "last.ckpt"), "--data",
                   *map(str, haa_stream), "--output", str(tmp_path / "p.h5")]) == 0
    with h5py.File(tmp_path / "p.h5") as h:
        a1, a2 = h["segmentation/a1"][:], h["segmentation/a2"][:]
        assert h["assignment/a1"].shape == a1.shape == a2.shape == (h.attrs["n_events"], 2)
        files, events = h["META/file"][:], h["META/event"][:]
    n_objects = {}
    for index, path in enumerate(haa_stream):
        with h5py.File(path) as source:
            counts = source["INPUTS/Source/mask"][:].sum(1)
            n_objects.update({(index, e): c for e, c in zip(source["META/event"][:], counts)})
    objects = np.array([n_objects[(f, e)] for f, e in zip(files, events)])
    both = np.concatenate([a1, a2], 1)
    enough = objects >= 4
    assert enough.any() and (both[enough] >= 0).all() and (both[enough] < objects[enough, None]).all()
    assert all(len(set(row)) == 4 for row in both[enough])  # the two a's share no object
    assert (np.diff(a1[enough], axis=1) > 0).all() and (np.diff(a2[enough], axis=1) > 0).all()
