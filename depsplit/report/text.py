"""The human summary: headline, conflicts with origins, groups, apps, diagnostics.

The report is built as lines of styled segments. Plain text (the default, and whenever the
output is not a terminal or ``NO_COLOR`` is set) is the segments joined: byte-stable, never
wrapped, greppable. With ``color=True`` the same lines go through :mod:`rich` (imported
only then).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

# Paths and names come from the repository: a directory named "x\x1b]0;pwn\x07" must not
# drive the reader's terminal. Control characters are shown as escapes.
from depsplit.comments import comment_safe
from depsplit.model import (
    BuildFromSource,
    Conflict,
    ConflictRequirement,
    ConflictSide,
    PackageConflict,
    Plan,
)
from depsplit.package_conflicts import requirement_text, side_requirement
from depsplit.report.common import app_python, applies, conflicts_of_package, own_conflicts
from depsplit.specalgebra import plain_pin
from depsplit.target import SUPPORTED_PYTHONS, short

if TYPE_CHECKING:
    from depsplit.baseline import BaselineDiff
    from depsplit.report.interface import ReportContext

Segment = tuple[str, str]
"""A piece of text and its rich style (``""`` for none)."""
Line = list[Segment]

STYLES = {
    "headline": "bold",
    "section": "bold underline",
    "new": "bold red",
    "existing": "yellow",
    "resolved": "green",
    "kind": "magenta",
    "package": "bold",
    "app": "cyan",
    "origin": "blue",
    "dim": "dim",
    "group": "bold green",
    "error": "bold red",
    "warning": "yellow",
    "ok": "green",
}


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def conflict_summary(plan: Plan, baseline: BaselineDiff | None = None) -> str:
    """``2 conflicts`` or, against a baseline, ``2 conflicts (1 new, 1 existing, 1 resolved
    since HEAD~1)``."""
    text = plural(len(plan.conflicts), "conflict")
    if baseline is not None:
        text += (
            f" ({len(baseline.new)} new, {len(baseline.existing)} existing,"
            f" {len(baseline.resolved)} resolved since {baseline.source})"
        )
    return text


def group_summary(plan: Plan) -> str | None:
    """``2 groups (optimal)`` / ``3 groups (at least 2 needed; not proven optimal)``."""
    if not plan.groups:
        return None
    groups = plural(len(plan.groups), "group")
    p = plan.partition
    if p is not None and p.optimal:
        groups += " (optimal)"
    elif p is not None:
        groups += f" (at least {p.lower_bound} needed; not proven optimal)"
    return groups


def unverified_summary(plan: Plan) -> str | None:
    """``Python choice unverified for 2 groups``: groups whose interpreter was not checked
    against the package index (offline with a cache miss, or ``--no-index-facts``)."""
    n = sum(not g.python_verified for g in plan.groups)
    return f"Python choice unverified for {plural(n, 'group')}" if n else None


UNVERIFIED_NOTE = (
    "not checked against the package index (offline without a cached answer, or "
    "--no-index-facts); run depsplit online to check it"
)
"""Why a group's Python is unverified and what to do, after ``python X.Y unverified:``."""


def build_text(build: BuildFromSource) -> str:
    """``psycopg2 2.8.6 (no wheel for cp312 manylinux x86_64; sdist only)``."""
    return f"{build.package} {build.version} ({build.reason})"


def headline_parts(plan: Plan, baseline: BaselineDiff | None = None) -> list[str]:
    parts = [plural(len(plan.apps), "app"), conflict_summary(plan, baseline)]
    groups = group_summary(plan)
    if groups:
        parts.append(groups)
    unverified = unverified_summary(plan)
    if unverified:
        parts.append(unverified)
    if plan.unsatisfiable:
        parts.append(f"{len(plan.unsatisfiable)} unsatisfiable")
    errors = sum(d.level == "error" for d in plan.diagnostics)
    warnings = len(plan.diagnostics) - errors
    if errors:
        parts.append(plural(errors, "error"))
    if warnings:
        parts.append(plural(warnings, "warning"))
    return parts


def headline(plan: Plan, baseline: BaselineDiff | None = None) -> str:
    return "depsplit: " + ", ".join(headline_parts(plan, baseline))


def chain_text(r: ConflictRequirement) -> str:
    """``through fastapi → pydantic`` for a transitive requirement, else ``""``."""
    return f"through {' → '.join(r.chain)}" if r.chain else ""


