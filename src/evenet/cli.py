"""The single command-line entry point: ``evenet <verb> ...``.

Each verb lives in its own module under :mod:`evenet.commands` and exposes
``add_parser(subparsers)``, which registers the verb and sets ``func`` on its
parser; modules are discovered, so adding a verb is adding a file.
``func(args)`` returns the process exit code. ``evenet bench <what>`` works
the same way over :mod:`evenet.bench`.

Errors that a user can fix (bad input file, missing branch, bad config) are
raised as :class:`evenet.errors.UserError`; they are printed as one line on
stderr and give exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from evenet.errors import UserError



def register_subcommands(subparsers, package: str) -> None:
    """Let every module of ``package`` add its own sub-command parser."""
    pkg = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        importlib.import_module(f"{package}.{info.name}").add_parser(subparsers)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evenet", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    register_subcommands(subparsers, "evenet.commands")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except UserError as err:
        print(f"evenet {args.verb}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
