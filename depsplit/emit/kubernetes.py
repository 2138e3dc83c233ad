"""``kubernetes/``: the plan as Kubernetes manifests, for ``kubectl apply -k``.

One file per app, ``kubernetes/<name>.yaml``, holding its objects in this order:

- a ``ConfigMap`` ``<name>-env`` with the variables of the app's ``.env.example`` that are
  not secrets (their example values), read by ``envFrom``; the secret-looking ones
  (passwords, tokens, keys, URLs and DSNs, or a value holding credentials) become
  ``secretKeyRef``\\ s to a Secret ``<name>-secrets`` the user creates: the file's opening
  comment gives the command. No value of such a variable is ever written;
- a web app (it serves HTTP): a ``Deployment`` and a ClusterIP ``Service`` on the port it
  listens on, readiness and liveness probes on the path of its compose healthcheck, a
  ``HorizontalPodAutoscaler`` with ``autoscale`` and an ``Ingress`` with ``ingress_hosts``;
- a worker: a ``Deployment`` without a Service; a job: a ``Job``, or a ``CronJob`` when it
  has a schedule. An app without an entry point has 0 replicas (a suspended Job), as its
  compose service sits in the ``todo`` profile.

Every workload runs the group's image as ``compose.yaml`` names it, with the app's command
and working directory, as the image's non-root user with a read-only root file system (an
``emptyDir`` at ``/tmp``), no privilege escalation and no capability, and the resources of
:class:`~depsplit.emit.build.Resources`. ``kustomization.yaml`` lists the files (and
``namespace.yaml`` with a namespace).

Names: every object is named after its app, made a DNS-1035 label of at most
:data:`MAX_NAME` characters (a CronJob's limit); a name that had to change (``_``, a
leading digit, length) gets a hash of the app's name as suffix, so two apps never share
one (:func:`dns_names`; the mapping is in ``depsplit-plan.json``).

YAML is written by :func:`depsplit.emit.compose.dump` with every string double-quoted;
``$`` is doubled only in commands, where Kubernetes expands ``$(VAR)``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from depsplit.emit import compose
from depsplit.emit.build import (
    JOB,
    WEB,
    WORKER,
    AppBuild,
    Generation,
    GroupBuild,
    KubernetesOptions,
    Resources,
)
from depsplit.emit.compose import Flow, Node
from depsplit.emit.dockerfile import UID
from depsplit.emit.entrypoints import PORT, read_app_file
from depsplit.emit.text import comment_safe, yaml_str
from depsplit.errors import UsageError
from depsplit.redact import redact_text

DIR = "kubernetes"
MAX_NAME = 52
"""A CronJob's name limit (its Jobs append 11 characters to a 63-character label)."""
MAX_LABEL = 63
ENV_FILE = ".env.example"
HPA_CPU_UTILIZATION = 70
READINESS_PERIOD = 10
_DNS_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_HOST = re.compile(r"(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_K8S_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_ENV_LINE = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)")
_SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|AUTH|(?:^|_)(?:KEY|DSN|URL|URI)$",
    re.IGNORECASE,
)
_CRON_FIELD = r"[0-9A-Za-z*?/,-]+"
_CRON = re.compile(
    rf"@(?:yearly|annually|monthly|weekly|daily|midnight|hourly)|{_CRON_FIELD}(?:\s+{_CRON_FIELD}){{4}}"
)
_QUANTITY_CPU = re.compile(r"(?:[1-9][0-9]*m|[0-9]+(?:\.[0-9]{1,3})?)")
_QUANTITY_MEMORY = re.compile(r"[1-9][0-9]*(?:Ki|Mi|Gi|Ti)")


def k8s_str(text: str) -> str:
    """A double-quoted YAML scalar, ``$`` as written (Kubernetes does not interpolate)."""
    return yaml_str(text, interpolated=False)


