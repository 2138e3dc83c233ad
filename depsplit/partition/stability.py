"""Stability: which colour class becomes which group, keeping apps in their previous groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from depsplit.partition.reduction import _Component, _Reduced


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
