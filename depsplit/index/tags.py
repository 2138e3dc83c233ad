"""Wheel tags a ``python:X.Y-slim`` Linux container accepts."""

from __future__ import annotations

from functools import lru_cache

from packaging.tags import Tag, compatible_tags, cpython_tags

from depsplit.model import Target

GLIBC: tuple[int, int] = (2, 36)
"""glibc of Debian bookworm, the base of the official ``python:X.Y-slim`` images."""

_LEGACY = {(2, 5): "manylinux1", (2, 12): "manylinux2010", (2, 17): "manylinux2014"}


def linux_platforms(machine: str, glibc: tuple[int, int] = GLIBC) -> list[str]:
    """Platform tags, most specific first: ``manylinux_2_36_x86_64`` … ``linux_x86_64``."""
    out: list[str] = []
    major, newest = glibc
    for minor in range(newest, 4, -1):
        out.append(f"manylinux_{major}_{minor}_{machine}")
        legacy = _LEGACY.get((major, minor))
        if legacy and (machine in ("x86_64", "i686") or minor >= 17):
            out.append(f"{legacy}_{machine}")
    out.append(f"linux_{machine}")
    return out


@lru_cache(maxsize=64)
def _tags(machine: str, python: str, glibc: tuple[int, int]) -> dict[Tag, int]:
    major, minor = (int(p) for p in python.split(".")[:2])
    version = (major, minor)
    platforms = linux_platforms(machine, glibc)
    interpreter = f"cp{major}{minor}"
    ordered = [
        *cpython_tags(version, abis=[interpreter], platforms=platforms),
        *compatible_tags(version, interpreter=interpreter, platforms=platforms),
    ]
    ranks: dict[Tag, int] = {}
    for rank, tag in enumerate(ordered):
        ranks.setdefault(tag, rank)
    return ranks


def target_tags(target: Target, python: str, glibc: tuple[int, int] = GLIBC) -> dict[Tag, int]:
    """Accepted tag → rank (lower is preferred, as pip orders them)."""
    return _tags(target.machine, python, glibc)


def wheel_rank(tags: frozenset[Tag], target: Target, python: str) -> int | None:
    """The best rank among a wheel's tags for the target, ``None`` when it does not install."""
    ranks = target_tags(target, python)
    found = [ranks[t] for t in tags if t in ranks]
    return min(found) if found else None


__all__ = ["GLIBC", "linux_platforms", "target_tags", "wheel_rank"]
