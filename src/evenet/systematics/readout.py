"""Read-outs of pseudo-experiments: per-experiment metrics and their shift from the nominal.

Metrics of one model on one (varied or nominal) sample set, from ``evenet predict``'s
output and the point clouds it ran on (same events, same order):

- ``max_sic``: maximum SIC of the signal class's probability with a weighted
  background-yield floor (:func:`evenet.stats.sic.sic_scan`); error: its propagated
  statistical error at the chosen cut.
- ``pairing_efficiency``: event purity of the events with every resonance reconstructable
  (:func:`evenet.stats.pairing.pairing_purity`), signal events only where the stream has
  the signal class; error: binomial.

The shift of experiment i is ``(x_i - x_nominal) / sigma_stat`` (``normalise``: sigma_stat
the nominal's statistical error, as in the paper's Fig. 6) or ``x_i - x_nominal``
(absolute, as for the precision of D in Fig. 7). Each model's shifts are summarised by
their median and the central 68 % and 95 % intervals (percentiles 16/84 and 2.5/97.5),
with the widths high - low.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import h5py
import numpy as np

from evenet.errors import ConfigError, InputFileError
from evenet.pointcloud import schema as S
from evenet.pointcloud.topology import ATTRIBUTE as TOPOLOGY
from evenet.pointcloud.topology import from_attribute
from evenet.stats.pairing import pairing_purity
from evenet.stats.sic import sic_scan

INTERVALS = {"68": (15.865, 84.135), "95": (2.5, 97.5)}


def _class_names(pointclouds: Sequence[Path]) -> list[str]:
    with h5py.File(pointclouds[0], "r") as handle:
        return json.loads(handle.attrs["class_names"])


def _signal_index(pointclouds: Sequence[Path], options: Mapping) -> int | None:
    names = _class_names(pointclouds)
    signal = options.get("signal_class", "signal")
    return names.index(signal) if signal in names else None


def max_sic(predictions: h5py.File, pointclouds: Sequence[Path], options: Mapping) -> tuple[float, float]:
    signal = _signal_index(pointclouds, options)
    if signal is None:
        raise ConfigError(f"max_sic: no class {options.get('signal_class', 'signal')!r} in {pointclouds[0]}")
    score = predictions["classification/probabilities"][:, signal]
    label = predictions[S.CLASSIFICATION][:] == signal
    weight = predictions[S.WEIGHT][:].astype(np.float64)
    result = sic_scan(score[label], score[~label], weight[label], weight[~label],
                      min_background=float(options.get("min_background", 10.0)))
    return float(result.max_sic), float(result.max_sic_error)


def _targets(pointclouds: Sequence[Path], topology: Mapping) -> dict[str, np.ndarray]:
    out: dict[str, list[np.ndarray]] = {}
    for path in pointclouds:
        with h5py.File(path, "r") as handle:
            for res, spec in topology["resonances"].items():
                columns = [handle[f"{S.TARGETS}/{res}/{p}"][:] for p in spec["products"]]
                out.setdefault(res, []).append(np.stack(columns, axis=1) if columns[0].size else
                                               np.zeros((0, len(columns)), np.int64))
    return {res: np.concatenate(parts) for res, parts in out.items()}


def pairing_efficiency(predictions: h5py.File, pointclouds: Sequence[Path], options: Mapping) -> tuple[float, float]:
    with h5py.File(pointclouds[0], "r") as handle:
        topology = from_attribute(handle.attrs.get(TOPOLOGY), str(pointclouds[0]))
    if topology is None:
        raise ConfigError(f"pairing_efficiency: {pointclouds[0]} has no assignment topology")
    predicted = {res: predictions[f"assignment/{res}"][:] for res in topology["resonances"]}
    signal = _signal_index(pointclouds, options)
    select = None if signal is None else predictions[S.CLASSIFICATION][:] == signal
    row = pairing_purity(predicted, _targets(pointclouds, topology), topology, select=select).fully_reconstructable
    return float(row.event_purity.value), float(row.event_purity.error)


METRICS: dict[str, Callable[[h5py.File, Sequence[Path], Mapping], tuple[float, float]]] = {
    "max_sic": max_sic,
    "pairing_efficiency": pairing_efficiency,
}


def evaluate_metrics(names: Sequence[str], predictions: Path, pointclouds: Sequence[Path],
                     options: Mapping) -> dict[str, dict[str, float]]:
    """{metric: {value, error}} of one prediction file on the point clouds it was made from."""
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise ConfigError(f"readout.metrics: unknown metric {unknown[0]!r} (known: {sorted(METRICS)})")
    try:
        handle = h5py.File(predictions, "r")
    except OSError as err:
        raise InputFileError(f"{predictions}: not a readable predictions file ({err})") from None
    with handle:
        out = {}
        for name in names:
            value, error = METRICS[name](handle, pointclouds, options)
            out[name] = {"value": value, "error": error}
    return out


def shifts(values: Sequence[float], nominal: float, sigma: float | None) -> np.ndarray:
    """(x - nominal) / sigma, or x - nominal when ``sigma`` is None."""
    delta = np.asarray(values, dtype=np.float64) - nominal
    return delta if sigma is None else delta / sigma


def interval_summary(values: Sequence[float]) -> dict[str, float]:
    """Median and central 68 % / 95 % intervals (and their widths) of a set of shifts (NaNs left out)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if not len(values):
        return {"median": float("nan"), "n": 0, **{f"{k}_{level}": float("nan") for level in INTERVALS
                                                   for k in ("low", "high", "width")}}
    out: dict[str, float] = {"median": float(np.median(values)), "n": int(len(values))}
    for level, (lo, hi) in INTERVALS.items():
        low, high = np.percentile(values, [lo, hi])
        out[f"low_{level}"], out[f"high_{level}"], out[f"width_{level}"] = float(low), float(high), float(high - low)
    return out
