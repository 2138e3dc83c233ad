"""GitHub Actions workflow commands: an annotation on the requirement lines of conflicts, on
every diagnostic, and a notice per directory not searched; then the headline
as a plain log line.

One annotation per requirement line taking part in conflicts (naming what it conflicts
with), at most :data:`MAX_ANNOTATIONS` (GitHub shows only the first few of a step), then a
notice counting the rest. Against a baseline only the lines of new conflicts are annotated
(``::error``) and the existing conflicts are counted in one notice, so a pull request is
annotated with exactly what it introduced. The Markdown summary for
``$GITHUB_STEP_SUMMARY`` is written by the CLI (renderers do not write files).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from depsplit.model import Conflict, ConflictRequirement, Origin, PackageConflict, Plan
from depsplit.package_conflicts import SidePartners, requirement_text
from depsplit.report import text as text_report
from depsplit.report.common import conflicts_of_package

if TYPE_CHECKING:
    from depsplit.baseline import BaselineDiff
    from depsplit.report.interface import ReportContext


def escape_data(text: str) -> str:
    """The message part of a workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (``file=``, ``title=`` …) of a workflow command."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props: str | int | None) -> str:
    """``::name key=value,…::message`` with everything escaped; ``None`` values left out."""
    given = [
        f"{key}={escape_property(str(value))}" for key, value in props.items() if value is not None
    ]
    head = f"::{name} {','.join(given)}" if given else f"::{name}"
    return f"{head}::{escape_data(message)}"


def _path(origin_file: str, prefix: str) -> str:
    prefix = prefix.strip("/")
    return f"{prefix}/{origin_file}" if prefix else origin_file


MAX_ANNOTATIONS = 50
"""Conflict annotations written at most (GitHub shows 10 errors and 10 warnings per step and
50 annotations per job); the rest are counted in one notice that says where to see them."""

MAX_PARTNERS = 5
"""Conflicting requirements named in one annotation; the rest are counted."""


@dataclass
class _Side:
    """One requirement line taking part in conflicts: one annotation."""

    requirement: ConflictRequirement
    package: str
    kinds: set[str] = field(default_factory=set)
    partners: dict[tuple[str, str, str], None] = field(default_factory=dict)
    messages: dict[str, None] = field(default_factory=dict)
    new: bool = False
    conflicts: int = 0
    """Without ``messages`` (read from a package conflict): how many conflicts it is in."""


def _sides(conflicts: Sequence[Conflict], new_ids: AbstractSet[str] | None) -> list[_Side]:
    """Every requirement line of ``conflicts`` once (by file, line, app and package), with
    everything it conflicts with; new ones first (then in the plan's order)."""
    sides: dict[tuple[str, int | None, str, str], _Side] = {}
    for c in conflicts:
        for i, r in enumerate(c.requirements):
            key = (r.origin.file, r.origin.line, r.app, c.package)
            side = sides.get(key)
            if side is None:
                side = sides[key] = _Side(r, c.package)
            side.kinds.add(c.kind)
            side.new = side.new or (new_ids is not None and c.id in new_ids)
            if c.message:
                side.messages[c.message] = None
            for j, o in enumerate(c.requirements):
                if j != i:
                    side.partners[(o.app, _partner_text(o), c.id)] = None
    ordered = list(sides.values())
    ordered.sort(key=lambda s: not s.new)
    return ordered


def _partner_text(r: ConflictRequirement) -> str:
    """How an annotation names a line its own clashes with: ``app: requirement (origin)``."""
    return f"{r.app}: {requirement_text(r)} ({r.origin})"


LARGE_PACKAGE = 1000
"""A package with more conflicts than this is annotated from its package conflict (its
sides and which of them clash) instead of conflict by conflict."""


def _plan_sides(plan: Plan) -> list[_Side]:
    """:func:`_sides` of the plan's conflicts without a baseline, package by package: a
    package's conflicts are made for it alone, or, past :data:`LARGE_PACKAGE` of them (N
    apps on N pins of one package), its lines are read from the package conflict in the
    order of their apps, the first :data:`MAX_ANNOTATIONS` with what they clash with."""
    out: list[_Side] = []
    for _, block in text_report.blocks_of_packages(plan.package_conflicts):
        if sum(p.count for p in block) <= LARGE_PACKAGE:
            out.extend(_sides(conflicts_of_package(plan.conflicts, block[0]), None))
            continue
        for package in block:
            out.extend(_package_sides(package, MAX_ANNOTATIONS - len(out)))
    return out