def dns_names(names: Iterable[str], limit: int = MAX_NAME) -> dict[str, str]:
    """``{name: DNS-1035 label}``: lower-case letters, digits and ``-``, starting with a
    letter, at most ``limit`` characters. A name that is already one is kept; any other is
    reduced and gets ``-`` and 6 hex digits of its SHA-256, so it collides with no kept
    name and no other reduced one (a collision all the same is an error)."""
    out: dict[str, str] = {}
    for name in sorted(set(names)):
        if _DNS_LABEL.fullmatch(name) and len(name) <= limit:
            out[name] = name
            continue
        base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        if not base or not base[0].isalpha():
            base = f"x-{base}".rstrip("-")
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:6]
        out[name] = f"{base[: limit - 7].rstrip('-')}-{digest}"
    taken: dict[str, str] = {}
    for name, label in out.items():
        if label in taken:
            raise UsageError(
                f"apps {taken[label]!r} and {name!r} would get the same Kubernetes name "
                f"{label!r}: rename one of their directories"
            )
        taken[label] = name
    return out


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str | None
    """The example value of a ConfigMap variable; ``None`` for a secret."""


def env_vars(root: Path, app_dir: str) -> tuple[EnvVar, ...]:
    """The variables of the app's ``.env.example``, sorted by name (the last assignment
    wins, as in a shell). A variable is secret by its name (:data:`_SECRET_NAME`) or when
    its value holds credentials."""
    text = read_app_file(root / app_dir / ENV_FILE, root)
    found: dict[str, str] = {}
    for line in (text or "").splitlines():
        match = _ENV_LINE.fullmatch(line)
        if match is None:
            continue
        raw = match.group(2).strip()
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            value = raw[1:-1]
        else:
            value = re.split(r"\s+#", raw, maxsplit=1)[0]
        found[match.group(1)] = value
    return tuple(
        EnvVar(name, None if _SECRET_NAME.search(name) or redact_text(v) != v else v)
        for name, v in sorted(found.items())
    )


def check_options(gen: Generation) -> None:
    """:class:`UsageError` for options that name no app, or an app of the wrong kind."""
    options = gen.options.kubernetes
    assert options is not None
    apps = {a.app.name: a for b in gen.groups for a in b.apps}

    def app(flag: str, name: str, kinds: tuple[str, ...]) -> AppBuild:
        if name not in apps:
            raise UsageError(f"{flag} {name}: no app {name!r} in the plan's groups")
        found = apps[name]
        if found.kind not in kinds:
            raise UsageError(
                f"{flag} {name}: {name!r} is a {found.kind}; this applies to a "
                f"{' or a '.join(kinds)}"
            )
        return found

    for name, (low, high) in options.autoscale.items():
        if app("--autoscale", name, (WEB, WORKER)).replicas > 1:
            raise UsageError(f"--autoscale {name}: also given --replicas; give one of them")
        if not 1 <= low <= high:
            raise UsageError(f"--autoscale {name}={low}:{high}: give 1 <= MIN <= MAX")
    for name, host in options.ingress_hosts.items():
        app("--ingress-host", name, (WEB,))
        if not _HOST.fullmatch(host) or len(host) > 253:
            raise UsageError(
                f"--ingress-host {name}={host}: not a DNS host name (lower-case letters, "
                "digits, '-' and '.', optionally starting with '*.')"
            )
    for name, schedule in options.schedules.items():
        app("schedules:", name, (JOB,))
        if not _CRON.fullmatch(schedule.strip()):
            raise UsageError(
                f"schedules: {name} = {schedule!r}: not a cron schedule (five fields, "
                "e.g. '0 3 * * *', or @daily, @hourly …)"
            )
    if options.namespace is not None and not (
        _DNS_LABEL.fullmatch(options.namespace) and len(options.namespace) <= MAX_LABEL
    ):
        raise UsageError(
            f"invalid Kubernetes namespace {options.namespace!r}: lower-case letters, digits "
            "and '-', starting with a letter, at most 63 characters"
        )


