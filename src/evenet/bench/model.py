"""``evenet bench model``: training-step events/s of an EveNet preset for the classification-only
step and the full pretraining step; with ``--vs-core`` also of the released evenet-core 20M network
(run from its side environment) on the same device, batch, dtype and events, interleaved step by
step with ours so that a noisy (shared) machine slows both alike.

Steps: "classification" is one clean pass and the classification head (evenet-core's
deterministic schedule); "pretraining" is every pass of pretraining: clean, noised
(point-cloud generation and noised classification) and neutrino, plus event-level generation.
Each step is forward + backward (``evenet bench train --vs-core``: + a LION update).
Reported per step kind: events/s at the median wall time, the min/median/max step wall time,
the ratio ours / evenet-core of the median wall and of the median CPU time per step (CPU time
of the process: with one thread, the work done, whatever else the machine runs), and the
min/median/max over rounds of the round's ratio (each round times ours, then evenet-core).
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[3]
PEER_SCRIPT = REPO / "tests" / "compat" / "evenet_core_reference.py"
STEPS = ("classification", "pretraining")
HEADS = {
    "classification": {"classification": {"num_classes": 3, "noised": False}},
    "pretraining": {
        "classification": {"num_classes": 3},
        "point_cloud_generation": {},
        "neutrino_generation": {"num_features": 4},
        "global_generation": {"targets": ["nJet", "HT"]},
    },
}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("model", help="EveNet training-step throughput (vs evenet-core 20M with --vs-core)")
    add_step_arguments(parser)
    parser.add_argument("--preset", default="lite")
    parser.add_argument("--compile", action="store_true", help="torch.compile our model first")
    parser.set_defaults(func=run, optimizer=False)


def add_step_arguments(parser) -> None:
    """Options shared with ``evenet bench train --vs-core``."""
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5, help="timed steps per implementation and step kind")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast (default on cuda)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads of each implementation")
    parser.add_argument("--vs-core", action="store_true",
                        help="also run evenet-core's 20M network (side environment), interleaved with ours")


def synthetic_batch(batch: int, device: str, seed: int = 0) -> dict[str, torch.Tensor]:
    """Events in physical units; multiplicities uniform in 2..18, padding zero."""
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


class OurSteps:
    """Our networks for both step kinds on one fixed batch."""

    def __init__(self, preset: str, batch: dict, device: str, bf16: bool, optimizer: bool, compile_: bool):
        from evenet.model.network import build_model
        from evenet.train.optimizers import build_optimizer

        torch.manual_seed(0)
        self.batch, self.device, self.bf16 = batch, device, bf16
        self.models = {kind: build_model(preset, HEADS[kind]).to(device).train() for kind in STEPS}
        self.forward = {kind: torch.compile(m) if compile_ else m for kind, m in self.models.items()}
        self.optimizers = {
            kind: build_optimizer([{"params": m.parameters(), "lr": 1e-4, "weight_decay": 0.01}], "lion", (0.9, 0.99))
            for kind, m in self.models.items()
        } if optimizer else None

    def step(self, kind: str) -> None:
        model = self.models[kind]
        with torch.autocast(device_type=self.device.split(":")[0], dtype=torch.bfloat16, enabled=self.bf16):
            outputs = self.forward[kind](self.batch)
        losses = model.losses(outputs, {"classification": self.batch["classification"]})
        sum(losses.values()).backward()
        if self.optimizers is not None:
            self.optimizers[kind].step()
        model.zero_grad(set_to_none=True)
        if self.device.startswith("cuda"):
            torch.cuda.synchronize()

    def timed(self, kind: str) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        self.step(kind)
        return time.perf_counter() - wall, time.process_time() - cpu


class CoreSteps:
    """evenet-core's networks in the side environment, one step per request."""

    def __init__(self, batch: dict, device: str, bf16: bool, optimizer: bool, threads: int, workdir: Path):
        python = Path(os.environ.get("EVENET_CORE_PYTHON", REPO / ".venv-evenet-core" / "bin" / "python"))
        if not python.exists():
            raise FileNotFoundError(f"evenet-core side environment missing ({python}); run `make side-env`")
        events = workdir / "events.pt"
        torch.save({k: v.cpu() for k, v in batch.items()}, events)
        cmd = [str(python), str(PEER_SCRIPT), str(events), "--serve", "--device", device, "--threads", str(threads)]
        cmd += (["--bf16"] if bf16 else []) + (["--optimizer"] if optimizer else [])
        # Without PYTHONPATH: a path to this project's src would shadow evenet-core (both import as evenet).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        self.process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
                                        env=env)
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"evenet-core step server did not start (exit {self.process.wait()})")

    def timed(self, kind: str) -> tuple[float, float]:
        self.process.stdin.write(kind + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"evenet-core step server stopped (exit {self.process.wait()})")
        reply = json.loads(line)
        return reply["wall_s"], reply["cpu_s"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def spread(times: list[float]) -> str:
    return f"{min(times):.3f}/{statistics.median(times):.3f}/{max(times):.3f} s"


def ratio_spread(ratios: list[float]) -> str:
    return f"{min(ratios):.2f}/{statistics.median(ratios):.2f}/{max(ratios):.2f}"


def compare(args, preset: str, optimizer: bool) -> int:
    """Warm-up step each, then ``args.rounds`` rounds of (ours, evenet-core) per step kind; prints the table."""
    torch.set_num_threads(args.threads)
    bf16 = args.bf16 or args.device.startswith("cuda")
    batch = synthetic_batch(args.batch, args.device)
    ours = OurSteps(preset, batch, args.device, bf16, optimizer, getattr(args, "compile", False))
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        core = CoreSteps(batch, args.device, bf16, optimizer, args.threads, Path(tmp)) if args.vs_core else None
        runners = {"evenet": ours, **({"evenet-core": core} if core else {})}
        try:
            for kind in STEPS:
                for runner in runners.values():
                    runner.timed(kind)  # warm-up
                for _ in range(args.rounds):
                    for name, runner in runners.items():
                        times.setdefault((name, kind), []).append(runner.timed(kind))
        finally:
            if core is not None:
                core.close()
    dtype = "bf16 autocast" if bf16 else "fp32"
    step = "forward+backward" + (" + LION update" if optimizer else "")
    fill = float(batch["source_mask"].float().mean())
    print(f"{step}, device {args.device}, batch {args.batch}, {dtype}, {args.threads} thread(s), {args.rounds} rounds "
          f"interleaved, events with 2-18 objects ({fill:.0%} of slots valid); ours: {preset}")
    for kind in STEPS:
        medians = {}
        for name in runners:
            wall = [w for w, _ in times[(name, kind)]]
            cpu = [c for _, c in times[(name, kind)]]
            medians[name] = (statistics.median(wall), statistics.median(cpu))
            print(f"  {kind:14s} {name:12s} {args.batch / medians[name][0]:10.1f} events/s   "
                  f"step wall min/median/max {spread(wall)}   CPU median {medians[name][1]:.3f} s")
        if core is not None:
            (ow, oc), (cw, cc) = medians["evenet"], medians["evenet-core"]
            print(f"  {kind:14s} ratio evenet / evenet-core: {cw / ow:.2f} (median wall), {cc / oc:.2f} (median CPU)")
            # Round by round (each round times ours, then evenet-core): the spread of the ratio.
            rounds = list(zip(times[("evenet", kind)], times[("evenet-core", kind)]))
            print(f"  {kind:14s} ratio per round min/median/max: {ratio_spread([c[0] / o[0] for o, c in rounds])} (wall), "
                  f"{ratio_spread([c[1] / o[1] for o, c in rounds])} (CPU)")
    return 0


def run(args) -> int:
    return compare(args, args.preset, optimizer=False)
