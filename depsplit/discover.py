"""Which directories are apps, and which of their files are read.

An app is a directory holding a file that a reader of :data:`depsplit.sources.READERS`
claims as defining one (:mod:`depsplit.sources.builtin`): ``requirements.txt`` (or only
``requirements.in``), a ``requirements/`` folder with a prod/base/main file, a
``pyproject.toml`` with ``[project]`` or ``[tool.poetry]``, a ``Pipfile``, or a
``setup.cfg`` with ``install_requires``. Discovery names no format: each directory's files
are claimed by the readers, in their order.
Hidden directories, ``node_modules``, caches, build outputs and what ``.gitignore`` files
ignore are skipped by name. Two kinds of directory are skipped for what they hold, and each
is reported (:class:`~depsplit.model.Skipped`): depsplit's own generated output (its
``depsplit-plan.json`` is depsplit's, see :func:`generated_by_depsplit`) and a virtualenv
(``pyvenv.cfg`` with an interpreter or a ``site-packages``); never a directory that holds
an app's own dependency files. Symlinked directories are not followed (a symlink loop
cannot trap the walk).

Fail closed: a directory that cannot be listed, or a file that may make a directory an app
and cannot be read, is an error naming it (``problems``), never a directory silently
passed over.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from depsplit import sources
from depsplit.config import Config
from depsplit.model import Diagnostic, Skipped
from depsplit.sources.interface import UNLISTABLE, Claim, Problems, Reader

SKIP_DIRS = frozenset(
    {
        "node_modules",
        "__pycache__",
        "site-packages",
        "build",
        "dist",
        "venv",
        "env",
        "htmlcov",
    }
)
PLAN_FILE = "depsplit-plan.json"


@dataclass
class Candidate:
    """A directory that looks like an app, with the files to read and their roles."""

    path: Path
    claims: list[Claim] = field(default_factory=list)
    """The files the readers of :data:`depsplit.sources.READERS` claim here, in their
    order (the order they are read in). An ``unsure`` claim is a ``pyproject.toml`` or
    ``setup.cfg``: :func:`depsplit.analyze.read_apps` parses it to decide (a project
    table; ``install_requires`` in ``[options]``), and reports it when it cannot be read
    or parsed."""

    @property
    def defining(self) -> list[Path]:
        """The files that make this directory an app."""
        return [c.path for c in self.claims if c.status == "defining"]

    @property
    def unsure(self) -> list[Path]:
        """The files that may make this directory an app (see :attr:`claims`)."""
        return [c.path for c in self.claims if c.status == "unsure"]


_Specs = tuple[tuple[str, object], ...]
"""The ``.gitignore`` files that apply to a directory: (the directory holding one, with a
trailing separator; its compiled patterns), outermost first."""


def _gitignore_matcher(directory: str, parent: _Specs, problems: Problems) -> _Specs:
    gitignore = Path(directory) / ".gitignore"
    if not gitignore.is_file():
        return parent
    import pathspec  # imported only when a .gitignore exists: start-up time matters

    try:
        lines = gitignore.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError as exc:
        # What it ignores would be searched: more apps than meant, and an error says why.
        problems.append((os.fspath(gitignore), f"cannot read: {_reason(exc)}"))
        return parent
    return (*parent, (_with_sep(directory), pathspec.GitIgnoreSpec.from_lines(lines)))


_EXCLUDE_HINT = " (if it holds no app, exclude it: --exclude, or exclude in [tool.depsplit])"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _with_sep(directory: str) -> str:
    return directory if directory.endswith(os.sep) else directory + os.sep


def _posix(path: str) -> str:
    return path if os.sep == "/" else path.replace(os.sep, "/")


def _ignored(path: str, is_dir: bool, specs: _Specs) -> bool:
    """Whether a ``.gitignore`` in ``specs`` ignores ``path`` (below each of their
    directories: the walk only descends, so ``path`` starts with each of them)."""
    for base, spec in specs:
        rel = _posix(path[len(base) :]) + ("/" if is_dir else "")
        if spec.match_file(rel):  # type: ignore[attr-defined]
            return True
    return False


def _glob_match(rel: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        pat = pattern.strip("/")
        if fnmatch.fnmatchcase(rel, pat) or fnmatch.fnmatchcase(rel, pat + "/*"):
            return True
        if pat.startswith("**/") and fnmatch.fnmatchcase(rel, pat[3:]):
            return True
    return False


def walk(
    root: Path,
    config: Config,
    extra_exclude: tuple[str, ...] = (),
    too_deep: list[str] | None = None,
    *,
    problems: list[Diagnostic] | None = None,
    skipped: list[Skipped] | None = None,
) -> list[Candidate]:
    """Every candidate app directory below ``root``, sorted by path. Directories at
    ``config.max_depth`` that have subdirectories are appended to ``too_deep`` (relative
    POSIX paths): they were not searched further. A directory that cannot be listed and a
    ``.gitignore`` or ``requirements/`` folder that cannot be read are appended to
    ``problems`` (errors naming them); directories skipped for what they hold, to
    ``skipped``. Both sorted by path.

    The walk works on the path strings ``os.scandir`` gives (a directory's entries are
    ``directory + os.sep + name``, so a path relative to the root is a slice of it) and
    makes :class:`~pathlib.Path` objects only for the candidates it returns: pathlib's
    parsing, once per directory and entry, cost more than the walk itself.
    """
    top = os.fspath(root.resolve())
    prefix = _with_sep(top)
    unreadable: Problems = []
    passed: list[Skipped] = []
    found = _search(
        top, config.max_depth, config.exclude + extra_exclude, too_deep, unreadable, passed
    )
    found.sort(key=lambda item: item[0])
    if problems is not None:
        once = dict(sorted(unreadable, reverse=True))  # one per path (the shortest message)
        problems.extend(
            Diagnostic("error", message, _rel_of(path, top, prefix))
            for path, message in sorted(once.items())
        )
    if skipped is not None:
        skipped.extend(sorted(passed))
    if not config.apps:
        return [c for _, c in found]
    return [
        c
        for key, c in found
        if _glob_match("." if key == _posix(top) else key[len(_posix(prefix)) :], config.apps)
    ]


def _search(
    top: str,
    max_depth: int,
    exclude: tuple[str, ...],
    too_deep: list[str] | None,
    unreadable: Problems,
    passed: list[Skipped],
) -> list[tuple[str, Candidate]]:
    """The candidate apps in and below the directory ``top`` (an absolute path string),
    each with its POSIX path, in walk order (depth first, children in name order).

    Directories matching ``exclude`` (relative POSIX globs) are not searched, nor those
    below ``max_depth`` (a directory at it with subdirectories is appended to
    ``too_deep`` when given). Paths that cannot be listed or read are appended to
    ``unreadable`` (path, message); directories skipped for what they hold (generated
    output, virtualenvs) to ``passed``."""
    prefix = _with_sep(top)
    found: list[tuple[str, Candidate]] = []
    parents: dict[str, Path] = {}
    readers = sources.READERS
    triggers = _triggers(readers)
    stack: list[tuple[str, int, _Specs]] = [(top, 0, ())]
    while stack:
        directory, depth, specs = stack.pop()
        rel = "." if directory == top else _posix(directory[len(prefix) :])
        try:
            with os.scandir(directory) as it:
                entries = {e.name: e for e in it}
        except OSError as exc:
            if not (exclude and rel != "." and _glob_match(rel, exclude)):
                unreadable.append((directory, f"{UNLISTABLE}: {_reason(exc)}{_EXCLUDE_HINT}"))
            continue
        if ".gitignore" in entries:  # no stat of a missing one in every directory
            specs = _gitignore_matcher(directory, specs, unreadable)
        if exclude and rel != "." and _glob_match(rel, exclude):
            continue
        if (PLAN_FILE in entries or "pyvenv.cfg" in entries) and triggers.isdisjoint(entries):
            why = skip_reason(directory, entries)
            if why is not None:
                passed.append(Skipped(rel, why))
                continue
        candidate = _candidate(directory, entries, parents, unreadable, readers, triggers)
        if candidate is not None:
            found.append((_posix(directory), candidate))
        if depth >= max_depth:
            if too_deep is not None and _has_subdirectory(entries):
                too_deep.append(rel)
            continue
        stack.extend((child, depth + 1, specs) for child in _children_to_visit(entries, specs))
    return found


def _has_subdirectory(entries: Mapping[str, os.DirEntry[str]]) -> bool:
    """Whether ``entries`` (a directory's, by name) hold a directory that is neither
    hidden nor a symlink: one the walk would have descended into below the depth limit
    (skipped names aside)."""
    return any(
        e.is_dir(follow_symlinks=False) and not e.name.startswith(".") for e in entries.values()
    )


def _children_to_visit(entries: Mapping[str, os.DirEntry[str]], specs: _Specs) -> list[str]:
    """The paths of the subdirectories among ``entries`` that the walk descends into, in
    reverse name order (pushed on the walk's stack so they are visited, and any
    too-deep directory reported, in name order): not symlinks, not hidden, not named in
    :data:`SKIP_DIRS`, not ``*.egg-info`` and not ignored by the ``.gitignore`` files of
    ``specs``."""
    children = sorted(
        (
            name
            for name, entry in entries.items()
            if entry.is_dir(follow_symlinks=False)
            and not name.startswith(".")
            and name not in SKIP_DIRS
            and not name.endswith(".egg-info")
        ),
        reverse=True,
    )
    paths = [entries[name].path for name in children]
    if specs:
        return [child for child in paths if not _ignored(child, True, specs)]
    return paths


def _rel_of(path: str, top: str, prefix: str) -> str:
    return "." if path == top else _posix(path[len(prefix) :]) if path.startswith(prefix) else path


def _triggers(readers: Sequence[Reader]) -> frozenset[str]:
    """The names that can make a directory an app (a dev requirements file alone does not)."""
    return frozenset().union(*(r.triggers for r in readers))


def _candidate(
    directory: str,
    entries: dict[str, os.DirEntry[str]],
    parents: dict[str, Path],
    problems: Problems,
    readers: Sequence[Reader],
    triggers: frozenset[str],
) -> Candidate | None:
    """The candidate app at ``directory``: every reader's claims, in the readers' order;
    ``None`` when no file defines it or may (only files that are read for an app)."""
    if triggers.isdisjoint(entries):
        return None  # the common case, decided without a Path, a stat or a read
    path = _dir_path(directory, parents)
    claims = [c for reader in readers for c in reader.claim(path, entries, problems)]
    if all(c.status == "read" for c in claims):
        return None
    return Candidate(path, claims)


def _dir_path(directory: str, parents: dict[str, Path]) -> Path:
    """``Path(directory)``, made by joining its name to its parent's Path (memoized in
    ``parents``): pathlib parses a joined name alone, a whole path component by component,
    and apps are siblings by the thousand."""
    parent, name = os.path.split(directory)
    base = parents.get(parent)
    if base is None:
        base = parents[parent] = Path(parent)
    return base.joinpath(name)


PLAN_MAX_BYTES = 64 * 1024 * 1024
"""A ``depsplit-plan.json`` whose ``generate`` and ``files`` tables do not end within this
many bytes of its end is not taken for depsplit's (its directory is searched like any
other)."""

PLAN_PARSED_BYTES = 8 * 1024 * 1024
"""A ``depsplit-plan.json`` up to this size is parsed whole to be judged; a larger one (the
plan of a few thousand apps: 58 MB at 10,000) by its two ends (:func:`_judged_by_its_ends`):
parsing it cost every later run a second or more, and one over 64 MiB was not recognized,
its generated requirements files then read as apps."""

_PLAN_HEAD_BYTES = 64 * 1024
_PLAN_CHUNK = 1024 * 1024
_PLAN_HEAD = re.compile(rb'\A\s*\{\s*"generated_by"\s*:\s*"(depsplit [^"\\\x00-\x1f]*)"\s*,')
_PLAN_SCHEMA = re.compile(rb'[{,]\s*"schema_version"\s*:\s*-?\d+\s*[,}]')
_PLAN_TOOL = re.compile(rb'[{,]\s*"tool"\s*:\s*\{\s*"name"\s*:\s*"depsplit"\s*[,}]')
_PLAN_GENERATE = re.compile(rb'[{,]\s*"generate"\s*:\s*\{')
_PLAN_FILES = re.compile(rb'[{,]\s*"files"\s*:\s*\{')
_PLAN_END = re.compile(rb"\}\s*\}\s*\Z")
"""The ``files`` table's closing brace and the document's."""


def skip_reason(directory: str, entries: Mapping[str, os.DirEntry[str]]) -> str | None:
    """Why discovery does not search ``directory`` (holding ``entries``): it is depsplit's
    generated output or a virtualenv; ``None`` when it is neither, whatever its files are
    named (a file named ``depsplit-plan.json`` or ``pyvenv.cfg`` alone proves nothing)."""
    if PLAN_FILE in entries:
        version = generated_by_depsplit(os.path.join(directory, PLAN_FILE))
        if version is not None:
            return f"depsplit's generated output ({PLAN_FILE} written by {version})"
    if "pyvenv.cfg" in entries:
        interpreter = _virtualenv_evidence(directory, entries)
        if interpreter is not None:
            return f"a virtualenv (pyvenv.cfg and {interpreter})"
    return None


def generated_by_depsplit(path: str) -> str | None:
    """``"depsplit X.Y.Z"`` when the file at ``path`` is a plan ``depsplit generate``
    wrote: a regular file holding one JSON object with its marker (``generated_by``), the
    report's ``tool`` and ``schema_version``, the ``generate`` options and the ``files``
    the writer recorded (one over :data:`PLAN_PARSED_BYTES` is judged by its two ends,
    :func:`_judged_by_its_ends`, not parsed). ``None`` for anything else: empty, not
    JSON, another tool's."""
    from depsplit.nesting import json_loads

    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return None
        with open(path, "rb") as fh:
            if st.st_size > PLAN_PARSED_BYTES:
                return _judged_by_its_ends(fh, st.st_size)
            data = json_loads(fh.read(PLAN_PARSED_BYTES + 1))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    marker = data.get("generated_by")
    tool = data.get("tool")
    if (
        isinstance(marker, str)
        and marker.startswith("depsplit ")
        and isinstance(tool, dict)
        and tool.get("name") == "depsplit"
        and isinstance(data.get("schema_version"), int)
        and isinstance(data.get("generate"), dict)
        and isinstance(data.get("files"), dict)
    ):
        return marker
    return None


