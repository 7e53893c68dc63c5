"""The results contract: every analysis writes ``result.json`` through :func:`write_result`.

A result file holds the numbers an analysis measured (each with its uncertainty),
the resolved config that made them, the model checkpoints used (path and sha256),
the code version, and a schema version; :func:`read_result` reads and validates one.
The format is documented in docs/results.md; :data:`RESULT_SCHEMA` is its JSON schema.

NaN (a number that could not be measured, e.g. a SIC with no cut above the background
floor) is written as ``null`` and read back as NaN; optional fields that were not
given (None) are left out of the file.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np

from evenet.atomic import atomic_output
from evenet.errors import InputFileError

SCHEMA_NAME = "evenet.result"
SCHEMA_VERSION = 1

_NUMBER_OR_NULL = {"type": ["number", "null"]}
RESULT_SCHEMA: dict = {
    "type": "object",
    "required": ["schema", "schema_version", "numbers", "config", "checkpoints", "code"],
    "properties": {
        "schema": {"const": SCHEMA_NAME},
        "schema_version": {"type": "integer", "minimum": 1},
        "numbers": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["value"],
                "additionalProperties": False,
                "properties": {
                    "value": _NUMBER_OR_NULL, "error": _NUMBER_OR_NULL,
                    "low": _NUMBER_OR_NULL, "high": _NUMBER_OR_NULL,
                    "unit": {"type": "string"}, "note": {"type": "string"},
                },
            },
        },
        "config": {"type": "object"},
        "checkpoints": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "path", "sha256", "bytes"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"}, "path": {"type": "string"},
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "bytes": {"type": "integer", "minimum": 0},
                },
            },
        },
        "code": {
            "type": "object",
            "required": ["git_commit", "git_dirty", "package_version"],
            "properties": {
                "git_commit": {"type": ["string", "null"]},
                "git_dirty": {"type": ["boolean", "null"]},
                "package_version": {"type": ["string", "null"]},
            },
        },
    },
}
RESERVED_KEYS = frozenset(RESULT_SCHEMA["properties"])


@dataclass(frozen=True)
class Measurement:
    """A measured number: ``value`` with a standard ``error`` and/or an interval ``[low, high]``.

    ``low``/``high`` are interval endpoints (not offsets), e.g. a Clopper-Pearson or
    bootstrap percentile interval, or the -1/+1 sigma band of an expected limit.
    ``unit`` in the pipeline's units (GeV, pb, ...); ``note`` says what the number is
    when its name does not (e.g. "expected 95 % CL, CLs asymptotic").
    """

    value: float
    error: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("value", "error", "low", "high"):
            number = getattr(self, name)
            if number is not None or name == "value":
                out[name] = _json_number(number, name)
        for name in ("unit", "note"):
            if getattr(self, name) is not None:
                out[name] = str(getattr(self, name))
        return out

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> "Measurement":
        def number(name):
            if name not in entry:
                return None
            return math.nan if entry[name] is None else float(entry[name])

        return cls(value=number("value"), error=number("error"), low=number("low"), high=number("high"),
                   unit=entry.get("unit"), note=entry.get("note"))


@dataclass(frozen=True)
class Checkpoint:
    """A model checkpoint a result was made with: a name (e.g. ``full``), its path, sha256 and size."""

    name: str
    path: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class Result:
    """A read and validated ``result.json``; ``extra`` holds the analysis's own top-level keys."""

    numbers: dict[str, Measurement]
    config: dict[str, Any]
    checkpoints: list[Checkpoint]
    code: dict[str, Any]
    schema_version: int
    extra: dict[str, Any] = field(default_factory=dict)


