"""Fine-tuning strategies: which parameters train, and at which learning rate.

The paper's variants differ only in the starting weights: Scratch (random),
SSL (stage-1 checkpoint), Full (stage-2 checkpoint). On top of any of them:

* per-module learning rates: the backbone (normalisers, global embedding, PET
  body) at ``backbone_lr_scale`` x and the bridging object encoder at
  ``bridge_lr_scale`` x the head rate (paper: 0.1 and 0.3);
* partial freezing by module prefix (``finetune.freeze``);
* adapter training of the backbone (``finetune.adapters`` > 0): the PET body gets
  bottleneck adapters between its blocks and everything else in the backbone is
  frozen, except its last ``finetune.last_blocks`` transformer blocks, which train
  at ``optimizer.last_blocks_lr_scale`` x the head rate (paper Sec. III, individual
  X -> YH fine-tunes: adapters plus the partially unfrozen last layers at 0.3x).
"""

from __future__ import annotations

from torch import nn

from evenet.errors import ConfigError

BACKBONE = ("source_norm", "global_norm", "multiplicity_norm", "invisible_norm", "global_embedding", "body")
BRIDGE = ("object_encoder",)


def last_block_prefixes(model: nn.Module, last_blocks: int) -> tuple[str, ...]:
    """Parameter-name prefixes of the last ``last_blocks`` transformer blocks of the PET body."""
    n = len(model.body.blocks)
    if not 0 <= last_blocks <= n:
        raise ConfigError(f"finetune.last_blocks must be in 0..{n} (the body's blocks), got {last_blocks}")
    return tuple(f"body.blocks.{i}." for i in range(n - last_blocks, n))


def module_of(name: str, last_blocks: tuple[str, ...] = ()) -> str:
    """'backbone', 'last_blocks', 'bridge' or 'head' for a parameter name of EveNet;
    ``last_blocks``: prefixes of :func:`last_block_prefixes`."""
    top = name.split(".", 1)[0]
    if name.startswith(last_blocks) and last_blocks:
        return "last_blocks"
    if top in BACKBONE:
        return "backbone"
    if top in BRIDGE:
        return "bridge"
    return "head"


def apply_freezing(model: nn.Module, freeze: list[str], adapters: bool, last_blocks: int = 0) -> None:
    """Set ``requires_grad``: frozen prefixes off; with adapters, the backbone off except its
    adapters and its last ``last_blocks`` transformer blocks."""
    last = last_block_prefixes(model, last_blocks)
    names = [n for n, _ in model.named_parameters()]
    for prefix in freeze:
        if not any(n == prefix or n.startswith(f"{prefix}.") for n in names):
            raise ConfigError(f"finetune.freeze: no parameters under {prefix!r}")
    for name, parameter in model.named_parameters():
        frozen = any(name == p or name.startswith(f"{p}.") for p in freeze)
        if adapters and module_of(name, last) == "backbone" and ".adapters." not in name:
            frozen = True
        parameter.requires_grad_(not frozen)


def parameter_groups(model: nn.Module, lr: float, weight_decay: float, backbone_scale: float,
                     bridge_scale: float, last_blocks: int = 0, last_blocks_scale: float = 1.0) -> list[dict]:
    """Optimiser groups of the trainable parameters with their learning rates."""
    scales = {"backbone": backbone_scale, "last_blocks": last_blocks_scale, "bridge": bridge_scale, "head": 1.0}
    groups: dict[str, list] = {k: [] for k in scales}
    last = last_block_prefixes(model, last_blocks)
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            groups[module_of(name, last)].append(parameter)
    return [
        {"params": params, "lr": lr * scales[k], "weight_decay": weight_decay, "name": k}
        for k, params in groups.items() if params
    ]


def count_parameters(model: nn.Module) -> dict[str, int]:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"total": total, "trainable": trainable}
