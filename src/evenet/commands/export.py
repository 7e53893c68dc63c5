"""``evenet export <format>``: point-cloud HDF5 in another tool's input format (``spanet``)."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("export", help="point-cloud HDF5 -> another tool's input format")
    formats = p.add_subparsers(dest="format", required=True, metavar="FORMAT")
    s = formats.add_parser("spanet", help="SPANet 2.x HDF5 and event-info YAML (docs/haa.md)")
    s.add_argument("inputs", nargs="+", help="point-cloud HDF5 files (or directories) of one stream")
    s.add_argument("-o", "--output", required=True, help="SPANet HDF5")
    s.add_argument("--event-info", help="also write SPANet's event-info YAML here")
    s.add_argument("--split", default="train", choices=["train", "val", "test"], help="events of this split")
    s.add_argument("--fraction", type=float, default=1.0,
                   help="training-size subset, drawn as `evenet train` draws data.train_fraction")
    s.add_argument("--subset-seed", type=int, default=0, help="seed of that subset (data.subset_seed)")
    s.set_defaults(func=run_spanet)


def run_spanet(args) -> int:
    from evenet.errors import ConfigError
    from evenet.pointcloud.spanet_format import export

    if not 0.0 < args.fraction <= 1.0:
        raise ConfigError(f"--fraction: {args.fraction} is not in (0, 1]")
    n = export(args.inputs, args.output, args.event_info, args.split, args.fraction, args.subset_seed)
    print(f"{n} events -> {args.output}")
    return 0
