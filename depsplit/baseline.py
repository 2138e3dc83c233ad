"""Compare a run with a baseline: a git revision or a previous ``--format json`` report.

Every conflict is ``new``, ``existing`` or ``resolved`` by its stable id; group changes are
the groups added or removed (by name) and the apps that moved between groups.

A git revision is analysed from the object database: the dependency files of the analysed
directory at that revision are copied into a temporary directory (``git ls-tree`` + ``git
cat-file``), never through the work tree, the index or a worktree, and the same analysis runs
there (see :func:`_export` for what is copied and how).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import posixpath
import subprocess
import tempfile
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from depsplit import sources
from depsplit.discover import PLAN_FILE
from depsplit.errors import UsageError
from depsplit.model import (
    Conflict,
    ConflictKind,
    ConflictRequirement,
    ConflictSide,
    Group,
    Origin,
    PackageConflict,
    Plan,
)
from depsplit.nesting import json_loads
from depsplit.package_conflicts import minimal_sets, set_ids
from depsplit.sources.base import DEFAULT_MAX_FILE_BYTES, ReadContext

MAX_BASELINE_SETS = 5_000_000
"""Most smallest sets of apps a baseline report of schema version 2 may stand for, in all:
its pairs are lists of sides, and a list of N sides is N(N-1)/2 of them."""


class BaselineError(UsageError):
    """The baseline cannot be read: unknown revision, not a git repository, bad report."""

    def __init__(self, spec: str, message: str) -> None:
        super().__init__(spec, message)
        self.spec = spec
        self.message = message

    def __str__(self) -> str:
        return f"--baseline {self.spec}: {self.message}"


@dataclass(frozen=True)
class Baseline:
    """What a comparison needs from the earlier state."""

    source: str
    """What was compared with, as given: ``HEAD~1``, ``report.json``."""
    conflicts: tuple[Conflict, ...] = ()
    groups: tuple[Group, ...] = ()
    unsatisfiable: tuple[str, ...] = ()
    apps: tuple[str, ...] = ()
    errors: int = 0
    """Input errors in the baseline's analysis: its conflict list may be incomplete."""
    by_sides: bool = False
    """The conflicts' ids are their :func:`~depsplit.package_conflicts.set_id` (a report
    of schema version 2, which lists conflicts per package), not the ids of a run."""

    @classmethod
    def from_plan(cls, source: str, plan: Plan) -> Baseline:
        return cls(
            source=source,
            conflicts=tuple(plan.conflicts),
            groups=plan.groups,
            unsatisfiable=plan.unsatisfiable,
            apps=tuple(a.name for a in plan.apps),
            errors=sum(d.level == "error" for d in plan.diagnostics),
        )


@dataclass(frozen=True)
class AppMove:
    """An app whose group changed; ``before``/``after`` is ``None`` for an app that was
    added or removed."""

    app: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class GroupChanges:
    """Groups are matched by their members (the largest overlap first, the same name on a
    tie), so a group that only changed its name is ``renamed``, not removed and added."""

    added: tuple[Group, ...] = ()
    removed: tuple[Group, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    """``(old name, new name)`` of matched groups whose name changed."""
    moved: tuple[AppMove, ...] = ()
    """Apps that left the group they were in (names as they are now: ``before`` is the
    old group's current name, or its old name when it is gone)."""

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.renamed or self.moved)


@dataclass(frozen=True)
class BaselineDiff:
    source: str
    new: tuple[Conflict, ...]
    existing: tuple[Conflict, ...]
    resolved: tuple[Conflict, ...]
    groups: GroupChanges
    new_unsatisfiable: tuple[str, ...] = ()
    baseline_errors: int = 0

    def state(self, conflict: Conflict) -> str:
        """``new`` or ``existing`` for a conflict of the current plan."""
        return "new" if any(c.id == conflict.id for c in self.new) else "existing"

    @property
    def new_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.new)


