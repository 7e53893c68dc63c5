"""Binning of a classifier score and weighted histogram templates for a binned fit.

Config block (e.g. ``sensitivity.binning`` of an analysis YAML)::

    binning:
      scheme: equal_signal_efficiency   # or: uniform
      bins: 10
      range: [0.0, 1.0]                 # uniform only
      min_background_per_bin: 1.0       # weighted background events; bins merge until met

or explicit edges::

    binning: {edges: [0.0, 0.5, 0.8, 0.9, 1.0], min_background_per_bin: 1.0}

``equal_signal_efficiency`` puts the inner edges at the weighted quantiles ``k/bins``
of the signal score (each bin holds the same signal yield; negative signal weights
count as zero for this choice only), the outer edges at the
lowest and highest score of either sample. Then, from the highest-score bin down,
adjacent bins are merged until each holds a weighted background yield of at least
``min_background_per_bin`` (> 0): a binned likelihood needs a positive background
expectation in every bin, and a signal-rich bin with no background would claim an
infinite significance from one MC event. Scores outside the edges are counted in
the first or last bin (under- and overflow), so no event is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from evenet.errors import ConfigError

BINNING_SCHEMES = ("equal_signal_efficiency", "uniform")


@dataclass(frozen=True)
class Templates:
    """Per-bin weighted yields (events) and their sums of squared weights, for signal and background."""

    edges: np.ndarray
    signal: np.ndarray
    signal_sumw2: np.ndarray
    background: np.ndarray
    background_sumw2: np.ndarray

    @property
    def n_bins(self) -> int:
        return len(self.edges) - 1

    def as_dict(self) -> dict[str, list[float]]:
        """Plain lists, e.g. for ``result.json``."""
        return {name: np.asarray(getattr(self, name), dtype=float).tolist()
                for name in ("edges", "signal", "signal_sumw2", "background", "background_sumw2")}


@dataclass(frozen=True)
class ScoreBinning:
    """How to bin the score; build it from config with :meth:`from_config`."""

    scheme: str = "equal_signal_efficiency"
    bins: int = 10
    score_range: tuple[float, float] = (0.0, 1.0)
    edges: tuple[float, ...] | None = None
    min_background_per_bin: float = 1.0

    @classmethod
    def from_config(cls, config: Mapping | None, key: str = "binning") -> "ScoreBinning":
        """Validate the config block (module docstring); unknown keys and bad values raise ConfigError."""
        config = dict(config or {})
        known = {"scheme", "bins", "range", "edges", "min_background_per_bin"}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ConfigError(f"{key}: unknown key(s) {unknown} (known: {sorted(known)})")
        minimum = config.get("min_background_per_bin", cls.min_background_per_bin)
        if not isinstance(minimum, (int, float)) or isinstance(minimum, bool) or not minimum > 0:
            raise ConfigError(f"{key}.min_background_per_bin: expected a number > 0, got {minimum!r}")
        if "edges" in config:
            if "scheme" in config or "bins" in config or "range" in config:
                raise ConfigError(f"{key}: give either 'edges' or 'scheme'/'bins'/'range', not both")
            edges = config["edges"]
            try:
                edges = tuple(float(e) for e in edges)
            except (TypeError, ValueError):
                raise ConfigError(f"{key}.edges: expected a list of numbers") from None
            if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:])):
                raise ConfigError(f"{key}.edges: expected at least two strictly increasing numbers")
            return cls(scheme="edges", bins=len(edges) - 1, edges=edges, min_background_per_bin=float(minimum))
        scheme = config.get("scheme", cls.scheme)
        if scheme not in BINNING_SCHEMES:
            raise ConfigError(f"{key}.scheme: expected one of {list(BINNING_SCHEMES)}, got {scheme!r}")
        bins = config.get("bins", cls.bins)
        if not isinstance(bins, int) or isinstance(bins, bool) or bins < 1:
            raise ConfigError(f"{key}.bins: expected an integer >= 1, got {bins!r}")
        value_range = config.get("range", cls.score_range)
        try:
            low, high = (float(x) for x in value_range)
        except (TypeError, ValueError):
            raise ConfigError(f"{key}.range: expected [low, high]") from None
        if not high > low:
            raise ConfigError(f"{key}.range: expected low < high, got {list(value_range)}")
        return cls(scheme=scheme, bins=bins, score_range=(low, high), min_background_per_bin=float(minimum))

    def initial_edges(self, signal_scores, background_scores, signal_weights=None) -> np.ndarray:
        """Edges before merging for the background floor."""
        if self.edges is not None:
            return np.asarray(self.edges, dtype=float)
        if self.scheme == "uniform":
            return np.linspace(*self.score_range, self.bins + 1)
        scores = np.asarray(signal_scores, dtype=float)
        everything = np.concatenate([scores, np.asarray(background_scores, dtype=float)])
        if len(scores) == 0:
            raise ValueError("equal_signal_efficiency binning needs signal events")
        weights = np.clip(_weights(scores, signal_weights, "signal"), 0.0, None)  # negative weights: no bin size
        inner = weighted_quantiles(scores, weights, np.arange(1, self.bins) / self.bins)
        return np.unique(np.concatenate([[everything.min()], inner, [everything.max()]]))

    def templates(self, signal_scores, background_scores, signal_weights, background_weights) -> Templates:
        """Edges for these events (scheme, then merged for the background floor) and the filled templates."""
        signal_weights = _weights(signal_scores, signal_weights, "signal")
        background_weights = _weights(background_scores, background_weights, "background")
        edges = self.initial_edges(signal_scores, background_scores, signal_weights)
        if len(edges) < 2:  # every event has the same score
            edges = np.array([edges[0], edges[0] + 1.0])
        background, _ = histogram(background_scores, background_weights, edges)
        edges = merge_for_background(edges, background, self.min_background_per_bin)
        return fill_templates(edges, signal_scores, background_scores, signal_weights, background_weights)


def _weights(scores, weights, name: str) -> np.ndarray:
    scores = np.asarray(scores)
    weights = np.ones(len(scores)) if weights is None else np.asarray(weights, dtype=float)
    if weights.shape != scores.shape:
        raise ValueError(f"{name}: {len(scores)} scores but {len(weights)} weights")
    return weights


def weighted_quantiles(values, weights, quantiles) -> np.ndarray:
    """Cut values that leave a fraction ``q`` of the total weight below them, for each ``q``.

    Each cut lies midway between the event at which the cumulative weight (in score
    order) first reaches ``q x total`` and the next event, so a bin ``[cut_i, cut_i+1)``
    holds the intended weight exactly up to the granularity of single events.
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    cumulative = np.cumsum(weights[order])
    if cumulative[-1] <= 0:
        raise ValueError("weighted quantiles need a positive total weight")
    index = np.clip(np.searchsorted(cumulative, np.asarray(quantiles) * cumulative[-1], side="left"),
                    0, len(values) - 1)
    return (ordered[index] + ordered[np.minimum(index + 1, len(values) - 1)]) / 2


