"""The writer under fault: a full disk or a read-only directory at any step of a run
leaves the previous output byte-identical (no temporary file, no backup, no new
directory left); an output directory that is a symlink, or reached through one, out of
the tree is refused; concurrent runs never mix their outputs."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import run, snapshot

import depsplit.writer as writer
from depsplit.errors import OutputError

TREE = {
    "api/requirements.txt": "flask==2.3.0\n",
    "api/app.py": "from flask import Flask\napp = Flask(__name__)\n",
    "web/requirements.txt": "flask==1.1.4\n",
    "web/app.py": "from flask import Flask\napp = Flask(__name__)\n",
    "jobs/nightly/requirements.txt": "requests==2.31.0\n",
    "jobs/nightly/main.py": "if __name__ == '__main__':\n    pass\n",
}


def make_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel, text in TREE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def generated(tmp_path: Path) -> tuple[Path, Path]:
    """A repo with a first, complete output in ``repo/deploy`` (tag ``v1``)."""
    root = make_repo(tmp_path)
    code, _, err = run(["generate", str(root), "-o", str(root / "deploy"), "--tag", "v1"])
    assert code == 0, err
    return root, root / "deploy"


def fail_on_call(n: int, err: int, real: Callable[..., Any]) -> Callable[..., Any]:
    """``real``, except that its ``n``-th call raises ``OSError(err)``."""
    calls = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == n:
            raise OSError(err, os.strerror(err))
        return real(*args, **kwargs)

    return wrapper


FAULTS = [
    # fsync 1 and 2, open 2 and 3: compose.yaml and the plan file, each written to its
    # temporary name as it is made, before the journal.
    ("os", "fsync", 1, errno.ENOSPC),
    ("os", "open", 2, errno.EMFILE),
    ("os", "fsync", 2, errno.ENOSPC),
    ("os", "open", 3, errno.EMFILE),
    ("os", "fsync", 3, errno.ENOSPC),  # the journal
    ("os", "fsync", 5, errno.ENOSPC),  # a staged file
    ("os", "replace", 1, errno.ENOSPC),
    ("os", "replace", 3, errno.EROFS),
    ("os", "link", 2, errno.EACCES),
    ("os", "unlink", 1, errno.EROFS),
    ("tempfile", "mkstemp", 1, errno.EROFS),  # the journal, before anything
    ("tempfile", "mkstemp", 2, errno.EROFS),  # the journal's commit point
    ("os", "write", 3, errno.ENOSPC),  # a staged file's content
    ("os", "open", 6, errno.EMFILE),  # a staged file
]


@pytest.mark.parametrize(
    ("module", "name", "n", "err"),
    FAULTS,
    ids=[f"{m}.{f}#{n}-{errno.errorcode[e]}" for m, f, n, e in FAULTS],
)
def test_a_fault_mid_run_leaves_the_previous_output_intact(
    generated: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    name: str,
    n: int,
    err: int,
) -> None:
    root, outdir = generated
    # A change that rewrites every file and removes one: the run has many steps to fail at.
    shutil.rmtree(root / "web")  # its group goes: its files are removed
    before = snapshot(root)
    target = os if module == "os" else __import__(module)
    monkeypatch.setattr(target, name, fail_on_call(n, err, getattr(target, name)))
    code, out, stderr = run(["generate", str(root), "-o", str(outdir), "--tag", "v2"])
    monkeypatch.undo()
    assert code == 2, (out, stderr)
    assert os.strerror(err) in stderr
    assert snapshot(root) == before, "the previous output changed"
    # And a run without the fault then succeeds.
    code, _, stderr = run(["generate", str(root), "-o", str(outdir), "--tag", "v2"])
    assert code == 0, stderr


def test_short_writes_are_finished(
    generated: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``os.write`` may write less than it is given (a signal, a pipe, some file systems):
    every staged file is still written whole."""
    root, outdir = generated
    code, _, err = run(["generate", str(root), "-o", str(outdir), "--tag", "v2"])
    assert code == 0, err
    whole = snapshot(outdir)
    real = os.write
    calls = [0]

    def short(fd: int, data: Any) -> int:
        calls[0] += 1
        return real(fd, bytes(data[:7]))

    shutil.rmtree(outdir)
    monkeypatch.setattr(os, "write", short)
    code, _, err = run(["generate", str(root), "-o", str(outdir), "--tag", "v2"])
    monkeypatch.undo()
    assert code == 0, err
    assert calls[0] > len(whole)  # the files were written seven bytes at a time
    assert snapshot(outdir) == whole


