"""``compose.yaml`` for the whole plan: one image per group (built once: every service of a
group names the same ``image`` and ``build``, which Compose builds a single time), one
service per app with its own command and working directory.

YAML is written by hand, deterministically: every string is a double-quoted scalar with
``$`` doubled (Compose interpolates ``$``), so no path or command can break the document.
Servers get a quoted, unique host port (8001, 8002… in app-name order, then kept from the
previous run: :func:`~depsplit.emit.build.assign_host_ports`), a healthcheck with
Python's ``urllib`` (slim images have no curl) and ``restart: unless-stopped``; jobs restart
only on failure, since a job that exits 0 is done. An HTTP app with more than one replica
has no host port of its own: an nginx service in front of it takes that port.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from depsplit import __version__
from depsplit.emit.build import JOB, AppBuild, Generation, GroupBuild, Resources
from depsplit.emit.dockerfile import SECRET_IDS
from depsplit.emit.entrypoints import PORT
from depsplit.emit.text import comment_safe, yaml_str
from depsplit.pieces import Pieces, Sink

LB_IMAGE = "nginx:1.27-alpine"
LB_DIR = "lb"
_PLAIN_KEY = re.compile(r"[a-z_][a-z_.-]*")
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


@dataclass(frozen=True)
class Flow:
    """A list written in flow style: ``["a", "b"]``."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Commented:
    """A value with comment lines written above its key."""

    comments: tuple[str, ...]
    value: Node


Node = str | int | bool | Flow | Commented | list["Node"] | dict[str, "Node"]


Quote = Callable[[str], str]


def _key(key: str, quote: Quote, plain: re.Pattern[str]) -> str:
    return key if plain.fullmatch(key) and key.lower() not in _RESERVED else quote(key)


def _scalar(value: str | int | bool | Flow, quote: Quote = yaml_str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Flow):
        return "[" + ", ".join(quote(i) for i in value.items) + "]"
    return quote(value)


def dump(
    node: dict[str, Node],
    indent: int = 0,
    quote: Quote = yaml_str,
    plain: re.Pattern[str] = _PLAIN_KEY,
) -> list[str]:
    """``node`` as YAML lines, every string a double-quoted scalar made by ``quote`` (by
    default Compose's, with ``$`` doubled), and every key too unless it matches ``plain``
    (and is no YAML 1.1 boolean or null)."""
    out: list[str] = []
    pad = " " * indent
    for key, value in node.items():
        if isinstance(value, Commented):
            out += [f"{pad}# {comment_safe(c)}" for c in value.comments]
            value = value.value
        if isinstance(value, dict):
            if value:
                out.append(f"{pad}{_key(key, quote, plain)}:")
                out += dump(value, indent + 2, quote, plain)
            else:
                out.append(f"{pad}{_key(key, quote, plain)}: {{}}")
        elif isinstance(value, list):
            if not value:
                out.append(f"{pad}{_key(key, quote, plain)}: []")
                continue
            out.append(f"{pad}{_key(key, quote, plain)}:")
            for item in value:
                if isinstance(item, dict):
                    lines = dump(item, indent + 4, quote, plain)
                    out.append(f"{pad}  - {lines[0].lstrip()}")
                    out += lines[1:]
                elif isinstance(item, (list, Commented)):
                    raise TypeError("nested lists and comments in lists are not emitted")
                else:
                    out.append(f"{pad}  - {_scalar(item, quote)}")
        elif isinstance(value, Commented):
            raise TypeError("a comment on a comment is not emitted")
        else:
            out.append(f"{pad}{_key(key, quote, plain)}: {_scalar(value, quote)}")
    return out


HEALTH_INTERVAL = 30
HEALTH_TIMEOUT = 5
HEALTH_RETRIES = 3
HEALTH_START_PERIOD = 15
"""Seconds (and failures) of every server's health check; Kubernetes' liveness probe
uses the same numbers."""


