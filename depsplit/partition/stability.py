"""Stability: which colour class becomes which group, keeping apps in their previous groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from depsplit.partition.reduction import Component, ReducedGraph


def place_in_slots(
    reduced: ReducedGraph,
    components: Sequence[Component],
    colourings: Sequence[list[int]],
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
    fixed_names = sorted({f for f in reduced.fixed if f is not None})
    slot_names: list[str | None] = list(fixed_names)
    if has_previous:
        score: dict[str, int] = {}
        for p, w in zip(reduced.previous_group, reduced.weight, strict=True):
            if p is not None and p not in fixed_names:
                score[p] = score.get(p, 0) + w
        keep = sorted(score, key=lambda p: (-score[p], p))[: max(0, k - len(fixed_names))]
        slot_names.extend(sorted(keep))
    slot_names.extend([None] * (k - len(slot_names)))
    slot_of_name = {name: s for s, name in enumerate(slot_names) if name is not None}
    slot = [0] * len(reduced.members)
    for comp, col in zip(components, colourings, strict=True):
        nodes = comp.nodes
        forced = [slot_of_name[f] if (f := reduced.fixed[x]) is not None else -1 for x in nodes]
        wants = [
            slot_of_name.get(p, -1) if (p := reduced.previous_group[x]) is not None else -1
            for x in nodes
        ]
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


def _kept(comp: Component, placed: Sequence[int], wants: Sequence[int]) -> int:
    return sum(w for w, p, s in zip(comp.weight, placed, wants, strict=True) if p == s)


def _map_colours(
    comp: Component, col: Sequence[int], forced: Sequence[int], wants: Sequence[int], k: int
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
    # Each colour's first node (0 for a colour no node has), in one pass over the nodes.
    first = [0] * n_colours
    seen = [False] * n_colours
    for v, c in enumerate(col):
        node = comp.nodes[v]
        if not seen[c] or node < first[c]:
            first[c], seen[c] = node, True
    free = iter([s for s in range(k) if s not in taken])
    for c in sorted(range(n_colours), key=lambda c: first[c]):
        if target[c] < 0:
            target[c] = next(free)
    return [target[c] for c in col]


def _fits(comp: Component, v: int, s: int, slot_members: list[int], slot_weight: list[int]) -> bool:
    if comp.adj[v] & slot_members[s]:
        return False
    members = slot_members[s]
    if any(not rest & ~members for rest in comp.hyper[v]):
        return False
    return comp.capacity is None or slot_weight[s] + comp.weight[v] <= comp.capacity


def _move_home(
    comp: Component, placed: list[int], forced: Sequence[int], wants: Sequence[int], k: int
) -> None:
    """Move nodes back to the slot they want while that stays valid (hill climbing)."""
    slot_members = [0] * k
    slot_weight = [0] * k
    for v, s in enumerate(placed):
        slot_members[s] |= 1 << v
        slot_weight[s] += comp.weight[v]
    moved = True
    while moved:
        moved = False
        for v, want in enumerate(wants):
            s = placed[v]
            if want < 0 or want == s or forced[v] >= 0:
                continue
            bit = 1 << v
            slot_members[s] ^= bit
            slot_weight[s] -= comp.weight[v]
            if _fits(comp, v, want, slot_members, slot_weight):
                s = want
                moved = True
            placed[v] = s
            slot_members[s] |= bit
            slot_weight[s] += comp.weight[v]


def _greedy_from_previous(
    comp: Component, forced: Sequence[int], wants: Sequence[int], k: int
) -> list[int] | None:
    """Keep the previous plan where it is still valid, then fit the rest in first-fit order;
    ``None`` when that would need more than ``k`` groups."""
    n = len(comp.adj)
    placed = [-1] * n
    slot_members = [0] * k
    slot_weight = [0] * k

    def put(v: int, s: int) -> None:
        placed[v] = s
        slot_members[s] |= 1 << v
        slot_weight[s] += comp.weight[v]

    for v, f in enumerate(forced):
        if f >= 0:
            put(v, f)
    homing = sorted(
        (v for v in range(n) if placed[v] < 0 and wants[v] >= 0), key=lambda v: (-comp.weight[v], v)
    )
    for v in homing:
        if _fits(comp, v, wants[v], slot_members, slot_weight):
            put(v, wants[v])
    for v in range(n):
        if placed[v] < 0:
            s = next((s for s in range(k) if _fits(comp, v, s, slot_members, slot_weight)), -1)
            if s < 0:
                return None
            put(v, s)
    return placed
