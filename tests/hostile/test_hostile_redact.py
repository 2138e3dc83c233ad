"""Redaction regressions found by the fuzzer: a URL split at its first colon (an INI
``key: value`` line), two URLs glued together, a password holding ``@``, a URL inside a
local path that the path normalisation would have collapsed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from growth import growth

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
        # Query values and fragments (issue 16.2): every value, pip's fragment keys kept.
        ("https://h/simple?token=t1", "https://h/simple?token=****"),
        ("https://h/s?private_token=t1&x=1", "https://h/s?private_token=****&x=****"),
        ("--find-links https://h/w/?auth=t1 -r x", "--find-links https://h/w/?auth=**** -r x"),
        ("https://h/s?key=t1#frag", "https://h/s?key=****#****"),
        ("https://h/s?t1", "https://h/s?****"),
        ("https://h/s?token=${TOKEN}", "https://h/s?token=${TOKEN}"),
        ("https://h/p.whl#sha256=00&egg=p", "https://h/p.whl#sha256=00&egg=p"),
        ("https://h/p.tgz#token=t1&subdirectory=s", "https://h/p.tgz#token=****&subdirectory=s"),
        ("'pkg @ https://h/p.tgz?sig=t1'", "'pkg @ https://h/p.tgz?sig=****'"),
        ("x https://h/a?k=t1 https://h/b?k=t2 y", "x https://h/a?k=**** https://h/b?k=**** y"),
        ("https://h/a?k=t1https://u:t2@h/b", "https://h/a?k=****//u:****@h/b"),
        # A password holding an unescaped "/", "?" or "#" (a parser ends the host there).
        ("https://user:pa/ss@host/simple", "https://user:****@host/simple"),
        ("https://user:pa?ss@host/simple", "https://user:****@host/simple"),
        ("https://user:pa#ss@host/simple", "https://user:****@host/simple"),
        ("https://user:12/34@host:8443/simple", "https://user:****@host:8443/simple"),
        # …but a VCS revision after the path is not user information.
        ("git+https://h/org/r.git@v1.0#egg=r", "git+https://h/org/r.git@v1.0#egg=r"),
        ("git+https://h:8080/org/r.git@main", "git+https://h:8080/org/r.git@main"),
        ("file:///abs/x.whl", "file:///abs/x.whl"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected
    assert redact_url(text) == expected  # one function
    assert redact_text(expected) == expected  # idempotent


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "a" * 4 * n + "://u:p@h",
        lambda n: "//@" * n,
        lambda n: "https://h/?" + "a=b&" * n,
        lambda n: "https://u:p/" + "/" * 2 * n + "@h/",
    ],
)
def test_redaction_is_linear(make: Callable[[int], str]) -> None:
    """Hostile shapes up to 1 MB: the cost from n to 8n grows about 8x, never the 64x of
    quadratic work (CPU time and a ratio: tests/growth.py)."""

    def call(n: int) -> Callable[[], object]:
        text = make(n)
        return lambda: redact_text(text)

    assert growth(call, 20_000, factor=8) < 25


def test_redact_url_redacts_a_second_url_in_the_path() -> None:
    glued = "https://user:pw1@a.example.com/simplehttps://user:pw2@b.example.com/simple"
    shown = redact_url(glued)
    assert "pw1" not in shown
    assert "pw2" not in shown


def test_the_cache_holds_no_credential(tmp_path: Path) -> None:
    from depsplit.index.cache import Cache, Link

    cache = Cache(tmp_path)
    cache.put_page(
        "https://h/simple/a/?token=t0ps3cr3t", 200, [Link("a-1.whl", "https://h/a-1.whl").row()]
    )
    # A page whose file links carry a credential (signed URLs) is not stored at all.
    cache.put_page(
        "https://h/simple/b/", 200, [Link("b-1.whl", "https://h/b-1.whl?sig=t0ps3cr3t").row()]
    )
    cache.put_metadata("https://h/a-1.whl?sig=t0ps3cr3t", b"Name: a\n")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 2
    for path in files:
        assert b"t0ps3cr3t" not in path.read_bytes()
    page = cache.get_page("https://h/simple/a/?token=t0ps3cr3t", fresh_only=True)
    assert page is not None
    assert page.url == "https://h/simple/a/?token=****"
    assert cache.get_page("https://h/simple/b/", fresh_only=True) is None
    assert cache.get_metadata("https://h/a-1.whl?sig=other") == b"Name: a\n"


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
