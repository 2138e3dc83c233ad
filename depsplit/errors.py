"""Errors that reach the user. Data lives on the exception; text is made in ``__str__``.

The CLI maps every :class:`DepsplitError` to its message and :attr:`exit_code` in one place;
core code raises and never exits.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_ERROR = 2

ISSUE_TRACKER = "https://github.com/OWNER/depsplit/issues"
"""Where an unexpected error (a bug in depsplit) is to be reported."""

DEBUG_ENV = "DEPSPLIT_DEBUG"
"""Set (non-empty, not ``0``) to print the traceback of an unexpected error."""


class DepsplitError(Exception):
    """Base of every error depsplit reports to the user (exit code 2 unless said otherwise)."""

    exit_code = EXIT_ERROR


class UsageError(DepsplitError):
    """The command line or configuration asks for something impossible."""


class LocatedError(DepsplitError):
    """An error about a file (relative to the analysed root), and a line when known."""

    def __init__(self, file: str, message: str, line: int | None = None) -> None:
        super().__init__(file, message, line)
        self.file = file
        self.message = message
        self.line = line

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class ConfigError(LocatedError):
    """The configuration file is invalid."""


class InputError(LocatedError):
    """A file cannot be read or parsed."""


class OutputError(DepsplitError):
    """The output directory cannot be written as asked."""
