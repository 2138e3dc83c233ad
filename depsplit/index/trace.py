"""What one resolution read of the index and left in its finder's memo.

A stored resolution (:mod:`depsplit.transitive.store`) is replayed only when every project
it read still lists the same files, and its effects on the finder's memo (the sdists it took
as having no dependencies, the releases it ignored, the unions it found long) are made again.
The resolution's thread opens a :class:`Trace` with :func:`tracing`; the finder notes each
project page read (:meth:`depsplit.index.finder.Finder.versions`), the resolver each project it
looks for candidates of and each effect. Thread-local: the resolutions of one run go on in
several threads, each with its own trace.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

__all__ = ["Effect", "Trace", "current_trace", "tracing"]

Effect = tuple[str, ...]
"""One entry the resolution left in the finder's memo, or found there, in a JSON-able form
(:func:`depsplit.index.resolve.replay`)."""


class Trace:
    """The projects one resolution read, with the digest of their files then
    (:attr:`depsplit.index.finder.ProjectFiles.digest`), and its effects, in order."""

    def __init__(self) -> None:
        self.reads: dict[str, str] = {}
        self.effects: list[Effect] = []


_LOCAL = threading.local()


def current_trace() -> Trace | None:
    """The calling thread's open trace, if any."""
    trace: Trace | None = getattr(_LOCAL, "trace", None)
    return trace


@contextlib.contextmanager
def tracing() -> Iterator[Trace]:
    """A trace of what the calling thread reads until the block ends."""
    trace = Trace()
    previous = current_trace()
    _LOCAL.trace = trace
    try:
        yield trace
    finally:
        _LOCAL.trace = previous
