"""Benchmarks across repository shapes, against the floors of issue 17.

Run from the repository root (the machine otherwise idle; ``nice`` it on a shared one)::

    .venv/bin/python benchmarks/shapes.py                          # 1,000 and 10,000 apps
    .venv/bin/python benchmarks/shapes.py --sizes 1000 --repeat 3  # a quick look
    .venv/bin/python benchmarks/shapes.py --sizes 1000,10000,50000 # the 50,000 rows too
    .venv/bin/python benchmarks/shapes.py --shapes subsets,pins    # some shapes only

The shapes (every generator is seeded: same arguments, same bytes):

``gen``
    ``tests/gen.py``'s monorepo: ten requirement lines per app in five formats, ``-r``
    includes of shared files, markers, a pivot package pinned to 8 versions (a planted
    optimum of 8 groups) and three-way traps. Many apps are alike.
``subsets``
    400 packages; each app belongs to one of 8 eras and draws a random subset of 4 to 9 of
    them, each pinned or ranged inside its era's release line (apps of two eras conflict
    on every package they share); 10 three-way traps; requirements.txt (with a
    requirements-dev.txt), PEP 621 pyproject.toml (with a dev extra) and split files
    (``requirements/base.txt``, ``prod.txt`` including it, ``dev.txt``). Few apps alike.
``pins``
    every app pins its own release of a few packages (``boto3==1.26.i``,
    ``botocore==1.29.i``) beside shared unpinned ones: every pair of apps conflicts.
``corpus``
    the real repositories of ``../shared/corpus`` (373 apps), replicated (hard links) as
    many times as it takes to reach the size, so the app count is a multiple of 373;
    skipped when the corpus is absent.

For each shape and size, in a fresh process each time (start-up included, with depsplit's
modules byte-compiled first as an installed depsplit has them: pip compiles them on
install, and ``PYTHONDONTWRITEBYTECODE`` would otherwise make every run compile; best of
``--repeat``): ``depsplit analyze PATH --format json`` and ``depsplit generate PATH -o
PATH/deploy`` (into an empty OUTDIR), with their peak memory (``ru_maxrss`` from
``wait4``: the largest process of the run) and report size (the JSON report; the plan
file), and the parse-only floor: a fresh interpreter that reads every dependency file
and parses every requirement line with ``packaging.requirements.Requirement`` alone,
timed the same way in the same run; the ratio is depsplit's time over it. A
``generate`` row also prints the disk's floor for its output ("write-only"): the same
files written by a bare interpreter the least way an atomic, durable writer can
(:func:`write_only`); not one of the issue's floors, it tells how much of the row is
the disk (thousands of groups are tens of thousands of files). Then the
fixed rows: 1,500 apps on 1,500 distinct pins of one package (``onepin``); re-generating
1,000 ``subsets`` apps after every pin changed (every version moved to the next release
line; the OUTDIR holds the previous generation, restored before each run), plain and with
``--check``; the realpython repository and the whole corpus as one monorepo.

Each row is compared to the floors of issue 17 (``FLOORS`` below) and printed "met" or
"NOT met". A run is stopped at ``--timeout`` seconds or ``--memory`` MB of address space
(the machine is shared): it is then reported as over the limit, NOT met. Nothing here
asserts; generated repositories live in ``--workdir`` (default ``$TMPDIR/depsplit-shapes``),
never in the repository.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = REPO.parent / "shared" / "corpus"
SHAPES = ("gen", "subsets", "pins", "corpus")
ERAS = 8
PACKAGES = 400
TRAPS = 10
TRAP_SPECS = (">=1,<3", ">=2,<4", ">=1,<4,!=2.*")
MB = 1_000_000


# --------------------------------------------------------------------------- the shapes


def make_gen(root: Path, n: int, seed: int) -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from gen import generate_monorepo  # type: ignore[import-not-found]

    generate_monorepo(root, n, seed=seed, k_groups=8)


def _write(root: Path, files: dict[str, str]) -> None:
    made: set[Path] = set()
    for rel, text in files.items():
        target = root / rel
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_text(text, encoding="utf-8")


def _subsets_spec(rng: random.Random, era: int, minor: int) -> str:
    """A requirement inside release line ``era + 1`` of a package (true version
    ``era+1.minor.2``): apps of one era agree, apps of two eras never do."""
    major = era + 1
    kind = rng.randrange(5)
    if kind == 0:
        return f"=={major}.{minor}.2"
    if kind == 1:
        return f">={major}.0,<{major + 1}"
    if kind == 2:
        return f"~={major}.{minor}.0"
    if kind == 3:
        return f">={major}.{minor},<{major}.{minor + 1}"
    return f"=={major}.{minor}.*"


def subsets_files(n: int, seed: int, shift: int = 0) -> dict[str, str]:
    """The ``subsets`` shape; ``shift`` moves every era to another release line (every
    pin changes; the structure, hence the groups, stays)."""
    rng = random.Random(seed)
    minors = [rng.randrange(9) for _ in range(PACKAGES)]
    names = [f"pkg{i:03d}-{('core', 'io', 'net', 'db', 'ui')[i % 5]}" for i in range(PACKAGES)]
    trio_apps = {rng.randrange(n): (t, k) for t in range(TRAPS) for k in range(3)} if n > 60 else {}
    files: dict[str, str] = {}
    width = max(4, len(str(n)))
    for i in range(n):
        era = i % ERAS if i < ERAS else rng.randrange(ERAS)
        shown = (era + shift) % ERAS + shift // ERAS * ERAS
        picks = sorted(rng.sample(range(PACKAGES), rng.randint(4, 9)))
        lines = [f"{names[p]}{_subsets_spec(rng, shown, minors[p])}" for p in picks]
        if i in trio_apps:
            t, k = trio_apps[i]
            lines.append(f"trap{t}-pkg{TRAP_SPECS[k]}")
        if rng.randrange(6) == 0:
            lines.append(
                f'{names[rng.randrange(PACKAGES)]}=={shown + 1}.0; sys_platform == "win32"'
            )
        dev = [
            f"pytest>={7 + shift % 2}",
            f"{names[rng.randrange(PACKAGES)]}=={rng.randrange(9)}.{shift}",
        ]
        path = f"{('services', 'jobs', 'libs')[i % 3]}/app-{i:0{width}d}"
        fmt = i % 3
        if fmt == 0:
            files[f"{path}/requirements.txt"] = "\n".join([f"# app {i}", *lines]) + "\n"
            files[f"{path}/requirements-dev.txt"] = "\n".join(["-r requirements.txt", *dev]) + "\n"
        elif fmt == 1:
            deps = "".join(f'    "{line.replace(chr(34), chr(39))}",\n' for line in lines)
            extra = "".join(f'    "{line}",\n' for line in dev)
            files[f"{path}/pyproject.toml"] = (
                f'[project]\nname = "app-{i}"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
                f"dependencies = [\n{deps}]\n\n[project.optional-dependencies]\n"
                f"dev = [\n{extra}]\n"
            )
        else:
            half = len(lines) // 2
            files[f"{path}/requirements/base.txt"] = "\n".join(lines[:half]) + "\n"
            files[f"{path}/requirements/prod.txt"] = (
                "\n".join(["-r base.txt", *lines[half:], "gunicorn>=21"]) + "\n"
            )
            files[f"{path}/requirements/dev.txt"] = "\n".join(["-r prod.txt", *dev]) + "\n"
    return files


def make_subsets(root: Path, n: int, seed: int, shift: int = 0) -> None:
    _write(root, subsets_files(n, seed, shift))


def pins_files(
    n: int, seed: int, packages: Sequence[str] = ("boto3", "botocore")
) -> dict[str, str]:
    """Every app pins its own release of ``packages`` (``1.26.i``, ``1.29.i``, …) beside
    shared unpinned requirements."""
    rng = random.Random(seed)
    shared = ["requests>=2.28", "urllib3<3", "python-dateutil>=2.8", "jmespath>=0.7"]
    width = max(4, len(str(n)))
    files = {}
    for i in range(n):
        pinned = [f"{name}==1.{26 + 3 * k}.{i}" for k, name in enumerate(packages)]
        extra = rng.sample(shared, rng.randint(1, len(shared)))
        files[f"apps/app-{i:0{width}d}/requirements.txt"] = "\n".join([*pinned, *extra]) + "\n"
    return files


def make_pins(root: Path, n: int, seed: int) -> None:
    _write(root, pins_files(n, seed))


def make_onepin(root: Path, n: int, seed: int) -> None:
    _write(root, pins_files(n, seed, packages=("boto3",)))


def make_corpus(root: Path, n: int, seed: int) -> None:
    """``../shared/corpus`` replicated (hard links when the file system allows) until it
    holds at least ``n`` apps."""
    sys.path.insert(0, str(REPO))
    from depsplit.analyze import Options, analyze

    copies = -(-n // len(analyze(CORPUS, None, Options(lenient=True)).apps))
    for k in range(copies):
        shutil.copytree(CORPUS, root / f"copy-{k:03d}", symlinks=True, copy_function=_link_or_copy)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


MAKERS: dict[str, Callable[[Path, int, int], None]] = {
    "gen": make_gen,
    "subsets": make_subsets,
    "pins": make_pins,
    "corpus": make_corpus,
    "onepin": make_onepin,
}


def repository(workdir: Path, shape: str, n: int, seed: int) -> Path:
    """The generated repository (made once, kept in ``workdir`` between runs)."""
    root = workdir / f"{shape}-{n}-s{seed}"
    stamp = workdir / f".{root.name}.complete"
    if not stamp.exists():
        if root.exists():
            shutil.rmtree(root)
        make(shape, root, n, seed)
        stamp.write_text("ok\n")
    return root


def make(shape: str, root: Path, n: int, seed: int, shift: int = 0) -> None:
    """Write a repository of ``shape`` in a child process: this one stays small, since Linux
    counts a parent's resident memory at fork in the peak of the children it starts."""
    cmd = [sys.executable, __file__, "--make", shape, str(n), str(seed), str(shift), str(root)]
    subprocess.run(cmd, check=True, cwd=REPO)


