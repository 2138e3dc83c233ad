"""depsplit.partition: fewest groups, checked against brute force over every set partition."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Collection, Iterator, Sequence
from itertools import combinations, product
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depsplit.errors import UsageError
from depsplit.partition import MAX_CHECK_ROUNDS, Solution, solve
from depsplit.partition.bitsets import bitset_digest, bitset_of

Edges = list[tuple[str, ...]]


# -- brute force ---------------------------------------------------------------------------------


def partitions(items: Sequence[str]) -> Iterator[list[list[str]]]:
    """Every set partition of ``items`` (restricted growth strings)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in partitions(rest):
        for i in range(len(part)):
            yield [*part[:i], [first, *part[i]], *part[i + 1 :]]
        yield [[first], *part]


def valid_group(group: Collection[str], conflicts: Edges) -> bool:
    members = set(group)
    return not any(set(e) <= members for e in conflicts)


def brute_optimum(apps: Sequence[str], conflicts: Edges, cap: int | None = None) -> int:
    best = len(apps)
    for part in partitions(list(apps)):
        if len(part) < best and all(
            valid_group(g, conflicts) and (cap is None or len(g) <= cap) for g in part
        ):
            best = len(part)
    return best


def assert_sound(
    sol: Solution, apps: Sequence[str], conflicts: Edges, *, direct_witness: bool = True
) -> None:
    placed = [a for g in sol.groups for a in g]
    assert sorted(placed) == sorted(apps), "every app exactly once"
    assert all(list(g) == sorted(g) for g in sol.groups)
    assert all(valid_group(g, conflicts) for g in sol.groups)
    assert len(set(sol.names)) == len(sol.names) == len(sol.groups)
    assert list(sol.names) == sorted(sol.names)
    pairs = {frozenset(e) for e in conflicts if len(e) == 2}
    if direct_witness:  # user constraints also separate apps, through units
        assert all(frozenset(p) in pairs for p in combinations(sol.witness, 2))
    assert list(sol.witness) == sorted(sol.witness)
    assert len(sol.witness) <= sol.lower_bound <= len(sol.groups)
    assert sol.optimal == (len(sol.groups) == sol.lower_bound)


def random_instance(seed: int, n: int, p_pair: float, n_triples: int) -> tuple[list[str], Edges]:
    rng = random.Random(seed)
    apps = [f"app{i}" for i in range(n)]
    pairs = [e for e in combinations(apps, 2) if rng.random() < p_pair]
    paired = {frozenset(e) for e in pairs}
    triples: Edges = []
    combos = list(combinations(apps, 3))
    for e in rng.sample(combos, min(n_triples, len(combos))):
        # Keep hyperedges minimal: no conflicting pair inside.
        if not any(frozenset(p) in paired for p in combinations(e, 2)):
            triples.append(e)
    return apps, [*pairs, *triples]


HAND: list[object] = [
    pytest.param([], [], id="empty"),
    pytest.param(["a"], [], id="one-app"),
    pytest.param(list("abcd"), [], id="no-conflicts"),
    pytest.param(list("ab"), [("a", "b")], id="one-pair"),
    pytest.param(list("abc"), [("a", "b"), ("b", "c"), ("a", "c")], id="triangle"),
    pytest.param(
        list("abcde"),
        [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("e", "a")],
        id="odd-cycle-needs-search",
    ),
    pytest.param(list("abc"), [("a", "b", "c")], id="three-way-only"),
    pytest.param(
        list("abcdef"),
        [("a", "b", "c"), ("d", "e", "f"), ("a", "d")],
        id="two-three-way",
    ),
    pytest.param(
        # Pairwise bipartite, but every 2-colouring completes a three-way conflict.
        list("abcd"),
        [("a", "b"), ("c", "d"), ("a", "c", "d"), ("b", "c", "d")],
        id="three-way-raises-above-clique",
    ),
    pytest.param(
        list("abcdefghi"),
        [("a", "b"), ("a", "c"), ("b", "c"), ("d", "e", "f"), ("g", "h", "i"), ("a", "d", "g")],
        id="clique-plus-traps",
    ),
    pytest.param(
        list("abcdefgh"),
        [tuple(t) for t in combinations("abcde", 3)],
        id="k5-3-uniform",
    ),
]

