"""Split apps into the fewest groups that can each share one container, with a proof.

The problem is colouring a *hypergraph*: every conflict is a minimal set of apps that cannot
share one container (a pair for most, three or more for an N-way conflict), and a group is
valid when it contains no conflict as a whole. :func:`solve` is pure (no I/O) and deterministic:
every tie is broken by sorted app names, never by set or hash order.

How it solves, and why it stays fast on thousands of apps:

1. **Units.** ``together`` sets and apps fixed to the same group name are merged into one unit
   (union–find); every contradiction is reported as a :class:`~depsplit.errors.UsageError`.
2. **Collapse.** Apps with equal ``classes`` keys are one node (they are interchangeable, so an
   optimal plan may keep them together), and nodes that are structural twins (same neighbours,
   same hyperedges up to substitution) are merged too. Apps are only merged when they also had
   the same previous group, so stability never needs to split a node (a class split that way
   still shares every conflict listed for any of its members). With
   ``max_apps_per_group`` nothing is collapsed: identical apps may then have to be spread
   over several groups.
   **No pair of apps is listed.** A product (every app of one side against every app of
   the other) stays one *opposition* between two sides (sets of classes), whatever the
   sizes of its sides, and the many products that name one side (one per term it clashes
   with) read its apps once. A node's neighbours are a bitset worked out on demand: the OR
   of the sides opposed to the sides holding its class. Time and memory follow the
   oppositions and the nodes, not the app pairs they stand for (10,000 apps drawing random
   packages: 4 million app pairs, 544,000 oppositions between 20,000 sides).
3. **Components.** Connected components of the hypergraph are coloured independently; the
   number of groups is the *largest* component's count, because groups are formed by joining
   colour classes across components (apps of different components never conflict). With
   ``max_apps_per_group`` the whole graph is one component, since joining could overflow.
4. **Bounds and search.** Per component: an exact maximum clique of the pairwise graph
   (bitset branch and bound, with a time budget) gives a lower bound and its witness; it stops
   early when a colouring with as many colours proves its best clique maximum (which the full
   search would have returned too). DSATUR (respecting hyperedges and capacity) gives an upper
   bound; it keeps per colour the bitset of the nodes that may still take it, so its cost
   follows the domains (each node loses each colour once) rather than the edges. When they
   differ, a DSATUR-ordered backtracking search with forward checking asks "is there a
   colouring with *k* colours?" for *k* = the lower bound upwards, the clique pre-coloured to
   break symmetry. Finding one proves it optimal; exhausting the search refutes *k* and raises
   the proven lower bound to *k* + 1, which is how three-way conflicts that no clique shows
   are proven. If half the time runs
   out that way, the rest searches downwards from DSATUR's count to improve the plan.
   Components whose upper bound is already at the global lower bound are not searched.
5. **Stability.** Groups are slots named after the ``previous`` plan. Within the optimal count,
   each component's colouring is mapped to slots keeping the most apps where they were, then
   improved by moving apps back to their previous group whenever that stays valid; a greedy
   "previous plan first" colouring competes and wins when it keeps more apps.
6. **Verification.** With ``check``, every final group is verified as a whole. A group that
   fails adds the returned minimal subset as a new hyperedge and the model is solved again
   (lazy constraint generation), for at most :data:`MAX_CHECK_ROUNDS` rounds; after that every
   unit and every class of identical apps gets a group of its own (each checked too), which is
   claimed optimal only if that count meets the lower bound.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import time
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise, product
from typing import Literal

from depsplit.errors import UsageError

__all__ = ["MAX_CHECK_ROUNDS", "Solution", "solve"]

MAX_CHECK_ROUNDS = 25
"""Most solve/verify rounds with a ``check`` callback before falling back to one group per unit.
Every round adds at least one conflict the model did not know, so the loop always progresses;
the bound only caps the cost of a verifier that keeps finding new N-way conflicts."""

_CLIQUE_SHARE = 0.25
"""Share of the remaining time one component's clique search may use: the clique is only a
bound, and the colouring search needs the rest."""

_PROVE_AFTER = 0.05
"""Seconds a clique search runs on its own before colourings are asked to prove its best."""

_PROOF_SHARE = 0.2
"""Share of a component's clique time that colourings may take, in all, to prove a clique
maximum (see :func:`_colourable`); the clique search still gets all of its own."""

_Status = Literal["found", "refuted", "timeout"]


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
    that differ elsewhere but conflict the same way cost no more than one; if ``check``
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
    deadline = time.monotonic() + max(0.0, time_limit)
    plain = list(conflicts)
    sided = [tuple(tuple(side) for side in p) for p in products]
    added: list[frozenset[str]] = []

    def build() -> _Model:
        return _Model.build(
            apps,
            [*plain, *added],
            products=sided,
            classes=classes,
            together=together,
            apart=apart,
            cap=max_apps_per_group,
            fixed=fixed or {},
            previous=previous or {},
        )

    model = build()
    verdicts: dict[frozenset[str], frozenset[str] | None] = {}

    def verify(group: frozenset[str]) -> frozenset[str] | None:
        nonlocal deadline
        assert check is not None
        if group not in verdicts:
            # The time a check takes (a resolution through an index, cold or warm) is not
            # the search's: the search gets its whole time limit whatever the cache holds,
            # so a cold and a warm run find the same plan.
            began = time.monotonic()
            found = check(group)
            deadline += time.monotonic() - began
            bad = None if found is None else frozenset(found)
            if bad is not None and (not bad or not bad <= group):
                raise ValueError(
                    f"check returned {_fmt(bad)}, which is not a non-empty subset of the "
                    f"group {_fmt(group)}"
                )
            verdicts[group] = bad
        return verdicts[group]

    rounds = 0
    result: _Result | None = None
    while True:
        rounds += 1
        if result is not None and rounds > MAX_CHECK_ROUNDS:
            result = model.one_group_per_unit(result)
        else:
            result = model.solve(deadline)
        if check is None:
            break
        failures = [bad for g in result.groups if (bad := verify(frozenset(g))) is not None]
        if not failures:
            break
        if any(model.splits(bad) for bad in failures):
            # A failure inside a node merged from products: add it as a plain conflict,
            # which keeps its apps' classes apart from now on, and rebuild.
            added.extend(failures)
            model = build()
            continue
        if rounds > MAX_CHECK_ROUNDS:
            # Even units alone fail: add_conflict raises for a failure inside one unit.
            for bad in failures:
                model.add_conflict(bad)
            raise AssertionError("unreachable: a unit's own failure raises")  # pragma: no cover
        for bad in failures:
            model.add_conflict(bad)

    groups, names = result.groups, result.names
    order = sorted(range(len(groups)), key=lambda g: names[g])
    return Solution(
        groups=tuple(tuple(groups[g]) for g in order),
        names=tuple(names[g] for g in order),
        optimal=len(groups) == result.lower_bound,
        lower_bound=result.lower_bound,
        witness=result.witness,
        elapsed=time.perf_counter() - started,
        rounds=rounds,
    )


# ---------------------------------------------------------------------------------------------
# The model: units, classes, conflicts between them


def _fmt(apps: Iterable[str]) -> str:
    return "[" + ", ".join(sorted(apps)) + "]"


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller index becomes the root, so roots do not depend on call order.
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass(frozen=True)
class _Result:
    groups: list[list[str]]
    names: list[str]
    lower_bound: int
    witness: tuple[str, ...]


class _Model:
    """Level-A nodes (a class of identical plain apps, or a user-constraint unit) and the
    conflicts between them. Built once; ``check`` failures are added between rounds."""

    def __init__(self) -> None:
        self.members: list[tuple[str, ...]] = []
        self.fixed: list[str | None] = []
        self.pref: list[str | None] = []
        self.reason: list[str | None] = []  # the user constraints that formed a unit
        self.node_of: dict[str, int] = {}
        self.class_of: dict[str, int] = {}
        self.class_nodes: list[list[int]] = []  # the nodes of each class
        self.node_class: list[int] = []  # the class of each node
        # Pairwise conflicts, never listed pair by pair: a *side* is a set of classes, and
        # two opposed sides conflict app by app (every node of one with every node of the
        # other). A product of two sides is one opposition, however many apps it holds.
        self.side_of: dict[tuple[int, ...], int] = {}  # sorted classes -> side
        self.side_classes: list[tuple[int, ...]] = []
        self.opposed: list[list[int]] = []  # per side, the sides it conflicts with
        self.class_sides: list[list[int]] = []  # per class, the sides holding it
        self.hyper: set[tuple[int, ...]] = set()
        self.cap: int | None = None
        self.previous: Mapping[str, str] = {}
        self.base: dict[str, tuple[str, Hashable]] = {}

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        apps: Sequence[str],
        conflicts: Iterable[Collection[str]],
        *,
        products: Sequence[Sequence[Sequence[str]]] = (),
        classes: Mapping[str, Hashable] | None,
        together: Sequence[Collection[str]],
        apart: Sequence[Collection[str]],
        cap: int | None,
        fixed: Mapping[str, str],
        previous: Mapping[str, str],
    ) -> _Model:
        self = cls()
        order = sorted(apps)
        if len(set(order)) != len(order):
            dupes = sorted({a for a, b in pairwise(order) if a == b})
            raise ValueError(f"duplicate app names: {', '.join(dupes)}")
        known = set(order)
        named = [a for s in (*together, *apart) for a in s] + list(fixed)
        unknown = sorted({a for a in named if a not in known})
        if unknown:
            raise UsageError(f"unknown app(s) in constraints: {', '.join(unknown)}")
        if cap is not None and cap < 1:
            raise UsageError(f"max_apps_per_group must be at least 1, not {cap}")
        for s in apart:
            if len(set(s)) < 2:
                raise UsageError(f"apart {_fmt(set(s))} needs at least two different apps")
        for app, name in sorted(fixed.items()):
            if not isinstance(name, str) or not name:
                raise UsageError(f"fixed group of {app} must be a non-empty name")
        self.cap = cap
        self.previous = previous

        index = {a: i for i, a in enumerate(order)}
        uf = _UnionFind(len(order))
        for s in together:
            joined = sorted(set(s))
            for a in joined[1:]:
                uf.union(index[joined[0]], index[a])
        by_name: dict[str, list[str]] = {}
        for app in sorted(fixed):
            by_name.setdefault(fixed[app], []).append(app)
        for same in by_name.values():
            for a in same[1:]:
                uf.union(index[same[0]], index[a])
        constrained = set(named)

        # A class is split into one node per previous group, so stability never has to split
        # a node; a conflict naming one member still applies to all nodes of its class.
        base: dict[str, tuple[str, Hashable]] = {}
        # A class is named by the number of its key (in order of first app): keys can be
        # large nested tuples, and Python hashes a tuple anew at every dict lookup, so each
        # is hashed once here rather than at every use below. Equal keys get one number,
        # so apps share a base exactly when their keys are equal.
        class_number: dict[Hashable, int] = {}
        for app in order:
            if app in constrained:
                base[app] = ("unit", uf.find(index[app]))
            elif cap is None and classes is not None and app in classes:
                base[app] = ("class", class_number.setdefault(classes[app], len(class_number)))
            else:
                base[app] = ("app", app)
        self.base = base
        merged = self._merge_by_products(products, conflicts, base) if cap is None else {}

        class_ids: dict[Hashable, int] = {}
        node_ids: dict[Hashable, int] = {}
        class_nodes = self.class_nodes
        # Members are gathered in lists: adding to a tuple copies it, which is quadratic
        # in the thousands of apps one node may hold.
        gathered: list[list[str]] = []
        for app in order:
            ckey: Hashable = base[app]
            nkey: Hashable
            if base[app][0] == "unit":
                nkey = ckey
            elif base[app] in merged:
                ckey = merged[base[app]]
                nkey = (ckey, previous.get(app))
            elif base[app][0] == "class":
                nkey = (ckey, previous.get(app))
            else:
                nkey = ckey
            c = class_ids.setdefault(ckey, len(class_ids))
            if c == len(class_nodes):
                class_nodes.append([])
            node = node_ids.setdefault(nkey, len(node_ids))
            if node == len(gathered):
                gathered.append([])
                class_nodes[c].append(node)
                self.node_class.append(c)
            gathered[node].append(app)
            self.node_of[app] = node
            self.class_of[app] = c
        self.members = [tuple(m) for m in gathered]

        for node, members in enumerate(self.members):
            names = sorted({fixed[a] for a in members if a in fixed})
            is_unit = members[0] in constrained
            parts = [f"together {_fmt(set(s))}" for s in together if set(s) & set(members)]
            if names:
                pinned = [a for a in members if a in fixed]
                parts.append(f"fixed {_fmt(pinned)} to group '{names[0]}'")
            self.reason.append(" and ".join(parts) if is_unit and parts else None)
            if len(names) > 1:
                raise UsageError(
                    f"contradictory constraints: {' and '.join(parts[:-1])} joins apps "
                    f"fixed to different groups ({', '.join(repr(n) for n in names)})"
                )
            self.fixed.append(names[0] if names else None)
            if cap is not None and len(members) > cap:
                raise UsageError(
                    f"contradictory constraints: {self.reason[node]} puts {len(members)} apps "
                    f"{_fmt(members)} in one group, more than max_apps_per_group = {cap}"
                )
            votes: dict[str, int] = {}
            for a in members:
                if a in previous:
                    votes[previous[a]] = votes.get(previous[a], 0) + 1
            self.pref.append(min(votes, key=lambda n: (-votes[n], n)) if votes else None)

        node_of = self.node_of
        class_of = self.class_of
        self.class_sides = [[] for _ in class_nodes]
        oppose = self._oppose
        for conflict in conflicts:
            if len(conflict) == 2:
                a, b = conflict
                try:
                    ca, cb = class_of[a], class_of[b]
                except KeyError:
                    raise ValueError(f"unknown app in conflict {_fmt(conflict)}") from None
                if ca == cb:
                    self._inside(node_of[a], conflict)
                oppose((ca,), (cb,))
            else:
                self.add_conflict(conflict)
        # Thousands of products name the same few sides (one per term of a package): each
        # side is turned into its classes once.
        side_id: dict[Sequence[str], int] = {}
        side_set: list[frozenset[int]] = []
        opposed = self.opposed
        for sides in products:
            if len(sides) < 2:
                raise ValueError(f"a product needs at least two sides: {sides!r}")
            ids: list[int] = []
            for side in sides:
                sid = side_id.get(side)
                if sid is None:
                    try:
                        held = frozenset(class_of[a] for a in side)
                    except KeyError:
                        raise ValueError(f"unknown app in product {sides!r}") from None
                    sid = side_id[side] = self._side(tuple(sorted(held)))
                    while len(side_set) <= sid:
                        side_set.append(frozenset())
                    side_set[sid] = held
                ids.append(sid)
            if not all(side_set[s] for s in ids):
                raise ValueError(f"empty side in product {sides!r}")
            if len(ids) == 2:
                sa, sb = ids
                if sa == sb or not side_set[sa].isdisjoint(side_set[sb]):
                    self._inside_classes(min(side_set[sa] & side_set[sb]))
                opposed[sa].append(sb)
                opposed[sb].append(sa)
            else:
                for combo in product(*(self.side_classes[s] for s in ids)):
                    self._add_classes(list(combo))

        node_class = self.node_class
        for s in apart:
            for a, b in combinations(sorted(set(s)), 2):
                i, j = node_of[a], node_of[b]
                if i == j:
                    raise UsageError(
                        f"contradictory constraints: apart {_fmt(set(s))} but "
                        f"{self.reason[i]} puts {a} and {b} in one group"
                    )
                # Both are units, and a unit is a class of one node.
                oppose((node_class[i],), (node_class[j],))
        pinned_nodes = [n for n, f in enumerate(self.fixed) if f is not None]
        for i, j in combinations(pinned_nodes, 2):  # different fixed names: different groups
            oppose((node_class[i],), (node_class[j],))
        return self

    def _side(self, classes: tuple[int, ...]) -> int:
        found = self.side_of.get(classes)
        if found is None:
            found = self.side_of[classes] = len(self.side_classes)
            self.side_classes.append(classes)
            self.opposed.append([])
            for c in classes:
                self.class_sides[c].append(found)
        return found

    def _oppose(self, a: tuple[int, ...], b: tuple[int, ...]) -> None:
        """Every node of the classes ``a`` conflicts with every node of the classes ``b``
        (sorted, disjoint)."""
        sa, sb = self._side(a), self._side(b)
        self.opposed[sa].append(sb)
        self.opposed[sb].append(sa)

    def adjacency(self, nodes: Iterable[int], pos: Sequence[int]) -> list[int]:
        """The pairwise conflicts of ``nodes``, one bitset each: a neighbour ``y`` is bit
        ``pos[y]``. Worked out per side (the OR of the sides opposed to it), never per pair
        of apps, so it costs one OR per opposition and one per side of each node."""
        class_nodes, side_classes = self.class_nodes, self.side_classes
        side_mask: dict[int, int] = {}
        opposite: dict[int, int] = {}

        def mask_of(s: int) -> int:
            found = side_mask.get(s)
            if found is None:
                found = side_mask[s] = _mask(
                    [pos[x] for c in side_classes[s] for x in class_nodes[c]],
                    len(pos),
                )
            return found

        out = []
        for x in nodes:
            m = 0
            for s in self.class_sides[self.node_class[x]]:
                found = opposite.get(s)
                if found is None:
                    found = 0
                    for t in self.opposed[s]:
                        found |= mask_of(t)
                    opposite[s] = found
                m |= found
            out.append(m)
        return out

    def _inside(self, node: int, conflict: Collection[str]) -> None:
        if len(set(conflict)) < 2:
            raise ValueError(f"a conflict needs at least two different apps: {_fmt(conflict)}")
        reason = self.reason[node]
        if reason is not None:
            raise UsageError(
                f"contradictory constraints: {reason} puts {_fmt(set(conflict))} in one group, "
                "but they conflict"
            )
        raise ValueError(
            f"conflict {_fmt(set(conflict))} lies inside one class of apps declared identical"
        )

    @staticmethod
    def _merge_by_products(
        products: Sequence[Sequence[Sequence[str]]],
        conflicts: Iterable[Collection[str]],
        base: Mapping[str, tuple[str, Hashable]],
    ) -> dict[tuple[str, Hashable], Hashable]:
        """Base class → merged class, for classes that belong to the same sides of the same
        products and to no plain conflict (nor a unit): such classes never conflict with
        each other and conflict with the same others, so they are interchangeable.

        Being on the same sides of the same products is being in the same sides (as sets of
        apps): a class's signature is the set of the distinct sides that hold it, each side
        numbered when first seen, so the apps of a side listed in many products (one per
        term it clashes with) are visited once."""
        if not products:
            return {}
        signature: dict[tuple[str, Hashable], set[int]] = {}
        numbered: dict[Sequence[str], int] = {}
        for sides in products:
            for side in sides:
                mark = numbered.setdefault(side, len(numbered))
                if mark < len(numbered) - 1:
                    continue  # seen: its apps are marked
                for app in side:  # sides may hold thousands of apps: kept lean
                    key = base.get(app)
                    if key is None:
                        raise ValueError(f"unknown app in product {sides!r}")
                    found = signature.get(key)
                    if found is None:
                        signature[key] = {mark}
                    else:
                        found.add(mark)
        for conflict in conflicts:
            for app in conflict:
                key = base.get(app)
                if key is not None:
                    signature.pop(key, None)
        return {
            key: ("products", frozenset(sig)) for key, sig in signature.items() if key[0] != "unit"
        }

    def splits(self, conflict: Collection[str]) -> bool:
        """Whether ``conflict`` (a check failure) puts two apps of different base classes in
        one merged class: the model must then be rebuilt with it as a plain conflict."""
        seen: dict[int, Hashable] = {}
        for app in conflict:
            c = self.class_of.get(app)
            if c is None:
                continue
            if seen.setdefault(c, self.base[app]) != self.base[app]:
                return True
        return False

    def _inside_classes(self, c: int) -> None:
        node = self.class_nodes[c][0]
        members = self.members[node]
        if len(set(members)) >= 2:
            self._inside(node, members)
        raise ValueError(f"an app is on two sides of one product: {_fmt(members)}")

    def _add_classes(self, by_class: list[int]) -> None:
        by_class = sorted(set(by_class))
        if len(by_class) < 2:
            self._inside_classes(by_class[0])
        if len(by_class) == 2:  # every node of one class with every node of the other
            self._oppose((by_class[0],), (by_class[1],))
            return
        for combo in product(*(self.class_nodes[c] for c in by_class)):
            self.hyper.add(tuple(sorted(combo)))

    def add_conflict(self, conflict: Collection[str]) -> None:
        """Add a minimal infeasible set (any size). Apps of one class are interchangeable, so a
        set naming two of them is still infeasible with one: duplicates are dropped."""
        try:
            by_class = sorted({self.class_of[a] for a in conflict})
        except KeyError:
            raise ValueError(f"unknown app in conflict {_fmt(conflict)}") from None
        if len(by_class) < 2:
            if not by_class:
                raise ValueError("a conflict needs at least two different apps: []")
            self._inside(self.node_of[next(iter(conflict))], conflict)
        if len(by_class) == 2:  # every node of one class with every node of the other
            self._oppose((by_class[0],), (by_class[1],))
            return
        for combo in product(*(self.class_nodes[c] for c in by_class)):
            self.hyper.add(tuple(sorted(combo)))

    # -- solving -------------------------------------------------------------------------------

    def one_group_per_unit(self, last: _Result) -> _Result:
        """The fallback when verification rounds run out: every level-A node alone. The last
        round's bound still holds, since added conflicts only make the problem harder."""
        groups = [list(m) for m in self.members]
        names = _name_groups(groups, self.fixed_of, self.previous)
        return _Result(groups, names, last.lower_bound, last.witness)

    def fixed_of(self, app: str) -> str | None:
        return self.fixed[self.node_of[app]]

    def solve(self, deadline: float) -> _Result:
        red = _Reduced(self)
        comps = red.components
        cap_lb = math.ceil(sum(red.weight) / self.cap) if self.cap and red.weight else 0
        cliques: list[list[int]] = []
        lbs: list[int] = []
        ubs: list[int] = []
        cols: list[list[int]] = []
        for comp in comps:
            budget = time.monotonic() + _CLIQUE_SHARE * max(0.0, deadline - time.monotonic())
            clique = _max_clique(comp.adj, budget, _colourable(comp, budget))
            cliques.append(clique)
            lbs.append(max(len(clique), cap_lb))
            status, col = _colour(comp, comp.heuristic_k(), clique, math.inf)
            assert status == "found"
            cols.append(col)
            ubs.append(max(col, default=-1) + 1)
        global_lb = max(lbs, default=0)
        for c in sorted(range(len(comps)), key=lambda c: (-lbs[c], -ubs[c], c)):
            # Upwards from the bound first: on real inputs the clique is usually tight and
            # the first search finds a colouring. Half the time left at most, then downwards
            # from DSATUR's count, which improves the plan when the bound is far off.
            halfway = time.monotonic() + 0.5 * max(0.0, deadline - time.monotonic())
            target = max(global_lb, lbs[c])
            while ubs[c] > target:
                status, col = _colour(comps[c], target, cliques[c], halfway)
                if status == "found":
                    cols[c], ubs[c] = col, target
                elif status == "refuted":
                    lbs[c] = target + 1
                    global_lb = max(global_lb, lbs[c])
                    target += 1
                else:
                    break
            while ubs[c] > target:
                status, col = _colour(comps[c], ubs[c] - 1, cliques[c], deadline)
                if status == "found":
                    cols[c], ubs[c] = col, ubs[c] - 1
                elif status == "refuted":
                    lbs[c] = ubs[c]
                    global_lb = max(global_lb, lbs[c])
                else:
                    break
        k = max(ubs, default=0)
        slot = _place(red, comps, cols, k, bool(self.previous))
        by_slot: dict[int, list[str]] = {}
        for node in range(len(red.members)):
            by_slot.setdefault(slot[node], []).extend(red.members[node])
        groups = [sorted(by_slot[s]) for s in sorted(by_slot)]
        best = max(range(len(comps)), key=lambda c: (len(cliques[c]), -c), default=None)
        witness: tuple[str, ...] = ()
        if best is not None:
            nodes = comps[best].nodes
            witness = tuple(sorted(red.members[nodes[v]][0] for v in cliques[best]))
        names = _name_groups(groups, self.fixed_of, self.previous)
        return _Result(groups, names, global_lb, witness)


