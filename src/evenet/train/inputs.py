"""A training run's data, checked against its configuration before anything is written.

The point-cloud files of a stream carry what the configuration would otherwise
restate (docs/pointcloud.md): the class names, the assignment topology and the
targets. :func:`prepare` reads them (attributes and the small label, split and
mask datasets only) and

* takes ``heads.assignment.topology`` from the files when the config omits it, so
  the topology is stated once, in the stream's ``truth`` block;
* stops with one line naming the file and key when the files disagree among
  themselves or with the config: class names that differ between files or whose
  number differs from ``heads.classification.num_classes``; a process label
  outside the classifier's classes or a conditioned generation head's
  ``num_labels``; a resonance product of the topology that a file has no target
  for (it would read as "unmatched" in every event); a ``neutrino_generation``
  head without invisible particles to learn from; a parameterised classifier
  (``heads.classification.num_parameters``) whose files lack that many hypothesis
  parameters (``INPUTS/Parameters/data``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np

from evenet.errors import ConfigError, InputFileError
from evenet.pointcloud import schema as S
from evenet.pointcloud import topology as T
from evenet.pointcloud.parameters import DATASET as PARAMETERS

GENERATION_HEADS = ("point_cloud_generation", "neutrino_generation", "global_generation")


def _open(path: Path) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise InputFileError(f"{path}: cannot open ({err})") from None


def _agreed(values: dict[Path, object], what: str):
    """The one value every file carries (files without it are skipped), or an error naming two files."""
    stated = {path: value for path, value in values.items() if value is not None}
    if not stated:
        return None
    (first, value), *rest = stated.items()
    for path, other in rest:
        if other != value:
            raise InputFileError(f"{path}: {what} {json.dumps(other)} differ from those of {first} "
                                 f"({json.dumps(value)}); train on files of one stream")
    return value


def _class_names(handle: h5py.File, path: Path) -> list[str] | None:
    raw = handle.attrs.get("class_names")
    if raw is None:
        return None
    try:
        names = json.loads(raw)
    except (TypeError, ValueError):
        raise InputFileError(f"{path}: attribute class_names is not a JSON list") from None
    return list(names) or None


def _check_labels(labels: dict[Path, np.ndarray], limit: int, key: str) -> None:
    for path, values in labels.items():
        bad = values[(values < 0) | (values >= limit)]
        if len(bad):
            raise InputFileError(f"{path}: process label {int(bad[0])} outside 0..{limit - 1} of {key} ({limit})")


def prepare(config: dict, files: Sequence[Path]) -> dict:
    """Check the data against ``config``; return the config with the data's topology filled in."""
    heads = config["model"]["heads"]
    class_names, topologies, labels, sizes = {}, {}, {}, {}
    for path in files:
        with _open(path) as handle:
            class_names[path] = _class_names(handle, path)
            topologies[path] = T.from_attribute(handle.attrs.get(T.ATTRIBUTE), str(path))
            if S.CLASSIFICATION not in handle:
                raise InputFileError(f"{path}: missing dataset {S.CLASSIFICATION}")
            labels[path] = handle[S.CLASSIFICATION][:]
            sizes[path] = len(labels[path])

    names = _agreed(class_names, "class_names")
    if "classification" in heads:
        num_classes = int(heads["classification"]["num_classes"])
        if names is not None and len(names) != num_classes:
            raise ConfigError(f"heads.classification.num_classes is {num_classes} but the stream has "
                              f"{len(names)} classes ({', '.join(names)}; attribute class_names of {files[0]})")
        _check_labels(labels, num_classes, "heads.classification.num_classes")
        _check_parameters(int(heads["classification"].get("num_parameters", 0)), files, sizes)
    for name in GENERATION_HEADS:
        num_labels = (heads.get(name) or {}).get("num_labels", 1)  # its type is checked by the network
        if isinstance(num_labels, int) and num_labels > 1:
            _check_labels(labels, num_labels, f"heads.{name}.num_labels")

    config = copy.deepcopy(config)
    heads = config["model"]["heads"]
    if "assignment" in heads:
        heads["assignment"] = dict(heads["assignment"] or {})
        if "topology" not in heads["assignment"]:
            topology = _agreed(topologies, "assignment topologies")
            if topology is None:
                raise ConfigError(f"heads.assignment.topology: not given, and {files[0]} carries none "
                                  "(give its stream truth.resonances in the pipeline config, or state the topology)")
            heads["assignment"]["topology"] = topology
        if config["data"]["load_targets"]:
            _check_targets(heads["assignment"]["topology"], files, sizes)
    if "neutrino_generation" in heads:
        _check_invisible(files, sizes)
    return config


def _check_targets(topology: dict, files: Sequence[Path], sizes: dict[Path, int]) -> None:
    """Every resonance product of the topology has its target dataset in every non-empty file."""
    for path in files:
        if not sizes[path]:
            continue
        with _open(path) as handle:
            for resonance, product in T.products(topology):
                key = f"{S.TARGETS}/{resonance}/{product}"
                if key not in handle:
                    raise InputFileError(f"{path}: no dataset {key} for product {product!r} of resonance "
                                         f"{resonance!r} in heads.assignment.topology")


def _check_parameters(num_parameters: int, files: Sequence[Path], sizes: dict[Path, int]) -> None:
    """A parameterised classifier needs ``num_parameters`` hypothesis parameters per event in every non-empty file."""
    if not num_parameters:
        return
    for path in files:
        if not sizes[path]:
            continue
        with _open(path) as handle:
            width = handle[PARAMETERS].shape[1] if PARAMETERS in handle else 0
        if width != num_parameters:
            raise InputFileError(f"{path}: {width} hypothesis parameters ({PARAMETERS}) but "
                                 f"heads.classification.num_parameters is {num_parameters} (build with --parameters)")


def _check_invisible(files: Sequence[Path], sizes: dict[Path, int]) -> None:
    """neutrino_generation needs invisible particles: in every non-empty file, and some in training events."""
    found = 0
    for path in files:
        if not sizes[path]:
            continue
        with _open(path) as handle:
            if f"{S.INVISIBLE}/mask" not in handle:
                raise InputFileError(f"{path}: no dataset {S.INVISIBLE}/mask: heads.neutrino_generation has no "
                                     "invisible targets (set truth.max_invisible for the stream)")
            train = handle[f"{S.META}/split"][:] == S.SPLIT_CODES["train"]
            found += int(handle[f"{S.INVISIBLE}/mask"][:][train].any(axis=1).sum())
    if not found:
        raise InputFileError(f"{S.INVISIBLE}/mask: no training event has an invisible particle in "
                             f"{', '.join(map(str, files))}; heads.neutrino_generation would learn nothing")
