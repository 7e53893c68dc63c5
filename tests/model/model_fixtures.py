"""Hand-built events for the model tests (tiny preset, CPU)."""

from __future__ import annotations

import math

import torch

ALL_HEADS = {
    "classification": {"num_classes": 3},
    "point_cloud_generation": {},
    "neutrino_generation": {"num_features": 4},
    "global_generation": {"targets": ["nJet", "HT"], "conditions": ["met", "met_phi"]},
}
# No dropout of any kind, so that train-mode passes are deterministic given the seed.
NO_DROPOUT = {
    "body": {"dropout": 0.0, "drop_path": 0.0, "feature_drop": 0.0},
    "encoder": {"dropout": 0.0},
    "classification": {"dropout": 0.0},
    "generation": {"dropout": 0.0},
}


def make_batch(batch: int = 6, n_max: int = 18, seed: int = 0) -> dict[str, torch.Tensor]:
    """Events with continuous kinematics (no ties), multiplicities 2..n_max, padding zero."""
    g = torch.Generator().manual_seed(seed)
    counts = torch.linspace(2, n_max, batch).round().long()
    mask = torch.arange(n_max)[None] < counts[:, None]
    pt = torch.exp(3.5 + 0.6 * torch.randn(batch, n_max, generator=g))
    eta = 1.5 * torch.randn(batch, n_max, generator=g)
    phi = (2 * torch.rand(batch, n_max, generator=g) - 1) * math.pi
    btag = (torch.rand(batch, n_max, generator=g) < 0.3).float()
    lepton = (torch.rand(batch, n_max, generator=g) < 0.2).float()
    source = torch.stack([pt * torch.cosh(eta), pt, eta, phi, btag, lepton, lepton], -1) * mask[..., None]
    globals_ = torch.rand(batch, 10, generator=g) * 100
    inv_pt = torch.exp(3.5 + 0.5 * torch.randn(batch, 2, generator=g))
    inv_eta = torch.randn(batch, 2, generator=g)
    invisible = torch.stack([inv_pt * torch.cosh(inv_eta), inv_pt, inv_eta, torch.rand(batch, 2, generator=g)], -1)
    invisible_mask = torch.ones(batch, 2, dtype=torch.bool)
    invisible_mask[0, 1] = False
    return {"source": source, "source_mask": mask, "globals": globals_,
            "invisible": invisible * invisible_mask[..., None], "invisible_mask": invisible_mask,
            "label": torch.zeros(batch, dtype=torch.long)}


def normalization() -> dict:
    source = {"transform": ["log1p", "log1p", "none", "none", "none", "none", "none"],
              "mean": [4.5, 3.5, 0.0, 0.0, 0.0, 0.0, 0.0], "std": [1.0, 0.6, 1.5, 1.8, 1.0, 1.0, 1.0],
              "normalize": [True, True, True, True, False, False, False]}
    globals_ = {"transform": ["none"] * 10, "mean": [50.0] * 10, "std": [29.0] * 10, "normalize": [True] * 10}
    invisible = {"transform": ["log1p", "log1p", "none", "none"], "mean": [4.0, 3.5, 0.0, 0.5],
                 "std": [1.0, 0.5, 1.0, 0.3], "normalize": [True] * 4}
    return {"source": source, "globals": globals_, "invisible": invisible,
            "multiplicity": {"mean": [10.0], "std": [5.0]}}


def overfit_head(head, tokens, mask, event, targets, steps: int, lr: float = 3e-3) -> float:
    """Train ``head`` alone on one batch for ``steps`` Adam steps; return the loss before training."""
    optimizer = torch.optim.Adam(head.parameters(), lr=lr)
    initial = head.loss(head(tokens, mask, event), targets).item()
    for _ in range(steps):
        optimizer.zero_grad()
        head.loss(head(tokens, mask, event), targets).backward()
        optimizer.step()
    return initial
