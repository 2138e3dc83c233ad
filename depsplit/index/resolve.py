"""Transitive resolution with resolvelib (pip's resolver core) and a provider of ours.

Identifiers are canonical project names; a requirement with extras gets its own identifier
``name[extra1,extra2]`` whose candidate depends on ``name==<same version>`` and on the
dependencies the extras add, as pip does. The interpreter is the identifier ``<python>``
with one candidate, the group's CPython: a release's ``Requires-Python`` is a dependency on
it, so a release that does not support the interpreter is backtracked over like any conflict.

Candidates are the releases that can be installed in the container: a wheel whose tags the
target accepts (Linux, the machine, the CPython minor; manylinux up to the image's glibc), or
the sdist of a release that publishes no wheel at all. A release whose wheels are all for
other minors or platforms is not a candidate (as pip skips an incompatible candidate): the
caller tries an older minor. An sdist-only release is evaluated from its ``PKG-INFO`` when
PEP 643 makes it authoritative; otherwise it is skipped, and only when the resolution then
fails on its project is it taken as having no dependencies (:func:`assumed_sdists` names it,
for a warning). Files and releases are always ordered by total keys, never compared.
Yanked releases are candidates only for an ``==``/``===`` pin (PEP 592); pre-releases follow
packaging's (and pip's) rule: only when a specifier names one, or nothing else matches.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from itertools import islice
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import resolvelib
from packaging.markers import UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import Requirement as PkgRequirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version
from resolvelib.resolvers.resolution import Resolution as _BaseResolution
from resolvelib.resolvers.resolution import _build_result

from depsplit.errors import EXIT_POLICY, DepsplitError, InputError
from depsplit.index.errors import (
    BadMetadataError,
    BuildError,
    IndexError_,
    InvalidMetadata,
    UnknownPackageError,
)
from depsplit.index.finder import DistMetadata, DynamicMetadata, Finder, IndexFile
from depsplit.index.tags import target_tags, wheel_rank
from depsplit.index.trace import Effect, current_trace
from depsplit.model import Origin, Requirement, Target
from depsplit.nesting import json_loads
from depsplit.redact import redact_url
from depsplit.specalgebra import exact_pins
from depsplit.target import (
    SUPPORTED_PYTHONS,
    allowed_pythons,
    marker_applies,
    marker_environment,
)

if TYPE_CHECKING:
    from resolvelib.resolvers import Result

PYTHON = "<python>"
MAX_ROUNDS = 20000
LOOKAHEAD_DEPTH = 4
"""How many links below a candidate :meth:`_Provider.doomed` looks for a top-level
requirement that the candidate's dependencies cannot meet."""
PLAIN_FIRST = True
"""Resolve as pip does first, and with the look-ahead only when that does not finish
(``False``: with the look-ahead from the start; the tests compare the two)."""
PLAIN_ROUNDS = 2000
"""Rounds pip's own search gets before the look-ahead takes over (at most ``max_rounds``).
A resolution that finishes or fails within it gives pip's answer and causes; one that
would need more is answered by the look-ahead, which gives the same answer where both
finish. Most closures take a few hundred rounds; the union of 40 tutorials of a real
repository took the plain search 20,000 rounds (7.8 s) and the look-ahead 154."""
LOOKAHEAD_BUDGET = 3000
"""How many releases' dependencies :meth:`_Provider.doomed` reads per resolution, at most
(beyond it, a candidate is offered unproven, as without the look-ahead)."""
LOOKAHEAD_PREFETCH = 8
"""How many releases' metadata the look-ahead fetches at once past one it found doomed
(it reads the next ones then: fetched one by one, a cold run waited on each)."""


# ------------------------------------------------------------------------------ public data


@dataclass(frozen=True)
class PinnedPackage:
    """One release chosen by the resolution."""

    name: str
    version: str
    hashes: tuple[str, ...]
    """``sha256:…`` of every file the container may install (its compatible wheels)."""
    url: str
    """The preferred file (credential-free)."""
    requires_python: str | None
    parents: tuple[str, ...]
    """Keys of the packages that require it; ``""`` for a top-level requirement."""
    files: tuple[IndexFile, ...] = field(default=(), compare=False, repr=False)
    """Every file of the release, for :func:`python_support`."""
    extras: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolution:
    pins: dict[str, PinnedPackage]
    """Canonical key → the chosen release, sorted by key."""
    chains: dict[str, tuple[str, ...]]
    """Canonical key → the shortest path from a top-level requirement, e.g.
    ``("fastapi==0.95.2", "pydantic<2,>=1.6.2")``."""
    target: Target
    python: str
    apps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Canonical key → the apps whose closure holds it (empty for :func:`resolve` without
    an app name)."""

    def requirements_txt(self, *, hashes: bool = True) -> str:
        """A pip lock: ``name==version`` lines, with ``--hash`` options when known."""
        lines = []
        for pin in self.pins.values():
            line = f"{pin.name}=={pin.version}"
            if hashes and pin.hashes:
                line += "".join(f" \\\n    --hash={h}" for h in pin.hashes)
            lines.append(line)
        return "\n".join(lines) + ("\n" if lines else "")


@dataclass(frozen=True)
class TransitiveRequirement:
    """One requirement edge of a resolved closure."""

    key: str
    name: str
    specifier: str
    chain: tuple[str, ...]
    """From the top-level requirement to this one (``len == 1`` for a direct requirement)."""
    origin: Origin | None
    """Where the top-level requirement of the chain is written."""
    app: str | None = None
    extras: tuple[str, ...] = ()

    @property
    def direct(self) -> bool:
        return len(self.chain) == 1


@dataclass(frozen=True)
class Cause:
    """One requirement among those that cannot be satisfied together."""

    key: str
    name: str
    requirement: str
    """The requirement as a PEP 508 string, or ``Requires-Python <spec>``."""
    chain: tuple[str, ...]
    origin: Origin | None
    app: str | None = None

    def describe(self) -> str:
        head = [self.app] if self.app else []
        where = f" ({self.origin})" if self.origin is not None else ""
        return " → ".join([*head, *self.chain]) + where


class ResolutionImpossible(DepsplitError):
    """The requirements cannot be installed together in one container (exit 1: a policy
    finding, not an error, when the CLI reports it for an app)."""

    exit_code = EXIT_POLICY

    def __init__(self, causes: Sequence[Cause], python: str, notes: Sequence[str] = ()) -> None:
        super().__init__(tuple(causes), python, tuple(notes))
        self.causes = tuple(causes)
        self.python = python
        self.notes = tuple(notes)

    @property
    def packages(self) -> tuple[str, ...]:
        """The keys of the packages in conflict (``<python>`` for the interpreter)."""
        return tuple(dict.fromkeys(c.key for c in self.causes))

    @property
    def apps(self) -> tuple[str, ...]:
        return tuple(sorted({c.app for c in self.causes if c.app}))

    def __str__(self) -> str:
        parts = []
        for key in self.packages:
            causes = [c for c in self.causes if c.key == key]
            if key == PYTHON:
                text = " and ".join(c.describe() for c in causes)
                parts.append(f"{text}: not CPython {self.python}")
            elif len(causes) == 1:
                parts.append(f"{causes[0].describe()} cannot be satisfied")
            else:
                parts.append(" conflicts with ".join(c.describe() for c in causes))
        message = "; ".join(parts) or "the requirements cannot be resolved"
        if self.notes:
            message += " (" + "; ".join(self.notes) + ")"
        return message


class ResolutionTooComplex(DepsplitError):
    """The resolver gave up after too many rounds (exit 2 when nothing else can be
    concluded: nothing was)."""

    def __init__(self, rounds: int = MAX_ROUNDS) -> None:
        super().__init__(rounds)
        self.rounds = rounds

    def __str__(self) -> str:
        return f"dependency resolution did not finish within {self.rounds} rounds"


class Meter:
    """Counts the resolver's rounds (pins and backtracks) over several resolutions: a
    measure of work that, unlike seconds, is the same cold or warm and on any machine."""

    def __init__(self) -> None:
        self.rounds = 0
        self.longest = 0
        """The most rounds one pass of the resolver took."""
        self.backjumps = 0
        """How often the resolver backjumped. resolvelib's optimistic backjumping weighs
        ``max_rounds`` once it has backjumped; a resolution that never did and finished
        within ``longest`` rounds takes the same steps under any ``max_rounds >= longest``."""


class _Reporter(resolvelib.BaseReporter):  # type: ignore[type-arg]
    def __init__(self, meter: Meter | None) -> None:
        self.meter = meter

    def starting_round(self, index: int) -> None:
        meter = self.meter
        if meter is not None:
            meter.rounds += 1
            if index >= meter.longest:
                meter.longest = index + 1

    def resolving_conflicts(self, causes: Any) -> None:
        if self.meter is not None:
            self.meter.backjumps += 1


# ------------------------------------------------------------------------ resolver objects


@dataclass(frozen=True, eq=False)
class _Req:
    key: NormalizedName
    name: str
    extras: frozenset[str]
    specifier: SpecifierSet
    chain: tuple[str, ...]
    app: str | None
    origin: Origin | None
    synthetic: bool = False
    """The ``name==version`` an extras candidate adds: a pin, not anyone's requirement."""
    spec_text: str = ""
    """``str(specifier)`` (computed when not given: ``SpecifierSet.__str__`` sorts its
    clauses, and the resolver asks for it at every round)."""
    pinned: bool | None = None
    """Whether the specifier holds an exact ``==``/``===`` pin (computed when not given)."""
    identifier: str = field(init=False)
    """Computed once: the resolver asks for it at every round."""

    def __post_init__(self) -> None:
        ident = PYTHON if self.key == PYTHON else _identifier(self.key, self.extras)
        object.__setattr__(self, "identifier", ident)
        if not self.spec_text:
            object.__setattr__(self, "spec_text", str(self.specifier))
        if self.pinned is None:
            object.__setattr__(self, "pinned", bool(exact_pins(self.specifier)))

    @property
    def text(self) -> str:
        if self.key == PYTHON:
            return f"Requires-Python {self.spec_text}"
        return _req_text(self.name, self.extras, self.spec_text)

    def __repr__(self) -> str:
        return f"<{self.text} via {self.chain}>"


