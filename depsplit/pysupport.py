"""Which CPython each app can run on, from the package index: the facts behind a group's Python.

An app that pins ``numpy==1.18.4`` cannot run on CPython 3.12 in a slim image, whatever its
``requires-python`` says: numpy 1.18.4 publishes wheels for cp35–cp38 only, and a slim image
has no compiler. Only the index knows that. For every release an app pins exactly (``==``,
``===``, lock-file pins, ``-c`` pins on packages it requires), this module reads the index's
project page (the simple API's file names and ``data-requires-python``; no download) and
finds, per CPython minor of :data:`depsplit.target.SUPPORTED_PYTHONS`:

- whether a wheel of the release installs in a ``python:X.Y-slim`` image on the target
  platform (:func:`depsplit.index.tags.wheel_rank`) with its ``Requires-Python`` allowing X.Y;
- else whether an sdist is there to build from (``Requires-Python`` allowing X.Y).

An app may use a minor when every release it pins there has a wheel for it; a release that
publishes no wheel for any candidate minor (sdist only) is built wherever its
``Requires-Python`` allows. When no minor gives wheels for all of an app's pins, the app
falls back to minors where the missing ones can be built from their sdists. What restricts
an app becomes a :class:`~depsplit.model.PythonRequirement` whose ``origin`` is the pin's line
and whose ``evidence`` says why ("numpy 1.18.4: wheels for cp35–cp38 only"): from there the
conflict search and the partition treat it like a written ``requires-python``, N-way
included, and each group gets the newest minor its members' releases all support.

Fail closed: an index that cannot be read is an error diagnostic naming the package and the
index (exit 2). Offline (``--offline``), a fact missing from the cache makes the app's Python
*unverified* — a warning, and the groups holding it say so — never silently chosen.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from depsplit import target as tgt
from depsplit.conflicts import effective
from depsplit.index.errors import IndexError_, OfflineCacheMiss
from depsplit.index.finder import Finder, IndexFile, ProjectFiles
from depsplit.index.tags import wheel_rank
from depsplit.model import (
    App,
    BuildFromSource,
    Diagnostic,
    Group,
    PythonRequirement,
    Requirement,
    Target,
)
from depsplit.specalgebra import exact_pins

__all__ = ["Support", "Wanted", "apply", "group_builds", "minors_specifier", "span"]

FinderFor = Callable[[App], Finder]


def _key(minor: str) -> tuple[int, ...]:
    return tuple(int(p) for p in minor.split("."))


def _cp(minor: str) -> str:
    return "cp" + minor.replace(".", "")


def span(minors: Iterable[str], candidates: Sequence[str]) -> str:
    """``cp35–cp38, cp310`` for the runs of ``minors`` in ``candidates`` order."""
    chosen = set(minors)
    runs: list[list[str]] = []
    previous_in = False
    for minor in candidates:
        if minor in chosen:
            if previous_in:
                runs[-1].append(minor)
            else:
                runs.append([minor])
        previous_in = minor in chosen
    return ", ".join(_cp(r[0]) if len(r) == 1 else f"{_cp(r[0])}–{_cp(r[-1])}" for r in runs)


def minors_specifier(minors: Iterable[str], candidates: Sequence[str]) -> str:
    """A specifier set that allows exactly ``minors`` among ``candidates``
    (``>=3.5,<3.9,!=3.7.*``); ``"<0"`` for none."""
    chosen = sorted(set(minors), key=_key)
    if not chosen:
        return "<0"
    low, high = chosen[0], chosen[-1]
    major, minor = _key(high)[:2]
    parts = [f">={low}", f"<{major}.{minor + 1}"]
    parts += [
        f"!={m}.*" for m in candidates if _key(low) < _key(m) < _key(high) and m not in chosen
    ]
    return ",".join(parts)


def _specifier(reqs: Sequence[Requirement]) -> str | None:
    """The one specifier set the app's lines on a package ask for (``""`` for any version);
    ``None`` when a line is a URL (no index release to judge) or does not parse."""
    parts = []
    for req in reqs:
        if req.url:
            return None
        if req.specifier:
            parts.append(req.specifier)
    text = ",".join(parts)
    return text if _parses(text) else None


@functools.lru_cache(maxsize=8192)
def _parses(text: str) -> bool:
    """Whether ``text`` is a specifier set (memoized: every app asks at every minor, and
    most ask the same few hundred)."""
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return False
    return True


def _wants_at(app: App, target: Target, minor: str) -> dict[str, tuple[str, Requirement]]:
    """key → (specifier set, the first line asking for it) of what the app installs at
    ``minor``: its ``main`` and lock lines whose marker holds, narrowed by ``-c`` lines."""
    out: dict[str, tuple[str, Requirement]] = {}
    for key, reqs in effective(app, target, minor).items():
        spec = _specifier(reqs)
        if spec is not None:
            out[key] = (spec, reqs[0])
    return out


def _minor_blind(app: App) -> bool:
    """Whether what the app installs is the same at every minor (:func:`_wants_at` then
    gives the same at each): none of its lines has a marker that names the interpreter's
    version (``python_version``, ``python_full_version``, ``implementation_version``; any
    marker naming ``python`` or ``version`` is taken as one)."""
    every = app.requirements + app.dependencies if app.dependencies else app.requirements
    return not any(
        req.marker and ("python" in req.marker or "version" in req.marker) for req in every
    )


def _python_ok(requires_python: str | None, minor: str) -> bool:
    if not requires_python:
        return True
    try:
        return bool(tgt.allowed_pythons(requires_python, (minor,)))
    except InvalidSpecifier:
        return True  # pip ignores an invalid Requires-Python


_Status = tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str], str]
"""Per release: the minors where (a non-yanked wheel installs, a non-yanked sdist builds,
any wheel installs, any sdist builds), and its ``Requires-Python`` (``""`` for none)."""


class _Judge:
    """Which minors each release of a project installs on, worked out once per project
    page (pages list thousands of files; tag sets and ``Requires-Python`` strings repeat)."""

    def __init__(self, target: Target, candidates: Sequence[str]) -> None:
        self.target = target
        self.candidates = tuple(candidates)
        self._tags: dict[frozenset[object], frozenset[str]] = {}
        self._python: dict[str, frozenset[str]] = {}

    def _minors_for_tags(self, tags: frozenset[object]) -> frozenset[str]:
        found = self._tags.get(tags)
        if found is None:
            found = self._tags[tags] = frozenset(
                m
                for m in self.candidates
                if wheel_rank(tags, self.target, m) is not None  # type: ignore[arg-type]
            )
        return found

    def _minors_for_python(self, requires_python: str | None) -> frozenset[str]:
        text = requires_python or ""
        found = self._python.get(text)
        if found is None:
            found = self._python[text] = frozenset(
                m for m in self.candidates if _python_ok(requires_python, m)
            )
        return found

    def status(self, files: tuple[IndexFile, ...]) -> _Status:
        """Where one release's files install."""
        wheel: set[str] = set()
        sdist: set[str] = set()
        wheel_any: set[str] = set()
        sdist_any: set[str] = set()
        for f in files:
            allowed = self._minors_for_python(f.requires_python)
            if f.is_wheel:
                where = allowed & self._minors_for_tags(f.tags)
                wheel_any |= where
                if f.yanked is None:
                    wheel |= where
            else:
                sdist_any |= allowed
                if f.yanked is None:
                    sdist |= allowed
        requires = sorted({f.requires_python for f in files if f.requires_python})
        return (
            frozenset(wheel),
            frozenset(sdist),
            frozenset(wheel_any),
            frozenset(sdist_any),
            requires[0] if requires else "",
        )


