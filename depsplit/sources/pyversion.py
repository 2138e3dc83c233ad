"""Interpreter pins: ``.python-version`` (pyenv, uv) and ``runtime.txt`` (Heroku-style).

A container image is chosen per CPython minor version, so ``3.11`` and ``3.11.4`` both
become ``==3.11.*``. Another interpreter (``pypy3.10``), ``system`` or a virtualenv name is
a warning and no requirement: the file then says nothing about the CPython to use.
"""

from __future__ import annotations

import re
from pathlib import Path

from depsplit.model import Origin, PythonRequirement
from depsplit.sources.base import ReadContext, SourceResult, read_text_or_report

# pyenv / uv spellings: "3.11", "3.11.4", "3.13t" (free-threaded), "3.12-dev", "3.13.0rc1",
# "cpython-3.12" / "cpython@3.12" (uv).
_PYTHON_VERSION = re.compile(
    r"(?:cpython[-@]?)?(?P<major>\d+)(?:\.(?P<minor>\d+))?(?:\.\d+)?"
    r"(?:(?:a|b|rc)\d+)?(?:-dev)?t?",
    re.IGNORECASE,
)
_RUNTIME = re.compile(r"python-(?P<major>\d+)(?:\.(?P<minor>\d+))?(?:\.\d+)?")


def read(path: Path, ctx: ReadContext) -> SourceResult:
    """Read ``.python-version`` (its first non-comment line) or ``runtime.txt``
    (``python-3.8.10``), chosen by file name, into a :class:`PythonRequirement` on the
    minor version. Never raises: an unreadable file or unknown value is a diagnostic.
    """
    result = SourceResult()
    rel = ctx.rel(path)
    text = read_text_or_report(path, ctx, result)
    if text is None:
        return result
    pattern = _RUNTIME if path.name == "runtime.txt" else _PYTHON_VERSION
    for number, line in enumerate(text.split("\n"), start=1):
        value = line.strip()
        if not value or value.startswith("#"):
            continue
        m = pattern.fullmatch(value)
        if m is None:
            result.warning(
                rel, f"{value!r} is not a CPython version; no Python version is taken", number
            )
        elif m["minor"] is None:
            result.python.append(PythonRequirement(f"=={m['major']}.*", Origin(rel, number)))
        else:
            spec = f"=={m['major']}.{m['minor']}.*"
            result.python.append(PythonRequirement(spec, Origin(rel, number)))
        # Only the first version counts: pyenv lists fallbacks after it.
        break
    else:
        result.warning(rel, "no Python version in the file")
    return result
