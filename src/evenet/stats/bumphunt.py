"""Bump hunt in a mass spectrum: sideband polynomial fit and the signal-region excess.

Binning (:func:`mass_edges`): ``n_sr_edges`` edges spaced geometrically across the
signal region [lo, hi] (constant relative width r = (hi/lo)^(1/(n_sr_edges-1)) - 1,
about 1.5 % for 12 edges over 9-10.6 GeV), stepped outward at the same ratio into the
sidebands as far as whole bins fit inside ``mass_range``.

Background (:func:`fit_sidebands`): a density polynomial of given degree (5: quintic)
in the Chebyshev basis of x = 2 (m - m_lo) / (m_hi - m_lo) - 1 over the binned range
(the raw power series in m is ill-conditioned), times a fixed event scale so the
coefficients are O(1). Its bin integrals (exact, from the antiderivative) are fitted
to the sideband bins only (signal-region bins masked) with iminuit's
``ExtendedBinnedNLL``; weighted histograms (sum w, sum w^2 per bin) use iminuit's
scaled-Poisson (Bohm-Zech) likelihood. The predicted SR yield b is linear in the
coefficients, so its fit uncertainty sigma_b = sqrt(g C g^T) is exact.

Significance (:func:`discovery_significance`): the SR total is one counting
measurement. Weighted counts are scaled (Bohm-Zech): s = sum w / sum w^2, n -> s n,
b -> s b, sigma_b -> s sigma_b. The background-only hypothesis profiles the SR
background b' under a Gaussian constraint from the sideband fit; the alternative
fits a free signal, so

    q0 = 2 [ b' - n ln b' + (b' - b)^2 / (2 sigma_b^2) - n + n ln n ],
    b' = ((b - sigma_b^2) + sqrt((b - sigma_b^2)^2 + 4 n sigma_b^2)) / 2,

q0 = 0 when n <= b (a deficit is no discovery), and Z = sqrt(q0). For sigma_b = 0 this
is the asymptotic counting formula Z = sqrt(2 (n ln(n/b) - (n - b))).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from iminuit import Minuit
from iminuit.cost import ExtendedBinnedNLL
from numpy.polynomial import chebyshev

from evenet.errors import ConfigError


def mass_edges(signal_region: tuple[float, float], mass_range: tuple[float, float], n_sr_edges: int = 12) -> np.ndarray:
    """Bin edges (geometric, equal relative width); the SR edges are among them."""
    lo, hi = signal_region
    if not (mass_range[0] < lo < hi < mass_range[1]) or n_sr_edges < 2:
        raise ConfigError(f"mass binning: need mass_range[0] < signal_region low < high < mass_range[1] and >= 2 SR edges, "
                          f"got signal_region {list(signal_region)}, mass_range {list(mass_range)}, {n_sr_edges} edges")
    step = np.log(hi / lo) / (n_sr_edges - 1)
    below = int(np.floor(np.log(lo / mass_range[0]) / step + 1e-9))
    above = int(np.floor(np.log(mass_range[1] / hi) / step + 1e-9))
    k = np.arange(-below, n_sr_edges + above)
    return lo * np.exp(step * k)


def signal_region_bins(edges: np.ndarray, signal_region: tuple[float, float]) -> np.ndarray:
    """Boolean per bin: inside the signal region."""
    centres = 0.5 * (edges[1:] + edges[:-1])
    return (centres > signal_region[0]) & (centres < signal_region[1])


def histogram(mass: np.ndarray, edges: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin sum of weights and sum of squared weights (unit weights when None)."""
    w = np.ones(len(mass)) if weights is None else np.asarray(weights, float)
    sumw, _ = np.histogram(mass, edges, weights=w)
    sumw2, _ = np.histogram(mass, edges, weights=w**2)
    return sumw, sumw2


def scaled_poisson_deviance(sumw, sumw2, expected) -> float:
    """-2 ln L of the scaled Poisson (Bohm-Zech) likelihood relative to the saturated model:
    sum over bins of s [mu - w + w ln(w / mu)], s = w / sum w^2 (s = 1 for empty bins).
    Unit weights (sumw2 == sumw) give the Poisson deviance; equals iminuit's weighted cost."""
    w, w2, mu = (np.atleast_1d(np.asarray(a, float)) for a in (sumw, sumw2, expected))
    s = np.where(w2 > 0, np.abs(w) / np.where(w2 > 0, w2, 1.0), 1.0)
    wlog = np.where(w > 0, w * np.log(np.where(w > 0, w, 1.0) / mu), 0.0)
    return float(2 * np.sum(s * (mu - w + wlog)))


@dataclass(frozen=True)
class BackgroundFit:
    """The sideband fit: Chebyshev coefficients of the density (events/GeV, times ``scale``) and their covariance."""

    edges: np.ndarray
    signal_bins: np.ndarray
    coefficients: np.ndarray
    covariance: np.ndarray
    scale: float
    valid: bool

    def _basis_integrals(self, edges: np.ndarray) -> np.ndarray:
        """(degree + 1, n_bins): integral of scale * T_k over each bin, in x mapped from the fit range."""
        m_lo, m_hi = self.edges[0], self.edges[-1]
        x = 2 * (np.asarray(edges) - m_lo) / (m_hi - m_lo) - 1
        jac = 0.5 * (m_hi - m_lo)
        rows = []
        for k in range(len(self.coefficients)):
            unit = np.zeros(k + 1)
            unit[k] = 1.0
            anti = chebyshev.chebval(x, chebyshev.chebint(unit))
            rows.append(self.scale * jac * np.diff(anti))
        return np.array(rows)

    def expected(self, edges: np.ndarray | None = None) -> np.ndarray:
        """Fitted background per bin (of the fit's edges, or of other edges inside its range)."""
        return self.coefficients @ self._basis_integrals(self.edges if edges is None else edges)

    def signal_region_yield(self) -> tuple[float, float]:
        """(b, sigma_b): the fitted background summed over the SR bins and its fit uncertainty."""
        g = self._basis_integrals(self.edges)[:, self.signal_bins].sum(axis=1)
        return float(g @ self.coefficients), float(np.sqrt(max(g @ self.covariance @ g, 0.0)))


