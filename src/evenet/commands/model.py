"""``evenet model summary --preset NAME``: parameter counts per component."""

from __future__ import annotations

import json

from evenet.errors import ConfigError

DEFAULT_HEADS = {
    "classification": {"num_classes": 2},
    "point_cloud_generation": {},
    "neutrino_generation": {"num_features": 4},
    "global_generation": {"targets": ["nJet", "HT"]},
}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("model", help="inspect EveNet model presets")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    summary = actions.add_parser("summary", help="parameter counts per component of a preset")
    summary.add_argument("--preset", default="lite", help="tiny, lite or standard (default: lite)")
    summary.add_argument("--heads", help="head configuration as JSON (default: classification + generation heads)")
    summary.set_defaults(func=run_summary)


def run_summary(args) -> int:
    from evenet.model.network import build_model
    from evenet.model.summary import parameter_table

    try:
        heads = json.loads(args.heads) if args.heads else DEFAULT_HEADS
    except json.JSONDecodeError as err:
        raise ConfigError(f"--heads: not valid JSON ({err})") from None
    model = build_model(args.preset, heads)
    print(f"preset {args.preset}")
    for name, n in parameter_table(model):
        print(f"  {name:<36s} {n:>12,d}  ({n / 1e6:6.2f} M)")
    return 0
