"""Lock files: uv.lock, poetry.lock, Pipfile.lock and pylock.toml pins with their lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from depsplit.sources import lockfiles
from depsplit.sources.base import ReadContext, SourceResult

LOCK_NAMES = ("uv.lock", "poetry.lock", "Pipfile.lock", "pylock.toml", "pylock.*.toml")


def corpus_dir() -> Path:
    """``/work/shared/corpus`` next to the checkout; skip when absent (a fresh clone)."""
    corpus = (Path(__file__).resolve().parents[2] / "../shared/corpus").resolve()
    if not corpus.is_dir():
        pytest.skip("no ../shared/corpus")
    return corpus


def read(tmp_path: Path, name: str, text: str) -> SourceResult:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return lockfiles.read(path, ReadContext(root=tmp_path.resolve()))


def pins(result: SourceResult) -> list[tuple[str, int | None]]:
    assert all(r.role == "lock" for r in result.requirements)
    return [(r.line_text, r.origin.line) for r in result.requirements]


def errors(result: SourceResult) -> list[tuple[int | None, str]]:
    return [(d.line, d.message) for d in result.diagnostics if d.level == "error"]


UV_LOCK = """version = 1
requires-python = ">=3.10"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "flask" },
    { name = "numpy" },
]

[[package]]
name = "flask"
version = "3.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "lib"
version = "0.2.0"
source = { virtual = "libs/lib" }

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }
resolution-markers = [
    "python_full_version < '3.12'",
]

[[package]]
name = "numpy"
version = "2.1.0"
source = { registry = "https://pypi.org/simple" }
resolution-markers = [
    "python_full_version >= '3.12' and sys_platform == 'linux'",
    "python_full_version >= '3.13'",
]
"""

POETRY_LOCK_1 = """[[package]]
name = "flask"
version = "2.0.1"
description = "web"
category = "main"
optional = false
python-versions = ">=3.6"

[package.dependencies]
click = ">=7.1.2"

[[package]]
name = "pytest"
version = "7.0.0"
category = "dev"
optional = false
python-versions = ">=3.6"

[metadata]
lock-version = "1.1"
"""

POETRY_LOCK_21 = """[[package]]
name = "colorama"
version = "0.4.6"
groups = ["main", "dev"]
markers = {main = "sys_platform == \\"win32\\"", dev = "os_name == \\"nt\\""}

[[package]]
name = "pytest"
version = "8.0.0"
groups = ["dev"]

[[package]]
name = "tomli"
version = "2.0.1"
groups = ["main"]
markers = "python_version < \\"3.11\\""

[metadata]
lock-version = "2.1"
"""

PYLOCK = """lock-version = "1.0"
created-by = "pip"

[[packages]]
name = "attrs"
version = "25.1.0"
marker = "python_version >= '3.8'"

[[packages.wheels]]
name = "attrs-25.1.0-py3-none-any.whl"
url = "https://files.example.com/attrs-25.1.0-py3-none-any.whl"

[[packages]]
name = "local"
directory = { path = ".", editable = true }

