"""From selected objects to the fixed-size model inputs: 18 slots x 7 features, 10 globals."""

from __future__ import annotations

import awkward as ak
import numpy as np

from evenet.pointcloud.schema import GLOBAL_FEATURES, INVISIBLE_FEATURES, MAX_OBJECTS, SOURCE_FEATURES
from evenet.truth.matching import KIND_JET


def _padded(jagged: ak.Array, width: int, dtype) -> np.ndarray:
    return ak.to_numpy(ak.fill_none(ak.pad_none(jagged, width, axis=1, clip=True), 0)).astype(dtype)


def source_arrays(objects: ak.Array) -> tuple[np.ndarray, np.ndarray]:
    """(N, 18, 7) features in SOURCE_FEATURES order and the (N, 18) mask; padding is zero."""
    n = len(objects)
    data = np.zeros((n, MAX_OBJECTS, len(SOURCE_FEATURES)), dtype=np.float32)
    for i, name in enumerate(SOURCE_FEATURES):
        data[:, :, i] = _padded(objects[name], MAX_OBJECTS, np.float32)
    counts = np.minimum(ak.to_numpy(ak.num(objects, axis=1)), MAX_OBJECTS)
    mask = np.arange(MAX_OBJECTS)[None, :] < counts[:, None]
    return data, mask


def _invariant_mass(objects: ak.Array, select: ak.Array) -> np.ndarray:
    chosen = objects[select]
    px = ak.sum(chosen.pt * np.cos(chosen.phi), axis=1)
    py = ak.sum(chosen.pt * np.sin(chosen.phi), axis=1)
    pz = ak.sum(chosen.pt * np.sinh(chosen.eta), axis=1)
    e = ak.sum(chosen.energy, axis=1)
    m2 = ak.to_numpy(e**2 - px**2 - py**2 - pz**2).astype(np.float64)
    return np.sqrt(np.maximum(m2, 0.0))


def global_arrays(objects: ak.Array, met: ak.Array) -> np.ndarray:
    """(N, 10) event globals in GLOBAL_FEATURES order, from all selected objects and MET."""
    is_jet = objects.kind == KIND_JET
    is_lep = objects.isLepton
    is_bjet = is_jet & objects.btag
    columns = {
        "met": ak.to_numpy(met.pt),
        "met_phi": ak.to_numpy(met.phi),
        "nLepton": ak.to_numpy(ak.sum(is_lep, axis=1)),
        "nbJet": ak.to_numpy(ak.sum(is_bjet, axis=1)),
        "nJet": ak.to_numpy(ak.sum(is_jet, axis=1)),
        "HT": ak.to_numpy(ak.sum(objects.pt[is_jet], axis=1)),
        "HT_lep": ak.to_numpy(ak.sum(objects.pt[is_lep], axis=1)),
        "M_all": _invariant_mass(objects, ak.ones_like(objects.pt, dtype=bool)),
        "M_leps": _invariant_mass(objects, is_lep),
        "M_bjets": _invariant_mass(objects, is_bjet),
    }
    return np.stack([np.asarray(columns[name], dtype=np.float32) for name in GLOBAL_FEATURES], axis=1) if len(objects) else np.zeros((0, len(GLOBAL_FEATURES)), np.float32)


def invisible_arrays(pt: np.ndarray, eta: np.ndarray, phi: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N, n_inv, 4) invisible-particle features (massless) in INVISIBLE_FEATURES order; zero where masked."""
    energy = pt * np.cosh(eta)
    columns = {"energy": energy, "pt": pt, "eta": eta, "phi": phi}
    data = np.stack([columns[name] for name in INVISIBLE_FEATURES], axis=-1).astype(np.float32)
    return np.where(mask[..., None], data, 0.0).astype(np.float32)
