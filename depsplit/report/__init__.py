"""Renderers: pure functions from a :class:`~depsplit.model.Plan` to text.

:data:`RENDERERS` is the registry of ``analyze --format``: the CLI's choices (in this
order) and its dispatch come from it. A format is a module of this package with a
``render_report(plan, context) -> str`` function (a
:class:`~depsplit.report.interface.Renderer`) and one line here; its module is imported
only when the format is used. A format whose report can be large may also have
``report_pieces(plan, context)``, the same text in pieces, made as they are written
(:meth:`Format.pieces`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from depsplit.report.interface import Renderer, ReportContext

if TYPE_CHECKING:
    from depsplit.model import Plan

__all__ = ["RENDERERS", "Format", "Renderer", "ReportContext"]


@dataclass(frozen=True)
class Format:
    """A report format: the renderer ``render_report`` of ``module``, imported at the
    first call."""

    module: str

    def __call__(self, plan: Plan, context: ReportContext, /) -> str:
        renderer: Renderer = importlib.import_module(self.module).render_report
        return renderer(plan, context)

    def pieces(self, plan: Plan, context: ReportContext, /) -> Iterable[str]:
        """The report's text in pieces, in order, made as they are asked for when the
        format has ``report_pieces`` (a report of hundreds of megabytes then never exists
        whole), else the whole text as one piece."""
        module = importlib.import_module(self.module)
        pieces: Callable[[Plan, ReportContext], Iterable[str]] | None = getattr(
            module, "report_pieces", None
        )
        return pieces(plan, context) if pieces is not None else (self(plan, context),)


RENDERERS: Mapping[str, Format] = MappingProxyType(
    {
        "text": Format("depsplit.report.text"),
        "json": Format("depsplit.report.json"),
        "markdown": Format("depsplit.report.markdown"),
        "sarif": Format("depsplit.report.sarif"),
        "github": Format("depsplit.report.github"),
    }
)
"""``--format`` name → its renderer, in the order of the CLI's choices."""
