"""Line numbers for values that a TOML parser returns without them.

``tomli`` (the standard library's ``tomllib`` upstream, compiled) gives data only, so the
readers find the line of a key or of an array item by scanning the text once with a small,
forgiving TOML lexer (strings, comments, brackets, table headers). It is best effort: it is
exact for ordinary formatting (one key per line, one array item per line or several on one
line) and returns ``None`` rather than a wrong line when it cannot tell. The text is
assumed to have already parsed with ``tomli``. Whole-line patterns take the common lines
without the lexer's character-by-character work, with the same result (see ``_TOP_LINE``).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Hashable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import tomli
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from depsplit.errors import InputError
from depsplit.model import Requirement
from depsplit.nesting import NestingError, toml_loads
from depsplit.sources.base import ReadContext, SourceResult, run_memo

Path_ = tuple[str, ...]

_HEADER = re.compile(r"\s*(\[\[?)(.*?)(\]\]?)\s*(?:#.*)?$")
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_KEY = re.compile(rf"\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")
_PART = re.compile(_KEY_PART)
_BASIC = re.compile(r'"((?:[^"\\]|\\.)*)"')
_LITERAL = re.compile(r"'([^']*)'")
_SCALAR_END = re.compile(r"[\s,\]}#]")
_SPECIAL = re.compile(r"[\"'\[\]{}#]")
"""What the lexer acts on where it records nothing (bare keys, scalars, ``=`` and commas
in valid TOML never hold these)."""
_PARSE_ERROR_LINE = re.compile(r"at line (\d+)")
_PARSE_ERROR_WHERE = re.compile(r"\s*\(at line \d+, (column \d+)\)")


def shown(name: str) -> str:
    """A key or name as it goes into a one-line message: as written when printable, else
    quoted with its line breaks and control characters escaped."""
    return name if name.isprintable() else repr(name)


def localize(req: Requirement, ctx: ReadContext) -> Requirement:
    """A local path requirement (``name @ .``, ``path = "../lib"``, ``file:../lib``) with its
    URL written as requirements files have it: ``file:<path relative to the root>`` (absolute
    when outside the root), so every reader names one directory the same way."""
    url = req.url
    if not url or "://" in url:
        return req
    path, sep, fragment = url.partition("#")
    if path.startswith("file:"):
        path = path[len("file:") :]
    local = Path(path)
    if not local.is_absolute():
        local = ctx.root / posixpath.dirname(req.origin.file) / local
    return replace(req, url=f"file:{ctx.rel(local)}{sep}{fragment}")


def split_dotted(key: str, memo: dict[str, Path_]) -> Path_:
    """``tool."my.group".x`` → ``("tool", "my.group", "x")``, remembered in ``memo`` (the
    run's: a monorepo's TOML files repeat the same keys; cleared when it holds
    :data:`_SPLIT_MAX` keys)."""
    found = memo.get(key)
    if found is None:
        if len(memo) >= _SPLIT_MAX:
            memo.clear()
        found = memo[key] = tuple(_unquote(m.group(0)) for m in _PART.finditer(key))
    return found


_SPLIT_MAX = 65536


def frozen(value: object) -> Hashable | None:
    """A hashable stand-in for a TOML value built of strings and booleans (and arrays and
    tables of them), for memoizing what a reader derives from an entry; ``None`` for any
    other value, which is then not memoized.

    Each leaf keeps its type (``True`` is not ``1``) and each table its key order, so
    values with the same stand-in are the same TOML value, read the same way, with the
    same first bad key in messages."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return (bool, value)
    if isinstance(value, dict):
        entries = []
        for key, item in value.items():
            leaf = item if isinstance(item, str) else frozen(item)  # (the common leaf inline)
            if leaf is None:
                return None
            entries.append((key, leaf))
        return (dict, tuple(entries))
    if isinstance(value, list):
        leaves = []
        for item in value:
            leaf = frozen(item)
            if leaf is None:
                return None
            leaves.append(leaf)
        return (list, tuple(leaves))
    return None


_T = TypeVar("_T")


def memo_by_value(
    memo: dict[tuple[str, Hashable], _T],
    name: str,
    value: object,
    compute: Callable[[str, Any], _T],
    limit: int = 65536,
) -> _T:
    """``compute(name, value)``, remembered in ``memo`` under ``name`` and
    :func:`frozen` ``(value)`` (a monorepo declares the same dependency the same way in
    many files). A value :func:`frozen` cannot stand for is computed every time; so is a
    bad one (``compute`` raises, nothing is remembered). ``memo`` is cleared when it holds
    ``limit`` entries."""
    frozen_value = frozen(value)
    if frozen_value is None:
        return compute(name, value)
    key = (name, frozen_value)
    if key in memo:
        return memo[key]
    found = compute(name, value)
    if len(memo) >= limit:
        memo.clear()
    memo[key] = found
    return found


