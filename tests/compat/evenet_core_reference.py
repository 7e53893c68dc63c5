"""Runs the released EveNet network (evenet-core 0.3.0) in its side environment.

    .venv-evenet-core/bin/python tests/compat/evenet_core_reference.py OUTDIR
        builds evenet-core's 20M network with a fixed seed, perturbs its weights
        (so LayerScale and zero-initialised layers are not trivially small),
        and writes OUTDIR/reference.pt: its state dict, fixed inputs (raw,
        physical units), the normalisation used, and its outputs:
        clean classification logits, and the v-predictions of the point-cloud
        (full-event mode), neutrino and event-level generation heads.

    .venv-evenet-core/bin/python tests/compat/evenet_core_reference.py --serve EVENTS.pt [--optimizer]
        step server for ``evenet bench model --vs-core``: builds the classification-only and
        the full pretraining network on the events of EVENTS.pt (physical units, written by
        the caller), prints "ready", then for each line "classification" or "pretraining" on
        stdin runs one training step (forward, backward, with --optimizer also a LION update)
        and prints its wall and CPU seconds as JSON.

This script imports evenet-core (import name ``evenet``) and must not be run
in the main environment, whose ``evenet`` is this project.

What "20M" means: the values of share/pretrain-config/network-20M.yaml in the
EveNet repository (UW-EPE-ML/EveNet_NERSC), which evenet-core does not ship:
PET hidden 256, 16 layers, 16 heads, 10 local layers, k = 3 in (eta, phi),
LayerScale 1e-5, global embedding 16 -> 256 over at most 8 doublings, object
encoder 2 + 2 layers, 8 heads, position code 32; generation heads hidden 256,
1 layer, 4 heads, 36 positions; event-level generation 1 layer of width 64.
That file has no ``Classification.num_attention_heads`` (evenet-core 0.3.0
requires it); 8 is used, as in the object encoder.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import torch

from evenet.control.global_config import DotDict
from evenet.network.evenet_model import EveNetModel

NETWORK_20M = {
    "Body": {
        "GlobalEmbedding": {
            "linear_block_type": "GRU", "transformer_dim_scale": 2.0, "initial_embedding_dim": 16,
            "hidden_dim": 256, "normalization": "LayerNorm", "linear_activation": "GELU",
            "num_embedding_layers": 8, "dropout": 0.1, "skip_connection": True,
        },
        "PET": {
            "num_feature_keep": 0, "feature_drop": 0.1, "hidden_dim": 256, "enable_local_embedding": True,
            "local_Krank": 3, "local_point_index": [2, 3], "num_local_layer": 10, "num_layers": 16,
            "drop_probability": 0.1, "talking_head": False, "layer_scale": True, "layer_scale_init": 1e-5,
            "num_heads": 16, "mode": "all", "dropout": 0.1,
        },
        "ObjectEncoder": {
            "hidden_dim": 256, "position_embedding_dim": 32, "num_attention_heads": 8,
            "transformer_dim_scale": 2.0, "num_embedding_layers": 2, "num_encoder_layers": 2, "dropout": 0.1,
            "skip_connection": True, "encoder_skip_connection": True,
        },
    },
    "Classification": {
        "num_classification_layers": 1, "hidden_dim": 256, "dropout": 0.1, "skip_connection": True,
        "num_attention_heads": 8,
    },
    "GlobalGeneration": {
        "num_layers": 1, "num_resnet_layers": 1, "hidden_dim": 64, "resnet_dim": 64, "layer_scale_init": 1e-5,
        "feature_drop_for_stochastic_depth": 0.0, "activation": "SILU", "dropout": 0.0,
    },
    "ReconGeneration": {
        "hidden_dim": 256, "num_layers": 1, "num_heads": 4, "dropout": 0.1, "layer_scale": True,
        "layer_scale_init": 1e-5, "drop_probability": 0.1, "feature_drop": 0.1,
    },
    "TruthGeneration": {
        "hidden_dim": 256, "num_layers": 1, "num_heads": 4, "dropout": 0.1, "layer_scale": True,
        "layer_scale_init": 1e-5, "drop_probability": 0.1, "feature_drop": 0.1,
        "neutrino_position_encode": True, "max_position_length": 36,
    },
}

SOURCE = ["energy", "pt", "eta", "phi", "btag", "isLepton", "charge"]
GLOBALS = ["met", "met_phi", "nLepton", "nbJet", "nJet", "HT", "HT_lep", "M_all", "M_leps", "M_bjets"]
INVISIBLE = ["energy", "pt", "eta", "phi"]
NUM_CLASSES = 3
# Event-level generation: multiplicity plus these globals, conditioned on the rest.
GLOBAL_TARGETS = ["nJet", "HT"]
GLOBAL_CONDITIONS = [g for g in GLOBALS if g not in GLOBAL_TARGETS]

# Normalisation: (transform, normalize, mean, std, uniform) per feature, in the units after the transform.
SOURCE_NORM = [
    ("log1p", True, 4.2, 0.9, False), ("log1p", True, 3.8, 0.8, False), ("none", True, 0.0, 1.4, False),
    ("none", True, 0.0, math.pi / math.sqrt(3.0), True), ("none", False, 0.0, 1.0, False),
    ("none", False, 0.0, 1.0, False), ("none", False, 0.0, 1.0, False),
]
GLOBAL_NORM = [
    ("log1p", True, 3.5, 0.8, False), ("none", True, 0.0, 1.8, False), ("none", True, 1.0, 0.8, False),
    ("none", True, 1.5, 1.1, False), ("none", True, 5.0, 2.2, False), ("log1p", True, 6.0, 0.7, False),
    ("none", True, 80.0, 60.0, False), ("log1p", True, 6.5, 0.6, False), ("none", True, 40.0, 50.0, False),
    ("none", True, 150.0, 120.0, False),
]
INVISIBLE_NORM = [
    ("log1p", True, 4.0, 0.9, False), ("log1p", True, 3.6, 0.8, False), ("none", True, 0.0, 1.4, False),
    ("none", True, 0.0, 1.8, False),
]
MULTIPLICITY_NORM = (8.0, 3.0)


def _feature(name, spec):
    return SimpleNamespace(name=name, normalize=spec[1], log_scale=spec[0] == "log1p", uniform=spec[4])


def event_info() -> SimpleNamespace:
    target_idx = [GLOBALS.index(g) for g in GLOBAL_TARGETS]
    cond_idx = [GLOBALS.index(g) for g in GLOBAL_CONDITIONS]
    return SimpleNamespace(
        input_types={"Source": "SEQUENTIAL", "Conditions": "GLOBAL"},
        input_features={
            "Source": [_feature(n, s) for n, s in zip(SOURCE, SOURCE_NORM)],
            "Conditions": [_feature(n, s) for n, s in zip(GLOBALS, GLOBAL_NORM)],
        },
        sequential_inv_cdf_index=[i for i, s in enumerate(SOURCE_NORM) if s[4]],
        invisible_inv_cdf_index=[],
        class_label={"EVENT": {"signal": None}},
        num_classes={"signal": NUM_CLASSES},
        num_classes_total=1,
        generation_target_indices=target_idx,
        generation_condition_indices=cond_idx,
        generation_pc_condition_indices=sorted(target_idx + cond_idx),
        generation_pc_indices=list(range(len(SOURCE))),
    )


def _stats(specs):
    return (torch.tensor([s[2] for s in specs], dtype=torch.float32),
            torch.tensor([s[3] for s in specs], dtype=torch.float32))


def normalization_dict() -> dict:
    (sm, ss), (gm, gs), (im, istd) = _stats(SOURCE_NORM), _stats(GLOBAL_NORM), _stats(INVISIBLE_NORM)
    return {
        "input_mean": {"Source": sm, "Conditions": gm}, "input_std": {"Source": ss, "Conditions": gs},
        "input_num_mean": {"Source": torch.tensor(MULTIPLICITY_NORM[0])},
        "input_num_std": {"Source": torch.tensor(MULTIPLICITY_NORM[1])},
        "invisible_mean": {"Source": im}, "invisible_std": {"Source": istd},
    }


def build_network() -> EveNetModel:
    config = DotDict({"options": {}, "network": NETWORK_20M})
    config["event_info"] = event_info()
    return EveNetModel(
        config, device="cpu", classification=True, global_generation=True, point_cloud_generation=True,
        neutrino_generation=True, normalization_dict=normalization_dict(),
    )


@torch.no_grad()
def perturb(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Move every weight off its initial value; LayerScale gammas (init 1e-5) to O(0.3)."""
    for name, p in model.named_parameters():
        noise = torch.randn(p.shape, generator=generator)
        if name.endswith("gamma"):
            p.copy_(0.3 * noise)
        else:
            p.add_(0.05 * noise)
    for name, b in model.named_buffers():
        if name.endswith("running_mean"):
            b.copy_(0.1 * torch.randn(b.shape, generator=generator))
        elif name.endswith("running_var"):
            b.copy_(0.5 + torch.rand(b.shape, generator=generator))


