"""What several renderers need: which interpreter an app is judged on, whether a
requirement goes into the container."""

from __future__ import annotations

from collections.abc import Sequence

from packaging.utils import canonicalize_name

from depsplit.conflicts import ConflictSets, of_one_app, on_package
from depsplit.model import App, Conflict, PackageConflict, Plan, Requirement
from depsplit.target import SUPPORTED_PYTHONS, allowed_pythons, marker_applies


def app_python(plan: Plan, app: App) -> str:
    """The interpreter the app's markers are evaluated for: its group's, else the fixed
    target's, else the newest the app allows (else the newest supported)."""
    python = plan.group_pythons.get(app.name)
    if python is not None:
        return python
    if plan.target.python:
        return plan.target.python
    allowed = allowed_pythons(app.python_specifier)
    return allowed[-1] if allowed else SUPPORTED_PYTHONS[-1]


def applies(plan: Plan, app: App, req: Requirement, python: str | None = None) -> bool:
    """Whether ``req`` is installed in the app's production container."""
    if req.role not in ("main", "lock"):
        return False
    return marker_applies(req.marker, plan.target, python or app_python(plan, app))


def conflicts_of_package(
    conflicts: Sequence[Conflict], package: PackageConflict, *, pairs: bool = True
) -> list[Conflict]:
    """The smallest sets of ``package``'s package (any kind but python, or python), sorted;
    without the pairs unless ``pairs``. From a search's :class:`ConflictSets`, only these
    are made."""
    python = package.kind == "python"
    key = "python" if python else canonicalize_name(package.package)
    if isinstance(conflicts, ConflictSets):
        return conflicts.of_package(python, key, pairs=pairs)
    return [c for c in conflicts if on_package(c, python, key) and (pairs or len(c.apps) != 2)]


def own_conflicts(plan: Plan) -> dict[str, list[Conflict]]:
    """Per unsatisfiable app, the conflicts of that app alone: why it cannot be installed
    (read in one pass over the conflicts of one app)."""
    out: dict[str, list[Conflict]] = {name: [] for name in plan.unsatisfiable}
    for c in of_one_app(plan.conflicts):
        if c.apps[0] in out:
            out[c.apps[0]].append(c)
    return out
