"""``evenet bench model``: forward+backward events/s of an EveNet preset, and of the released
evenet-core 20M network (run from its side environment) on the same device, batch and dtype."""

from __future__ import annotations

import json
import math
import os
import subprocess
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[3]
PEER_SCRIPT = REPO / "tests" / "compat" / "evenet_core_reference.py"
HEADS = {
    "classification": {"num_classes": 3},
    "point_cloud_generation": {},
    "neutrino_generation": {"num_features": 4},
    "global_generation": {"targets": ["nJet", "HT"]},
}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("model", help="EveNet forward+backward throughput vs evenet-core 20M")
    parser.add_argument("--preset", default="lite")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast (default on cuda)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model first")
    parser.add_argument("--no-peer", action="store_true", help="skip the evenet-core measurement")
    parser.set_defaults(func=run)


def synthetic_batch(batch: int, device: str, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    counts = torch.randint(2, 19, (batch,), generator=g)
    mask = torch.arange(18)[None] < counts[:, None]
    pt = torch.exp(3.5 + 0.7 * torch.randn(batch, 18, generator=g))
    eta = 1.5 * torch.randn(batch, 18, generator=g)
    phi = (2 * torch.rand(batch, 18, generator=g) - 1) * math.pi
    cat = (torch.rand(batch, 18, 3, generator=g) < 0.3).float()
    source = torch.cat([torch.stack([pt * torch.cosh(eta), pt, eta, phi], -1), cat], -1) * mask[..., None]
    invisible_mask = torch.ones(batch, 2, dtype=torch.bool)
    out = {"source": source, "source_mask": mask, "globals": torch.rand(batch, 10, generator=g) * 100,
           "invisible": torch.rand(batch, 2, 4, generator=g) * 50, "invisible_mask": invisible_mask,
           "classification": torch.randint(0, 3, (batch,), generator=g)}
    return {k: v.to(device) for k, v in out.items()}


def measure_ours(preset: str, device: str, batch_size: int, iterations: int, bf16: bool, compile_: bool) -> float:
    from evenet.model.network import build_model

    torch.manual_seed(0)
    model = build_model(preset, HEADS).to(device).train()
    forward = torch.compile(model) if compile_ else model
    batch = synthetic_batch(batch_size, device)

    def step():
        with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            outputs = forward(batch)
        losses = model.losses(outputs, {"classification": batch["classification"]})
        sum(losses.values()).backward()

    step()
    _sync(device)
    start = time.perf_counter()
    for _ in range(iterations):
        step()
    _sync(device)
    return batch_size * iterations / (time.perf_counter() - start)


def measure_peer(device: str, batch_size: int, iterations: int, bf16: bool) -> float | str:
    python = Path(os.environ.get("EVENET_CORE_PYTHON", REPO / ".venv-evenet-core" / "bin" / "python"))
    if not python.exists():
        return f"side environment missing ({python})"
    cmd = [str(python), str(PEER_SCRIPT), "--bench", "/tmp", "--batch", str(batch_size), "--device", device,
           "--iterations", str(iterations)] + (["--bf16"] if bf16 else [])
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        return f"evenet-core run failed: {done.stderr.strip().splitlines()[-1] if done.stderr else done.returncode}"
    return float(json.loads(done.stdout.strip().splitlines()[-1])["events_per_s"])


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def run(args) -> int:
    bf16 = args.bf16 or args.device.startswith("cuda")
    dtype = "bf16 autocast" if bf16 else "fp32"
    ours = measure_ours(args.preset, args.device, args.batch, args.iterations, bf16, args.compile)
    print(f"evenet {args.preset}: {ours:,.0f} events/s forward+backward "
          f"(device {args.device}, batch {args.batch}, {dtype}, all generation heads + classification)")
    if args.no_peer:
        return 0
    peer = measure_peer(args.device, args.batch, args.iterations, bf16)
    if isinstance(peer, str):
        print(f"evenet-core 20M: not measured: {peer}")
        return 0
    print(f"evenet-core 20M: {peer:,.0f} events/s (same device, batch, dtype)")
    print(f"ratio evenet {args.preset} / evenet-core 20M: {ours / peer:.2f}")
    return 0
