"""The data that flows through depsplit: frozen, comparable, sortable value objects.

Paths are POSIX paths relative to the analysed root. Package names are compared by their
canonical (PEP 503) ``key`` and shown as written (``name``). URLs are stored already redacted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

Role = Literal["main", "dev", "optional", "constraint", "lock"]
"""Where a requirement sits: ``main`` goes into the production container; ``dev`` and
``optional`` (extras, Poetry groups, dev files) do not unless configured; ``constraint``
(``-c`` files) only narrows packages that are required; ``lock`` is a pin from a lock file."""

Level = Literal["error", "warning"]


@dataclass(frozen=True, order=True, slots=True)
class Origin:
    """Where a requirement, pin or Python version comes from.

    ``via`` is the include chain from the app's top file to the line that included ``file``,
    each entry ``"path:line"`` (outermost first): ``-r base.txt`` on line 3 of
    ``app/requirements.txt`` gives ``via=("app/requirements.txt:3",)``.
    """

    file: str
    line: int | None = None
    via: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def describe(self) -> str:
        """``file:line`` followed by the include chain, if any."""
        if not self.via:
            return str(self)
        return f"{self} (via {' → '.join(self.via)})"


@dataclass(frozen=True, order=True, slots=True)
class Requirement:
    """One requirement line, as read. ``specifier`` is a PEP 440 specifier set string
    (``""`` for any version); ``marker`` is the PEP 508 marker string or ``None``."""

    key: str
    name: str
    specifier: str
    origin: Origin
    extras: tuple[str, ...] = ()
    marker: str | None = None
    url: str | None = None
    editable: bool = False
    role: Role = "main"
    group: str | None = None
    """The extra, dependency group or dev file section this belongs to, when not ``main``."""
    chain: tuple[str, ...] = ()
    """For a dependency of a pinned release (:attr:`App.dependencies`), the releases it comes
    through, from the app's own pin: ``("arcade==2.6.10", "pillow~=9.0.0")``."""

    @property
    def line_text(self) -> str:
        """The requirement as a PEP 508 string (URL redacted)."""
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        if self.url:
            text = f"{self.name}{extras} @ {self.url}"
            if self.marker:
                text += " "
        else:
            text = f"{self.name}{extras}{self.specifier}"
        if self.marker:
            text += f"; {self.marker}"
        return text


@dataclass(frozen=True, order=True, slots=True)
class PythonRequirement:
    """A constraint on the interpreter (``requires-python``, ``.python-version``, …) as a
    specifier set string."""

    specifier: str
    origin: Origin
    evidence: str | None = None
    """Why, when the constraint is a fact of the package index rather than a line the app
    wrote: ``"numpy 1.18.4: wheels for cp35–cp38 only"`` (:mod:`depsplit.pysupport`).
    ``origin`` is then the line of the pin that brings the release."""


@dataclass(frozen=True, order=True, slots=True)
class IndexOption:
    """``--index-url``, ``--extra-index-url``, ``--find-links`` … as recorded (redacted)."""

    option: str
    value: str
    origin: Origin


@dataclass(frozen=True, order=True)
class Diagnostic:
    level: Level
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.file is None:
            where = ""
        elif self.line is None:
            where = f"{self.file}: "
        else:
            where = f"{self.file}:{self.line}: "
        return f"{where}{self.level}: {self.message}"

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.file or "", self.line or 0, self.level, self.message)


@dataclass(frozen=True, order=True)
class Skipped:
    """A directory discovery did not search because of what it holds (depsplit's own
    generated output, a virtualenv), and why: said in every report, since a directory left
    out is an app that was not checked."""

    path: str
    reason: str


@dataclass(frozen=True)
class App:
    """An application: a directory whose requirements go into one container."""

    name: str
    path: str
    sources: tuple[str, ...]
    """The files read for this app (relative to the root), in reading order."""
    requirements: tuple[Requirement, ...] = ()
    """Every requirement read, of every role; see :attr:`main` for the production ones."""
    python: tuple[PythonRequirement, ...] = ()
    index_options: tuple[IndexOption, ...] = ()
    lock_file: str | None = None
    dependencies: tuple[Requirement, ...] = ()
    """What the app's exactly pinned releases require in turn, from their metadata on the
    index (:mod:`depsplit.pindeps`): each goes into the container like a ``main`` line, with
    its ``origin`` the pin's line and its ``chain`` the releases it comes through. Not read
    from the app's files, so not in :attr:`requirements`."""

    @property
    def main(self) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if r.role == "main")

    @property
    def python_specifier(self) -> str:
        """All Python constraints joined into one specifier string (``""`` when none)."""
        parts = sorted({p.specifier for p in self.python if p.specifier})
        return ",".join(parts)


