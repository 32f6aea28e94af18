"""The `kruise` command."""


class CommandError(Exception):
    """A user-facing failure: printed without a traceback, exit code 1."""
