"""One Dockerfile per group, following ``docker init`` and hadolint: BuildKit syntax line,
the group's CPython as ``ARG PYTHON_VERSION``, a slim base, requirements installed in their
own cached layer before the sources, only the group's apps copied, a numeric non-root
``USER``, ``EXPOSE`` for servers, exec-form ``CMD``, OCI labels. No heredocs, no credentials
in any layer (a private index comes through a build secret).

The build context is the analysed root: ``COPY`` paths are root-relative and the root's
layout is mirrored under ``/app``.
"""

from __future__ import annotations

import posixpath

from depsplit.emit.build import APP_ROOT, Generation, GroupBuild
from depsplit.emit.entrypoints import PORT
from depsplit.emit.text import comment_safe, dockerfile_json, dockerfile_word

UID = 10001
REQUIREMENTS_IN_IMAGE = "/tmp/depsplit/requirements.txt"
SECRET_IDS = {"PIP_INDEX_URL": "pip_index_url", "PIP_EXTRA_INDEX_URL": "pip_extra_index_url"}


def _dest(path: str) -> str:
    return APP_ROOT if path in ("", ".") else f"{APP_ROOT}/{path}"


def _copy(src: str, dest: str) -> str:
    return f"COPY {dockerfile_json([src, dest], expanded=True)}"


def _label(key: str, value: str) -> str:
    return f'{key}="{dockerfile_word(value)}"'


def render(gen: Generation, build: GroupBuild, header: str) -> str:
    group = build.group
    apps = [a.app.name for a in build.apps]
    dockerfile = posixpath.join(gen.options.outdir, group.name, "Dockerfile")
    requirements = posixpath.join(gen.options.outdir, group.name, "requirements.txt")
    out = [
        "# syntax=docker/dockerfile:1",
        f"# {header}",
        "#",
        f"# Image of group {group.name!r} (CPython {group.python}), for the apps: "
        f"{', '.join(apps)}.",
        "# compose.yaml builds it once and runs one service per app, each with its own command.",
        "# Build it by hand from the analysed root (the build context):",
        f"#   docker build -f {comment_safe(dockerfile)} -t {build.image} .",
    ]
    out += [
        f"#   (with --secret id={SECRET_IDS[env]},env={env} : the private index URL, "
        "credentials included, stays out of every layer)"
        for env in build.requirements.secrets
    ]
    description = f"depsplit group {group.name}: {', '.join(apps)}"
    out += [
        "",
        f"ARG PYTHON_VERSION={group.python}",
        "FROM python:${PYTHON_VERSION}-slim",
        "",
        "LABEL "
        + " \\\n      ".join(
            [
                _label("org.opencontainers.image.title", group.name),
                _label("org.opencontainers.image.description", description),
                _label("org.opencontainers.image.version", build.image.rsplit(":", 1)[1]),
                _label("io.depsplit.group", group.name),
                _label("io.depsplit.apps", ",".join(apps)),
            ]
        ),
        "",
        "# No .pyc files in the image; logs go straight to the container's output.",
        "ENV PYTHONDONTWRITEBYTECODE=1 \\",
        "    PYTHONUNBUFFERED=1 \\",
        "    PIP_DISABLE_PIP_VERSION_CHECK=1 \\",
        "    PIP_ROOT_USER_ACTION=ignore",
        "",
        f"WORKDIR {APP_ROOT}",
        "",
        "# A system user without home or login shell; the apps run as its numeric UID.",
        f"RUN useradd --no-log-init --system --uid {UID} --user-group --no-create-home "
        "--shell /usr/sbin/nologin app",
    ]
    if build.local_paths:
        out += ["", "# Local path dependencies, installed from the requirements below."]
        out += [_copy(p, _dest(p)) for p in build.local_paths]
    mounts = ["--mount=type=cache,target=/root/.cache/pip"]
    mounts += [
        f"--mount=type=secret,id={SECRET_IDS[e]},env={e}" for e in build.requirements.secrets
    ]
    out += [
        "",
        "# Dependencies in their own layer, before the sources: editing an app's code does not",
        "# reinstall them. pip's cache lives in a BuildKit cache mount, not in the image.",
        _copy(requirements, REQUIREMENTS_IN_IMAGE),
        "RUN " + " \\\n    ".join([*mounts, f"python -m pip install -r {REQUIREMENTS_IN_IMAGE}"]),
        "",
        "# Only this group's apps and the files they include.",
    ]
    out += [_copy(p, _dest(p)) for p in build.copies]
    default = build.default
    out += ["", f"USER {UID}:{UID}"]
    if build.http:
        out.append(f"EXPOSE {PORT}")
    out.append("")
    if default.entry.command is None:
        out += [
            f"WORKDIR {dockerfile_word(default.workdir)}",
            f"# TODO: {comment_safe(default.entry.todo or 'no entry point found')}.",
            "# Each compose service sets its own command; add a CMD here to run the image alone.",
        ]
    else:
        out += [
            f"# Default command: app {default.app.name!r} ({comment_safe(default.entry.how)}).",
            "# Each compose service sets its own command and working directory.",
            f"WORKDIR {dockerfile_word(default.workdir)}",
            f"CMD {dockerfile_json(list(default.entry.command), expanded=False)}",
        ]
    return "\n".join(out) + "\n"