@dataclass(frozen=True, slots=True)
class ConflictRequirement:
    app: str
    specifier: str
    origin: Origin
    name: str = ""
    url: str | None = None
    marker: str | None = None
    chain: tuple[str, ...] = ()
    """For a transitive requirement, the chain of packages from the app's own requirement."""


ConflictKind = Literal["version", "python", "url"]


@dataclass(frozen=True)
class Conflict:
    """A smallest set of apps that cannot share one container because of one package
    (or the Python version)."""

    id: str
    kind: ConflictKind
    package: str
    apps: tuple[str, ...]
    requirements: tuple[ConflictRequirement, ...]
    message: str
    members: tuple[tuple[str, ...], ...] = ()
    """Per app of ``apps`` (same order), every app that holds the same requirement (same
    version range and URL, same allowed Pythons), sorted, so that app first: any choice of
    one app per entry is a set that cannot share a container. Empty: each app of ``apps``
    stands alone (:func:`depsplit.conflicts.sides`)."""
    identities: tuple[str, ...] = ()
    """Per entry of ``members``, what that side asks of the package in canonical form (its
    version range or URL, with the Pythons its apps allow when not all of them), the text
    the id is made from; empty when the id comes from the apps (a conflict of one app, a
    transitive conflict, apps compared one by one)."""


@dataclass(frozen=True)
class ConflictSide:
    """One distinct requirement on a package that takes part in a conflict, and the apps
    holding it (the same version range or URL, the same allowed Pythons)."""

    id: str
    """Stable: from the kind, the package and ``identity`` (from the apps when it is
    ``None``), e.g. ``version:flask:3f2a9c01de``."""
    identity: str | None
    """What the side asks, canonical (:attr:`Conflict.identities`); ``None`` for a side of
    one app compared app by app."""
    apps: tuple[str, ...]
    """Sorted; the first one's requirement lines are ``requirements``."""
    requirements: tuple[ConflictRequirement, ...]


@dataclass(frozen=True)
class PackageConflict:
    """Every conflict of one kind on one package: the distinct requirements that take part
    (``sides``) and which of them cannot share a container. Any one app of each side of a
    ``pairs`` couple or of a ``sets`` entry is a smallest set of apps that cannot share one
    container (a :class:`Conflict`)."""

    id: str
    """``kind:package`` (``python:python`` for the interpreter), stable."""
    kind: ConflictKind
    package: str
    apps: tuple[str, ...]
    """Every app of every side, sorted."""
    sides: tuple[ConflictSide, ...]
    pairs: tuple[tuple[int, ...], ...]
    """Lists of indexes into ``sides``: every two sides of one list cannot share a
    container (cliques that together cover every conflicting pair)."""
    sets: tuple[tuple[int, ...], ...]
    """Lists of indexes into ``sides`` that cannot share a container all together, though
    any fewer of them can: one side (its requirements cannot be met even alone) or three
    or more (an N-way conflict)."""
    message: str
    count: int = field(default=0, compare=False)
    """How many smallest sets of apps it stands for (pairs and sets)."""
    spellings: tuple[str, ...] = field(default=(), compare=False)
    """The package's names as written in its sets of two or more sides, sorted (a group's
    ``splits`` shows the first)."""


@dataclass(frozen=True, order=True)
class LockedPin:
    """One release of a group's resolved closure (``--transitive``): what its image installs."""

    name: str
    version: str
    hashes: tuple[str, ...] = ()
    """``sha256:…`` of every file the container may install (its compatible wheels)."""
    parents: tuple[str, ...] = ()
    """The packages that require it (canonical names); ``""`` for a member's own requirement."""
    apps: tuple[str, ...] = ()
    """The members whose closure holds it."""
    extras: tuple[str, ...] = ()
    """The extras some requirement asks of it (``uvicorn[standard]``): the lock line names
    them, or pip in ``--require-hashes`` mode refuses the unpinned ``uvicorn[standard]``."""
    sdist: bool = False
    """The container installs it from its sdist (no wheel for its CPython and platform):
    the image builds it (:attr:`Group.builds`). Not in the JSON report: ``builds`` says it."""