def healthcheck(path: str) -> dict[str, Node]:
    code = (
        f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{PORT}{path}', timeout=3)"
    )
    return {
        "test": Flow(("CMD", "python", "-c", code)),
        "interval": f"{HEALTH_INTERVAL}s",
        "timeout": f"{HEALTH_TIMEOUT}s",
        "retries": HEALTH_RETRIES,
        "start_period": f"{HEALTH_START_PERIOD}s",
    }


def swarm_cpus(quantity: str) -> str:
    """A Kubernetes CPU quantity (``500m``, ``2``, ``0.5``) as Swarm's ``cpus`` (``"0.5"``)."""
    millis = Decimal(quantity[:-1]) if quantity.endswith("m") else Decimal(quantity) * 1000
    return format((millis / 1000).normalize(), "f")


def swarm_memory(quantity: str) -> str:
    """A Kubernetes memory quantity in binary units (``512Mi``) as Docker's (``512M``,
    which Docker reads as 1024-based)."""
    return quantity[:-1] if quantity[-2:] in ("Ki", "Mi", "Gi", "Ti") else quantity


def _deploy(app: AppBuild, resources: Resources | None) -> dict[str, Node]:
    """``deploy:``: the replicas (when more than one), and with ``resources`` what a Swarm
    stack (``docker stack deploy``) reads: resources, rolling updates, restarts."""
    deploy: dict[str, Node] = {}
    if app.replicas > 1:
        deploy["replicas"] = app.replicas
    if resources is None:
        return deploy
    deploy["resources"] = {
        "limits": {
            "cpus": swarm_cpus(resources.cpu_limit),
            "memory": swarm_memory(resources.memory_limit),
        },
        "reservations": {
            "cpus": swarm_cpus(resources.cpu_request),
            "memory": swarm_memory(resources.memory_request),
        },
    }
    if app.kind == JOB:
        deploy["restart_policy"] = {"condition": "on-failure"}
        return deploy
    # Start the new task before stopping the old one, as Kubernetes' maxUnavailable 0.
    deploy["update_config"] = {
        "parallelism": 1,
        "order": "start-first",
        "failure_action": "rollback",
    }
    deploy["restart_policy"] = {"condition": "any"}
    return deploy


def todo_command(app: AppBuild, where: str) -> tuple[str, ...]:
    """The command of an app without an entry point: it exits saying where to set one."""
    return (
        "python",
        "-c",
        f"raise SystemExit('depsplit: no entry point found for app {app.app.name}; "
        f"set its command in {where}')",
    )


def lb_service(app: AppBuild) -> str:
    return f"{app.app.name}-lb"


def lb_config_path(app: AppBuild) -> str:
    return f"{LB_DIR}/{app.app.name}.nginx.conf"


def _service(gen: Generation, build: GroupBuild, app: AppBuild) -> Node:
    group = build.group
    service: dict[str, Node] = {
        "image": build.image,
        "build": _build(gen, build),
    }
    comments: list[str] = []
    entry = app.entry
    if entry.command is None:
        comments.append(f"TODO: {entry.todo}")
        comments.append("It is in the 'todo' profile: it starts only once you set its command.")
        service["profiles"] = Flow(("todo",))
        service["command"] = Flow(todo_command(app, "compose.yaml"))
    else:
        comments.append(f"{app.app.path or '.'}: {entry.how}")
        service["command"] = Flow(entry.command)
    service["working_dir"] = app.workdir
    deploy = _deploy(app, gen.options.deploy_resources)
    if deploy:
        service["deploy"] = deploy
    if entry.http:
        if app.host_port is not None and not app.load_balanced:
            service["ports"] = [f"{app.host_port}:{PORT}"]
        service["healthcheck"] = healthcheck(entry.health_path or "/")
        service["restart"] = "unless-stopped"
    else:
        service["restart"] = Commented(
            ("A job: restarted when it fails, not after it finishes.",), "on-failure"
        )
    service["labels"] = {"io.depsplit.group": group.name, "io.depsplit.app": app.app.name}
    return Commented(tuple(comments), service)


def _build(gen: Generation, build: GroupBuild) -> dict[str, Node]:
    out: dict[str, Node] = {
        "context": gen.options.context,
        "dockerfile": f"{gen.options.outdir}/{build.group.name}/Dockerfile",
    }
    if build.requirements.secrets:
        out["secrets"] = Flow(tuple(SECRET_IDS[e] for e in build.requirements.secrets))
    return out


