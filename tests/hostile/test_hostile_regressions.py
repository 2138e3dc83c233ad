"""Tracebacks the fuzzer found, kept as plain cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def analyze_json(root: Path) -> tuple[int, dict[str, object], str]:
    code, out, err = run(["analyze", str(root), "--format", "json"])
    assert "Traceback" not in err
    return code, json.loads(out), err


LIB = {"libs/common/pyproject.toml": '[project]\nname = "common"\nversion = "1"\n'}


@pytest.mark.parametrize(
    "files",
    [
        {
            "s/api/requirements.txt": "-e ../../libs/common\n",
            "t/web/requirements.txt": "-e ../../libs/common\n",
        },
        {
            "s/api/requirements.txt": "-e ../../libs/common\n",
            "t/web/pyproject.toml": '[project]\nname = "web"\nversion = "1"\n'
            'dependencies = ["common @ file:../../libs/common"]\n',
        },
        {
            "s/api/Pipfile": '[packages]\ncommon = {path = "../../libs/common"}\n',
            "t/web/setup.cfg": "[options]\ninstall_requires =\n"
            "    common @ file:../../libs/common\n",
        },
    ],
    ids=["requirements", "requirements-pyproject", "pipfile-setup-cfg"],
)
def test_one_shared_local_library_from_apps_in_different_directories(
    tmp_path: Path, files: dict[str, str]
) -> None:
    """It was a conflict of the library with itself (its path re-joined to each app's
    directory), which the partition then refused with a ValueError."""
    root = write(tmp_path / "repo", {**LIB, **files})
    code, report, err = analyze_json(root)
    assert code == 0, err
    assert report["conflicts"] == []
    urls = {r["url"] for a in report["apps"] for r in a["requirements"]}  # type: ignore[index]
    assert urls == {"file:libs/common"}


def test_a_url_pin_and_an_impossible_specifier(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "api/requirements.txt": "flask @ https://example.com/flask-2.0.tar.gz\n"
            "https://example.com/simple#egg=flask\\\n<0\n"
        },
    )
    code, report, _ = analyze_json(root)
    assert code == 1
    assert report["unsatisfiable"] == ["api"]
