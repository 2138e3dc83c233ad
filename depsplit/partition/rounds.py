"""The solve/verify rounds: :func:`solve`, the package's entry point, and its :class:`Solution`."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from depsplit.partition.model import Model, RoundResult, format_apps

MAX_CHECK_ROUNDS = 25
"""Most solve/verify rounds with a ``check`` callback before falling back to one group per unit.
Every round adds at least one conflict the model did not know, so the loop always progresses;
the bound only caps the cost of a verifier that keeps finding new N-way conflicts."""


@dataclass(frozen=True)
class Solution:
    """A partition of the apps into groups, with what is proven about it.

    ``groups`` are sorted tuples of app names, ordered by their ``names``. ``lower_bound`` is
    the strongest bound proven: the largest pairwise-conflicting set (``witness``, one app per
    clique member), the capacity bound ``ceil(apps / max_apps_per_group)``, or a group count
    refuted by exhaustive search (how N-way conflicts raise it past the clique). Hence
    ``optimal`` is exactly ``len(groups) == lower_bound``, and ``len(witness)`` may be below
    ``lower_bound`` when the bound came from capacity or from search. A timed-out search
    reports ``optimal=False`` with the best groups found: "4 groups; at least 3 are needed".
    """

    groups: tuple[tuple[str, ...], ...]
    names: tuple[str, ...]
    optimal: bool
    lower_bound: int
    witness: tuple[str, ...]
    elapsed: float
    rounds: int


def solve(
    apps: Sequence[str],
    conflicts: Iterable[Collection[str]],
    *,
    products: Iterable[Sequence[Collection[str]]] = (),
    cliques: Iterable[Sequence[Collection[str]]] = (),
    classes: Mapping[str, Hashable] | None = None,
    check: Callable[[frozenset[str]], Collection[str] | None] | None = None,
    together: Sequence[Collection[str]] = (),
    apart: Sequence[Collection[str]] = (),
    max_apps_per_group: int | None = None,
    fixed: Mapping[str, str] | None = None,
    previous: Mapping[str, str] | None = None,
    time_limit: float = 10.0,
) -> Solution:
    """Partition ``apps`` into the fewest groups that contain no conflict.

    ``conflicts`` are minimal infeasible sets of at least two apps. Each of ``products`` is
    a sequence of two or more disjoint *sides* (sets of apps) standing for every set made of
    one app per side: how a conflict between all the apps that pin ``flask==1`` and all
    those that need ``flask>=3`` is passed without listing every pair. Apps with equal
    ``classes`` keys must have identical constraints; a conflict listed for one member then
    applies to every member of its class, so callers may list conflicts between class
    representatives only. Apps that belong to the same sides of the same products (and to no
    plain conflict) are interchangeable and are solved as one node, so thousands of apps
    that differ elsewhere but conflict the same way cost no more than one. Each of
    ``cliques`` is a sequence of disjoint sides every two of which are such a product (N
    sides for N apps pinning N releases of one package, instead of N(N-1)/2 products); if ``check``
    finds a conflict inside such a node, the node is split and the model rebuilt.
    ``check`` verifies a whole group: it returns a minimal infeasible subset of the group,
    or ``None`` when the group is feasible (see :data:`MAX_CHECK_ROUNDS`).

    User constraints: each ``together`` set ends in one group; each ``apart`` set's apps are
    pairwise in different groups; no group has more than ``max_apps_per_group`` apps; ``fixed``
    pins apps to a named group (apps with the same name share it, different names never do,
    other apps may join it). ``previous`` (app → group name of an earlier plan) is kept
    wherever that costs no extra group; apps no longer present are ignored.

    Naming rule, in order: a group holding a ``fixed`` app takes that name; otherwise the
    previous name held by the most of its members (ties: the name sorting first; each name
    used once, the stronger claim first); otherwise its alphabetically first app, with
    ``-2``, ``-3`` … appended if that name is already taken. So adding an app elsewhere, or
    one that joins a group without becoming its first member, renames nothing.

    The search stops at ``time_limit`` seconds of its own, the time ``check`` takes not
    counted (bounds and the best plan found so far are
    still returned, with ``optimal=False`` unless proven); reading the conflicts, the
    reductions and DSATUR are linear or quadratic in the reduced graph and always run to the
    end, so every call returns a complete, valid plan. Raises
    :class:`~depsplit.errors.UsageError` for unknown app names in constraints and for
    contradictory constraints (each named); :class:`ValueError` for malformed input
    (duplicate apps, unknown apps or fewer than two apps in a conflict, or a conflict inside
    one class of apps declared identical).
    """
    started = time.perf_counter()
    verifier = _Verifier(check, time.monotonic() + max(0.0, time_limit))
    build = _model_builder(
        apps,
        conflicts,
        products=products,
        cliques=cliques,
        classes=classes,
        together=together,
        apart=apart,
        capacity=max_apps_per_group,
        fixed=fixed,
        previous=previous,
    )
    result, rounds = _solve_rounds(build, verifier)
    return _solution(result, rounds, time.perf_counter() - started)


def _model_builder(
    apps: Sequence[str],
    conflicts: Iterable[Collection[str]],
    *,
    products: Iterable[Sequence[Collection[str]]],
    cliques: Iterable[Sequence[Collection[str]]],
    classes: Mapping[str, Hashable] | None,
    together: Sequence[Collection[str]],
    apart: Sequence[Collection[str]],
    capacity: int | None,
    fixed: Mapping[str, str] | None,
    previous: Mapping[str, str] | None,
) -> Callable[[Sequence[frozenset[str]]], Model]:
    """A function building the :class:`Model` of :func:`solve`'s arguments with more plain
    conflicts (those the verifier found since). The iterables are read once, here."""
    plain = list(conflicts)
    sided = [tuple(tuple(side) for side in p) for p in products]
    lists = [tuple(tuple(side) for side in c) for c in cliques]

    def build(added: Sequence[frozenset[str]]) -> Model:
        return Model.build(
            apps,
            [*plain, *added],
            products=sided,
            cliques=lists,
            classes=classes,
            together=together,
            apart=apart,
            capacity=capacity,
            fixed=fixed or {},
            previous=previous or {},
        )

    return build


def _solve_rounds(
    build: Callable[[Sequence[frozenset[str]]], Model], verifier: _Verifier
) -> tuple[RoundResult, int]:
    """The last round's result and the number of rounds: solve the model ``build([])``
    gives; while ``verifier`` (with a check) finds groups that fail, learn their failures
    and solve again. A failure inside a node merged from products rebuilds the model with
    every such failure so far as a plain conflict; others are added to the model as they
    are. After :data:`MAX_CHECK_ROUNDS` rounds every unit gets a group of its own; a unit
    failing alone raises (:meth:`Model.add_conflict`)."""
    added: list[frozenset[str]] = []
    model = build(added)
    rounds = 0
    result: RoundResult | None = None
    while True:
        rounds += 1
        if result is not None and rounds > MAX_CHECK_ROUNDS:
            result = model.one_group_per_unit(result)
        else:
            result = model.solve(verifier.deadline)
        if verifier.check is None:
            break
        failures = verifier.failures(result.groups)
        if not failures:
            break
        if any(model.splits(bad) for bad in failures):
            # A failure inside a node merged from products: add it as a plain conflict,
            # which keeps its apps' classes apart from now on, and rebuild.
            added.extend(failures)
            model = build(added)
            continue
        if rounds > MAX_CHECK_ROUNDS:
            # Even units alone fail: add_conflict raises for a failure inside one unit.
            for bad in failures:
                model.add_conflict(bad)
            raise AssertionError("unreachable: a unit's own failure raises")  # pragma: no cover
        for bad in failures:
            model.add_conflict(bad)
    return result, rounds


class _Verifier:
    """``check`` run on whole groups, each group once; ``deadline`` is the search's.

    The time a check takes (a resolution through an index, cold or warm) is not the
    search's: it moves ``deadline`` later, so the search gets its whole time limit whatever
    the cache holds, and a cold and a warm run find the same plan."""

    def __init__(
        self, check: Callable[[frozenset[str]], Collection[str] | None] | None, deadline: float
    ) -> None:
        self.check = check
        self.deadline = deadline
        self.verdicts: dict[frozenset[str], frozenset[str] | None] = {}

    def failures(self, groups: Sequence[Sequence[str]]) -> list[frozenset[str]]:
        """The minimal infeasible subset ``check`` returns for each group that fails."""
        return [bad for g in groups if (bad := self.verify(frozenset(g))) is not None]

    def verify(self, group: frozenset[str]) -> frozenset[str] | None:
        """``check``'s verdict on ``group``; raises ``ValueError`` when it returns a set that
        is empty or not inside the group."""
        check = self.check
        assert check is not None
        verdicts = self.verdicts
        if group not in verdicts:
            began = time.monotonic()
            found = check(group)
            self.deadline += time.monotonic() - began
            bad = None if found is None else frozenset(found)
            if bad is not None and (not bad or not bad <= group):
                raise ValueError(
                    f"check returned {format_apps(bad)}, which is not a non-empty subset of the "
                    f"group {format_apps(group)}"
                )
            verdicts[group] = bad
        return verdicts[group]


def _solution(result: RoundResult, rounds: int, elapsed: float) -> Solution:
    """The last round's groups as a :class:`Solution`, groups ordered by their names."""
    groups, names = result.groups, result.names
    order = sorted(range(len(groups)), key=lambda g: names[g])
    return Solution(
        groups=tuple(tuple(groups[g]) for g in order),
        names=tuple(names[g] for g in order),
        optimal=len(groups) == result.lower_bound,
        lower_bound=result.lower_bound,
        witness=result.witness,
        elapsed=elapsed,
        rounds=rounds,
    )
