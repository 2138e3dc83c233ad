"""The JSON report, ``schema_version`` 2 (see the README for the contract): version 2
lists conflicts per package (:mod:`depsplit.package_conflicts`).

Keys may be added; none is removed or renamed without bumping ``schema_version``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from depsplit import __version__
from depsplit.gc_pause import fewer_collections
from depsplit.model import (
    App,
    ConflictRequirement,
    Diagnostic,
    Group,
    Origin,
    PackageConflict,
    Plan,
    PythonRequirement,
    Requirement,
)
from depsplit.pieces import Pieces, Sink
from depsplit.report.common import app_python, applies

if TYPE_CHECKING:
    from depsplit.report.interface import ReportContext

SCHEMA_VERSION = 2


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


def _conflict_requirement(r: ConflictRequirement) -> dict[str, Any]:
    return {
        "app": r.app,
        "name": r.name,
        "specifier": r.specifier,
        "url": r.url,
        "marker": r.marker,
        "chain": list(r.chain),
        "origin": origin_dict(r.origin),
    }


def _conflict(conflict: PackageConflict) -> dict[str, Any]:
    return {
        "id": conflict.id,
        "kind": conflict.kind,
        "package": conflict.package,
        "apps": list(conflict.apps),
        "sides": [
            {
                "id": side.id,
                "apps": list(side.apps),
                "requirements": [_conflict_requirement(r) for r in side.requirements],
            }
            for side in conflict.sides
        ],
        "pairs": [list(p) for p in conflict.pairs],
        "sets": [list(s) for s in conflict.sets],
        "message": conflict.message,
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
    if plan.transitive or plan.locked:
        # Added with --transitive or generate --lock: the group's resolution at its Python.
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


def _document(plan: Plan, apps: Iterable[Any], conflicts: Iterable[Any]) -> dict[str, Any]:
    """The document, with its ``apps`` and ``conflicts`` entries as given (lists, or
    :class:`Entries`)."""
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


def to_data(plan: Plan, *, lazy: bool = False) -> dict[str, Any]:
    """The report's document. With ``lazy``, its ``apps`` and ``conflicts`` are
    :class:`Entries`, made one at a time as :func:`render` and :func:`indented` write
    them, never all at once (10,000 apps: the dicts of 100,000 requirements)."""
    if lazy:
        return _document(
            plan,
            Entries(len(plan.apps), lambda: _apps(plan)),
            Entries(len(plan.package_conflicts), lambda: _conflicts(plan)),
        )
    return _document(plan, list(_apps(plan)), list(_conflicts(plan)))


class Entries:
    """A JSON array of ``count`` entries made by ``make()`` when written (or iterated):
    what :func:`render` and :func:`indented` write as the list of them."""

    __slots__ = ("count", "make")

    def __init__(self, count: int, make: Callable[[], Iterable[Any]]) -> None:
        self.count = count
        self.make = make

    def __iter__(self) -> Iterator[Any]:
        return iter(self.make())


def _apps(plan: Plan) -> Iterator[dict[str, Any]]:
    """The ``apps`` entries, one at a time."""
    applies_to = _Applies(plan)
    for app in plan.apps:
        python = app_python(plan, app)
        requirements = [_requirement(r, applies_to(app, r, python)) for r in app.requirements]
        yield _app(app, requirements)


def _conflicts(plan: Plan) -> Iterator[dict[str, Any]]:
    """The ``conflicts`` entries, one at a time."""
    return (_conflict(c) for c in plan.package_conflicts)


def render(plan: Plan, extra: Mapping[str, Any] | None = None) -> str:
    """The document of :func:`to_data`, one top-level key per line and each app, conflict,
    group and diagnostic on a line of its own, each line written compactly (no space after
    ``,`` and ``:``: a tenth of a large report) by the json module's C encoder (``indent``
    would select its pure-Python encoder: 20 times slower, seconds for a 10,000-app
    report). ``extra``: keys added at the end (``fewer_containers`` with
    ``analyze --suggest``). Each app and conflict is made, written and dropped in turn:
    never the dicts of every requirement at once (100 MB at 10,000 apps)."""
    # The pieces of the text, joined once at the end: a large report is tens of megabytes,
    # and each concatenation of the whole would copy it again.
    return "".join(pieces(plan, extra))


def pieces(plan: Plan, extra: Mapping[str, Any] | None = None) -> Iterator[str]:
    """The text of :func:`render`, in pieces made as they are asked for (a line, or the
    punctuation between lines)."""
    with fewer_collections():  # one dict per requirement: see depsplit.gc_pause
        data = {**to_data(plan, lazy=True), **(extra or {})}
        yield "{\n"
        for n, (key, value) in enumerate(data.items()):
            if n:
                yield ",\n"
            listed = isinstance(value, (list, Entries))
            if not (listed and (value.count if isinstance(value, Entries) else value)):
                yield f"  {_encode(key)}: {_encode([] if listed else value)}"
                continue
            yield f"  {_encode(key)}: [\n    "
            for i, item in enumerate(value):
                if i:
                    yield ",\n    "
                yield _encode(item)
            yield "\n  ]"
    yield "\n}\n"


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""The encoder every line of the report is the output of."""


