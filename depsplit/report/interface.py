"""The contract of a report format: a :class:`Renderer` turns a plan and the run's
:class:`ReportContext` into the report's text.

A renderer is pure: it reads the plan and the context and returns text; it never writes,
prints or reads the environment (the CLI resolves ``--color``, ``--link-base`` and the
GitHub variables into the context). The registry of formats is
:data:`depsplit.report.RENDERERS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from depsplit.baseline import BaselineDiff
    from depsplit.model import Plan
    from depsplit.suggest import Suggestions


@dataclass(frozen=True)
class ReportContext:
    """What the renderers need beyond the plan, gathered once per run (a format uses the
    fields it has a place for and ignores the others)."""

    baseline: BaselineDiff | None = None
    """``--baseline``: which conflicts are new, existing or resolved."""
    link_base: str | None = None
    """Prefix of file links (Markdown): ``--link-base``, else the commit's blob URL on
    GitHub Actions; ``None``: relative links."""
    root: Path | None = None
    """The analysed directory, for :attr:`path_prefix`; ``None``: no prefix."""
    color: bool = False
    """ANSI colours in the text report (already decided for this output)."""
    details: bool = False
    """``-v``: the text report lists every conflict in full."""
    closing: str | None = None
    """The text report's last line: the verdict and the exit code's reason."""
    fewer: Suggestions | None = None
    """``--suggest``: the "Fewer containers" section's suggestions."""

    @cached_property
    def path_prefix(self) -> str:
        """The analysed directory relative to the repository top (for SARIF URIs,
        annotations and links); ``""`` outside git or without :attr:`root`. Asked of git
        once per context, and only by the formats that use it."""
        if self.root is None:
            return ""
        from depsplit.baseline import repo_prefix

        return repo_prefix(self.root) or ""

    @cached_property
    def fewer_lines(self) -> list[str] | None:
        """:attr:`fewer` as the lines of the text, Markdown and GitHub reports' section."""
        if self.fewer is None:
            return None
        from depsplit.suggest import report_lines

        return report_lines(self.fewer)


class Renderer(Protocol):
    """A report format: ``(plan, context) -> text``, the whole report as the CLI writes
    it (to stdout or ``--output``)."""

    def __call__(self, plan: Plan, context: ReportContext, /) -> str: ...
