"""What an app's pinned releases require in turn: one step of the closure that needs no resolver.

``arcade==2.6.10`` requires ``pillow~=9.0.0``. An app that pins ``arcade==2.6.10`` cannot
share a container with an app that pins ``Pillow==9.5.0`` — pip refuses the pair — yet the two
files never mention a common package. A release's dependencies are fixed by its metadata, so
no resolution is needed to know them: for every release an app pins exactly (``==``/``===``
on a ``main`` line, not a URL), this module reads the release's core metadata from the index
(PEP 658 metadata of one of its wheels; for an sdist-only release its ``PKG-INFO`` when that
is authoritative, PEP 643) and adds each ``Requires-Dist`` that applies — its marker evaluated
for the app's extras on the target platform, per CPython minor — to
:attr:`~depsplit.model.App.dependencies`, with the pin's line as ``origin`` and the releases
it comes through as ``chain``. A dependency that is itself an exact pin (``greenlet==2.0.2``
of ``playwright 1.35.0``) is followed the same way; a range is not (choosing its release is
the resolver's job: ``--transitive``).

From there the conflict search sees them as it sees written lines (a conflict names the pin's
line and the chain), and the index facts (:mod:`depsplit.pysupport`) judge them like any
requirement: a group's Python is one where the dependencies of its pins install too, and a
dependency published only as an sdist is named among the group's builds.

Fail closed as the index facts do: metadata that cannot be read is an error naming the
package (exit 2); offline, metadata missing from the cache is a warning that the app's
dependencies are unverified. An sdist whose dependencies are dynamic (its build backend
would have to run) is a warning naming it: ``--transitive`` prepares such metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from packaging.markers import UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import Requirement as PkgRequirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from depsplit import target as tgt
from depsplit.index.errors import IndexError_, OfflineCacheMiss
from depsplit.index.finder import DistMetadata, DynamicMetadata, Finder, IndexFile
from depsplit.index.tags import wheel_rank
from depsplit.model import App, Diagnostic, Level, Origin, Requirement, Target
from depsplit.specalgebra import exact_pins

__all__ = ["MAX_DEPTH", "Dependencies", "add"]

FinderFor = Callable[[App], Finder]

MAX_DEPTH = 8
"""How many exact pins deep a chain is followed (``a==1`` → ``b==2`` → …)."""


@dataclass(frozen=True)
class Dependencies:
    """The apps with their pinned releases' dependencies added, and what could not be read."""

    apps: tuple[App, ...]
    diagnostics: tuple[Diagnostic, ...]
    unverified: frozenset[str] = frozenset()
    """Apps some of whose pins' dependencies could not be read offline (not in the cache):
    their Python is unverified."""


@dataclass(frozen=True)
class _Pin:
    key: str
    name: str
    version: Version
    extras: frozenset[str]
    marker: str | None
    """The marker of the line that brings it (an app's line, or the combined one of a chain)."""
    origin: Origin
    chain: tuple[str, ...]
    """The releases it comes through, itself last (``("arcade==2.6.10",)``)."""


def _pinned_version(spec: str) -> Version | None:
    """The one release ``spec`` allows when it pins exactly (``==1.2``, ``===1.2``, maybe
    with other clauses it satisfies); ``None`` for a range or a wildcard."""
    try:
        specifier = SpecifierSet(spec)
    except InvalidSpecifier:
        return None
    pins = exact_pins(specifier)
    if len(pins) != 1:
        return None
    [version] = pins
    return version if specifier.contains(version, prereleases=True) else None


def _best_file(files: Sequence[IndexFile], target: Target, minors: Sequence[str]) -> IndexFile:
    """The file whose metadata stands for the release: a wheel installable on the newest
    minor that has one (wheels of one release declare the same dependencies, nearly always),
    preferring one with PEP 658 metadata; else any wheel; else the sdist."""
    wheels = [f for f in files if f.is_wheel and f.yanked is None] or [
        f for f in files if f.is_wheel
    ]

    def rank(f: IndexFile) -> tuple[int, int, int, str]:
        for position, minor in enumerate(reversed(minors)):
            found = wheel_rank(f.tags, target, minor)
            if found is not None:
                return (position, found, f.metadata is None, f.filename)
        return (len(minors), 0, f.metadata is None, f.filename)

    if wheels:
        return min(wheels, key=rank)
    sdists = sorted(files, key=lambda f: (f.yanked is not None, f.filename))
    return sdists[0]