RANDOM: list[object] = [
    pytest.param(*random_instance(seed, n, p, t), id=f"rand-s{seed}-n{n}-p{p}-t{t}")
    for seed, n, p, t in [
        (1, 6, 0.3, 4),
        (2, 7, 0.4, 6),
        (3, 8, 0.25, 10),
        (4, 8, 0.5, 3),
        (5, 9, 0.2, 15),
        (6, 9, 0.35, 8),
        (7, 9, 0.6, 2),
        (8, 9, 0.1, 30),
        (9, 7, 0.0, 20),
        (10, 9, 0.45, 12),
    ]
]


@pytest.mark.parametrize(("apps", "conflicts"), HAND + RANDOM)
def test_matches_brute_force(apps: list[str], conflicts: Edges) -> None:
    sol = solve(apps, conflicts)
    assert_sound(sol, apps, conflicts)
    assert len(sol.groups) == brute_optimum(apps, conflicts)
    assert sol.optimal
    assert sol.rounds == 1


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[str], Edges]:
    n = draw(st.integers(0, 8))
    apps = [f"a{i}" for i in range(n)]
    pairs = [e for e in combinations(apps, 2) if draw(st.booleans())]
    triples: list[tuple[str, ...]] = list(combinations(apps, 3))
    chosen = draw(st.lists(st.sampled_from(triples), max_size=6)) if triples else []
    paired = {frozenset(e) for e in pairs}
    # Keep hyperedges minimal: no conflicting pair inside.
    hyper = [t for t in chosen if not any(frozenset(p) in paired for p in combinations(t, 2))]
    return apps, [*pairs, *hyper]


@settings(max_examples=60, deadline=None)
@given(instances())
def test_random_instances_are_optimal(instance: tuple[list[str], Edges]) -> None:
    apps, conflicts = instance
    sol = solve(apps, conflicts)
    assert_sound(sol, apps, conflicts)
    assert sol.optimal
    assert len(sol.groups) == brute_optimum(apps, conflicts)


@settings(max_examples=30, deadline=None)
@given(instances(), st.integers(1, 4))
def test_capacity_is_optimal(instance: tuple[list[str], Edges], cap: int) -> None:
    apps, conflicts = instance
    sol = solve(apps, conflicts, max_apps_per_group=cap)
    assert_sound(sol, apps, conflicts)
    assert all(len(g) <= cap for g in sol.groups)
    assert sol.optimal
    assert len(sol.groups) == brute_optimum(apps, conflicts, cap)


# -- classes -------------------------------------------------------------------------------------


def test_classes_collapse_and_representative_conflicts_apply_to_the_class() -> None:
    apps = ["a1", "a2", "a3", "b1", "b2", "c"]
    classes = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B"}
    # Only representatives are listed; the class contract extends them to all members.
    sol = solve(apps, [("a1", "b1"), ("a1", "c"), ("b1", "c")], classes=classes)
    assert sol.groups == (("a1", "a2", "a3"), ("b1", "b2"), ("c",))
    assert sol.optimal
    assert sol.lower_bound == 3


def test_conflict_inside_a_class_is_rejected() -> None:
    with pytest.raises(ValueError, match="declared identical"):
        solve(["a", "b"], [("a", "b")], classes={"a": 1, "b": 1})


def test_malformed_conflicts() -> None:
    with pytest.raises(ValueError, match="unknown app"):
        solve(["a"], [("a", "zz")])
    with pytest.raises(ValueError, match="two different apps"):
        solve(["a"], [("a",)])
    with pytest.raises(ValueError, match="duplicate"):
        solve(["a", "a"], [])


# -- user constraints ----------------------------------------------------------------------------


