"""The pipeline: discover → read → (conflicts → partition) → :class:`~depsplit.model.Plan`.

``analyze(root, options)`` is the library entry point that the CLI and the tests share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from depsplit.config import Config
from depsplit.discover import Candidate, app_names, walk
from depsplit.errors import UsageError
from depsplit.model import App, Diagnostic, Plan, Requirement, Target
from depsplit.sources import requirements_txt
from depsplit.sources.base import ReadContext, SourceResult


@dataclass(frozen=True)
class Options:
    """What one run asks for, beyond the configuration file."""

    exclude: tuple[str, ...] = ()
    lenient: bool = False
    """Turn input errors into warnings (exit 0 instead of 2)."""
    allow_outside_root: bool = False
    python: str | None = None
    platform: str | None = None


def analyze(root: Path, config: Config | None = None, options: Options | None = None) -> Plan:
    """Analyse the monorepo at ``root``."""
    from depsplit import config as config_module

    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    root = root.resolve()
    config = config if config is not None else config_module.load(root)
    options = options or Options()
    target = Target(
        platform=options.platform or config.platform,
        python=options.python or config.python,
    )
    ctx = ReadContext(
        root=root,
        allow_outside_root=options.allow_outside_root,
        max_file_bytes=config.max_file_size,
    )
    apps, diagnostics = read_apps(root, config, ctx, options.exclude)
    if options.lenient:
        diagnostics = [replace(d, level="warning") for d in diagnostics]
    return Plan(
        root=".",
        apps=tuple(apps),
        diagnostics=tuple(sorted(set(diagnostics), key=Diagnostic.sort_key)),
        target=target,
    )


def read_apps(
    root: Path, config: Config, ctx: ReadContext, exclude: tuple[str, ...] = ()
) -> tuple[list[App], list[Diagnostic]]:
    """Discover and read every app; return the apps (sorted by path) and all diagnostics."""
    candidates = walk(root, config, exclude)
    results = [(c, _read_candidate(c, ctx, config)) for c in candidates]
    results = _drop_included_only(results, ctx)
    paths = [ctx.rel(c.path) or "." for c, _ in results]
    names = app_names(paths, root.name)
    apps: list[App] = []
    diagnostics: list[Diagnostic] = []
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


def _reader(module: str) -> Callable[[Path, ReadContext], SourceResult]:
    import importlib

    mod = importlib.import_module(f"depsplit.sources.{module}")
    read: Callable[[Path, ReadContext], SourceResult] = mod.read
    return read


def _read_candidate(candidate: Candidate, ctx: ReadContext, config: Config) -> SourceResult:
    result = SourceResult()
    for path in candidate.main:
        result.extend(requirements_txt.read(path, ctx))
    for path in candidate.dev:
        result.extend(requirements_txt.read(path, ctx, role="dev", group=path.name))
    for path, module in (
        (candidate.pyproject, "pyproject"),
        (candidate.pipfile, "pipfile"),
        (candidate.setup_cfg, "setup_cfg"),
    ):
        if path is not None:
            result.extend(_reader(module)(path, ctx))
    if config.use_locks:
        for path in candidate.locks:
            result.extend(_reader("lockfiles")(path, ctx))
    for path in candidate.python_files:
        result.extend(_reader("pyversion")(path, ctx))
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
        local_deps.update(
            r.url[len("file:") :]
            for r in result.requirements
            if r.url and r.url.startswith("file:") and "://" not in r.url
        )
    kept = []
    for candidate, result in results:
        rel_dir = ctx.rel(candidate.path) or "."
        defining = {ctx.rel(p) for p in candidate.defining}
        if defining and defining <= included:
            continue
        if rel_dir in local_deps and not candidate.main:
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
