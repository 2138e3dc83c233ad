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
from typing import Any

import tomli


class NestingError(ValueError):
    """A document nested more deeply than it can be read."""


def toml_loads(text: str) -> dict[str, Any]:
    """``tomli.loads(text)``; :class:`NestingError` for a document nested too deeply
    (``tomli.TOMLDecodeError`` as usual for invalid TOML)."""
    try:
        return tomli.loads(text)
    except RecursionError:
        raise NestingError(
            "arrays or inline tables nested too deeply (at most 400 levels)"
        ) from None


def json_loads(text: str | bytes) -> Any:
    """``json.loads(text)``; :class:`NestingError` for a document nested too deeply
    (``ValueError`` as usual for invalid JSON)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise NestingError("arrays or objects nested too deeply") from None
