"""Bounds and search: the maximum clique (a lower bound) and colourings with k colours."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Sequence
from heapq import heappop, heappush
from typing import Literal

from depsplit.partition.bitsets import bit_indices, bitset_of
from depsplit.partition.reduction import Component

_CLIQUE_SHARE = 0.25
"""Share of the remaining time one component's clique search may use: the clique is only a
bound, and the colouring search needs the rest."""

_PROVE_AFTER = 0.05
"""Seconds a clique search runs on its own before colourings are asked to prove its best."""

_PROOF_SHARE = 0.2
"""Share of a component's clique time that colourings may take, in all, to prove a clique
maximum (see :func:`clique_prover`); the clique search still gets all of its own."""

_Status = Literal["found", "refuted", "timeout"]


def search_components(
    components: Sequence[Component], capacity_bound: int, deadline: float
) -> tuple[int, int, list[list[int]], list[list[int]]]:
    """Colour every component with as few colours as the search proves or finds by
    ``deadline``; return the groups needed (the largest component's count), the lower bound
    proven (at least ``capacity_bound``), and per component its clique and its colouring.

    Per component: a maximum clique (a bound and the colouring search's seed) and a DSATUR
    colouring (an upper bound) always; then, largest bounds first, colourings with fewer
    colours are searched (:func:`_tighten`) while the upper bound exceeds the global lower
    bound."""
    cliques: list[list[int]] = []
    lower_bounds: list[int] = []
    upper_bounds: list[int] = []
    colourings: list[list[int]] = []
    for comp in components:
        budget = time.monotonic() + _CLIQUE_SHARE * max(0.0, deadline - time.monotonic())
        clique = max_clique(comp.adj, budget, clique_prover(comp, budget))
        cliques.append(clique)
        lower_bounds.append(max(len(clique), capacity_bound))
        status, col = colour_component(comp, comp.heuristic_k(), clique, math.inf)
        assert status == "found"
        colourings.append(col)
        upper_bounds.append(max(col, default=-1) + 1)
    lower_bound = max(lower_bounds, default=0)
    for c in sorted(range(len(components)), key=lambda c: (-lower_bounds[c], -upper_bounds[c], c)):
        lower_bound = _tighten(
            components[c],
            cliques[c],
            c,
            lower_bounds,
            upper_bounds,
            colourings,
            lower_bound,
            deadline,
        )
    return max(upper_bounds, default=0), lower_bound, cliques, colourings


def _tighten(
    comp: Component,
    clique: list[int],
    c: int,
    lower_bounds: list[int],
    upper_bounds: list[int],
    colourings: list[list[int]],
    lower_bound: int,
    deadline: float,
) -> int:
    """Search component ``c`` for colourings with fewer colours than ``upper_bounds[c]``,
    updating its entries of the lists in place; return the global lower bound, raised by
    every number of colours refuted.

    Upwards from the bound first: on real inputs the clique is usually tight and the first
    search finds a colouring. Half the time left at most, then downwards from DSATUR's count,
    which improves the plan when the bound is far off."""
    halfway = time.monotonic() + 0.5 * max(0.0, deadline - time.monotonic())
    target = max(lower_bound, lower_bounds[c])
    while upper_bounds[c] > target:
        status, col = colour_component(comp, target, clique, halfway)
        if status == "found":
            colourings[c], upper_bounds[c] = col, target
        elif status == "refuted":
            lower_bounds[c] = target + 1
            lower_bound = max(lower_bound, lower_bounds[c])
            target += 1
        else:
            break
    while upper_bounds[c] > target:
        status, col = colour_component(comp, upper_bounds[c] - 1, clique, deadline)
        if status == "found":
            colourings[c], upper_bounds[c] = col, upper_bounds[c] - 1
        elif status == "refuted":
            lower_bounds[c] = upper_bounds[c]
            lower_bound = max(lower_bound, lower_bounds[c])
        else:
            break
    return lower_bound


class _Stop(Exception):
    pass


def clique_prover(comp: Component, budget: float) -> Callable[[list[int]], bool]:
    """For :func:`max_clique`: whether the pairs of ``comp`` (hyperedges and capacity
    left out) can be coloured with as many colours as ``clique`` has members, the clique
    pre-coloured. Each attempt may take half the time left of :data:`_PROOF_SHARE` of the
    clique's time (until ``budget``): on thousands of apps one colouring proves the clique
    maximum long before the branch and bound could."""
    pairs = Component(comp.nodes, comp.adj, [[] for _ in comp.nodes], comp.weight, None)
    left = _PROOF_SHARE * max(0.0, budget - time.monotonic())

    def attempt(clique: list[int]) -> bool:
        nonlocal left
        if len(clique) == len(pairs.nodes):  # the whole component
            return True
        began = time.monotonic()
        status, _ = colour_component(pairs, len(clique), clique, began + left / 2)
        left -= time.monotonic() - began
        return status == "found"

    return attempt


def _greedy_clique(adj: Sequence[int]) -> list[int]:
    """The clique :func:`max_clique` starts from: lowest index first, then the lowest
    index among the common neighbours, and so on."""
    best: list[int] = []
    cand = (1 << len(adj)) - 1
    while cand:
        low = cand & -cand
        v = low.bit_length() - 1
        best.append(v)
        cand &= adj[v]
    return best


def max_clique(
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


class _Frame:
    __slots__ = ("cands", "cur", "i", "mark", "used", "v")

    def __init__(self, v: int, cands: list[int], mark: int, used: int) -> None:
        self.v = v
        self.cands = cands
        self.i = 0
        self.cur = -1
        self.mark = mark
        self.used = used


def colour_component(
    comp: Component, k: int, seed: Sequence[int], deadline: float
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

    Returns ``("found", colour per node)``, ``("refuted", [])`` when no colouring with ``k``
    colours exists, or ``("timeout", [])`` when ``deadline`` (``time.monotonic()``) passed
    first (checked every 256 steps of the backtracking).
    """
    if len(seed) > k:
        return "refuted", []
    state = _Colouring(comp, k)
    if not state.colour_seed(seed):
        return "refuted", []
    return _backtrack(state, deadline)


class _Colouring:
    """The state of one search for a colouring of a component with ``k`` colours, and its
    moves (:func:`colour_component`): each node's colour (``-1``: uncoloured) and domain
    (the colours it may still take, with its size), each colour's members, weight and
    domain transposed (the nodes that may still take it), and the trail of the colours
    removed from domains, by which :meth:`unassign` undoes :meth:`assign`."""

    __slots__ = (
        "adj",
        "capacity",
        "colour",
        "colour_members",
        "colour_weight",
        "domain",
        "free",
        "heap",
        "hyper",
        "k",
        "max_weight",
        "n",
        "seeding",
        "size",
        "trail",
        "uncoloured",
        "used",
        "weight",
    )

    def __init__(self, comp: Component, k: int) -> None:
        n = self.n = len(comp.adj)
        self.adj, self.hyper, self.weight, self.capacity = (
            comp.adj,
            comp.hyper,
            comp.weight,
            comp.capacity,
        )
        self.k = k
        self.max_weight = max(comp.weight, default=0)
        everyone = (1 << n) - 1
        self.domain = [(1 << k) - 1] * n  # per node: the colours it may take
        self.size = [k] * n  # per node: domain's bit count
        self.free = [everyone] * k  # per colour: the nodes that may take it (domain, transposed)
        self.colour = [-1] * n
        self.colour_members = [0] * k
        self.colour_weight = [0] * k
        self.trail: list[tuple[int, int]] = []  # (colour, the nodes that lost it)
        self.heap = [(k, v) for v in range(n)]  # sorted, hence a heap
        self.used = 0  # colours used: 0 … used - 1
        self.uncoloured = everyone
        self.seeding = 0  # seed members still to colour whose domains need no keeping

    def forbid(self, lose: int, c: int) -> bool:
        """Remove colour ``c`` from the nodes of ``lose`` (all of them holding it); False
        when one is left with no colour."""
        self.free[c] ^= lose
        self.trail.append((c, lose))
        domain = self.domain
        size = self.size
        heap = self.heap
        cbit = 1 << c
        ok = True
        for u in bit_indices(lose):
            domain[u] ^= cbit
            s = size[u] - 1
            size[u] = s
            if s:
                heappush(heap, (s, u))
            else:
                ok = False
        return ok

    def assign(self, v: int, c: int) -> bool:
        """Colour ``v`` with ``c`` and forward-check: ``c`` leaves the domains of ``v``'s
        uncoloured neighbours (but not those :attr:`seeding` holds), of a node that would
        complete a hyperedge in ``c``, and of those no longer fitting under the capacity.
        False when a domain is left empty; :meth:`unassign` undoes it either way."""
        bit = 1 << v
        self.colour[v] = c
        colour_members = self.colour_members
        members = colour_members[c] = colour_members[c] | bit
        self.colour_weight[c] += self.weight[v]
        uncoloured = self.uncoloured = self.uncoloured ^ bit
        if c == self.used:
            self.used = c + 1
        free = self.free
        lose = self.adj[v] & uncoloured & free[c] & ~self.seeding
        if lose and not self.forbid(lose, c):
            return False
        for rest in self.hyper[v]:
            missing = rest & ~members
            # One member short of the whole hyperedge: that member may not take this colour.
            if (
                missing & uncoloured
                and not missing & (missing - 1)
                and missing & free[c]
                and not self.forbid(missing, c)
            ):
                return False
        capacity = self.capacity
        if capacity is not None:
            room = capacity - self.colour_weight[c]
            if room < self.max_weight:
                weight = self.weight
                lose = 0
                for u in bit_indices(uncoloured & free[c]):
                    if weight[u] > room:
                        lose |= 1 << u
                if lose and not self.forbid(lose, c):
                    return False
        return True

    def unassign(self, v: int, c: int, mark: int, used_before: int) -> None:
        """Undo :meth:`assign` of ``c`` to ``v``: give back the colours the trail holds past
        ``mark`` (its length before), uncolour ``v``, and restore the colours used."""
        trail = self.trail
        free = self.free
        domain = self.domain
        size = self.size
        heap = self.heap
        while len(trail) > mark:
            lost, back = trail.pop()
            free[lost] |= back
            cbit = 1 << lost
            for u in bit_indices(back):
                domain[u] |= cbit
                size[u] += 1
                heappush(heap, (size[u], u))
        bit = 1 << v
        self.colour[v] = -1
        self.colour_members[c] ^= bit
        self.colour_weight[c] -= self.weight[v]
        self.uncoloured |= bit
        heappush(heap, (size[v], v))
        self.used = used_before

    def select(self) -> int:
        """The uncoloured node with the fewest colours left, the lowest index among those
        (``-1``: every node is coloured): the heap's first entry that is current (its node
        uncoloured, its size the node's); stale entries before it are dropped."""
        heap, colour, size = self.heap, self.colour, self.size
        while heap:
            s, v = heap[0]
            if colour[v] < 0 and size[v] == s:
                return v
            heappop(heap)
        return -1

    def candidates(self, v: int) -> list[int]:
        """The colours to try on ``v``, in order: the used ones in its domain, then one
        unused colour if any is left (unused colours are interchangeable)."""
        used = self.used
        d = self.domain[v] & ((1 << used) - 1)
        out = []
        while d:
            low = d & -d
            d ^= low
            out.append(low.bit_length() - 1)
        if used < self.k:
            out.append(used)
        return out

    def colour_seed(self, seed: Sequence[int]) -> bool:
        """Colour the members of ``seed`` (a clique of at most ``k`` nodes) 0, 1, … in
        order, each with its colour whatever its domain; False when that empties a domain
        (no colouring extends the seed's)."""
        # With pairs alone the seed's members can lose no more colours to each other than
        # the clique has members before them (fewer than k), so their domains need no
        # keeping meanwhile: on a clique of thousands of apps that is the difference
        # between n and n² steps. Hyperedges and a capacity may empty a member's domain (a
        # refutation), so then they are kept.
        pending = (
            bitset_of(list(seed), self.n) if not any(self.hyper) and self.capacity is None else 0
        )
        for c, v in enumerate(seed):
            self.seeding = pending = pending & ~(1 << v)
            if not self.assign(v, c):
                return False
        self.seeding = 0
        return True


def _backtrack(state: _Colouring, deadline: float) -> tuple[_Status, list[int]]:
    """Extend ``state``'s colouring to every node, as :func:`colour_component` says, by
    depth-first search on an explicit stack of :class:`_Frame`: ``("found", colour per
    node)``, ``("refuted", [])`` once every candidate colour failed, or ``("timeout", [])``
    when ``deadline`` passed."""
    assign, unassign, select, candidates = (
        state.assign,
        state.unassign,
        state.select,
        state.candidates,
    )
    trail = state.trail
    v = select()
    if v < 0:
        return "found", state.colour
    stack = [_Frame(v, candidates(v), len(trail), state.used)]
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
            return "found", state.colour
        stack.append(_Frame(v, candidates(v), len(trail), state.used))
    return "refuted", []