def diff(baseline: Baseline, current: Plan) -> BaselineDiff:
    """Classify the current plan's conflicts against ``baseline`` and list group changes."""
    before = {c.id: c for c in baseline.conflicts}
    # A report of schema version 2 names each conflict by its sides: the run's conflicts
    # are named the same way to be compared with it.
    ids = set_ids(current.conflicts) if baseline.by_sides else {}
    now = {ids.get(c.id, c.id) for c in current.conflicts}
    new = tuple(c for c in current.conflicts if ids.get(c.id, c.id) not in before)
    existing = tuple(c for c in current.conflicts if ids.get(c.id, c.id) in before)
    resolved = tuple(c for c in baseline.conflicts if c.id not in now)
    return BaselineDiff(
        source=baseline.source,
        new=new,
        existing=existing,
        resolved=resolved,
        groups=group_changes(baseline.groups, current.groups),
        new_unsatisfiable=tuple(
            a for a in current.unsatisfiable if a not in baseline.unsatisfiable
        ),
        baseline_errors=baseline.errors,
    )


def group_changes(before_groups: Iterable[Group], after_groups: Iterable[Group]) -> GroupChanges:
    """Groups added, removed or renamed, and apps whose group changed."""
    before = tuple(before_groups)
    after = tuple(after_groups)
    pairs = sorted(
        (
            (-len(set(old.apps) & set(new.apps)), old.name != new.name, old.name, new.name, i, j)
            for i, old in enumerate(before)
            for j, new in enumerate(after)
            if set(old.apps) & set(new.apps)
        ),
    )
    match: dict[int, int] = {}
    taken: set[int] = set()
    for *_, i, j in pairs:
        if i not in match and j not in taken:
            match[i] = j
            taken.add(j)
    # An old group as it is called now: its match's name, or its own if it is gone.
    now_name = {before[i].name: after[j].name for i, j in match.items()}
    old_of = {app: now_name.get(g.name, g.name) for g in before for app in g.apps}
    new_of = {app: g.name for g in after for app in g.apps}
    moved = tuple(
        AppMove(app, old_of.get(app), new_of.get(app))
        for app in sorted(set(old_of) | set(new_of))
        if old_of.get(app) != new_of.get(app)
    )
    return GroupChanges(
        added=tuple(g for j, g in enumerate(after) if j not in taken),
        removed=tuple(g for i, g in enumerate(before) if i not in match),
        renamed=tuple(
            (before[i].name, after[j].name)
            for i, j in sorted(match.items())
            if before[i].name != after[j].name
        ),
        moved=moved,
    )


# --- loading ---------------------------------------------------------------------------


def load_baseline(
    spec: str,
    root: Path,
    analyze_fn: Callable[[Path], Plan],
    max_file_size: int = DEFAULT_MAX_FILE_BYTES,
) -> Baseline:
    """Read the baseline named by ``spec``: a JSON report file when ``spec`` names a file
    (or ends in ``.json``), else a git revision of the repository holding ``root``, whose
    dependency files ``analyze_fn`` analyses from a temporary copy of the same directory
    (none larger than ``max_file_size`` is read)."""
    path = Path(spec)
    if path.is_file():
        return load_report(spec, path)
    if spec.endswith(".json"):
        raise BaselineError(spec, "no such report file")
    return load_revision(spec, root, analyze_fn, max_file_size)


def load_report(spec: str, path: Path) -> Baseline:
    """Read the conflicts, groups and apps of a ``--format json`` report."""
    try:
        data = json_loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BaselineError(spec, f"cannot read the report: {exc}") from exc
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version not in (1, 2) or not isinstance(data, dict):
        raise BaselineError(spec, "not a depsplit JSON report (schema_version 1 or 2)")
    try:
        if version == 1:
            conflicts = tuple(_conflict(c) for c in data.get("conflicts") or ())
        else:
            conflicts = tuple(
                itertools.chain.from_iterable(
                    minimal_sets(read_package_conflict(c), MAX_BASELINE_SETS)
                    for c in data.get("conflicts") or ()
                )
            )
        return Baseline(
            source=spec,
            by_sides=version == 2,
            conflicts=conflicts,
            groups=tuple(
                Group(
                    name=str(g["name"]),
                    apps=tuple(str(a) for a in g["apps"]),
                    python=str(g.get("python") or ""),
                    splits=tuple(str(s) for s in g.get("splits") or ()),
                )
                for g in data.get("groups") or ()
            ),
            unsatisfiable=tuple(str(a) for a in data.get("unsatisfiable") or ()),
            apps=tuple(str(a["name"]) for a in data.get("apps") or ()),
            errors=sum(
                1
                for d in data.get("diagnostics") or ()
                if isinstance(d, dict) and d.get("level") == "error"
            ),
        )
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError, IndexError) as exc:
        # RecursionError: ``str()`` of a value nested nearly as deeply as the parse allows.
        raise BaselineError(spec, f"malformed depsplit JSON report: {exc!r}") from exc