def canonical_specifier(text: str, ctx: ReadContext) -> str | None:
    """``str(SpecifierSet(text))``, or ``None`` when ``text`` is not a valid specifier set;
    memoized for the run in ``ctx.cache`` (a monorepo repeats its Python constraints),
    cleared when it holds :data:`_SPECIFIERS_MAX` texts."""
    memo: dict[str, str | None] = run_memo(ctx, __name__, "specifier")
    if text in memo:
        return memo[text]
    try:
        found: str | None = str(SpecifierSet(text))
    except InvalidSpecifier:
        found = None
    if len(memo) >= _SPECIFIERS_MAX:
        memo.clear()
    memo[text] = found
    return found


_SPECIFIERS_MAX = 4096


def _unquote(token: str) -> str:
    if token.startswith('"'):
        return _decode_basic(token[1:-1])
    if token.startswith("'"):
        return token[1:-1]
    return token


def _decode_basic(raw: str) -> str:
    if "\\" not in raw:
        return raw
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:  # TOML-only escapes (\e, \U…): the raw text is close enough
        return raw
    return value if isinstance(value, str) else raw


class TomlIndex:
    """Where each key and each top-level array item of a TOML text starts (1-based lines).

    Keys are addressed by their full dotted path, tables included
    (``("tool", "poetry", "dependencies", "flask")``), and by ``occurrence``: the index of
    the enclosing ``[[array.of.tables]]`` entry (0 outside arrays of tables).
    """

    def __init__(self, text: str, split_memo: dict[str, Path_] | None = None) -> None:
        """Index ``text``; ``split_memo`` is the run's memo for :func:`split_dotted` (a
        fresh one when not given)."""
        self._split_memo: dict[str, Path_] = {} if split_memo is None else split_memo
        self._keys: dict[tuple[Path_, int], int] = {}
        self._arrays: dict[tuple[Path_, int], list[int]] = {}
        self._tables: dict[tuple[Path_, int], int] = {}
        self._array_table_counts: dict[Path_, int] = {}
        self._table: Path_ = ()
        self._occ_table: Path_ | None = None
        self._occ = 0
        self._depth = 0
        self._multiline: str | None = None
        self._items: list[int] | None = None
        for number, line in enumerate(text.split("\n"), start=1):
            self._line(line, number)

    # -- queries -------------------------------------------------------------------------

    def key_line(self, path: Path_, occurrence: int = 0) -> int | None:
        """The line of ``key = …`` (or of the ``[table]`` header) at ``path``, else of the
        nearest enclosing key or table (a key inside an inline table has no line of its own
        in this index)."""
        if type(path) is tuple:  # the usual case, and the usual answer: the key itself
            line = self._keys.get((path, occurrence))
            if line is not None:
                return line
        for end in range(len(path), 0, -1):
            key = (tuple(path[:end]), occurrence)
            line = self._keys.get(key) or self._tables.get(key)
            if line is not None:
                return line
        return None

    def items(self, path: Path_, occurrence: int = 0) -> list[int]:
        """The line of each top-level item of the array assigned at ``path``, in order."""
        return self._arrays.get((tuple(path), occurrence), [])

    def item_line(self, path: Path_, index: int, occurrence: int = 0) -> int | None:
        """The line of item ``index`` of the array at ``path``, else the key's line."""
        items = self.items(path, occurrence)
        if index < len(items):
            return items[index]
        return self.key_line(path, occurrence)

    # -- lexer ---------------------------------------------------------------------------

    def _occurrence(self, path: Path_) -> int:
        table = self._occ_table
        if table is not None and path[: len(table)] == table:
            return self._occ
        return 0

    def _line(self, line: str, number: int) -> None:
        if self._multiline is None and self._depth == 0:
            header = _HEADER.match(line)
            if header and line.lstrip().startswith("["):
                self._header(header, number)
                return
            key = _KEY.match(line)
            if key:
                path = self._table + split_dotted(key.group(1), self._split_memo)
                occurrence = self._occurrence(path)
                for end in range(len(self._table) + 1, len(path) + 1):
                    self._keys.setdefault((path[:end], occurrence), number)
                self._value(line, key.end(), number, (path, occurrence))
                return
        self._value(line, 0, number, None)

    def _header(self, match: re.Match[str], number: int) -> None:
        path = split_dotted(match.group(2), self._split_memo)
        if match.group(1) == "[[":
            count = self._array_table_counts.get(path, 0)
            self._array_table_counts[path] = count + 1
            self._occ_table, self._occ = path, count
        self._table = path
        self._tables.setdefault((path, self._occurrence(path)), number)

    def _value(self, line: str, i: int, number: int, key: tuple[Path_, int] | None) -> None:
        """Scan ``line`` from ``i``: strings, comments and brackets; record array items.

        ``key`` is set when the text at ``i`` is the value of a new assignment.
        """
        while i < len(line):
            if self._multiline is not None:
                end = line.find(self._multiline, i)
                if end < 0:
                    return
                i = end + 3
                self._multiline = None
                continue
            if self._items is None or self._depth != 1:
                # Outside a recorded array's top level only strings, brackets and comments
                # matter: jump to the next one.
                special = _SPECIAL.search(line, i)
                if special is None:
                    return
                i = special.start()
            c = line[i]
            if c in " \t,":
                i += 1
                continue
            if c == "#":
                return
            # An item of the recorded array starts here (not its closing bracket).
            items = self._items if self._depth == 1 and c not in "]}" else None
            if c in "\"'":
                i = self._string(line, i, number, items)
            elif c in "[{":
                if items is not None:
                    items.append(number)
                if self._depth == 0 and key is not None and c == "[":
                    self._items = self._arrays.setdefault(key, [])
                self._depth += 1
                i += 1
            elif c in "]}":
                self._depth = max(0, self._depth - 1)
                if self._depth == 0:
                    self._items = None
                i += 1
            else:  # a bare scalar (number, boolean, date) or junk: skip to its end
                if items is not None:
                    items.append(number)
                end_match = _SCALAR_END.search(line, i + 1)
                i = end_match.start() if end_match else len(line)

    def _string(self, line: str, i: int, number: int, items: list[int] | None) -> int:
        """Skip the string at ``i`` (recording its line in ``items`` when given); its end."""
        quote = line[i]
        if line.startswith(quote * 3, i):
            end = line.find(quote * 3, i + 3)
            if items is not None:
                items.append(number)
            if end < 0:
                self._multiline = quote * 3
                return len(line)
            return end + 3
        match = (_BASIC if quote == '"' else _LITERAL).match(line, i)
        if match is None:  # unterminated: invalid TOML, nothing more to learn on this line
            return len(line)
        if items is not None:
            items.append(number)
        return match.end()