class _Page:
    """One project's releases, newest first, each judged when first asked about: a pick
    looks at the newest releases of its range only."""

    def __init__(self, files: ProjectFiles, judge: _Judge) -> None:
        self.files = files
        self.versions = sorted(files, reverse=True)
        self.judge = judge
        self._status: dict[Version, _Status] = {}

    @functools.cached_property
    def pure(self) -> bool:
        """Whether the project is pure Python: it publishes wheels, and every wheel of every
        release runs anywhere (``none-any`` tags). Its sdists then build without a compiler."""
        wheels = list(self.files.wheel_tags())
        return bool(wheels) and all(
            all(t.abi == "none" and t.platform == "any" for t in tags) for tags in wheels
        )

    def status(self, version: Version) -> _Status:
        found = self._status.get(version)
        if found is None:
            found = self._status[version] = self.judge.status(self.files[version])
        return found

    def lists(self, specifier: str) -> bool:
        """Whether the page has any release (any file, yanked or not, pre-release or not)
        that ``specifier`` allows: when none installs, this tells "no such release" from
        "releases that install on no supported CPython"."""
        spec, exact, pinned = _parsed(specifier)
        versions = self.pinned(pinned) if exact else self.versions
        return any(spec.contains(version, prereleases=True) for version in versions)

    @functools.cached_property
    def _by_public(self) -> dict[Version, list[Version]]:
        """Each release's version without its local label → the releases, newest first."""
        out: dict[Version, list[Version]] = {}
        for version in self.versions:
            public = Version(version.public) if version.local is not None else version
            out.setdefault(public, []).append(version)
        return out

    def pinned(self, pinned: frozenset[Version]) -> list[Version]:
        """The releases that can satisfy a specifier whose ``==``/``===`` clauses name
        ``pinned``, newest first: those of the same public version (``==2.5.0`` admits
        ``2.5.0+cpu``, as PEP 440 says and pip installs), without looking at the others (a
        page of 2,000 releases and 10,000 apps pinning one each, mostly absent)."""
        found: set[Version] = set()
        for version in pinned:
            public = Version(version.public) if version.local is not None else version
            found.update(self._by_public.get(public, ()))
        return sorted(found, reverse=True)

    def pick(self, specifier: str, minor: str) -> tuple[Version, bool, str] | None:
        """The release pip installs for ``name<specifier>`` in a ``python:X.Y-slim``
        image at ``minor``, whether it comes as a wheel (else it is built from its sdist)
        and its ``Requires-Python`` (``""`` for none); ``None`` when nothing installs.

        As pip's finder: files whose ``Requires-Python`` excludes the interpreter and
        wheels whose tags do not match are not candidates; yanked files only for an exact
        pin (PEP 592); pre-releases only when the specifier names one or no final release
        matches (``SpecifierSet.filter``); the newest candidate wins, wheel or not."""
        spec, exact, pinned = _parsed(specifier)
        # Most lines pin one release: look at it (and its local variants) only.
        versions = self.pinned(pinned) if exact else self.versions
        for prereleases in dict.fromkeys((bool(spec.prereleases), True)):
            for version in versions:
                if version.is_prerelease and not prereleases:
                    continue
                if not spec.contains(version, prereleases=True):
                    continue
                wheel, sdist, wheel_any, sdist_any, requires = self.status(version)
                if exact:
                    wheel, sdist = wheel_any, sdist_any
                if minor in wheel:
                    return version, True, requires
                if minor in sdist:
                    return version, False, requires
        return None


