"""Topness (min semileptonic-ttbar chi2) on hand-built events, and against a brute-force loop."""

import itertools

import awkward as ak
import numpy as np
import pytest
from ttbar_kinematics import MUON_MASS, TOP_MASS, W_MASS, semileptonic_ttbar

from evenet.physics.topness import TopnessConstants, topness, topness_chi2

SIGMA_W, SIGMA_THAD, SIGMA_TLEP = 11.83, 20.87, 28.72


def _records(objs, masses):
    return [{"pt": o.pt, "eta": o.eta, "phi": o.phi, "mass": m} for o, m in zip(objs, masses)]


def _inputs(events):
    """events: list of dicts with lepton (vector obj), met (pt, phi), light, b (lists of vector objs)."""
    lepton = ak.Array([_records([e["lepton"]], [MUON_MASS])[0] for e in events])
    met = ak.Array([{"pt": e["met"][0], "phi": e["met"][1]} for e in events])
    light = ak.Array([_records(e["light"], [0.0] * len(e["light"])) for e in events])
    bjets = ak.Array([_records(e["b"], [0.0] * len(e["b"])) for e in events])
    return lepton, met, light, bjets


def _ttbar_event(**kwargs):
    t = semileptonic_ttbar(**kwargs)
    return {"lepton": t["lepton"], "met": (t["neutrino"].pt, t["neutrino"].phi), "light": [t["q1"], t["q2"]], "b": [t["b_had"], t["b_lep"]]}


def test_perfect_semileptonic_ttbar_has_zero_topness():
    chi2 = topness_chi2(*_inputs([_ttbar_event(), _ttbar_event(top_p3=(-10.0, 90.0, 400.0), antitop_p3=(0.0, -70.0, 50.0))]))
    assert np.all(chi2 < 1e-8)


def test_extra_jets_do_not_spoil_the_best_assignment():
    event = _ttbar_event()
    event["light"].append(event["light"][0].rotateZ(2.0).scale(0.5))
    event["b"].insert(0, event["b"][1].rotateZ(-1.5))
    assert topness_chi2(*_inputs([event]))[0] < 1e-8


def test_non_ttbar_configuration_is_large():
    # a W + light jets-like event: soft jets, light pair far below mW, b-jets far off the top mass
    import vector

    def jet(pt, eta, phi):
        return vector.obj(pt=pt, eta=eta, phi=phi, mass=0.0)

    event = {
        "lepton": vector.obj(pt=40.0, eta=0.1, phi=0.0, mass=MUON_MASS),
        "met": (35.0, 2.5),
        "light": [jet(25.0, 0.2, 1.0), jet(22.0, 0.4, 1.3)],
        "b": [jet(24.0, -0.3, -2.0), jet(21.0, 1.5, 2.0)],
    }
    assert topness_chi2(*_inputs([event]))[0] > 50.0


def test_too_few_jets_give_infinity():
    one_b = _ttbar_event()
    one_b["b"] = one_b["b"][:1]
    one_light = _ttbar_event()
    one_light["light"] = one_light["light"][:1]
    assert np.all(np.isinf(topness_chi2(*_inputs([one_b, one_light]))))


def _mass(*vectors):
    total = vectors[0]
    for v in vectors[1:]:
        total = total + v
    return total.mass


def _brute_force(event):
    """Independent reference: loop over every assignment and both neutrino solutions."""
    import vector

    lep = event["lepton"]
    met_pt, met_phi = event["met"]
    # W-mass constraint solved as a plain quadratic in pz (massive lepton, massless neutrino)
    nx, ny = met_pt * np.cos(met_phi), met_pt * np.sin(met_phi)
    k = (W_MASS**2 - MUON_MASS**2) / 2 + lep.px * nx + lep.py * ny
    a, b, c = lep.E**2 - lep.pz**2, -2 * k * lep.pz, lep.E**2 * met_pt**2 - k * k
    disc = b * b - 4 * a * c
    roots = [-b / (2 * a)] * 2 if disc < 0 else [(-b + s * np.sqrt(disc)) / (2 * a) for s in (1, -1)]
    best = np.inf
    for j1, j2 in itertools.combinations(event["light"], 2):
        for bh, bl in itertools.permutations(event["b"], 2):
            for pz in roots:
                nu = vector.obj(px=nx, py=ny, pz=pz, E=np.sqrt(nx * nx + ny * ny + pz * pz))
                chi2 = ((_mass(j1, j2) - W_MASS) / SIGMA_W) ** 2
                chi2 += ((_mass(j1, j2, bh) - TOP_MASS) / SIGMA_THAD) ** 2
                chi2 += ((_mass(lep, nu, bl) - TOP_MASS) / SIGMA_TLEP) ** 2
                best = min(best, chi2)
    return best


def test_vectorised_minimum_matches_a_brute_force_loop():
    import vector

    rng = np.random.default_rng(7)
    events = []
    for _ in range(40):
        def jets(n):
            return [vector.obj(pt=rng.uniform(20, 150), eta=rng.uniform(-2.4, 2.4), phi=rng.uniform(-np.pi, np.pi), mass=0.0) for _ in range(n)]

        events.append({
            "lepton": vector.obj(pt=rng.uniform(30, 120), eta=rng.uniform(-2.4, 2.4), phi=rng.uniform(-np.pi, np.pi), mass=MUON_MASS),
            "met": (rng.uniform(5, 150), rng.uniform(-np.pi, np.pi)),
            "light": jets(int(rng.integers(0, 6))),
            "b": jets(int(rng.integers(0, 4))),
        })
    got = topness_chi2(*_inputs(events), TopnessConstants())
    expected = np.array([_brute_force(e) for e in events])
    assert np.isinf(expected).sum() > 0 and np.isfinite(expected).sum() > 10
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_topness_variable():
    chi2 = np.array([np.e**3, 1.0])
    np.testing.assert_allclose(topness(chi2, "chi2"), chi2)
    np.testing.assert_allclose(topness(chi2, "log_chi2"), [3.0, 0.0])
    with pytest.raises(ValueError):
        topness(chi2, "sqrt")
