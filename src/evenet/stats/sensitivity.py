"""Expected discovery significance and CLs upper limit from binned score templates, with pyhf.

The statistical model (HistFactory, built by :func:`build_model`) has one channel, the
bins of the classifier score (:mod:`evenet.stats.binning`): the signal template scaled
by the signal strength ``mu`` (a ``normfactor``) plus the background template. The MC
statistical uncertainty of the templates enters as one ``staterror`` modifier shared by
both samples (Barlow-Beeston lite: one constrained gamma per bin whose width is
``sqrt(sum w^2_sig + sum w^2_bkg) / (s + b)`` of that bin).

Both numbers are *expected* (median) values computed on Asimov data, with asymptotic
formulae (Cowan, Cranmer, Gross, Vitells, Eur. Phys. J. C 71 (2011) 1554):

- **Discovery significance** ``Z0``: the q0 test of ``mu = 0`` on the Asimov data set
  of ``mu = 1`` (signal + background). For one bin without uncertainty it is
  ``Z0 = sqrt(2 ((s + b) ln(1 + s/b) - s))`` (their Eq. 97).
- **Upper limit** on ``mu`` at 95 % CL with CLs (Read, J. Phys. G 28 (2002) 2693) and
  the ``q~_mu`` test statistic on the background-only Asimov data set, with the
  +-1 and +-2 sigma band of the background-only expectation. ``mu_up`` times the
  cross section the signal template was normalised to is the expected upper limit on
  the signal cross section (:func:`cross_section_limit`).

Fits use MINUIT (iminuit) through pyhf: scipy's SLSQP, pyhf's default, returned a
wrong CLs (0.088 instead of 0.050 at the limit of a one-bin model) without any error
when a bin's relative MC uncertainty was below ~1e-4, where MINUIT was right. The pyhf
backend is switched for the call and restored afterwards.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np
import pyhf
from scipy import optimize, stats

from evenet.stats.binning import Templates

POI = "mu"


@dataclass(frozen=True)
class UpperLimit:
    """Expected upper limit at ``1 - level`` CL: the median and the background-only bands.

    ``minus2``, ``minus1``, ``plus1``, ``plus2`` are the limits at -2, -1, +1, +2 sigma
    of the background-only expectation (ascending), in the units of ``median``.
    """

    median: float
    minus2: float
    minus1: float
    plus1: float
    plus2: float
    level: float

    def scaled(self, factor: float) -> "UpperLimit":
        return UpperLimit(self.median * factor, self.minus2 * factor, self.minus1 * factor,
                          self.plus1 * factor, self.plus2 * factor, self.level)


@dataclass(frozen=True)
class Significance:
    """Expected discovery significance ``z`` (Gaussian sigmas) and its one-sided p-value ``p0``."""

    z: float
    p0: float


@contextlib.contextmanager
def _minuit_backend():
    """pyhf with the numpy tensors and the MINUIT optimiser inside the block; the previous backend after."""
    tensorlib, optimizer = pyhf.get_backend()
    pyhf.set_backend("numpy", pyhf.optimize.minuit_optimizer(tolerance=1e-3))
    try:
        yield
    finally:
        pyhf.set_backend(tensorlib, optimizer)


def _check(templates: Templates) -> None:
    if templates.n_bins < 1:
        raise ValueError("templates have no bins")
    for name in ("signal", "signal_sumw2", "background", "background_sumw2"):
        if not np.all(np.isfinite(getattr(templates, name))):
            raise ValueError(f"templates.{name} contains NaN or infinity")
    if not np.all(np.asarray(templates.background) > 0):
        raise ValueError("every bin needs a positive background yield (merge bins: "
                         "evenet.stats.binning min_background_per_bin)")
    if not np.sum(templates.signal) > 0:
        raise ValueError("the signal template has no positive yield")


def _poi_upper_bound(templates: Templates) -> float:
    """A generous upper bound on mu: 20x the counting-experiment limit ~2 sqrt(B + sigma_B^2) / S of all bins."""
    b = float(np.sum(templates.background))
    sigma2 = float(np.sum(templates.background_sumw2))
    s = float(np.sum(np.clip(templates.signal, 0.0, None)))
    return max(10.0, 20.0 * 2.0 * math.sqrt(b + sigma2) / s)


def build_model(templates: Templates, staterror: bool = True) -> pyhf.Model:
    """The HistFactory model of the module docstring (``mu`` in ``[0, bound]``, bound from the yields)."""
    _check(templates)
    signal_modifiers = [{"name": POI, "type": "normfactor", "data": None}]
    background_modifiers = []
    if staterror:
        signal_modifiers.append({"name": "staterror_score", "type": "staterror",
                                 "data": np.sqrt(np.asarray(templates.signal_sumw2, dtype=float)).tolist()})
        background_modifiers.append({"name": "staterror_score", "type": "staterror",
                                     "data": np.sqrt(np.asarray(templates.background_sumw2, dtype=float)).tolist()})
    spec = {"channels": [{"name": "score", "samples": [
        {"name": "signal", "data": np.asarray(templates.signal, dtype=float).tolist(),
         "modifiers": signal_modifiers},
        {"name": "background", "data": np.asarray(templates.background, dtype=float).tolist(),
         "modifiers": background_modifiers},
    ]}]}
    return pyhf.Model(spec, poi_name=POI)


def _asimov(model: pyhf.Model, mu: float) -> np.ndarray:
    """Expected main and auxiliary data with ``mu`` and every nuisance parameter at its nominal value."""
    pars = np.asarray(model.config.suggested_init(), dtype=float)
    pars[model.config.poi_index] = mu
    return model.expected_data(pars)


def _bounds(model: pyhf.Model, templates: Templates) -> list[tuple[float, float]]:
    bounds = list(model.config.suggested_bounds())
    bounds[model.config.poi_index] = (0.0, _poi_upper_bound(templates))
    return bounds


def expected_significance(templates: Templates, staterror: bool = True) -> Significance:
    """Median discovery significance for ``mu = 1`` (Asimov q0, module docstring)."""
    model = build_model(templates, staterror)
    with _minuit_backend():
        p0 = float(pyhf.infer.hypotest(0.0, _asimov(model, 1.0), model, par_bounds=_bounds(model, templates),
                                       test_stat="q0", calctype="asymptotics"))
    return Significance(z=float(stats.norm.isf(p0)), p0=p0)


def band_target(band: int, level: float = 0.05) -> float:
    """The ``sqrt(q~_mu,A)`` at which the expected CLs of ``band`` sigma equals ``level``.

    pyhf's asymptotic expected CLs for the background-only band ``b`` (b = -2 gives the
    lowest limit) is ``Phi(b - x) / Phi(b)`` with ``x = sqrt(q~_mu,A)``
    (``pyhf.infer.calculators.AsymptoticCalculator.expected_pvalues``, after Cowan et
    al., with the Asimov data setting the width); setting it to ``level`` gives
    ``x = b + Phi^-1(1 - level Phi(b))``, 1.96 for the median at 95 % CL.
    """
    return band + float(stats.norm.isf(level * stats.norm.cdf(band)))


def expected_upper_limit(templates: Templates, level: float = 0.05, staterror: bool = True,
                         rtol: float = 1e-4) -> UpperLimit:
    """Median expected CLs upper limit on ``mu`` and its +-1/2 sigma band (background-only Asimov).

    ``level`` is the CLs threshold (0.05 for 95 % CL). On the background-only Asimov
    data the best fit is ``mu^ = 0``, so ``q~_mu,A = -2 ln L(mu, theta^^) + 2 ln L(0, theta^)``:
    one pyhf fit with ``mu`` fixed per trial value, against one free fit. Each band's
    limit is the root of ``sqrt(q~_mu,A) = band_target(band)`` (Brent, relative
    tolerance ``rtol``). The same numbers as ``pyhf.infer.intervals.upper_limits.upper_limit``
    on that data set (a test checks pyhf's expected CLs at the returned limits), for
    ~30 fits instead of ~250.
    """
    model = build_model(templates, staterror)
    data = _asimov(model, 0.0)
    bounds = _bounds(model, templates)
    poi = model.config.poi_index
    init, fixed = model.config.suggested_init(), model.config.suggested_fixed()
    cache: dict[float, float] = {}
    with _minuit_backend():
        _, free_nll = pyhf.infer.mle.fit(data, model, init, bounds, fixed, return_fitted_val=True)

        def sqrt_q(mu: float) -> float:
            if mu not in cache:
                trial_bounds = list(bounds)
                trial_bounds[poi] = (0.0, max(bounds[poi][1], 2.0 * mu))
                _, nll = pyhf.infer.mle.fixed_poi_fit(mu, data, model, init, trial_bounds, fixed,
                                                      return_fitted_val=True)
                cache[mu] = math.sqrt(max(float(nll - free_nll), 0.0))
            return cache[mu]

        limits = [_solve_increasing(sqrt_q, band_target(band, level), bounds[poi][1], cache, rtol)
                  for band in (-2, -1, 0, 1, 2)]
    minus2, minus1, median, plus1, plus2 = limits
    return UpperLimit(median, minus2, minus1, plus1, plus2, level)


def _solve_increasing(function, target: float, guess: float, cache: dict[float, float], rtol: float) -> float:
    """The ``mu > 0`` where an increasing ``function`` reaches ``target``, bracketed from earlier evaluations."""
    below = [mu for mu, value in cache.items() if value < target] + [0.0]
    above = [mu for mu, value in cache.items() if value >= target]
    upper = min(above) if above else guess
    for _ in range(60):
        if function(upper) >= target:
            break
        upper *= 2.0
    else:
        raise ValueError(f"no signal strength up to {upper:g} reaches sqrt(q) = {target:.3f}")
    lower = max(mu for mu in below if mu < upper)
    return float(optimize.brentq(lambda mu: function(mu) - target, lower, upper, rtol=rtol, xtol=1e-12))


def cross_section_limit(mu_limit: UpperLimit | float, signal_xsec_pb: float) -> UpperLimit | float:
    """Limit on the signal cross section (pb): ``mu_up x`` the cross section the signal template was made with.

    Valid when the signal template's weights are ``signal_xsec_pb x lumi / N_gen x
    genWeight``, i.e. ``mu = 1`` is that cross section.
    """
    if not signal_xsec_pb > 0:
        raise ValueError(f"signal cross section must be positive, got {signal_xsec_pb}")
    if isinstance(mu_limit, UpperLimit):
        return mu_limit.scaled(signal_xsec_pb)
    return float(mu_limit) * signal_xsec_pb
