"""Training configuration: one plain YAML per run, merged over the defaults below.

A run's configuration is ``DEFAULTS`` <- the YAML file <- ``--set key=value``
overrides (dotted keys, values parsed as YAML). Every key must exist in
``DEFAULTS`` (except under the free-form ``model.heads``, ``model.overrides``
and ``loss_weights``), so a misspelt key is an error instead of being ignored;
the options of each head are checked against what that head accepts
(:func:`evenet.model.head_registry.check_heads`).
The resolved configuration is saved next to each run as ``config.yaml``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from evenet.errors import ConfigError, InputFileError
from evenet.model import head_registry

# Free-form sections: their contents are checked by the model (heads) or the loss code.
FREE_FORM = {"model.heads", "model.overrides", "loss_weights"}

DEFAULTS: dict = {
    "seed": 0,
    "stage": "finetune",  # a label (pretrain_ssl | pretrain_full | finetune), recorded in metrics.json
    "model": {
        "preset": "tiny",  # tiny (CPU demos, tests), lite (released 20M), standard (~100M)
        "overrides": {},  # per-section ModelConfig overrides, e.g. {body: {dropout: 0.0}}
        "heads": {},  # head name -> options (see evenet.model.head_registry)
    },
    "loss_weights": {},  # head name -> weight of its loss in the sum (default 1)
    "noise": {
        # Probability that an object is noised in the masked-diffusion pass, ramped linearly
        # from `start` to `end` over the first `ramp_fraction` of the run's optimisation steps.
        "start": 1.0,
        "end": 1.0,
        "ramp_fraction": 0.0,
    },
    "data": {
        "batch_size": 256,
        "chunk_size": 4096,  # events read per HDF5 slice
        "shuffle_blocks": 8,  # slices mixed in one shuffle buffer (across files)
        "train_fraction": 1.0,  # fraction of the training split used (training-size scans)
        # Seed of that subset (a stratified draw, evenet.train.subset): nested in train_fraction for
        # one seed, independent of `seed` (the model's), so runs that differ only in their initial
        # weights (Scratch/SSL/Full) share it.
        "subset_seed": 0,
        "val_fraction": 1.0,
        "event_weights": "unit",  # unit | physical | balanced (physical, each class summing to the same total)
        "num_workers": 0,
        "load_targets": True,  # read TARGETS/ for the assignment head
    },
    "optimizer": {
        "name": "lion",  # lion | adamw
        "lr": 1e-4,  # learning rate of the heads, for one device
        "weight_decay": 1e-2,
        "betas": [0.9, 0.99],
        "backbone_lr_scale": 1.0,  # normalisers, global embedding, PET body
        "bridge_lr_scale": 1.0,  # object encoder (the transformer between body and heads)
        "last_blocks_lr_scale": 1.0,  # the last finetune.last_blocks PET blocks (paper, X -> YH individual: 0.3)
        "scale_with_devices": True,  # lr x sqrt(world size), weight decay / sqrt(world size)
    },
    "schedule": {
        "warmup_steps": 100,
        "min_lr_ratio": 0.01,  # cosine decays to lr x min_lr_ratio at the last step
    },
    "ema": {"enabled": True, "decay": 0.999},
    "early_stopping": {"enabled": False, "patience": 5, "min_delta": 0.0},
    "finetune": {
        "init": None,  # checkpoint to start from (overridden by --init); None = random (Scratch)
        "reuse_heads": [],  # heads whose weights are loaded from `init` as well; "all": every head both have
        "normalization": "checkpoint",  # checkpoint | data: which normalisation an initialised model keeps
        "freeze": [],  # module prefixes frozen, e.g. [body, global_embedding]
        "adapters": 0,  # >0: adapter bottleneck; the backbone is frozen except its adapters (and last_blocks)
        "last_blocks": 0,  # last PET-body blocks that train (at optimizer.last_blocks_lr_scale), not frozen by adapters
    },
    "trainer": {
        "max_epochs": 10,
        "max_steps": -1,
        "val_check_interval": 1.0,
        "limit_val_batches": 1.0,
        "accelerator": "auto",
        "devices": "auto",
        "num_nodes": 1,
        "strategy": "auto",
        "precision": "32-true",  # bf16-mixed on GPU
        "gradient_clip_val": 1.0,
        "log_every_n_steps": 20,
        "threads": 1,  # torch threads on CPU (1: small models on a shared 2-core machine); 0 = min(2, cores)
        "progress_bar": False,
    },
}


def _merge(base: dict, update: dict, prefix: str = "") -> dict:
    out = copy.deepcopy(base)
    for key, value in (update or {}).items():
        path = f"{prefix}{key}"
        free = any(prefix.rstrip(".") == f or prefix.startswith(f"{f}.") for f in FREE_FORM)
        if free and isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = _merge(out[key], value, f"{path}.")
        elif free:
            out[key] = copy.deepcopy(value)
        elif key not in out:
            raise ConfigError(f"training config: unknown key {path!r}")
        elif isinstance(out[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"training config: {path!r} must be a mapping")
            out[key] = _merge(out[key], value, f"{path}.")
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_overrides(pairs: list[str]) -> dict:
    """``["a.b=1", "c=[x, y]"]`` -> nested dict with YAML-parsed values."""
    nested: dict = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ConfigError(f"--set {pair!r}: expected key=value")
        key, raw = pair.split("=", 1)
        value = yaml.safe_load(raw) if raw else None
        node = nested
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return nested


def format_override(key: str, value) -> str:
    """``key=value`` text that :func:`parse_overrides` reads back as ``value`` (one-line YAML flow style).

    Callers that put it on a command line shell-quote it (a value may hold spaces,
    lists or mappings).
    """
    text = yaml.safe_dump(value, default_flow_style=True, width=float("inf"), sort_keys=False)
    if text.endswith("\n...\n"):  # a plain scalar ends its document explicitly
        text = text[: -len("...\n")]
    return f"{key}={text.strip()}"


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> dict:
    """Defaults <- YAML file <- ``key=value`` overrides; unknown keys are a ConfigError."""
    config = DEFAULTS
    if path is not None:
        try:
            with open(path) as handle:
                content = yaml.safe_load(handle) or {}
        except (OSError, yaml.YAMLError) as err:
            raise InputFileError(f"{path}: cannot read training config ({err})") from None
        if not isinstance(content, dict):
            raise ConfigError(f"{path}: training config must be a mapping")
        config = _merge(config, content)
    config = _merge(config, parse_overrides(overrides or []))
    validate(config)
    return config


def validate(config: dict) -> None:
    data, opt = config["data"], config["optimizer"]
    for key in ("train_fraction", "val_fraction"):
        if not 0.0 < float(data[key]) <= 1.0:
            raise ConfigError(f"data.{key} must be in (0, 1], got {data[key]!r}")
    if data["event_weights"] not in ("unit", "physical", "balanced"):
        raise ConfigError(f"data.event_weights must be unit, physical or balanced, got {data['event_weights']!r}")
    if int(data["batch_size"]) < 1 or int(data["chunk_size"]) < 1 or int(data["shuffle_blocks"]) < 1:
        raise ConfigError("data.batch_size, data.chunk_size and data.shuffle_blocks must be >= 1")
    if opt["name"] not in ("lion", "adamw"):
        raise ConfigError(f"optimizer.name must be lion or adamw, got {opt['name']!r}")
    if config["finetune"]["normalization"] not in ("checkpoint", "data"):
        raise ConfigError("finetune.normalization must be checkpoint or data")
    heads = config["model"]["heads"]
    if not heads:
        raise ConfigError("model.heads: at least one head is required")
    # The assignment topology may be left to the data (the stream's HDF5 carries it).
    head_registry.check_heads(heads, deferred={"assignment.topology"})
    reuse = config["finetune"]["reuse_heads"]
    if reuse != "all":
        if not isinstance(reuse, list):
            raise ConfigError(f"finetune.reuse_heads must be a list of heads or 'all', got {reuse!r}")
        absent = [h for h in reuse if h not in heads]
        if absent:
            raise ConfigError(f"finetune.reuse_heads: {', '.join(map(str, absent))} not among model.heads")
    unknown = set(config["loss_weights"]) - set(config["model"]["heads"])
    if unknown:
        raise ConfigError(f"loss_weights: no such head(s) {', '.join(sorted(unknown))}")


def save_config(config: dict, path: str | Path) -> None:
    from evenet.atomic import atomic_output

    with atomic_output(path) as tmp:
        tmp.write_text(yaml.safe_dump(config, sort_keys=False))