def _make_here(shape: str, root: Path, n: int, seed: int, shift: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    if shift:
        _write(root, subsets_files(n, seed, shift))
    else:
        MAKERS[shape](root, n, seed)


# --------------------------------------------------------------------------- measuring


@dataclass
class Run:
    seconds: float
    peak_mb: float
    code: int
    over: str = ""
    """Why the run was stopped ("> 120 s", "> 3000 MB"), or ""."""
    cpu: float = 0.0
    """User and system CPU seconds: steadier than wall time on a busy machine."""
    note: str = ""
    """The last line of the error output of a run that failed."""


@dataclass
class Limits:
    timeout: float
    memory_mb: int
    repeat: int


def run_once(cmd: Sequence[str], limits: Limits, stdout: Any = subprocess.DEVNULL) -> Run:
    """One process, timed from outside; peak RSS from ``wait4``."""
    limit = limits.memory_mb * MB
    env = {**os.environ, "DEPSPLIT_INDEX_FACTS": "0", "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        # No preexec_fn: the child is then started with vfork, so it does not begin with
        # this process's resident memory counted in its peak (fork then exec would); the
        # limit is set on it right away.
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=err, env=env, cwd=REPO)
        resource.prlimit(proc.pid, resource.RLIMIT_AS, (limit, limit))
        over = ""
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > limits.timeout:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                over = f"> {limits.timeout:g} s"
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-4000:].decode(errors="replace")
    note = ""
    if not over and proc.returncode not in (0, 1):
        lines = tail.strip().splitlines()
        note = lines[-1][:200] if lines else ""
        # Out of address space: a MemoryError (depsplit's internal error, or a traceback).
        memory = "MemoryError" in tail or "memory" in note.lower() or proc.returncode < 0
        over = f"> {limits.memory_mb} MB" if memory else f"exit {proc.returncode}"
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, usage.ru_maxrss * 1024 / MB, proc.returncode, over, cpu, note)


