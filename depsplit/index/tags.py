"""Wheel tags a ``python:X.Y-slim`` Linux container accepts.

Two facts differ per minor. The ABI: CPython before 3.8 is built with pymalloc, so its ABI
tag carries an ``m`` (``cp37m``), and the official 2.7 image is a UCS-4 build (``cp27mu``).
The glibc: each minor's image is built on a Debian release, and the one that counts is the
release under its last (for a maintained minor: current) ``python:X.Y-slim`` image.
"""

from __future__ import annotations

from functools import lru_cache

from packaging.tags import Tag, compatible_tags, cpython_tags

from depsplit.model import Target

DEBIAN_GLIBC: dict[str, tuple[int, int]] = {
    "buster": (2, 28),  # Debian 10
    "bullseye": (2, 31),  # Debian 11
    "bookworm": (2, 36),  # Debian 12
    "trixie": (2, 41),  # Debian 13
}
"""glibc of each Debian release an official ``python`` image has been built on."""

IMAGE_DEBIAN: dict[str, str] = {
    "2.7": "buster",  # 2.7.18: 2.7/buster/slim, the last Debian variant of 2.7
    "3.5": "buster",  # 3.5.10: 3.5/buster/slim
    "3.6": "bullseye",  # 3.6.15: 3.6/bullseye/slim (bullseye listed before buster)
    "3.7": "bookworm",  # 3.7.17: 3.7/slim-bookworm
    "3.8": "bookworm",  # 3.8.20: 3.8/slim-bookworm (no trixie variant)
    "3.9": "trixie",  # 3.9/slim-trixie
    "3.10": "trixie",
    "3.11": "trixie",
    "3.12": "trixie",
    "3.13": "trixie",
    "3.14": "trixie",
}
"""The Debian release under ``python:X.Y-slim`` (docker-library/python: the default, first
listed, Debian variant of the minor's last images). A minor not listed is taken to be on
the newest release."""

GLIBC: tuple[int, int] = DEBIAN_GLIBC["trixie"]
"""glibc of the newest images (Debian trixie); see :func:`glibc_of` for a given minor."""

_LEGACY = {(2, 5): "manylinux1", (2, 12): "manylinux2010", (2, 17): "manylinux2014"}


def glibc_of(python: str) -> tuple[int, int]:
    """The glibc of the ``python:X.Y-slim`` image of ``python`` (``"3.7"`` → ``(2, 36)``)."""
    minor = ".".join(python.split(".")[:2])
    return DEBIAN_GLIBC[IMAGE_DEBIAN.get(minor, "trixie")]


def abi_of(python: str) -> str:
    """The ABI tag of the official image's CPython: ``cp27mu``, ``cp37m``, ``cp312``."""
    major, minor = (int(p) for p in python.split(".")[:2])
    pymalloc = "m" if (major, minor) < (3, 8) else ""
    ucs4 = "u" if major == 2 else ""  # the image configures 2.7 --enable-unicode=ucs4
    return f"cp{major}{minor}{pymalloc}{ucs4}"


def linux_platforms(machine: str, glibc: tuple[int, int] = GLIBC) -> list[str]:
    """Platform tags, most specific first: ``manylinux_2_41_x86_64`` … ``linux_x86_64``."""
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
    ordered = [
        # cpython_tags adds abi3 (cp32-abi3 … cpXY-abi3) for 3.x only, as pip does.
        *cpython_tags(version, abis=[abi_of(python)], platforms=platforms),
        *compatible_tags(version, interpreter=f"cp{major}{minor}", platforms=platforms),
    ]
    ranks: dict[Tag, int] = {}
    for rank, tag in enumerate(ordered):
        ranks.setdefault(tag, rank)
    return ranks


def target_tags(
    target: Target, python: str, glibc: tuple[int, int] | None = None
) -> dict[Tag, int]:
    """Accepted tag → rank (lower is preferred, as pip orders them) in the
    ``python:X.Y-slim`` image of ``python`` (its glibc unless ``glibc`` is given)."""
    return _tags(target.machine, python, glibc_of(python) if glibc is None else glibc)


def wheel_rank(tags: frozenset[Tag], target: Target, python: str) -> int | None:
    """The best rank among a wheel's tags for the target, ``None`` when it does not install."""
    ranks = target_tags(target, python)
    found = [ranks[t] for t in tags if t in ranks]
    return min(found) if found else None


__all__ = [
    "DEBIAN_GLIBC",
    "GLIBC",
    "IMAGE_DEBIAN",
    "abi_of",
    "glibc_of",
    "linux_platforms",
    "target_tags",
    "wheel_rank",
]
