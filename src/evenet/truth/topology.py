"""Truth decay topologies from config: which generator particles are a resonance's products.

A resonance is named by its |pdgId|; each product by a *path* of particle
classes from the resonance down the decay tree, e.g. the hadronic top::

    t_had:
      pdgId: 6
      products: {b: [b], q1: [W, quark], q2: [W, quark]}

reads "a b quark from the top, and two quarks from the W from the top".
``pdgId`` matches particle and antiparticle unless ``conjugate: false``. The
same resonance type may appear twice (``t_had`` and ``t_lep``); each event's
tops are given to the definitions in order, a top going to the first
definition whose whole path it satisfies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evenet.errors import ConfigError

PARTICLE_CLASSES: dict[str, tuple[int, ...]] = {
    "d": (1,), "u": (2,), "s": (3,), "c": (4,), "b": (5,), "t": (6,),
    "light": (1, 2, 3, 4),
    "quark": (1, 2, 3, 4, 5),
    "gluon": (21,),
    "electron": (11,), "muon": (13,), "tau": (15,),
    "lepton": (11, 13, 15),
    "neutrino": (12, 14, 16),
    "photon": (22,), "Z": (23,), "W": (24,), "H": (25,), "X": (35,), "a": (36,), "Y": (36,),
}


@dataclass(frozen=True)
class Resonance:
    name: str
    pdg_id: int
    products: dict[str, tuple[str, ...]]
    conjugate: bool = True
    """True: the antiparticle counts too (|pdgId| matched); False: only this sign (t apart from tbar)"""


def _class_ids(token, key: str) -> tuple[int, ...]:
    if isinstance(token, int):
        return (abs(token),)
    if token in PARTICLE_CLASSES:
        return PARTICLE_CLASSES[token]
    raise ConfigError(f"{key}: unknown particle class {token!r} (known: {', '.join(PARTICLE_CLASSES)} or a pdgId)")


def parse_resonances(config: dict, key: str = "truth.resonances") -> list[Resonance]:
    out = []
    for name, spec in (config or {}).items():
        if "pdgId" not in spec or "products" not in spec:
            raise ConfigError(f"{key}.{name}: needs 'pdgId' and 'products'")
        products = {}
        for product, path in spec["products"].items():
            path = tuple(path) if isinstance(path, (list, tuple)) else (path,)
            for token in path:
                _class_ids(token, f"{key}.{name}.products.{product}")
            products[product] = path
        # symmetric: products that may be swapped (for the assignment topology; matching ignores it)
        unknown = set(spec) - {"pdgId", "products", "conjugate", "symmetric"}
        if unknown:
            raise ConfigError(f"{key}.{name}: unknown key(s) {sorted(unknown)}")
        out.append(Resonance(name, int(spec["pdgId"]), products, bool(spec.get("conjugate", True))))
    return out


@dataclass(frozen=True)
class EncodedTopology:
    """Resonance definitions as dense integer arrays for the numba kernel."""

    res_pdg: np.ndarray  # (R,) signed
    res_conjugate: np.ndarray  # (R,) bool: match |pdgId|
    paths: np.ndarray  # (R, P, D) token ids, -1 = end of path / no product
    token_pdgs: np.ndarray  # (T, S) |pdgId| members of each token, 0 = unused


def encode(resonances: list[Resonance]) -> EncodedTopology:
    tokens: list[tuple[int, ...]] = []
    max_products = max((len(r.products) for r in resonances), default=1)
    max_depth = max((len(p) for r in resonances for p in r.products.values()), default=1)
    paths = np.full((len(resonances), max_products, max_depth), -1, dtype=np.int64)
    for i, res in enumerate(resonances):
        for j, path in enumerate(res.products.values()):
            for k, token in enumerate(path):
                ids = _class_ids(token, res.name)
                if ids not in tokens:
                    tokens.append(ids)
                paths[i, j, k] = tokens.index(ids)
    width = max((len(t) for t in tokens), default=1)
    token_pdgs = np.zeros((max(len(tokens), 1), width), dtype=np.int64)
    for i, ids in enumerate(tokens):
        token_pdgs[i, : len(ids)] = ids
    return EncodedTopology(
        np.array([r.pdg_id for r in resonances], dtype=np.int64),
        np.array([r.conjugate for r in resonances], dtype=np.bool_),
        paths,
        token_pdgs,
    )
