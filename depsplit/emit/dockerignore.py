"""``<group>/Dockerfile.dockerignore``: BuildKit reads ``<Dockerfile>.dockerignore`` next to
the Dockerfile, so each group sends only its own files from the shared build context (the
analysed root): everything is excluded, then the group's app directories, the files they
include, its local path dependencies and its generated requirements are let back in, and
the dependency files holding a URL with credentials are dropped again
(:attr:`GroupBuild.secret_files`: lock files, Pipfile sources, index settings … whose text
changes when redacted)."""

from __future__ import annotations

import posixpath

from depsplit.emit.build import Generation, GroupBuild, credential_files
from depsplit.emit.text import unsafe_path_reason
from depsplit.redact import REDACTED

__all__ = ["NEVER", "REDACTED", "credential_files", "render"]

NEVER = (
    "**/__pycache__",
    "**/*.py[cod]",
    "**/.venv",
    "**/venv",
    "**/.git",
    "**/.env",
    "**/.env.*",
    "**/.pytest_cache",
    "**/.mypy_cache",
    "**/node_modules",
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
        "# caches, virtualenvs and secrets from those.",
    ]
    if "." not in keep and "" not in keep:
        out.append("*")
    out += [f"!{path}" for path in keep if path not in ("", ".")]
    out += list(NEVER)
    if build.secret_files:
        out.append("# Dependency files that hold credentials: never in the image.")
        # build.prepare refuses a path that cannot be written here: none is dropped.
        out += [f for f in build.secret_files if unsafe_path_reason(f) is None]
    return "\n".join(out) + "\n"
