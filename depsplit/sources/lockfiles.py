"""Lock files: ``uv.lock``, ``poetry.lock``, ``Pipfile.lock`` and PEP 751 ``pylock.toml``.

Each locked package becomes a pin ``name==version`` with role ``lock``, at the line of its
name. Only what a production install would get is read:

- ``uv.lock``: the project itself and workspace members (``source = { editable = … }`` or
  ``{ virtual = … }``) are local code, not pins. A package locked at several versions for
  different environments carries its ``resolution-markers`` as its marker.
- ``poetry.lock``: lock format 1.x marks dev packages with ``category = "dev"``; format
  2.1 (Poetry 2) lists ``groups`` and has per-group ``markers`` (a string, or a table
  keyed by group). Packages outside the ``main`` group are skipped; format 2.0 records no
  groups, so all its packages are read.
- ``Pipfile.lock``: the ``default`` section (``develop`` is dev); versions are written
  ``"==1.2.3"``; ``markers`` are kept; VCS and path entries become URL pins, except the
  project itself (``path = "."``).
- ``pylock.toml``: ``[[packages]]`` with a ``version`` (a directory or archive without
  one is local and skipped), with its ``marker``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from depsplit.errors import InputError
from depsplit.model import Origin
from depsplit.sources import pipfile
from depsplit.sources.base import ReadContext, SourceResult, parse_requirement
from depsplit.sources.locate import find_line, localize, read_toml, shown, toml_index


def read(path: Path, ctx: ReadContext) -> SourceResult:
    """Read the pins of a lock file, chosen by its name (``uv.lock``, ``poetry.lock``,
    ``Pipfile.lock``, ``pylock.toml`` / ``pylock.<name>.toml``), and set ``lock_file``.
    Never raises for bad content: each bad entry is one error diagnostic with its line.
    """
    result = SourceResult()
    rel = ctx.rel(path)
    result.lock_file = rel
    try:
        if path.name == "Pipfile.lock":
            _pipfile_lock(path, ctx, rel, result)
        else:
            text, data = read_toml(path, ctx, result)
            _toml_lock(path.name, text, data, rel, result, ctx)
    except InputError as exc:
        result.error(exc.file, exc.message, exc.line)
    return result


class _Pins:
    def __init__(self, rel: str, result: SourceResult, ctx: ReadContext) -> None:
        self.rel = rel
        self.result = result
        self.ctx = ctx

    def add(self, text: str, line: int | None, editable: bool = False) -> None:
        try:
            req = parse_requirement(text, Origin(self.rel, line), role="lock", editable=editable)
        except ValueError as exc:
            self.result.error(self.rel, f"invalid locked package {text!r}: {exc}", line)
            return
        self.result.requirements.append(localize(req, self.ctx))

    def error(self, message: str, line: int | None) -> None:
        self.result.error(self.rel, message, line)


def _toml_lock(
    name: str, text: str, data: dict[str, Any], rel: str, result: SourceResult, ctx: ReadContext
) -> None:
    table = "packages" if name.startswith("pylock.") else "package"
    packages = data.get(table, [])
    index = toml_index(text)
    pins = _Pins(rel, result, ctx)
    if not isinstance(packages, list):
        pins.error(f"[[{table}]] must be an array of tables", index.key_line((table,)))
        return
    items = index.items((table,))  # pylock may write `packages = [{…}, …]`
    for i, package in enumerate(packages):
        line = items[i] if i < len(items) else index.key_line((table, "name"), i)
        if not isinstance(package, Mapping):
            pins.error(f"[[{table}]] entry must be a table", line)
            continue
        pkg_name, version = package.get("name"), package.get("version")
        if not isinstance(pkg_name, str):
            pins.error(f"[[{table}]] entry without a name", line)
            continue
        if version is None:
            continue  # a local directory, archive or dynamic-version project
        if not isinstance(version, str):
            pins.error(f"{shown(pkg_name)}: version must be a string", line)
            continue
        if name == "uv.lock":
            keep, marker = _uv(package)
        elif name == "poetry.lock":
            keep, marker = _poetry(package)
        else:
            keep, marker = True, package.get("marker")
        if not keep:
            continue
        if marker is not None and not isinstance(marker, str):
            pins.error(f"{shown(pkg_name)}: the marker must be a string", line)
            continue
        pins.add(f"{pkg_name}=={version}" + (f"; {marker}" if marker else ""), line)


def _uv(package: Mapping[str, Any]) -> tuple[bool, object]:
    """Whether to keep the package (local code is not a pin), and its marker: the
    environments it was resolved for."""
    source = package.get("source")
    if isinstance(source, Mapping) and ("editable" in source or "virtual" in source):
        return False, None
    markers = package.get("resolution-markers")
    if not isinstance(markers, list) or not markers:
        return True, markers or None
    if len(markers) == 1:
        return True, markers[0]
    return True, " or ".join(f"({m})" for m in markers)


def _poetry(package: Mapping[str, Any]) -> tuple[bool, object]:
    """Whether the package is in the main group, and its marker there."""
    if package.get("category", "main") != "main":
        return False, None
    groups = package.get("groups")
    if isinstance(groups, list) and "main" not in groups:
        return False, None
    markers = package.get("markers")
    return True, markers.get("main") if isinstance(markers, Mapping) else markers


def _pipfile_lock(path: Path, ctx: ReadContext, rel: str, result: SourceResult) -> None:
    result.files.append(rel)
    text = ctx.read_text(path)
    pins = _Pins(rel, result, ctx)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        pins.error(f"invalid JSON: {exc.msg}", exc.lineno)
        return
    default = data.get("default", {}) if isinstance(data, dict) else None
    start = find_line(text, '"default"') or 1
    if not isinstance(default, dict):
        pins.error('"default" must be an object of packages', start)
        return
    # find_line(text, needle, start) for each package, without splitting the text each
    # time: the needle holds no line break, so the first match at or after the start of
    # line ``start`` is on the first line that contains it.
    offset = _line_offset(text, start)
    for name, entry in default.items():
        found = text.find(f"{json.dumps(name)}: {{", offset)
        line = text.count("\n", 0, found) + 1 if found >= 0 else start
        if isinstance(entry, Mapping) and entry.get("path") == ".":
            continue  # the project itself
        try:
            text_, editable = pipfile.entry_requirement(name, entry)
        except TypeError as exc:
            pins.error(f"{shown(name)}: {exc}", line)
            continue
        pins.add(text_, line, editable=editable)


def _line_offset(text: str, number: int) -> int:
    """Where line ``number`` (1-based, an existing line) of ``text`` starts."""
    offset = 0
    for _ in range(number - 1):
        offset = text.index("\n", offset) + 1
    return offset