def test_together_apart_max_fixed_are_honoured() -> None:
    apps = list("abcdefg")
    conflicts: Edges = [("a", "b"), ("c", "d", "e")]
    sol = solve(
        apps,
        conflicts,
        together=[["c", "d"], ["d", "f"]],
        apart=[["f", "g"], ["a", "c", "e"]],
        max_apps_per_group=3,
        fixed={"b": "legacy", "g": "legacy"},
    )
    assert_sound(sol, apps, conflicts, direct_witness=False)
    where = {a: g for g in sol.groups for a in g}
    assert where["c"] == where["d"] == where["f"]
    assert where["f"] != where["g"]
    assert len({where["a"], where["c"], where["e"]}) == 3
    assert all(len(g) <= 3 for g in sol.groups)
    assert sol.names[sol.groups.index(where["b"])] == "legacy"
    assert where["b"] == where["g"]
    assert sol.optimal


def test_different_fixed_names_get_different_groups() -> None:
    sol = solve(["a", "b", "c"], [], fixed={"a": "x", "b": "y"})
    assert dict(zip(sol.names, sol.groups, strict=True))["x"][0] == "a"
    assert len(sol.groups) == 2
    assert sol.lower_bound == 2


def test_together_set_is_checked_as_a_whole() -> None:
    seen: list[frozenset[str]] = []

    def check(group: frozenset[str]) -> Collection[str] | None:
        seen.append(group)
        return None

    sol = solve(["a", "b", "c"], [("a", "c")], together=[["a", "b"]], check=check)
    assert ("a", "b") in sol.groups
    assert frozenset({"a", "b"}) in seen


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        pytest.param(
            {"together": [["a", "b"]], "apart": [["a", "b"]]},
            ["together [a, b]", "apart [a, b]"],
            id="together-and-apart",
        ),
        pytest.param(
            {"together": [["a", "c"], ["c", "b"]], "apart": [["a", "b"]]},
            ["apart [a, b]", "together [a, c]", "together [b, c]"],
            id="transitive-together-and-apart",
        ),
        pytest.param(
            {"together": [["a", "b"]], "conflicts": [("a", "b")]},
            ["together [a, b]", "conflict"],
            id="together-with-conflict",
        ),
        pytest.param(
            {"together": [["a", "b", "c"]], "conflicts": [("a", "b", "c")]},
            ["together [a, b, c]", "[a, b, c]"],
            id="together-with-three-way",
        ),
        pytest.param(
            {"together": [["a", "b", "c"]], "max_apps_per_group": 2},
            ["together [a, b, c]", "max_apps_per_group = 2"],
            id="together-over-capacity",
        ),
        pytest.param(
            {"fixed": {"a": "x", "b": "x"}, "conflicts": [("a", "b")]},
            ["fixed [a, b] to group 'x'", "conflict"],
            id="fixed-same-group-conflict",
        ),
        pytest.param(
            {"fixed": {"a": "x", "b": "y"}, "together": [["a", "b"]]},
            ["together [a, b]", "'x'", "'y'"],
            id="together-across-fixed-groups",
        ),
        pytest.param(
            {"fixed": {"a": "x", "b": "x"}, "apart": [["a", "b"]]},
            ["apart [a, b]", "fixed [a, b] to group 'x'"],
            id="apart-within-fixed-group",
        ),
        pytest.param({"together": [["a", "nope"]]}, ["nope"], id="unknown-in-together"),
        pytest.param({"apart": [["zz", "a"]]}, ["zz"], id="unknown-in-apart"),
        pytest.param({"fixed": {"ghost": "x"}}, ["ghost"], id="unknown-in-fixed"),
        pytest.param({"apart": [["a"]]}, ["apart [a]"], id="apart-of-one"),
        pytest.param({"max_apps_per_group": 0}, ["max_apps_per_group"], id="zero-capacity"),
    ],
)
def test_contradictions_are_usage_errors_naming_them(
    kwargs: dict[str, object], words: list[str]
) -> None:
    conflicts = kwargs.pop("conflicts", [])
    with pytest.raises(UsageError) as info:
        solve(["a", "b", "c"], conflicts, **kwargs)  # type: ignore[arg-type]
    for word in words:
        assert word in str(info.value)


def test_check_failure_inside_together_is_a_usage_error() -> None:
    def check(group: frozenset[str]) -> Collection[str] | None:
        return {"a", "b"} if {"a", "b"} <= group else None

    with pytest.raises(UsageError, match=r"together \[a, b\]"):
        solve(["a", "b"], [], together=[["a", "b"]], check=check)