@dataclass(frozen=True, order=True)
class BuildFromSource:
    """A release that the group's image compiles: it publishes no wheel for the group's
    CPython and platform, only an sdist."""

    package: str
    version: str
    reason: str
    """``"no wheel for cp314 manylinux x86_64; sdist only"``."""
    pure: bool = False
    """The project is pure Python (it publishes wheels, every one ``none-any``): pip builds
    the sdist in the final image without a compiler, so it needs no builder stage."""


@dataclass(frozen=True)
class Group:
    name: str
    apps: tuple[str, ...]
    python: str
    """The CPython minor version of the group's image, e.g. ``"3.12"``."""
    splits: tuple[str, ...] = ()
    """Packages whose conflicts forced members of other groups out of this one."""
    lock: tuple[LockedPin, ...] = ()
    """With ``--transitive``: the group's resolution at ``python``, sorted by canonical name;
    empty otherwise (the generated ``requirements.txt`` then merges the members' specifiers)."""
    builds: tuple[BuildFromSource, ...] = ()
    """Releases with no wheel for the group's Python and platform, built from their sdist in
    the image's builder stage (sorted by package)."""
    python_verified: bool = True
    """Whether ``python`` was checked against the package index (every pinned release's
    ``Requires-Python`` and wheels); ``False`` offline with a cache miss, or with
    ``--no-index-facts``."""


@dataclass(frozen=True)
class Partition:
    optimal: bool
    lower_bound: int
    witness: tuple[str, ...]
    """A largest set of pairwise-conflicting apps found: they need one group each."""
    elapsed: float = 0.0


@dataclass(frozen=True)
class Target:
    """The container's environment, for marker evaluation."""

    platform: str = "linux/amd64"
    python: str | None = None
    """A fixed interpreter (``--python``), or ``None`` to choose one per group."""

    @property
    def machine(self) -> str:
        arch = self.platform.split("/", 1)[1] if "/" in self.platform else "amd64"
        return {"amd64": "x86_64", "arm64": "aarch64", "386": "i686"}.get(arch, arch)


@dataclass(frozen=True)
class Plan:
    """Everything a renderer or emitter needs, produced by :func:`depsplit.analyze.analyze`."""

    root: str
    apps: tuple[App, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    conflicts: Sequence[Conflict] = ()
    """Every smallest set of apps that cannot share a container, sorted (python conflicts
    first, then by package, size and apps); from the search, a
    :class:`~depsplit.conflicts.ConflictSets` (made when read: see
    :attr:`package_conflicts`)."""
    groups: tuple[Group, ...] = ()
    partition: Partition | None = None
    target: Target = field(default_factory=Target)
    unsatisfiable: tuple[str, ...] = ()
    """Apps whose own requirements cannot be satisfied even alone."""
    transitive: bool = False
    """Whether dependencies were resolved through a package index (``--transitive``)."""
    locked: bool = False
    """Whether each group was resolved through the index for its lock (``--transitive``,
    or ``generate``'s ``--lock`` with the index facts): the JSON report then has ``lock``."""
    skipped: tuple[Skipped, ...] = ()
    """Directories not searched for what they hold, sorted by path."""

    @property
    def has_errors(self) -> bool:
        return any(d.level == "error" for d in self.diagnostics)

    @cached_property
    def package_conflicts(self) -> tuple[PackageConflict, ...]:
        """``conflicts`` per kind and package (:mod:`depsplit.package_conflicts`): read from
        the search's pairs of terms when they come from it, without making every set."""
        from depsplit.package_conflicts import packages_of

        return tuple(packages_of(self.conflicts))

    @cached_property
    def group_pythons(self) -> dict[str, str]:
        """App name → the interpreter of its group (the first group that holds it), for
        the renderers, which ask once per app. Computed once per plan; do not mutate."""
        found: dict[str, str] = {}
        for group in self.groups:
            for name in group.apps:
                found.setdefault(name, group.python)
        return found

    @cached_property
    def apps_by_name(self) -> dict[str, App]:
        """App name → app (the first of that name). Computed once per plan; do not
        mutate."""
        found: dict[str, App] = {}
        for a in self.apps:
            found.setdefault(a.name, a)
        return found

    def app(self, name: str) -> App:
        """The app named ``name`` (``KeyError`` when none): a lookup, not a scan (generate
        asks for each of 10,000 apps several times)."""
        return self.apps_by_name[name]