@dataclass(frozen=True, eq=False)
class _Dep:
    """A requirement of a release, its marker evaluated for the container: what every
    candidate of that release turns into a :class:`_Req` (with its own chain and app)."""

    key: NormalizedName
    name: str
    extras: frozenset[str]
    specifier: SpecifierSet
    text: str
    """The chain's last link; ``""`` for the ``name==version`` an extras candidate adds
    (its chain is the candidate's own path)."""
    synthetic: bool = False
    spec_text: str = field(init=False)
    pinned: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec_text", str(self.specifier))
        object.__setattr__(self, "pinned", bool(exact_pins(self.specifier)))


@dataclass(frozen=True, eq=False)
class _Release:
    key: NormalizedName
    version: Version
    files: tuple[IndexFile, ...]
    best: IndexFile
    """The wheel the container would install, or the sdist when there is none."""
    yanked: bool


@dataclass(frozen=True)
class _Cand:
    key: str
    version: Version
    extras: frozenset[str] = frozenset()
    release: _Release | None = field(default=None, compare=False)
    path: tuple[str, ...] = field(default=(), compare=False)
    """How this candidate is reached: the chain of its requirement, ending in itself."""
    app: str | None = field(default=None, compare=False)
    origin: Origin | None = field(default=None, compare=False)
    name: str = field(default="", compare=False)

    @property
    def identifier(self) -> str:
        return PYTHON if self.key == PYTHON else _identifier(self.key, self.extras)


def _identifier(key: str, extras: frozenset[str]) -> str:
    return f"{key}[{','.join(sorted(extras))}]" if extras else key


def _req_text(name: str, extras: Iterable[str], specifier: str) -> str:
    ex = sorted(extras)
    return f"{name}{'[' + ','.join(ex) + ']' if ex else ''}{specifier}"


def _pin_text(version: Version) -> str:
    """``==<version>`` as the version is spelled. Not memoized by version: ``Version("3.0")``
    and ``Version("3.0.0")`` are equal and hash alike, so a memo would give one the other's
    spelling (a candidate's chain said ``==3.0.0`` for a 3.0 release)."""
    return f"=={version}"


def _natural(text: str) -> tuple[str | int, ...]:
    """Sort key putting ``cp39`` before ``cp310``."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def _python_ok(requires_python: str | None, python: str) -> bool:
    if not requires_python:
        return True
    return _python_ok_cached(requires_python, python)


@lru_cache(maxsize=8192)
def _python_ok_cached(requires_python: str, python: str) -> bool:
    try:
        return bool(allowed_pythons(requires_python, (python,)))
    except InvalidSpecifier:
        return True


_RankKey = tuple[str, str, str, Version]
"""(machine, Python, project, version) of a ranked release."""
_RANKED = "depsplit.index.resolve.releases"


def _ranked(finder: Finder) -> dict[_RankKey, _Release | None]:
    """The ranked releases of ``finder``'s projects, shared by every resolution through it
    (one per app, per union, per minor): a release is ranked once a run, not once an app."""
    found = finder.memo.get(_RANKED)
    if found is None:
        found = finder.memo[_RANKED] = {}
    return cast("dict[_RankKey, _Release | None]", found)


_TEMPLATES = "depsplit.index.resolve.dependencies"


def _templates(
    finder: Finder, target: Target, python: str
) -> dict[tuple[str, Version, frozenset[str]], list[_Dep]]:
    """The dependencies of each release (by its file, version and extras) with their
    markers evaluated for the container at ``python``, shared by every resolution through
    ``finder``: metadata is read and markers evaluated once a run, not once a resolution."""
    key = (_TEMPLATES, target, python)
    found = finder.memo.get(key)
    if found is None:
        with finder.memo_lock:
            found = finder.memo.setdefault(key, {})
    return cast("dict[tuple[str, Version, frozenset[str]], list[_Dep]]", found)


_SPECS = "depsplit.index.resolve.specifiers"


_Combined = tuple[SpecifierSet, set[Version], bool | None, tuple[Version, ...]]
"""A combined specifier, its exact pins, its ``prereleases`` and the versions it admits
(:meth:`_Provider._combined`)."""


def _specs(finder: Finder) -> dict[Hashable, _Combined]:
    """:meth:`_Provider._combined`'s memo, shared by every resolution through ``finder``."""
    found = finder.memo.get(_SPECS)
    if found is None:
        with finder.memo_lock:
            found = finder.memo.setdefault(_SPECS, {})
    return cast("dict[Hashable, _Combined]", found)


_K = TypeVar("_K")
_V = TypeVar("_V")


class _Lazy(Generic[_K, _V]):
    """The values ``value(item)`` that are not ``None``, for the items of ``items`` in
    order: each computed when an iteration first reaches its item, and kept. Iterable any
    number of times, and by several iterators at once, with the same ``value`` (given to
    :meth:`iterate`, not kept: a provider's memo holding its own bound method would be a
    reference cycle, and the run pauses the cyclic collector).

    The candidates of one ``find_matches`` (the resolver rarely goes past the first few: a
    release is ranked only when reached), and a resolution's installable releases
    (:meth:`_Provider._installable`)."""

    def __init__(self, items: Iterable[_K]) -> None:
        self._items: Iterator[_K] | None = iter(items)
        self._done: list[_V] = []

    def iterate(self, value: Callable[[_K], _V | None]) -> Iterator[_V]:
        index = 0
        while True:
            if index < len(self._done):
                yield self._done[index]
                index += 1
                continue
            if self._items is None:
                return
            for item in self._items:
                found = value(item)
                if found is not None:
                    self._done.append(found)
                    break
            else:
                self._items = None


def _same(candidate: _Cand) -> _Cand:
    return candidate


def _paired(
    release: Callable[[str, Version], _Release | None], key: str, version: Version
) -> tuple[Version, _Release] | None:
    found = release(key, version)
    return None if found is None else (version, found)


_Info = resolvelib.structs.RequirementInformation[_Req, _Cand]


def _flags(infos: Iterable[_Info]) -> tuple[bool, bool]:
    """Whether some requirement of a criterion pins it exactly, and whether some is a
    top-level one."""
    pinned = direct = False
    for info in infos:
        pinned = pinned or bool(info.requirement.pinned)
        direct = direct or info.parent is None
        if pinned and direct:
            break
    return pinned, direct


def _preference(
    identifier: str, flags: tuple[bool, bool], backtrack_causes: Sequence[_Info]
) -> tuple[bool, bool, bool, bool, str]:
    """The provider's preference (smallest first): the interpreter, then the packages of
    the last conflict, then exact pins, then top-level requirements, then by name."""
    caused = any(c.requirement.identifier == identifier for c in backtrack_causes)
    return (identifier != PYTHON, not caused, not flags[0], not flags[1], identifier)


