"""Leading-order Standard-Model spin correlations of q qbar -> t tbar and g g -> t tbar.

Per event, from the top velocity beta in the ttbar rest frame and the production angle
(c = cos Theta = k.z, s = sin Theta, z the +z beam axis), the production spin density
matrix R ~ A (1 x 1) + C~_ij sigma_i x sigma_j on the helicity axes (k, r, n) of
evenet.physics.spin (paper convention: both spins on the same axes), C = C~ / A.
Bernreuther, Brandenburg, Si, Uwer, Nucl. Phys. B690 (2004) 81; in this form Afik and de
Nova, Eur. Phys. J. Plus 136 (2021) 907, eqs. for the q qbar and g g channels; the g g
functions below were re-derived here from the LO helicity amplitudes (like-helicity
gluons: t tbar amplitudes sqrt(1-b^2)(1 +- b) on |RR>, |LL>; unlike-helicity gluons:
b s (1 +- c) on |RL>, |LR> and sqrt(1-b^2) b s^2 on |RR>, |LL>) and reproduce A, the
singlet at threshold and the n-axis triplet at high pT (tests/sim/test_ttbar_lo_spin.py).

    q qbar: A = 2 - b^2 s^2          g g: A = 1 + 2 b^2 s^2 - b^4 (1 + s^4)
      C~kk = 2 - (2 - b^2) s^2         C~kk = -(1 - b^4) + b^2 s^2 (1 + c^2) - (1 - b^2) b^2 s^4
      C~rr = (2 - b^2) s^2             C~rr = -(1 - b^2)^2 + (2 - b^2) b^2 s^4
      C~nn = -b^2 s^2                  C~nn = -(1 - b^2)^2 - b^4 s^4
      C~rk = 2 sqrt(1 - b^2) s c       C~rk = 2 sqrt(1 - b^2) b^2 s^3 c

(the channel-dependent normalisations F_q, F_g cancel in C; B = 0 at LO QCD). With the
sign(y) factor on r, C_rk = C_kr carry |c| instead of c. Pythia supplies the channel mix
and the kinematics; only the spin state is taken from here.
"""

from __future__ import annotations

import numpy as np


def lo_spin_correlation(gluon_fusion: np.ndarray, beta: np.ndarray, cos_theta: np.ndarray) -> np.ndarray:
    """(N, 3, 3) C on (k, r, n) with sign(y) (paper convention) for g g (True) or q qbar (False)."""
    b2 = np.asarray(beta, dtype=float) ** 2
    c = np.asarray(cos_theta, dtype=float)
    s2 = 1.0 - c**2
    s = np.sqrt(s2)
    root = np.sqrt(np.maximum(1.0 - b2, 0.0))
    qq = (2 - b2 * s2, 2 - (2 - b2) * s2, (2 - b2) * s2, -b2 * s2, 2 * root * s * np.abs(c))
    gg = (1 + 2 * b2 * s2 - b2**2 * (1 + s2**2),
          -(1 - b2**2) + b2 * s2 * (1 + c**2) - (1 - b2) * b2 * s2**2,
          -(1 - b2) ** 2 + (2 - b2) * b2 * s2**2,
          -(1 - b2) ** 2 - b2**2 * s2**2,
          2 * root * b2 * s2 * s * np.abs(c))
    a, kk, rr, nn, rk = (np.where(gluon_fusion, g, q) for g, q in zip(gg, qq))
    out = np.zeros((len(a), 3, 3))
    out[:, 0, 0], out[:, 1, 1], out[:, 2, 2] = kk / a, rr / a, nn / a
    out[:, 0, 1] = out[:, 1, 0] = rk / a
    return out