def _judged_by_its_ends(fh: BinaryIO, size: int) -> str | None:
    """:func:`generated_by_depsplit` of a plan too large to parse on every run, from the
    text depsplit writes at its two ends: first the marker, then ``schema_version`` and
    the ``tool`` named depsplit; last the ``generate`` and ``files`` tables, and the
    closing braces of ``files`` and of the document (a plan cut short does not end so).
    The tables are looked for from the end back, at most :data:`PLAN_MAX_BYTES`."""
    head = fh.read(_PLAN_HEAD_BYTES)
    marker = _PLAN_HEAD.match(head)
    if marker is None or not (_PLAN_SCHEMA.search(head) and _PLAN_TOOL.search(head)):
        return None
    end = size
    tail = b""
    files = False
    while end > 0 and size - end < PLAN_MAX_BYTES:
        start = max(0, end - _PLAN_CHUNK)
        fh.seek(start)
        chunk = fh.read(end - start)
        if not tail and not _PLAN_END.search(chunk):
            return None
        # The last bytes of the part read before: a key may straddle two chunks.
        window = chunk + tail[:256]
        files = files or _PLAN_FILES.search(window) is not None
        if files and _PLAN_GENERATE.search(window):
            return marker.group(1).decode("utf-8", "replace")
        tail, end = window, start
    return None