class _Component:
    """One connected component, re-indexed locally by degree (highest first) for bitsets."""

    def __init__(
        self,
        nodes: list[int],
        adj: list[int],
        hyper: list[list[int]],
        weight: list[int],
        cap: int | None,
    ) -> None:
        self.nodes = nodes
        self.adj = adj
        self.hyper = hyper  # per node: masks of the other members of each hyperedge with it
        self.weight = weight
        self.cap = cap

    def heuristic_k(self) -> int:
        """Colours DSATUR may need at most: a node is barred from one colour per neighbour
        and per hyperedge; with a capacity, any node may need a fresh group."""
        n = len(self.adj)
        if self.cap is not None or n == 0:
            return max(n, 1)
        return min(
            n, max(a.bit_count() + len(h) for a, h in zip(self.adj, self.hyper, strict=True)) + 1
        )


def _mask(indices: Sequence[int], n: int) -> int:
    if len(indices) < 64:
        m = 0
        for i in indices:
            m |= 1 << i
        return m
    # Building a wide int bit by bit is quadratic; a byte buffer is linear.
    buf = bytearray((n >> 3) + 1)
    for i in indices:
        buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buf, "little")


class _Reduced:
    """Level-A nodes with structural twins merged, split into components.

    Neighbourhoods are bitsets worked out from the model's sides (:meth:`_Model.adjacency`),
    twice: over level-A nodes (for the twins, the hyperedges and the components), then in
    each component's own order (for the search). No pair of apps is ever listed."""

    def __init__(self, model: _Model) -> None:
        n_a = len(model.members)
        nbr = model.adjacency(range(n_a), range(n_a))
        hyp_of: list[list[tuple[int, ...]]] = [[] for _ in range(n_a)]
        for h in sorted(model.hyper):
            for x in h:
                hyp_of[x].append(h)
        rep = list(range(n_a))
        if model.cap is None:
            # Twins (same neighbours and same hyperedges up to substitution) never share a
            # conflict and are interchangeable; merging them shrinks the search, above all
            # when the caller gave no classes. Equal bitsets are equal neighbourhoods.
            seen: dict[Hashable, int] = {}
            for x in range(n_a):
                rests = frozenset(tuple(y for y in h if y != x) for h in hyp_of[x])
                sig = (nbr[x], rests, model.pref[x], model.fixed[x])
                rep[x] = seen.setdefault(sig, x)
            seen.clear()  # its keys hold the bitsets, which are narrowed in place below
        rid: dict[int, int] = {}
        self.members: list[list[str]] = []
        self.weight: list[int] = []
        self.pref: list[str | None] = []
        self.fixed: list[str | None] = []
        for x in range(n_a):
            r = rep[x]
            if r not in rid:
                rid[r] = len(self.members)
                self.members.append([])
                self.pref.append(model.pref[x])
                self.fixed.append(model.fixed[x])
            self.members[rid[r]].extend(model.members[x])
        for m in self.members:
            m.sort()
            self.weight.append(len(m))
        n = len(self.members)
        node = [rid[rep[x]] for x in range(n_a)]
        reps = [x for x in range(n_a) if rep[x] == x]  # reduced node r is level-A reps[r]
        # Twins have the same neighbours, so a neighbour's twin is a neighbour too: the
        # representatives among a node's neighbours are its reduced neighbours, one each.
        rep_mask = _mask(reps, n_a)
        # In place, each bitset freed as it is replaced: never two sets of them at once.
        for x in range(n_a):
            nbr[x] = nbr[x] & rep_mask if rep[x] == x else 0
        rnbr = [nbr[x] for x in reps]  # level-A bits
        del nbr
        hyper: set[tuple[int, ...]] = set()
        for h in model.hyper:
            mapped = tuple(sorted({node[x] for x in h}))
            # A hyperedge holding a conflicting pair can never be completed: drop it.
            if not any(rnbr[a] >> reps[b] & 1 for a, b in combinations(mapped, 2)):
                hyper.add(mapped)
        hyp_nodes: list[list[int]] = [[] for _ in range(n)]
        for h in hyper:
            for x in h:
                hyp_nodes[x].extend(h)

        comp_of = [-1] * n
        comp_nodes: list[list[int]] = []
        for start in range(n):
            if comp_of[start] >= 0:
                continue
            if model.cap is not None:  # joining components could overflow a group
                comp_nodes.append(list(range(n)))
                comp_of = [0] * n
                break
            c = len(comp_nodes)
            comp_of[start] = c
            reached = 1 << reps[start]  # level-A bits
            todo = [start]
            found = []
            while todo:
                x = todo.pop()
                found.append(x)
                fresh = rnbr[x] & ~reached
                reached |= fresh
                for y in _bits(fresh):
                    comp_of[node[y]] = c
                    todo.append(node[y])
                for y in hyp_nodes[x]:
                    if comp_of[y] < 0:
                        comp_of[y] = c
                        reached |= 1 << reps[y]
                        todo.append(y)
            comp_nodes.append(sorted(found))
        degree = [rnbr[x].bit_count() + len(hyp_nodes[x]) for x in range(n)]
        del rnbr
        self.components: list[_Component] = []
        local = [0] * n
        for members in comp_nodes:
            nodes = sorted(members, key=lambda x: (-degree[x], x))
            for i, x in enumerate(nodes):
                local[x] = i
            self.components.append(
                _Component(
                    nodes,
                    [],
                    [[] for _ in nodes],
                    [self.weight[x] for x in nodes],
                    model.cap,
                )
            )
        # Each component's bitsets in its own order: a side never spans two components (its
        # apps conflict with every app of the sides opposed to it), so one pass serves all.
        adj = model.adjacency(reps, [local[node[x]] for x in range(n_a)])
        for comp in self.components:
            comp.adj = [adj[x] for x in comp.nodes]
        del adj
        for h in sorted(hyper):
            comp = self.components[comp_of[h[0]]]
            full = _mask([local[x] for x in h], len(comp.nodes))
            for x in h:
                comp.hyper[local[x]].append(full ^ (1 << local[x]))


