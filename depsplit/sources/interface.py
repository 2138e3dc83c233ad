"""The seam between discovery and the input formats: a :class:`Reader` per format.

A reader says which files of a directory it claims (:meth:`Reader.claim`), whether those
files can make the directory an app, and how to read one (:meth:`Reader.read`). Discovery
(:mod:`depsplit.discover`), the reading of every app (:mod:`depsplit.analyze`) and the
files an image build checks for credentials (:mod:`depsplit.emit.build`) ask the readers
of :data:`depsplit.sources.READERS`, in that order; none of them names a format.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from depsplit.config import Config
    from depsplit.sources.base import ReadContext, SourceResult

Status = Literal["defining", "unsure", "read"]
"""What a claimed file does for its directory: ``defining`` makes it an app; ``unsure``
may (:meth:`Reader.settle` reads it whole to decide, as its reader reads it);
``read`` is read for an app the other files define, but never makes one."""

Problems = list[tuple[str, str]]
"""(path as walked, message): what discovery could not list or read."""

UNLISTABLE = "cannot list the directory"


@dataclass(frozen=True)
class Claim:
    """One file a reader claims in a directory, and how it is read."""

    reader: Reader
    path: Path
    status: Status
    options: tuple[tuple[str, str], ...] = ()
    """Keyword arguments for :meth:`Reader.read` (a requirements file's role and group)."""

    def defined(self) -> Claim:
        """This claim, settled as defining its directory."""
        return Claim(self.reader, self.path, "defining", self.options)


class Reader(Protocol):
    """One input format. Implementations are stateless: two analyses share them."""

    @property
    def name(self) -> str:
        """A short name of the format (``requirements``, ``pyproject`` …)."""

    @property
    def triggers(self) -> frozenset[str]:
        """Directory entry names that can make a directory an app through this reader (a
        directory holding none of any reader's is passed over without a look at its
        files); empty for a reader whose files are only read for apps others define."""

    @property
    def related_files(self) -> tuple[tuple[str, str], ...]:
        """(subdirectory of an app, ``""`` for its own; a regular expression matching whole
        file names, case-insensitively): the files of this format an image copies with an
        app's directory, checked for credentials whether or not they are read."""

    @property
    def app_when_installed(self) -> bool:
        """Whether a directory its defining files define stays an app when another app
        installs it as a local path dependency (a requirements file: yes; a project
        table alone makes it a library)."""

    def may_claim(self, name: str, parent: str) -> bool:
        """Whether :meth:`claim` may claim a file named ``name`` in a directory named
        ``parent``, from the names alone (a superset: which files of a revision ``depsplit
        analyze --baseline`` copies out of git)."""

    def claim(
        self, directory: Path, entries: Mapping[str, os.DirEntry[str]], problems: Problems
    ) -> list[Claim]:
        """The files of ``directory`` (whose entries are ``entries``) this reader claims, in
        the order they are read. A directory that cannot be listed is appended to
        ``problems``; nothing is raised."""

    def settle(self, path: Path, ctx: ReadContext) -> bool:
        """Whether the ``unsure`` file at ``path``, read whole, makes its directory an app.
        Raises :class:`~depsplit.errors.InputError` when it cannot be read or parsed."""

    def enabled(self, config: Config) -> bool:
        """Whether this run reads the files this reader claims."""

    def read(self, path: Path, ctx: ReadContext, **options: str) -> SourceResult:
        """What the file at ``path`` says. Bad input is a diagnostic with file and line,
        never an exception: one broken file never hides the rest of the monorepo."""
