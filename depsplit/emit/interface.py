"""The contract of a generated file family: an :class:`Emitter` turns the prepared
:class:`~depsplit.emit.build.Generation` into files.

An emitter is pure: it returns ``{path relative to OUTDIR (POSIX): text}`` (a string, or a
:class:`~depsplit.pieces.Pieces` made when written: a text too large to hold, or one of
tens of thousands of small files) and writes nothing (:mod:`depsplit.writer` writes what
:func:`depsplit.emit.render_all` gathers). The registry is :data:`depsplit.emit.EMITTERS`;
no two emitters may produce the same path.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from depsplit.emit.build import Generation
    from depsplit.pieces import Pieces


class Emitter(Protocol):
    """``(gen, root, header) -> {path: text}``: ``root`` is the analysed directory (for an
    emitter that reads the apps' files), ``header`` the first comment line of every file
    that has comments (:func:`depsplit.emit.text.header`). An emitter with nothing to make
    for these options (e.g. Kubernetes without ``--kubernetes``) returns no files."""

    def __call__(
        self, gen: Generation, root: Path, header: str, /
    ) -> Mapping[str, str | Pieces]: ...