# ---------------------------------------------------------------------------------------------
# Bounds and search


class _Stop(Exception):
    pass


def _colourable(comp: _Component, budget: float) -> Callable[[list[int]], bool]:
    """For :func:`_max_clique`: whether the pairs of ``comp`` (hyperedges and capacity
    left out) can be coloured with as many colours as ``clique`` has members, the clique
    pre-coloured. Each attempt may take half the time left of :data:`_PROOF_SHARE` of the
    clique's time (until ``budget``): on thousands of apps one colouring proves the clique
    maximum long before the branch and bound could."""
    pairs = _Component(comp.nodes, comp.adj, [[] for _ in comp.nodes], comp.weight, None)
    left = _PROOF_SHARE * max(0.0, budget - time.monotonic())

    def attempt(clique: list[int]) -> bool:
        nonlocal left
        if len(clique) == len(pairs.nodes):  # the whole component
            return True
        began = time.monotonic()
        status, _ = _colour(pairs, len(clique), clique, began + left / 2)
        left -= time.monotonic() - began
        return status == "found"

    return attempt


def _greedy_clique(adj: Sequence[int]) -> list[int]:
    """The clique :func:`_max_clique` starts from: lowest index first, then the lowest
    index among the common neighbours, and so on."""
    best: list[int] = []
    cand = (1 << len(adj)) - 1
    while cand:
        low = cand & -cand
        v = low.bit_length() - 1
        best.append(v)
        cand &= adj[v]
    return best


