"""What every reader shares: the read context (root, limits), safe text reading, the result
type, and turning a PEP 508 string into a :class:`~depsplit.model.Requirement`."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PkgRequirement
from packaging.utils import canonicalize_name

from depsplit.errors import InputError
from depsplit.model import Diagnostic, IndexOption, Origin, PythonRequirement, Requirement, Role
from depsplit.redact import redact_text, redact_url
from depsplit.target import marker_problem

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

    def rel(self, path: Path) -> str:
        """The POSIX path of ``path`` relative to the root (absolute when outside it).

        Memoized per run: readers name the same file for every requirement it holds, and
        resolving a path walks the file system."""
        key = ("rel", os.fspath(path))
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = self._rel(path)
        assert isinstance(found, str)
        return found

    def resolve(self, path: Path) -> Path:
        """``path.resolve()``, memoized per run: a path that is not a symlink resolves to
        its resolved parent plus its name (one ``lstat`` instead of one per component and a
        ``stat``). Symlinks, ``..`` and anything unusual take ``Path.resolve`` itself, with
        its exceptions (a symlink loop raises ``RuntimeError`` on 3.10-3.12)."""
        key = ("resolve", os.fspath(path))
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = Path(self._resolved(key[1]))
        assert isinstance(found, Path)
        return found

    def _resolved(self, path: str) -> str:
        """:meth:`resolve` on strings (pathlib's operations cost more than the lstat)."""
        key = ("resolved", path)
        found = self.cache.get(key)
        if found is not None:
            assert isinstance(found, str)
            return found
        parent, name = os.path.split(path)
        if (
            os.sep != "/"
            or not name
            or name in (".", "..")
            or "\x00" in name
            or not os.path.isabs(parent)
            or os.path.islink(path)
        ):
            found = str(Path(path).resolve())
        else:
            try:
                resolved_parent = self._resolved(parent)  # one lstat per directory
            except (OSError, RuntimeError, ValueError):
                return str(Path(path).resolve())  # raises as the path's own resolution does
            found = f"{resolved_parent.rstrip('/')}/{name}"
        self.cache[key] = found
        return found

    def _rel(self, path: Path) -> str:
        # ``resolve(path).relative_to(root)`` on the (normalized) strings: pathlib's is slow.
        resolved, root = self._resolved(os.fspath(path)), os.fspath(self.root)
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

    def check_inside(self, path: Path, origin: str, line: int | None = None) -> Path:
        """Resolve ``path`` (following symlinks) and refuse it when it leaves the root."""
        try:
            resolved = self.resolve(path)
        except (OSError, RuntimeError) as exc:  # RuntimeError: symlink loop on 3.10-3.12
            raise InputError(origin, f"cannot resolve the path: {exc}", line) from exc
        if not self.allow_outside_root and not resolved.is_relative_to(self.root):
            raise InputError(
                origin,
                "resolves outside the analysed root; pass --allow-outside-root to read it",
                line,
            )
        return resolved

    def read_text(self, path: Path) -> str:
        """Read a dependency file as text. UTF-8 (with or without BOM), any line endings.

        Raises :class:`InputError` for a missing, oversized, binary or non-UTF-8 file and
        for a symlink loop, with the file's relative path.
        """
        rel = self.rel(path)
        try:
            st = path.stat()
        except FileNotFoundError as exc:
            raise InputError(rel, "file not found") from exc
        except OSError as exc:  # ELOOP and friends
            raise InputError(rel, f"cannot read: {exc.strerror or exc}") from exc
        size = st.st_size
        if stat.S_ISDIR(st.st_mode):
            raise InputError(rel, "is a directory, not a file")
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block, /dev/zero never ends
            raise InputError(rel, "is not a regular file (a device, FIFO or socket)")
        self.check_inside(path, rel)  # a symlinked file may point out of the root
        if size > self.max_file_bytes:
            raise InputError(
                rel,
                f"file is {size:,} bytes, over the {self.max_file_bytes:,}-byte limit "
                "(raise max_file_size in [tool.depsplit])",
            )
        try:
            with path.open("rb") as fh:  # bounded: the file may grow while it is read
                data = fh.read(self.max_file_bytes + 1)
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


def parse_requirement(
    text: str,
    origin: Origin,
    role: Role = "main",
    group: str | None = None,
    editable: bool = False,
) -> Requirement:
    """Parse a PEP 508 string. Raises ``ValueError`` with a readable (redacted) reason.

    Parses are memoized by text (a monorepo repeats the same lines across apps)."""
    parsed = _parse_pep508(text)
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
_PARSED: dict[str, _Parsed | str] = {}
_PARSED_MAX = 65536


def _parse_pep508(text: str) -> _Parsed | str:
    """The fields of a PEP 508 string, or the reason it is invalid (cached, bounded)."""
    found = _PARSED.get(text)
    if found is not None:
        return found
    out: _Parsed | str
    if len(text.splitlines()) > 1 or "\n" in text or "\r" in text:
        out = "a requirement cannot hold a line break (a newline, U+2028 or another one)"
        _PARSED[text] = out
        return out
    try:
        req = PkgRequirement(text)
    except InvalidRequirement as exc:
        out = redact_text(str(exc)).splitlines()[0]
    else:
        problem = marker_problem(str(req.marker)) if req.marker is not None else None
        if problem is not None:
            out = redact_text(f"invalid marker {str(req.marker)!r}: {problem}")
            _PARSED[text] = out
            return out
        out = (
            canonicalize_name(req.name),
            req.name,
            as_written(req),
            tuple(sorted(req.extras)),
            redact_text(str(req.marker)) if req.marker is not None else None,
            redact_url(req.url) if req.url else None,
        )
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[text] = out
    return out


def as_written(req: PkgRequirement) -> str:
    """The specifier in the order the user wrote it (``str(SpecifierSet)`` sorts it, which
    makes ``>=3.0,<4`` read as ``<4,>=3.0`` in every message)."""
    return ",".join(str(spec) for spec in req.specifier)


def from_packaging(
    req: PkgRequirement,
    origin: Origin,
    role: Role = "main",
    group: str | None = None,
    editable: bool = False,
) -> Requirement:
    if req.marker is not None:
        problem = marker_problem(str(req.marker))
        if problem is not None:
            raise ValueError(redact_text(f"invalid marker {str(req.marker)!r}: {problem}"))
    return Requirement(
        key=canonicalize_name(req.name),
        name=req.name,
        specifier=as_written(req),
        origin=origin,
        extras=tuple(sorted(req.extras)),
        marker=redact_text(str(req.marker)) if req.marker is not None else None,
        url=redact_url(req.url) if req.url else None,
        editable=editable,
        role=role,
        group=group,
    )
