"""Transitive conflicts through a package index (``--transitive``).

The direct analysis (:mod:`depsplit.conflicts`) compares what the apps write. This module
resolves each app's closure through the index (:mod:`depsplit.index`, pip's resolvelib core)
and reports what only the closures show: ``web`` pins ``fastapi==0.95.2``, which needs
``pydantic<2``, while ``api`` needs ``pydantic>=2.5``.

How
    1. **Each app alone**, at its interpreter (:func:`depsplit.conflicts.app_python`); when it
       cannot be resolved there, the older minors it allows are tried (a package with only
       ``cp311`` wheels makes 3.11 the newest an app can use). An app that resolves at no
       minor is a one-app conflict (it cannot be installed even alone), its message the
       resolver's chains.
    2. **Candidates**: every requirement edge of each closure (:func:`transitive_requirements`)
       becomes a requirement of a throwaway copy of the app — role ``main``, origin the
       top-level requirement's, marker ``python_version == "X.Y"`` for the minor it was
       resolved at — and the direct engine (:func:`depsplit.conflicts.find_conflicts`) finds
       the sets of apps whose edges on a package cannot be met together, each at the set's
       common interpreter. Sets that already hold a direct conflict are left out.
    3. **Verification**: a candidate is reported only when the union of its apps does not
       resolve at any minor they share (:func:`check_union`): edges come from one choice of
       versions, and another choice may fix them. Verification stops at the time budget; the
       rest is counted in a warning, and the groups are still checked as a whole.
    4. **Groups**: the partition's whole-group check is the direct check *and* a resolution
       of the group's union (:meth:`Transitive.check`), which returns a minimal infeasible
       subset (the apps the resolver's causes name when they fail on their own, else a
       deletion filter). Each final group gets the newest minor its resolution supports
       (``Requires-Python`` and wheel tags; ``group_python`` in the configuration or
       ``--python`` override it) and its lock: the resolution's pins with hashes.

What is not resolved
    A direct URL, VCS or local path requirement (``pkg @ …``, ``file:libs/common``, ``-e``)
    cannot go through an index: it is left out of the resolution with a warning naming the
    file and line. Its version is still checked by the direct analysis, but its own
    dependencies are not, and the generated lock then carries it as written (without
    ``--hash`` options, which pip refuses to mix with such lines).

Index options recorded in an app's requirements files (``--index-url``,
``--extra-index-url``, ``--find-links``, ``--no-index``) apply to that app's resolution, and
to the groups it joins, as pip applies them: a file's ``--index-url`` replaces the configured
one. A recorded URL whose credentials were redacted (``****``) or that names an environment
variable (``${TOKEN}``) cannot be used: the configured index is used instead, with a warning
naming the file and line (never the secret).

Fail closed: an index that cannot be read, an offline cache miss, a file that cannot be read
or a resolution that does not finish is an error diagnostic naming the package and the index
(exit 2), never "no conflict". An sdist-only release of unknown dependencies that had to be
taken as having none is a warning naming it (:func:`~depsplit.index.resolve.assumed_sdists`).
"""

from __future__ import annotations

import contextlib
import posixpath
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import cast

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PkgRequirement
from packaging.utils import canonicalize_name

from depsplit.conflicts import conflict_id, effective, expand, find_conflicts
from depsplit.errors import DepsplitError
from depsplit.index import (
    Finder,
    IndexConfig,
    IndexError_,
    Resolution,
    ResolutionImpossible,
    ResolutionTooComplex,
    TransitiveRequirement,
    check_union,
    resolve_apps,
    transitive_requirements,
)
from depsplit.index.finder import with_slash
from depsplit.index.resolve import (
    MAX_ROUNDS,
    PYTHON,
    Cause,
    Meter,
    assumed_sdists,
    cause_order,
    detached,
)
from depsplit.model import (
    App,
    Conflict,
    ConflictKind,
    ConflictRequirement,
    Diagnostic,
    Group,
    IndexOption,
    Level,
    LockedPin,
    Origin,
    PythonRequirement,
    Requirement,
    Target,
)
from depsplit.redact import REDACTED, redact_url
from depsplit.target import SUPPORTED_PYTHONS, app_pythons, marker_holds, minor_key, newest_first

__all__ = ["Transitive", "TransitiveFindings", "merge_conflicts"]

_INDEX_URL = ("--index-url", "-i")
_EXTRA_INDEX_URL = ("--extra-index-url",)
_FIND_LINKS = ("--find-links", "-f")
_NO_INDEX = ("--no-index",)
_SECONDS_FOR_CANDIDATE_SEARCH = 0.25
"""Share of the time budget the direct engine may spend on N-way sets of edges."""
ROUNDS_PER_SECOND = 1000
"""The verification of candidate conflicts may spend ``time_limit * ROUNDS_PER_SECOND``
resolver rounds: a budget of work, not of seconds, so that a cold and a warm run (or a slow
and a fast machine) verify the same candidates and write the same report."""
SECONDARY_ROUNDS = 2000
"""Rounds for an app's closure at a minor other than its own (only to compare its edges
with an app that meets it there): past them the comparison at that minor is skipped (named
in a warning) instead of costing minutes (unpinned ``jupyter`` at CPython 3.6)."""

RESOLVERS = 6
"""Closures resolved at once (each app alone, at each minor): a cold run spends its time
waiting for the index, and these waits overlap. The results are the same in any order (each
resolution depends only on its requirements and the index); the conflicts, the verification
and the groups are then worked out one by one, in a fixed order."""