def raw_inputs(batch: int, generator: torch.Generator) -> dict:
    """Physical-unit events; multiplicities from 1 (fewer than k+1) to 18, padding zero."""
    n_max, n_inv = 18, 2
    counts = torch.tensor([1, 2, 3, 5, 8, 12, 17, 18] * (batch // 8 + 1))[:batch]
    mask = torch.arange(n_max)[None, :] < counts[:, None]
    pt = torch.exp(3.5 + 0.7 * torch.randn(batch, n_max, generator=generator))
    eta = 1.5 * torch.randn(batch, n_max, generator=generator)
    phi = (2 * torch.rand(batch, n_max, generator=generator) - 1) * math.pi
    energy = pt * torch.cosh(eta)
    btag = (torch.rand(batch, n_max, generator=generator) < 0.3).float()
    lepton = (torch.rand(batch, n_max, generator=generator) < 0.2).float()
    charge = lepton * torch.sign(torch.randn(batch, n_max, generator=generator))
    source = torch.stack([energy, pt, eta, phi, btag, lepton, charge], dim=-1) * mask[..., None]
    globals_ = torch.stack([
        torch.exp(3.5 + 0.5 * torch.randn(batch, generator=generator)),
        (2 * torch.rand(batch, generator=generator) - 1) * math.pi,
        (lepton * mask).sum(1), (btag * mask).sum(1), counts.float(), (pt * mask).sum(1),
        (pt * lepton * mask).sum(1), torch.exp(6.0 + 0.5 * torch.randn(batch, generator=generator)),
        50 * torch.rand(batch, generator=generator), 200 * torch.rand(batch, generator=generator),
    ], dim=-1)
    inv_pt = torch.exp(3.5 + 0.5 * torch.randn(batch, n_inv, generator=generator))
    inv_eta = torch.randn(batch, n_inv, generator=generator)
    invisible = torch.stack([inv_pt * torch.cosh(inv_eta), inv_pt, inv_eta,
                             torch.randn(batch, n_inv, generator=generator)], dim=-1)
    invisible_mask = torch.ones(batch, n_inv, dtype=torch.bool)
    invisible_mask[::3, 1] = False
    invisible = invisible * invisible_mask[..., None]
    return {"source": source, "source_mask": mask, "globals": globals_, "invisible": invisible,
            "invisible_mask": invisible_mask}


def log_inputs(x: torch.Tensor, specs) -> torch.Tensor:
    """evenet-core takes log-scaled features from its preprocessing; the model does not log itself."""
    cols = [torch.log1p(x[..., i].clamp(min=0)) if s[0] == "log1p" else x[..., i] for i, s in enumerate(specs)]
    return torch.stack(cols, dim=-1)


def core_batch(raw: dict) -> dict:
    mask = raw["source_mask"]
    return {
        "x": log_inputs(raw["source"], SOURCE_NORM) * mask[..., None], "x_mask": mask,
        "conditions": log_inputs(raw["globals"], GLOBAL_NORM),
        "conditions_mask": torch.ones(mask.shape[0], 1, dtype=torch.bool),
        "num_sequential_vectors": mask.sum(1).float(),
        "x_invisible": log_inputs(raw["invisible"], INVISIBLE_NORM) * raw["invisible_mask"][..., None],
        "x_invisible_mask": raw["invisible_mask"],
    }


@torch.no_grad()
def reference(outdir: Path) -> None:
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1234)
    model = build_network()
    perturb(model, generator)
    model.eval()
    raw = raw_inputs(16, generator)
    batch = core_batch(raw)
    b, n = raw["source_mask"].shape
    t = torch.linspace(0.05, 0.95, b)
    logits = model(batch, torch.zeros(b), schedules=[("deterministic", True)])["classification"]["classification/signal"]
    cond = {k: batch[k] for k in ("conditions", "conditions_mask", "num_sequential_vectors")}
    x_t_objects = torch.randn(b, n, len(SOURCE), generator=generator) * raw["source_mask"][..., None]
    v_objects = model.predict_diffusion_vector(x_t_objects, cond, t, "event", raw["source_mask"][..., None])
    x_t_inv = torch.randn(*raw["invisible"].shape, generator=generator) * raw["invisible_mask"][..., None]
    v_invisible = model.predict_diffusion_vector(
        x_t_inv, {**cond, "x": batch["x"], "x_mask": batch["x_mask"]}, t, "neutrino",
        raw["invisible_mask"][..., None],
    )
    x_t_globals = torch.randn(b, 1 + len(GLOBAL_TARGETS), generator=generator)
    v_globals = model.predict_diffusion_vector(x_t_globals, cond, t, "global")
    torch.save({
        "state_dict": model.state_dict(),
        "inputs": {**raw, "t": t, "x_t_objects": x_t_objects, "x_t_invisible": x_t_inv, "x_t_globals": x_t_globals},
        "outputs": {"logits": logits, "v_objects": v_objects, "v_invisible": v_invisible, "v_globals": v_globals},
        "normalization": {
            "source": _json_group(SOURCE, SOURCE_NORM), "globals": _json_group(GLOBALS, GLOBAL_NORM),
            "invisible": _json_group(INVISIBLE, INVISIBLE_NORM),
            "multiplicity": {"n": {"transform": "none", "mean": MULTIPLICITY_NORM[0], "std": MULTIPLICITY_NORM[1]}},
        },
        "heads": {
            "classification": {"num_classes": NUM_CLASSES}, "point_cloud_generation": {},
            "neutrino_generation": {"num_features": len(INVISIBLE)},
            "global_generation": {"targets": GLOBAL_TARGETS, "conditions": GLOBAL_CONDITIONS},
        },
    }, outdir / "reference.pt")


def _json_group(names, specs) -> dict:
    return {n: {"transform": s[0], "normalize": s[1], "mean": s[2], "std": s[3], "uniform": s[4]}
            for n, s in zip(names, specs)}


def lion_step(parameters: list, state: dict, lr: float = 1e-4, betas=(0.9, 0.99), weight_decay: float = 0.01) -> None:
    """One LION update (Chen et al. 2023, as lion-pytorch, which the side environment lacks)."""
    with torch.no_grad():
        for p in parameters:
            if p.grad is None:
                continue
            m = state.setdefault(p, torch.zeros_like(p))
            p.mul_(1.0 - lr * weight_decay)
            p.add_(m.mul(betas[0]).add(p.grad, alpha=1.0 - betas[0]).sign_(), alpha=-lr)
            m.mul_(betas[1]).add_(p.grad, alpha=1.0 - betas[1])
            p.grad = None


def serve(events_path: Path, device: str, bf16: bool, optimizer: bool) -> None:
    raw = torch.load(events_path)
    batch = {k: v.to(device) for k, v in core_batch(raw).items()}
    batch_size = batch["x"].shape[0]
    config = DotDict({"options": {}, "network": NETWORK_20M})
    config["event_info"] = event_info()
    torch.manual_seed(0)
    networks = {
        "classification": EveNetModel(config, device=device, classification=True,
                                      normalization_dict=normalization_dict()).to(device).train(),
        "pretraining": build_network().to(device).train(),
    }
    schedules = {"classification": [("deterministic", True)], "pretraining": None}
    states = {kind: {} for kind in networks}
    for network in networks.values():
        network.device = device

    def step(kind: str) -> None:
        model = networks[kind]
        t = torch.rand(batch_size, device=device)
        with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            out = model(batch, t, schedules=schedules[kind])
        loss = out["classification"]["classification/signal"].float().square().mean()
        if kind == "pretraining":
            loss = loss + out["classification-noised"]["classification/signal"].float().square().mean()
            for gen in out["generations"].values():
                loss = loss + (gen["vector"].float() - gen["truth"]).square().mean()
        loss.backward()
        if optimizer:
            lion_step(list(model.parameters()), states[kind])
        else:
            model.zero_grad(set_to_none=True)
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    print("ready", flush=True)
    for line in sys.stdin:
        kind = line.strip()
        wall, cpu = time.perf_counter(), time.process_time()
        step(kind)
        print(json.dumps({"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}), flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="output directory (--serve: the events file)")
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--optimizer", action="store_true")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--bf16", action="store_true")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.serve:
        serve(args.outdir, args.device, args.bf16, args.optimizer)
        return 0
    args.outdir.mkdir(parents=True, exist_ok=True)
    reference(args.outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
