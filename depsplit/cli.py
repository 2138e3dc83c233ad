"""The command line. Commands only parse options, call the library and print; errors are
mapped to messages and exit codes in one place, :func:`main`.

Exit codes: 0 the analysis is complete and the policy holds; 1 the policy failed
(``--fail-on``); 2 usage, input, I/O or network error (the report is still printed when
the input was read at all).
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from depsplit import __version__
from depsplit.errors import EXIT_ERROR, EXIT_OK, EXIT_POLICY, DepsplitError
from depsplit.model import Plan
from depsplit.report import RENDERERS, ReportContext

if TYPE_CHECKING:
    from depsplit.analyze import Options
    from depsplit.baseline import BaselineDiff
    from depsplit.config import Config
    from depsplit.emit.build import KubernetesOptions, Resources
    from depsplit.index import IndexConfig
    from depsplit.pieces import Pieces
    from depsplit.suggest import Suggestions
    from depsplit.writer import WriteReport

FORMATS = tuple(RENDERERS)
FAIL_ON = ("unsatisfiable", "conflict", "new", "never")


_F = TypeVar("_F", bound=Callable[..., Any])


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _config(kw: dict[str, object], root: Path | None = None) -> Config:
    """The configuration of ``root`` (default: the command's PATH): ``--config FILE``, else
    depsplit.toml / pyproject.toml there."""
    from depsplit import config as config_module

    root = Path(str(kw["path"])) if root is None else root
    config_file = kw.get("config_file")
    return config_module.load(root.resolve(), Path(str(config_file)) if config_file else None)


def _analyze(path: str, config: Config | None = None, **kw: object) -> Plan:
    """The analysis of PATH with the command line's options (``config``: already loaded)."""
    from depsplit.analyze import analyze

    root = Path(path)
    if not root.is_dir():
        raise click.BadParameter(f"{path!r} is not a directory", param_hint="PATH")
    return analyze(root, config or _config(kw, root), _options(kw))


def _options(kw: dict[str, object]) -> Options:
    """The analysis options of the command line (:func:`_common_options`)."""
    from depsplit.analyze import Options

    return Options(
        exclude=tuple(kw.get("exclude") or ()),  # type: ignore[arg-type]
        lenient=bool(kw.get("lenient")),
        allow_outside_root=bool(kw.get("allow_outside_root")),
        python=kw.get("python") or None,  # type: ignore[arg-type]
        platform=kw.get("platform") or None,  # type: ignore[arg-type]
        time_limit=kw.get("time_limit"),  # type: ignore[arg-type]
        previous=(
            previous_groups(Path(str(kw["previous"])))
            if kw.get("previous")
            else kw.get("previous_map") or None  # type: ignore[arg-type]
        ),
        transitive=bool(kw.get("transitive")),
        index=_index_config(kw),
        index_facts=bool(kw.get("index_facts")),
        lock=bool(kw.get("lock")),
        previous_locks=kw.get("previous_locks") or None,  # type: ignore[arg-type]
    )


_INDEX_OPTIONS = {
    "index_url": "--index-url",
    "extra_index_url": "--extra-index-url",
    "find_links": "--find-links",
    "no_index": "--no-index",
    "offline": "--offline",
    "cache_dir": "--cache-dir",
}


def _index_config(kw: dict[str, object]) -> IndexConfig | None:
    """The index facts or ``--transitive``: pip's configuration, ``PIP_*`` variables, then
    the command line's index options (an ``IndexConfig``); ``None`` with neither, where the
    index options are a usage error and :mod:`depsplit.index` is never imported."""
    if not kw.get("transitive") and not kw.get("index_facts"):
        given = [flag for dest, flag in _INDEX_OPTIONS.items() if kw.get(dest)]
        if given:
            raise click.UsageError(
                f"{', '.join(given)} only apply with the index facts or --transitive "
                "(not with --no-index-facts)"
            )
        return None
    from depsplit.index.config import from_pip_environment

    overrides: dict[str, object] = {
        "index_url": kw.get("index_url") or None,
        "extra_index_urls": tuple(kw.get("extra_index_url") or ()),  # type: ignore[arg-type]
        "find_links": tuple(kw.get("find_links") or ()),  # type: ignore[arg-type]
        "no_index": True if kw.get("no_index") else None,
        "offline": True if kw.get("offline") else None,
        "cache_dir": kw.get("cache_dir") or None,
    }
    try:
        return from_pip_environment(overrides)
    except ValueError as exc:
        raise click.UsageError(f"pip configuration: {exc}") from exc


def previous_groups(path: Path) -> dict[str, str]:
    """App name → group name from a previous JSON report or ``depsplit-plan.json``."""
    return previous_plan(path)[0]


def previous_plan(
    path: Path,
) -> tuple[dict[str, str], dict[str, int], dict[str, dict[str, str]]]:
    """From a previous JSON report or ``depsplit-plan.json``, read once: app name → group
    name, app name → host port (the plan's ``generate.ports``; empty for a report or a
    plan written before ports were recorded), and app name → the pins of its group's lock
    (project → version; empty where the plan has no lock)."""
    from depsplit.errors import InputError
    from depsplit.nesting import json_loads

    try:
        data = json_loads(path.read_text(encoding="utf-8"))
        groups = {str(app): str(g["name"]) for g in data["groups"] for app in g["apps"]}
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise InputError(str(path), f"not a depsplit JSON report or plan: {exc}") from exc
    locks = _previous_locks(data["groups"])
    generate = data.get("generate")
    ports = generate.get("ports") if isinstance(generate, dict) else None
    if not isinstance(ports, dict):
        return groups, {}, locks
    return (
        groups,
        {
            str(app): port
            for app, port in ports.items()
            if isinstance(port, int) and not isinstance(port, bool)
        },
        locks,
    )


def _previous_locks(groups: list[dict[str, object]]) -> dict[str, dict[str, str]]:
    """App name → project → version, from each group's ``lock`` (entries that are not a
    name and a version are left out: a hand-edited plan only loses its preferences)."""
    locks: dict[str, dict[str, str]] = {}
    for group in groups:
        pins = group.get("lock")
        if not isinstance(pins, list):
            continue
        found = {
            str(p["name"]): str(p["version"])
            for p in pins
            if isinstance(p, dict)
            and isinstance(p.get("name"), str)
            and isinstance(p.get("version"), str)
        }
        for app in group.get("apps") or ():  # type: ignore[attr-defined]
            locks[str(app)] = found
    return locks


def _python_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--python``, checked when the options are parsed, by the rule the configuration's
    ``python`` follows (:func:`depsplit.target.validate_python`)."""
    if value is None:
        return None
    from depsplit.target import validate_python

    try:
        return validate_python(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from exc


_Decorator = Callable[[Any], Any]


def _common_options(func: _F) -> _F:
    """``func`` (a command) with the arguments and options every command shares, in this
    order (the order ``--help`` lists them in, within each of its sections): the PATH
    argument and what is read (:func:`_input_options`), how much is printed
    (:func:`_output_options`), how the analysis runs (:func:`_analysis_options`), and
    the package index (:func:`_index_options`)."""
    decorators = [*_input_options(), *_output_options(), *_analysis_options(), *_index_options()]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _input_options() -> list[_Decorator]:
    """PATH (the analysed directory), the paths under it to skip, and whether input errors
    fail the run."""
    return [
        click.argument("path", default=".", type=click.Path(file_okay=False)),
        click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB."),
        click.option("--lenient", is_flag=True, help="Report input errors as warnings (exit 0)."),
    ]


def _output_options() -> list[_Decorator]:
    """``-q`` and ``-v``: how much every command prints."""
    return [
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            help="Print the report, errors and what explains the exit code; no progress, "
            "warnings on stderr, notes or list of files written.",
        ),
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            help="More detail: every conflict in full in the text report (not one summary "
            "per package); every file generate compared.",
        ),
    ]


def _analysis_options() -> list[_Decorator]:
    """How the analysis reads includes and the configuration, the target interpreter and
    platform, the search's time limit and the previous grouping to keep."""
    return [
        click.option(
            "--allow-outside-root",
            is_flag=True,
            help="Follow -r/-c includes that leave the analysed directory.",
        ),
        click.option(
            "--python",
            metavar="X.Y",
            callback=_python_option,
            help="Fix the interpreter of every group (a CPython minor: 2.7, 3.5 to 3.14).",
        ),
        click.option(
            "--platform",
            type=click.Choice(["linux/amd64", "linux/arm64"]),
            help="Container platform for markers (default linux/amd64).",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False),
            help="Read this configuration file instead of depsplit.toml / pyproject.toml.",
        ),
        click.option(
            "--time-limit",
            type=click.FloatRange(min=0, min_open=True),
            help="Seconds the search for the fewest groups may take (default 10).",
        ),
        click.option(
            "--previous",
            type=click.Path(dir_okay=False, exists=True),
            help="A previous JSON report or depsplit-plan.json: keep apps in their groups.",
        ),
    ]


