"""Reductions before the search: structural twins merged, the graph split into components."""

from __future__ import annotations

from collections.abc import Hashable
from itertools import combinations
from typing import TYPE_CHECKING

from depsplit.partition.bitsets import _bits, _mask

if TYPE_CHECKING:
    from depsplit.partition.model import _Model


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
