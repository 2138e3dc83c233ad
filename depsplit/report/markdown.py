"""The Markdown report: a pull-request comment or ``$GITHUB_STEP_SUMMARY``.

Order, so that the first lines tell a reviewer what a change does: the headline numbers;
against a baseline the *new* conflicts (each requirement with its linked ``file#Lline``) and
the group changes; then apps that cannot be installed even alone, every conflict, the
groups, a Mermaid diagram and the diagnostics, long sections collapsed in ``<details>``.

The document stays under GitHub's comment limit (65,536 characters, counted in UTF-16 code
units): when it would not, the diagram goes first, then table rows from the least to the
most important section, and a closing note says what was cut.

Every piece of user data (package names, specifiers, paths, messages) is escaped for the
place it lands in: table cells, code spans, link targets, Mermaid labels.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote

from depsplit import __version__
from depsplit.model import (
    Conflict,
    ConflictRequirement,
    Diagnostic,
    Group,
    Origin,
    PackageConflict,
    Plan,
)
from depsplit.package_conflicts import requirement_text
from depsplit.report import text as text_report
from depsplit.report.common import conflicts_of_package
from depsplit.report.text import PackageSplit

if TYPE_CHECKING:
    from depsplit.baseline import BaselineDiff
    from depsplit.report.interface import ReportContext

GITHUB_COMMENT_LIMIT = 65536
MARKER = "<!-- depsplit-report -->"
"""First line of every report: lets a workflow find and update its own earlier comment."""

OPEN_ROWS = 15
"""A table longer than this is collapsed in ``<details>``."""
CELL_MAX = 1000
"""Characters of user text kept in one table cell."""
DIAGRAM_MAX_APPS = 150
DIAGRAM_MAX_EDGES = 300


# --- escaping ------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split("\n")).replace("\r", " ")


def _clip(text: str, limit: int = CELL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_MD_PUNCT = re.compile(r"([\\`*_\[\]|~])")


def md_text(text: str) -> str:
    """Plain text safe inside a paragraph, a list item or a table cell: no HTML, no
    emphasis, links, code or cell breaks, no @mentions, one line."""
    text = _clip(_one_line(text))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_PUNCT.sub(r"\\\1", text)
    return text.replace("@", "&#64;")


def md_code(text: str, *, table: bool = True) -> str:
    """``text`` as a code span (pipes escaped when it goes in a ``table`` cell)."""
    text = _clip(_one_line(text))
    if table:
        text = text.replace("|", "\\|")
    if not text:
        return "` `"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if longest or text.startswith(" ") or text.endswith(" "):
        return f"{fence} {text} {fence}"
    return f"{fence}{text}{fence}"


def mermaid_label(text: str) -> str:
    """A double-quoted Mermaid label."""
    text = _clip(_one_line(text), 80)
    for char, entity in (
        ("#", "#35;"),
        ('"', "#quot;"),
        ("<", "#lt;"),
        (">", "#gt;"),
        ("`", "#96;"),
        ("|", "#124;"),
    ):
        text = text.replace(char, entity)
    return f'"{text}"'


def utf16_len(text: str) -> int:
    """Length as GitHub counts it (JavaScript string length)."""
    return len(text.encode("utf-16-le")) // 2


# --- links ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Links:
    """How a ``file:line`` origin becomes a link: ``base`` (e.g.
    ``https://github.com/o/r/blob/<sha>/``, or ``""`` for relative links) + ``prefix`` (the
    analysed directory inside the repository) + the file + ``#L<line>``."""

    base: str = ""
    prefix: str = ""

    def url(self, origin: Origin) -> str:
        path = f"{self.prefix.strip('/')}/{origin.file}" if self.prefix.strip("/") else origin.file
        base = self.base
        if base and not base.endswith("/"):
            base += "/"
        base = base.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
        anchor = f"#L{origin.line}" if origin.line else ""
        return f"{base}{quote(path, safe='/')}{anchor}"

    def link(self, origin: Origin) -> str:
        """``[file:line](url#Lline)`` followed by the include chain, if any."""
        text = f"[{md_text(str(origin))}]({self.url(origin)})"
        if origin.via:
            text += f" (via {md_text(' → '.join(origin.via))})"
        return text


# --- sections ------------------------------------------------------------------------------


