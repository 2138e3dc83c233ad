"""Fail closed (issue 16, items 5-9): depsplit never says "no conflicts" about something it
could not look at, and never answers with a traceback and the policy's exit code.

Each class of input here was reproduced against the code before the fix: an unreadable
directory, a decoy ``depsplit-plan.json`` or ``pyvenv.cfg``, an unparseable candidate file,
deep nesting in every TOML and JSON document read, an unexpected exception, an invalid
``--python``.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import run

import depsplit.analyze
from depsplit import discover

CONFLICT = {"a/requirements.txt": "flask==1.0\n", "b/requirements.txt": "flask==2.0\n"}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def analyze_json(root: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run(["analyze", str(root), "--format", "json", "--no-index-facts", *extra])
    assert "Traceback" not in err
    assert "internal error" not in err, err
    return code, json.loads(out), err


def errors(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(d["file"], d["message"]) for d in report["diagnostics"] if d["level"] == "error"]


# --------------------------------------------------------------------- 5. unreadable input

CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2
PR_CAPBSET_DROP = 24


def _drop_file_capabilities() -> None:  # pragma: no cover - runs in the child
    """Make root subject to file permissions (as any user is): drop the two capabilities
    that bypass them, from the bounding set too (exec would grant them back to uid 0)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [(n, ctypes.c_uint32) for n in ("effective", "permitted", "inheritable")]

    header, data = Header(0x20080522, 0), (Data * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    mask = ~((1 << CAP_DAC_OVERRIDE) | (1 << CAP_DAC_READ_SEARCH)) & 0xFFFFFFFF
    for field in ("effective", "permitted", "inheritable"):
        setattr(data[0], field, getattr(data[0], field) & mask)
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def run_unprivileged(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """``depsplit argv`` in a child that file permissions apply to: as is when not root;
    as root without the capabilities that bypass them (skipped where they cannot be
    dropped)."""
    command = [sys.executable, "-m", "depsplit", *argv]
    if os.geteuid() != 0:
        return subprocess.run(command, capture_output=True, text=True, check=False)
    if not sys.platform.startswith("linux"):
        pytest.skip("running as root, and dropping its file capabilities needs Linux")
    probe = subprocess.run(
        [sys.executable, "-c", "import os; os.listdir('/proc/self/fd')"],
        preexec_fn=_drop_file_capabilities,
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"running as root and cannot drop file capabilities: {probe.stderr}")
    return subprocess.run(
        command, preexec_fn=_drop_file_capabilities, capture_output=True, text=True, check=False
    )


@pytest.fixture
def restore_modes():  # type: ignore[no-untyped-def]
    changed: list[Path] = []

    def chmod(path: Path, mode: int) -> None:
        changed.append(path)
        path.chmod(mode)

    yield chmod
    for path in reversed(changed):
        path.chmod(0o755)


@pytest.mark.parametrize(
    ("target", "mode", "named"),
    [
        ("b", 0o000, "b: error: cannot list the directory"),
        ("b", 0o311, "b: error: cannot list the directory"),
        ("b/requirements.txt", 0o000, "b/requirements.txt: error: cannot read"),
        ("c/pyproject.toml", 0o000, "c/pyproject.toml: error: cannot read"),
        ("d/requirements", 0o311, "d/requirements: error: cannot list the directory"),
        (".gitignore", 0o000, ".gitignore: error: cannot read"),
    ],
    ids=[
        "dir-000",
        "dir-311",
        "requirements-000",
        "lone-pyproject-000",
        "req-dir-311",
        "gitignore",
    ],
)
def test_an_unreadable_directory_or_file_is_an_error_naming_it(
    tmp_path: Path, restore_modes, target: str, mode: int, named: str
) -> None:
    """As a user the permissions apply to: mode 000 or 311 gave "1 app, 0 conflicts",
    exit 0 (the conflicting app was skipped silently)."""
    root = write(
        tmp_path / "repo",
        {
            **CONFLICT,
            "c/pyproject.toml": '[project]\nname = "c"\ndependencies = ["flask==3.0"]\n',
            "d/requirements/prod.txt": "flask\n",
            ".gitignore": "ignored/\n",
        },
    )
    tmp_path.chmod(0o755)
    restore_modes(root / target, mode)
    done = run_unprivileged(["analyze", str(root), "--no-index-facts"])
    assert done.returncode == 2, done.stdout + done.stderr
    assert named in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("where", ["root", "app", "requirements-dir"])
def test_a_directory_that_cannot_be_listed_is_an_error_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The same class without privileges to drop: listing the directory fails."""
    root = write(tmp_path / "repo", {**CONFLICT, "c/requirements/prod.txt": "x\n"})
    denied = {"root": root, "app": root / "b", "requirements-dir": root / "c" / "requirements"}
    bad = os.fspath(denied[where])
    real_scandir, real_listdir = os.scandir, os.listdir

    def scandir(path: Any = ".") -> Any:
        if os.fspath(path) == bad:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    def listdir(path: Any = ".") -> Any:
        if os.fspath(path) == bad:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_listdir(path)

    monkeypatch.setattr(discover.os, "scandir", scandir)
    monkeypatch.setattr(discover.os, "listdir", listdir)
    code, report, _ = analyze_json(root)
    assert code == 2
    rel = {"root": ".", "app": "b", "requirements-dir": "c/requirements"}[where]
    [message] = [m for f, m in errors(report) if f == rel]
    assert message.startswith("cannot list the directory: Permission denied")
    if where == "app":  # what to do about it, when nothing there is meant to be read
        assert message.endswith("exclude it: --exclude, or exclude in [tool.depsplit])")
        code, report, _ = analyze_json(root, "--exclude", "b")
        assert (code, errors(report)) == (0, [])


def test_a_candidate_file_that_cannot_be_opened_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write(
        tmp_path / "repo",
        {**CONFLICT, "c/pyproject.toml": '[project]\nname = "c"\ndependencies = ["flask==3"]\n'},
    )
    real_open = open

    def deny(file: Any, *args: Any, **kw: Any) -> Any:
        if os.fspath(file).endswith("pyproject.toml"):
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kw)

    monkeypatch.setattr("builtins.open", deny)
    code, report, _ = analyze_json(root)
    assert code == 2
    assert ("c/pyproject.toml", "cannot read: Permission denied") in errors(report)


# ------------------------------------------------------- 6. decoy plan files and virtualenvs

REAL_PLAN = (
    '{"generated_by": "depsplit 0.1.0", "schema_version": 1, '
    '"tool": {"name": "depsplit", "version": "0.1.0"}, "generate": {}, "files": {}}'
)
DECOYS = {
    "empty-plan": {"depsplit-plan.json": ""},
    "junk-plan": {"depsplit-plan.json": "{not json"},
    "object-plan": {"depsplit-plan.json": '{"groups": []}'},
    "deep-plan": {"depsplit-plan.json": "[" * 5000 + "]" * 5000},
    "other-tool-plan": {"depsplit-plan.json": REAL_PLAN.replace('"depsplit', '"other')},
    "real-plan-in-app-dir": {"depsplit-plan.json": REAL_PLAN},
    "empty-pyvenv": {"pyvenv.cfg": ""},
    "pyvenv-without-python": {"pyvenv.cfg": "home = /usr/bin\n", "bin/activate": ""},
    "venv-in-app-dir": {"pyvenv.cfg": "home = /usr/bin\n", "bin/python": ""},
}


@pytest.mark.parametrize("decoy", sorted(DECOYS))
def test_a_decoy_does_not_hide_a_conflicting_app(tmp_path: Path, decoy: str) -> None:
    """Any file named depsplit-plan.json or pyvenv.cfg hid its directory: a PR adding one to
    a conflicting app passed --fail-on conflict."""
    files = {**CONFLICT, **{f"b/{name}": text for name, text in DECOYS[decoy].items()}}
    root = write(tmp_path / "repo", files)
    code, report, _ = analyze_json(root, "--fail-on", "conflict")
    assert code == 1
    assert [a["path"] for a in report["apps"]] == ["a", "b"]
    assert [c["package"] for c in report["conflicts"]] == ["flask"]
    assert report["skipped"] == []


@pytest.mark.parametrize("decoy", ["empty-plan", "junk-plan", "empty-pyvenv"])
def test_a_decoy_at_the_root_does_not_hide_every_app(tmp_path: Path, decoy: str) -> None:
    """At the root it gave "0 apps", exit 0."""
    root = write(tmp_path / "repo", {**CONFLICT, **DECOYS[decoy]})
    code, report, _ = analyze_json(root, "--fail-on", "conflict")
    assert code == 1
    assert len(report["apps"]) == 2


def test_what_is_skipped_is_said_in_every_report(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            **CONFLICT,
            "deploy/depsplit-plan.json": REAL_PLAN,
            "deploy/g1/requirements.txt": "flask==9\n",
            "env/pyvenv.cfg": "home = /usr/bin\n",
            "env/lib/python3.12/site-packages/x/requirements.txt": "x\n",
            "tools/pyvenv.cfg": "home = /usr/bin\n",
            "tools/lib/python3.12/site-packages/.keep": "",
            "tools/x/requirements.txt": "y\n",
        },
    )
    code, report, _ = analyze_json(root)
    assert code == 0
    assert [a["path"] for a in report["apps"]] == ["a", "b"]
    assert report["skipped"] == [
        {
            "path": "deploy",
            "reason": "depsplit's generated output (depsplit-plan.json written by depsplit 0.1.0)",
        },
        {"path": "tools", "reason": "a virtualenv (pyvenv.cfg and lib/python3.12/site-packages)"},
    ]  # env: skipped by name (a virtualenv's usual name), as before
    _, text, _ = run(["analyze", str(root), "--no-index-facts"])
    assert "Not searched\n  deploy  depsplit's generated output" in text
    _, markdown, _ = run(["analyze", str(root), "--no-index-facts", "--format", "markdown"])
    assert "Not searched (2)" in markdown
    assert "`tools`: a virtualenv" in markdown
    _, github, _ = run(["analyze", str(root), "--no-index-facts", "--format", "github"])
    assert "::notice title=depsplit%3A not searched::deploy: not searched: depsplit's" in github
    for argv in (["explain", "flask"], ["graph"]):
        _, _, err = run([*argv, str(root), "--no-index-facts"])
        assert "note: not searched: tools: a virtualenv" in err


@pytest.mark.parametrize(
    ("outdir", "says"),
    [
        ("b", "is inside the directory of the app 'b'"),
        ("b/deploy", "is inside the directory of the app 'b'"),
        ("services", "holds the app 'api'"),
    ],
)
def test_generate_refuses_an_output_directory_in_or_around_an_app(
    tmp_path: Path, outdir: str, says: str
) -> None:
    """generate -o APPDIR wrote a plan that hid the app from every later run."""
    root = write(tmp_path / "repo", {**CONFLICT, "services/api/requirements.txt": "django\n"})
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    for extra in ([], ["--check"]):
        code, _, err = run(
            ["generate", str(root), "-o", str(root / outdir), "--no-index-facts", *extra]
        )
        assert code == 2, err
        assert says in err
        assert "Traceback" not in err
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before


def test_generate_twice_is_stable_and_its_output_is_skipped(tmp_path: Path) -> None:
    root = write(tmp_path / "repo", CONFLICT)
    out = root / "deploy"
    assert run(["generate", str(root), "-o", str(out), "--no-index-facts"])[0] == 0
    code, _, err = run(["generate", str(root), "-o", str(out), "--no-index-facts", "--check"])
    assert code == 0, err
    assert "not searched" not in err  # its own output goes without saying
    assert json.loads((out / "depsplit-plan.json").read_text())["skipped"] == []
    _, report, _ = analyze_json(root)
    assert [s["path"] for s in report["skipped"]] == ["deploy"]


# ------------------------------------------------------- 7. unparseable candidate files

BROKEN = {
    "invalid-toml": ("pyproject.toml", "[project\nname = 'x'\n", "invalid TOML"),
    "duplicate-key": ("pyproject.toml", "[tool.ruff]\nx = 1\nx = 2\n", "invalid TOML"),
    "binary-toml": ("pyproject.toml", "\x00\x01", "binary file"),
    "latin1-setup-cfg": ("setup.cfg", "[flake8]\nx = \udce9\n", "not valid UTF-8"),
    "utf16-pyproject": ("pyproject.toml", None, "binary file"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_an_unparseable_candidate_file_is_an_error_on_that_file(tmp_path: Path, case: str) -> None:
    """A pyproject.toml that was not valid TOML was ignored when it was the directory's
    only dependency file: no app, no diagnostic, exit 0."""
    name, text, says = BROKEN[case]
    root = write(tmp_path / "repo", dict(CONFLICT))
    path = root / "c" / name
    path.parent.mkdir()
    if text is None:
        path.write_bytes('[project]\nname = "c"\n'.encode("utf-16"))
    else:
        path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    for lenient in ([], ["--lenient"]):
        code, report, _ = analyze_json(root, "--fail-on", "never", *lenient)
        assert code == (0 if lenient else 2)
        level = "warning" if lenient else "error"
        found = [d for d in report["diagnostics"] if d["file"] == f"c/{name}"]
        assert [d["level"] for d in found] == [level], report["diagnostics"]
        assert says in found[0]["message"]


@pytest.mark.parametrize("kind", ["fifo", "dangling-symlink", "directory"])
def test_a_candidate_path_that_is_no_regular_file_is_an_error(tmp_path: Path, kind: str) -> None:
    root = write(tmp_path / "repo", dict(CONFLICT))
    (root / "c").mkdir()
    path = root / "c" / "pyproject.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dangling-symlink":
        path.symlink_to("missing.toml")
    else:
        (path / "x").mkdir(parents=True)
    code, report, _ = analyze_json(root)
    assert code == 2
    # A symlink is named by what it resolves to, as every reader names it.
    named = "c/missing.toml" if kind == "dangling-symlink" else "c/pyproject.toml"
    assert [f for f, _ in errors(report)] == [named]


def test_a_table_the_quick_scan_misses_still_makes_an_app(tmp_path: Path) -> None:
    """Dotted keys and a subtable alone declare the project as well as a [project] line."""
    root = write(
        tmp_path / "repo",
        {
            "a/requirements.txt": "flask==1.0\n",
            "b/pyproject.toml": 'project.name = "b"\nproject.dependencies = ["flask==2.0"]\n',
            "c/pyproject.toml": '[tool.poetry.dependencies]\nflask = "3.0"\n',
        },
    )
    code, report, _ = analyze_json(root, "--fail-on", "conflict")
    assert code == 1
    assert [a["path"] for a in report["apps"]] == ["a", "b", "c"]


# ---------------------------------------------------------------------- 8. deep nesting

DEEP_TOML = "x = " + "[" * 2000 + "]" * 2000 + "\n"
DEEP_INLINE = "x = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n"
DEEP_JSON = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", '[project]\nname = "c"\n' + DEEP_TOML),
        ("pyproject.toml", DEEP_INLINE),
        ("Pipfile", "[packages]\n" + DEEP_TOML),
        ("uv.lock", DEEP_TOML),
        ("Pipfile.lock", DEEP_JSON),
    ],
    ids=["pyproject", "lone-pyproject-inline", "pipfile", "uv-lock", "pipfile-lock"],
)
def test_a_deeply_nested_dependency_file_is_an_error_on_it(
    tmp_path: Path, name: str, text: str
) -> None:
    """It was a RecursionError traceback and exit 1, --lenient or not."""
    files = {**CONFLICT, f"c/{name}": text}
    if name.endswith(".lock"):
        files["c/requirements.txt"] = "flask==1.0\n"
    root = write(tmp_path / "repo", files)
    code, report, _ = analyze_json(root)
    assert code == 2
    [(file, message)] = errors(report)
    assert file == f"c/{name}"
    assert "nested too deeply" in message
    code, report, _ = analyze_json(root, "--lenient")
    assert code == 0
    assert errors(report) == []


def test_a_deeply_nested_config_is_a_config_error(tmp_path: Path) -> None:
    root = write(tmp_path / "repo", CONFLICT)
    config = write(tmp_path, {"depsplit-conf.toml": DEEP_TOML}) / "depsplit-conf.toml"
    for command in (["analyze"], ["generate", "-o", str(root / "deploy")]):
        code, _, err = run([*command, str(root), "--config", str(config), "--lenient"])
        assert code == 2
        assert "invalid TOML: arrays or inline tables nested too deeply" in err
        assert "Traceback" not in err


def test_a_deeply_nested_report_or_plan_is_an_input_error(tmp_path: Path) -> None:
    """--baseline REPORT.json, --previous PLAN and the committed depsplit-plan.json that
    generate and generate --check read."""
    root = write(tmp_path / "repo", CONFLICT)
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP_JSON, encoding="utf-8")
    for argv in (
        ["analyze", str(root), "--baseline", str(deep)],
        ["analyze", str(root), "--previous", str(deep)],
        ["analyze", str(root), "--previous", str(deep), "--lenient"],
    ):
        code, _, err = run([*argv, "--no-index-facts"])
        assert code == 2, err
        assert "nested too deeply" in err
        assert "Traceback" not in err
    out = root / "deploy"
    assert run(["generate", str(root), "-o", str(out), "--no-index-facts"])[0] == 0
    (out / "depsplit-plan.json").write_text(DEEP_JSON, encoding="utf-8")
    for extra in ([], ["--check"]):
        code, _, err = run(["generate", str(root), "-o", str(out), "--no-index-facts", *extra])
        assert code == 2, err
        assert "depsplit-plan.json" in err
        assert "nested too deeply" in err


def test_a_value_nested_nearly_as_deeply_as_the_parser_allows(tmp_path: Path) -> None:
    """Parsed, then turned into text deeper in the stack: no traceback, no exit 1."""
    root = write(tmp_path / "repo", CONFLICT)
    report = tmp_path / "old.json"
    name = "[" * 900 + "]" * 900
    report.write_text(
        '{"schema_version": 1, "groups": [{"name": ' + name + ', "apps": ["a"]}]}',
        encoding="utf-8",
    )
    code, _, err = run(["analyze", str(root), "--baseline", str(report), "--no-index-facts"])
    assert code in (0, 2), err
    assert "Traceback" not in err
    assert "internal error" not in err


# ------------------------------------------------------------- 8. the last-resort handler


@pytest.mark.parametrize(
    "extra", [[], ["--lenient"], ["--fail-on", "never"]], ids=["plain", "lenient", "never"]
)
def test_an_unexpected_exception_is_a_bug_report_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: list[str]
) -> None:
    root = write(tmp_path / "repo", CONFLICT)

    def boom(*args: object, **kw: object) -> object:
        raise KeyError("https://user:s3cr3t-in-a-bug@idx.example.com/simple")

    monkeypatch.setattr(depsplit.analyze, "analyze_conflicts", boom)
    code, out, err = run(["analyze", str(root), "--no-index-facts", *extra])
    assert code == 2
    assert out == ""
    assert "error: internal error in depsplit" in err
    assert "KeyError" in err
    assert "please report it at" in err
    assert "DEPSPLIT_DEBUG=1" in err
    assert "Traceback" not in err
    assert "s3cr3t-in-a-bug" not in err
    code, _, err = run(["analyze", str(root), "--no-index-facts"], env={"DEPSPLIT_DEBUG": "1"})
    assert code == 2
    assert "Traceback (most recent call last)" in err
    assert "s3cr3t-in-a-bug" not in err


def test_the_console_script_exits_2_on_a_bug(tmp_path: Path) -> None:
    """The same through ``python -m depsplit`` (``sys.exit``), here on a RecursionError."""
    root = write(tmp_path / "repo", CONFLICT)
    code = (
        "import sys, depsplit.analyze as a\n"
        "def deep(*args, **kw):\n    return deep()\n"
        "a.analyze_conflicts = deep\n"
        "from depsplit.cli import main\n"
        f"sys.argv = ['depsplit', 'analyze', {str(root)!r}, '--no-index-facts']\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stderr
    assert "internal error" in done.stderr
    assert "RecursionError" in done.stderr
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------------- 9. --python X.Y

BAD_PYTHONS = ["abc", "3", "3.12.1", "3.4", "3.99", "4.0", "", " 3.12", "3.12 "]


@pytest.mark.parametrize("python", BAD_PYTHONS)
@pytest.mark.parametrize("command", ["analyze", "explain", "graph", "generate"])
def test_an_invalid_python_is_a_usage_error_for_every_command(
    tmp_path: Path, command: str, python: str
) -> None:
    """--python abc was accepted by analyze ("python abc", exit 0) and crashed elsewhere
    (InvalidSpecifier, exit 1); 3 and 3.12.1 passed analyze and failed generate."""
    root = write(tmp_path / "repo", CONFLICT)
    argv = {
        "analyze": ["analyze", str(root)],
        "explain": ["explain", "flask", str(root)],
        "graph": ["graph", str(root)],
        "generate": ["generate", str(root), "-o", str(root / "deploy")],
    }[command]
    code, out, err = run([*argv, "--no-index-facts", "--python", python])
    assert code == 2, out + err
    assert "Invalid value for '--python'" in err
    assert "choose one of 2.7, 3.5–3.14" in err
    assert out == ""
    assert not (root / "deploy").exists()


@pytest.mark.parametrize(
    ("setting", "key"),
    [('python = "3.12.1"', "python"), ('[group_python]\nweb = "abc"', "group_python.web")],
)
def test_an_invalid_python_in_the_configuration_follows_the_same_rule(
    tmp_path: Path, setting: str, key: str
) -> None:
    root = write(tmp_path / "repo", {**CONFLICT, "depsplit.toml": setting + "\n"})
    code, _, err = run(["analyze", str(root), "--no-index-facts"])
    assert code == 2
    line = setting.count("\n") + 1
    assert f"depsplit.toml:{line}: {key}: " in err
    assert "choose one of 2.7, 3.5–3.14" in err


@pytest.mark.parametrize("python", ["2.7", "3.5", "3.12", "3.14"])
def test_every_supported_python_is_accepted(tmp_path: Path, python: str) -> None:
    root = write(tmp_path / "repo", CONFLICT)
    code, report, _ = analyze_json(root, "--python", python)
    assert code == 0
    assert report["target"]["python"] == python
