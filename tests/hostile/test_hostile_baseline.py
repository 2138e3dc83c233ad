"""``--baseline REV`` on a hostile revision: the revision's tree decides nothing about where
depsplit writes. Only the dependency files are copied, from git objects, into a fresh
temporary directory; the revision's symlinks are never created; a tree git's fsck refuses is
refused; a blob over ``max_file_size`` is never read."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest
from conftest import run
from git_trees import FILE, LINK, Entry, commit, git, init

from depsplit import baseline as baseline_module
from depsplit.analyze import analyze
from depsplit.baseline import load_revision
from depsplit.model import Plan

APP = ("app/requirements.txt", FILE, b"flask==2.3.0\n")


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory of the run, with nothing of ours beside it but the repo."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = init(tmp_path / "repo")
    (repo / "app").mkdir()
    (repo / "app" / "requirements.txt").write_text("flask==2.3.0\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "work tree")
    return repo


def listing(root: Path) -> dict[str, str]:
    """Every path under ``root`` → ``dir``, ``link -> target`` or the file's size."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = f"link -> {os.readlink(path)}"
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = str(path.stat().st_size)
    return out


# The attack: `a` -> `a!/a!/a!/../../../escaped` passes a check made before `a!`
# exists (lexically it stays in the copy), `a!` -> `.` makes each `a!/` a no-op once it
# does, and the duplicate entry `a/x` is then written through `a`: three levels up from the
# copy of the top level (TMP/depsplit-baseline-*/repo) is the test's own directory.
ESCAPE = b"a!/a!/a!/../../../escaped"


@pytest.mark.parametrize("name", ["x", "requirements.txt"])
def test_a_duplicate_entry_through_a_symlink_writes_nothing_outside(
    repo: Path, tmp_path: Path, private_tmp: Path, name: str
) -> None:
    (tmp_path / "escaped").mkdir()
    commit(
        repo,
        [("a", LINK, ESCAPE), (f"a/{name}", FILE, b"pwned\n"), ("a!", LINK, b"."), APP],
        "evil",
    )
    code, _, err = run(["analyze", str(repo), "--baseline", "evil"])
    assert listing(tmp_path / "escaped") == {}  # before the fix: {"x": "6"}
    assert code == 2
    assert "--baseline evil: malformed tree at evil: 'a' is listed twice" in err
    assert "Traceback" not in err
    assert listing(private_tmp) == {}  # the temporary copy is gone too


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ([("app/../x/requirements.txt", FILE, b"flask\n")], "has a '..' component"),
        ([("app/./requirements.txt", FILE, b"flask\n")], "has a '.' component"),
        ([("app/.git/hooks/requirements.txt", FILE, b"flask\n")], "has a .git component"),
        ([("app/.GIT/config", FILE, b"x\n")], "has a .git component"),
        ([("app/requirements.txt", FILE, b"django\n")], "is listed twice"),
        ([("app", FILE, b"django\n")], "is listed twice"),
    ],
)
def test_a_tree_git_fsck_refuses_is_refused(
    repo: Path, tmp_path: Path, private_tmp: Path, entries: list[Entry], problem: str
) -> None:
    commit(repo, [APP, *entries], "bad")
    code, _, err = run(["analyze", str(repo), "--baseline", "bad"])
    assert code == 2
    assert "malformed tree at bad" in err
    assert problem in err
    assert listing(private_tmp) == {}


def _spy(seen: dict[str, dict[str, str]]):  # type: ignore[no-untyped-def]
    def analyze_fn(root: Path) -> Plan:
        seen["copy"] = listing(root)
        seen["modes"] = {
            rel: oct(stat.S_IFMT(os.lstat(root / rel).st_mode)) for rel in seen["copy"]
        }
        return analyze(root)

    return analyze_fn


def test_symlinks_are_never_created_and_in_root_ones_read_as_on_disk(
    repo: Path, private_tmp: Path
) -> None:
    shared = b"-r base.txt\n"
    commit(
        repo,
        [
            ("app/requirements.txt", LINK, b"../shared/reqs.txt"),
            ("shared/reqs.txt", FILE, shared),
            ("shared/base.txt", FILE, b"flask==1.0\n"),
            ("b/requirements.txt", FILE, b"flask>=3\n"),
            ("b/extra", LINK, b"../a!/a!/../../../outside"),
            ("a!", LINK, b"."),
            ("linkdir", LINK, b"shared"),
        ],
        "links",
    )
    seen: dict[str, dict[str, str]] = {}
    old = load_revision("links", repo, _spy(seen))
    # app/requirements.txt is a regular copy of shared/reqs.txt; its `-r base.txt` is read,
    # as on disk, from shared/ (the copy holds it next to the copy of the link).
    assert seen["copy"] == {
        "app": "dir",
        "b": "dir",
        "app/requirements.txt": str(len(shared)),
        "app/base.txt": "11",
        "b/requirements.txt": "9",
    }
    assert set(seen["modes"].values()) <= {oct(stat.S_IFDIR), oct(stat.S_IFREG)}
    assert [c.package for c in old.conflicts] == ["flask"]
    assert old.errors == 0


