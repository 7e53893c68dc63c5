"""Fine-tuning strategies: per-module learning rates, freezing, adapters; LR scaling and schedule."""

from __future__ import annotations

import math

import pytest

from evenet.errors import ConfigError
from evenet.train.finetune import apply_freezing, count_parameters, module_of, parameter_groups
from evenet.train.lightning_module import EveNetModule
from evenet.train.optimizers import WarmupCosine, scaled_hyperparameters


def test_module_assignment():
    assert module_of("body.blocks.0.attn.q.weight") == "backbone"
    assert module_of("global_embedding.layers.0.weight") == "backbone"
    assert module_of("object_encoder.layers.0.attn.weight") == "bridge"
    assert module_of("heads.classification.output.weight") == "head"


def test_per_module_learning_rates(tiny_config):
    model = EveNetModule(tiny_config()).model
    groups = {g["name"]: g for g in parameter_groups(model, 1e-3, 0.01, 0.1, 0.3)}
    assert groups["backbone"]["lr"] == pytest.approx(1e-4)
    assert groups["bridge"]["lr"] == pytest.approx(3e-4)
    assert groups["head"]["lr"] == pytest.approx(1e-3)
    n = sum(p.numel() for g in groups.values() for p in g["params"])
    assert n == sum(p.numel() for p in model.parameters())


def test_freezing_and_adapters(tiny_config):
    module = EveNetModule(tiny_config(**{"finetune.freeze": "[body]"}))
    counts = module.apply_finetune_strategy()
    body = sum(p.numel() for p in module.model.body.parameters())
    assert counts["trainable"] == counts["total"] - body
    assert not any(n.startswith("body.") for n, p in module.model.named_parameters() if p.requires_grad)
    adapted = EveNetModule(tiny_config(**{"finetune.adapters": 4}))
    counts = adapted.apply_finetune_strategy()
    trainable = {n for n, p in adapted.model.named_parameters() if p.requires_grad}
    assert any(".adapters." in n for n in trainable)
    assert not any(module_of(n) == "backbone" and ".adapters." not in n for n in trainable)
    adapters = sum(p.numel() for n, p in adapted.model.named_parameters() if ".adapters." in n)
    assert adapters == 2 * 2 * 32 * 4  # 2 tiny layers x (down + up) x dim 32 x bottleneck 4
    with pytest.raises(ConfigError, match="no parameters under 'bodyy'"):
        apply_freezing(adapted.model, ["bodyy"], adapters=False)
    assert count_parameters(adapted.model)["trainable"] == counts["trainable"]


def test_device_scaling_and_schedule():
    lr, wd = scaled_hyperparameters(1e-4, 0.04, 16)
    assert lr == pytest.approx(4e-4) and wd == pytest.approx(0.01)
    schedule = WarmupCosine(total_steps=110, warmup_steps=10, floor=0.1)
    assert schedule(0) == pytest.approx(0.01)
    assert schedule(10) == pytest.approx(1.0)
    assert schedule(60) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert schedule(110) == pytest.approx(0.1)
    values = [schedule(s) for s in range(10, 111)]
    assert all(a >= b for a, b in zip(values, values[1:]))


def test_noise_ramp(tiny_config):
    module = EveNetModule(tiny_config(**{"noise.start": 0.2, "noise.end": 1.0, "noise.ramp_fraction": 0.5}))

    class FakeTrainer:
        estimated_stepping_batches = 100

    module._trainer = FakeTrainer()
    for step, expected in ((0, 0.2), (25, 0.6), (50, 1.0), (90, 1.0)):
        type(module).global_step = property(lambda self, s=step: s)
        assert module.noise_probability() == pytest.approx(expected)
    del type(module).global_step


def test_adapters_with_the_last_blocks_unfrozen(tiny_config):
    """Individual X -> YH fine-tunes (paper Sec. III): adapters and the last blocks train, the last
    blocks at 0.3x the head rate; the rest of the backbone is frozen."""
    module = EveNetModule(tiny_config(**{"finetune.adapters": 4, "finetune.last_blocks": 1,
                                         "optimizer.last_blocks_lr_scale": 0.3}))
    module.apply_finetune_strategy()
    trainable = {n for n, p in module.model.named_parameters() if p.requires_grad}
    assert any(n.startswith("body.blocks.1.") for n in trainable)  # the last of the 2 tiny blocks
    assert not any(n.startswith("body.blocks.0.") for n in trainable)
    assert any(".adapters." in n for n in trainable)
    assert not any(module_of(n) == "backbone" and ".adapters." not in n and not n.startswith("body.blocks.1.")
                   for n in trainable)
    groups = {g["name"]: g for g in parameter_groups(module.model, 1e-3, 0.01, 0.1, 0.3, last_blocks=1,
                                                     last_blocks_scale=module.config["optimizer"]["last_blocks_lr_scale"])}
    assert groups["last_blocks"]["lr"] == pytest.approx(3e-4)
    last = {id(p) for p in groups["last_blocks"]["params"]}
    assert last == {id(p) for n, p in module.model.named_parameters() if n.startswith("body.blocks.1.")}
    assert groups["backbone"]["lr"] == pytest.approx(1e-4)  # the adapters
    with pytest.raises(ConfigError, match="finetune.last_blocks must be in 0..2"):
        EveNetModule(tiny_config(**{"finetune.adapters": 4, "finetune.last_blocks": 3})).apply_finetune_strategy()
