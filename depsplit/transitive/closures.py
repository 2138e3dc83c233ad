"""Step 1: each app's closure, resolved alone at the minors it allows (newest first), and
the requirements that go into a resolution."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, cast

from depsplit.conflicts import effective
from depsplit.errors import DepsplitError
from depsplit.index import (
    IndexError_,
    ResolutionImpossible,
    ResolutionTooComplex,
    TransitiveRequirement,
    transitive_requirements,
)
from depsplit.index.resolve import Meter, detached
from depsplit.model import App, Requirement
from depsplit.target import marker_holds, minor_key, newest_first

if TYPE_CHECKING:
    from depsplit.transitive.session import Transitive

RESOLVERS = 6
"""Closures resolved at once (each app alone, at each minor) once they wait for the index
(:func:`together`): a cold run spends its time waiting for the index, and these waits
overlap. The results are the same in any order (each resolution depends only on its
requirements and the index); the conflicts, the verification and the groups are then
worked out one by one, in a fixed order."""

WAIT_BEFORE_THREADS = 0.25
"""Seconds the process may wait, idle, during :func:`together`'s resolutions on the calling
thread before the others go to :data:`RESOLVERS` threads. A warm cache answers at once:
the resolutions are then work for one core, and six threads taking the GIL in turn made
them 7 to 10 % slower (realpython warm, with one thread: 23.8 → 22.1 s, 26.4 → 23.9 s)."""

Edges = list[TransitiveRequirement] | ResolutionImpossible | ResolutionTooComplex
"""An app's closure at a minor: its edges, or why it cannot be resolved there, or that its
resolution did not finish."""


def requirements(session: Transitive, app: App, python: str) -> list[Requirement]:
    """What goes into the app's container at ``python``, for the resolver: ``main`` and
    ``lock`` requirements whose marker holds, and every ``-c`` constraint whose marker
    holds (pip applies constraints to transitive packages too). Direct URL, VCS and local
    path requirements are left out, with a warning."""
    out: list[Requirement] = []
    for reqs in effective(app, session.target, python).values():
        for req in reqs:
            if req.role == "constraint":
                continue
            if req.url or req.editable:
                session.notes.unresolved(app, req)
                continue
            out.append(replace(req, marker=None))
    for req in app.requirements:
        if req.role != "constraint" or req.url:
            continue
        if not marker_holds(req.marker, session.target, python):
            continue
        out.append(replace(req, marker=None))
    return out


def edges(session: Transitive, app: App, python: str, *, max_rounds: int | None = None) -> Edges:
    """The app's closure edges at ``python``, or why it cannot be resolved there
    (:class:`ResolutionImpossible`), or :class:`ResolutionTooComplex` when the resolver
    did not finish within ``max_rounds``. Index errors are raised. Remembered per app and
    minor (an unfinished one is tried again with more rounds)."""
    max_rounds = max_rounds or session.max_rounds
    key = (app.name, python)
    found = session.closures.get(key)
    if found is None or (isinstance(found, ResolutionTooComplex) and found.rounds < max_rounds):
        reqs = session.requirements(app, python)
        finder = session.finder([app.name])

        def compute(meter: Meter) -> Edges:
            try:
                return transitive_requirements(
                    reqs,
                    session.target,
                    python,
                    finder,
                    app=app.name,
                    max_rounds=max_rounds,
                    meter=meter,
                )
            except (ResolutionImpossible, ResolutionTooComplex) as exc:
                return detached(exc)

        found = cast(
            "Edges",
            session.resolutions.get(
                "edges", [(app.name, reqs)], python, finder, max_rounds, compute
            ),
        )
        if isinstance(found, ResolutionTooComplex):
            session.unfinished.setdefault(app.name, set()).add(python)
        session.closures[key] = found
    return found


def together(jobs: Sequence[Callable[[], object]]) -> None:
    """Run ``jobs`` (resolutions whose results land in the session's memos): one after
    the other on this thread while the process keeps busy, and the rest on
    :data:`RESOLVERS` threads once it has waited :data:`WAIT_BEFORE_THREADS` seconds in
    all (a wall time over the process's CPU time: fetches from the index). Their errors
    are dropped here: the sequential pass that follows asks again and meets them (the
    finder remembers a failed fetch) in its fixed order."""
    if len(jobs) < 2:
        return
    waited = 0.0
    start = 0
    while start < len(jobs) and waited <= WAIT_BEFORE_THREADS:
        wall, cpu = time.monotonic(), time.process_time()
        _quiet(jobs[start])
        start += 1
        waited += max(0.0, (time.monotonic() - wall) - (time.process_time() - cpu))
    if start < len(jobs):
        with ThreadPoolExecutor(
            max_workers=RESOLVERS, thread_name_prefix="depsplit-resolve"
        ) as pool:
            list(pool.map(_quiet, jobs[start:]))


def _quiet(job: Callable[[], object]) -> None:
    with contextlib.suppress(DepsplitError):
        job()


def _walk(session: Transitive, app: App) -> None:
    """The app alone at the minors it allows, newest first, until one resolves."""
    for python in session.allowed(app):
        if isinstance(session.edges(app, python), list):
            return


def find_homes(
    session: Transitive, skipped: Collection[str]
) -> tuple[list[App], list[tuple[App, ResolutionImpossible]]]:
    """Each app (but ``skipped``) alone at the minors it allows, newest first: its home
    (:attr:`Transitive.home`) is the first at which it resolves. Returns the apps that
    resolve somewhere, and the apps that cannot be installed at any minor with the failure
    at the newest. An app whose resolution did not finish (and at no minor resolved) or
    stopped on an index error is reported and in neither list (fail closed)."""
    resolved: list[App] = []
    impossible: list[tuple[App, ResolutionImpossible]] = []
    together([partial(_walk, session, app) for app in session.apps if app.name not in skipped])
    for app in session.apps:
        if app.name in skipped:
            continue
        allowed = session.allowed(app)
        if not allowed:
            continue  # a python conflict of the direct analysis
        first: ResolutionImpossible | None = None
        unfinished: ResolutionTooComplex | None = None
        try:
            for python in allowed:
                result = session.edges(app, python)
                if isinstance(result, ResolutionImpossible):
                    first = first or result
                    continue
                if isinstance(result, ResolutionTooComplex):
                    unfinished = unfinished or result
                    continue
                session.home[app.name] = python
                break
        except IndexError_ as exc:
            session.notes.stopped(exc, [app.name])
            continue
        if app.name in session.home:
            resolved.append(app)
        elif unfinished is not None:
            # Not proven impossible: nothing can be said about the app (fail closed).
            minors = newest_first(session.unfinished.get(app.name, ()))
            session.notes.stopped(
                ResolutionTooComplex(unfinished.rounds),
                [app.name],
                f" at CPython {', '.join(minors)}"
                + (f" and it cannot be installed at the others ({first})" if first else ""),
            )
        elif first is not None:
            impossible.append((app, first))
    return resolved, impossible


def resolvable(session: Transitive, app: App) -> list[str]:
    """The minors the app allows up to its home (newest first): those at which it can
    meet other apps."""
    home = session.home[app.name]
    key = (app.name, home)
    found = session.resolvable_memo.get(key)
    if found is None:  # asked for every pair of apps: memoized
        found = [p for p in session.allowed(app) if minor_key(p) <= minor_key(home)]
        session.resolvable_memo[key] = found
    return list(found)


def pythons_for(session: Transitive, app: App, resolved: Sequence[App]) -> list[str]:
    """The minors at which the app can meet another app in a set: its home, and the
    newest minor it shares with each other app (at most its home)."""
    mine = resolvable(session, app)
    out = {session.home[app.name]}
    for other in resolved:
        shared = set(mine) & set(resolvable(session, other))
        if shared:
            out.add(max(shared, key=minor_key))
    return newest_first(out)


def note_unfinished(session: Transitive) -> None:
    """A warning per app (not stopped) whose closure did not resolve within the round limit
    at some minor."""
    for name in sorted(session.unfinished):
        if name in session.broken:
            continue
        session.notes.unfinished_closure(name, newest_first(session.unfinished[name]))
