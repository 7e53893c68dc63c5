"""Checkpoints load with torch.load(weights_only=True); another architecture is a one-line UserError naming keys."""

from __future__ import annotations

import pytest
import torch

from evenet.cli import main
from evenet.errors import UserError
from evenet.train.checkpoints import CheckpointMismatchError, load_weights, network_state, read_checkpoint
from evenet.train.lightning_module import EveNetModule
from evenet.train.predict import load_network
from evenet.train.run import train


@pytest.fixture(scope="module")
def trained(stream, tmp_path_factory):
    from evenet.train.config import load_config

    config = load_config(None, [
        "model.heads={classification: {num_classes: 2}, neutrino_generation: {}}",
        "data.batch_size=32", "trainer.max_epochs=1", "trainer.threads=1", "schedule.warmup_steps=2",
    ])
    files, norm = stream
    out = tmp_path_factory.mktemp("run")
    torch.set_num_threads(1)
    metrics = train(config, [str(f) for f in files], out, normalization=str(norm), checkpoint_every=5)
    return config, out, metrics


def test_checkpoint_is_weights_only_and_rebuilds_the_network(trained):
    config, out, _ = trained
    for name in ("last.ckpt", "best.ckpt"):
        checkpoint = torch.load(out / name, map_location="cpu", weights_only=True)
        assert checkpoint["hyper_parameters"]["config"] == config
    module = load_network(out / "last.ckpt")
    state = network_state(read_checkpoint(out / "last.ckpt"), "last")
    for key, value in module.model.state_dict().items():
        torch.testing.assert_close(value, state[key], rtol=0, atol=0)
    # The checkpoint carries the normalisation it was trained with (not the defaults 0/1).
    assert not torch.allclose(module.model.source_norm.mean, torch.zeros(7))


def test_other_architecture_names_mismatched_keys(trained):
    config, out, _ = trained
    wider = {**config, "model": {**config["model"], "overrides": {"body": {"dim": 48, "heads": 4}}}}
    with pytest.raises(CheckpointMismatchError) as err:
        load_weights(EveNetModule(wider).model, network_state(read_checkpoint(out / "last.ckpt"), "x"), "x")
    message = str(err.value)
    assert "\n" not in message and "shape mismatch" in message and "body." in message
    deeper = {**config, "model": {**config["model"], "overrides": {"body": {"layers": 3}}}}
    with pytest.raises(CheckpointMismatchError, match=r"missing body\.blocks\.2\."):
        load_weights(EveNetModule(deeper).model, network_state(read_checkpoint(out / "last.ckpt"), "x"), "x")
    assert issubclass(CheckpointMismatchError, UserError)


def test_reused_and_new_heads(trained):
    config, out, _ = trained
    state = network_state(read_checkpoint(out / "last.ckpt"), "x")
    other = {**config, "model": {**config["model"], "heads": {"classification": {"num_classes": 3}}}}
    model = EveNetModule(other).model
    fresh_head = {k: v.clone() for k, v in model.state_dict().items() if k.startswith("heads.")}
    loaded = load_weights(model, state, "x")
    assert loaded and not any(k.startswith("heads.") for k in loaded)
    for key, value in fresh_head.items():  # new head keeps its initialisation
        torch.testing.assert_close(model.state_dict()[key], value)
    torch.testing.assert_close(model.state_dict()["body.embed.0.weight"], state["body.embed.0.weight"])
    with pytest.raises(CheckpointMismatchError, match=r"shape mismatch .*heads\.classification\.output\.weight \(2, 32\) vs \(3, 32\)"):
        load_weights(model, state, "x", reuse_heads=["classification"])


def test_cli_reports_bad_checkpoint_in_one_line(tmp_path, stream, capsys):
    bad = tmp_path / "bad.ckpt"
    bad.write_text("not a checkpoint")
    files, _ = stream
    code = main(["predict", "--checkpoint", str(bad), "--data", str(files[0]), "--output", str(tmp_path / "p.h5")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("evenet predict: error:") and str(bad) in err and "\n" not in err
    assert not (tmp_path / "p.h5").exists()


def test_predict_writes_per_event_outputs(trained, stream, tmp_path):
    import h5py

    _, out, _ = trained
    files, _ = stream
    assert main(["predict", "--checkpoint", str(out / "last.ckpt"), "--data", *map(str, files),
                 "--output", str(tmp_path / "p.h5"), "--steps", "3"]) == 0
    with h5py.File(tmp_path / "p.h5") as handle:
        n = handle.attrs["n_events"]
        assert n == 60  # event numbers ending in 9 of 2 x 300 events: the test split
        assert (handle["META/event"][:] % 10 == 9).all()
        probabilities = handle["classification/probabilities"][:]
        assert probabilities.shape == (n, 2)
        torch.testing.assert_close(torch.from_numpy(probabilities.sum(1)), torch.ones(n))
        samples = handle["neutrino_generation/samples"][:]
        assert samples.shape == (n, 2, 4) and (samples[..., 1] >= 0).all()
        assert (handle["CLASSIFICATIONS/EVENT/process"][:] == handle["META/file"][:]).all()


def test_stage_two_reuses_every_stage_one_weight(tmp_path):
    """Paper Sec. II C: "all weights from the SSL phase were reused" (the presets of the two stages)."""
    from pathlib import Path

    from evenet.train.config import load_config
    from evenet.train.run import initialise

    presets = Path(__file__).resolve().parents[2] / "config" / "training"
    stage1 = EveNetModule(load_config(presets / "pretrain_ssl.yaml")).model
    path = tmp_path / "stage1.ckpt"
    torch.save({"state_dict": {f"model.{k}": v for k, v in stage1.state_dict().items()}}, path)
    config = load_config(presets / "pretrain_full.yaml")
    stage2 = EveNetModule(config)
    loaded = set(initialise(stage2, config, str(path)))
    weights = {k for k in stage1.state_dict() if k not in ("generated_features", "generation_globals")}
    assert any(k.startswith("heads.point_cloud_generation.") for k in weights)
    assert loaded == weights
    for key in weights:
        torch.testing.assert_close(stage2.model.state_dict()[key], stage1.state_dict()[key], rtol=0, atol=0)


def test_reuse_heads_names_configured_heads():
    from evenet.errors import ConfigError
    from evenet.train.config import load_config

    heads = "model.heads={classification: {num_classes: 2}}"
    with pytest.raises(ConfigError, match="finetune.reuse_heads: assignment not among model.heads"):
        load_config(None, [heads, "finetune.reuse_heads=[assignment]"])
    with pytest.raises(ConfigError, match="finetune.reuse_heads must be a list of heads or 'all'"):
        load_config(None, [heads, "finetune.reuse_heads=some"])
    assert load_config(None, [heads, "finetune.reuse_heads=all"])["finetune"]["reuse_heads"] == "all"
