"""A parameterised classification head: the hypothesis parameters are inputs of the network."""

from __future__ import annotations

import pytest
import torch
from model_fixtures import make_batch, normalization

from evenet.errors import ConfigError
from evenet.model.network import build_model


def test_the_hypothesis_changes_the_scores_and_is_required():
    torch.manual_seed(0)
    model = build_model("tiny", {"classification": {"num_classes": 2, "num_parameters": 2, "noised": False}},
                        normalization()).eval()
    batch = make_batch(batch=4)
    low = {**batch, "parameters": torch.tensor([[300.0, 60.0]] * 4)}
    high = {**batch, "parameters": torch.tensor([[900.0, 150.0]] * 4)}
    a = model.predict(low)["classification"]["logits"]
    b = model.predict(high)["classification"]["logits"]
    assert a.shape == (4, 2) and not torch.allclose(a, b)
    assert torch.allclose(a, model.predict(low)["classification"]["logits"])  # deterministic
    with pytest.raises(ValueError, match="expects 2 parameters per event, got None"):
        model.predict(batch)
    plain = build_model("tiny", {"classification": {"num_classes": 2}}, normalization()).eval()
    assert not any("parameter_embedding" in n for n, _ in plain.named_parameters())
    with pytest.raises(ConfigError, match="num_parameterz"):
        build_model("tiny", {"classification": {"num_classes": 2, "num_parameterz": 2}}, normalization())
