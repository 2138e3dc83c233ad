"""GitHub Actions workflow commands: an annotation on every requirement line of every
conflict, on every diagnostic, and a notice per directory not searched; then the headline
as a plain log line.

Against a baseline, new conflicts are ``::error`` (and come first) and existing ones
``::notice``, so a pull request is annotated with what it introduced. The Markdown summary for
``$GITHUB_STEP_SUMMARY`` is written by the CLI (renderers do not write files).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from depsplit.model import Conflict, Origin, Plan
from depsplit.report import text as text_report

if TYPE_CHECKING:
    from depsplit.baseline import BaselineDiff


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


def _conflict_commands(c: Conflict, prefix: str, level: str, state: str | None) -> list[str]:
    out = []
    for i, r in enumerate(c.requirements):
        others = [o for j, o in enumerate(c.requirements) if j != i]
        against = "; ".join(
            f"{o.app}: {text_report.requirement_text(o)} ({o.origin})" for o in others
        )
        message = f"{r.app} requires {c.package} {text_report.requirement_text(r)}"
        if r.chain:
            message += f" ({text_report.chain_text(r)})"
        if against:
            message += f", which conflicts with {against}"
        message += "."
        if c.message:
            message += f"\n{c.message}"
        title = f"depsplit: {state + ' ' if state else ''}{c.kind} conflict on {c.package}"
        out.append(
            command(
                level,
                message,
                file=_path(r.origin.file, prefix),
                line=r.origin.line or 1,
                title=title,
            )
        )
    return out


def render(plan: Plan, *, baseline: BaselineDiff | None = None, path_prefix: str = "") -> str:
    lines: list[str] = []
    # New conflicts first: GitHub shows only the first annotations of a step.
    conflicts = (
        sorted(plan.conflicts, key=lambda c: c.id not in baseline.new_ids)
        if baseline is not None
        else plan.conflicts
    )
    for c in conflicts:
        if baseline is None:
            lines += _conflict_commands(c, path_prefix, "error", None)
        elif c.id in baseline.new_ids:
            lines += _conflict_commands(c, path_prefix, "error", "new")
        else:
            lines += _conflict_commands(c, path_prefix, "notice", "existing")
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
    for d in plan.diagnostics:
        lines.append(
            command(
                d.level,
                d.message,
                file=_path(d.file, path_prefix) if d.file is not None else None,
                line=d.line if d.file is not None else None,
                title=f"depsplit: input {d.level}",
            )
        )
    lines += [
        command("notice", f"{s.path}: not searched: {s.reason}", title="depsplit: not searched")
        for s in plan.skipped
    ]
    lines.append(text_report.headline(plan, baseline))
    return "\n".join(lines) + "\n"
