"""``depsplit explain PACKAGE``: every app's requirement on one package, with origins, whether
it goes into the app's container, and the conflicts on it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.utils import canonicalize_name

from depsplit.conflicts import app_python, effective, sides
from depsplit.errors import UsageError
from depsplit.model import App, Conflict, Requirement, Target
from depsplit.target import marker_applies

_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
"""A PEP 508 project name."""


def _where(req: Requirement) -> str:
    return req.origin.describe()


def _status(app: App, req: Requirement, target: Target, python: str | None) -> str:
    """Whether ``req`` goes into the app's container on ``target``, and why not."""
    if req.role == "dev":
        return "not in the container: development requirement" + (
            f" ({req.group})" if req.group else ""
        )
    if req.role == "optional":
        return "not in the container: optional" + (f" (extra {req.group})" if req.group else "")
    if python is None:
        return "not evaluated: the app allows no supported Python"
    if req.marker:
        try:
            holds = marker_applies(req.marker, target, python)
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            holds = True  # the reader reported it; conflicts count it too
        if not holds:
            return (
                f"not on the target: marker is false for Linux {target.machine}, CPython {python}"
            )
    if req.role == "constraint":
        if req.key in effective(app, target, python):
            return "applies (constraint on a required package)"
        return "no effect: a constraint on a package the app does not require"
    return "applies" + (" (lock-file pin)" if req.role == "lock" else "")


def required_by(apps: Sequence[App], package: str) -> list[tuple[App, list[Requirement]]]:
    """Each app (by name) that requires ``package`` (canonicalized), with those lines."""
    key = canonicalize_name(package)
    rows = [
        (app, [r for r in app.requirements if r.key == key])
        for app in sorted(apps, key=lambda a: a.name)
    ]
    return [(app, reqs) for app, reqs in rows if reqs]


def explain(
    apps: Sequence[App], conflicts: Sequence[Conflict], package: str, target: Target
) -> str:
    """A text report on ``package`` (looked up canonicalized, shown as written): each app's
    requirements on it with origins and whether they apply on ``target`` (markers are
    evaluated at the app's own interpreter, :func:`~depsplit.conflicts.app_python`), then
    the conflicts on it. Raises :class:`UsageError` for an invalid package name."""
    if not _NAME.match(package):
        raise UsageError(f"{package!r} is not a valid package name")
    key = canonicalize_name(package)
    rows = required_by(apps, package)
    if not rows:
        known = sorted({r.key for app in apps for r in app.requirements})
        close = difflib.get_close_matches(key, known, n=3, cutoff=0.75)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        return f"No app requires {package} (looked up as {key!r}).{hint}\n"
    shown = rows[0][1][0].name
    lines = [
        f"{shown}: required by {len(rows)} app{'s' if len(rows) != 1 else ''} "
        f"(target {target.platform}, {target.machine}"
        + (f", CPython {target.python})" if target.python else ")"),
        "",
    ]
    for app, reqs in rows:
        python = app_python(app, target)
        lines.append(f"{app.name} ({app.path}, Python {python or 'none supported'})")
        for req in reqs:
            role = "" if req.role == "main" else f" [{req.role}]"
            lines.append(f"  {req.line_text}{role}")
            lines.append(f"    at {_where(req)}")
            lines.append(f"    {_status(app, req, target, python)}")
    mine = sorted(
        (c for c in conflicts if c.kind != "python" and canonicalize_name(c.package) == key),
        key=lambda c: (len(c.apps), c.apps, c.id),
    )
    lines.append("")
    if not mine:
        lines.append(f"No conflicts on {shown}.")
    else:
        lines.append(f"Conflicts on {shown} ({len(mine)}):")
        for conflict in mine:
            lines.append(f"  {conflict.id} [{conflict.kind}]: {_sides_text(conflict)}")
            lines.append(f"    {conflict.message}")
    return "\n".join(lines) + "\n"


def _sides_text(conflict: Conflict) -> str:
    """The apps of each side: ``api`` alone, or ``api, web (same requirement)``."""
    parts = [
        side[0] if len(side) == 1 else f"{', '.join(side)} (same requirement)"
        for side in sides(conflict)
    ]
    if all(len(side) == 1 for side in sides(conflict)):
        return ", ".join(conflict.apps)
    return " vs ".join(parts)