def _max_clique(
    adj: Sequence[int], deadline: float, proves: Callable[[list[int]], bool] | None = None
) -> list[int]:
    """A maximum clique (exact unless ``deadline`` passes first; then the largest found).

    Branch and bound over bitsets with greedy-colouring bounds (Tomita's MCQ). Nodes are
    indexed by decreasing degree, so taking the lowest bit first favours dense nodes.

    ``proves(clique)`` is asked at each new best clique, whether a colouring with as many
    colours exists (then no larger clique does): the search stops there, with the clique it
    would have returned anyway, since a clique replaces the best only when strictly larger.
    The time ``proves`` takes is added to ``deadline``: the search keeps all of its own.
    """
    n = len(adj)
    if n == 0:
        return []
    best = _greedy_clique(adj)  # a good incumbent prunes most of the tree

    # Proofs are asked only once the search has run a while (most searches end sooner, and
    # a colouring that fails costs its whole slice), then for each best not yet asked about.
    prove_from = time.monotonic() + _PROVE_AFTER
    asked: list[int] | None = None

    def proven() -> bool:
        nonlocal deadline, asked
        if proves is None or asked is best:
            return False
        now = time.monotonic()
        if now < prove_from:
            return False
        asked = best
        found = proves(best)
        deadline += time.monotonic() - now
        return found

    def expand(clique: list[int], cand: int) -> None:
        nonlocal best
        if time.monotonic() > deadline or proven():
            raise _Stop
        order: list[int] = []
        bounds: list[int] = []
        colour = 0
        rest = cand
        while rest:
            colour += 1
            avail = rest
            while avail:
                low = avail & -avail
                v = low.bit_length() - 1
                avail ^= low
                avail &= ~adj[v]
                rest ^= low
                order.append(v)
                bounds.append(colour)
        for i in range(len(order) - 1, -1, -1):
            if len(clique) + bounds[i] <= len(best):
                return
            v = order[i]
            clique.append(v)
            sub = cand & adj[v]
            if sub:
                expand(clique, sub)
            elif len(clique) > len(best):
                best = clique.copy()
            clique.pop()
            cand &= ~(1 << v)

    with contextlib.suppress(_Stop):
        expand([], (1 << n) - 1)
    return sorted(best)


