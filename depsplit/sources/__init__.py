"""Readers, one per input format, and their registry :data:`READERS`.

Each format module exposes ``read(path, ctx) -> SourceResult`` and reports bad input as
diagnostics with file and line instead of raising, so that one broken file never hides the
rest of the monorepo. Its :class:`~depsplit.sources.interface.Reader` says which files of a
directory it claims; discovery, the reading of every app and the image build ask
:data:`READERS` (looked up when used, so a test may replace it) and name no format.
"""

from __future__ import annotations

from depsplit.sources.builtin import (
    LockFiles,
    Pipfile,
    PyProject,
    PythonVersion,
    Requirements,
    SetupCfg,
)
from depsplit.sources.interface import Reader

READERS: tuple[Reader, ...] = (
    Requirements(),
    PyProject(),
    Pipfile(),
    SetupCfg(),
    LockFiles(),
    PythonVersion(),
)
"""Every reader, in the order an app's files are read: this order is the order of an app's
requirements, sources and diagnostics in every output (requirements files first, production
before development; then ``pyproject.toml``, ``Pipfile``, ``setup.cfg``, the lock files and
the Python version files)."""
