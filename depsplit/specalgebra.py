"""Specifier-set algebra in O(n log n) of the clauses, with packaging's answers.

packaging's ``SpecifierSet.to_range()`` and ``is_unsatisfiable()`` intersect the clauses'
ranges one at a time (``_ranges.intersect_specifier_bounds``): each ``!=`` adds a hole,
so the k-th intersection walks k intervals and n clauses cost O(n²) — 2,500 ``!=``
clauses took 6 s of an analysis, 20,000 over 300 s. Here the clauses' ranges (one
``VersionRange`` per clause, O(1) each) are intersected pairwise in a balanced tree:
O(n log n) interval steps. ``VersionRange`` intersection is packaging's own, and packaging
documents that a set's range equals the intersection of its clauses' ranges, so the
answers are packaging's (``tests/test_specalgebra.py`` compares them on random sets).

Sets of at most :data:`FEW` clauses go to packaging directly (no gain below it). A range
with a configured pre-release policy is not the intersection of its clauses' ranges, so
:func:`set_range` keeps ``prereleases=False`` sets to packaging; :func:`is_unsatisfiable`
answers them from the plain range with packaging's own rule (every interval holds
pre-releases only).

Every requirement is also bounded where it is read: :data:`MAX_CLAUSES` clauses (see
:func:`clause_problem`), so that the rest of packaging (``contains``, the resolver) never
meets a pathological set.
"""

from __future__ import annotations

from collections.abc import Iterable

from packaging.ranges import VersionRange
from packaging.specifiers import Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

try:  # packaging's rule for a set with prereleases=False (private: checked by the tests)
    from packaging._ranges import ranges_are_prerelease_only as _prerelease_only
except ImportError:  # pragma: no cover - another packaging: its own (quadratic) way
    _prerelease_only = None  # type: ignore[assignment]

FEW = 32
"""Up to this many clauses, packaging's own (quadratic) intersection is as fast."""

MAX_CLAUSES = 1000
"""The most version clauses (``>=1``, ``!=1.5``… separated by commas) one requirement may
hold; more is an input error naming the file and line (README, Limits)."""


def clause_problem(specifier: str) -> str | None:
    """Why the specifier text of one requirement is refused (too many clauses), else
    ``None``."""
    count = specifier.count(",") + 1 if specifier else 0
    if count > MAX_CLAUSES:
        return (
            f"{count} version clauses in one requirement: over depsplit's limit of "
            f"{MAX_CLAUSES} (MAX_CLAUSES)"
        )
    return None


def _clause_range(clause: Specifier) -> VersionRange:
    """The versions one clause admits (no pre-release policy). packaging keeps what it
    derives (the clause's intervals) on the ``Specifier`` itself, so a clause met again
    (the clauses of one set, judged more than once) is not worked out twice, and nothing
    is kept beyond the clause's own life."""
    return SpecifierSet((clause,)).to_range()


def _balanced(ranges: list[VersionRange]) -> VersionRange:
    while len(ranges) > 1:
        paired = [a.intersection(b) for a, b in zip(ranges[::2], ranges[1::2], strict=False)]
        if len(ranges) % 2:
            paired.append(ranges[-1])
        if any(r.is_empty for r in paired):
            return next(r for r in paired if r.is_empty)
        ranges = paired
    return ranges[0]


def set_range(
    specs: SpecifierSet | Iterable[Specifier], prereleases: bool | None = None, *, few: int = FEW
) -> VersionRange:
    """``SpecifierSet(specs, prereleases=prereleases).to_range()``, in O(n log n) (above
    ``few`` clauses)."""
    clauses = list(specs)
    if len(clauses) <= few or prereleases is not None:
        return SpecifierSet(",".join(map(str, clauses)), prereleases=prereleases).to_range()
    return _balanced([_clause_range(c) for c in clauses])


def is_unsatisfiable(
    specs: SpecifierSet | Iterable[Specifier], prereleases: bool | None = None, *, few: int = FEW
) -> bool:
    """``SpecifierSet(specs, prereleases=prereleases).is_unsatisfiable()``, in
    O(n log n) (above ``few`` clauses)."""
    clauses = list(specs)
    if (
        len(clauses) <= few
        or prereleases is True
        or _prerelease_only is None
        or any(c.operator == "===" for c in clauses)
    ):
        sset = SpecifierSet(",".join(map(str, clauses)), prereleases=prereleases)
        return sset.is_unsatisfiable()
    rng = set_range(clauses, None, few=few)
    if rng.is_empty:
        return True
    # packaging's own rule for prereleases=False: unsatisfiable when every interval of the
    # set holds pre-releases only (SpecifierSet.is_unsatisfiable).
    return prereleases is False and bool(_prerelease_only(rng._bounds))


__all__ = ["FEW", "MAX_CLAUSES", "clause_problem", "is_unsatisfiable", "plain_pin", "set_range"]


def plain_pin(spec: SpecifierSet) -> Version | None:
    """The release of a set that is one plain ``==V`` (no wildcard, no local label):
    it admits V and V's local versions alone, so two of them pinning different releases
    never meet."""
    if len(spec) != 1 or next(iter(spec)).operator != "==":
        return None
    version = next(iter(exact_pins(spec)), None)
    return version if version is not None and version.local is None else None


def exact_pins(spec: SpecifierSet) -> set[Version]:
    """The releases ``spec`` names with ``==``/``===`` (not ``==X.*``): what pins exactly.
    A ``===`` text that is not a PEP 440 version names none."""
    out = set()
    for clause in spec:
        if clause.operator in ("==", "===") and not clause.version.endswith(".*"):
            try:
                out.add(Version(clause.version))
            except InvalidVersion:
                continue
    return out
