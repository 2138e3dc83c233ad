"""The diagnostics of a ``--transitive`` run: each said once, reported sorted, and the apps
whose analysis stopped on an error."""

from __future__ import annotations

from collections.abc import Iterable

from depsplit.errors import DepsplitError
from depsplit.model import App, Diagnostic, Level, Origin, Requirement


class Notes:
    """The run's diagnostics (each once) and :attr:`broken`, the apps whose analysis stopped
    on an error."""

    def __init__(self) -> None:
        self._found: dict[Diagnostic, None] = {}
        self.broken: set[str] = set()
        """Apps whose resolution stopped on an index error (reported as error diagnostics)."""

    def add(self, level: Level, message: str, origin: Origin | None = None) -> None:
        """Say ``message`` (at ``origin``'s file and line) unless it was said already."""
        diagnostic = Diagnostic(
            level, message, origin.file if origin else None, origin.line if origin else None
        )
        self._found.setdefault(diagnostic, None)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self._found.setdefault(diagnostic, None)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self._found, key=Diagnostic.sort_key)

    def stopped(self, exc: DepsplitError, apps: Iterable[str], detail: str = "") -> None:
        """The analysis of ``apps`` stopped on ``exc`` (fail closed): an error naming them,
        and they are :attr:`broken` from now on."""
        names = sorted(set(apps))
        self.broken.update(names)
        who = f" ({', '.join(names)})" if names else ""
        self.add("error", f"transitive analysis stopped{who}: {exc}{detail}")

    def unresolved(self, app: App, req: Requirement) -> None:
        """``req`` (a direct URL, local path or editable) is not resolved through the index."""
        what = "a local path" if (req.url or "").startswith("file:") else "a direct URL"
        if req.editable:
            what = "an editable install"
        self.add(
            "warning",
            f"{app.name}: {req.line_text} is {what}, which is not resolved through the index: "
            "its own dependencies are not checked for transitive conflicts",
            req.origin,
        )

    def assumed_sdist(self, release: str) -> None:
        """``release`` was taken as having no dependencies (an sdist of unknown ones)."""
        self.add(
            "warning",
            f"--transitive: {release} is only published as a source distribution "
            "whose metadata does not declare its dependencies (PEP 643) and no other "
            "release can be used: taken as having no dependencies (depsplit does not "
            "build packages; pip will build it, and what it requires is not checked)",
        )

    def ignored_release(self, release: str, why: str) -> None:
        """``release`` was no candidate: its metadata is invalid (``why``)."""
        self.add(
            "warning",
            f"--transitive: {release} is ignored, as pip (24.1 on) ignores a release whose "
            f"metadata is invalid: {why}",
        )

    def kept_apart(self, found: Iterable[str], minors: Iterable[str]) -> None:
        """``found`` are kept apart because their union's resolution did not finish."""
        self.add(
            "warning",
            f"--transitive: {', '.join(found)} are kept apart: resolving them together at "
            f"CPython {', '.join(minors)} did not finish within the resolver's round "
            "limit (not proven impossible; a group is only formed when its resolution "
            "finishes)",
        )

    def unfinished_closure(self, name: str, minors: Iterable[str]) -> None:
        """The closure of app ``name`` did not resolve within the round limit at ``minors``."""
        self.add(
            "warning",
            f"--transitive: {name}: resolving its dependencies at CPython "
            f"{', '.join(minors)} did not finish within the resolver's round limit: "
            "they are not compared there with the apps that would share that interpreter "
            "(the groups are still checked as a whole)",
        )
