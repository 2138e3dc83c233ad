"""The whole pipeline on random small trees: ``depsplit analyze --format json`` exits 0, 1
or 2 and prints one valid JSON report (exit 2 only with an error diagnostic, and never 0
with one); no traceback, no secret in stdout or stderr, nothing written anywhere."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path

from fuzz_strategies import (
    DECOYS,
    confined,
    fuzz_settings,
    no_crash,
    no_secret,
    nothing_outside,
    trees,
)
from hypothesis import given
from hypothesis import strategies as st

from depsplit.cli import main


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8", errors="surrogatepass"))


def snapshot(root: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            out[rel] = b"<dir>" if path.is_dir() else path.read_bytes()
    return out


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def analyze_case(files: dict[str, str | bytes]) -> None:
    """``analyze --format json`` on ``files``: exit 0, 1 or 2 with one valid report (exit 2
    exactly when it holds an error, every diagnostic naming its file), no secret printed,
    nothing written anywhere."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve() / "repo"
        root.mkdir()
        write(root, files)
        with confined(Path(tmp).resolve()):
            before = snapshot(Path(tmp))
            code, out, err = run(["analyze", str(root), "--format", "json", "--time-limit", "2"])
        no_crash(code, err + out)  # exit 2: the errors are in the JSON report
        no_secret(out, err, where="in analyze's output")
        report = json.loads(out)
        errors = [d for d in report["diagnostics"] if d["level"] == "error"]
        assert (code == 2) == bool(errors), (code, errors, err)
        for d in report["diagnostics"]:
            assert d["file"], d
        nothing_outside(before, snapshot(Path(tmp)), "nowhere (analyze)")


@fuzz_settings(60)
@given(files=trees())
def test_analyze_json_on_random_trees(files: dict[str, str | bytes]) -> None:
    analyze_case(files)


@st.composite
def decoyed_trees(draw: st.DrawFn) -> tuple[dict[str, str | bytes], dict[str, str | bytes]]:
    """A random tree, and decoy plan files and virtualenv markers to add to some of its
    directories (the root and every parent included)."""
    files = draw(trees())
    dirs = sorted({""} | {rel.rsplit("/", 1)[0] + "/" for rel in files if "/" in rel})
    decoys: dict[str, str | bytes] = {}
    for directory in draw(st.lists(st.sampled_from(dirs), max_size=3, unique=True)):
        for name in draw(st.lists(st.sampled_from(sorted(DECOYS)), min_size=1, unique=True)):
            decoys[directory + name] = draw(DECOYS[name])
    return files, decoys


def _apps_and_skipped(root: Path) -> tuple[int, set[str], list[str]]:
    code, out, err = run(["analyze", str(root), "--format", "json", "--time-limit", "2"])
    no_crash(code, err + out)
    no_secret(out, err, where="in analyze's output")
    report = json.loads(out)
    return code, {a["path"] for a in report["apps"]}, [s["path"] for s in report["skipped"]]


@fuzz_settings(40)
@given(case=decoyed_trees())
def test_a_decoy_never_hides_an_app_unsaid(
    case: tuple[dict[str, str | bytes], dict[str, str | bytes]],
) -> None:
    decoy_case(case)


def decoy_case(case: tuple[dict[str, str | bytes], dict[str, str | bytes]]) -> None:
    """Issue 16.6: with decoys added, every app found before is still found, or lies in a
    directory the report names as skipped (a real plan, a real virtualenv); an app's own
    directory is never skipped; the exit code never drops from 2."""
    files, decoys = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve() / "repo"
        root.mkdir()
        write(root, files)
        with confined(Path(tmp).resolve()):
            code, apps, skipped = _apps_and_skipped(root)
            assert skipped == []
            write(root, decoys)
            code_after, apps_after, skipped_after = _apps_and_skipped(root)
    for app in apps - apps_after:
        assert any(s == "." or app == s or app.startswith(s + "/") for s in skipped_after), (
            app,
            skipped_after,
        )
    assert not set(skipped_after) & apps_after
    if code == 2:
        assert code_after == 2 or set(skipped_after), (code, code_after)
