"""What every reader shares: the read context (root, limits), safe text reading, the result
type, and turning a PEP 508 string into a :class:`~depsplit.model.Requirement`."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PkgRequirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from depsplit.errors import InputError
from depsplit.model import Diagnostic, IndexOption, Origin, PythonRequirement, Requirement, Role
from depsplit.realpaths import RealPaths
from depsplit.redact import redact_text, redact_url
from depsplit.specalgebra import clause_problem
from depsplit.target import marker_problem, short

DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024
"""Larger dependency files are refused (``max_file_size`` in the configuration raises it)."""


@dataclass
class ReadContext:
    root: Path
    """The analysed root, resolved."""
    allow_outside_root: bool = False
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    cache: dict[object, object] = field(default_factory=dict)
    """Per-run memo for readers (a file included by many apps is parsed once)."""
    overlay: Mapping[str, str] = field(default_factory=dict)
    """Relative POSIX path → the text to read instead of the file's (``depsplit suggest``
    re-analyses the tree with its edits applied this way, never writing to it). Only files
    that exist are replaced: their checks (inside the root, size, type) still apply."""
    _rels: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Path string → :meth:`rel` of it."""
    _real: RealPaths = field(default_factory=RealPaths, init=False, repr=False, compare=False)
    """Path strings' resolutions (:meth:`resolved`)."""
    _paths: dict[str, Path] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Path string → :meth:`resolve` of it."""

    def rel(self, path: str | os.PathLike[str]) -> str:
        """The POSIX path of ``path`` relative to the root (absolute when outside it).

        Memoized per run: readers name the same file for every requirement it holds, and
        resolving a path walks the file system."""
        key = os.fspath(path)
        found = self._rels.get(key)
        if found is None:
            found = self._rels[key] = self._rel(key)
        return found

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        """``Path(path).resolve()``, memoized per run (see :meth:`resolved`)."""
        key = os.fspath(path)
        found = self._paths.get(key)
        if found is None:
            found = self._paths[key] = Path(self.resolved(key))
        return found

    def resolved(self, path: str) -> str:
        """``str(Path(path).resolve())``, memoized per run (every requirement names its
        file, and resolving walks the file system): :class:`~depsplit.realpaths.RealPaths`."""
        return self._real.resolved(path)

    def _rel(self, path: str) -> str:
        # ``resolve(path).relative_to(root)`` on the (normalized) strings: pathlib's is slow.
        root = os.fspath(self.root)
        try:
            resolved = self.resolved(path)
        except (OSError, RuntimeError, ValueError):
            # A symlink loop cannot be resolved: name the path as written. Reading it then
            # fails with its own error, on this name.
            absolute = os.path.abspath(path)
            try:
                return Path(absolute).relative_to(self.root).as_posix()
            except ValueError:
                return Path(absolute).as_posix()
        if resolved == root:
            return "."
        prefix = root if root.endswith("/") else root + "/"
        if resolved.startswith(prefix) and os.sep == "/":
            return resolved[len(prefix) :]
        try:
            return self.resolve(path).relative_to(self.root).as_posix()
        except ValueError:
            try:
                return Path(os.path.abspath(path)).relative_to(self.root).as_posix()
            except ValueError:
                return Path(os.path.abspath(path)).as_posix()

    def inside(self, resolved: str) -> bool:
        """Whether a resolved path string is the root or below it (``is_relative_to``,
        on strings: a resolved path is normalized, so a prefix of its parts is a prefix
        of its string up to a separator)."""
        root = os.fspath(self.root)
        if os.sep != "/":
            return Path(resolved).is_relative_to(self.root)
        return resolved == root or resolved.startswith(root if root.endswith("/") else root + "/")

    def check_inside(self, path: str, origin: str, line: int | None = None) -> str:
        """Resolve ``path`` (following symlinks) and refuse it when it leaves the root: the
        resolved path string."""
        try:
            resolved = self.resolved(path)
        except (OSError, RuntimeError) as exc:  # RuntimeError: symlink loop on 3.10-3.12
            raise InputError(origin, f"cannot resolve the path: {exc}", line) from exc
        if not self.allow_outside_root and not self.inside(resolved):
            raise InputError(
                origin,
                "resolves outside the analysed root; pass --allow-outside-root to read it",
                line,
            )
        return resolved

    def read_text(self, path: str | os.PathLike[str]) -> str:
        """Read a dependency file as text. UTF-8 (with or without BOM), any line endings.

        Raises :class:`InputError` for a missing, oversized, binary or non-UTF-8 file and
        for a symlink loop, with the file's relative path.
        """
        file = os.fspath(path)
        rel = self.rel(file)
        try:
            st = os.stat(file)
        except FileNotFoundError as exc:
            raise InputError(rel, "file not found") from exc
        except OSError as exc:  # ELOOP and friends
            raise InputError(rel, f"cannot read: {exc.strerror or exc}") from exc
        size = st.st_size
        if stat.S_ISDIR(st.st_mode):
            raise InputError(rel, "is a directory, not a file")
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block, /dev/zero never ends
            raise InputError(rel, "is not a regular file (a device, FIFO or socket)")
        self.check_inside(file, rel)  # a symlinked file may point out of the root
        if size > self.max_file_bytes:
            raise InputError(
                rel,
                f"file is {size:,} bytes, over the {self.max_file_bytes:,}-byte limit "
                "(raise max_file_size in [tool.depsplit])",
            )
        try:
            # Bounded: the file may grow while it is read.
            data = _read_at_most(file, self.max_file_bytes + 1, size + 1)
        except IsADirectoryError as exc:
            raise InputError(rel, "is a directory, not a file") from exc
        except OSError as exc:
            raise InputError(rel, f"cannot read: {exc.strerror or exc}") from exc
        if len(data) > self.max_file_bytes:
            raise InputError(
                rel,
                f"file is over the {self.max_file_bytes:,}-byte limit "
                "(raise max_file_size in [tool.depsplit])",
            )
        if rel in self.overlay:
            return self.overlay[rel]
        if b"\x00" in data:
            hint = " (UTF-16? save it as UTF-8)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
            raise InputError(rel, f"binary file, not text{hint}")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(
                rel, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8", line
            ) from exc
        return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_at_most(path: str, limit: int, expected: int) -> bytes:
    """The first ``limit`` bytes of the file at ``path`` (all of it when shorter).

    Read unbuffered in pieces of ``expected`` bytes (the size ``stat`` gave, plus one to
    see the end): ``read(limit)`` on a buffered file allocates ``limit`` bytes however
    small the file, which cost more than opening and reading it."""
    chunks = []
    size = 0
    with open(path, "rb", buffering=0) as fh:
        while size < limit:
            chunk = fh.read(min(max(expected, 1 << 16), limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


@dataclass
class SourceResult:
    """What one reader found for one app."""

    requirements: list[Requirement] = field(default_factory=list)
    python: list[PythonRequirement] = field(default_factory=list)
    index_options: list[IndexOption] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    lock_file: str | None = None

    def error(self, file: str, message: str, line: int | None = None) -> None:
        self.diagnostics.append(Diagnostic("error", redact_text(message), file, line))

    def warning(self, file: str, message: str, line: int | None = None) -> None:
        self.diagnostics.append(Diagnostic("warning", redact_text(message), file, line))

    def extend(self, other: SourceResult) -> None:
        self.requirements.extend(other.requirements)
        self.python.extend(other.python)
        self.index_options.extend(other.index_options)
        self.diagnostics.extend(other.diagnostics)
        self.files.extend(f for f in other.files if f not in self.files)
        self.lock_file = self.lock_file or other.lock_file


def read_text_or_report(path: Path, ctx: ReadContext, result: SourceResult) -> str | None:
    """The text of the dependency file at ``path`` as :meth:`ReadContext.read_text` reads
    it, its relative path recorded in ``result.files``; ``None`` when it cannot be read,
    the reason then one error diagnostic in ``result`` (never raises :class:`InputError`)."""
    result.files.append(ctx.rel(path))
    try:
        return ctx.read_text(path)
    except InputError as exc:
        result.error(exc.file, exc.message, exc.line)
        return None


def parse_requirement(
    text: str,
    origin: Origin,
    role: Role = "main",
    group: str | None = None,
    editable: bool = False,
    ctx: ReadContext | None = None,
) -> Requirement:
    """Parse a PEP 508 string. Raises ``ValueError`` with a readable (redacted) reason.

    With ``ctx``, parses are memoized by text for the run (a monorepo repeats the same lines
    across apps); without it, nothing is remembered."""
    parsed = _parse_pep508(text, {} if ctx is None else run_memo(ctx, __name__, "pep508"))
    if isinstance(parsed, str):
        raise ValueError(parsed)
    key, name, specifier, extras, marker, url = parsed
    return Requirement(
        key=key,
        name=name,
        specifier=specifier,
        origin=origin,
        extras=extras,
        marker=marker,
        url=url,
        editable=editable,
        role=role,
        group=group,
    )


_Parsed = tuple[str, str, str, tuple[str, ...], "str | None", "str | None"]
_PARSED_MAX = 65536
"""Texts the memo of :func:`_parse_pep508` holds at most (it starts over when full)."""


def run_memo(ctx: ReadContext, module: str, kind: Hashable) -> dict[Any, Any]:
    """The run's memo named ``kind`` of ``module``: a dict kept in ``ctx.cache`` under
    ``(module, kind)``, created empty on first use. Kept for one run only, so that nothing
    read survives it; the caller bounds its size."""
    key = (module, kind)
    memo = ctx.cache.get(key)
    if memo is None:
        memo = ctx.cache[key] = {}
    assert isinstance(memo, dict)
    return memo


def _parse_pep508(text: str, memo: dict[str, _Parsed | str]) -> _Parsed | str:
    """The fields of a PEP 508 string, or the reason it is invalid, remembered in ``memo``
    (the run's, bounded)."""
    found = memo.get(text)
    if found is not None:
        return found
    out: _Parsed | str
    if len(text.splitlines()) > 1 or "\n" in text or "\r" in text:
        out = "a requirement cannot hold a line break (a newline, U+2028 or another one)"
        memo[text] = out
        return out
    simple = simple_pep508(text)
    if simple is not None:  # what packaging makes of it, read more cheaply
        name, specifiers = simple
        joined = _joined(specifiers)
        problem = clause_problem(joined)
        out = problem or (canonicalize_name(name), name, joined, (), None, None)
        if len(memo) >= _PARSED_MAX:
            memo.clear()
        memo[text] = out
        return out
    try:
        req = PkgRequirement(text)
    except InvalidRequirement as exc:
        out = redact_text(str(exc)).splitlines()[0]
    else:
        problem = marker_problem(str(req.marker)) if req.marker is not None else None
        if problem is not None:
            out = redact_text(f"invalid marker {short(str(req.marker))!r}: {problem}")
            memo[text] = out
            return out
        problem = clause_problem(as_written(req))
        if problem is not None:
            memo[text] = problem
            return problem
        out = (
            canonicalize_name(req.name),
            req.name,
            as_written(req),
            tuple(sorted(req.extras)),
            redact_text(str(req.marker)) if req.marker is not None else None,
            redact_url(req.url) if req.url else None,
        )
    if len(memo) >= _PARSED_MAX:
        memo.clear()
    memo[text] = out
    return out


_SIMPLE_PEP508 = re.compile(
    r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)([=<>!~][A-Za-z0-9._+*!=<>~,-]*)?"
)
"""``name`` or ``name<specifiers>``: no whitespace, extras, URL, marker or parenthesis."""


