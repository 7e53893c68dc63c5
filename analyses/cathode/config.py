"""The cathode analysis YAML (config/cathode/demo.yaml): read and checked, one-line errors."""

from __future__ import annotations

from pathlib import Path

import yaml

from evenet.errors import ConfigError
from evenet.selection.dimuon import CHANNEL_OS, CHANNEL_SS

CHANNELS = {"os": CHANNEL_OS, "ss": CHANNEL_SS}
SECTIONS = {
    "streams": {"data", "nosignal"},
    "mass": {"range", "signal_region", "sr_edges", "degree"},
    "generator": {"config", "folds", "val_fraction", "set", "steps", "events_per_model", "diagnostic_events_per_model",
                  "seed", "rotate_phi"},
    "classifier": {"features", "folds", "ensemble", "generated_events", "xgboost", "early_stopping_rounds", "fprs",
                   "mu_min"},
    "pseudo_experiments": {"bootstraps", "resamplings", "seed"},
    "variants": None,
    "all": {"variants", "calibrated", "pairs", "diagnostics"},
    "study": {"variants", "calibrated", "pairs", "diagnostics", "bootstraps", "resamplings"},
}
POSITIVE_INTS = [("mass", "sr_edges"), ("mass", "degree"), ("generator", "folds"), ("generator", "steps"),
                 ("generator", "events_per_model"),
                 ("generator", "diagnostic_events_per_model"), ("classifier", "folds"), ("classifier", "ensemble"),
                 ("classifier", "generated_events"), ("classifier", "early_stopping_rounds"),
                 ("pseudo_experiments", "bootstraps"), ("pseudo_experiments", "resamplings"),
                 ("study", "bootstraps"), ("study", "resamplings")]


def load_config(path) -> dict:
    try:
        cfg = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: cannot read the cathode config ({err})") from None
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: the cathode config must be a mapping")
    missing = sorted(set(SECTIONS) - set(cfg))
    unknown = sorted(set(cfg) - set(SECTIONS))
    if missing or unknown:
        raise ConfigError(f"{path}: missing section(s) {missing}, unknown section(s) {unknown}")
    for section, keys in SECTIONS.items():
        if not isinstance(cfg[section], dict):
            raise ConfigError(f"{path}: '{section}' must be a mapping")
        if keys is not None and set(cfg[section]) != keys:
            raise ConfigError(f"{path}: '{section}' needs exactly the keys {sorted(keys)}, has {sorted(cfg[section])}")
    for section, key in POSITIVE_INTS:
        value = cfg[section][key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{path}: '{section}.{key}' must be a positive integer, got {value!r}")
    if not isinstance(cfg["generator"]["rotate_phi"], bool):
        raise ConfigError(f"{path}: 'generator.rotate_phi' must be true or false")
    nosignal = cfg["streams"]["nosignal"]
    nosignal = [nosignal] if isinstance(nosignal, str) else nosignal
    if not (isinstance(nosignal, list) and nosignal and all(isinstance(n, str) for n in nosignal)):
        raise ConfigError(f"{path}: 'streams.nosignal' must be a stream name or a non-empty list of them")
    cfg["streams"]["nosignal"] = nosignal
    lo, hi = cfg["mass"]["range"]
    slo, shi = cfg["mass"]["signal_region"]
    if not lo < slo < shi < hi:
        raise ConfigError(f"{path}: 'mass.signal_region' must lie inside 'mass.range'")
    if cfg["classifier"]["folds"] < 2 or cfg["generator"]["folds"] < 1:
        raise ConfigError(f"{path}: 'classifier.folds' must be >= 2")
    if not 0 < cfg["generator"]["val_fraction"] < 1 or not 0 < cfg["classifier"]["mu_min"] < 1:
        raise ConfigError(f"{path}: 'generator.val_fraction' and 'classifier.mu_min' must lie in (0, 1)")
    for block in ("all", "study"):
        for variant in cfg[block]["variants"]:
            if variant not in cfg["variants"]:
                raise ConfigError(f"{path}: '{block}.variants' names {variant!r}, not in 'variants'")
        for pair in cfg[block]["pairs"]:
            if not (isinstance(pair, list) and len(pair) == 2 and all(c in CHANNELS for c in pair)):
                raise ConfigError(f"{path}: '{block}.pairs' entries are [train, test] of {sorted(CHANNELS)}, got {pair!r}")
        if not (isinstance(cfg[block]["diagnostics"], list) and set(cfg[block]["diagnostics"]) <= set(CHANNELS)):
            raise ConfigError(f"{path}: '{block}.diagnostics' is a list of channels of {sorted(CHANNELS)}")
        if not set(cfg[block]["calibrated"]) <= {True, False}:
            raise ConfigError(f"{path}: '{block}.calibrated' is a list of true/false")
    return cfg
