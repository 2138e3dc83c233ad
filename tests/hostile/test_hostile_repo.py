"""The hostile repository: every trap gets a clear, specific diagnostic at its file and
line (or works), the run never hangs nor raises, and no planted secret appears in any
report format, ``explain``, ``graph``, a report file, the step summary or a generated file.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import leaked, run, snapshot
from hostile_builder import DEEP, LONG_LINES, ODD_NAMES, OUTSIDE_MARKER, SECRETS

from depsplit.analyze import analyze
from depsplit.report.graph import build_graph

FORMATS = ("text", "json", "markdown", "sarif", "github")


@pytest.fixture(scope="module")
def report(hostile: Path) -> dict[str, Any]:
    start = time.monotonic()
    code, out, err = run(["analyze", str(hostile), "--format", "json"])
    elapsed = time.monotonic() - start
    assert code == 2, err  # input errors: exit 2, report printed in full
    assert "Traceback" not in err
    assert elapsed < 60, f"no hang: {elapsed:.1f} s"
    data: dict[str, Any] = json.loads(out)
    return data


def diagnostics(report: dict[str, Any], file: str) -> list[tuple[int | None, str, str]]:
    return [
        (d["line"], d["level"], d["message"]) for d in report["diagnostics"] if d["file"] == file
    ]


EXPECTED = [
    (
        "cycle1/requirements.txt",
        1,
        "-r include cycle: cycle1/requirements.txt → cycle1/requirements.txt",
    ),
    (
        "cycle3/b.txt",
        1,
        "-r include cycle: cycle3/requirements.txt → cycle3/a.txt → cycle3/b.txt → "
        "cycle3/requirements.txt",
    ),
    (
        "escape/requirements.txt",
        1,
        "-r ../../../etc/passwd: resolves outside the analysed root; pass --allow-outside-root",
    ),
    ("escape/requirements.txt", 2, "-c /etc/passwd: resolves outside the analysed root"),
    ("symescape/requirements.txt", 1, "-r passwd-link.txt: resolves outside the analysed root"),
    ("symloop/requirements.txt", 1, "-r loop.txt: cannot resolve the path: Symlink loop"),
    ("symfile/requirements.txt", None, "resolves outside the analysed root"),
    ("devzero/requirements.txt", None, "resolves outside the analysed root"),
    ("fifo/requirements.txt", None, "is not a regular file (a device, FIFO or socket)"),
    ("binary/requirements.txt", None, "binary file, not text"),
    ("utf16/requirements.txt", None, "binary file, not text (UTF-16? save it as UTF-8)"),
    ("latin1/requirements.txt", 1, "not valid UTF-8 (byte 0xe9); save it as UTF-8"),
    (
        "big/requirements.txt",
        None,
        "over the 5,242,880-byte limit (raise max_file_size in [tool.depsplit])",
    ),
    ("secrets/req/requirements.txt", 9, "invalid requirement 'badline @ https://user:****@"),
    ("secrets/req/requirements.txt", 10, "remote requirement files are not read"),
    ("injecttoml/pyproject.toml", 5, "invalid requirement 'a; os_name == \"\\nRUN curl evil"),
    ("injecttoml/pyproject.toml", 6, 'invalid requirement \'b; os_name == "\\u2028RUN id"'),
    ("injecttoml/pyproject.toml", 7, "Expected package name at the start"),
    ("injecttoml/pyproject.toml", 8, "invalid requirement 'c\\nRUN id'"),
    ("injectpipfile/Pipfile", 2, "'evil\\nRUN id': a requirement cannot hold a line break"),
    ("injectpipfile/Pipfile", 3, "'services:\\n  x:': a requirement cannot hold a line break"),
    ("inject/requirements.txt", 1, "contains U+2028, which pip reads as a line break"),
    ("inject/requirements.txt", 2, "contains U+0085, which pip reads as a line break"),
]


@pytest.mark.parametrize(
    ("file", "line", "message"), EXPECTED, ids=[f"{f}:{n}" for f, n, _ in EXPECTED]
)
def test_each_trap_has_a_specific_message(
    report: dict[str, Any], file: str, line: int | None, message: str
) -> None:
    found = diagnostics(report, file)
    assert any(n == line and level == "error" and message in m for n, level, m in found), found


def test_every_diagnostic_is_one_line_with_a_file(report: dict[str, Any]) -> None:
    for d in report["diagnostics"]:
        assert d["file"], d
        assert "\n" not in d["message"], d
        assert "\u2028" not in d["message"], d


def test_nothing_outside_the_root_is_read(report: dict[str, Any]) -> None:
    assert OUTSIDE_MARKER not in json.dumps(report)
    assert "root:x:0:0" not in json.dumps(report)


def test_bom_and_crlf_work(report: dict[str, Any]) -> None:
    assert diagnostics(report, "bomcrlf/requirements.txt") == []
    [app] = [a for a in report["apps"] if a["path"] == "bomcrlf"]
    reqs = [(r["name"], r["specifier"], r["origin"]["line"]) for r in app["requirements"]]
    assert reqs == [("flask", "==2.3.0", 1), ("requests", ">=2", 2)]


def test_ten_thousand_lines_are_read(report: dict[str, Any]) -> None:
    [app] = [a for a in report["apps"] if a["path"] == "long"]
    assert len(app["requirements"]) == LONG_LINES
    assert app["requirements"][-1]["origin"]["line"] == LONG_LINES
    assert diagnostics(report, "long/requirements.txt") == []


def test_symlinked_directories_are_not_followed(report: dict[str, Any]) -> None:
    paths = [a["path"] for a in report["apps"]]
    assert not any("dirloop" in p or "rootlink" in p for p in paths), paths


def test_odd_directory_names_become_valid_unique_app_names(report: dict[str, Any]) -> None:
    odd = {a["path"]: a["name"] for a in report["apps"] if a["path"].startswith("odd/")}
    assert set(odd) == {f"odd/{n}" for n in ODD_NAMES}
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name) for name in odd.values()), odd
    names = [a["name"] for a in report["apps"]]
    assert len(names) == len(set(names))


def test_too_deep_a_directory_is_reported(report: dict[str, Any]) -> None:
    deep = [d for d in report["diagnostics"] if d["file"] and d["file"].startswith("deep/")]
    assert any("64" in d["message"] and "max_depth" in d["message"] for d in deep), deep
    assert DEEP > 64


def test_an_injected_requirement_never_reaches_an_output(report: dict[str, Any]) -> None:
    for app in report["apps"]:
        for req in app["requirements"]:
            assert "RUN" not in req["name"]
            assert "RUN" not in (req["marker"] or "")
            assert "evil" not in (req["url"] or "")
    # pip would read the U+2028 as a line break and use the planted index: depsplit reads
    # the file as pip does, and refuses it (so generate writes nothing from it).
    assert diagnostics(report, "inject/requirements.txt")


# -- secrets -------------------------------------------------------------------------------


def test_every_secret_is_planted(secret_repo: Path) -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in secret_repo.rglob("*") if p.is_file())
    assert sorted(leaked(text)) == sorted(SECRETS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_secret_in_any_report_format(secret_repo: Path, tmp_path: Path, fmt: str) -> None:
    summary = tmp_path / "summary.md"
    report_file = tmp_path / f"report.{fmt}"
    code, out, err = run(
        [
            "analyze",
            str(secret_repo),
            "--format",
            fmt,
            "--format",
            fmt,
            "--output",
            str(report_file),
        ],
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert code == 2
    assert "Traceback" not in err
    written = report_file.read_text(encoding="utf-8")
    extra = summary.read_text(encoding="utf-8") if summary.exists() else ""
    assert written.strip()
    assert leaked(out + err + written + extra) == []
    assert "****" in written


@pytest.mark.parametrize(
    "package",
    [
        "privpkg",
        "vcspkg",
        "editpkg",
        "gitdep",
        "vcs",
        "urlpkg",
        "pkg",
        "other",
        "attrs",
        "cfgpkg",
        "requests",
        "qpkg",
        "fpkg",
        "urlpkg2",
    ],
)
def test_no_secret_in_explain(secret_repo: Path, package: str) -> None:
    code, out, err = run(["explain", package, str(secret_repo)])
    assert code == 2
    assert "Traceback" not in err
    assert leaked(out + err) == []


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "graphml", "json"])
def test_no_secret_in_graph(secret_repo: Path, fmt: str) -> None:
    code, out, err = run(["graph", str(secret_repo), "--format", fmt])
    assert code == 2
    assert out.strip()
    assert leaked(out + err) == []


def test_no_secret_in_the_plan_objects(hostile: Path, secret_repo: Path) -> None:
    assert leaked(repr(analyze(secret_repo))) == []
    plan = analyze(hostile)
    assert leaked(repr(plan)) == []
    assert leaked(repr(build_graph(plan.apps, plan.conflicts, plan.target).nodes(data=True))) == []


def test_generate_refuses_an_analysis_with_errors_and_writes_nothing(
    hostile: Path, tmp_path: Path
) -> None:
    before = snapshot(hostile)
    code, out, err = run(["generate", str(hostile), "-o", str(hostile / "deploy")])
    assert code == 2
    assert "not generating: the analysis has errors" in err
    assert leaked(out + err) == []
    assert snapshot(hostile) == before
