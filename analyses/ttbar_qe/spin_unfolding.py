"""Unfolding of the nine binned products cos_i+ cos_j- to parton level, in m_tt bins, and
C_ij = -9 <cos_i+ cos_j-> per m_tt bin from the unfolded distributions.

Per product p the truth bin is (m_tt bin, z bin) of the parton-level (m_tt, z_p) of every
generated event; the reco bin the same of the reconstructed event, -1 when the event was
not selected or not reconstructed (efficiency). The response comes from a sample
independent of the one unfolded. The unfolded mean of z in a truth bin is the response
sample's truth mean of z in that bin (not the bin centre: z = cos cos peaks at 0 like
-log|z|, so centres would bias C).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evenet.physics.spin import mtt_bins
from evenet.stats.unfolding import Response, build_response, unfold, unfold_many


@dataclass(frozen=True)
class UnfoldingSetup:
    mtt_edges: tuple
    z_bins: int
    iterations: int
    prior: str  # "response": the response sample's truth; "flat"

    @property
    def n_mtt(self) -> int:
        return len(self.mtt_edges) - 1

    @property
    def n_bins(self) -> int:
        return self.n_mtt * self.z_bins


def bin_index(products: np.ndarray, mtt: np.ndarray, ok: np.ndarray, setup: UnfoldingSetup) -> np.ndarray:
    """(N, 9) combined (m_tt, z) bin of each product, -1 where not ok or outside the m_tt range."""
    m = mtt_bins(np.nan_to_num(mtt, nan=-1.0), setup.mtt_edges)
    z = np.clip(((np.nan_to_num(products) + 1.0) / 2.0 * setup.z_bins).astype(int), 0, setup.z_bins - 1)
    good = ok & (m >= 0)
    return np.where(good[:, None], m[:, None] * setup.z_bins + z, -1)


class SpinUnfolder:
    """Nine responses (one per product) from the response sample, all generated events:
    truth products and m_tt, reco products and m_tt with ``reco_ok``."""

    def __init__(self, setup: UnfoldingSetup, truth_products, truth_mtt, reco_products, reco_mtt, reco_ok,
                 weights=None):
        self.setup = setup
        w = np.ones(len(truth_mtt)) if weights is None else np.asarray(weights, dtype=float)
        truth = bin_index(truth_products, truth_mtt, np.ones(len(truth_mtt), bool), setup)
        if np.any(truth < 0):
            raise ValueError("truth m_tt outside the configured m_tt edges")
        reco = bin_index(reco_products, reco_mtt, reco_ok, setup)
        self.responses: list[Response] = [build_response(truth[:, p], reco[:, p], setup.n_bins, setup.n_bins, w)
                                          for p in range(9)]
        counts = [np.bincount(truth[:, p], weights=w, minlength=setup.n_bins) for p in range(9)]
        # the prior stays the generated truth shape when the response is reweighted: a prior that
        # followed the reweighting would feed the unfolded C back into itself (unstable at poor resolution)
        self.priors = [np.bincount(truth[:, p], minlength=setup.n_bins).astype(float) for p in range(9)]
        sums = [np.bincount(truth[:, p], weights=w * truth_products[:, p], minlength=setup.n_bins) for p in range(9)]
        self.z_mean = np.array([np.divide(s, c, out=np.zeros(setup.n_bins), where=c > 0) for s, c in zip(sums, counts)])

    def observed(self, reco_products, reco_mtt, reco_ok, weights=None) -> np.ndarray:
        """(R, 9, n_bins) reco histograms; ``weights`` (R, N) for R weighted replicas, else one."""
        reco = bin_index(reco_products, reco_mtt, reco_ok, self.setup)
        w = np.ones((1, len(reco))) if weights is None else np.atleast_2d(weights)
        out = np.zeros((len(w), 9, self.setup.n_bins))
        for p in range(9):
            seen = reco[:, p] >= 0
            for r in range(len(w)):
                out[r, p] = np.bincount(reco[seen, p], weights=w[r, seen], minlength=self.setup.n_bins)
        return out

    def _prior(self, p: int):
        return self.priors[p] if self.setup.prior == "response" else None

    def correlation_matrix(self, truth_counts: np.ndarray) -> np.ndarray:
        """(..., n_mtt, 3, 3) C from unfolded counts (..., 9, n_bins)."""
        s = self.setup
        counts = truth_counts.reshape(*truth_counts.shape[:-1], s.n_mtt, s.z_bins)
        z = self.z_mean.reshape(9, s.n_mtt, s.z_bins)
        total = counts.sum(axis=-1)
        mean = np.divide((counts * z).sum(axis=-1), total, out=np.full(total.shape, np.nan), where=total > 0)
        c = -9.0 * mean                                             # (..., 9, n_mtt)
        return np.moveaxis(c, -2, -1).reshape(*c.shape[:-2], s.n_mtt, 3, 3)

    def unfold_counts(self, observed: np.ndarray) -> np.ndarray:
        """(R, 9, n_bins) reco -> (R, 9, n_bins) truth counts (fast numpy iteration)."""
        return np.stack([unfold_many(observed[:, p], self.responses[p], self.setup.iterations, self._prior(p))
                         for p in range(9)], axis=1)

    def unfold_central(self, observed: np.ndarray) -> np.ndarray:
        """(9, n_bins) central unfolded counts through pyunfold (observed: (9, n_bins))."""
        return np.stack([unfold(observed[p], self.responses[p], self.setup.iterations, prior=self._prior(p)).counts
                         for p in range(9)])