_LIB_PYTHON = re.compile(r"(?:python|pypy)\d+(?:\.\d+)?t?")


def _virtualenv_evidence(directory: str, entries: Mapping[str, os.DirEntry[str]]) -> str | None:
    """What shows that a directory with ``pyvenv.cfg`` is a virtualenv: its interpreter
    (``bin/python``, a symlink that may dangle once its base Python is gone;
    ``Scripts/python.exe``) or its ``lib/pythonX.Y/site-packages``; ``None`` without
    either."""
    for interpreter in ("bin/python", "bin/python3", "Scripts/python.exe"):
        if os.path.lexists(os.path.join(directory, interpreter)):
            return interpreter
    for lib in ("lib", "Lib"):
        if lib not in entries:
            continue
        if lib == "Lib" and os.path.isdir(os.path.join(directory, "Lib", "site-packages")):
            return "Lib/site-packages"
        try:
            names = sorted(os.listdir(os.path.join(directory, lib)))
        except OSError:
            continue
        for name in names:
            if _LIB_PYTHON.fullmatch(name) and os.path.isdir(
                os.path.join(directory, lib, name, "site-packages")
            ):
                return f"{lib}/{name}/site-packages"
    return None


_NAME_OK = re.compile(r"[^a-z0-9_-]+")


