"""Resuming an interrupted training run from checkpoints that Snakemake does not delete.

Snakemake deletes the declared outputs of a job that did not finish (``last.ckpt``,
``best.ckpt``, ...), so while a run trains its checkpoints live in ``<output>/resume/``,
which no rule declares: ``last.ckpt`` (every ``checkpoint_every`` steps, and when a stop
signal arrives), ``best.ckpt`` (lowest validation loss so far) and ``fingerprint.json``.

The fingerprint records what fixes the run's numbers: the resolved configuration (less
the keys in :data:`NEUTRAL_KEYS`), each input file (data, normalisation, ``--init``
checkpoint) by its path as given, size and modification time, the world size and the
evenet version. A rerun resumes from ``last.ckpt`` only when its fingerprint is the
same; otherwise it starts from step 0 and says in one log line what changed. A finished
run puts ``best.ckpt`` into the output directory, writes ``metrics.json``, then removes ``resume/``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import torch

import evenet
from evenet.atomic import atomic_output

log = logging.getLogger(__name__)

RESUME_DIR = "resume"
FINGERPRINT = "fingerprint.json"
# Keys that do not change what a run computes; a rerun with other values still resumes.
# (Another thread count changes float summation order: the resumed run then agrees with an
# uninterrupted one to rounding, not bit for bit.)
NEUTRAL_KEYS = frozenset({"trainer.threads", "trainer.progress_bar", "trainer.log_every_n_steps"})


def flatten(mapping: dict, prefix: str = "") -> dict:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (lists stay values)."""
    flat = {}
    for key, value in mapping.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def file_identity(path: str | Path) -> list[int]:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns]


def run_identity(config: dict, inputs: list[str | Path], world_size: int) -> dict:
    """What a resume checkpoint must share with the run that would continue it (JSON-ready)."""
    identity = {
        "config": {k: v for k, v in flatten(config).items() if k not in NEUTRAL_KEYS},
        "inputs": {str(p): file_identity(p) for p in inputs},
        "world_size": int(world_size),
        "evenet": evenet.__version__,
    }
    return json.loads(json.dumps(identity, default=str))  # as read back from fingerprint.json


_ABSENT = object()


def _names(items: list[str], limit: int = 4) -> str:
    return ", ".join(items[:limit]) + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def differences(saved: dict, current: dict) -> list[str]:
    """What changed between two run identities, in words; [] when they are the same."""
    changed = []
    old, new = saved.get("config", {}), current["config"]
    keys = sorted(k for k in old.keys() | new.keys() if old.get(k, _ABSENT) != new.get(k, _ABSENT))
    if keys:
        changed.append(f"config {_names(keys)}")
    old, new = saved.get("inputs", {}), current["inputs"]
    files = sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p))
    if files:
        changed.append(f"input {_names(files)}")
    for key, what in (("world_size", "world size"), ("evenet", "evenet version")):
        if saved.get(key) != current[key]:
            changed.append(f"{what} {saved.get(key)} -> {current[key]}")
    return changed


def checkpoint_step(path: Path) -> int:
    """The global step a Lightning checkpoint was saved at (memory-mapped: tensors are not read)."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    return int(checkpoint["global_step"])


def start(directory: Path, identity: dict, writer: bool = True) -> tuple[Path | None, int]:
    """(checkpoint to resume from, its step), or (None, 0) to start fresh.

    Only reads until it has decided, so every rank of a multi-process run decides alike;
    the ``writer`` (global rank 0) then logs the decision and, starting fresh, clears
    ``directory`` and writes the new fingerprint before any checkpoint can be saved there.
    """
    last = directory / "last.ckpt"
    reason = None
    if last.exists():
        try:
            saved = json.loads((directory / FINGERPRINT).read_text())
        except (OSError, ValueError):
            saved = None
        changed = differences(saved, identity) if isinstance(saved, dict) else None
        if changed is None:
            reason = f"no readable {FINGERPRINT} beside it"
        elif not changed:
            try:
                step = checkpoint_step(last)
            except Exception as err:  # noqa: BLE001 - any unreadable checkpoint means starting over
                reason = f"unreadable ({str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__})"
            else:
                if writer:
                    log.info("resumed at step %d from %s (inputs and config unchanged)", step, last)
                return last, step
        else:
            reason = "changed since it was saved: " + "; ".join(changed)
    if writer:
        if reason:
            log.warning("resume checkpoint %s not used, %s; starting from step 0", last, reason)
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        with atomic_output(directory / FINGERPRINT) as tmp:
            tmp.write_text(json.dumps(identity, indent=1))
    return None, 0


def keep_best(directory: Path, output: Path) -> None:
    """``output/best.ckpt`` from the run's best checkpoint (a hard link where the file system has them)."""
    best, target = directory / "best.ckpt", output / "best.ckpt"
    if best.exists():
        target.unlink(missing_ok=True)
        try:
            os.link(best, target)
        except OSError:
            shutil.copy2(best, target)


def discard(directory: Path) -> None:
    """Nothing to resume: the run finished, or its weights are not worth continuing (a non-finite loss)."""
    shutil.rmtree(directory, ignore_errors=True)