@dataclass
class _Caps:
    """Rows kept per section (``None``: all) and whether the diagram is drawn."""

    rows: dict[str, int | None] = field(default_factory=dict)
    diagram: bool = True

    def get(self, section: str) -> int | None:
        return self.rows.get(section)


@dataclass
class _Cut:
    """What a shortened report left out, for the closing note."""

    parts: list[str] = field(default_factory=list)


def _requirements_cell(c: Conflict, links: Links) -> str:
    return "<br>".join(_requirement_cell(r, links) for r in c.requirements)


def _requirement_cell(r: ConflictRequirement, links: Links) -> str:
    text = f"{md_text(r.app)}: {md_code(requirement_text(r))} {links.link(r.origin)}"
    if r.chain:
        text += f" {md_text(text_report.chain_text(r))}"
    return text


def _conflict_table(
    conflicts: Iterable[Conflict | PackageConflict],
    total: int,
    links: Links,
    cap: int | None,
    what: str,
) -> tuple[list[str], int]:
    """The table of the ``total`` rows ``conflicts`` (read up to ``cap``), and how many
    rows it left out."""
    shown = list(conflicts if cap is None else itertools.islice(conflicts, cap))
    rows = [
        "| package | kind | apps | requirements | why |",
        "| --- | --- | --- | --- | --- |",
    ]
    rows.extend(
        _package_row(c, links)
        if isinstance(c, PackageConflict)
        else f"| {md_code(c.package)} | {c.kind} | {md_text(_apps_cell(c))} | "
        f"{_requirements_cell(c, links)} | {md_text(c.message)} |"
        for c in shown
    )
    omitted = total - len(shown)
    if omitted:
        rows.append(f"| … | | {omitted} more {what} not shown | | |")
    return (rows if shown else [f"_{omitted} {what} not shown._"]), omitted


SMALL_PACKAGE = 12
"""A package with at most this many conflicts has a row per conflict in the "Conflicts"
table; a larger one (N apps on N pins of one package: N(N-1)/2) one row for the package."""

SHOWN_SIDES = 5
"""Requirements named in a package's row, before ``and N more``."""


def _plan_rows(plan: Plan) -> tuple[Iterator[Conflict | PackageConflict], int]:
    """The rows of the "Conflicts" table without a baseline, made as they are read (a
    small package's conflicts one by one, made for that package alone; a larger package
    as one row), and how many there are."""
    packages = plan.package_conflicts

    def rows() -> Iterator[Conflict | PackageConflict]:
        for package in packages:
            if package.count <= SMALL_PACKAGE:
                sets = conflicts_of_package(plan.conflicts, package)
                yield from (c for c in sets if c.kind == package.kind)
            else:
                yield package

    total = sum(p.count if p.count <= SMALL_PACKAGE else 1 for p in packages)
    return rows(), total


def _package_row(package: PackageConflict, links: Links) -> str:
    """One row for a package's many conflicts: how many apps and requirements, the first
    line of its first requirements, its message."""
    shown = [
        _requirement_cell(side.requirements[0], links)
        + (f" (+{len(side.apps) - 1} more)" if len(side.apps) > 1 else "")
        for side in package.sides[:SHOWN_SIDES]
        if side.requirements
    ]
    if len(package.sides) > SHOWN_SIDES:
        shown.append(md_text(f"and {len(package.sides) - SHOWN_SIDES} more requirements"))
    apps = (
        f"{len(package.apps)} apps on {len(package.sides)} requirements, {package.count} conflicts"
    )
    return (
        f"| {md_code(package.package)} | {package.kind} | {md_text(apps)} | "
        f"{'<br>'.join(shown)} | {md_text(package.message)} |"
    )


def _apps_cell(c: Conflict) -> str:
    """``api, legacy`` or, when others hold the same requirements, ``api (+11 more with the
    same requirement), legacy`` (the conflict stands for every such choice)."""
    sides = getattr(c, "members", ()) or tuple((a,) for a in c.apps)
    return ", ".join(
        f"{app} (+{len(side) - 1} more with the same requirement)" if len(side) > 1 else app
        for app, side in zip(c.apps, sides, strict=True)
    )


def _collapsible(title: str, body: list[str], *, open_: bool) -> list[str]:
    """A ``####`` section, or a ``<details>`` block when not ``open_``; ``title`` is plain
    text (escaped here)."""
    if open_:
        return [f"#### {md_text(title)}", "", *body, ""]
    summary = html.escape(_one_line(title), quote=False).replace("@", "&#64;")
    return ["<details>", f"<summary><b>{summary}</b></summary>", "", *body, "", "</details>", ""]


