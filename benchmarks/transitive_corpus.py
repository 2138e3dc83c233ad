"""``--transitive`` on a repository as a user runs it: cold (a fresh ``--cache-dir``) then
warm, exit code, wall time and peak RSS (``/usr/bin/time -v``), whether the two JSON
reports are the same to the byte, then ``generate`` into a copy of the repository and a
``pip install --dry-run --require-hashes --only-binary=:all:`` of every group's lock at the
group's Python (PIP_CONFIG_FILE=/dev/null: the real index).

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
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEPSPLIT = [sys.executable, "-m", "depsplit"]
GLIBC_236 = [
    *(f"manylinux_2_{m}_x86_64" for m in range(36, 4, -1)),
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
    "linux_x86_64",
]


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


def _interpreter(minor: str, fallback: str) -> tuple[str, bool]:
    """A CPython ``minor`` on this machine (pyenv's, else ``pythonX.Y`` on PATH) whose pip
    has ``--dry-run``, and whether one was found: pip's ``--python-version`` sets the tags
    and ``Requires-Python`` it checks, but it evaluates environment markers for the
    interpreter running it (a lock holding no
    ``overrides`` because jupyter_server asks for it only ``python_version < '3.12'`` fails
    a 3.11 pip's check of a 3.14 lock). Else ``fallback``, and the markers are its own."""
    pyenv = Path.home() / ".pyenv" / "versions"
    places = [str(v / "bin" / "python") for v in sorted(pyenv.glob(f"{minor}.*"), reverse=True)]
    places.append(shutil.which(f"python{minor}") or "")
    for found in places:
        if found and Path(found).exists() and _has_dry_run(found):
            return found, True
    return fallback, False


def _has_dry_run(python: str) -> bool:
    """Its pip has ``install --dry-run`` (pip 22.2)."""
    proc = subprocess.run(
        [python, "-m", "pip", "--version"], capture_output=True, text=True, check=False
    )
    match = re.match(r"pip (\d+)\.(\d+)", proc.stdout)
    return bool(match) and (int(match[1]), int(match[2])) >= (22, 2)


def _locks(deploy: Path, platforms: list[str], pip: str, label: str) -> None:
    plan = json.loads((deploy / "depsplit-plan.json").read_text())
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull)
    passed = 0
    foreign: list[str] = []
    for group in plan["groups"]:
        lock = deploy / group["name"] / "requirements.txt"
        checker, own = _interpreter(group["python"], pip)
        if not own:
            foreign.append(f"{group['name']} ({group['python']})")
        args = [checker, "-m", "pip", "install", "--dry-run", "--ignore-installed", "-q"]
        args += ["--require-hashes", "--only-binary=:all:", "--python-version", group["python"]]
        args += [x for p in platforms for x in ("--platform", p)]
        args += ["--target", tempfile.mkdtemp(), "-r", str(lock)]
        proc = subprocess.run(args, env=env, capture_output=True, text=True)
        if proc.returncode == 0:
            passed += 1
            continue
        errors = [
            line[:200]
            for line in proc.stderr.splitlines()
            if line.startswith("ERROR") and "Ignored the following" not in line
        ]
        builds = [b["package"] for b in group.get("builds", [])]
        print(f"  {group['name']} ({group['python']}, builds={builds}): {errors[:1]}")
    print(f"locks [{label}]: {passed}/{len(plan['groups'])} pass", flush=True)
    if foreign:
        print(
            f"  checked by {pip}'s pip, markers evaluated for its Python (no interpreter of "
            f"their own here): {', '.join(foreign)}",
            flush=True,
        )


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
        _locks(deploy, ["manylinux_2_28_x86_64"], options.pip, "manylinux_2_28 only")
        _locks(deploy, GLIBC_236, options.pip, "glibc 2.36 image")


if __name__ == "__main__":
    main()
