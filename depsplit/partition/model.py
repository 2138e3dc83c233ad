"""The model: units, classes of identical apps, and the conflicts between them."""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise, product

from depsplit.errors import UsageError
from depsplit.partition.bitsets import bitset_of
from depsplit.partition.naming import name_groups
from depsplit.partition.reduction import ReducedGraph
from depsplit.partition.search import search_components
from depsplit.partition.stability import place_in_slots


def format_apps(apps: Iterable[str]) -> str:
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


def _check_constraints(
    order: Sequence[str],
    together: Sequence[Collection[str]],
    apart: Sequence[Collection[str]],
    capacity: int | None,
    fixed: Mapping[str, str],
) -> list[str]:
    """Raise for duplicate apps (``ValueError``) and for malformed user constraints
    (``UsageError``); return the apps the constraints name (with repeats)."""
    if len(set(order)) != len(order):
        dupes = sorted({a for a, b in pairwise(order) if a == b})
        raise ValueError(f"duplicate app names: {', '.join(dupes)}")
    known = set(order)
    named = [a for s in (*together, *apart) for a in s] + list(fixed)
    unknown = sorted({a for a in named if a not in known})
    if unknown:
        raise UsageError(f"unknown app(s) in constraints: {', '.join(unknown)}")
    if capacity is not None and capacity < 1:
        raise UsageError(f"max_apps_per_group must be at least 1, not {capacity}")
    for s in apart:
        if len(set(s)) < 2:
            raise UsageError(f"apart {format_apps(set(s))} needs at least two different apps")
    for app, name in sorted(fixed.items()):
        if not isinstance(name, str) or not name:
            raise UsageError(f"fixed group of {app} must be a non-empty name")
    return named


def _base_classes(
    order: Sequence[str],
    constrained: Collection[str],
    together: Sequence[Collection[str]],
    fixed: Mapping[str, str],
    classes: Mapping[str, Hashable] | None,
    capacity: int | None,
) -> dict[str, tuple[str, Hashable]]:
    """App → its base class: ``("unit", root)`` for apps a constraint names (``together``
    sets and apps fixed to one name are one unit), ``("class", number)`` for apps with equal
    ``classes`` keys (none with a capacity), else ``("app", name)``."""
    index = {a: i for i, a in enumerate(order)}
    units = _UnionFind(len(order))
    for s in together:
        joined = sorted(set(s))
        for a in joined[1:]:
            units.union(index[joined[0]], index[a])
    by_name: dict[str, list[str]] = {}
    for app in sorted(fixed):
        by_name.setdefault(fixed[app], []).append(app)
    for same in by_name.values():
        for a in same[1:]:
            units.union(index[same[0]], index[a])

    base: dict[str, tuple[str, Hashable]] = {}
    # A class is named by the number of its key (in order of first app): keys can be
    # large nested tuples, and Python hashes a tuple anew at every dict lookup, so each
    # is hashed once here rather than at every use below. Equal keys get one number,
    # so apps share a base exactly when their keys are equal.
    class_number: dict[Hashable, int] = {}
    for app in order:
        if app in constrained:
            base[app] = ("unit", units.find(index[app]))
        elif capacity is None and classes is not None and app in classes:
            base[app] = ("class", class_number.setdefault(classes[app], len(class_number)))
        else:
            base[app] = ("app", app)
    return base


@dataclass(frozen=True)
class RoundResult:
    groups: list[list[str]]
    names: list[str]
    lower_bound: int
    witness: tuple[str, ...]


