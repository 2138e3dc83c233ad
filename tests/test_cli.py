"""The command line: wiring, messages and exit codes (the analysis itself is tested through
``analyze()``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from depsplit.cli import cli, main


def run(*args: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    result = runner.invoke(cli, list(args), standalone_mode=False, catch_exceptions=True)
    code = main(list(args))  # the exit code the console script returns
    return result, code


def test_clean_repo_exits_0_and_prints_a_summary(tree) -> None:
    root = tree({"api/requirements.txt": "flask==3.0.0\n", "web/requirements.txt": "django\n"})
    result, code = run("analyze", str(root))
    assert code == 0
    assert result.output.startswith("depsplit: 2 apps")
    assert result.output.splitlines()[-1] == (
        "depsplit: 1 group (optimal) for 2 apps; exit 0 (--fail-on unsatisfiable)"
    )
    result, code = run("analyze", str(root), "-v")  # the apps and their files
    assert "api/requirements.txt" in result.output


def test_input_error_exits_2_and_still_prints_the_report(
    tree, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree({"api/requirements.txt": "flask==\n", "web/requirements.txt": "django\n"})
    code = main(["analyze", str(root), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 2
    data = json.loads(out)
    assert [a["name"] for a in data["apps"]] == ["api", "web"]
    [diag] = data["diagnostics"]
    assert (diag["level"], diag["file"], diag["line"]) == ("error", "api/requirements.txt", 1)


def test_lenient_turns_errors_into_warnings(tree) -> None:
    root = tree({"api/requirements.txt": "flask==\n"})
    result, code = run("analyze", str(root), "--lenient")
    assert code == 0
    assert "api/requirements.txt:1: warning: invalid requirement" in result.output


def test_usage_error_exits_2_without_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["analyze", str(tmp_path / "nope")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "nope" in captured.err


def test_bad_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--format", "yaml"]) == 2
    assert "yaml" in capsys.readouterr().err


def test_json_document_has_every_contract_key(tree, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(
        {
            "api/requirements.txt": "-r ../libs/base.txt\nflask==3.0.0 ; python_version >= '3.8'\n",
            "libs/base.txt": "requests>=2\n",
        }
    )
    assert main(["analyze", str(root), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {
        "schema_version",
        "tool",
        "root",
        "apps",
        "conflicts",
        "groups",
        "partition",
        "diagnostics",
    } <= set(data)
    assert data["schema_version"] == 2
    [app] = data["apps"]
    assert (app["name"], app["path"]) == ("api", "api")
    req = {r["name"]: r for r in app["requirements"]}
    assert req["requests"]["origin"] == {
        "file": "libs/base.txt",
        "line": 1,
        "via": ["api/requirements.txt:1"],
    }
    assert req["flask"]["marker"] == 'python_version >= "3.8"'
    assert req["flask"]["applies"] is True


def test_several_formats_from_one_run(tree, tmp_path: Path) -> None:
    root = tree({"api/requirements.txt": "flask\n"})
    out_json = tmp_path / "r.json"
    out_text = tmp_path / "r.txt"
    code = main(
        [
            "analyze",
            str(root),
            "--format",
            "json",
            "--output",
            str(out_json),
            "--format",
            "text",
            "--output",
            str(out_text),
        ]
    )
    assert code == 0
    assert json.loads(out_json.read_text())["apps"][0]["name"] == "api"
    assert out_text.read_text().startswith("depsplit: 1 app")


def test_no_secret_in_any_output(tree, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(
        {
            "api/requirements.txt": "--index-url https://u:hunter2@idx.example.com/simple\n"
            "p @ git+https://tok_abc123@git.example.com/p.git\nbad @ https://u:pw77@h/x y\n"
        }
    )
    for fmt in ("text", "json"):
        main(["analyze", str(root), "--format", fmt])
        captured = capsys.readouterr()
        for secret in ("hunter2", "tok_abc123", "pw77"):
            assert secret not in captured.out + captured.err


def test_python_dash_m_and_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "depsplit", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("depsplit, version ")


def test_output_to_a_device_or_fifo_writes_into_it_instead_of_replacing_it(
    tree, tmp_path: Path
) -> None:
    """``--output /dev/null`` once replaced the device node with a regular file (the
    atomic rename). A FIFO stands in for the device here."""
    import os
    import stat
    import threading

    root = tree({"api/requirements.txt": "flask\n"})
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    assert main(["analyze", str(root), "--format", "json", "--output", str(fifo)]) == 0
    reader.join(timeout=10)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert json.loads(received[0])["apps"][0]["name"] == "api"


def test_output_through_a_symlink_keeps_the_link(tree, tmp_path: Path) -> None:
    root = tree({"api/requirements.txt": "flask\n"})
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert main(["analyze", str(root), "--format", "json", "--output", str(link)]) == 0
    assert link.is_symlink()
    assert json.loads(real.read_text())["apps"][0]["name"] == "api"


def test_control_characters_in_paths_do_not_reach_the_terminal(
    tree, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree({"x\x1b]0;pwn\x07y/requirements.txt": "flask\n"})
    for verbose in ([], ["-v"]):
        assert main(["analyze", str(root), *verbose]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out
        assert "\x07" not in out
    assert "x\\x1b]0;pwn\\x07y" in out  # the app's path, in -v's list of apps


def test_explain_an_unknown_package_exits_1_with_a_suggestion(
    tree, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree({"api/requirements.txt": "flask==3.0\n", "web/requirements.txt": "Django\n"})
    assert main(["explain", "flaks", str(root)]) == 1
    assert "No app requires flaks (looked up as 'flaks'). Did you mean flask?" in (
        capsys.readouterr().out
    )
    assert main(["explain", "django", str(root)]) == 0


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        ((), {}, False),  # a pipe
        ((), {"FORCE_COLOR": "1"}, True),
        ((), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (("--color", "always"), {"NO_COLOR": "1"}, True),
        (("--color", "never"), {"FORCE_COLOR": "1"}, False),
    ],
)
def test_color_follows_the_option_then_no_color_and_force_color(
    tree, args: tuple[str, ...], env: dict[str, str], coloured: bool
) -> None:
    root = tree({"api/requirements.txt": "flask==3.0\n", "web/requirements.txt": "flask==2.0\n"})
    done = subprocess.run(
        [sys.executable, "-m", "depsplit", "analyze", str(root), *args],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")} | env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert ("\x1b[" in done.stdout) is coloured
    assert "flask" in done.stdout


def test_dash_o_is_the_output_of_every_command(tree, tmp_path: Path) -> None:
    """`-o` as in `generate`: the report file of `analyze`, the graph file of `graph`."""
    root = tree({"api/requirements.txt": "flask==3.0\n"})
    assert main(["analyze", str(root), "--format", "json", "-o", str(tmp_path / "r.json")]) == 0
    assert json.loads((tmp_path / "r.json").read_text())["schema_version"] == 2
    assert main(["graph", str(root), "-o", str(tmp_path / "g.dot")]) == 0
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