class _Provider(resolvelib.AbstractProvider[_Req, _Cand, str]):
    """resolvelib's provider for one resolution at one CPython minor on one platform: what
    the resolver asks, and what each answer is.

    Identifiers
        :meth:`identify` gives a project's canonical name, with its extras in brackets
        (``uvicorn[standard]``) for an extras candidate, and :data:`PYTHON` for the
        interpreter (``Requires-Python`` is a requirement on it, which has one candidate:
        the container's minor).
    Preference
        :meth:`get_preference` returns a key, smallest first (:func:`_preference`): the
        interpreter, then the identifiers named by the last conflict (resolvelib's
        backtrack causes), then those some requirement pins exactly (``==``), then those
        a top-level requirement names, then by identifier. :class:`_Resolution` computes
        the same key with the flags kept on each criterion.
    Candidates
        :meth:`find_matches` returns the candidates of an identifier that satisfy all its
        requirements and the project's ``-c`` constraint and are not among
        ``incompatibilities``, most preferred first: newest first; only releases that
        install in the container (:meth:`release`: a wheel for its tags and
        ``Requires-Python``, or an sdist-only release whose dependencies are known); a
        yanked release only when pinned exactly; pre-releases as PEP 440 admits them. The
        first is produced at once and the rest lazily, as a factory of iterators. An empty
        answer is remembered, so that :meth:`notes` can say why no release matched.
        :meth:`is_satisfied_by` says whether a candidate's version meets one requirement
        (memoized: resolvelib asks it for every pin at every round).
    Dependencies
        :meth:`get_dependencies` returns the requirements of a candidate, from its core
        metadata with markers evaluated for the container (an extras candidate depends on
        its base project at the same version, and gets only what its extras add); each
        carries the chain of requirements it comes through and the app and origin of its
        top-level requirement, for the messages.
    Failures of one candidate
        An sdist-only release whose dependencies are unknown (``PKG-INFO`` does not declare
        them, PEP 643) or whose metadata is malformed is skipped, as pip skips a candidate
        whose metadata cannot be prepared, and recorded in :attr:`skipped`; when the
        resolution then fails on a project whose admitted releases were all skipped so
        (:meth:`sdists_only`), :func:`_run` resolves again with the project among
        :attr:`leaves` (its metadata built by its backend, else taken as having no
        dependencies and recorded in :attr:`assumed`; a backend that fails is an error
        naming the package). A release whose metadata is invalid (``uvicorn`` 0.14.0:
        ``Requires-Dist: click (>=7.*)``) is ignored, as pip (24.1 on) ignores it: found when
        the resolver pins it, it is rejected like a candidate that conflicts, and offered no
        more (:meth:`ignore`, :attr:`ignored`). Everything else fails closed: an
        index that cannot be read, an offline cache miss, a ``Requires-Dist`` marker that
        cannot be evaluated or a dependency on a direct URL raises an
        :class:`~depsplit.index.errors.IndexError_` naming the package and index; never
        "not a candidate". A resolution that does not finish within its rounds is
        :class:`ResolutionTooComplex`, one that cannot succeed :class:`ResolutionImpossible`
        (built from resolvelib's causes by :func:`_impossible`).
    """

    def __init__(
        self,
        finder: Finder,
        target: Target,
        python: str,
        constraints: Mapping[str, SpecifierSet],
        leaves: frozenset[str] = frozenset(),
        roots: Mapping[str, SpecifierSet] | None = None,
        *,
        lookahead: bool = False,
        buildable: frozenset[tuple[str, Version]] = frozenset(),
        preferred: Mapping[str, Version] = MappingProxyType({}),
        prefer_binary: bool = False,
    ) -> None:
        self.finder = finder
        self.prefer_binary = prefer_binary
        """Offer releases with a wheel for the container before those installed from an
        sdist, newer or not (pip's ``--prefer-binary``, which the generated Dockerfiles
        use): a group's lock for the direct plan."""
        self.preferred = preferred
        """Project → the version offered first when the requirements admit it (a previous
        lock's pin, as ``pip-compile`` prefers its output file's); the others follow,
        newest first."""
        self.buildable = buildable
        """(project, version) of releases the image builds from their sdist (a builder
        stage): candidates through their sdist though they publish wheels for other
        interpreters or platforms only (the direct plan's ``groups[].builds``)."""
        self.target = target
        self.python = python
        self.constraints = constraints
        self.leaves = leaves
        """Projects whose sdist-only releases of unknown dependencies are taken (as having
        none, with a warning) rather than skipped: the second pass of :func:`_run`."""
        self.skipped: dict[str, dict[Version, IndexError_]] = {}
        """Project → its sdist-only releases skipped as not evaluable, and why."""
        self.assumed: dict[tuple[str, Version], str] = {}
        """(project, version) → the sdist taken as having no dependencies."""
        self.ignored: dict[tuple[str, Version], str] = {}
        """(project, version) → why its metadata is invalid: the release is no candidate
        (:meth:`ignore`), as pip ignores it."""
        self.env = marker_environment(target, python)
        self._machine = target.machine
        self._releases = _ranked(finder)
        self._satisfied: dict[tuple[_Req, Version], bool] = {}
        self._templates = _templates(finder, target, python)
        self._specs = _specs(finder)
        self._constraint_text = {k: str(v) for k, v in constraints.items()}
        self._empty: dict[str, tuple[str, SpecifierSet, bool]] = {}
        """Identifier → (key, specifier, single requirement) of its last empty match."""
        self.roots: Mapping[str, SpecifierSet] = roots if roots is not None else constraints
        """Project → what every solution must meet: its top-level requirements and its
        ``-c`` constraint, as one specifier (the look-ahead's ground truth)."""
        self.lookahead = lookahead
        """Whether :meth:`find_matches` leaves out the candidates :meth:`doomed` proves to be
        in no solution."""
        self._doomed: set[tuple[str, Version]] = set()
        self._unproven: dict[tuple[str, Version], int] = {}
        """(project, version) → the depth to which :meth:`doomed` found no proof."""
        self._unmet_memo: dict[tuple[str, str, int], bool] = {}
        self._installables: dict[
            tuple[str, int], tuple[tuple[Version, ...], _Lazy[Version, tuple[Version, _Release]]]
        ] = {}
        """(project, ``id`` of admitted versions) → them, and :meth:`_installable`'s list."""
        self._lookahead_budget = LOOKAHEAD_BUDGET

    # -- releases installable in the container
    def versions(self, key: str) -> Mapping[Version, tuple[IndexFile, ...]]:
        """Every published version of ``key`` → its files, newest first (the finder's)."""
        return self.finder.versions(key)

    def release(self, key: str, version: Version) -> _Release | None:
        """The release if it installs in the container (a compatible wheel, or an sdist
        whose metadata is then unknown), ``None`` otherwise. Evaluated only for versions
        the resolver reaches (pages of 10 000 files stay cheap), once per finder."""
        if (key, version) in self.buildable:
            return self._sdist_release(key, version) or self._ranked_release(key, version)
        return self._ranked_release(key, version)

    def _sdist_release(self, key: str, version: Version) -> _Release | None:
        """The release through its sdist (for :attr:`buildable`), if it has one that
        allows the container's minor."""
        files = self.versions(key)[version]
        sdists = [f for f in files if not f.is_wheel and _python_ok(f.requires_python, self.python)]
        if not sdists:
            return None
        best = sorted(sdists, key=lambda f: (f.yanked is not None, f.filename))[0]
        return _Release(
            key=NormalizedName(key),
            version=version,
            files=files,
            best=best,
            yanked=best.yanked is not None,
        )

    def _ranked_release(self, key: str, version: Version) -> _Release | None:
        rank_key = (self._machine, self.python, key, version)
        if rank_key in self._releases:
            return self._releases[rank_key]
        files = self.versions(key)[version]
        # Keys are total: the position in ``files`` (source order, the first index first)
        # breaks the tie between two files of one name; files are never compared.
        wheels: list[tuple[bool, int, str, int]] = []
        sdists: list[tuple[bool, str, int]] = []
        for position, f in enumerate(files):
            if not _python_ok(f.requires_python, self.python):
                continue
            if f.is_wheel:
                rank = wheel_rank(f.tags, self.target, self.python)
                if rank is not None:
                    wheels.append((f.yanked is not None, rank, f.filename, position))
            else:
                sdists.append((f.yanked is not None, f.filename, position))
        release = None
        has_wheels = any(f.is_wheel for f in files)
        # A release with wheels, none of them for this container, is not a candidate here
        # (a slim image has no compiler; an older minor may have its wheels): pip, too,
        # never takes an incompatible candidate. An sdist-only release is one, when its
        # metadata can be known (:meth:`_evaluable`).
        if wheels or (sdists and not has_wheels):
            chosen = [files[w[3]] for w in sorted(wheels)] or [files[x[2]] for x in sorted(sdists)]
            release = _Release(
                key=NormalizedName(key),
                version=version,
                files=files,
                best=chosen[0],
                yanked=all(f.yanked is not None for f in chosen),
            )
        self._releases[rank_key] = release
        return release

    def notes(self, keys: Iterable[str]) -> list[str]:
        """Why no release matched, for the packages (of a failed resolution) given."""
        wanted = set(keys)
        out = []
        for ident, (key, spec, single) in sorted(self._empty.items()):
            if ident.split("[", 1)[0] in wanted:
                note = self._why_none(key, spec, single=single)
                if note:
                    out.append(note)
        for (key, version), why in sorted(self.ignored.items()):
            if key in wanted:
                out.append(f"{key} {version} is ignored, as pip ignores it: {why}")
        return out

    # -- resolvelib interface
    def identify(self, requirement_or_candidate: _Req | _Cand) -> str:
        """The project's canonical name (with ``[extras]`` for an extras candidate), or
        :data:`PYTHON` for the interpreter."""
        return requirement_or_candidate.identifier

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, _Cand],
        candidates: Mapping[str, Iterator[_Cand]],
        information: Mapping[str, Iterator[resolvelib.structs.RequirementInformation[_Req, _Cand]]],
        backtrack_causes: Sequence[resolvelib.structs.RequirementInformation[_Req, _Cand]],
    ) -> Any:
        """The sort key of ``identifier`` (smallest is resolved first): :func:`_preference`."""
        return _preference(identifier, _flags(information[identifier]), backtrack_causes)

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[_Req]],
        incompatibilities: Mapping[str, Iterator[_Cand]],
    ) -> list[_Cand] | Callable[[], Iterator[_Cand]]:
        """The candidates, most preferred first: newest first; a yanked release only when
        pinned with ``==``/``===``; pre-releases as packaging's ``SpecifierSet.filter`` (and
        pip) admit them. All but the first are produced lazily (resolvelib takes a factory
        of iterators), as the resolver asks for them."""
        reqs = list(requirements[identifier])
        bad = {c.version for c in incompatibilities[identifier]}
        if identifier == PYTHON:
            ok = all(_python_ok(r.spec_text, self.python) for r in reqs)
            version = Version(self.python)
            return [_Cand(PYTHON, version, name="Python")] if ok and version not in bad else []
        if not reqs:
            # A criterion whose requirements all went with the pins that brought them, met
            # again while resolvelib backjumps (``_patch_criteria``): nothing asks for the
            # project any more, so nothing is offered, as pip's factory answers.
            return []
        first = min(reqs, key=lambda r: (len(r.chain), r.chain))
        trace = current_trace()
        if trace is not None and first.key not in trace.reads:
            self.versions(first.key)  # noted: the memos below may not ask the finder
        spec, pins, prereleases, admitted = self._combined(first.key, reqs)
        matches: _Lazy[_Cand, _Cand] = _Lazy(
            self._produce(first, spec, admitted, bad, pins, prereleases)
        )
        head = next(matches.iterate(_same), None)
        if head is None:
            self._empty[identifier] = (first.key, spec, len(reqs) == 1)
            return []
        if head.release is not None:
            self.finder.prefetch_metadata(head.release.best)
        return partial(matches.iterate, _same)

    def _combined(self, key: str, reqs: Sequence[_Req]) -> _Combined:
        """The requirements' specifiers and the project's constraint as one specifier, its
        exact pins, its ``prereleases`` and the project's versions it admits (pre-releases
        included, newest first): memoized for every resolution through the finder (by the
        specifiers' texts, in order), as the resolver asks again at each round for the same
        sets (filtering hundreds of versions at each call was its largest own cost; a
        project's pages do not change during a run)."""
        constraint = self.constraints.get(key)
        memo_key = (
            key,
            tuple(r.spec_text for r in reqs),
            None if constraint is None else self._constraint_text[key],
        )
        found = self._specs.get(memo_key)
        if found is None:
            spec = SpecifierSet()
            for r in reqs:
                spec &= r.specifier
            if constraint is not None:
                spec &= constraint
            admitted = tuple(spec.filter(self.versions(key), prereleases=True))
            found = (spec, exact_pins(spec), spec.prereleases, admitted)
            self._specs[memo_key] = found
        return found

    def _produce(
        self,
        first: _Req,
        spec: SpecifierSet,
        admitted: tuple[Version, ...],
        bad: set[Version],
        pins: set[Version],
        prereleases: bool | None,
    ) -> Iterator[_Cand]:
        """``sorted(spec.filter(eligible), reverse=True)`` without ``bad``, where
        ``eligible`` are the ``admitted`` versions (newest first, pre-releases included)
        whose release installs and is not yanked (unless pinned), each release ranked only
        when reached. With the PEP 440 default (the specifier names no pre-release), only
        final releases, or the pre-releases when no final release is eligible. With
        :attr:`prefer_binary`, a release installed from its sdist comes after every release
        with a wheel for the container, as pip's ``--prefer-binary`` orders them."""
        key = first.key
        held: list[tuple[Version, _Release]] = []
        built: list[tuple[Version, _Release]] = []
        found_final = False
        kept = self.preferred.get(key)
        if kept is not None:
            release = self._offerable(key, kept, spec, bad, pins)
            if release is not None and not (self.lookahead and self.doomed(key, kept, release)):
                yield self._candidate(first, kept, release)
        ignored = self.ignored
        for version, release in self._installable(key, admitted):
            if version == kept or (ignored and (key, version) in ignored):
                continue
            if release.yanked and version not in pins:
                continue
            if version not in bad and not self._evaluable(release):
                continue
            if version not in bad and self.lookahead and self.doomed(key, version, release):
                # The next ones are judged too, one after another: fetch them at once.
                at = admitted.index(version)
                self._prefetch(key, admitted[at + 1 : at + 1 + LOOKAHEAD_PREFETCH])
                continue
            if prereleases or not version.is_prerelease:
                found_final = found_final or not version.is_prerelease
                if version in bad:
                    continue
                if self.prefer_binary and not release.best.is_wheel:
                    built.append((version, release))
                    continue
                yield self._candidate(first, version, release)
            elif prereleases is None and not found_final:
                held.append((version, release))
        for version, release in built:
            yield self._candidate(first, version, release)
        if prereleases is None and not found_final:
            for version, release in held:
                if version not in bad:
                    yield self._candidate(first, version, release)

    def _installable(
        self, key: str, admitted: tuple[Version, ...]
    ) -> Iterator[tuple[Version, _Release]]:
        """The versions of ``admitted`` whose release installs in the container
        (:meth:`release`), with it, in order: found as they are reached and kept for the
        resolution. :meth:`_produce` asks again for the same admitted versions at every
        criterion change and backjump, and most of a long history may not install here
        (``fastapi``'s 300 releases at CPython 3.6): they are passed over once."""
        found = self._installables.get((key, id(admitted)))
        if found is None or found[0] is not admitted:
            found = (admitted, _Lazy(admitted))
            self._installables[(key, id(admitted))] = found
        return found[1].iterate(partial(_paired, self.release, key))

    # -- look-ahead: candidates no solution can hold
    def doomed(
        self, key: str, version: Version, release: _Release, depth: int | None = None
    ) -> bool:
        """Whether ``key`` ``version`` is proven to be in no solution: its version misses a
        top-level requirement or constraint on its project (:attr:`roots`), its
        ``Requires-Python`` excludes the container's minor, or, looking at most ``depth``
        links down, one of its dependencies (markers evaluated for the container) admits
        no release that is not itself doomed. ``attrs==20.3.0`` beside ``jupyter``: every
        ``jsonschema>=4.18`` needs ``attrs>=22.2``, so every ``jupyter-events>=0.7`` (which
        needs such a jsonschema) is doomed, and so on up the chain; without the look-ahead
        resolvelib, like pip, tries their combinations one by one and does not finish.

        Sound (a proof only removes candidates no solution holds, so whether the
        requirements resolve is unchanged) and lazy: only wheels' metadata is read, a
        release whose dependencies cannot be read (an sdist, an index error) is never
        doomed by them, and at most :data:`LOOKAHEAD_BUDGET` releases are read per
        resolution. Index errors are left to the resolver, which raises them if it needs
        the release."""
        if depth is None:
            depth = LOOKAHEAD_DEPTH
        item = (key, version)
        if item in self._doomed:
            return True
        if self._unproven.get(item, -1) >= depth:
            return False
        root = self.roots.get(key)
        if root is not None and not root.contains(version, prereleases=True):
            self._doomed.add(item)
            return True
        if depth <= 0 or not release.best.is_wheel or self._lookahead_budget <= 0:
            return False
        self._lookahead_budget -= 1
        try:
            deps = self._release_dependencies(key, version, release)
        except DepsplitError:
            self._unproven[item] = LOOKAHEAD_DEPTH
            return False
        for dep in deps:
            if dep.key == PYTHON:
                met = _python_ok(dep.spec_text, self.python)
            else:
                met = not self._unmet(dep, depth - 1)
            if not met:
                self._doomed.add(item)
                return True
        self._unproven[item] = depth
        return False

    def _unmet(self, dep: _Dep, depth: int) -> bool:
        """Whether no release of ``dep``'s project meets it and :attr:`roots` without
        being :meth:`doomed` at ``depth``."""
        memo_key = (dep.key, dep.spec_text, depth)
        found = self._unmet_memo.get(memo_key)
        if found is not None:
            return found
        spec = dep.specifier
        root = self.roots.get(dep.key)
        if root is not None:
            spec = spec & root
        try:
            versions = self.versions(dep.key)
        except DepsplitError:
            return False
        found = True
        matching = iter(spec.filter(versions, prereleases=True))
        ahead: deque[Version] = deque()
        while (version := ahead.popleft() if ahead else next(matching, None)) is not None:
            release = self.release(dep.key, version)
            if release is None:
                continue
            if not self.doomed(dep.key, version, release, depth):
                found = False
                break
            # Doomed: the next ones will be read too, one after another; fetch them at once.
            ahead.extend(islice(matching, LOOKAHEAD_PREFETCH - len(ahead)))
            self._prefetch(dep.key, ahead)
        self._unmet_memo[memo_key] = found
        return found

    def _prefetch(self, key: str, versions: Iterable[Version]) -> None:
        """Start fetching the metadata of the wheels of ``key`` ``versions`` (the
        look-ahead reads them one after another: a cold run waited on each in turn)."""
        for version in versions:
            release = self.release(key, version)
            if release is not None and release.best.is_wheel:
                self.finder.prefetch_metadata(release.best)

    def _release_dependencies(self, key: str, version: Version, release: _Release) -> list[_Dep]:
        """A release's dependencies in the container (:meth:`_templates_of`, shared with
        :meth:`get_dependencies`)."""
        return self._templates_of(_Cand(key=key, version=version, release=release, name=key))

    def _offerable(
        self, key: str, version: Version, spec: SpecifierSet, bad: set[Version], pins: set[Version]
    ) -> _Release | None:
        """The release of ``version`` of ``key`` if :meth:`_produce` would offer it:
        published, admitted by ``spec`` (pre-releases included: it was locked), not
        ``bad``, installable here, not yanked unless pinned, its metadata known."""
        if version in bad or version not in self.versions(key) or (key, version) in self.ignored:
            return None
        if not spec.contains(version, prereleases=True):
            return None
        release = self.release(key, version)
        if release is None or (release.yanked and version not in pins):
            return None
        return release if self._evaluable(release) else None

    def ignore(self, key: str, version: Version, why: InvalidMetadata) -> None:
        """Take ``key`` ``version`` out of the candidates: its metadata is invalid."""
        # Its message only: the error's traceback holds the frames that raised it, this
        # provider's among them (a cycle, and the run pauses the cyclic collector).
        self.ignored[(key, version)] = why.message

    def sdists_only(self, key: str) -> bool:
        """Whether ``key`` found no candidate only because every release its requirements
        admit is an sdist-only one skipped as not evaluable (``antlr4-python3-runtime==4.9.*``).
        Not when a release with wheels was admitted (``markupsafe<2.1``: 2.0.1 has wheels up
        to cp310): an older minor is the answer there, not an unbuilt sdist."""
        if key not in self.skipped:
            return False
        specs = [spec for k, spec, _single in self._empty.values() if k == key]
        if not specs:
            return False
        versions = self.versions(key)
        for spec in specs:
            admitted = [v for v in versions if spec.contains(v, prereleases=True)]
            if not admitted or any(f.is_wheel for v in admitted for f in versions[v]):
                return False
        return True

    def _evaluable(self, release: _Release) -> bool:
        """Whether the resolver can learn the dependencies of ``release``: always for a
        wheel; for an sdist-only release, when its ``PKG-INFO`` declares them (PEP 643).
        Otherwise pip would build it to learn them; depsplit does not build, so the release
        is skipped (as pip skips a candidate whose metadata cannot be prepared), unless its
        project is one of :attr:`leaves`. Network and offline errors are raised: never
        taken as "not a candidate"."""
        best = release.best
        if best.is_wheel:
            return True
        try:
            self.finder.metadata(best)
        except DynamicMetadata as exc:
            if release.key in self.leaves and self.finder.config.build_metadata:
                try:
                    self.finder.built_metadata(best)
                except BuildError as failed:
                    # Skipped, as pip skips a candidate whose metadata cannot be prepared;
                    # :func:`_run` names it when the resolution then fails on its project.
                    self.skipped.setdefault(release.key, {})[release.version] = failed
                    return False
                return True
            if release.key in self.leaves:
                self.assumed[(release.key, release.version)] = best.filename
                return True
            self.skipped.setdefault(release.key, {})[release.version] = exc
            return False
        except InvalidMetadata as exc:
            self.ignore(release.key, release.version, exc)
            return False
        except BadMetadataError as exc:
            if release.key in self.leaves:
                raise
            self.skipped.setdefault(release.key, {})[release.version] = exc
            return False
        return True

    @staticmethod
    def _candidate(first: _Req, version: Version, release: _Release) -> _Cand:
        return _Cand(
            key=first.key,
            version=version,
            extras=first.extras,
            release=release,
            path=(*first.chain[:-1], _req_text(first.name, first.extras, _pin_text(version))),
            app=first.app,
            origin=first.origin,
            name=first.name,
        )

    def _why_none(self, key: str, spec: SpecifierSet, *, single: bool) -> str | None:
        where = self.finder.where
        versions = self.versions(key)
        skipped = self.skipped.get(key, {})
        matching_files = [
            f for v in versions if spec.contains(v, prereleases=True) for f in versions[v]
        ]
        if (
            skipped
            and any(spec.contains(v, prereleases=True) for v in skipped)
            and not any(f.is_wheel for f in matching_files)
        ):
            shown = sorted(v for v in skipped if spec.contains(v, prereleases=True))
            return (
                f"{key}{spec}: {', '.join(str(v) for v in shown[-3:])} "
                f"{'is' if len(shown) == 1 else 'are'} only published as a source "
                "distribution whose dependencies are unknown without building it"
            )
        if not versions:
            return f"no project {key} on {where}"
        matching = [v for v in versions if spec.contains(v, prereleases=True)]
        if not matching:
            if not single:
                return None  # the causes say it: the requirements exclude each other
            return f"no release of {key} matches {spec or 'any version'} on {where}"
        if all(self.release(key, v) is None or v in skipped for v in matching):
            files = [f for v in matching for f in versions[v]]
            interpreters = sorted({t.interpreter for f in files for t in f.tags}, key=_natural)
            platforms = sorted({t.platform for f in files for t in f.tags}, key=_natural)
            has_py = sorted({f.requires_python for f in files if f.requires_python})
            detail = (
                f"wheels for {', '.join(interpreters[:8])} on {', '.join(platforms[:4])}"
                if interpreters
                else "no wheel"
            )
            if has_py:
                detail += f"; Requires-Python {', '.join(has_py[:3])}"
            return (
                f"no release of {key}{spec} installs on CPython {self.python} "
                f"linux/{self.target.machine} ({detail})"
            )
        if all((r := self.release(key, v)) is not None and r.yanked for v in matching):
            return f"every release of {key} matching {spec} is yanked"
        # Candidates the resolver ruled out itself (``click==8.0.3`` against a
        # ``Flask==3.1.3 → click>=8.1.3`` already pinned): the causes say why.
        return None

    def is_satisfied_by(self, requirement: _Req, candidate: _Cand) -> bool:
        """Whether the candidate's version meets the requirement's specifier (pre-releases
        included: :meth:`find_matches` has already chosen which to offer)."""
        # Asked again for every pin at every round: memoized (a _Req hashes by identity,
        # and the dict keeps it alive for the resolution).
        key = (requirement, candidate.version)
        found = self._satisfied.get(key)
        if found is None:
            if requirement.key == PYTHON:
                found = _python_ok(requirement.spec_text, self.python)
            else:
                found = requirement.specifier.contains(candidate.version, prereleases=True)
            self._satisfied[key] = found
        return found

    def get_dependencies(self, candidate: _Cand) -> list[_Req]:
        """The candidate's requirements in the container (none for the interpreter): its
        ``Requires-Python`` (or, for an extras candidate, its base project at the same
        version) and the ``Requires-Dist`` lines whose marker holds, each with its chain,
        app and origin. Raises :class:`~depsplit.index.errors.IndexError_` when its
        metadata cannot be read or a marker cannot be evaluated."""
        if candidate.key == PYTHON or candidate.release is None:
            return []
        found = self._templates_of(candidate)
        path, app, origin = candidate.path, candidate.app, candidate.origin
        return [
            _Req(
                key=t.key,
                name=candidate.name if t.synthetic else t.name,
                extras=t.extras,
                specifier=t.specifier,
                chain=(*path, t.text) if t.text else path,
                app=app,
                origin=origin,
                synthetic=t.synthetic,
                spec_text=t.spec_text,
                pinned=t.pinned,
            )
            for t in found
        ]

    def _templates_of(self, candidate: _Cand) -> list[_Dep]:
        """:meth:`_dependency_templates`, kept in the finder's memo when they come from the
        file's own metadata (the same for every resolution through it)."""
        assert candidate.release is not None
        tkey = (candidate.release.best.url, candidate.version, candidate.extras)
        found = self._templates.get(tkey)
        if found is None:
            found, static = self._dependency_templates(candidate)
            if static:
                self._templates[tkey] = found
        return found

    def _dependency_templates(self, candidate: _Cand) -> tuple[list[_Dep], bool]:
        """What :meth:`get_dependencies` makes requirements of (the markers evaluated for
        the container), and whether it may be kept for every resolution through the
        finder at this interpreter (not when the metadata had to be built or assumed)."""
        release = candidate.release
        assert release is not None
        best = release.best
        static = True
        try:
            meta: DistMetadata = self.finder.metadata(best)
        except DynamicMetadata as exc:
            static = False
            if self.finder.config.build_metadata:
                meta = self.finder.built_metadata(best)  # prepared in :meth:`_evaluable`
            else:
                # Only a project of :attr:`leaves` gets here (:meth:`_evaluable`): taken as
                # having no dependencies beyond its PKG-INFO's Requires-Python.
                meta = replace(exc.metadata, requires_dist=())
        deps: list[_Dep] = []
        if candidate.extras:
            spec = SpecifierSet(f"=={candidate.version}")
            deps.append(
                _Dep(NormalizedName(candidate.key), candidate.name, frozenset(), spec, "", True)
            )
        elif meta.requires_python:
            text = f"Requires-Python {meta.requires_python}"
            spec = SpecifierSet(meta.requires_python)
            deps.append(_Dep(NormalizedName(PYTHON), "Python", frozenset(), spec, text))
        for dep in meta.requires_dist:
            try:
                applies = self._applies(dep, candidate.extras)
            except (UndefinedComparison, UndefinedEnvironmentName) as exc:
                # pip cannot evaluate such a marker either: fail closed, naming it.
                raise BadMetadataError(
                    candidate.key,
                    release.best.index,
                    f"{candidate.version}: the marker of 'Requires-Dist: {dep}' cannot be "
                    f"evaluated ({exc})",
                ) from exc
            if not applies:
                continue
            if dep.url:
                raise UnknownPackageError(
                    candidate.key,
                    release.best.index,
                    f"{candidate.version} requires {dep.name} from a direct URL "
                    f"({redact_url(dep.url)}), which is not resolved through an index",
                )
            dep_key = canonicalize_name(dep.name)
            dep_extras = frozenset(canonicalize_name(e) for e in dep.extras)
            text = _req_text(dep.name, dep_extras, str(dep.specifier))
            deps.append(_Dep(dep_key, dep.name, dep_extras, dep.specifier, text))
        self.finder.prefetch(d.key for d in deps if d.key != PYTHON)
        return deps, static

    def _applies(self, dep: PkgRequirement, extras: frozenset[str]) -> bool:
        if dep.marker is None:
            return not extras
        env = dict(self.env)
        env["extra"] = ""
        base = dep.marker.evaluate(env)
        if not extras:
            return base
        if base:
            return False  # the base candidate brings it already
        for extra in extras:
            env["extra"] = extra
            if dep.marker.evaluate(env):
                return True
        return False