@functools.lru_cache(maxsize=8192)
def _parsed(specifier: str) -> tuple[SpecifierSet, bool, frozenset[Version]]:
    """``specifier`` parsed, whether it pins exactly, and the versions its ``==`` clauses
    name (memoized: a pick is asked at every minor, and apps repeat their lines). A
    prefix match (``==2.8.*``) names no one version: it is not among them."""
    spec = SpecifierSet(specifier)
    pinned = frozenset(exact_pins(spec))
    return spec, bool(pinned), pinned


@functools.lru_cache(maxsize=8192)
def _unsatisfiable(specifier: str) -> bool:
    """No version at all satisfies ``specifier`` (packaging's own interval check)."""
    return SpecifierSet(specifier).is_unsatisfiable()


@dataclass(frozen=True)
class Wanted:
    """What the index gives, per candidate minor, for one app's ``name<specifier>``."""

    name: str
    """As the app wrote it."""
    specifier: str
    picks: Mapping[str, tuple[str, bool, str]]
    """Minor → (the version pip installs there, whether from a wheel, its
    ``Requires-Python``); minors absent install nothing."""
    where: str
    pure: bool = False
    """The project publishes only ``none-any`` wheels (:attr:`_Page.pure`)."""
    listed: bool = True
    """The index lists a release the specifier allows (:meth:`_Page.lists`)."""

    @property
    def wheels(self) -> frozenset[str]:
        return frozenset(m for m, (_, wheel, _) in self.picks.items() if wheel)

    @property
    def sdist_only(self) -> bool:
        return not self.wheels

    def usable(self, minor: str, *, build: bool) -> bool:
        """Installable at ``minor``: from a wheel, or (``build``, or no wheel at any minor)
        from an sdist."""
        found = self.picks.get(minor)
        if found is None:
            return False
        return found[1] or build or self.sdist_only

    def evidence(self, candidates: Sequence[str], machine: str) -> str:
        asked = f"{self.name}{self.specifier}" if self.specifier else self.name
        versions = sorted({v for v, _, _ in self.picks.values()}, key=Version)
        if not versions and not self.listed:
            return f"{asked}: no such release on the index ({self.where})"
        if not versions:
            return f"{asked}: no release installs on a supported CPython ({self.where})"
        if len(versions) == 1 and bool(exact_pins(SpecifierSet(self.specifier))):
            head = f"{self.name} {versions[0]}"
        elif len(versions) == 1:
            head = f"{asked} → {versions[0]}"
        else:
            head = f"{asked} → {versions[0]}…{versions[-1]}"
        newest = max(self.picks.values(), key=lambda p: Version(p[0]))
        requires = newest[2]
        by_python = set(tgt.allowed_pythons(requires, tuple(candidates))) if requires else set()
        parts = []
        if requires and by_python != set(candidates):
            parts.append(f"Requires-Python {requires}")
        if not self.wheels:
            parts.append(f"no wheel for manylinux {machine}; sdist only (built in the image)")
        elif self.wheels != (by_python or set(candidates)):
            parts.append(f"wheels for {span(self.wheels, candidates)} only (manylinux {machine})")
        if not parts:
            parts.append(f"installs on {span(self.picks, candidates)} only")
        return f"{head}: {'; '.join(parts)}"


