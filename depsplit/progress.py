"""A progress display for long work: a rich status spinner on a terminal's stderr, nothing
at all otherwise (piped, redirected, CI logs)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO


def _interactive(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"
    except ValueError:  # closed stream
        return False


@contextmanager
def progress(
    description: str, *, stream: TextIO | None = None, quiet: bool = False
) -> Iterator[Callable[[str], None]]:
    """Show ``description`` with a spinner while the block runs; yield ``update(text)`` to
    change the text. Silent (and ``update`` a no-op) when ``stream`` (default stderr) is not
    a terminal, or with ``quiet`` (``-q``)."""
    stream = stream if stream is not None else sys.stderr
    if quiet or not _interactive(stream):
        yield lambda _text: None
        return
    try:
        from rich.console import Console
    except ImportError:  # pragma: no cover - rich is a dependency; stay silent without it
        yield lambda _text: None
        return

    console = Console(
        file=stream, no_color="NO_COLOR" in os.environ and bool(os.environ["NO_COLOR"])
    )
    with console.status(description) as status:

        def update(text: str) -> None:
            status.update(text)

        yield update
