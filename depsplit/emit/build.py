"""What the emitters share about one generation: per group, its image, its apps with their
entry points, host ports and replicas, its merged requirements and what goes into the image.

:func:`prepare` is pure apart from reading the apps' files for entry-point detection and
their dependency files for credentials.
"""

from __future__ import annotations

import bisect
import errno
import os
import posixpath
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from depsplit.emit import entrypoints, lock
from depsplit.emit.entrypoints import EntryPoint
from depsplit.emit.images import image_reference, repository_name
from depsplit.emit.text import unsafe_path_reason, unwritable_pattern_reason
from depsplit.errors import UsageError
from depsplit.model import App, Group, Plan
from depsplit.realpaths import RealPaths
from depsplit.redact import REDACTED, redact_text

APP_ROOT = "/app"
"""Where the analysed root's layout is mirrored in every image."""
FIRST_HOST_PORT = 8001
_PYTHON = re.compile(r"2\.7|3\.[0-9]{1,2}")
_PROJECT = re.compile(r"[a-z0-9][a-z0-9_-]*")
MAX_SCAN_BYTES = 64 * 1024 * 1024
"""A larger dependency file is not read for credentials: it is counted as holding some."""
UNREAD_DEPENDENCY_FILES = r"pdm\.lock|uv\.toml|\.?pdm\.toml|poetry\.toml|pip\.conf|pip\.ini"
"""The names of the dependency files (and package-index settings) of formats no reader
reads (``pdm.lock``, ``uv.toml``, ``pip.conf`` …): checked for credentials in an app's
directory with each reader's :attr:`~depsplit.sources.interface.Reader.related_files`
(lock files with ``use_locks = false``, a second requirements file …)."""


def _dependency_file_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """(subdirectory of an app, ``""`` for its own; the names of the dependency files
    there), from the readers of :data:`depsplit.sources.READERS` and
    :data:`UNREAD_DEPENDENCY_FILES`."""
    from depsplit import sources

    by_dir: dict[str, list[str]] = {"": []}
    for reader in sources.READERS:
        for sub, pattern in reader.related_files:
            by_dir.setdefault(sub, []).append(pattern)
    by_dir[""].append(UNREAD_DEPENDENCY_FILES)
    return [
        (sub, re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE))
        for sub, patterns in by_dir.items()
    ]


@dataclass(frozen=True)
class Resources:
    """CPU and memory of every container, in Kubernetes quantities (``100m``, ``0.5``;
    ``128Mi``, ``1Gi``): requests and limits in Kubernetes, reservations and limits in a
    Swarm stack (``compose.yaml``'s ``deploy.resources``)."""

    cpu_request: str = "100m"
    cpu_limit: str = "500m"
    memory_request: str = "128Mi"
    memory_limit: str = "512Mi"


@dataclass(frozen=True)
class KubernetesOptions:
    """What ``generate --kubernetes`` asks for beyond the compose file."""

    namespace: str | None = None
    autoscale: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """``{app: (min, max)}``: a HorizontalPodAutoscaler instead of fixed replicas."""
    ingress_hosts: Mapping[str, str] = field(default_factory=dict)
    """``{app: host}``: an Ingress routing the host to the app's Service."""
    workloads: Mapping[str, str] = field(default_factory=dict)
    """``{app: "worker" | "job"}`` for apps that serve no HTTP (default: guessed)."""
    schedules: Mapping[str, str] = field(default_factory=dict)
    """``{app: cron schedule}``: the job runs as a CronJob."""


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
    resources: Resources | None = None
    """Set: every compose service also gets Swarm's ``deploy.resources``,
    ``deploy.update_config`` and ``deploy.restart_policy``."""
    kubernetes: KubernetesOptions | None = None
    """Set: also write ``kubernetes/`` (and ``resources`` defaults to :class:`Resources`)."""
    previous_ports: Mapping[str, int] = field(default_factory=dict)
    """The host ports of the previous run (its plan file's ``generate.ports``): an HTTP app
    keeps its port, so adding an app does not move the others'."""

    @property
    def deploy_resources(self) -> Resources | None:
        """The resources both the Swarm settings and Kubernetes use, or ``None``: neither."""
        if self.resources is None and self.kubernetes is not None:
            return Resources()
        return self.resources


