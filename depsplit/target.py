"""The container's environment: Linux, one machine, one CPython minor; markers are evaluated
for it.

``SUPPORTED_PYTHONS`` are the CPython minors with official ``python:X.Y-slim`` images still
published and maintained (python.org's status page: not end-of-life). Update it when a minor
is released or reaches end of life; the newest allowed one is chosen for a group.
"""

from __future__ import annotations

from functools import lru_cache

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from depsplit.model import Target

SUPPORTED_PYTHONS: tuple[str, ...] = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
"""Oldest first. 3.9 reached end of life in October 2025 but its images still exist and
old apps pin it; it is chosen only when nothing newer is allowed."""

PLATFORMS = {"linux/amd64": "x86_64", "linux/arm64": "aarch64", "linux/arm64/v8": "aarch64"}


def marker_environment(target: Target, python: str) -> dict[str, str]:
    """The PEP 508 environment of a ``python:X.Y-slim`` container on ``target``."""
    full = f"{python}.0"
    return {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": "posix",
        "platform_machine": target.machine,
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": full,
        "python_version": python,
        "sys_platform": "linux",
    }


@lru_cache(maxsize=4096)
def _marker(text: str) -> Marker:
    return Marker(text)


def marker_applies(marker: str | None, target: Target, python: str) -> bool:
    """Whether a requirement with ``marker`` is installed in the container.

    An ``extra == "…"`` clause is evaluated with no extra requested, as pip does for a
    top-level requirement. An invalid marker raises ``InvalidMarker``.
    """
    if not marker:
        return True
    return _applies(marker, target, python)


@lru_cache(maxsize=16384)
def _applies(marker: str, target: Target, python: str) -> bool:
    # Cached: a monorepo repeats a few markers on thousands of lines (an invalid marker
    # raises InvalidMarker, and exceptions are not cached).
    env = marker_environment(target, python)
    env["extra"] = ""
    try:
        return _marker(marker).evaluate(env)
    except (UndefinedComparison, UndefinedEnvironmentName):
        # The reader reported it (marker_problem); counting the requirement errs on the
        # side of reporting a conflict rather than hiding one.
        return True


@lru_cache(maxsize=4096)
def marker_problem(marker: str) -> str | None:
    """Why ``marker`` cannot be evaluated in some container (``python_version ~= "win32"``
    parses but cannot be compared), or ``None`` when it always can."""
    try:
        parsed = _marker(marker)
    except InvalidMarker as exc:
        return str(exc).splitlines()[0]
    for platform in PLATFORMS:
        for python in SUPPORTED_PYTHONS:
            env = marker_environment(Target(platform=platform), python)
            env["extra"] = ""
            try:
                parsed.evaluate(env)
            except (UndefinedComparison, UndefinedEnvironmentName, ValueError) as exc:
                return f"cannot be evaluated: {str(exc).splitlines()[0] if str(exc) else exc}"
    return None


@lru_cache(maxsize=4096)
def specifier_set(text: str) -> SpecifierSet:
    """Parse (and cache) a specifier set string."""
    return SpecifierSet(text)


def allowed_pythons(specifier: str, candidates: tuple[str, ...] = SUPPORTED_PYTHONS) -> list[str]:
    """The candidate minors (oldest first) for which some final X.Y.z satisfies ``specifier``."""
    if not specifier:
        return list(candidates)
    return list(_allowed_pythons(specifier, tuple(candidates)))


@lru_cache(maxsize=4096)
def _allowed_pythons(specifier: str, candidates: tuple[str, ...]) -> tuple[str, ...]:
    spec = specifier_set(specifier)
    out = []
    for minor in candidates:
        # Any patch release of the minor will do: the image carries the latest one.
        window = spec & SpecifierSet(f"=={minor}.*")
        window.prereleases = False
        if not window.is_unsatisfiable():
            out.append(minor)
    return tuple(out)


def validate_platform(platform: str) -> str:
    if platform not in PLATFORMS:
        raise ValueError(f"unsupported platform {platform!r}; choose one of {', '.join(PLATFORMS)}")
    return platform


__all__ = [
    "PLATFORMS",
    "SUPPORTED_PYTHONS",
    "InvalidMarker",
    "InvalidSpecifier",
    "allowed_pythons",
    "marker_applies",
    "marker_environment",
    "marker_problem",
    "specifier_set",
    "validate_platform",
]
