"""An app whose requirements file is a symlink loop is an error on that file, not a
traceback (naming the file needs its path relative to the root, and a loop cannot be
resolved)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from depsplit.cli import main


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_requirements_file_that_is_a_symlink_loop_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "requirements.txt").symlink_to("requirements.txt")
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "requirements.txt").write_text("flask==3.0.0\n")

    code = main(["analyze", str(tmp_path), "--format", "json"])

    assert code == 2
    report = json.loads(capsys.readouterr().out)
    errors = [d for d in report["diagnostics"] if d["level"] == "error"]
    assert [e["file"] for e in errors] == ["loop/requirements.txt"]
    assert errors[0]["message"].startswith("cannot resolve the path")
    assert [a["name"] for a in report["apps"]] == ["loop", "ok"]
