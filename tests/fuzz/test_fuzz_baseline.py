"""``--baseline REV`` on random hostile trees made straight from git objects: symlinks to
anywhere (``..``, ``.``, absolute, loops, other links), duplicate entries and names that are
both a file and a directory (``git mktree --missing``), ``.``/``..``/``.git`` components,
requirements files with ``-r``/``-c`` includes. The baseline either loads or is refused with
a ``BaselineError`` (exit 2): never another exception, never a write outside its temporary
directory, which is always removed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from fuzz_strategies import (
    PW,
    TOK,
    confined,
    fuzz_settings,
    no_crash,
    no_leftover,
    no_secret,
    nothing_outside,
    requirements_text,
)
from git_trees import FILE, LINK, Entry, commit, git, init
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_pipeline import run

from depsplit.analyze import analyze
from depsplit.baseline import BaselineError, load_revision

COMPONENTS = ["a", "a!", "b", "..", ".", ".git", "requirements.txt", "x", "base.txt", "c"]
TARGETS = [
    ".",
    "..",
    "../..",
    "a!/a!/a!/../../../escaped",
    "../../../../escaped/requirements.txt",
    "/tmp",
    "/etc/passwd",
    "a",
    "a!",
    "requirements.txt",
    "../b/requirements.txt",
    "b",
    "",
]
paths = st.lists(st.sampled_from(COMPONENTS), min_size=1, max_size=4).map("/".join)
entries = st.lists(
    st.one_of(
        st.tuples(paths, st.just(FILE), requirements_text().map(str.encode)),
        st.tuples(paths, st.just(FILE), st.sampled_from([b"-r base.txt\n", b"-c ../x\n"])),
        st.tuples(paths, st.just(LINK), st.sampled_from(TARGETS).map(str.encode)),
        st.tuples(
            st.sampled_from([".netrc", "a/.netrc", "a/pip.conf", ".env"]),
            st.just(FILE),
            st.just(f"machine idx.example.com password {PW}\n".encode()),
        ),
        st.tuples(
            st.sampled_from(["requirements.txt", "a/requirements.txt"]),
            st.just(FILE),
            st.just(f"--index-url https://idx.example.com/simple?token={TOK}\nflask\n".encode()),
        ),
        st.tuples(
            st.sampled_from(["a/requirements.txt", "b/requirements.txt", "a/x"]),
            st.just(FILE),
            st.just(b"flask==1.0\n"),
        ),
    ),
    min_size=1,
    max_size=8,
)


def make_sandbox(top: Path) -> Path:
    """A repository (its work tree one requirements file), the directory a hostile link
    points to, and the temporary directory the runs use, below ``top``."""
    repo = init(top / "repo")
    (repo / "requirements.txt").write_text("flask\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "work tree")
    (top / "escaped").mkdir()
    (top / "tmp").mkdir()
    for name in ("cwd", "home", "cache", "tmp"):  # what confined() uses
        (top / "world" / name).mkdir(parents=True)
    return top


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sandbox(tmp_path_factory.mktemp("baseline-fuzz"))


def listing(root: Path) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, n), root)
        for d, ds, fs in os.walk(root)
        for n in ds + fs
        if ".git" not in os.path.relpath(d, root).split(os.sep)
    )


_count = [0]


def baseline_case(sandbox: Path, tree: list[Entry], *, cli: bool = False) -> None:
    """Commit ``tree`` and load it as a baseline: it loads or is refused with a message
    naming the revision, no secret in either, nothing written outside the temporary
    directory, which is left empty. With ``cli``, also ``analyze --baseline`` on it."""
    repo = sandbox / "repo"
    _count[0] += 1
    branch = f"fuzz{_count[0]}"
    commit(repo, tree, branch)
    before = listing(sandbox)
    saved = tempfile.tempdir
    tempfile.tempdir = str(sandbox / "tmp")
    refused = None
    loaded = None
    try:
        loaded = load_revision(branch, repo, analyze, max_file_size=4096)
    except BaselineError as exc:
        refused = str(exc)
    finally:
        tempfile.tempdir = saved
    assert refused is None or refused.startswith(f"--baseline {branch}: "), refused
    no_secret(f"{refused} {loaded!r}", where="in the baseline")
    nothing_outside(dict.fromkeys(before, b""), dict.fromkeys(listing(sandbox), b""))
    no_leftover(os.listdir(sandbox / "tmp"), "the temporary directory")
    if not cli:
        return
    with confined(sandbox / "world"):
        code, out, err = run(["analyze", str(repo), "--baseline", branch, "--format", "json"])
    no_crash(code, err)
    no_secret(out, err, where="in analyze --baseline's output")
    if code == 2 and refused is not None:
        assert f"--baseline {branch}" in err, err
    nothing_outside(dict.fromkeys(before, b""), dict.fromkeys(listing(sandbox), b""))


@fuzz_settings(40)
@given(tree=entries)
def test_a_hostile_revision_never_writes_outside(sandbox: Path, tree: list[Entry]) -> None:
    baseline_case(sandbox, tree, cli=_count[0] % 4 == 0)