def _lb(app: AppBuild) -> Node:
    health = f"http://127.0.0.1:{PORT}{app.entry.health_path or '/'}"
    service: dict[str, Node] = {
        "image": LB_IMAGE,
        "depends_on": {app.app.name: {"condition": "service_healthy"}},
        "ports": [f"{app.host_port}:{PORT}"],
        "volumes": [
            {
                "type": "bind",
                "source": f"./{lb_config_path(app)}",
                "target": "/etc/nginx/conf.d/default.conf",
                "read_only": True,
            }
        ],
        "healthcheck": {
            "test": Flow(
                ("CMD", "wget", "-q", "-O", "/dev/null", health),
            ),
            "interval": "30s",
            "timeout": "5s",
            "retries": 3,
        },
        "restart": "unless-stopped",
        "labels": {"io.depsplit.load-balancer-for": app.app.name},
    }
    return Commented(
        (f"Load balancer in front of the {app.replicas} replicas of {app.app.name}.",), service
    )


def render(gen: Generation, header: str) -> str:
    """``compose.yaml``, whole (:func:`render_pieces`)."""
    return str(render_pieces(gen, header))


_CHUNK_LINES = 1 << 14
"""Lines of ``compose.yaml`` handed over at a time."""


def render_pieces(gen: Generation, header: str) -> Pieces:
    """``compose.yaml`` as :class:`~depsplit.pieces.Pieces`: each service made, written as
    YAML and dropped in turn (50,000 services held as nodes took 190 MB), the lines handed
    over :data:`_CHUNK_LINES` at a time. The text is :func:`dump` of the whole document."""
    # name -> how to make its node; an lb service named as an app replaces it, as in a dict.
    makers: dict[str, Callable[[], Node]] = {}
    for build in gen.groups:
        for app in build.apps:
            makers[app.app.name] = functools.partial(_service, gen, build, app)
    for build in gen.groups:
        for app in build.apps:
            if app.load_balanced:
                makers[lb_service(app)] = functools.partial(_lb, app)
    groups: dict[str, Node] = {
        b.group.name: {
            "python": b.group.python,
            "image": b.image,
            "apps": Flow(tuple(a.app.name for a in b.apps)),
        }
        for b in gen.groups
    }
    meta: dict[str, Node] = {
        "generated_by": f"depsplit {__version__}",
        "plan": "depsplit-plan.json",
        "groups": groups,
    }
    if gen.ungrouped:
        meta["ungrouped"] = Commented(
            ("Apps of the plan in no group (not generated).",), Flow(gen.ungrouped)
        )
    secrets = sorted({e for b in gen.groups for e in b.requirements.secrets})
    tail: dict[str, Node] = {}
    if secrets:
        tail["secrets"] = Commented(
            ("Build secrets: the private index URLs, read from the environment at build time.",),
            {SECRET_IDS[e]: {"environment": e} for e in secrets},
        )

    def produce(sink: Sink) -> None:
        lines = [
            f"# {header}",
            "# One image per group, one service per app. From this directory:",
            "#   docker compose up --build",
            *dump({"name": gen.project, "x-depsplit": meta}),
        ]
        # dump() writes each key of a mapping on its own: the services one at a time give
        # the lines dump() gives them all at once.
        if makers:
            lines.append("services:")
        else:
            lines += dump({"services": {}})
        for name in sorted(makers):
            lines += dump({name: makers[name]()}, 2)
            if len(lines) >= _CHUNK_LINES:
                sink("\n".join(lines) + "\n")
                lines.clear()
        lines += dump(tail)
        if lines:
            sink("\n".join(lines) + "\n")

    return Pieces(produce)


STACK_FILE = "stack.yaml"