def _conflict_lines(c: Conflict, state: str | None) -> list[Line]:
    head: Line = [("  ", "")]
    if state is not None:
        head.append((f"[{state}] ", state))
    head += [
        (f"[{c.kind}] ", "kind"),
        (c.package, "package"),
        (": ", ""),
        (", ".join(c.apps), "app"),
        (f"  ({c.id})", "dim"),
    ]
    lines = [head]
    for r in c.requirements:
        line: Line = [
            ("      ", ""),
            (r.app, "app"),
            (f": {requirement_text(r)}  ", ""),
            (r.origin.describe(), "origin"),
        ]
        if r.chain:
            line.append((f"  {chain_text(r)}", "dim"))
        lines.append(line)
    if c.message:
        lines.extend([[("      ", ""), (m, "")] for m in c.message.splitlines()])
    return lines


DETAILED_MAX = 12
"""A package with at most this many conflicts, each between single apps, is listed conflict
by conflict (requirements, origins, message); a larger one is summarized by requirement."""

SHOWN_APPS = 3
"""Apps named per requirement in a summary, before ``and N more``."""


def _side_apps(c: Conflict) -> tuple[tuple[str, ...], ...]:
    return getattr(c, "members", ()) or tuple((a,) for a in c.apps)


def _package_blocks(conflicts: Sequence[Conflict]) -> list[tuple[str, list[Conflict]]]:
    """Conflicts grouped by package (python first), in the plan's order."""
    blocks: dict[str, list[Conflict]] = {}
    for c in conflicts:
        key = canonicalize_name(c.package) if c.kind != "python" else "\0python"
        blocks.setdefault(key, []).append(c)
    return [(cs[0].package, cs) for cs in blocks.values()]


def _summary_lines(
    package: str, conflicts: list[Conflict], state_of: Callable[[Conflict], str | None]
) -> list[Line]:
    """One package's conflicts, by requirement: each distinct requirement once, with how many
    apps hold it and the first of them, then one line per conflict naming the requirements."""
    sides: dict[tuple[str, ...], int] = {}
    spec_of: dict[tuple[str, ...], str] = {}
    origin_of: dict[tuple[str, ...], str] = {}
    for c in conflicts:
        by_app = {r.app: r for r in c.requirements}
        for rep, side in zip(c.apps, _side_apps(c), strict=True):
            if side not in sides:
                sides[side] = len(sides) + 1
                reqs = [r for r in c.requirements if r.app == rep]
                spec_of[side] = ",".join(dict.fromkeys(requirement_text(r) for r in reqs)) or (
                    "(any version)"
                )
                origin_of[side] = by_app[rep].origin.describe() if rep in by_app else ""
    apps = {a for side in sides for a in side}
    out: list[Line] = [
        [
            ("  ", ""),
            (package, "package"),
            (
                f": {plural(len(conflicts), 'conflict')} between "
                f"{plural(len(sides), 'requirement')} of {plural(len(apps), 'app')}",
                "",
            ),
        ]
    ]
    for side, number in sides.items():
        out.append(_side_line(number, spec_of[side], side, origin_of[side]))
    # Which requirements clash: pairs as a list of partners per requirement, the rest (a
    # requirement that cannot be met alone, N-way sets, new or resolved ones) one per line.
    partners: dict[int, list[int]] = {}
    listed: list[Conflict] = []
    for c in conflicts:
        numbers = [sides[side] for side in _side_apps(c)]
        state = state_of(c)
        if len(numbers) == 2 and state in (None, "existing"):
            a, b = sorted(numbers)
            partners.setdefault(a, []).append(b)
        else:
            listed.append(c)
    for number, others in sorted(partners.items()):
        out.append(
            [
                ("      ", ""),
                (f"#{number} ", "dim"),
                ("cannot share a container with ", ""),
                (", ".join(f"#{o}" for o in sorted(others)), ""),
            ]
        )
    out.extend(_set_line(c, [sides[side] for side in _side_apps(c)], state_of(c)) for c in listed)
    return out