def assign_host_ports(http_apps: Sequence[str], previous: Mapping[str, int]) -> dict[str, int]:
    """A unique host port per HTTP app: the one it had in the previous run when it still
    can (a port two apps claim goes to the first by name), else the lowest free port from
    :data:`FIRST_HOST_PORT`, in app-name order. Without a previous run: 8001, 8002… by name."""
    ports: dict[str, int] = {}
    used: set[int] = set()
    for name in sorted(http_apps):
        port = previous.get(name)
        if isinstance(port, int) and FIRST_HOST_PORT <= port <= 65535 and port not in used:
            ports[name] = port
            used.add(port)
    candidate = FIRST_HOST_PORT
    for name in sorted(http_apps):
        if name in ports:
            continue
        while candidate in used:
            candidate += 1
        if candidate > 65535:
            raise UsageError("more HTTP apps than free host ports above 8000")
        ports[name] = candidate
        used.add(candidate)
    return dict(sorted(ports.items()))


WEB, WORKER, JOB = "web", "worker", "job"
_JOB_WORDS = {"job", "jobs", "cron", "crons", "cronjobs", "task", "tasks", "batch", "release"}
"""A non-HTTP app whose path has one of these components, or whose Procfile process has
one of these names, is a one-off job; any other is a long-running worker."""


def workload_kind(app: App, entry: EntryPoint, declared: Mapping[str, str]) -> str:
    """``web`` (serves HTTP), ``worker`` (runs until stopped) or ``job`` (runs to
    completion): what ``declared`` (the configuration's ``workloads``) says, else guessed
    from the entry point, the app's path and its Procfile process name."""
    if entry.http:
        return WEB
    if app.name in declared:
        return declared[app.name]
    words = set(re.split(r"[/_.-]+", app.path.lower())) | {app.name}
    process = re.fullmatch(r"Procfile process '([^']*)'", entry.how)
    if process:
        words.add(process.group(1).lower())
    return JOB if words & _JOB_WORDS else WORKER


@dataclass(frozen=True)
class AppBuild:
    app: App
    entry: EntryPoint
    workdir: str
    host_port: int | None
    replicas: int = 1
    kind: str = WORKER
    """:data:`WEB`, :data:`WORKER` or :data:`JOB` (:func:`workload_kind`)."""

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
    """Copied after the install: the apps' directories and the files they include (but not
    those in :attr:`secret_files`)."""
    secret_files: tuple[str, ...] = ()
    """Dependency files in the build context holding a URL with credentials, sorted: the
    group's ``.dockerignore`` leaves them out of the image."""

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


def _under(path: str, context: set[str]) -> bool:
    """Whether ``path`` is one of ``context`` or inside one of them (by its ancestors: a
    group may copy thousands of directories)."""
    if "" in context or "." in context:
        return True
    while path:
        if path in context:
            return True
        path = posixpath.dirname(path)
    return False


class _AppsByPath:
    """The apps whose directory is one of a set of paths or inside one, found by bisection
    in the sorted paths (a group may copy thousands of directories)."""

    def __init__(self, apps: tuple[App, ...]) -> None:
        self.apps = sorted(apps, key=lambda a: a.path)
        self.paths = [a.path for a in self.apps]

    def under(self, context: set[str]) -> list[App]:
        if "" in context or "." in context:
            return list(self.apps)
        found: dict[str, App] = {}
        for path in context:
            lo = bisect.bisect_left(self.paths, path)
            if lo < len(self.paths) and self.paths[lo] == path:
                found[self.apps[lo].name] = self.apps[lo]
            # "p/…" sort together, between "p/" and "p0" ('0' follows '/').
            lo = bisect.bisect_left(self.paths, path + "/")
            hi = bisect.bisect_left(self.paths, path + "0")
            found.update((a.name, a) for a in self.apps[lo:hi])
        return [found[name] for name in sorted(found)]


def credential_files(app: App) -> set[str]:
    """The root-relative files of ``app`` with a URL whose credentials were redacted when
    they were read (a requirement or an index option)."""
    files = {r.origin.file for r in app.requirements if r.url and REDACTED in r.url}
    files |= {o.origin.file for o in app.index_options if REDACTED in o.value}
    return {f for f in files if not f.startswith("/")}