# -- stability and names -------------------------------------------------------------------------


def test_same_input_same_output() -> None:
    apps, conflicts = random_instance(11, 9, 0.4, 10)
    first = solve(apps, conflicts)
    second = solve(list(reversed(apps)), list(reversed(conflicts)))
    assert (first.groups, first.names, first.witness) == (
        second.groups,
        second.names,
        second.witness,
    )


def test_names_follow_first_member() -> None:
    sol = solve(["web", "api", "legacy"], [("api", "legacy")])
    assert dict(zip(sol.names, sol.groups, strict=True)) == {
        "api": ("api", "web"),
        "legacy": ("legacy",),
    }


def test_previous_plan_is_kept_and_an_unrelated_app_moves_nothing() -> None:
    apps, conflicts = random_instance(12, 9, 0.35, 6)
    first = solve(apps, conflicts)
    previous = {a: name for name, g in zip(first.names, first.groups, strict=True) for a in g}
    again = solve([*apps, "zzz-new"], conflicts, previous=previous)
    assert len(again.groups) == len(first.groups)
    placed = {a: name for name, g in zip(again.names, again.groups, strict=True) for a in g}
    assert all(placed[a] == previous[a] for a in apps)
    assert set(again.names) == set(first.names)


def test_previous_plan_survives_a_different_optimal_colouring() -> None:
    # Both 2-colourings are optimal; the previous (unusual) one must be kept.
    apps = list("abcd")
    previous = {"a": "one", "d": "one", "b": "two", "c": "two"}
    sol = solve(apps, [("a", "b")], previous=previous)
    assert dict(zip(sol.names, sol.groups, strict=True)) == {
        "one": ("a", "d"),
        "two": ("b", "c"),
    }


def test_previous_plan_gives_way_when_it_costs_a_group() -> None:
    # Previously three groups; the conflicts now allow two.
    previous = {"a": "x", "b": "y", "c": "z"}
    sol = solve(["a", "b", "c"], [("a", "b")], previous=previous)
    assert len(sol.groups) == 2
    assert sol.optimal
    placed = {a: n for n, g in zip(sol.names, sol.groups, strict=True) for a in g}
    assert placed["a"] == "x"
    assert placed["b"] == "y"


def test_previous_names_when_apps_move() -> None:
    # "b" newly conflicts with "a": it must move; "a" keeps its group and its name.
    previous = {"a": "main", "b": "main", "c": "side"}
    sol = solve(["a", "b", "c"], [("a", "b"), ("a", "c")], previous=previous)
    placed = {a: n for n, g in zip(sol.names, sol.groups, strict=True) for a in g}
    assert placed == {"a": "main", "b": "side", "c": "side"}


def test_names_are_unique_when_first_members_collide_with_fixed() -> None:
    sol = solve(["api", "b"], [("api", "b")], fixed={"b": "api"})
    assert sorted(sol.names) == ["api", "api-2"]
    assert dict(zip(sol.names, sol.groups, strict=True))["api"] == ("b",)


# -- time limit and verification -----------------------------------------------------------------


def test_timeout_is_honest() -> None:
    rng = random.Random(5)
    apps = [f"n{i:02d}" for i in range(80)]
    conflicts: Edges = [e for e in combinations(apps, 2) if rng.random() < 0.5]
    sol = solve(apps, conflicts, time_limit=0.05)
    assert_sound(sol, apps, conflicts)
    assert not sol.optimal
    assert len(sol.groups) > sol.lower_bound >= len(sol.witness) >= 2


def test_check_adds_hidden_conflicts_and_resolves() -> None:
    apps = list("abcdef")
    hidden = [{"a", "b", "c"}, {"d", "e"}]

    def check(group: frozenset[str]) -> Collection[str] | None:
        return next((sorted(h) for h in hidden if h <= group), None)

    sol = solve(apps, [], check=check)
    all_conflicts: Edges = [tuple(sorted(h)) for h in hidden]
    assert_sound(sol, apps, all_conflicts)
    assert sol.rounds >= 2
    assert len(sol.groups) == brute_optimum(apps, all_conflicts) == 2
    assert sol.optimal


