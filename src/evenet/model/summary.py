"""Parameter counts per component of an EveNet model."""

from __future__ import annotations

from torch import nn

from evenet.model.network import EveNet

ENCODER_PARTS = ("global_embedding", "body", "object_encoder")
DECODER_HEADS = ("point_cloud_generation", "neutrino_generation")


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def parameter_table(model: EveNet) -> list[tuple[str, int]]:
    """Rows (component, parameters): encoder parts, encoder total, each head, decoder total, total."""
    rows = [(name, count(getattr(model, name))) for name in ENCODER_PARTS]
    rows.append(("encoder (total)", sum(n for _, n in rows)))
    rows += [(f"head: {name}", count(head)) for name, head in model.heads.items()]
    rows.append(("decoder (generation heads)", sum(count(model.heads[h]) for h in DECODER_HEADS if h in model.heads)))
    rows.append(("total", count(model)))
    return rows
