"""The tabular features of the X -> Y H -> bb l nu q q baselines (EveNet paper, Table IV).

Computed from a point-cloud file (objects in slot order, the continuous b-tag
score of ``INPUTS/Source/btag_score``, MET from the globals), for events that
passed the ``xyh`` preselection: exactly one lepton, >= 2 b-tagged and >= 2
untagged ("light") jets.

* ``b1, b2``: the two jets with the highest continuous b-tag score (b1 the higher).
* Hadronic-W hypotheses, each a pair of light jets (q1 the harder):
  (A) m(q q) closest to m_W; (B) m(l nu q q) closest to m_H, where the neutrino
  has the MET as its transverse momentum and its pz from the W-mass constraint
  (:mod:`evenet.physics.neutrino_pz`). **Both pz roots** are tried for every pair
  and the (pair, root) with m(l nu q q) closest to m_H is taken, so the root is
  part of hypothesis B. When the roots are complex (the lepton-MET transverse mass
  above m_W) both are replaced by their common real part, the usual convention.
* Per hypothesis h: q pt/eta, m(W_h), pT(W_h), dR(q1, q2); the visible WW system
  l + W_h (mass, dR(l, W_h), cluster transverse mass with MET); the visible bbWW
  system bb + l + W_h (mass, dR(bb, l + W_h), transverse mass); |dphi(bb, W_h)|;
  min dR(l, q_i).
* Topness block: the semileptonic-ttbar assignment minimising the chi2 of
  :mod:`evenet.physics.topness` (same constants, same enumeration: a light-jet pair
  for W_had, a b-jet for t_had, another for t_lep, both neutrino roots): min chi2,
  dR(l, b_lep), m(l, b_lep), m(t_lep), m(W_had), dR(q1, q2), m(t_had), dR(W_had, b_had).

All of it is numpy over padded (events x candidates) arrays; no loop over events.
``python -m analyses.xyh.features POINTCLOUD.h5 -o FEATURES.parquet`` writes one
row per event with the features, the label, the physical weight, the split, the
event identity and, where the file has them, the hypothesis parameters.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
import time
from dataclasses import dataclass

import h5py
import numpy as np
import pandas as pd

from evenet.atomic import atomic_output
from evenet.errors import InputFileError, command
from evenet.physics.neutrino_pz import W_MASS, neutrino_pz
from evenet.physics.topness import TopnessConstants
from evenet.pointcloud import schema as S
from evenet.pointcloud.parameters import DATASET as PARAMETERS

log = logging.getLogger(__name__)

H_MASS = 125.0
_F = {name: i for i, name in enumerate(S.SOURCE_FEATURES)}
_G = {name: i for i, name in enumerate(S.GLOBAL_FEATURES)}


@dataclass
class P4:
    """Four-vectors as numpy arrays of one shape (px, py, pz, E)."""

    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray

    @classmethod
    def from_ptetaphie(cls, pt, eta, phi, e) -> "P4":
        return cls(pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), e)

    def __add__(self, other: "P4") -> "P4":
        return P4(self.px + other.px, self.py + other.py, self.pz + other.pz, self.e + other.e)

    def __getitem__(self, index) -> "P4":
        return P4(self.px[index], self.py[index], self.pz[index], self.e[index])

    def expand(self, axis) -> "P4":
        return P4(*(np.expand_dims(c, axis) for c in (self.px, self.py, self.pz, self.e)))

    @property
    def pt(self) -> np.ndarray:
        return np.hypot(self.px, self.py)

    @property
    def phi(self) -> np.ndarray:
        return np.arctan2(self.py, self.px)

    @property
    def eta(self) -> np.ndarray:
        return np.arcsinh(np.divide(self.pz, self.pt, out=np.zeros_like(self.pz), where=self.pt > 0))

    @property
    def mass(self) -> np.ndarray:
        return np.sqrt(np.maximum(self.e**2 - self.px**2 - self.py**2 - self.pz**2, 0.0))


def delta_phi(a: P4, b: P4) -> np.ndarray:
    return (a.phi - b.phi + np.pi) % (2 * np.pi) - np.pi


def delta_r(a: P4, b: P4) -> np.ndarray:
    return np.hypot(a.eta - b.eta, delta_phi(a, b))


def transverse_mass(visible: P4, met_px: np.ndarray, met_py: np.ndarray) -> np.ndarray:
    """Cluster transverse mass of a visible system and the missing pT (massless invisible)."""
    et_vis = np.sqrt(visible.mass**2 + visible.pt**2)
    met = np.hypot(met_px, met_py)
    px, py = visible.px + met_px, visible.py + met_py
    return np.sqrt(np.maximum((et_vis + met) ** 2 - px**2 - py**2, 0.0))


def _take(p: P4, index: np.ndarray) -> P4:
    """Per event, the vector at ``index`` (events,) of an (events, n) array."""
    rows = np.arange(len(index))
    return p[rows, index]


def _ranked(values: np.ndarray, select: np.ndarray) -> np.ndarray:
    """(events, n) slot indices ordered by ``values`` descending among ``select`` (the rest last)."""
    return np.argsort(np.where(select, -values, np.inf), axis=1, kind="stable")


@dataclass
class Event:
    """The objects of a batch of preselected events (numpy)."""

    lepton: P4  # (N,)
    lepton_mass: np.ndarray
    b1: P4
    b2: P4
    light: P4  # (N, L) padded
    light_mask: np.ndarray  # (N, L)
    bjets: P4  # (N, B) b-tagged jets (topness), padded
    bjet_mask: np.ndarray
    met_px: np.ndarray
    met_py: np.ndarray
    n_b: np.ndarray

    @classmethod
    def from_arrays(cls, source: np.ndarray, mask: np.ndarray, btag_score: np.ndarray, globals_: np.ndarray) -> "Event":
        source = source.astype(np.float64)
        objects = P4.from_ptetaphie(source[..., _F["pt"]], source[..., _F["eta"]], source[..., _F["phi"]],
                                    source[..., _F["energy"]])
        is_lepton = mask & (source[..., _F["isLepton"]] > 0.5)
        is_jet = mask & ~is_lepton
        tagged = is_jet & (source[..., _F["btag"]] > 0.5)
        untagged = is_jet & ~tagged
        n_leptons, n_tagged, n_light = is_lepton.sum(1), tagged.sum(1), untagged.sum(1)
        bad = (n_leptons != 1) | (n_tagged < 2) | (n_light < 2)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise InputFileError(f"event {i}: {n_leptons[i]} leptons, {n_tagged[i]} b-tagged and {n_light[i]} light "
                                 "jets; the features need the xyh preselection (1 lepton, >= 2 + 2 jets)")
        lepton = _take(objects, np.argmax(is_lepton, axis=1))
        by_score = _ranked(btag_score.astype(np.float64), is_jet)
        pt_order_light = _ranked(source[..., _F["pt"]], untagged)
        pt_order_b = _ranked(source[..., _F["pt"]], tagged)
        n_l, n_bt = int(n_light.max()), int(n_tagged.max())
        rows = np.arange(len(source))[:, None]
        light_index = pt_order_light[:, :n_l]
        b_index = pt_order_b[:, :n_bt]
        met, met_phi = globals_[:, _G["met"]].astype(np.float64), globals_[:, _G["met_phi"]].astype(np.float64)
        return cls(
            lepton=lepton, lepton_mass=lepton.mass,
            b1=_take(objects, by_score[:, 0]), b2=_take(objects, by_score[:, 1]),
            light=objects[rows, light_index], light_mask=untagged[rows, light_index],
            bjets=objects[rows, b_index], bjet_mask=tagged[rows, b_index],
            met_px=met * np.cos(met_phi), met_py=met * np.sin(met_phi),
            n_b=globals_[:, _G["nbJet"]].astype(np.float64),
        )

    def neutrinos(self, w_mass: float = W_MASS) -> tuple[P4, np.ndarray]:
        """Both neutrino solutions as a (N, 2) P4 and whether they were complex (N,)."""
        met = np.hypot(self.met_px, self.met_py)
        phi = np.arctan2(self.met_py, self.met_px)
        plus, minus, is_complex = neutrino_pz(self.lepton.pt, self.lepton.eta, self.lepton.phi, self.lepton_mass,
                                              met, phi, w_mass)
        pz = np.stack([plus, minus], axis=1)
        px, py = np.repeat(self.met_px[:, None], 2, 1), np.repeat(self.met_py[:, None], 2, 1)
        return P4(px, py, pz, np.sqrt(px**2 + py**2 + pz**2)), is_complex


def light_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays (i, j), i < j, of all pairs among ``n`` slots."""
    pairs = np.array(list(itertools.combinations(range(n), 2)), dtype=np.int64).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def _hypothesis_features(ev: Event, q1: P4, q2: P4, name: str) -> dict[str, np.ndarray]:
    w = q1 + q2
    lw = ev.lepton + w
    bb = ev.b1 + ev.b2
    bblw = bb + lw
    return {
        f"q1_pt_{name}": q1.pt, f"q1_eta_{name}": q1.eta, f"q2_pt_{name}": q2.pt, f"q2_eta_{name}": q2.eta,
        f"m_whad_{name}": w.mass, f"pt_whad_{name}": w.pt, f"dr_qq_{name}": delta_r(q1, q2),
        f"m_ww_vis_{name}": lw.mass, f"dr_l_whad_{name}": delta_r(ev.lepton, w),
        f"mt_ww_{name}": transverse_mass(lw, ev.met_px, ev.met_py),
        f"m_bbww_vis_{name}": bblw.mass, f"dr_bb_lw_{name}": delta_r(bb, lw),
        f"mt_bbww_{name}": transverse_mass(bblw, ev.met_px, ev.met_py),
        f"dphi_bb_whad_{name}": np.abs(delta_phi(bb, w)),
        f"min_dr_l_q_{name}": np.minimum(delta_r(ev.lepton, q1), delta_r(ev.lepton, q2)),
    }


