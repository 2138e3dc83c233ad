"""The text report: plain and stable when piped, coloured through rich on a terminal."""

from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner
from test_report_common import check_golden, plan_with_builds, sample_diff, sample_plan

from depsplit.cli import cli
from depsplit.progress import progress
from depsplit.report import text as text_report

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_golden_plain() -> None:
    check_golden("sample.txt", text_report.render(sample_plan()))


def test_golden_against_a_baseline() -> None:
    check_golden("sample-baseline.txt", text_report.render(sample_plan(), baseline=sample_diff()))


def test_order_headline_conflicts_groups_diagnostics() -> None:
    """Summary first: headline, packages, (conflicts in full: a small plan), groups,
    diagnostics, the closing line. ``-v`` (details) lists the apps too."""
    out = text_report.render(sample_plan(), closing="depsplit: the verdict")
    assert out.splitlines()[0] == (
        "depsplit: 5 apps, 6 conflicts, 4 groups (optimal), 1 unsatisfiable, 1 error, 1 warning"
    )
    sections = ("\nPackages that split apps", "\nConflicts\n", "\nGroups\n", "\nDiagnostics\n")
    positions = [out.index(h) for h in sections]
    assert positions == sorted(positions)
    assert "\nApps\n" not in out
    assert out.splitlines()[-1] == "depsplit: the verdict"
    assert "libs/old.txt:4 (via services/legacy/requirements.txt:1)" in out
    full = text_report.render(sample_plan(), details=True, closing="depsplit: the verdict")
    positions = [full.index(h) for h in (*sections[1:3], "\nApps\n", sections[3])]
    assert positions == sorted(positions)
    assert full.splitlines()[-1] == "depsplit: the verdict"


def test_colour_is_the_same_text_with_ansi_styles() -> None:
    plain = text_report.render(sample_plan(), baseline=sample_diff())
    coloured = text_report.render(sample_plan(), baseline=sample_diff(), color=True)
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured) == plain


def test_piped_cli_output_is_plain(tree, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    root = tree({"api/requirements.txt": "flask\n"})
    result = CliRunner().invoke(cli, ["analyze", str(root)], color=True)
    assert result.output.startswith("depsplit: 1 app")
    assert "\x1b[" not in result.output


def test_no_color_wins_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from depsplit.cli import _color

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdout", Tty())
    assert _color("auto", {"TERM": "xterm"}, "-") is True
    assert _color("auto", {"TERM": "xterm", "NO_COLOR": "1"}, "-") is False
    assert _color("auto", {"TERM": "xterm"}, "out.txt") is False


def test_progress_is_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with progress("working", stream=stream) as update:
        update("still working")
    assert stream.getvalue() == ""


def test_progress_shows_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    with progress("working", stream=stream) as update:
        update("still working")
    assert "working" in ANSI.sub("", stream.getvalue())


def test_many_apps_on_one_requirement_are_summarized_by_requirement() -> None:
    """At scale a package's conflicts read by requirement (how many apps hold it, the first
    of them with its origin), not one block per conflict."""
    from depsplit.conflicts import find_conflicts
    from depsplit.model import App, Origin, Plan, Requirement, Target

    def app(name: str, spec: str) -> App:
        origin = Origin(f"{name}/requirements.txt", 1)
        return App(name, name, (origin.file,), (Requirement("flask", "Flask", spec, origin),))

    apps = [app(f"old{i:02d}", "==1.1.1") for i in range(12)]
    apps += [app(f"new{i:02d}", ">=3") for i in range(30)]
    apps += [app("mid", "==2.0.1")]
    conflicts = tuple(find_conflicts(apps, Target()))
    assert len(conflicts) == 3
    text = text_report.render(Plan(root=".", apps=tuple(apps), conflicts=conflicts))
    section = text.split("Conflicts\n", 1)[1].split("\n\n", 1)[0]
    assert section.splitlines() == [
        "  Flask: 3 conflicts between 3 requirements of 43 apps",
        "      #1 ==2.0.1: 1 app: mid (mid/requirements.txt:1)",
        "      #2 >=3: 30 apps: new00 (new00/requirements.txt:1), new01, new02 and 27 more",
        "      #3 ==1.1.1: 12 apps: old00 (old00/requirements.txt:1), old01, old02 and 9 more",
        "      #1 cannot share a container with #2, #3",
        "      #2 cannot share a container with #3",
    ]


def test_groups_say_what_compiles_and_which_python_is_unverified() -> None:
    out = text_report.render(plan_with_builds(), details=True)
    groups = out[out.index("\nGroups\n") : out.index("\nApps\n")].splitlines()
    api = groups.index("  api (python 3.12): api, web")
    assert groups[api + 1 : api + 5] == [
        "      python 3.12 unverified: not checked against the package index (offline without a "
        "cached answer, or --no-index-facts); run depsplit online to check it",
        "      builds from source: psycopg2 2.8.6 (no wheel for cp312 manylinux x86_64; "
        "sdist only)",
        "      builds from source: uWSGI 2.0.28 (no wheel for cp312 manylinux x86_64; sdist only)",
        "      kept apart from other groups by: flask, mylib",
    ]
    worker = groups.index("  worker (python 3.13): worker")
    assert groups[worker + 1].startswith("      python 3.13 unverified: ")
    assert "builds from source" not in "\n".join(groups[worker:])
    assert out.splitlines()[0] == (
        "depsplit: 5 apps, 6 conflicts, 4 groups (optimal), Python choice unverified for "
        "2 groups, 1 unsatisfiable, 1 error, 1 warning"
    )
    coloured = text_report.render(plan_with_builds(), color=True, details=True)
    assert ANSI.sub("", coloured) == out
    summary = text_report.render(plan_with_builds()).splitlines()
    api = summary.index("  api (python 3.12, unverified): api, web")
    assert summary[api + 1] == "      builds from source: psycopg2 2.8.6, uWSGI 2.0.28"


def test_a_hostile_build_reason_stays_on_its_line() -> None:
    from dataclasses import replace

    from depsplit.model import BuildFromSource

    plan = plan_with_builds()
    evil = BuildFromSource("pkg\x1b]0;pwn\x07", "1", "a\nb")
    groups = (replace(plan.groups[0], builds=(evil,)), *plan.groups[1:])
    out = text_report.render(replace(plan, groups=groups), details=True)
    assert "\x1b" not in out
    assert "      builds from source: pkg\\x1b]0;pwn\\x07 1 (a\\x0ab)" in out.splitlines()
    out = text_report.render(replace(plan, groups=groups))
    assert "\x1b" not in out
    assert "      builds from source: pkg\\x1b]0;pwn\\x07 1" in out.splitlines()
