"""The training half of the DAG, dry-run through the Snakemake API on a tiny config; the schema's
defaults; every training preset builds its model."""

from __future__ import annotations

import copy
import re
import shlex
from pathlib import Path

import pytest
import yaml
from snakemake.api import SnakemakeApi
from snakemake.settings.types import (
    ConfigSettings,
    DAGSettings,
    ExecutionSettings,
    OutputSettings,
    Quietness,
    ResourceSettings,
)
from test_dag import TINY

from evenet.cli import build_parser
from evenet.config import load_yaml, validate_schema
from evenet.pointcloud.topology import assignment_topology
from evenet.train.config import load_config
from evenet.train.lightning_module import EveNetModule

REPO = Path(__file__).resolve().parents[2]
PRESETS = REPO / "config" / "training"
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
TRAINING_RULES = {"pretrain_ssl", "pretrain_full", "finetune_haa", "predict_haa", "finetune_tt", "predict_tt",
                  "finetune_scan", "scan_summary", "scans"}

HAA_TRUTH = {
    "resonances": {
        "a1": {"pdgId": 36, "products": {"b1": ["b"], "b2": ["b"]}, "symmetric": [["b1", "b2"]]},
        "a2": {"pdgId": 36, "products": {"b1": ["b"], "b2": ["b"]}, "symmetric": [["b1", "b2"]]},
    },
    "identical": [["a1", "a2"]],
}
# Values a shell would split or mangle unquoted: a mapping, a space, a float YAML 1.1 reads as text.
HAA_SET = {"model.preset": "tiny", "optimizer": {"name": "lion", "lr": 1.0e-5}, "stage": "demo fine tune",
           "trainer.max_epochs": 6}
SCAN = {"variants": ["scratch", "full"], "fractions": [0.05, 0.2], "seeds": [1, 2], "set": {"trainer.max_epochs": 3}}


def training_config() -> dict:
    config = copy.deepcopy(TINY)
    config["samples"]["hs"] = {"format": "nanoaod", "xsec_pb": 1.0, "generate": {"process": "haa4b", "events": 100,
                                                                                "seed": 7}}
    config["samples"]["tl"] = {"format": "nanoaod", "xsec_pb": 40.0, "generate": {"process": "ttbar_2l_spin",
                                                                                 "events": 100, "seed": 8}}
    config["streams"]["haa"] = {"selection": "haa", "classes": {"bkg": ["zj"], "sig": ["hs"]}, "truth": HAA_TRUTH}
    config["streams"]["tt"] = {
        "selection": "ttbar_2l", "classes": {"ttbar": ["tl"]},
        "truth": {"resonances": {"t": {"pdgId": 6, "conjugate": False, "products": {"b": ["b"], "l": ["W", "lepton"]}},
                                 "tbar": {"pdgId": -6, "conjugate": False, "products": {"b": ["b"], "l": ["W", "lepton"]}}},
                  "max_invisible": 2},
    }
    config["training"] = {
        "threads": 1,
        "pretrain": {"stream": "pre", "ssl": str(PRESETS / "pretrain_ssl.yaml"), "full": str(PRESETS / "pretrain_full.yaml")},
        "finetune": {
            "haa": {"stream": "haa", "config": str(PRESETS / "finetune_haa.yaml"), "init": "pretrain_full",
                    "set": HAA_SET, "scan": SCAN},
            "tt": {"stream": "tt", "config": str(PRESETS / "finetune_ttbar_2l.yaml")},
        },
    }
    return config


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> list:
    """The jobs a dry run of `all` and `scans` plans on a fresh directory."""
    workdir = tmp_path_factory.mktemp("dag")
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(training_config(), sort_keys=False))
    with SnakemakeApi(OutputSettings(quiet={Quietness.PROGRESS, Quietness.RULES}, dryrun=True)) as api:
        workflow = api.workflow(resource_settings=ResourceSettings(cores=2), config_settings=ConfigSettings(configfiles=[path]),
                                snakefile=REPO / "Snakefile", workdir=workdir)
        dag = workflow.dag(DAGSettings(targets=["all", "scans"]))
        dag.execute_workflow(executor="dryrun", execution_settings=ExecutionSettings(latency_wait=1))
        return list(dag.workflow_api._workflow.dag.needrun_jobs())


def train_config(job) -> dict:
    """The training config `evenet train` resolves from the job's shell command (as a shell would split it)."""
    words = shlex.split(job.shellcmd)
    assert words[0] == "evenet" and ">" in words
    args = build_parser().parse_args(words[1 : words.index(">")])
    return load_config(args.config, args.overrides + [f"seed={args.seed}"])


