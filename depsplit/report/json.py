"""The JSON report, ``schema_version`` 1 (see the README for the contract).

Keys may be added; none is removed or renamed without bumping ``schema_version``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any

from depsplit import __version__
from depsplit.gc_pause import fewer_collections
from depsplit.model import (
    App,
    Conflict,
    Diagnostic,
    Group,
    Origin,
    Plan,
    PythonRequirement,
    Requirement,
)
from depsplit.report.common import app_python, applies

SCHEMA_VERSION = 1


def origin_dict(origin: Origin) -> dict[str, Any]:
    return {"file": origin.file, "line": origin.line, "via": list(origin.via)}


def _requirement(req: Requirement, app_applies: bool) -> dict[str, Any]:
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
        # Releases the group's image compiles (no wheel for its CPython and platform).
        "builds": [
            {"package": b.package, "version": b.version, "reason": b.reason, "pure": b.pure}
            for b in group.builds
        ],
        "python_verified": group.python_verified,
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
                "extras": list(pin.extras),
            }
            for pin in group.lock
        ]
    return data


def _diagnostic(d: Diagnostic) -> dict[str, Any]:
    return {"level": d.level, "file": d.file, "line": d.line, "message": d.message}


class _Applies:
    """Whether each requirement goes into its app's container. That depends on its role,
    its marker and the app's interpreter only: a monorepo repeats a few markers on
    thousands of lines, so each (marker, interpreter) is evaluated once."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.at: dict[tuple[str | None, str], bool] = {}

    def __call__(self, app: App, req: Requirement, python: str) -> bool:
        if req.role not in ("main", "lock"):
            return False
        key = (req.marker, python)
        found = self.at.get(key)
        if found is None:
            found = self.at[key] = applies(self.plan, app, req, python)
        return found


def _app(app: App, requirements: list[Any]) -> dict[str, Any]:
    return {
        "name": app.name,
        "path": app.path,
        "python": app.python_specifier or None,
        "python_origins": [_python_origin(p) for p in app.python],
        "sources": list(app.sources),
        "lock_file": app.lock_file,
        "index_options": [
            {"option": o.option, "value": o.value, "origin": origin_dict(o.origin)}
            for o in app.index_options
        ],
        "requirements": requirements,
    }


def _document(plan: Plan, apps: list[Any], conflicts: list[Any]) -> dict[str, Any]:
    """The document, with its ``apps`` and ``conflicts`` entries as given."""
    partition = plan.partition
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "depsplit", "version": __version__},
        "root": plan.root,
        "target": {"platform": plan.target.platform, "python": plan.target.python},
        "apps": apps,
        "conflicts": conflicts,
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
        "diagnostics": [_diagnostic(d) for d in plan.diagnostics],
        "skipped": [{"path": s.path, "reason": s.reason} for s in plan.skipped],
    }
    if plan.transitive:
        data["transitive"] = True
    return data


def to_data(plan: Plan) -> dict[str, Any]:
    applies_to = _Applies(plan)
    apps = []
    for app in plan.apps:
        python = app_python(plan, app)
        requirements = [_requirement(r, applies_to(app, r, python)) for r in app.requirements]
        apps.append(_app(app, requirements))
    return _document(plan, apps, [_conflict(c) for c in plan.conflicts])


def render(plan: Plan, extra: Mapping[str, Any] | None = None) -> str:
    """The document, one top-level key per line and each app, conflict, group and
    diagnostic on a line of its own. Every line is what the json module's C encoder gives
    for that entry of :func:`to_data` (``indent`` would select its pure-Python encoder: 20
    times slower, seconds for a 10,000-app report); apps and conflicts, which are nearly
    all of a large report, are written by :func:`_app_json` and :func:`_conflict_json`
    with the same bytes. ``extra``: keys added at the end (``fewer_containers`` with
    ``analyze --suggest``)."""
    with fewer_collections():  # one dict per group and diagnostic: see depsplit.gc_pause
        return _render(plan, extra or {})


_encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
"""The encoder every line of the report is (or matches) the output of."""


def _render(plan: Plan, extra: Mapping[str, Any]) -> str:
    applies_to = _Applies(plan)
    apps = [_app_json(app, applies_to, app_python(plan, app)) for app in plan.apps]
    seen = _Encoded()
    conflicts = [_conflict_json(c, seen) for c in plan.conflicts]
    # The pieces of the text, joined once at the end: a large report is tens of megabytes,
    # and each concatenation of the whole would copy it again.
    pieces = ["{\n"]
    for key, value in {**_document(plan, apps, conflicts), **extra}.items():
        if len(pieces) > 1:
            pieces.append(",\n")
        if isinstance(value, list) and value:
            # ``apps`` and ``conflicts`` hold their entries already encoded.
            written = value if key in ("apps", "conflicts") else [_encode(v) for v in value]
            pieces.append(f"  {_encode(key)}: [\n    ")
            for i, item in enumerate(written):
                if i:
                    pieces.append(",\n    ")
                pieces.append(item)
            pieces.append("\n  ]")
        else:
            pieces.append(f"  {_encode(key)}: {_encode(value)}")
    pieces.append("\n}\n")
    return "".join(pieces)


