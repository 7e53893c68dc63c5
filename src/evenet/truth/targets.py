"""Targets of the supervised heads for selected events: assignment indices and neutrinos."""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np

from evenet.io.events import STATUS_FLAG_IS_LAST_COPY, STATUS_FLAG_IS_PROMPT
from evenet.pointcloud.schema import MAX_OBJECTS
from evenet.truth.genparticles import build_tree
from evenet.truth.matching import match_to_slots, object_kind_for_pdg
from evenet.truth.resonances import find_products, last_copy_of
from evenet.truth.topology import Resonance, encode

NEUTRINOS = (12, 14, 16)


@dataclass(frozen=True)
class TruthConfig:
    resonances: tuple[Resonance, ...] = ()
    max_dr: float = 0.4
    parton_copy: str = "first"
    """'first': the parton as it leaves the decay; 'last': after its final recoil"""
    max_invisible: int = 0


def _padded_slots(objects: ak.Array, name: str, dtype) -> np.ndarray:
    return ak.to_numpy(ak.fill_none(ak.pad_none(objects[name], MAX_OBJECTS, axis=1, clip=True), 0)).astype(dtype)


def assignment_targets(events: ak.Array, objects: ak.Array, cfg: TruthConfig) -> dict[str, dict[str, np.ndarray]]:
    """Slot index (0..17) of the object matched to each resonance product; -1 if unmatched."""
    if not cfg.resonances:
        return {}
    genpart = events.GenPart
    tree = build_tree(genpart)
    flat = {f: ak.to_numpy(ak.flatten(genpart[f])).astype(np.float64) for f in ("pt", "eta", "phi")}
    products = find_products(tree, flat["pt"], encode(list(cfg.resonances)))  # (N, R, P) first copies
    if cfg.parton_copy == "last":
        products = np.where(products >= 0, last_copy_of(tree)[np.maximum(products, 0)], -1)
    n, n_res, n_prod = products.shape
    present = products >= 0
    safe = np.maximum(products, 0)
    pick = lambda values: np.where(present, values[safe], 0.0).reshape(n, n_res * n_prod)  # noqa: E731
    kind = np.where(present, object_kind_for_pdg(np.abs(tree.pdg))[safe], -1).reshape(n, n_res * n_prod)

    counts = np.minimum(ak.to_numpy(ak.num(objects, axis=1)), MAX_OBJECTS)
    slot_mask = np.arange(MAX_OBJECTS)[None, :] < counts[:, None]
    match = match_to_slots(
        pick(flat["eta"]), pick(flat["phi"]), kind,
        _padded_slots(objects, "eta", np.float64), _padded_slots(objects, "phi", np.float64),
        _padded_slots(objects, "kind", np.int64), slot_mask, cfg.max_dr,
    ).reshape(n, n_res, n_prod)
    out: dict[str, dict[str, np.ndarray]] = {}
    for r, res in enumerate(cfg.resonances):
        out[res.name] = {p: match[:, r, k].astype(np.int64) for k, p in enumerate(res.products)}
    return out


def invisible_targets(events: ak.Array, max_invisible: int) -> dict[str, np.ndarray]:
    """Prompt neutrinos (last copies), neutrinos before antineutrinos, then by pt: (N, max) arrays."""
    gp = events.GenPart
    flags = gp.statusFlags
    is_nu = (
        ((abs(gp.pdgId) == NEUTRINOS[0]) | (abs(gp.pdgId) == NEUTRINOS[1]) | (abs(gp.pdgId) == NEUTRINOS[2]))
        & ((flags >> STATUS_FLAG_IS_LAST_COPY) & 1 == 1)
        & ((flags >> STATUS_FLAG_IS_PROMPT) & 1 == 1)
    )
    nus = gp[is_nu]
    # Sort key: neutrinos (pdgId > 0) first, then decreasing pt.
    order = ak.argsort(ak.where(nus.pdgId > 0, 0.0, 1e9) - nus.pt, axis=1)
    nus = nus[order]
    out = {name: _padded_slots_n(nus[name], max_invisible) for name in ("pt", "eta", "phi", "pdgId")}
    counts = np.minimum(ak.to_numpy(ak.num(nus, axis=1)), max_invisible)
    out["mask"] = np.arange(max_invisible)[None, :] < counts[:, None]
    return out


def _padded_slots_n(jagged: ak.Array, width: int) -> np.ndarray:
    return ak.to_numpy(ak.fill_none(ak.pad_none(jagged, width, axis=1, clip=True), 0)).astype(np.float64)