def check_resources(resources: Resources) -> Resources:
    for what, value, pattern in (
        ("--cpu", resources.cpu_request, _QUANTITY_CPU),
        ("--cpu", resources.cpu_limit, _QUANTITY_CPU),
        ("--memory", resources.memory_request, _QUANTITY_MEMORY),
        ("--memory", resources.memory_limit, _QUANTITY_MEMORY),
    ):
        if not pattern.fullmatch(value):
            example = "250m or 0.5" if what == "--cpu" else "256Mi or 1Gi"
            raise UsageError(f"{what} {value!r}: give a Kubernetes quantity such as {example}")
    return resources


@dataclass(frozen=True)
class Names:
    apps: dict[str, str]
    groups: dict[str, str]
    project: str


def names(gen: Generation) -> Names:
    return Names(
        apps=dns_names(a.app.name for b in gen.groups for a in b.apps),
        groups=dns_names((b.group.name for b in gen.groups), MAX_LABEL),
        project=dns_names([gen.project], MAX_LABEL)[gen.project],
    )


def plan_section(gen: Generation) -> dict[str, Any]:
    """What ``depsplit-plan.json`` records under ``generate.kubernetes``."""
    options = gen.options.kubernetes
    assert options is not None
    named = names(gen)
    return {
        "directory": DIR,
        "namespace": options.namespace,
        "names": named.apps,
        "group_labels": named.groups,
        "workloads": dict(sorted((a.app.name, a.kind) for b in gen.groups for a in b.apps)),
        "schedules": dict(sorted(options.schedules.items())),
        "autoscale": {k: list(v) for k, v in sorted(options.autoscale.items())},
        "ingress_hosts": dict(sorted(options.ingress_hosts.items())),
    }


def sorted_apps(build: GroupBuild) -> tuple[AppBuild, ...]:
    return tuple(sorted(build.apps, key=lambda a: a.app.name))


def _command(app: AppBuild, path: str) -> tuple[str, ...]:
    if app.entry.command is None:
        return compose.todo_command(app, path)
    # Kubernetes expands $(VAR) in a command and reads $$ as $: keep every $ literal.
    return tuple(word.replace("$", "$$") for word in app.entry.command)


def _probe(path: str, **timing: int) -> dict[str, Node]:
    return {"httpGet": {"path": path, "port": "http"}, **timing}


def _container(
    app: AppBuild, build: GroupBuild, name: str, env: tuple[EnvVar, ...], resources: Resources
) -> dict[str, Node]:
    container: dict[str, Node] = {
        "name": name,
        "image": build.image,
        "command": Flow(_command(app, f"{DIR}/{name}.yaml")),
        "workingDir": app.workdir,
    }
    if app.entry.http:
        container["ports"] = [{"name": "http", "containerPort": PORT, "protocol": "TCP"}]
    if any(v.value is not None for v in env):
        container["envFrom"] = [{"configMapRef": {"name": f"{name}-env"}}]
    secrets: list[Node] = [
        {
            "name": v.name,
            "valueFrom": {"secretKeyRef": {"name": f"{name}-secrets", "key": v.name}},
        }
        for v in env
        if v.value is None
    ]
    if secrets:
        container["env"] = secrets
    container["resources"] = {
        "requests": {"cpu": resources.cpu_request, "memory": resources.memory_request},
        "limits": {"cpu": resources.cpu_limit, "memory": resources.memory_limit},
    }
    if app.entry.http:
        path = app.entry.health_path or "/"
        container["readinessProbe"] = _probe(
            path,
            periodSeconds=READINESS_PERIOD,
            timeoutSeconds=compose.HEALTH_TIMEOUT,
            failureThreshold=compose.HEALTH_RETRIES,
        )
        container["livenessProbe"] = _probe(
            path,
            initialDelaySeconds=compose.HEALTH_START_PERIOD,
            periodSeconds=compose.HEALTH_INTERVAL,
            timeoutSeconds=compose.HEALTH_TIMEOUT,
            failureThreshold=compose.HEALTH_RETRIES,
        )
    container["securityContext"] = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": Flow(("ALL",))},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
    }
    container["volumeMounts"] = [{"name": "tmp", "mountPath": "/tmp"}]
    return container