def histogram(scores, weights, edges) -> tuple[np.ndarray, np.ndarray]:
    """Sum of weights and of squared weights per bin; scores beyond the edges go to the end bins."""
    clipped = np.clip(np.asarray(scores, dtype=float), edges[0], edges[-1])
    weights = np.asarray(weights, dtype=float)
    sumw, _ = np.histogram(clipped, bins=edges, weights=weights)
    sumw2, _ = np.histogram(clipped, bins=edges, weights=weights**2)
    return sumw, sumw2


def merge_for_background(edges, background, minimum: float) -> np.ndarray:
    """Merge adjacent bins from the top down until each holds >= ``minimum`` background.

    Leftover low-score bins short of the minimum join the lowest complete group; if the
    whole background is short, one bin remains.
    """
    edges = np.asarray(edges, dtype=float)
    n_bins = len(edges) - 1
    boundaries = [n_bins]
    accumulated = 0.0
    for i in range(n_bins - 1, -1, -1):
        accumulated += background[i]
        if accumulated >= minimum:
            boundaries.append(i)
            accumulated = 0.0
    if boundaries[-1] != 0:
        if len(boundaries) > 1:
            boundaries[-1] = 0
        else:
            boundaries.append(0)
    return edges[sorted(boundaries)]


def fill_templates(edges, signal_scores, background_scores, signal_weights=None,
                   background_weights=None) -> Templates:
    """Signal and background templates on fixed ``edges`` (e.g. edges chosen on another split)."""
    edges = np.asarray(edges, dtype=float)
    signal, signal_sumw2 = histogram(signal_scores, _weights(signal_scores, signal_weights, "signal"), edges)
    background, background_sumw2 = histogram(
        background_scores, _weights(background_scores, background_weights, "background"), edges)
    return Templates(edges, signal, signal_sumw2, background, background_sumw2)
