"""Targets of the supervised heads for selected events: assignment indices and neutrinos."""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numba
import numpy as np

from evenet.codes import STATUS_FLAG_IS_LAST_COPY, STATUS_FLAG_IS_PROMPT
from evenet.pointcloud.features import FlatObjects
from evenet.truth.genparticles import build_tree
from evenet.truth.matching import match_to_slots, object_kind_for_pdg
from evenet.truth.resonances import find_products, last_copy_of
from evenet.truth.topology import Resonance, encode

LAST_COPY, PROMPT = STATUS_FLAG_IS_LAST_COPY, STATUS_FLAG_IS_PROMPT


@dataclass(frozen=True)
class TruthConfig:
    resonances: tuple[Resonance, ...] = ()
    max_dr: float = 0.4
    parton_copy: str = "first"
    """'first': the parton as it leaves the decay; 'last': after its final recoil"""
    max_invisible: int = 0


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

    slots = FlatObjects.from_jagged(objects[["eta", "phi", "kind"]])
    match = match_to_slots(
        pick(flat["eta"]), pick(flat["phi"]), kind,
        slots.slot_array("eta", np.float64), slots.slot_array("phi", np.float64),
        slots.slot_array("kind", np.int64), slots.slot_mask(), cfg.max_dr,
    ).reshape(n, n_res, n_prod)
    out: dict[str, dict[str, np.ndarray]] = {}
    for r, res in enumerate(cfg.resonances):
        out[res.name] = {p: match[:, r, k].astype(np.int64) for k, p in enumerate(res.products)}
    return out


@numba.njit(cache=True)
def _precedes(pdg_a, pt_a, pdg_b, pt_b):
    """Ordering of invisible targets: neutrinos before antineutrinos, then decreasing pt."""
    if (pdg_a < 0) != (pdg_b < 0):
        return pdg_a > 0
    return pt_a > pt_b


@numba.njit(cache=True)
def _fill_neutrinos(genpart, out_pt, out_eta, out_phi, out_pdg, out_mask):
    # numba walks the awkward layout directly: no flattening of the whole GenPart record.
    width = out_pt.shape[1]
    for i in range(len(genpart)):
        n = 0
        for p in genpart[i]:
            a = abs(p.pdgId)
            if not ((a == 12 or a == 14 or a == 16) and (p.statusFlags >> LAST_COPY) & 1 and (p.statusFlags >> PROMPT) & 1):
                continue
            pos = n  # insertion into the kept, sorted list
            while pos > 0 and _precedes(p.pdgId, p.pt, out_pdg[i, pos - 1], out_pt[i, pos - 1]):
                pos -= 1
            if pos >= width:
                continue
            for k in range(min(n, width - 1), pos, -1):
                out_pt[i, k], out_eta[i, k] = out_pt[i, k - 1], out_eta[i, k - 1]
                out_phi[i, k], out_pdg[i, k] = out_phi[i, k - 1], out_pdg[i, k - 1]
            out_pt[i, pos], out_eta[i, pos], out_phi[i, pos], out_pdg[i, pos] = p.pt, p.eta, p.phi, p.pdgId
            n = min(n + 1, width)
        for k in range(n):
            out_mask[i, k] = True


def invisible_targets(events: ak.Array, max_invisible: int) -> dict[str, np.ndarray]:
    """Prompt neutrinos (last copies), neutrinos before antineutrinos, then by pt: (N, max) arrays."""
    gp = events.GenPart
    record = ak.zip({k: gp[k] for k in ("pdgId", "statusFlags", "pt", "eta", "phi")})
    n = len(record)
    out = {name: np.zeros((n, max_invisible), dtype=np.float64) for name in ("pt", "eta", "phi")}
    out["pdgId"] = np.zeros((n, max_invisible), dtype=np.int64)
    out["mask"] = np.zeros((n, max_invisible), dtype=bool)
    if n:
        _fill_neutrinos(record, out["pt"], out["eta"], out["phi"], out["pdgId"], out["mask"])
    return out