def _section_conflicts(
    title: str,
    conflicts: Sequence[Conflict],
    links: Links,
    cap: int | None,
    cut: _Cut,
    *,
    collapse: bool | None = None,
    plan: Plan | None = None,
) -> list[str]:
    """A table of ``conflicts``; with ``plan`` (whose conflicts they are: no baseline),
    a large package's conflicts as one row (:func:`_plan_rows`)."""
    if not conflicts:
        return []
    made, total = _plan_rows(plan) if plan is not None else (iter(conflicts), len(conflicts))
    rows, omitted = _conflict_table(made, total, links, cap, "conflicts")
    if omitted:
        cut.parts.append(f"{omitted} of {total} rows of “{title}”")
    open_ = len(conflicts) <= OPEN_ROWS if collapse is None else not collapse
    return _collapsible(f"{title} ({len(conflicts)})", rows, open_=open_)


def _python_cell(group: Group) -> str:
    return group.python if group.python_verified else f"{group.python} (unverified)"


def _section_groups(plan: Plan, cap: int | None, cut: _Cut) -> list[str]:
    if not plan.groups:
        return []
    shown = plan.groups if cap is None else plan.groups[:cap]
    rows = ["| group | python | apps | kept apart by |", "| --- | --- | --- | --- |"]
    rows.extend(
        f"| {md_code(g.name)} | {md_text(_python_cell(g))} | {md_text(', '.join(g.apps))} | "
        f"{md_text(', '.join(g.splits))} |"
        for g in shown
    )
    omitted = len(plan.groups) - len(shown)
    if omitted:
        rows.append(f"| … | | {omitted} more groups not shown | |")
        cut.parts.append(f"{omitted} of {len(plan.groups)} groups")
    unverified = [g for g in shown if not g.python_verified]
    if unverified:
        names = ", ".join(md_code(g.name, table=False) for g in unverified)
        rows += ["", f"**Python unverified** for {names}: {md_text(text_report.UNVERIFIED_NOTE)}."]
    builds = [(g, b) for g in shown for b in g.builds]
    if builds:
        rows += [
            "",
            "**Builds from source** (compiled in the image's builder stage; pure Python ones by"
            " pip in the image):",
            "",
        ]
        rows.extend(
            f"- {md_code(g.name, table=False)}: {md_text(text_report.build_text(b))}"
            for g, b in builds
        )
    summary = text_report.group_summary(plan) or ""
    return _collapsible(f"Groups: {summary}", rows, open_=len(plan.groups) <= OPEN_ROWS)


def _section_group_changes(baseline: BaselineDiff, cap: int | None, cut: _Cut) -> list[str]:
    changes = text_report.group_change_lines(baseline)
    if not changes:
        return [f"**Groups:** unchanged since {md_code(baseline.source, table=False)}.", ""]
    shown = changes if cap is None else changes[:cap]
    out = [f"**Group changes since {md_code(baseline.source, table=False)}:**", ""]
    out.extend(f"- {md_text(line)}" for line in shown)
    if len(shown) < len(changes):
        omitted = len(changes) - len(shown)
        out.append(f"- … {omitted} more changes not shown")
        cut.parts.append(f"{omitted} of {len(changes)} group changes")
    out.append("")
    return out


def _section_unsatisfiable(plan: Plan) -> list[str]:
    if not plan.unsatisfiable:
        return []
    names = ", ".join(md_code(a, table=False) for a in plan.unsatisfiable)
    return [f"**Cannot be installed even alone:** {names}", ""]


def _diagnostic_line(d: Diagnostic, links: Links) -> str:
    where = ""
    if d.file is not None:
        where = links.link(Origin(d.file, d.line)) + ": "
    icon = "❌" if d.level == "error" else "⚠️"
    return f"- {icon} {where}{d.level}: {md_text(d.message)}"


