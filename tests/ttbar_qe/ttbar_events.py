"""On-shell t tbar -> b l+ nu bbar l- nubar events in the point-cloud layout (no detector):
parton truth, objects in slots, targets, neutrinos, MET."""

from __future__ import annotations

import numpy as np

from analyses.ttbar_qe.events import PartonTruth, PointCloudEvents
from evenet.physics.neutrino_solver import TOP_MASS, W_MASS
from evenet.physics.spin import boost

B_MASS = 4.8


def _two_body(parent, m1, m2, rng):
    m = np.sqrt(parent[0] ** 2 - parent[1:] @ parent[1:])
    p = np.sqrt((m**2 - (m1 + m2) ** 2) * (m**2 - (m1 - m2) ** 2)) / (2 * m)
    cos, phi = rng.uniform(-1, 1), rng.uniform(0, 2 * np.pi)
    d = np.array([np.sqrt(1 - cos**2) * np.cos(phi), np.sqrt(1 - cos**2) * np.sin(phi), cos]) * p
    beta = parent[None, 1:] / parent[0]
    return (boost(np.concatenate([[np.hypot(p, m1)], d])[None], beta)[0],
            boost(np.concatenate([[np.hypot(p, m2)], -d])[None], beta)[0])


def _row(p4, btag, is_lepton, charge):
    pt = np.hypot(p4[1], p4[2])
    return [p4[0], pt, np.arcsinh(p4[3] / pt), np.arctan2(p4[2], p4[1]), btag, is_lepton, charge]


def make_events(n: int, seed: int) -> tuple[PartonTruth, PointCloudEvents]:
    """n events; the b-jet slots are in random order, so the pairing is not given away."""
    rng = np.random.default_rng(seed)
    columns = {k: [] for k in ("top", "antitop", "lp", "lm", "b", "bbar", "nu", "nubar")}
    for _ in range(n):
        p = np.array([rng.normal(0, 80), rng.normal(0, 80), rng.normal(0, 250)])
        for sign, (t_key, b_key, l_key, n_key) in ((1, ("top", "b", "lp", "nu")), (-1, ("antitop", "bbar", "lm", "nubar"))):
            top = np.concatenate([[np.hypot(np.linalg.norm(p), TOP_MASS)], sign * p])
            w, b = _two_body(top, W_MASS, B_MASS, rng)
            lepton, nu = _two_body(w, 0.0, 0.0, rng)
            for key, value in ((t_key, top), (b_key, b), (l_key, lepton), (n_key, nu)):
                columns[key].append(value)
    c = {k: np.array(v) for k, v in columns.items()}
    objects = np.zeros((n, 18, 7))
    mask = np.zeros((n, 18), bool)
    mask[:, :4] = True
    swap = rng.random(n) < 0.5
    slot_b = np.where(swap, 3, 2)
    slot_bbar = np.where(swap, 2, 3)
    for i in range(n):
        objects[i, 0] = _row(c["lp"][i], 0, 1, +1)
        objects[i, 1] = _row(c["lm"][i], 0, 1, -1)
        objects[i, slot_b[i]] = _row(c["b"][i], 1, 0, 0)
        objects[i, slot_bbar[i]] = _row(c["bbar"][i], 1, 0, 0)
    event = np.arange(n, dtype=np.int64) + 100
    targets = {"t/b": slot_b, "t/l": np.zeros(n, int), "tbar/b": slot_bbar, "tbar/l": np.ones(n, int)}
    met = c["nu"][:, 1:3] + c["nubar"][:, 1:3]
    truth = PartonTruth(event, c["top"], c["antitop"], c["lp"], c["lm"])
    return truth, PointCloudEvents(event, objects, mask, targets, c["nu"][:, 1:], c["nubar"][:, 1:], met)
