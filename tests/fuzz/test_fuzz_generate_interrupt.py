"""``depsplit generate`` interrupted, the whole command: random monorepos (those of
``test_fuzz_generate``: odd names, secrets in URLs, credential files), generated once; the
input changed (apps edited, added, removed); then a ``generate`` in a subprocess that sends
itself SIGKILL, SIGTERM or SIGINT after a random k-th change of the file system (its
analysis, its temporary files, its commit). Whatever the moment:

* it exits 0 or 2 (with a message), or dies of the signal, and never prints a traceback;
* after SIGTERM or SIGINT the output is the previous one or the new one, whole;
* the next ``generate`` rolls an interrupted commit back or forward and writes the new
  output: byte for byte what an uninterrupted ``generate`` over the previous output writes
  (which keeps the previous group names), with no ``.depsplit-*`` file left and no
  temporary file;
* nothing is ever written outside OUTDIR and the runs' temporary directories, and no secret
  is printed, written or left in a build context.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
from pathlib import Path

from fuzz_strategies import (
    confined,
    fuzz_settings,
    no_crash,
    no_leftover,
    no_secret,
    nothing_outside,
)
from hypothesis import event, given
from hypothesis import strategies as st
from test_fuzz_generate import check_generated, generate_trees, outside, valid, valid_names
from test_fuzz_interrupt import spawn
from test_fuzz_pipeline import run, snapshot, write

SIGNALS = [signal.SIGKILL, signal.SIGTERM, signal.SIGINT]
MAX_STEPS = 60
"""Where the signal may fall: after the k-th change, k up to this (a small monorepo's
``generate`` makes from a few to about 50: the temporary directory of its analysis, its
journal, each file's temporary copy, backup, rename, the journal's removal)."""


@st.composite
def changes(draw: st.DrawFn) -> tuple[dict[str, str | bytes], dict[str, str | bytes]]:
    """An input and the next one: apps edited or added (kept beside the old ones) or a
    wholly new set (the old apps removed). Mostly inputs ``generate`` accepts (an input it
    refuses tests only that nothing is written)."""
    accepted = generate_trees(valid_names, valid)
    trees = st.one_of(accepted, accepted, accepted, accepted, generate_trees())
    old = draw(trees)
    delta = draw(trees)
    new = {**old, **delta} if draw(st.booleans()) else delta
    return old, new


def rewrite(root: Path, files: dict[str, str | bytes]) -> None:
    """Make ``root`` hold exactly ``files`` (and its ``deploy`` output directory)."""
    for child in root.iterdir():
        if child.name != "deploy":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    write(root, files)


def generate_interrupt_case(
    case: tuple[dict[str, str | bytes], dict[str, str | bytes]], signum: int, k: int
) -> str:
    """One case (see the module); returns what happened, for the statistics."""
    old, new = case
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp).resolve()
        root = top / "repo"
        root.mkdir()
        outdir = root / "deploy"
        argv = ["generate", str(root), "-o", str(outdir)]
        write(root, old)
        with confined(top / "world"):
            code, out, err = run(argv)
        no_crash(code, err, (0, 2))
        no_secret(out, err, where="in generate's output")
        previous = snapshot(outdir) if outdir.exists() else None
        if previous is not None:
            shutil.copytree(outdir, top / "previous", symlinks=True)
        rewrite(root, new)
        before = outside(snapshot(top))
        # The interrupted run: its own temporary directory (a SIGKILL cannot clean it).
        code, out, err = spawn(
            top / "killed",
            [str(k), str(signum), "--cli", *argv],
            check_tmp=signum != signal.SIGKILL,
        )
        left = snapshot(top / "killed")
        if signum == signal.SIGKILL:  # its temporary directory: nobody can clean it
            left = {k: v for k, v in left.items() if not k.startswith("tmp/")}
        nothing_outside(dict.fromkeys(("cache", "cwd", "home", "tmp"), b"<dir>"), left)
        shutil.rmtree(top / "killed")
        no_secret(out, err, where="in the interrupted generate's output")
        if code < 0:
            assert code == -signum, (code, signum)
            assert signum in (signal.SIGKILL, signal.SIGTERM), (code, err)
        interrupted = snapshot(outdir) if outdir.exists() else None
        for rel, data in (interrupted or {}).items():
            no_secret(data, where=f"in {rel}, left by the interrupted generate")
        # The next run: recovers, then writes the new output.
        with confined(top / "world"):
            code, out, err = run(argv)
        no_crash(code, err, (0, 2))
        no_secret(out, err, where="in the recovering generate's output")
        nothing_outside(before, outside(snapshot(top)), "OUTDIR")
        if code != 0:
            # The new input is refused: the interrupted run cannot have committed anything.
            assert snapshot(outdir) == previous if outdir.exists() else previous is None
            return "new input refused"
        check_generated(root, outdir, out, err)
        recovered = snapshot(outdir)
        # What an uninterrupted generate over the previous output writes.
        shutil.move(outdir, top / "recovered")
        if previous is not None:
            shutil.move(top / "previous", outdir)
        with confined(top / "world"):
            code, out, err = run(argv)
        assert code == 0, err
        reference = snapshot(outdir)
        assert recovered == reference, sorted(
            k for k in recovered.keys() | reference.keys() if recovered.get(k) != reference.get(k)
        )
        no_leftover(
            sorted({p.name for p in top.iterdir()} - {"repo", "world", "recovered"}), str(top)
        )
        if signum != signal.SIGKILL and interrupted is not None:
            assert interrupted in (previous, recovered), "a mixed output after " + str(signum)
        if interrupted == previous:
            return "rolled back or not begun"
        return "rolled forward" if interrupted == recovered else "recovered"


@fuzz_settings(6)
@given(case=changes(), signum=st.sampled_from(SIGNALS), k=st.integers(1, MAX_STEPS))
def test_an_interrupted_generate_recovers(
    case: tuple[dict[str, str | bytes], dict[str, str | bytes]], signum: int, k: int
) -> None:
    event(generate_interrupt_case(case, signum, k))
