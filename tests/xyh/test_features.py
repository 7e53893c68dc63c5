"""Table IV features on hand-built events with known kinematics (analyses/xyh/features.py)."""

from __future__ import annotations

import itertools

import awkward as ak
import numpy as np
import pytest

from analyses.xyh.features import FEATURE_NAMES, H_MASS, P4, Event, hypothesis_pairs, table_iv
from evenet.physics.neutrino_pz import W_MASS
from evenet.physics.topness import TopnessConstants, topness_chi2
from evenet.pointcloud import schema as S

F = {n: i for i, n in enumerate(S.SOURCE_FEATURES)}
G = {n: i for i, n in enumerate(S.GLOBAL_FEATURES)}


def massless(pt, eta, phi):
    return {"pt": pt, "eta": eta, "phi": phi, "energy": pt * np.cosh(eta)}


def build(events):
    """events: list of dicts {lepton, jets: [(obj, btag flag, score)], met, met_phi} -> arrays."""
    n = len(events)
    source = np.zeros((n, S.MAX_OBJECTS, len(S.SOURCE_FEATURES)))
    mask = np.zeros((n, S.MAX_OBJECTS), bool)
    score = np.zeros((n, S.MAX_OBJECTS))
    globals_ = np.zeros((n, len(S.GLOBAL_FEATURES)))
    for k, ev in enumerate(events):
        objects = [(ev["lepton"], 0, 0.0, 1)] + [(obj, flag, s, 0) for obj, flag, s in ev["jets"]]
        for slot, (obj, flag, s, is_lepton) in enumerate(objects):
            for name in ("pt", "eta", "phi", "energy"):
                source[k, slot, F[name]] = obj[name]
            source[k, slot, F["btag"]] = flag
            source[k, slot, F["isLepton"]] = is_lepton
            score[k, slot] = s
            mask[k, slot] = True
        globals_[k, G["met"]], globals_[k, G["met_phi"]] = ev["met"], ev["met_phi"]
        globals_[k, G["nbJet"]] = sum(flag for _, flag, _ in ev["jets"])
    return source, mask, score, globals_


def w_pair(p, phi0=0.0, eta=0.0):
    """Two massless jets of pt p at the same eta whose pair mass is exactly m_W."""
    half = np.arccos(1 - W_MASS**2 / (2 * p * p)) / 2  # m^2 = 2 p^2 (1 - cos dphi) at equal eta
    return massless(p, eta, phi0 + half), massless(p, eta, phi0 - half)


def event(met=40.0, met_phi=2.0, lepton=(50.0, 0.5, 0.0), light=None, scores=(0.9, 0.8)):
    q1, q2 = w_pair(60.0, phi0=1.0)
    light = light if light is not None else [q1, q2, massless(35.0, -1.2, -2.0)]
    return {
        "lepton": massless(*lepton), "met": met, "met_phi": met_phi,
        "jets": [(massless(120.0, 0.3, 2.8), 1, scores[0]), (massless(80.0, -0.7, -1.5), 1, scores[1])]
        + [(j, 0, 0.05) for j in light],
    }


def p4(obj):
    return P4.from_ptetaphie(np.array(obj["pt"]), np.array(obj["eta"]), np.array(obj["phi"]), np.array(obj["energy"]))


def test_both_neutrino_roots_put_lepton_and_neutrino_on_the_w_mass():
    ev = Event.from_arrays(*build([event()]))
    nu, is_complex = ev.neutrinos()
    assert not is_complex[0]
    assert nu.pz[0, 0] != pytest.approx(nu.pz[0, 1])
    for root in (0, 1):
        assert (ev.lepton[0] + nu[0, root]).mass == pytest.approx(W_MASS, rel=1e-9)


def test_complex_roots_are_replaced_by_their_real_part():
    # MET opposite the lepton and large: the lepton-MET transverse mass exceeds m_W, no real solution
    ev = Event.from_arrays(*build([event(met=200.0, met_phi=np.pi, lepton=(50.0, 0.5, 0.0))]))
    nu, is_complex = ev.neutrinos()
    assert is_complex[0]
    mu = W_MASS**2 / 2 + 50.0 * 200.0 * np.cos(np.pi)
    expected = mu * 50.0 * np.sinh(0.5) / 50.0**2
    assert nu.pz[0, 0] == pytest.approx(expected) and nu.pz[0, 1] == pytest.approx(expected)


def test_hypothesis_a_takes_the_pair_at_the_w_mass():
    table = table_iv(*build([event()]))
    assert table["m_whad_A"][0] == pytest.approx(W_MASS, rel=1e-9)
    assert table["q1_pt_A"][0] == pytest.approx(60.0) and table["q2_pt_A"][0] == pytest.approx(60.0)