def _pod(container: dict[str, Node], labels: dict[str, Node], job: bool) -> dict[str, Node]:
    spec: dict[str, Node] = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
    }
    if job:
        spec["restartPolicy"] = "OnFailure"
    spec["securityContext"] = {
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    spec["containers"] = [container]
    spec["volumes"] = [{"name": "tmp", "emptyDir": {}}]
    return {"metadata": {"labels": labels}, "spec": spec}


def _meta(name: str, labels: dict[str, Node], app: str) -> dict[str, Node]:
    return {"name": name, "labels": labels, "annotations": {"depsplit.io/app": app}}


def _workload(
    app: AppBuild,
    name: str,
    labels: dict[str, Node],
    pod: dict[str, Node],
    options: KubernetesOptions,
) -> dict[str, Node]:
    meta = _meta(name, labels, app.app.name)
    todo = app.entry.command is None
    if app.kind == JOB:
        job: dict[str, Node] = {}
        if app.replicas > 1:
            job["parallelism"] = app.replicas
            job["completions"] = app.replicas
        job["backoffLimit"] = 6
        if todo and app.app.name not in options.schedules:
            job["suspend"] = True
        job["template"] = pod
        if app.app.name in options.schedules:
            spec: dict[str, Node] = {
                "schedule": options.schedules[app.app.name].strip(),
                "concurrencyPolicy": "Forbid",
            }
            if todo:
                spec["suspend"] = True
            spec["jobTemplate"] = {"metadata": {"labels": labels}, "spec": job}
            return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta, "spec": spec}
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": job}
    selector = {k: labels[k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/part-of")}
    deployment: dict[str, Node] = {}
    if app.app.name not in options.autoscale:  # else the autoscaler owns the count
        deployment["replicas"] = 0 if todo else app.replicas
    deployment["selector"] = {"matchLabels": selector}
    deployment["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    deployment["template"] = pod
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": deployment}


def _service(app: AppBuild, name: str, labels: dict[str, Node]) -> dict[str, Node]:
    selector = {k: labels[k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/part-of")}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(name, labels, app.app.name),
        "spec": {
            "type": "ClusterIP",
            "selector": selector,
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def _autoscaler(
    app: AppBuild, name: str, labels: dict[str, Node], bounds: tuple[int, int]
) -> dict[str, Node]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta(name, labels, app.app.name),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": bounds[0],
            "maxReplicas": bounds[1],
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": HPA_CPU_UTILIZATION,
                        },
                    },
                }
            ],
        },
    }


def _ingress(app: AppBuild, name: str, labels: dict[str, Node], host: str) -> dict[str, Node]:
    backend: dict[str, Node] = {"service": {"name": name, "port": {"name": "http"}}}
    path: dict[str, Node] = {"path": "/", "pathType": "Prefix", "backend": backend}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _meta(name, labels, app.app.name),
        "spec": {"rules": [{"host": host, "http": {"paths": [path]}}]},
    }


def _config_map(
    app: AppBuild, name: str, labels: dict[str, Node], env: tuple[EnvVar, ...]
) -> dict[str, Node]:
    data: dict[str, Node] = {v.name: v.value for v in env if v.value is not None}
    doc: dict[str, Node] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(f"{name}-env", labels, app.app.name),
        "data": data,
    }
    return doc