def _bits(m: int) -> list[int]:
    """The indices of the set bits of ``m`` (not negative), in no particular order.

    A few bits are peeled off one by one; more are found in the binary string, since
    each peel copies the whole integer (a bitset of every node of a large component)."""
    out = []
    if m.bit_count() <= 16:
        while m:
            low = m & -m
            out.append(low.bit_length() - 1)
            m ^= low
        return out
    text = bin(m)
    top = len(text) - 1
    i = text.rfind("1")
    while i > 1:  # text[:2] is "0b"
        out.append(top - i)
        i = text.rfind("1", 0, i)
    return out


class _Frame:
    __slots__ = ("cands", "cur", "i", "mark", "used", "v")

    def __init__(self, v: int, cands: list[int], mark: int, used: int) -> None:
        self.v = v
        self.cands = cands
        self.i = 0
        self.cur = -1
        self.mark = mark
        self.used = used


def _colour(
    comp: _Component, k: int, seed: Sequence[int], deadline: float
) -> tuple[_Status, list[int]]:
    """Colour ``comp`` with at most ``k`` colours, or prove that impossible.

    DSATUR-ordered backtracking: the uncoloured node with the fewest allowed colours goes
    next (ties: highest degree, i.e. lowest local index); colours are tried in order, and only
    one unused colour, since unused colours are interchangeable. Forward checking removes a
    colour from a node's domain when a neighbour takes it, when the node would complete a
    hyperedge in it, or when the node no longer fits under the capacity; an empty domain
    backtracks at once. ``seed`` (a clique) is pre-coloured 0, 1, …, which loses nothing since
    a clique needs distinct colours anyway. With ``k`` large enough the first descent never
    backtracks, which is plain DSATUR.

    The cost follows the domains, not the edges: each colour keeps the bitset of the nodes
    that may still take it, so a node taking colour *c* removes *c* from its uncoloured
    neighbours with two bitset operations, and only the nodes that lose *c* there and then
    are visited (each node loses each colour once per descent, however many neighbours hold
    it). The next node comes from a heap of (domain size, index) entries, stale ones skipped,
    rather than from a scan of every uncoloured node.
    """
    n = len(comp.adj)
    adj, hyper, weight, cap = comp.adj, comp.hyper, comp.weight, comp.cap
    if len(seed) > k:
        return "refuted", []
    max_weight = max(weight, default=0)
    everyone = (1 << n) - 1
    dom = [(1 << k) - 1] * n  # per node: the colours it may take
    size = [k] * n  # per node: dom's bit count
    free = [everyone] * k  # per colour: the nodes that may take it (dom, transposed)
    colour = [-1] * n
    cmask = [0] * k
    cweight = [0] * k
    trail: list[tuple[int, int]] = []  # (colour, the nodes that lost it)
    heap = [(k, v) for v in range(n)]  # sorted, hence a heap
    push = heapq.heappush
    used = 0
    uncol_mask = everyone
    seeding = 0  # seed members still to colour whose domains need no keeping (see below)

    def forbid(lose: int, c: int) -> bool:
        """Remove colour ``c`` from the nodes of ``lose`` (all of them holding it); False
        when one is left with no colour."""
        free[c] ^= lose
        trail.append((c, lose))
        cbit = 1 << c
        ok = True
        for u in _bits(lose):
            dom[u] ^= cbit
            s = size[u] - 1
            size[u] = s
            if s:
                push(heap, (s, u))
            else:
                ok = False
        return ok

    def assign(v: int, c: int) -> bool:
        nonlocal used, uncol_mask
        bit = 1 << v
        colour[v] = c
        cmask[c] |= bit
        cweight[c] += weight[v]
        uncol_mask ^= bit
        if c == used:
            used += 1
        lose = adj[v] & uncol_mask & free[c] & ~seeding
        if lose and not forbid(lose, c):
            return False
        members = cmask[c]
        for rest in hyper[v]:
            missing = rest & ~members
            # One member short of the whole hyperedge: that member may not take this colour.
            if (
                missing & uncol_mask
                and not missing & (missing - 1)
                and missing & free[c]
                and not forbid(missing, c)
            ):
                return False
        if cap is not None:
            room = cap - cweight[c]
            if room < max_weight:
                lose = 0
                for u in _bits(uncol_mask & free[c]):
                    if weight[u] > room:
                        lose |= 1 << u
                if lose and not forbid(lose, c):
                    return False
        return True

    def unassign(v: int, c: int, mark: int, used_before: int) -> None:
        nonlocal used, uncol_mask
        while len(trail) > mark:
            lost, back = trail.pop()
            free[lost] |= back
            cbit = 1 << lost
            for u in _bits(back):
                dom[u] |= cbit
                size[u] += 1
                push(heap, (size[u], u))
        bit = 1 << v
        colour[v] = -1
        cmask[c] ^= bit
        cweight[c] -= weight[v]
        uncol_mask |= bit
        push(heap, (size[v], v))
        used = used_before

    def select() -> int:
        # The uncoloured node with the fewest colours left, the lowest index among those:
        # the heap's first entry that is current (its node uncoloured, its size the node's).
        while heap:
            s, v = heap[0]
            if colour[v] < 0 and size[v] == s:
                return v
            heapq.heappop(heap)
        return -1

    def candidates(v: int) -> list[int]:
        d = dom[v] & ((1 << used) - 1)
        out = []
        while d:
            low = d & -d
            d ^= low
            out.append(low.bit_length() - 1)
        if used < k:
            out.append(used)
        return out

    # The seed's own members are coloured next, each with its colour whatever its domain;
    # with pairs alone they can lose no more colours to each other than the clique has
    # members before them (fewer than k), so their domains need no keeping meanwhile: on a
    # clique of thousands of apps that is the difference between n and n² steps. Hyperedges
    # and a capacity may empty a member's domain (a refutation), so then they are kept.
    pending = _mask(list(seed), n) if not any(hyper) and cap is None else 0
    for c, v in enumerate(seed):
        seeding = pending = pending & ~(1 << v)
        if not assign(v, c):
            return "refuted", []
    seeding = 0
    v = select()
    if v < 0:
        return "found", colour
    stack = [_Frame(v, candidates(v), len(trail), used)]
    steps = 0
    while stack:
        f = stack[-1]
        if f.cur >= 0:
            unassign(f.v, f.cur, f.mark, f.used)
            f.cur = -1
        if f.i == len(f.cands):
            stack.pop()
            continue
        steps += 1
        if not steps & 255 and time.monotonic() > deadline:
            return "timeout", []
        c = f.cands[f.i]
        f.i += 1
        f.cur = c
        if not assign(f.v, c):
            continue
        v = select()
        if v < 0:
            return "found", colour
        stack.append(_Frame(v, candidates(v), len(trail), used))
    return "refuted", []


