"""The sideband stand-in background: hand-built dimuon events with known pair kinematics."""

import numpy as np
import pytest

from analyses.cathode import sideband_background as standin
from analyses.cathode.features import Dimuons, pair_mass
from analyses.cathode.generate import MUON_FIELDS
from evenet.selection.dimuon import REGION_SB, REGION_SR

CONFIG = {"mass": {"range": [5.0, 16.0], "signal_region": [9.0, 10.6], "sr_edges": 12, "degree": 5}}
NO_CUTS = (0.0, 10.0)


def _events(n=6000, seed=1) -> Dimuons:
    """Random muon pairs; mass from the muons, region from the mass, channel OS for 3/4 of them."""
    rng = np.random.default_rng(seed)
    pt1, pt2 = rng.uniform(3, 12, n), rng.uniform(3, 12, n)
    eta1, eta2 = rng.uniform(-2, 2, n), rng.uniform(-2, 2, n)
    phi1, phi2 = rng.uniform(-np.pi, np.pi, n), rng.uniform(-np.pi, np.pi, n)
    mass = pair_mass(pt1, eta1, phi1, pt2, eta2, phi2)
    sr = (mass >= 9.0) & (mass < 10.6)
    keep = ((mass >= 5.0) & (mass < 16.0))
    region = np.where(sr, REGION_SR, REGION_SB)
    channel = (rng.random(n) < 0.25).astype(int)
    d = Dimuons(pt1, eta1, phi1, pt2, eta2, phi2, mass, channel, region, np.zeros((n, 3), int))
    return d.take(keep)


def _pair_direction(px, py, pz):
    p = np.stack([px, py, pz], axis=1)
    return p / np.linalg.norm(p, axis=1, keepdims=True)


def _input_directions(d: Dimuons, index):
    return _pair_direction(*(d.pt1[index] * np.cos(d.phi1[index]) + d.pt2[index] * np.cos(d.phi2[index]),
                             d.pt1[index] * np.sin(d.phi1[index]) + d.pt2[index] * np.sin(d.phi2[index]),
                             d.pt1[index] * np.sinh(d.eta1[index]) + d.pt2[index] * np.sinh(d.eta2[index])))


def test_events_are_the_windows_sideband_events_calibrated_to_sr_masses():
    d = _events()
    windows = [(8.0, 9.0), (10.6, 11.6)]
    out = standin.sideband_background(d, "os", CONFIG, NO_CUTS, windows, 2, np.random.default_rng(0))
    eligible = np.flatnonzero((d.region == REGION_SB) & (d.channel == 0)
                              & (((d.mass >= 8) & (d.mass < 9)) | ((d.mass >= 10.6) & (d.mass < 11.6))))
    assert len(out["model"]) == 2 * len(eligible) > 200
    condition = out["condition_mass"]
    assert ((condition >= 9.0) & (condition < 10.6)).all()
    calibrated = pair_mass(*(out[f"calibrated/{f}"] for f in MUON_FIELDS))
    np.testing.assert_allclose(calibrated, condition, rtol=1e-6)
    assert out["calibrated/selected"].all() and not out["raw/selected"].any()
    # Each output keeps the lab direction of the pair of the sideband event it came from, in order.
    c = {f: out[f"calibrated/{f}"] for f in MUON_FIELDS}
    got = _pair_direction(c["pt1"] * np.cos(c["phi1"]) + c["pt2"] * np.cos(c["phi2"]),
                          c["pt1"] * np.sin(c["phi1"]) + c["pt2"] * np.sin(c["phi2"]),
                          c["pt1"] * np.sinh(c["eta1"]) + c["pt2"] * np.sinh(c["eta2"]))
    np.testing.assert_allclose(got, _input_directions(d, np.tile(eligible, 2)), atol=1e-9)
    np.testing.assert_allclose(out["raw/mass"], np.tile(d.mass[eligible], 2), rtol=1e-9)


def test_without_windows_every_sideband_event_of_the_channel_is_used_and_muon_cuts_apply():
    d = _events()
    out = standin.sideband_background(d, "ss", CONFIG, (6.0, 10.0), None, 1, np.random.default_rng(0))
    assert len(out["model"]) == int(((d.region == REGION_SB) & (d.channel == 1)).sum())
    assert np.array_equal(out["calibrated/selected"], out["calibrated/pt2"] > 6.0)


def test_no_events_in_the_windows_and_bad_copies_are_refused(capsys):
    with pytest.raises(standin.UserError, match="no os sideband events"):
        standin.sideband_background(_events(), "os", CONFIG, NO_CUTS, [(9.2, 9.4)], 1, np.random.default_rng(0))
    assert standin.main(["--data", "x.h5", "--channel", "os", "--config", "c.yaml", "--selections", "s.yaml",
                         "--copies", "0", "--output", "o.h5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--copies must be at least 1" in err[0]
