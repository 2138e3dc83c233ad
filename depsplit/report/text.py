"""The human summary: headline, conflicts with origins, groups, apps, diagnostics.

The report is built as lines of styled segments. Plain text (the default, and whenever the
output is not a terminal or ``NO_COLOR`` is set) is the segments joined: byte-stable, never
wrapped, greppable. With ``color=True`` the same lines go through :mod:`rich` (imported
only then).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

# Paths and names come from the repository: a directory named "x\x1b]0;pwn\x07" must not
# drive the reader's terminal. Control characters are shown as escapes.
from depsplit.emit.text import comment_safe
from depsplit.model import BuildFromSource, Conflict, ConflictRequirement, Plan
from depsplit.report.common import app_python, applies

if TYPE_CHECKING:
    from depsplit.baseline import BaselineDiff

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


def requirement_text(r: ConflictRequirement) -> str:
    """What the app asks for: the URL, the specifier (``(any version)`` when empty), its
    marker."""
    spec = r.url or r.specifier or "(any version)"
    if r.marker:
        spec += f" ; {r.marker}"
    return spec


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


def _package_blocks(conflicts: tuple[Conflict, ...]) -> list[tuple[str, list[Conflict]]]:
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
        first = side[0]
        more = len(side) - SHOWN_APPS
        names = ", ".join(side[1:SHOWN_APPS])
        line: Line = [
            ("      ", ""),
            (f"#{number} ", "dim"),
            (f"{spec_of[side]}: {plural(len(side), 'app')}: ", ""),
            (first, "app"),
            (f" ({origin_of[side]})" if origin_of[side] else "", "origin"),
        ]
        if names:
            line.append((", " + names, "app"))
        if more > 0:
            line.append((f" and {more} more", "dim"))
        out.append(line)
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
    for c in listed:
        state = state_of(c)
        line = [("      ", "")]
        if state is not None:
            line.append((f"[{state}] ", state))
        numbers_text = " × ".join(f"#{sides[side]}" for side in _side_apps(c))
        if len(c.apps) == 1:
            numbers_text += " cannot be met even alone"
        elif len(c.apps) > 2:
            numbers_text += " together (every two of them can be met)"
        line += [(f"[{c.kind}] ", "kind"), (numbers_text, ""), (f"  ({c.id})", "dim")]
        out.append(line)
    return out


def _conflicts_section(
    conflicts: tuple[Conflict, ...],
    state_of: Callable[[Conflict], str | None],
    details: bool = False,
) -> list[Line]:
    out: list[Line] = []
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
                out.extend(_conflict_lines(c, state_of(c)))
        else:
            out.extend(_summary_lines(package, block, state_of))
    return out


def lines(plan: Plan, baseline: BaselineDiff | None = None, details: bool = False) -> list[Line]:
    """The report's lines; ``details`` (``-v``) lists every conflict in full instead of a
    summary per package with many."""
    out: list[Line] = [[(headline(plan, baseline), "headline")], []]
    if plan.unsatisfiable:
        out.append([("Apps that cannot be installed even alone:", "error")])
        out.extend([[("  ", ""), (name, "app")] for name in plan.unsatisfiable])
        out.append([])
    if plan.conflicts:
        out.append([("Conflicts", "section")])
        out.extend(
            _conflicts_section(
                plan.conflicts, baseline.state if baseline else lambda c: None, details
            )
        )
        out.append([])
    if baseline is not None and baseline.resolved:
        out.append([(f"Resolved since {baseline.source}", "section")])
        out.extend(_conflicts_section(baseline.resolved, lambda c: "resolved"))
        out.append([])
    if plan.groups:
        out.append([("Groups", "section")])
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
                out.append(
                    [("      kept apart from other groups by: " + ", ".join(g.splits), "dim")]
                )
        out.append([])
    if baseline is not None and baseline.groups:
        out.append([(f"Group changes since {baseline.source}", "section")])
        out.extend([[("  ", ""), (text, "")] for text in group_change_lines(baseline)])
        out.append([])
    out.append([("Apps", "section")])
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
    if plan.skipped:
        out.append([])
        out.append([("Not searched", "section")])
        width = max(len(s.path) for s in plan.skipped)
        out.extend([[("  ", ""), (f"{s.path:<{width}}  {s.reason}", "dim")] for s in plan.skipped])
    if baseline is not None and baseline.baseline_errors:
        out.append([])
        out.append(
            [
                (
                    f"Note: the baseline ({baseline.source}) had "
                    f"{plural(baseline.baseline_errors, 'input error')}; "
                    "its conflict list may be incomplete.",
                    "warning",
                )
            ]
        )
    if plan.diagnostics:
        out.append([])
        out.append([("Diagnostics", "section")])
        out.extend([[("  ", ""), (str(d), d.level)] for d in plan.diagnostics])
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
) -> str:
    """The report as text; ANSI-styled through rich when ``color``; every conflict in full
    with ``details``."""
    report = lines(plan, baseline, details)
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