# ---------------------------------------------------------------------------------------------
# Stability: which colour class becomes which group


def _place(
    red: _Reduced,
    comps: Sequence[_Component],
    cols: Sequence[list[int]],
    k: int,
    has_previous: bool,
) -> list[int]:
    """Map every component's colouring onto ``k`` global slots; return the slot per node.

    Slots are the fixed group names, then the previous names most apps still claim, then
    anonymous ones. A colour class holding a fixed app goes to that slot; the others go to
    the slots whose previous name most of their apps held. With a previous plan, apps are then
    moved back to their previous slot whenever that stays valid, and a greedy colouring that
    starts from the previous plan is used instead when it keeps more apps in place.
    """
    fixed_names = sorted({f for f in red.fixed if f is not None})
    slot_names: list[str | None] = list(fixed_names)
    if has_previous:
        score: dict[str, int] = {}
        for p, w in zip(red.pref, red.weight, strict=True):
            if p is not None and p not in fixed_names:
                score[p] = score.get(p, 0) + w
        keep = sorted(score, key=lambda p: (-score[p], p))[: max(0, k - len(fixed_names))]
        slot_names.extend(sorted(keep))
    slot_names.extend([None] * (k - len(slot_names)))
    slot_of_name = {name: s for s, name in enumerate(slot_names) if name is not None}
    slot = [0] * len(red.members)
    for comp, col in zip(comps, cols, strict=True):
        nodes = comp.nodes
        forced = [slot_of_name[f] if (f := red.fixed[x]) is not None else -1 for x in nodes]
        wants = [slot_of_name.get(p, -1) if (p := red.pref[x]) is not None else -1 for x in nodes]
        wants = [f if f >= 0 else w for f, w in zip(forced, wants, strict=True)]
        placed = _map_colours(comp, col, forced, wants, k)
        if has_previous:
            _move_home(comp, placed, forced, wants, k)
            alt = _greedy_from_previous(comp, forced, wants, k)
            if alt is not None:
                _move_home(comp, alt, forced, wants, k)
                if _kept(comp, alt, wants) > _kept(comp, placed, wants):
                    placed = alt
        for v, x in enumerate(nodes):
            slot[x] = placed[v]
    return slot