@dataclass(frozen=True)
class Support:
    """The outcome for the run: apps with their index facts added, what could not be
    checked, and what each app asks for, for :func:`group_builds`."""

    apps: tuple[App, ...]
    diagnostics: tuple[Diagnostic, ...]
    unverified: frozenset[str]
    """Apps whose Python could not be checked (offline cache miss)."""
    wanted: Mapping[str, Mapping[str, Wanted]]
    """App → canonical package key → what the index gives for it."""


def apply(apps: Sequence[App], target: Target, finder_for: FinderFor) -> Support:
    """Look up every package every app installs on its index (the pages in parallel,
    through the finders' caches) and add what restricts each app's Python to its ``python``
    constraints."""
    candidates = tuple(tgt.SUPPORTED_PYTHONS)
    machine = target.machine
    at: dict[str, dict[str, dict[str, tuple[str, Requirement]]]] = {}
    finders: dict[str, Finder] = {}
    for app in apps:
        if _minor_blind(app):
            wants = _wants_at(app, target, candidates[0])
            at[app.name] = dict.fromkeys(candidates, wants)
        else:
            at[app.name] = {m: _wants_at(app, target, m) for m in candidates}
        if any(at[app.name].values()):
            wanted_keys = sorted({k for wants in at[app.name].values() for k in wants})
            finders[app.name] = finder_for(app)
            finders[app.name].prefetch(wanted_keys)

    diagnostics: dict[Diagnostic, None] = {}
    unverified: set[str] = set()
    pages: dict[tuple[int, str], _Page | None] = {}
    judge = _Judge(target, candidates)
    picks: dict[tuple[int, str, str, str], tuple[Version, bool, str] | None] = {}
    wanted: dict[str, dict[str, Wanted]] = {}
    out: list[App] = []
    for app in apps:
        finder = finders.get(app.name)
        if finder is None:
            out.append(app)
            continue
        mine: dict[tuple[str, str], dict[str, tuple[str, bool, str]]] = {}
        pure: dict[str, bool] = {}
        listed: dict[tuple[str, str], bool] = {}
        first: dict[tuple[str, str], Requirement] = {}
        # Per (key, specifier): the minors at which the app asks for it, in order (an
        # app without markers asks the same at every minor: its wants are walked once).
        asked: dict[tuple[str, str], tuple[Requirement, list[str]]] = {}
        for minor in candidates:
            for key, (spec, req) in at[app.name][minor].items():
                found_at = asked.get((key, spec))
                if found_at is None:
                    asked[key, spec] = (req, [minor])
                else:
                    found_at[1].append(minor)
        for (key, spec), (req, minors) in asked.items():
            page_key = (id(finder), key)
            if page_key not in pages:
                files = _page(finder, key, app, req, diagnostics)
                pages[page_key] = None if files is None else _Page(files, judge)
            page = pages[page_key]
            if page is None:
                unverified.add(app.name)
                continue
            pure[key] = page.pure
            if (key, spec) not in listed:
                listed[key, spec] = page.lists(spec)
            found = mine.setdefault((key, spec), {})
            first.setdefault((key, spec), req)
            for minor in minors:
                pick_key = (id(finder), key, spec, minor)
                if pick_key in picks:
                    pick = picks[pick_key]
                else:
                    pick = picks[pick_key] = page.pick(spec, minor)
                if pick is not None:
                    found[minor] = (str(pick[0]), pick[1], pick[2])
        facts = {
            pair: Wanted(
                first[pair].name,
                pair[1],
                picks_of,
                finder.where,
                pure.get(pair[0], False),
                listed.get(pair, True),
            )
            for pair, picks_of in mine.items()
            # A requirement no version satisfies (``==25.2.0`` in one file, ``==25.3.0`` in
            # another) is a version conflict within the app, which the conflicts report
            # with both lines; not a fact about which CPython its releases support.
            if not _unsatisfiable(pair[1])
        }
        wanted[app.name] = {key: w for (key, _), w in sorted(facts.items())}
        out.append(_restricted(app, candidates, at[app.name], facts, first, machine))
    return Support(
        apps=tuple(out),
        diagnostics=tuple(diagnostics),
        unverified=frozenset(unverified),
        wanted=wanted,
    )


