"""``compose.yaml`` for the whole plan: one image per group (built once: every service of a
group names the same ``image`` and ``build``, which Compose builds a single time), one
service per app with its own command and working directory.

YAML is written by hand, deterministically: every string is a double-quoted scalar with
``$`` doubled (Compose interpolates ``$``), so no path or command can break the document.
Servers get a quoted, unique host port (8001, 8002… in app-name order), a healthcheck with
Python's ``urllib`` (slim images have no curl) and ``restart: unless-stopped``; jobs restart
only on failure, since a job that exits 0 is done. An HTTP app with more than one replica
has no host port of its own: an nginx service in front of it takes that port.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from depsplit import __version__
from depsplit.emit.build import AppBuild, Generation, GroupBuild
from depsplit.emit.dockerfile import SECRET_IDS
from depsplit.emit.entrypoints import PORT
from depsplit.emit.text import comment_safe, yaml_str

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


def _key(key: str) -> str:
    return key if _PLAIN_KEY.fullmatch(key) and key not in _RESERVED else yaml_str(key)


def _scalar(value: str | int | bool | Flow) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Flow):
        return "[" + ", ".join(yaml_str(i) for i in value.items) + "]"
    return yaml_str(value)


def dump(node: dict[str, Node], indent: int = 0) -> list[str]:
    out: list[str] = []
    pad = " " * indent
    for key, value in node.items():
        if isinstance(value, Commented):
            out += [f"{pad}# {comment_safe(c)}" for c in value.comments]
            value = value.value
        if isinstance(value, dict):
            if value:
                out.append(f"{pad}{_key(key)}:")
                out += dump(value, indent + 2)
            else:
                out.append(f"{pad}{_key(key)}: {{}}")
        elif isinstance(value, list):
            if not value:
                out.append(f"{pad}{_key(key)}: []")
                continue
            out.append(f"{pad}{_key(key)}:")
            for item in value:
                if isinstance(item, dict):
                    lines = dump(item, indent + 4)
                    out.append(f"{pad}  - {lines[0].lstrip()}")
                    out += lines[1:]
                elif isinstance(item, (list, Commented)):
                    raise TypeError("nested lists and comments in lists are not emitted")
                else:
                    out.append(f"{pad}  - {_scalar(item)}")
        elif isinstance(value, Commented):
            raise TypeError("a comment on a comment is not emitted")
        else:
            out.append(f"{pad}{_key(key)}: {_scalar(value)}")
    return out


def healthcheck(path: str) -> dict[str, Node]:
    code = (
        f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{PORT}{path}', timeout=3)"
    )
    return {
        "test": Flow(("CMD", "python", "-c", code)),
        "interval": "30s",
        "timeout": "5s",
        "retries": 3,
        "start_period": "15s",
    }


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
        service["command"] = Flow(
            (
                "python",
                "-c",
                f"raise SystemExit('depsplit: no entry point found for app {app.app.name}; "
                "set its command in compose.yaml')",
            )
        )
    else:
        comments.append(f"{app.app.path or '.'}: {entry.how}")
        service["command"] = Flow(entry.command)
    service["working_dir"] = app.workdir
    if app.replicas > 1:
        service["deploy"] = {"replicas": app.replicas}
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
    services: dict[str, Node] = {}
    for build in gen.groups:
        for app in build.apps:
            services[app.app.name] = _service(gen, build, app)
    for build in gen.groups:
        for app in build.apps:
            if app.load_balanced:
                services[lb_service(app)] = _lb(app)
    services = dict(sorted(services.items()))
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
    doc: dict[str, Node] = {
        "name": gen.project,
        "x-depsplit": meta,
        "services": services,
    }
    secrets = sorted({e for b in gen.groups for e in b.requirements.secrets})
    if secrets:
        doc["secrets"] = Commented(
            ("Build secrets: the private index URLs, read from the environment at build time.",),
            {SECRET_IDS[e]: {"environment": e} for e in secrets},
        )
    lines = [
        f"# {header}",
        "# One image per group, one service per app. From this directory:",
        "#   docker compose up --build",
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