def _kept(comp: _Component, placed: Sequence[int], wants: Sequence[int]) -> int:
    return sum(w for w, p, s in zip(comp.weight, placed, wants, strict=True) if p == s)


def _map_colours(
    comp: _Component, col: Sequence[int], forced: Sequence[int], wants: Sequence[int], k: int
) -> list[int]:
    n_colours = max(col, default=-1) + 1
    target = [-1] * n_colours
    taken: set[int] = set()
    for v, f in enumerate(forced):
        if f >= 0:
            target[col[v]] = f
            taken.add(f)
    score: dict[tuple[int, int], int] = {}
    for v, s in enumerate(wants):
        if s >= 0:
            score[col[v], s] = score.get((col[v], s), 0) + comp.weight[v]
    for (c, s), _ in sorted(score.items(), key=lambda item: (-item[1], item[0])):
        if target[c] < 0 and s not in taken:
            target[c] = s
            taken.add(s)
    first = [
        min((comp.nodes[v] for v in range(len(col)) if col[v] == c), default=0)
        for c in range(n_colours)
    ]
    free = iter([s for s in range(k) if s not in taken])
    for c in sorted(range(n_colours), key=lambda c: first[c]):
        if target[c] < 0:
            target[c] = next(free)
    return [target[c] for c in col]


