"""The JSON report, ``schema_version`` 1 (see the README for the contract).

Keys may be added; none is removed or renamed without bumping ``schema_version``.
"""

from __future__ import annotations

import json
from typing import Any

from depsplit import __version__
from depsplit.gc_pause import fewer_collections
from depsplit.model import Conflict, Group, Origin, Plan, Requirement
from depsplit.report.common import app_python, applies

SCHEMA_VERSION = 1


def origin_dict(origin: Origin) -> dict[str, Any]:
    return {"file": origin.file, "line": origin.line, "via": list(origin.via)}


def _requirement(plan: Plan, req: Requirement, python: str, app_applies: bool) -> dict[str, Any]:
    origin = req.origin
    return {
        "name": req.name,
        "specifier": req.specifier,
        "extras": list(req.extras),
        "marker": req.marker,
        "url": req.url,
        "applies": app_applies,
        "role": req.role,
        "group": req.group,
        "editable": req.editable,
        "origin": {"file": origin.file, "line": origin.line, "via": list(origin.via)},
    }


def _conflict(conflict: Conflict) -> dict[str, Any]:
    return {
        "id": conflict.id,
        "kind": conflict.kind,
        "package": conflict.package,
        "apps": list(conflict.apps),
        "requirements": [
            {
                "app": r.app,
                "name": r.name,
                "specifier": r.specifier,
                "url": r.url,
                "marker": r.marker,
                "chain": list(r.chain),
                "origin": origin_dict(r.origin),
            }
            for r in conflict.requirements
        ],
        "message": conflict.message,
        "members": [list(side) for side in conflict.members or [(a,) for a in conflict.apps]],
    }


def _group(plan: Plan, group: Group) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": group.name,
        "apps": list(group.apps),
        "python": group.python,
        "splits": list(group.splits),
    }
    if plan.transitive:
        # Added with --transitive: the group's resolution at its interpreter.
        data["lock"] = [
            {
                "name": pin.name,
                "version": pin.version,
                "hashes": list(pin.hashes),
                "parents": list(pin.parents),
                "apps": list(pin.apps),
            }
            for pin in group.lock
        ]
    return data


def to_data(plan: Plan) -> dict[str, Any]:
    apps = []
    # Whether a requirement goes into the container depends on its role, its marker and
    # the app's interpreter only: a monorepo repeats a few markers on thousands of lines.
    applies_at: dict[tuple[str | None, str], bool] = {}
    for app in plan.apps:
        python = app_python(plan, app)
        requirements = []
        for r in app.requirements:
            if r.role in ("main", "lock"):
                key = (r.marker, python)
                found = applies_at.get(key)
                if found is None:
                    found = applies_at[key] = applies(plan, app, r, python)
            else:
                found = False
            requirements.append(_requirement(plan, r, python, found))
        apps.append(
            {
                "name": app.name,
                "path": app.path,
                "python": app.python_specifier or None,
                "python_origins": [
                    {"specifier": p.specifier, "origin": origin_dict(p.origin)} for p in app.python
                ],
                "sources": list(app.sources),
                "lock_file": app.lock_file,
                "index_options": [
                    {"option": o.option, "value": o.value, "origin": origin_dict(o.origin)}
                    for o in app.index_options
                ],
                "requirements": requirements,
            }
        )
    partition = plan.partition
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "depsplit", "version": __version__},
        "root": plan.root,
        "target": {"platform": plan.target.platform, "python": plan.target.python},
        "apps": apps,
        "conflicts": [_conflict(c) for c in plan.conflicts],
        "unsatisfiable": list(plan.unsatisfiable),
        "groups": [_group(plan, g) for g in plan.groups],
        "partition": (
            {
                "optimal": partition.optimal,
                "lower_bound": partition.lower_bound,
                "witness": list(partition.witness),
            }
            if partition is not None
            else None
        ),
        "diagnostics": [
            {"level": d.level, "file": d.file, "line": d.line, "message": d.message}
            for d in plan.diagnostics
        ],
    }
    if plan.transitive:
        data["transitive"] = True
    return data


def render(plan: Plan) -> str:
    """The document, one top-level key per line and each app, conflict, group and
    diagnostic on a line of its own. Every line goes through the json module's C encoder
    (``indent`` would select its pure-Python encoder: 20 times slower, seconds for a
    10,000-app report)."""
    with fewer_collections():  # one dict per requirement: see depsplit.gc_pause
        return _render(plan)


def _render(plan: Plan) -> str:
    encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    parts = []
    for key, value in to_data(plan).items():
        if isinstance(value, list) and value:
            items = ",\n    ".join(encode(item) for item in value)
            parts.append(f"  {encode(key)}: [\n    {items}\n  ]")
        else:
            parts.append(f"  {encode(key)}: {encode(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"
