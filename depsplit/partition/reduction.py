"""Reductions before the search: structural twins merged, the graph split into components."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from itertools import combinations
from typing import TYPE_CHECKING

from depsplit.partition.bitsets import bit_indices, bitset_digest, bitset_of

if TYPE_CHECKING:
    from depsplit.partition.model import Model


class Component:
    """One connected component, re-indexed locally by degree (highest first) for bitsets."""

    def __init__(
        self,
        nodes: list[int],
        adj: list[int],
        hyper: list[list[int]],
        weight: list[int],
        capacity: int | None,
    ) -> None:
        self.nodes = nodes
        self.adj = adj
        self.hyper = hyper  # per node: masks of the other members of each hyperedge with it
        self.weight = weight
        self.capacity = capacity

    def heuristic_k(self) -> int:
        """Colours DSATUR may need at most: a node is barred from one colour per neighbour
        and per hyperedge; with a capacity, any node may need a fresh group."""
        n = len(self.adj)
        if self.capacity is not None or n == 0:
            return max(n, 1)
        return min(
            n, max(a.bit_count() + len(h) for a, h in zip(self.adj, self.hyper, strict=True)) + 1
        )


class ReducedGraph:
    """Level-A nodes with structural twins merged, split into components.

    Neighbourhoods are bitsets worked out from the model's sides (:meth:`Model.adjacency`),
    twice: over level-A nodes (for the twins, the hyperedges and the components), then in
    each component's own order (for the search). No pair of apps is ever listed."""

    def __init__(self, model: Model) -> None:
        n_model_nodes = len(model.members)
        neighbours = model.adjacency(range(n_model_nodes), range(n_model_nodes))
        twin_of = _twins(model, neighbours)
        self.members: list[list[str]] = []
        self.weight: list[int] = []
        self.previous_group: list[str | None] = []
        self.fixed: list[str | None] = []
        reduced_node = self._merge_twins(model, twin_of)  # per model node
        n = len(self.members)
        # Reduced node r is level-A node representatives[r].
        representatives = [x for x in range(n_model_nodes) if twin_of[x] == x]
        # Twins have the same neighbours, so a neighbour's twin is a neighbour too: the
        # representatives among a node's neighbours are its reduced neighbours, one each.
        representative_mask = bitset_of(representatives, n_model_nodes)
        # In place, each bitset freed as it is replaced: never two sets of them at once.
        for x in range(n_model_nodes):
            neighbours[x] = neighbours[x] & representative_mask if twin_of[x] == x else 0
        reduced_neighbours = [neighbours[x] for x in representatives]  # level-A bits
        del neighbours
        hyper: set[tuple[int, ...]] = set()
        for h in model.hyper:
            mapped = tuple(sorted({reduced_node[x] for x in h}))
            # A hyperedge holding a conflicting pair can never be completed: drop it.
            if not any(
                reduced_neighbours[a] >> representatives[b] & 1 for a, b in combinations(mapped, 2)
            ):
                hyper.add(mapped)
        hyperedge_members: list[list[int]] = [[] for _ in range(n)]
        for h in hyper:
            for x in h:
                hyperedge_members[x].extend(h)
        if model.capacity is not None:  # joining components could overflow a group
            comp_of, comp_nodes = [0] * n, [list(range(n))] if n else []
        else:
            comp_of, comp_nodes = _connected(
                reduced_neighbours, hyperedge_members, representatives, reduced_node
            )
        degree = [reduced_neighbours[x].bit_count() + len(hyperedge_members[x]) for x in range(n)]
        del reduced_neighbours
        self.components: list[Component] = []
        local = self._build_components(model, comp_nodes, degree, representatives, reduced_node)
        for h in sorted(hyper):
            comp = self.components[comp_of[h[0]]]
            full = bitset_of([local[x] for x in h], len(comp.nodes))
            for x in h:
                comp.hyper[local[x]].append(full ^ (1 << local[x]))

    def _merge_twins(self, model: Model, twin_of: Sequence[int]) -> list[int]:
        """Fill the reduced nodes (members sorted, weight, previous group, fixed name) from
        the model's nodes, twins merged; return the reduced node of each model node."""
        reduced_index: dict[int, int] = {}
        for x in range(len(model.members)):
            r = twin_of[x]
            if r not in reduced_index:
                reduced_index[r] = len(self.members)
                self.members.append([])
                self.previous_group.append(model.previous_group[x])
                self.fixed.append(model.fixed[x])
            self.members[reduced_index[r]].extend(model.members[x])
        for m in self.members:
            m.sort()
            self.weight.append(len(m))
        return [reduced_index[twin_of[x]] for x in range(len(model.members))]

    def _build_components(
        self,
        model: Model,
        comp_nodes: Sequence[list[int]],
        degree: Sequence[int],
        representatives: Sequence[int],
        reduced_node: Sequence[int],
    ) -> list[int]:
        """One :class:`Component` per list of reduced nodes, its nodes by decreasing degree,
        with its pairwise bitsets (hyperedges are added by the caller); return each reduced
        node's index in its component."""
        local = [0] * len(self.members)
        for members in comp_nodes:
            nodes = sorted(members, key=lambda x: (-degree[x], x))
            for i, x in enumerate(nodes):
                local[x] = i
            self.components.append(
                Component(
                    nodes,
                    [],
                    [[] for _ in nodes],
                    [self.weight[x] for x in nodes],
                    model.capacity,
                )
            )
        # Each component's bitsets in its own order: a side never spans two components (its
        # apps conflict with every app of the sides opposed to it), so one pass serves all.
        adj = model.adjacency(
            representatives, [local[reduced_node[x]] for x in range(len(model.members))]
        )
        for comp in self.components:
            comp.adj = [adj[x] for x in comp.nodes]
        return local