def _origin(data: dict[str, Any]) -> Origin:
    line = data.get("line")
    return Origin(
        file=str(data["file"]),
        line=int(line) if line is not None else None,
        via=tuple(str(v) for v in data.get("via") or ()),
    )


def _requirements(data: dict[str, Any]) -> tuple[ConflictRequirement, ...]:
    return tuple(
        ConflictRequirement(
            app=str(r["app"]),
            specifier=str(r.get("specifier") or ""),
            origin=_origin(r["origin"]),
            name=str(r.get("name") or ""),
            url=r.get("url"),
            marker=r.get("marker"),
            chain=tuple(str(x) for x in r.get("chain") or ()),
        )
        for r in data.get("requirements") or ()
    )


def _conflict(data: dict[str, Any]) -> Conflict:
    """A conflict of a report of schema version 1 (one smallest set of apps)."""
    return Conflict(
        id=str(data["id"]),
        kind=_kind(data["kind"]),
        package=str(data["package"]),
        apps=tuple(str(a) for a in data["apps"]),
        requirements=_requirements(data),
        message=str(data.get("message") or ""),
    )


def _kind(value: object) -> ConflictKind:
    if value not in ("version", "python", "url"):
        raise ValueError(f"unknown conflict kind {value!r}")
    return value


def read_package_conflict(data: dict[str, Any]) -> PackageConflict:
    """A package's conflicts in a report of schema version 2."""
    sides = []
    for side in data["sides"]:
        apps = tuple(str(a) for a in side["apps"])
        if not apps:
            raise ValueError(f"a side of {data['id']!r} has no app")
        sides.append(
            ConflictSide(
                id=str(side["id"]), identity=None, apps=apps, requirements=_requirements(side)
            )
        )
    return PackageConflict(
        id=str(data["id"]),
        kind=_kind(data["kind"]),
        package=str(data["package"]),
        apps=tuple(str(a) for a in data["apps"]),
        sides=tuple(sides),
        pairs=tuple(tuple(int(i) for i in p) for p in data.get("pairs") or ()),
        sets=tuple(tuple(int(i) for i in p) for p in data.get("sets") or ()),
        message=str(data.get("message") or ""),
    )


def _git(root: Path, *args: str, spec: str, input_bytes: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args],
            input=input_bytes,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise BaselineError(spec, "git is not installed") from exc
    if proc.returncode != 0:
        raise BaselineError(spec, _git_message(proc.stderr, args))
    return proc.stdout


def _git_message(stderr: bytes, args: tuple[str, ...]) -> str:
    text = stderr.decode("utf-8", "replace").strip().splitlines()
    last = text[-1] if text else f"git {args[0]} failed"
    return last.removeprefix("fatal: ")


