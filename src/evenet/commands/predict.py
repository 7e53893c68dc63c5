"""``evenet predict``: per-event head outputs of a checkpoint on point-cloud HDF5, written to HDF5."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("predict", help="per-event head outputs (scores, assignments, samples) to HDF5")
    p.add_argument("--checkpoint", required=True, help="last.ckpt / best.ckpt of `evenet train`")
    p.add_argument("--data", required=True, nargs="+", help="point-cloud HDF5 files or directories")
    p.add_argument("--output", required=True, help="predictions HDF5")
    p.add_argument("--split", default="test", choices=["train", "val", "test", "all"],
                   help="events of this split (test); all: every event (samples never trained on)")
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--generate", action="store_true", help="also regenerate whole events (slow: diffusion)")
    p.add_argument("--steps", type=int, default=20, help="diffusion solver steps for sampled outputs")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampled outputs")
    p.add_argument("--neutrino-samples", type=int, default=1,
                   help="K > 1: also write K independent neutrino samples per event (neutrino_generation/samples_k)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--parameters", type=float, nargs="+", default=None,
                   help="parameterised classifier: score every event against these hypothesis parameters "
                        "(e.g. --parameters 500 100 for M_X, M_Y) instead of each event's own")
    p.set_defaults(func=run)


def run(args) -> int:
    import torch

    from evenet.train.predict import predict

    torch.set_num_threads(args.threads)
    n = predict(args.checkpoint, args.data, args.output, split=args.split, batch_size=args.batch_size,
                generate=args.generate, steps=args.steps, seed=args.seed,
                neutrino_samples=args.neutrino_samples, parameters=args.parameters)
    print(f"{n} events -> {args.output}")
    return 0