def _fits(comp: _Component, v: int, s: int, smask: list[int], sweight: list[int]) -> bool:
    if comp.adj[v] & smask[s]:
        return False
    members = smask[s]
    if any(not rest & ~members for rest in comp.hyper[v]):
        return False
    return comp.cap is None or sweight[s] + comp.weight[v] <= comp.cap


def _move_home(
    comp: _Component, placed: list[int], forced: Sequence[int], wants: Sequence[int], k: int
) -> None:
    """Move nodes back to the slot they want while that stays valid (hill climbing)."""
    smask = [0] * k
    sweight = [0] * k
    for v, s in enumerate(placed):
        smask[s] |= 1 << v
        sweight[s] += comp.weight[v]
    moved = True
    while moved:
        moved = False
        for v, want in enumerate(wants):
            s = placed[v]
            if want < 0 or want == s or forced[v] >= 0:
                continue
            bit = 1 << v
            smask[s] ^= bit
            sweight[s] -= comp.weight[v]
            if _fits(comp, v, want, smask, sweight):
                s = want
                moved = True
            placed[v] = s
            smask[s] |= bit
            sweight[s] += comp.weight[v]


def _greedy_from_previous(
    comp: _Component, forced: Sequence[int], wants: Sequence[int], k: int
) -> list[int] | None:
    """Keep the previous plan where it is still valid, then fit the rest in first-fit order;
    ``None`` when that would need more than ``k`` groups."""
    n = len(comp.adj)
    placed = [-1] * n
    smask = [0] * k
    sweight = [0] * k

    def put(v: int, s: int) -> None:
        placed[v] = s
        smask[s] |= 1 << v
        sweight[s] += comp.weight[v]

    for v, f in enumerate(forced):
        if f >= 0:
            put(v, f)
    homing = sorted(
        (v for v in range(n) if placed[v] < 0 and wants[v] >= 0), key=lambda v: (-comp.weight[v], v)
    )
    for v in homing:
        if _fits(comp, v, wants[v], smask, sweight):
            put(v, wants[v])
    for v in range(n):
        if placed[v] < 0:
            s = next((s for s in range(k) if _fits(comp, v, s, smask, sweight)), -1)
            if s < 0:
                return None
            put(v, s)
    return placed


def _name_groups(
    groups: Sequence[Sequence[str]],
    fixed_of: Callable[[str], str | None],
    previous: Mapping[str, str],
) -> list[str]:
    """Names per the rule in :func:`solve`'s docstring; ``groups`` are sorted lists."""
    names: list[str | None] = [None] * len(groups)
    used: set[str] = set()
    for g, apps in enumerate(groups):
        pinned = sorted({f for a in apps if (f := fixed_of(a)) is not None})
        if pinned:
            names[g] = pinned[0]
            used.add(pinned[0])
    claims: list[tuple[int, str, str, int]] = []
    for g, apps in enumerate(groups):
        if names[g] is None:
            votes: dict[str, int] = {}
            for a in apps:
                if a in previous:
                    votes[previous[a]] = votes.get(previous[a], 0) + 1
            claims.extend((-n, name, apps[0], g) for name, n in votes.items())
    for _, name, _, g in sorted(claims):
        if names[g] is None and name not in used:
            names[g] = name
            used.add(name)
    for g in sorted(range(len(groups)), key=lambda g: groups[g][0]):
        if names[g] is None:
            base = name = groups[g][0]
            i = 1
            while name in used:
                i += 1
                name = f"{base}-{i}"
            names[g] = name
            used.add(name)
    return [n for n in names if n is not None]