def _package_sides(package: PackageConflict, detailed: int) -> list[_Side]:
    """One :class:`_Side` per line of each side's first app, by app; the first
    ``detailed`` with their partners (the other sides' lines, then those of its N-way
    sets) and how many conflicts they take part in."""
    partners = SidePartners(package)
    out: list[_Side] = []
    for index, side in enumerate(package.sides):
        for r in side.requirements:
            found = _Side(r, package.package, {package.kind})
            if len(out) < detailed:
                in_sets = partners.sets[index]
                others = itertools.chain(
                    partners.opposed(index), (j for e in in_sets for j in e if j != index)
                )
                for j in dict.fromkeys(others):
                    for o in package.sides[j].requirements:
                        found.partners[(o.app, _partner_text(o), package.sides[j].id)] = None
                found.conflicts = partners.count(index) + len(in_sets)
            out.append(found)
    return out


def _side_command(side: _Side, prefix: str, level: str, state: str | None) -> str:
    r = side.requirement
    message = f"{r.app} requires {side.package} {requirement_text(r)}"
    if r.chain:
        message += f" ({text_report.chain_text(r)})"
    partners = list(dict.fromkeys(text for _, text, _ in side.partners))
    if partners:
        shown = "; ".join(partners[:MAX_PARTNERS])
        more = len(partners) - MAX_PARTNERS
        message += f", which conflicts with {shown}"
        if more > 0:
            message += f"; and {more} more"
    message += "."
    messages = list(side.messages)
    if len(messages) == 1:
        message += f"\n{messages[0]}"
    elif messages or side.conflicts:
        count = text_report.plural(len(messages) or side.conflicts, "conflict")
        message += f"\n{count} on {side.package}: see the report"
    kind = "/".join(sorted(side.kinds))
    title = f"depsplit: {state + ' ' if state else ''}{kind} conflict on {side.package}"
    return command(
        level, message, file=_path(r.origin.file, prefix), line=r.origin.line or 1, title=title
    )


def render(
    plan: Plan,
    *,
    baseline: BaselineDiff | None = None,
    path_prefix: str = "",
    fewer: Sequence[str] | None = None,
) -> str:
    """The workflow commands; ``fewer`` (``analyze --suggest``): one notice holding the
    "Fewer containers" section."""
    lines: list[str] = []
    if baseline is None:
        sides = _plan_sides(plan)
        existing = 0
    else:
        # A pull request is annotated with what it introduces: the lines of its new
        # conflicts; the existing ones are counted in one notice.
        new = [c for c in plan.conflicts if c.id in baseline.new_ids]
        sides = _sides(new, baseline.new_ids)
        existing = len(plan.conflicts) - len(new)
    for side in sides[:MAX_ANNOTATIONS]:
        state = None if baseline is None else "new"
        lines.append(_side_command(side, path_prefix, "error", state))
    left = len(sides) - MAX_ANNOTATIONS
    if left > 0:
        lines.append(
            command(
                "notice",
                f"{left} more requirement lines take part in conflicts and are not annotated "
                f"(at most {MAX_ANNOTATIONS}): see the job summary (the Markdown report) or "
                "depsplit analyze --format json.",
                title="depsplit: annotations left out",
            )
        )
    if existing:
        lines.append(
            command(
                "notice",
                f"{existing} existing conflict{'s' if existing != 1 else ''}, also in "
                f"{baseline.source if baseline else ''}, not annotated: see the job summary.",
                title="depsplit: existing conflicts",
            )
        )
    for name in plan.unsatisfiable:
        try:
            app = plan.app(name)
            origin = Origin(app.sources[0], 1) if app.sources else None
        except KeyError:
            origin = None
        lines.append(
            command(
                "error",
                f"{name}: its own requirements cannot be satisfied even alone.",
                file=_path(origin.file, path_prefix) if origin else None,
                line=origin.line if origin else None,
                title="depsplit: unsatisfiable app",
            )
        )
    lines += [
        command(
            d.level,
            d.message,
            file=_path(d.file, path_prefix) if d.file is not None else None,
            line=d.line if d.file is not None else None,
            title=f"depsplit: input {d.level}",
        )
        for d in plan.diagnostics
    ]
    lines += [
        command("notice", f"{s.path}: not searched: {s.reason}", title="depsplit: not searched")
        for s in plan.skipped
    ]
    if fewer:
        lines.append(command("notice", "\n".join(fewer), title="depsplit: fewer containers"))
    lines.append(text_report.headline(plan, baseline))
    return "\n".join(lines) + "\n"


def render_report(plan: Plan, context: ReportContext) -> str:
    """The :class:`~depsplit.report.interface.Renderer` of ``--format github``."""
    return render(
        plan,
        baseline=context.baseline,
        path_prefix=context.path_prefix,
        fewer=context.fewer_lines,
    )
