"""Apps pinned to an end-of-life CPython get a container of their own: 2.7 (runtime.txt),
3.6 (requires-python) and 3.8 (.python-version) are targets like 3.9–3.14."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from depsplit.cli import main


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def legacy_repo(tmp_path: Path) -> Path:
    root = tmp_path / "mono"
    write(
        root,
        {
            "apps/legacy/runtime.txt": "python-2.7.18\n",
            "apps/legacy/requirements.txt": "flask==1.1.4\nfutures==3.3.0; python_version < '3'\n",
            "apps/legacy/app.py": "print 'hello'\n",
            "apps/py36/pyproject.toml": (
                '[project]\nname = "py36"\nversion = "1"\nrequires-python = "~=3.6.0"\n'
                'dependencies = ["flask==2.0.3"]\n'
            ),
            "apps/py38/.python-version": "3.8\n",
            "apps/py38/requirements.txt": "flask==2.2.5\n",
            "apps/modern/pyproject.toml": (
                '[project]\nname = "modern"\nversion = "1"\nrequires-python = ">=3.10"\n'
                'dependencies = ["flask==3.0.3"]\n'
            ),
        },
    )
    return root


def test_each_old_pin_gets_its_own_group(
    legacy_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", str(legacy_repo), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    pythons = {a["name"]: a["python"] for a in report["apps"]}
    assert pythons == {
        "legacy": "==2.7.*",
        "py36": "~=3.6.0",
        "py38": "==3.8.*",
        "modern": ">=3.10",
    }
    groups = {tuple(g["apps"]): g["python"] for g in report["groups"]}
    assert groups == {("legacy",): "2.7", ("py36",): "3.6", ("py38",): "3.8", ("modern",): "3.14"}
    # Nobody is unsatisfiable: the only conflicts are between apps (python, flask).
    assert all(len(c["apps"]) > 1 for c in report["conflicts"])
    assert not [d for d in report["diagnostics"] if d["level"] == "error"]


def generated(root: Path) -> dict[str, tuple[str, str]]:
    """Generate into ``root/deploy``: per group directory, its ``ARG PYTHON_VERSION`` and
    its requirements.txt."""
    outdir = root / "deploy"
    assert main(["generate", str(root), "-o", str(outdir)]) == 0
    out = {}
    for dockerfile in sorted(outdir.glob("*/Dockerfile")):
        text = dockerfile.read_text(encoding="utf-8")
        assert "FROM python:${PYTHON_VERSION}-slim" in text
        assert "python -m pip install --prefer-binary -r" in text
        (arg,) = [line for line in text.splitlines() if line.startswith("ARG PYTHON_VERSION=")]
        requirements = (dockerfile.parent / "requirements.txt").read_text(encoding="utf-8")
        out[arg.removeprefix("ARG PYTHON_VERSION=")] = (dockerfile.parent.name, requirements)
    return out


def test_generate_writes_a_dockerfile_per_old_python(legacy_repo: Path) -> None:
    shutil.rmtree(legacy_repo / "apps" / "legacy")  # 2.7: see the next test
    assert sorted(generated(legacy_repo)) == ["3.14", "3.6", "3.8"]


def test_generate_writes_a_python_27_dockerfile(legacy_repo: Path) -> None:
    images = generated(legacy_repo)
    assert sorted(images) == ["2.7", "3.14", "3.6", "3.8"]
    # The 2.7 group keeps its Python-2-only requirement (its marker holds there).
    assert "futures==3.3.0" in images["2.7"][1]


def test_an_app_no_image_can_run_names_its_requirement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"old/runtime.txt": "python-3.4.10\n", "old/requirements.txt": "six\n"})
    assert main(["analyze", str(tmp_path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    (conflict,) = report["conflicts"]
    assert conflict["apps"] == ["old"]
    assert conflict["message"] == (
        "python: old allows ==3.4.* (old/runtime.txt:1): "
        "no supported CPython (2.7, 3.5–3.14) satisfies it"
    )
