"""The partition's implicit conflict graph: sides opposed to sides, never app pairs.

The model keeps which sides (sets of apps) conflict app by app and works neighbourhoods out
as bitsets on demand. These tests compare it with the pairs it stands for, listed one by
one, and check what a user sees on random small monorepos: every group installs (checked
as a whole) and no partition of the same apps has fewer groups.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache
from itertools import combinations, pairwise, product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_partition import partitions

from depsplit.analyze import Options, plan_groups
from depsplit.config import Config
from depsplit.conflicts import check_group, find_conflicts, sides, unsatisfiable_apps
from depsplit.model import App, Origin, Target
from depsplit.partition import solve
from depsplit.partition.model import Model
from depsplit.sources.base import parse_requirement

TARGET = Target(python="3.12")


def model_of(
    apps: Sequence[str],
    conflicts: Sequence[Sequence[str]],
    products: Sequence[Sequence[Sequence[str]]],
    classes: dict[str, int] | None,
    previous: dict[str, str],
    cliques: Sequence[Sequence[Sequence[str]]] = (),
) -> Model:
    return Model.build(
        apps,
        conflicts,
        products=[tuple(tuple(s) for s in p) for p in products],
        cliques=[tuple(tuple(s) for s in c) for c in cliques],
        classes=classes,
        together=(),
        apart=(),
        capacity=None,
        fixed={},
        previous=previous,
    )


@st.composite
def instances(
    draw: st.DrawFn, most: int = 9
) -> tuple[list[str], list[tuple[str, ...]], list[list[list[str]]]]:
    n = draw(st.integers(2, most))
    apps = [f"a{i}" for i in range(n)]
    pairs = draw(st.lists(st.sampled_from(list(combinations(apps, 2))), max_size=6))
    products = []
    for _ in range(draw(st.integers(0, 5))):
        pool = draw(st.permutations(apps))[: draw(st.integers(2, n))]
        cut = draw(st.integers(1, len(pool) - 1))
        products.append([sorted(pool[:cut]), sorted(pool[cut:])])
    return apps, pairs, products


@settings(max_examples=300, deadline=None)
@given(instances(), st.randoms(use_true_random=False))
def test_neighbours_are_the_pairs_the_sides_stand_for(
    inst: tuple[list[str], list[tuple[str, ...]], list[list[list[str]]]], rng: random.Random
) -> None:
    """Differential: the implicit neighbour query against every pair listed explicitly,
    with identical apps merged into classes and classes split by a previous plan."""
    apps, pairs, products = inst
    explicit = {frozenset(p) for p in pairs}
    explicit |= {frozenset(ab) for a, b in products for ab in product(a, b)}
    # Apps that no conflict tells apart may share a class (the caller's promise).
    twins: dict[frozenset[frozenset[str]], int] = {}
    classes = {}
    for app in apps:
        sig = frozenset(frozenset(p - {app}) for p in explicit if app in p)
        classes[app] = (
            twins.setdefault(sig, len(twins)) if rng.random() < 0.5 else -1 - len(classes)
        )
    previous = {a: rng.choice("xy") for a in apps if rng.random() < 0.5}
    assert_neighbours(model_of(apps, pairs, products, classes, previous), explicit)


def assert_neighbours(model: Model, explicit: set[frozenset[str]]) -> None:
    """The model's neighbour bitsets are exactly the ``explicit`` pairs, between nodes."""
    n = len(model.members)
    bits = model.adjacency(range(n), range(n))
    for i, j in combinations(range(n), 2):
        listed = any(
            frozenset((a, b)) in explicit for a in model.members[i] for b in model.members[j]
        )
        assert bool(bits[i] >> j & 1) == bool(bits[j] >> i & 1) == listed
    assert all(not bits[i] >> i & 1 for i in range(n))


def expanded(products: Sequence[Sequence[Sequence[str]]]) -> list[tuple[str, ...]]:
    return [tuple(sorted(combo)) for p in products for combo in product(*p)]