# ---------------------------------------------------------------- item 15
def test_every_training_rule_is_planned(planned):
    assert TRAINING_RULES <= {job.rule.name for job in planned}
    scans = [job for job in planned if job.rule.name == "finetune_scan"]
    assert len(scans) == 2 * 2 * 2  # variants x fractions x seeds
    tt = next(job for job in planned if job.rule.name == "finetune_tt")
    assert "--init" not in tt.shellcmd  # no init: Scratch


# ---------------------------------------------------------------- item 9
def test_set_values_reach_the_training_config_intact(planned):
    job = next(job for job in planned if job.rule.name == "finetune_haa")
    config = train_config(job)
    assert config["optimizer"]["name"] == "lion" and config["optimizer"]["lr"] == 1.0e-5
    assert config["optimizer"]["weight_decay"] == 1.0e-2  # the preset's, merged under the override
    assert config["stage"] == "demo fine tune"
    assert config["model"]["preset"] == "tiny" and config["trainer"]["max_epochs"] == 6


# ---------------------------------------------------------------- item 6
def test_scan_runs_of_one_seed_share_their_subset(planned):
    runs = {}
    for job in planned:
        if job.rule.name == "finetune_scan":
            w = job.wildcards
            config = train_config(job)
            assert config["seed"] == int(w.seed)
            assert config["data"]["subset_seed"] == int(w.seed)  # the seed drives the subset too
            assert config["data"]["train_fraction"] == float(w.fraction)
            assert config["trainer"]["max_epochs"] == 3  # scan.set applies after set
            runs[w.variant, w.fraction, w.seed] = config["data"]
    for fraction in ("0.05", "0.2"):
        for seed in ("1", "2"):
            assert runs["scratch", fraction, seed] == runs["full", fraction, seed]  # paired: the same events
    assert runs["full", "0.05", "1"]["subset_seed"] != runs["full", "0.05", "2"]["subset_seed"]


# ---------------------------------------------------------------- item 14
def test_schema_fills_its_defaults():
    config = training_config()
    del config["step_size"], config["detector"]
    validate_schema(config, SCHEMA)
    assert config["step_size"] == 50000 and config["detector"] == "config/detector.yaml"
    assert config["samples"]["zj"]["generate"]["parts"] == 1 and config["samples"]["zj"]["generate"]["level"] == "process"
    assert config["streams"]["pre"]["truth"]["identical"] == []
    assert config["streams"]["tt"]["truth"]["resonances"]["t"]["symmetric"] == []
    training = config["training"]
    assert (training["threads"], training["gpus"], training["seed"], training["accelerator"]) == (1, 0, 1, "cpu")
    assert training["finetune"]["tt"]["set"] == {} and training["finetune"]["haa"]["scan"]["set"] == {"trainer.max_epochs": 3}


def test_ingest_cli_default_chunk_size_is_the_schema_default():
    schema_default = load_yaml(SCHEMA)["properties"]["step_size"]["default"]
    args = build_parser().parse_args(["ingest", "in.root", "--format", "nanoaod", "-o", "out.parquet"])
    assert args.step_size == schema_default
    args = build_parser().parse_args(["bench", "ingest", "in.root"])
    assert args.step_size == schema_default


def test_rules_restate_no_default():
    """Defaults live in the schema: no rule reads a config key with a fallback value."""
    fallback = re.compile(r"\.get\(\s*[^,()]+,\s*[^)\s]")
    for path in [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not fallback.search(line), f"{path.name}:{number}: {line.strip()}"


# ---------------------------------------------------------------- item 15: every preset builds
def _stream_of(preset: str, pipeline: dict) -> str:
    """The stream of config/config.yaml a preset trains on: as the demo uses it, else finetune_<stream>.yaml."""
    for spec in pipeline["training"]["finetune"].values():
        if Path(spec["config"]).name == preset:
            return spec["stream"]
    return preset.removeprefix("finetune_").removesuffix(".yaml")


@pytest.mark.parametrize("preset", sorted(p.name for p in PRESETS.glob("*.yaml")))
def test_every_preset_builds_its_model(preset):
    config = load_config(PRESETS / preset)
    heads = config["model"]["heads"]
    if "assignment" in heads and "topology" not in (heads["assignment"] or {}):
        pipeline = load_yaml(REPO / "config" / "config.yaml")
        stream = _stream_of(preset, pipeline)
        heads["assignment"] = {**(heads["assignment"] or {}),
                               "topology": assignment_topology(pipeline["streams"][stream]["truth"])}
    module = EveNetModule(config)
    assert set(module.model.heads) == set(heads)