def read_toml(path: Path, ctx: ReadContext, result: SourceResult) -> tuple[str, dict[str, Any]]:
    """Read and parse a TOML file and record it in ``result.files``.

    Raises :class:`InputError` (file, reason, line) when the file cannot be read or is not
    valid TOML; readers turn it into one error diagnostic.
    """
    rel = ctx.rel(path)
    if rel not in result.files:
        result.files.append(rel)
    text = ctx.read_text(path)
    parsed: dict[str, dict[str, Any]] = run_memo(ctx, __name__, "toml")
    data = parsed.get(text)
    if data is not None:
        return text, data
    try:
        data = toml_loads(text)
    except NestingError as exc:
        raise InputError(rel, f"invalid TOML: {exc}", exc.line) from exc
    except tomli.TOMLDecodeError as exc:
        message = str(exc)
        reason = _PARSE_ERROR_WHERE.sub(r" (\1)", message)
        raise InputError(rel, f"invalid TOML: {reason}", toml_error_line(message, text)) from exc
    if len(parsed) >= _TOML_MEMO_MAX:
        parsed.clear()
    parsed[text] = data
    return text, data


def read_toml_or_report(
    path: Path, ctx: ReadContext, result: SourceResult
) -> tuple[str, dict[str, Any]] | None:
    """:func:`read_toml`, but ``None`` where it would raise :class:`InputError`: the reason
    is then one error diagnostic in ``result`` (the file is recorded in ``result.files``
    either way)."""
    try:
        return read_toml(path, ctx, result)
    except InputError as exc:
        result.error(exc.file, exc.message, exc.line)
        return None


_TOML_MEMO_MAX = 1024
"""Texts each TOML memo holds at most (it starts over when full).

:func:`read_toml` keeps, in the run's ``ctx.cache``, a valid TOML text → what ``tomli``
parsed from it: a monorepo holds copies of one lock file or pyproject (steps of one
tutorial, templates), and the parse depends on the text alone. The data are shared by
every reader of an equal text, which only read them (no reader changes what it is given).
Invalid texts are not kept: they raise, with their message, each time. :func:`toml_index`
keeps its indexes likewise."""


def toml_index(text: str, ctx: ReadContext) -> TomlIndex:
    """``TomlIndex(text)``, once per distinct text in the run (see :data:`_TOML_MEMO_MAX`):
    an index depends on the text alone and is only queried once built."""
    indexes: dict[str, TomlIndex] = run_memo(ctx, __name__, "toml_index")
    found = indexes.get(text)
    if found is None:
        if len(indexes) >= _TOML_MEMO_MAX:
            indexes.clear()
        found = indexes[text] = TomlIndex(text, run_memo(ctx, __name__, "split_dotted"))
    return found


def parse_toml(text: str) -> dict[str, Any] | None:
    """The parsed TOML text, or ``None`` when it is not valid TOML."""
    try:
        data: dict[str, Any] = toml_loads(text)
    except (tomli.TOMLDecodeError, NestingError):
        return None
    return data


def toml_error_line(message: str, text: str) -> int | None:
    """The line of a ``tomli.TOMLDecodeError`` (``… (at line 3, column 7)``)."""
    match = _PARSE_ERROR_LINE.search(message)
    if match:
        return int(match.group(1))
    if "end of document" in message:
        return text.count("\n") + (0 if text.endswith("\n") else 1) or 1
    return None


def find_line(text: str, needle: str, start: int = 1) -> int | None:
    """The first line at or after ``start`` that contains ``needle``."""
    for number, line in enumerate(text.split("\n")[start - 1 :], start=start):
        if needle in line:
            return number
    return None
