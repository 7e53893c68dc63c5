"""Analytic neutrino momenta in dileptonic top-pair decays, t -> b l+ nu, tbar -> bbar l- nubar.

Method of Betchart, Demina, Harel, NIM A736 (2014) 169 (arXiv:1305.1878), an algebraic form
of Sonnenschein's quartic (PRD 73 (2006) 054015): for each top, the W- and top-mass
constraints put the neutrino momentum on an ellipse, p_nu = H (cos t, sin t, 1); the
transverse-momentum balance nu_T + nubar_T = MET turns the pair into the intersection of
two ellipses in the transverse plane, found by factoring a degenerate conic (0 to 4
solutions). Our own numpy implementation, one event at a time.

Rule when no real solution exists (an ellipse is imaginary for the assumed masses, or the
two ellipses do not meet): the pair of points on the two ellipses (an imaginary ellipse
shrinks to its centre, Z = 0) whose transverse sum is closest to the MET, found by
minimising |nu_T(t1) + nubar_T(t2) - MET|^2 over the two ellipse angles (Betchart et al.,
section 4). Such solutions are flagged ``exact = False``.

Choice among solutions (for reconstruction): the one with the smallest m_tt (Sonnenschein's
and the LHC experiments' usual choice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

W_MASS, TOP_MASS = 80.4, 172.5
UNIT_CIRCLE = np.diag([1.0, 1.0, -1.0])


def _rotation(axis: int, angle: float) -> np.ndarray:
    """Rotation by angle about the coordinate axis 0, 1 or 2."""
    c, s = np.cos(angle), np.sin(angle)
    r = c * np.eye(3)
    for i in (-1, 0, 1):
        r[(axis - i) % 3, (axis + i) % 3] = i * s + (1 - i * i)
    return r


def _cofactor(a: np.ndarray, i: int, j: int) -> float:
    minor = np.delete(np.delete(a, i, axis=0), j, axis=1)
    return (-1) ** (i + j) * (minor[0, 0] * minor[1, 1] - minor[1, 0] * minor[0, 1])


def _multisqrt(y: float) -> list[float]:
    return [] if y < 0 else [0.0] if y == 0 else [-np.sqrt(y), np.sqrt(y)]


def ellipse_matrix(b: np.ndarray, lepton: np.ndarray, w_mass: float = W_MASS, top_mass: float = TOP_MASS):
    """(H, Z^2): the 3x3 map from (cos t, sin t, 1) to the neutrino momentum (lab) for one
    top decay with b and charged-lepton four-momenta (E, px, py, pz); Z^2 < 0 means no real
    neutrino for these masses (H is then the ellipse's centre, Z = 0)."""
    pb, pl = b[1:], lepton[1:]
    pb_abs, pl_abs = np.linalg.norm(pb), np.linalg.norm(pl)
    c = pb @ pl / (pb_abs * pl_abs)
    s = np.sqrt(max(1 - c**2, 1e-15))
    mw2, mt2 = w_mass**2, top_mass**2
    mb2 = b[0] ** 2 - pb_abs**2
    ml2 = lepton[0] ** 2 - pl_abs**2
    x0p = -(mt2 - mw2 - mb2) / (2 * b[0])
    x0 = -(mw2 - ml2) / (2 * lepton[0])
    beta_b, beta_l = pb_abs / b[0], pl_abs / lepton[0]
    sx = (x0 * beta_l - pl_abs * (1 - beta_l**2)) / beta_l**2
    sy = (x0p / beta_b - c * sx) / s
    w = (beta_l / beta_b - c) / s
    om2 = w**2 + 1 - beta_l**2
    eps2 = mw2 * (1 - beta_l**2)
    x1 = sx - (sx + w * sy) / om2
    y1 = sy - (sx + w * sy) * w / om2
    z2 = x1**2 * om2 - (sy - w * sx) ** 2 - (mw2 - x0**2 - eps2)
    z = np.sqrt(max(z2, 0.0))
    om = np.sqrt(om2)
    h_tilde = np.array([[z / om, 0, x1 - pl_abs], [w * z / om, 0, y1], [0, z, 0]])
    # rotation from the frame with the lepton along x and the b in the x-y plane to the lab
    phi = np.arctan2(pl[1], pl[0])
    theta = np.arccos(np.clip(pl[2] / pl_abs, -1, 1))
    r_z, r_y = _rotation(2, -phi), _rotation(1, 0.5 * np.pi - theta)
    _, by, bz = r_y @ r_z @ pb
    r_x = _rotation(0, -np.arctan2(bz, by))
    return r_z.T @ r_y.T @ r_x.T @ h_tilde, z2


def _factor_degenerate(g: np.ndarray, zero: float = 0.0) -> list[np.ndarray]:
    """The (up to two) lines whose product is the degenerate conic g."""
    if g[0, 0] == 0 == g[1, 1]:
        return [np.array([g[0, 1], 0, g[1, 2]]), np.array([0, g[0, 1], g[0, 2] - g[1, 2]])]
    swap = abs(g[0, 0]) > abs(g[1, 1])
    q = g[(1, 0, 2), :][:, (1, 0, 2)] if swap else g.copy()
    q = q / q[1, 1]
    q22 = _cofactor(q, 2, 2)
    if -q22 <= zero:
        lines = [[q[0, 1], q[1, 1], q[1, 2] + s] for s in _multisqrt(-_cofactor(q, 0, 0))]
    else:
        x0, y0 = (_cofactor(q, i, 2) / q22 for i in (0, 1))
        lines = [[m, q[1, 1], -q[1, 1] * y0 - m * x0] for m in (q[0, 1] + s for s in _multisqrt(-q22))]
    return [np.array([line[int(swap)], line[int(not swap)], line[2]]) for line in lines]


def _ellipse_line(ellipse: np.ndarray, line: np.ndarray, tolerance: float) -> list[np.ndarray]:
    """Points (x, y, 1) where the line meets the ellipse. The ellipses here are unit circles
    mapped by H^-1, so p.ellipse.p = cos^2 + sin^2 - 1 is a dimensionless distance."""
    _, vectors = np.linalg.eig(np.cross(line, ellipse).T)
    found = []
    for v in vectors.T:
        v = v.real
        if abs(v[2]) < 1e-300:
            continue
        point = v / v[2]
        residual = max(abs(line @ point) / (np.linalg.norm(line) * np.linalg.norm(point)), abs(point @ ellipse @ point))
        found.append((residual, point))
    found.sort(key=lambda item: item[0])
    return [point for residual, point in found[:2] if residual < tolerance]


def _ellipse_intersections(a: np.ndarray, b: np.ndarray, tolerance: float = 1e-6) -> list[np.ndarray]:
    if abs(np.linalg.det(b)) > abs(np.linalg.det(a)):
        a, b = b, a
    eigenvalues = np.linalg.eigvals(np.linalg.solve(a, b))
    real = [e.real for e in eigenvalues if abs(e.imag) <= 1e-12 * max(1.0, abs(e))]
    if not real:
        return []
    points: list[np.ndarray] = []
    for line in _factor_degenerate(b - real[0] * a):
        points += _ellipse_line(a, line, tolerance)
    return points


@dataclass(frozen=True)
class NeutrinoSolutions:
    nu: np.ndarray      # (n_solutions, 3) neutrino momentum (from b, l+)
    nubar: np.ndarray   # (n_solutions, 3) antineutrino momentum (from bbar, l-)
    exact: bool         # False: closest approach (no real solution)


def _closest_approach(h1: np.ndarray, h2: np.ndarray, met: np.ndarray) -> NeutrinoSolutions:
    def transverse_sum(angles):
        t1, t2 = angles
        return h1[:2] @ [np.cos(t1), np.sin(t1), 1] + h2[:2] @ [np.cos(t2), np.sin(t2), 1]

    def loss(angles):
        return float(np.sum((transverse_sum(angles) - met) ** 2))

    grid = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    start = min(((t1, t2) for t1 in grid for t2 in grid), key=loss)
    t1, t2 = minimize(loss, start, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-8}).x
    return NeutrinoSolutions((h1 @ [np.cos(t1), np.sin(t1), 1])[None], (h2 @ [np.cos(t2), np.sin(t2), 1])[None], False)


