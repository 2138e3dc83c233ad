"""The registry of report formats (:data:`depsplit.report.RENDERERS`): the CLI's ``--format``
choices and dispatch come from it, and every renderer takes ``(plan, context)``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from depsplit.analyze import Options, analyze
from depsplit.config import Config
from depsplit.model import Plan
from depsplit.report import RENDERERS, ReportContext, github, markdown, sarif, text
from depsplit.report import json as json_report

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "monorepo"


@pytest.fixture(scope="module")
def demo() -> Plan:
    return analyze(DEMO, Config(), Options())


def _format_choices() -> list[str]:
    from depsplit.cli import analyze as analyze_command

    (option,) = [p for p in analyze_command.params if p.name == "formats"]
    assert isinstance(option.type, click.Choice)
    return list(option.type.choices)


def test_the_cli_choices_are_the_registry_in_its_order() -> None:
    assert list(RENDERERS) == ["text", "json", "markdown", "sarif", "github"]
    assert _format_choices() == list(RENDERERS)


@pytest.mark.parametrize(
    ("fmt", "render"),
    [
        ("text", text.render),
        ("json", json_report.render),
        ("markdown", markdown.render),
        ("sarif", sarif.render),
        ("github", github.render),
    ],
)
def test_each_renderer_renders_the_demo_plan(
    demo: Plan, fmt: str, render: Callable[[Plan], str]
) -> None:
    report = RENDERERS[fmt](demo, ReportContext())
    assert report == render(demo)
    assert "shop-api" in report


def test_the_cli_report_is_the_registry_renderer(
    demo: Plan, run: Callable[..., tuple[int, str, str]]
) -> None:
    code, out, _ = run("analyze", str(DEMO), "--format", "json", "-q")
    assert code == 0
    assert json.loads(out) == json.loads(RENDERERS["json"](demo, ReportContext()))


def test_the_context_reaches_the_renderers(demo: Plan, tmp_path: Path) -> None:
    context = ReportContext(
        link_base="https://example.com/blob/abc/",
        color=True,
        details=True,
        closing="the closing line",
    )
    assert "https://example.com/blob/abc/" in RENDERERS["markdown"](demo, context)
    colored = RENDERERS["text"](demo, context)
    assert "\x1b[" in colored
    assert "the closing line" in colored
    assert "\x1b[" not in RENDERERS["text"](demo, ReportContext())
    # Outside a git work tree the analysed directory has no prefix.
    assert ReportContext(root=tmp_path).path_prefix == ""
    assert ReportContext().path_prefix == ""


def test_an_unknown_format_is_refused_by_click(run: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = run("analyze", str(DEMO), "--format", "xml")
    assert code == 2
    assert out == ""
    assert "Invalid value for '--format': 'xml' is not one of" in err
    assert all(f"'{name}'" in err for name in RENDERERS)


def test_the_cli_imports_no_renderer_until_one_is_used() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, depsplit.cli; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    modules = {name.strip("[]',") for name in loaded}
    assert "depsplit.report" in modules
    assert not {f"depsplit.report.{name}" for name in RENDERERS} & modules


@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_a_report_in_pieces_is_the_report(demo: Plan, fmt: str) -> None:
    """What ``-o FILE`` writes piece by piece is the text the renderer returns."""
    context = ReportContext(details=True, closing="the closing line")
    pieces = list(RENDERERS[fmt].pieces(demo, context))
    assert "".join(pieces) == RENDERERS[fmt](demo, context)
    if fmt == "json":  # made a line at a time, not joined first
        assert len(pieces) > len(demo.apps)


def test_a_report_file_is_the_standard_output_report(
    run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    target = tmp_path / "report.json"
    code, out, _ = run("analyze", str(DEMO), "--format", "json", "-q")
    assert run("analyze", str(DEMO), "--format", "json", "-q", "-o", str(target))[0] == code
    assert target.read_text(encoding="utf-8") == out


@pytest.mark.parametrize("to_file", [True, False])
def test_a_report_that_fails_halfway_writes_nothing(
    run: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    to_file: bool,
) -> None:
    """The JSON report is written to a file as it is made: when making it fails halfway
    (a bug), the file keeps what it held and no temporary file is left; on stdout nothing
    at all is written. Exit 2, never 1."""
    encode = json_report._encode
    calls = []

    def failing(value: object) -> str:
        calls.append(value)
        if len(calls) > 3:
            raise RuntimeError("boom")
        return encode(value)

    monkeypatch.setattr(json_report, "_encode", failing)
    target = tmp_path / "report.json"
    target.write_text("previous\n", encoding="utf-8")
    args = ["analyze", str(DEMO), "--format", "json", "-q"]
    code, out, err = run(*args, *(["-o", str(target)] if to_file else []))
    assert code == 2
    assert len(calls) == 4
    assert "boom" in err
    assert out == ""
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