def render_report(plan: Plan, context: ReportContext) -> str:
    """The :class:`~depsplit.report.interface.Renderer` of ``--format json``: with
    ``--suggest``, the suggestions as ``fewer_containers``."""
    return "".join(report_pieces(plan, context))


def report_pieces(plan: Plan, context: ReportContext) -> Iterator[str]:
    """:func:`render_report` in pieces (:meth:`depsplit.report.Format.pieces`)."""
    if context.fewer is None:
        return pieces(plan)
    from depsplit.suggest import report_data

    return pieces(plan, {"fewer_containers": report_data(context.fewer)})


def indented(value: Any, end: str = "") -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False) + end``, the same text, for the
    plan file of ``depsplit generate``: ``indent`` selects the json module's pure-Python
    encoder, a chain of generators each token passes up through (3.5 s for the 6 MB plan
    of 1,000 apps); this writes each token once from one recursive function, in linear
    time. The tokens are joined every :data:`_CHUNK` of them: a plan of 10,000 apps is
    millions of tokens, whose string objects held until the end took several times the
    text's own size. A document holding anything but what the plan holds (str, int, bool,
    None, finite float, dicts with string keys, lists, tuples, :class:`Entries`) goes
    through json.dumps itself."""
    chunks: list[str] = []
    try:
        _write_indented(value, end, chunks.append)
    except _Unexpected:
        return _dumps(value) + end
    return "".join(chunks)


def indented_pieces(value: Any, end: str = "") -> Pieces:
    """:func:`indented` as :class:`~depsplit.pieces.Pieces`: made each time it is written
    and handed over in chunks (each the join of :data:`_CHUNK` tokens or fewer, ending
    between two items of a list or an object), never held whole. A document
    :func:`indented` gives to json.dumps is made by json.dumps when that shows before the
    first chunk is handed over, and raises ``TypeError`` after (the plan holds only what
    :func:`indented` writes itself)."""

    def produce(sink: Sink) -> None:
        handed = False

        def hand(chunk: str) -> None:
            nonlocal handed
            handed = True
            sink(chunk)

        try:
            _write_indented(value, end, hand)
        except _Unexpected as exc:
            if handed:
                raise TypeError(f"cannot write {exc} in the indented JSON") from None
            sink(_dumps(value) + end)

    return Pieces(produce)


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=_listed)


def _write_indented(value: Any, end: str, sink: Sink) -> None:
    """The text of :func:`indented`, handed to ``sink`` a chunk at a time; raises
    :class:`_Unexpected` for a value it does not write itself."""
    out = _Tokens(sink)
    _indented(value, "\n", out)
    out.pieces.append(end)
    out.flush()


_CHUNK = 1 << 16
"""Tokens of :func:`indented` joined into one string at a time."""


class _Tokens:
    """The text :func:`indented` writes: its latest tokens, handed to ``sink`` joined when
    there are many."""

    __slots__ = ("pieces", "sink")

    def __init__(self, sink: Sink) -> None:
        self.pieces: list[str] = []
        self.sink = sink

    def fold(self) -> None:
        """Hand over the tokens so far when there are many (called between items)."""
        if len(self.pieces) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        self.sink("".join(self.pieces))
        self.pieces.clear()


def _listed(value: object) -> list[Any]:
    """The entries of :class:`Entries` for ``json.dumps`` (``TypeError`` for any other)."""
    if isinstance(value, Entries):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _indented(value: Any, newline: str, out: _Tokens) -> None:
    emit = out.pieces.append
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
                _indented(item, inner, out)
                out.fold()
            else:
                emit(f"{separator}{encode_basestring(key)}: {scalar}")
            separator = "," + inner
        emit(newline + "}")
    elif kind is list or kind is tuple or kind is Entries:
        if not (value.count if kind is Entries else value):
            emit("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value.make() if kind is Entries else value:
            scalar = _scalar(item)
            if scalar is None:
                emit(separator)
                _indented(item, inner, out)
                out.fold()
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
    if kind is Entries:
        return None if value.count else "[]"
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    return _other(value)


class _Unexpected(TypeError):
    """A value :func:`indented` does not write itself (it then takes ``json.dumps``)."""


def _other(value: object) -> str:
    raise _Unexpected(type(value).__name__)


def _python_origin(p: PythonRequirement) -> dict[str, object]:
    """A Python constraint; ``evidence`` when it is a fact of the package index."""
    out: dict[str, object] = {"specifier": p.specifier, "origin": origin_dict(p.origin)}
    if p.evidence:
        out["evidence"] = p.evidence
    return out
