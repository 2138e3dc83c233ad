"""The container's environment: Linux, one machine, one CPython minor; markers are evaluated
for it.

``SUPPORTED_PYTHONS`` are the CPython minors with an official ``python:X.Y-slim`` image:
2.7 and 3.5 onwards (3.3 and 3.4 had jessie-based images, long unmaintained: left out).
End-of-life ones stay: the legacy app on an old pin is exactly the app a container is for.
Add a minor when its first final release is out; the newest allowed one is chosen for a
group, and :func:`end_of_life` says which are past python.org's end-of-life date.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from functools import lru_cache

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from depsplit import specalgebra
from depsplit.model import App, Target

SUPPORTED_PYTHONS: tuple[str, ...] = (
    "2.7", "3.5", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14",
)  # fmt: skip
"""Oldest first. Every minor with an official ``python:X.Y-slim`` image; an older one is
chosen for a group only when nothing newer is allowed."""

END_OF_LIFE: dict[str, str] = {
    "2.7": "2020-01-01",  # PEP 373
    "3.5": "2020-09-30",  # PEP 478
    "3.6": "2021-12-23",  # PEP 494
    "3.7": "2023-06-27",  # PEP 537
    "3.8": "2024-10-07",  # PEP 569
    "3.9": "2025-10-31",  # PEP 596
    # Scheduled (PEP 602: five years after the .0), published by python.org as a month
    # only: the last day of that month, so that a date is never reported too early.
    "3.10": "2026-10-31",  # PEP 619
    "3.11": "2027-10-31",  # PEP 664
    "3.12": "2028-10-31",  # PEP 693
    "3.13": "2029-10-31",  # PEP 719
    "3.14": "2030-10-31",  # PEP 745
}
"""python.org's end-of-life date of each supported minor (devguide "Status of Python
versions", the ``release-cycle.json`` it is built from, and each minor's release PEP)."""


@lru_cache(maxsize=256)
def minor_key(minor: str) -> tuple[int, ...]:
    """Sort key of a CPython minor (``"3.9"`` before ``"3.10"``)."""
    return tuple(int(part) for part in minor.split(".") if part.isdigit())


def newest_first(minors: Iterable[str]) -> list[str]:
    """The distinct CPython minors of ``minors``, newest first (``3.10`` before ``3.9``)."""
    return sorted(set(minors), key=minor_key, reverse=True)


def span(minors: tuple[str, ...] | list[str] = SUPPORTED_PYTHONS) -> str:
    """``minors`` (oldest first) compactly: runs of consecutive minors of one major as
    ``first–last`` (``2.7, 3.5–3.14``; ``3.9``; ``3.6, 3.8–3.9``)."""
    runs: list[list[tuple[int, int]]] = []
    for text in minors:
        major, minor = (int(p) for p in text.split(".")[:2])
        if runs and runs[-1][-1] == (major, minor - 1):
            runs[-1].append((major, minor))
        else:
            runs.append([(major, minor)])
    parts = []
    for run in runs:
        first, last = run[0], run[-1]
        shown = f"{first[0]}.{first[1]}"
        parts.append(shown if first == last else f"{shown}–{last[0]}.{last[1]}")
    return ", ".join(parts)


EOL_AS_OF = "2026-12-05"
"""The day :data:`END_OF_LIFE` was last checked: the report warns about the minors whose end
of life is on or before it. A fixed date, not today's, so that the same input gives the same
report; each release of depsplit moves it forward."""


def end_of_life(minor: str, as_of: datetime.date | str) -> str | None:
    """The ISO date on which ``minor`` reached end of life, when that is on or before
    ``as_of`` (a date or an ISO ``YYYY-MM-DD`` string); ``None`` while it is supported or
    for a minor not in :data:`END_OF_LIFE`.

    A pure table lookup: the caller passes the date (``datetime.date.today()`` for a
    report, a fixed one in tests), so the same input gives the same output.
    """
    date = END_OF_LIFE.get(minor)
    if date is None:
        return None
    day = as_of if isinstance(as_of, str) else as_of.isoformat()
    datetime.date.fromisoformat(day)  # a malformed string raises ValueError
    return date if date <= day else None


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