# fsync 1, 2: compose.yaml and the plan file (each written as it is made, before the
# journal); 3: the journal; 4: its directory (best effort, as every directory fsync); 5: the
# first staged file. mkdir 1, 2: out/ and out/deploy/; 3: the first group's directory.
@pytest.mark.parametrize(
    ("name", "n"), [("fsync", 1), ("fsync", 2), ("fsync", 3), ("fsync", 5), ("mkdir", 3)]
)
def test_a_fault_in_a_fresh_outdir_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, n: int
) -> None:
    root = make_repo(tmp_path)
    before = snapshot(tmp_path)
    monkeypatch.setattr(os, name, fail_on_call(n, errno.ENOSPC, getattr(os, name)))
    code, _, err = run(["generate", str(root), "-o", str(root / "out" / "deploy")])
    assert code == 2
    assert "No space left on device" in err
    assert snapshot(tmp_path) == before  # not even the output directory


def _unshare_ok() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs none /mnt"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


needs_unshare = pytest.mark.skipif(
    not _unshare_ok(), reason="needs root and unshare -m (a private mount namespace)"
)


def _in_namespace(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["unshare", "-m", "sh", "-ec", script],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHON": sys.executable},
    )


@needs_unshare
def test_a_real_read_only_outdir(generated: tuple[Path, Path]) -> None:
    """Root ignores permission bits, so the directory is remounted read-only."""
    root, outdir = generated
    (root / "web" / "requirements.txt").write_text("flask==1.1.2\n", encoding="utf-8")
    before = snapshot(outdir)
    done = _in_namespace(
        f"mount --bind '{outdir}' '{outdir}'\n"
        f"mount -o remount,bind,ro '{outdir}'\n"
        f"\"$PYTHON\" -m depsplit generate '{root}' -o '{outdir}' --tag v2"
    )
    assert done.returncode == 2, done.stderr
    assert "read-only file system" in done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(outdir) == before


@needs_unshare
def test_a_real_full_disk(tmp_path: Path) -> None:
    """A small tmpfs as OUTDIR: the first run fits, then the disk is filled and a run that
    would write more fails; the first output stays as it was."""
    root = make_repo(tmp_path)
    outdir = root / "deploy"
    outdir.mkdir()
    result = tmp_path / "result"
    script = (
        f"mount -t tmpfs -o size=256k none '{outdir}'\n"
        f"\"$PYTHON\" -m depsplit generate '{root}' -o '{outdir}' --tag v1\n"
        f"cp -a '{outdir}' '{result}.before'\n"
        f"dd if=/dev/zero of='{outdir}/filler' bs=4k 2>/dev/null || true\n"
        f"dd if=/dev/zero of='{outdir}/filler.small' bs=1 2>/dev/null || true\n"
        f"set +e\n"
        f"\"$PYTHON\" -m depsplit generate '{root}' -o '{outdir}' --tag v2-needs-more-room "
        f"> '{result}.out' 2> '{result}.err'\n"
        f"echo $? > '{result}.code'\n"
        f"rm -f '{outdir}/filler' '{outdir}/filler.small'\n"
        f"cp -a '{outdir}' '{result}.after'\n"
    )
    done = _in_namespace(script)
    assert done.returncode == 0, done.stderr
    code = int(Path(f"{result}.code").read_text().strip())
    err = Path(f"{result}.err").read_text()
    assert code == 2, err
    assert "No space left on device" in err
    assert "Traceback" not in err
    assert snapshot(Path(f"{result}.after")) == snapshot(Path(f"{result}.before"))


# -- where OUTDIR is -----------------------------------------------------------------------


def test_an_outdir_that_is_a_symlink_out_of_the_tree_is_refused(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "deploy").symlink_to(elsewhere, target_is_directory=True)
    code, _, err = run(["generate", str(root), "-o", str(root / "deploy")])
    assert code == 2
    assert "it is a symlink" in err
    assert str(elsewhere) in err
    assert list(elsewhere.iterdir()) == []