def indented(value: Any) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``, the same text, for the plan file
    of ``depsplit generate``: ``indent`` selects the json module's pure-Python encoder, a
    chain of generators each token passes up through (3.5 s for the 6 MB plan of 1,000
    apps); this writes each token once from one recursive function, in linear time. A
    document holding anything but what the plan holds (str, int, bool, None, finite float,
    dicts with string keys, lists, tuples) goes through json.dumps itself."""
    pieces: list[str] = []
    try:
        _indented(value, "\n", pieces.append)
    except _Unexpected:
        return json.dumps(value, indent=2, ensure_ascii=False)
    return "".join(pieces)


def _indented(value: Any, newline: str, emit: Any) -> None:
    kind = type(value)
    if kind is dict:
        if not value:
            emit("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                _other(key)
            scalar = _scalar(item)
            if scalar is None:
                emit(f"{separator}{encode_basestring(key)}: ")
                _indented(item, inner, emit)
            else:
                emit(f"{separator}{encode_basestring(key)}: {scalar}")
            separator = "," + inner
        emit(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            emit("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            scalar = _scalar(item)
            if scalar is None:
                emit(separator)
                _indented(item, inner, emit)
            else:
                emit(separator + scalar)
            separator = "," + inner
        emit(newline + "]")
    else:
        scalar = _scalar(value)
        emit(_other(value) if scalar is None else scalar)


def _scalar(value: Any) -> str | None:
    """The JSON text of a scalar, ``"[]"`` or ``"{}"`` for an empty container; ``None``
    for a container with items."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is dict:
        return None if value else "{}"
    if kind is list or kind is tuple:
        return None if value else "[]"
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    return _other(value)


# --------------------------------------------------------------------------- fast lines
#
# What follows writes the text ``_encode`` gives for an app's or a conflict's entry of
# :func:`to_data` without building that entry: one f-string per requirement instead of a
# dict of a dozen values walked by the encoder (a third of the time, and no dicts to
# free). The encoder writes a dict as ``{"key": value, ...}`` and a list as
# ``[item, ...]`` (``[]`` when empty), with these separators; a string (or ``str``
# subclass) through ``encode_basestring`` (what it calls with ``ensure_ascii=False``);
# ``None``, ``True`` and ``False`` as ``null``, ``true`` and ``false``; an ``int`` as
# ``int.__repr__`` gives it. Each field is written so only when it has the type the model
# gives it; ``encode_basestring`` raises TypeError for anything but a string, and so does
# ``_other`` for a field of the wrong type: the whole entry then goes through the encoder
# itself, so the text is the same whatever a field holds.
# tests/test_report_json_fast.py compares both ways, hostile input included.


class _Unexpected(TypeError):
    """A field whose type the fast path does not write (see above)."""


def _other(value: object) -> str:
    raise _Unexpected(type(value).__name__)


def _strs(values: Iterable[str]) -> str:
    """A list of strings."""
    return "[" + ", ".join(map(encode_basestring, values)) + "]"


def _origin_json(origin: Origin) -> str:
    line, via = origin.line, origin.via
    return (
        f'{{"file": {encode_basestring(origin.file)}, "line": '
        f"{'null' if line is None else int.__repr__(line) if type(line) is int else _other(line)}"
        f', "via": {_strs(via) if via else "[]"}}}'
    )


def _list(items: Sequence[str]) -> str:
    """A list of already encoded items."""
    return "[" + ", ".join(items) + "]"


def _python_origin(p: PythonRequirement) -> dict[str, object]:
    """A Python constraint; ``evidence`` when it is a fact of the package index."""
    out: dict[str, object] = {"specifier": p.specifier, "origin": origin_dict(p.origin)}
    if p.evidence:
        out["evidence"] = p.evidence
    return out


def _app_json(app: App, applies_to: _Applies, python: str) -> str:
    """``_encode(_app(app, requirements))``, requirements as in :func:`to_data`."""
    try:
        return _app_fast(app, applies_to, python)
    except TypeError:
        requirements = [_requirement(r, applies_to(app, r, python)) for r in app.requirements]
        return _encode(_app(app, requirements))


