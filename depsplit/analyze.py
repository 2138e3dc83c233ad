"""The pipeline: discover → read → (conflicts → partition) → :class:`~depsplit.model.Plan`.

``analyze(root, options)`` is the library entry point that the CLI and the tests share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from depsplit.config import Config
from depsplit.conflicts import (
    ConflictSets,
    EffectiveCache,
    analyze_conflicts,
    app_python,
    check_group,
    common_python,
    effective,
    unsatisfiable_apps,
)
from depsplit.discover import Candidate, app_names, walk
from depsplit.errors import InputError, UsageError
from depsplit.gc_pause import fewer_collections
from depsplit.model import (
    App,
    Conflict,
    Diagnostic,
    Group,
    Origin,
    PackageConflict,
    Partition,
    Plan,
    Requirement,
    Skipped,
    Target,
)
from depsplit.package_conflicts import packages_of
from depsplit.sources.base import ReadContext, SourceResult
from depsplit.target import SUPPORTED_PYTHONS, validate_python

if TYPE_CHECKING:
    from depsplit.index import IndexConfig
    from depsplit.pysupport import Support
    from depsplit.transitive import Transitive

GroupCheck = Callable[[frozenset[str]], "tuple[str, ...] | None"]


@dataclass(frozen=True)
class Options:
    """What one run asks for, beyond the configuration file."""

    exclude: tuple[str, ...] = ()
    lenient: bool = False
    """Turn input errors into warnings (exit 0 instead of 2)."""
    allow_outside_root: bool = False
    python: str | None = None
    platform: str | None = None
    time_limit: float | None = None
    """Seconds the partition search may take (default: the configuration's, 10 s)."""
    previous: Mapping[str, str] | None = None
    """App name → group name from a previous plan, for stable groups."""
    transitive: bool = False
    """Resolve every app's dependencies through a package index (:mod:`depsplit.transitive`)."""
    index: IndexConfig | None = None
    """Where ``transitive`` and ``index_facts`` look packages up; ``None``: pip's
    configuration and ``PIP_*`` variables (:func:`depsplit.index.config.from_pip_environment`)."""
    index_facts: bool = False
    """Check every pinned release's ``Requires-Python`` and wheels on the index, so that each
    group's Python is one its releases install on (:mod:`depsplit.pysupport`). The command
    line turns it on by default; without it every group's Python is unverified."""
    lock: bool = False
    """With the index facts (``--transitive`` always locks): resolve each group's apps
    together through the index at the group's Python and keep the pins as its lock
    (:func:`depsplit.transitive.locks.lock_groups`), so that its image installs exactly
    them. ``generate`` turns it on by default."""
    previous_locks: Mapping[str, Mapping[str, str]] | None = None
    """App name → project → version locked for it by a previous plan: each group's lock
    keeps these pins wherever its requirements still allow them, as ``pip-compile`` keeps
    an output file's pins (``generate --upgrade`` leaves them out)."""
    overlay: Mapping[str, str] | None = None
    """Relative POSIX path → text read instead of that file's (:attr:`ReadContext.overlay`):
    how ``depsplit suggest`` re-analyses the tree with its edits, writing nothing."""


def analyze(root: Path, config: Config | None = None, options: Options | None = None) -> Plan:
    """Analyse the monorepo at ``root``."""
    with fewer_collections():
        return _analyze(root, config, options)


def _analyze(root: Path, config: Config | None, options: Options | None) -> Plan:
    from depsplit import config as config_module

    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    root = root.resolve()
    config = config if config is not None else config_module.load(root)
    options = options or Options()
    if options.python is not None:
        try:
            validate_python(options.python)
        except ValueError as exc:
            raise UsageError(f"python: {exc}") from exc
    target = Target(
        platform=options.platform or config.platform,
        python=options.python or config.python,
    )
    apps, diagnostics, skipped = _read(root, config, options, options.overlay or {})
    time_limit = options.time_limit if options.time_limit is not None else config.time_limit
    with ExitStack() as stack:
        session = None
        if options.index_facts or options.transitive:
            session = stack.enter_context(_index_session(root, apps, target, options, time_limit))
        support = None
        if options.index_facts:
            from depsplit import pysupport

            assert session is not None
            pinned_unverified: frozenset[str] = frozenset()
            if not options.transitive:
                # --transitive resolves the whole closure; without it, one step needs no
                # resolver: what the pinned releases require (:mod:`depsplit.pindeps`).
                from depsplit import pindeps

                found = pindeps.add(apps, target, lambda app: session.finder([app.name]))
                apps = list(found.apps)
                diagnostics.extend(found.diagnostics)
                pinned_unverified = found.unverified
            support = pysupport.apply(apps, target, lambda app: session.finder([app.name]))
            if pinned_unverified:
                support = replace(support, unverified=support.unverified | pinned_unverified)
            apps = list(support.apps)
            session.adopt(apps)
            diagnostics.extend(support.diagnostics)
        plan = _plan(root, apps, diagnostics, target, config, options, time_limit, session, support)
        if session is not None and (cache := session.cache_warnings()):
            every = sorted(set(plan.diagnostics) | set(cache), key=Diagnostic.sort_key)
            plan = replace(plan, diagnostics=tuple(every))
    return replace(plan, skipped=tuple(skipped))


def _index_session(
    root: Path, apps: Sequence[App], target: Target, options: Options, time_limit: float
) -> Transitive:
    """The finders (per set of index options) shared by the index facts and ``--transitive``.
    Imported lazily: without either, the index is never touched."""
    from depsplit.index import from_pip_environment
    from depsplit.transitive import Transitive

    index = options.index if options.index is not None else from_pip_environment()
    return Transitive(apps, target, index, root=root, time_limit=time_limit)


def _plan(
    root: Path,
    apps: list[App],
    diagnostics: list[Diagnostic],
    target: Target,
    config: Config,
    options: Options,
    time_limit: float,
    session: Transitive | None,
    support: Support | None,
) -> Plan:
    # The conflict search and the partition's whole-group checks judge the same apps at
    # the same interpreters: they share each app's effective requirements.
    shared = EffectiveCache()
    analysis = analyze_conflicts(apps, target, time_limit=time_limit, effective_cache=shared)
    conflicts: Sequence[Conflict] = analysis.conflicts
    diagnostics.extend(analysis.diagnostics)
    if options.transitive:
        assert session is not None
        conflicts, groups, partition, notes = _transitive(
            session, apps, list(conflicts), target, config, options
        )
        diagnostics.extend(notes)
        unsatisfiable = unsatisfiable_apps(conflicts)
    else:
        unsatisfiable = unsatisfiable_apps(conflicts)
        groups, partition = plan_groups(
            apps, conflicts, unsatisfiable, target, config, options, effective_cache=shared
        )
    groups = _python_facts(groups, apps, target, support, verified_by_resolution=options.transitive)
    locking = options.lock and options.index_facts and session is not None
    if locking and not options.transitive:
        assert session is not None
        from depsplit.transitive.locks import lock_groups

        groups, notes = lock_groups(session, groups, options.previous_locks or {})
        diagnostics.extend(notes)
    if any(g.lock for g in groups):
        from depsplit.transitive.locks import with_lock_builds

        groups = [with_lock_builds(g, target) for g in groups]
    diagnostics.extend(_end_of_life(groups, apps))
    if partition is not None and not partition.optimal:
        diagnostics.append(
            Diagnostic(
                "warning",
                f"{len(groups)} groups; at least {partition.lower_bound} are needed: the "
                f"search for the fewest stopped at its {time_limit:g} s time limit (raise "
                "--time-limit or time_limit in [tool.depsplit])",
            )
        )
    return Plan(
        root=".",
        apps=tuple(apps),
        diagnostics=tuple(sorted(set(diagnostics), key=Diagnostic.sort_key)),
        conflicts=conflicts if isinstance(conflicts, ConflictSets) else tuple(conflicts),
        groups=tuple(groups),
        partition=partition,
        target=target,
        unsatisfiable=tuple(unsatisfiable),
        transitive=options.transitive,
        locked=options.transitive or locking,
    )


def _python_facts(
    groups: Sequence[Group],
    apps: Sequence[App],
    target: Target,
    support: Support | None,
    *,
    verified_by_resolution: bool,
) -> list[Group]:
    """Each group's releases to build from source, and whether its Python was checked
    against the index (by the index facts, or by ``--transitive``'s resolution)."""
    if support is None:
        return [replace(g, python_verified=verified_by_resolution) for g in groups]
    from depsplit import pysupport

    by_name = {a.name: a for a in apps}
    return [
        replace(
            g,
            builds=pysupport.group_builds(g, support, by_name, target),
            python_verified=verified_by_resolution or not (set(g.apps) & support.unverified),
        )
        for g in groups
    ]


def _end_of_life(groups: Sequence[Group], apps: Sequence[App]) -> list[Diagnostic]:
    """A warning per group whose CPython no longer gets security fixes: its image still
    exists and the apps run, but what keeps it there is worth upgrading. It names the
    constraint (written, or a fact of the index) that rules out every newer minor."""
    from depsplit.target import EOL_AS_OF, allowed_pythons, end_of_life

    by_name = {a.name: a for a in apps}
    out = []
    for g in groups:
        date = end_of_life(g.python, EOL_AS_OF)
        if date is None:
            continue
        where: Origin | None = None
        who = g.apps[0]
        why = ""
        for name in g.apps:
            for p in by_name[name].python:
                allowed = allowed_pythons(p.specifier)
                if allowed and allowed[-1] == g.python:
                    where, who, why = p.origin, name, f" ({p.evidence or p.specifier})"
                    break
            if where is not None:
                break
        if where is None and by_name[who].sources:
            where = Origin(by_name[who].sources[0])
        out.append(
            Diagnostic(
                "warning",
                f"{who} runs on CPython {g.python}{why}, end of life since {date} (no "
                f"security fixes)",
                where.file if where else None,
                where.line if where else None,
            )
        )
    return out


def _transitive(
    session: Transitive,
    apps: Sequence[App],
    conflicts: list[Conflict],
    target: Target,
    config: Config,
    options: Options,
) -> tuple[list[Conflict], list[Group], Partition, list[Diagnostic]]:
    """``--transitive``: add the conflicts the resolved closures show, check every group's
    resolution as a whole, and give each group its interpreter and lock."""
    from depsplit.transitive import merge_conflicts

    found = session.find(conflicts)
    conflicts = merge_conflicts(conflicts, found.conflicts)
    unsatisfiable = unsatisfiable_apps(conflicts)
    groups, partition = plan_groups(
        apps,
        conflicts,
        unsatisfiable,
        target,
        config,
        options,
        extra_check=session.check,
        class_extra=lambda app: app.index_options,
    )
    groups = session.finish(groups, config.group_python, options.previous_locks or {})
    return conflicts, groups, partition, session.diagnostics


def plan_groups(
    apps: Sequence[App],
    conflicts: Sequence[Conflict],
    unsatisfiable: Sequence[str],
    target: Target,
    config: Config,
    options: Options,
    *,
    extra_check: GroupCheck | None = None,
    class_extra: Callable[[App], object] | None = None,
    effective_cache: EffectiveCache | None = None,
) -> tuple[list[Group], Partition]:
    """Partition the apps that can be installed at all into the fewest valid groups.

    ``extra_check`` adds a whole-group test after the direct one (``--transitive``: the
    group's resolution); ``class_extra`` adds to the key that makes apps interchangeable;
    ``effective_cache`` is shared with the conflict search over the same apps and target."""
    from depsplit import partition as partition_module

    bad = set(unsatisfiable)
    members = [a for a in apps if a.name not in bad]
    by_name = {a.name: a for a in members}
    shared = effective_cache if effective_cache is not None else EffectiveCache()
    packages = packages_of(conflicts)
    products, cliques = _products(packages, bad)

    def check(group: frozenset[str]) -> tuple[str, ...] | None:
        found = check_group([by_name[n] for n in sorted(group)], target, effective_cache=shared)
        if found:
            return found[0].apps
        return extra_check(group) if extra_check is not None else None

    def classify(app: App) -> tuple[object, ...]:
        key = constraint_class(app, target, shared)
        return key if class_extra is None else (*key, class_extra(app))

    time_limit = options.time_limit if options.time_limit is not None else config.time_limit
    solution = partition_module.solve(
        [a.name for a in members],
        [],
        products=products,
        cliques=cliques,
        classes={a.name: classify(a) for a in members},
        check=check,
        together=_known(config.together, by_name, bad),
        apart=config.apart,
        max_apps_per_group=config.max_apps_per_group,
        fixed={a: g for a, g in config.groups.items() if a not in bad},
        previous=options.previous,
        time_limit=time_limit,
    )
    split_by = _split_by(packages, solution.groups)
    groups = []
    for i, (name, apps_in) in enumerate(zip(solution.names, solution.groups, strict=True)):
        group_apps = [by_name[n] for n in apps_in]
        python = (
            config.group_python.get(name)
            or target.python
            or common_python(group_apps, target)
            or SUPPORTED_PYTHONS[-1]
        )
        splits = tuple(split_by[i][key] for key in sorted(split_by[i]))
        groups.append(Group(name, tuple(apps_in), python, splits))
    partition = Partition(
        optimal=solution.optimal,
        lower_bound=solution.lower_bound,
        witness=solution.witness,
        elapsed=solution.elapsed,
    )
    return groups, partition


def _products(
    packages: Sequence[PackageConflict], bad: set[str]
) -> tuple[list[list[tuple[str, ...]]], list[list[tuple[str, ...]]]]:
    """The package conflicts as the partition reads them: each list of sides every two of
    which conflict as a clique, each other set as a product of sides (one set of apps per
    choice of one member of each side). Apps that cannot be installed at all (``bad``) are
    left out; a side left empty leaves its cliques and drops its sets."""
    products: list[list[tuple[str, ...]]] = []
    cliques: list[list[tuple[str, ...]]] = []
    for package in packages:
        left = [
            tuple(a for a in side.apps if a not in bad) if bad else side.apps
            for side in package.sides
        ]
        for clique in package.pairs:
            kept = [left[i] for i in clique if left[i]]
            if len(kept) >= 2:
                cliques.append(kept)
        for entry in package.sets:
            held = [left[k] for k in entry]
            if len(held) >= 2 and all(held):
                products.append(held)
    return products, cliques


def _split_by(
    packages: Sequence[PackageConflict], groups: Sequence[Sequence[str]]
) -> list[dict[str, str]]:
    """Per group, the packages whose conflicts touch it (PEP 503 name → the name as shown:
    conflicts on "Django" and "django" are one package, shown as its first spelling in
    code-point order)."""
    group_of = {app: i for i, apps_in in enumerate(groups) for app in apps_in}
    split_by: list[dict[str, str]] = [{} for _ in groups]
    for package in packages:
        if not package.spellings:
            continue  # sets of one side only: no valid group holds their apps
        # Every set of two or more sides has a member outside any valid group.
        in_sets = {i for clique in package.pairs for i in clique}
        in_sets.update(i for entry in package.sets if len(entry) > 1 for i in entry)
        touched = {group_of[a] for i in in_sets for a in package.sides[i].apps if a in group_of}
        key = canonicalize_name(package.package)
        for i in touched:
            shown = split_by[i].get(key)
            first = package.spellings[0]
            split_by[i][key] = first if shown is None else min(shown, first)
    return split_by


def _known(
    sets: Sequence[Sequence[str]], by_name: Mapping[str, App], bad: set[str]
) -> list[tuple[str, ...]]:
    """``together`` sets without the apps that cannot be installed at all (those are
    reported on their own)."""
    out = []
    for group in sets:
        kept = tuple(a for a in group if a not in bad)
        if len(kept) >= 2:
            out.append(kept)
    return out


def constraint_class(
    app: App, target: Target, effective_cache: EffectiveCache | None = None
) -> tuple[object, ...]:
    """Apps with equal classes have identical effective constraints: the partition may
    treat them as one. ``effective_cache``: see :class:`~depsplit.conflicts.EffectiveCache`."""
    python = app_python(app, target) or ""
    reqs: Mapping[str, list[Requirement]] = {}
    if python and effective_cache is None:
        reqs = effective(app, target, python)
    elif python and effective_cache is not None:
        reqs = effective_cache.requirements(app, target, python)
    return (
        app.python_specifier,
        tuple(
            (key, tuple(sorted((r.specifier, r.url or "", r.role) for r in rs)))
            for key, rs in sorted(reqs.items())
        ),
    )


def read_apps(
    root: Path,
    config: Config,
    ctx: ReadContext,
    exclude: tuple[str, ...] = (),
    skipped: list[Skipped] | None = None,
) -> tuple[list[App], list[Diagnostic]]:
    """Discover and read every app; return the apps (sorted by path) and all diagnostics.
    The directories skipped for what they hold are appended to ``skipped``."""
    too_deep: list[str] = []
    problems: list[Diagnostic] = []
    found = walk(root, config, exclude, too_deep, problems=problems, skipped=skipped)
    candidates = [c for c in found if not c.unsure or _settle(c, ctx, problems)]
    results = [(c, _read_candidate(c, ctx, config)) for c in candidates]
    results = _drop_included_only(results, ctx)
    paths = [ctx.rel(c.path) or "." for c, _ in results]
    names = app_names(paths, root.name)
    apps: list[App] = []
    diagnostics: list[Diagnostic] = problems + [
        Diagnostic(
            "warning",
            f"not searched below this directory: it is {config.max_depth} levels deep "
            "(the discovery depth limit; raise max_depth in [tool.depsplit])",
            rel,
        )
        for rel in too_deep
    ]
    for (_candidate, result), path in zip(results, paths, strict=True):
        diagnostics.extend(result.diagnostics)
        apps.append(
            App(
                name=names[path],
                path=path,
                sources=tuple(result.files),
                requirements=tuple(_apply_roles(result.requirements, config)),
                python=tuple(result.python),
                index_options=tuple(result.index_options),
                lock_file=result.lock_file,
            )
        )
    return apps, diagnostics


def _settle(candidate: Candidate, ctx: ReadContext, problems: list[Diagnostic]) -> bool:
    """Parse the files whose content decides whether their directory is an app
    (:attr:`Candidate.unsure`): one that defines the app joins the files read; one that
    cannot be read or parsed is an error on that file, whether or not the directory is an
    app (a broken ``pyproject.toml`` alone hid its app). Whether the candidate is an app."""
    for i, claim in enumerate(candidate.claims):
        if claim.status != "unsure":
            continue
        try:
            defines = claim.reader.settle(claim.path, ctx)
        except InputError as exc:
            problems.append(Diagnostic("error", exc.message, exc.file, exc.line))
            continue
        if defines:
            candidate.claims[i] = claim.defined()
    return bool(candidate.defining)


def _read_candidate(candidate: Candidate, ctx: ReadContext, config: Config) -> SourceResult:
    """What the candidate's files say, read in the order of their claims (the readers'
    order): a file still ``unsure`` is not read, nor one whose reader this run disables."""
    result = SourceResult()
    for claim in candidate.claims:
        if claim.status != "unsure" and claim.reader.enabled(config):
            result.extend(claim.reader.read(claim.path, ctx, **dict(claim.options)))
    return result


def _drop_included_only(
    results: list[tuple[Candidate, SourceResult]], ctx: ReadContext
) -> list[tuple[Candidate, SourceResult]]:
    """A directory whose defining files are all included by other apps (a shared
    ``libs/common/requirements.txt``), or that other apps name as a local path dependency,
    is a library, not an app."""
    included: set[str] = set()
    local_deps: set[str] = set()
    for candidate, result in results:
        own = {ctx.rel(p) for p in candidate.defining}
        included.update(f for f in result.files if f not in own)
        own_dir = ctx.rel(candidate.path) or "."
        # An app that installs itself ("-e ." or "name @ .") is not its own library.
        local_deps.update(
            r.url[len("file:") :]
            for r in result.requirements
            if r.url
            and r.url.startswith("file:")
            and "://" not in r.url
            and r.url[len("file:") :] != own_dir
        )
    kept = []
    for candidate, result in results:
        rel_dir = ctx.rel(candidate.path) or "."
        defining = {ctx.rel(p) for p in candidate.defining}
        if defining and defining <= included:
            continue
        if rel_dir in local_deps and not any(
            c.status == "defining" and c.reader.app_when_installed for c in candidate.claims
        ):
            continue
        kept.append((candidate, result))
    return kept


def _apply_roles(requirements: list[Requirement], config: Config) -> list[Requirement]:
    out = []
    for req in requirements:
        promoted = (req.role == "dev" and config.include_dev) or (
            req.role == "optional"
            and ("*" in config.include_optional or (req.group or "") in config.include_optional)
        )
        if promoted:
            req = replace(req, role="main")
        out.append(req)
    return out


def _read(
    root: Path, config: Config, options: Options, overlay: Mapping[str, str]
) -> tuple[list[App], list[Diagnostic], list[Skipped]]:
    """Every app under ``root`` (with ``overlay``'s text read in place of those files), the
    diagnostics (warnings only with ``--lenient``) and the directories not searched."""
    ctx = ReadContext(
        root=root,
        allow_outside_root=options.allow_outside_root,
        max_file_bytes=config.max_file_size,
        overlay=overlay,
    )
    skipped: list[Skipped] = []
    apps, diagnostics = read_apps(root, config, ctx, options.exclude, skipped)
    if options.lenient:
        diagnostics = [replace(d, level="warning") for d in diagnostics]
    return apps, diagnostics, skipped


def reanalyze(
    root: Path,
    config: Config,
    options: Options,
    base: Plan,
    overlay: Mapping[str, str],
    finder_for: Callable[[App], object] | None,
) -> Plan:
    """The analysis of ``root`` with the files of ``overlay`` read as that text, for a tree
    that differs from the one ``base`` was made from only there (``depsplit suggest``).

    Every app is read again. An app whose lines read exactly as in ``base`` keeps the facts
    the index gave it there; the others are looked up again (the index facts, through
    ``finder_for``), then the conflicts and the partition run as :func:`analyze` runs them.
    Not for ``--transitive`` (use :func:`analyze` with :attr:`Options.overlay`)."""
    root = Path(root).resolve()
    target = base.target
    apps, diagnostics, skipped = _read(root, config, options, overlay)
    time_limit = options.time_limit if options.time_limit is not None else config.time_limit
    before = {a.name: a for a in base.apps}
    fresh: list[App] = []
    kept: dict[str, App] = {}
    for app in apps:
        old = before.get(app.name)
        written = tuple(p for p in old.python if p.evidence is None) if old else None
        if old is not None and old.requirements == app.requirements and written == app.python:
            kept[app.name] = old
        else:
            fresh.append(app)
    if options.index_facts and fresh and finder_for is not None:
        from depsplit import pindeps, pysupport

        found = pindeps.add(fresh, target, finder_for)  # type: ignore[arg-type]
        diagnostics.extend(found.diagnostics)
        support = pysupport.apply(list(found.apps), target, finder_for)  # type: ignore[arg-type]
        diagnostics.extend(d for d in support.diagnostics if d.level == "error")
        fresh = list(support.apps)
    by_name = {a.name: a for a in fresh}
    every = [kept.get(a.name) or by_name[a.name] for a in apps]
    plan = _plan(root, every, diagnostics, target, config, options, time_limit, None, None)
    return replace(plan, skipped=tuple(skipped))