def dependency_files(root: Path, app: App) -> list[str]:
    """The root-relative dependency files of ``app``: the ones read for it (its lock file
    included), and those in its directory (and its ``requirements/``) that depsplit does not
    read but the image would copy with the directory."""
    files = [f for f in (*app.sources, app.lock_file) if f and not f.startswith("/")]
    base = "" if app.path in ("", ".") else app.path
    for sub, pattern in _dependency_file_patterns():
        directory = posixpath.join(base, sub) if sub else base
        try:
            with os.scandir(root / directory if directory else root) as entries:
                names = sorted(
                    e.name for e in entries if pattern.fullmatch(e.name) and not e.is_dir()
                )
        except OSError:
            continue
        files += [posixpath.join(directory, n) if directory else n for n in names]
    return sorted(set(files))


def holds_credentials(root: Path, rel: str, real_paths: RealPaths | None = None) -> bool:
    """Whether the file at ``rel`` under ``root`` (resolved) holds a URL with credentials:
    whether its text changes when redacted (:func:`depsplit.redact.redact_text`; ``${VAR}``
    references are kept, so they do not count). A file that cannot be read, or is over
    :data:`MAX_SCAN_BYTES`, counts as holding some; one that is not a regular file, or
    (through a symlink) is outside the root, is not sent with the build context and does
    not. ``real_paths``: the run's resolutions, shared across calls."""
    try:
        real = Path((real_paths or RealPaths()).resolved(os.path.join(root, rel)))
    except RuntimeError:
        return False  # a symlink loop: nothing to send
    if not real.is_relative_to(root):
        return False  # a symlink out of the root: Docker sends the link, not its target
    try:
        if not stat.S_ISREG(os.stat(real).st_mode):
            return False  # a directory, FIFO, device …: no text to send
        with open(real, "rb") as fh:
            data = fh.read(MAX_SCAN_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        return exc.errno != errno.ELOOP  # unreadable here: it may hold some
    if len(data) > MAX_SCAN_BYTES:
        return True
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16", errors="replace")
    else:
        text = data.decode("utf-8", errors="replace")
    # pip joins a line ending in a backslash with the next: a URL may be split there.
    return any(redact_text(t) != t for t in (text, re.sub(r"\\\r?\n", "", text)))


def _without_credentials(entry: EntryPoint, app: App) -> EntryPoint:
    """``entry``, or a TODO when its command (from a Procfile, a script entry …) holds a
    URL with credentials: the generated files must not carry them."""
    shown = [*(entry.command or ()), entry.how, entry.todo or ""]
    if all(redact_text(text) == text for text in shown):
        return entry
    return EntryPoint.unknown(
        f"the command found for app {app.name!r} holds a URL with credentials: set its "
        "command yourself, passing the credentials at run time (an environment variable "
        "or a secret)"
    )


def prepare(plan: Plan, root: Path, options: GenerateOptions) -> Generation:
    """Check the plan and the options, detect entry points, merge requirements.

    Raises :class:`~depsplit.errors.UsageError` on the first problem found, in this
    order: the project name, the groups (:func:`_group_of_apps`), ``--replicas``, the
    Kubernetes workloads and schedules, then group by group in name order its image
    name, its apps' paths, its requirements and the files its image would copy
    (:func:`_group_build`)."""
    label = options.root_label if options.root_label is not None else Path(root).resolve().name
    project = options.project_name if options.project_name is not None else project_name(label)
    if not _PROJECT.fullmatch(project):
        raise UsageError(
            f"invalid project name {project!r}: lowercase letters, digits, '-' and '_', "
            "starting with a letter or digit"
        )
    known = {a.name for a in plan.apps}
    group_of = _group_of_apps(plan, known)
    _check_replicas(options.replicas, group_of)
    declared = _declared_workloads(options.kubernetes, group_of)
    real_paths = RealPaths()
    entries = {
        name: _without_credentials(
            entrypoints.detect(Path(root), plan.app(name), real_paths), plan.app(name)
        )
        for name in sorted(group_of)
    }
    http_apps = sorted(n for n, e in entries.items() if e.http)
    host_ports = assign_host_ports(http_apps, options.previous_ports)

    builds = []
    repositories: dict[str, str] = {}
    scan = _CredentialScan(plan, root)
    for group in sorted(plan.groups, key=lambda g: g.name):
        image = _group_image(group, options, repositories)
        apps = [
            _app_build(plan.app(name), entries[name], host_ports, options.replicas, declared)
            for name in sorted(group.apps)
        ]
        builds.append(_group_build(plan, group, image, apps, scan))
    ungrouped = tuple(sorted(known - set(group_of)))
    return Generation(plan, options, label, project, tuple(builds), ungrouped)


def _group_of_apps(plan: Plan, known: set[str]) -> dict[str, str]:
    """``{app: its group}`` for every app in the plan's groups, in the plan's order, after
    checking every group (in the plan's order): its Python is ``X.Y``, it has apps, they
    are ``known`` (the plan's apps) and in no earlier group; then that no two groups share
    a name. Raises :class:`~depsplit.errors.UsageError` on the first problem."""
    group_of: dict[str, str] = {}
    for group in plan.groups:
        if not _PYTHON.fullmatch(group.python):
            raise UsageError(f"group {group.name!r}: Python {group.python!r} is not X.Y")
        if not group.apps:
            raise UsageError(f"group {group.name!r} has no apps")
        for name in group.apps:
            if name not in known:
                raise UsageError(f"group {group.name!r} names an unknown app {name!r}")
            if name in group_of:
                raise UsageError(f"app {name!r} is in groups {group_of[name]!r} and {group.name!r}")
            group_of[name] = group.name
    if len({g.name for g in plan.groups}) != len(plan.groups):
        raise UsageError("two groups have the same name")
    return group_of


def _check_replicas(replicas: Mapping[str, int], group_of: Mapping[str, str]) -> None:
    """Raises :class:`~depsplit.errors.UsageError` for the first ``--replicas`` entry (in
    its order) naming an app in no group, or asking for fewer than one replica."""
    for name, count in replicas.items():
        if name not in group_of:
            raise UsageError(f"--replicas {name}={count}: no app {name!r} in the plan's groups")
        if count < 1:
            raise UsageError(f"--replicas {name}={count}: give at least 1")


def _declared_workloads(
    k8s: KubernetesOptions | None, group_of: Mapping[str, str]
) -> dict[str, str]:
    """``{app: "worker" | "job"}``: the configuration's ``workloads``, and ``job`` for
    every app with a schedule (``{}`` without ``--kubernetes``). Raises
    :class:`~depsplit.errors.UsageError` when a scheduled app is declared a worker, or an
    entry names an app in no group or a kind other than :data:`WORKER` and :data:`JOB`."""
    declared = dict(k8s.workloads) if k8s else {}
    for name in k8s.schedules if k8s else ():
        if declared.setdefault(name, JOB) != JOB:
            raise UsageError(
                f"schedules: {name} has a schedule, but workloads says {declared[name]!r}"
            )
    for name, kind in declared.items():
        if name not in group_of:
            raise UsageError(f"workloads: no app {name!r} in the plan's groups")
        if kind not in (WORKER, JOB):
            raise UsageError(f"workloads: {name} = {kind!r}: give {WORKER!r} or {JOB!r}")
    return declared


def _group_image(group: Group, options: GenerateOptions, repositories: dict[str, str]) -> str:
    """The image reference of ``group``'s image; records its repository name in
    ``repositories`` (``{repository: group}``, the groups done so before). Raises
    :class:`~depsplit.errors.UsageError` when an earlier group has the same repository."""
    repository = repository_name(group.name)
    if repository in repositories:
        raise UsageError(
            f"groups {repositories[repository]!r} and {group.name!r} would get the same "
            f"image name {repository!r}: rename one of them ([tool.depsplit.groups])"
        )
    repositories[repository] = group.name
    return image_reference(
        repository, registry=options.registry, namespace=options.namespace, tag=options.tag
    )


def _app_build(
    app: App,
    entry: EntryPoint,
    host_ports: Mapping[str, int],
    replicas: Mapping[str, int],
    declared: Mapping[str, str],
) -> AppBuild:
    """How ``app`` runs in its group's image. Raises :class:`~depsplit.errors.UsageError`
    when its path is unsafe to copy (:func:`_check_path`)."""
    _check_path(app.name, app.path, "its path")
    return AppBuild(
        app=app,
        entry=entry,
        workdir=_workdir(app.path),
        host_port=host_ports.get(app.name),
        replicas=replicas.get(app.name, 1),
        kind=workload_kind(app, entry, declared),
    )


def _group_build(
    plan: Plan, group: Group, image: str, apps: list[AppBuild], scan: _CredentialScan
) -> GroupBuild:
    """What goes into ``group``'s image: its requirements (with the servers its apps'
    entry points need), its local path dependencies, and the apps' directories and the
    files they include, less the dependency files holding credentials in what the image
    copies (which its ``.dockerignore`` leaves out). Raises
    :class:`~depsplit.errors.UsageError` when a local path or an included file is unsafe to
    copy, or a file holding credentials cannot be written in a ``.dockerignore``."""
    reqs = lock.merge(plan, group)
    servers: dict[str, list[str]] = {}
    for a in apps:
        if a.entry.server_package:
            servers.setdefault(a.entry.server_package, []).append(a.app.name)
    reqs = lock.with_servers(reqs, servers)
    for path in reqs.local_paths:
        _check_path(group.name, path, "local path dependency")
    dirs = sorted({a.app.path for a in apps})
    held = set(dirs)
    included = sorted(
        {
            src
            for a in apps
            for src in a.app.sources
            if not src.startswith("/") and not _under(src, held)
        }
    )
    for src in included:
        _check_path(group.name, src, "included file")
    secrets = scan.secrets_under({*dirs, *included, *reqs.local_paths})
    for path in sorted(secrets):
        # Left out by the .dockerignore only (never copied): any name it can hold.
        reason = unwritable_pattern_reason(path)
        if reason is not None:
            raise UsageError(
                f"cannot generate an image for app {group.name!r}: dependency file "
                f"holding credentials {path!r}: {reason}"
            )
    # A COPY of a file the .dockerignore leaves out would fail the build.
    included = [f for f in included if f not in secrets]
    local = set(reqs.local_paths)
    copies = [d for d in dirs if not _under(d, local)]
    copies += [f for f in included if not _under(f, local)]
    return GroupBuild(
        group=group,
        image=image,
        apps=tuple(apps),
        requirements=reqs,
        local_paths=reqs.local_paths,
        copies=tuple(sorted(set(copies), key=lambda p: (posixpath.dirname(p), p))),
        secret_files=tuple(sorted(secrets)),
    )


class _CredentialScan:
    """The dependency files holding credentials in what an image copies, for one
    generation: each app's dependency files are listed, and each file read, at most once
    however many groups' images copy them."""

    def __init__(self, plan: Plan, root: Path) -> None:
        self.root = root
        self.by_path = _AppsByPath(plan.apps)
        self.real_root = Path(os.path.realpath(root))
        self.scanned: dict[str, bool] = {}
        """``{file: whether it holds credentials}``, for the files read so far."""
        self.real_paths = RealPaths()
        """The resolutions of the paths looked at, for :func:`holds_credentials`."""
        self.own_files: dict[str, tuple[list[str], set[str]]] = {}
        """``{app: (its dependency files, those whose credentials were redacted)}``."""

    def _holds_credentials(self, rel: str) -> bool:
        found = self.scanned.get(rel)
        if found is None:
            found = self.scanned[rel] = holds_credentials(self.real_root, rel, self.real_paths)
        return found

    def secrets_under(self, context: set[str]) -> set[str]:
        """The dependency files under ``context`` (root-relative paths the image copies)
        of every app whose directory is under it (a nested app of another group too) that
        had credentials redacted when read or hold a URL with credentials
        (:func:`holds_credentials`)."""
        secrets: set[str] = set()
        for other in self.by_path.under(context):
            found = self.own_files.get(other.name)
            if found is None:
                found = self.own_files[other.name] = (
                    dependency_files(Path(self.root), other),
                    credential_files(other),
                )
            files, redacted = found
            secrets.update(f for f in redacted if _under(f, context))
            secrets.update(f for f in files if _under(f, context) and self._holds_credentials(f))
        return secrets