def test_check_rounds_are_bounded() -> None:
    apps = [f"a{i}" for i in range(30)]

    def check(group: frozenset[str]) -> Collection[str] | None:
        # Any two apps are "infeasible", revealed one pair per group per round.
        members = sorted(group)
        return members[:2] if len(members) > 1 else None

    sol = solve(apps, [], check=check)
    assert sol.rounds <= MAX_CHECK_ROUNDS + 1
    assert all(len(g) == 1 for g in sol.groups) or sol.rounds <= MAX_CHECK_ROUNDS
    assert all(check(frozenset(g)) is None for g in sol.groups)


def test_check_rejecting_a_single_app_is_an_error() -> None:
    with pytest.raises(ValueError, match="two different apps"):
        solve(["a", "b"], [], check=lambda g: {"a"} if "a" in g else None)


# -- scale ---------------------------------------------------------------------------------------


def planted(n: int, k: int, seed: int) -> tuple[list[str], Edges, dict[str, object]]:
    """Apps planted in ``k`` groups; conflicts only across groups, a k-clique on a pivot
    package, and three-way traps (two apps of one group, one of another)."""
    rng = random.Random(seed)
    apps = [f"app{i:04d}" for i in range(n)]
    group = [i if i < k else rng.randrange(k) for i in range(n)]
    pivot = [i < k or rng.random() < 0.3 for i in range(n)]
    noise = [(rng.randrange(3), rng.random() < 0.2) for _ in range(n)]
    conflicts: Edges = []
    for i, j in combinations(range(n), 2):
        if group[i] != group[j] and (
            (pivot[i] and pivot[j])
            or (noise[i][1] and noise[j][1] and group[i] % 2 != group[j] % 2)
        ):
            conflicts.append((apps[i], apps[j]))
    paired = {frozenset(e) for e in conflicts}
    traps = 0
    while traps < n // 20:
        a, b, c = rng.sample(range(n), 3)
        triple = (apps[a], apps[b], apps[c])
        if group[a] == group[b] != group[c] and not any(
            frozenset(p) in paired for p in combinations(triple, 2)
        ):
            conflicts.append(triple)
            traps += 1
    trapped = {a for e in conflicts if len(e) == 3 for a in e}
    classes: dict[str, object] = {
        a: (group[i] if pivot[i] else -1, noise[i][1] and group[i] % 2)
        for i, a in enumerate(apps)
        if a not in trapped
    }
    return apps, conflicts, classes


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_optimum_with_traps_is_found_and_proven(seed: int) -> None:
    apps, conflicts, classes = planted(300, 6, seed)
    sol = solve(apps, conflicts, classes=classes)
    assert_sound(sol, apps, conflicts)
    assert len(sol.groups) == 6
    assert sol.optimal
    assert len(sol.witness) == 6
    without = solve(apps, conflicts)
    assert len(without.groups) == 6
    assert without.optimal


