"""One Dockerfile per group, following ``docker init`` and hadolint: BuildKit syntax line,
the group's CPython as ``ARG PYTHON_VERSION``, a slim base, requirements installed in their
own cached layer before the sources, only the group's apps copied, a numeric non-root
``USER``, ``EXPOSE`` for servers, exec-form ``CMD``, OCI labels. No heredocs, no credentials
in any layer (a private index comes through a build secret).

The build context is the analysed root: ``COPY`` paths are root-relative and the root's
layout is mirrored under ``/app``.

A group with releases to compile (:attr:`~depsplit.model.Group.builds`: no wheel for its
CPython and platform, only an sdist) gets a multi-stage build: a ``builder`` stage on the
same base with ``build-essential`` runs ``pip wheel --prefer-binary`` on the whole
requirements file (hashes, markers and index options honoured, with the same cache and
secret mounts; a release with a wheel preferred to a newer sdist-only one), and the final
stage installs exactly that wheel set with ``--no-index`` through a bind mount of the
builder's ``/wheels``, so neither the compiler nor the wheels stay in the image. The final
stage installs the wheel files themselves rather than ``-r requirements.txt``: a wheel
compiled from an sdist has no hash in a ``--transitive`` lock (hash-checking mode would
refuse it), and a local path or direct URL line would be built again, without a compiler
or an index. Without builds the Dockerfile is a single stage, and so it is when every
release to build is pure Python (:attr:`~depsplit.model.BuildFromSource.pure`): pip builds
those sdists in the slim image without a compiler.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Sequence
from pathlib import Path

from packaging.utils import canonicalize_name

from depsplit.emit.build import APP_ROOT, Generation, GroupBuild
from depsplit.emit.entrypoints import PORT
from depsplit.emit.text import comment_safe, dockerfile_json, dockerfile_word
from depsplit.model import BuildFromSource
from depsplit.pieces import Pieces

UID = 10001
REQUIREMENTS_IN_IMAGE = "/tmp/depsplit/requirements.txt"
SECRET_IDS = {
    "PIP_INDEX_URL": "pip_index_url",
    "PIP_EXTRA_INDEX_URL": "pip_extra_index_url",
    "PIP_FIND_LINKS": "pip_find_links",
}
WHEELS = "/wheels"
"""Where the builder stage writes the wheel set, and where the final stage mounts it."""


def _dest(path: str) -> str:
    return APP_ROOT if path in ("", ".") else f"{APP_ROOT}/{path}"


def _copy(src: str, dest: str) -> str:
    return f"COPY {dockerfile_json([src, dest], expanded=True)}"


def _label(key: str, value: str) -> str:
    return f'{key}="{dockerfile_word(value)}"'


def _local_copies(build: GroupBuild) -> list[str]:
    return [_copy(p, _dest(p)) for p in build.local_paths]


def _install(
    requirements: str, mounts: list[str], pure: Sequence[BuildFromSource] = ()
) -> list[str]:
    """The single-stage install: pip from the index, straight into the image (pure-Python
    sdists included: pip builds them without a compiler)."""
    return [
        "",
        "# Dependencies in their own layer, before the sources: editing an app's code does not",
        "# reinstall them. pip's cache lives in a BuildKit cache mount, not in the image.",
        "# --prefer-binary: a release with a wheel for this CPython wins over a newer sdist-only",
        "# one (which would need a compiler this slim image does not have).",
        *(
            f"# built from its sdist by pip here (pure Python, no compiler needed): "
            f"{comment_safe(b.package)} {comment_safe(b.version)}"
            for b in pure
        ),
        _copy(requirements, REQUIREMENTS_IN_IMAGE),
        "RUN "
        + " \\\n    ".join(
            [*mounts, f"python -m pip install --prefer-binary -r {REQUIREMENTS_IN_IMAGE}"]
        ),
    ]


SYSTEM_LIBRARIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "psycopg2": (("libpq-dev",), ("libpq5",)),
    "psycopg": (("libpq-dev",), ("libpq5",)),
    "psycopg-c": (("libpq-dev",), ("libpq5",)),
    "mysqlclient": (("default-libmysqlclient-dev", "pkg-config"), ("libmariadb3",)),
    "pycairo": (("libcairo2-dev", "pkg-config"), ("libcairo2",)),
    "lxml": (("libxml2-dev", "libxslt1-dev"), ("libxml2", "libxslt1.1")),
    "pillow": (("libjpeg62-turbo-dev", "zlib1g-dev"), ("libjpeg62-turbo",)),
    "pyaudio": (("portaudio19-dev",), ("libportaudio2",)),
    "dlib": (("cmake",), ()),
    "cffi": (("libffi-dev",), ()),
    "pyyaml": (("libyaml-dev",), ("libyaml-0-2",)),
    # ICU's runtime package is named by its soname (libicu67, libicu72, libicu76 across the
    # Debian releases the images use): its -dev package, which depends on it, is the one
    # name valid on all of them.
    "pyicu": (("libicu-dev", "pkg-config"), ("libicu-dev",)),
}
"""Canonical project → (the Debian ``-dev`` packages its sdist needs to compile, the runtime
libraries its compiled wheel links to), for the common projects that link to a system
library. Names valid on every Debian release the ``python:X.Y-slim`` images are based on
(buster to trixie). A project not listed gets ``build-essential`` only; the comments of the
generated Dockerfile say where to add its libraries."""


def _system_libraries(builds: Sequence[BuildFromSource]) -> tuple[list[str], list[str]]:
    """The ``-dev`` packages the builder needs and the runtime libraries the final stage
    needs for the releases compiled in the builder, sorted, each once."""
    dev: set[str] = set()
    runtime: set[str] = set()
    for b in builds:
        found = SYSTEM_LIBRARIES.get(canonicalize_name(b.package))
        if found and not b.pure:
            dev.update(found[0])
            runtime.update(found[1])
    return sorted(dev), sorted(runtime)


def _builder_stage(build: GroupBuild, requirements: str, mounts: list[str]) -> list[str]:
    """The ``builder`` stage: a compiler, and a wheel for every requirement of the group."""
    out = [
        "",
        "# Builder stage: compiles the releases that publish no wheel for this CPython and",
        "# platform, and writes a wheel for every requirement; the final stage installs those",
        "# wheels and keeps nothing else of this stage (no compiler, no sources, no wheels).",
    ]
    out += [
        f"# compiled here: {comment_safe(b.package)} {comment_safe(b.version)} "
        f"({comment_safe(b.reason)})"
        for b in build.group.builds
        if not b.pure
    ]
    out += [
        "FROM python:${PYTHON_VERSION}-slim AS builder",
        "",
        "ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \\",
        "    PIP_ROOT_USER_ACTION=ignore",
        "",
        f"WORKDIR {APP_ROOT}",
        "",
        "# The C toolchain only. A package that links to a system library needs its -dev",
        "# package added to this apt-get install (e.g. libpq-dev for psycopg2), and its runtime",
        "# library (libpq5) installed in the final stage below.",
        "# Unpinned on purpose: the versions depend on the base image's Debian release, and",
        "# build-essential never reaches the final image.",
        "# hadolint ignore=DL3008",
        "RUN apt-get update \\",
        "    && apt-get install -y --no-install-recommends "
        + " ".join(["build-essential", *_system_libraries(build.group.builds)[0]])
        + " \\",
        "    && rm -rf /var/lib/apt/lists/*",
    ]
    if build.local_paths:
        out += ["", "# Local path dependencies, built into wheels with the rest."]
        out += _local_copies(build)
    out += [
        "",
        "# The whole requirements file, so the wheel set is one consistent resolution (hashes,",
        "# markers and index options honoured); wheels published on the index are only downloaded.",
        "# --use-pep517: every sdist is built by its declared backend in an isolated environment",
        "# (setuptools and wheel fetched there), whatever the base image has installed; pip is",
        "# first brought to the newest release this CPython supports (an old base may carry a",
        "# pip without that option), and its wheel kept for the final stage. --prefer-binary:",
        "# what has a wheel for this CPython is downloaded (an older release if need be), only",
        "# what has none is compiled (a newer sdist-only release may not build on an old CPython).",
        _copy(requirements, REQUIREMENTS_IN_IMAGE),
        "# hadolint ignore=DL3013",
        "RUN "
        + " \\\n    ".join(
            [
                *mounts,
                "python -m pip install --upgrade pip",
                f"&& python -m pip wheel --no-deps --wheel-dir {WHEELS}/pip pip",
                f"&& python -m pip wheel --use-pep517 --prefer-binary --wheel-dir {WHEELS} "
                f"-r {REQUIREMENTS_IN_IMAGE}",
            ]
        ),
        "",
    ]
    return out


def _install_from_builder(runtime: Sequence[str]) -> list[str]:
    """The final stage's install: the builder's wheels, mounted for this step only (after
    the runtime libraries the compiled wheels link to, when known)."""
    libraries = []
    if runtime:
        libraries = [
            "",
            "# The system libraries the wheels compiled in the builder link to.",
            "# hadolint ignore=DL3008",
            "RUN apt-get update \\",
            f"    && apt-get install -y --no-install-recommends {' '.join(runtime)} \\",
            "    && rm -rf /var/lib/apt/lists/*",
        ]
    return [
        *libraries,
        "",
        "# Dependencies in their own layer, before the sources: exactly the builder's wheels,",
        f"# without the index (its {WHEELS} is mounted for this step only, not copied). A wheel",
        "# compiled there may need a system library at run time (libpq5 for psycopg2): install",
        "# it in this stage, before this step. The builder's pip goes first: the wheels it chose",
        "# may carry tags an older pip does not know (manylinux2014 before pip 19.3).",
        f"RUN --mount=type=bind,from=builder,source={WHEELS},target={WHEELS} \\",
        f"    python -m pip install --no-cache-dir --no-index {WHEELS}/pip/*.whl \\",
        "    && python -m pip install --no-cache-dir --no-index "
        f"--find-links {WHEELS} {WHEELS}/*.whl",
    ]


def render(gen: Generation, build: GroupBuild, header: str) -> str:
    """The Dockerfile of one group's image, newline-terminated: a comment header, a
    builder stage when a package is compiled from source, then the final stage (labels,
    environment, app user, dependencies, the apps' files, default command). ``header`` is
    the generated-by line, written as a comment."""
    group = build.group
    apps = [a.app.name for a in build.apps]
    requirements = posixpath.join(gen.options.outdir, group.name, "requirements.txt")
    out = _header_comments(gen, build, header, apps)
    mounts = ["--mount=type=cache,target=/root/.cache/pip"]
    mounts += [
        f"--mount=type=secret,id={SECRET_IDS[e]},env={e}" for e in build.requirements.secrets
    ]
    out += ["", f"ARG PYTHON_VERSION={group.python}"]
    compiled = any(not b.pure for b in group.builds)
    if compiled:
        out += _builder_stage(build, requirements, mounts)
    out += _final_stage_base(build, apps)
    if build.local_paths:
        source = "the builder's wheels" if compiled else "the requirements"
        out += ["", f"# Local path dependencies, installed from {source} below."]
        out += _local_copies(build)
    if compiled:
        out += _install_from_builder(_system_libraries(group.builds)[1])
    else:
        out += _install(requirements, mounts, [b for b in group.builds if b.pure])
    out += ["", "# Only this group's apps and the files they include."]
    out += [_copy(p, _dest(p)) for p in build.copies]
    out += [
        "",
        "# The app user has no home directory: libraries that write to ~ (caches, settings) get",
        "# /tmp, which stays writable under a read-only root filesystem (Kubernetes mounts it).",
        "ENV HOME=/tmp",
        f"USER {UID}:{UID}",
    ]
    if build.http:
        out.append(f"EXPOSE {PORT}")
    out.append("")
    out += _default_command(build)
    return "\n".join(out) + "\n"


def _header_comments(
    gen: Generation, build: GroupBuild, header: str, apps: Sequence[str]
) -> list[str]:
    """The Dockerfile's opening lines: the syntax directive, ``header``, what the image
    holds (the group's python and ``apps``), how to build it by hand (with a ``--secret``
    per private index credential) and, when the group's python was not checked against
    the index, how to check it."""
    group = build.group
    dockerfile = posixpath.join(gen.options.outdir, group.name, "Dockerfile")
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
    if not group.python_verified:
        out += [
            f"# CPython {group.python} was not checked against the package index (the pinned "
            "releases' Requires-Python and wheels):",
            "#   run `depsplit generate` online (without --no-index-facts) to check it.",
        ]
    return out


def _final_stage_base(build: GroupBuild, apps: Sequence[str]) -> list[str]:
    """The final stage up to its dependencies: ``FROM`` the slim python image, the OCI
    and depsplit labels (group, ``apps``, version from the image tag), the python
    environment, the work directory and the creation of the unprivileged app user."""
    group = build.group
    description = f"depsplit group {group.name}: {', '.join(apps)}"
    return [
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


def _default_command(build: GroupBuild) -> list[str]:
    """The image's last lines: the default app's working directory and its ``CMD``, or a
    TODO comment saying why there is none (compose services set their own commands)."""
    default = build.default
    if default.entry.command is None:
        return [
            f"WORKDIR {dockerfile_word(default.workdir)}",
            f"# TODO: {comment_safe(default.entry.todo or 'no entry point found')}.",
            "# Each compose service sets its own command; add a CMD here to run the image alone.",
        ]
    return [
        f"# Default command: app {default.app.name!r} ({comment_safe(default.entry.how)}).",
        "# Each compose service sets its own command and working directory.",
        f"WORKDIR {dockerfile_word(default.workdir)}",
        f"CMD {dockerfile_json(list(default.entry.command), expanded=False)}",
    ]


def emit(gen: Generation, root: Path, header: str) -> dict[str, Pieces]:
    """The :class:`~depsplit.emit.interface.Emitter` of ``<group>/Dockerfile``, each made
    when written (:meth:`~depsplit.pieces.Pieces.made_by`)."""
    return {
        f"{b.group.name}/Dockerfile": Pieces.made_by(functools.partial(render, gen, b, header))
        for b in gen.groups
    }
