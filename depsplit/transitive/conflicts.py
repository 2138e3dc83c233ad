"""The conflict records of the transitive analysis: an app that cannot be installed even
alone, apps whose closures cannot be installed together, and their merge with the direct
analysis's conflicts."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PkgRequirement
from packaging.utils import canonicalize_name

from depsplit.conflicts import conflict_id, python_requirements
from depsplit.index import ResolutionImpossible
from depsplit.index.resolve import PYTHON, Cause
from depsplit.model import App, Conflict, ConflictKind, ConflictRequirement, Origin
from depsplit.package_conflicts import sort_key
from depsplit.target import minor_key
from depsplit.transitive.closures import resolvable

if TYPE_CHECKING:
    from depsplit.transitive.session import Transitive


def app_origin(app: App) -> Origin:
    """Where an edge without an origin of its own is said to come from: the app's first
    file."""
    return Origin(app.sources[0] if app.sources else app.path)


def alone_conflict(app: App, failure: ResolutionImpossible) -> Conflict:
    """An app whose closure cannot be resolved at any minor it allows."""
    packages = [c for c in failure.causes if c.key != PYTHON]
    first = packages[0] if packages else failure.causes[0] if failure.causes else None
    if first is None or first.key == PYTHON:
        kind: ConflictKind = "python"
        key, package = "python", "python"
    else:
        kind, key, package = "version", first.key, first.name
    return Conflict(
        id=conflict_id(kind, key, [app.name]),
        kind=kind,
        package=package,
        apps=(app.name,),
        requirements=tuple(_cause_requirement(app, c) for c in failure.causes),
        message=str(failure),
    )


def between_conflict(
    session: Transitive,
    names: Sequence[str],
    package: str,
    kind: ConflictKind,
    failure: ResolutionImpossible | None,
) -> Conflict:
    """A verified conflict between the apps ``names`` (sorted) on ``package``: ``kind``
    ``python`` when they share no interpreter at which they resolve, else ``version``
    with each app's edges on the package at the newest minor they share."""
    if kind == "python":
        return _python_conflict(session, names, failure)
    key = canonicalize_name(package)
    shared = set.intersection(*(set(resolvable(session, session.by_name[n])) for n in names))
    python = max(shared, key=minor_key) if shared else None
    reqs: list[ConflictRequirement] = []
    texts = []
    for name in names:
        app = session.by_name[name]
        result = session.edges(app, python, max_rounds=session.secondary_rounds) if python else []
        edges = [e for e in result if e.key == key] if isinstance(result, list) else []
        reqs.extend(
            ConflictRequirement(
                app=name,
                specifier=e.specifier,
                origin=e.origin or app_origin(app),
                name=e.name,
                chain=e.chain,
            )
            for e in edges
        )
        texts.append(
            " and ".join(
                f"{name} → {' → '.join(e.chain)} ({e.origin or app_origin(app)})" for e in edges
            )
            or name
        )
    head = " conflicts with ".join(texts) if len(texts) == 2 else "; ".join(texts)
    why = f"no version of {package} satisfies all of them"
    if failure is not None and key not in failure.packages:
        why += f" (the resolver: {failure})"
    if len(names) > 2:
        why += ", though every two of them can be met"
    return Conflict(
        id=conflict_id("version", key, names),
        kind="version",
        package=package,
        apps=tuple(names),
        requirements=tuple(reqs),
        message=f"{package}: {head}: {why}",
    )


def _python_conflict(
    session: Transitive, names: Sequence[str], failure: ResolutionImpossible | None
) -> Conflict:
    reqs = list(python_requirements([session.by_name[a] for a in names]))
    if failure is not None:
        reqs.extend(
            _cause_requirement(session.by_name[c.app or names[0]], c) for c in failure.causes
        )
    why = str(failure) if failure is not None else "they share no Python version"
    return Conflict(
        id=conflict_id("python", "python", names),
        kind="python",
        package="python",
        apps=tuple(names),
        requirements=tuple(reqs),
        message=f"python: {', '.join(names)} cannot share an interpreter: {why}",
    )


def _specifier(cause: Cause) -> str:
    if cause.key == PYTHON:
        return cause.requirement.removeprefix("Requires-Python ").strip()
    try:
        return str(PkgRequirement(cause.requirement).specifier)
    except InvalidRequirement:
        return cause.requirement


def _cause_requirement(app: App, cause: Cause) -> ConflictRequirement:
    return ConflictRequirement(
        app=cause.app or app.name,
        specifier=_specifier(cause),
        origin=cause.origin or app_origin(app),
        name="python" if cause.key == PYTHON else cause.name,
        chain=cause.chain,
    )


def merge_conflicts(direct: Sequence[Conflict], found: Sequence[Conflict]) -> list[Conflict]:
    """Direct and transitive conflicts in one list, ordered as the direct analysis orders
    its own (python conflicts first, then by package, size and apps); a direct conflict
    wins over a transitive one with the same id."""
    unique = {c.id: c for c in found}
    unique.update({c.id: c for c in direct})
    return sorted(unique.values(), key=functools.partial(sort_key, canonical={}))