def _side_line(number: int, spec: str, apps: tuple[str, ...], origin: str) -> Line:
    """``#1 ==1.26.1: 2 apps: app1 (app1/requirements.txt:1), app5``."""
    more = len(apps) - SHOWN_APPS
    names = ", ".join(apps[1:SHOWN_APPS])
    line: Line = [
        ("      ", ""),
        (f"#{number} ", "dim"),
        (f"{spec}: {plural(len(apps), 'app')}: ", ""),
        (apps[0], "app"),
        (f" ({origin})" if origin else "", "origin"),
    ]
    if names:
        line.append((", " + names, "app"))
    if more > 0:
        line.append((f" and {more} more", "dim"))
    return line


def _set_line(c: Conflict, numbers: Sequence[int], state: str | None) -> Line:
    """A set of requirements that cannot share a container, by their numbers: ``#2 × #3 ×
    #4 together (every two of them can be met)``, ``#1 cannot be met even alone``."""
    line: Line = [("      ", "")]
    if state is not None:
        line.append((f"[{state}] ", state))
    numbers_text = " × ".join(f"#{n}" for n in numbers)
    if len(c.apps) == 1:
        numbers_text += " cannot be met even alone"
    elif len(c.apps) > 2:
        numbers_text += " together (every two of them can be met)"
    line += [(f"[{c.kind}] ", "kind"), (numbers_text, ""), (f"  ({c.id})", "dim")]
    return line


def _conflicts_section(
    conflicts: Sequence[Conflict],
    state_of: Callable[[Conflict], str | None],
    details: bool = False,
) -> list[Line]:
    return list(_conflict_lines_of(conflicts, state_of, details))


def _conflict_lines_of(
    conflicts: Sequence[Conflict],
    state_of: Callable[[Conflict], str | None],
    details: bool = False,
) -> Iterator[Line]:
    """The conflicts section's lines, package by package, made as they are read (the
    summary report stops once it has seen more than it shows)."""
    # With a baseline, what the change introduces comes first: the packages with a new
    # conflict, and within a package its new conflicts (otherwise the order is kept).
    blocks = sorted(
        _package_blocks(conflicts), key=lambda b: not any(state_of(c) == "new" for c in b[1])
    )
    for package, block in blocks:
        block = sorted(block, key=lambda c: state_of(c) != "new")
        small = len(block) <= DETAILED_MAX and all(
            all(len(side) == 1 for side in _side_apps(c)) for c in block
        )
        detailed = details or small
        if detailed:
            for c in block:
                yield from _conflict_lines(c, state_of(c))
        else:
            yield from _summary_lines(package, block, state_of)


def _package_conflict_lines(plan: Plan, details: bool = False) -> Iterator[Line]:
    """The conflicts section without a baseline, package by package, from the package
    conflicts and made as they are read: a package with few conflicts between single apps
    (or every package, with ``details``) lists them one by one (made for that package
    alone), a larger one by requirement."""
    for package, block in blocks_of_packages(plan.package_conflicts):
        count = sum(conflict.count for conflict in block)
        small = count <= DETAILED_MAX and all(
            len(side.apps) == 1 for conflict in block for side in conflict.sides
        )
        if details or small:
            for c in conflicts_of_package(plan.conflicts, block[0]):
                yield from _conflict_lines(c, None)
        else:
            yield from _package_summary_lines(package, block, count, plan.conflicts)


def _package_summary_lines(
    package: str, block: list[PackageConflict], count: int, conflicts: Sequence[Conflict]
) -> Iterator[Line]:
    """One package's conflicts by requirement: each distinct requirement once (numbered in
    the package's order of sides), with how many apps hold it and the first of them, then
    which requirements cannot share a container, then the sets of one or of three and more
    requirements, one per line."""
    numbers: dict[tuple[str, ...], int] = {}
    shown: list[ConflictSide] = []
    for conflict in block:
        for side in conflict.sides:
            if side.apps not in numbers:
                numbers[side.apps] = len(shown) + 1
                shown.append(side)
    apps = {a for side in shown for a in side.apps}
    yield [
        ("  ", ""),
        (package, "package"),
        (
            f": {plural(count, 'conflict')} between {plural(len(shown), 'requirement')} "
            f"of {plural(len(apps), 'app')}",
            "",
        ),
    ]
    for side in shown:
        yield _side_line(numbers[side.apps], side_requirement(side), side.apps, _side_origin(side))
    partners: dict[int, set[int]] = {}
    for conflict in block:
        for clique in conflict.pairs:
            held = sorted(numbers[conflict.sides[i].apps] for i in clique)
            for n, first in enumerate(held[:-1]):
                partners.setdefault(first, set()).update(held[n + 1 :])
    for number, others in sorted(partners.items()):
        yield [
            ("      ", ""),
            (f"#{number} ", "dim"),
            ("cannot share a container with ", ""),
            (", ".join(f"#{o}" for o in sorted(others)), ""),
        ]
    for c in conflicts_of_package(conflicts, block[0], pairs=False):
        yield _set_line(c, [numbers[side] for side in _side_apps(c)], None)