_Failure = ResolutionImpossible | None
_Said = tuple[tuple[object, ...], ...]
"""What the resolver reads of some requirements (:func:`_signature`)."""
_Edges = list[TransitiveRequirement] | ResolutionImpossible | ResolutionTooComplex


def _next_minor(minor: str) -> str:
    major, _, rest = minor.partition(".")
    return f"{major}.{int(rest) + 1}"


@dataclass(frozen=True)
class TransitiveFindings:
    """What :meth:`Transitive.find` adds to the direct analysis."""

    conflicts: tuple[Conflict, ...]
    """One-app conflicts (an app that cannot be resolved even alone) and verified
    conflicts between apps, sorted by id."""
    candidates: int
    """Sets of apps whose closures' edges clash (before verification)."""
    verified: int
    unverified: int
    """Candidates left when the time budget ran out."""


class Transitive:
    """One ``--transitive`` run: the finders (one per set of index options), the cached
    resolutions, and the diagnostics found on the way. Use as a context manager (the finders
    hold worker threads)."""

    def __init__(
        self,
        apps: Sequence[App],
        target: Target,
        config: IndexConfig,
        *,
        root: Path | None = None,
        time_limit: float = 10.0,
    ) -> None:
        self.apps = sorted(apps, key=lambda a: a.name)
        self.by_name = {a.name: a for a in self.apps}
        self.target = target
        self.config = config
        self.root = root
        self.time_limit = time_limit
        self._finders: dict[IndexConfig, Finder] = {}
        self._by_sources: dict[Hashable, Finder] = {}
        self._finders_lock = threading.Lock()
        self._diagnostics: dict[Diagnostic, None] = {}
        self._options = {a.name: self._usable_options(a) for a in self.apps}
        self._edges: dict[tuple[str, str], _Edges] = {}
        self._unions: dict[tuple[frozenset[str], str], _Failure | ResolutionTooComplex] = {}
        self.undecided: dict[frozenset[str], tuple[str, ...]] = {}
        """Sets of apps whose union did not resolve at any minor, where at these minors the
        resolution did not finish (:data:`~depsplit.index.resolve.MAX_ROUNDS`): not proven
        infeasible, kept apart to be safe, and named in a warning."""
        self._complex: dict[str, set[str]] = {}
        """App → the minors at which its closure's resolution did not finish."""
        self._feasible: dict[frozenset[str], tuple[str | None, _Failure]] = {}
        self._resolved: dict[Hashable, _Outcome] = {}
        """Resolutions by what their requirements say (:meth:`_shared`)."""
        self._flights: dict[Hashable, threading.Lock] = {}
        self._shared_lock = threading.Lock()
        self._resolvable_memo: dict[tuple[str, str], list[str]] = {}
        self.max_rounds = MAX_ROUNDS
        """Rounds for a resolution whose answer is needed (an app's own minor, a group)."""
        self.secondary_rounds = SECONDARY_ROUNDS
        self.home: dict[str, str] = {}
        """App → the newest minor at which it resolves alone."""
        self.broken: set[str] = set()
        """Apps whose resolution stopped on an index error (reported as error diagnostics)."""

    # -- lifecycle
    def close(self) -> None:
        for finder in self._by_sources.values():
            finder.close()
        self._finders.clear()
        self._by_sources.clear()

    def __enter__(self) -> Transitive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def diagnostics(self) -> list[Diagnostic]:
        for finder in self._by_sources.values():
            for release in assumed_sdists(finder):
                self._note(
                    "warning",
                    f"--transitive: {release} is only published as a source distribution "
                    "whose metadata does not declare its dependencies (PEP 643) and no other "
                    "release can be used: taken as having no dependencies (depsplit does not "
                    "build packages; pip will build it, and what it requires is not checked)",
                )
        return sorted(self._diagnostics, key=Diagnostic.sort_key)

    def cache_warnings(self) -> list[Diagnostic]:
        """One warning per index cache that could not be written (the finders of several
        index configurations usually share one)."""
        found = {f.cache.unwritable: None for f in self._by_sources.values() if f.cache.unwritable}
        return [Diagnostic("warning", message) for message in found if message]

    def _note(self, level: Level, message: str, origin: Origin | None = None) -> None:
        diagnostic = Diagnostic(
            level, message, origin.file if origin else None, origin.line if origin else None
        )
        self._diagnostics.setdefault(diagnostic, None)

    def _stopped(self, exc: DepsplitError, apps: Iterable[str], detail: str = "") -> None:
        names = sorted(set(apps))
        self.broken.update(names)
        who = f" ({', '.join(names)})" if names else ""
        self._note("error", f"transitive analysis stopped{who}: {exc}{detail}")

    # -- indexes
    def _usable_options(self, app: App) -> tuple[IndexOption, ...]:
        out = []
        for opt in app.index_options:
            if opt.option not in (*_INDEX_URL, *_EXTRA_INDEX_URL, *_FIND_LINKS, *_NO_INDEX):
                continue
            if REDACTED in opt.value or "${" in opt.value:
                why = (
                    "its credentials are redacted"
                    if REDACTED in opt.value
                    else ("it names an environment variable")
                )
                self._note(
                    "warning",
                    f"{app.name}: {opt.option} {opt.value} cannot be used for --transitive "
                    f"({why}; depsplit never reads secrets): resolving through "
                    f"{self._where(self.config)} instead",
                    opt.origin,
                )
                continue
            if opt.option in _FIND_LINKS:
                opt = replace(opt, value=self._find_links_path(opt))
            out.append(opt)
        return tuple(out)

    def _find_links_path(self, opt: IndexOption) -> str:
        """A relative ``--find-links`` directory is relative to the file that names it when
        it exists there (as pip does), else to the working directory."""
        value = opt.value
        if self.root is None or "://" in value or value.startswith("/"):
            return value
        candidate = self.root / posixpath.dirname(opt.origin.file) / value
        return str(candidate.resolve()) if candidate.exists() else value

    @staticmethod
    def _where(config: IndexConfig) -> str:
        places = [*config.indexes, *config.find_links]
        return ", ".join(redact_url(p) for p in places) or "(no index)"

    def _config_for(self, names: Iterable[str]) -> IndexConfig:
        index_url: str | None = None
        extras: list[str] = list(self.config.extra_index_urls)
        links: list[str] = list(self.config.find_links)
        no_index = self.config.no_index
        for name in sorted(set(names)):
            for opt in self._options[name]:
                if opt.option in _INDEX_URL:
                    if index_url is None:
                        index_url = opt.value
                    else:
                        extras.append(opt.value)
                elif opt.option in _EXTRA_INDEX_URL:
                    extras.append(opt.value)
                elif opt.option in _FIND_LINKS:
                    links.append(opt.value)
                elif opt.option in _NO_INDEX:
                    no_index = True
        if (
            index_url is None
            and not extras[len(self.config.extra_index_urls) :]
            and (links == list(self.config.find_links) and no_index == self.config.no_index)
        ):
            return self.config
        return replace(
            self.config,
            index_url=index_url or self.config.index_url,
            extra_index_urls=tuple(dict.fromkeys(extras)),
            find_links=tuple(dict.fromkeys(links)),
            no_index=no_index,
        )

    def finder(self, names: Iterable[str] = ()) -> Finder:
        """The finder for the apps ``names`` (their recorded index options applied)."""
        config = self._config_for(names)
        with self._finders_lock:
            found = self._finders.get(config)
            if found is None:
                # Configurations that read the same sources share one finder (its pages
                # and memos): ``--index-url https://pypi.org/simple`` in one app's file is
                # the configured ``https://pypi.org/simple/``.
                same = _sources(config)
                found = self._by_sources.get(same)
                if found is None:
                    found = self._by_sources[same] = Finder(config)
                self._finders[config] = found
        return found

    def _together(self, jobs: Sequence[Callable[[], object]]) -> None:
        """Run ``jobs`` (resolutions whose results land in the memos) on :data:`RESOLVERS`
        threads. Their errors are dropped here: the sequential pass that follows asks again
        and meets them (the finder remembers a failed fetch) in its fixed order."""
        if len(jobs) < 2:
            return

        def quiet(job: Callable[[], object]) -> None:
            with contextlib.suppress(DepsplitError):
                job()

        with ThreadPoolExecutor(
            max_workers=RESOLVERS, thread_name_prefix="depsplit-resolve"
        ) as pool:
            list(pool.map(quiet, jobs))

    def _walk(self, app: App) -> None:
        """The app alone at the minors it allows, newest first, until one resolves."""
        for python in self.allowed(app):
            if isinstance(self.edges(app, python), list):
                return

    def adopt(self, apps: Sequence[App]) -> None:
        """Judge ``apps`` from now on: the same apps (names, index options) with constraints
        added, the index facts of :mod:`depsplit.pysupport` learnt through these finders."""
        self.apps = sorted(apps, key=lambda a: a.name)
        self.by_name = {a.name: a for a in self.apps}

    # -- interpreters and requirements
    def allowed(self, app: App) -> list[str]:
        """The minors the app allows, newest first (only ``--python`` when fixed)."""
        return newest_first(app_pythons(app, self.target))

    def common(self, names: Iterable[str]) -> list[str]:
        """The minors every app of ``names`` allows, newest first."""
        sets = [set(self.allowed(self.by_name[n])) for n in names]
        return newest_first(set.intersection(*sets)) if sets else []

    def requirements(self, app: App, python: str) -> list[Requirement]:
        """What goes into the app's container at ``python``, for the resolver: ``main`` and
        ``lock`` requirements whose marker holds, and every ``-c`` constraint whose marker
        holds (pip applies constraints to transitive packages too). Direct URL, VCS and local
        path requirements are left out, with a warning."""
        out: list[Requirement] = []
        for reqs in effective(app, self.target, python).values():
            for req in reqs:
                if req.role == "constraint":
                    continue
                if req.url or req.editable:
                    self._note_unresolved(app, req)
                    continue
                out.append(replace(req, marker=None))
        for req in app.requirements:
            if req.role != "constraint" or req.url:
                continue
            if not marker_holds(req.marker, self.target, python):
                continue
            out.append(replace(req, marker=None))
        return out

    def _note_unresolved(self, app: App, req: Requirement) -> None:
        what = "a local path" if (req.url or "").startswith("file:") else "a direct URL"
        if req.editable:
            what = "an editable install"
        self._note(
            "warning",
            f"{app.name}: {req.line_text} is {what}, which is not resolved through the index: "
            "its own dependencies are not checked for transitive conflicts",
            req.origin,
        )

    def edges(self, app: App, python: str, *, max_rounds: int | None = None) -> _Edges:
        """The app's closure edges at ``python``, or why it cannot be resolved there
        (:class:`ResolutionImpossible`), or :class:`ResolutionTooComplex` when the resolver
        did not finish within ``max_rounds``. Index errors are raised."""
        max_rounds = max_rounds or self.max_rounds
        key = (app.name, python)
        found = self._edges.get(key)
        if found is None or (isinstance(found, ResolutionTooComplex) and found.rounds < max_rounds):
            requirements = self.requirements(app, python)
            finder = self.finder([app.name])

            def compute(meter: Meter) -> _Edges:
                try:
                    return transitive_requirements(
                        requirements,
                        self.target,
                        python,
                        finder,
                        app=app.name,
                        max_rounds=max_rounds,
                        meter=meter,
                    )
                except (ResolutionImpossible, ResolutionTooComplex) as exc:
                    return detached(exc)

            found = cast(
                "_Edges",
                self._shared(
                    "edges", [(app.name, requirements)], python, finder, max_rounds, compute
                ),
            )
            if isinstance(found, ResolutionTooComplex):
                self._complex.setdefault(app.name, set()).add(python)
            self._edges[key] = found
        return found

    def _shared(
        self,
        kind: str,
        apps: Sequence[tuple[str, Sequence[Requirement]]],
        python: str,
        finder: Finder,
        max_rounds: int,
        compute: Callable[[Meter], object],
        meter: Meter | None = None,
    ) -> object:
        """``compute(meter)`` (a resolution of ``apps``' requirements, in this order), or
        the outcome of an earlier resolution of the same requirements written by other apps,
        their names and origins replaced (:func:`_relabel`). A resolution depends only on
        what the requirements say, never on the apps' names or on where the lines are
        written (those only label its chains and causes), so apps with the same
        requirements (a tutorial's ``requests`` and ``flask``, copied into every folder) are
        resolved once per minor, and so is each union of such apps. ``meter`` is charged the
        rounds the resolution took, reused or not, so the verification's budget runs out
        at the same candidate either way."""
        signature: list[_Said] = []
        labels: list[tuple[str, tuple[Origin, ...]]] = []
        for name, requirements in apps:
            text, origins = _signature(requirements)
            signature.append(text)
            labels.append((name, origins))
        key = (kind, tuple(signature), python, finder.config, self.target)
        with self._shared_lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:  # the same requirements asked by two threads: resolved by one
            found = self._resolved.get(key)
            if found is not None and found.serves(max_rounds):
                try:
                    result = _relabel(found.result, found.labels, tuple(labels))
                except KeyError:  # a label it does not know: not the same after all
                    pass
                else:
                    if meter is not None:
                        meter.rounds += found.rounds
                    return result
            own = Meter()
            try:
                result = compute(own)
            finally:
                if meter is not None:
                    meter.rounds += own.rounds
            outcome = _Outcome(
                result, tuple(labels), max_rounds, own.rounds, own.longest, own.backjumps > 0
            )
            if (
                found is None
                or not isinstance(result, ResolutionTooComplex)
                or (isinstance(found.result, ResolutionTooComplex))
            ):
                self._resolved[key] = outcome
            return result

    def union(
        self,
        names: Iterable[str],
        python: str,
        *,
        max_rounds: int | None = None,
        meter: Meter | None = None,
    ) -> _Failure | ResolutionTooComplex:
        """``None`` when the apps resolve together at ``python``, else why not, or
        :class:`ResolutionTooComplex` when that was not decided within ``max_rounds``."""
        max_rounds = max_rounds or self.max_rounds
        group = frozenset(names)
        key = (group, python)
        found = self._unions.get(key, ResolutionTooComplex(0))
        if isinstance(found, ResolutionTooComplex) and found.rounds < max_rounds:
            apps = {n: self.requirements(self.by_name[n], python) for n in sorted(group)}
            finder = self.finder(group)

            def compute(own: Meter) -> _Failure | ResolutionTooComplex:
                try:
                    return check_union(
                        apps,
                        target=self.target,
                        python=python,
                        finder=finder,
                        max_rounds=max_rounds,
                        meter=own,
                    )
                except ResolutionTooComplex as exc:
                    return detached(exc)

            found = cast(
                "_Failure | ResolutionTooComplex",
                self._shared(
                    "union", list(apps.items()), python, finder, max_rounds, compute, meter
                ),
            )
            self._unions[key] = found
        return found

    def feasible(
        self, names: Iterable[str], *, max_rounds: int | None = None, meter: Meter | None = None
    ) -> tuple[str | None, _Failure]:
        """``(python, None)`` for the newest minor the apps share at which their union
        resolves, else ``(None, the failure at the newest shared minor at which each app
        resolves alone, or at the newest shared one)`` (``None`` as the failure when they
        share no minor, or when no minor decided it). Minors at which the resolution did
        not finish within ``max_rounds`` are recorded in :attr:`undecided`."""
        group = frozenset(names)
        found = self._feasible.get(group)
        if found is not None and found[0] is None and group in self.undecided:
            found = None  # decide again, with this call's rounds
        if found is None:
            # The failure worth showing is one at a minor where every member resolves on
            # its own: at a newer one the message would only say some wheel is missing.
            alone = set.intersection(
                *(
                    set(self._resolvable(self.by_name[n]) if n in self.home else self.common([n]))
                    for n in group
                )
            )
            first: _Failure = None
            telling: _Failure = None
            found = (None, None)
            undecided: list[str] = []
            for python in self.common(group):
                said = self._alone(group, python)
                failure = (
                    self.union(group, python, max_rounds=max_rounds, meter=meter)
                    if isinstance(said, bool)
                    else said
                )
                if failure is None:
                    found = (python, None)
                    break
                if isinstance(failure, ResolutionTooComplex):
                    undecided.append(python)
                    continue
                first = first or failure
                if telling is None and python in alone:
                    telling = failure
            else:
                found = (None, telling or first)
            if found[0] is None and undecided:
                self.undecided[group] = tuple(undecided)
            else:
                self.undecided.pop(group, None)
            self._feasible[group] = found
        return found

    def _alone(
        self, group: frozenset[str], python: str
    ) -> ResolutionImpossible | ResolutionTooComplex | bool:
        """What the members' own resolutions at ``python`` already say of their union
        (only those done; none is started): a member that cannot be installed there alone
        is the union's failure, one whose resolution did not finish makes it undecided;
        ``False`` when they say nothing."""
        unfinished: ResolutionTooComplex | None = None
        for name in sorted(group):
            found = self._edges.get((name, python))
            if isinstance(found, ResolutionImpossible):
                return found
            if isinstance(found, ResolutionTooComplex):
                unfinished = unfinished or found
        return unfinished if unfinished is not None else False

    # -- step 1 to 3: conflicts
    def find(self, direct: Sequence[Conflict]) -> TransitiveFindings:
        """The conflicts only the closures show, given the ``direct`` ones already found."""
        unsatisfiable = {c.apps[0] for c in direct if len(c.apps) == 1}
        out: list[Conflict] = []
        resolved: list[App] = []
        self._together(
            [partial(self._walk, app) for app in self.apps if app.name not in unsatisfiable]
        )
        for app in self.apps:
            if app.name in unsatisfiable:
                continue
            allowed = self.allowed(app)
            if not allowed:
                continue  # a python conflict of the direct analysis
            first: ResolutionImpossible | None = None
            unfinished: ResolutionTooComplex | None = None
            try:
                for python in allowed:
                    result = self.edges(app, python)
                    if isinstance(result, ResolutionImpossible):
                        first = first or result
                        continue
                    if isinstance(result, ResolutionTooComplex):
                        unfinished = unfinished or result
                        continue
                    self.home[app.name] = python
                    break
            except IndexError_ as exc:
                self._stopped(exc, [app.name])
                continue
            if app.name in self.home:
                resolved.append(app)
            elif unfinished is not None:
                # Not proven impossible: nothing can be said about the app (fail closed).
                minors = newest_first(self._complex.get(app.name, ()))
                self._stopped(
                    ResolutionTooComplex(unfinished.rounds),
                    [app.name],
                    f" at CPython {', '.join(minors)}"
                    + (f" and it cannot be installed at the others ({first})" if first else ""),
                )
            elif first is not None:
                out.append(_alone_conflict(app, first))

        covered: dict[str, set[frozenset[str]]] = {}
        """Each set of apps a direct conflict stands for, under its first app: a set of apps
        holds one when it holds the first app of one and then all of it."""
        for c in direct:
            if len(c.apps) >= 2:
                for s in expand(c):
                    covered.setdefault(s[0], set()).add(frozenset(s))
        candidates = self._candidates(resolved, covered)
        # A budget of resolver rounds, not of seconds: the same candidates are verified
        # cold or warm, so the report is the same to the byte.
        budget = int(self.time_limit * ROUNDS_PER_SECOND)
        meter = Meter()
        verified = unverified = 0
        left: list[tuple[tuple[str, ...], str]] = []
        failed: dict[tuple[str, ...], list[tuple[str, ConflictKind, _Failure]]] = {}
        # One verification per set of apps, all its candidates at once: the deadline falling
        # between two candidates of one set (``sympy`` verified, ``torch`` not, on a slow
        # cold cache) would otherwise file the set's conflict under another package.
        by_set: dict[tuple[str, ...], list[tuple[str, ConflictKind]]] = {}
        for names, package, kind in candidates:
            by_set.setdefault(names, []).append((package, kind))
        for names, found_here in by_set.items():
            remaining = budget - meter.rounds
            if remaining <= 0:
                unverified += len(found_here)
                left.extend((names, package) for package, _kind in found_here)
                continue
            try:
                works, failure = self.feasible(
                    names, max_rounds=min(remaining, self.max_rounds), meter=meter
                )
            except IndexError_ as exc:
                self._stopped(exc, names)
                continue
            if works is None and frozenset(names) in self.undecided:
                unverified += len(found_here)
                left.extend((names, package) for package, _kind in found_here)
                continue
            verified += len(found_here)
            if works is None:
                failed[names] = [(package, kind, failure) for package, kind in found_here]
        for names, found in failed.items():
            # torch>=2.7 against torchvision==0.20.0 → torch==2.5.0 also makes their sympy
            # and triton pins disagree; when the resolver names the package at the root of
            # the failure, the consequences are not separate conflicts.
            named = [
                f for f in found if f[2] is not None and canonicalize_name(f[0]) in f[2].packages
            ]
            for package, kind, failure in named or found:
                out.append(self._between_conflict(names, package, kind, failure))
        if unverified:
            shown = "; ".join(f"{package} ({', '.join(names)})" for names, package in left[:10])
            more = f"; and {len(left) - 10} more" if len(left) > 10 else ""
            self._note(
                "warning",
                f"--transitive: {unverified} of {len(candidates)} candidate conflicts between "
                f"apps' dependencies were not verified within the budget of {budget} resolver "
                f"rounds (--time-limit {self.time_limit:g} × {ROUNDS_PER_SECOND}) and are not "
                f"listed; the groups are still checked as a whole: {shown}{more}",
            )
        for name in sorted(self._complex):
            if name in self.broken:
                continue
            minors = newest_first(self._complex[name])
            self._note(
                "warning",
                f"--transitive: {name}: resolving its dependencies at CPython "
                f"{', '.join(minors)} did not finish within the resolver's round limit: "
                "they are not compared there with the apps that would share that interpreter "
                "(the groups are still checked as a whole)",
            )
        unique = {c.id: c for c in out}
        return TransitiveFindings(
            conflicts=tuple(unique[k] for k in sorted(unique)),
            candidates=len(candidates),
            verified=verified,
            unverified=unverified,
        )

    def _pythons_for(self, app: App, resolved: Sequence[App]) -> list[str]:
        """The minors at which the app can meet another app in a set: its home, and the
        newest minor it shares with each other app (at most its home)."""
        mine = self._resolvable(app)
        out = {self.home[app.name]}
        for other in resolved:
            shared = set(mine) & set(self._resolvable(other))
            if shared:
                out.add(max(shared, key=minor_key))
        return newest_first(out)

    def _resolvable(self, app: App) -> list[str]:
        home = self.home[app.name]
        key = (app.name, home)
        found = self._resolvable_memo.get(key)
        if found is None:  # asked for every pair of apps: memoized
            found = [p for p in self.allowed(app) if minor_key(p) <= minor_key(home)]
            self._resolvable_memo[key] = found
        return list(found)

    def _candidates(
        self, resolved: Sequence[App], covered: Mapping[str, set[frozenset[str]]]
    ) -> list[tuple[tuple[str, ...], str, ConflictKind]]:
        throwaway: list[App] = []
        self._together(
            [
                partial(self.edges, app, python, max_rounds=self.secondary_rounds)
                for app in resolved
                for python in self._pythons_for(app, resolved)
            ]
        )
        for app in resolved:
            reqs: list[Requirement] = []
            for python in self._pythons_for(app, resolved):
                try:
                    result = self.edges(app, python, max_rounds=self.secondary_rounds)
                except IndexError_ as exc:
                    self._stopped(exc, [app.name])
                    continue
                if isinstance(result, (ResolutionImpossible, ResolutionTooComplex)):
                    continue
                marker = f'python_version == "{python}"'
                reqs.extend(
                    Requirement(
                        key=e.key,
                        name=e.name,
                        specifier=e.specifier,
                        origin=e.origin or _app_origin(app),
                        extras=e.extras,
                        marker=marker,
                    )
                    for e in result
                )
            home = self.home[app.name]
            limits = list(app.python)
            if not self.target.python and home != SUPPORTED_PYTHONS[-1]:
                # Newer minors do not resolve: sets with this app meet at most at its home.
                limits.append(PythonRequirement(f"<{_next_minor(home)}", _app_origin(app)))
            throwaway.append(replace(app, requirements=tuple(reqs), python=tuple(limits)))
        found = find_conflicts(
            throwaway, self.target, time_limit=self.time_limit * _SECONDS_FOR_CANDIDATE_SEARCH
        )
        out: list[tuple[tuple[str, ...], str, ConflictKind]] = []
        seen: set[tuple[str, ...]] = set()
        for c, names in ((x, frozenset(s)) for x in found for s in expand(x)):
            if len(c.apps) < 2 or c.kind == "url":
                continue
            if any(d <= names for n in names for d in covered.get(n, ())):
                continue
            if c.kind == "python" and not any(
                minor_key(self.home[n]) < minor_key(self.allowed(self.by_name[n])[0]) for n in names
            ):
                continue  # a plain Requires-Python conflict: the direct analysis has it
            key = (c.kind, canonicalize_name(c.package), *sorted(names))
            if key in seen:
                continue
            seen.add(key)
            out.append((tuple(sorted(names)), c.package, c.kind))
        return out

    def _between_conflict(
        self, names: Sequence[str], package: str, kind: ConflictKind, failure: _Failure
    ) -> Conflict:
        if kind == "python":
            reqs: list[ConflictRequirement] = [
                ConflictRequirement(app=a, specifier=p.specifier, origin=p.origin, name="python")
                for a in names
                for p in self.by_name[a].python
            ]
            if failure is not None:
                reqs.extend(
                    _cause_requirement(self.by_name[c.app or names[0]], c) for c in failure.causes
                )
            why = str(failure) if failure is not None else "they share no Python version"
            return Conflict(
                id=conflict_id("python", "python", names),
                kind="python",
                package="python",
                apps=tuple(names),
                requirements=tuple(reqs),
                message=f"python: {', '.join(names)} cannot share an interpreter: {why}",
            )
        key = canonicalize_name(package)
        shared = set.intersection(*(set(self._resolvable(self.by_name[n])) for n in names))
        python = max(shared, key=minor_key) if shared else None
        reqs = []
        texts = []
        for name in names:
            app = self.by_name[name]
            result = self.edges(app, python, max_rounds=self.secondary_rounds) if python else []
            edges = [e for e in result if e.key == key] if isinstance(result, list) else []
            for e in edges:
                reqs.append(
                    ConflictRequirement(
                        app=name,
                        specifier=e.specifier,
                        origin=e.origin or _app_origin(app),
                        name=e.name,
                        chain=e.chain,
                    )
                )
            texts.append(
                " and ".join(
                    f"{name} → {' → '.join(e.chain)} ({e.origin or _app_origin(app)})"
                    for e in edges
                )
                or name
            )
        head = " conflicts with ".join(texts) if len(texts) == 2 else "; ".join(texts)
        why = f"no version of {package} satisfies all of them"
        if failure is not None and key not in failure.packages:
            why += f" (the resolver: {failure})"
        if len(names) > 2:
            why += ", though every two of them can be met"
        return Conflict(
            id=conflict_id("version", key, names),
            kind="version",
            package=package,
            apps=tuple(names),
            requirements=tuple(reqs),
            message=f"{package}: {head}: {why}",
        )

    # -- step 4: groups
    def check(self, names: Iterable[str]) -> tuple[str, ...] | None:
        """The partition's whole-group test (after the direct one): ``None`` when the group
        resolves at a minor its members share, else a minimal infeasible subset of it."""
        group = frozenset(names)
        if len(group) < 2 or group & self.broken:
            return None
        known = self._known_apart(group)
        if known is not None:
            return self._kept_apart(known)
        try:
            python, failure = self.feasible(group)
            if python is not None:
                return None
            named = frozenset(failure.apps) & group if failure is not None else frozenset()
            start = group
            if (
                len(named) >= 2
                and named != group
                and self.feasible(named, max_rounds=self.secondary_rounds)[0] is None
            ):
                start = named
            found = self._shrink(start)
        except IndexError_ as exc:
            self._stopped(exc, group)
            return None
        if len(found) < 2:
            return None
        return self._kept_apart(found)

    def _known_apart(self, group: frozenset[str]) -> tuple[str, ...] | None:
        """The smallest set already judged (by the candidate search or an earlier check)
        that ``group`` holds and that does not resolve together, or ``None``. Whatever pins
        would install ``group`` would install any part of it: a part that cannot be
        installed together (or whose resolution did not finish: kept apart, as everywhere)
        decides the whole group without resolving it again."""
        best: tuple[int, tuple[str, ...]] | None = None
        for judged, (python, _failure) in self._feasible.items():
            if python is not None or len(judged) < 2 or not judged <= group:
                continue
            key = (len(judged), tuple(sorted(judged)))
            if best is None or key < best:
                best = key
        return best[1] if best is not None else None

    def _kept_apart(self, found: tuple[str, ...]) -> tuple[str, ...]:
        minors = self.undecided.get(frozenset(found))
        if minors:
            self._note(
                "warning",
                f"--transitive: {', '.join(found)} are kept apart: resolving them together at "
                f"CPython {', '.join(minors)} did not finish within the resolver's round "
                "limit (not proven impossible; a group is only formed when its resolution "
                "finishes)",
            )
        return found

    def _shrink(self, group: frozenset[str]) -> tuple[str, ...]:
        """A deletion filter: drop each app whose removal leaves the rest infeasible (or
        undecided within :attr:`secondary_rounds`: a smaller set kept apart, named)."""
        kept = set(group)
        for name in sorted(group):
            if len(kept) <= 2:
                break
            rest = frozenset(kept - {name})
            if self.feasible(rest, max_rounds=self.secondary_rounds)[0] is None:
                kept.discard(name)
        return tuple(sorted(kept))

    def finish(self, groups: Sequence[Group], fixed: Mapping[str, str]) -> list[Group]:
        """Each group at the newest minor its resolution supports (``fixed`` group name →
        minor overrides, as ``--python`` does), with its lock."""
        return [self._finish_group(group, fixed.get(group.name)) for group in groups]

    def _finish_group(self, group: Group, fixed: str | None) -> Group:
        names = sorted(group.apps)
        if set(names) & self.broken:
            return group
        pythons = [fixed] if fixed else self.common(names)
        if not pythons:
            return group
        failure: ResolutionImpossible | None = None
        unfinished: list[str] = []
        try:
            for python in pythons:
                try:
                    resolution = resolve_apps(
                        {n: self.requirements(self.by_name[n], python) for n in names},
                        target=self.target,
                        python=python,
                        finder=self.finder(names),
                        max_rounds=self.max_rounds,
                    )
                except ResolutionImpossible as exc:
                    failure = failure or exc
                    continue
                except ResolutionTooComplex:
                    unfinished.append(python)
                    continue
                return replace(group, python=python, lock=_lock(resolution))
        except IndexError_ as exc:
            self._stopped(exc, names)
            return group
        where = f"CPython {pythons[0]}" if len(pythons) == 1 else "any CPython they share"
        why = str(failure) if failure is not None else ""
        if unfinished:
            why += (
                f"{'; ' if why else ''}the resolution at CPython {', '.join(unfinished)} did "
                f"not finish within {self.max_rounds} rounds"
            )
        self._note(
            "error",
            f"group {group.name!r} ({', '.join(names)}) has no lock: it cannot be installed "
            f"on {where}: {why}",
        )
        return group