[[packages]]
name = "certifi"
version = "2024.8.30"
"""

PYLOCK_INLINE = """lock-version = "1.0"
created-by = "x"
packages = [
  { name = "attrs", version = "25.1.0" },
  { name = "local", directory = { path = "." } },
  { name = "certifi", version = "2024.8.30" },
]
"""

PIPFILE_LOCK = {
    "_meta": {"hash": {"sha256": "abc"}, "pipfile-spec": 6},
    "default": {
        "appnope": {
            "hashes": ["sha256:1"],
            "markers": "sys_platform == 'darwin'",
            "version": "==0.1.0",
        },
        "flask": {"hashes": ["sha256:2"], "index": "pypi", "version": "==2.0.1"},
        "app": {"editable": True, "path": "."},
        "lib": {"git": "https://github.com/o/lib.git", "ref": "abc123"},
    },
    "develop": {"pytest": {"version": "==7.0.0"}},
}


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        pytest.param(
            "uv.lock",
            UV_LOCK,
            [
                ("flask==3.0.0", 14),
                ('numpy==1.26.4; python_full_version < "3.12"', 24),
                (
                    'numpy==2.1.0; (python_full_version >= "3.12" and sys_platform == "linux") '
                    'or python_full_version >= "3.13"',
                    32,
                ),
            ],
            id="uv",
        ),
        pytest.param("poetry.lock", POETRY_LOCK_1, [("flask==2.0.1", 2)], id="poetry-1.1-category"),
        pytest.param(
            "poetry.lock",
            POETRY_LOCK_21,
            [
                ('colorama==0.4.6; sys_platform == "win32"', 2),
                ('tomli==2.0.1; python_version < "3.11"', 13),
            ],
            id="poetry-2.1-groups",
        ),
        pytest.param(
            "pylock.toml",
            PYLOCK,
            [('attrs==25.1.0; python_version >= "3.8"', 5), ("certifi==2024.8.30", 18)],
            id="pylock",
        ),
        pytest.param(
            "pylock.prod.toml",
            PYLOCK_INLINE,
            [("attrs==25.1.0", 4), ("certifi==2024.8.30", 6)],
            id="pylock-named-inline",
        ),
        pytest.param(
            "Pipfile.lock",
            json.dumps(PIPFILE_LOCK, indent=4),
            [
                ('appnope==0.1.0; sys_platform == "darwin"', 9),
                ("flask==2.0.1", 16),
                ("lib @ git+https://github.com/o/lib.git@abc123", 27),
            ],
            id="pipfile-lock",
        ),
    ],
)
def test_pins(tmp_path: Path, name: str, text: str, expected: list[tuple[str, int]]) -> None:
    result = read(tmp_path, name, text)
    assert result.diagnostics == []
    assert pins(result) == expected
    assert result.lock_file == name
    assert result.files == [name]


def test_poetry_lock_2_0_has_no_groups_so_all_are_read(tmp_path: Path) -> None:
    text = '[[package]]\nname = "a"\nversion = "1"\n\n[[package]]\nname = "b"\nversion = "2"\n'
    assert pins(read(tmp_path, "poetry.lock", text)) == [("a==1", 2), ("b==2", 6)]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        pytest.param(
            "uv.lock",
            '[[package]]\nname = "a"\nversion = "not a version!"\n\n'
            '[[package]]\nname = "b"\nversion = "1"\n\n[[package]]\nversion = "2"\n\n'
            '[[package]]\nname = "d"\nversion = 3\n',
            [
                (2, "invalid locked package"),
                (9, "[[package]] entry without a name"),
                (13, "d: version must be a string"),
            ],
            id="uv-bad-entries",
        ),
        pytest.param(
            "uv.lock", 'package = "x"\n', [(1, "[[package]] must be an array")], id="uv-not-array"
        ),
        pytest.param(
            "poetry.lock",
            '[[package]]\nname = "a"\nversion = "1"\nmarkers = "nonsense"\n',
            [(2, "invalid locked package")],
            id="poetry-bad-marker",
        ),
        pytest.param(
            "pylock.toml",
            'lock-version = "1.0"\n[[packages]]\nname = "a"\nversion = "1"\nmarker = 3\n',
            [(3, "a: the marker must be a string")],
            id="pylock-marker-int",
        ),
        pytest.param(
            "pylock.toml",
            'lock-version = "1.0"\npackages = [1]\n',
            [(2, "[[packages]] entry must be a table")],
            id="pylock-entry-int",
        ),
        pytest.param(
            "poetry.lock",
            '[[package]]\nname = "a"\nversion = "1"\n[[package]\n',
            [(4, "invalid TOML")],
            id="toml-invalid",
        ),
        pytest.param(
            "Pipfile.lock",
            '{\n    "default": {\n        "a": {"version": "==1"},\n    }\n}\n',
            [(4, "invalid JSON")],
            id="json-invalid",
        ),
        pytest.param(
            "Pipfile.lock",
            '{\n    "default": {\n        "a": {"version": "=>1"},\n        "b": 3,\n'
            '        "c": {"version": "==1"}\n    }\n}\n',
            [(3, "invalid locked package"), (2, "b: expected a version string or a table")],
            id="pipfile-lock-bad-entries",
        ),
        pytest.param(
            "Pipfile.lock",
            '{"default": []}',
            [(1, '"default" must be an object')],
            id="pipfile-lock-default-array",
        ),
    ],
)
def test_bad_input(tmp_path: Path, name: str, text: str, expected: list[tuple[int, str]]) -> None:
    got = errors(read(tmp_path, name, text))
    assert [line for line, _ in got] == [line for line, _ in expected]
    for (_, message), (_, start) in zip(got, expected, strict=True):
        assert message.startswith(start)


@pytest.mark.parametrize("name", ["uv.lock", "Pipfile.lock"])
def test_bom_and_crlf(tmp_path: Path, name: str) -> None:
    if name == "uv.lock":
        text = '[[package]]\r\nname = "flask"\r\nversion = "2.0"\r\n'
    else:
        text = (
            '{\r\n  "default": {\r\n    "flask": {\r\n      "version": "==2.0"\r\n    }\r\n  }\r\n}'
        )
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    result = lockfiles.read(path, ReadContext(root=tmp_path.resolve()))
    assert result.diagnostics == []
    assert pins(result) == [("flask==2.0", 3 if name == "Pipfile.lock" else 2)]


def test_missing_file(tmp_path: Path) -> None:
    result = lockfiles.read(tmp_path / "uv.lock", ReadContext(root=tmp_path.resolve()))
    assert [(d.level, d.message) for d in result.diagnostics] == [("error", "file not found")]
    assert result.lock_file == "uv.lock"


@pytest.mark.corpus
def test_corpus_lock_files() -> None:
    corpus = corpus_dir()
    ctx = ReadContext(root=corpus)
    paths = sorted(p for pattern in LOCK_NAMES for p in corpus.rglob(pattern))
    assert paths
    for path in paths:
        result = lockfiles.read(path, ctx)
        assert all(r.origin.line is not None for r in result.requirements), path