def _section_diagnostics(plan: Plan, links: Links, cap: int | None, cut: _Cut) -> list[str]:
    if not plan.diagnostics:
        return []
    shown = plan.diagnostics if cap is None else plan.diagnostics[:cap]
    body = [_diagnostic_line(d, links) for d in shown]
    omitted = len(plan.diagnostics) - len(shown)
    if omitted:
        body.append(f"- … {omitted} more not shown")
        cut.parts.append(f"{omitted} of {len(plan.diagnostics)} diagnostics")
    errors = sum(d.level == "error" for d in plan.diagnostics)
    warnings = len(plan.diagnostics) - errors
    title = (
        f"Diagnostics ({text_report.plural(errors, 'error')}, "
        f"{text_report.plural(warnings, 'warning')})"
    )
    return _collapsible(title, body, open_=False)


def mermaid(plan: Plan, baseline: BaselineDiff | None = None) -> list[str] | None:
    """A Mermaid flowchart: one box per group holding its apps, an edge per pair of
    conflicting apps labelled with the packages (a hexagon for an N-way conflict); new
    conflicts in red. ``None`` when there is nothing to draw or it is too large."""
    if not plan.apps or (not plan.conflicts and not plan.groups):
        return None
    if len(plan.apps) > DIAGRAM_MAX_APPS:
        return None  # too large to draw: known before reading any conflict
    node = {app.name: f"a{i}" for i, app in enumerate(plan.apps)}
    new_ids = baseline.new_ids if baseline else frozenset()
    pairs: dict[tuple[str, str], list[str]] = {}
    new_pairs: set[tuple[str, str]] = set()
    nway: list[Conflict] = []
    for c in plan.conflicts:
        apps = [a for a in c.apps if a in node]
        if len(apps) == 2:
            key = (min(apps), max(apps))
            if c.package not in pairs.setdefault(key, []):
                pairs[key].append(c.package)
            if c.id in new_ids:
                new_pairs.add(key)
        elif len(apps) > 2:
            nway.append(c)
    edges = len(pairs) + sum(len(c.apps) for c in nway)
    if len(plan.apps) > DIAGRAM_MAX_APPS or edges > DIAGRAM_MAX_EDGES:
        return None
    out = ["```mermaid", "flowchart LR"]
    grouped: set[str] = set()
    for gi, g in enumerate(plan.groups):
        out.append(f"  subgraph g{gi}[{mermaid_label(f'{g.name} · python {g.python}')}]")
        for app in g.apps:
            if app in node:
                out.append(f"    {node[app]}[{mermaid_label(app)}]")
                grouped.add(app)
        out.append("  end")
    out.extend(
        f"  {node[a.name]}[{mermaid_label(a.name)}]" for a in plan.apps if a.name not in grouped
    )
    link = 0
    red: list[int] = []
    for (a, b), packages in sorted(pairs.items()):
        label = ", ".join(packages[:3]) + (", …" if len(packages) > 3 else "")
        out.append(f"  {node[a]} ---|{mermaid_label(label)}| {node[b]}")
        if (a, b) in new_pairs:
            red.append(link)
        link += 1
    for ci, c in enumerate(nway):
        out.append(f"  c{ci}{{{{{mermaid_label(f'{c.package} ({len(c.apps)}-way)')}}}}}")
        for app in c.apps:
            if app in node:
                out.append(f"  c{ci} --- {node[app]}")
                if c.id in new_ids:
                    red.append(link)
                link += 1
    unsat = [node[a] for a in plan.unsatisfiable if a in node]
    if unsat:
        out.append("  classDef unsatisfiable fill:#ffebe9,stroke:#d1242f")
        out.append(f"  class {','.join(unsat)} unsatisfiable")
    if red:
        out.append(f"  linkStyle {','.join(map(str, red))} stroke:#d1242f,stroke-width:3px")
    out.append("```")
    return out


def _section_diagram(
    plan: Plan, baseline: BaselineDiff | None, caps: _Caps, cut: _Cut
) -> list[str]:
    if not caps.diagram:
        if plan.conflicts or plan.groups:
            cut.parts.append("the diagram")
        return []
    diagram = mermaid(plan, baseline)
    if diagram is None:
        if plan.conflicts or plan.groups:
            return ["_The diagram is left out: too many apps or conflicts to draw._", ""]
        return []
    return _collapsible("Diagram: apps, groups and conflicts", diagram, open_=False)


# --- the document --------------------------------------------------------------------------


def _status(plan: Plan, baseline: BaselineDiff | None) -> str:
    if plan.has_errors or (baseline.new_unsatisfiable if baseline else plan.unsatisfiable):
        return "❌"
    if baseline is not None:
        return "❌" if baseline.new else "✅"
    return "⚠️" if plan.conflicts else "✅"


