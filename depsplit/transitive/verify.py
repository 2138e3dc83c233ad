"""Steps 2 and 3: candidate conflicts between the apps' closures, and their verification.

Every requirement edge of each closure becomes a requirement of a throwaway copy of the app
(marker ``python_version == "X.Y"`` for the minor it was resolved at) and the direct engine
finds the sets of apps whose edges on a package cannot be met together. A candidate is
reported only when the union of its apps does not resolve at any minor they share; the
verification spends a budget of resolver rounds. A candidate left when it runs out is
settled by the groups: all its apps in one group that gets a lock resolve together (no
conflict); the others are named in a warning (:func:`note_unverified`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from depsplit.conflicts import expand, find_conflicts
from depsplit.index import IndexError_, ResolutionImpossible, ResolutionTooComplex
from depsplit.index.resolve import Meter
from depsplit.model import (
    App,
    Conflict,
    ConflictKind,
    Group,
    PythonRequirement,
    Requirement,
)
from depsplit.target import SUPPORTED_PYTHONS, minor_key
from depsplit.transitive.closures import pythons_for, together
from depsplit.transitive.conflicts import app_origin, between_conflict
from depsplit.transitive.sharing import Failure

if TYPE_CHECKING:
    from depsplit.transitive.session import Transitive

SECONDS_FOR_CANDIDATE_SEARCH = 0.25
"""Share of the time budget the direct engine may spend on N-way sets of edges."""
ROUNDS_PER_SECOND = 1000
"""The verification of candidate conflicts may spend ``time_limit * ROUNDS_PER_SECOND``
resolver rounds: a budget of work, not of seconds, so that a cold and a warm run (or a slow
and a fast machine) verify the same candidates and write the same report."""

Candidate = tuple[tuple[str, ...], str, ConflictKind]
"""A set of apps (sorted), the package their edges clash on, and the kind of clash."""


@dataclass(frozen=True)
class Verdict:
    """What the verification of the candidates found."""

    conflicts: list[Conflict]
    """The verified conflicts, by set of apps in the candidates' order."""
    verified: int
    left: tuple[tuple[tuple[str, ...], str], ...] = ()
    """The candidates left when the budget ran out, (apps, package) each, for
    :func:`note_unverified`."""
    total: int = 0
    """Candidates there were."""
    budget: int = 0
    """The budget of resolver rounds."""

    @property
    def unverified(self) -> int:
        """How many candidates were left."""
        return len(self.left)


def covered_sets(direct: Sequence[Conflict]) -> dict[str, set[frozenset[str]]]:
    """Each set of apps a direct conflict stands for, under its first app: a set of apps
    holds one when it holds the first app of one and then all of it."""
    covered: dict[str, set[frozenset[str]]] = {}
    for c in direct:
        if len(c.apps) >= 2:
            for s in expand(c):
                covered.setdefault(s[0], set()).add(frozenset(s))
    return covered


def candidates(
    session: Transitive, resolved: Sequence[App], covered: Mapping[str, set[frozenset[str]]]
) -> list[Candidate]:
    """The sets of apps of ``resolved`` whose closures' edges on a package cannot be met
    together (each at the set's common interpreter), but those ``covered`` by a direct
    conflict, and plain ``Requires-Python`` clashes the direct analysis reports."""
    together(
        [
            partial(session.edges, app, python, max_rounds=session.secondary_rounds)
            for app in resolved
            for python in pythons_for(session, app, resolved)
        ]
    )
    throwaway = [_throwaway(session, app, resolved) for app in resolved]
    found = find_conflicts(
        throwaway, session.target, time_limit=session.time_limit * SECONDS_FOR_CANDIDATE_SEARCH
    )
    out: list[Candidate] = []
    seen: set[tuple[str, ...]] = set()
    for c, names in ((x, frozenset(s)) for x in found for s in expand(x)):
        if len(c.apps) < 2 or c.kind == "url":
            continue
        if any(d <= names for n in names for d in covered.get(n, ())):
            continue
        if c.kind == "python" and not any(
            minor_key(session.home[n]) < minor_key(session.allowed(session.by_name[n])[0])
            for n in names
        ):
            continue  # a plain Requires-Python conflict: the direct analysis has it
        key = (c.kind, canonicalize_name(c.package), *sorted(names))
        if key in seen:
            continue
        seen.add(key)
        out.append((tuple(sorted(names)), c.package, c.kind))
    return out