# ---------------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _Outcome:
    """A resolution's outcome (:meth:`Transitive._shared`), labelled by the apps it was
    computed for, with the work it took."""

    result: object
    labels: tuple[tuple[str, tuple[Origin, ...]], ...]
    """Per app, in order: its name and the distinct origins of its requirements."""
    max_rounds: int
    rounds: int
    longest: int
    backjumped: bool

    def serves(self, max_rounds: int) -> bool:
        """Whether a resolution of the same requirements under ``max_rounds`` takes the
        same steps to the same outcome: under the same limit, always; under another, when
        this one finished within it without backjumping (resolvelib's optimistic
        backjumping weighs ``max_rounds``)."""
        if max_rounds == self.max_rounds:
            return True
        if isinstance(self.result, ResolutionTooComplex) or self.backjumped:
            return False
        return max_rounds >= self.longest


def _sources(config: IndexConfig) -> Hashable:
    """What a :class:`Finder` of ``config`` reads: its indexes as it spells them (with a
    trailing slash), and every other setting."""
    return (
        tuple(with_slash(url) for url in config.indexes),
        replace(config, index_url="", extra_index_urls=()),
    )


def _signature(requirements: Sequence[Requirement]) -> tuple[_Said, tuple[Origin, ...]]:
    """What the resolver reads of ``requirements`` (in order), the origins replaced by the
    position of their first use; and those origins, in that order."""
    origins: dict[Origin, int] = {}
    text = tuple(
        (
            r.key,
            r.name,
            r.specifier,
            r.extras,
            r.marker,
            r.url,
            r.editable,
            r.role == "constraint",
            origins.setdefault(r.origin, len(origins)),
        )
        for r in requirements
    )
    return text, tuple(origins)


