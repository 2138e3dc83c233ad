"""Parsing TOML and JSON documents that may be nested without bound.

Both parsers recurse once per level of nested arrays and tables: a file of a few kilobytes
(``a = [[[[…]]]]``, ``[[[[…]]]]``) exhausts the interpreter's stack and raises
``RecursionError``, which is no input error and escaped every handler as a traceback with
the policy's exit code. Every TOML and JSON document depsplit reads goes through
:func:`toml_loads` or :func:`json_loads`, which turn it into :class:`NestingError`: a
``ValueError``, so a caller reports it as the file's error like any other parse error.

Why no explicit depth bound: ``tomli`` already stops at 400 levels (with a
``RecursionError``), and a walk over the parsed data to measure its depth would cost a
third of the parse of a large lock file. What a parse returns is nested less deeply than
the stack allows, so the readers' own recursion (``repr`` in a message) is bounded too.
"""

from __future__ import annotations

import json
import re
from typing import Any

import tomli


class NestingError(ValueError):
    """A document nested more deeply than it can be read; ``line``: where its brackets
    first open more than :data:`SHOWN_DEPTH` levels deep (counted without regard to
    strings: a hint for the message), when they do."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


SHOWN_DEPTH = 100
"""The depth whose line :class:`NestingError` points at: far deeper than any real
dependency file or report nests (a handful of levels), far shallower than the parsers'
limits."""


def toml_loads(text: str) -> dict[str, Any]:
    """``tomli.loads(text)``; :class:`NestingError` for a document nested too deeply
    (``tomli.TOMLDecodeError`` as usual for invalid TOML)."""
    try:
        return tomli.loads(text)
    except RecursionError:
        raise NestingError(
            "arrays or inline tables nested too deeply (at most 400 levels)", _deep_line(text)
        ) from None


def json_loads(text: str | bytes) -> Any:
    """``json.loads(text)``; :class:`NestingError` for a document nested too deeply
    (``ValueError`` as usual for invalid JSON)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise NestingError("arrays or objects nested too deeply", _deep_line(text)) from None


_BRACKETS = re.compile(r"[\[\]{}]")


def _deep_line(text: str | bytes) -> int | None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > SHOWN_DEPTH:
            return text.count("\n", 0, match.start()) + 1
    return None