def _page(
    finder: Finder, key: str, app: App, req: Requirement, diagnostics: dict[Diagnostic, None]
) -> ProjectFiles | None:
    """The project's releases, or ``None`` (with a diagnostic) when they cannot be read:
    a warning offline (the Python stays unverified), an error otherwise (fail closed)."""
    level: Literal["error", "warning"]
    try:
        return finder.versions(key)
    except OfflineCacheMiss as exc:
        level, text = "warning", f"Python unverified for {app.name}: {exc}"
    except IndexError_ as exc:
        level, text = "error", f"cannot check which CPython {req.name} supports: {exc}"
    diagnostics.setdefault(Diagnostic(level, text, req.origin.file, req.origin.line), None)
    return None


def _restricted(
    app: App,
    candidates: Sequence[str],
    at: Mapping[str, Mapping[str, tuple[str, Requirement]]],
    facts: Mapping[tuple[str, str], Wanted],
    first: Mapping[tuple[str, str], Requirement],
    machine: str,
) -> App:
    """``app`` with one Python constraint per package that rules out some minor."""

    def allowed(build: bool) -> dict[tuple[str, str], set[str]]:
        out: dict[tuple[str, str], set[str]] = {}
        for pair, fact in facts.items():
            key, spec = pair
            # A minor where the app does not ask for it (a marker) is not ruled out by it.
            out[pair] = {
                m
                for m in candidates
                if at[m].get(key, (None,))[0] != spec or fact.usable(m, build=build)
            }
        return out

    declared = set(tgt.allowed_pythons(app.python_specifier, tuple(candidates)))
    chosen = allowed(build=False)
    if not declared.intersection(*chosen.values()):
        relaxed = allowed(build=True)
        if declared.intersection(*relaxed.values()):
            chosen = relaxed
    extra = [
        PythonRequirement(
            minors_specifier(ok, candidates),
            first[pair].origin,
            evidence=facts[pair].evidence(candidates, machine),
        )
        for pair, ok in sorted(chosen.items())
        if not ok >= declared
    ]
    if not extra:
        return app
    return replace(app, python=(*app.python, *extra))


def no_wheel(python: str, machine: str) -> str:
    """The start of a build's reason: ``no wheel for cp36 manylinux x86_64``."""
    return f"no wheel for {_cp(python)} manylinux {machine}"


def group_builds(
    group: Group, support: Support, by_name: Mapping[str, App], target: Target
) -> tuple[BuildFromSource, ...]:
    """The releases the group's image compiles: what a member asks for installs at the
    group's Python from an sdist only."""
    found: dict[str, BuildFromSource] = {}
    for name in group.apps:
        for key, fact in support.wanted.get(name, {}).items():
            pick = fact.picks.get(group.python)
            if pick is None or pick[1] or key in found:
                continue
            why = no_wheel(group.python, target.machine)
            if fact.wheels:
                why += f" (wheels for {span(fact.wheels, tgt.SUPPORTED_PYTHONS)} only)"
            if fact.pure:
                why += "; sdist only, pure Python (pip builds it, no compiler)"
            else:
                why += "; sdist only"
            found[key] = BuildFromSource(fact.name, pick[0], why, pure=fact.pure)
    return tuple(found[k] for k in sorted(found))