def _index_options() -> list[_Decorator]:
    """Whether and how the package index is used: ``--transitive`` resolution, the index
    facts, the index locations and the cache (the "Package index options" of ``--help``)."""
    return [
        click.option(
            "--transitive",
            is_flag=True,
            help="Resolve every app's dependencies through a package index: find conflicts "
            "between their dependencies, and lock each group (pins with hashes).",
        ),
        click.option(
            "--index-facts/--no-index-facts",
            default=True,
            envvar="DEPSPLIT_INDEX_FACTS",
            show_envvar=True,
            help="Check on the package index which CPython every pinned release supports "
            "(Requires-Python, wheels), so each group gets a Python its releases install on "
            "(default: on; --no-index-facts leaves every group's Python unverified).",
        ),
        click.option(
            "--index-url",
            metavar="URL",
            help="The package index (simple API), as pip's --index-url "
            "(default: pip's configuration, PIP_INDEX_URL, else PyPI).",
        ),
        click.option(
            "--extra-index-url",
            multiple=True,
            metavar="URL",
            help="Another index to read too (repeatable).",
        ),
        click.option(
            "--find-links",
            multiple=True,
            metavar="URL|DIR",
            help="A directory or page of distribution files (repeatable).",
        ),
        click.option("--no-index", is_flag=True, help="Read only the --find-links locations."),
        click.option(
            "--offline",
            is_flag=True,
            help="Use only the cache of index pages and metadata (a miss: an unverified "
            "Python with the index facts, an error with --transitive).",
        ),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False),
            help="The cache of index pages and metadata "
            "(default: $DEPSPLIT_CACHE_DIR, else the user cache directory).",
        ),
    ]