def best(runs: Callable[[], Run], limits: Limits, floor: float | None = 3.0) -> Run:
    """Best of ``limits.repeat`` runs; no more runs once one was stopped, or took over
    three times ``floor`` (the 3 s of most floors: a verdict that noise cannot change)."""
    found: Run | None = None
    for _ in range(limits.repeat):
        run = runs()
        if found is None or (not run.over and run.seconds < found.seconds):
            found = run
        if run.over or (floor is not None and run.seconds > 3 * floor):
            break
    assert found is not None
    return found


def compile_depsplit() -> None:
    """Byte-compile depsplit's modules, as ``pip install`` does (see the module docstring)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cmd = [sys.executable, "-m", "compileall", "-q", str(REPO / "depsplit")]
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)


def depsplit(*args: str) -> list[str]:
    return [sys.executable, "-m", "depsplit", *args]


PARSE_ONLY = r"""
import os, sys
from packaging.requirements import InvalidRequirement, Requirement
SKIP = {"node_modules", "__pycache__", "site-packages", "build", "dist", "venv", "env", "deploy"}
NAMES = {"pyproject.toml", "Pipfile", "setup.cfg"}

def text_of(line):
    line = line.strip()
    if not line or line[0] in "#[-{}]":
        return None
    if line[0] in "\"'":  # a PEP 508 string in a TOML array
        return line.rstrip(",").strip("\"'")
    key, eq, value = line.partition("=")
    if eq and not key.rstrip().endswith(("<", ">", "!", "~", "=")) and value[:1] != "=":
        value = value.strip().strip("\"'")  # a Poetry / Pipfile key, or an ini option
        key = key.strip().strip("\"'")
        return key + (value if value[:1] in "<>=!~" else "")
    return line

