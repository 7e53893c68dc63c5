"""Exceptions for problems the user can fix; the CLI prints them as one line."""

import functools
import sys


class UserError(Exception):
    """Bad input or configuration. The message names the file or key."""


class InputFileError(UserError):
    """A ROOT/HDF5/YAML input that cannot be read or lacks what is needed."""


class ConfigError(UserError):
    """A configuration value that is missing or invalid; names the key."""


def command(prog: str):
    """Decorate a command's ``main(argv) -> int`` so that a :class:`UserError` ends it as the
    ``evenet`` CLI does: one line ``<prog>: error: <message>`` on stderr and exit status 2
    (argparse's status for bad usage). Anything else is a bug and keeps its traceback.
    """

    def decorate(main):
        @functools.wraps(main)
        def run(argv: list[str] | None = None) -> int:
            try:
                return int(main(argv) or 0)
            except UserError as err:
                print(f"{prog}: error: {err}", file=sys.stderr)
                return 2

        return run

    return decorate