def _relabel(
    result: object,
    old: tuple[tuple[str, tuple[Origin, ...]], ...],
    new: tuple[tuple[str, tuple[Origin, ...]], ...],
) -> object:
    """``result`` of a resolution for the apps and origins ``old``, said of ``new`` (the
    same requirements, position for position): edges and causes name their app and the
    origin of their top-level requirement. Raises ``KeyError`` on a label not in ``old``."""
    if old == new or result is None or isinstance(result, ResolutionTooComplex):
        return result
    apps: dict[str | None, str | None] = {None: None}
    origins: dict[tuple[str | None, Origin | None], Origin | None] = {}
    for (old_app, old_origins), (new_app, new_origins) in zip(old, new, strict=True):
        apps[old_app] = new_app
        origins.update(((old_app, o), n) for o, n in zip(old_origins, new_origins, strict=True))
    if isinstance(result, ResolutionImpossible):
        causes = sorted(
            (replace(c, app=apps[c.app], origin=origins[(c.app, c.origin)]) for c in result.causes),
            key=cause_order,
        )
        return ResolutionImpossible(causes, result.python, result.notes)
    assert isinstance(result, list)
    return [replace(e, app=apps[e.app], origin=origins[(e.app, e.origin)]) for e in result]


def _app_origin(app: App) -> Origin:
    return Origin(app.sources[0] if app.sources else app.path)


