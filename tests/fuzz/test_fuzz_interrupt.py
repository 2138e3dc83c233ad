"""The writer interrupted at a random step of a random commit: random old and new trees
(files rewritten, kept, removed, added in new directories), a random signal (SIGKILL,
SIGTERM, SIGINT) after a random k-th change of the file system. After the interrupted run
(and, after a SIGKILL, the recovery every run starts with), the output is byte for byte the
old tree or the new one, nothing else is left, and a run with the new input gives exactly
the new tree."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from fuzz_strategies import confined, fuzz_settings
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


def child(top: Path, outdir: Path, k: int, signum: int, new: dict[str, str]) -> tuple[int, str]:
    """Run the writer in a subprocess confined below ``top`` (its current directory, home
    and temporary directory there); a normal exit leaves no temporary file."""
    files = top / "new.json"
    files.write_text(json.dumps(new), encoding="utf-8")
    with confined(top / "world") as env:
        done = subprocess.run(
            [sys.executable, str(CHILD), str(k), str(signum), str(outdir), str(files)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            env=env,
        )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout


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
    old, new = with_manifest(old, "old"), with_manifest(new, "new")
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp)
        reference = top / "reference"
        write_tree(reference, old)
        old_tree = snapshot(reference)
        code, out = child(top, reference, 0, signal.SIGKILL, new)
        assert code == 0
        new_tree = snapshot(reference)
        steps = int(out)
        k = 1 + int(where * (steps - 1)) if steps else 0
        outdir = top / "out"
        write_tree(outdir, old)
        code, _ = child(top, outdir, k, signum, new)
        if signum == signal.SIGKILL:
            assert code in (0, -signal.SIGKILL)
            recover(outdir)
        else:
            assert code in (0, 2, 130)
        after = snapshot(outdir)
        assert after in (old_tree, new_tree)
        event("old" if after == old_tree else "new")
        report = write_tree(outdir, new)
        assert report.skipped == []
        assert snapshot(outdir) == new_tree
        # Nothing beside the output directory: no temporary file, no backup, no journal.
        assert sorted(p.name for p in top.iterdir()) == ["new.json", "out", "reference", "world"]
        assert snapshot(top / "world") == dict.fromkeys(("cache", "cwd", "home", "tmp"), b"<dir>")
