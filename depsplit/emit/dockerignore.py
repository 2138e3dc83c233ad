"""``<group>/Dockerfile.dockerignore``: BuildKit reads ``<Dockerfile>.dockerignore`` next to
the Dockerfile, so each group sends only its own files from the shared build context (the
analysed root): everything is excluded, then the group's app directories, the files they
include, its local path dependencies and its generated requirements are let back in, and
the dependency files holding a URL with credentials are dropped again
(:attr:`GroupBuild.secret_files`: lock files, Pipfile sources, index settings … whose text
changes when redacted). Credential files an app directory may hold (``.netrc``,
``.pypirc``, ``pip.conf`` …: :data:`CREDENTIAL_FILES`) are dropped whatever their text.
Every path is written with :func:`~depsplit.emit.text.dockerignore_pattern`, so a name
starting with ``#`` or ``!`` or holding a wildcard is the literal path it names, not a
comment, a re-include or a pattern."""

from __future__ import annotations

import functools
import posixpath
from pathlib import Path

from depsplit.emit.build import Generation, GroupBuild, credential_files
from depsplit.emit.text import dockerignore_pattern
from depsplit.pieces import Pieces
from depsplit.redact import REDACTED

__all__ = ["CREDENTIAL_FILES", "NEVER", "REDACTED", "credential_files", "emit", "render"]

CREDENTIAL_FILES = (
    "**/.netrc",
    "**/_netrc",
    "**/.pypirc",
    "**/pip.conf",
    "**/pip.ini",
    "**/.pip",
    "**/poetry.toml",
    "**/auth.toml",
    "**/.env",
    "**/.env.*",
    "!**/.env.example",
)
"""Where pip, twine, Poetry and dotenv keep credentials (``.netrc``/``_netrc``: pip's and
urllib's HTTP auth; ``.pypirc``: upload tokens; ``pip.conf``/``pip.ini``/``.pip/``: index
URLs; ``poetry.toml``/``auth.toml``: Poetry's ``http-basic`` and tokens; ``.env``,
``.env.*``: environment files), in any directory the image copies. ``.env.example`` is a
template, let back in."""

NEVER = (
    "**/__pycache__",
    "**/*.py[cod]",
    "**/.venv",
    "**/venv",
    "**/.git",
    "**/.pytest_cache",
    "**/.mypy_cache",
    "**/node_modules",
    *CREDENTIAL_FILES,
)


def render(gen: Generation, build: GroupBuild, header: str) -> str:
    keep = sorted(
        {
            *build.local_paths,
            *build.copies,
            posixpath.join(gen.options.outdir, build.group.name, "requirements.txt"),
        }
    )
    out = [
        f"# {header}",
        f"# Build context of group {build.group.name!r}: the analysed root, reduced to what the",
        "# image copies. Later lines win: exclude all, let the group's files back in, then drop",
        "# caches, virtualenvs and credential files from those.",
    ]
    if "." not in keep and "" not in keep:
        out.append("*")
    out += [f"!{dockerignore_pattern(path)}" for path in keep if path not in ("", ".")]
    out += list(NEVER)
    if build.secret_files:
        out.append("# Dependency files that hold credentials: never in the image.")
        # build.prepare refuses a path holding a line break: every one is written.
        out += [dockerignore_pattern(f) for f in build.secret_files]
    return "\n".join(out) + "\n"


def emit(gen: Generation, root: Path, header: str) -> dict[str, Pieces]:
    """The :class:`~depsplit.emit.interface.Emitter` of ``<group>/Dockerfile.dockerignore``
    (the ignore file of that Dockerfile only, BuildKit's per-Dockerfile name), each made
    when written (:meth:`~depsplit.pieces.Pieces.made_by`)."""
    return {
        f"{b.group.name}/Dockerfile.dockerignore": Pieces.made_by(
            functools.partial(render, gen, b, header)
        )
        for b in gen.groups
    }
