"""Compare a run with a baseline: a git revision or a previous ``--format json`` report.

Every conflict is ``new``, ``existing`` or ``resolved`` by its stable id; group changes are
the groups added or removed (by name) and the apps that moved between groups.

A git revision is analysed from the object database: the files of the analysed directory
at that revision are copied into a temporary directory (``git ls-tree`` + ``git cat-file``),
never through the work tree, the index or a worktree, and the same analysis runs there.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from depsplit.errors import UsageError
from depsplit.model import Conflict, ConflictRequirement, Group, Origin, Plan
from depsplit.nesting import json_loads


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

    @classmethod
    def from_plan(cls, source: str, plan: Plan) -> Baseline:
        return cls(
            source=source,
            conflicts=plan.conflicts,
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
    now = {c.id for c in current.conflicts}
    new = tuple(c for c in current.conflicts if c.id not in before)
    existing = tuple(c for c in current.conflicts if c.id in before)
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


def load_baseline(spec: str, root: Path, analyze_fn: Callable[[Path], Plan]) -> Baseline:
    """Read the baseline named by ``spec``: a JSON report file when ``spec`` names a file
    (or ends in ``.json``), else a git revision of the repository holding ``root``, which
    ``analyze_fn`` analyses from a temporary copy of the same directory."""
    path = Path(spec)
    if path.is_file():
        return load_report(spec, path)
    if spec.endswith(".json"):
        raise BaselineError(spec, "no such report file")
    return load_revision(spec, root, analyze_fn)


def load_report(spec: str, path: Path) -> Baseline:
    """Read the conflicts, groups and apps of a ``--format json`` report."""
    try:
        data = json_loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BaselineError(spec, f"cannot read the report: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        raise BaselineError(spec, "not a depsplit JSON report (schema_version 1)")
    try:
        return Baseline(
            source=spec,
            conflicts=tuple(_conflict(c) for c in data.get("conflicts") or ()),
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
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        # RecursionError: ``str()`` of a value nested nearly as deeply as the parse allows.
        raise BaselineError(spec, f"malformed depsplit JSON report: {exc!r}") from exc


def _origin(data: dict[str, Any]) -> Origin:
    line = data.get("line")
    return Origin(
        file=str(data["file"]),
        line=int(line) if line is not None else None,
        via=tuple(str(v) for v in data.get("via") or ()),
    )


def _conflict(data: dict[str, Any]) -> Conflict:
    return Conflict(
        id=str(data["id"]),
        kind=data["kind"],
        package=str(data["package"]),
        apps=tuple(str(a) for a in data["apps"]),
        requirements=tuple(
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
        ),
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


def load_revision(spec: str, root: Path, analyze_fn: Callable[[Path], Plan]) -> Baseline:
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
        _export(root, commit, prefix, top_copy, spec)
        copy_root = top_copy / prefix if prefix else top_copy
        if not copy_root.is_dir():
            raise BaselineError(spec, f"{prefix or '.'} does not exist at {spec}")
        return Baseline.from_plan(spec, analyze_fn(copy_root))


def _export(root: Path, commit: str, prefix: str, dest: Path, spec: str) -> None:
    """Copy the blobs under ``prefix`` at ``commit`` into ``dest`` (paths from the top)."""
    listing = _git(
        root,
        "ls-tree",
        "-r",
        "-z",
        "--full-tree",
        commit,
        "--",
        *([prefix] if prefix else []),
        spec=spec,
    )
    entries: list[tuple[str, str, str]] = []  # (mode, sha, path)
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        if kind != "blob":  # submodules
            continue
        entries.append((mode, sha, os.fsdecode(raw_path)))
    if not entries:
        return
    try:
        proc = subprocess.Popen(
            ["git", "-C", str(root), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError as exc:
        raise BaselineError(spec, f"cannot run git: {exc}") from exc
    assert proc.stdin is not None
    assert proc.stdout is not None
    stdin = proc.stdin

    def feed() -> None:
        try:
            for _, sha, _ in entries:
                stdin.write(f"{sha}\n".encode())
            stdin.close()
        except BrokenPipeError:  # pragma: no cover - git died; reported below
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for mode, _sha, rel in entries:
            content = _read_blob(proc.stdout)
            if content is None:
                raise BaselineError(spec, f"cannot read {rel} at {spec}")
            _place(dest, rel, mode, content)
    finally:
        writer.join()
        proc.stdout.close()
        proc.wait()


def _read_blob(stream: IO[bytes]) -> bytes | None:
    header = stream.readline().split()
    if len(header) != 3 or header[1] != b"blob":
        return None
    size = int(header[2])
    content = stream.read(size)
    stream.read(1)  # the newline after the content
    return content


def _place(dest: Path, rel: str, mode: str, content: bytes) -> None:
    parts = PurePosixPath(rel).parts
    if not parts or any(p in ("", ".", "..") for p in parts):
        return
    target = dest.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    if mode == "120000":
        link = os.fsdecode(content)
        # Relative links that stay inside the copy only; the reader refuses the rest anyway.
        resolved = (target.parent / link).resolve()
        if not os.path.isabs(link) and resolved.is_relative_to(dest.resolve()):
            os.symlink(link, target)
        return
    target.write_bytes(content)
