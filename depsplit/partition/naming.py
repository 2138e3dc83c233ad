"""Group names: fixed names first, then previous names, then each group's first app."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence


def name_groups(
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
