"""The human summary: headline, conflicts with origins, groups, apps, diagnostics."""

from __future__ import annotations

from depsplit.model import Plan
from depsplit.report.common import app_python, applies


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def headline(plan: Plan) -> str:
    parts = [_plural(len(plan.apps), "app"), _plural(len(plan.conflicts), "conflict")]
    if plan.groups:
        groups = _plural(len(plan.groups), "group")
        p = plan.partition
        if p is not None and p.optimal:
            groups += " (optimal)"
        elif p is not None:
            groups += f" (at least {p.lower_bound} needed; not proven optimal)"
        parts.append(groups)
    errors = sum(d.level == "error" for d in plan.diagnostics)
    warnings = len(plan.diagnostics) - errors
    if errors:
        parts.append(_plural(errors, "error"))
    if warnings:
        parts.append(_plural(warnings, "warning"))
    return "depsplit: " + ", ".join(parts)


def render(plan: Plan) -> str:
    lines = [headline(plan), ""]
    if plan.unsatisfiable:
        lines.append("Apps that cannot be installed even alone:")
        lines.extend(f"  {name}" for name in plan.unsatisfiable)
        lines.append("")
    if plan.conflicts:
        lines.append("Conflicts")
        for c in plan.conflicts:
            lines.append(f"  [{c.kind}] {c.package}: {', '.join(c.apps)}  ({c.id})")
            for r in c.requirements:
                spec = r.url or r.specifier or "(any version)"
                lines.append(f"      {r.app}: {spec}  {r.origin.describe()}")
            lines.append(f"      {c.message}")
        lines.append("")
    if plan.groups:
        lines.append("Groups")
        for g in plan.groups:
            lines.append(f"  {g.name} (python {g.python}): {', '.join(g.apps)}")
            if g.splits:
                lines.append(f"      kept apart from other groups by: {', '.join(g.splits)}")
        lines.append("")
    lines.append("Apps")
    width = max((len(a.name) for a in plan.apps), default=0)
    for app in plan.apps:
        python = app.python_specifier or "any"
        prod = sum(applies(plan, app, r, app_python(plan, app)) for r in app.requirements)
        other = sum(r.role in ("dev", "optional") for r in app.requirements)
        extra = f", {other} dev/optional" if other else ""
        sources = ", ".join(app.sources) or "(none)"
        lines.append(
            f"  {app.name:<{width}}  {app.path}  python {python}  "
            f"{_plural(prod, 'requirement')}{extra}"
        )
        lines.append(f"  {'':<{width}}  sources: {sources}")
    if not plan.apps:
        lines.append("  (no apps found)")
    if plan.diagnostics:
        lines.append("")
        lines.append("Diagnostics")
        lines.extend(f"  {d}" for d in plan.diagnostics)
    return "\n".join(lines) + "\n"
