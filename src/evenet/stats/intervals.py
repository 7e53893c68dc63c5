"""Binomial intervals, weighted efficiencies and bootstrap resampling.

Conventions: ``level`` is the two-sided confidence level of an interval; the default
:data:`ONE_SIGMA` (68.27 %) gives error bars comparable to a Gaussian +-1 sigma.

Weighted efficiencies (events with physical weights ``w``): the efficiency is
``eps = P / (P + F)`` with ``P`` and ``F`` the summed weights of the passing and
failing events. Treating ``P`` and ``F`` as independent sums with variances
``sum_pass w^2`` and ``sum_fail w^2`` (each event's count is Poisson), first-order
propagation gives

    Var(eps) = (F^2 * sum_pass w^2 + P^2 * sum_fail w^2) / (P + F)^4,

which reduces to the binomial ``eps (1 - eps) / n`` for unit weights. Intervals for
weighted efficiencies use the effective counts ``n_eff = (sum w)^2 / sum w^2`` and
``k_eff = eps * n_eff`` in the binomial formulas (non-integer counts are fine for the
beta quantiles of Clopper-Pearson and for Wilson).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

ONE_SIGMA = float(stats.norm.cdf(1.0) - stats.norm.cdf(-1.0))
"""Two-sided coverage of +-1 standard deviation of a Gaussian (0.6827)."""

BINOMIAL_METHODS = ("clopper-pearson", "wilson")


def _alpha(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must lie in (0, 1), got {level}")
    return 1.0 - level


def _scalar_or_array(x: np.ndarray):
    return float(x) if np.ndim(x) == 0 else x


def clopper_pearson(passed, total, level: float = ONE_SIGMA) -> tuple:
    """Clopper-Pearson ("exact") interval for ``passed`` successes in ``total`` trials.

    Beta quantiles (Clopper & Pearson, Biometrika 26 (1934) 404):
    ``low = B^-1(alpha/2; k, n - k + 1)`` (0 when k = 0),
    ``high = B^-1(1 - alpha/2; k + 1, n - k)`` (1 when k = n). Returns (low, high):
    floats for scalar counts, arrays when the counts are arrays; NaN where ``total`` is 0.
    """
    alpha = _alpha(level)
    k = np.asarray(passed, dtype=float)
    n = np.asarray(total, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        high = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    empty = n <= 0
    return _scalar_or_array(np.where(empty, np.nan, low)), _scalar_or_array(np.where(empty, np.nan, high))


def wilson(passed, total, level: float = ONE_SIGMA) -> tuple:
    """Wilson score interval (Wilson, JASA 22 (1927) 209), without continuity correction.

    ``(k + z^2/2) / (n + z^2) -+ z / (n + z^2) * sqrt(k (n - k) / n + z^2 / 4)`` with
    ``z`` the two-sided normal quantile of ``level``. Returns (low, high) as
    :func:`clopper_pearson` does; NaN where ``total`` is 0.
    """
    z = stats.norm.isf(_alpha(level) / 2)
    k = np.asarray(passed, dtype=float)
    n = np.asarray(total, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = (k + z**2 / 2) / (n + z**2)
        half = z / (n + z**2) * np.sqrt(np.clip(k * (n - k) / n, 0.0, None) + z**2 / 4)
        low, high = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    empty = n <= 0
    return _scalar_or_array(np.where(empty, np.nan, low)), _scalar_or_array(np.where(empty, np.nan, high))


def binomial_interval(passed, total, level: float = ONE_SIGMA,
                      method: str = "clopper-pearson") -> tuple:
    """The interval of ``method`` (one of :data:`BINOMIAL_METHODS`)."""
    if method == "clopper-pearson":
        return clopper_pearson(passed, total, level)
    if method == "wilson":
        return wilson(passed, total, level)
    raise ValueError(f"unknown binomial interval method {method!r} (known: {', '.join(BINOMIAL_METHODS)})")


@dataclass(frozen=True)
class Efficiency:
    """An efficiency with its standard error and a binomial interval.

    ``passed``/``total`` are the counts, or the effective counts of a weighted
    efficiency; ``error`` is the standard error (binomial, or the weighted-efficiency
    variance of the module docstring).
    """

    value: float
    error: float
    low: float
    high: float
    passed: float
    total: float
    level: float
    method: str


def efficiency(passed: int, total: int, level: float = ONE_SIGMA,
               method: str = "clopper-pearson") -> Efficiency:
    """``passed / total`` with the binomial error ``sqrt(p (1 - p) / n)`` and an interval.

    ``total == 0`` gives NaN everywhere (nothing was measured), not an exception.
    """
    if passed < 0 or total < 0 or passed > total:
        raise ValueError(f"need 0 <= passed <= total, got passed={passed}, total={total}")
    low, high = binomial_interval(passed, total, level, method)
    if total == 0:
        return Efficiency(np.nan, np.nan, np.nan, np.nan, passed, total, level, method)
    p = passed / total
    return Efficiency(p, float(np.sqrt(p * (1 - p) / total)), float(low), float(high),
                      passed, total, level, method)


def efficiency_variance(pass_sumw, pass_sumw2, fail_sumw, fail_sumw2) -> np.ndarray:
    """Variance of ``P / (P + F)`` from the sums of weights and squared weights (module docstring).

    Arrays broadcast (e.g. one entry per score cut); NaN where ``P + F`` is 0.
    """
    p = np.asarray(pass_sumw, dtype=float)
    f = np.asarray(fail_sumw, dtype=float)
    total = p + f
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total != 0, (f**2 * np.asarray(pass_sumw2) + p**2 * np.asarray(fail_sumw2)) / total**4,
                        np.nan)


def weighted_efficiency(weights, passed, level: float = ONE_SIGMA,
                        method: str = "clopper-pearson") -> Efficiency:
    """Efficiency of the mask ``passed`` over events with ``weights``.

    Value ``sum_pass w / sum w``; error from :func:`efficiency_variance`; interval from
    the effective counts. Negative weights enter the sums with their sign (the physical
    estimate); the interval then assumes the effective counts are meaningful, which
    they stop being when negative weights cancel much of the total.
    """
    w = np.asarray(weights, dtype=float)
    mask = np.asarray(passed, dtype=bool)
    if w.shape != mask.shape:
        raise ValueError(f"weights {w.shape} and passed {mask.shape} differ in shape")
    total, total_w2 = w.sum(), (w**2).sum()
    if total == 0 or total_w2 == 0:
        return Efficiency(np.nan, np.nan, np.nan, np.nan, 0.0, 0.0, level, method)
    pass_w, pass_w2 = w[mask].sum(), (w[mask] ** 2).sum()
    value = pass_w / total
    error = float(np.sqrt(efficiency_variance(pass_w, pass_w2, total - pass_w, total_w2 - pass_w2)))
    n_eff = total**2 / total_w2
    k_eff = float(np.clip(value, 0.0, 1.0)) * n_eff
    low, high = binomial_interval(k_eff, n_eff, level, method)
    return Efficiency(float(value), error, float(low), float(high), k_eff, float(n_eff), level, method)


@dataclass(frozen=True)
class BootstrapResult:
    """A statistic on the original sample and its bootstrap distribution.

    ``value`` is the statistic on the original events; ``std`` the standard deviation
    and ``low``/``high`` the percentile interval at ``level`` of the resampled values
    (scalars, or arrays of the statistic's shape). Resamples where the statistic was not
    finite are counted in ``n_failed`` and left out of ``std``/``low``/``high``;
    ``samples`` keeps them as NaN.
    """

    value: float | np.ndarray
    std: float | np.ndarray
    low: float | np.ndarray
    high: float | np.ndarray
    level: float
    n_resamples: int
    n_failed: int
    samples: np.ndarray


@dataclass(frozen=True)
class PairedBootstrapResult:
    """Two statistics resampled on the same events, and their difference ``a - b`` and ratio ``a / b``."""

    a: BootstrapResult
    b: BootstrapResult
    difference: BootstrapResult
    ratio: BootstrapResult


def _event_arrays(arrays) -> tuple[list[np.ndarray], int]:
    if not arrays:
        raise ValueError("bootstrap needs at least one per-event array")
    arrays = [np.asarray(a) for a in arrays]
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"per-event arrays differ in length: {[len(a) for a in arrays]}")
    return arrays, n


def _resample_indices(rng: np.random.Generator, n: int, strata) -> np.ndarray:
    """Indices of one resample: n draws with replacement, or per stratum when given."""
    if strata is None:
        return rng.integers(0, n, n)
    parts = [members[rng.integers(0, len(members), len(members))]
             for members in (np.flatnonzero(strata == s) for s in np.unique(strata))]
    return np.concatenate(parts)


def _summarise(value, samples: np.ndarray, level: float) -> BootstrapResult:
    finite = np.isfinite(samples)
    failed = ~finite.reshape(len(samples), -1).all(axis=1)
    clean = np.where(finite, samples, np.nan)
    alpha = _alpha(level)
    with warnings.catch_warnings():  # a component that never came out finite is NaN, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        std = np.nanstd(clean, axis=0, ddof=1)
        low, high = np.nanquantile(clean, [alpha / 2, 1 - alpha / 2], axis=0)

    def scalar(x):
        x = np.asarray(x, dtype=float)
        return float(x) if x.ndim == 0 else x

    return BootstrapResult(scalar(value), scalar(std), scalar(low), scalar(high), level,
                           len(samples), int(failed.sum()), clean)


def _resampled(statistics: list[Callable], arrays: list[np.ndarray], n: int, n_resamples: int, seed: int,
               strata) -> list[np.ndarray]:
    if n == 0:
        raise ValueError("bootstrap of an empty sample")
    if n_resamples < 2:
        raise ValueError(f"n_resamples must be >= 2, got {n_resamples}")
    if strata is not None:
        strata = np.asarray(strata)
        if len(strata) != n:
            raise ValueError(f"strata has {len(strata)} entries for {n} events")
    rng = np.random.default_rng(seed)
    out: list[list[np.ndarray]] = [[] for _ in statistics]
    for _ in range(n_resamples):
        index = _resample_indices(rng, n, strata)
        resample = [a[index] for a in arrays]
        for store, statistic in zip(out, statistics):
            store.append(np.asarray(statistic(*resample), dtype=float))
    return [np.stack(store) for store in out]


def bootstrap(statistic: Callable[..., float], *arrays, n_resamples: int = 1000, seed: int = 0,
              level: float = ONE_SIGMA, strata=None) -> BootstrapResult:
    """Bootstrap ``statistic(*arrays)`` by resampling events with replacement (Efron 1979).

    ``arrays`` are per-event arrays of one length (scores, labels, weights, ...), all
    resampled with the same indices; ``statistic`` returns a number or a fixed-shape
    array. ``strata`` (one label per event, e.g. signal/background) resamples within
    each label so the class counts stay fixed. Seeded: the same call gives the same
    numbers. Cost: ``n_resamples`` evaluations of ``statistic``.
    """
    arrays, n = _event_arrays(arrays)
    (samples,) = _resampled([statistic], arrays, n, n_resamples, seed, strata)
    return _summarise(statistic(*arrays), samples, level)


def paired_bootstrap(statistic_a: Callable[..., float], statistic_b: Callable[..., float], *arrays,
                     n_resamples: int = 1000, seed: int = 0, level: float = ONE_SIGMA,
                     strata=None) -> PairedBootstrapResult:
    """Bootstrap two statistics on the same resampled events (e.g. two models' max SIC).

    Both see identical resamples, so the spread of ``a - b`` and ``a / b`` excludes the
    fluctuation the two share: the right uncertainty for "is model A better than B on
    these events". Arguments as in :func:`bootstrap`.
    """
    arrays, n = _event_arrays(arrays)
    samples_a, samples_b = _resampled([statistic_a, statistic_b], arrays, n, n_resamples, seed, strata)
    value_a = np.asarray(statistic_a(*arrays), dtype=float)
    value_b = np.asarray(statistic_b(*arrays), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return PairedBootstrapResult(
            a=_summarise(value_a, samples_a, level),
            b=_summarise(value_b, samples_b, level),
            difference=_summarise(value_a - value_b, samples_a - samples_b, level),
            ratio=_summarise(value_a / value_b, samples_a / samples_b, level),
        )