class Model:
    """Level-A nodes (a class of identical plain apps, or a user-constraint unit) and the
    conflicts between them. Built once; ``check`` failures are added between rounds."""

    def __init__(self) -> None:
        self.members: list[tuple[str, ...]] = []
        self.fixed: list[str | None] = []
        self.previous_group: list[str | None] = []
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
        # Sides every two of which are opposed, kept as one list (N pins of one package).
        self.cliques: list[tuple[int, ...]] = []
        self.side_sets: dict[int, frozenset[int]] = {}  # a side's classes, as a set
        self.class_sides: list[list[int]] = []  # per class, the sides holding it
        self.hyper: set[tuple[int, ...]] = set()
        self.capacity: int | None = None
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
        cliques: Sequence[Sequence[Sequence[str]]] = (),
        classes: Mapping[str, Hashable] | None,
        together: Sequence[Collection[str]],
        apart: Sequence[Collection[str]],
        capacity: int | None,
        fixed: Mapping[str, str],
        previous: Mapping[str, str],
    ) -> Model:
        """The model of ``apps`` under the arguments of :func:`~depsplit.partition.solve`
        (``capacity`` is its ``max_apps_per_group``). Raises what ``solve`` documents for
        malformed input and contradictory constraints, in the order checked here."""
        self = cls()
        order = sorted(apps)
        named = _check_constraints(order, together, apart, capacity, fixed)
        self.capacity = capacity
        self.previous = previous
        self.base = _base_classes(order, set(named), together, fixed, classes, capacity)
        merged = (
            self._merge_by_products([*products, *cliques], conflicts, self.base)
            if capacity is None
            else {}
        )
        self._gather_nodes(order, merged)
        self._describe_nodes(set(named), together, fixed)
        self.class_sides = [[] for _ in self.class_nodes]
        self._add_plain_conflicts(conflicts)
        side_id: dict[Sequence[str], int] = {}
        self._add_products(products, side_id)
        self._add_cliques(cliques, side_id)
        self._oppose_apart_and_fixed(apart)
        return self

    def _gather_nodes(
        self, order: Sequence[str], merged: Mapping[tuple[str, Hashable], Hashable]
    ) -> None:
        """Number the classes and their nodes, in order of first app: a unit is a class of
        one node, and a class of identical apps has one node per previous group, so
        stability never has to split a node (a conflict naming one member still applies to
        all nodes of its class)."""
        base, previous = self.base, self.previous
        class_ids: dict[Hashable, int] = {}
        node_ids: dict[Hashable, int] = {}
        class_nodes = self.class_nodes
        # Members are gathered in lists: adding to a tuple copies it, which is quadratic
        # in the thousands of apps one node may hold.
        gathered: list[list[str]] = []
        for app in order:
            class_key: Hashable = base[app]
            node_key: Hashable
            if base[app][0] == "unit":
                node_key = class_key
            elif base[app] in merged:
                class_key = merged[base[app]]
                node_key = (class_key, previous.get(app))
            elif base[app][0] == "class":
                node_key = (class_key, previous.get(app))
            else:
                node_key = class_key
            c = class_ids.setdefault(class_key, len(class_ids))
            if c == len(class_nodes):
                class_nodes.append([])
            node = node_ids.setdefault(node_key, len(node_ids))
            if node == len(gathered):
                gathered.append([])
                class_nodes[c].append(node)
                self.node_class.append(c)
            gathered[node].append(app)
            self.node_of[app] = node
            self.class_of[app] = c
        self.members = [tuple(m) for m in gathered]

    def _describe_nodes(
        self,
        constrained: Collection[str],
        together: Sequence[Collection[str]],
        fixed: Mapping[str, str],
    ) -> None:
        """Per node: the user constraints that formed it (a unit), its fixed group name, and
        the previous group most of its apps held (ties: the name sorting first). Raises for a
        unit joining two fixed names or holding more apps than the capacity."""
        capacity, previous = self.capacity, self.previous
        for node, members in enumerate(self.members):
            names = sorted({fixed[a] for a in members if a in fixed})
            is_unit = members[0] in constrained
            parts = [f"together {format_apps(set(s))}" for s in together if set(s) & set(members)]
            if names:
                pinned = [a for a in members if a in fixed]
                parts.append(f"fixed {format_apps(pinned)} to group '{names[0]}'")
            self.reason.append(" and ".join(parts) if is_unit and parts else None)
            if len(names) > 1:
                raise UsageError(
                    f"contradictory constraints: {' and '.join(parts[:-1])} joins apps "
                    f"fixed to different groups ({', '.join(repr(n) for n in names)})"
                )
            self.fixed.append(names[0] if names else None)
            if capacity is not None and len(members) > capacity:
                raise UsageError(
                    f"contradictory constraints: {self.reason[node]} puts {len(members)} apps "
                    f"{format_apps(members)} in one group, "
                    f"more than max_apps_per_group = {capacity}"
                )
            votes: dict[str, int] = {}
            for a in members:
                if a in previous:
                    votes[previous[a]] = votes.get(previous[a], 0) + 1
            self.previous_group.append(min(votes, key=lambda n: (-votes[n], n)) if votes else None)

    def _add_plain_conflicts(self, conflicts: Iterable[Collection[str]]) -> None:
        """Pairs become oppositions between one-class sides; larger sets, hyperedges."""
        node_of = self.node_of
        class_of = self.class_of
        oppose = self._oppose
        for conflict in conflicts:
            if len(conflict) == 2:
                a, b = conflict
                try:
                    ca, cb = class_of[a], class_of[b]
                except KeyError:
                    raise ValueError(f"unknown app in conflict {format_apps(conflict)}") from None
                if ca == cb:
                    self._inside(node_of[a], conflict)
                oppose((ca,), (cb,))
            else:
                self.add_conflict(conflict)

    def _side_ids(
        self, sides: Sequence[Sequence[str]], side_id: dict[Sequence[str], int]
    ) -> list[int]:
        """The model sides of ``sides`` (each turned into its classes once: thousands of
        products name the same few sides, one per term of a package)."""
        ids: list[int] = []
        for side in sides:
            side_index = side_id.get(side)
            if side_index is None:
                try:
                    held = tuple(sorted({self.class_of[a] for a in side}))
                except KeyError:
                    raise ValueError(f"unknown app in product {sides!r}") from None
                if not held:
                    raise ValueError(f"empty side in product {sides!r}")
                side_index = side_id[side] = self._side(held)
            ids.append(side_index)
        return ids

    def _add_cliques(
        self, cliques: Sequence[Sequence[Sequence[str]]], side_id: dict[Sequence[str], int]
    ) -> None:
        """Each clique of sides, kept whole; one whose sides share a class (a conflict
        inside one class) is checked as its pairs are."""
        for sides in cliques:
            if len(sides) < 2:
                raise ValueError(f"a clique needs at least two sides: {sides!r}")
            ids = self._side_ids(sides, side_id)
            classes = [c for s in ids for c in self.side_classes[s]]
            if len(set(classes)) != len(classes):
                self._add_products([(a, b) for a, b in combinations(sides, 2)], side_id)
                continue
            self.cliques.append(tuple(ids))

    def _add_products(
        self, products: Sequence[Sequence[Sequence[str]]], side_id: dict[Sequence[str], int]
    ) -> None:
        """A product of two sides is one opposition; of three or more, hyperedges between
        their classes."""
        opposed = self.opposed
        for sides in products:
            if len(sides) < 2:
                raise ValueError(f"a product needs at least two sides: {sides!r}")
            ids = self._side_ids(sides, side_id)
            if len(ids) == 2:
                sa, sb = ids
                if sa == sb or not self._classes_of(sa).isdisjoint(self._classes_of(sb)):
                    self._inside_classes(min(self._classes_of(sa) & self._classes_of(sb)))
                opposed[sa].append(sb)
                opposed[sb].append(sa)
            else:
                for combo in product(*(self.side_classes[s] for s in ids)):
                    self._add_classes(list(combo))

    def _oppose_apart_and_fixed(self, apart: Sequence[Collection[str]]) -> None:
        """The apps of each ``apart`` set pairwise, and units fixed to different names."""
        node_of, node_class, oppose = self.node_of, self.node_class, self._oppose
        for s in apart:
            for a, b in combinations(sorted(set(s)), 2):
                i, j = node_of[a], node_of[b]
                if i == j:
                    raise UsageError(
                        f"contradictory constraints: apart {format_apps(set(s))} but "
                        f"{self.reason[i]} puts {a} and {b} in one group"
                    )
                # Both are units, and a unit is a class of one node.
                oppose((node_class[i],), (node_class[j],))
        pinned_nodes = [n for n, f in enumerate(self.fixed) if f is not None]
        for i, j in combinations(pinned_nodes, 2):  # different fixed names: different groups
            oppose((node_class[i],), (node_class[j],))

    def _classes_of(self, side: int) -> frozenset[int]:
        found = self.side_sets.get(side)
        if found is None:
            found = self.side_sets[side] = frozenset(self.side_classes[side])
        return found

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
        ``pos[y]``. Worked out per side (the OR of the sides opposed to it and of the other
        sides of its cliques), never per pair of apps, so it costs one OR per opposition and
        one per side of each node.

        Only what several nodes share is kept meanwhile: a side's nodes when other sides are
        opposed to it, a side's opposites when it holds several nodes, one bitset per clique
        (per side of the cliques when those are fewer). N apps on N pins of one package are
        one clique of N sides of one node each: three bitsets kept per side were 3N wide
        bitsets more than the result (50,000 apps: 0.8 GB)."""
        class_nodes, side_classes, width = self.class_nodes, self.side_classes, len(pos)

        def nodes_of(sides: Iterable[int]) -> int:
            return bitset_of(
                [pos[x] for s in sides for c in side_classes[s] for x in class_nodes[c]], width
            )

        side_mask: dict[int, int] = {}

        def mask_of(s: int) -> int:
            found = side_mask.get(s)
            if found is None:
                found = side_mask[s] = nodes_of((s,))
            return found

        # A clique's sides, each opposed to all the others, hold disjoint classes (see
        # _add_cliques), so disjoint nodes: a side's opposites through its cliques are their
        # nodes less its own (which they hold: XOR takes them out). Kept as one bitset per
        # clique or, when sides are fewer (each in several cliques), per side.
        cliques_of: dict[int, list[int]] = {}
        for k, clique in enumerate(self.cliques):
            for t in clique:
                cliques_of.setdefault(t, []).append(k)
        per_clique = len(self.cliques) <= len(cliques_of)
        every = [nodes_of(clique) for clique in self.cliques] if per_clique else []
        in_cliques: dict[int, int] = {}
        if not per_clique:
            for clique in self.cliques:
                whole = 0
                for t in clique:  # sides in several cliques: their bitsets are reused
                    whole |= mask_of(t)
                for t in clique:
                    in_cliques[t] = in_cliques.get(t, 0) | whole

        def opposites(s: int) -> int:
            found = 0
            if s in cliques_of:
                own = nodes_of((s,)) if per_clique else mask_of(s)
                if per_clique:
                    for k in cliques_of[s]:
                        found |= every[k] ^ own
                else:  # asked once: kept in ``opposite`` when the side holds several nodes
                    found = in_cliques.pop(s) ^ own
            for t in self.opposed[s]:
                found |= mask_of(t)
            return found

        opposite: dict[int, int] = {}
        out = []
        for x in nodes:
            m = 0
            for s in self.class_sides[self.node_class[x]]:
                found = opposite.get(s)
                if found is None:
                    found = opposites(s)
                    if sum(len(class_nodes[c]) for c in side_classes[s]) > 1:
                        opposite[s] = found
                m = m | found if m else found
            out.append(m)
        return out

    def _inside(self, node: int, conflict: Collection[str]) -> None:
        if len(set(conflict)) < 2:
            raise ValueError(
                f"a conflict needs at least two different apps: {format_apps(conflict)}"
            )
        reason = self.reason[node]
        if reason is not None:
            raise UsageError(
                f"contradictory constraints: {reason} puts {format_apps(set(conflict))} "
                "in one group, but they conflict"
            )
        raise ValueError(
            f"conflict {format_apps(set(conflict))} lies inside one class of apps "
            "declared identical"
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
        raise ValueError(f"an app is on two sides of one product: {format_apps(members)}")

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
            raise ValueError(f"unknown app in conflict {format_apps(conflict)}") from None
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

    def one_group_per_unit(self, last: RoundResult) -> RoundResult:
        """The fallback when verification rounds run out: every level-A node alone. The last
        round's bound still holds, since added conflicts only make the problem harder."""
        groups = [list(m) for m in self.members]
        names = name_groups(groups, self.fixed_of, self.previous)
        return RoundResult(groups, names, last.lower_bound, last.witness)

    def fixed_of(self, app: str) -> str | None:
        return self.fixed[self.node_of[app]]

    def solve(self, deadline: float) -> RoundResult:
        """One round: the fewest groups the search finds by ``deadline`` (reductions, bounds
        and colourings per component), mapped onto slots for stability and named."""
        reduced = ReducedGraph(self)
        components = reduced.components
        capacity_bound = (
            math.ceil(sum(reduced.weight) / self.capacity)
            if self.capacity and reduced.weight
            else 0
        )
        k, lower_bound, cliques, colourings = search_components(
            components, capacity_bound, deadline
        )
        slot = place_in_slots(reduced, components, colourings, k, bool(self.previous))
        by_slot: dict[int, list[str]] = {}
        for node in range(len(reduced.members)):
            by_slot.setdefault(slot[node], []).extend(reduced.members[node])
        groups = [sorted(by_slot[s]) for s in sorted(by_slot)]
        best = max(range(len(components)), key=lambda c: (len(cliques[c]), -c), default=None)
        witness: tuple[str, ...] = ()
        if best is not None:
            nodes = components[best].nodes
            witness = tuple(sorted(reduced.members[nodes[v]][0] for v in cliques[best]))
        names = name_groups(groups, self.fixed_of, self.previous)
        return RoundResult(groups, names, lower_bound, witness)
