"""The dimuon toy shows the Upsilon(1S) peak over a sideband fit in opposite-sign
pairs and nothing in same-sign pairs; signal muons are prompt and isolated."""

import awkward as ak
import numpy as np
import uproot

from evenet.sim.sample import generate_sample

WINDOW = (9.3, 9.6)
SIDEBANDS = ((7.0, 9.1), (10.7, 13.0))


def _excess(mass):
    """(observed - predicted) / sqrt(predicted) in WINDOW, exponential fit to the sidebands."""
    edges = np.arange(7.0, 13.0001, 0.1)
    counts, _ = np.histogram(mass, edges)
    centres = 0.5 * (edges[1:] + edges[:-1])
    side = np.zeros_like(centres, dtype=bool)
    for lo, hi in SIDEBANDS:
        side |= (centres > lo) & (centres < hi)
    slope, intercept = np.polyfit(centres[side], np.log(np.maximum(counts[side], 1)), 1, w=np.sqrt(counts[side]))
    in_window = (centres > WINDOW[0]) & (centres < WINDOW[1])
    predicted = np.exp(intercept + slope * centres[in_window]).sum()
    observed = counts[in_window].sum()
    return (observed - predicted) / np.sqrt(predicted)


def test_upsilon_peak_only_in_opposite_sign(tmp_path):
    path = tmp_path / "dimuon.root"
    generate_sample("dimuon", 60000, 5, 0, path, params={"signal_fraction": 0.03})
    f = uproot.open(path)
    assert "GenPart_pt" not in f["Events"].keys() and "genWeight" not in f["Events"].keys()
    mu = f["Events"].arrays(filter_name="Muon_*")
    assert ak.all(ak.num(mu.Muon_pt) == 2)
    pt, eta, phi, m = (ak.to_numpy(mu[f"Muon_{x}"]).astype(float) for x in ("pt", "eta", "phi", "mass"))
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    e = np.sqrt(px**2 + py**2 + pz**2 + m**2)
    mass = np.sqrt(np.maximum(e.sum(1) ** 2 - px.sum(1) ** 2 - py.sum(1) ** 2 - pz.sum(1) ** 2, 0))
    charge = ak.to_numpy(mu.Muon_charge)
    opposite = charge[:, 0] != charge[:, 1]
    assert _excess(mass[opposite]) > 5
    assert abs(_excess(mass[~opposite])) < 3
    # muons in the peak are more isolated than continuum muons far from it
    iso = ak.to_numpy(mu.Muon_pfRelIso04_all)
    peak = opposite & (mass > WINDOW[0]) & (mass < WINDOW[1])
    far = opposite & (mass > 12.0)
    assert np.median(iso[peak]) < 0.5 * np.median(iso[far])