def _title(plan: Plan, baseline: BaselineDiff | None) -> list[str]:
    """The heading; against a baseline it names the new conflicts and the numbers follow on
    the next line."""
    parts = text_report.headline_parts(plan, baseline)
    status = _status(plan, baseline)
    if baseline is None:
        return [f"### {status} depsplit: {md_text(', '.join(parts))}", ""]
    news = [text_report.plural(len(baseline.new), "new conflict") if baseline.new else ""]
    if baseline.new_unsatisfiable:
        news.append(f"{len(baseline.new_unsatisfiable)} newly unsatisfiable")
    what = ", ".join(n for n in news if n) or "no new conflict"
    return [
        f"### {status} depsplit: {md_text(what)} since {md_code(baseline.source, table=False)}",
        "",
        md_text(" · ".join(parts)),
        "",
    ]


def _document(
    plan: Plan,
    baseline: BaselineDiff | None,
    links: Links,
    caps: _Caps,
    fewer: Sequence[str] | None,
    splits: Sequence[PackageSplit],
) -> tuple[list[str], _Cut]:
    """The report's lines within ``caps``; ``splits``: the packages that split apps,
    worked out once (the report is made again with smaller caps until it fits)."""
    cut = _Cut()
    out = [MARKER, *_title(plan, baseline)]
    if baseline is not None:
        if baseline.new:
            out += _section_conflicts(
                f"New conflicts since {baseline.source}",
                baseline.new,
                links,
                caps.get("new"),
                cut,
                collapse=False,
            )
        if baseline.new_unsatisfiable:
            names = ", ".join(md_code(a, table=False) for a in baseline.new_unsatisfiable)
            out += [f"**Newly unsatisfiable:** {names}", ""]
        out += _section_group_changes(baseline, caps.get("changes"), cut)
        if baseline.baseline_errors:
            out += [
                f"> [!NOTE]\n> The baseline had {baseline.baseline_errors} input error(s): "
                "its conflict list may be incomplete.",
                "",
            ]
    out += _section_unsatisfiable(plan)
    out += _section_fewer(fewer)
    if baseline is None:
        out += _section_packages(splits)
        out += _section_conflicts(
            "Conflicts", plan.conflicts, links, caps.get("existing"), cut, plan=plan
        )
    else:
        out += _section_conflicts(
            "Existing conflicts", baseline.existing, links, caps.get("existing"), cut, collapse=True
        )
        out += _section_conflicts(
            f"Resolved since {baseline.source}",
            baseline.resolved,
            links,
            caps.get("resolved"),
            cut,
            collapse=True,
        )
        # A review reads what the change introduces first; the whole picture after.
        out += _section_packages(splits)
    out += _section_groups(plan, caps.get("groups"), cut)
    out += _section_diagram(plan, baseline, caps, cut)
    out += _section_diagnostics(plan, links, caps.get("diagnostics"), cut)
    out += _section_skipped(plan)
    return out, cut


def _section_fewer(fewer: Sequence[str] | None) -> list[str]:
    """``analyze --suggest``: the verified edits that need fewer containers, as a list."""
    if fewer is None:
        return []
    body = [
        f"    - {md_text(line.strip())}" if line.startswith(" ") else md_text(line)
        for line in fewer
    ]
    return ["**Fewer containers** (verified edits)", "", *body, ""]


PACKAGE_ROWS = 20
"""Packages in the "Packages that split apps" table (the most groups forced first)."""


def _section_packages(splits: Sequence[PackageSplit]) -> list[str]:
    """One row per package that splits apps, ordered by impact (groups it forces on its own,
    then apps it touches), as the text report's summary: what to look at first. The
    conflicts behind each are in the collapsible table below."""
    from depsplit.report.text import SUMMARY_SIDES

    if not splits:
        return []
    rows = [
        "| package | groups forced | apps | requirements (apps holding each) | most could share |",
        "| --- | --- | --- | --- | --- |",
    ]
    for split in splits[:PACKAGE_ROWS]:
        held = ", ".join(
            f"{md_code(text)} ({len(apps)})" for text, apps, _ in split.sides[:SUMMARY_SIDES]
        )
        if len(split.sides) > SUMMARY_SIDES:
            held += f" and {len(split.sides) - SUMMARY_SIDES} more"
        share = ""
        if split.share is not None and split.share[1] > 1:
            share = f"{md_code(split.share[0])} ({split.share[1]} of {split.apps})"
        cells = [md_code(split.package), str(split.forced), str(split.apps), _clip(held), share]
        rows.append(f"| {' | '.join(cells)} |")
    if len(splits) > PACKAGE_ROWS:
        rows.append(f"| … | | | {len(splits) - PACKAGE_ROWS} more packages | |")
    return ["**Packages that split apps** (most groups forced first)", "", *rows, ""]


