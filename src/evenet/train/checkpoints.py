"""Reading checkpoints safely (``torch.load(weights_only=True)``), writing them atomically, and
loading weights into a model.

A training checkpoint (Lightning's ``.ckpt``) keeps the network under
``state_dict`` with the prefix ``model.``; with EMA on, that state is the
averaged weights. Its ``hyper_parameters.config`` is the resolved training
configuration, so a checkpoint alone rebuilds its network.
"""

from __future__ import annotations

from pathlib import Path

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO
from torch import nn

from evenet.atomic import atomic_output
from evenet.errors import InputFileError, UserError

PREFIX = "model."
# Buffers that follow from the head configuration, not from training.
CONFIG_BUFFERS = ("generated_features", "generation_globals")
OPTIONAL_PART = ".body_film."  # zero-initialised parameters older checkpoints lack
NORMALIZERS = ("source_norm.", "global_norm.", "multiplicity_norm.", "invisible_norm.")


class CheckpointMismatchError(UserError):
    """A checkpoint whose tensors do not fit the network being built."""


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes each checkpoint to a temporary file beside its target and renames it into place,
    so a run killed while saving leaves the previous checkpoint whole (Lightning's own writer
    stages the file in $TMPDIR, often another file system, where its move is a copy)."""

    def save_checkpoint(self, checkpoint: dict, path, storage_options=None) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        with atomic_output(path) as tmp:
            torch.save(checkpoint, tmp)


def read_checkpoint(path: str | Path) -> dict:
    """The checkpoint dict, read with ``weights_only=True`` (no code runs on load)."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such checkpoint") from None
    except Exception as err:  # noqa: BLE001 - any unpickling failure is a bad file for the user
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputFileError(f"{path}: not a readable weights-only checkpoint ({first})") from None
    if not isinstance(checkpoint, dict):
        raise InputFileError(f"{path}: not a checkpoint (a {type(checkpoint).__name__})")
    return checkpoint


def network_state(checkpoint: dict, path: str | Path) -> dict[str, torch.Tensor]:
    """The network's tensors without the ``model.`` prefix (a bare state dict is accepted too)."""
    state = checkpoint.get("state_dict", checkpoint)
    if any(k.startswith(PREFIX) for k in state):
        state = {k[len(PREFIX):]: v for k, v in state.items() if k.startswith(PREFIX)}
    if not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputFileError(f"{path}: holds no network state dict")
    return state


def checkpoint_config(checkpoint: dict, path: str | Path) -> dict:
    try:
        return checkpoint["hyper_parameters"]["config"]
    except (KeyError, TypeError):
        raise InputFileError(f"{path}: no training configuration (hyper_parameters.config)") from None


def _names(keys, limit: int = 4) -> str:
    keys = sorted(keys)
    more = f" (+{len(keys) - limit} more)" if len(keys) > limit else ""
    return ", ".join(keys[:limit]) + more


def load_weights(model: nn.Module, state: dict[str, torch.Tensor], path: str | Path,
                 reuse_heads: list[str] = (), keep_normalization: bool = True) -> list[str]:
    """Copy the backbone (and the heads in ``reuse_heads``) from ``state`` into ``model``.

    Heads not reused keep their fresh initialisation; adapters and a point-cloud head's body
    FiLM that the checkpoint lacks start as identity. Any other missing, extra or differently
    shaped tensor is an error naming the keys. Returns the loaded keys.
    """
    own = model.state_dict()
    reuse = tuple(f"heads.{h}." for h in reuse_heads)

    def wanted(key: str) -> bool:
        if key in CONFIG_BUFFERS or ".adapters." in f".{key}":
            return False
        if key.startswith("heads."):
            return key.startswith(reuse)
        return keep_normalization or not key.startswith(NORMALIZERS)

    missing_heads = [h for h in reuse_heads if not any(k.startswith(f"heads.{h}.") for k in state)]
    if missing_heads:
        raise CheckpointMismatchError(f"{path}: has no head(s) {', '.join(missing_heads)} to reuse")
    targets = {k for k in own if wanted(k)}
    missing = {k for k in targets if k not in state}
    # The invisible-particle normaliser exists only with the neutrino head: optional both ways.
    # The body FiLM of the point-cloud head is zero-initialised (the identity): a checkpoint from
    # before it existed loads with it at zero, i.e. with the network it was trained as.
    optional = {k for k in targets | set(state) if k.startswith("invisible_norm.") or OPTIONAL_PART in k}
    missing -= optional
    targets -= optional - set(state)
    extra = {k for k in state if wanted(k) and k not in own and k not in optional}
    shapes = {k for k in targets - missing if state[k].shape != own[k].shape}
    problems = []
    if missing:
        problems.append(f"missing {_names(missing)}")
    if extra:
        problems.append(f"unexpected {_names(extra)}")
    if shapes:
        problems.append("shape mismatch " + _names(f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in shapes))
    if problems:
        raise CheckpointMismatchError(f"{path}: does not fit this architecture: {'; '.join(problems)}")
    loaded = sorted(targets)
    model.load_state_dict({**own, **{k: state[k] for k in loaded}})
    return loaded