SUMMARY_PACKAGES = 20
"""Packages listed in the default report's "Packages that split apps"; ``-v`` lists all."""

SUMMARY_SIDES = 3
"""Requirements named per package in that list, the most held first."""

SUMMARY_APPS = 6
"""Apps named per group in the default report."""

SUMMARY_DETAIL_LINES = 40
"""The conflicts in full are in the default report too when they take at most this many
lines (a small repository); beyond, ``-v``."""

SUMMARY_APART = 6
"""Packages named per group as keeping it apart, in the default report."""

SUMMARY_SPLITS_GROUPS = 10
"""Up to this many groups, each says which packages keep it apart (``-v`` always)."""

SUMMARY_WARNINGS = 10
"""Warnings listed in the default report (errors always are)."""


@dataclass
class PackageSplit:
    """One package's conflicts read as what a person acts on: its distinct requirements
    (each with the apps holding it), how many groups it forces on its own, how many apps it
    touches, and the version most of them could share."""

    package: str
    kind: str
    sides: list[tuple[str, tuple[str, ...], str]]
    """``(requirement, apps, first origin)``, the most held first."""
    forced: int
    apps: int
    share: tuple[str, int] | None
    """The version (a CPython minor for ``python``) most of these apps allow, and how many."""


def _forced(cliques: Iterable[Sequence[int]], count: int, nway: bool) -> int:
    """A lower bound of the groups one package forces: a clique of pairwise conflicting
    requirements (of ``count``; ``cliques``: lists of them that pairwise conflict), grown
    greedily from the most conflicting (exact for pins, which all conflict); 2 when only
    an N-way set conflicts. Neighbours are bitsets: linear in the lists, not in their
    pairs."""
    neighbours = [0] * count
    for clique in cliques:
        mask = 0
        for node in clique:
            mask |= 1 << node
        for node in clique:
            neighbours[node] |= mask & ~(1 << node)
    chosen, size = 0, 0
    for node in sorted(range(count), key=lambda n: (-neighbours[n].bit_count(), n)):
        if neighbours[node] & chosen == chosen:
            chosen |= 1 << node
            size += 1
    return max(size if size > 1 else 1, 2 if nway else 1)


def _share(kind: str, sides: list[tuple[str, tuple[str, ...], str]]) -> tuple[str, int] | None:
    """The version that the most apps' requirements allow, among the versions they name
    (the CPython minors for ``python``); ties go to the newer."""
    parsed: list[tuple[SpecifierSet, int]] = []
    # A plain ``==V`` admits V alone (and V's local versions, never a candidate): those
    # are counted per release, not asked of every candidate (1,000 pins: 10**6 checks).
    pinned: dict[Version, int] = {}
    candidates: set[str] = set(SUPPORTED_PYTHONS) if kind == "python" else set()
    for text, apps, _ in sides:
        spec = text.split(" ; ", 1)[0]
        try:
            specifiers = SpecifierSet(spec if spec != "(any version)" else "")
        except InvalidSpecifier:  # a URL, or an arbitrary-equality string: no version line
            continue
        pin = plain_pin(specifiers)
        if pin is not None:
            pinned[pin] = pinned.get(pin, 0) + len(apps)
        else:
            parsed.append((specifiers, len(apps)))
        if kind != "python":
            candidates |= {s.version for s in specifiers if not s.version.endswith(".*")}
    best: tuple[int, Version, str] | None = None
    for candidate in candidates:
        try:
            version = Version(candidate)
        except InvalidVersion:
            continue
        held = pinned.get(version, 0) + sum(
            n for specifiers, n in parsed if specifiers.contains(version, prereleases=True)
        )
        if held and (best is None or (held, version) > best[:2]):
            best = (held, version, candidate)
    return (best[2], best[0]) if best is not None else None