def _section_skipped(plan: Plan) -> list[str]:
    """The directories discovery skipped for what they hold: an app there was not checked,
    so a reviewer sees it (a handful of lines: not cut when the report is too long)."""
    if not plan.skipped:
        return []
    body = [f"- {md_code(s.path, table=False)}: {md_text(s.reason)}" for s in plan.skipped]
    return _collapsible(f"Not searched ({len(plan.skipped)})", body, open_=False)


_SHRINK_ORDER = ("diagnostics", "resolved", "existing", "groups", "changes", "new")
"""Sections whose rows go first when the report is too long: least important first."""


def render(
    plan: Plan,
    *,
    baseline: BaselineDiff | None = None,
    link_base: str | None = None,
    path_prefix: str = "",
    limit: int = GITHUB_COMMENT_LIMIT,
    fewer: Sequence[str] | None = None,
) -> str:
    """The Markdown report; at most ``limit`` UTF-16 code units. ``fewer``: the "Fewer
    containers" section of ``analyze --suggest`` (near the top)."""
    links = Links(base=link_base or "", prefix=path_prefix)
    footer = f"<sub>depsplit {__version__}</sub>\n"
    sizes: dict[str, int] = {
        "diagnostics": len(plan.diagnostics),
        "resolved": len(baseline.resolved) if baseline else 0,
        # Without a baseline, a large package is one row (_plan_rows).
        "existing": len(baseline.existing) if baseline else _plan_rows(plan)[1],
        "groups": len(plan.groups),
        "changes": len(text_report.group_change_lines(baseline)) if baseline else 0,
        "new": len(baseline.new) if baseline else 0,
    }
    caps = _Caps()
    steps: list[Callable[[], bool]] = [lambda: _drop_diagram(caps)]
    # First every section down to a few rows, least important first; then to none.
    steps += [_halver(caps, section, sizes[section], floor=10) for section in _SHRINK_ORDER]
    steps += [_halver(caps, section, sizes[section], floor=0) for section in _SHRINK_ORDER]
    splits = text_report.package_splits(plan.package_conflicts)
    while True:
        body, cut = _document(plan, baseline, links, caps, fewer, splits)
        note = []
        if cut.parts:
            note = [
                f"> [!WARNING]\n> Shortened to fit GitHub's {limit:,}-character limit; left out: "
                f"{'; '.join(cut.parts)}. The JSON and SARIF reports have everything.",
                "",
            ]
        document = "\n".join([*body, *note]) + "\n" + footer
        if utf16_len(document) <= limit:
            return document
        while steps and not steps[0]():
            steps.pop(0)
        if not steps:
            return _hard_cut(document, limit)


def render_report(plan: Plan, context: ReportContext) -> str:
    """The :class:`~depsplit.report.interface.Renderer` of ``--format markdown``."""
    return render(
        plan,
        baseline=context.baseline,
        link_base=context.link_base,
        path_prefix=context.path_prefix,
        fewer=context.fewer_lines,
    )


def _drop_diagram(caps: _Caps) -> bool:
    if not caps.diagram:
        return False
    caps.diagram = False
    return True


def _halver(caps: _Caps, section: str, size: int, *, floor: int) -> Callable[[], bool]:
    """A step that halves the rows shown of ``section`` (not below ``floor``); ``False``
    once it is there."""

    def step() -> bool:
        current = caps.rows.get(section)
        current = size if current is None else current
        if current <= floor:
            return False
        caps.rows[section] = max(floor, current // 2)
        return True

    return step


def _hard_cut(document: str, limit: int) -> str:  # pragma: no cover - every row capped
    note = "\n\n> [!WARNING]\n> Cut at GitHub's comment limit.\n"
    room = limit - utf16_len(note)
    out = document.encode("utf-16-le")[: room * 2].decode("utf-16-le", "ignore")
    return out.rsplit("\n", 1)[0] + note
