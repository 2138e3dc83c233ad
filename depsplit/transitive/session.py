"""The state of one ``--transitive`` run (:class:`Transitive`): the apps, the finders, what
was resolved, and the diagnostics; each step lives in its own module and works on it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from depsplit.index import Finder, IndexConfig
from depsplit.index.apps import AppIndexes
from depsplit.index.resolve import MAX_ROUNDS, Meter, assumed_sdists, ignored_releases
from depsplit.model import App, Conflict, Diagnostic, Group, Requirement, Target
from depsplit.target import app_pythons, newest_first
from depsplit.transitive import closures, groups, locks, sharing, verify
from depsplit.transitive.conflicts import alone_conflict
from depsplit.transitive.notes import Notes
from depsplit.transitive.reuse import Resolutions
from depsplit.transitive.store import Store

__all__ = ["SECONDARY_ROUNDS", "Transitive", "TransitiveFindings"]

SECONDARY_ROUNDS = 2000
"""Rounds for an app's closure at a minor other than its own (only to compare its edges
with an app that meets it there): past them the comparison at that minor is skipped (named
in a warning) instead of costing minutes (unpinned ``jupyter`` at CPython 3.6)."""


@dataclass(frozen=True)
class TransitiveFindings:
    """What :meth:`Transitive.find` adds to the direct analysis."""

    conflicts: tuple[Conflict, ...]
    """One-app conflicts (an app that cannot be resolved even alone) and verified
    conflicts between apps, sorted by id."""
    candidates: int
    """Sets of apps whose closures' edges clash (before verification)."""
    verified: int
    unverified: int
    """Candidates left when the time budget ran out."""


