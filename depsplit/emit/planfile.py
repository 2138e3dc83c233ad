"""``depsplit-plan.json``: the plan the files were made from (the JSON report) and the
options of ``generate``; the writer adds the hashes of the files it wrote (``"files"``).
A later run reads it back to keep apps in the groups they had."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from depsplit import __version__
from depsplit.emit import kubernetes
from depsplit.emit.build import Generation
from depsplit.pieces import Pieces

PLAN_FILE = "depsplit-plan.json"


def plan_document(gen: Generation, *, lazy: bool = False) -> dict[str, Any]:
    """The plan file's data: who generated it, the JSON report's keys and ``generate``
    (project, registry, images, ports, replicas, resources and Kubernetes settings).
    ``lazy``: the report's apps and conflicts made as they are written
    (:func:`depsplit.report.json.to_data`), for :func:`depsplit.report.json.indented`."""
    from depsplit.report import json as json_report

    data: dict[str, Any] = {"generated_by": f"depsplit {__version__}"}
    data.update(json_report.to_data(gen.plan, lazy=lazy))
    data["generate"] = {
        "project": gen.project,
        "registry": gen.options.registry,
        "namespace": gen.options.namespace,
        "tag": gen.options.tag,
        "replicas": dict(sorted(gen.options.replicas.items())),
        "context": gen.options.context,
        "images": {b.group.name: b.image for b in gen.groups},
        "ports": dict(
            sorted(
                (a.app.name, a.host_port)
                for b in gen.groups
                for a in b.apps
                if a.host_port is not None
            )
        ),
    }
    resources = gen.options.deploy_resources
    if resources is not None:
        data["generate"]["resources"] = dataclasses.asdict(resources)
    if gen.options.kubernetes is not None:
        data["generate"]["kubernetes"] = kubernetes.plan_section(gen)
    return data


def emit(gen: Generation, root: Path, header: str) -> dict[str, Pieces]:
    """The :class:`~depsplit.emit.interface.Emitter` of the plan file (indented JSON; it
    has no comment, so no ``header``), in the pieces it was made in: it is written a piece
    at a time (:mod:`depsplit.pieces`)."""
    from depsplit.report import json as json_report

    return {PLAN_FILE: json_report.indented_pieces(plan_document(gen, lazy=True), end="\n")}