def package_splits(packages: Iterable[PackageConflict]) -> list[PackageSplit]:
    """Per package (its version and URL conflicts together), from its package conflicts;
    the packages that force the most groups first, then those touching the most apps."""
    out = []
    for package, block in blocks_of_packages(packages):
        index: dict[tuple[str, ...], int] = {}
        sides: list[tuple[str, tuple[str, ...], str]] = []
        cliques: list[list[int]] = []
        nway = False
        for conflict in block:
            numbers = []
            for side in conflict.sides:
                number = index.get(side.apps)
                if number is None:
                    number = index[side.apps] = len(sides)
                    sides.append((side_requirement(side), side.apps, _side_origin(side)))
                numbers.append(number)
            cliques.extend([numbers[a] for a in clique] for clique in conflict.pairs)
            nway = nway or any(len(entry) > 2 for entry in conflict.sets)
        apps = len({a for _, holders, _ in sides for a in holders})
        # Shown by requirement text: sides that differ only in what the text does not show
        # (the Pythons their apps allow) are one entry.
        merged: dict[str, tuple[tuple[str, ...], str]] = {}
        for text, holders, origin in sides:
            held, first = merged.get(text, ((), origin))
            merged[text] = (tuple(sorted({*held, *holders})), first)
        ordered = sorted(
            ((text, held, origin) for text, (held, origin) in merged.items()),
            key=lambda s: (-len(s[1]), s[1]),
        )
        kind = block[0].kind
        share = _share(kind, ordered) if kind in ("version", "python") else None
        out.append(
            PackageSplit(package, kind, ordered, _forced(cliques, len(sides), nway), apps, share)
        )
    out.sort(key=lambda p: (-p.forced, -p.apps, canonicalize_name(p.package)))
    return out


def blocks_of_packages(
    packages: Iterable[PackageConflict],
) -> list[tuple[str, list[PackageConflict]]]:
    """Package conflicts grouped by package (a version and a URL conflict on one package
    together; python first), in their order; each block named as its first."""
    blocks: dict[str, list[PackageConflict]] = {}
    for conflict in packages:
        key = canonicalize_name(conflict.package) if conflict.kind != "python" else "\0python"
        blocks.setdefault(key, []).append(conflict)
    return [(block[0].package, block) for block in blocks.values()]


def _side_origin(side: ConflictSide) -> str:
    return side.requirements[0].origin.describe() if side.requirements else ""


def _split_line(split: PackageSplit) -> Line:
    """One line: how many groups the package forces, its distinct requirements (the most
    held first, with how many apps hold each), the version most apps could share."""
    shown = ", ".join(f"{text} ({len(apps)})" for text, apps, _ in split.sides[:SUMMARY_SIDES])
    more = len(split.sides) - SUMMARY_SIDES
    if more > 0:
        shown += f" and {more} more"
    line: Line = [
        ("  ", ""),
        (split.package, "package"),
        (f": forces {plural(split.forced, 'group')}; ", ""),
        (f"{plural(split.apps, 'app')} on {plural(len(split.sides), 'requirement')}: ", ""),
        (shown, "dim"),
    ]
    if split.share is not None and split.share[1] > 1:
        version, held = split.share
        line.append((f"; most could share {version} ({held} of {split.apps})", ""))
    return line


def _fewer_section(fewer: Sequence[str] | None) -> list[Line]:
    """``analyze --suggest``: the "Fewer containers" section (lines made by
    :func:`depsplit.suggest.report_lines`)."""
    if fewer is None:
        return []
    out: list[Line] = [[("Fewer containers (verified edits)", "section")]]
    out.extend([[("  ", ""), (line, "")] for line in fewer])
    out.append([])
    return out


