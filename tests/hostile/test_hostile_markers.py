"""A marker that parses but cannot be evaluated (``python_version ~= "win32"``) was a
traceback in every report: now it is an error at its file and line, in every format."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run

FILES = {
    "a/requirements.txt": 'flask; python_version ~= "win32"\n',
    "b/pyproject.toml": (
        '[project]\nname = "b"\nversion = "1"\n'
        'dependencies = [\n  "flask; platform_machine ~= \\"x86\\"",\n]\n'
    ),
}


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif", "github"])
def test_an_uncomparable_marker_is_an_error_not_a_traceback(tmp_path: Path, fmt: str) -> None:
    for rel, text in FILES.items():
        path = tmp_path / "repo" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    code, out, err = run(["analyze", str(tmp_path / "repo"), "--format", fmt])
    assert code == 2, err
    assert "Traceback" not in err
    if fmt == "text":
        assert "a/requirements.txt:1: error: invalid marker" in out
        assert "b/pyproject.toml:5: error: invalid requirement" in out
        assert "cannot be evaluated" in out
    code, out, err = run(["explain", "flask", str(tmp_path / "repo")])
    assert code == 2, err
