"""``evenet bench <what>``: throughput benchmarks, each against a floor or a peer in the same run."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    from evenet.cli import register_subcommands

    parser = subparsers.add_parser("bench", help="measure events/s against a floor or peer")
    register_subcommands(parser.add_subparsers(dest="what", required=True, metavar="WHAT"), "evenet.bench")
