"""Small building blocks shared by the EveNet body and heads.

The blocks reproduce the mathematics of the released EveNet network
(evenet-core 0.3.0) so that its weights can be imported; the code is ours.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from evenet.model.packing import Packing


def bridge(input_dim: int, output_dim: int) -> nn.Module:
    """Identity when the widths agree, otherwise a linear projection."""
    return nn.Identity() if input_dim == output_dim else nn.Linear(input_dim, output_dim)


def dropout_mask(shape: torch.Size, p: float, dtype: torch.dtype) -> Tensor:
    """CPU inverted-dropout mask: 0 with probability ~p, else 1 / (1 - p) (``p`` rounded to a multiple
    of 2^-16). Drawn from 16-bit uniform integers, four per 64-bit draw of the generator, instead of
    ``bernoulli_``'s one draw per element: half the time of ``F.dropout``."""
    n = math.prod(shape)
    dropped = round(p * 65536)
    bits = torch.empty((n + 3) // 4, dtype=torch.int64).random_(-(2**63), None).view(torch.int16)[:n]
    # The comparison writes 0/1 straight into the float mask (half the time of a bool mask converted).
    keep = torch.ge(bits.view(shape), dropped - 32768, out=torch.empty(shape, dtype=dtype))
    return keep.mul_(65536.0 / (65536 - dropped))


def dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """Inverted dropout; on CPU with the mask of :func:`dropout_mask`."""
    if not training or p == 0.0:
        return x
    if x.device.type != "cpu" or p >= 1.0:
        return F.dropout(x, p, True)
    return x * dropout_mask(x.shape, p, x.dtype)


class Dropout(nn.Dropout):
    """``nn.Dropout`` through :func:`dropout`."""

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)


class LayerScale(nn.Module):
    """Per-channel learnable residual scale (CaiT), initialised small."""

    def __init__(self, dim: int, init: float):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim,), float(init)))

    def forward(self, x: Tensor) -> Tensor:
        return x * self.gamma


