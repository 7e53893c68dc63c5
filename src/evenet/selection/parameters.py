"""Reading one selection's block of config/selections.yaml, strictly.

Every key a selection needs must be present (a missing one raises
:class:`~evenet.errors.ConfigError` naming its dotted path), and every key in
the block must be used (an unknown one, e.g. a typo, raises too), so that no
configuration value is silently ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import yaml

from evenet.errors import ConfigError

DEFAULT_SELECTIONS_FILE = Path(__file__).resolve().parents[3] / "config" / "selections.yaml"


def load_selections_config(path: str | Path = DEFAULT_SELECTIONS_FILE) -> dict:
    """The YAML mapping {selection name: parameter block}."""
    try:
        with open(path) as handle:
            config = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: cannot read selections config ({err.__class__.__name__})") from err
    if not isinstance(config, Mapping):
        raise ConfigError(f"{path}: selections config must be a mapping of selection name to block")
    return dict(config)


class Block:
    """A mapping with a dotted path, whose reads are checked and recorded."""

    def __init__(self, mapping, path: str):
        if not isinstance(mapping, Mapping):
            raise ConfigError(f"configuration key '{path}' must be a mapping")
        self._mapping = mapping
        self.path = path
        self._used: set[str] = set()
        self._children: list[Block] = []

    def __contains__(self, key: str) -> bool:
        return key in self._mapping

    def _raw(self, key: str):
        if key not in self._mapping:
            raise ConfigError(f"missing configuration key '{self.path}.{key}'")
        self._used.add(key)
        return self._mapping[key]

    def block(self, key: str) -> Block:
        child = Block(self._raw(key), f"{self.path}.{key}")
        self._children.append(child)
        return child

    def blocks(self) -> dict[str, Block]:
        """Every entry of this mapping as a child block."""
        return {key: self.block(key) for key in self._mapping}

    def number(self, key: str) -> float:
        value = self._raw(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise ConfigError(f"configuration key '{self.path}.{key}' must be a number, got {value!r}")
        return float(value)

    def integer(self, key: str) -> int:
        value = self._raw(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"configuration key '{self.path}.{key}' must be a non-negative integer, got {value!r}")
        return value

    def boolean(self, key: str) -> bool:
        value = self._raw(key)
        if not isinstance(value, bool):
            raise ConfigError(f"configuration key '{self.path}.{key}' must be true or false, got {value!r}")
        return value

    def string(self, key: str, choices: tuple[str, ...]) -> str:
        value = self._raw(key)
        if value not in choices:
            raise ConfigError(f"configuration key '{self.path}.{key}' must be one of {list(choices)}, got {value!r}")
        return value

    def list(self, key: str) -> list:
        value = self._raw(key)
        if not isinstance(value, list):
            raise ConfigError(f"configuration key '{self.path}.{key}' must be a list, got {value!r}")
        return value

    def numbers(self, key: str) -> list[float]:
        values = self.list(key)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise ConfigError(f"configuration key '{self.path}.{key}' must be a list of numbers, got {values!r}")
        return [float(v) for v in values]

    @staticmethod
    def _as_interval(value, where: str) -> tuple[float, float]:
        ok = isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
        )
        if not ok or value[0] >= value[1]:
            raise ConfigError(f"configuration key '{where}' must be [low, high] with low < high, got {value!r}")
        return float(value[0]), float(value[1])

    def interval(self, key: str) -> tuple[float, float]:
        return self._as_interval(self._raw(key), f"{self.path}.{key}")

    def intervals(self, key: str) -> tuple[tuple[float, float], ...]:
        return tuple(self._as_interval(v, f"{self.path}.{key}[{i}]") for i, v in enumerate(self.list(key)))

    def check_all_used(self) -> None:
        """Raise on the first key of this block (or a child) that no reader asked for."""
        for key in self._mapping:
            if key not in self._used:
                raise ConfigError(f"unknown configuration key '{self.path}.{key}'")
        for child in self._children:
            child.check_all_used()
