"""``evenet normalize``: normalisation statistics of a stream from its training split."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("normalize", help="per-feature transform, mean and std over the training split")
    p.add_argument("inputs", nargs="+", help="point-cloud HDF5 files of one stream")
    p.add_argument("-o", "--output", required=True, help="normalisation JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from evenet.pointcloud.normalization import write_normalization

    write_normalization(args.inputs, args.output)
    return 0
