"""Training sizes of the haa scan: for one seed the smaller subset lies inside the larger one,
in `evenet train` and in the SPANet export alike."""

from __future__ import annotations

from pathlib import Path

import h5py
import yaml

from evenet.cli import main as evenet
from evenet.train.dataset import index_blocks

REPO = Path(__file__).resolve().parents[2]


def _train_rows(files, fraction, seed):
    return {(b.file, int(r)) for b in index_blocks(files, "train", 4096, fraction, seed) for r in b.rows}


def _exported(files, fraction, seed, path):
    assert evenet(["export", "spanet", *map(str, files), "-o", str(path), "--fraction", str(fraction),
                   "--subset-seed", str(seed)]) == 0
    with h5py.File(path, "r") as h:
        return set(zip(h["META/file"][:].tolist(), h["META/event"][:].tolist()))


def _events(files, rows):
    events = {}
    for i, path in enumerate(files):
        with h5py.File(path, "r") as h:
            events[i] = h["META/event"][:]
    return {(f, int(events[f][r])) for f, r in rows}


def test_sizes_of_the_config_give_nested_subsets(haa_stream, tmp_path):
    haa = yaml.safe_load((REPO / "config" / "haa" / "haa.yaml").read_text())
    fractions = sorted(s * haa["reference_fraction"] for s in haa["sizes"])
    for seed in (1, 2):
        rows = [_train_rows(haa_stream, f, seed) for f in fractions]
        for small, large in zip(rows, rows[1:]):
            assert small < large  # strictly inside
        exported = [_exported(haa_stream, f, seed, tmp_path / f"s{seed}_{f}.h5") for f in fractions[:2]]
        assert exported[0] < exported[1]
        assert exported[0] == _events(haa_stream, rows[0])  # SPANet trains on EveNet's events
    assert _train_rows(haa_stream, fractions[1], 1) != _train_rows(haa_stream, fractions[1], 2)