def _throwaway(session: Transitive, app: App, resolved: Sequence[App]) -> App:
    """A copy of ``app`` whose requirements are its closures' edges, each under the marker
    of the minor it was resolved at, and whose Python stops at its home."""
    reqs: list[Requirement] = []
    for python in pythons_for(session, app, resolved):
        try:
            result = session.edges(app, python, max_rounds=session.secondary_rounds)
        except IndexError_ as exc:
            session.notes.stopped(exc, [app.name])
            continue
        if isinstance(result, (ResolutionImpossible, ResolutionTooComplex)):
            continue
        marker = f'python_version == "{python}"'
        reqs.extend(
            Requirement(
                key=e.key,
                name=e.name,
                specifier=e.specifier,
                origin=e.origin or app_origin(app),
                extras=e.extras,
                marker=marker,
            )
            for e in result
        )
    home = session.home[app.name]
    limits = list(app.python)
    if not session.target.python and home != SUPPORTED_PYTHONS[-1]:
        # Newer minors do not resolve: sets with this app meet at most at its home.
        limits.append(PythonRequirement(f"<{_next_minor(home)}", app_origin(app)))
    return replace(app, requirements=tuple(reqs), python=tuple(limits))


def _next_minor(minor: str) -> str:
    major, _, rest = minor.partition(".")
    return f"{major}.{int(rest) + 1}"


def verify(session: Transitive, found: Sequence[Candidate]) -> Verdict:
    """The candidates ``found`` whose apps' union does not resolve at any minor they share,
    as conflicts, within a budget of ``time_limit * ROUNDS_PER_SECOND`` resolver rounds."""
    # A budget of resolver rounds, not of seconds: the same candidates are verified
    # cold or warm, so the report is the same to the byte.
    budget = int(session.time_limit * ROUNDS_PER_SECOND)
    meter = Meter()
    verified = 0
    left: list[tuple[tuple[str, ...], str]] = []
    failed: dict[tuple[str, ...], list[tuple[str, ConflictKind, Failure]]] = {}
    # One verification per set of apps, all its candidates at once: the deadline falling
    # between two candidates of one set (``sympy`` verified, ``torch`` not, on a slow
    # cold cache) would otherwise file the set's conflict under another package.
    by_set: dict[tuple[str, ...], list[tuple[str, ConflictKind]]] = {}
    for names, package, kind in found:
        by_set.setdefault(names, []).append((package, kind))
    for names, found_here in by_set.items():
        remaining = budget - meter.rounds
        if remaining <= 0:
            left.extend((names, package) for package, _kind in found_here)
            continue
        try:
            works, failure = session.feasible(
                names, max_rounds=min(remaining, session.max_rounds), meter=meter
            )
        except IndexError_ as exc:
            session.notes.stopped(exc, names)
            continue
        if works is None and frozenset(names) in session.undecided:
            left.extend((names, package) for package, _kind in found_here)
            continue
        verified += len(found_here)
        if works is None:
            failed[names] = [(package, kind, failure) for package, kind in found_here]
    return Verdict(_failed_conflicts(session, failed), verified, tuple(left), len(found), budget)


def _failed_conflicts(
    session: Transitive, failed: Mapping[tuple[str, ...], list[tuple[str, ConflictKind, Failure]]]
) -> list[Conflict]:
    out = []
    for names, found in failed.items():
        # torch>=2.7 against torchvision==0.20.0 → torch==2.5.0 also makes their sympy
        # and triton pins disagree; when the resolver names the package at the root of
        # the failure, the consequences are not separate conflicts.
        named = [f for f in found if f[2] is not None and canonicalize_name(f[0]) in f[2].packages]
        for package, kind, failure in named or found:
            out.append(between_conflict(session, names, package, kind, failure))
    return out


def note_unverified(session: Transitive, verdict: Verdict, groups: Sequence[Group]) -> None:
    """The warning naming the candidates the verification left (``verdict``), once the
    ``groups`` have their locks: a candidate whose apps are all in one group with a lock is
    settled (that resolution holds them together: no conflict), and not named; the others
    are, between apps the partition put in different groups."""
    if not verdict.left:
        return
    locked = {name: g.name for g in groups if g.lock for name in g.apps}
    left = [
        (names, package)
        for names, package in verdict.left
        if len({locked.get(n) for n in names}) != 1 or locked.get(names[0]) is None
    ]
    if not left:
        return
    settled = len(verdict.left) - len(left)
    shown = "; ".join(f"{package} ({', '.join(names)})" for names, package in left[:10])
    more = f"; and {len(left) - 10} more" if len(left) > 10 else ""
    also = (
        f" ({settled} more were left and then resolved together in their group's lock: "
        "not conflicts)"
        if settled
        else ""
    )
    session.notes.add(
        "warning",
        f"--transitive: {len(left)} of {verdict.total} candidate conflicts between apps' "
        f"dependencies were not verified within the budget of {verdict.budget} resolver "
        f"rounds (--time-limit {session.time_limit:g} × {ROUNDS_PER_SECOND}) and are not "
        f"listed{also}; no group with a lock holds all the apps of one, and the groups "
        f"are still checked as a whole: {shown}{more}",
    )