@settings(max_examples=150, deadline=None)
@given(instances(most=7))
def test_products_give_the_plan_of_their_pairs(
    inst: tuple[list[str], list[tuple[str, ...]], list[list[list[str]]]],
) -> None:
    """Sides and the pairs they stand for are one problem: valid groups, the optimum."""
    apps, pairs, products = inst
    every = [*pairs, *expanded(products)]
    sol = solve(apps, pairs, products=products, time_limit=5)
    for group in sol.groups:
        assert not any(set(c) <= set(group) for c in every)
    best = min(
        len(part)
        for part in partitions(apps)
        if all(not any(set(c) <= set(g) for c in every) for g in part)
    )
    assert len(sol.groups) == best
    assert sol.optimal


# -- what a user sees: real specifiers ---------------------------------------------------------

SPECS = ["==1.0", "==2.0", ">=1,<2", ">=1.5", "<1.5", ">=1,<3", ">=2,<4", ">=1,<4,!=2.*", ""]


def app(name: str, lines: Sequence[str]) -> App:
    reqs = tuple(
        parse_requirement(line, Origin(f"{name}/requirements.txt", i + 1))
        for i, line in enumerate(lines)
    )
    return App(name, name, (f"{name}/requirements.txt",), reqs)


def plan(
    apps: Sequence[App], previous: dict[str, str] | None = None
) -> tuple[list[list[str]], bool, int]:
    """The groups' apps (in the order of their names), whether optimal, the lower bound."""
    conflicts = find_conflicts(apps, TARGET)
    groups, partition = plan_groups(
        apps, conflicts, unsatisfiable_apps(conflicts), TARGET, Config(), Options(previous=previous)
    )
    return [list(g.apps) for g in groups], partition.optimal, partition.lower_bound


def names(apps: Sequence[App], previous: dict[str, str]) -> dict[str, str]:
    conflicts = find_conflicts(apps, TARGET)
    groups, _ = plan_groups(
        apps, conflicts, unsatisfiable_apps(conflicts), TARGET, Config(), Options(previous=previous)
    )
    return {a: g.name for g in groups for a in g.apps}


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_monorepos_get_valid_and_fewest_groups(data: st.DataObject) -> None:
    """Random apps on three packages (three-way traps among the specifiers): every group
    installs as a whole, and brute force over every partition finds no fewer groups."""
    n = data.draw(st.integers(2, 7))
    apps = []
    for i in range(n):
        specs = data.draw(st.lists(st.sampled_from(SPECS), min_size=3, max_size=3))
        apps.append(app(f"app{i}", [f"pkg{k}{s}" for k, s in enumerate(specs) if s]))
    by_name = {a.name: a for a in apps}

    @cache
    def installs(group: frozenset[str]) -> bool:
        return not check_group([by_name[a] for a in sorted(group)], TARGET)

    groups, optimal, lower_bound = plan(apps)
    assert sorted(a for g in groups for a in g) == sorted(by_name)
    assert all(installs(frozenset(g)) for g in groups)
    best = min(
        len(part)
        for part in partitions(sorted(by_name))
        if all(installs(frozenset(g)) for g in part)
    )
    assert len(groups) == best
    assert optimal
    assert lower_bound == best


def test_three_way_trap_splits_without_an_extra_group() -> None:
    """``>=1,<3``, ``>=2,<4`` and ``>=1,<4,!=2.*`` meet pairwise but not all three: no
    clique shows it, and the trio is a hyperedge of the model, not three pairs. Two pins
    already need two groups, so the trio splits across them at no cost."""
    apps = [
        app("pin-a", ["pivot==1.0"]),
        app("pin-b", ["pivot==2.0"]),
        app("trap-1", ["trap>=1,<3"]),
        app("trap-2", ["trap>=2,<4"]),
        app("trap-3", ["trap>=1,<4,!=2.*"]),
    ]
    conflicts = find_conflicts(apps, TARGET)
    assert [c.apps for c in conflicts if c.package == "trap"] == [("trap-1", "trap-2", "trap-3")]
    groups, optimal, lower_bound = plan(apps)
    assert len(groups) == 2
    assert optimal
    assert lower_bound == 2
    assert all(not {"trap-1", "trap-2", "trap-3"} <= set(g) for g in groups)
    assert not any({"pin-a", "pin-b"} <= set(g) for g in groups)


