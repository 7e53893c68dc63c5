"""Fine-tuning strategies: which parameters train, and at which learning rate.

The paper's variants differ only in the starting weights: Scratch (random),
SSL (stage-1 checkpoint), Full (stage-2 checkpoint). On top of any of them:

* per-module learning rates: the backbone (normalisers, global embedding, PET
  body) at ``backbone_lr_scale`` x and the bridging object encoder at
  ``bridge_lr_scale`` x the head rate (paper: 0.1 and 0.3);
* partial freezing by module prefix (``finetune.freeze``);
* adapter-only training of the backbone (``finetune.adapters`` > 0): the PET body
  gets bottleneck adapters and everything else in the backbone is frozen.
"""

from __future__ import annotations

from torch import nn

from evenet.errors import ConfigError

BACKBONE = ("source_norm", "global_norm", "multiplicity_norm", "invisible_norm", "global_embedding", "body")
BRIDGE = ("object_encoder",)


def module_of(name: str) -> str:
    """'backbone', 'bridge' or 'head' for a parameter name of EveNet."""
    top = name.split(".", 1)[0]
    if top in BACKBONE:
        return "backbone"
    if top in BRIDGE:
        return "bridge"
    return "head"


def apply_freezing(model: nn.Module, freeze: list[str], adapters: bool) -> None:
    """Set ``requires_grad``: frozen prefixes off; with adapters, the backbone off except its adapters."""
    names = [n for n, _ in model.named_parameters()]
    for prefix in freeze:
        if not any(n == prefix or n.startswith(f"{prefix}.") for n in names):
            raise ConfigError(f"finetune.freeze: no parameters under {prefix!r}")
    for name, parameter in model.named_parameters():
        frozen = any(name == p or name.startswith(f"{p}.") for p in freeze)
        if adapters and module_of(name) == "backbone" and ".adapters." not in name:
            frozen = True
        parameter.requires_grad_(not frozen)


def parameter_groups(model: nn.Module, lr: float, weight_decay: float, backbone_scale: float,
                     bridge_scale: float) -> list[dict]:
    """Optimiser groups of the trainable parameters with their learning rates."""
    scales = {"backbone": backbone_scale, "bridge": bridge_scale, "head": 1.0}
    groups: dict[str, list] = {k: [] for k in scales}
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            groups[module_of(name)].append(parameter)
    return [
        {"params": params, "lr": lr * scales[k], "weight_decay": weight_decay, "name": k}
        for k, params in groups.items() if params
    ]


def count_parameters(model: nn.Module) -> dict[str, int]:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"total": total, "trainable": trainable}