def _json_number(value, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a number, got a boolean")
    number = float(value)
    if math.isinf(number):
        raise ValueError(f"{name}: infinite number")
    return None if math.isnan(number) else number


def to_plain(value, where: str = "value"):
    """``value`` as plain JSON types: mappings, lists, str, numbers, bool, None.

    numpy scalars and arrays become numbers and lists, paths become strings, NaN
    becomes None; anything else raises TypeError naming ``where``.
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if not math.isfinite(value):
            raise TypeError(f"{where}: infinite number")
        return float(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, np.ndarray):
        return to_plain(value.tolist(), where)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: key {key!r} is not a string")
            out[key] = to_plain(item, f"{where}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [to_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise TypeError(f"{where}: cannot store {type(value).__name__} in result.json")


def sha256_of(path: str | os.PathLike, chunk_bytes: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_bytes), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_checkpoints(checkpoints: Mapping[str, str | os.PathLike] | Sequence[str | os.PathLike]
                         ) -> list[Checkpoint]:
    """Name, path, sha256 and size of each checkpoint; a sequence is named by file stem."""
    items = checkpoints.items() if isinstance(checkpoints, Mapping) else \
        ((Path(p).stem, p) for p in checkpoints)
    out = []
    for name, path in items:
        path = Path(path)
        if not path.is_file():
            raise InputFileError(f"{path}: checkpoint {name!r} does not exist or is not a file")
        out.append(Checkpoint(str(name), os.fspath(path), sha256_of(path), path.stat().st_size))
    return out


def code_version() -> dict[str, Any]:
    """Git commit of the evenet source tree and whether it had uncommitted changes; package version."""
    source = Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(source), *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    try:
        version = metadata.version("evenet-pipeline")
    except metadata.PackageNotFoundError:
        version = None
    return {"git_commit": commit, "git_dirty": None if status is None else bool(status), "package_version": version}


def write_result(path: str | os.PathLike, numbers: Mapping[str, Measurement | float],
                 config: Mapping[str, Any],
                 checkpoints: Mapping[str, str | os.PathLike] | Sequence[str | os.PathLike] = (),
                 **extra) -> Path:
    """Write ``result.json`` atomically; returns its path.

    Args:
        numbers: name -> :class:`Measurement` (a bare number becomes one without error).
        config: the resolved config that produced the numbers (JSON-able after
            :func:`to_plain`).
        checkpoints: name -> checkpoint path, or a list of paths; each is hashed.
        extra: further top-level keys of the analysis (tables, curves, the mass point),
            anything :func:`to_plain` accepts; the contract's own keys are refused.
    """
    clash = sorted(RESERVED_KEYS & set(extra))
    if clash:
        raise ValueError(f"{path}: extra keys {clash} are reserved by the result schema")
    entries = {}
    for name, number in numbers.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"{path}: number names must be non-empty strings, got {name!r}")
        measurement = number if isinstance(number, Measurement) else Measurement(number)
        try:
            entries[name] = measurement.to_json()
        except (TypeError, ValueError) as error:
            raise TypeError(f"{path}: numbers.{name}: {error}") from None
    document = {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "numbers": entries,
        "config": to_plain(config, "config"),
        "checkpoints": [vars(c) for c in describe_checkpoints(checkpoints)],
        "code": code_version(),
        **{key: to_plain(value, key) for key, value in extra.items()},
    }
    jsonschema.validate(document, RESULT_SCHEMA)
    target = Path(path)
    with atomic_output(target) as tmp:
        tmp.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")
    return target


def read_result(path: str | os.PathLike) -> Result:
    """Read and validate a ``result.json``; InputFileError naming the file and key when it is not one."""
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise InputFileError(f"{path}: cannot read ({error.strerror or error})") from None
    except json.JSONDecodeError as error:
        raise InputFileError(f"{path}: not JSON ({error.msg} at line {error.lineno})") from None
    if isinstance(document, dict) and isinstance(document.get("schema_version"), int) \
            and document["schema_version"] > SCHEMA_VERSION:
        raise InputFileError(f"{path}: schema_version {document['schema_version']} is newer than this "
                             f"code reads ({SCHEMA_VERSION})")
    try:
        jsonschema.validate(document, RESULT_SCHEMA)
    except jsonschema.ValidationError as error:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputFileError(f"{path}: {where}: {error.message}") from None
    return Result(
        numbers={name: Measurement.from_json(entry) for name, entry in document["numbers"].items()},
        config=document["config"],
        checkpoints=[Checkpoint(**entry) for entry in document["checkpoints"]],
        code=document["code"],
        schema_version=document["schema_version"],
        extra={key: value for key, value in document.items() if key not in RESERVED_KEYS},
    )
