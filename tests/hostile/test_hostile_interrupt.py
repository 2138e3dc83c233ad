"""``generate`` killed at every step of its commit: SIGKILL, SIGTERM and SIGINT after the
k-th change of the output directory (a rename, link, unlink, mkdir or rmdir), for every k.

A subprocess runs the writer with those calls counted; after the k-th it signals itself.
SIGTERM and SIGINT are handled: that very run leaves the previous output (or, after its
commit point, the new one), whole, with nothing else. SIGKILL cannot be handled: the next
run finds the journal and rolls the commit back (or finishes it), before anything else.
Either way the tree is then byte for byte the old output or the new one, with no
``.depsplit-*`` file left; and a run with the new input then gives exactly the new output
(none of its files is taken for a user's edit)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import run, snapshot
from test_hostile_writer import make_repo

from depsplit.writer import JOURNAL, MANIFEST, recover, write_tree

PLAN = json.dumps({"generated_by": "depsplit test", "generate": {"tag": "{tag}"}})

OLD = {
    "a/Dockerfile": "FROM python:3.12-slim\n# old a\n",
    "a/requirements.txt": "flask==2.3.0\n",
    "b/Dockerfile": "FROM python:3.11-slim\n# old b\n",
    "b/requirements.txt": "django==4.2\n",
    "lb/web/nginx.conf": "upstream web {}\n",  # two levels to prune
    "compose.yaml": "name: old\n",
    MANIFEST: PLAN.replace("{tag}", "v1") + "\n",
}
NEW = {
    "a/Dockerfile": "FROM python:3.12-slim\n# new a\n",  # rewritten
    "a/requirements.txt": "flask==2.3.0\n",  # unchanged
    # b/ and lb/ are no longer generated: removed, their directories pruned
    "c/Dockerfile": "FROM python:3.13-slim\n# new c\n",  # a new directory
    "c/deep/requirements.txt": "requests==2.31.0\n",
    "compose.yaml": "name: new\n",
    MANIFEST: PLAN.replace("{tag}", "v2") + "\n",
}

CHILD = Path(__file__).with_name("interrupt_child.py")


def child(
    tmp_path: Path, outdir: Path, kill_after: int, signum: int, new: dict[str, str] = NEW
) -> subprocess.CompletedProcess[str]:
    """Write ``new`` into ``outdir`` in a subprocess that sends itself ``signum`` after its
    ``kill_after``-th change of the file system (0: never; it prints how many it made)."""
    files = tmp_path / "new.json"
    files.write_text(json.dumps(new), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(CHILD), str(kill_after), str(signum), str(outdir), str(files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def states(tmp_path: Path) -> tuple[dict[str, bytes], dict[str, bytes], int]:
    """The old and the new output as trees, and how many changes the commit makes."""
    old = tmp_path / "reference-old"
    write_tree(old, OLD)
    new = tmp_path / "reference-new"
    write_tree(new, OLD)
    done = child(tmp_path, new, 0, signal.SIGKILL)
    assert done.returncode == 0, done.stderr
    return snapshot(old), snapshot(new), int(done.stdout)


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_killed_at_every_step_the_tree_is_old_or_new(tmp_path: Path, signum: int) -> None:
    old, new, steps = states(tmp_path)
    assert new == snapshot(tmp_path / "reference-new")
    assert steps >= len(NEW) + 4  # the journal twice, every rename, backup, removal
    seen = {"old": 0, "new": 0}
    for k in range(1, steps + 1):
        outdir = tmp_path / f"out-{k}"
        write_tree(outdir, OLD)
        done = child(tmp_path, outdir, k, signum)
        if signum == signal.SIGKILL:
            assert done.returncode == -signal.SIGKILL, (k, done.stderr)
            journal = (outdir / JOURNAL).exists()
            notes = recover(outdir)  # what the next run does first
            assert bool(notes) == journal, k
        else:
            assert done.returncode in (2, 130), (k, done.returncode, done.stderr)
            assert "Traceback" not in done.stderr
            if signum == signal.SIGTERM:
                assert "interrupted by SIGTERM" in done.stderr, k
        after = snapshot(outdir)
        assert after in (old, new), (k, sorted(set(after) ^ set(old)))
        seen["old" if after == old else "new"] += 1
        # The next run with the new input gives exactly the new output: no file of the
        # interrupted run is taken for an edit of the user's.
        report = write_tree(outdir, NEW)
        assert report.skipped == [], k
        assert report.kept_stale == [], k
        assert snapshot(outdir) == new, k
    assert seen["old"], seen  # both sides of the commit point were hit
    assert seen["new"], seen


def test_the_next_generate_recovers_before_reading_anything(tmp_path: Path) -> None:
    """The CLI: a ``generate`` killed mid-commit, then a plain ``generate``: it says what it
    restored, and writes the complete new output (nothing kept as "your edits")."""
    root = make_repo(tmp_path)
    outdir = root / "deploy"
    code, _, err = run(["generate", str(root), "-o", str(outdir), "--tag", "v1"])
    assert code == 0, err
    (root / "web" / "requirements.txt").write_text("flask==1.1.2\n", encoding="utf-8")
    script = textwrap.dedent(
        """
        import os, signal, sys
        count = [0]
        real = os.replace
        def replace(*args, **kwargs):
            real(*args, **kwargs)
            count[0] += 1
            if count[0] == 4:  # the journal, then three files renamed into place
                os.kill(os.getpid(), signal.SIGKILL)
        os.replace = replace
        from depsplit.cli import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "generate", str(root), "-o", str(outdir), "--tag", "v2"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert (outdir / JOURNAL).exists()
    code, _, err = run(["generate", str(root), "-o", str(outdir), "--tag", "v2"])
    assert code == 0, err
    assert "a previous run was interrupted while writing" in err
    assert "kept your edits" not in err
    plan = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
    assert plan["generate"]["tag"] == "v2"
    assert not [p for p in outdir.rglob("*") if p.name.startswith(".depsplit-")]
    reference = tmp_path / "reference"
    os.rename(outdir, reference)
    code, _, err = run(["generate", str(root), "-o", str(outdir), "--tag", "v2"])
    assert code == 0, err
    assert snapshot(outdir) == snapshot(reference)


