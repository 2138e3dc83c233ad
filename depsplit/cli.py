"""The command line. Commands only parse options, call the library and print; errors are
mapped to messages and exit codes in one place, :func:`main`.

Exit codes: 0 the analysis is complete and the policy holds; 1 the policy failed
(``--fail-on``); 2 usage, input, I/O or network error (the report is still printed when
the input was read at all).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from depsplit import __version__
from depsplit.errors import EXIT_ERROR, EXIT_OK, EXIT_POLICY, DepsplitError
from depsplit.model import Plan

FORMATS = ("text", "json")
FAIL_ON = ("unsatisfiable", "conflict", "never")


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _analyze(ctx_obj: dict[str, object], path: str, **kw: object) -> Plan:
    from depsplit import config as config_module
    from depsplit.analyze import Options, analyze

    root = Path(path)
    if not root.is_dir():
        raise click.BadParameter(f"{path!r} is not a directory", param_hint="PATH")
    config_file = kw.get("config_file")
    config = config_module.load(root.resolve(), Path(str(config_file)) if config_file else None)
    options = Options(
        exclude=tuple(kw.get("exclude") or ()),  # type: ignore[arg-type]
        lenient=bool(kw.get("lenient")),
        allow_outside_root=bool(kw.get("allow_outside_root")),
        python=kw.get("python") or None,  # type: ignore[arg-type]
        platform=kw.get("platform") or None,  # type: ignore[arg-type]
    )
    return analyze(root, config, options)


def _common_options(func):  # type: ignore[no-untyped-def]
    decorators = [
        click.argument("path", default=".", type=click.Path(file_okay=False)),
        click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB."),
        click.option("--lenient", is_flag=True, help="Report input errors as warnings (exit 0)."),
        click.option(
            "--allow-outside-root",
            is_flag=True,
            help="Follow -r/-c includes that leave the analysed directory.",
        ),
        click.option("--python", metavar="X.Y", help="Fix the interpreter of every group."),
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
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    help="Exit 1 when: an app cannot be installed even alone; any conflict; never.",
)
def analyze(formats: tuple[str, ...], outputs: tuple[str, ...], fail_on: str, **kw: object) -> None:
    """Read every app under PATH, find conflicts and suggest groups."""
    formats = formats or ("text",)
    if len(outputs) > len(formats):
        raise click.UsageError("each --output needs a --format before it")
    plan = _analyze({}, **kw)  # type: ignore[arg-type]
    for i, fmt in enumerate(formats):
        text = _render(plan, fmt)
        target = outputs[i] if i < len(outputs) else "-"
        _emit(text, target)
    raise _Exit(_exit_code(plan, fail_on))


def _render(plan: Plan, fmt: str) -> str:
    if fmt == "json":
        from depsplit.report import json as json_report

        return json_report.render(plan)
    from depsplit.report import text as text_report

    return text_report.render(plan)


def _emit(text: str, target: str) -> None:
    if target == "-":
        click.echo(text, nl=False)
        return
    from depsplit.writer import write_file_atomic

    write_file_atomic(Path(target), text)


def _exit_code(plan: Plan, fail_on: str) -> int:
    if plan.has_errors:
        return EXIT_ERROR
    if fail_on == "unsatisfiable" and plan.unsatisfiable:
        return EXIT_POLICY
    if fail_on == "conflict" and (plan.conflicts or plan.unsatisfiable):
        return EXIT_POLICY
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return (and, as a console script, exit with) the exit code."""
    try:
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except _Exit as done:
        return _finish(done.code, argv)
    except click.exceptions.Abort:
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
    return _finish(EXIT_OK, argv)


def _finish(code: int, argv: Sequence[str] | None) -> int:
    if argv is None:  # console script
        sys.exit(code)
    return code
