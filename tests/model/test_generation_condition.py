"""The generation heads follow their conditioning globals (the CATHODE generator, docs/cathode.md).

Toy: two objects whose pseudorapidity *difference* is a strong linear function of the
condition M_leps (eta2 - eta1 = A (M - 4) + noise, positive; each object's own eta is broad and
its marginal hardly depends on M), and an event global HT_lep = B M + noise. After a
short training of the tiny network, events generated at independent conditioning masses
must reproduce both slopes. Before the point-cloud head's conditions reached the PET body
(where the objects interact) the generated eta difference ignored M (slope ~0).
"""

from __future__ import annotations

import numpy as np
import torch

from evenet.model.config import GLOBAL_FEATURES, SOURCE_FEATURES
from evenet.model.network import build_model
from evenet.model.sampling import sample_event_quantities, sample_objects

A, B = 0.25, 2.0  # d(eta2 - eta1)/dM, dHT/dM
NO_DROPOUT = {"body": {"dropout": 0.0, "drop_path": 0.0, "feature_drop": 0.0}, "generation": {"dropout": 0.0}}
HEADS = {
    "global_generation": {"targets": ["HT_lep"], "conditions": ["M_leps"]},
    "point_cloud_generation": {"generated_features": ["energy", "pt", "eta", "phi"], "condition_globals": ["M_leps"]},
}
M, HT = GLOBAL_FEATURES.index("M_leps"), GLOBAL_FEATURES.index("HT_lep")


def _events(mass: np.ndarray, rng: np.random.Generator) -> dict[str, torch.Tensor]:
    n = len(mass)
    eta1 = rng.normal(0.0, 1.0, n)
    eta = np.stack([eta1, eta1 + A * (mass - 4.0) + rng.normal(0.0, 0.1, n)], 1)
    phi1 = rng.uniform(-1.0, 1.0, n)
    phi = np.stack([phi1, phi1 + rng.normal(0.0, 0.1, n)], 1)
    pt = rng.lognormal(2.0, 0.3, (n, 2))
    source = np.zeros((n, 18, len(SOURCE_FEATURES)), np.float32)
    source[:, :2, :4] = np.stack([pt * np.cosh(eta), pt, eta, phi], -1)
    source[:, :2, SOURCE_FEATURES.index("isLepton")] = 1.0
    mask = np.zeros((n, 18), bool)
    mask[:, :2] = True
    globals_ = np.zeros((n, len(GLOBAL_FEATURES)), np.float32)
    globals_[:, M] = mass
    globals_[:, HT] = B * mass + rng.normal(0.0, 1.0, n)
    return {"source": torch.from_numpy(source), "source_mask": torch.from_numpy(mask),
            "globals": torch.from_numpy(globals_)}


def _normalization(events: dict[str, torch.Tensor]) -> dict:
    objects = events["source"][events["source_mask"]].double()
    objects[:, :2] = torch.log1p(objects[:, :2])
    moving = [True] * 4 + [False] * 3
    globals_ = events["globals"].double()
    varies = [bool(s > 0) for s in globals_.std(0)]
    return {
        "source": {"transform": ["log1p", "log1p"] + ["none"] * 5, "normalize": moving,
                   "mean": [float(v) if k else 0.0 for v, k in zip(objects.mean(0), moving)],
                   "std": [float(v) if k else 1.0 for v, k in zip(objects.std(0), moving)]},
        "globals": {"transform": ["none"] * len(GLOBAL_FEATURES), "normalize": varies,
                    "mean": [float(v) if k else 0.0 for v, k in zip(globals_.mean(0), varies)],
                    "std": [float(v) if k else 1.0 for v, k in zip(globals_.std(0), varies)]},
    }


def test_generated_events_follow_the_condition():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    data = _events(rng.uniform(5.0, 16.0, 4000), rng)
    model = build_model("tiny", HEADS, _normalization(data), **NO_DROPOUT)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.0)
    for _ in range(300):
        idx = torch.from_numpy(rng.integers(0, 4000, 128))
        outputs = model({k: v[idx] for k, v in data.items()}, noise_prob=1.0)
        loss = sum(model.losses(outputs, {}).values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    model.eval()
    mass = rng.uniform(5.0, 16.0, 3000)
    conditions = _events(mass, rng)
    conditions["source"][..., :4] = 0.0  # only the condition and the object multiplicity given
    g = torch.Generator().manual_seed(1)
    ht = sample_event_quantities(model, conditions, steps=20, generator=g)["globals"][:, 0].numpy()
    objects = sample_objects(model, conditions, steps=20, generator=g).numpy()
    d_eta = np.abs(objects[:, 1, 2] - objects[:, 0, 2])  # the network does not order the two objects
    ht_slope, eta_slope = np.polyfit(mass, ht, 1)[0], np.polyfit(mass, d_eta, 1)[0]
    assert abs(ht_slope / B - 1.0) < 0.2, ht_slope
    assert abs(eta_slope / A - 1.0) < 0.3, eta_slope