def generate_signalled(
    root: Path, outdir: Path, after: int, signum: int, into: str = ""
) -> tuple[int, str]:
    """``depsplit generate --tag v2`` in a subprocess that sends itself ``signum`` after
    its ``after``-th ``os.replace`` (of those onto a path ending with ``into``)."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        count = [0]
        real = os.replace
        def replace(*args, **kwargs):
            real(*args, **kwargs)
            count[0] += str(args[1]).endswith({into!r})
            if count[0] == {after}:
                os.kill(os.getpid(), {int(signum)})
        os.replace = replace
        from depsplit.cli import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "generate", str(root), "-o", str(outdir), "--tag", "v2"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return done.returncode, done.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_during_generate_keeps_the_previous_output(
    tmp_path: Path, signum: int
) -> None:
    """Both say what became of the output (Ctrl-C once said only "Aborted.")."""
    root = make_repo(tmp_path)
    outdir = root / "deploy"
    code, _, err = run(["generate", str(root), "-o", str(outdir), "--tag", "v1"])
    assert code == 0, err
    before = snapshot(root)
    code, err = generate_signalled(root, outdir, 3, signum)
    name = signal.Signals(signum).name
    assert code == 2, err
    assert f"error: interrupted by {name}: nothing was changed" in err, err
    assert "Traceback" not in err
    assert snapshot(root) == before


def test_ctrl_c_after_the_commit_point_says_the_new_output_is_kept(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    outdir = root / "deploy"
    code, _, err = run(["generate", str(root), "-o", str(outdir), "--tag", "v1"])
    assert code == 0, err
    # The journal's second state is the commit point.
    code, err = generate_signalled(root, outdir, 2, signal.SIGINT, into=JOURNAL)
    assert code == 2, err
    assert "error: interrupted by SIGINT: the new output was already complete" in err, err
    plan = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
    assert plan["generate"]["tag"] == "v2"
    assert not [p for p in outdir.rglob("*") if p.name.startswith(".depsplit-")]


def test_a_journal_that_is_not_depsplits_is_refused_and_nothing_is_touched(
    tmp_path: Path,
) -> None:
    outdir = tmp_path / "out"
    write_tree(outdir, OLD)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    for journal in (
        "not json",
        "[" * 100_000,
        json.dumps({"journal": "depsplit", "format": 1, "state": "prepare", "token": "x"}),
        json.dumps(
            {
                "journal": "depsplit",
                "format": 1,
                "state": "prepare",
                "token": "0123456789ab",
                "dirs": [],
                "entries": [
                    {"path": "../victim.txt", "op": "write", "backup": False, "sha256": ""}
                ],
            }
        ),
    ):
        (outdir / JOURNAL).write_text(journal, encoding="utf-8")
        before = snapshot(tmp_path)
        code, _, err = run(["generate", str(tmp_path), "-o", str(outdir)])
        assert code == 2, err
        assert "not a journal of depsplit" in err
        assert "Traceback" not in err
        assert snapshot(tmp_path) == before
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_check_refuses_an_interrupted_output(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    write_tree(outdir, OLD)
    done = child(tmp_path, outdir, 5, signal.SIGKILL)
    assert done.returncode == -signal.SIGKILL
    before = snapshot(outdir)
    with pytest.raises(Exception, match="was interrupted"):
        write_tree(outdir, NEW, check=True)
    assert snapshot(outdir) == before
