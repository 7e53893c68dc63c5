"""The assignment topology is stated once, in the stream's truth block: `build` stores it in the
point-cloud file and training takes it from there (issue 9, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import pytest
import yaml

from evenet.cli import main
from evenet.config import check_config, load_yaml, validate_schema
from evenet.errors import ConfigError
from evenet.pointcloud import schema as S
from evenet.pointcloud.topology import assignment_topology
from evenet.train.config import load_config
from evenet.train.inputs import prepare

REPO = Path(__file__).resolve().parents[2]
SELECTIONS = load_yaml(REPO / "config" / "selections.yaml")

TRUTH = {
    "resonances": {
        "t_had": {"pdgId": 6, "products": {"b": ["b"], "q1": ["W", "quark"], "q2": ["W", "quark"]},
                  "symmetric": [["q1", "q2"]]},
        "t_lep": {"pdgId": 6, "products": {"b": ["b"], "l": ["W", "lepton"]}},
    },
    "identical": [],
}
TOPOLOGY = {"resonances": {"t_had": {"products": ["b", "q1", "q2"], "symmetric": [["q1", "q2"]]},
                           "t_lep": {"products": ["b", "l"], "symmetric": []}}}


@pytest.fixture(scope="module")
def selected(nanoaod, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("topology")
    ingested, selected = tmp / "ev.parquet", tmp / "sel.parquet"
    assert main(["ingest", str(nanoaod / "nano_tt_v12.root"), "--format", "nanoaod", "--no-progress",
                 "-o", str(ingested)]) == 0
    assert main(["select", str(ingested), "--selection", "pretrain", "--selection-params",
                 json.dumps(SELECTIONS["pretrain"]), "--lumi-pb", "1000", "--xsec-pb", "831.8", "--truth",
                 json.dumps(TRUTH), "-o", str(selected), "--cutflow", str(tmp / "cutflow.json")]) == 0
    return selected


def _build(selected, output, truth) -> int:
    return main(["build", str(selected), "--stream", "s", "--sample", "tt", "--classes", "ttbar", "--truth",
                 json.dumps(truth), "-o", str(output)])


def test_build_stores_the_topology_and_training_reads_it(selected, tmp_path):
    h5 = tmp_path / "tt.h5"
    assert _build(selected, h5, TRUTH) == 0
    with h5py.File(h5) as handle:
        assert json.loads(handle.attrs["topology"]) == TOPOLOGY
        assert {f"{r}/{p}" for r in handle[S.TARGETS] for p in handle[S.TARGETS][r]} == {
            "t_had/b", "t_had/q1", "t_had/q2", "t_lep/b", "t_lep/l"}
    config = load_config(None, ["model.heads={assignment: {}}"])
    assert prepare(config, [h5])["model"]["heads"]["assignment"]["topology"] == TOPOLOGY


def test_topology_without_its_targets_is_an_error(selected, tmp_path, capsys):
    truth = json.loads(json.dumps(TRUTH))
    truth["resonances"]["t_lep"]["products"]["nu"] = ["W", "neutrino"]  # not matched by select
    h5 = tmp_path / "tt.h5"
    assert _build(selected, h5, truth) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "sel.parquet: truth targets differ from the stream's topology at TARGETS/t_lep/nu" in err
    assert not h5.exists()


@pytest.mark.parametrize("edit, key", [
    (lambda t: t["resonances"]["t_had"].update(symmetric=[["q1", "q3"]]),
     "streams.s.truth.resonances.t_had.symmetric: unknown product 'q3'"),
    (lambda t: t.update(identical=[["t_had", "t_lep"]]), "streams.s.truth.identical"),
])
def test_bad_symmetries_are_config_errors_naming_the_key(edit, key):
    truth = json.loads(json.dumps(TRUTH))
    edit(truth)
    with pytest.raises(ConfigError, match=key):
        assignment_topology(truth, key="streams.s.truth")


def test_demo_config_states_each_stream_topology_once():
    """The demo's streams state their symmetries; the pipeline's config check accepts them."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    validate_schema(config, REPO / "workflow" / "schemas" / "config.schema.yaml")
    check_config(config, base=REPO)
    haa = assignment_topology(config["streams"]["haa"]["truth"])
    assert haa["identical"] == [["a1", "a2"]] and haa["resonances"]["a1"]["symmetric"] == [["b1", "b2"]]
    xyh = assignment_topology(config["streams"]["xyh"]["truth"])
    assert xyh["resonances"]["H"] == {"products": ["l", "q1", "q2"], "symmetric": [["q1", "q2"]]}
    assert load_yaml(REPO / "config" / "training" / "finetune_ttbar_2l.yaml")["model"]["heads"]["assignment"] == {}