class Transitive:
    """One ``--transitive`` run: the finders (one per set of index options), the cached
    resolutions, and the diagnostics found on the way. Use as a context manager (the finders
    hold worker threads)."""

    def __init__(
        self,
        apps: Sequence[App],
        target: Target,
        config: IndexConfig,
        *,
        root: Path | None = None,
        time_limit: float = 10.0,
    ) -> None:
        self.apps = sorted(apps, key=lambda a: a.name)
        self.by_name = {a.name: a for a in self.apps}
        self.target = target
        self.config = config
        self.root = root
        self.time_limit = time_limit
        self.notes = Notes()
        self.broken = self.notes.broken
        """Apps whose resolution stopped on an index error (reported as error diagnostics)."""
        self.indexes = AppIndexes(self.apps, config, root)
        self.notes.extend(self.indexes.warnings)
        self.resolutions = Resolutions(target, Store(target))
        """Resolutions by what their requirements say (:mod:`depsplit.transitive.reuse`),
        this run's and the stored ones of earlier runs (:mod:`depsplit.transitive.store`)."""
        self._verdict: verify.Verdict | None = None
        """What :meth:`find`'s verification found, for :meth:`finish`."""
        self.closures: dict[tuple[str, str], closures.Edges] = {}
        """(app, minor) → the app's closure there (:func:`closures.edges`)."""
        self.unions: dict[tuple[frozenset[str], str], sharing.UnionOutcome] = {}
        """(apps, minor) → whether their union resolves there (:func:`sharing.union`)."""
        self.judged: dict[frozenset[str], tuple[str | None, sharing.Failure]] = {}
        """Apps → where their union resolves, else why not (:func:`sharing.feasible`)."""
        self.undecided: dict[frozenset[str], tuple[str, ...]] = {}
        """Sets of apps whose union did not resolve at any minor, where at these minors the
        resolution did not finish (:data:`~depsplit.index.resolve.MAX_ROUNDS`): not proven
        infeasible, kept apart to be safe, and named in a warning."""
        self.unfinished: dict[str, set[str]] = {}
        """App → the minors at which its closure's resolution did not finish."""
        self.resolvable_memo: dict[tuple[str, str], list[str]] = {}
        self.max_rounds = MAX_ROUNDS
        """Rounds for a resolution whose answer is needed (an app's own minor, a group)."""
        self.secondary_rounds = SECONDARY_ROUNDS
        self.home: dict[str, str] = {}
        """App → the newest minor at which it resolves alone."""

    # -- lifecycle
    def close(self) -> None:
        if self.resolutions.store is not None:
            self.resolutions.store.close()
        self.indexes.close()

    def __enter__(self) -> Transitive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def diagnostics(self) -> list[Diagnostic]:
        for finder in self.indexes.finders():
            for release in assumed_sdists(finder):
                self.notes.assumed_sdist(release)
            for release, why in ignored_releases(finder):
                self.notes.ignored_release(release, why)
        return self.notes.sorted()

    def cache_warnings(self) -> list[Diagnostic]:
        """One warning per index cache that could not be written (the finders of several
        index configurations usually share one)."""
        found = {f.cache.unwritable: None for f in self.indexes.finders() if f.cache.unwritable}
        return [Diagnostic("warning", message) for message in found if message]

    # -- indexes and apps
    def finder(self, names: Iterable[str] = ()) -> Finder:
        """The finder for the apps ``names`` (their recorded index options applied)."""
        return self.indexes.finder(names)

    def adopt(self, apps: Sequence[App]) -> None:
        """Judge ``apps`` from now on: the same apps (names, index options) with constraints
        added, the index facts of :mod:`depsplit.pysupport` learnt through these finders."""
        self.apps = sorted(apps, key=lambda a: a.name)
        self.by_name = {a.name: a for a in self.apps}

    # -- interpreters and requirements
    def allowed(self, app: App) -> list[str]:
        """The minors the app allows, newest first (only ``--python`` when fixed)."""
        return newest_first(app_pythons(app, self.target))

    def common(self, names: Iterable[str]) -> list[str]:
        """The minors every app of ``names`` allows, newest first."""
        sets = [set(self.allowed(self.by_name[n])) for n in names]
        return newest_first(set.intersection(*sets)) if sets else []

    def requirements(self, app: App, python: str) -> list[Requirement]:
        """:func:`depsplit.transitive.closures.requirements`."""
        return closures.requirements(self, app, python)

    # -- resolutions
    def edges(self, app: App, python: str, *, max_rounds: int | None = None) -> closures.Edges:
        """:func:`depsplit.transitive.closures.edges`."""
        return closures.edges(self, app, python, max_rounds=max_rounds)

    def union(
        self,
        names: Iterable[str],
        python: str,
        *,
        max_rounds: int | None = None,
        meter: Meter | None = None,
    ) -> sharing.UnionOutcome:
        """:func:`depsplit.transitive.sharing.union`."""
        return sharing.union(self, names, python, max_rounds=max_rounds, meter=meter)

    def feasible(
        self, names: Iterable[str], *, max_rounds: int | None = None, meter: Meter | None = None
    ) -> tuple[str | None, sharing.Failure]:
        """:func:`depsplit.transitive.sharing.feasible`."""
        return sharing.feasible(self, names, max_rounds=max_rounds, meter=meter)

    # -- steps 1 to 3: conflicts
    def find(self, direct: Sequence[Conflict]) -> TransitiveFindings:
        """The conflicts only the closures show, given the ``direct`` ones already found."""
        unsatisfiable = {c.apps[0] for c in direct if len(c.apps) == 1}
        resolved, impossible = closures.find_homes(self, unsatisfiable)
        out = [alone_conflict(app, failure) for app, failure in impossible]
        candidates = verify.candidates(self, resolved, verify.covered_sets(direct))
        verdict = verify.verify(self, candidates)
        self._verdict = verdict
        out.extend(verdict.conflicts)
        closures.note_unfinished(self)
        unique = {c.id: c for c in out}
        return TransitiveFindings(
            conflicts=tuple(unique[k] for k in sorted(unique)),
            candidates=len(candidates),
            verified=verdict.verified,
            unverified=verdict.unverified,
        )

    # -- step 4: groups
    def check(self, names: Iterable[str]) -> tuple[str, ...] | None:
        """:func:`depsplit.transitive.groups.check` (the partition's whole-group test, after
        the direct one)."""
        return groups.check(self, names)

    def finish(
        self,
        groups: Sequence[Group],
        fixed: Mapping[str, str],
        previous: Mapping[str, Mapping[str, str]],
    ) -> list[Group]:
        """:func:`depsplit.transitive.locks.finish`, then the warning on the candidate
        conflicts :meth:`find` left unverified that the locks do not settle
        (:func:`depsplit.transitive.verify.note_unverified`)."""
        finished = locks.finish(self, groups, fixed, previous)
        if self._verdict is not None:
            verify.note_unverified(self, self._verdict, finished)
        return finished