def sanitize(text: str) -> str:
    """A compose-service-safe name: ``[a-z0-9][a-z0-9_-]*`` (ASCII-folded, lower-cased)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    name = _NAME_OK.sub("-", folded.lower()).strip("-_")
    name = re.sub(r"-{2,}", "-", name)
    return name


def app_names(paths: list[str], root_name: str) -> dict[str, str]:
    """Unique, deterministic names for app paths (POSIX, relative to the root).

    The directory's own name when unique; otherwise as many parent names as needed to tell
    the clashing ones apart (``services/api`` and ``legacy/api`` → ``services-api``,
    ``legacy-api``); a numeric suffix only when names collapse after sanitizing.
    """
    parts = {p: (p.split("/") if p != "." else [root_name]) for p in paths}
    depth = dict.fromkeys(paths, 1)
    # Each round names again only the paths that took one more parent; a text shared by
    # many paths (copies of one tree) is sanitized once.
    sanitized: dict[str, str] = {}

    def name_of(p: str) -> str:
        text = "-".join(parts[p][-depth[p] :])
        found = sanitized.get(text)
        if found is None:
            found = sanitized[text] = sanitize(text) or "app"
        return found

    names = {p: name_of(p) for p in paths}
    while True:
        by_name: dict[str, list[str]] = {}
        for p, n in names.items():
            by_name.setdefault(n, []).append(p)
        grown = []
        for clash in by_name.values():
            if len(clash) > 1:
                for p in clash:
                    if depth[p] < len(parts[p]):
                        depth[p] += 1
                        grown.append(p)
        if not grown:
            break
        for p in grown:
            names[p] = name_of(p)
    result: dict[str, str] = {}
    used: set[str] = set()
    given = set(names.values())
    for p in sorted(paths):
        name = names[p]
        if name in used:
            i = 2
            while f"{name}-{i}" in used or f"{name}-{i}" in given:
                i += 1
            name = f"{name}-{i}"
        used.add(name)
        result[p] = name
    return result
