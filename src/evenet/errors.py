"""Exceptions for problems the user can fix; the CLI prints them as one line."""


class UserError(Exception):
    """Bad input or configuration. The message names the file or key."""


class InputFileError(UserError):
    """A ROOT/HDF5/YAML input that cannot be read or lacks what is needed."""


class ConfigError(UserError):
    """A configuration value that is missing or invalid; names the key."""