MARKER_ERRORS = (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName)
"""What packaging raises for a marker that cannot be parsed (``Marker()``) or evaluated
(``Marker.evaluate``)."""


def marker_holds(marker: str | None, target: Target, python: str) -> bool:
    """:func:`marker_applies`, counting the requirement when its marker cannot be parsed or
    evaluated (:data:`MARKER_ERRORS`): the reader has reported such a marker
    (:func:`marker_problem`), and counting the requirement errs on the side of reporting a
    conflict rather than hiding one."""
    try:
        return marker_applies(marker, target, python)
    except MARKER_ERRORS:
        return True


MAX_MARKER_LENGTH = 10_000
"""The longest environment marker (characters) a requirement may hold; a longer one is an
input error naming the file and line (README, Limits). A marker is evaluated for every
platform and Python (30-odd times) when read: a 4.6 MB one took 83 s."""


def short(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters for a message (``…`` and the length after)."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


@lru_cache(maxsize=4096)
def marker_problem(marker: str) -> str | None:
    """Why ``marker`` cannot be evaluated in some container (``python_version ~= "win32"``
    parses but cannot be compared), or ``None`` when it always can."""
    if len(marker) > MAX_MARKER_LENGTH:
        return (
            f"{len(marker)} characters long: over depsplit's limit of {MAX_MARKER_LENGTH} "
            "(MAX_MARKER_LENGTH)"
        )
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
        window = [*spec, *SpecifierSet(f"=={minor}.*")]
        if not specalgebra.is_unsatisfiable(window, prereleases=False):
            out.append(minor)
    return tuple(out)


def app_pythons(app: App, target: Target) -> list[str]:
    """The CPython minors (oldest first) an app's container may run: those of
    :data:`SUPPORTED_PYTHONS` its Python constraints allow, or just ``target.python`` (when
    it allows it) when the target fixes one."""
    candidates = (target.python,) if target.python else SUPPORTED_PYTHONS
    if not app.python:
        # No constraint at all (most apps): every candidate, without joining an empty
        # specifier for each of thousands of apps.
        return list(candidates)
    return allowed_pythons(app.python_specifier, candidates)


def validate_python(text: object) -> str:
    """``text`` when it names a CPython minor depsplit can target (``"3.12"``: one of
    :data:`SUPPORTED_PYTHONS`, written ``X.Y``); ``ValueError`` saying what is accepted
    otherwise. The one rule for ``--python`` on every command and for the configuration's
    ``python`` and ``group_python``: ``3``, ``3.12.1`` or ``abc`` would otherwise be taken
    by one command and refused, or crash, in another."""
    if isinstance(text, str) and text in SUPPORTED_PYTHONS:
        return text
    shown = repr(text)
    if isinstance(text, str) and re.fullmatch(r"\d+\.\d+", text):
        why = "not a CPython minor with a python:X.Y-slim image"
    else:
        why = "not a CPython minor version written X.Y"
    raise ValueError(f'{shown} is {why}; choose one of {span()} (e.g. "{SUPPORTED_PYTHONS[-1]}")')


def validate_platform(platform: str) -> str:
    if platform not in PLATFORMS:
        raise ValueError(f"unsupported platform {platform!r}; choose one of {', '.join(PLATFORMS)}")
    return platform


__all__ = [
    "END_OF_LIFE",
    "MARKER_ERRORS",
    "MAX_MARKER_LENGTH",
    "PLATFORMS",
    "SUPPORTED_PYTHONS",
    "InvalidMarker",
    "InvalidSpecifier",
    "allowed_pythons",
    "app_pythons",
    "end_of_life",
    "marker_applies",
    "marker_environment",
    "marker_holds",
    "marker_problem",
    "minor_key",
    "newest_first",
    "short",
    "span",
    "specifier_set",
    "validate_platform",
    "validate_python",
]
