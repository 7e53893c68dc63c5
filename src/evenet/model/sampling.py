"""Sampling API of the generation heads (inputs and outputs in physical units).

``sampler`` is "ddim" (first order) or "dpm++2m" (second order, fewer steps
for the same quality); ``steps`` is the number of network calls.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from evenet.errors import ConfigError
from evenet.model.diffusion import SAMPLERS
from evenet.model.network import EveNet


def _sampler(name: str):
    if name not in SAMPLERS:
        raise ConfigError(f"sampler {name!r} is unknown (choose from {', '.join(SAMPLERS)})")
    return SAMPLERS[name]


def _noise(shape, like: Tensor, generator: torch.Generator | None) -> Tensor:
    return torch.randn(shape, generator=generator, device=like.device, dtype=like.dtype)


@torch.no_grad()
def sample_objects(model: EveNet, batch: Mapping[str, Tensor], noise_mask: Tensor | None = None, steps: int = 25,
                   sampler: str = "dpm++2m", generator: torch.Generator | None = None) -> Tensor:
    """Inpaint the objects flagged by ``noise_mask`` (B, N) given the others (masked diffusion);
    ``noise_mask=None`` regenerates every real object (full-event generation at the given
    multiplicity). Returns ``source`` (B, N, 7); clean objects come back unchanged, and
    features the head does not generate come back as in the input."""
    norm = model.normalize(batch)
    noise_mask = norm["mask"] if noise_mask is None else noise_mask.bool() & norm["mask"]
    keep = noise_mask.unsqueeze(-1) & model.generated_features
    x = _noise(norm["source"].shape, norm["source"], generator) * keep

    def v_fn(x_t: Tensor, t: Tensor) -> Tensor:
        return model.point_cloud_velocity(x_t, t, norm, noise_mask)

    x = _sampler(sampler)(v_fn, x, steps, mask=keep)
    generated = torch.where(keep, x, norm["source"])
    out = model.source_norm.inverse(generated, norm["mask"])
    return torch.where(keep, out, batch["source"].to(out.dtype))


@torch.no_grad()
def sample_invisible(model: EveNet, batch: Mapping[str, Tensor], invisible_mask: Tensor, steps: int = 25,
                     sampler: str = "dpm++2m", generator: torch.Generator | None = None) -> Tensor:
    """Invisible particles (B, M, F_inv) for the slots in ``invisible_mask`` (B, M), given the visible event."""
    norm = model.normalize(batch)
    invisible_mask = invisible_mask.bool()
    m = invisible_mask.unsqueeze(-1)
    shape = (*invisible_mask.shape, model.num_invisible_features)
    x = _noise(shape, norm["source"], generator) * m

    def v_fn(x_t: Tensor, t: Tensor) -> Tensor:
        return model.invisible_velocity(x_t, t, norm, invisible_mask)

    x = _sampler(sampler)(v_fn, x, steps, mask=m)
    return model.invisible_norm.inverse(x, invisible_mask)


@torch.no_grad()
def sample_event_quantities(model: EveNet, batch: Mapping[str, Tensor], steps: int = 25, sampler: str = "dpm++2m",
                            generator: torch.Generator | None = None) -> dict[str, Tensor]:
    """Event-level diffusion: ``multiplicity`` (B,) (real-valued; round it to use it) and
    ``globals`` (B, T), the configured target globals in physical units, given the conditions."""
    norm = model.normalize(batch)
    b = norm["mask"].shape[0]
    x = _noise((b, 1 + len(model.global_targets)), norm["globals"], generator)

    def v_fn(x_t: Tensor, t: Tensor) -> Tensor:
        return model.globals_velocity(x_t, t, norm)

    x = _sampler(sampler)(v_fn, x, steps)
    multiplicity = model.multiplicity_norm.inverse(x[:, :1])[:, 0]
    full = torch.zeros_like(norm["globals"])
    full[:, model.global_targets] = x[:, 1:]
    physical = model.global_norm.inverse(full)[:, model.global_targets]
    return {"multiplicity": multiplicity, "globals": physical}
