"""A Dockerfile you edited and depsplit kept: which of its ``COPY`` lines no longer match the
plan, which are missing, and whether its CPython changed, so the edit to make is exact.

depsplit does not overwrite a generated file you edited (without ``--force``). When the plan
changes under it (an app moved to another group, a new app joined), the kept Dockerfile
would build a wrong image, or fail: the group's new ``Dockerfile.dockerignore`` lets in only
what the new Dockerfile copies, so a ``COPY`` of anything else finds nothing in the build
context. :func:`stale_copies` compares the ``COPY`` instructions of the two texts (the build
stages' ``COPY --from=…`` aside): a kept line whose source the new Dockerfile does not copy
(nor a directory above it) is stale; a new line whose source no kept line covers is missing.
That is exact for the ignore file depsplit writes, which lets in exactly the new
Dockerfile's sources; when you edited that file too, only the missing lines are reported.
"""

from __future__ import annotations

import json
import posixpath
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Copy:
    line: int
    """1-based line of the instruction (its first line when continued)."""
    text: str
    """The instruction as written, continuation lines joined."""
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Stale:
    line: int | None
    """The kept file's line to remove, or ``None`` for a line to add."""
    instruction: str
    why: str


def copies(text: str) -> Iterator[Copy]:
    """The ``COPY`` instructions of a Dockerfile from the build context (``--from`` aside),
    exec form (JSON array) or shell form, with their source paths normalized."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start = i
        parts = [lines[i]]
        while parts[-1].rstrip().endswith("\\") and i + 1 < len(lines):
            parts[-1] = parts[-1].rstrip()[:-1]
            i += 1
            parts.append(lines[i])
        i += 1
        instruction = " ".join(p.strip() for p in parts).strip()
        keyword, _, rest = instruction.partition(" ")
        if keyword.upper() not in ("COPY", "ADD"):
            continue
        words = rest.strip()
        flags = []
        while words.startswith("--"):
            flag, _, words = words.partition(" ")
            flags.append(flag)
            words = words.strip()
        if any(f.startswith("--from") for f in flags):
            continue
        try:
            args = json.loads(words) if words.startswith("[") else shlex.split(words)
        except ValueError:
            continue
        if not isinstance(args, list) or len(args) < 2:
            continue
        # ``ADD https://…`` fetches from outside the build context: not the ignore file's.
        sources = tuple(
            posixpath.normpath(str(a)).lstrip("/") for a in args[:-1] if "://" not in str(a)
        )
        if sources:
            yield Copy(start + 1, instruction, sources)


def _python_arg(text: str) -> tuple[int, str] | None:
    """The line number and text of the ``ARG PYTHON_VERSION=X.Y`` that picks the base."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith("ARG PYTHON_VERSION="):
            return number, line.strip()
    return None


def _covered(source: str, by: set[str]) -> bool:
    """``source`` is one of ``by`` or lies inside one of them (the whole context, ``.``,
    is what the ignore file lets in: never stale)."""
    if source == ".":
        return True
    while True:
        if source in by or "." in by:
            return True
        parent = posixpath.dirname(source)
        if parent == source or not parent:
            return False
        source = parent


def stale_copies(
    kept: str, new: str, group: str, apps_by_path: Mapping[str, str], ignore_kept: bool = False
) -> list[Stale]:
    """The kept Dockerfile's stale ``COPY`` lines (to remove) and the new Dockerfile's
    missing ones (to add), in file order; ``apps_by_path`` names the app of a directory."""
    kept_copies = list(copies(kept))
    new_copies = list(copies(new))
    new_sources = {s for c in new_copies for s in c.sources}
    kept_sources = {s for c in kept_copies for s in c.sources}
    out: list[Stale] = []
    new_python = _python_arg(new)
    kept_python = _python_arg(kept)
    if new_python and kept_python and new_python[1] != kept_python[1]:
        out.append(
            Stale(
                kept_python[0],
                kept_python[1],
                f"the group's CPython is now {new_python[1].partition('=')[2]}: "
                f"change the line to {new_python[1]}",
            )
        )
    if not ignore_kept:
        for c in kept_copies:
            gone = [s for s in c.sources if not _covered(s, new_sources)]
            if gone:
                what = ", ".join(
                    f"app {apps_by_path[s]!r} ({s})" if s in apps_by_path else s for s in gone
                )
                out.append(
                    Stale(
                        c.line,
                        c.text,
                        f"{what} is no longer in group {group!r}: its new "
                        "Dockerfile.dockerignore leaves it out of the build context; "
                        "remove the line",
                    )
                )
    for c in new_copies:
        missing = [s for s in c.sources if not _covered(s, kept_sources)]
        if missing:
            what = ", ".join(
                f"app {apps_by_path[s]!r} ({s})" if s in apps_by_path else s for s in missing
            )
            out.append(Stale(None, c.text, f"{what} is now in group {group!r}: add the line"))
    return out
