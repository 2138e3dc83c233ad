"""Errors of the index layer: every one names the package and the index (redacted), exit 2.

An index that cannot be read, a project whose metadata cannot be known and an offline cache
miss are never taken as "no conflict": they stop the analysis with one of these.
"""

from __future__ import annotations

from depsplit.errors import DepsplitError
from depsplit.redact import redact_text


class IndexError_(DepsplitError):
    """A package index (or ``--find-links`` location) could not give what was needed."""

    def __init__(self, package: str | None, index: str | None, message: str) -> None:
        super().__init__(package, index, message)
        self.package = package
        self.index = redact_text(index) if index else index
        self.message = redact_text(message)

    def __str__(self) -> str:
        who = f"{self.package}: " if self.package else ""
        where = f" (index {self.index})" if self.index else ""
        return f"{who}{self.message}{where}"


class NetworkError(IndexError_):
    """Timeouts, connection failures and 5xx answers that outlived the retries."""


class ResponseTooLarge(IndexError_):
    """An answer over its size limit (a page, a metadata file, an archive): never retried,
    it would only be as large again."""


class DeadlineExceeded(NetworkError):
    """A request that did not complete within its overall deadline (a server sending one
    byte at a time never trips the per-read timeout)."""


class BadMetadataError(IndexError_):
    """A metadata file that does not parse, or whose hash or name/version do not match."""


class InvalidMetadata(BadMetadataError):
    """Metadata that parses but lists an invalid requirement (``Requires-Dist: click
    (>=7.*)``, no longer PEP 440): what the index serves for that file every time. pip
    (24.1 on) ignores such a release; so does the resolver
    (:class:`~depsplit.index.resolve._Provider`), naming it in a warning."""


class UnknownPackageError(IndexError_):
    """The dependencies of a release cannot be known without building it (sdist only) or
    the requirement is not resolvable through an index (direct URL, local path)."""


class BuildError(UnknownPackageError):
    """An sdist whose build backend could not prepare its metadata (in isolation, within
    the time limit): its dependencies cannot be known."""


class OfflineCacheMiss(IndexError_):
    """``--offline`` and the cache does not hold what the resolution needs."""


__all__ = [
    "BadMetadataError",
    "BuildError",
    "DeadlineExceeded",
    "IndexError_",
    "InvalidMetadata",
    "NetworkError",
    "OfflineCacheMiss",
    "ResponseTooLarge",
    "UnknownPackageError",
]
