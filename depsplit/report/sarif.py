"""SARIF 2.1.0 for GitHub code scanning.

One rule per conflict kind (plus apps that cannot be installed alone, and input
diagnostics), each with help text. Conflicts are read per package
(:mod:`depsplit.package_conflicts`): each side of a package's conflict gives one result
*per requirement line* of its first app — GitHub shows a result at its first location only —
naming the sides it cannot share a container with, whose first lines are its related
locations (at most :data:`RELATED_SIDES`). N apps on N pins of one package are N results,
not N(N-1). ``partialFingerprints`` come from the side's stable id and the app, so an alert
survives lines moving and other sides coming or going. URIs are relative to the repository
(``%SRCROOT%``), with forward slashes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from depsplit import __version__
from depsplit.model import (
    ConflictRequirement,
    ConflictSide,
    Diagnostic,
    Origin,
    PackageConflict,
    Plan,
)
from depsplit.package_conflicts import SidePartners, package_conflict_id, requirement_text
from depsplit.report import text as text_report
from depsplit.report.json import Entries, indented

if TYPE_CHECKING:
    from depsplit.baseline import BaselineDiff
    from depsplit.report.interface import ReportContext

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/depsplit/"
FINGERPRINT_KEY = "depsplitConflict/v2"
"""v2: from the side of a package conflict (v1 came from one smallest set of apps)."""

_KIND_RULES: dict[str, dict[str, str]] = {
    "version": {
        "id": "version-conflict",
        "name": "VersionConflict",
        "short": "Apps require incompatible versions of a package",
        "full": "These apps cannot share one container: no version of the package satisfies "
        "all of their requirements.",
        "help": "Two or more apps require versions of one package that no single version "
        "satisfies, so they cannot be installed in one environment. Either align the "
        "requirements (widen a pin, upgrade the app that holds the old one) or keep the apps in "
        "separate containers, as the groups of the depsplit report do. Each result sits on one "
        "of the requirement lines involved; the related locations are the others.",
    },
    "python": {
        "id": "python-conflict",
        "name": "PythonConflict",
        "short": "Apps require incompatible Python versions",
        "full": "No CPython minor version satisfies the Python requirements of all these apps.",
        "help": "The apps' Python constraints (requires-python, .python-version, "
        "runtime.txt, python_version markers) leave no CPython version in common, so they "
        "need containers with different interpreters. Align the constraints or keep the apps "
        "in separate groups.",
    },
    "url": {
        "id": "url-conflict",
        "name": "UrlConflict",
        "short": "Apps install a package from different sources",
        "full": "These apps install the same package from different URLs, paths or VCS "
        "revisions, or one pins a URL and another a version range it may not satisfy.",
        "help": "A package installed from a direct URL, a local path or a VCS revision can "
        "only be shared when every app names the same source. Point the apps at one source, "
        "publish the package to an index, or keep the apps in separate containers.",
    },
}
_UNSATISFIABLE_RULE = {
    "id": "unsatisfiable-app",
    "name": "UnsatisfiableApp",
    "short": "An app cannot be installed even alone",
    "full": "The app's own requirements contradict each other.",
    "help": "The requirements of this one app leave no installable version of a package (or "
    "of Python): it cannot be installed in any container until they are fixed. See the "
    "conflict results on the same app for the lines involved.",
    "level": "error",
}
_DIAGNOSTIC_RULE = {
    "id": "input-error",
    "name": "InputError",
    "short": "A requirement file cannot be read or parsed",
    "full": "depsplit could not read a line or a file; the analysis is incomplete.",
    "help": "A file or line could not be read (invalid requirement, missing include, "
    "unreadable encoding …). Conflicts involving it cannot be found until it is fixed.",
    "level": "error",
}


def _rule(spec: dict[str, str], level: str = "error") -> dict[str, Any]:
    return {
        "id": spec["id"],
        "name": spec["name"],
        "shortDescription": {"text": spec["short"]},
        "fullDescription": {"text": spec["full"]},
        "help": {"text": spec["help"], "markdown": spec["help"]},
        "helpUri": INFORMATION_URI,
        "defaultConfiguration": {"level": spec.get("level", level)},
        "properties": {"tags": ["dependencies", "containers"], "precision": "very-high"},
    }


def rules() -> list[dict[str, Any]]:
    """Every rule, in a fixed order (results point at them by index)."""
    specs = [*_KIND_RULES.values(), _UNSATISFIABLE_RULE, _DIAGNOSTIC_RULE]
    return [_rule(s) for s in specs]


def _uri(path: str, prefix: str) -> str:
    prefix = prefix.strip("/")
    full = f"{prefix}/{path}" if prefix else path
    return quote(full.replace("\\", "/"), safe="/")


def _location(
    origin: Origin, prefix: str, *, message: str | None = None, id_: int | None = None
) -> dict[str, Any]:
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(origin.file, prefix), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": origin.line if origin.line and origin.line >= 1 else 1},
        }
    }
    if id_ is not None:
        location["id"] = id_
    if message is not None:
        location["message"] = {"text": message}
    return location


RELATED_SIDES = 20
"""Other sides a result points at (related locations), before ``and N more`` in its text."""


def _side_shown(side: ConflictSide) -> str:
    """``==1.26.1 (app1 and 2 other apps)``."""
    first = side.requirements[0] if side.requirements else None
    asked = requirement_text(first) if first is not None else "(any version)"
    others = len(side.apps) - 1
    more = f" and {text_report.plural(others, 'other app')}" if others else ""
    return f"{asked} ({side.apps[0]}{more})"


def _side_message(
    conflict: PackageConflict,
    index: int,
    r: ConflictRequirement,
    opposed: tuple[int, list[int]],
    sets: list[tuple[int, ...]],
) -> str:
    """The result's message; ``opposed``: how many sides the side cannot share a container
    with, and the first :data:`RELATED_SIDES` of them."""
    side = conflict.sides[index]
    others = len(side.apps) - 1
    who = r.app + (f" and {text_report.plural(others, 'other app')}" if others else "")
    verb = "require" if others else "requires"
    text = f"{conflict.package}: {who} {verb} {requirement_text(r)} here"
    if r.chain:
        text += f" ({text_report.chain_text(r)})"
    clauses = []
    count, first = opposed
    if count:
        listed = [_side_shown(conflict.sides[j]) for j in first]
        if count > RELATED_SIDES:
            listed.append(f"{count - RELATED_SIDES} more")
        clauses.append("cannot share a container with " + "; ".join(listed))
    for entry in sets:
        if len(entry) == 1:
            clauses.append("cannot be met even alone")
        else:
            rest = "; ".join(_side_shown(conflict.sides[j]) for j in entry if j != index)
            clauses.append(f"cannot share a container with all of {rest} together")
    text += ", which " + ", and ".join(clauses) + "." if clauses else "."
    if len(conflict.pairs) + len(conflict.sets) == 1 and sum(map(len, conflict.pairs)) <= 2:
        text += f" {conflict.message}"
    return text


def _conflict_results(
    conflict: PackageConflict,
    prefix: str,
    rule_index: dict[str, int],
    new_sides: set[tuple[str, tuple[str, ...], str | None]] | None,
) -> Iterator[dict[str, Any]]:
    """One result per requirement line of each side (its first app's), with the first line
    of each side it conflicts with as related locations. Fingerprints come from the side's
    stable id: an alert stays when lines move or other sides come and go."""
    kind = conflict.kind
    rule = _KIND_RULES[kind]["id"] if kind in _KIND_RULES else "version-conflict"
    partners = SidePartners(conflict)
    seen: dict[str, int] = {}
    for index, side in enumerate(conflict.sides):
        # Worked out once per side (its lines' results share them).
        sets = partners.sets[index]
        first = partners.first(index, RELATED_SIDES)
        opposed = (partners.count(index), first)
        related = sorted({j for e in sets for j in e if j != index}.union(first))
        for r in side.requirements:
            key = f"{side.id}:{r.app}:{r.origin.file}"
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 1:
                key += f"#{seen[key]}"
            result: dict[str, Any] = {
                "ruleId": rule,
                "ruleIndex": rule_index[rule],
                "level": "error",
                "message": {"text": _side_message(conflict, index, r, opposed, sets)},
                "locations": [_location(r.origin, prefix)],
                "partialFingerprints": {FINGERPRINT_KEY: key},
                "properties": {
                    "conflictId": conflict.id,
                    "sideId": side.id,
                    "kind": kind,
                    "package": conflict.package,
                    "apps": list(side.apps),
                    "app": r.app,
                },
            }
            shown = [
                conflict.sides[j] for j in related[:RELATED_SIDES] if conflict.sides[j].requirements
            ]
            if shown:
                result["relatedLocations"] = [
                    _location(
                        other.requirements[0].origin,
                        prefix,
                        id_=n + 1,
                        message=_side_shown(other),
                    )
                    for n, other in enumerate(shown)
                ]
            if new_sides is not None:
                state = (conflict.id, side.apps, side.identity) in new_sides
                result["baselineState"] = "new" if state else "unchanged"
            yield result


def _new_sides(baseline: BaselineDiff) -> set[tuple[str, tuple[str, ...], str | None]]:
    """The sides (package conflict id, apps, identity) that take part in a new conflict."""
    out: set[tuple[str, tuple[str, ...], str | None]] = set()
    for c in baseline.new:
        members = c.members or tuple((a,) for a in c.apps)
        identities: tuple[str | None, ...] = c.identities or (None,) * len(members)
        pid = package_conflict_id(c.kind, c.package)
        out.update((pid, tuple(m), i) for m, i in zip(members, identities, strict=True))
    return out


def _unsatisfiable_result(
    plan: Plan, app_name: str, prefix: str, rule_index: dict[str, int]
) -> dict[str, Any]:
    try:
        app = plan.app(app_name)
        origin = Origin(app.sources[0], 1) if app.sources else Origin(f"{app.path}", None)
    except KeyError:
        origin = Origin(app_name, None)
    return {
        "ruleId": _UNSATISFIABLE_RULE["id"],
        "ruleIndex": rule_index[_UNSATISFIABLE_RULE["id"]],
        "level": "error",
        "message": {"text": f"{app_name}: its own requirements cannot be satisfied even alone."},
        "locations": [_location(origin, prefix)],
        "partialFingerprints": {FINGERPRINT_KEY: f"unsatisfiable:{app_name}"},
    }


def _diagnostic_result(d: Diagnostic, prefix: str, rule_index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": _DIAGNOSTIC_RULE["id"],
        "ruleIndex": rule_index[_DIAGNOSTIC_RULE["id"]],
        "level": d.level,
        "message": {"text": d.message},
        "partialFingerprints": {FINGERPRINT_KEY: f"diagnostic:{d.file}:{d.message}"},
    }
    if d.file is not None:
        result["locations"] = [_location(Origin(d.file, d.line), prefix)]
    return result


def to_data(
    plan: Plan, *, baseline: BaselineDiff | None = None, path_prefix: str = ""
) -> dict[str, Any]:
    """The SARIF document, its results listed."""
    results = _results(plan, baseline, path_prefix)
    return _document(list(results))


def render(plan: Plan, *, baseline: BaselineDiff | None = None, path_prefix: str = "") -> str:
    """:func:`to_data` as JSON (``indent=2``), each result made as it is written: a run of
    thousands of apps on distinct pins has tens of thousands of results, hundreds of
    megabytes of text, several times that as dicts."""
    return indented(_document(_results(plan, baseline, path_prefix)), end="\n")


def _results(plan: Plan, baseline: BaselineDiff | None, path_prefix: str) -> Entries:
    """The results, made when iterated: each requirement line of each side of each package
    conflict (:func:`_conflict_results`), each unsatisfiable app, each diagnostic."""
    rule_index = {r["id"]: i for i, r in enumerate(rules())}
    new_sides = _new_sides(baseline) if baseline is not None else None

    def make() -> Iterator[dict[str, Any]]:
        for conflict in plan.package_conflicts:
            yield from _conflict_results(conflict, path_prefix, rule_index, new_sides)
        for app in plan.unsatisfiable:
            yield _unsatisfiable_result(plan, app, path_prefix, rule_index)
        for d in plan.diagnostics:
            yield _diagnostic_result(d, path_prefix, rule_index)

    lines = sum(len(s.requirements) for c in plan.package_conflicts for s in c.sides)
    return Entries(lines + len(plan.unsatisfiable) + len(plan.diagnostics), make)


def _document(results: list[dict[str, Any]] | Entries) -> dict[str, Any]:
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "depsplit",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules(),
                    }
                },
                "columnKind": "utf16CodeUnits",
                "results": results,
            }
        ],
    }


def render_report(plan: Plan, context: ReportContext) -> str:
    """The :class:`~depsplit.report.interface.Renderer` of ``--format sarif``."""
    return render(plan, baseline=context.baseline, path_prefix=context.path_prefix)