_ANALYSIS_PARAMS = frozenset(
    {"exclude", "lenient", "allow_outside_root", "python", "platform", "config_file"}
    | {"time_limit", "previous"}
)
_INDEX_PARAMS = frozenset(
    {"transitive", "index_facts", "index_url", "extra_index_url", "find_links", "no_index"}
    | {"offline", "cache_dir", "lock"}
)


class _Command(click.Command):
    """A command whose ``--help`` lists its own options first, then the analysis options
    every command shares, then the package index's apart."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {
            "Options": [],
            "Analysis options": [],
            "Package index options": [],
        }
        for param in self.get_params(ctx):
            record = None if isinstance(param, click.Argument) else param.get_help_record(ctx)
            if record is None:
                continue
            if param.name in _INDEX_PARAMS:
                sections["Package index options"].append(record)
            elif param.name in _ANALYSIS_PARAMS:
                sections["Analysis options"].append(record)
            else:
                sections["Options"].append(record)
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class _Group(click.Group):
    command_class = _Command


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="depsplit")
def cli() -> None:
    """Find every dependency conflict between the apps of a Python monorepo and split
    them into the fewest containers."""


@cli.command()
@_common_options
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(FORMATS),
    help="Report format; repeat with --output for several reports from one run.",
)
@click.option(
    "-o",
    "--output",
    "outputs",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Write the report of the --format at the same position to FILE ('-' for stdout).",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="unsatisfiable",
    show_default=True,
    help="Exit 1 when: an app cannot be installed even alone; any conflict; "
    "a conflict not in --baseline; never.",
)
@click.option(
    "--baseline",
    metavar="GIT_REF|REPORT.json",
    help="Compare with this git revision (analysed from git, the work tree is not touched) "
    "or a previous --format json report: conflicts are new, existing or resolved.",
)
@click.option(
    "--color",
    "color_mode",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text report: auto = on a terminal, unless NO_COLOR is set (FORCE_COLOR "
    "colours a pipe too).",
)
@click.option(
    "--suggest",
    "with_suggestions",
    is_flag=True,
    help="Add a 'Fewer containers' section: the best verified requirement edits that lower "
    "the number of groups (a bounded search; depsplit suggest searches further).",
)
@click.option(
    "--link-base",
    metavar="URL",
    help="Prefix of file links in the Markdown report, e.g. "
    "https://github.com/OWNER/REPO/blob/SHA/ (default: from GITHUB_* variables, else relative).",
)
def analyze(
    formats: tuple[str, ...],
    outputs: tuple[str, ...],
    fail_on: str,
    baseline: str | None,
    color_mode: str,
    with_suggestions: bool,
    link_base: str | None,
    **kw: object,
) -> None:
    """Read every app under PATH, find conflicts and suggest groups."""
    import os

    from depsplit.progress import progress

    formats = formats or ("text",)
    quiet = _quiet(kw)
    if len(outputs) > len(formats):
        raise click.UsageError("each --output needs a --format before it")
    if fail_on == "new" and not baseline:
        raise click.UsageError("--fail-on new needs --baseline GIT_REF or --baseline REPORT.json")
    diff = None
    old = None
    if baseline:
        from depsplit.baseline import load_baseline

        # The files of a revision are copied only up to the limit the run applies here.
        limit = _config(kw).max_file_size
        with progress(f"depsplit: analysing the baseline {baseline}…", quiet=quiet):
            old = load_baseline(
                baseline,
                Path(str(kw["path"])),
                lambda root: _analyze(**{**kw, "path": str(root)}),  # type: ignore[arg-type]
                max_file_size=limit,
            )
        if not kw.get("previous"):
            # The baseline's groups are the previous plan: apps stay in them where they
            # can, and keep their names, so a review sees what the change moves.
            kw["previous_map"] = {app: g.name for g in old.groups for app in g.apps}
    with progress("depsplit: analysing…", quiet=quiet):
        plan = _analyze(**kw)  # type: ignore[arg-type]
    if old is not None:
        from depsplit.baseline import diff as baseline_diff

        diff = baseline_diff(old, plan)
    fewer = None
    if with_suggestions and not plan.has_errors:
        with progress("depsplit: searching for edits that need fewer containers…", quiet=quiet):
            fewer = _fewer_containers(plan, kw)
    environ = dict(os.environ)
    context = ReportContext(
        baseline=diff,
        link_base=_links(link_base, environ),
        root=Path(str(kw["path"])),
        details=bool(kw.get("verbose")),
        closing=_closing(plan, fail_on, diff),
        fewer=fewer,
    )
    from depsplit.gc_pause import fewer_collections

    for i, fmt in enumerate(formats):
        target = outputs[i] if i < len(outputs) else "-"
        color = _color(color_mode, environ, target)
        # A context of its own only when coloured: the others share its path prefix.
        output_context = replace(context, color=True) if color else context
        with fewer_collections():  # a report allocates one dict per requirement
            # Written as made: into a file renamed into place once complete, or buffered
            # until complete for stdout (no half report there).
            _emit(RENDERERS[fmt].pieces(plan, output_context), target)
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if "github" in formats and summary:
        from depsplit.writer import append_text

        append_text(Path(summary), RENDERERS["markdown"](plan, context))
    raise _Exit(_exit_code(plan, fail_on, diff))


@cli.command()
@click.argument("package")
@_common_options
def explain(package: str, **kw: object) -> None:
    """List every app's requirement on PACKAGE, with origins, and the sets that conflict."""
    from depsplit.explain import explain as explain_package
    from depsplit.explain import required_by

    plan = _analyze(**kw)  # type: ignore[arg-type]
    _note_skipped(plan)
    click.echo(explain_package(plan.apps, plan.conflicts, package, plan.target), nl=False)
    if plan.has_errors:
        raise _Exit(EXIT_ERROR)
    # A package no app requires is most often a typo: exit 1, so a script notices.
    raise _Exit(EXIT_OK if required_by(plan.apps, package) else EXIT_POLICY)


