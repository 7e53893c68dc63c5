"""The analytic dileptonic neutrino solver: with MET equal to the neutrinos' transverse sum
and on-shell W and top masses, the generator neutrinos are among the solutions."""

import numpy as np
import pytest

from evenet.physics.neutrino_solver import TOP_MASS, W_MASS, ellipse_matrix, smallest_mtt, solve_event
from evenet.physics.spin import boost

B_MASS, MU_MASS = 4.8, 0.10566


def _two_body(parent, m1, m2, rng):
    """Decay parent (E, p) isotropically into masses m1, m2; lab four-momenta."""
    m = np.sqrt(parent[0] ** 2 - parent[1:] @ parent[1:])
    p = np.sqrt((m**2 - (m1 + m2) ** 2) * (m**2 - (m1 - m2) ** 2)) / (2 * m)
    cos, phi = rng.uniform(-1, 1), rng.uniform(0, 2 * np.pi)
    d = np.array([np.sqrt(1 - cos**2) * np.cos(phi), np.sqrt(1 - cos**2) * np.sin(phi), cos]) * p
    beta = parent[None, 1:] / parent[0]
    return (boost(np.concatenate([[np.hypot(p, m1)], d])[None], beta)[0],
            boost(np.concatenate([[np.hypot(p, m2)], -d])[None], beta)[0])


def _event(rng):
    """On-shell t tbar with t -> b W -> b mu nu."""
    p_top = rng.normal(0, 120, 3)
    p_top[2] = rng.normal(0, 300)
    recoil = -p_top[:2] + rng.normal(0, 30, 2)
    p_bar = np.array([recoil[0], recoil[1], rng.normal(0, 300)])
    out = []
    for p in (p_top, p_bar):
        top = np.concatenate([[np.hypot(np.linalg.norm(p), TOP_MASS)], p])
        w, b = _two_body(top, W_MASS, B_MASS, rng)
        lepton, nu = _two_body(w, MU_MASS, 0.0, rng)
        out.append((b, lepton, nu))
    return out


@pytest.mark.parametrize("seed", range(40))
def test_generator_neutrinos_are_among_the_solutions(seed):
    (b, lp, nu), (bbar, lm, nubar) = _event(np.random.default_rng(seed))
    met = nu[1:3] + nubar[1:3]
    sol = solve_event(b, lp, bbar, lm, met)
    assert sol.exact
    assert 1 <= len(sol.nu) <= 4
    distance = np.linalg.norm(sol.nu - nu[1:], axis=1) + np.linalg.norm(sol.nubar - nubar[1:], axis=1)
    assert distance.min() < 1e-4 * np.linalg.norm(nu[1:]) + 1e-4, (sol, nu, nubar)
    # every solution satisfies the constraints: MET balance, W and top masses
    np.testing.assert_allclose(sol.nu[:, :2] + sol.nubar[:, :2], np.broadcast_to(met, (len(sol.nu), 2)), atol=1e-4)
    for n in sol.nu:
        n4 = np.concatenate([[np.linalg.norm(n)], n])
        for system, mass in ((lp + n4, W_MASS), (b + lp + n4, TOP_MASS)):
            assert np.sqrt(system[0] ** 2 - system[1:] @ system[1:]) == pytest.approx(mass, rel=1e-6)


def test_ellipse_points_reproduce_the_masses():
    (b, lp, nu), _ = _event(np.random.default_rng(7))
    h, z2 = ellipse_matrix(b, lp)
    assert z2 > 0
    for t in np.linspace(0, 2 * np.pi, 7):
        n = h @ [np.cos(t), np.sin(t), 1]
        n4 = np.concatenate([[np.linalg.norm(n)], n])
        w, top = lp + n4, b + lp + n4
        assert np.sqrt(w[0] ** 2 - w[1:] @ w[1:]) == pytest.approx(W_MASS, rel=1e-8)
        assert np.sqrt(top[0] ** 2 - top[1:] @ top[1:]) == pytest.approx(TOP_MASS, rel=1e-8)


def test_no_real_solution_falls_back_to_closest_approach():
    (b, lp, nu), (bbar, lm, nubar) = _event(np.random.default_rng(3))
    met = nu[1:3] + nubar[1:3] + np.array([900.0, -700.0])
    sol = solve_event(b, lp, bbar, lm, met)
    assert not sol.exact and len(sol.nu) == 1
    # still on both mass ellipses
    n4 = np.concatenate([[np.linalg.norm(sol.nu[0])], sol.nu[0]])
    top = b + lp + n4
    assert np.sqrt(top[0] ** 2 - top[1:] @ top[1:]) == pytest.approx(TOP_MASS, rel=1e-6)


def test_wrong_pairing_or_masses_never_crash():
    rng = np.random.default_rng(11)
    for _ in range(20):
        (b, lp, nu), (bbar, lm, nubar) = _event(rng)
        sol = solve_event(bbar, lp, b, lm, nu[1:3] + nubar[1:3], top_mass=150.0)
        assert np.all(np.isfinite(sol.nu)) and np.all(np.isfinite(sol.nubar))
        nu_best, nubar_best, mtt = smallest_mtt(sol, bbar, lp, b, lm)
        assert np.isfinite(mtt) and mtt > 0