lines = parsed = 0
for top, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if d[0] != "." and d not in SKIP]
    for name in files:
        if not (name in NAMES or name.endswith((".txt", ".in"))):
            continue
        with open(os.path.join(top, name), "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
        for line in text.splitlines():
            req = text_of(line)
            if req is None:
                continue
            lines += 1
            try:
                Requirement(req)
                parsed += 1
            except InvalidRequirement:
                pass
print(lines, parsed)
"""


def parse_only(root: Path, limits: Limits) -> tuple[Run, int]:
    """The floor: read every dependency file and parse each requirement line with packaging
    alone, in a fresh interpreter. Also the number of lines it parsed."""
    cmd = [sys.executable, "-c", PARSE_ONLY, str(root)]
    counted: list[bytes] = []

    def once() -> Run:
        with tempfile.TemporaryFile() as out:
            run = run_once(cmd, limits, stdout=out)
            out.seek(0)
            counted[:] = out.read().split()
        return run

    run = best(once, limits, None)
    return run, int(counted[1]) if len(counted) == 2 else 0


WRITE_ONLY = r"""
import os, sys, threading, time
src, dst = sys.argv[1], sys.argv[2]
files = []
for top, dirs, names in os.walk(src):
    dirs.sort()
    for name in sorted(names):
        with open(os.path.join(top, name), "rb") as fh:
            files.append((os.path.relpath(os.path.join(top, name), src), fh.read()))
started = time.perf_counter()
folders = sorted({os.path.dirname(rel) for rel, _ in files} - {""})
os.mkdir(dst)
for folder in folders:
    os.makedirs(os.path.join(dst, folder), exist_ok=True)

def stage(first):
    for rel, data in files[first::16]:
        fd = os.open(os.path.join(dst, rel + ".tmp"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
        os.close(fd)

threads = [threading.Thread(target=stage, args=(k,)) for k in range(16)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
for rel, _ in files:
    os.replace(os.path.join(dst, rel + ".tmp"), os.path.join(dst, rel))
for folder in ["", *folders]:
    fd = os.open(os.path.join(dst, folder), os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
print(time.perf_counter() - started)
"""


def write_only(outdir: Path, limits: Limits) -> float | None:
    """The disk's floor for a ``generate`` output: a fresh interpreter reads the files of
    ``outdir`` (untimed), then writes the same bytes into an empty sibling directory the
    least way an atomic, durable writer can (each file written and fsynced to a temporary
    name, 16 at once, as depsplit's writer; renamed; every directory fsynced), timed from
    inside. Best of ``limits.repeat``; ``None`` when it failed. Tells how much of a
    ``generate`` row is this machine's disk (its speed varies several times over an hour
    of heavy writing here)."""
    if not outdir.is_dir():
        return None
    dest = outdir.with_name(outdir.name + "-write-only")
    found: float | None = None
    for _ in range(limits.repeat):
        shutil.rmtree(dest, ignore_errors=True)
        done = subprocess.run(
            [sys.executable, "-c", WRITE_ONLY, str(outdir), str(dest)],
            capture_output=True,
            text=True,
            check=False,
            timeout=limits.timeout,
        )
        shutil.rmtree(dest, ignore_errors=True)
        if done.returncode != 0:
            return None
        seconds = float(done.stdout.split()[-1])
        found = seconds if found is None else min(found, seconds)
    return found


def analyze_run(root: Path, limits: Limits, report: Path, lenient: bool) -> Run:
    args = ["analyze", str(root), "--format", "json", "--fail-on", "never"]
    if lenient:
        args.append("--lenient")

    def once() -> Run:
        with report.open("wb") as fh:
            return run_once(depsplit(*args), limits, stdout=fh)

    return best(once, limits)


def generate_run(
    root: Path, limits: Limits, lenient: bool, before: Path | None = None, check: bool = False
) -> Run:
    """``depsplit generate`` into ``root/deploy``: empty, or a copy of ``before``."""
    outdir = root / "deploy"
    args = ["generate", str(root), "-o", str(outdir)]
    if lenient:
        args.append("--lenient")
    if check:
        args.append("--check")

    def once() -> Run:
        if outdir.exists():
            shutil.rmtree(outdir)
        if before is not None:
            shutil.copytree(before, outdir, symlinks=True)
        return run_once(depsplit(*args), limits)

    return best(once, limits)


# --------------------------------------------------------------------------- the floors


@dataclass
class Row:
    name: str
    command: str
    apps: int
    run: Run
    size: int = 0
    """Bytes of the JSON report (analyze) or the plan file (generate)."""
    floor: Run | None = None
    checks: list[tuple[str, bool]] = field(default_factory=list)
    write_only: float | None = None
    """``generate``: the disk's floor for writing its output (:func:`write_only`)."""

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.run.over or not self.floor.seconds:
            return None
        return self.run.seconds / self.floor.seconds

    def check(self, what: str, ok: bool) -> None:
        self.checks.append((what, ok and not self.run.over and self.run.code in (0, 1)))


def judge(row: Row) -> None:
    """The floors of issue 17 that concern ``row`` (see the module)."""
    r = row.run
    shape = row.name.split()[0]
    if shape in SHAPES and row.apps >= 10_000 and row.apps < 50_000:
        row.check("< 3 s", r.seconds < 3)
        row.check("< 300 MB", r.peak_mb < 300)
        row.check("ratio <= 3", row.ratio is not None and row.ratio <= 3)
    if shape in SHAPES and row.apps >= 50_000:
        row.check("< 15 s", r.seconds < 15)
        row.check("< 1.5 GB", r.peak_mb < 1500)
    if shape == "onepin" and row.apps >= 1500 and row.command == "analyze":
        row.check("< 1 s", r.seconds < 1)
        row.check("JSON < 2 MB", row.size < 2 * MB)
    if shape == "onepin" and row.apps >= 1500 and row.command == "generate":
        row.check("< 3 s", r.seconds < 3)
        row.check("< 300 MB", r.peak_mb < 300)
    if row.command == "re-generate" and row.apps >= 1000:
        row.check("< 3 s", r.seconds < 3)
    if shape in ("realpython", "corpus-as-one") and row.command == "analyze":
        row.check("< 0.5 s", r.seconds < 0.5)


def growth(rows: Sequence[Row]) -> list[str]:
    """Per shape and command, from each size to the next: time and memory per app may grow
    at most 1.5x per decade (``(b/a) / (n_b/n_a)`` against ``1.5 ** log10(n_b/n_a)``)."""
    out = []
    keyed: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        shape = row.name.split()[0]
        if shape in SHAPES:
            keyed.setdefault((shape, row.command), []).append(row)
    for (shape, command), series in keyed.items():
        series.sort(key=lambda r: r.apps)
        for a, b in itertools.pairwise(series):
            scale = b.apps / a.apps
            allowed = 1.5 ** math.log10(scale)
            if a.run.over or b.run.over or not a.run.seconds or not a.run.peak_mb:
                out.append(
                    f"{shape} {command} {a.apps:,} -> {b.apps:,}: a run hit the limit: NOT met"
                )
                continue
            t = (b.run.seconds / a.run.seconds) / scale
            m = (b.run.peak_mb / a.run.peak_mb) / scale
            ok = t <= allowed and m <= allowed
            times = b.run.seconds / a.run.seconds
            out.append(
                f"{shape} {command} {a.apps:,} -> {b.apps:,}: time x{times:.1f}"
                f", memory x{b.run.peak_mb / a.run.peak_mb:.1f} for x{scale:.1f} apps (per app "
                f"x{t:.2f} and x{m:.2f}, at most x{allowed:.2f}): {'met' if ok else 'NOT met'}"
            )
    return out


# --------------------------------------------------------------------------- the table


def _seconds(run: Run) -> str:
    return run.over if run.over else f"{run.seconds:.2f}"


def table(rows: Sequence[Row]) -> str:
    head = ["repository", "command", "apps", "seconds", "CPU s", "peak MB", "size MB"]
    head += ["parse-only s", "ratio", "write-only s", "exit", "floors"]
    body = []
    for row in rows:
        verdict = ", ".join(f"{what} {'met' if ok else 'NOT met'}" for what, ok in row.checks)
        body.append(
            [
                row.name,
                row.command,
                f"{row.apps:,}",
                _seconds(row.run),
                f"{row.run.cpu:.2f}",
                f"{row.run.peak_mb:.0f}",
                f"{row.size / MB:.2f}" if row.size else "-",
                _seconds(row.floor) if row.floor else "-",
                f"{row.ratio:.1f}" if row.ratio is not None else "-",
                f"{row.write_only:.2f}" if row.write_only is not None else "-",
                str(row.run.code),
                verdict or "-",
            ]
        )
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(
            c.ljust(w) if i in (0, 1, 11) else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()
        for cells in body
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="app counts (50000 by asking)")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measure (best of)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per run")
    parser.add_argument("--memory", type=int, default=3000, help="MB of address space per run")
    parser.add_argument("--onepin", type=int, default=1500, help="apps of the onepin row (0: none)")
    parser.add_argument(
        "--regenerate", type=int, default=1000, help="apps of the re-generate rows (0: none)"
    )
    parser.add_argument(
        "--no-corpus-rows", action="store_true", help="skip realpython and the corpus as one"
    )
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "depsplit-shapes"
    )
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    parser.add_argument("--make", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.make:  # the child process of make()
        shape, n, seed, shift, root = args.make
        _make_here(shape, Path(root), int(n), int(seed), int(shift))
        return 0

    limits = Limits(args.timeout, args.memory, max(1, args.repeat))
    compile_depsplit()
    args.workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    shapes = [s for s in args.shapes.split(",") if s.strip()]
    for shape in shapes:
        if shape not in SHAPES:
            parser.error(f"unknown shape {shape!r} (one of {', '.join(SHAPES)})")
    report = args.workdir / "report.json"
    rows: list[Row] = []

    def emit(row: Row) -> None:
        judge(row)
        rows.append(row)
        verdict = ", ".join(f"{w} {'met' if ok else 'NOT met'}" for w, ok in row.checks)
        print(
            f"  {row.name} {row.command}: {_seconds(row.run)}{'' if row.run.over else ' s'} "
            f"(CPU {row.run.cpu:.2f} s), "
            f"{row.run.peak_mb:.0f} MB"
            + (f", {row.size / MB:.2f} MB" if row.size else "")
            + (f", ratio {row.ratio:.1f}" if row.ratio is not None else "")
            + (f", write-only {row.write_only:.2f} s" if row.write_only is not None else "")
            + (f"  [{verdict}]" if verdict else "")
            + (f"\n    stopped: {row.run.note}" if row.run.note else ""),
            flush=True,
        )

    def measure(name: str, root: Path, size: int, lenient: bool = False) -> None:
        floor, parsed = parse_only(root, limits)
        run = analyze_run(root, limits, report, lenient)
        n = count_apps(report) or size  # a run stopped wrote no report
        print(
            f"{name}: {n:,} apps, parse-only {floor.seconds:.2f} s ({parsed:,} lines)", flush=True
        )
        emit(Row(name, "analyze", n, run, report.stat().st_size, floor))
        run = generate_run(root, limits, lenient)
        plan = root / "deploy" / "depsplit-plan.json"
        size = plan.stat().st_size if plan.exists() else 0
        written = write_only(root / "deploy", limits) if plan.exists() else None
        emit(Row(name, "generate", n, run, size, floor, write_only=written))
        shutil.rmtree(root / "deploy", ignore_errors=True)

    corpus = CORPUS.is_dir()
    for n in sizes:
        for shape in shapes:
            if shape == "corpus" and not corpus:
                print(f"corpus: skipped (no corpus at {CORPUS})")
                continue
            t = time.perf_counter()
            root = repository(args.workdir, shape, n, args.seed)
            print(f"[{shape} {n:,}: {root} ({time.perf_counter() - t:.1f} s to make)]", flush=True)
            measure(f"{shape} {n:,}", root, n, lenient=shape == "corpus")

    if args.onepin:
        root = repository(args.workdir, "onepin", args.onepin, args.seed)
        measure(f"onepin {args.onepin:,}", root, args.onepin)

    if args.regenerate:
        n = args.regenerate
        root = args.workdir / f"regenerate-{n}-s{args.seed}"
        if root.exists():
            shutil.rmtree(root)
        make("subsets", root, n, args.seed)
        before = args.workdir / f"regenerate-{n}-before"
        shutil.rmtree(before, ignore_errors=True)
        first = generate_run(root, Limits(limits.timeout, limits.memory_mb, 1), False)
        shutil.move(str(root / "deploy"), before)
        print(f"subsets {n:,}, every pin changed: first generate {first.seconds:.2f} s", flush=True)
        make("subsets", root, n, args.seed, shift=1)
        run = generate_run(root, limits, False, before=before)
        plan = root / "deploy" / "depsplit-plan.json"
        emit(Row(f"subsets {n:,}, every pin changed", "re-generate", n, run, plan.stat().st_size))
        run = generate_run(root, limits, False, before=before, check=True)
        emit(Row(f"subsets {n:,}, every pin changed", "generate --check", n, run))
        shutil.rmtree(root)
        shutil.rmtree(before)

    if not args.no_corpus_rows and corpus:
        for name, root in (
            ("realpython", CORPUS / "realpython__materials"),
            ("corpus-as-one", CORPUS),
        ):
            floor, _ = parse_only(root, limits)
            run = analyze_run(root, limits, report, True)
            emit(Row(name, "analyze", count_apps(report), run, report.stat().st_size, floor))

    print()
    print(f"machine: {machine()}; best of {limits.repeat}; start-up included")
    print(table(rows))
    lines = growth(rows)
    if lines:
        print()
        print("growth (per app, at most 1.5x per decade):")
        for line in lines:
            print(f"  {line}")
    if args.json:
        data = [
            {
                "name": r.name,
                "command": r.command,
                "apps": r.apps,
                "seconds": r.run.seconds,
                "peak_mb": r.run.peak_mb,
                "cpu": r.run.cpu,
                "over": r.run.over,
                "exit": r.run.code,
                "size": r.size,
                "parse_only": r.floor.seconds if r.floor else None,
                "write_only": r.write_only,
                "floors": dict(r.checks),
            }
            for r in rows
        ]
        args.json.write_text(json.dumps({"machine": machine(), "rows": data}, indent=2) + "\n")
    return 0


def count_apps(report: Path) -> int:
    """The apps of a JSON report (0 when the run wrote none), read line by line: the report
    writes one app per line, and loading a report of hundreds of megabytes would grow this
    process (whose resident memory its children may start with)."""
    count = 0
    inside = False
    with report.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith('  "apps": ['):
                inside = not line.rstrip().endswith("[]")
            elif inside and line.startswith("  ]"):
                break
            elif inside:
                count += 1
    return count


def machine() -> str:
    sys.path.insert(0, str(HERE))
    from run import machine as describe  # type: ignore[import-not-found]

    return str(describe())


if __name__ == "__main__":
    sys.exit(main())