@cli.command()
@_common_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--target-groups",
    type=click.IntRange(min=1),
    metavar="N",
    help="Ask for the fewest edits that reach N groups (exit 1 when none is found).",
)
@click.option(
    "--max-apps",
    type=click.IntRange(min=1, max=10),
    default=3,  # depsplit.suggest.MAX_APPS
    show_default=True,
    help="Most apps one suggestion may edit.",
)
@click.option(
    "--max-sets",
    type=click.IntRange(min=1),
    default=200,  # depsplit.suggest.MAX_SETS
    show_default=True,
    help="Most candidate sets of apps the search evaluates.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Most suggestions shown (each one verified).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="-", help="Write to FILE.")
def suggest(
    fmt: str,
    target_groups: int | None,
    max_apps: int,
    max_sets: int,
    limit: int,
    output: str,
    **kw: object,
) -> None:
    """Suggest the fewest requirement edits that lower the number of groups, each one
    verified by re-analysing the tree with it."""
    from depsplit import suggest as suggest_module
    from depsplit.progress import progress

    root = Path(str(kw["path"]))
    if not root.is_dir():
        raise click.BadParameter(f"{kw['path']!r} is not a directory", param_hint="PATH")
    with progress("depsplit: searching for edits…", quiet=_quiet(kw)):
        result = suggest_module.suggest(
            root,
            _config(kw),
            _options(kw),
            target_groups=target_groups,
            max_apps=max_apps,
            max_sets=max_sets,
            limit=limit,
        )
    _note_skipped(result.plan)
    text = (
        suggest_module.render_json(result) if fmt == "json" else suggest_module.render_text(result)
    )
    _emit(text, output)
    if result.plan.has_errors:
        raise _Exit(EXIT_ERROR)
    if target_groups is not None and not result.reached and target_groups < len(result.plan.groups):
        raise _Exit(EXIT_POLICY)
    raise _Exit(EXIT_OK)


@cli.command()
@_common_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["dot", "mermaid", "graphml", "json"]),
    default="dot",
    show_default=True,
    help="Graph format.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="-", help="Write to FILE.")
def graph(fmt: str, output: str, **kw: object) -> None:
    """Print the graph of apps, packages, requirements and conflicts."""
    from depsplit.report.graph import build_graph, render_graph

    plan = _analyze(**kw)  # type: ignore[arg-type]
    _note_skipped(plan)
    _emit(render_graph(build_graph(plan.apps, plan.conflicts, plan.target), fmt), output)
    raise _Exit(EXIT_ERROR if plan.has_errors else EXIT_OK)


def _note_skipped(plan: Plan) -> None:
    """Say on stderr which directories were not searched (the reports of ``analyze`` say it
    in their own format)."""
    for skipped in plan.skipped:
        click.echo(f"note: not searched: {skipped.path}: {skipped.reason}", err=True)


def _app_values(
    values: tuple[str, ...], flag: str, shape: str, valid: Callable[[str], object] = bool
) -> dict[str, str]:
    """``APP=VALUE`` options (``--replicas``, ``--autoscale``, ``--ingress-host``): app →
    value, each checked by ``valid``; anything else is a usage error naming the flag."""
    out: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip() or not rest.strip() or not valid(rest.strip()):
            raise click.BadParameter(f"{value!r} is not {shape}", param_hint=flag)
        out[name.strip()] = rest.strip()
    return out


def _replicas(values: tuple[str, ...]) -> dict[str, int]:
    found = _app_values(values, "--replicas", "APP=N", str.isdigit)
    return {name: int(count) for name, count in found.items()}