def test_output_does_not_depend_on_hash_seed() -> None:
    script = (
        "import sys; sys.path.insert(0, '.');"
        "from tests.test_partition import planted;"
        "from depsplit.partition import solve;"
        "apps, conflicts, classes = planted(120, 4, 7);"
        "classes = {a: str(c) for a, c in classes.items()};"
        "s = solve(apps, conflicts, classes=classes, previous={'app0003': 'old'});"
        "print(s.groups, s.names, s.witness)"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1


# -- products: a conflict between sides of apps ------------------------------------------------


def _expanded(products: list[list[list[str]]]) -> list[tuple[str, ...]]:
    from itertools import product

    return [tuple(sorted(combo)) for sides in products for combo in product(*sides)]


@pytest.mark.parametrize(
    ("apps", "products"),
    [
        pytest.param(list("abcdef"), [[["a", "b"], ["c", "d"]], [["c"], ["e", "f"]]], id="pairs"),
        pytest.param(
            list("abcdefg"),
            [[["a", "b"], ["c"], ["d", "e"]], [["a"], ["f", "g"]]],
            id="three-way-and-pair",
        ),
        pytest.param(
            list("abcdefgh"),
            [[["a", "b"], ["c", "d"]], [["a", "c"], ["e"]], [["e"], ["f", "g", "h"]]],
            id="overlapping-sides",
        ),
    ],
)
def test_products_solve_like_their_expansion(
    apps: list[str], products: list[list[list[str]]]
) -> None:
    """A product stands for every set made of one app per side: solving it must give what
    solving that list of sets gives (optimum, validity)."""
    expanded = _expanded(products)
    sol = solve(apps, [], products=products)
    assert_sound(sol, apps, expanded)
    assert sol.optimal
    assert len(sol.groups) == brute_optimum(apps, expanded)


def test_products_of_thousands_of_apps_are_one_node_per_side() -> None:
    """10,000 apps on four pins of one package: 37.5 million pairs if listed, four sides
    here; every app differs from the others (no classes), yet the solve is instant."""
    apps = [f"app{i:05d}" for i in range(10_000)]
    sides = [apps[k::4] for k in range(4)]
    products = [[sides[i], sides[j]] for i, j in combinations(range(4), 2)]
    sol = solve(apps, [], products=products, time_limit=5)
    assert sol.optimal
    assert sorted(sol.groups) == sorted(tuple(sorted(s)) for s in sides)


def test_a_check_failure_inside_a_merged_node_splits_it() -> None:
    """a1 and a2 share every side (so they are solved as one node) but, unknown to the
    products, cannot share a container: the check says so and the node is split."""
    apps = ["a1", "a2", "b"]

    def check(group: frozenset[str]) -> Collection[str] | None:
        return ("a1", "a2") if {"a1", "a2"} <= group else None

    sol = solve(apps, [], products=[[["a1", "a2"], ["b"]]], check=check)
    assert len(sol.groups) == 3
    assert all(not {"a1", "a2"} <= set(g) for g in sol.groups)
    assert sol.rounds >= 2


def test_malformed_products() -> None:
    with pytest.raises(ValueError, match="unknown app"):
        solve(["a", "b"], [], products=[[["a"], ["zz"]]])
    with pytest.raises(ValueError, match="two sides"):
        solve(["a", "b"], [], products=[[["a", "b"]]])
    with pytest.raises(ValueError, match="two sides of one product"):
        solve(["a", "b"], [], products=[[["a"], ["a", "b"]]])


# -- twins ---------------------------------------------------------------------------------------


def test_bitset_digest_spreads_the_neighbourhoods_of_a_clique() -> None:
    """In a clique every node's neighbourhood is "every node but itself": Python's hash of
    an int (the int modulo 2**61 - 1) gives those bitsets at most 61 values, so a dict keyed
    by them compared each with most others (50,000 apps on distinct pins: 33 s of 47). The
    digest gives each its own."""
    n = 3000
    every = (1 << n) - 1
    masks = [every & ~(1 << i) for i in range(n)]
    assert len({hash(m) for m in masks}) <= 61
    assert len({bitset_digest(m) for m in masks}) == n
    # Equal bitsets, however made, have equal digests.
    evens = range(0, n, 2)
    assert bitset_digest(bitset_of(evens, n)) == bitset_digest(sum(1 << i for i in evens))


@settings(max_examples=60, deadline=None)
@given(instances())
def test_twins_are_confirmed_on_the_bitsets_when_digests_collide(
    instance: tuple[list[str], Edges],
) -> None:
    """With every digest equal, twins are still told from the other nodes by their bitsets:
    the same groups, names and proof as with the real digest."""
    apps, conflicts = instance
    twin = {a: f"t{a[1:]}" for a in apps}  # a twin of every app: the same conflicts
    apps = apps + list(twin.values())
    conflicts = [tuple(p) for c in conflicts for p in product(*((x, twin[x]) for x in c))]
    expected = solve(apps, conflicts)
    with mock.patch("depsplit.partition.reduction.bitset_digest", return_value=0):
        got = solve(apps, conflicts)
    assert_sound(got, apps, conflicts)
    assert (got.groups, got.names, got.optimal, got.lower_bound, got.witness) == (
        expected.groups,
        expected.names,
        expected.optimal,
        expected.lower_bound,
        expected.witness,
    )