def _ordered(a: P4, b: P4) -> tuple[P4, P4]:
    """(harder, softer) of two vectors per event."""
    swap = b.pt > a.pt
    pick = lambda x, y: np.where(swap, y, x)  # noqa: E731
    hard = P4(pick(a.px, b.px), pick(a.py, b.py), pick(a.pz, b.pz), pick(a.e, b.e))
    soft = P4(pick(b.px, a.px), pick(b.py, a.py), pick(b.pz, a.pz), pick(b.e, a.e))
    return hard, soft


def hypothesis_pairs(ev: Event) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Chosen light-jet slots (i, j) per event for hypotheses A and B (indices into ``ev.light``)."""
    i, j = light_pairs(ev.light.px.shape[1])
    valid = ev.light_mask[:, i] & ev.light_mask[:, j]
    w = ev.light[:, i] + ev.light[:, j]  # (N, pairs)
    cost_a = np.where(valid, np.abs(w.mass - W_MASS), np.inf)
    best_a = np.argmin(cost_a, axis=1)
    nu, _ = ev.neutrinos()
    lnu = (ev.lepton.expand(1) + nu).expand(1)  # (N, 1, 2)
    m_lnuqq = (lnu + w.expand(2)).mass  # (N, pairs, 2)
    cost_b = np.where(valid[:, :, None], np.abs(m_lnuqq - H_MASS), np.inf).min(axis=2)
    best_b = np.argmin(cost_b, axis=1)
    return {"A": (i[best_a], j[best_a]), "B": (i[best_b], j[best_b])}


def topness_features(ev: Event, c: TopnessConstants = TopnessConstants()) -> dict[str, np.ndarray]:
    """The semileptonic-ttbar assignment with the minimum chi2 and its kinematics (module doc)."""
    i, j = light_pairs(ev.light.px.shape[1])
    w = ev.light[:, i] + ev.light[:, j]  # (N, P)
    pair_ok = ev.light_mask[:, i] & ev.light_mask[:, j]
    nb = ev.bjets.px.shape[1]
    nu, _ = ev.neutrinos(c.w_mass)
    w_lep = ev.lepton.expand(1) + nu  # (N, 2)
    t_had = w.expand(2) + ev.bjets.expand(1)  # (N, P, Bh)
    t_lep = w_lep.expand(1) + ev.bjets.expand(2)  # (N, Bl, 2)
    chi2_w = ((w.mass - c.w_mass) / c.sigma_w) ** 2
    chi2_thad = ((t_had.mass - c.top_mass) / c.sigma_top_had) ** 2
    chi2_tlep = ((t_lep.mass - c.top_mass) / c.sigma_top_lep) ** 2
    total = (chi2_w[:, :, None, None, None] + chi2_thad[:, :, :, None, None] + chi2_tlep[:, None, None, :, :])
    ok = (pair_ok[:, :, None, None, None] & ev.bjet_mask[:, None, :, None, None] & ev.bjet_mask[:, None, None, :, None]
          & (np.arange(nb)[:, None] != np.arange(nb)[None, :])[None, None, :, :, None])
    total = np.where(ok, total, np.inf)
    n = len(total)
    flat = total.reshape(n, -1)
    best = np.argmin(flat, axis=1)
    pair, b_had, b_lep, root = np.unravel_index(best, total.shape[1:])
    rows = np.arange(n)
    q1, q2 = ev.light[rows, i[pair]], ev.light[rows, j[pair]]
    bh, bl = ev.bjets[rows, b_had], ev.bjets[rows, b_lep]
    whad = q1 + q2
    return {
        "topness_chi2": flat[rows, best],
        "dr_l_blep": delta_r(ev.lepton, bl),
        "m_l_blep": (ev.lepton + bl).mass,
        "m_tlep": (w_lep[rows, root] + bl).mass,
        "m_whad_top": whad.mass,
        "dr_qq_top": delta_r(q1, q2),
        "m_thad": (whad + bh).mass,
        "dr_whad_bhad": delta_r(whad, bh),
    }


def table_iv(source: np.ndarray, mask: np.ndarray, btag_score: np.ndarray, globals_: np.ndarray) -> pd.DataFrame:
    """The Table IV features of preselected events (one row per event, module doc)."""
    if len(source) == 0:
        return pd.DataFrame({name: np.zeros(0) for name in FEATURE_NAMES})
    ev = Event.from_arrays(source, mask, btag_score, globals_)
    rows = np.arange(len(source))
    bb = ev.b1 + ev.b2
    columns = {
        "met": np.hypot(ev.met_px, ev.met_py), "n_b": ev.n_b,
        "lep_pt": ev.lepton.pt, "lep_eta": ev.lepton.eta,
        "mt_lep": transverse_mass(P4(ev.lepton.px, ev.lepton.py, ev.lepton.pz, np.hypot(ev.lepton.pt, ev.lepton.pz)),
                                  ev.met_px, ev.met_py),
        "b1_pt": ev.b1.pt, "b1_eta": ev.b1.eta, "b2_pt": ev.b2.pt, "b2_eta": ev.b2.eta,
        "m_bb": bb.mass, "dr_bb": delta_r(ev.b1, ev.b2),
    }
    for name, (i, j) in hypothesis_pairs(ev).items():
        q1, q2 = _ordered(ev.light[rows, i], ev.light[rows, j])
        columns.update(_hypothesis_features(ev, q1, q2, name))
    columns.update(topness_features(ev))
    return pd.DataFrame(columns)[list(FEATURE_NAMES)]


FEATURE_NAMES = (
    "met", "n_b", "lep_pt", "lep_eta", "mt_lep", "b1_pt", "b1_eta", "b2_pt", "b2_eta", "m_bb", "dr_bb",
    *(f"{k}_{h}" for h in ("A", "B") for k in (
        "q1_pt", "q1_eta", "q2_pt", "q2_eta", "m_whad", "pt_whad", "dr_qq", "m_ww_vis", "dr_l_whad", "mt_ww",
        "m_bbww_vis", "dr_bb_lw", "mt_bbww", "dphi_bb_whad", "min_dr_l_q")),
    "topness_chi2", "dr_l_blep", "m_l_blep", "m_tlep", "m_whad_top", "dr_qq_top", "m_thad", "dr_whad_bhad",
)
"""Feature columns, in the order the baselines use them."""


def feature_table(path: str) -> pd.DataFrame:
    """Features plus label, weight, split, identity (and parameters) of one point-cloud file."""
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("n_events", 0) == 0 or f"{S.SOURCE}/data" not in f:
                arrays = None
            else:
                if S.BTAG_SCORE not in f:
                    raise InputFileError(f"{path}: no {S.BTAG_SCORE} (build it again with this evenet)")
                arrays = {k: f[k][:] for k in (f"{S.SOURCE}/data", f"{S.SOURCE}/mask", S.BTAG_SCORE, f"{S.GLOBALS}/data",
                                                S.CLASSIFICATION, S.WEIGHT, f"{S.META}/split", f"{S.META}/run",
                                                f"{S.META}/luminosityBlock", f"{S.META}/event")}
                if PARAMETERS in f:
                    arrays["parameters"] = f[PARAMETERS][:]
                    arrays["parameter_names"] = list(f[PARAMETERS].attrs["features"])
    except OSError as err:
        raise InputFileError(f"{path}: cannot read point cloud ({err})") from None
    if arrays is None:
        table = table_iv(np.zeros((0, S.MAX_OBJECTS, len(S.SOURCE_FEATURES))), np.zeros((0, S.MAX_OBJECTS), bool),
                         np.zeros((0, S.MAX_OBJECTS)), np.zeros((0, len(S.GLOBAL_FEATURES))))
        for name in ("label", "split", "run", "luminosityBlock", "event"):
            table[name] = np.zeros(0, np.int64)
        table["weight"] = np.zeros(0)
        return table
    try:
        table = table_iv(arrays[f"{S.SOURCE}/data"], arrays[f"{S.SOURCE}/mask"], arrays[S.BTAG_SCORE],
                         arrays[f"{S.GLOBALS}/data"])
    except InputFileError as err:
        raise InputFileError(f"{path}: {err}") from None
    table["label"] = arrays[S.CLASSIFICATION].astype(np.int64)
    table["weight"] = arrays[S.WEIGHT].astype(np.float64)
    table["split"] = arrays[f"{S.META}/split"].astype(np.int64)
    for name in ("run", "luminosityBlock", "event"):
        table[name] = arrays[f"{S.META}/{name}"].astype(np.int64)
    for k, name in enumerate(arrays.get("parameter_names", [])):
        table[f"param_{name}"] = arrays["parameters"][:, k].astype(np.float64)
    return table


@command("python -m analyses.xyh.features")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analyses.xyh.features", description=__doc__.split("\n\n")[0])
    parser.add_argument("pointcloud", help="point-cloud HDF5 of one sample of the xyh stream")
    parser.add_argument("-o", "--output", required=True, help="feature table (Parquet)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    start = time.perf_counter()
    table = feature_table(args.pointcloud)
    seconds = time.perf_counter() - start
    with atomic_output(args.output) as tmp:
        table.to_parquet(tmp, index=False)
    rate = len(table) / seconds if seconds > 0 else float("inf")
    log.info("%s: %d events, %d features in %.2f s (%.0f events/s on one core)", args.output, len(table),
             len(FEATURE_NAMES), seconds, rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
