"""A run killed mid-epoch, or stopped by a scheduler's signal, resumes from output/resume/last.ckpt
and ends exactly where an uninterrupted run ends; a changed config or input starts fresh."""

from __future__ import annotations

import json
import logging
import os
import signal

import lightning.pytorch as pl
import pytest
import torch

from evenet.train import resume
from evenet.train.callbacks import SimulatedKill, StopAfterSteps, TrainingInterrupted
from evenet.train.checkpoints import AtomicCheckpointIO, read_checkpoint
from evenet.train.run import train

EVERY = 7  # checkpoint interval; 30 batches per epoch, 60 steps in all


def assert_same_weights(path_a, path_b):
    """Bit-for-bit equal network state (torch.equal, no tolerance) and global step."""
    a, b = read_checkpoint(path_a), read_checkpoint(path_b)
    assert a["global_step"] == b["global_step"]
    assert a["state_dict"].keys() == b["state_dict"].keys()
    for key, tensor in a["state_dict"].items():
        assert torch.equal(b["state_dict"][key], tensor), key


@pytest.fixture(scope="module")
def uninterrupted(stream, tiny_config, tmp_path_factory):
    files, norm = stream
    out = tmp_path_factory.mktemp("uninterrupted")
    metrics = train(tiny_config(), [str(f) for f in files], out, normalization=str(norm), checkpoint_every=EVERY)
    assert metrics["steps"] == 60 and metrics["resumed_from"] is None
    assert not (out / resume.RESUME_DIR).exists()  # a finished run leaves nothing to resume
    return out, metrics


def _resume_and_compare(stream, config, out, uninterrupted, saved_step):
    files, norm = stream
    resumed = train(config, [str(f) for f in files], out, normalization=str(norm), checkpoint_every=EVERY)
    reference_out, reference = uninterrupted
    assert resumed["resumed_at_step"] == saved_step and resumed["resumed_from"] is not None
    assert resumed["steps"] == reference["steps"]
    assert_same_weights(reference_out / "last.ckpt", out / "last.ckpt")
    assert_same_weights(reference_out / "best.ckpt", out / "best.ckpt")
    assert [h["loss"] for h in resumed["history"]] == [h["loss"] for h in reference["history"]]
    assert not (out / resume.RESUME_DIR).exists()


@pytest.mark.parametrize("kill_at", [17, 40])  # in epoch 0 and in epoch 1 (30 batches per epoch)
def test_resume_mid_epoch_matches_uninterrupted(stream, tmp_path, kill_at, tiny_config, uninterrupted, caplog):
    files, norm = stream
    config = tiny_config()
    with pytest.raises(SimulatedKill):
        train(config, [str(f) for f in files], tmp_path, normalization=str(norm), checkpoint_every=EVERY,
              extra_callbacks=[StopAfterSteps(kill_at)])
    saved = read_checkpoint(tmp_path / resume.RESUME_DIR / "last.ckpt")
    assert saved["global_step"] == EVERY * (kill_at // EVERY)  # the kill came before step kill_at was saved
    assert not (tmp_path / "metrics.json").exists()
    # Snakemake deletes the declared outputs of the killed job; the resume directory is not one of them.
    for name in ("last.ckpt", "best.ckpt", "config.yaml"):
        (tmp_path / name).unlink(missing_ok=True)
    with caplog.at_level(logging.INFO, logger="evenet.train.resume"):
        _resume_and_compare(stream, config, tmp_path, uninterrupted, saved["global_step"])
    assert f"resumed at step {saved['global_step']} from" in caplog.text


class SendSignal(pl.Callback):
    """Sends ``signum`` to this process after ``step`` optimisation steps (a scheduler's warning)."""

    def __init__(self, signum: int, step: int):
        self.signum, self.step = signum, step

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), self.signum)


@pytest.mark.parametrize("signum", [signal.SIGUSR1, signal.SIGTERM], ids=["SIGUSR1", "SIGTERM"])
def test_signal_saves_a_checkpoint_and_stops(stream, tmp_path, signum, tiny_config, uninterrupted):
    """Slurm's `--signal=USR1@120` (or a SIGTERM): the run saves where it is, mid-epoch, and stops;
    the rerun continues from that step to the uninterrupted run's weights."""
    files, norm = stream
    config = tiny_config()
    previous = signal.getsignal(signum)
    # StopOnSignal acts at the end of the batch after the one the signal arrived in (callback order).
    with pytest.raises(TrainingInterrupted) as stopped:
        train(config, [str(f) for f in files], tmp_path, normalization=str(norm), checkpoint_every=EVERY,
              extra_callbacks=[SendSignal(signum, 12)])
    assert signal.getsignal(signum) == previous  # handlers restored
    assert stopped.value.signum == signum and stopped.value.step == 13
    assert read_checkpoint(tmp_path / resume.RESUME_DIR / "last.ckpt")["global_step"] == 13  # not a multiple of 7
    assert not (tmp_path / "metrics.json").exists()
    _resume_and_compare(stream, config, tmp_path, uninterrupted, 13)


