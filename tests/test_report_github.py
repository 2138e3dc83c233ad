"""GitHub workflow commands on the requirement lines, and the step summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_report_common import check_golden, sample_diff, sample_plan

from depsplit.cli import main
from depsplit.report import github


def test_golden() -> None:
    check_golden("sample.github", github.render(sample_plan()))


def test_golden_against_a_baseline() -> None:
    check_golden("sample-baseline.github", github.render(sample_plan(), baseline=sample_diff()))


def test_escaping() -> None:
    assert github.escape_data("50% a\r\nb") == "50%25 a%0D%0Ab"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert github.command("error", "m", file="a,b.txt", line=3, title="t: x", col=None) == (
        "::error file=a%2Cb.txt,line=3,title=t%3A x::m"
    )


def test_one_annotation_per_requirement_line_and_nothing_unescaped() -> None:
    plan = sample_plan()
    out = github.render(plan, path_prefix="mono")
    lines = out.splitlines()
    commands = [line for line in lines if line.startswith("::")]
    lines_in_conflicts = {
        (r.origin.file, r.origin.line, r.app, c.package)
        for c in plan.conflicts
        for r in c.requirements
    }
    assert len(commands) == (
        len(lines_in_conflicts) + len(plan.unsatisfiable) + len(plan.diagnostics)
    )
    assert (
        "::error file=mono/services/api/requirements.txt,line=2,"
        "title=depsplit%3A version conflict on flask::" in out
    )
    assert (
        "::warning file=mono/services/api/requirements.txt,title=depsplit%3A input warning::" in out
    )
    # User data never starts a line of its own (a newline would start a new command).
    assert all(line.startswith("::") for line in lines[:-1])
    assert lines[-1].startswith("depsplit: 5 apps")


def test_against_a_baseline_only_new_conflicts_are_annotated() -> None:
    out = github.render(sample_plan(), baseline=sample_diff())
    assert "conflict on flask" not in out  # existing: not on its lines
    assert (
        "::notice title=depsplit%3A existing conflicts::2 existing conflicts, also in "
        "origin/main, not annotated: see the job summary." in out.splitlines()
    )
    assert (
        "::error file=services/legacy/runtime.txt,line=1,"
        "title=depsplit%3A new python conflict on python::" in out
    )


def pins(root: Path, n: int, first: int = 0) -> None:
    """Apps ``app{i}`` each pinning their own boto3."""
    for i in range(first, first + n):
        (root / f"app{i:03d}").mkdir(parents=True)
        (root / f"app{i:03d}" / "requirements.txt").write_text(f"boto3==1.26.{i}\n")


def annotations(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> list[str]:
    main(["analyze", str(root), "--no-index-facts", "--format", "github", *extra])
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("::")]


def test_one_annotation_per_requirement_line_capped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """60 apps on 60 pins of one package: 1,770 pair conflicts, 60 requirement lines; one
    annotation per line, the first 50 written and the rest counted."""
    pins(tmp_path, 60)
    out = annotations(capsys, tmp_path)
    assert len(out) == github.MAX_ANNOTATIONS + 1
    first = out[0]
    assert first.startswith(
        "::error file=app000/requirements.txt,line=1,title=depsplit%3A version conflict on "
        "boto3::app000 requires boto3 ==1.26.0, which conflicts with app001: ==1.26.1 "
        "(app001/requirements.txt:1); "
    )
    assert "; and 54 more.%0A59 conflicts on boto3: see the report" in first
    assert out[-1] == (
        "::notice title=depsplit%3A annotations left out::10 more requirement lines take part "
        "in conflicts and are not annotated (at most 50): see the job summary (the Markdown "
        "report) or depsplit analyze --format json."
    )


def test_a_pull_request_adding_one_pin_gets_exactly_its_annotations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    pins(root, 30)
    before = tmp_path / "before.json"
    assert (
        main(["analyze", str(root), "--no-index-facts", "--format", "json", "-o", str(before)]) == 0
    )
    (root / "app000" / "requirements.txt").write_text("boto3==1.26.0\nflask==1.1.1\n")
    pins(root, 1, first=30)
    (root / "app030" / "requirements.txt").write_text("flask>=3\n")
    out = annotations(capsys, root, "--baseline", str(before))
    assert [line.split("::")[1] for line in out] == [
        "error file=app000/requirements.txt,line=2,title=depsplit%3A new version conflict on flask",
        "error file=app030/requirements.txt,line=1,title=depsplit%3A new version conflict on flask",
        "notice title=depsplit%3A existing conflicts",
    ]


def test_step_summary_is_appended(
    tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree({"a/requirements.txt": "flask==1.1.1\n", "b/requirements.txt": "flask>=3\n"})
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    monkeypatch.setenv("GITHUB_SHA", "cafe")
    assert main(["analyze", str(root), "--format", "github"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith("depsplit: 2 apps")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n<!-- depsplit-report -->\n### ")
    assert "https://github.com/o/r/blob/cafe/a/requirements.txt" in text


def test_no_step_summary_without_the_variable(
    tree, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    root = tree({"a/requirements.txt": "flask\n"})
    assert main(["analyze", str(root), "--format", "github"]) == 0
    assert "<!--" not in capsys.readouterr().out


ROOT = Path(__file__).resolve().parents[1]


def test_pre_commit_hook_watches_dependency_files() -> None:
    import re

    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    patterns = re.findall(r"^  files: '(.*)'$", text, re.M)
    assert len(patterns) == 2
    files = re.compile(patterns[0])
    for path in (
        "requirements.txt",
        "services/api/requirements.txt",
        "api/requirements-dev.txt",
        "api/requirements/prod.in",
        "api/pyproject.toml",
        "api/Pipfile.lock",
        "api/uv.lock",
        "api/.python-version",
        "depsplit.toml",
    ):
        assert files.search(path), path
    for path in ("src/app.py", "README.md", "pyproject.toml.bak"):
        assert not files.search(path), path
    assert "entry: depsplit analyze" in text
    assert "args: [--baseline, HEAD, --fail-on, new]" in text


def test_action_uses_existing_options_and_the_comment_marker() -> None:
    from depsplit.cli import FAIL_ON, FORMATS
    from depsplit.report.markdown import MARKER

    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    assert "using: composite" in text
    for fmt in ("github", "markdown", "sarif"):
        assert f"--format {fmt}" in text
        assert fmt in FORMATS
    assert "new" in FAIL_ON
    assert f'const marker = "{MARKER}";' in text
    assert "github/codeql-action/upload-sarif@" in text


def test_pre_commit_hooks_watch_every_file_a_reader_may_read() -> None:
    """Editing any file depsplit reads runs the hooks: every name a registered reader may
    claim matches both hooks' ``files`` pattern."""
    import re

    from depsplit.sources import READERS

    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    patterns = [re.compile(p) for p in re.findall(r"^  files: '(.*)'$", text, re.M)]
    stems = ("requirements", "dev-requirements", "requirements-dev", "test_requirements")
    names = [f"{stem}.{ext}" for stem in stems for ext in ("txt", "in")]
    names += ["prod.txt", "dev.in", "Pipfile", "Pipfile.lock", "pyproject.toml", "setup.cfg"]
    names += ["uv.lock", "poetry.lock", "pylock.toml", "pylock.prod.toml", ".python-version"]
    names += ["runtime.txt", "README.md", "app.py"]
    claimed = 0
    for parent in ("api", "requirements"):
        for name in names:
            if any(reader.may_claim(name, parent) for reader in READERS):
                claimed += 1
                for pattern in patterns:
                    assert pattern.search(f"services/{parent}/{name}"), (pattern, parent, name)
    assert claimed >= 20