def fit_sidebands(edges: np.ndarray, sumw: np.ndarray, sumw2: np.ndarray, signal_bins: np.ndarray,
                  degree: int = 5) -> BackgroundFit:
    """Fit the polynomial density to the sideband bins (module docstring)."""
    edges, sumw, sumw2 = np.asarray(edges, float), np.asarray(sumw, float), np.asarray(sumw2, float)
    sideband = ~np.asarray(signal_bins, bool)
    if sideband.sum() <= degree + 1:
        raise ConfigError(f"sideband fit: {sideband.sum()} sideband bins cannot constrain a degree-{degree} polynomial")
    if not np.sum(sumw[sideband]) > 0:
        raise ConfigError("sideband fit: the sidebands hold no (positive) events")
    scale = float(np.sum(sumw[sideband]) / (edges[-1] - edges[0]))
    template = BackgroundFit(edges, np.asarray(signal_bins, bool), np.zeros(degree + 1), np.zeros((degree + 1,) * 2),
                             scale, False)
    integrals = template._basis_integrals(edges)  # (k, bins), linear model
    # start from the weighted least-squares solution on the sideband bins
    sigma = np.sqrt(np.maximum(sumw2, 1.0))
    start, *_ = np.linalg.lstsq((integrals[:, sideband] / sigma[sideband]).T, sumw[sideband] / sigma[sideband], rcond=None)

    def scaled_cdf(xe, *c):
        # ExtendedBinnedNLL differences this at the edges: the integral up to each edge
        return np.concatenate([[0.0], np.cumsum(np.asarray(c) @ integrals)])

    cost = ExtendedBinnedNLL(np.stack([sumw, sumw2], axis=1), edges, scaled_cdf,
                             name=[f"c{k}" for k in range(degree + 1)])
    cost.mask = sideband
    minuit = Minuit(cost, *start)
    minuit.migrad()
    minuit.hesse()
    return BackgroundFit(edges, template.signal_bins, np.array(minuit.values), np.array(minuit.covariance), scale,
                         bool(minuit.valid))


def discovery_significance(n: float, sumw2: float, b: float, sigma_b: float = 0.0) -> tuple[float, float]:
    """(q0, Z) of the SR excess (module docstring); ``n``, ``sumw2``: SR sum of weights and of squared weights."""
    if not b > 0:
        raise ConfigError(f"discovery significance: the background prediction must be positive, got {b}")
    if n <= b:
        return 0.0, 0.0
    s = n / sumw2 if sumw2 > 0 else 1.0
    n, b, var = s * n, s * b, (s * sigma_b) ** 2
    if var > 0:
        bp = 0.5 * ((b - var) + np.sqrt((b - var) ** 2 + 4 * n * var))
        q0 = 2 * (bp - n * np.log(bp) + (bp - b) ** 2 / (2 * var) - n + n * np.log(n))
    else:
        q0 = 2 * (n * np.log(n / b) - (n - b))
    q0 = max(float(q0), 0.0)
    return q0, float(np.sqrt(q0))


@dataclass(frozen=True)
class BumpHunt:
    """A fitted spectrum and its SR excess: what a result.json and a spectrum figure need."""

    fit: BackgroundFit
    sumw: np.ndarray
    sumw2: np.ndarray
    observed: float
    background: float
    background_error: float
    q0: float
    significance: float

    def as_dict(self) -> dict:
        return {"edges": self.fit.edges.tolist(), "sumw": self.sumw.tolist(), "sumw2": self.sumw2.tolist(),
                "fitted": self.fit.expected().tolist(), "signal_bins": self.fit.signal_bins.tolist(),
                "coefficients": self.fit.coefficients.tolist(), "fit_valid": self.fit.valid,
                "observed": self.observed, "background": self.background, "background_error": self.background_error,
                "q0": self.q0, "significance": self.significance}


def bump_hunt(mass: np.ndarray, edges: np.ndarray, signal_region: tuple[float, float],
              weights: np.ndarray | None = None, degree: int = 5) -> BumpHunt:
    """Histogram ``mass`` (optionally weighted), fit the sidebands, test the SR total."""
    sumw, sumw2 = histogram(mass, edges, weights)
    sr = signal_region_bins(edges, signal_region)
    fit = fit_sidebands(edges, sumw, sumw2, sr, degree)
    b, sigma_b = fit.signal_region_yield()
    n, n2 = float(sumw[sr].sum()), float(sumw2[sr].sum())
    q0, z = discovery_significance(n, n2, b, sigma_b) if b > 0 else (0.0, 0.0)
    return BumpHunt(fit, sumw, sumw2, n, b, sigma_b, q0, z)