# ------------------------------------------------------------------ the fingerprint decides
@pytest.fixture
def saved_run(tmp_path, stream, tiny_config):
    """A resume directory as an interrupted run leaves it (checkpoint at step 14), and its identity."""
    files, norm = stream
    inputs = [*files, norm]
    identity = resume.run_identity(tiny_config(), inputs, world_size=1)
    directory = tmp_path / resume.RESUME_DIR
    assert resume.start(directory, identity) == (None, 0)
    torch.save({"global_step": 14, "state_dict": {}}, directory / "last.ckpt")
    return directory, identity, inputs


def test_same_identity_resumes(saved_run, caplog):
    directory, identity, _ = saved_run
    with caplog.at_level(logging.INFO, logger="evenet.train.resume"):
        assert resume.start(directory, json.loads(json.dumps(identity))) == (directory / "last.ckpt", 14)
    assert "resumed at step 14" in caplog.text


def test_neutral_keys_still_resume(saved_run, tiny_config, caplog):
    directory, _, inputs = saved_run
    identity = resume.run_identity(tiny_config(**{"trainer.threads": 2}), inputs, world_size=1)
    assert resume.start(directory, identity)[1] == 14


@pytest.mark.parametrize("change, named", [
    ("config", "config optimizer.lr"),
    ("input", "input "),
    ("world size", "world size 1 -> 2"),
])
def test_changed_config_or_input_starts_fresh(saved_run, tiny_config, change, named, caplog):
    directory, _, inputs = saved_run
    config, world_size = tiny_config(), 1
    if change == "config":
        config = tiny_config(**{"optimizer.lr": 2e-4})
    elif change == "input":  # a data file rewritten by an upstream rule
        stat = os.stat(inputs[0])
        os.utime(inputs[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    else:
        world_size = 2
    identity = resume.run_identity(config, inputs, world_size)
    try:
        with caplog.at_level(logging.INFO, logger="evenet.train.resume"):
            assert resume.start(directory, identity) == (None, 0)
    finally:
        if change == "input":
            os.utime(inputs[0], ns=(stat.st_atime_ns, stat.st_mtime_ns))
    line = next(r.getMessage() for r in caplog.records if "not used" in r.getMessage())
    assert "changed since it was saved" in line and named in line and line.endswith("starting from step 0")
    if change == "input":
        assert str(inputs[0]) in line
    # The stale checkpoint is gone and the new fingerprint written: a rerun now resumes only this run.
    assert not (directory / "last.ckpt").exists()
    assert json.loads((directory / resume.FINGERPRINT).read_text()) == identity


def test_unreadable_checkpoint_starts_fresh(saved_run, caplog):
    directory, identity, _ = saved_run
    (directory / "last.ckpt").write_bytes(b"truncated")
    with caplog.at_level(logging.INFO, logger="evenet.train.resume"):
        assert resume.start(directory, identity) == (None, 0)
    assert "unreadable" in caplog.text


def test_checkpoint_without_fingerprint_starts_fresh(saved_run, caplog):
    directory, identity, _ = saved_run
    (directory / resume.FINGERPRINT).unlink()
    with caplog.at_level(logging.INFO, logger="evenet.train.resume"):
        assert resume.start(directory, identity) == (None, 0)
    assert f"no readable {resume.FINGERPRINT}" in caplog.text


def test_other_ranks_only_read(saved_run, tiny_config):
    """Ranks other than 0 decide alike but write nothing (rank 0 clears and rewrites the directory)."""
    directory, _, inputs = saved_run
    identity = resume.run_identity(tiny_config(**{"optimizer.lr": 2e-4}), inputs, world_size=1)
    assert resume.start(directory, identity, writer=False) == (None, 0)
    assert (directory / "last.ckpt").exists()


def test_checkpoint_write_cut_short_leaves_the_previous_one(tmp_path, monkeypatch):
    """A kill while saving (here: torch.save failing half-way) leaves the last complete checkpoint."""
    writer = AtomicCheckpointIO()
    path = tmp_path / "last.ckpt"
    writer.save_checkpoint({"global_step": 7}, path)

    def cut_short(obj, f):
        with open(f, "wb") as handle:
            handle.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", cut_short)
    with pytest.raises(KeyboardInterrupt):
        writer.save_checkpoint({"global_step": 14}, path)
    monkeypatch.undo()
    assert resume.checkpoint_step(path) == 7
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]
