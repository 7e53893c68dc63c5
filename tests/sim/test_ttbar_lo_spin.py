"""LO Standard-Model spin density of g g / q qbar -> t tbar (limits, positivity) and the
generator that imposes it per event with V-A top decays."""

import awkward as ak
import numpy as np
import pytest
import uproot

from evenet.physics.spin import (boost, from_generator_convention, helicity_basis, lepton_cosines, marker_d,
                                 spin_coefficients)
from evenet.sim.sample import generate_sample
from evenet.sim.ttbar_lo_spin import lo_spin_correlation

PAULI = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]


def _one(gg, beta, cos):
    return lo_spin_correlation(np.array([gg]), np.array([beta]), np.array([cos]))[0]


def test_limits():
    # threshold: g g gives the spin singlet, q qbar the triplet polarised along the beam
    np.testing.assert_allclose(_one(True, 0.0, 0.3), -np.eye(3), atol=1e-12)
    c, s = 0.6, 0.8
    np.testing.assert_allclose(_one(False, 0.0, c), [[c**2, s * c, 0], [s * c, s**2, 0], [0, 0, 0]], atol=1e-12)
    # high pT: g g and q qbar both go to the triplet Psi+ along n, C = diag(1, 1, -1), D = 3
    for gg in (True, False):
        np.testing.assert_allclose(_one(gg, 1.0, 0.0), np.diag([1.0, 1.0, -1.0]), atol=1e-12)
    # sign(y): C_rk depends on |cos Theta| only
    np.testing.assert_allclose(_one(True, 0.6, 0.4), _one(True, 0.6, -0.4))


def test_density_matrix_is_positive_everywhere():
    beta, cos = np.meshgrid(np.linspace(0, 0.999, 40), np.linspace(-1, 1, 41))
    for gg in (True, False):
        cs = lo_spin_correlation(np.full(beta.size, gg), beta.ravel(), cos.ravel())
        for c in cs:
            rho = (np.eye(4) + sum(c[i, j] * np.kron(_axis(i), _axis(j)) for i in range(3) for j in range(3))) / 4
            assert np.linalg.eigvalsh(rho).min() > -1e-9


def _axis(i):
    """Pauli matrix for helicity axis i (k, r, n) -> (z, x, y)."""
    return PAULI[(2, 0, 1)[i]]


def _p4(gen, mask):
    sel = gen[mask]
    pt, eta, phi, mass = (ak.to_numpy(ak.firsts(sel[f"GenPart_{x}"])).astype(float) for x in ("pt", "eta", "phi", "mass"))
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    return np.stack([np.sqrt(px**2 + py**2 + pz**2 + mass**2), px, py, pz], axis=1)


@pytest.fixture(scope="module")
def sm_sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("lo") / "sm.root"
    generate_sample("ttbar_2l_spin", 6000, 5, 0, path)
    gen = uproot.open(path)["Events"].arrays(filter_name="GenPart_*")
    pdg, status = gen.GenPart_pdgId, gen.GenPart_status
    parts = {name: _p4(gen, mask) for name, mask in {
        "t": pdg == 6, "tbar": pdg == -6, "lp": (pdg == -11) | (pdg == -13), "lm": (pdg == 11) | (pdg == 13),
        "w": pdg == 24, "b": pdg == 5}.items()}
    incoming = (status == 21) & (gen.GenPart_genPartIdxMother < 0)
    parts["gg"] = ak.to_numpy(ak.sum(incoming & (pdg == 21), axis=1) == 2)
    return parts


def test_sm_default_closes_on_the_expected_mean(sm_sample):
    """The sample's decay-angle C equals the mean of the injected per-event LO C."""
    p = sm_sample
    to_zmf = -(p["t"] + p["tbar"])[:, 1:] / (p["t"] + p["tbar"])[:, :1]
    top_z = boost(p["t"], to_zmf)
    beta = np.linalg.norm(top_z[:, 1:], axis=1) / top_z[:, 0]
    expected = lo_spin_correlation(p["gg"], beta, helicity_basis(top_z)[:, 0, 2]).mean(axis=0)
    sc = spin_coefficients(*lepton_cosines(p["t"], p["tbar"], p["lp"], p["lm"]))
    pulls = (sc.C - expected) / sc.C_errors
    assert np.all(np.abs(pulls) < 3.5), pulls
    assert np.all(np.abs(sc.B_plus) / sc.errors[9:12] < 3.5)
    # the LO SM sample is entangled on average near threshold and has C_kk + C_rr < 0
    assert expected[0, 0] + expected[1, 1] < 0
    assert 0.2 < p["gg"].mean() < 0.98


def test_v_minus_a_w_helicity(sm_sample):
    """l+ in the W+ rest frame against the W direction in the top frame:
    <cos> = (F_R - F_L)/2 with F_L = 2 m_W^2 / (m_t^2 + 2 m_W^2) = 0.30 (F_R = 0)."""
    p = sm_sample
    w_in_top = boost(p["w"], -p["t"][:, 1:] / p["t"][:, :1])
    lp_in_top = boost(p["lp"], -p["t"][:, 1:] / p["t"][:, :1])
    lp_in_w = boost(lp_in_top, -w_in_top[:, 1:] / w_in_top[:, :1])
    cos = np.sum(lp_in_w[:, 1:] * w_in_top[:, 1:], axis=1) / (
        np.linalg.norm(lp_in_w[:, 1:], axis=1) * np.linalg.norm(w_in_top[:, 1:], axis=1))
    f_left = 2 * 80.4**2 / (172.5**2 + 2 * 80.4**2)
    assert cos.mean() == pytest.approx(-f_left / 2, abs=4 * cos.std() / np.sqrt(len(cos)) + 0.01)


def test_generator_convention_matches_paper_for_a_fixed_c(tmp_path):
    """An injected generator C (Bernreuther sign) comes back as -C in the paper convention."""
    c_gen = np.diag([0.3, 0.2, 0.4])
    path = tmp_path / "fixed.root"
    generate_sample("ttbar_2l_spin", 4000, 9, 0, path, params={"C": c_gen.tolist()})
    gen = uproot.open(path)["Events"].arrays(filter_name="GenPart_*")
    pdg = gen.GenPart_pdgId
    sc = spin_coefficients(*lepton_cosines(_p4(gen, pdg == 6), _p4(gen, pdg == -6),
                                           _p4(gen, (pdg == -11) | (pdg == -13)), _p4(gen, (pdg == 11) | (pdg == 13))))
    c_paper = from_generator_convention(c_gen)[0]
    assert np.all(np.abs((sc.C - c_paper) / sc.C_errors) < 3.5)
    assert marker_d(c_paper)[0] == pytest.approx(0.5 + 0.4)
