"""A run killed mid-epoch and resumed from last.ckpt ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import pytest
import torch

from evenet.train.callbacks import SimulatedKill, StopAfterSteps
from evenet.train.checkpoints import read_checkpoint
from evenet.train.run import train


def _final_state(path):
    checkpoint = read_checkpoint(path)
    return checkpoint["state_dict"], checkpoint["global_step"]


@pytest.mark.parametrize("kill_at", [17, 40])  # in epoch 0 and in epoch 1 (30 batches per epoch)
def test_resume_mid_epoch_matches_uninterrupted(stream, tmp_path, kill_at, tiny_config):
    files, norm = stream
    config = tiny_config()
    data = [str(f) for f in files]
    reference = train(config, data, tmp_path / "a", normalization=str(norm), checkpoint_every=7)

    with pytest.raises(SimulatedKill):
        train(config, data, tmp_path / "b", normalization=str(norm), checkpoint_every=7,
              extra_callbacks=[StopAfterSteps(kill_at)])
    saved = read_checkpoint(tmp_path / "b" / "last.ckpt")
    assert saved["global_step"] == 7 * (kill_at // 7)  # the kill came before step kill_at was saved
    assert not (tmp_path / "b" / "metrics.json").exists()
    resumed = train(config, data, tmp_path / "b", normalization=str(norm), checkpoint_every=7, resume=True)

    assert resumed["steps"] == reference["steps"] == 60
    assert resumed["resumed_from"] is not None
    state_a, step_a = _final_state(tmp_path / "a" / "last.ckpt")
    state_b, step_b = _final_state(tmp_path / "b" / "last.ckpt")
    assert step_a == step_b
    assert state_a.keys() == state_b.keys()
    for key in state_a:
        torch.testing.assert_close(state_b[key], state_a[key], rtol=0, atol=1e-6, msg=key)
    assert [h["loss"] for h in resumed["history"]] == pytest.approx([h["loss"] for h in reference["history"]], abs=1e-6)
