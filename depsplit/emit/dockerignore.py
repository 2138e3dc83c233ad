"""``<group>/Dockerfile.dockerignore``: BuildKit reads ``<Dockerfile>.dockerignore`` next to
the Dockerfile, so each group sends only its own files from the shared build context (the
analysed root): everything is excluded, then the group's app directories, the files they
include, its local path dependencies and its generated requirements are let back in."""

from __future__ import annotations

import posixpath

from depsplit.emit.build import Generation, GroupBuild
from depsplit.emit.text import unsafe_path_reason
from depsplit.model import App

REDACTED = "****@"

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
    secret = sorted({f for a in build.apps for f in credential_files(a.app)})
    if secret:
        out.append("# Dependency files that hold credentials: never in the image.")
        out += [f for f in secret if unsafe_path_reason(f) is None]
    return "\n".join(out) + "\n"


def credential_files(app: App) -> set[str]:
    """The root-relative files of ``app`` with a URL whose credentials were redacted."""
    files = {r.origin.file for r in app.requirements if r.url and REDACTED in r.url}
    files |= {o.origin.file for o in app.index_options if REDACTED in o.value}
    return {f for f in files if not f.startswith("/")}