# ------------------------------------------------------------------- resolvelib, memoized


class _Resolution(_BaseResolution[_Req, _Cand, str]):
    """resolvelib's own algorithm, round for round (the same pins, backtracks and rounds),
    with the two questions it asks of every criterion at every round answered from memos:
    whether the current pin satisfies the criterion, and the criterion's preference. A
    criterion is never changed once made (resolvelib makes a new one), so both are kept on
    the criterion object itself (the last pin checked; the flags), and go when it goes.
    It overrides two methods of resolvelib 1.1/1.2 (pyproject.toml bounds the version;
    tests/index/test_resolver_memo.py compares it with the stock resolver)."""

    def _is_current_pin_satisfying(self, name: str, criterion: Any) -> bool:
        pin = self.state.mapping.get(name)
        if pin is None:
            return False
        memo = vars(criterion)
        last = memo.get("_depsplit_pin")
        if last is not None and last[0] is pin:
            return bool(last[1])
        satisfied = self._p.is_satisfied_by
        ok = all(satisfied(i.requirement, pin) for i in criterion.information)
        memo["_depsplit_pin"] = (pin, ok)
        return ok

    def _get_updated_criteria(self, candidate: _Cand) -> Any:
        """resolvelib's, but a candidate whose metadata turns out invalid is rejected as if
        it conflicted with its own criterion, and recorded (:meth:`_Provider.ignore`): the
        resolver goes on with the next candidate (pip 24.1 on ignores such a release)."""
        try:
            return super()._get_updated_criteria(candidate)
        except InvalidMetadata as exc:
            provider = cast("_Provider", self._p)
            provider.ignore(candidate.key, candidate.version, exc)
            name = provider.identify(candidate)
            raise resolvelib.resolvers.RequirementsConflicted(self.state.criteria[name]) from None

    def _patch_criteria(self, incompatibilities_from_broken: list[tuple[str, list[_Cand]]]) -> bool:
        """resolvelib's, with each patched criterion's incompatibilities kept without
        repeats. resolvelib joins the broken state's list and the current one, which hold
        the same candidates, at every backjump: the list doubles each time (15 million
        entries for 9 candidates after 2,000 rounds of ``fastapi``/``uvicorn`` at CPython
        3.6, which took 90 s), and every ``find_matches`` reads it whole. Only the set of
        them counts (:meth:`_Provider.find_matches` makes a set of their versions, as pip's
        provider does of their ids), so the rounds are the same."""
        patched = super()._patch_criteria(incompatibilities_from_broken)
        for _key, incompatibilities in incompatibilities_from_broken:
            if len(incompatibilities) > 1:
                # In place: the patched criterion holds this very list.
                incompatibilities[:] = {id(c): c for c in incompatibilities}.values()
        return patched

    def _get_preference(self, name: str) -> Any:
        state = self.state
        memo = vars(state.criteria[name])
        flags = memo.get("_depsplit_flags")
        if flags is None:
            flags = memo["_depsplit_flags"] = _flags(state.criteria[name].information)
        return _preference(name, flags, state.backtrack_causes)


