"""Redaction regressions found by the fuzzer: a URL split at its first colon (an INI
``key: value`` line), two URLs glued together, a password holding ``@``, a URL inside a
local path that the path normalisation would have collapsed."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsplit.redact import redact_text, redact_url
from depsplit.sources import requirements_txt, setup_cfg
from depsplit.sources.base import ReadContext


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'//user:pw1@h/x'", "'//user:****@h/x'"),
        ("https://u:p@ss@host/a b@c", "https://u:****@host/a b@c"),
        ("git+ssh://git:pw@h/r.git@v1", "git+ssh://git:****@h/r.git@v1"),
        ("https://${USER}:${TOKEN}@h/simple", "https://${USER}:${TOKEN}@h/simple"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_redact_url_redacts_a_second_url_in_the_path() -> None:
    glued = "https://user:pw1@a.example.com/simplehttps://user:pw2@b.example.com/simple"
    shown = redact_url(glued)
    assert "pw1" not in shown
    assert "pw2" not in shown


def _read(tmp_path: Path, name: str, text: str) -> str:
    app = tmp_path / "app"
    app.mkdir()
    (app / name).write_text(text, encoding="utf-8")
    ctx = ReadContext(root=tmp_path.resolve())
    reader = requirements_txt.read if name.endswith(".txt") else setup_cfg.read
    result = reader(app / name, ctx)
    return repr(result)


def test_setup_cfg_key_line_with_a_url(tmp_path: Path) -> None:
    text = "[options.extras_require]\nflask @ https://user:s3cr3t@h.example.com/simple\n"
    assert "s3cr3t" not in _read(tmp_path, "setup.cfg", text)


def test_continuation_glued_to_an_editable_vcs_url(tmp_path: Path) -> None:
    text = "flask\\\n-e git+https://ghp_s3cr3t@github.com/org/repo.git@v1#egg=repo\n"
    assert "ghp_s3cr3t" not in _read(tmp_path, "requirements.txt", text)


def test_glued_index_urls(tmp_path: Path) -> None:
    text = "flask\\\n--index-url https://u:s3cr3t@a.example.com/simplehttps://u:s3cr3t@b/\n"
    assert "s3cr3t" not in _read(tmp_path, "requirements.txt", text)


def test_a_url_in_a_marker_value(tmp_path: Path) -> None:
    text = 'flask; os_name == "https://u:s3cr3t@h.example.com/x"\n'
    assert "s3cr3t" not in _read(tmp_path, "requirements.txt", text)