@pytest.mark.parametrize(
    "target",
    [
        b"../../../../etc/passwd",
        b"/etc/passwd",
        b"requirements.txt",  # a loop
        b"../a!/a!/../../etc/passwd",
        b"../shared",  # a directory
        b"../missing.txt",
    ],
)
def test_a_symlink_that_leads_nowhere_inside_is_a_baseline_error(
    repo: Path, private_tmp: Path, target: bytes
) -> None:
    commit(
        repo,
        [
            ("app/requirements.txt", LINK, target),
            ("a!", LINK, b"."),
            ("shared/x.txt", FILE, b"flask\n"),
            ("b/requirements.txt", FILE, b"flask\n"),
        ],
        "dangling",
    )
    seen: dict[str, dict[str, str]] = {}
    old = load_revision("dangling", repo, _spy(seen))
    assert old.errors == 1  # "its conflict list may be incomplete" in every report
    assert "app/requirements.txt" not in seen["copy"]
    assert listing(private_tmp) == {}


def test_the_reports_say_the_baseline_could_not_be_read_whole(
    repo: Path, private_tmp: Path
) -> None:
    commit(repo, [("app/requirements.txt", LINK, b"/etc/passwd")], "abs")
    code, out, _ = run(["analyze", str(repo), "--baseline", "abs"])
    assert code == 0
    assert "the baseline (abs) had 1 input error; its conflict list may be incomplete" in out


def test_a_blob_over_the_limit_is_never_read(
    repo: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = b"flask==1.0\n" + b"#" * 200_000 + b"\n"
    commit(repo, [("app/requirements.txt", FILE, big), ("b/requirements.txt", FILE, b"x\n")], "b")
    asked: list[int] = []
    real_blob = baseline_module._Objects.blob

    def blob(self: baseline_module._Objects, sha: str, size: int) -> bytes:
        asked.append(size)
        return real_blob(self, sha, size)

    monkeypatch.setattr(baseline_module._Objects, "blob", blob)
    sparse: dict[str, int] = {}

    def analyze_fn(root: Path) -> Plan:
        st = (root / "app" / "requirements.txt").stat()
        sparse.update(size=st.st_size, blocks=st.st_blocks)
        return analyze(root)

    old = load_revision("b", repo, analyze_fn, max_file_size=100_000)
    assert asked == [2]  # b/requirements.txt only
    assert sparse == {"size": len(big), "blocks": 0}
    assert old.errors == 1  # the reader refuses the placeholder as it refuses the original


def test_only_dependency_files_are_copied(repo: Path, private_tmp: Path) -> None:
    commit(
        repo,
        [
            ("app/requirements.txt", FILE, b"-r ../common/extra.pip\n-c constraints/c\n"),
            ("app/constraints/c", FILE, b"flask<3\n"),
            ("app/main.py", FILE, b"print()\n"),
            ("common/extra.pip", FILE, b"flask\n"),
            ("common/unrelated.pip", FILE, b"x\n"),
            ("README.md", FILE, b"# hi\n"),
            ("svc/pyproject.toml", FILE, b"[project]\nname='s'\nversion='1'\n"),
            ("svc/uv.lock", FILE, b"version = 1\n"),
            ("svc/src/s/__init__.py", FILE, b""),
            ("svc/.gitignore", FILE, b"build/\n"),
            ("data/blob.bin", FILE, b"\0" * 1000),
        ],
        "mixed",
    )
    seen: dict[str, dict[str, str]] = {}
    load_revision("mixed", repo, _spy(seen))
    files = sorted(k for k, v in seen["copy"].items() if v != "dir")
    assert files == [
        "app/constraints/c",
        "app/requirements.txt",
        "common/extra.pip",
        "svc/.gitignore",
        "svc/pyproject.toml",
        "svc/uv.lock",
    ]


def test_a_subdirectory_copies_only_below_it(tmp_path: Path, private_tmp: Path) -> None:
    repo = init(tmp_path / "mono")
    (repo / "apps" / "a").mkdir(parents=True)
    (repo / "apps" / "a" / "requirements.txt").write_text("flask\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "x")
    commit(
        repo,
        [
            ("apps/a/requirements.txt", FILE, b"-r ../../secret/requirements.txt\n"),
            ("secret/requirements.txt", FILE, b"flask\n"),
        ],
        "up",
    )
    seen: dict[str, dict[str, str]] = {}
    old = load_revision("up", repo / "apps", _spy(seen))
    assert seen["copy"] == {"a": "dir", "a/requirements.txt": "33"}
    assert old.errors == 1  # the include leaves the analysed directory, as on disk
