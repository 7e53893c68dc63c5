"""heads.*.num_labels: a generation head with num_labels > 1 is conditioned on the event's process class
(docs/model.md); training feeds it from the batch's `process` (CLASSIFICATIONS/EVENT/process)."""

from __future__ import annotations

import pytest
import torch
from model_fixtures import NO_DROPOUT, make_batch, normalization

from evenet.errors import ConfigError
from evenet.model.network import build_model
from evenet.train.config import load_config
from evenet.train.lightning_module import EveNetModule

GENERATION = {
    "point_cloud_generation": {},
    "neutrino_generation": {"num_features": 4},
    "global_generation": {"targets": ["nJet", "HT"], "conditions": ["met"]},
}


def _velocities(model, batch) -> dict[str, torch.Tensor]:
    """v of each generation head on fixed noised inputs (same time, same noise)."""
    g = torch.Generator().manual_seed(1)
    norm = model.normalize(batch)
    t = torch.full((len(norm["mask"]),), 0.4)
    x = torch.randn(norm["source"].shape, generator=g)
    inv = torch.randn(norm["invisible"].shape, generator=g) * norm["invisible_mask"][..., None]
    globals_ = torch.randn(len(t), 3, generator=g)
    return {
        "point_cloud_generation": model.point_cloud_velocity(x, t, norm, norm["mask"]),
        "neutrino_generation": model.invisible_velocity(inv, t, norm, norm["invisible_mask"]),
        "global_generation": model.globals_velocity(globals_, t, norm),
    }


def _model(num_labels: int):
    torch.manual_seed(0)
    heads = {name: {**options, "num_labels": num_labels} for name, options in GENERATION.items()}
    model = build_model("tiny", heads, normalization(), **NO_DROPOUT).eval()
    # The event-level head starts with a zero output layer (its output is a constant); give it weights.
    torch.nn.init.normal_(model.heads["global_generation"].output.weight)
    return model


def test_conditioned_heads_depend_on_the_label():
    model = _model(3)
    batch = make_batch()
    first = _velocities(model, {**batch, "label": torch.zeros(6, dtype=torch.long)})
    second = _velocities(model, {**batch, "label": torch.full((6,), 2, dtype=torch.long)})
    for name in GENERATION:
        assert not torch.allclose(first[name], second[name]), name


def test_unconditioned_heads_ignore_the_label():
    model = _model(1)
    batch = make_batch()
    first = _velocities(model, {**batch, "label": torch.zeros(6, dtype=torch.long)})
    second = _velocities(model, {**batch, "label": torch.full((6,), 2, dtype=torch.long)})
    for name in GENERATION:
        torch.testing.assert_close(first[name], second[name], rtol=0, atol=0)


@pytest.mark.parametrize("value", [0, 1.5, True])
def test_num_labels_must_be_a_positive_integer(value):
    with pytest.raises(ConfigError, match=r"heads.point_cloud_generation.num_labels must be an integer >= 1"):
        build_model("tiny", {"point_cloud_generation": {"num_labels": value}})


@pytest.mark.parametrize("num_labels", [1, 2])
def test_training_feeds_the_process_class(num_labels):
    """The training loss changes with the batch's process exactly when the head is conditioned on it."""
    config = load_config(None, [
        f"model.heads={{point_cloud_generation: {{num_labels: {num_labels}}}}}",
        "model.overrides={body: {dropout: 0.0, drop_path: 0.0, feature_drop: 0.0}, generation: {dropout: 0.0}}",
    ])
    torch.manual_seed(0)
    module = EveNetModule(config, normalization())
    batch = {**make_batch(), "weight": torch.ones(6)}

    def loss(process):
        torch.manual_seed(3)  # same diffusion times and noise for both calls
        return module._losses({**batch, "process": process}, noise_prob=1.0)[0]

    zeros, ones = loss(torch.zeros(6, dtype=torch.long)), loss(torch.ones(6, dtype=torch.long))
    assert torch.equal(zeros, ones) == (num_labels == 1)
