"""The CLI conventions of the field: option sections in --help, -q and -v."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsplit.cli import main

pytestmark = pytest.mark.usefixtures("no_pip_config")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("command", ["analyze", "generate", "graph", "explain"])
def test_help_sets_the_index_options_apart(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    _, out, _ = run(capsys, command, "--help")
    sections = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert sections[-3:] == ["Options:", "Analysis options:", "Package index options:"]
    index_part = out.split("Package index options:")[1]
    analysis_part = out.split("Analysis options:")[1].split("Package index options:")[0]
    for flag in ("--index-url", "--offline", "--cache-dir", "--transitive", "--no-index"):
        assert flag in index_part
        assert flag not in out.split("Package index options:")[0]
    for flag in ("--exclude", "--python", "--previous"):
        assert flag in analysis_part
    assert "[PATH]" not in out.split("Options:")[1]  # the argument is in the usage line


def tree(root: Path, pins: int) -> Path:
    """``pins`` apps, each pinning its own version of one package."""
    for i in range(pins):
        app = root / f"app{i:02d}"
        app.mkdir(parents=True)
        (app / "requirements.txt").write_text(f"boto3==1.26.{i}\n", encoding="utf-8")
    return root


def test_verbose_lists_every_conflict_in_full(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(tmp_path / "repo", 14)
    _, summary, _ = run(capsys, "analyze", str(root), "--no-index-facts")
    _, verbose, _ = run(capsys, "analyze", str(root), "--no-index-facts", "-v")
    pair = "  [version] boto3: app00, app01  (version:boto3:"
    assert not any(line.startswith(pair) for line in summary.splitlines())
    full = [line for line in verbose.splitlines() if line.startswith("  [version] boto3: ")]
    assert len(full) == 14 * 13 // 2
    assert any(line.startswith(pair) for line in full)


def test_quiet_generate_prints_only_what_explains_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(tmp_path / "repo", 2)
    (root / "app00" / ".python-version").write_text("3.8\n")  # an end-of-life warning
    outdir = str(root / "deploy")
    code, out, err = run(capsys, "generate", str(root), "-o", outdir, "--no-index-facts")
    assert code == 0
    assert "wrote " in out
    assert "warning: app00 runs on CPython 3.8" in err
    (root / "app01" / "requirements.txt").write_text("boto3==1.26.5\n")
    code, out, err = run(capsys, "generate", str(root), "-o", outdir, "--no-index-facts", "-q")
    assert (code, out, err) == (0, "", "")

    ancient = root / "app02"
    ancient.mkdir()
    (ancient / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\nrequires-python = "==3.4.*"\n'
    )
    code, out, err = run(capsys, "generate", str(root), "-o", outdir, "--no-index-facts", "-q")
    assert code == 1
    assert out.splitlines()[0].endswith(
        "1 app left out (no container: cannot be installed even alone):"
    )
    assert out.splitlines()[1].startswith("  app02: python: app02 allows ==3.4.*")
    assert (
        err
        == "exit 1 (--fail-on unsatisfiable): an app has no container; --fail-on never exits 0\n"
    )

    code, out, _ = run(capsys, "generate", str(root), "-o", outdir, "--no-index-facts", "-v")
    assert f"unchanged {Path(outdir, 'compose.yaml')}" in out.splitlines()


def test_quiet_and_verbose_together_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "analyze", str(tmp_path), "-q", "-v")
    assert code == 2
    assert out == ""
    assert "-q/--quiet and -v/--verbose ask for opposite things" in err