def _where_minors(
    dep: PkgRequirement, extras: frozenset[str], target: Target, minors: Sequence[str]
) -> tuple[str, ...]:
    """The minors at which ``dep`` is installed for a release requested with ``extras``
    (pip: the base dependencies, plus those of each requested extra)."""
    if dep.marker is None:
        return tuple(minors)
    out = []
    for minor in minors:
        env = tgt.marker_environment(target, minor)
        for extra in ("", *sorted(extras)):
            env["extra"] = extra
            if dep.marker.evaluate(env):
                out.append(minor)
                break
    return tuple(out)


def _marker_for(minors: Sequence[str], every: Sequence[str], parent: str | None) -> str | None:
    """A marker that holds at ``minors`` of ``every`` (``None``: all), joined with the marker
    of the line that brings the release."""
    own = None
    if tuple(minors) != tuple(every):
        own = " or ".join(f'python_version == "{m}"' for m in minors)
    if parent and own:
        return f"({parent}) and ({own})"
    return parent or own


class _Reader:
    def __init__(self, target: Target, minors: Sequence[str]) -> None:
        self.target = target
        self.minors = tuple(minors)
        self.diagnostics: dict[Diagnostic, None] = {}
        self.unverified = False
        self._files: dict[tuple[int, str, Version], IndexFile | None] = {}
        """Set when metadata was missing from the cache offline."""

    def file(self, finder: Finder, pin: _Pin) -> IndexFile | None:
        """The file whose metadata stands for the pinned release (:func:`_best_file`), once
        per finder and release; ``None`` when the release is not there or the project page
        cannot be read (the index facts report that: :mod:`depsplit.pysupport`)."""
        memo = (id(finder), pin.key, pin.version)
        if memo not in self._files:
            try:
                files = finder.versions(pin.key).get(pin.version)
            except IndexError_:
                files = None
            self._files[memo] = _best_file(files, self.target, self.minors) if files else None
        return self._files[memo]

    def metadata(self, finder: Finder, pin: _Pin) -> DistMetadata | None:
        """The pinned release's metadata, or ``None`` (with a diagnostic) when it is not
        known: no such release (the conflict search and the index facts report that),
        dynamic sdist metadata, an offline cache miss, or an unreadable index."""
        origin = pin.origin
        level: Level
        file = self.file(finder, pin)
        if file is None:
            return None
        try:
            return finder.metadata(file)
        except DynamicMetadata:
            level = "warning"
            text = (
                f"dependencies of {pin.name} {pin.version} not checked: it is published as an "
                "sdist whose dependencies are computed when it is built (--transitive builds "
                "its metadata)"
            )
        except OfflineCacheMiss as exc:
            level, text = "warning", f"dependencies of {pin.name} {pin.version} unverified: {exc}"
            self.unverified = True
        except IndexError_ as exc:
            level = "error"
            text = f"cannot read what {pin.name} {pin.version} depends on: {exc}"
        self.diagnostics.setdefault(Diagnostic(level, text, origin.file, origin.line), None)
        return None

    def requirements(self, pin: _Pin, meta: DistMetadata) -> list[Requirement]:
        out = []
        for dep in meta.requires_dist:
            try:
                minors = _where_minors(dep, pin.extras, self.target, self.minors)
            except (UndefinedComparison, UndefinedEnvironmentName) as exc:
                self.diagnostics.setdefault(
                    Diagnostic(
                        "warning",
                        f"{pin.name} {pin.version}: the marker of 'Requires-Dist: {dep}' cannot "
                        f"be evaluated ({exc}); that dependency is not checked",
                        pin.origin.file,
                        pin.origin.line,
                    ),
                    None,
                )
                continue
            if not minors or dep.url:
                continue
            extras = tuple(sorted(canonicalize_name(e) for e in dep.extras))
            specifier = str(dep.specifier)
            shown = f"{dep.name}{'[' + ','.join(extras) + ']' if extras else ''}{specifier}"
            out.append(
                Requirement(
                    key=canonicalize_name(dep.name),
                    name=dep.name,
                    specifier=specifier,
                    origin=pin.origin,
                    extras=extras,
                    marker=_marker_for(minors, self.minors, pin.marker),
                    chain=(*pin.chain, shown),
                )
            )
        return out