def brute_force_b(ev_dict):
    """Hypothesis B by an explicit loop: the (pair, root) with m(l nu q q) closest to m_H."""
    lep = ev_dict["lepton"]
    lv = np.array([lep["energy"], lep["pt"] * np.cos(lep["phi"]), lep["pt"] * np.sin(lep["phi"]),
                   lep["pt"] * np.sinh(lep["eta"])])
    met, phi = ev_dict["met"], ev_dict["met_phi"]
    px, py = met * np.cos(phi), met * np.sin(phi)
    mu = W_MASS**2 / 2 + lv[1] * px + lv[2] * py
    a = lv[1] ** 2 + lv[2] ** 2
    disc = mu * mu - a * met * met
    roots = [mu * lv[3] / a] * 2 if disc < 0 else [(mu * lv[3] + s * lv[0] * np.sqrt(disc)) / a for s in (1, -1)]
    light = [j for j, flag, _ in ev_dict["jets"] if not flag]
    best = None
    for (i, qi), (j, qj) in itertools.combinations(enumerate(light), 2):
        q = sum(np.array([o["energy"], o["pt"] * np.cos(o["phi"]), o["pt"] * np.sin(o["phi"]),
                          o["pt"] * np.sinh(o["eta"])]) for o in (qi, qj))
        for root, pz in enumerate(roots):
            nu = np.array([np.sqrt(px * px + py * py + pz * pz), px, py, pz])
            total = lv + nu + q
            m = np.sqrt(max(total[0] ** 2 - total[1:] @ total[1:], 0.0))
            if best is None or abs(m - H_MASS) < best[0]:
                best = (abs(m - H_MASS), i, j, root)
    return best


def test_hypothesis_b_tries_both_roots_and_every_pair():
    # Light jets near the lepton: one pair close to m_H with l nu, different from the W-mass pair.
    q1, q2 = w_pair(60.0, phi0=2.5)
    candidates = [q1, q2, massless(25.0, 0.6, 0.3), massless(30.0, 0.2, -0.4), massless(22.0, -0.5, 0.9)]
    events = [event(light=candidates, met=met, met_phi=phi)
              for met, phi in ((30.0, 0.2), (45.0, -0.3), (60.0, 0.5), (200.0, np.pi))]
    ev = Event.from_arrays(*build(events))
    chosen = hypothesis_pairs(ev)["B"]
    roots_used = set()
    for k, ev_dict in enumerate(events):
        _, i, j, root = brute_force_b(ev_dict)
        order = sorted(range(len(candidates)), key=lambda n: -candidates[n]["pt"])  # features: pt order, stable
        assert {order[chosen[0][k]], order[chosen[1][k]]} == {i, j}
        roots_used.add(root)
    assert roots_used >= {0, 1}  # the test events exercise both roots
    assert hypothesis_pairs(ev)["A"][0][0] != chosen[0][0] or hypothesis_pairs(ev)["A"][1][0] != chosen[1][0]


def test_b_jets_are_the_two_highest_scores_and_transverse_mass():
    ev_dict = event(met=40.0, met_phi=np.pi, lepton=(50.0, 0.0, 0.0), scores=(0.3, 0.95))
    ev_dict["jets"].append((massless(200.0, 1.0, 0.5), 1, 0.6))  # a third tagged jet, middle score
    table = table_iv(*build([ev_dict]))
    assert table["b1_pt"][0] == pytest.approx(80.0) and table["b2_pt"][0] == pytest.approx(200.0)
    assert table["n_b"][0] == 3
    assert table["mt_lep"][0] == pytest.approx(np.sqrt(2 * 50.0 * 40.0 * 2))
    assert list(table.columns) == list(FEATURE_NAMES)
    assert np.all(np.isfinite(table.to_numpy()))


def test_topness_block_is_the_selection_topness_and_its_assignment():
    events = [event(), event(met=200.0, met_phi=np.pi), event(met=70.0, met_phi=-1.0, scores=(0.5, 0.99))]
    arrays = build(events)
    table = table_iv(*arrays)
    # the library's topness (awkward combinatorics) on the same events
    lepton = ak.Array([{"pt": e["lepton"]["pt"], "eta": e["lepton"]["eta"], "phi": e["lepton"]["phi"], "mass": 0.0}
                       for e in events])
    met = ak.Array([{"pt": e["met"], "phi": e["met_phi"]} for e in events])

    def jets(flag):
        return ak.Array([[{"pt": j["pt"], "eta": j["eta"], "phi": j["phi"], "mass": 0.0}
                          for j, f, _ in e["jets"] if f == flag] for e in events])

    expected = topness_chi2(lepton, met, jets(0), jets(1))
    np.testing.assert_allclose(table["topness_chi2"], expected, rtol=1e-6)
    c = TopnessConstants()
    recomputed = (((table["m_whad_top"] - c.w_mass) / c.sigma_w) ** 2 + ((table["m_thad"] - c.top_mass) / c.sigma_top_had) ** 2
                  + ((table["m_tlep"] - c.top_mass) / c.sigma_top_lep) ** 2)
    np.testing.assert_allclose(table["topness_chi2"], recomputed, rtol=1e-9)
    assert np.all(table["m_l_blep"] < table["m_tlep"])


def test_events_outside_the_preselection_are_refused():
    ev_dict = event()
    ev_dict["jets"] = ev_dict["jets"][:3]  # one light jet only
    with pytest.raises(Exception, match="1 light jets"):
        table_iv(*build([ev_dict]))
