"""``depsplit generate`` shows the analysis' warnings (on stderr) before writing: what it
generates may need them (here: an index pip will search for every package)."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsplit.cli import main

PIPFILE = """[[source]]
name = "pypi"
url = "https://pypi.org/simple"

[[source]]
name = "private"
url = "https://private.example/simple"

[packages]
flask = "==3.0.0"
internal = {version = "*", index = "private"}
"""


def test_generate_prints_the_warnings_of_the_analysis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "Pipfile").write_text(PIPFILE)

    code = main(["generate", str(tmp_path), "-o", str(tmp_path / "deploy")])

    out = capsys.readouterr()
    assert code == 0, out.err
    assert 'web/Pipfile:7: warning: [[source]] "private"' in out.err
    assert "--extra-index-url" in out.err
    assert "wrote " in out.out
