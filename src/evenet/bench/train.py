"""``evenet bench train``: training throughput (events/s) through the data pipeline against the
model alone (the floor for data-loading overhead), and model FLOP utilisation on known GPUs.

``evenet bench train --vs-core [--batch N]`` instead times whole optimisation steps (forward,
backward, LION update) of our lite preset and of evenet-core's 20M network, interleaved, for
the classification-only and the full pretraining step (see :mod:`evenet.bench.model`).

FLOPs of one optimisation step (forward + backward) are counted with
``torch.utils.flop_counter.FlopCounterMode``; utilisation = achieved FLOP/s / the device's
dense peak for the dtype (table below; "n/a" on CPU and unknown devices).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

# Dense peak TFLOP/s by (device-name fragment, dtype).
PEAK_TFLOPS = {
    ("H100", "bf16"): 989.0, ("H100", "fp32"): 67.0,
    ("H200", "bf16"): 989.0, ("H200", "fp32"): 67.0,
    ("A100", "bf16"): 312.0, ("A100", "fp32"): 19.5,
}
HEADS = {"classification": {"num_classes": 2}, "point_cloud_generation": {}}


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("train", help="training events/s (pipeline vs model alone) and MFU")
    p.add_argument("--preset", default="tiny", choices=["tiny", "lite", "standard"])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--dtype", default="fp32", choices=["fp32", "bf16"])
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=10, help="timed optimisation steps per measurement")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--vs-core", action="store_true",
                   help="time optimisation steps of lite and evenet-core 20M, interleaved (see evenet bench model)")
    p.add_argument("--batch", type=int, default=None, help="--vs-core: batch size (default --batch-size)")
    p.add_argument("--rounds", type=int, default=5, help="--vs-core: timed steps per implementation and step kind")
    p.set_defaults(func=run)


def peak_tflops(device_name: str, dtype: str) -> float | None:
    for (fragment, kind), value in PEAK_TFLOPS.items():
        if fragment in device_name and kind == dtype:
            return value
    return None


def run(args) -> int:
    if args.vs_core:
        from evenet.bench.model import compare

        args.batch = args.batch or args.batch_size
        args.bf16 = args.dtype == "bf16"
        return compare(args, "lite", optimizer=True)
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from evenet.errors import ConfigError
    from evenet.model.normalization import load_statistics
    from evenet.train.config import load_config
    from evenet.train.dataset import PointCloudStream, expand_inputs, index_blocks
    from evenet.train.lightning_module import EveNetModule
    from evenet.train.optimizers import build_optimizer
    from evenet.train.synthetic import write_synthetic_stream

    if args.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA device available")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    autocast_dtype = torch.bfloat16 if args.dtype == "bf16" else None
    config = load_config(None, [f"model.preset={args.preset}", f"model.heads={HEADS}".replace("'", "")])
    n_batches = args.steps + 2

    with tempfile.TemporaryDirectory() as tmp:
        events_per_class = (n_batches * args.batch_size * 10) // 16 + args.batch_size
        files, norm = write_synthetic_stream(Path(tmp), events_per_class=events_per_class)
        module = EveNetModule(config, load_statistics(norm)).to(device)
        optimizer = build_optimizer([{"params": module.parameters(), "lr": 1e-4, "weight_decay": 0.01}], "lion",
                                    (0.9, 0.99))
        files = expand_inputs([tmp])
        stream = PointCloudStream(files, index_blocks(files, "train", 4096), args.batch_size, seed=0)

        def to_device(batch):
            return {k: (v.to(device, non_blocking=True) if torch.is_tensor(v) else v) for k, v in batch.items()}

        def step(batch):
            with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
                loss, _, _ = module._losses(batch, 1.0)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

        def sync():
            if device.type == "cuda":
                torch.cuda.synchronize()

        def timed(batches) -> float:
            iterator = iter(batches)
            for _ in range(2):
                step(to_device(next(iterator)))
            sync()
            start = time.perf_counter()
            for _ in range(args.steps):
                step(to_device(next(iterator)))
            sync()
            return time.perf_counter() - start

        module.train()
        pipeline_s = timed(stream)
        fixed = to_device(next(iter(stream)))
        floor_s = timed(iter(lambda: fixed, None))
        with FlopCounterMode(display=False) as counter:
            step(fixed)
        flops = counter.get_total_flops()

    events = args.steps * args.batch_size
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    peak = peak_tflops(name, args.dtype) if device.type == "cuda" else None
    achieved = flops * args.steps / pipeline_s
    mfu = f"{achieved / (peak * 1e12):.2%} of {peak:g} TFLOP/s" if peak else "n/a"
    parameters = sum(p.numel() for p in module.parameters())
    print(f"evenet bench train: preset {args.preset} ({parameters / 1e6:.2f}M parameters), {name}, {args.dtype}, "
          f"batch {args.batch_size}, {args.steps} steps, heads {', '.join(HEADS)}")
    print(f"  pipeline (HDF5 stream + step): {events / pipeline_s:10.1f} events/s")
    print(f"  model alone (floor):           {events / floor_s:10.1f} events/s")
    print(f"  pipeline / floor:              {floor_s / pipeline_s:10.3f}")
    print(f"  FLOPs per step: {flops / 1e9:.2f} GFLOP; achieved {achieved / 1e12:.3f} TFLOP/s; MFU {mfu}")
    return 0
