"""Point-cloud HDF5 -> SPANet's input format (SPANet 2.1.1, the H -> aa -> 4b baseline).

SPANet (Shmakov et al., SciPost Phys. 12 (2022) 178; Fenton et al., Commun. Phys. 7
(2024) 139) reads one HDF5 file with

* ``INPUTS/Source/MASK`` (N, 18) bool and one (N, 18) float32 dataset per object
  feature (``INPUTS/Source/pt``, ...): a SEQUENTIAL input;
* ``INPUTS/Conditions/<name>`` (N,) float32 per event global: a GLOBAL input;
* ``TARGETS/<resonance>/<product>`` (N,) int64 object slots, -1 when unmatched;
* ``CLASSIFICATIONS/EVENT/process`` (N,) int64 class labels;

and an event-info YAML naming those inputs with their transform (``log_normalize``,
``normalize``, ``none``), the resonances with their products, and the permutation
symmetries (``PERMUTATIONS``: ``EVENT`` for identical resonances, ``<resonance>``
for its symmetric products). The YAML is written from the stream's assignment
topology, the ``topology`` attribute that ``evenet build`` stores in every file
(docs/pointcloud.md), so the symmetries are stated once.

The events exported are those that ``evenet train`` reads for the same split, training
fraction and subset seed (:func:`evenet.train.dataset.index_blocks`): a SPANet run and an
EveNet run at one (fraction, seed) see the same events. ``WEIGHTS/weight`` and ``META/*``
ride along (SPANet ignores them) so that predictions can be written back event by event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import h5py
import numpy as np

from evenet.atomic import atomic_output
from evenet.errors import InputFileError
from evenet.pointcloud import schema as S
from evenet.pointcloud import topology as T

SOURCE_NAME = "Source"
GLOBAL_NAME = "Conditions"
CLASSIFICATION_NAME = "process"
CARRIED = (S.WEIGHT, *(f"{S.META}/{name}" for name in S.META_FIELDS))

# How SPANet should transform each feature (log_normalize: log(1 + x) then standardise).
_SPANET_TRANSFORM = {("log1p", True): "log_normalize", ("none", True): "normalize", ("none", False): "none"}


def _transform(table: Mapping[str, tuple[str, bool]], features: Sequence[str]) -> dict[str, str]:
    return {name: _SPANET_TRANSFORM[table[name]] for name in features}


def event_info(topology: Mapping) -> dict:
    """The event-info mapping (SPANet's YAML) of a stream's assignment topology."""
    resonances = topology["resonances"]
    permutations: dict[str, list] = {}
    for group in topology.get("identical") or []:
        permutations.setdefault("EVENT", []).append(list(group))
    for name, spec in resonances.items():
        for group in spec.get("symmetric") or []:
            permutations.setdefault(name, []).append(list(group))
    return {
        "INPUTS": {
            "SEQUENTIAL": {SOURCE_NAME: _transform(S.SOURCE_TRANSFORM, S.SOURCE_FEATURES)},
            "GLOBAL": {GLOBAL_NAME: _transform(S.GLOBAL_TRANSFORM, S.GLOBAL_FEATURES)},
        },
        # A flat list of products per resonance; a flat list of names in PERMUTATIONS is the
        # full symmetric group on them (SPANet expands it into transpositions).
        "EVENT": {name: list(spec["products"]) for name, spec in resonances.items()},
        "PERMUTATIONS": permutations,
        "CLASSIFICATIONS": {"EVENT": [CLASSIFICATION_NAME]},
    }


def stream_topology(files: Sequence[Path]) -> dict:
    """The one assignment topology all files carry; InputFileError when absent or differing."""
    found = None
    for path in files:
        with h5py.File(path, "r") as handle:
            topology = T.from_attribute(handle.attrs.get(T.ATTRIBUTE), str(path))
        if topology is None:
            raise InputFileError(f"{path}: no '{T.ATTRIBUTE}' attribute (build the stream with truth resonances)")
        if found is not None and topology != found:
            raise InputFileError(f"{path}: its topology differs from that of {files[0]}")
        found = topology
    return found


def _read_rows(path: Path, rows: np.ndarray, topology: Mapping) -> dict[str, np.ndarray]:
    """The exported datasets of the chosen rows of one file."""
    out: dict[str, np.ndarray] = {}
    try:
        with h5py.File(path, "r") as handle:
            source = handle[f"{S.SOURCE}/data"][:][rows]
            out[f"INPUTS/{SOURCE_NAME}/MASK"] = handle[f"{S.SOURCE}/mask"][:][rows].astype(bool)
            for k, name in enumerate(S.SOURCE_FEATURES):
                out[f"INPUTS/{SOURCE_NAME}/{name}"] = source[:, :, k].astype(np.float32)
            conditions = handle[f"{S.GLOBALS}/data"][:][rows]
            for k, name in enumerate(S.GLOBAL_FEATURES):
                out[f"INPUTS/{GLOBAL_NAME}/{name}"] = conditions[:, k].astype(np.float32)
            for resonance, product in T.products(topology):
                out[f"{S.TARGETS}/{resonance}/{product}"] = handle[f"{S.TARGETS}/{resonance}/{product}"][:][rows]
            out[f"CLASSIFICATIONS/EVENT/{CLASSIFICATION_NAME}"] = handle[S.CLASSIFICATION][:][rows].astype(np.int64)
            for name in CARRIED:
                out[name] = handle[name][:][rows]
    except (OSError, KeyError) as err:
        raise InputFileError(f"{path}: cannot export to SPANet format ({err})") from None
    out[f"{S.META}/file"] = np.zeros(len(rows), np.int32)
    return out


def export(inputs: Sequence[str | Path], output: str | Path, event_info_path: str | Path | None = None,
           split: str = "train", fraction: float = 1.0, subset_seed: int = 0) -> int:
    """Write the chosen events of ``inputs`` in SPANet's format (and its event-info YAML); returns N.

    Events: split ``split``, training-size subset ``(fraction, subset_seed)`` as ``evenet
    train`` draws it, files in the order given, rows in file order. ``META/file`` indexes
    the ``files`` attribute.
    """
    import yaml

    from evenet.train.dataset import expand_inputs, index_blocks

    files = expand_inputs(inputs)
    topology = stream_topology(files)
    blocks = index_blocks(files, split, 1 << 62, fraction, subset_seed)
    parts: list[dict[str, np.ndarray]] = []
    for i, path in enumerate(files):
        rows = np.concatenate([b.rows for b in blocks if b.file == i] or [np.zeros(0, np.int64)])
        part = _read_rows(path, rows, topology)
        part[f"{S.META}/file"][:] = i
        parts.append(part)
    n = sum(len(p[f"{S.META}/file"]) for p in parts)
    with atomic_output(output) as tmp, h5py.File(tmp, "w") as out:
        out.attrs["files"] = [str(f) for f in files]
        out.attrs["split"] = split
        out.attrs["train_fraction"] = fraction
        out.attrs["subset_seed"] = subset_seed
        out.attrs["n_events"] = n
        out.attrs[T.ATTRIBUTE] = json.dumps(topology)
        for name in parts[0]:
            out.create_dataset(name, data=np.concatenate([p[name] for p in parts]),
                               compression="gzip", compression_opts=1)
    if event_info_path is not None:
        with atomic_output(event_info_path) as tmp:
            tmp.write_text(yaml.safe_dump(event_info(topology), sort_keys=False))
    return n