class _Resolver(resolvelib.Resolver[_Req, _Cand, str]):
    def resolve(  # type: ignore[override]  # resolvelib's own Resolver.resolve signature
        self, requirements: Iterable[_Req], max_rounds: int = 100
    ) -> resolvelib.resolvers.Result[_Req, _Cand, str]:
        resolution = _Resolution(self.provider, self.reporter)
        return _build_result(resolution.resolve(requirements, max_rounds=max_rounds))


# ---------------------------------------------------------------------------- entry points


def _top_level(
    requirements: Sequence[Requirement],
    app: str | None,
    target: Target,
    python: str,
    finder: Finder,
    reqs: list[_Req],
    constraints: dict[str, SpecifierSet],
) -> None:
    for r in requirements:
        if not marker_applies(r.marker, target, python):
            continue
        try:
            spec = SpecifierSet(r.specifier)
        except InvalidSpecifier as exc:
            raise InputError(
                r.origin.file, f"invalid specifier {r.specifier!r}", r.origin.line
            ) from exc
        if r.role == "constraint":
            key = canonicalize_name(r.name)
            constraints[key] = constraints.get(key, SpecifierSet()) & spec
            continue
        if r.url or r.editable:
            shown = redact_url(r.url) if r.url else "(editable)"
            raise UnknownPackageError(
                r.name,
                shown,
                f"{r.origin}: a direct URL or local requirement is not resolved through an "
                "index; its dependencies are unknown",
            )
        extras = frozenset(canonicalize_name(e) for e in r.extras)
        text = _req_text(r.name, extras, str(spec))
        reqs.append(
            _Req(
                key=canonicalize_name(r.name),
                name=r.name,
                extras=extras,
                specifier=spec,
                chain=(text,),
                app=app,
                origin=r.origin,
            )
        )


