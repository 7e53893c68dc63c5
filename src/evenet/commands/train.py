"""``evenet train``: pretraining stages and fine-tuning from a training YAML (docs/training.md)."""

from __future__ import annotations

import signal
import sys


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("train", help="train EveNet (pretraining stage or fine-tune) on point-cloud HDF5")
    p.add_argument("--config", required=True, help="training YAML (config/training/*.yaml)")
    p.add_argument("--data", required=True, nargs="+", help="point-cloud HDF5 files or directories of them")
    p.add_argument("--normalization", help="normalization.json of the data (required without --init)")
    p.add_argument("--init", help="checkpoint to start from (stage 2 from stage 1; fine-tune SSL/Full)")
    p.add_argument("--output", required=True,
                   help="run directory: last.ckpt, best.ckpt, config.yaml, metrics.json (and resume/ while training)")
    p.add_argument("--seed", type=int, help="overrides the config's seed")
    p.add_argument("--checkpoint-every", type=int, default=200, metavar="STEPS",
                   help="save the resume checkpoint (<output>/resume/last.ckpt) every STEPS steps")
    p.add_argument("--accelerator", help="cpu | gpu | auto (trainer.accelerator)")
    p.add_argument("--devices", help="devices per node (trainer.devices)")
    p.add_argument("--num-nodes", type=int, help="nodes (trainer.num_nodes)")
    p.add_argument("--precision", help="32-true | bf16-mixed | ... (trainer.precision)")
    p.add_argument("--strategy", help="auto | ddp | ... (trainer.strategy)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. data.train_fraction=0.05 (repeatable)")
    p.set_defaults(func=run)


def run(args) -> int:
    """Exit status 0, or 128 + the signal's number when a signal stopped the run after saving
    its resume checkpoint (rerunning the same command continues from it)."""
    from evenet.train.callbacks import TrainingInterrupted
    from evenet.train.config import load_config
    from evenet.train.run import train

    overrides = list(args.overrides)
    for key, value in (("seed", args.seed), ("trainer.accelerator", args.accelerator),
                       ("trainer.devices", args.devices), ("trainer.num_nodes", args.num_nodes),
                       ("trainer.precision", args.precision), ("trainer.strategy", args.strategy)):
        if value is not None:
            overrides.append(f"{key}={value}")
    config = load_config(args.config, overrides)
    try:
        metrics = train(config, args.data, args.output, normalization=args.normalization, init=args.init,
                        checkpoint_every=args.checkpoint_every)
    except TrainingInterrupted as stop:
        print(f"evenet train: {stop}", file=sys.stderr)
        return 128 + (stop.signum or signal.SIGTERM)
    auc = metrics.get("val_auc")
    print(f"steps {metrics['steps']}, best val loss {metrics['best'].get('loss')} at step "
          f"{metrics['steps_to_min_val_loss']}" + (f", val AUC {auc:.4f}" if auc is not None else ""))
    return 0
