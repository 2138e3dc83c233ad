"""``--transitive`` on a repository as a user runs it: cold (a fresh ``--cache-dir``) then
warm, exit code, wall time and peak RSS (``/usr/bin/time -v``), whether the two JSON
reports are the same to the byte, then ``generate`` into a copy of the repository and
``benchmarks/wheel_dryrun.py`` on it: a ``pip install --dry-run --only-binary=:all:`` of
every group's lock (hashes required) at the group's Python, markers evaluated for it, with
a stand-in for each release the image builds from its sdist (PIP_CONFIG_FILE=/dev/null: the
real index). ``--pip PYTHON`` runs that check (its pip must be 23.3 or newer).

    python benchmarks/transitive_corpus.py ROOT LABEL machine|none [--pip PYTHON]
        [--cache DIR] [--offline] [--no-locks] [--repeat N]

Each run prints its exit code, wall time, CPU time (user + system, the steadier figure on a
shared machine) and peak RSS. ``--cache DIR`` starts from a copy of an existing cache (the
"cold" run is then warm too; the copy leaves DIR as it was); ``--offline`` runs every
analysis with ``--offline`` (with ``--cache``: the cache alone answers); ``--no-locks``
skips ``generate`` and pip; ``--repeat N`` runs the warm analysis N times (the figures
vary with the machine's load).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEPSPLIT = [sys.executable, "-m", "depsplit"]


def _run(name: str, args: list[str], env: dict[str, str], out: Path) -> int:
    started = time.monotonic()
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *DEPSPLIT, *args], env=env, capture_output=True, text=True
    )
    wall = time.monotonic() - started
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    rss = int(found.group(1)) // 1024 if found else -1
    cpu = sum(
        float(m.group(1))
        for m in re.finditer(r"(?:User|System) time \(seconds\): ([\d.]+)", proc.stderr)
    )
    (out / f"{name}.stderr").write_text(proc.stderr)
    traceback = " TRACEBACK" if "Traceback" in proc.stderr else ""
    print(
        f"{name:14} exit={proc.returncode} wall={wall:6.1f}s cpu={cpu:6.1f}s "
        f"rss={rss}MB{traceback}",
        flush=True,
    )
    return proc.returncode


def _locks(deploy: Path, pip: str) -> None:
    """Every group's lock checked by ``benchmarks/wheel_dryrun.py`` (pip's dry run at the
    group's Python for a glibc 2.36 x86_64 image, its markers evaluated for that Python, a
    stand-in wheel for each release the image builds from its sdist, the lock's hashes
    required), run by ``pip`` (a Python whose pip is 23.3 or newer): its failures and its
    "N of M groups pass"."""
    script = Path(__file__).with_name("wheel_dryrun.py")
    proc = subprocess.run(
        [pip, str(script), str(deploy), "--jobs", "4"], capture_output=True, text=True
    )
    for line in proc.stdout.splitlines():
        if line.startswith("FAIL") or "groups pass" in line:
            print(f"locks: {line[:300]}", flush=True)
    if proc.returncode not in (0, 1):
        print(f"locks: wheel_dryrun.py exited {proc.returncode}: {proc.stderr[-500:]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("label")
    parser.add_argument("pipconf", choices=["machine", "none"])
    parser.add_argument("--pip", default=sys.executable, help="the Python whose pip checks")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--cache", type=Path, help="start from a copy of this cache")
    parser.add_argument("--offline", action="store_true", help="every run offline")
    parser.add_argument("--no-locks", action="store_true", help="no generate, no pip")
    parser.add_argument("--repeat", type=int, default=1, help="warm runs")
    options = parser.parse_args()
    out = options.workdir / f"{options.label}-{options.pipconf}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = dict(os.environ)
    if options.pipconf == "none":
        env["PIP_CONFIG_FILE"] = os.devnull
    cache = str(out / "cache")
    if options.cache is not None:
        shutil.copytree(options.cache, cache, symlinks=True)
    root = str(options.root)
    phases = ["cold", *(f"warm{i}" if i else "warm" for i in range(options.repeat))]
    for phase in phases:
        report = str(out / f"{phase}.json")
        args = ["analyze", root, "--transitive", "--cache-dir", cache]
        if options.offline:
            args.append("--offline")
        _run(f"analyze-{phase}", [*args, "--format", "json", "--output", report], env, out)
    for phase in phases[1:]:
        same = filecmp.cmp(out / "cold.json", out / f"{phase}.json", shallow=False)
        print(f"cold/{phase} reports identical: {same}", flush=True)
    if options.no_locks:
        return
    tree = out / "tree"
    shutil.copytree(options.root, tree, symlinks=True)
    deploy = tree / "deploy"
    code = _run(
        "generate-warm",
        ["generate", str(tree), "-o", str(deploy), "--transitive", "--cache-dir", cache],
        env,
        out,
    )
    if code != 2 and (deploy / "depsplit-plan.json").exists():
        _locks(deploy, options.pip)


if __name__ == "__main__":
    main()
