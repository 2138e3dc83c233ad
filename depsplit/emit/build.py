"""What the emitters share about one generation: per group, its image, its apps with their
entry points, host ports and replicas, its merged requirements and what goes into the image.

:func:`prepare` is pure apart from reading the apps' files for entry-point detection.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from depsplit.emit import entrypoints, lock
from depsplit.emit.entrypoints import EntryPoint
from depsplit.emit.images import image_reference, repository_name
from depsplit.emit.text import unsafe_path_reason
from depsplit.errors import UsageError
from depsplit.model import App, Group, Plan

APP_ROOT = "/app"
"""Where the analysed root's layout is mirrored in every image."""
FIRST_HOST_PORT = 8001
_PYTHON = re.compile(r"3\.[0-9]{1,2}")
_PROJECT = re.compile(r"[a-z0-9][a-z0-9_-]*")


@dataclass(frozen=True)
class GenerateOptions:
    """What one ``depsplit generate`` asks for beyond the plan."""

    registry: str | None = None
    namespace: str | None = None
    tag: str | None = None
    replicas: Mapping[str, int] = field(default_factory=dict)
    project_name: str | None = None
    """Compose project ``name:``; default: the root directory's name, sanitized."""
    context: str = ".."
    """The analysed root (the build context) relative to OUTDIR, POSIX."""
    outdir: str = "deploy"
    """OUTDIR relative to the analysed root, POSIX: where the Dockerfiles find their
    generated ``requirements.txt`` inside the build context."""
    root_label: str | None = None
    """How the headers name the analysed root; default: its directory name."""


@dataclass(frozen=True)
class AppBuild:
    app: App
    entry: EntryPoint
    workdir: str
    host_port: int | None
    replicas: int = 1

    @property
    def load_balanced(self) -> bool:
        return self.entry.http and self.replicas > 1


@dataclass(frozen=True)
class GroupBuild:
    group: Group
    image: str
    apps: tuple[AppBuild, ...]
    requirements: lock.GroupRequirements
    local_paths: tuple[str, ...]
    """Copied before the install (local path dependencies)."""
    copies: tuple[str, ...]
    """Copied after the install: the apps' directories and the files they include."""

    @property
    def http(self) -> bool:
        return any(a.entry.http for a in self.apps)

    @property
    def default(self) -> AppBuild:
        """The app the image runs when no command is given: the first server, else the
        first app with a command, else the first app."""
        for pick in (lambda a: a.entry.http, lambda a: a.entry.command is not None):
            for app in self.apps:
                if pick(app):
                    return app
        return self.apps[0]


@dataclass(frozen=True)
class Generation:
    plan: Plan
    options: GenerateOptions
    root_label: str
    project: str
    groups: tuple[GroupBuild, ...]
    ungrouped: tuple[str, ...]


def project_name(label: str) -> str:
    name = re.sub(r"[^a-z0-9_-]+", "-", label.lower()).strip("-_")
    return name if _PROJECT.fullmatch(name) else "depsplit"


def _check_path(app: str, path: str, what: str) -> None:
    reason = unsafe_path_reason(path)
    if reason is not None:
        raise UsageError(f"cannot generate an image for app {app!r}: {what} {path!r}: {reason}")


def _workdir(path: str) -> str:
    return APP_ROOT if path in ("", ".") else f"{APP_ROOT}/{path}"


def _covered(path: str, dirs: list[str]) -> bool:
    return any(d in ("", ".") or path == d or path.startswith(d + "/") for d in dirs)


def prepare(plan: Plan, root: Path, options: GenerateOptions) -> Generation:
    """Check the plan and the options, detect entry points, merge requirements."""
    label = options.root_label if options.root_label is not None else Path(root).resolve().name
    project = options.project_name if options.project_name is not None else project_name(label)
    if not _PROJECT.fullmatch(project):
        raise UsageError(
            f"invalid project name {project!r}: lowercase letters, digits, '-' and '_', "
            "starting with a letter or digit"
        )
    known = {a.name for a in plan.apps}
    seen: dict[str, str] = {}
    for group in plan.groups:
        if not _PYTHON.fullmatch(group.python):
            raise UsageError(f"group {group.name!r}: Python {group.python!r} is not X.Y")
        if not group.apps:
            raise UsageError(f"group {group.name!r} has no apps")
        for name in group.apps:
            if name not in known:
                raise UsageError(f"group {group.name!r} names an unknown app {name!r}")
            if name in seen:
                raise UsageError(f"app {name!r} is in groups {seen[name]!r} and {group.name!r}")
            seen[name] = group.name
    if len({g.name for g in plan.groups}) != len(plan.groups):
        raise UsageError("two groups have the same name")
    for name, count in options.replicas.items():
        if name not in seen:
            raise UsageError(f"--replicas {name}={count}: no app {name!r} in the plan's groups")
        if count < 1:
            raise UsageError(f"--replicas {name}={count}: give at least 1")

    entries = {name: entrypoints.detect(Path(root), plan.app(name)) for name in sorted(seen)}
    http_apps = sorted(n for n, e in entries.items() if e.http)
    host_ports = {name: FIRST_HOST_PORT + i for i, name in enumerate(http_apps)}

    builds = []
    repositories: dict[str, str] = {}
    for group in sorted(plan.groups, key=lambda g: g.name):
        repository = repository_name(group.name)
        if repository in repositories:
            raise UsageError(
                f"groups {repositories[repository]!r} and {group.name!r} would get the same "
                f"image name {repository!r}: rename one of them ([tool.depsplit.groups])"
            )
        repositories[repository] = group.name
        image = image_reference(
            repository, registry=options.registry, namespace=options.namespace, tag=options.tag
        )
        apps = []
        for name in sorted(group.apps):
            app = plan.app(name)
            _check_path(name, app.path, "its path")
            apps.append(
                AppBuild(
                    app=app,
                    entry=entries[name],
                    workdir=_workdir(app.path),
                    host_port=host_ports.get(name),
                    replicas=options.replicas.get(name, 1),
                )
            )
        reqs = lock.merge(plan, group)
        servers: dict[str, list[str]] = {}
        for a in apps:
            if a.entry.server_package:
                servers.setdefault(a.entry.server_package, []).append(a.app.name)
        reqs = lock.with_servers(reqs, servers)
        for path in reqs.local_paths:
            _check_path(group.name, path, "local path dependency")
        dirs = sorted({a.app.path for a in apps})
        included = sorted(
            {
                src
                for a in apps
                for src in a.app.sources
                if not src.startswith("/") and not _covered(src, dirs)
            }
        )
        for src in included:
            _check_path(group.name, src, "included file")
        copies = [d for d in dirs if not _covered(d, list(reqs.local_paths))]
        copies += [f for f in included if not _covered(f, list(reqs.local_paths))]
        builds.append(
            GroupBuild(
                group=group,
                image=image,
                apps=tuple(apps),
                requirements=reqs,
                local_paths=reqs.local_paths,
                copies=tuple(sorted(set(copies), key=lambda p: (posixpath.dirname(p), p))),
            )
        )
    ungrouped = tuple(sorted(known - set(seen)))
    return Generation(plan, options, label, project, tuple(builds), ungrouped)
