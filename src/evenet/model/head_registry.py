"""Heads attachable to the EveNet body by name.

Two kinds:

* deterministic heads consume the clean encoding and are built as
  ``cls(hidden_dim=D, **options)``; they are called as
  ``head(tokens (B, N, D), mask (B, N) bool, event (B, D)) -> dict`` and have
  ``head.loss(outputs, targets, event_weight=None) -> Tensor``;
* diffusion heads (point-cloud, neutrino, global generation) are wired by
  :class:`evenet.model.evenet.EveNet` itself because they run their own
  noised passes.
"""

from __future__ import annotations

import importlib

from evenet.errors import ConfigError

DETERMINISTIC_HEADS = {
    "classification": ("evenet.model.heads.classification", "ClassificationHead"),
    "assignment": ("evenet.model.heads.assignment", "AssignmentHead"),
    "segmentation": ("evenet.model.heads.segmentation", "SegmentationHead"),
}
DIFFUSION_HEADS = ("point_cloud_generation", "neutrino_generation", "global_generation")


def head_class(name: str):
    """The class of a deterministic head, imported on demand."""
    module_name, class_name = DETERMINISTIC_HEADS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise ConfigError(f"head {name!r} is not available ({err})") from None
    return getattr(module, class_name)


def check_head_names(heads) -> None:
    for name in heads:
        if name not in DETERMINISTIC_HEADS and name not in DIFFUSION_HEADS:
            known = ", ".join([*DETERMINISTIC_HEADS, *DIFFUSION_HEADS])
            raise ConfigError(f"heads.{name}: unknown head (known: {known})")
