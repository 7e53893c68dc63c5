"""Azimuthal rotations (generator.rotate_phi): the pair frame and the random rotation of generated
events leave the pair mass, every classifier feature and the calibration unchanged."""

import numpy as np

from analyses.cathode.azimuth import pair_phi, rotate, wrap
from analyses.cathode.features import FEATURES, Dimuons, features, pair_mass
from analyses.cathode.folds import rotate_to_pair_frame
from evenet.physics.dimuon_calibration import calibrate_pairs
from evenet.pointcloud.schema import GLOBAL_FEATURES, SOURCE_FEATURES

PT, ETA, PHI = (SOURCE_FEATURES.index(k) for k in ("pt", "eta", "phi"))


def _point_cloud(n, rng):
    source = np.zeros((n, 4, len(SOURCE_FEATURES)))
    source[:, :2, PT] = rng.gamma(2.0, 4.0, (n, 2)) + 3.0
    source[:, :2, ETA] = rng.uniform(-2.4, 2.4, (n, 2))
    source[:, :2, PHI] = rng.uniform(-np.pi, np.pi, (n, 2))
    source[:, 2:, PHI] = 7.0  # empty slots: never touched
    mask = np.zeros((n, 4), bool)
    mask[:, :2] = True
    globals_ = np.zeros((n, len(GLOBAL_FEATURES)))
    globals_[:, GLOBAL_FEATURES.index("met_phi")] = rng.uniform(-np.pi, np.pi, n)
    return source, mask, globals_


def _dimuons(source):
    s = source[:, :2]
    n = len(s)
    return Dimuons(s[:, 0, PT], s[:, 0, ETA], s[:, 0, PHI], s[:, 1, PT], s[:, 1, ETA], s[:, 1, PHI],
                   np.zeros(n), np.zeros(n, int), np.zeros(n, int), np.zeros((n, 3), int))


def _mass(d):
    return pair_mass(d.pt1, d.eta1, d.phi1, d.pt2, d.eta2, d.phi2)


def test_wrap_and_rotate_stay_in_the_half_open_interval():
    assert np.allclose(wrap(np.array([np.pi, -np.pi, 3 * np.pi, 0.5 - 2 * np.pi])), [np.pi, np.pi, np.pi, 0.5])
    out = rotate(np.random.default_rng(0).uniform(-np.pi, np.pi, (100, 2)), np.full(100, 3.0))
    assert out.shape == (100, 2) and np.all((out > -np.pi) & (out <= np.pi))


def test_pair_frame_keeps_mass_and_features_and_puts_the_pair_at_phi_zero():
    rng = np.random.default_rng(1)
    source, mask, globals_ = _point_cloud(2000, rng)
    before = _dimuons(source.copy())
    angle = -pair_phi(source[:, :2, PT], source[:, :2, PHI])
    met_before = globals_[:, GLOBAL_FEATURES.index("met_phi")].copy()
    rotate_to_pair_frame(source, mask, globals_)
    after = _dimuons(source)
    assert np.allclose(pair_phi(source[:, :2, PT], source[:, :2, PHI]), 0.0, atol=1e-9)
    assert np.all(np.abs(source[:, :2, PHI]) <= np.pi) and np.all(source[:, 2:, PHI] == 7.0)
    assert np.allclose(wrap(globals_[:, GLOBAL_FEATURES.index("met_phi")] - met_before - angle), 0.0, atol=1e-9)
    assert np.allclose(_mass(after), _mass(before), rtol=1e-12)
    assert np.allclose(features(after, FEATURES), features(before, FEATURES), rtol=1e-9, atol=1e-9)


def test_calibration_commutes_with_a_random_rotation():
    rng = np.random.default_rng(2)
    source, _, _ = _point_cloud(1000, rng)
    d = _dimuons(source)
    mass = rng.uniform(5.0, 16.0, len(d))
    turn = rng.uniform(-np.pi, np.pi, len(d))
    p = lambda pt, eta, phi: np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)], 1)
    plain = calibrate_pairs(p(d.pt1, d.eta1, d.phi1), p(d.pt2, d.eta2, d.phi2), mass)
    turned = calibrate_pairs(p(d.pt1, d.eta1, rotate(d.phi1, turn)), p(d.pt2, d.eta2, rotate(d.phi2, turn)), mass)
    assert np.allclose(plain[2], turned[2], rtol=1e-9)  # calibration magnitude

    def table(new1, new2):
        pt = lambda v: np.hypot(v[:, 1], v[:, 2])
        eta = lambda v: np.arcsinh(v[:, 3] / pt(v))
        phi = lambda v: np.arctan2(v[:, 2], v[:, 1])
        n = len(new1)
        c = Dimuons(pt(new1), eta(new1), phi(new1), pt(new2), eta(new2), phi(new2), np.zeros(n),
                    np.zeros(n, int), np.zeros(n, int), np.zeros((n, 3), int))
        return np.column_stack([features(c, FEATURES), _mass(c)])

    assert np.allclose(table(*plain[:2]), table(*turned[:2]), rtol=1e-7, atol=1e-7)