def _twins(model: Model, neighbours: Sequence[int]) -> list[int]:
    """Per model node, the first node it is a twin of (itself when none comes before).

    Twins (same neighbours and same hyperedges up to substitution) never share a conflict and
    are interchangeable; merging them shrinks the search, above all when the caller gave no
    classes. Equal bitsets are equal neighbourhoods. With a capacity nothing is merged."""
    n_model_nodes = len(model.members)
    twin_of = list(range(n_model_nodes))
    if model.capacity is not None:
        return twin_of
    hyperedges_of: list[list[tuple[int, ...]]] = [[] for _ in range(n_model_nodes)]
    for h in sorted(model.hyper):
        for x in h:
            hyperedges_of[x].append(h)
    # Keyed by a digest of the neighbourhood, not the bitset: Python hashes an int modulo
    # 2**61 - 1, so the bitsets of a clique ("every node but x") take 61 hash values between
    # them and a dict of 50,000 of them degrades to comparing each with most others. Equal
    # digests are confirmed on the bitsets themselves.
    seen: dict[Hashable, list[int]] = {}
    for x in range(n_model_nodes):
        rests = frozenset(tuple(y for y in h if y != x) for h in hyperedges_of[x])
        sig = (bitset_digest(neighbours[x]), rests, model.previous_group[x], model.fixed[x])
        firsts = seen.setdefault(sig, [])
        for first in firsts:
            if neighbours[first] == neighbours[x]:
                twin_of[x] = first
                break
        else:
            firsts.append(x)
    return twin_of


def _connected(
    reduced_neighbours: Sequence[int],
    hyperedge_members: Sequence[list[int]],
    representatives: Sequence[int],
    reduced_node: Sequence[int],
) -> tuple[list[int], list[list[int]]]:
    """The connected components of the reduced hypergraph: the component of each reduced
    node, and each component's nodes (sorted), numbered in order of their lowest node.
    Neighbourhoods are level-A bitsets (bit ``representatives[r]`` for reduced node ``r``)."""
    n = len(reduced_neighbours)
    comp_of = [-1] * n
    comp_nodes: list[list[int]] = []
    for start in range(n):
        if comp_of[start] >= 0:
            continue
        c = len(comp_nodes)
        comp_of[start] = c
        reached = 1 << representatives[start]  # level-A bits
        todo = [start]
        found = []
        while todo:
            x = todo.pop()
            found.append(x)
            fresh = reduced_neighbours[x] & ~reached
            reached |= fresh
            for y in bit_indices(fresh):
                comp_of[reduced_node[y]] = c
                todo.append(reduced_node[y])
            for y in hyperedge_members[x]:
                if comp_of[y] < 0:
                    comp_of[y] = c
                    reached |= 1 << representatives[y]
                    todo.append(y)
        comp_nodes.append(sorted(found))
    return comp_of, comp_nodes
