"""SARIF 2.1.0 for GitHub code scanning.

One rule per conflict kind (plus apps that cannot be installed alone, and input
diagnostics), each with help text. A conflict gives one result *per requirement line
involved* — GitHub shows a result at its first location only — with the other lines as
related locations. ``partialFingerprints`` come from the conflict's stable id and the app,
so an alert survives lines moving. URIs are relative to the repository (``%SRCROOT%``),
with forward slashes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from depsplit import __version__
from depsplit.model import Conflict, Diagnostic, Origin, Plan
from depsplit.report import text as text_report

if TYPE_CHECKING:
    from depsplit.baseline import BaselineDiff
    from depsplit.report.interface import ReportContext

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/depsplit/"
FINGERPRINT_KEY = "depsplitConflict/v1"

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


def _conflict_results(
    c: Conflict, prefix: str, rule_index: dict[str, int], baseline: BaselineDiff | None
) -> list[dict[str, Any]]:
    rule = _KIND_RULES[c.kind]["id"] if c.kind in _KIND_RULES else "version-conflict"
    results = []
    seen: dict[str, int] = {}
    for i, r in enumerate(c.requirements):
        others = [o for j, o in enumerate(c.requirements) if j != i]
        against = "; ".join(
            f"{o.app}: {text_report.requirement_text(o)} ({o.origin})" for o in others
        )
        text = f"{c.package}: {r.app} requires {text_report.requirement_text(r)} here"
        if r.chain:
            text += f" ({text_report.chain_text(r)})"
        text += f", which conflicts with {against}." if against else "."
        if c.message:
            text += f" {c.message}"
        key = f"{c.id}:{r.app}:{r.origin.file}"
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key += f"#{seen[key]}"
        result: dict[str, Any] = {
            "ruleId": rule,
            "ruleIndex": rule_index[rule],
            "level": "error",
            "message": {"text": text},
            "locations": [_location(r.origin, prefix)],
            "partialFingerprints": {FINGERPRINT_KEY: key},
            "properties": {
                "conflictId": c.id,
                "kind": c.kind,
                "package": c.package,
                "apps": list(c.apps),
                "app": r.app,
            },
        }
        if others:
            result["relatedLocations"] = [
                _location(
                    o.origin,
                    prefix,
                    id_=j + 1,
                    message=f"{o.app}: {text_report.requirement_text(o)}",
                )
                for j, o in enumerate(others)
            ]
        if baseline is not None:
            result["baselineState"] = "new" if c.id in baseline.new_ids else "unchanged"
        results.append(result)
    return results


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
    rule_list = rules()
    rule_index = {r["id"]: i for i, r in enumerate(rule_list)}
    results: list[dict[str, Any]] = []
    for c in plan.conflicts:
        results.extend(_conflict_results(c, path_prefix, rule_index, baseline))
    results.extend(
        _unsatisfiable_result(plan, a, path_prefix, rule_index) for a in plan.unsatisfiable
    )
    results.extend(_diagnostic_result(d, path_prefix, rule_index) for d in plan.diagnostics)
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
                        "rules": rule_list,
                    }
                },
                "columnKind": "utf16CodeUnits",
                "results": results,
            }
        ],
    }


def render(plan: Plan, *, baseline: BaselineDiff | None = None, path_prefix: str = "") -> str:
    return (
        json.dumps(
            to_data(plan, baseline=baseline, path_prefix=path_prefix), indent=2, ensure_ascii=False
        )
        + "\n"
    )


def render_report(plan: Plan, context: ReportContext) -> str:
    """The :class:`~depsplit.report.interface.Renderer` of ``--format sarif``."""
    return render(plan, baseline=context.baseline, path_prefix=context.path_prefix)
