"""Which directories are apps, and which of their files are read.

An app is a directory holding ``requirements.txt`` (or only ``requirements.in``), a
``requirements/`` folder with a prod/base/main file, a ``pyproject.toml`` with ``[project]``
or ``[tool.poetry]``, a ``Pipfile``, or a ``setup.cfg`` with ``install_requires``.
Hidden directories, virtualenvs, ``node_modules``, caches, build outputs, depsplit's own
output and what ``.gitignore`` files ignore are skipped. Symlinked directories are not
followed (a symlink loop cannot trap the walk).
"""

from __future__ import annotations

import fnmatch
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from depsplit.config import Config

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

REQUIREMENTS_DIR_MAIN = ("prod", "production", "main", "base", "requirements")
DEV_NAMES = re.compile(
    r"^(?:requirements[-_.](?:dev|devel|develop|development|test|tests|testing|lint|docs|ci|local)"
    r"|(?:dev|test|tests|testing|lint|docs|ci|local)[-_.]requirements)\.(?:txt|in)$",
    re.IGNORECASE,
)
DEV_DIR_NAMES = re.compile(
    r"^(?:dev|devel|development|test|tests|testing|lint|docs|ci|local)\.(?:txt|in)$", re.I
)
LOCK_FILES = ("uv.lock", "poetry.lock", "Pipfile.lock", "pylock.toml")


@dataclass
class Candidate:
    """A directory that looks like an app, with the files to read and their roles."""

    path: Path
    main: list[Path] = field(default_factory=list)
    """Requirements files whose requirements are production ones."""
    dev: list[Path] = field(default_factory=list)
    pyproject: Path | None = None
    pipfile: Path | None = None
    setup_cfg: Path | None = None
    locks: list[Path] = field(default_factory=list)
    python_files: list[Path] = field(default_factory=list)

    @property
    def defining(self) -> list[Path]:
        """The files that make this directory an app."""
        out = list(self.main)
        out += [p for p in (self.pyproject, self.pipfile, self.setup_cfg) if p is not None]
        return out


def _gitignore_matcher(
    directory: Path, parent: list[tuple[Path, object]]
) -> list[tuple[Path, object]]:
    gitignore = directory / ".gitignore"
    if not gitignore.is_file():
        return parent
    import pathspec  # imported only when a .gitignore exists: start-up time matters

    try:
        lines = gitignore.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError:
        return parent
    return [*parent, (directory, pathspec.GitIgnoreSpec.from_lines(lines))]


def _ignored(path: Path, is_dir: bool, specs: list[tuple[Path, object]]) -> bool:
    for base, spec in specs:
        rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
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
) -> list[Candidate]:
    """Every candidate app directory below ``root``, sorted by path. Directories at
    ``config.max_depth`` that have subdirectories are appended to ``too_deep`` (relative
    POSIX paths): they were not searched further."""
    root = root.resolve()
    exclude = config.exclude + extra_exclude
    found: list[Candidate] = []
    stack: list[tuple[Path, int, list[tuple[Path, object]]]] = [(root, 0, [])]
    while stack:
        directory, depth, specs = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        names = {e.name for e in entries}
        if ".gitignore" in names:  # no stat of a missing one in every directory
            specs = _gitignore_matcher(directory, specs)
        if PLAN_FILE in names or "pyvenv.cfg" in names:
            continue  # depsplit's own output, or a virtualenv
        if exclude:
            rel = directory.relative_to(root).as_posix()
            if rel != "." and _glob_match(rel, exclude):
                continue
        candidate = _candidate(directory, names)
        if candidate is not None:
            found.append(candidate)
        if depth >= config.max_depth:
            if too_deep is not None and any(
                e.is_dir(follow_symlinks=False) and not e.name.startswith(".") for e in entries
            ):
                too_deep.append(directory.relative_to(root).as_posix())
            continue
        for entry in reversed(entries):
            if not entry.is_dir(follow_symlinks=False):
                continue
            if entry.name.startswith(".") or entry.name in SKIP_DIRS:
                continue
            if entry.name.endswith(".egg-info"):
                continue
            child = Path(entry.path)
            if _ignored(child, True, specs):
                continue
            stack.append((child, depth + 1, specs))
    found.sort(key=lambda c: c.path.as_posix())
    if config.apps:
        found = [
            c for c in found if _glob_match(c.path.relative_to(root).as_posix() or ".", config.apps)
        ]
    return found


def _candidate(directory: Path, names: set[str]) -> Candidate | None:
    cand = Candidate(directory)
    if "requirements.txt" in names:
        cand.main.append(directory / "requirements.txt")
    elif "requirements.in" in names:
        cand.main.append(directory / "requirements.in")
    elif "requirements" in names and (directory / "requirements").is_dir():
        sub = directory / "requirements"
        for stem in REQUIREMENTS_DIR_MAIN:
            for ext in (".txt", ".in"):
                if (sub / f"{stem}{ext}").is_file():
                    cand.main.append(sub / f"{stem}{ext}")
                    break
            if cand.main:
                break
        if (sub).is_dir():
            cand.dev.extend(sub / n for n in sorted(os.listdir(sub)) if DEV_DIR_NAMES.match(n))
    for name in sorted(names):
        if DEV_NAMES.match(name):
            cand.dev.append(directory / name)
    if "pyproject.toml" in names and _has_app_table(directory / "pyproject.toml"):
        cand.pyproject = directory / "pyproject.toml"
    if "Pipfile" in names:
        cand.pipfile = directory / "Pipfile"
    if "setup.cfg" in names and _has_install_requires(directory / "setup.cfg"):
        cand.setup_cfg = directory / "setup.cfg"
    if not cand.defining:
        return None
    cand.locks = [directory / n for n in LOCK_FILES if n in names]
    cand.locks += [directory / n for n in sorted(names) if re.fullmatch(r"pylock\.[^.]+\.toml", n)]
    cand.python_files = [directory / n for n in (".python-version", "runtime.txt") if n in names]
    return cand


def _head(path: Path, limit: int = 1 << 20) -> str:
    try:
        if not path.is_file():  # a FIFO would block, a device never ends
            return ""
        with path.open("rb") as fh:
            return fh.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _has_app_table(path: Path) -> bool:
    text = _head(path)
    return bool(re.search(r"^\s*\[\s*(?:project|tool\.poetry)\s*\]", text, re.MULTILINE))


def _has_install_requires(path: Path) -> bool:
    return bool(re.search(r"^\s*install_requires\s*=", _head(path), re.MULTILINE))


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
    while True:
        names = {p: sanitize("-".join(parts[p][-depth[p] :])) or "app" for p in paths}
        by_name: dict[str, list[str]] = {}
        for p, n in names.items():
            by_name.setdefault(n, []).append(p)
        grew = False
        for clash in by_name.values():
            if len(clash) > 1:
                for p in clash:
                    if depth[p] < len(parts[p]):
                        depth[p] += 1
                        grew = True
        if not grew:
            break
    result: dict[str, str] = {}
    used: set[str] = set()
    for p in sorted(paths):
        name = names[p]
        if name in used:
            i = 2
            while f"{name}-{i}" in used or f"{name}-{i}" in names.values():
                i += 1
            name = f"{name}-{i}"
        used.add(name)
        result[p] = name
    return result