def _app_fast(app: App, applies_to: _Applies, python: str) -> str:
    string = encode_basestring
    plan, at = applies_to.plan, applies_to.at
    requirements = []
    for req in app.requirements:
        role, marker, url, group, extras = req.role, req.marker, req.url, req.group, req.extras
        # applies_to(app, req, python), inlined: it runs once per requirement.
        if role == "main" or role == "lock":
            key = (marker, python)
            included = at.get(key)
            if included is None:
                included = at[key] = applies(plan, app, req, python)
        else:
            included = False
        editable = req.editable
        included_text = (
            "true" if included is True else "false" if included is False else _other(included)
        )
        editable_text = (
            "true" if editable is True else "false" if editable is False else _other(editable)
        )
        # The origin as _origin_json writes it, inlined: a tenth of the time of a report.
        origin = req.origin
        line, via = origin.line, origin.via
        number = (
            "null" if line is None else int.__repr__(line) if type(line) is int else _other(line)
        )
        requirements.append(
            f'{{"name": {string(req.name)}, "specifier": {string(req.specifier)}, '
            f'"extras": {_strs(extras) if extras else "[]"}, '
            f'"marker": {"null" if marker is None else string(marker)}, '
            f'"url": {"null" if url is None else string(url)}, '
            f'"applies": {included_text}, "role": {string(role)}, '
            f'"group": {"null" if group is None else string(group)}, '
            f'"editable": {editable_text}, '
            f'"origin": {{"file": {string(origin.file)}, "line": {number}, '
            f'"via": {_strs(via) if via else "[]"}}}}}'
        )
    python_origins = [
        f'{{"specifier": {string(p.specifier)}, "origin": {_origin_json(p.origin)}'
        + (f', "evidence": {string(p.evidence)}}}' if p.evidence else "}")
        for p in app.python
    ]
    index_options = [
        f'{{"option": {string(o.option)}, "value": {string(o.value)}, '
        f'"origin": {_origin_json(o.origin)}}}'
        for o in app.index_options
    ]
    specifier = app.python_specifier
    lock_file = app.lock_file
    return (
        f'{{"name": {string(app.name)}, "path": {string(app.path)}, '
        f'"python": {string(specifier) if specifier else "null"}, '
        f'"python_origins": {_list(python_origins)}, "sources": {_strs(app.sources)}, '
        f'"lock_file": {"null" if lock_file is None else string(lock_file)}, '
        f'"index_options": {_list(index_options)}, "requirements": {_list(requirements)}}}'
    )


class _Encoded:
    """The text of each requirement and side already written by one render, by the
    object's ``id``: the conflict search gives every conflict of one app's requirement
    (or of one side of apps) the same objects, so a requirement is in tens of conflicts.
    An ``id`` stands for one object only while it lives: the plan being rendered holds
    every one of them until the render ends, and the memo ends with it (nothing made
    during the render is kept by its ``id``)."""

    __slots__ = ("requirements", "sides")

    def __init__(self) -> None:
        self.requirements: dict[int, str] = {}
        self.sides: dict[int, str] = {}


def _conflict_json(conflict: Conflict, seen: _Encoded | None = None) -> str:
    """``_encode(_conflict(conflict))``."""
    try:
        return _conflict_fast(conflict, _Encoded() if seen is None else seen)
    except TypeError:
        return _encode(_conflict(conflict))


def _conflict_fast(conflict: Conflict, seen: _Encoded) -> str:
    string = encode_basestring
    requirements = []
    written = seen.requirements
    for r in conflict.requirements:
        text = written.get(id(r))
        if text is None:
            url, marker, chain = r.url, r.marker, r.chain
            text = written[id(r)] = (
                f'{{"app": {string(r.app)}, "name": {string(r.name)}, '
                f'"specifier": {string(r.specifier)}, '
                f'"url": {"null" if url is None else string(url)}, '
                f'"marker": {"null" if marker is None else string(marker)}, '
                f'"chain": {_strs(chain) if chain else "[]"}, '
                f'"origin": {_origin_json(r.origin)}}}'
            )
        requirements.append(text)
    if conflict.members:
        sides = seen.sides
        members = []
        for side in conflict.members:
            text = sides.get(id(side))
            if text is None:
                text = sides[id(side)] = _strs(side)
            members.append(text)
    else:  # one side per app, made here: not kept (the id of a freed tuple is reused)
        members = [_strs((a,)) for a in conflict.apps]
    return (
        f'{{"id": {string(conflict.id)}, "kind": {string(conflict.kind)}, '
        f'"package": {string(conflict.package)}, "apps": {_strs(conflict.apps)}, '
        f'"requirements": {_list(requirements)}, "message": {string(conflict.message)}, '
        f'"members": {_list(members)}}}'
    )
