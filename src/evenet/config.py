"""Loading and checking the pipeline configuration (config/config.yaml).

The JSON schema in ``workflow/schemas/config.schema.yaml`` fixes the shape and
holds the defaults (:func:`validate_schema` fills them in);
:func:`check_config` adds what a schema cannot say (files exist, streams name
known samples, selections have a valid parameter block). Every problem is one
line naming the key, raised as :class:`~evenet.errors.ConfigError`.
"""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

from evenet.errors import ConfigError
from evenet.pointcloud.topology import assignment_topology
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


def _filling_defaults(properties_rule):
    """The ``properties`` rule of a validator, first setting each absent property that has a ``default``."""

    def properties(validator, schemas, instance, schema):
        if validator.is_type(instance, "object"):
            for name, subschema in schemas.items():
                if isinstance(subschema, dict) and "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from properties_rule(validator, schemas, instance, schema)

    return properties


DefaultFillingValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    {"properties": _filling_defaults(jsonschema.Draft202012Validator.VALIDATORS["properties"])},
)


def validate_schema(config: dict, schema_path: str | Path, source: str = "config") -> None:
    """Validate ``config`` against the schema and fill in the schema's defaults, in place.

    The schema is the one place where defaults are written (as Snakemake's
    ``validate(..., set_default=True)`` does); rules and code read the filled config.
    """
    schema = load_yaml(schema_path)
    validator = DefaultFillingValidator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        raise ConfigError(f"{source}: {_key_path(error)}: {error.message}")


def check_config(config: dict, base: str | Path = ".", source: str = "config") -> dict:
    """Semantic checks after the schema (whose defaults :func:`validate_schema` filled in);
    returns the loaded selections block."""
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
        try:  # symmetries name known products and resonances; identical resonances decay alike
            assignment_topology(spec["truth"], key=f"streams.{stream}.truth")
        except ConfigError as err:
            raise ConfigError(f"{source}: {err}") from None
    training = config.get("training")
    if training:
        runs = {"pretrain": {"stream": training["pretrain"]["stream"], "ssl": training["pretrain"]["ssl"],
                             "full": training["pretrain"]["full"]}}
        runs.update({f"finetune.{name}": spec for name, spec in training["finetune"].items()})
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