class StochasticDepth(nn.Module):
    """Residual ``x + branch * scale`` whose branch is dropped per event with probability ``p``
    during training (kept branches scaled by 1 / (1 - p)); one ``addcmul``, with a written-out
    backward (:class:`_ScaledResidual`)."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: Tensor, branch: Tensor, scale: Tensor, packing: Packing | None = None) -> Tensor:
        """``x``, ``branch``: (B, ...) per event, or packed tokens (T, ...) of ``packing`` (one draw per
        event); ``scale``: (D,), the last dimension (a LayerScale's gamma)."""
        draw = None
        if self.training and self.p > 0.0:
            keep = 1.0 - self.p
            events = x.shape[0] if packing is None else packing.batch
            draw = torch.bernoulli(torch.full((events,), keep, device=x.device, dtype=x.dtype)) / keep
            if packing is not None:
                draw = packing.per_event(draw)
        return _ScaledResidual.apply(x, branch, scale, draw)


class _ScaledResidual(torch.autograd.Function):
    """x + branch * (draw[:, None] * scale) (draw: per row, or None for 1), as one ``addcmul``; the
    backward gives the gradients of x, branch and scale in two elementwise passes and one
    matrix-vector product, instead of autograd's five passes of ``addcmul`` and the scale product."""

    @staticmethod
    def forward(ctx, x, branch, scale, draw):
        factor = scale if draw is None else draw.view(-1, *(1,) * (x.ndim - 1)) * scale
        ctx.save_for_backward(branch, factor, draw)
        return torch.addcmul(x, branch, factor)

    @staticmethod
    def backward(ctx, grad):
        branch, factor, draw = ctx.saved_tensors
        grad_branch = grad_scale = None
        if ctx.needs_input_grad[1]:
            grad_branch = grad * factor
        if ctx.needs_input_grad[2]:
            product = grad * branch
            if draw is None:
                grad_scale = product.reshape(-1, grad.shape[-1]).sum(dim=0)
            else:
                grad_scale = draw.view(1, -1).mm(product.reshape(draw.shape[0], -1)).view(-1, grad.shape[-1]).sum(0)
        return grad, grad_branch, grad_scale, None


class EventFeatureDrop(nn.Module):
    """Zero the input features (from index ``keep`` on) of a random fraction ``p`` of events.

    This is EveNet's pretraining feature dropout: the network must then rely on
    the event globals and the edges alone for the dropped events.
    """

    def __init__(self, p: float, keep: int = 0):
        super().__init__()
        self.p = p
        self.keep = keep

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        dropped = torch.bernoulli(torch.full((x.shape[0], 1, 1), self.p, device=x.device, dtype=x.dtype))
        droppable = (torch.arange(x.shape[-1], device=x.device) >= self.keep).to(x.dtype)
        return x * (1.0 - dropped * droppable)


class FourierTimeEmbedding(nn.Module):
    """Sinusoidal embedding of the diffusion time t in [0, 1], then a 2-layer SiLU MLP.

    The sinusoids are multiplied by t, so t = 0 embeds to exactly zero: the
    FiLM conditioning built on it is then the identity (plain discriminative input).
    """

    def __init__(self, dim: int, num_frequencies: int = 32):
        super().__init__()
        exponent = math.log(10000.0) / (num_frequencies - 1)
        self.register_buffer("frequency", torch.exp(-exponent * torch.arange(num_frequencies)), persistent=False)
        self.fc1 = nn.Linear(2 * num_frequencies, 2 * dim, bias=False)
        self.fc2 = nn.Linear(2 * dim, dim, bias=False)

    def forward(self, t: Tensor) -> Tensor:
        """``t``: any shape (...); returns (..., dim)."""
        t = t.unsqueeze(-1)
        angle = t * self.frequency * 1000.0
        features = torch.cat([torch.sin(angle), torch.cos(angle)], dim=-1) * t
        return F.silu(self.fc2(F.silu(self.fc1(features))))


class GRUGate(nn.Module):
    """Gated residual of GTrXL (Parisotto et al. 2019): mixes an update into a residual stream."""

    def __init__(self, dim: int, gate_bias: float = 2.0):
        super().__init__()
        self.w_r = nn.Linear(dim, dim)
        self.u_r = nn.Linear(dim, dim, bias=False)
        self.w_z = nn.Linear(dim, dim)
        self.u_z = nn.Linear(dim, dim, bias=False)
        self.w_g = nn.Linear(dim, dim)
        self.u_g = nn.Linear(dim, dim, bias=False)
        self.gate_bias = nn.Parameter(torch.full((dim,), gate_bias))

    def forward(self, update: Tensor, residual: Tensor) -> Tensor:
        """Three matrix products instead of six: the update's three maps in one (the gate bias folded
        into w_z's bias), the residual's r and z maps in one added inside it (addmm), and u_g on
        r * residual added inside the update's g part; (1 - z) residual + z h is one lerp."""
        shape = residual.shape
        dim = shape[-1]
        update, residual = update.reshape(-1, dim), residual.reshape(-1, dim)
        weight = torch.cat([self.w_r.weight, self.w_z.weight, self.w_g.weight])
        bias = torch.cat([self.w_r.bias, self.w_z.bias - self.gate_bias, self.w_g.bias])
        rz, g = F.linear(update, weight, bias).split([2 * dim, dim], dim=-1)
        rz = torch.addmm(rz, residual, torch.cat([self.u_r.weight, self.u_z.weight]).t())
        r, z = torch.sigmoid(rz).chunk(2, dim=-1)
        h = torch.tanh(torch.addmm(g, r * residual, self.u_g.weight.t()))
        return torch.lerp(residual, h, z).view(shape)


class GatedMLPBlock(nn.Module):
    """LayerNorm -> Linear -> GELU -> Linear -> GELU, merged into the input by a GRU gate.

    With ``gated=False`` the block is a plain pre-norm MLP (no residual).
    Outputs are multiplied by the token mask.
    """

    def __init__(self, input_dim: int, output_dim: int, hidden_scale: float, dropout: float, gated: bool):
        super().__init__()
        hidden = int(round(hidden_scale * input_dim))
        self.norm = nn.LayerNorm(input_dim)
        self.fc1 = nn.Linear(input_dim, hidden)
        self.fc2 = nn.Linear(hidden, output_dim)
        self.dropout = Dropout(dropout)
        self.gated = gated
        if gated:
            self.gate = GRUGate(output_dim)
            self.residual = bridge(input_dim, output_dim)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """``x``: (B, N, input_dim) with ``mask`` (B, N, 1) float, or packed valid tokens
        (T, input_dim) with ``mask`` None."""
        out = self.dropout(F.gelu(self.fc1(self.norm(x))))
        out = self.dropout(F.gelu(self.fc2(out)))
        if self.gated:
            out = self.gate(out, self.residual(x))
        return out if mask is None else out * mask


class FeedForward(nn.Sequential):
    """Linear(d, 2d) -> GELU -> Dropout -> Linear(2d, out)."""

    def __init__(self, dim: int, dropout: float = 0.0, output_dim: int | None = None):
        super().__init__(
            nn.Linear(dim, 2 * dim),
            nn.GELU(),
            Dropout(dropout),
            nn.Linear(2 * dim, output_dim or dim),
        )
