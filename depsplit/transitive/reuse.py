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

from depsplit.index import Finder, ResolutionImpossible, ResolutionTooComplex
from depsplit.index.resolve import Meter, cause_order
from depsplit.model import Origin, Requirement, Target

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
    max_rounds: int
    rounds: int
    longest: int
    backjumped: bool

    def serves(self, max_rounds: int) -> bool:
        """Whether a resolution of the same requirements under ``max_rounds`` takes the
        same steps to the same outcome: under the same limit, always; under another, when
        this one finished within it without backjumping (resolvelib's optimistic
        backjumping weighs ``max_rounds``)."""
        if max_rounds == self.max_rounds:
            return True
        if isinstance(self.result, ResolutionTooComplex) or self.backjumped:
            return False
        return max_rounds >= self.longest


class Resolutions:
    """The outcomes of one run's resolutions, by what their requirements say. Thread-safe:
    the same requirements asked by two threads are resolved by one."""

    def __init__(self, target: Target) -> None:
        self.target = target
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
    ) -> object:
        """``compute(meter)`` (a resolution of ``apps``' requirements, in this order), or
        the outcome of an earlier resolution of the same requirements written by other apps,
        their names and origins replaced (:func:`_relabel`). ``meter`` is charged the rounds
        the resolution took, reused or not, so the verification's budget runs out at the
        same candidate either way."""
        signature: list[_Said] = []
        labels: list[tuple[str, tuple[Origin, ...]]] = []
        for name, requirements in apps:
            text, origins = _signature(requirements)
            signature.append(text)
            labels.append((name, origins))
        key = (kind, tuple(signature), python, finder.config, self.target)
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:  # the same requirements asked by two threads: resolved by one
            found = self._resolved.get(key)
            if found is not None and found.serves(max_rounds):
                try:
                    result = _relabel(found.result, found.labels, tuple(labels))
                except KeyError:  # a label it does not know: not the same after all
                    pass
                else:
                    if meter is not None:
                        meter.rounds += found.rounds
                    return result
            own = Meter()
            try:
                result = compute(own)
            finally:
                if meter is not None:
                    meter.rounds += own.rounds
            outcome = Outcome(
                result, tuple(labels), max_rounds, own.rounds, own.longest, own.backjumps > 0
            )
            if (
                found is None
                or not isinstance(result, ResolutionTooComplex)
                or (isinstance(found.result, ResolutionTooComplex))
            ):
                self._resolved[key] = outcome
            return result


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
    assert isinstance(result, list)
    return [replace(e, app=apps[e.app], origin=origins[(e.app, e.origin)]) for e in result]