def test_three_way_trap_alone_needs_two_groups_proven_by_search() -> None:
    """Without the pins the trio alone needs two groups, which no clique proves (every pair
    is compatible): the search refutes one group."""
    apps = [app(f"trap-{i}", [f"trap{s}"]) for i, s in enumerate(SPECS[5:8], 1)]
    groups, optimal, lower_bound = plan(apps)
    assert len(groups) == 2
    assert optimal
    assert lower_bound == 2


def test_many_apps_on_distinct_pins_of_one_package() -> None:
    """Every app pins its own release: every pair conflicts (one group each, a clique of
    all of them proves it); the apps are passed as sides, never as pairs."""
    apps = [app(f"app-{i:03d}", [f"boto3==1.26.{i}", "requests>=2"]) for i in range(60)]
    conflicts = find_conflicts(apps, TARGET)
    assert all(len(sides(c)) == 2 for c in conflicts)
    groups, optimal, lower_bound = plan(apps)
    assert sorted(groups) == [[a.name] for a in apps]
    assert optimal
    assert lower_bound == 60


@pytest.mark.parametrize("seed", range(3))
def test_previous_plan_kept_with_sides(seed: int) -> None:
    """Stability through the implicit graph: every app keeps the group (and its name) of a
    valid previous plan, and a misplaced app moves back only as far as it must."""
    rng = random.Random(seed)
    apps = [app(f"app-{i:02d}", [f"pivot=={i % 4 + 1}.0", "shared>=1"]) for i in range(24)]
    groups, _, _ = plan(apps)
    labels = [f"g{k}" for k in range(len(groups))]
    rng.shuffle(labels)
    previous = {a: label for label, g in zip(labels, groups, strict=True) for a in g}
    assert names(apps, previous) == previous
    # One app's previous group now conflicts with it: it alone moves.
    moved = rng.choice(sorted(previous))
    elsewhere = next(a for a in sorted(previous) if previous[a] != previous[moved])
    shifted = {**previous, moved: previous[elsewhere]}
    got = names(apps, shifted)
    assert {a for a in previous if got[a] != shifted[a]} == {moved}
    assert got[moved] == previous[moved]


@st.composite
def clique_instances(draw: st.DrawFn) -> tuple[list[str], list[list[list[str]]]]:
    """Apps, and cliques drawn from a few disjoint sides: one clique of many sides (kept
    per clique) or more cliques than sides, each side in several (kept per side)."""
    n = draw(st.integers(2, 10))
    apps = [f"a{i}" for i in range(n)]
    order = draw(st.permutations(apps))
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), min_size=1, max_size=min(4, n - 1))))
    pool = [sorted(order[a:b]) for a, b in pairwise([0, *cuts, n])]
    cliques = [
        [pool[i] for i in sorted(draw(st.sets(st.integers(0, len(pool) - 1), min_size=2)))]
        for _ in range(draw(st.integers(1, 6)))
    ]
    return apps, cliques


@settings(max_examples=300, deadline=None)
@given(clique_instances())
def test_neighbours_through_cliques_are_the_pairs_they_stand_for(
    inst: tuple[list[str], list[list[list[str]]]],
) -> None:
    """Differential: every two apps on two sides of one clique conflict, and no others,
    however the cliques' bitsets are kept (per clique or per side)."""
    apps, cliques = inst
    explicit = {
        frozenset((a, b)) for c in cliques for s, t in combinations(c, 2) for a in s for b in t
    }
    assert_neighbours(model_of(apps, [], [], None, {}, cliques), explicit)
