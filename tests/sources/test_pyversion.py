""".python-version and runtime.txt: the CPython minor version."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsplit.sources import pyversion
from depsplit.sources.base import ReadContext, SourceResult


def corpus_dir() -> Path:
    """``/work/shared/corpus`` next to the checkout; skip when absent (a fresh clone)."""
    corpus = (Path(__file__).resolve().parents[2] / "../shared/corpus").resolve()
    if not corpus.is_dir():
        pytest.skip("no ../shared/corpus")
    return corpus


def read(tmp_path: Path, name: str, content: bytes) -> SourceResult:
    path = tmp_path / name
    path.write_bytes(content)
    return pyversion.read(path, ReadContext(root=tmp_path.resolve()))


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        pytest.param(".python-version", b"3.11\n", ("==3.11.*", 1), id="minor"),
        pytest.param(".python-version", b"3.11.4", ("==3.11.*", 1), id="patch-no-newline"),
        pytest.param(".python-version", b"3\n", ("==3.*", 1), id="major"),
        pytest.param(".python-version", b"3.13t\n", ("==3.13.*", 1), id="free-threaded"),
        pytest.param(".python-version", b"3.14.0rc1\n", ("==3.14.*", 1), id="release-candidate"),
        pytest.param(".python-version", b"3.12-dev\n", ("==3.12.*", 1), id="dev"),
        pytest.param(".python-version", b"cpython@3.12\n", ("==3.12.*", 1), id="uv-cpython"),
        pytest.param(
            ".python-version", b"# pinned\n\n3.10.2\n3.9\n", ("==3.10.*", 3), id="comment-first"
        ),
        pytest.param(".python-version", b"\xef\xbb\xbf3.11\r\n", ("==3.11.*", 1), id="bom-crlf"),
        pytest.param("runtime.txt", b"python-3.8.10\n", ("==3.8.*", 1), id="runtime"),
        pytest.param("runtime.txt", b"python-3.12", ("==3.12.*", 1), id="runtime-minor"),
        pytest.param("runtime.txt", b"python-2.7.18\n", ("==2.7.*", 1), id="runtime-2.7"),
        pytest.param(".python-version", b"2.7.18\n", ("==2.7.*", 1), id="python-2"),
        pytest.param(".python-version", b"3.8\n", ("==3.8.*", 1), id="eol-3.8"),
    ],
)
def test_versions(tmp_path: Path, name: str, content: bytes, expected: tuple[str, int]) -> None:
    result = read(tmp_path, name, content)
    assert result.diagnostics == []
    assert [(p.specifier, p.origin.line) for p in result.python] == [expected]
    assert [p.origin.file for p in result.python] == [name]
    assert result.files == [name]


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        pytest.param(".python-version", b"pypy3.10\n", 1, id="pypy"),
        pytest.param(".python-version", b"system\n", 1, id="system"),
        pytest.param(".python-version", b"# c\nmy-venv\n", 2, id="virtualenv-name"),
        pytest.param(".python-version", b"\n# only a comment\n", None, id="empty"),
        pytest.param("runtime.txt", b"3.8.10\n", 1, id="runtime-without-prefix"),
        pytest.param("runtime.txt", b"pypy-3.8\n", 1, id="runtime-pypy"),
    ],
)
def test_not_cpython_is_a_warning(
    tmp_path: Path, name: str, content: bytes, line: int | None
) -> None:
    result = read(tmp_path, name, content)
    assert result.python == []
    assert [(d.level, d.file, d.line) for d in result.diagnostics] == [("warning", name, line)]


def test_unreadable(tmp_path: Path) -> None:
    result = read(tmp_path, ".python-version", b"3.1\xff\n")
    assert [(d.level, d.line) for d in result.diagnostics] == [("error", 1)]
    assert result.python == []


@pytest.mark.corpus
def test_corpus_python_files() -> None:
    corpus = corpus_dir()
    ctx = ReadContext(root=corpus)
    paths = sorted([*corpus.rglob(".python-version"), *corpus.rglob("runtime.txt")])
    assert paths
    for path in paths:
        result = pyversion.read(path, ctx)
        assert all(p.origin.line is not None for p in result.python), path