def summary_lines(
    plan: Plan,
    baseline: BaselineDiff | None = None,
    closing: str | None = None,
    fewer: Sequence[str] | None = None,
) -> list[Line]:
    """The default report, summary first: the headline, the apps left without a container
    and why, one entry per package that splits apps (most groups forced first), the
    groups, what changed since the baseline, the errors (and the first warnings), then a
    closing line with the verdict. ``-v`` (:func:`lines` with ``details``) has the rest."""
    out: list[Line] = [[(headline(plan, baseline), "headline")], []]
    out.extend(_unsatisfiable_summary(plan))
    lines_of = (
        _conflict_lines_of(plan.conflicts, baseline.state)
        if baseline is not None
        else _package_conflict_lines(plan)
    )
    detail = list(itertools.islice(lines_of, SUMMARY_DETAIL_LINES + 1))
    fits = len(detail) <= SUMMARY_DETAIL_LINES
    if baseline is not None and baseline.new and not fits:
        # What a pull request introduces, in full, before the summary of the rest.
        out.append([(f"New since {baseline.source}", "section")])
        out.extend(_conflicts_section(tuple(baseline.new), baseline.state))
        out.append([])
    out.extend(_packages_summary(plan))
    out.extend(_fewer_section(fewer))
    if plan.conflicts:
        if fits:
            out += [[("Conflicts", "section")], *detail, []]
        else:
            hint = "Every conflict with its files and lines: depsplit analyze -v"
            out += [[(hint, "dim")], []]
    if baseline is not None and baseline.resolved and fits:
        out.append([(f"Resolved since {baseline.source}", "section")])
        out.extend(_conflicts_section(baseline.resolved, lambda c: "resolved"))
        out.append([])
    elif baseline is not None and baseline.resolved:
        resolved = plural(len(baseline.resolved), "conflict")
        out.append([(f"{resolved} resolved since {baseline.source}", "ok")])
        out.append([])
    out.extend(_groups_summary(plan))
    if baseline is not None and baseline.groups:
        out.append([(f"Group changes since {baseline.source}", "section")])
        out.extend([[("  ", ""), (text, "")] for text in group_change_lines(baseline)])
        out.append([])
    if baseline is not None and baseline.baseline_errors:
        out.append([(_baseline_errors_note(baseline), "warning")])
        out.append([])
    if plan.skipped:
        out.extend(_skipped_lines(plan, SUMMARY_WARNINGS))
        out.append([])
    out.extend(_diagnostics_summary(plan))
    if closing:
        out.append([(closing, "headline")])
    elif out[-1] == []:
        out.pop()
    return out


def _unsatisfiable_summary(plan: Plan) -> list[Line]:
    """The apps left without a container, each with the first line of why."""
    if not plan.unsatisfiable:
        return []
    out: list[Line] = [[("Apps that cannot be installed even alone:", "error")]]
    why = own_conflicts(plan)
    for name in plan.unsatisfiable:
        own = why[name]
        reason = f": {short(own[0].message.splitlines()[0], 160)}" if own else ""
        out.append([("  ", ""), (name, "app"), (reason, "")])
    out.append([])
    return out


def _packages_summary(plan: Plan) -> list[Line]:
    """One line per package that splits apps, most groups forced first (the first
    ``SUMMARY_PACKAGES``)."""
    if not plan.conflicts:
        return []
    splits = package_splits(plan.package_conflicts)
    out: list[Line] = [[("Packages that split apps (most groups forced first)", "section")]]
    out.extend(_split_line(split) for split in splits[:SUMMARY_PACKAGES])
    if len(splits) > SUMMARY_PACKAGES:
        more = len(splits) - SUMMARY_PACKAGES
        out.append([(f"  and {more} more packages (-v lists them)", "dim")])
    out.append([])
    return out


def _groups_summary(plan: Plan) -> list[Line]:
    """Each group: its Python, its first apps, what it builds from source and, when the
    groups are few, the packages that keep it apart."""
    if not plan.groups:
        return []
    out: list[Line] = [[("Groups", "section")]]
    for g in plan.groups:
        python = g.python if g.python_verified else f"{g.python}, unverified"
        names = ", ".join(g.apps[:SUMMARY_APPS])
        line: Line = [("  ", ""), (g.name, "group"), (f" (python {python}): ", "")]
        line.append((names, "app"))
        if len(g.apps) > SUMMARY_APPS:
            line.append((f" and {len(g.apps) - SUMMARY_APPS} more", "dim"))
        out.append(line)
        if g.builds:
            built = ", ".join(f"{b.package} {b.version}" for b in g.builds)
            out.append([("      builds from source: ", ""), (built, "package")])
        if g.splits and len(plan.groups) <= SUMMARY_SPLITS_GROUPS:
            apart = ", ".join(g.splits[:SUMMARY_APART])
            if len(g.splits) > SUMMARY_APART:
                apart += f" and {len(g.splits) - SUMMARY_APART} more"
            out.append([(f"      kept apart from other groups by: {apart}", "dim")])
    out.append([])
    return out