def render_app(
    gen: Generation, build: GroupBuild, app: AppBuild, named: Names, root: Path, header: str
) -> str:
    options = gen.options.kubernetes
    resources = gen.options.deploy_resources
    assert options is not None
    assert resources is not None
    name = named.apps[app.app.name]
    labels: dict[str, Node] = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": app.kind,
        "app.kubernetes.io/part-of": named.project,
        "app.kubernetes.io/managed-by": "depsplit",
        "depsplit.io/group": named.groups[build.group.name],
    }
    env = env_vars(root, app.app.path)
    container = _container(app, build, name, env, resources)
    pod = _pod(container, labels, app.kind == JOB)
    docs: list[dict[str, Node]] = []
    if any(v.value is not None for v in env):
        docs.append(_config_map(app, name, labels, env))
    docs.append(_workload(app, name, labels, pod, options))
    if app.kind == WEB:
        docs.append(_service(app, name, labels))
    if app.app.name in options.autoscale:
        docs.append(_autoscaler(app, name, labels, options.autoscale[app.app.name]))
    if app.app.name in options.ingress_hosts:
        docs.append(_ingress(app, name, labels, options.ingress_hosts[app.app.name]))
    lines = [
        f"# {header}",
        f"# App {comment_safe(app.app.name)} ({app.app.path or '.'}): {app.kind}",
    ]
    if app.entry.command is None:
        lines.append(f"# TODO: {comment_safe(app.entry.todo or '')}")
        lines.append("# It does not run (0 replicas, or suspended) until you set its command.")
    else:
        lines.append(f"# Command: {comment_safe(app.entry.how)}")
    secret_names = [v.name for v in env if v.value is None]
    if secret_names:
        literals = " ".join(f"--from-literal={n}=…" for n in secret_names)
        namespace = f" -n {options.namespace}" if options.namespace else ""
        lines += [
            f"# Secret {name}-secrets ({', '.join(secret_names)}, from {ENV_FILE}): create it",
            f"# yourself, it is never generated: kubectl create secret generic {name}-secrets"
            f"{namespace} {literals}",
        ]
    body = ["---\n" + "\n".join(_dump(d)) for d in docs]
    return "\n".join(lines) + "\n" + "\n".join(body) + "\n"


def _dump(doc: dict[str, Node]) -> list[str]:
    return compose.dump(doc, quote=k8s_str, plain=_K8S_KEY)


def render_all(gen: Generation, root: Path, header: str) -> dict[str, str]:
    """``{path relative to OUTDIR: text}`` of ``kubernetes/``."""
    options = gen.options.kubernetes
    assert options is not None
    check_options(gen)
    assert gen.options.deploy_resources is not None
    check_resources(gen.options.deploy_resources)
    named = names(gen)
    files: dict[str, str] = {}
    for build in gen.groups:
        for app in sorted_apps(build):
            files[f"{DIR}/{named.apps[app.app.name]}.yaml"] = render_app(
                gen, build, app, named, root, header
            )
    resources = sorted(p.removeprefix(f"{DIR}/") for p in files)
    kustomization: dict[str, Node] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
    }
    if options.namespace:
        kustomization["namespace"] = options.namespace
        files[f"{DIR}/namespace.yaml"] = (
            f"# {header}\n"
            + "\n".join(
                _dump(
                    {
                        "apiVersion": "v1",
                        "kind": "Namespace",
                        "metadata": {"name": options.namespace},
                    }
                )
            )
            + "\n"
        )
        resources.insert(0, "namespace.yaml")
    listed: list[Node] = list(resources)
    kustomization["resources"] = listed
    files[f"{DIR}/kustomization.yaml"] = (
        f"# {header}\n"
        "# The plan's apps for Kubernetes. Build and push the group images, then:\n"
        f"#   kubectl apply -k {DIR}\n" + "\n".join(_dump(kustomization)) + "\n"
    )
    return files


def emit(gen: Generation, root: Path, header: str) -> dict[str, str]:
    """The :class:`~depsplit.emit.interface.Emitter` of ``kubernetes/``, only with
    ``options.kubernetes``: see :func:`render_all`."""
    if gen.options.kubernetes is None:
        return {}
    return render_all(gen, root, header)


__all__ = ["DIR", "dns_names", "emit", "env_vars", "plan_section", "render_all"]
