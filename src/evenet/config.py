"""Loading and checking the pipeline configuration (config/config.yaml).

The JSON schema in ``workflow/schemas/config.schema.yaml`` fixes the shape;
:func:`check_config` adds what a schema cannot say (files exist, streams name
known samples, selections have a valid parameter block). Every problem is one
line naming the key, raised as :class:`~evenet.errors.ConfigError`.
"""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

from evenet.errors import ConfigError
from evenet.selection.preselections import parse_parameters


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "<top level>"


def load_yaml(path: str | Path) -> dict:
    try:
        with open(path) as handle:
            data = yaml.safe_load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def validate_schema(config: dict, schema_path: str | Path, source: str = "config") -> None:
    schema = load_yaml(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        raise ConfigError(f"{source}: {_key_path(error)}: {error.message}")


def check_config(config: dict, base: str | Path = ".", source: str = "config") -> dict:
    """Semantic checks after the schema; returns the loaded selections block."""
    base = Path(base)
    for name, sample in config["samples"].items():
        for i, path in enumerate(sample.get("files", [])):
            if not (base / path).is_file():
                raise ConfigError(f"{source}: samples.{name}.files[{i}]: no such file '{path}'")
    selections = load_yaml(base / config["selections"])
    for stream, spec in config["streams"].items():
        if spec["selection"] not in selections:
            raise ConfigError(f"{source}: streams.{stream}.selection: no block '{spec['selection']}' in {config['selections']}")
        parse_parameters(spec["selection"], selections[spec["selection"]])
        for cls, members in spec["classes"].items():
            for sample in members:
                if sample not in config["samples"]:
                    raise ConfigError(f"{source}: streams.{stream}.classes.{cls}: unknown sample '{sample}'")
    training = config.get("training")
    if training:
        runs = {"pretrain": {"stream": training["pretrain"]["stream"], "ssl": training["pretrain"]["ssl"],
                             "full": training["pretrain"]["full"]}}
        runs.update({f"finetune.{name}": spec for name, spec in training.get("finetune", {}).items()})
        for where, spec in runs.items():
            if spec["stream"] not in config["streams"]:
                raise ConfigError(f"{source}: training.{where}.stream: unknown stream '{spec['stream']}'")
            for key in ("ssl", "full", "config"):
                if key in spec and not (base / spec[key]).is_file():
                    raise ConfigError(f"{source}: training.{where}.{key}: no such file '{spec[key]}'")
    fractions = config["split"]["fractions"]
    if abs(sum(fractions.values()) - 1.0) > 1e-6:
        raise ConfigError(f"{source}: split.fractions: must sum to 1 (got {sum(fractions.values())})")
    return selections


def stream_members(spec: dict) -> list[tuple[str, int]]:
    """(sample, label) of every sample of a stream; label = position of its class."""
    return [(sample, label) for label, members in enumerate(spec["classes"].values()) for sample in members]
