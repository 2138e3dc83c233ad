"""Pipfile: categories, Pipenv's marker keys, VCS/path entries, [requires], [[source]]."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement as PkgRequirement

from depsplit.sources import pipfile
from depsplit.sources.base import ReadContext, SourceResult


def corpus_dir() -> Path:
    """``/work/shared/corpus`` next to the checkout; skip when absent (a fresh clone)."""
    corpus = (Path(__file__).resolve().parents[2] / "../shared/corpus").resolve()
    if not corpus.is_dir():
        pytest.skip("no ../shared/corpus")
    return corpus


def read(tmp_path: Path, text: str) -> SourceResult:
    path = tmp_path / "Pipfile"
    path.write_text(text, encoding="utf-8")
    return pipfile.read(path, ReadContext(root=tmp_path.resolve()))


def errors(result: SourceResult) -> list[tuple[int | None, str]]:
    return [(d.line, d.message) for d in result.diagnostics if d.level == "error"]


@pytest.mark.parametrize(
    ("value", "expected", "editable"),
    [
        pytest.param('"*"', "flask", False, id="star"),
        pytest.param('"==2.0.1"', "flask==2.0.1", False, id="pinned"),
        pytest.param('">=2,<3"', "flask>=2,<3", False, id="range"),
        pytest.param('"2.0.1"', "flask==2.0.1", False, id="bare-version"),
        pytest.param('{version = "*"}', "flask", False, id="table-star"),
        pytest.param("{}", "flask", False, id="empty-table"),
        pytest.param(
            '{version = "~=2.0", extras = ["async"]}', "flask[async]~=2.0", False, id="extras"
        ),
        pytest.param(
            '{version = "*", sys_platform = "== \'win32\'"}',
            'flask; sys_platform == "win32"',
            False,
            id="sys-platform-key",
        ),
        pytest.param(
            '{version = "*", os_name = "!= \'nt\'", python_version = ">= \'3.8\'"}',
            'flask; (os_name != "nt") and (python_version >= "3.8")',
            False,
            id="two-marker-keys",
        ),
        pytest.param(
            '{version = "*", markers = "platform_machine == \'x86_64\'"}',
            'flask; platform_machine == "x86_64"',
            False,
            id="markers",
        ),
        pytest.param(
            '{version = "*", markers = "os_name == \'posix\'", sys_platform = "== \'linux\'"}',
            'flask; (os_name == "posix") and (sys_platform == "linux")',
            False,
            id="markers-and-key",
        ),
        pytest.param(
            '{git = "https://github.com/pallets/flask.git", ref = "2.0.1", editable = true}',
            "flask @ git+https://github.com/pallets/flask.git@2.0.1",
            True,
            id="git-ref-editable",
        ),
        pytest.param(
            '{git = "git+https://github.com/pallets/flask.git"}',
            "flask @ git+https://github.com/pallets/flask.git",
            False,
            id="git-prefixed",
        ),
        pytest.param(
            '{hg = "https://hg.example.com/flask", ref = "tip"}',
            "flask @ hg+https://hg.example.com/flask@tip",
            False,
            id="hg",
        ),
        pytest.param(
            '{git = "https://github.com/o/r.git", subdirectory = "pkg"}',
            "flask @ git+https://github.com/o/r.git#subdirectory=pkg",
            False,
            id="git-subdirectory",
        ),
        pytest.param(
            '{path = "./libs/flask", editable = true}',
            "flask @ file:libs/flask",  # root-relative
            True,
            id="path-editable",
        ),
        pytest.param(
            '{file = "https://tok@example.com/flask-2.0.tar.gz"}',
            "flask @ https://****@example.com/flask-2.0.tar.gz",
            False,
            id="file-url-redacted",
        ),
        pytest.param(
            '{file = "wheels/flask-2.0-py3-none-any.whl"}',
            "flask @ file:wheels/flask-2.0-py3-none-any.whl",
            False,
            id="file-path",
        ),
        pytest.param('{version = "==2.0", index = "pypi"}', "flask==2.0", False, id="index"),
    ],
)
def test_entry_forms(tmp_path: Path, value: str, expected: str, editable: bool) -> None:
    result = read(tmp_path, f"[packages]\nflask = {value}\n")
    assert errors(result) == []
    [req] = result.requirements
    assert PkgRequirement(req.line_text) == PkgRequirement(expected)
    assert (req.editable, req.origin.file, req.origin.line, req.role) == (
        editable,
        "Pipfile",
        2,
        "main",
    )


def test_sections_sources_and_python(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        """[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[[source]]
name = "private"
url = "https://user:secret@pypi.example.com/simple"

[packages]
flask = "==2.0.1"
requests = {version = "*", index = "private"}

[dev-packages]
pytest = "*"

[docs]
sphinx = ">=7"

[requires]
python_version = "3.11"

[scripts]
serve = "flask run"
""",
    )
    assert errors(result) == []
    # The private source is kept because requests names it, with a warning on its url line.
    assert [(d.level, d.line) for d in result.diagnostics] == [("warning", 8)]
    got = [(r.line_text, r.origin.line, r.role, r.group) for r in result.requirements]
    assert got == [
        ("flask==2.0.1", 11, "main", None),
        ("requests", 12, "main", None),
        ("pytest", 15, "dev", "dev-packages"),
        ("sphinx>=7", 18, "dev", "docs"),
    ]
    assert [(o.option, o.value, o.origin.line) for o in result.index_options] == [
        ("--index-url", "https://pypi.org/simple", 2),
        ("--extra-index-url", "https://user:****@pypi.example.com/simple", 8),
    ]
    assert [(p.specifier, p.origin.line) for p in result.python] == [("==3.11.*", 21)]
    assert result.files == ["Pipfile"]


@pytest.mark.parametrize(
    ("requires", "expected"),
    [
        pytest.param('python_version = "3.11"', "==3.11.*", id="minor"),
        pytest.param('python_version = "3"', "==3.*", id="major"),
        pytest.param('python_full_version = "3.11.4"', "==3.11.*", id="full"),
        pytest.param('python_version = "2.7"', "==2.7.*", id="python-2"),
        pytest.param('python_full_version = "2.7.18"', "==2.7.*", id="python-2-full"),
        pytest.param('python_version = "3.6"', "==3.6.*", id="eol-3"),
        pytest.param(
            'python_version = "3.10"\npython_full_version = "3.11.4"', "==3.11.*", id="full-wins"
        ),
    ],
)
def test_requires_python(tmp_path: Path, requires: str, expected: str) -> None:
    result = read(tmp_path, f"[requires]\n{requires}\n")
    assert [p.specifier for p in result.python] == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '[packages]\nflask = "==2.0"\nbad = "=>1"\nok = "*"\nworse = "==1.0;;"\n',
            [(3, "bad: "), (5, "worse: ")],
            id="all-bad-specifiers",
        ),
        pytest.param(
            "[packages]\nflask = 2\n", [(2, "flask: expected a version string")], id="int"
        ),
        pytest.param(
            '[packages]\nflask = {version = "*", extras = "async"}\n',
            [(2, "flask: extras must be an array of strings")],
            id="extras-string",
        ),
        pytest.param(
            '[packages]\nflask = {version = "*", sys_platform = 1}\n',
            [(2, "flask: sys_platform must be a string")],
            id="marker-key-int",
        ),
        pytest.param(
            '[packages]\nflask = {version = "*", sys_platform = "win32"}\n',
            [(2, "flask: ")],
            id="marker-key-without-operator",
        ),
        pytest.param(
            'packages = "flask"\n', [(1, "[packages] must be a table")], id="packages-str"
        ),
        pytest.param(
            '[[source]]\nname = "pypi"\n',
            [(1, "[[source]] needs a url string")],
            id="source-no-url",
        ),
        pytest.param('source = "x"\n', [(1, "[[source]] must be an array")], id="source-string"),
        pytest.param(
            '[requires]\npython_version = "latest"\n',
            [(2, "[requires] python_version must be a version")],
            id="python-word",
        ),
        pytest.param("requires = 3\n", [(1, "[requires] must be a table")], id="requires-int"),
        pytest.param(
            '[packages]\nflask = "*"\nflask = "*"\n',
            [(3, "invalid TOML: Cannot overwrite a value")],
            id="toml-duplicate-key",
        ),
    ],
)
def test_bad_input(tmp_path: Path, text: str, expected: list[tuple[int, str]]) -> None:
    got = errors(read(tmp_path, text))
    assert [line for line, _ in got] == [line for line, _ in expected]
    for (_, message), (_, start) in zip(got, expected, strict=True):
        assert message.startswith(start)


def test_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "Pipfile"
    path.write_bytes(
        b'\xef\xbb\xbf[packages]\r\nflask = "==2.0"\r\n\r\n[dev-packages]\r\nx = "*"\r\n'
    )
    result = pipfile.read(path, ReadContext(root=tmp_path.resolve()))
    assert errors(result) == []
    assert [(r.name, r.origin.line) for r in result.requirements] == [("flask", 2), ("x", 5)]


def test_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "Pipfile"
    path.write_bytes(b"[packages]\nflask = '\xff'\n")
    [diagnostic] = pipfile.read(path, ReadContext(root=tmp_path.resolve())).diagnostics
    assert (diagnostic.file, diagnostic.line) == ("Pipfile", 2)
    assert "UTF-8" in diagnostic.message


@pytest.mark.corpus
def test_corpus_pipfiles() -> None:
    corpus = corpus_dir()
    ctx = ReadContext(root=corpus)
    paths = sorted(corpus.rglob("Pipfile"))
    assert paths
    for path in paths:
        result = pipfile.read(path, ctx)
        assert all(r.origin.line is not None for r in result.requirements), path
