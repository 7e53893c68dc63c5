"""heads.classification.noised: the noise-perturbed term of Eq. 1 can be left out."""

import pytest
import torch
from model_fixtures import make_batch, normalization

from evenet.errors import ConfigError
from evenet.model.network import build_model

LABELS = torch.tensor([0, 1, 2, 0, 1, 2])


def _model(**options):
    torch.manual_seed(0)
    return build_model("tiny", {"classification": {"num_classes": 3, **options}}, normalization()).eval()


def test_noised_term_is_on_by_default():
    outputs = _model()(make_batch())["classification"]
    assert "logits_noised" in outputs and "alpha" in outputs


def test_without_noised_term_the_loss_is_the_clean_cross_entropy():
    model, batch = _model(noised=False), make_batch()
    outputs = model(batch)
    assert set(outputs["classification"]) == {"logits"}
    loss = model.losses(outputs, {"classification": LABELS})["classification"]
    assert torch.allclose(loss, torch.nn.functional.cross_entropy(outputs["classification"]["logits"], LABELS), atol=1e-6)


def test_unknown_classification_option_is_named():
    with pytest.raises(ConfigError, match="heads.classification: unknown option"):
        build_model("tiny", {"classification": {"num_classes": 2, "noisy": False}}, normalization())
