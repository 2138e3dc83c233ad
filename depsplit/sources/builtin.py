"""The readers of the formats depsplit knows (:class:`~depsplit.sources.interface.Reader`).

Each claims its files by name (``pyproject.toml`` and ``setup.cfg`` as unsure: parsed
whole, they define an app only with a project table or ``install_requires`` in
``[options]``) and reads them with its format module, imported when first read: discovery
alone never loads a parser. A new format is a module with its own reader, added to
:data:`depsplit.sources.READERS`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from depsplit.sources.interface import UNLISTABLE, Claim, Problems

if TYPE_CHECKING:
    from depsplit.config import Config
    from depsplit.sources.base import ReadContext, SourceResult

REQUIREMENTS_DIR_MAIN = ("prod", "production", "main", "base", "requirements")
"""The stems of a ``requirements/`` folder's production file, the first one found."""
DEV_NAMES = re.compile(
    r"^(?:requirements[-_.](?:dev|devel|develop|development|test|tests|testing|lint|docs|ci|local)"
    r"|(?:dev|test|tests|testing|lint|docs|ci|local)[-_.]requirements)\.(?:txt|in)$",
    re.IGNORECASE,
)
DEV_DIR_NAMES = re.compile(
    r"^(?:dev|devel|development|test|tests|testing|lint|docs|ci|local)\.(?:txt|in)$", re.I
)
LOCK_FILES = ("uv.lock", "poetry.lock", "Pipfile.lock", "pylock.toml")
PYLOCK = re.compile(r"pylock\.[^.]+\.toml")
PYTHON_FILES = (".python-version", "runtime.txt")


class _Base:
    """What most readers share: no triggers, no related files, always enabled, nothing
    unsure."""

    name = ""
    triggers: frozenset[str] = frozenset()
    related_files: tuple[tuple[str, str], ...] = ()
    app_when_installed = False
    names: frozenset[str] = frozenset()
    """The file names it may claim in any directory (see :meth:`may_claim`)."""

    def may_claim(self, name: str, parent: str) -> bool:
        return name in self.names

    def settle(self, path: Path, ctx: ReadContext) -> bool:
        return False

    def enabled(self, config: Config) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<reader {self.name}>"


class Requirements(_Base):
    """``requirements.txt`` (or only ``requirements.in``), else a ``requirements/`` folder's
    production file: they define the app; its development files are read with role
    ``dev`` (their file name is the group)."""

    name = "requirements"
    triggers = frozenset({"requirements.txt", "requirements.in", "requirements"})
    related_files = (
        ("", r"[^/]*requirements[^/]*\.(?:txt|in)|[^/]*constraints[^/]*\.(?:txt|in)"),
        ("requirements", r"[^/]*\.(?:txt|in)"),
    )
    app_when_installed = True
    names = frozenset({"requirements.txt", "requirements.in"})

    def may_claim(self, name: str, parent: str) -> bool:
        if name in self.names or DEV_NAMES.match(name):
            return True
        return parent == "requirements" and name.endswith((".txt", ".in"))

    def claim(
        self, directory: Path, entries: Mapping[str, os.DirEntry[str]], problems: Problems
    ) -> list[Claim]:
        main: list[Path] = []
        dev: list[Path] = []
        if "requirements.txt" in entries:
            main.append(directory / "requirements.txt")
        elif "requirements.in" in entries:
            main.append(directory / "requirements.in")
        elif "requirements" in entries and (directory / "requirements").is_dir():
            sub = directory / "requirements"
            main += _first_main(sub)
            try:
                names = sorted(os.listdir(sub))
            except OSError as exc:
                problems.append((os.fspath(sub), f"{UNLISTABLE}: {exc.strerror or exc}"))
                names = []
            dev.extend(sub / n for n in names if DEV_DIR_NAMES.match(n))
        dev.extend(directory / name for name in sorted(n for n in entries if DEV_NAMES.match(n)))
        return [Claim(self, p, "defining") for p in main] + [
            Claim(self, p, "read", (("role", "dev"), ("group", p.name))) for p in dev
        ]

    def read(self, path: Path, ctx: ReadContext, **options: str) -> SourceResult:
        from depsplit.sources import requirements_txt

        if options.get("role") == "dev":
            return requirements_txt.read(path, ctx, role="dev", group=options.get("group"))
        return requirements_txt.read(path, ctx)


