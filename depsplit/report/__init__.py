"""Renderers: pure functions from a :class:`~depsplit.model.Plan` to text.

:data:`RENDERERS` is the registry of ``analyze --format``: the CLI's choices (in this
order) and its dispatch come from it. A format is a module of this package with a
``render_report(plan, context) -> str`` function (a
:class:`~depsplit.report.interface.Renderer`) and one line here; its module is imported
only when the format is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from depsplit.report.interface import Renderer, ReportContext

if TYPE_CHECKING:
    from depsplit.model import Plan

__all__ = ["RENDERERS", "Renderer", "ReportContext"]


@dataclass(frozen=True)
class _Lazy:
    """The renderer ``render_report`` of ``module``, imported at the first call."""

    module: str

    def __call__(self, plan: Plan, context: ReportContext, /) -> str:
        renderer: Renderer = importlib.import_module(self.module).render_report
        return renderer(plan, context)


RENDERERS: Mapping[str, Renderer] = MappingProxyType(
    {
        "text": _Lazy("depsplit.report.text"),
        "json": _Lazy("depsplit.report.json"),
        "markdown": _Lazy("depsplit.report.markdown"),
        "sarif": _Lazy("depsplit.report.sarif"),
        "github": _Lazy("depsplit.report.github"),
    }
)
"""``--format`` name → its renderer, in the order of the CLI's choices."""