def _autoscale(values: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    found = _app_values(
        values, "--autoscale", "APP=MIN:MAX", lambda v: re.fullmatch(r"\d+\s*:\s*\d+", v)
    )
    return {
        name: (int(low), int(high))
        for name, (low, _, high) in ((n, v.partition(":")) for n, v in found.items())
    }


def _resources(cpu: str | None, memory: str | None) -> Resources | None:
    from depsplit.emit.build import Resources
    from depsplit.emit.kubernetes import check_resources

    if cpu is None and memory is None:
        return None
    defaults = Resources()
    cpu_request, _, cpu_limit = (cpu or f"{defaults.cpu_request}:{defaults.cpu_limit}").partition(
        ":"
    )
    mem_request, _, mem_limit = (
        memory or f"{defaults.memory_request}:{defaults.memory_limit}"
    ).partition(":")
    return check_resources(
        Resources(
            cpu_request=cpu_request,
            cpu_limit=cpu_limit or cpu_request,
            memory_request=mem_request,
            memory_limit=mem_limit or mem_request,
        )
    )


@cli.command()
@_common_options
@click.option(
    "-o",
    "--output-dir",
    "output_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Write the files here (inside PATH: it is the images' build context).",
)
@click.option("--force", is_flag=True, help="Overwrite files you edited since generated.")
@click.option(
    "--check", is_flag=True, help="Write nothing; print a diff and exit 1 if anything would change."
)
@click.option(
    "--fail-on",
    type=click.Choice(("unsatisfiable", "conflict", "never")),
    default="unsatisfiable",
    show_default=True,
    help="Exit 1 when: an app gets no container (it cannot be installed even alone); any "
    "conflict; never. The files are written either way.",
)
@click.option("--registry", metavar="HOST[:PORT]", help="Image registry (default: Docker Hub).")
@click.option("--namespace", metavar="NAME", help="Image namespace, e.g. my-team.")
@click.option("--tag", metavar="TAG", help="Image tag (default: latest).")
@click.option(
    "--replicas",
    "replicas",
    multiple=True,
    metavar="APP=N",
    help="Run N replicas of APP (an HTTP app gets a load balancer in front); repeatable.",
)
@click.option(
    "--cpu",
    metavar="REQUEST[:LIMIT]",
    help="CPU of every container (default 100m:500m); also the Swarm deploy.resources.",
)
@click.option(
    "--memory",
    metavar="REQUEST[:LIMIT]",
    help="Memory of every container (default 128Mi:512Mi); also the Swarm deploy.resources.",
)
@click.option(
    "--kubernetes",
    "kubernetes",
    is_flag=True,
    default=None,
    help="Also write Kubernetes manifests into OUTDIR/kubernetes (kubectl apply -k).",
)
@click.option("--kubernetes-namespace", metavar="NAME", help="The manifests' Kubernetes namespace.")
@click.option(
    "--lock/--no-lock",
    default=True,
    envvar="DEPSPLIT_LOCK",
    show_envvar=True,
    help="Resolve each group through the package index at its Python and write its "
    "requirements.txt as that lock, pins with hashes (default: on, with the index facts; "
    "--transitive always locks).",
)
@click.option(
    "--upgrade",
    is_flag=True,
    help="Lock every group to the newest releases its requirements allow (default: keep "
    "the previous plan's pins wherever the requirements still allow them).",
)
@click.option(
    "--autoscale",
    multiple=True,
    metavar="APP=MIN:MAX",
    help="A HorizontalPodAutoscaler for APP (Kubernetes); repeatable.",
)
@click.option(
    "--ingress-host",
    "ingress_hosts",
    multiple=True,
    metavar="APP=HOST",
    help="An Ingress routing HOST to the web app APP (Kubernetes); repeatable.",
)
def generate(
    output_dir: str,
    force: bool,
    check: bool,
    fail_on: str,
    registry: str | None,
    namespace: str | None,
    tag: str | None,
    replicas: tuple[str, ...],
    cpu: str | None,
    memory: str | None,
    kubernetes: bool | None,
    kubernetes_namespace: str | None,
    autoscale: tuple[str, ...],
    ingress_hosts: tuple[str, ...],
    upgrade: bool,
    **kw: object,
) -> None:
    """Write a Dockerfile, requirements and .dockerignore per group, and compose.yaml
    (with --kubernetes, Kubernetes manifests too)."""
    from depsplit.emit import PLAN_FILE, GenerateOptions, layout, render_all
    from depsplit.writer import recover, write_tree

    outdir = Path(output_dir)
    root = Path(str(kw["path"]))
    context, inside = layout(root, outdir)  # refuses an OUTDIR outside PATH before reading
    resources = _resources(cpu, memory)
    config = _config(kw)
    k8s = _kubernetes(config, kubernetes, kubernetes_namespace, autoscale, ingress_hosts)
    if not check:
        # A run killed mid-commit left its journal: undo (or finish) that commit before
        # anything reads the output (its plan file is the --previous below).
        for note in recover(outdir):
            click.echo(f"note: {note}", err=True)
    previous = kw.pop("previous", None) or None
    if previous is None and (outdir / PLAN_FILE).is_file():
        previous = outdir / PLAN_FILE  # keep apps in the groups they had
    ports: dict[str, int] = {}
    if previous is not None:  # read once: a plan file grows with the repository
        kw["previous_map"], ports, locks = previous_plan(Path(str(previous)))
        if not upgrade:
            kw["previous_locks"] = locks
    quiet = _quiet(kw)
    plan = _plan_to_generate(inside, quiet, config, kw)
    options = GenerateOptions(
        registry=registry,
        namespace=namespace,
        tag=tag,
        replicas=_replicas(replicas),
        context=context,
        outdir=inside,
        resources=resources,
        kubernetes=k8s,
        previous_ports=ports,
    )
    files = render_all(plan, root, options)
    report = write_tree(outdir, files, force=force, check=check)
    for note in () if quiet else report.notes:
        click.echo(f"note: {note}", err=True)
    if check:
        _echo_check(plan, outdir, output_dir, files, report, quiet)
    else:
        _echo_written(plan, outdir, output_dir, files, report, quiet, bool(kw.get("verbose")))
    raise _Exit(_generate_summary(plan, fail_on, quiet))


def _kubernetes(
    config: Config,
    kubernetes: bool | None,
    namespace: str | None,
    autoscale: tuple[str, ...],
    ingress_hosts: tuple[str, ...],
) -> KubernetesOptions | None:
    """The Kubernetes manifests' options, or ``None`` without ``--kubernetes`` (or
    ``kubernetes = true``); their options without it are a usage error."""
    from depsplit.emit.build import KubernetesOptions
    from depsplit.errors import UsageError

    if kubernetes or (kubernetes is None and config.kubernetes):
        return KubernetesOptions(
            namespace=namespace or config.kubernetes_namespace,
            autoscale=_autoscale(autoscale),
            ingress_hosts=_app_values(ingress_hosts, "--ingress-host", "APP=HOST"),
            workloads=config.workloads,
            schedules=config.schedules,
        )
    if autoscale or ingress_hosts or namespace:
        raise UsageError(
            "--autoscale, --ingress-host and --kubernetes-namespace apply to the Kubernetes "
            "manifests: add --kubernetes (or kubernetes = true in the configuration)"
        )
    return None


def _plan_to_generate(inside: str, quiet: bool, config: Config, kw: dict[str, object]) -> Plan:
    """The analysis ``generate`` writes files for: none when it has errors (they are
    printed, exit 2), its warnings printed unless ``quiet``; OUTDIR (``inside`` PATH) is
    not among its skipped directories."""
    from depsplit.emit import check_outdir_apart
    from depsplit.errors import UsageError

    plan = _analyze(config=config, **kw)  # type: ignore[arg-type]
    if plan.has_errors:
        for diagnostic in plan.diagnostics:
            click.echo(str(diagnostic), err=True)
        click.echo("error: not generating: the analysis has errors (above)", err=True)
        raise _Exit(EXIT_ERROR)
    check_outdir_apart(inside, ((a.name, a.path) for a in plan.apps))
    # OUTDIR is skipped as depsplit's output once written: the plan it holds must not say
    # so, or every second run would differ from the first.
    plan = replace(plan, skipped=tuple(s for s in plan.skipped if s.path != inside))
    if not quiet:
        for diagnostic in plan.diagnostics:  # warnings only: what was generated may need them
            click.echo(str(diagnostic), err=True)
        _note_skipped(plan)
    if plan.apps and not plan.groups:
        raise UsageError("the plan has no groups: nothing to generate")
    return plan


def _echo_check(
    plan: Plan,
    outdir: Path,
    output_dir: str,
    files: Mapping[str, str | Pieces],
    report: WriteReport,
    quiet: bool,
) -> None:
    """What ``generate --check`` prints: the diff, edited files depsplit would change;
    exit 1 when OUTDIR is out of date."""
    click.echo(report.diff, nl=False)
    for path in report.conflicts:
        click.echo(f"{path}: you edited it and depsplit would now write it differently", err=True)
        _stale_lines(plan, outdir, output_dir, path, files, report.skipped)
    if report.changed:
        click.echo(f"{output_dir}: out of date: run depsplit generate to update it", err=True)
        raise _Exit(EXIT_POLICY)
    if not quiet:
        click.echo(f"{output_dir}: up to date", err=True)


def _echo_written(
    plan: Plan,
    outdir: Path,
    output_dir: str,
    files: Mapping[str, str | Pieces],
    report: WriteReport,
    quiet: bool,
    verbose: bool,
) -> None:
    """What ``generate`` prints of the files it wrote, removed, left and kept."""
    for path in () if quiet else report.written:
        click.echo(f"wrote {Path(output_dir, path)}")
    for path in () if quiet else report.removed:
        click.echo(f"removed {Path(output_dir, path)} (no longer generated)")
    for path in report.unchanged if verbose else ():
        click.echo(f"unchanged {Path(output_dir, path)}")
    for path in report.skipped:
        why = " (depsplit would now write it differently)" if path in report.conflicts else ""
        click.echo(
            f"kept your edits to {Path(output_dir, path)}{why}; --force overwrites", err=True
        )
        if path in report.conflicts:
            _stale_lines(plan, outdir, output_dir, path, files, report.skipped)
    for path in report.kept_stale:
        click.echo(
            f"kept {Path(output_dir, path)}: no longer generated, but you edited it", err=True
        )
    unchanged = len(report.unchanged)
    if not quiet:
        click.echo(
            f"{len(report.written)} written, {unchanged} unchanged, {len(report.skipped)} kept"
        )


def _stale_lines(
    plan: Plan,
    outdir: Path,
    output_dir: str,
    path: str,
    files: Mapping[str, str | Pieces],
    kept: Sequence[str],
) -> None:
    """For a kept (edited) Dockerfile the plan has moved under: its ``COPY`` lines to remove
    and to add (:mod:`depsplit.emit.stale`), each on one line of stderr."""
    from depsplit.emit.stale import stale_copies

    if posixpath.basename(path) != "Dockerfile" or path not in files:
        return
    try:
        text = (outdir / path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    group = posixpath.dirname(path)
    found = stale_copies(
        text,
        str(files[path]),
        group,
        {a.path: a.name for a in plan.apps},
        ignore_kept=f"{group}/Dockerfile.dockerignore" in kept,
    )
    if found:
        click.echo(f"{Path(output_dir, path)}: no longer matches the plan (stale):", err=True)
    for stale in found:
        where = f"line {stale.line}: " if stale.line is not None else "add: "
        click.echo(f"  {where}{stale.instruction}  ({stale.why})", err=True)


def _quiet(kw: dict[str, object]) -> bool:
    """``-q``, refused together with ``-v``."""
    if kw.get("quiet") and kw.get("verbose"):
        raise click.UsageError("-q/--quiet and -v/--verbose ask for opposite things: give one")
    return bool(kw.get("quiet"))


def _generate_summary(plan: Plan, fail_on: str, quiet: bool = False) -> int:
    """``generate``'s closing lines: images and apps, every app left without a container
    with the reason (its own conflict), and the exit code the policy gives. ``quiet``: only
    the apps left out (they explain exit 1)."""
    from depsplit.report.common import own_conflicts
    from depsplit.report.text import plural
    from depsplit.target import minor_key

    pythons = sorted({g.python for g in plan.groups if g.python}, key=minor_key)
    on = f" (CPython {', '.join(pythons)})" if pythons else ""
    housed = sum(len(g.apps) for g in plan.groups)
    images = f"{plural(len(plan.groups), 'image')}{on}"
    if not plan.unsatisfiable:
        if not quiet:
            click.echo(f"{images} for {plural(housed, 'app')}; every app has a container")
    else:
        left = len(plan.unsatisfiable)
        click.echo(
            f"{images} for {plural(housed, 'app')}; {plural(left, 'app')} left out "
            "(no container: cannot be installed even alone):"
        )
        reasons = own_conflicts(plan)
        for name in plan.unsatisfiable:
            own = reasons[name]
            reason = own[0].message if own else "its requirements cannot all hold"
            more = f" (and {len(own) - 1} more)" if len(own) > 1 else ""
            click.echo(f"  {name}: {reason}{more}")
    code = _exit_code(plan, fail_on)
    if code == EXIT_POLICY:
        why = "an app has no container" if plan.unsatisfiable else "the plan has conflicts"
        click.echo(f"exit 1 (--fail-on {fail_on}): {why}; --fail-on never exits 0", err=True)
    return code


def _links(link_base: str | None, environ: Mapping[str, str]) -> str | None:
    """``--link-base``, else the commit's blob URL from GitHub Actions' variables."""
    if link_base:
        return link_base
    server, repo = environ.get("GITHUB_SERVER_URL"), environ.get("GITHUB_REPOSITORY")
    sha = environ.get("DEPSPLIT_LINK_SHA") or environ.get("GITHUB_SHA")
    if server and repo and sha:
        return f"{server.rstrip('/')}/{repo}/blob/{sha}/"
    return None


def _color(color_mode: str, environ: Mapping[str, str], target: str) -> bool:
    """Whether the report written to ``target`` (``"-"``: stdout) is coloured.
    ``--color always``/``never`` decide; ``auto`` colours stdout when it is a terminal
    (not ``TERM=dumb``), never with ``NO_COLOR`` set, and a pipe too with ``FORCE_COLOR``
    set (https://no-color.org, https://force-color.org); a file never."""
    if color_mode != "auto":
        return color_mode == "always"
    if target != "-" or environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty()) and environ.get("TERM") != "dumb"


def _emit(text: str | Iterable[str], target: str) -> None:
    """Write a report (a string, or its pieces) to ``target``: ``-`` for stdout, where it
    goes once complete, else a file."""
    if target == "-":
        from depsplit.writer import buffered_pieces, text_pieces

        # ANSI styles are in ``text`` only when --color/NO_COLOR/FORCE_COLOR decided so
        # (content is escaped): click must not strip them from a pipe. A slice at a time:
        # a report of hundreds of megabytes is not held a second time, encoded; one made
        # in pieces is not held at all (buffered in a temporary file until complete).
        pieces = text_pieces(text) if isinstance(text, str) else buffered_pieces(text)
        for piece in pieces:
            click.echo(piece, nl=False, color=True)
        return
    from depsplit.writer import write_file_atomic

    write_file_atomic(Path(target), text)


def _fewer_containers(plan: Plan, kw: dict[str, object]) -> Suggestions:
    """``analyze --suggest``: the verified suggestions for ``plan``'s tree, from a search
    bounded for a report (:data:`depsplit.suggest.REPORT_SETS`)."""
    from depsplit import suggest as suggest_module

    return suggest_module.suggest(
        Path(str(kw["path"])),
        _config(kw),
        _options(kw),
        max_sets=suggest_module.REPORT_SETS,
        limit=suggest_module.REPORT_LIMIT,
        plan=plan,
    )


def _closing(plan: Plan, fail_on: str, diff: BaselineDiff | None = None) -> str:
    """The text report's last line: the verdict again and why the exit code is what it is."""
    from depsplit.report.text import group_summary, plural

    verdict = f"{group_summary(plan) or '0 groups'} for {plural(len(plan.apps), 'app')}"
    code = _exit_code(plan, fail_on, diff)
    if code == EXIT_ERROR:
        errors = sum(d.level == "error" for d in plan.diagnostics)
        why = f"exit 2: {plural(errors, 'input error')} (see Diagnostics)"
    elif code == EXIT_OK:
        why = f"exit 0 (--fail-on {fail_on})"
    elif fail_on == "new" and diff is not None:
        new = len(diff.new) + len(diff.new_unsatisfiable)
        why = f"exit 1 (--fail-on new): {new} new since {diff.source}"
    elif fail_on == "conflict":
        why = f"exit 1 (--fail-on conflict): {plural(len(plan.conflicts), 'conflict')}"
    else:
        left = len(plan.unsatisfiable)
        why = f"exit 1 (--fail-on {fail_on}): {plural(left, 'app')} cannot be installed even alone"
    return f"depsplit: {verdict}; {why}"


def _exit_code(plan: Plan, fail_on: str, diff: BaselineDiff | None = None) -> int:
    if plan.has_errors:
        return EXIT_ERROR
    if fail_on == "unsatisfiable" and plan.unsatisfiable:
        return EXIT_POLICY
    if fail_on == "conflict" and (plan.conflicts or plan.unsatisfiable):
        return EXIT_POLICY
    if fail_on == "new" and diff is not None and (diff.new or diff.new_unsatisfiable):
        return EXIT_POLICY
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return (and, as a console script, exit with) the exit code."""
    if argv is None:
        # A process of its own, which ends with the command: no cyclic collection from
        # here on (see depsplit.gc_pause). The objects of the analysis (millions, a
        # --transitive run's index pages among them) are frozen before the collector
        # comes back, so neither the collection that would follow nor the one at exit
        # walks them: seconds on a corpus of hundreds of apps, for no garbage.
        from depsplit.gc_pause import frozen_at_exit

        with frozen_at_exit():
            return _main(argv)
    return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    try:
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except _Exit as done:
        return _finish(done.code, argv)
    except click.exceptions.Abort as exc:
        # Ctrl-C (SIGINT): click turns the KeyboardInterrupt into Abort. The writer's says
        # what became of the output (kept intact, or already complete).
        if isinstance(exc.__cause__, KeyboardInterrupt):
            said = str(exc.__cause__) or "interrupted by SIGINT"
            click.secho(f"error: {said}", err=True, fg="red")
        else:
            click.echo("Aborted.", err=True)
        return _finish(EXIT_ERROR, argv)
    except click.ClickException as exc:
        exc.show()
        return _finish(EXIT_ERROR, argv)
    except DepsplitError as exc:
        click.secho(f"error: {exc}", err=True, fg="red")
        return _finish(exc.exit_code, argv)
    except click.exceptions.Exit as exc:  # --help, --version
        return _finish(exc.exit_code, argv)
    except Exception as exc:  # the last resort: see _report_bug
        _report_bug(exc)
        return _finish(EXIT_ERROR, argv)
    return _finish(EXIT_OK, argv)


def _report_bug(exc: Exception) -> None:
    """An exception no handler expected is a bug in depsplit, not a verdict: say so in a
    few lines (redacted: its text may hold a URL with a token), with where to report it,
    and exit 2 like any error, never 1 (the policy's code, which CI may read as "new
    conflicts") and whatever ``--lenient`` says. The traceback only on request."""
    import os
    import traceback

    from depsplit.errors import DEBUG_ENV, ISSUE_TRACKER
    from depsplit.redact import redact_text

    if isinstance(exc, MemoryError):
        click.secho("error: out of memory", err=True, fg="red")
        return
    what = redact_text(f"{type(exc).__name__}: {exc}".splitlines()[0])[:500]
    click.secho(f"error: internal error in depsplit {__version__}: {what}", err=True, fg="red")
    if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
        click.echo(redact_text("".join(traceback.format_exception(exc))), err=True, nl=False)
    else:
        click.echo(f"(set {DEBUG_ENV}=1 to see the traceback)", err=True)
    click.echo(
        f"This is a bug in depsplit; please report it at {ISSUE_TRACKER} with the command "
        "that failed and the message above.",
        err=True,
    )


def _finish(code: int, argv: Sequence[str] | None) -> int:
    if argv is None:  # console script
        sys.exit(code)
    return code