def _first_main(sub: Path) -> list[Path]:
    """The production file of a ``requirements/`` folder: the first stem of
    :data:`REQUIREMENTS_DIR_MAIN` with a ``.txt`` (else ``.in``) file."""
    for stem in REQUIREMENTS_DIR_MAIN:
        for ext in (".txt", ".in"):
            if (sub / f"{stem}{ext}").is_file():
                return [sub / f"{stem}{ext}"]
    return []


class PyProject(_Base):
    """``pyproject.toml`` with ``[project]`` or ``[tool.poetry]``."""

    name = "pyproject"
    triggers = frozenset({"pyproject.toml"})
    related_files = (("", r"pyproject\.toml"),)
    names = triggers

    def claim(
        self, directory: Path, entries: Mapping[str, os.DirEntry[str]], problems: Problems
    ) -> list[Claim]:
        if "pyproject.toml" not in entries:
            return []
        return [Claim(self, directory / "pyproject.toml", "unsure")]

    def settle(self, path: Path, ctx: ReadContext) -> bool:
        from depsplit.sources import pyproject
        from depsplit.sources.base import SourceResult
        from depsplit.sources.locate import read_toml

        _, data = read_toml(path, ctx, SourceResult())
        return pyproject.has_app_table(data)

    def read(self, path: Path, ctx: ReadContext, **options: str) -> SourceResult:
        from depsplit.sources import pyproject

        return pyproject.read(path, ctx)


class Pipfile(_Base):
    """A ``Pipfile``."""

    name = "pipfile"
    triggers = frozenset({"Pipfile"})
    related_files = (("", r"Pipfile"),)
    names = triggers

    def claim(
        self, directory: Path, entries: Mapping[str, os.DirEntry[str]], problems: Problems
    ) -> list[Claim]:
        return [Claim(self, directory / "Pipfile", "defining")] if "Pipfile" in entries else []

    def read(self, path: Path, ctx: ReadContext, **options: str) -> SourceResult:
        from depsplit.sources import pipfile

        return pipfile.read(path, ctx)


class SetupCfg(_Base):
    """``setup.cfg`` with ``install_requires``."""

    name = "setup_cfg"
    triggers = frozenset({"setup.cfg"})
    related_files = (("", r"setup\.cfg"),)
    names = triggers

    def claim(
        self, directory: Path, entries: Mapping[str, os.DirEntry[str]], problems: Problems
    ) -> list[Claim]:
        if "setup.cfg" not in entries:
            return []
        return [Claim(self, directory / "setup.cfg", "unsure")]

    def settle(self, path: Path, ctx: ReadContext) -> bool:
        from depsplit.sources import setup_cfg

        return setup_cfg.declares_install_requires(ctx.read_text(path))

    def read(self, path: Path, ctx: ReadContext, **options: str) -> SourceResult:
        from depsplit.sources import setup_cfg

        return setup_cfg.read(path, ctx)


class LockFiles(_Base):
    """``uv.lock``, ``poetry.lock``, ``Pipfile.lock``, ``pylock.toml`` and
    ``pylock.NAME.toml``: read for the app (with ``use_locks``), never defining it."""

    name = "lockfiles"
    related_files = (("", r"Pipfile\.lock|(?:uv|poetry)\.lock|pylock(?:\.[^/.]+)?\.toml"),)
    names = frozenset(LOCK_FILES)

    def may_claim(self, name: str, parent: str) -> bool:
        return name in self.names or bool(PYLOCK.fullmatch(name))

    def claim(
        self, directory: Path, entries: Mapping[str, os.DirEntry[str]], problems: Problems
    ) -> list[Claim]:
        paths = [directory / n for n in LOCK_FILES if n in entries]
        pylocks = sorted(n for n in entries if n.startswith("pylock.") and PYLOCK.fullmatch(n))
        paths += [directory / n for n in pylocks]
        return [Claim(self, p, "read") for p in paths]

    def enabled(self, config: Config) -> bool:
        return config.use_locks

    def read(self, path: Path, ctx: ReadContext, **options: str) -> SourceResult:
        from depsplit.sources import lockfiles

        return lockfiles.read(path, ctx)


class PythonVersion(_Base):
    """``.python-version`` and ``runtime.txt``: the app's Python, never defining it."""

    name = "pyversion"
    names = frozenset(PYTHON_FILES)

    def claim(
        self, directory: Path, entries: Mapping[str, os.DirEntry[str]], problems: Problems
    ) -> list[Claim]:
        return [Claim(self, directory / n, "read") for n in PYTHON_FILES if n in entries]

    def read(self, path: Path, ctx: ReadContext, **options: str) -> SourceResult:
        from depsplit.sources import pyversion

        return pyversion.read(path, ctx)