def _version_or_none(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


class _Impossible(Exception):
    def __init__(self, causes: Iterable[_Info], provider: _Provider) -> None:
        self.causes = list(causes)
        self.provider = provider


_DEEP = "depsplit.index.resolve.deep"
"""The finder's memo of the unions (requirements, constraints, interpreter) whose plain
search ran out of rounds."""


def _attempt(
    make: Callable[..., _Provider],
    reqs: Sequence[_Req],
    max_rounds: int,
    meter: Meter | None,
    deep: tuple[Finder, Hashable] | None = None,
) -> tuple[Result[_Req, _Cand, str], _Provider]:
    """One resolution, and the provider that gave its answer: pip's search first (the
    answers, failures and causes everyone else gets), then, only when it does not finish
    within :data:`PLAIN_ROUNDS` (at most ``max_rounds``), again with the look-ahead
    (:meth:`_Provider.doomed`) and all of ``max_rounds``, which finishes where it does not
    and gives the same answer where both finish (it removes only candidates no solution
    holds). A failure found by the look-ahead is explained by its own causes. ``deep``: the
    finder and the key of this union: a union whose plain search ran out once (the
    partition's check of a group, then its lock) goes to the look-ahead at once.
    Raises :class:`_Impossible` or resolvelib's ``ResolutionTooDeep``."""
    order = (False, True) if PLAIN_FIRST else (True,)
    if deep is not None:
        finder, key = deep
        with finder.memo_lock:
            known = key in finder.memo.get(_DEEP, ())
        _note("deep?", _deep_text(key), "1" if known else "0")
        if known:
            order = (True,)
    for lookahead in order:
        attempt = make(lookahead=lookahead)
        resolver: resolvelib.Resolver[_Req, _Cand, str] = _Resolver(attempt, _Reporter(meter))
        rounds = max_rounds if lookahead else min(max_rounds, PLAIN_ROUNDS)
        try:
            return resolver.resolve(reqs, max_rounds=rounds), attempt
        except resolvelib.ResolutionImpossible as exc:
            raise _Impossible(exc.causes, attempt) from None
        except resolvelib.ResolutionTooDeep:
            if lookahead:
                raise
            if deep is not None:
                with deep[0].memo_lock:
                    deep[0].memo.setdefault(_DEEP, set()).add(deep[1])
                _note("deep", _deep_text(deep[1]))
        finally:
            _remember_ignored(attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _union_key(
    reqs: Sequence[_Req], constraints: Mapping[str, SpecifierSet], python: str
) -> Hashable:
    """What makes two resolutions the same union for :func:`_attempt`'s memo."""
    return (
        python,
        frozenset((r.identifier, r.spec_text) for r in reqs),
        frozenset((k, str(v)) for k, v in constraints.items()),
    )


def _run(
    apps: Sequence[tuple[str | None, Sequence[Requirement]]],
    target: Target,
    python: str,
    finder: Finder,
    *,
    max_rounds: int = MAX_ROUNDS,
    meter: Meter | None = None,
    buildable: Iterable[tuple[str, str]] = (),
    preferred: Mapping[str, str] = MappingProxyType({}),
    prefer_binary: bool = False,
) -> tuple[Result[_Req, _Cand, str], _Provider]:
    builds = frozenset((canonicalize_name(k), Version(v)) for k, v in buildable)
    kept = {canonicalize_name(k): _version_or_none(v) for k, v in preferred.items()}
    prefer: dict[str, Version] = {k: v for k, v in kept.items() if v is not None}
    reqs: list[_Req] = []
    constraints: dict[str, SpecifierSet] = {}
    for app, requirements in apps:
        _top_level(requirements, app, target, python, finder, reqs, constraints)
    finder.prefetch(r.key for r in reqs)
    # Sdist-only releases whose dependencies are unknown are skipped: a release with wheels,
    # or an older minor, is preferred to a build. When the resolution then fails on such a
    # project (``hydra-core`` needs ``antlr4-python3-runtime==4.9.*``, published only as an
    # sdist of Metadata-Version 2.1), it runs again with that project's metadata prepared by
    # its build backend in isolation (:meth:`Finder.built_metadata`), as pip would; a
    # backend that fails is an error naming the package. With ``build_metadata`` off, the
    # sdists are taken as having no dependencies, and :func:`assumed_sdists` names them.
    roots = dict(constraints)
    for req in reqs:
        roots[req.key] = roots[req.key] & req.specifier if req.key in roots else req.specifier
    # A release the image builds from its sdist has its metadata built (or assumed) at once.
    leaves: frozenset[str] = frozenset(key for key, _ in builds)
    while True:
        make = partial(
            _Provider,
            finder,
            target,
            python,
            constraints,
            leaves,
            roots,
            buildable=builds,
            preferred=prefer,
            prefer_binary=prefer_binary,
        )
        try:
            result, provider = _attempt(
                make, reqs, max_rounds, meter, (finder, _union_key(reqs, constraints, python))
            )
        except _Impossible as exc:
            provider = exc.provider
            failure = _impossible(exc.causes, provider)
            only = {k for k in failure.packages if provider.sdists_only(k)}
            if only - leaves:
                leaves |= only
                continue
            if only and finder.config.build_metadata:
                # Every release the requirements admit is an sdist whose backend failed:
                # nothing can be said about the project (fail closed), named with the reason.
                skipped = provider.skipped[sorted(only)[0]]
                raise skipped[max(skipped)] from None
            raise failure from None
        except resolvelib.ResolutionTooDeep:
            raise ResolutionTooComplex(max_rounds) from None
        _remember_assumed(finder, provider)
        return result, provider


_ASSUMED = "depsplit.index.resolve.assumed"


def _remember_assumed(finder: Finder, provider: _Provider) -> None:
    if provider.assumed:
        found = finder.memo.setdefault(_ASSUMED, {})
        with finder.memo_lock:
            found.update(provider.assumed)
        for (key, version), filename in provider.assumed.items():
            _note("assumed", key, str(version), filename)


_IGNORED = "depsplit.index.resolve.ignored"


def _remember_ignored(provider: _Provider) -> None:
    if provider.ignored:
        finder = provider.finder
        with finder.memo_lock:
            found = finder.memo.setdefault(_IGNORED, {})
            found.update(provider.ignored)
        for (key, version), why in provider.ignored.items():
            _note("ignored", key, str(version), why)


def _note(*effect: str) -> None:
    """``effect`` in the calling thread's trace, if one is open (:func:`replay`)."""
    trace = current_trace()
    if trace is not None:
        trace.effects.append(effect)


def _deep_text(key: Hashable) -> str:
    """A :func:`_union_key` as text (JSON), for a trace."""
    python, reqs, constraints = cast(
        "tuple[str, frozenset[tuple[str, str]], frozenset[tuple[str, str]]]", key
    )
    return json.dumps([python, sorted(reqs), sorted(constraints)], separators=(",", ":"))


def _deep_key(text: str) -> Hashable:
    """The inverse of :func:`_deep_text`; ``ValueError`` (or ``TypeError``) if it is not one."""
    python, reqs, constraints = json_loads(text)
    return (
        str(python),
        frozenset((str(a), str(b)) for a, b in reqs),
        frozenset((str(a), str(b)) for a, b in constraints),
    )


def replay(finder: Finder, effects: Sequence[Effect]) -> bool:
    """Make a stored resolution's ``effects`` (its trace's) on ``finder``'s memo again:
    the sdists it took as having no dependencies, the releases it ignored, the unions whose
    plain search ran out. ``False``, with nothing changed, when the memo is not as the
    resolution found it (a union it found long, or not, is not so now: it would have
    searched otherwise) or an effect is not one of these."""
    assumed: dict[tuple[str, Version], str] = {}
    ignored: dict[tuple[str, Version], str] = {}
    deep: set[Hashable] = set()
    with finder.memo_lock:
        known = set(finder.memo.get(_DEEP, ()))
    try:
        for effect in effects:
            kind, *args = effect
            if kind == "deep?" and len(args) == 2:
                key = _deep_key(args[0])
                if (key in known or key in deep) != (args[1] == "1"):
                    return False
            elif kind == "deep" and len(args) == 1:
                deep.add(_deep_key(args[0]))
            elif kind in ("assumed", "ignored") and len(args) == 3:
                into = assumed if kind == "assumed" else ignored
                into[(str(args[0]), Version(args[1]))] = str(args[2])
            else:
                return False
    except (ValueError, TypeError, InvalidVersion):
        return False
    with finder.memo_lock:
        if assumed:
            finder.memo.setdefault(_ASSUMED, {}).update(assumed)
        if ignored:
            finder.memo.setdefault(_IGNORED, {}).update(ignored)
        if deep:
            finder.memo.setdefault(_DEEP, set()).update(deep)
    return True


def ignored_releases(finder: Finder) -> list[tuple[str, str]]:
    """The releases some resolution through ``finder`` ignored because their metadata is
    invalid, as (``name version``, why), sorted: each deserves a warning."""
    with finder.memo_lock:
        found = dict(cast("dict[tuple[str, Version], str]", finder.memo.get(_IGNORED, {})))
    return [(f"{key} {version}", why) for (key, version), why in sorted(found.items())]


def assumed_sdists(finder: Finder) -> list[str]:
    """The sdist-only releases some resolution through ``finder`` took as having no
    dependencies (their ``PKG-INFO`` does not declare them and depsplit does not build),
    as ``name version (file)``, sorted: each deserves a warning."""
    found = cast("dict[tuple[str, Version], str]", finder.memo.get(_ASSUMED, {}))
    with finder.memo_lock:
        items = sorted(found.items())
    return [f"{key} {version} ({filename})" for (key, version), filename in items]


def _impossible(
    infos: Sequence[resolvelib.structs.RequirementInformation[_Req, _Cand]], provider: _Provider
) -> ResolutionImpossible:
    causes: dict[tuple[str, str, tuple[str, ...], str | None], Cause] = {}
    for info in infos:
        req = info.requirement
        cause = Cause(
            key=PYTHON if req.key == PYTHON else req.key,
            name=req.name,
            requirement=req.text,
            chain=req.chain,
            origin=req.origin,
            app=req.app,
        )
        causes.setdefault((cause.key, cause.requirement, cause.chain, cause.app), cause)
    ordered = sorted(causes.values(), key=cause_order)
    notes = provider.notes({c.key for c in ordered})
    return ResolutionImpossible(ordered, provider.python, notes)


def cause_order(cause: Cause) -> tuple[str, str, tuple[str, ...], str, str]:
    """The order of a failure's causes (:class:`ResolutionImpossible`)."""
    return (cause.key, cause.app or "", cause.chain, cause.requirement, str(cause.origin or ""))


def _resolution(
    result: Result[_Req, _Cand, str], provider: _Provider, target: Target, python: str
) -> Resolution:
    pins: dict[str, PinnedPackage] = {}
    chains: dict[str, tuple[str, ...]] = {}
    apps: dict[str, set[str]] = {}
    parents: dict[str, set[str]] = {}
    extras: dict[str, set[str]] = {}
    for ident, criterion in result.criteria.items():
        if ident == PYTHON:
            continue
        for info in criterion.information:
            req = info.requirement
            key = req.key
            parents.setdefault(key, set()).add(info.parent.key if info.parent else "")
            extras.setdefault(key, set()).update(req.extras)
            if req.app:
                apps.setdefault(key, set()).add(req.app)
            if not req.synthetic:
                best = chains.get(key)
                if best is None or (len(req.chain), req.chain) < (len(best), best):
                    chains[key] = req.chain
    for ident, cand in result.mapping.items():
        if ident == PYTHON or cand.extras or cand.release is None:
            continue
        release = cand.release
        tags = target_tags(target, python)
        wheels = [f for f in release.files if f.is_wheel and any(t in tags for t in f.tags)]
        chosen = wheels or [release.best]
        hashes = tuple(sorted({h for f in chosen for h in provider.finder.hashes(f)}))
        meta_rp = None
        try:
            meta_rp = provider.finder.metadata(release.best).requires_python
        except DepsplitError:
            meta_rp = release.best.requires_python
        pins[cand.key] = PinnedPackage(
            name=cand.name or cand.key,
            version=str(cand.version),
            hashes=hashes,
            url=release.best.url,
            requires_python=meta_rp or release.best.requires_python,
            parents=tuple(sorted(p for p in parents.get(cand.key, set()) if p != cand.key)),
            files=release.files,
            extras=tuple(sorted(extras.get(cand.key, set()))),
        )
    keys = sorted(pins)
    return Resolution(
        pins={k: pins[k] for k in keys},
        chains={k: chains[k] for k in keys if k in chains},
        target=target,
        python=python,
        apps={k: tuple(sorted(apps[k])) for k in keys if k in apps},
    )


def resolve(
    requirements: Sequence[Requirement],
    *,
    target: Target,
    python: str,
    finder: Finder,
    app: str | None = None,
) -> Resolution:
    """Resolve ``requirements`` (one app's, usually its ``main`` ones) for the container.

    Requirements whose marker does not hold for the target are left out; ``role ==
    "constraint"`` ones only narrow versions. Raises :class:`ResolutionImpossible`, or an
    :class:`~depsplit.index.errors.IndexError_` (network, offline cache miss, unknown package).
    """
    result, provider = _run([(app, requirements)], target, python, finder)
    return _resolution(result, provider, target, python)


def resolve_apps(
    apps: Mapping[str, Sequence[Requirement]],
    *,
    target: Target,
    python: str,
    finder: Finder,
    max_rounds: int = MAX_ROUNDS,
    meter: Meter | None = None,
    buildable: Iterable[tuple[str, str]] = (),
    preferred: Mapping[str, str] = MappingProxyType({}),
    prefer_binary: bool = False,
) -> Resolution:
    """Resolve the union of several apps' requirements (a group's image). ``buildable``:
    (project, version) of releases the image builds from their sdist, candidates through
    it though their wheels are for other interpreters or platforms only. ``preferred``:
    project → version offered first where the requirements admit it (a previous lock).
    ``prefer_binary``: releases with a wheel for the container before sdists (pip's
    ``--prefer-binary``)."""
    result, provider = _run(
        list(apps.items()),
        target,
        python,
        finder,
        max_rounds=max_rounds,
        meter=meter,
        buildable=buildable,
        preferred=preferred,
        prefer_binary=prefer_binary,
    )
    return _resolution(result, provider, target, python)


def check_union(
    apps: Mapping[str, Sequence[Requirement]],
    *,
    target: Target,
    python: str,
    finder: Finder,
    max_rounds: int = MAX_ROUNDS,
    meter: Meter | None = None,
) -> ResolutionImpossible | None:
    """``None`` when the apps' requirements resolve together, else why not (for the
    partition's whole-group test). Index errors are raised, never taken as "feasible";
    so is :class:`ResolutionTooComplex`."""
    try:
        _run(list(apps.items()), target, python, finder, max_rounds=max_rounds, meter=meter)
    except ResolutionImpossible as exc:
        return detached(exc)
    return None


_E = TypeVar("_E", bound=BaseException)


def detached(exc: _E) -> _E:
    """``exc`` without its traceback and context, to be kept as an answer: a traceback
    holds the frames of the resolution that raised it, and so the whole resolver state
    (criteria, candidates, memos), for as long as the answer is kept."""
    exc.__traceback__ = None
    exc.__context__ = None
    exc.__cause__ = None
    return exc


def transitive_requirements(
    app_requirements: Sequence[Requirement],
    target: Target,
    python: str,
    finder: Finder,
    *,
    app: str | None = None,
    max_rounds: int = MAX_ROUNDS,
    meter: Meter | None = None,
) -> list[TransitiveRequirement]:
    """Every requirement edge of the app's resolved closure (direct ones included, with a
    chain of length 1), so transitive specifiers can be compared between apps like direct
    ones. ``Requires-Python`` edges and the ``name==version`` pins that extras add are left
    out. Raises :class:`ResolutionImpossible` when the app cannot be resolved even alone."""
    result, _provider = _run(
        [(app, app_requirements)], target, python, finder, max_rounds=max_rounds, meter=meter
    )
    out: set[TransitiveRequirement] = set()
    for ident, criterion in result.criteria.items():
        if ident == PYTHON:
            continue
        for info in criterion.information:
            req = info.requirement
            if req.synthetic or req.key == PYTHON:
                continue
            out.add(
                TransitiveRequirement(
                    key=req.key,
                    name=req.name,
                    specifier=str(req.specifier),
                    chain=req.chain,
                    origin=req.origin,
                    app=req.app,
                    extras=tuple(sorted(req.extras)),
                )
            )
    return sorted(out, key=lambda t: (t.key, t.chain, t.specifier))


def python_support(
    resolution: Resolution, candidates: Sequence[str] = SUPPORTED_PYTHONS
) -> list[str]:
    """The CPython minors among ``candidates`` that every chosen release supports: its
    ``Requires-Python`` allows it and one of its wheels installs there (``py3-none-any``
    everywhere, ``cp311-cp311-…`` on 3.11 only, ``cp38-abi3-…`` on 3.8 and later).

    Markers may pull other dependencies on another minor: re-resolve for the minor chosen
    (:func:`choose_python` does both)."""
    out = []
    for minor in candidates:
        ok = True
        for pin in resolution.pins.values():
            if not _python_ok(pin.requires_python, minor):
                ok = False
                break
            wheels = [f for f in pin.files if f.is_wheel]
            if not wheels:
                continue  # sdist only: not pinned without metadata; nothing to say about tags
            if not any(
                wheel_rank(f.tags, resolution.target, minor) is not None
                and _python_ok(f.requires_python, minor)
                for f in wheels
            ):
                ok = False
                break
        if ok:
            out.append(minor)
    return out


def choose_python(
    apps: Mapping[str, Sequence[Requirement]],
    *,
    target: Target,
    finder: Finder,
    pythons: Sequence[str] = SUPPORTED_PYTHONS,
) -> tuple[str, Resolution]:
    """The newest minor of ``pythons`` for which the apps resolve together, and that
    resolution. Raises the :class:`ResolutionImpossible` of the newest minor when none does."""
    first_error: ResolutionImpossible | None = None
    for python in sorted(pythons, key=lambda p: tuple(int(x) for x in p.split(".")), reverse=True):
        try:
            return python, resolve_apps(apps, target=target, python=python, finder=finder)
        except ResolutionImpossible as exc:  # noqa: PERF203
            first_error = first_error or exc
    if first_error is None:
        raise ValueError("no Python version to try")
    raise first_error


__all__ = [
    "MAX_ROUNDS",
    "PYTHON",
    "Cause",
    "Meter",
    "PinnedPackage",
    "Resolution",
    "ResolutionImpossible",
    "ResolutionTooComplex",
    "TransitiveRequirement",
    "assumed_sdists",
    "cause_order",
    "check_union",
    "choose_python",
    "detached",
    "ignored_releases",
    "python_support",
    "replay",
    "resolve",
    "resolve_apps",
    "transitive_requirements",
]
