"""`evenet train` checks its data against its config before it writes anything (issue 9, items 5 and 11).

Each bad input stops with one line naming the file or key, exit code 2, and an
output directory that holds no config.yaml, checkpoint or metrics.json.
"""

from __future__ import annotations

import json
import shutil

import h5py
import numpy as np
import pytest
import yaml

from evenet.cli import main
from evenet.errors import ConfigError, InputFileError
from evenet.pointcloud import schema as S
from evenet.train.config import load_config
from evenet.train.inputs import prepare
from evenet.train.synthetic import TOPOLOGY

TINY = {
    "model": {"preset": "tiny", "heads": {"classification": {"num_classes": 2}}},
    "data": {"batch_size": 16, "chunk_size": 64, "shuffle_blocks": 2},
    "trainer": {"max_epochs": 1, "threads": 1},
    "schedule": {"warmup_steps": 2},
}
OUTPUTS = ("config.yaml", "last.ckpt", "best.ckpt", "metrics.json", "resume")


def _copy(stream, tmp_path):
    files, norm = stream
    out = tmp_path / "data"
    out.mkdir()
    return [shutil.copy(f, out / f.name) for f in files], norm


def _train(tmp_path, files, norm, config: dict, capsys) -> str:
    """Run `evenet train` on ``files``; assert exit code 2 and nothing written; return the error line."""
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "run"
    code = main(["train", "--config", str(path), "--data", *map(str, files), "--normalization", str(norm),
                 "--output", str(out)])
    err = capsys.readouterr().err.strip().splitlines()[-1]  # Lightning's log lines may come before it
    assert code == 2, err
    assert err.startswith("evenet train: error:")
    assert not any((out / name).exists() for name in OUTPUTS), sorted(p.name for p in out.iterdir())
    return err


def _with(config: dict, **heads) -> dict:
    return {**config, "model": {**config["model"], "heads": heads}}


# ---------------------------------------------------------------- item 5: nothing silently dropped
def test_topology_is_taken_from_the_data(stream):
    files, _ = stream
    config = load_config(None, ["model.heads={classification: {num_classes: 2}, assignment: {}}"])
    prepared = prepare(config, files)
    assert prepared["model"]["heads"]["assignment"]["topology"] == TOPOLOGY
    assert "topology" not in config["model"]["heads"]["assignment"]  # the caller's config is left as it was


def test_files_with_different_topologies_are_an_error(stream, tmp_path):
    files, _ = _copy(stream, tmp_path)
    with h5py.File(files[1], "a") as handle:
        handle.attrs["topology"] = json.dumps({"resonances": {"a1": {"products": ["b1", "b2"], "symmetric": []}}})
    config = load_config(None, ["model.heads={assignment: {}}"])
    with pytest.raises(InputFileError, match=r"signal\.h5: assignment topologies .* differ from those of .*background\.h5"):
        prepare(config, files)


def test_product_missing_from_the_data_is_named(stream, tmp_path, capsys):
    files, norm = stream
    heads = {"assignment": {"topology": {"resonances": {"a1": {"products": ["b1", "b3"]}}}}}
    err = _train(tmp_path, files, norm, _with(TINY, **heads), capsys)
    assert "TARGETS/a1/b3" in err and "'b3'" in err and "background.h5" in err


def test_topology_needed_but_absent(stream, tmp_path, capsys):
    files, norm = _copy(stream, tmp_path)
    for path in files:
        with h5py.File(path, "a") as handle:
            del handle.attrs["topology"]
    err = _train(tmp_path, files, norm, _with(TINY, assignment={}), capsys)
    assert "heads.assignment.topology: not given" in err


def test_neutrino_head_without_invisible_targets(stream, tmp_path, capsys):
    files, norm = _copy(stream, tmp_path)
    with h5py.File(files[1], "a") as handle:
        del handle[S.INVISIBLE]
    err = _train(tmp_path, files, norm, _with(TINY, neutrino_generation={}), capsys)
    assert "signal.h5: no dataset INPUTS/Invisible/mask" in err and "neutrino_generation" in err


def test_neutrino_head_with_no_invisible_particle(stream, tmp_path, capsys):
    files, norm = _copy(stream, tmp_path)
    for path in files:
        with h5py.File(path, "a") as handle:
            handle[f"{S.INVISIBLE}/mask"][...] = False
    err = _train(tmp_path, files, norm, _with(TINY, neutrino_generation={}), capsys)
    assert "INPUTS/Invisible/mask: no training event has an invisible particle" in err


# ---------------------------------------------------------------- item 11: checks before writing
def test_unknown_head_option_is_rejected_when_the_config_is_read(stream, tmp_path, capsys):
    files, norm = stream
    heads = {"classification": {"num_classes": 2}, "assignment": {"topology": TOPOLOGY, "num_layer": 2}}
    err = _train(tmp_path, files, norm, _with(TINY, **heads), capsys)
    assert "heads.assignment: unknown option(s) num_layer" in err and "num_layers" in err  # accepted ones listed
    with pytest.raises(ConfigError, match="heads.point_cloud_generation: unknown option"):
        load_config(None, ["model.heads={point_cloud_generation: {num_label: 3}}"])
    with pytest.raises(ConfigError, match=r"heads.classification.num_classes is required"):
        load_config(None, ["model.heads={classification: {}}"])


def test_label_beyond_num_classes(stream, tmp_path, capsys):
    files, norm = _copy(stream, tmp_path)
    with h5py.File(files[1], "a") as handle:
        handle[S.CLASSIFICATION][5] = 2
    err = _train(tmp_path, files, norm, TINY, capsys)
    assert "signal.h5: process label 2 outside 0..1 of heads.classification.num_classes (2)" in err


def test_label_beyond_num_labels_of_a_conditioned_generation_head(stream, tmp_path, capsys):
    files, norm = _copy(stream, tmp_path)
    with h5py.File(files[1], "a") as handle:
        handle[S.CLASSIFICATION][7] = 2
    err = _train(tmp_path, files, norm, _with(TINY, point_cloud_generation={"num_labels": 2}), capsys)
    assert "signal.h5: process label 2 outside 0..1 of heads.point_cloud_generation.num_labels (2)" in err
    unconditioned = load_config(None, ["model.heads={point_cloud_generation: {num_labels: 1}}"])
    assert prepare(unconditioned, files)  # one label: the process is not used, so any label will do


def test_class_names_that_disagree_with_the_config(stream, tmp_path, capsys):
    files, norm = stream
    err = _train(tmp_path, files, norm, _with(TINY, classification={"num_classes": 3}), capsys)
    assert "heads.classification.num_classes is 3 but the stream has 2 classes (background, signal" in err


def test_files_whose_class_names_differ(stream, tmp_path, capsys):
    files, norm = _copy(stream, tmp_path)
    with h5py.File(files[1], "a") as handle:
        handle.attrs["class_names"] = json.dumps(["signal", "background"])
    err = _train(tmp_path, files, norm, TINY, capsys)
    assert 'signal.h5: class_names ["signal", "background"] differ from those of' in err


def test_non_finite_loss_stops_and_leaves_nothing(stream, tmp_path, capsys):
    files, norm = _copy(stream, tmp_path)
    with h5py.File(files[0], "a") as handle:
        globals_ = handle[f"{S.GLOBALS}/data"][:]
        globals_[:, 0] = np.nan  # MET of every background event
        handle[f"{S.GLOBALS}/data"][...] = globals_
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "metrics.json").write_text("{}")  # an earlier run's: not this run's result
    err = _train(tmp_path, files, norm, TINY, capsys)
    assert "non-finite training loss at step 0 (classification nan)" in err
