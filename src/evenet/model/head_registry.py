"""Heads attachable to the EveNet body by name, and the options each accepts.

Two kinds:

* deterministic heads consume the clean encoding and are built as
  ``cls(hidden_dim=D, **options)``; they are called as
  ``head(tokens (B, N, D), mask (B, N) bool, event (B, D)) -> dict`` and have
  ``head.loss(outputs, targets, event_weight=None) -> Tensor``;
* diffusion heads (point-cloud, neutrino, global generation) are wired by
  :class:`evenet.model.network.EveNet` itself because they run their own
  noised passes.

A head's options are checked when a configuration is read, against what the head
accepts (the idea of salt's ``class_path``/``init_args``): a deterministic head
accepts the keyword arguments of its constructor, less those the network supplies
(``hidden_dim``, the preset's ``config`` section), plus the few the network reads
itself (``NETWORK_OPTIONS``); a diffusion head accepts ``DIFFUSION_HEAD_OPTIONS``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable, Mapping

from evenet.errors import ConfigError

DETERMINISTIC_HEADS = {
    "classification": ("evenet.model.heads.classification", "ClassificationHead"),
    "assignment": ("evenet.model.heads.assignment", "AssignmentHead"),
    "segmentation": ("evenet.model.heads.segmentation", "SegmentationHead"),
}
DIFFUSION_HEADS = ("point_cloud_generation", "neutrino_generation", "global_generation")

# Constructor arguments the network fills in (the body width, the preset's section).
NETWORK_ARGUMENTS = {"hidden_dim", "config"}
# Options the network reads itself before building the head.
NETWORK_OPTIONS = {"classification": {"noised"}}
# num_labels: the number of process classes a generation head is conditioned on (docs/model.md).
DIFFUSION_HEAD_OPTIONS = {
    "point_cloud_generation": {"num_labels", "generated_features", "condition_globals"},
    "neutrino_generation": {"num_labels", "num_features"},
    "global_generation": {"num_labels", "targets", "conditions"},
}


def head_class(name: str):
    """The class of a deterministic head, imported on demand."""
    module_name, class_name = DETERMINISTIC_HEADS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise ConfigError(f"head {name!r} is not available ({err})") from None
    return getattr(module, class_name)


def head_options(name: str) -> tuple[set[str], set[str]]:
    """(accepted, required) option names of head ``name``."""
    if name in DIFFUSION_HEAD_OPTIONS:
        return set(DIFFUSION_HEAD_OPTIONS[name]), set()
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    parameters = [
        p for p in inspect.signature(head_class(name).__init__).parameters.values()
        if p.name != "self" and p.name not in NETWORK_ARGUMENTS and p.kind in keyword
    ]
    accepted = {p.name for p in parameters} | NETWORK_OPTIONS.get(name, set())
    required = {p.name for p in parameters if p.default is inspect.Parameter.empty}
    return accepted, required


def check_head_names(heads) -> None:
    for name in heads:
        if name not in DETERMINISTIC_HEADS and name not in DIFFUSION_HEADS:
            known = ", ".join([*DETERMINISTIC_HEADS, *DIFFUSION_HEADS])
            raise ConfigError(f"heads.{name}: unknown head (known: {known})")


def check_heads(heads: Mapping, deferred: Iterable[str] = ()) -> None:
    """Unknown heads, unknown options and missing required options, each a one-line ConfigError.

    ``deferred``: required options filled in later, as ``"head.option"`` (a training run
    takes ``assignment.topology`` from its data when the config does not state it).
    """
    check_head_names(heads)
    deferred = set(deferred)
    for name, options in heads.items():
        if options is not None and not isinstance(options, Mapping):
            raise ConfigError(f"heads.{name}: expected a mapping of options, got {options!r}")
        given = set(options or {})
        accepted, required = head_options(name)
        unknown = given - accepted
        if unknown:
            raise ConfigError(f"heads.{name}: unknown option(s) {', '.join(sorted(unknown))} "
                              f"(accepted: {', '.join(sorted(accepted))})")
        missing = sorted(r for r in required - given if f"{name}.{r}" not in deferred)
        if missing:
            raise ConfigError(f"heads.{name}.{missing[0]} is required")