def _stack_service(build: GroupBuild, app: AppBuild, resources: Resources) -> Node:
    """A Swarm service: the compose service without what ``docker stack deploy`` refuses
    or ignores (``build``, ``profiles``, ``restart``), its restarts, replicas and
    resources under ``deploy``. Swarm's routing mesh spreads a published port over the
    replicas, so no load balancer is needed; a job is a ``replicated-job``."""
    entry = app.entry
    service: dict[str, Node] = {"image": build.image}
    comments: list[str] = []
    deploy = _deploy(app, resources)
    if entry.command is None:
        comments.append(f"TODO: {entry.todo}")
        comments.append("0 replicas: it starts only once you set its command.")
        service["command"] = Flow(todo_command(app, STACK_FILE))
    else:
        comments.append(f"{app.app.path or '.'}: {entry.how}")
        service["command"] = Flow(entry.command)
    service["working_dir"] = app.workdir
    if entry.http and app.host_port is not None:
        service["ports"] = [f"{app.host_port}:{PORT}"]
    if entry.http:
        service["healthcheck"] = healthcheck(entry.health_path or "/")
    if app.kind == JOB:
        deploy = {"mode": "replicated-job", **deploy}
    deploy["replicas"] = 0 if entry.command is None else app.replicas
    service["deploy"] = dict(sorted(deploy.items(), key=lambda kv: _DEPLOY_ORDER.index(kv[0])))
    service["labels"] = {"io.depsplit.group": build.group.name, "io.depsplit.app": app.app.name}
    return Commented(tuple(comments), service)


_DEPLOY_ORDER = ("mode", "replicas", "resources", "update_config", "restart_policy")


def render_stack(gen: Generation, header: str) -> str:
    """``stack.yaml``: the plan as a Swarm stack (``docker stack deploy -c stack.yaml``),
    of the images ``compose.yaml`` builds and pushes."""
    resources = gen.options.deploy_resources
    assert resources is not None
    services: dict[str, Node] = {
        app.app.name: _stack_service(build, app, resources)
        for build in gen.groups
        for app in build.apps
    }
    doc: dict[str, Node] = {
        "x-depsplit": {
            "generated_by": f"depsplit {__version__}",
            "plan": "depsplit-plan.json",
            "project": gen.project,
        },
        "services": dict(sorted(services.items())),
    }
    lines = [
        f"# {header}",
        "# The same services as a Swarm stack, of the images compose.yaml builds. From here:",
        "#   docker compose build && docker compose push",
        f"#   docker stack deploy -c {STACK_FILE} {gen.project}",
        *dump(doc),
    ]
    return "\n".join(lines) + "\n"


def nginx_config(app: AppBuild, header: str) -> str:
    upstream = re.sub(r"[^A-Za-z0-9_]", "_", app.app.name)
    return (
        "\n".join(
            [
                f"# {header}",
                f"# Round-robin over the replicas of {app.app.name}: Compose's DNS gives one",
                "# address per replica when nginx starts; restart this service after scaling.",
                f"upstream {upstream} {{",
                f"    server {app.app.name}:{PORT};",
                "}",
                "",
                "server {",
                f"    listen {PORT};",
                "    location / {",
                f"        proxy_pass http://{upstream};",
                "        proxy_set_header Host $host;",
                "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                "        proxy_set_header X-Forwarded-Proto $scheme;",
                "    }",
                "}",
            ]
        )
        + "\n"
    )


def emit(gen: Generation, root: Path, header: str) -> dict[str, str | Pieces]:
    """The :class:`~depsplit.emit.interface.Emitter` of ``compose.yaml`` (made as it is
    written: :func:`render_pieces`) and of ``lb/<app>.nginx.conf`` for each load-balanced
    app."""
    files: dict[str, str | Pieces] = {"compose.yaml": render_pieces(gen, header)}
    for build in gen.groups:
        for app in build.apps:
            if app.load_balanced:
                files[lb_config_path(app)] = nginx_config(app, header)
    return files


def emit_stack(gen: Generation, root: Path, header: str) -> dict[str, str]:
    """The :class:`~depsplit.emit.interface.Emitter` of :data:`STACK_FILE`, only with
    deploy settings (``options.deploy_resources``)."""
    if gen.options.deploy_resources is None:
        return {}
    return {STACK_FILE: render_stack(gen, header)}