def test_an_outdir_that_is_a_symlink_inside_the_tree_is_refused(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    (root / "real").mkdir()
    (root / "deploy").symlink_to(root / "real", target_is_directory=True)
    code, _, err = run(["generate", str(root), "-o", str(root / "deploy")])
    assert code == 2
    assert "it is a symlink" in err
    assert list((root / "real").iterdir()) == []


def test_an_outdir_reached_through_a_symlink_out_of_the_tree_is_refused(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "link").symlink_to(elsewhere, target_is_directory=True)
    code, _, err = run(["generate", str(root), "-o", str(root / "link" / "deploy")])
    assert code == 2
    assert "through a symlink" in err
    assert list(elsewhere.iterdir()) == []


def test_an_outdir_outside_the_root_is_refused(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    code, _, err = run(["generate", str(root), "-o", str(tmp_path / "out")])
    assert code == 2
    assert "must be inside the analysed directory" in err
    assert not (tmp_path / "out").exists()


def test_a_generated_file_replaced_by_a_symlink_out_is_refused(
    generated: tuple[Path, Path], tmp_path: Path
) -> None:
    root, outdir = generated
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    (outdir / "compose.yaml").unlink()
    (outdir / "compose.yaml").symlink_to(victim)
    code, _, err = run(["generate", str(root), "-o", str(outdir), "--tag", "v2"])
    assert code == 2
    assert "symlink" in err
    assert victim.read_text(encoding="utf-8") == "precious\n"


# -- concurrency ---------------------------------------------------------------------------


def _consistent(outdir: Path) -> str:
    """The tag the whole output was generated with; fails on a mixed or partial tree."""
    import hashlib

    plan = json.loads((outdir / "depsplit-plan.json").read_text(encoding="utf-8"))
    files = {p.relative_to(outdir).as_posix() for p in outdir.rglob("*") if p.is_file()}
    assert files == {*plan["files"], "depsplit-plan.json"}, files
    for rel, digest in plan["files"].items():
        assert hashlib.sha256((outdir / rel).read_bytes()).hexdigest() == digest, rel
    tag: str = plan["generate"]["tag"]
    compose = (outdir / "compose.yaml").read_text(encoding="utf-8")
    assert f':{tag}"' in compose
    for dockerfile in outdir.glob("*/Dockerfile"):
        assert f'image.version="{tag}"' in dockerfile.read_text(encoding="utf-8")
    return tag


def test_concurrent_runs_do_not_corrupt_each_other(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    outdir = root / "deploy"
    tags = set()
    for attempt in range(3):
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "depsplit",
                    "generate",
                    str(root),
                    "-o",
                    str(outdir),
                    "--tag",
                    tag,
                    "--force",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for tag in (f"a{attempt}", f"b{attempt}")
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        tags.add(_consistent(outdir))
        assert not list(outdir.rglob(".depsplit-*"))
    assert tags


def test_a_run_waits_for_the_lock_and_then_gives_up_clearly(
    generated: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, outdir = generated
    before = snapshot(outdir)
    monkeypatch.setattr(writer, "LOCK_TIMEOUT", 0.3)
    fd = os.open(outdir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(OutputError, match="another depsplit run is writing into it"):
            writer.write_tree(outdir, {"compose.yaml": "name: x\n"}, force=True)
    finally:
        os.close(fd)
    assert snapshot(outdir) == before


def test_no_lock_file_or_temporary_file_is_left(generated: tuple[Path, Path]) -> None:
    _, outdir = generated
    names = [p.name for p in outdir.rglob("*")]
    assert not [n for n in names if n.startswith(".") or n.endswith((".tmp", ".bak", ".lock"))]


def test_write_file_atomic_under_enospc_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path)
    report = tmp_path / "report.json"
    report.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(os, "fsync", fail_on_call(1, errno.ENOSPC, os.fsync))
    code, _, err = run(["analyze", str(root), "--format", "json", "--output", str(report)])
    assert code == 2
    assert "No space left on device" in err
    assert report.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo", "report.json"]
    assert tempfile.gettempdir()
