"""The X -> Y H mass grid: a table of (M_X, M_Y) points, one signal sample each.

The table (``xyh.masspoints``, tab-separated, ``#`` comments) has one row per
point with columns ``MX``, ``MY`` (GeV) and either ``events``, ``parts``,
``seed`` (a demo signal sample generated at that point) or ``files`` (real
files, space-separated). Each row becomes the sample ``xyh_mx<MX>_my<MY>`` of
the signal class of the analysis stream, so the generic stages (generate,
ingest, select, build) treat it like any other sample. The workflow's
``Paramspace`` over (MX, MY) names a point ``MX-<MX>_MY-<MY>``.

Per-point overrides (``xyh.points``/``MX-<MX>_MY-<MY>.yaml``, optional) change
that point's jobs only; keys: ``set`` (training-config overrides of its
individual fine-tunes) and ``xgboost`` (booster parameters of its individual BDT).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from evenet.errors import ConfigError

GENERATED = ("events", "parts", "seed")
OVERRIDE_KEYS = {"set", "xgboost"}


def read_masspoints(path: str | Path) -> pd.DataFrame:
    """The mass-point table, checked: integer masses, M_X > M_Y + 125.5, one way to get each sample."""
    try:
        table = pd.read_csv(path, sep="\t", comment="#", dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ConfigError(f"{path}: cannot read the mass-point table ({str(err).splitlines()[0]})") from None
    for column in ("MX", "MY"):
        if column not in table.columns:
            raise ConfigError(f"{path}: no column {column!r} (columns: {', '.join(table.columns)})")
    if table.empty:
        raise ConfigError(f"{path}: no mass points")
    generated = set(GENERATED) <= set(table.columns)
    if generated == ("files" in table.columns):
        raise ConfigError(f"{path}: give either the columns {', '.join(GENERATED)} (generated) or 'files'")
    numeric = ["MX", "MY", *(GENERATED if generated else ())]
    for row, values in table.iterrows():
        line = row + 2  # header is line 1 (comment lines aside)
        for column in numeric:
            if not values[column].strip().isdigit():
                raise ConfigError(f"{path}: row {line}: {column} must be a non-negative integer, got {values[column]!r}")
        if int(values["MX"]) <= int(values["MY"]) + 125.5:
            raise ConfigError(f"{path}: row {line}: M_X = {values['MX']} must exceed M_Y + m_H = {int(values['MY']) + 125.5}")
        if not generated and not values["files"].split():
            raise ConfigError(f"{path}: row {line}: no files")
    for column in numeric:
        table[column] = table[column].astype(np.int64)
    duplicated = table.duplicated(["MX", "MY"])
    if duplicated.any():
        row = table[duplicated].iloc[0]
        raise ConfigError(f"{path}: point MX={row.MX} MY={row.MY} is listed twice")
    return table


def point_name(mx: int, my: int) -> str:
    return f"MX-{int(mx)}_MY-{int(my)}"


def sample_name(mx: int, my: int) -> str:
    return f"xyh_mx{int(mx)}_my{int(my)}"


def signal_sample(row, spec: dict) -> dict:
    """The sample block of one row: generated with the grid's common settings, or its files."""
    block = {"format": spec["format"], "xsec_pb": float(spec["xsec_pb"])}
    if "files" in row and row["files"]:
        block["files"] = row["files"].split()
        return block
    params = {"m_x": float(row["MX"]), "m_y": float(row["MY"]), **spec.get("params", {})}
    block["generate"] = {"process": "xyh", "events": int(row["events"]), "parts": int(row["parts"]),
                         "seed": int(row["seed"]), "params": params}
    if "level" in spec:  # else the sample schema's default
        block["generate"]["level"] = spec["level"]
    return block


def add_grid_samples(config: dict) -> pd.DataFrame | None:
    """Add every point's signal sample to ``config`` (samples and the stream's signal class),
    before the config is validated; returns the table (None without an ``xyh`` block)."""
    spec = config.get("xyh")
    if not spec:
        return None
    for key in ("masspoints", "stream", "signal_class", "signal"):
        if key not in spec:
            raise ConfigError(f"xyh.{key} is required")
    table = read_masspoints(spec["masspoints"])
    stream = config.get("streams", {}).get(spec["stream"])
    if stream is None:
        raise ConfigError(f"xyh.stream: no stream {spec['stream']!r}")
    members = stream.setdefault("classes", {}).setdefault(spec["signal_class"], [])
    for _, row in table.iterrows():
        name = sample_name(row.MX, row.MY)
        if name in config.setdefault("samples", {}):
            raise ConfigError(f"samples.{name}: defined by the mass-point table {spec['masspoints']}; remove it")
        config["samples"][name] = signal_sample(row, spec["signal"])
        if name not in members:
            members.append(name)
    return table


def point_overrides(points_dir: str | Path, point: str) -> dict:
    """The optional override file of a point (empty mapping when there is none)."""
    path = Path(points_dir) / f"{point}.yaml"
    if not path.is_file():
        return {}
    try:
        content = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(content, dict) or set(content) - OVERRIDE_KEYS:
        raise ConfigError(f"{path}: expected a mapping with keys among {sorted(OVERRIDE_KEYS)}")
    for key, value in content.items():
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {key} must be a mapping")
    return copy.deepcopy(content)


def grid_parameters(table: pd.DataFrame) -> list[list[float]]:
    """The (M_X, M_Y) hypotheses of the grid, the rows background events draw from."""
    return [[float(mx), float(my)] for mx, my in zip(table.MX, table.MY)]