def simple_pep508(text: str) -> tuple[str, SpecifierSet] | None:
    """The name and the specifier set of a plain ``name`` / ``name<specifiers>`` string,
    exactly as ``packaging.requirements.Requirement`` reads them (the set as it would hold
    it, clauses in the order written), at a third of its cost (its tokenizer is most of
    the read phase); ``None`` for any other string, or one this way cannot vouch for: the
    caller then asks packaging.

    Why it is the same: the name ends with a letter or digit and is followed by the end
    or by an operator character (``=<>!~``), which packaging's ``IDENTIFIER`` token cannot
    go past, so the token is that name; no bracket, ``@``, parenthesis, ``;`` or blank
    follows, so there are no extras, URL or marker, and the rest is the whole specifier
    list, which packaging hands to ``SpecifierSet`` in one piece (as here) when that
    parses and yields one clause per comma-separated item. Otherwise (an invalid clause,
    an empty item) packaging parses it token by token, and so the caller does.
    ``tests/test_perf_shortcuts.py`` compares the two ways."""
    match = _SIMPLE_PEP508.fullmatch(text)
    if match is None:
        return None
    name, rest = match.groups()
    try:
        specifiers = SpecifierSet(rest or "")
    except InvalidSpecifier:
        return None
    if rest is not None and len(specifiers) != rest.count(",") + 1:
        return None
    return name, specifiers


def as_written(req: PkgRequirement) -> str:
    """The specifier in the order the user wrote it (``str(SpecifierSet)`` sorts it, which
    makes ``>=3.0,<4`` read as ``<4,>=3.0`` in every message)."""
    return _joined(req.specifier)


def _joined(specifiers: SpecifierSet) -> str:
    """The clauses of ``specifiers`` in the order it holds them, joined (beware: once
    ``str()`` has been called on a set, it holds them sorted and deduplicated)."""
    return ",".join(str(spec) for spec in specifiers)
