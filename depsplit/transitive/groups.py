"""Step 4: the partition's whole-group check: a group is formed only when its apps' union
resolves at a minor they share; else a minimal set of its apps that cannot be installed
together keeps them apart."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from depsplit.index import IndexError_

if TYPE_CHECKING:
    from depsplit.transitive.session import Transitive


def check(session: Transitive, names: Iterable[str]) -> tuple[str, ...] | None:
    """``None`` when the group ``names`` resolves at a minor its members share, else a
    minimal infeasible subset of it (the apps the resolver's causes name when they fail
    on their own, else a deletion filter). A group holding an app whose analysis stopped
    is not judged (``None``)."""
    group = frozenset(names)
    if len(group) < 2 or group & session.broken:
        return None
    known = _known_apart(session, group)
    if known is not None:
        return _kept_apart(session, known)
    try:
        python, failure = session.feasible(group)
        if python is not None:
            return None
        named = frozenset(failure.apps) & group if failure is not None else frozenset()
        start = group
        if (
            len(named) >= 2
            and named != group
            and session.feasible(named, max_rounds=session.secondary_rounds)[0] is None
        ):
            start = named
        found = _shrink(session, start)
    except IndexError_ as exc:
        session.notes.stopped(exc, group)
        return None
    if len(found) < 2:
        return None
    return _kept_apart(session, found)


def _known_apart(session: Transitive, group: frozenset[str]) -> tuple[str, ...] | None:
    """The smallest set already judged (by the candidate search or an earlier check)
    that ``group`` holds and that does not resolve together, or ``None``. Whatever pins
    would install ``group`` would install any part of it: a part that cannot be
    installed together (or whose resolution did not finish: kept apart, as everywhere)
    decides the whole group without resolving it again."""
    best: tuple[int, tuple[str, ...]] | None = None
    for judged, (python, _failure) in session.judged.items():
        if python is not None or len(judged) < 2 or not judged <= group:
            continue
        key = (len(judged), tuple(sorted(judged)))
        if best is None or key < best:
            best = key
    return best[1] if best is not None else None


def _kept_apart(session: Transitive, found: tuple[str, ...]) -> tuple[str, ...]:
    """``found``, with a warning when it is kept apart only because its resolution did not
    finish."""
    minors = session.undecided.get(frozenset(found))
    if minors:
        session.notes.kept_apart(found, minors)
    return found


def _shrink(session: Transitive, group: frozenset[str]) -> tuple[str, ...]:
    """A deletion filter: drop each app whose removal leaves the rest infeasible (or
    undecided within :attr:`Transitive.secondary_rounds`: a smaller set kept apart,
    named)."""
    kept = set(group)
    for name in sorted(group):
        if len(kept) <= 2:
            break
        rest = frozenset(kept - {name})
        if session.feasible(rest, max_rounds=session.secondary_rounds)[0] is None:
            kept.discard(name)
    return tuple(sorted(kept))
