"""The writer interrupted at a random step of a random commit: random old and new trees
(files rewritten, kept, removed, added in new directories), a random signal (SIGKILL,
SIGTERM, SIGINT) after a random k-th change of the file system. After the interrupted run
(and, after a SIGKILL, the recovery every run starts with), the output is byte for byte the
old tree or the new one, nothing else is left, and a run with the new input gives exactly
the new tree."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from fuzz_strategies import confined, fuzz_settings, no_crash, no_leftover, nothing_outside
from hypothesis import event, given
from hypothesis import strategies as st
from test_fuzz_pipeline import snapshot

from depsplit.writer import MANIFEST, recover, write_tree

CHILD = Path(__file__).parents[1] / "hostile" / "interrupt_child.py"

paths = st.builds(
    "{}{}".format,
    st.sampled_from(["", "a/", "b/", "a/deep/", "c/d/e/", "lb/"]),
    st.sampled_from(["Dockerfile", "requirements.txt", "x.conf", "compose.yaml"]),
)
contents = st.sampled_from(["one\n", "two\n", "three\n", "", "é\n" * 50])
trees = st.dictionaries(paths, contents, min_size=1, max_size=8)


def with_manifest(files: dict[str, str], tag: str) -> dict[str, str]:
    return {**files, MANIFEST: json.dumps({"generated_by": "fuzz", "tag": tag}) + "\n"}


def child(
    top: Path, outdir: Path, k: int, signum: int, new: dict[str, str]
) -> tuple[int, str, str]:
    """Run the writer in a subprocess confined below ``top`` (its current directory, home
    and temporary directory there); a normal exit leaves no temporary file."""
    files = top / "new.json"
    files.write_text(json.dumps(new), encoding="utf-8")
    return spawn(top / "world", [str(k), str(signum), str(outdir), str(files)])


def spawn(world: Path, args: list[str], *, check_tmp: bool = True) -> tuple[int, str, str]:
    """``interrupt_child.py ARGS…`` confined below ``world``: its exit code, stdout and
    stderr (no traceback in it). With ``check_tmp``, its temporary directory must be left
    empty."""
    context = confined(world) if check_tmp else contextlib.nullcontext(None)
    with context as env:
        done = subprocess.run(
            [sys.executable, str(CHILD), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env=env or {**os.environ, **world_env(world)},
        )
    no_crash(0 if done.returncode < 0 else done.returncode, done.stderr, (0, 2, 130))
    return done.returncode, done.stdout, done.stderr


def world_env(world: Path) -> dict[str, str]:
    """The environment :func:`confined` gives a subprocess, without its checks."""
    for name in ("cwd", "home", "cache", "tmp"):
        (world / name).mkdir(parents=True, exist_ok=True)
    return {
        "HOME": str(world / "home"),
        "XDG_CACHE_HOME": str(world / "cache"),
        "TMPDIR": str(world / "tmp"),
    }


def interrupt_case(old: dict[str, str], new: dict[str, str], signum: int, where: float) -> None:
    """Write ``old``, then ``new`` interrupted by ``signum`` at ``where`` (0-1) of its
    changes: the old or the new tree, whole, nothing else left; the next run writes the new
    tree exactly."""
    old, new = with_manifest(old, "old"), with_manifest(new, "new")
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp)
        reference = top / "reference"
        write_tree(reference, old)
        old_tree = snapshot(reference)
        code, out, _ = child(top, reference, 0, signal.SIGKILL, new)
        assert code == 0
        new_tree = snapshot(reference)
        steps = int(out)
        k = 1 + int(where * (steps - 1)) if steps else 0
        outdir = top / "out"
        write_tree(outdir, old)
        code, _, _ = child(top, outdir, k, signum, new)
        if signum == signal.SIGKILL:
            assert code in (0, -signal.SIGKILL)
            recover(outdir)
        else:
            assert code in (0, 2, 130)
        after = snapshot(outdir)
        no_leftover([k for k in after if ".depsplit-" in k], "the output after its recovery")
        assert after in (old_tree, new_tree)
        event("old" if after == old_tree else "new")
        report = write_tree(outdir, new)
        assert report.skipped == []
        assert snapshot(outdir) == new_tree
        # Nothing beside the output directory: no temporary file, no backup, no journal.
        no_leftover(
            sorted({p.name for p in top.iterdir()} - {"new.json", "out", "reference", "world"}),
            str(top),
        )
        nothing_outside(
            dict.fromkeys(("cache", "cwd", "home", "tmp"), b"<dir>"), snapshot(top / "world")
        )


@fuzz_settings(12)
@given(
    old=trees,
    new=trees,
    signum=st.sampled_from([signal.SIGKILL, signal.SIGTERM, signal.SIGINT]),
    where=st.floats(0, 1),
)
def test_an_interrupted_commit_leaves_the_old_or_the_new_tree(
    old: dict[str, str], new: dict[str, str], signum: int, where: float
) -> None:
    interrupt_case(old, new, signum, where)