def _specifier(cause: Cause) -> str:
    if cause.key == PYTHON:
        return cause.requirement.removeprefix("Requires-Python ").strip()
    try:
        return str(PkgRequirement(cause.requirement).specifier)
    except InvalidRequirement:
        return cause.requirement


def _cause_requirement(app: App, cause: Cause) -> ConflictRequirement:
    return ConflictRequirement(
        app=cause.app or app.name,
        specifier=_specifier(cause),
        origin=cause.origin or _app_origin(app),
        name="python" if cause.key == PYTHON else cause.name,
        chain=cause.chain,
    )


def _alone_conflict(app: App, failure: ResolutionImpossible) -> Conflict:
    """An app whose closure cannot be resolved at any minor it allows."""
    packages = [c for c in failure.causes if c.key != PYTHON]
    first = packages[0] if packages else failure.causes[0] if failure.causes else None
    if first is None or first.key == PYTHON:
        kind: ConflictKind = "python"
        key, package = "python", "python"
    else:
        kind, key, package = "version", first.key, first.name
    return Conflict(
        id=conflict_id(kind, key, [app.name]),
        kind=kind,
        package=package,
        apps=(app.name,),
        requirements=tuple(_cause_requirement(app, c) for c in failure.causes),
        message=str(failure),
    )


def _lock(resolution: Resolution) -> tuple[LockedPin, ...]:
    return tuple(
        LockedPin(
            name=pin.name,
            version=pin.version,
            hashes=pin.hashes,
            parents=pin.parents,
            apps=resolution.apps.get(key, ()),
            extras=pin.extras,
        )
        for key, pin in resolution.pins.items()
    )


def merge_conflicts(direct: Sequence[Conflict], found: Sequence[Conflict]) -> list[Conflict]:
    """Direct and transitive conflicts in one list, ordered as the direct analysis orders
    its own (python conflicts first, then by package, size and apps); a direct conflict
    wins over a transitive one with the same id."""
    unique = {c.id: c for c in found}
    unique.update({c.id: c for c in direct})
    return sorted(
        unique.values(),
        key=lambda c: (
            c.kind != "python",
            canonicalize_name(c.package),
            len(c.apps),
            c.apps,
            c.kind,
        ),
    )
