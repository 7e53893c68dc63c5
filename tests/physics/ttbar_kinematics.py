"""Hand-built decay kinematics with exact masses, for known-answer tests.

Two-body decays are made in the parent's rest frame and boosted with
``vector``; every daughter has its mass exactly by construction.
"""

from __future__ import annotations

import numpy as np
import vector

W_MASS = 80.4
TOP_MASS = 172.5
MUON_MASS = 0.10566


def two_body(parent, m1: float, m2: float, theta: float, phi: float):
    """Daughters of ``parent`` (a vector.obj 4-vector) emitted at (theta, phi) in its rest frame."""
    m = parent.mass
    p = np.sqrt((m * m - (m1 + m2) ** 2) * (m * m - (m1 - m2) ** 2)) / (2 * m)
    direction = np.array([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)])
    d1 = vector.obj(px=p * direction[0], py=p * direction[1], pz=p * direction[2], E=np.hypot(p, m1))
    d2 = vector.obj(px=-p * direction[0], py=-p * direction[1], pz=-p * direction[2], E=np.hypot(p, m2))
    return d1.boost_p4(parent), d2.boost_p4(parent)


def particle(px: float, py: float, pz: float, mass: float):
    return vector.obj(px=px, py=py, pz=pz, E=np.sqrt(px * px + py * py + pz * pz + mass * mass))


def semileptonic_ttbar(top_p3=(60.0, 25.0, 120.0), antitop_p3=(-45.0, -15.0, -210.0), angles=(0.7, 0.3, 1.1, 2.0, 2.2, -1.0, 0.4, 2.9)):
    """t -> b W+ (W+ -> mu+ nu), tbar -> b W- (W- -> q q'), all on-shell.

    Returns a dict of lab-frame vector.obj: lepton, neutrino, b_lep, b_had, q1, q2.
    """
    a = angles
    top = particle(*top_p3, TOP_MASS)
    antitop = particle(*antitop_p3, TOP_MASS)
    b_lep, w_lep = two_body(top, 0.0, W_MASS, a[0], a[1])
    lepton, neutrino = two_body(w_lep, MUON_MASS, 0.0, a[2], a[3])
    b_had, w_had = two_body(antitop, 0.0, W_MASS, a[4], a[5])
    q1, q2 = two_body(w_had, 0.0, 0.0, a[6], a[7])
    return {"lepton": lepton, "neutrino": neutrino, "b_lep": b_lep, "b_had": b_had, "q1": q1, "q2": q2}


def w_to_mu_nu(w_p3=(30.0, -20.0, 150.0), theta: float = 1.2, phi: float = 0.4):
    """(muon, neutrino) from an on-shell W of lab momentum ``w_p3``."""
    return two_body(particle(*w_p3, W_MASS), MUON_MASS, 0.0, theta, phi)
