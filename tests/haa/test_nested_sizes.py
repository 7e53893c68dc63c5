"""Training sizes of the haa scan: for one seed the smaller subset lies inside the larger one,
in `evenet train` and in the SPANet export alike; every subset keeps the class balance and the
reconstructable-signal fraction of the training split (a stratified draw)."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import h5py
import numpy as np
import yaml

from evenet.cli import main as evenet
from evenet.train.dataset import index_blocks

REPO = Path(__file__).resolve().parents[2]


def _fractions():
    haa = yaml.safe_load((REPO / "config" / "haa" / "haa.yaml").read_text())
    return sorted(s * haa["reference_fraction"] for s in haa["sizes"])


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
    fractions = _fractions()
    for seed in (1, 2):
        rows = [_train_rows(haa_stream, f, seed) for f in fractions]
        for small, large in zip(rows, rows[1:]):
            assert small < large  # strictly inside
        exported = [_exported(haa_stream, f, seed, tmp_path / f"s{seed}_{f}.h5") for f in fractions[:2]]
        assert exported[0] < exported[1]
        assert exported[0] == _events(haa_stream, rows[0])  # SPANet trains on EveNet's events
    assert _train_rows(haa_stream, fractions[1], 1) != _train_rows(haa_stream, fractions[1], 2)


def _strata(files) -> dict[tuple[int, int], tuple[int, int, int]]:
    """(file, row) of each training event -> (file, class label, number of a's with both b's matched)."""
    out = {}
    for i, path in enumerate(files):
        with h5py.File(path, "r") as h:
            label = h["CLASSIFICATIONS/EVENT/process"][:]
            matched = sum((h[f"TARGETS/{a}/b1"][:] >= 0) & (h[f"TARGETS/{a}/b2"][:] >= 0) for a in ("a1", "a2"))
            for r in np.flatnonzero(h["META/split"][:] == 0):
                out[i, int(r)] = (i, int(label[r]), int(matched[r]))
    return out


def test_subsets_keep_every_stratum_with_exact_counts(haa_stream):
    strata = _strata(haa_stream)
    split = Counter(strata.values())
    assert {m for (_, label, m) in split if label == 1} == {0, 1, 2}  # the test stream has all three
    for fraction in _fractions():
        for seed in (1, 2, 3, 4, 5):
            kept = Counter(strata[row] for row in _train_rows(haa_stream, fraction, seed))
            # round(f x N) of every stratum, one at least: no subset without reconstructable signal
            assert kept == {s: max(1, math.floor(fraction * n + 0.5)) for s, n in split.items()}
    # A size far below one event per stratum still keeps one event of each.
    assert Counter(strata[row] for row in _train_rows(haa_stream, 1e-3, 1)) == {s: 1 for s in split}