def _diagnostics_summary(plan: Plan) -> list[Line]:
    """Every error, and the first ``SUMMARY_WARNINGS`` warnings."""
    errors = [d for d in plan.diagnostics if d.level == "error"]
    warnings = [d for d in plan.diagnostics if d.level != "error"]
    if not errors and not warnings:
        return []
    out: list[Line] = [[("Diagnostics", "section")]]
    out.extend([[("  ", ""), (str(d), d.level)] for d in errors])
    out.extend([[("  ", ""), (str(d), d.level)] for d in warnings[:SUMMARY_WARNINGS]])
    if len(warnings) > SUMMARY_WARNINGS:
        more = len(warnings) - SUMMARY_WARNINGS
        out.append([(f"  and {plural(more, 'more warning')} (-v lists them)", "dim")])
    out.append([])
    return out


def lines(
    plan: Plan,
    baseline: BaselineDiff | None = None,
    details: bool = False,
    closing: str | None = None,
    fewer: Sequence[str] | None = None,
) -> list[Line]:
    """The whole report (``-v``): every conflict, group, app and diagnostic; ``details``
    lists every conflict in full instead of a summary per package with many."""
    out: list[Line] = [[(headline(plan, baseline), "headline")], []]
    out.extend(_unsatisfiable_section(plan))
    out.extend(_full_conflict_sections(plan, baseline, details))
    out.extend(_fewer_section(fewer))
    out.extend(_full_groups_section(plan))
    if baseline is not None and baseline.groups:
        out.append([(f"Group changes since {baseline.source}", "section")])
        out.extend([[("  ", ""), (text, "")] for text in group_change_lines(baseline)])
        out.append([])
    out.extend(_full_apps_section(plan))
    out.extend(_full_report_tail(plan, baseline))
    if closing:
        out += [[], [(closing, "headline")]]
    return out


def _unsatisfiable_section(plan: Plan) -> list[Line]:
    """The apps that cannot be installed even alone, followed by a blank line; nothing
    when every app installs."""
    if not plan.unsatisfiable:
        return []
    out: list[Line] = [[("Apps that cannot be installed even alone:", "error")]]
    out.extend([[("  ", ""), (name, "app")] for name in plan.unsatisfiable])
    out.append([])
    return out


def _full_conflict_sections(plan: Plan, baseline: BaselineDiff | None, details: bool) -> list[Line]:
    """The "Conflicts" section (each marked with its state against ``baseline``; in full
    when ``details``) and the "Resolved since" section; each only when it has entries,
    and each followed by a blank line."""
    out: list[Line] = []
    if plan.conflicts:
        out.append([("Conflicts", "section")])
        if baseline is not None:
            out.extend(_conflicts_section(plan.conflicts, baseline.state, details))
        else:
            out.extend(_package_conflict_lines(plan, details))
        out.append([])
    if baseline is not None and baseline.resolved:
        out.append([(f"Resolved since {baseline.source}", "section")])
        out.extend(_conflicts_section(baseline.resolved, lambda c: "resolved"))
        out.append([])
    return out


def _full_groups_section(plan: Plan) -> list[Line]:
    """The "Groups" section in full: every group with its python, apps, source builds
    and every package keeping it apart, followed by a blank line; nothing without
    groups."""
    if not plan.groups:
        return []
    out: list[Line] = [[("Groups", "section")]]
    for g in plan.groups:
        out.append(
            [
                ("  ", ""),
                (g.name, "group"),
                (f" (python {g.python}): ", ""),
                (", ".join(g.apps), "app"),
            ]
        )
        if not g.python_verified:
            out.append([(f"      python {g.python} unverified: {UNVERIFIED_NOTE}", "warning")])
        out.extend(
            [("      builds from source: ", ""), (build_text(b), "package")] for b in g.builds
        )
        if g.splits:
            out.append([("      kept apart from other groups by: " + ", ".join(g.splits), "dim")])
    out.append([])
    return out


def _full_apps_section(plan: Plan) -> list[Line]:
    """The "Apps" section: one line per app (path, python, requirement counts) and one
    with its sources, names padded to the longest; "(no apps found)" without apps. No
    trailing blank line."""
    out: list[Line] = [[("Apps", "section")]]
    width = max((len(a.name) for a in plan.apps), default=0)
    for app in plan.apps:
        python = app.python_specifier or "any"
        prod = sum(applies(plan, app, r, app_python(plan, app)) for r in app.requirements)
        other = sum(r.role in ("dev", "optional") for r in app.requirements)
        extra = f", {other} dev/optional" if other else ""
        sources = ", ".join(app.sources) or "(none)"
        out.append(
            [
                ("  ", ""),
                (f"{app.name:<{width}}", "app"),
                (f"  {app.path}  python {python}  {plural(prod, 'requirement')}{extra}", ""),
            ]
        )
        out.append([(f"  {'':<{width}}  sources: {sources}", "dim")])
    if not plan.apps:
        out.append([("  (no apps found)", "dim")])
    return out