def repo_prefix(root: Path) -> str | None:
    """``root`` relative to the top of its git work tree (``""`` at the top, POSIX, no
    trailing slash), or ``None`` when ``root`` is not inside a git work tree."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-prefix"],
            capture_output=True,
            check=False,
        )
    except OSError:
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "surrogateescape").strip().rstrip("/")


def load_revision(
    spec: str,
    root: Path,
    analyze_fn: Callable[[Path], Plan],
    max_file_size: int = DEFAULT_MAX_FILE_BYTES,
) -> Baseline:
    """Analyse ``root`` as it was at git revision ``spec``."""
    root = root.resolve()
    toplevel_out = _git(root, "rev-parse", "--show-toplevel", spec=spec)
    toplevel = Path(toplevel_out.decode("utf-8", "surrogateescape").strip())
    prefix = repo_prefix(root) or ""
    try:
        commit_out = _git(
            root, "rev-parse", "--verify", "--end-of-options", f"{spec}^{{commit}}", spec=spec
        )
    except BaselineError as exc:
        raise BaselineError(spec, f"unknown git revision ({exc.message})") from exc
    commit = commit_out.decode().strip()
    with tempfile.TemporaryDirectory(prefix="depsplit-baseline-") as tmp:
        # Same directory name as the real top level: the name of an app at the root
        # comes from it.
        top_copy = Path(tmp) / (toplevel.name or "repo")
        top_copy.mkdir()
        with _Objects(root, spec) as objects:
            tree = _Tree.list(objects, commit, prefix)
            unread = _export(tree, objects, top_copy, max_file_size)
        copy_root = top_copy / prefix if prefix else top_copy
        if not copy_root.is_dir():
            raise BaselineError(spec, f"{prefix or '.'} does not exist at {spec}")
        baseline = Baseline.from_plan(spec, analyze_fn(copy_root))
        return replace(baseline, errors=baseline.errors + unread)


# --- a revision's dependency files, from git's object database ----------------------------
#
# Only the files the analysis reads are copied, each from its blob (``git cat-file``), into
# a fresh temporary directory: nothing from the revision decides where a byte is written but
# the path of a tree entry, checked component by component, and no component is followed if
# it is not a directory this code made (``O_NOFOLLOW`` on every ``openat``). The revision's
# symlinks are never created: one naming a file inside the analysed directory is resolved
# within the tree (not on disk) and its target's content is copied in its place; any other
# (dangling, absolute, leaving the directory, a loop, a directory) is an input error of the
# baseline. A tree git's fsck would refuse (a duplicate name, a name that is both a file and a
# directory, ``..``, ``.git``) is refused whole. A blob larger than ``max_file_size`` is never
# read: its copy is a sparse file of the same size, which the reader refuses as it refuses
# the original.

_ALWAYS = frozenset({".gitignore", "depsplit.toml", PLAN_FILE, "pyvenv.cfg"})
"""File names discovery and the configuration look at; the readers say which of theirs
(:meth:`~depsplit.sources.interface.Reader.may_claim`), and ``-r``/``-c`` includes are
followed from the requirements files."""
_REGULAR = ("100644", "100755")
_SYMLINK = "120000"
_MAX_HOPS = 40
"""Symlinks followed in one resolution (Linux's ``ELOOP`` limit)."""
_MAX_LINK = 4096
"""Longest symlink target read (``PATH_MAX``)."""


def _wanted(path: str) -> bool:
    name = posixpath.basename(path)
    if name in _ALWAYS:
        return True
    parent = posixpath.basename(posixpath.dirname(path))
    return any(reader.may_claim(name, parent) for reader in sources.READERS)


def _parses_includes(path: str) -> bool:
    return path.endswith((".txt", ".in"))


@dataclass(frozen=True)
class _Entry:
    mode: str
    kind: str
    sha: str
    size: int | None


class _Objects:
    """One ``git cat-file --batch`` process, asked for one object at a time."""

    def __init__(self, root: Path, spec: str) -> None:
        self.root = root
        self.spec = spec
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> _Objects:
        return self

    def __exit__(self, *exc: object) -> None:
        proc = self._proc
        if proc is not None:
            assert proc.stdin is not None
            assert proc.stdout is not None
            with contextlib.suppress(OSError):
                proc.stdin.close()
            proc.stdout.close()
            proc.wait()

    def git(self, *args: str) -> bytes:
        return _git(self.root, "--literal-pathspecs", *args, spec=self.spec)

    def blob(self, sha: str, size: int) -> bytes:
        """The content of blob ``sha`` whose size the listing gave as ``size``."""
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(
                    ["git", "-C", str(self.root), "cat-file", "--batch"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except OSError as exc:
                raise BaselineError(self.spec, f"cannot run git: {exc}") from exc
        proc = self._proc
        assert proc.stdin is not None
        assert proc.stdout is not None
        try:
            proc.stdin.write(f"{sha}\n".encode())
            proc.stdin.flush()
        except OSError as exc:
            raise BaselineError(self.spec, f"git cat-file stopped: {exc}") from exc
        header = proc.stdout.readline().split()
        # Never more than the listing announced: the object database is not trusted either.
        if len(header) != 3 or header[1] != b"blob" or header[2] != str(size).encode():
            raise BaselineError(self.spec, f"cannot read object {sha} at {self.spec}")
        content = proc.stdout.read(size)
        proc.stdout.read(1)  # the newline after the content
        if len(content) != size:
            raise BaselineError(self.spec, f"cannot read object {sha} at {self.spec}")
        return content


class _Tree:
    """The entries of a revision below the analysed directory, by path from the top."""

    def __init__(self, objects: _Objects, prefix: str, entries: dict[str, _Entry]) -> None:
        self.objects = objects
        self.prefix = prefix
        self.entries = entries
        self._links: dict[str, str | None] = {}

    @classmethod
    def list(cls, objects: _Objects, commit: str, prefix: str) -> _Tree:
        listing = objects.git(
            "ls-tree",
            "-r",
            "-t",
            "-l",
            "-z",
            "--full-tree",
            commit,
            "--",
            *([prefix] if prefix else []),
        )
        spec = objects.spec
        entries: dict[str, _Entry] = {}
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            fields = meta.decode("ascii", "replace").split()
            if len(fields) != 4:
                raise BaselineError(spec, f"unexpected git ls-tree output at {spec}")
            mode, kind, sha, size = fields
            path = os.fsdecode(raw_path)
            problem = _bad_tree_path(path)
            if problem is None and path in entries:
                problem = "is listed twice"
            if problem is not None:
                raise BaselineError(
                    spec,
                    f"malformed tree at {spec}: {path!r} {problem} (git fsck reports such "
                    "trees; depsplit does not analyse them)",
                )
            entries[path] = _Entry(mode, kind, sha, int(size) if size.isdigit() else None)
        for path in entries:
            parent = posixpath.dirname(path)
            if parent and parent in entries and entries[parent].kind != "tree":
                raise BaselineError(
                    spec,
                    f"malformed tree at {spec}: {parent!r} is both a file and a directory "
                    "(a duplicate name; git fsck reports such trees; depsplit does not "
                    "analyse them)",
                )
        return cls(objects, prefix, entries)

    def inside(self, path: str) -> bool:
        """``path`` (from the top, normalized) is in the analysed directory."""
        return not self.prefix or path == self.prefix or path.startswith(self.prefix + "/")

    def link_target(self, path: str) -> str | None:
        found = self._links.get(path, "")
        if found != "":
            return found
        entry = self.entries[path]
        target: str | None = None
        if entry.size is not None and 0 < entry.size <= _MAX_LINK:
            raw = self.objects.blob(entry.sha, entry.size)
            if b"\0" not in raw:
                target = os.fsdecode(raw)
        self._links[path] = target
        return target

    def resolve(self, path: str) -> str | None:
        """Where ``path`` (from the top) leads inside the tree, symlinks followed as the
        file system would follow them, without touching it; ``None`` when it leads nowhere
        (missing, a loop, an absolute or unreadable target, above the top)."""
        todo = [p for p in path.split("/") if p not in ("", ".")]
        todo.reverse()
        done: list[str] = []
        hops = 0
        while todo:
            part = todo.pop()
            if part == "..":
                if not done:
                    return None
                done.pop()
                continue
            done.append(part)
            here = "/".join(done)
            entry = self.entries.get(here)
            if entry is None:
                return None
            if entry.mode == _SYMLINK:
                hops += 1
                target = self.link_target(here) if hops <= _MAX_HOPS else None
                if target is None or target.startswith("/"):
                    return None
                done.pop()
                todo.extend(reversed([p for p in target.split("/") if p not in ("", ".")]))
            elif todo and entry.kind != "tree":
                return None
        return "/".join(done)


def _bad_tree_path(path: str) -> str | None:
    parts = path.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            return f"has a {part or 'empty'!r} component"
        if part.lower() == ".git":
            return "has a .git component"
    return None


def _export(tree: _Tree, objects: _Objects, dest: Path, max_file_size: int) -> int:
    """Copy the dependency files below ``tree.prefix`` into ``dest`` (paths from the top);
    return how many could not be (each an input error of the baseline)."""
    queue: deque[tuple[str, str]] = deque(
        (path, path)
        for path, entry in sorted(tree.entries.items())
        if entry.kind == "blob" and tree.inside(path) and _wanted(path)
    )
    copies: dict[str, str] = {}  # path in the copy -> the blob it holds (paths from the top)
    read: dict[str, bytes] = {}  # blob path -> content, for those read for their includes
    unread = 0
    while queue:
        copy, source = queue.popleft()
        blob = tree.resolve(source)
        entry = tree.entries.get(blob) if blob is not None else None
        if (
            blob is None
            or entry is None
            or not tree.inside(blob)
            or entry.mode not in _REGULAR
            or entry.size is None
        ):
            unread += 1  # the analysis of the work tree reports it; this one cannot
            continue
        if copy in copies:
            if copies[copy] != blob:
                raise BaselineError(
                    objects.spec,
                    f"cannot reproduce {objects.spec} without its symlinks: {copy} is read "
                    f"both as {copies[copy]} and as {blob}",
                )
            continue
        copies[copy] = blob
        if not (_parses_includes(copy) or copy != source or not _wanted(copy)):
            continue
        if entry.size > max_file_size:
            continue
        if blob not in read:
            read[blob] = objects.blob(entry.sha, entry.size)
        for target in _includes(read[blob], dest, copy):
            # The reader joins the target to the copy's directory (it has no symlinks); the
            # file there is the one the target names from the blob's directory.
            inc_copy = posixpath.normpath(posixpath.join(posixpath.dirname(copy), target))
            inc_source = posixpath.join(posixpath.dirname(blob), target)
            if inc_copy.startswith("../") or inc_copy == ".." or not tree.inside(inc_copy):
                continue  # outside the analysed directory: the reader refuses it
            queue.append((inc_copy, inc_source))
    writer = _Writer(dest, objects.spec)
    try:
        for copy, blob in sorted(copies.items()):
            entry = tree.entries[blob]
            assert entry.size is not None
            if entry.size > max_file_size:
                writer.write(copy, None, entry.size)
            else:
                content = read.get(blob)
                if content is None:
                    content = objects.blob(entry.sha, entry.size)
                writer.write(copy, content, entry.size)
    finally:
        writer.close()
    return unread


def _includes(content: bytes, dest: Path, copy: str) -> list[str]:
    """The local ``-r``/``-c`` targets of a requirements file, as written."""
    from depsplit.sources.requirements_txt import include_targets

    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return []  # the reader reports it
    targets = include_targets(text, dest / copy, ReadContext(root=dest))
    return [t for t in targets if "://" not in t and not t.startswith("/")]


class _Writer:
    """Creates files below ``dest`` without following anything it did not create: each
    directory is made (or found) and opened with ``O_NOFOLLOW`` relative to its parent's
    descriptor, each file created with ``O_EXCL | O_NOFOLLOW``."""

    def __init__(self, dest: Path, spec: str) -> None:
        self.spec = spec
        self._dirs: dict[str, int] = {"": os.open(dest, _DIR_FLAGS)}

    def close(self) -> None:
        for fd in self._dirs.values():
            os.close(fd)
        self._dirs.clear()

    def _dir(self, path: str) -> int:
        fd = self._dirs.get(path)
        if fd is not None:
            return fd
        parent, name = posixpath.split(path)
        parent_fd = self._dir(parent)
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o700, dir_fd=parent_fd)
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
        except OSError as exc:
            raise BaselineError(
                self.spec, f"cannot copy the dependency files of {self.spec}: {path}: {exc}"
            ) from exc
        self._dirs[path] = fd
        return fd

    def write(self, path: str, content: bytes | None, size: int) -> None:
        """``content`` at ``path``, or a sparse file of ``size`` bytes (never read)."""
        parent, name = posixpath.split(path)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(name, flags, 0o600, dir_fd=self._dir(parent))
        except OSError as exc:
            raise BaselineError(
                self.spec, f"cannot copy the dependency files of {self.spec}: {path}: {exc}"
            ) from exc
        with os.fdopen(fd, "wb") as fh:
            if content is None:
                fh.truncate(size)
            else:
                fh.write(content)


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
