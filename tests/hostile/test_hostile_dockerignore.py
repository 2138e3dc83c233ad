"""The generated ``Dockerfile.dockerignore``: credential files are left out of every group's
build context (issue 16.3), and every path is written as the literal path it names, whatever
its characters (issue 16.4).

The grammar, from BuildKit's reader (``ignorefile.ReadAll`` of moby/patternmatcher, formerly
``frontend/dockerfile/dockerignore.ReadAll``) and matcher (``patternmatcher.Compile``):

- ``if strings.HasPrefix(pattern, "#") { continue }`` runs on the raw line: a path starting
  with ``#`` is a comment;
- then ``pattern = strings.TrimSpace(pattern)``; ``invert := pattern[0] == '!'``: a path
  starting with ``!`` re-includes; leading and trailing white space is dropped;
- ``Compile``: ``*``, ``**``, ``?`` are wildcards, ``[``/``]`` pass through to the regular
  expression (a class), and ``\\`` makes the next character literal (``regStr += `\\` +
  string(scan.Next())``).

The same file is built with a real BuildKit in ``tests/e2e/test_e2e_dockerignore.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import leaked, run
from dockerignore_rules import context
from dockerignore_tree import IN_CONTEXT, SECRET, write

from depsplit.emit.dockerignore import CREDENTIAL_FILES
from depsplit.emit.text import dockerignore_pattern


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("plain/requirements.txt", "plain/requirements.txt"),
        ("#hash/requirements.txt", "\\#hash/requirements.txt"),  # else a comment
        ("!bang/requirements.txt", "\\!bang/requirements.txt"),  # else a re-include
        ("a/#x/!y", "a/#x/!y"),  # only the first character of a line is special
        ("a/requirements*.txt", "a/requirements\\*.txt"),
        ("a/requirements?.in", "a/requirements\\?.in"),
        ("a/requirements [x].txt", "a/requirements \\[x\\].txt"),
        ("a/back\\slash.txt", "a/back\\\\slash.txt"),
        (" lead/x.txt", "[ ]lead/x.txt"),  # TrimSpace would drop it
        ("x/trail ", "x/trail[ ]"),
        ("\u00a0nbsp/x", "[\u00a0]nbsp/x"),  # Go's TrimSpace drops U+00A0 too
        ("in side/x y.txt", "in side/x y.txt"),
        ("#a/b^c", "\\#a/b\\^c"),  # "^" would anchor in Go's expression
        ("a/x.+(){}|$", "a/x.+(){}|$"),  # escaped by patternmatcher itself
    ],
)
def test_every_pattern_is_the_literal_path(path: str, pattern: str) -> None:
    assert dockerignore_pattern(path) == pattern


@pytest.mark.parametrize("path", ["a\nb", "a\rb"])
def test_a_line_break_cannot_be_written(path: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        dockerignore_pattern(path)


def test_credential_files_and_odd_names_in_the_generated_file(tmp_path: Path) -> None:
    root = write(tmp_path / "repo")
    code, out, err = run(["generate", str(root), "-o", str(root / "deploy")])
    assert code == 0, err
    [ignore] = list((root / "deploy").glob("*/Dockerfile.dockerignore"))
    lines = ignore.read_text(encoding="utf-8").splitlines()
    group = ignore.parent.name
    patterns = [line for line in lines if not line.startswith("# ")]
    assert patterns == [
        "*",
        "!\\!bang",
        "!\\#hash",
        "!api",
        f"!deploy/{group}/requirements.txt",
        "**/__pycache__",
        "**/*.py[cod]",
        "**/.venv",
        "**/venv",
        "**/.git",
        "**/.pytest_cache",
        "**/.mypy_cache",
        "**/node_modules",
        *CREDENTIAL_FILES,
        "\\!bang/pip.conf",
        "\\!bang/requirements.txt",
        "\\#hash/requirements.txt",
        "\\#hash/requirements\\^x.txt",
        "api/pip.ini",
        "api/requirements [x].txt".replace("[", "\\[").replace("]", "\\]"),
        "api/requirements\\*.txt",
        "api/requirements\\?.in",
        "api/requirements\\\\x.txt",
    ]
    assert {
        "**/.netrc",
        "**/_netrc",
        "**/.pypirc",
        "**/pip.conf",
        "**/pip.ini",
        "**/.pip",
        "**/poetry.toml",
        "**/auth.toml",
        "**/.env",
        "**/.env.*",
        "!**/.env.example",
    } == set(CREDENTIAL_FILES)
    # What the engine sends (the ported rules, checked against a real BuildKit in e2e).
    files = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    assert context(ignore.read_text(encoding="utf-8"), files) == {
        *IN_CONTEXT,
        f"deploy/{group}/requirements.txt",
    }
    # Every line that is not a pattern is a comment that starts with "# ".
    assert all(line.startswith("# ") for line in lines if line.startswith("#"))
    texts = [p.read_text(encoding="utf-8") for p in (root / "deploy").rglob("*") if p.is_file()]
    assert leaked(out + err + "".join(texts)) == []
    assert SECRET not in out + err + "".join(texts)