def _full_report_tail(plan: Plan, baseline: BaselineDiff | None) -> list[Line]:
    """What follows the apps: the skipped directories, the note on baseline input
    errors and every diagnostic, each present part preceded by a blank line."""
    out: list[Line] = []
    if plan.skipped:
        out.append([])
        out.extend(_skipped_lines(plan))
    if baseline is not None and baseline.baseline_errors:
        out.append([])
        out.append([(_baseline_errors_note(baseline), "warning")])
    if plan.diagnostics:
        out.append([])
        out.append([("Diagnostics", "section")])
        out.extend([[("  ", ""), (str(d), d.level)] for d in plan.diagnostics])
    return out


def _baseline_errors_note(baseline: BaselineDiff) -> str:
    return (
        f"Note: the baseline ({baseline.source}) had "
        f"{plural(baseline.baseline_errors, 'input error')}; "
        "its conflict list may be incomplete."
    )


def _skipped_lines(plan: Plan, limit: int | None = None) -> list[Line]:
    """The directories not searched, with why (the first ``limit`` of them)."""
    shown = plan.skipped if limit is None else plan.skipped[:limit]
    width = max(len(s.path) for s in shown)
    out: list[Line] = [[("Not searched", "section")]]
    out.extend([[("  ", ""), (f"{s.path:<{width}}  {s.reason}", "dim")] for s in shown])
    if len(plan.skipped) > len(shown):
        out.append([(f"  and {len(plan.skipped) - len(shown)} more (-v lists them)", "dim")])
    return out


def group_change_lines(baseline: BaselineDiff) -> list[str]:
    """One sentence per change: groups renamed; apps moved, added or removed; groups added
    or removed."""
    changes = baseline.groups
    out = [f"group {old} is now named {new}" for old, new in changes.renamed]
    for m in changes.moved:
        if m.before is None:
            out.append(f"{m.app}: new app, in group {m.after}")
        elif m.after is None:
            out.append(f"{m.app}: removed (was in group {m.before})")
        else:
            out.append(f"{m.app}: moved from group {m.before} to group {m.after}")
    out += [f"group {g.name} added (python {g.python}): {', '.join(g.apps)}" for g in changes.added]
    out += [f"group {g.name} removed (was: {', '.join(g.apps)})" for g in changes.removed]
    return out


def render(
    plan: Plan,
    *,
    baseline: BaselineDiff | None = None,
    color: bool = False,
    width: int = 100,
    details: bool = False,
    closing: str | None = None,
    fewer: Sequence[str] | None = None,
) -> str:
    """The report as text; ANSI-styled through rich when ``color``. Summary first
    (:func:`summary_lines`); with ``details`` (``-v``) the whole report, every conflict in
    full (:func:`lines`). ``closing``: the verdict line that ends it."""
    if details:
        report = lines(plan, baseline, True, closing, fewer)
    else:
        report = summary_lines(plan, baseline, closing, fewer)
    try:
        from rich.console import Console
        from rich.text import Text
    except ImportError:  # pragma: no cover - rich is a dependency; plain text without it
        color = False
    if not color:
        return "".join("".join(comment_safe(text) for text, _ in line) + "\n" for line in report)

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=True,
        no_color=False,
        width=width,
        soft_wrap=True,
        highlight=False,
        markup=False,
        emoji=False,
    )
    for line in report:
        text = Text()
        for piece, style in line:
            text.append(comment_safe(piece), style=STYLES.get(style, ""))
        console.print(text)
    return buffer.getvalue()


def render_report(plan: Plan, context: ReportContext) -> str:
    """The :class:`~depsplit.report.interface.Renderer` of ``--format text`` (the default)."""
    return render(
        plan,
        baseline=context.baseline,
        color=context.color,
        details=context.details,
        closing=context.closing,
        fewer=context.fewer_lines,
    )
