"""depsplit's benchmark suite: phase times, peak memory and a pip comparison.

Run from the repository root::

    .venv/bin/python benchmarks/run.py                      # 100, 1,000 and 10,000 apps + corpus
    .venv/bin/python benchmarks/run.py --sizes 100,1000     # some sizes only
    .venv/bin/python benchmarks/run.py --corpus             # only the real apps of ../shared/corpus
    .venv/bin/python benchmarks/run.py --no-pip             # skip the pip comparison

What it does, for each size: ``tests/gen.py`` writes a synthetic monorepo (about ten
requirement lines per app in five formats, ``-r`` includes of shared files, markers, planted
pairwise and three-way conflicts, a planted optimum of ``--groups`` groups) into a work
directory (kept between runs: ``--workdir``, default ``$TMPDIR/depsplit-bench``). Then, in
a fresh interpreter per repository (so that peak memory is that run's alone):

* the phases of :func:`depsplit.analyze.analyze` — discover, read, conflicts, partition
  (with its whole-group checks) — timed by wrapping the module's own functions, and the
  JSON report rendered;
* peak memory (``ru_maxrss`` of that interpreter, start-up included);
* the command a user runs, ``depsplit analyze PATH --format json > /dev/null``, timed from
  outside (interpreter start-up included), best of ``--repeat`` runs.

The table also checks the answer: the groups found against the planted optimum, whether
the partition is proven optimal, and the number of conflicts and of the app sets they stand
for (one per choice of an app per side).

The pip comparison ("peers"): for a sample of app pairs, the time ``pip install --dry-run
--no-deps --no-index --find-links WHEELS -r a.txt -r b.txt`` takes to say whether the two
apps can share an environment (tiny wheels for every version named are built in a temporary
directory; ``a.txt`` holds the app's production requirements as depsplit read them), times
the number of pairs of the repository, against depsplit's conflicts phase finding them all.

Nothing here asserts: the figures are printed. Targets (see the README's "Performance"):
10,000 apps end to end under 10 s and 1 GiB; a real repository of about 400 apps under
1 s (the whole corpus as one monorepo: 373 apps; realpython alone: 276).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = REPO.parent / "shared" / "corpus"
CORPUS_REPOS = ("realpython__materials", "aws-samples__aws-cdk-examples", "docker__awesome-compose")
PHASES = ("discover", "read", "conflicts", "partition", "report")


# --------------------------------------------------------------------------- one run


def measure(root: Path) -> dict[str, Any]:
    """Analyse ``root`` once in this interpreter, timing each phase (run in a subprocess)."""
    started = time.perf_counter()
    sys.path.insert(0, str(REPO))
    from depsplit import analyze as pipeline
    from depsplit.conflicts import sides
    from depsplit.report import json as json_report

    imported = time.perf_counter() - started
    times = dict.fromkeys(PHASES, 0.0)

    def timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                times[name] += time.perf_counter() - t

        return wrapper

    # The pipeline calls these through its module globals: wrapping them times each phase
    # of the real run without changing it. ``read`` includes ``discover``: subtracted below.
    pipeline.walk = timed("discover", pipeline.walk)  # type: ignore[attr-defined]
    pipeline.read_apps = timed("read", pipeline.read_apps)
    pipeline.analyze_conflicts = timed("conflicts", pipeline.analyze_conflicts)
    pipeline.plan_groups = timed("partition", pipeline.plan_groups)
    t = time.perf_counter()
    plan = pipeline.analyze(root, None, pipeline.Options(lenient=True))
    total = time.perf_counter() - t
    t = time.perf_counter()
    text = json_report.render(plan)
    times["report"] = time.perf_counter() - t
    times["read"] -= times["discover"]
    sets = sum(math.prod(len(side) for side in sides(c)) for c in plan.conflicts)
    lines = sum(len(a.requirements) for a in plan.apps)
    return {
        "apps": len(plan.apps),
        "lines": lines,
        "import": imported,
        **times,
        "analyze": total,
        "conflicts_n": len(plan.conflicts),
        "sets_n": sets,
        "groups": len(plan.groups),
        "optimal": bool(plan.partition and plan.partition.optimal),
        "lower_bound": plan.partition.lower_bound if plan.partition else 0,
        "json_bytes": len(text.encode()),
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_measure(root: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(root)],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    if out.returncode:
        sys.exit(f"measuring {root} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def cli_seconds(root: Path, repeat: int) -> float:
    """Best wall time of ``depsplit analyze ROOT --format json > /dev/null`` (start-up
    included), as a user runs it."""
    cmd = [sys.executable, "-m", "depsplit", "analyze", str(root), "--format", "json"]
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        with open(os.devnull, "w") as devnull:
            subprocess.run(cmd, stdout=devnull, stderr=subprocess.DEVNULL, cwd=REPO, check=False)
        best = min(best, time.perf_counter() - t)
    return best


# --------------------------------------------------------------------------- pip, the peer


def _wheel(directory: Path, name: str, version: str) -> None:
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    path = directory / f"{dist}-{version}-py3-none-any.whl"
    if path.exists():
        return
    files = {
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = "".join(f"{p},,\n" for p in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as zf:
        for p, text in files.items():
            zf.writestr(p, text)
        zf.writestr(f"{info}/RECORD", record)


def _candidates(specifiers: Sequence[str]) -> set[str]:
    """Versions worth offering for a package: every version the specifiers name, and a
    patch release of each (so ``>=1.2,!=1.2.0`` and ``~=1.2.0`` find one)."""
    from packaging.version import InvalidVersion, Version

    out = {"1.0"}
    for spec in specifiers:
        for clause in spec.split(","):
            text = clause.strip().lstrip("<>=!~").rstrip(".*")
            try:
                v = Version(text)
            except InvalidVersion:
                continue
            release = list(v.release) + [0] * (3 - len(v.release))
            out.add(str(v))
            out.add(".".join(map(str, [*release[:2], 2])))
            out.add(".".join(map(str, [*release[:2], release[2] + 1])))
    return out


def pip_peer(root: Path, pairs: int, seed: int = 1) -> dict[str, Any] | None:
    """Median seconds pip needs to judge one pair of apps of ``root`` (sampled), and the
    number of pairs of the repository."""
    sys.path.insert(0, str(REPO))
    from depsplit.analyze import Options, analyze
    from depsplit.conflicts import effective
    from depsplit.report.common import app_python

    plan = analyze(root, None, Options(lenient=True))
    apps = [a for a in plan.apps if a.requirements]
    if len(apps) < 2:
        return None
    rng = random.Random(seed)
    sample = [tuple(rng.sample(apps, 2)) for _ in range(pairs)]
    times = []
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="depsplit-pip-") as tmp:
        wheels = Path(tmp) / "wheels"
        wheels.mkdir()
        for a, b in sample:
            files = []
            specs: dict[str, list[str]] = {}
            for app in (a, b):
                python = app_python(plan, app)
                lines = []
                for key, reqs in effective(app, plan.target, python).items():
                    for r in reqs:
                        if r.url or r.role == "constraint":
                            continue
                        lines.append(f"{r.name}{r.specifier}")
                        specs.setdefault(key, []).append(r.specifier)
                path = Path(tmp) / f"{app.name}.txt"
                path.write_text("\n".join(lines) + "\n")
                files.append(path)
            for key, spec_list in specs.items():
                for version in _candidates(spec_list):
                    _wheel(wheels, key, version)
            cmd = [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--no-deps",
                "--no-index",
                "--disable-pip-version-check",
                "--quiet",
                "--ignore-installed",
                "--find-links",
                str(wheels),
                "-r",
                str(files[0]),
                "-r",
                str(files[1]),
            ]
            t = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - t)
            verdicts.append(proc.returncode == 0)
    n = len(plan.apps)
    return {
        "pair_seconds": statistics.median(times),
        "sampled": len(sample),
        "compatible": sum(verdicts),
        "pairs": n * (n - 1) // 2,
    }


# --------------------------------------------------------------------------- the table


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        mem = f", {mem_kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        mem = ""
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPU ({cpu}){mem}, "
        f"Python {platform.python_version()}"
    )


def generate(workdir: Path, n: int, groups: int, seed: int) -> tuple[Path, int]:
    sys.path.insert(0, str(REPO / "tests"))
    from gen import generate_monorepo  # type: ignore[import-not-found]

    root = workdir / f"synthetic-{n}-k{groups}-s{seed}"
    stamp = root / ".complete"
    if not stamp.exists():
        if root.exists():
            shutil.rmtree(root)
        generate_monorepo(root, n, seed=seed, k_groups=groups)
        stamp.write_text("ok\n")
    return root, groups


def _fmt_s(x: float) -> str:
    return f"{x:.2f}" if x >= 0.1 else f"{x * 1000:.0f}ms"


def _row(r: dict[str, Any]) -> list[str]:
    return [
        r["name"],
        str(r["apps"]),
        str(r["lines"]),
        *(_fmt_s(r[p]) for p in PHASES),
        _fmt_s(r["analyze"] + r["report"]),
        _fmt_s(r["cli"]) if r.get("cli") is not None else "-",
        f"{r['maxrss_mib']:.0f}",
        str(r["conflicts_n"]),
        str(r["sets_n"]),
        str(r["groups"]),
        str(r.get("planted", "-")),
        "yes" if r["optimal"] else f"no (>= {r['lower_bound']})",
    ]


def table(rows: list[dict[str, Any]]) -> str:
    head = [
        "repository",
        "apps",
        "lines",
        "discover",
        "read",
        "conflicts",
        "partition",
        "report",
        "analyze",
        "CLI e2e",
        "peak MiB",
        "conflicts",
        "app sets",
        "groups",
        "planted",
        "optimal",
    ]
    body = [_row(r) for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in body
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="app counts (comma-separated)")
    parser.add_argument("--corpus", action="store_true", help="only the corpus repositories")
    parser.add_argument("--no-corpus", action="store_true", help="skip the corpus")
    parser.add_argument("--groups", type=int, default=8, help="planted optimum (default 8)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5, help="CLI runs per repository (best)")
    parser.add_argument("--pip-pairs", type=int, default=5, help="pairs pip judges per repo")
    parser.add_argument("--no-pip", action="store_true", help="skip the pip comparison")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "depsplit-bench"
    )
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure is not None:  # the child process of run_measure
        print(json.dumps(measure(args.measure)))
        return 0

    print(f"machine: {machine()}")
    targets: list[tuple[str, Path, int | None]] = []
    if not args.corpus:
        args.workdir.mkdir(parents=True, exist_ok=True)
        for n in (int(x) for x in args.sizes.split(",") if x.strip()):
            t = time.perf_counter()
            root, optimum = generate(args.workdir, n, args.groups, args.seed)
            print(f"generated {n} apps in {root} ({time.perf_counter() - t:.1f}s)", flush=True)
            targets.append((f"synthetic {n:,}", root, optimum))
    if not args.no_corpus:
        if CORPUS.is_dir():
            targets += [
                (name, CORPUS / name, None) for name in CORPUS_REPOS if (CORPUS / name).is_dir()
            ]
            # The nearest to the "400-app real repository": every corpus repository
            # analysed as one monorepo (373 apps, 3,310 requirement lines).
            targets.append(("corpus, all as one", CORPUS, None))
        else:
            print(f"(no corpus at {CORPUS}: skipped)")

    rows: list[dict[str, Any]] = []
    peers = []
    for name, root, planted in targets:
        row: dict[str, Any] = {"name": name, **run_measure(root)}
        repeat = args.repeat if row["apps"] < 5000 else max(1, min(args.repeat, 2))
        row["cli"] = cli_seconds(root, repeat)
        if planted is not None:
            row["planted"] = planted
        rows.append(row)
        print(
            f"  {name}: analyze {row['analyze']:.2f}s + report {row['report']:.2f}s, "
            f"CLI {row['cli']:.2f}s, peak {row['maxrss_mib']:.0f} MiB",
            flush=True,
        )
    # After every measurement: Linux keeps ru_maxrss across fork and exec, so a parent
    # grown by these analyses would raise the peak its children report.
    for (name, root, _), row in zip(targets, rows, strict=True):
        if not args.no_pip and (name.startswith("synthetic") or name == CORPUS_REPOS[0]):
            peer = pip_peer(root, args.pip_pairs)
            if peer is not None:
                peers.append((name, row, peer))

    print()
    print(table(rows))
    verdicts = targets_met(rows)
    if verdicts:
        print()
        print("targets:")
        for line in verdicts:
            print(f"  {line}")
    if peers:
        print()
        print("peers: pip install --dry-run --no-deps --no-index on one pair, times all pairs")
        for name, row, peer in peers:
            total = peer["pair_seconds"] * peer["pairs"]
            ratio = total / row["conflicts"] if row["conflicts"] > 0 else float("inf")
            print(
                f"  {name}: pip {peer['pair_seconds']:.2f}s per pair (median of "
                f"{peer['sampled']}, {peer['compatible']} compatible) x {peer['pairs']:,} pairs"
                f" = {_duration(total)}; depsplit finds every conflict in "
                f"{row['conflicts']:.2f}s: {ratio:,.0f}x faster"
            )
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2) + "\n")
    return 0


def targets_met(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The issue's targets, checked on the rows they concern: a synthetic repository of
    10,000 apps or more end to end under 10 s and 1 GiB; a real repository (the corpus)
    under 1 s, start-up included."""
    out = []
    for r in rows:
        if r["name"].startswith("synthetic") and r["apps"] >= 10_000:
            ok = r["cli"] < 10 and r["maxrss_mib"] < 1024
            out.append(
                f"{r['name']}: {r['cli']:.2f} s (< 10 s), {r['maxrss_mib']:.0f} MiB "
                f"(< 1,024 MiB): {'met' if ok else 'MISSED'}"
            )
        elif not r["name"].startswith("synthetic") and r["apps"] >= 250:
            ok = r["cli"] < 1
            out.append(
                f"{r['name']} ({r['apps']} apps): {r['cli']:.2f} s (< 1 s): "
                f"{'met' if ok else 'MISSED'}"
            )
    return out


def _duration(seconds: float) -> str:
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("hours", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:.1f}s"


if __name__ == "__main__":
    sys.exit(main())