def _app_pins(app: App) -> list[_Pin]:
    pins = []
    for req in app.requirements:
        if req.role != "main" or req.url:
            continue
        version = _pinned_version(req.specifier)
        if version is None:
            continue
        pins.append(
            _Pin(
                key=req.key,
                name=req.name,
                version=version,
                extras=frozenset(canonicalize_name(e) for e in req.extras),
                marker=req.marker,
                origin=req.origin,
                chain=(f"{req.name}=={version}",),
            )
        )
    return pins


def _own_pins(app: App) -> dict[str, Version | None]:
    """Per package the app writes itself (``main`` and lock lines): the release it pins
    exactly on a line without a marker, else ``None``."""
    out: dict[str, Version | None] = {}
    for req in app.requirements:
        if req.role not in ("main", "lock"):
            continue
        version = None if req.marker or req.url else _pinned_version(req.specifier)
        if version is not None and out.get(req.key) is None:
            out[req.key] = version
        else:
            out.setdefault(req.key, None)
    return out


def _redundant(dep: Requirement, own: Mapping[str, Version | None]) -> bool:
    """Whether ``dep`` adds nothing to the app's own lines on its package: they are there
    and it asks for any version, or they pin a release it allows. Such a dependency would
    only lengthen every conflict listing of the package; one that narrows is kept."""
    if dep.key not in own:
        return False
    if not dep.specifier:
        return True
    pinned = own[dep.key]
    return pinned is not None and SpecifierSet(dep.specifier).contains(pinned, prereleases=True)


def add(apps: Sequence[App], target: Target, finder_for: FinderFor) -> Dependencies:
    """Every app with the dependencies of its exactly pinned releases (followed through
    exact pins, :data:`MAX_DEPTH` deep) in :attr:`~depsplit.model.App.dependencies`."""
    minors = tuple(tgt.SUPPORTED_PYTHONS)
    reader = _Reader(target, minors)
    pins = {app.name: _app_pins(app) for app in apps}
    finders: dict[str, Finder] = {}
    for app in apps:
        if pins[app.name]:
            finders[app.name] = finder = finder_for(app)
            finder.prefetch(sorted({p.key for p in pins[app.name]}))
    # Every first-level metadata download started in the finders' pools (cached, parallel).
    for name, finder in finders.items():
        for pin in pins[name]:
            if (file := reader.file(finder, pin)) is not None:
                finder.prefetch_metadata(file)

    known: dict[tuple[int, str, Version], tuple[DistMetadata | None, bool]] = {}
    unverified: set[str] = set()
    out = []
    for app in apps:
        if app.name not in finders:
            out.append(app)
            continue
        finder = finders[app.name]
        found: list[Requirement] = []
        own = _own_pins(app)
        todo = list(pins[app.name])
        seen: set[tuple[str, Version, frozenset[str]]] = set()
        mine_unverified = False
        while todo:
            pin = todo.pop(0)
            if (pin.key, pin.version, pin.extras) in seen or len(pin.chain) > MAX_DEPTH:
                continue
            seen.add((pin.key, pin.version, pin.extras))
            memo = (id(finder), pin.key, pin.version)
            if memo not in known:
                reader.unverified = False
                known[memo] = (reader.metadata(finder, pin), reader.unverified)
            meta, missing = known[memo]
            mine_unverified = mine_unverified or missing
            if meta is None:
                continue
            for dep in reader.requirements(pin, meta):
                found.append(dep)
                version = _pinned_version(dep.specifier)
                if version is not None and not dep.extras:
                    finder.prefetch([dep.key])
                if version is not None:
                    todo.append(
                        _Pin(
                            key=dep.key,
                            name=dep.name,
                            version=version,
                            extras=frozenset(dep.extras),
                            marker=dep.marker,
                            origin=dep.origin,
                            chain=dep.chain,
                        )
                    )
        if mine_unverified:
            unverified.add(app.name)
        unique = tuple(
            sorted(
                (r for r in dict.fromkeys(found) if not _redundant(r, own)),
                key=lambda r: (r.key, r.chain, r.marker or "", r.extras),
            )
        )
        out.append(replace(app, dependencies=unique) if unique else app)
    return Dependencies(tuple(out), tuple(reader.diagnostics), frozenset(unverified))
