"""Resolving many paths of one tree: each directory walked once."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class RealPaths:
    """``str(Path(path).resolve())`` of path strings, memoized for a run: reading or
    generating for 10,000 apps names tens of thousands of files in 10,000 directories, and
    a resolution walks every component. A name that is not a symlink (nor ``.``/``..``)
    resolves to its directory's resolution joined with it, which is what ``realpath``
    computes, for one ``lstat``; anything else (a symlink, a name that cannot be looked
    at, a non-POSIX system) is ``Path.resolve``'s own answer. Its exceptions (a symlink
    loop raises ``RuntimeError`` on 3.10-3.12) are not memoized: the next call raises
    again."""

    def __init__(self) -> None:
        self._real: dict[str, str] = {}

    def resolved(self, path: str) -> str:
        found = self._real.get(path)
        if found is None:
            found = self._real[path] = self._resolve(path)
        return found

    def _resolve(self, path: str) -> str:
        parent, name = os.path.split(path)
        if parent and name not in ("", ".", "..") and os.sep == "/":
            try:
                plain = not stat.S_ISLNK(os.lstat(path).st_mode)
            except FileNotFoundError:
                plain = True  # realpath joins a missing name as it is
            except OSError:
                plain = False
            if plain:
                head = self.resolved(parent)
                return head + name if head.endswith("/") else f"{head}/{name}"
        return str(Path(path).resolve())
