"""Rest-frame calibration: the conditioning mass is restored and the pair keeps its lab direction."""

import numpy as np
import pytest

from evenet.errors import ConfigError
from evenet.physics.dimuon_calibration import MUON_MASS, calibrate_pairs, four_momenta, pair_mass


def _generated_pairs(n, rng):
    """Muon momenta as a generator might give them: roughly dimuon-like, wrong masses."""
    p1 = four_momenta(rng.gamma(2, 5, n) + 3, rng.uniform(-2.4, 2.4, n), rng.uniform(-np.pi, np.pi, n))
    p2 = four_momenta(rng.gamma(2, 5, n) + 3, rng.uniform(-2.4, 2.4, n), rng.uniform(-np.pi, np.pi, n))
    return p1[:, 1:], p2[:, 1:]


def test_calibration_restores_the_conditioning_mass_and_keeps_the_lab_direction():
    rng = np.random.default_rng(3)
    p1, p2 = _generated_pairs(5000, rng)
    mass = rng.uniform(5.0, 16.0, 5000)
    new1, new2, magnitude = calibrate_pairs(p1, p2, mass)
    assert np.max(np.abs(pair_mass(new1, new2) / mass - 1)) < 1e-6
    old_dir = (p1 + p2) / np.linalg.norm(p1 + p2, axis=1, keepdims=True)
    new = new1[:, 1:] + new2[:, 1:]
    assert np.max(np.abs(new / np.linalg.norm(new, axis=1, keepdims=True) - old_dir)) < 1e-9
    for p in (new1, new2):  # on shell
        assert np.allclose(p[:, 0] ** 2 - np.sum(p[:, 1:] ** 2, axis=1), MUON_MASS**2, atol=1e-6)
    assert np.all(magnitude >= 0)


def test_a_pair_that_already_has_the_mass_is_left_alone():
    rng = np.random.default_rng(4)
    p1, p2 = _generated_pairs(100, rng)
    mass = pair_mass(four_momenta(*_pt_eta_phi(p1)), four_momenta(*_pt_eta_phi(p2)))
    new1, new2, magnitude = calibrate_pairs(p1, p2, mass)
    assert np.allclose(new1[:, 1:], p1, atol=1e-8) and np.allclose(new2[:, 1:], p2, atol=1e-8)
    assert np.max(magnitude) < 1e-9


def _pt_eta_phi(p):
    pt = np.hypot(p[:, 0], p[:, 1])
    return pt, np.arcsinh(p[:, 2] / pt), np.arctan2(p[:, 1], p[:, 0])


def test_bad_shapes_and_masses_below_threshold_are_refused():
    with pytest.raises(ConfigError, match="shape"):
        calibrate_pairs(np.zeros((2, 3)), np.zeros((3, 3)), np.ones(2))
    with pytest.raises(ConfigError, match="twice the muon mass"):
        calibrate_pairs(np.ones((1, 3)), -np.ones((1, 3)), np.array([0.1]))
