"""A group's requirements.txt: merged per package, commented with origins — and pip agrees:
every group installs from tiny local wheels, the union of two conflicting groups does not."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from depsplit.analyze import analyze
from depsplit.emit import GenerateOptions, render_all
from depsplit.emit.lock import merge
from depsplit.model import Group, Plan

WHEELS = {
    ("alpha", "1.0"): [],
    ("alpha", "2.0"): [],
    ("beta", "1.5"): [],
    ("gamma", "1.0"): ["beta>=1"],
}


def build_wheel(directory: Path, name: str, version: str, requires: list[str]) -> Path:
    dist = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    wheel = (
        "Wheel-Version: 1.0\nGenerator: depsplit-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    path = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name}/__init__.py", "")
        zf.writestr(f"{dist}/METADATA", metadata)
        zf.writestr(f"{dist}/WHEEL", wheel)
        zf.writestr(
            f"{dist}/RECORD",
            f"{name}/__init__.py,,\n{dist}/METADATA,,\n{dist}/WHEEL,,\n{dist}/RECORD,,\n",
        )
    return path


def pip_dry_run(requirements: Path, wheels: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INPUT": "1"}
    env.pop("PIP_INDEX_URL", None)
    env.pop("PIP_EXTRA_INDEX_URL", None)
    return subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
            "--quiet", "--no-index", "--find-links", str(wheels), "-r", str(requirements),
        ],
        capture_output=True, text=True, check=False, env=env, cwd=cwd,
    )  # fmt: skip


def plan_for(root: Path, groups: dict[str, list[str]], python: str = "3.12") -> Plan:
    plan = analyze(root)
    return dataclasses.replace(
        plan, groups=tuple(Group(n, tuple(a), python) for n, a in groups.items())
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel, text in {
        "a/requirements.txt": "alpha==1.0\nbeta>=1\n",
        "b/requirements.txt": 'Alpha<2\ngamma>=1.0; python_version >= "3.8"\n',
        "c/requirements.txt": "alpha>=2\nbeta\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_pip_installs_every_group_and_refuses_the_union_of_conflicting_ones(
    repo: Path, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for (name, version), requires in WHEELS.items():
        build_wheel(wheels, name, version, requires)
    plan = plan_for(repo, {"one": ["a", "b"], "two": ["c"]})
    out = repo / "deploy"
    for rel, text in render_all(plan, repo, GenerateOptions(outdir="deploy")).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(str(text), encoding="utf-8")
    for group in ("one", "two"):
        result = pip_dry_run(out / group / "requirements.txt", wheels, repo)
        assert result.returncode == 0, result.stderr
    union = tmp_path / "union.txt"
    union.write_text(
        f"-r {out / 'one' / 'requirements.txt'}\n-r {out / 'two' / 'requirements.txt'}\n",
        encoding="utf-8",
    )
    result = pip_dry_run(union, wheels, repo)
    assert result.returncode != 0
    assert "alpha" in result.stderr.lower()


def test_lines_are_merged_per_package_with_every_origin(repo: Path) -> None:
    plan = plan_for(repo, {"one": ["a", "b"]})
    reqs = merge(plan, plan.groups[0])
    lines = {line.key: line for line in reqs.lines}
    assert lines["alpha"].text == "alpha<2,==1.0"
    assert [app for app, _ in lines["alpha"].sources] == ["a", "b"]
    assert lines["gamma"].text == 'gamma>=1.0; python_version >= "3.8"'
    text = str(render_all(plan, repo, GenerateOptions(outdir="deploy"))["one/requirements.txt"])
    assert "# from: a (a/requirements.txt:1), b (b/requirements.txt:1)\nalpha<2,==1.0\n" in text


def test_markers_are_evaluated_for_the_groups_python(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "a").mkdir(parents=True)
    (root / "a" / "requirements.txt").write_text(
        'tomli>=2; python_version < "3.11"\npywin32; sys_platform == "win32"\n', encoding="utf-8"
    )
    old = merge(plan_for(root, {"g": ["a"]}, "3.10"), Group("g", ("a",), "3.10"))
    new = merge(plan_for(root, {"g": ["a"]}, "3.12"), Group("g", ("a",), "3.12"))
    assert [line.key for line in old.lines] == ["tomli"]
    assert new.lines == ()


def test_credentials_never_reach_the_file(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "a").mkdir(parents=True)
    (root / "a" / "requirements.txt").write_text(
        "--index-url https://user:hunter2@pypi.corp.example/simple\n"
        "private @ https://tok3n@git.corp.example/private-1.0.tar.gz\n"
        "public\n",
        encoding="utf-8",
    )
    plan = plan_for(root, {"g": ["a"]})
    files = render_all(plan, root, GenerateOptions(outdir="deploy"))
    everything = "".join(str(text) for text in files.values())
    assert "hunter2" not in everything
    assert "tok3n" not in everything
    requirements, dockerfile = str(files["g/requirements.txt"]), str(files["g/Dockerfile"])
    assert "# TODO: private @ https://****@git.corp.example" in requirements
    assert "--mount=type=secret,id=pip_index_url,env=PIP_INDEX_URL" in dockerfile
    assert "--index-url" not in requirements.replace("# ", "")
