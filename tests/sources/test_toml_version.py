"""depsplit reads TOML 1.0, the version pip, build front-ends and Python <= 3.14's tomllib
read. TOML 1.1 syntax in a pyproject.toml makes those tools fail, so depsplit must report
the file as invalid (exit 2) rather than analyse it as if it would install. This guards
the ``tomli<2.4`` pin: tomli 2.4 and later accept TOML 1.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from depsplit.cli import main

HEAD = '[project]\nname = "app"\nversion = "1"\ndependencies = ["flask"]\n[tool.x]\n'

TOML_1_1_ONLY = {
    "newline in an inline table": ("t = {a = 1,\n  b = 2}\n", 6),
    "trailing comma in an inline table": ("t = {a = 1, b = 2,}\n", 6),
    "\\e escape": ('t = "\\e[0m"\n', 6),
    "\\x escape": ('t = "\\x41"\n', 6),
    "time without seconds": ("t = 07:32\n", 6),
}


@pytest.mark.parametrize("body", TOML_1_1_ONLY.values(), ids=list(TOML_1_1_ONLY))
def test_toml_1_1_only_syntax_is_an_error_on_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: tuple[str, int]
) -> None:
    text, line = body
    app = tmp_path / "app"
    app.mkdir()
    (app / "pyproject.toml").write_text(HEAD + text)

    code = main(["analyze", str(tmp_path), "--format", "json"])

    assert code == 2
    report = json.loads(capsys.readouterr().out)
    errors = [d for d in report["diagnostics"] if d["level"] == "error"]
    assert len(errors) == 1, errors
    assert errors[0]["file"] == "app/pyproject.toml"
    assert errors[0]["line"] == line
    assert errors[0]["message"].startswith("invalid TOML: ")
