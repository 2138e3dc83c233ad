"""One resolution for apps that write the same requirements.

A resolution depends only on what the requirements say, never on the apps' names or on where
the lines are written (those only label its chains and causes), so apps with the same
requirements (a tutorial's ``requests`` and ``flask``, copied into every folder) are resolved
once per minor, and so is each union of such apps; the outcome is relabelled for each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import cast

from depsplit.index import Finder, ResolutionImpossible, ResolutionTooComplex
from depsplit.index.resolve import Meter, cause_order
from depsplit.index.trace import tracing
from depsplit.model import LockedPin, Origin, Requirement, Target
from depsplit.transitive.store import Figures, Store

__all__ = ["Outcome", "Resolutions"]

_Said = tuple[tuple[object, ...], ...]
"""What the resolver reads of some requirements (:func:`_signature`)."""
_Labels = tuple[tuple[str, tuple[Origin, ...]], ...]
"""Per app, in order: its name and the distinct origins of its requirements."""


@dataclass(frozen=True)
class Outcome:
    """A resolution's outcome (:meth:`Resolutions.get`), labelled by the apps it was
    computed for, with the work it took."""

    result: object
    labels: _Labels
    """Per app, in order: its name and the distinct origins of its requirements."""
    figures: Figures

    def serves(self, max_rounds: int) -> bool:
        """Whether a resolution of the same requirements under ``max_rounds`` takes the
        same steps to the same outcome: under the same limit, always; under another, when
        this one finished within it without backjumping (resolvelib's optimistic
        backjumping weighs ``max_rounds``)."""
        if max_rounds == self.figures.max_rounds:
            return True
        if isinstance(self.result, ResolutionTooComplex) or self.figures.backjumped:
            return False
        return max_rounds >= self.figures.longest


class Resolutions:
    """The outcomes of one run's resolutions, by what their requirements say, and of earlier
    runs' (:class:`~depsplit.transitive.store.Store`, when given). Thread-safe: the same
    requirements asked by two threads are resolved by one."""

    def __init__(self, target: Target, store: Store | None = None) -> None:
        self.target = target
        self.store = store
        self._resolved: dict[Hashable, Outcome] = {}
        self._flights: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(
        self,
        kind: str,
        apps: Sequence[tuple[str, Sequence[Requirement]]],
        python: str,
        finder: Finder,
        max_rounds: int,
        compute: Callable[[Meter], object],
        meter: Meter | None = None,
        extra: Hashable = (),
    ) -> object:
        """``compute(meter)`` (a resolution of ``apps``' requirements, in this order), or
        the outcome of an earlier resolution of the same requirements written by other apps,
        their names and origins replaced (:func:`_relabel`), in this run or (through the
        store) an earlier one. ``meter`` is charged the rounds the resolution took, reused
        or not, so the verification's budget runs out at the same candidate either way. ``extra``:
        what else the resolution is given (a lock's preferred versions), part of the key."""
        signature: list[_Said] = []
        labels: list[tuple[str, tuple[Origin, ...]]] = []
        for name, requirements in apps:
            text, origins = _signature(requirements)
            signature.append(text)
            labels.append((name, origins))
        said = (tuple(signature), extra)
        key = (kind, said, python, finder.config, self.target)
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:  # the same requirements asked by two threads: resolved by one
            found = self._resolved.get(key)
            stored: tuple[str, ...] = ()
            if self.store is not None and (found is None or not found.serves(max_rounds)):
                stored = self.store.keys(kind, said, python, finder, max_rounds)
                # The entry for these rounds, else the one that serves any number of rounds
                # from its longest pass on (:meth:`Outcome.serves`).
                for name in stored:
                    loaded = self._load(name, finder, max_rounds, tuple(labels))
                    if loaded is not None:
                        self._keep(key, found, loaded)
                        found = loaded
                        break
            if found is not None and found.serves(max_rounds):
                try:
                    result = _relabel(found.result, found.labels, tuple(labels))
                except KeyError:  # a label it does not know: not the same after all
                    pass
                else:
                    if meter is not None:
                        meter.rounds += found.figures.rounds
                    return result
            own = Meter()
            with tracing() as trace:
                try:
                    result = compute(own)
                finally:
                    if meter is not None:
                        meter.rounds += own.rounds
            figures = Figures(max_rounds, own.rounds, own.longest, own.backjumps > 0)
            outcome = Outcome(result, tuple(labels), figures)
            self._keep(key, found, outcome)
            if self.store is not None:
                # The entry for these rounds; the one for any number of rounds too, when
                # it serves them (:meth:`Outcome.serves`).
                stored = stored or self.store.keys(kind, said, python, finder, max_rounds)
                serves_any = not isinstance(result, ResolutionTooComplex) and not figures.backjumped
                self.store.save(
                    stored if serves_any else stored[:1],
                    finder,
                    result,
                    outcome.labels,
                    figures,
                    trace,
                )
            return result

    def _keep(self, key: Hashable, found: Outcome | None, outcome: Outcome) -> None:
        """Remember ``outcome`` in place of ``found``, unless it did not finish where
        ``found`` did."""
        if (
            found is None
            or not isinstance(outcome.result, ResolutionTooComplex)
            or isinstance(found.result, ResolutionTooComplex)
        ):
            self._resolved[key] = outcome

    def _load(
        self, stored: str, finder: Finder, max_rounds: int, labels: _Labels
    ) -> Outcome | None:
        """The stored outcome ``stored`` if it serves ``max_rounds`` and ``labels``
        (:meth:`Store.load <depsplit.transitive.store.Store.load>` replays it then)."""
        found: list[Outcome] = []

        def accept(result: object, old: _Labels, figures: Figures) -> bool:
            outcome = Outcome(result, old, figures)
            if not outcome.serves(max_rounds):
                return False
            try:
                _relabel(result, old, labels)
            except KeyError:
                return False
            found.append(outcome)
            return True

        assert self.store is not None
        return found[0] if self.store.load(stored, finder, accept) else None


def _signature(requirements: Sequence[Requirement]) -> tuple[_Said, tuple[Origin, ...]]:
    """What the resolver reads of ``requirements`` (in order), the origins replaced by the
    position of their first use; and those origins, in that order."""
    origins: dict[Origin, int] = {}
    text = tuple(
        (
            r.key,
            r.name,
            r.specifier,
            r.extras,
            r.marker,
            r.url,
            r.editable,
            r.role == "constraint",
            origins.setdefault(r.origin, len(origins)),
        )
        for r in requirements
    )
    return text, tuple(origins)


def _relabel(result: object, old: _Labels, new: _Labels) -> object:
    """``result`` of a resolution for the apps and origins ``old``, said of ``new`` (the
    same requirements, position for position): edges and causes name their app and the
    origin of their top-level requirement. Raises ``KeyError`` on a label not in ``old``."""
    if old == new or result is None or isinstance(result, ResolutionTooComplex):
        return result
    apps: dict[str | None, str | None] = {None: None}
    origins: dict[tuple[str | None, Origin | None], Origin | None] = {}
    for (old_app, old_origins), (new_app, new_origins) in zip(old, new, strict=True):
        apps[old_app] = new_app
        origins.update(((old_app, o), n) for o, n in zip(old_origins, new_origins, strict=True))
    if isinstance(result, ResolutionImpossible):
        causes = sorted(
            (replace(c, app=apps[c.app], origin=origins[(c.app, c.origin)]) for c in result.causes),
            key=cause_order,
        )
        return ResolutionImpossible(causes, result.python, result.notes)
    if isinstance(result, tuple):  # a lock: its pins name the apps that need them
        return tuple(
            replace(p, apps=tuple(sorted(cast("str", apps[a]) for a in p.apps)))
            for p in cast("tuple[LockedPin, ...]", result)
        )
    assert isinstance(result, list)
    return [replace(e, app=apps[e.app], origin=origins[(e.app, e.origin)]) for e in result]
