"""Which apps can share a container: whether the union of their closures resolves at a
minor they share, remembered per set of apps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from depsplit.index import ResolutionImpossible, ResolutionTooComplex, check_union
from depsplit.index.resolve import Meter, detached
from depsplit.transitive.closures import resolvable

if TYPE_CHECKING:
    from depsplit.transitive.session import Transitive

Failure = ResolutionImpossible | None
"""Why a set of apps cannot share a container (``None``: no failure to show)."""
UnionOutcome = Failure | ResolutionTooComplex
"""Whether apps resolve together at a minor: ``None``, why not, or that it was not decided
within the rounds given."""


def union(
    session: Transitive,
    names: Iterable[str],
    python: str,
    *,
    max_rounds: int | None = None,
    meter: Meter | None = None,
) -> UnionOutcome:
    """``None`` when the apps resolve together at ``python``, else why not, or
    :class:`ResolutionTooComplex` when that was not decided within ``max_rounds``."""
    max_rounds = max_rounds or session.max_rounds
    group = frozenset(names)
    key = (group, python)
    found = session.unions.get(key, ResolutionTooComplex(0))
    if isinstance(found, ResolutionTooComplex) and found.rounds < max_rounds:
        apps = {n: session.requirements(session.by_name[n], python) for n in sorted(group)}
        finder = session.finder(group)

        def compute(own: Meter) -> UnionOutcome:
            try:
                return check_union(
                    apps,
                    target=session.target,
                    python=python,
                    finder=finder,
                    max_rounds=max_rounds,
                    meter=own,
                )
            except ResolutionTooComplex as exc:
                return detached(exc)

        found = cast(
            "UnionOutcome",
            session.resolutions.get(
                "union", list(apps.items()), python, finder, max_rounds, compute, meter
            ),
        )
        session.unions[key] = found
    return found


def feasible(
    session: Transitive,
    names: Iterable[str],
    *,
    max_rounds: int | None = None,
    meter: Meter | None = None,
) -> tuple[str | None, Failure]:
    """``(python, None)`` for the newest minor the apps share at which their union
    resolves, else ``(None, the failure at the newest shared minor at which each app
    resolves alone, or at the newest shared one)`` (``None`` as the failure when they
    share no minor, or when no minor decided it). Minors at which the resolution did
    not finish within ``max_rounds`` are recorded in :attr:`Transitive.undecided`."""
    group = frozenset(names)
    found = session.judged.get(group)
    if found is not None and found[0] is None and group in session.undecided:
        found = None  # decide again, with this call's rounds
    if found is None:
        # The failure worth showing is one at a minor where every member resolves on
        # its own: at a newer one the message would only say some wheel is missing.
        alone = set.intersection(
            *(
                set(
                    resolvable(session, session.by_name[n])
                    if n in session.home
                    else session.common([n])
                )
                for n in group
            )
        )
        first: Failure = None
        telling: Failure = None
        found = (None, None)
        undecided: list[str] = []
        for python in session.common(group):
            said = _alone(session, group, python)
            failure = (
                session.union(group, python, max_rounds=max_rounds, meter=meter)
                if isinstance(said, bool)
                else said
            )
            if failure is None:
                found = (python, None)
                break
            if isinstance(failure, ResolutionTooComplex):
                undecided.append(python)
                continue
            first = first or failure
            if telling is None and python in alone:
                telling = failure
        else:
            found = (None, telling or first)
        if found[0] is None and undecided:
            session.undecided[group] = tuple(undecided)
        else:
            session.undecided.pop(group, None)
        session.judged[group] = found
    return found


def _alone(
    session: Transitive, group: frozenset[str], python: str
) -> ResolutionImpossible | ResolutionTooComplex | bool:
    """What the members' own resolutions at ``python`` already say of their union
    (only those done; none is started): a member that cannot be installed there alone
    is the union's failure, one whose resolution did not finish makes it undecided;
    ``False`` when they say nothing."""
    unfinished: ResolutionTooComplex | None = None
    for name in sorted(group):
        found = session.closures.get((name, python))
        if isinstance(found, ResolutionImpossible):
            return found
        if isinstance(found, ResolutionTooComplex):
            unfinished = unfinished or found
    return unfinished if unfinished is not None else False