def solve_event(b: np.ndarray, lep_plus: np.ndarray, bbar: np.ndarray, lep_minus: np.ndarray, met_xy,
                w_mass: float = W_MASS, top_mass: float = TOP_MASS) -> NeutrinoSolutions:
    """All neutrino pairs of one event with the pairing (b, l+), (bbar, l-); inputs are (E, px, py, pz)."""
    met = np.asarray(met_xy, dtype=float)
    h1, z2_1 = ellipse_matrix(np.asarray(b, float), np.asarray(lep_plus, float), w_mass, top_mass)
    h2, z2_2 = ellipse_matrix(np.asarray(bbar, float), np.asarray(lep_minus, float), w_mass, top_mass)
    if z2_1 <= 0 or z2_2 <= 0:
        return _closest_approach(h1, h2, met)
    perp1 = np.vstack([h1[:2], [0, 0, 1]])
    perp2 = np.vstack([h2[:2], [0, 0, 1]])
    inv1, inv2 = np.linalg.inv(perp1), np.linalg.inv(perp2)
    n1 = inv1.T @ UNIT_CIRCLE @ inv1
    n2 = inv2.T @ UNIT_CIRCLE @ inv2
    s = np.outer([met[0], met[1], 0], [0, 0, 1]) - UNIT_CIRCLE   # nubar_T = MET - nu_T
    points = _ellipse_intersections(n1, s.T @ n2 @ s)
    if not points:
        return _closest_approach(h1, h2, met)
    nu = np.array([h1 @ inv1 @ p for p in points])
    nubar = np.array([h2 @ inv2 @ (s @ p) for p in points])
    return NeutrinoSolutions(nu, nubar, True)


def _mtt(b, lep_plus, nu, bbar, lep_minus, nubar) -> np.ndarray:
    def p4(p3):
        return np.concatenate([np.linalg.norm(p3, axis=-1, keepdims=True), p3], axis=-1)

    total = b + lep_plus + bbar + lep_minus + p4(nu) + p4(nubar)
    return np.sqrt(np.maximum(total[..., 0] ** 2 - np.sum(total[..., 1:] ** 2, axis=-1), 0))


def smallest_mtt(solutions: NeutrinoSolutions, b, lep_plus, bbar, lep_minus) -> tuple[np.ndarray, np.ndarray, float]:
    """(nu, nubar, m_tt) of the solution with the smallest m_tt."""
    mtt = _mtt(b, lep_plus, solutions.nu, bbar, lep_minus, solutions.nubar)
    best = int(np.argmin(mtt))
    return solutions.nu[best], solutions.nubar[best], float(mtt[best])
