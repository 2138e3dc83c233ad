"""The final groups' interpreters and locks: each group at the newest minor its resolution
supports, locked to that resolution's pins with hashes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from packaging.utils import canonicalize_name

from depsplit.index import (
    IndexError_,
    Resolution,
    ResolutionImpossible,
    ResolutionTooComplex,
    resolve_apps,
)
from depsplit.index.resolve import Meter, detached, ignored_releases
from depsplit.model import BuildFromSource, Diagnostic, Group, LockedPin, Target

if TYPE_CHECKING:
    from depsplit.transitive.session import Transitive


def finish(
    session: Transitive,
    groups: Sequence[Group],
    fixed: Mapping[str, str],
    previous: Mapping[str, Mapping[str, str]] = MappingProxyType({}),
) -> list[Group]:
    """Each group at the newest minor its resolution supports (``fixed`` group name →
    minor overrides, as ``--python`` does), with its lock; a previous plan's pins
    (``previous``, app → project → version) kept where the requirements allow them."""
    return [
        _finish_group(session, group, fixed.get(group.name), preferred_pins(previous, group.apps))
        for group in groups
    ]


def _finish_group(
    session: Transitive, group: Group, fixed: str | None, preferred: Mapping[str, str]
) -> Group:
    """``group`` with its interpreter and lock; unchanged when it holds an app whose
    analysis stopped, when its apps share no minor, or when it resolves at none (an
    error naming the group)."""
    names = sorted(group.apps)
    if set(names) & session.broken:
        return group
    pythons = [fixed] if fixed else session.common(names)
    if not pythons:
        return group
    failure: ResolutionImpossible | None = None
    unfinished: list[str] = []
    try:
        for python in pythons:
            found = _lock(session, names, python, preferred)
            if isinstance(found, ResolutionImpossible):
                failure = failure or found
            elif isinstance(found, ResolutionTooComplex):
                unfinished.append(python)
            else:
                return replace(group, python=python, lock=found)
    except IndexError_ as exc:
        session.notes.stopped(exc, names)
        return group
    where = f"CPython {pythons[0]}" if len(pythons) == 1 else "any CPython they share"
    why = str(failure) if failure is not None else ""
    if unfinished:
        why += (
            f"{'; ' if why else ''}the resolution at CPython {', '.join(unfinished)} did "
            f"not finish within {session.max_rounds} rounds"
        )
    session.notes.add(
        "error",
        f"group {group.name!r} ({', '.join(names)}) has no lock: it cannot be installed "
        f"on {where}: {why}",
    )
    return group


def _lock(
    session: Transitive, names: Sequence[str], python: str, preferred: Mapping[str, str]
) -> tuple[LockedPin, ...] | ResolutionImpossible | ResolutionTooComplex:
    """The lock of the apps ``names`` at ``python`` (``preferred`` versions offered first),
    or why there is none (:class:`~depsplit.transitive.reuse.Resolutions`: resolved once
    for apps that say the same, and replayed from an earlier run's store). Index errors
    are raised."""
    apps = {n: session.requirements(session.by_name[n], python) for n in names}
    finder = session.finder(names)

    def compute(
        meter: Meter,
    ) -> tuple[LockedPin, ...] | ResolutionImpossible | ResolutionTooComplex:
        try:
            resolution = resolve_apps(
                apps,
                target=session.target,
                python=python,
                finder=finder,
                max_rounds=session.max_rounds,
                meter=meter,
                preferred=preferred,
            )
        except (ResolutionImpossible, ResolutionTooComplex) as exc:
            return detached(exc)
        return lock_pins(resolution)

    return cast(
        "tuple[LockedPin, ...] | ResolutionImpossible | ResolutionTooComplex",
        session.resolutions.get(
            "lock",
            list(apps.items()),
            python,
            finder,
            session.max_rounds,
            compute,
            extra=tuple(sorted(preferred.items())),
        ),
    )


def lock_groups(
    session: Transitive,
    groups: Sequence[Group],
    previous: Mapping[str, Mapping[str, str]] = MappingProxyType({}),
) -> tuple[list[Group], list[Diagnostic]]:
    """The groups of the direct analysis, each locked at its Python: its apps' requirements
    resolved together through the index (``generate``'s default with the index facts), so
    that its image installs those pins instead of leaving pip to search. A group that does
    not resolve, or whose index cannot be read, keeps its requirements unlocked, with a
    warning naming it and why: pip would fail or search in its image too; a release left
    out because its metadata is invalid (as pip leaves it out) is named in a warning too.
    ``previous``
    (app → project → version, a previous plan's locks) is preferred where the group's
    requirements still allow it (:func:`preferred_pins`)."""
    locked: list[Group] = []
    notes: list[Diagnostic] = []
    for group in groups:
        names = sorted(group.apps)
        if group.lock or set(names) & session.broken:
            locked.append(group)
            continue
        try:
            resolution = resolve_apps(
                {n: session.requirements(session.by_name[n], group.python) for n in names},
                target=session.target,
                python=group.python,
                finder=session.finder(names),
                max_rounds=session.max_rounds,
                buildable=[(b.package, b.version) for b in group.builds],
                preferred=preferred_pins(previous, names),
                prefer_binary=True,
            )
        except ResolutionImpossible as exc:
            why = f"its apps' requirements do not resolve together: {exc}"
        except ResolutionTooComplex:
            why = f"its resolution did not finish within {session.max_rounds} rounds"
        except IndexError_ as exc:
            why = str(exc)
        else:
            locked.append(replace(group, lock=lock_pins(resolution)))
            continue
        notes.append(
            Diagnostic(
                "warning",
                f"group {group.name!r} is not locked at CPython {group.python}: {why}; its "
                "requirements.txt lists its apps' requirements as written",
            )
        )
        locked.append(group)
    ignored = {pair for f in session.indexes.finders() for pair in ignored_releases(f)}
    notes.extend(
        Diagnostic(
            "warning",
            f"the locks leave out {release}, as pip (24.1 on) ignores a release whose "
            f"metadata is invalid: {why}",
        )
        for release, why in sorted(ignored)
    )
    return locked, notes


def preferred_pins(
    previous: Mapping[str, Mapping[str, str]], apps: Sequence[str]
) -> dict[str, str]:
    """The versions a group's lock keeps from a previous plan: a project's version where
    every one of ``apps`` that had it locked had the same (apps that come from different
    groups may disagree: then the project is resolved afresh)."""
    seen: dict[str, set[str]] = {}
    for app in apps:
        for name, version in previous.get(app, {}).items():
            seen.setdefault(canonicalize_name(name), set()).add(version)
    return {name: next(iter(v)) for name, v in sorted(seen.items()) if len(v) == 1}


def lock_pins(resolution: Resolution) -> tuple[LockedPin, ...]:
    """The pins of ``resolution`` as a group's lock (each with the apps that need it)."""
    return tuple(
        LockedPin(
            name=pin.name,
            version=pin.version,
            hashes=pin.hashes,
            parents=pin.parents,
            apps=resolution.apps.get(key, ()),
            extras=pin.extras,
            sdist=not urlsplit(pin.url).path.endswith(".whl"),
        )
        for key, pin in resolution.pins.items()
    )


def with_lock_builds(group: Group, target: Target) -> Group:
    """``group`` whose :attr:`~depsplit.model.Group.builds` are what its lock installs from
    an sdist, the lock being what the image installs: an entry of the index facts for a
    release the lock does not install goes (``murmurhash 1.0.15``, newest in range but
    sdist-only on CPython 3.6, where the lock takes an older release with a wheel), and a
    dependency no requirement names joins (``idna-ssl 1.1.0`` through ``aiohttp==3.5.4``).
    Unchanged without a lock."""
    if not group.lock:
        return group
    from depsplit.pysupport import no_wheel

    facts = {(canonicalize_name(b.package), b.version): b for b in group.builds}
    why = f"{no_wheel(group.python, target.machine)}; sdist only (in the group's lock)"
    builds = [
        facts.get(
            (canonicalize_name(pin.name), pin.version),
            BuildFromSource(pin.name, pin.version, why),
        )
        for pin in group.lock
        if pin.sdist
    ]
    builds.sort(key=lambda b: canonicalize_name(b.package))
    return replace(group, builds=tuple(builds))
