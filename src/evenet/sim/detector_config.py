"""Parameters of the parametric detector: built-in defaults (identical to
config/detector.yaml) overridden by a user YAML; unknown keys are errors."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from evenet.errors import ConfigError, InputFileError

_RES = {"noise": 0.0, "stochastic": 0.0, "constant": 0.0, "linear": 0.0}
DEFAULTS: dict = {
    "jet": {"pt_min": 20.0, "eta_max": 4.7, "resolution": {**_RES, "noise": 5.0, "stochastic": 1.0, "constant": 0.05}, "angular_resolution": 0.02},
    "electron": {"pt_min": 10.0, "eta_max": 2.5, "efficiency": 0.90, "resolution": {**_RES, "stochastic": 0.10, "constant": 0.01}, "angular_resolution": 0.001},
    "muon": {"pt_min": 5.0, "eta_max": 2.4, "efficiency": 0.95, "resolution": {**_RES, "constant": 0.01, "linear": 0.0001}, "angular_resolution": 0.001},
    "tau": {"pt_min": 20.0, "eta_max": 2.3, "efficiency": 0.60, "resolution": {**_RES, "stochastic": 0.5, "constant": 0.05}, "angular_resolution": 0.01},
    "photon": {"pt_min": 15.0, "eta_max": 2.5, "efficiency": 0.85, "resolution": {**_RES, "stochastic": 0.03, "constant": 0.01}, "angular_resolution": 0.001},
    "btag": {"working_point": 0.2783, "eta_max": 2.5, "efficiency": {"b": 0.70, "c": 0.10, "light": 0.01}},
    "met": {"constant": 5.0, "sqrt_sumet": 0.5},
    "muon_features": {
        "prompt": {"iso_mean": 0.03, "dxy_sigma": 0.002, "dz_sigma": 0.005, "tight_efficiency": 0.97},
        "nonprompt": {"iso_mean": 0.40, "dxy_sigma": 0.03, "dz_sigma": 0.06, "tight_efficiency": 0.85},
    },
}


def _merge(base: dict, override: dict, where: str, source: str) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        path = f"{where}.{key}" if where else key
        if key not in base:
            raise ConfigError(f"{source}: unknown detector key {path!r}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: detector key {path!r} must be a mapping")
            merged[key] = _merge(base[key], value, path, source)
        else:
            try:
                merged[key] = float(value)
            except (TypeError, ValueError):
                raise ConfigError(f"{source}: detector key {path!r} must be a number, got {value!r}") from None
    return merged


def _validate(config: dict, source: str) -> None:
    for name in ("electron", "muon", "tau", "photon"):
        if not 0.0 <= config[name]["efficiency"] <= 1.0:
            raise ConfigError(f"{source}: detector key '{name}.efficiency' must lie in [0, 1]")
    for flavour, eff in config["btag"]["efficiency"].items():
        if not 0.0 <= eff <= 1.0:
            raise ConfigError(f"{source}: detector key 'btag.efficiency.{flavour}' must lie in [0, 1]")
    if not 0.0 < config["btag"]["working_point"] < 1.0:
        raise ConfigError(f"{source}: detector key 'btag.working_point' must lie in (0, 1)")


def load_detector_config(path: str | Path | None = None) -> dict:
    """The defaults, overridden by the YAML at ``path`` when given."""
    if path is None:
        return copy.deepcopy(DEFAULTS)
    try:
        loaded = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise InputFileError(f"{path}: cannot read detector YAML ({err.__class__.__name__}: {err})") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: detector YAML must be a mapping")
    config = _merge(DEFAULTS, loaded, "", str(path))
    _validate(config, str(path))
    return config
