"""Benchmark transitive resolution (depsplit.index) on a generated package index.

Run: ``.venv/bin/python benchmarks/bench_transitive.py [projects] [apps]``. Prints figures;
asserts nothing about time. Everything lives in a temporary directory, served on 127.0.0.1.

The index has ``projects`` projects of 8 versions each; a version depends on up to 4 projects
further down the list with a lower bound (and, now and then, an upper bound, which makes
the resolver backtrack). Each app requires 5 projects from the top of the list. Measured:

* cold: an empty cache, every page and metadata file over HTTP (parallel prefetch);
* warm: a second finder, pages still fresh in the on-disk cache;
* offline: cache only;
* union: the whole-group test (``check_union``) on every pair of apps, warm;
* analyze: ``analyze --transitive`` on a tree of ``apps`` apps whose requirements repeat
  (each of the first ``apps // 3`` twice more, as a tutorial corpus copies them), offline
  on the warm cache: CPU seconds, peak traced memory and resolutions started, with the
  sharing of :meth:`depsplit.transitive.reuse.Resolutions.get` and without it (every app
  and union resolved on its own), and whether the two JSON reports are the same.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "index"))

from localindex import Dist, build_index, req, serve  # type: ignore[import-not-found,unused-ignore]  # noqa: E402

from depsplit.index import (  # noqa: E402
    Finder,
    IndexConfig,
    ResolutionImpossible,
    check_union,
    resolve,
)
from depsplit.model import Requirement, Target  # noqa: E402

VERSIONS = 8


def make_world(projects: int, rng: random.Random) -> list[Dist]:
    dists = []
    for p in range(projects):
        for v in range(1, VERSIONS + 1):
            deps = []
            below = list(range(p + 1, projects))
            for d in rng.sample(below, min(len(below), rng.randint(0, 4))):
                low = rng.randint(1, VERSIONS // 2)
                spec = f">={low}.0"
                if rng.random() < 0.15:
                    spec += f",<{rng.randint(low + 1, VERSIONS + 1)}.0"
                deps.append(f"p{d}{spec}")
            dists.append(Dist(f"p{p}", f"{v}.0", deps))
    return dists


def make_apps(n: int, projects: int, rng: random.Random) -> dict[str, list[Requirement]]:
    top = list(range(min(projects, 30)))
    apps = {}
    for a in range(n):
        reqs = []
        for i, p in enumerate(rng.sample(top, 5)):
            spec = f"=={rng.randint(1, VERSIONS)}.0" if rng.random() < 0.3 else ">=1.0"
            reqs.append(req(f"p{p}{spec}", f"app{a}/requirements.txt", i + 1))
        apps[f"app{a}"] = reqs
    return apps


def run(finder: Finder, apps: dict[str, list[Requirement]]) -> tuple[float, int, int]:
    start = time.perf_counter()
    pins = failed = 0
    for name, reqs in apps.items():
        try:
            pins += len(resolve(reqs, target=Target(), python="3.12", finder=finder, app=name).pins)
        except ResolutionImpossible:  # noqa: PERF203
            failed += 1
    return time.perf_counter() - start, pins, failed


def analyze_tree(
    root: Path, apps: dict[str, list[Requirement]], options: dict[str, object]
) -> None:
    """``analyze --transitive`` on a tree holding ``apps`` (each asked twice more by a copy),
    offline, shared and unshared."""
    import tracemalloc

    from depsplit.analyze import Options, analyze
    from depsplit.config import Config
    from depsplit.report import json as json_report
    from depsplit.transitive.reuse import Outcome

    resolve_module = sys.modules["depsplit.index.resolve"]
    names = sorted(apps)
    copies = {f"{n}-copy{i}": apps[n] for n in names[: max(1, len(names) // 3)] for i in (1, 2)}
    for name, reqs in {**apps, **copies}.items():
        lines = "".join(f"{r.name}{r.specifier}\n" for r in reqs)
        (root / name).mkdir(parents=True)
        (root / name / "requirements.txt").write_text(lines)
    config = IndexConfig(**options, offline=True)  # type: ignore[arg-type]
    started = [0]
    run_one = resolve_module._run

    def counting(*args: object, **kw: object) -> object:
        started[0] += 1
        return run_one(*args, **kw)

    resolve_module._run = counting
    serves = Outcome.serves
    reports = []
    try:
        for label in ("shared", "unshared"):
            if label == "unshared":
                Outcome.serves = lambda self, max_rounds: False  # type: ignore[method-assign]
            started[0] = 0
            tracemalloc.start()
            cpu = time.process_time()
            plan = analyze(root, Config(), Options(transitive=True, index=config))
            cpu = time.process_time() - cpu
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            reports.append(json_report.render(plan))
            print(
                f"analyze {label:8} {cpu:7.3f} s CPU, {peak / 2**20:6.1f} MB peak traced, "
                f"{started[0]} resolutions ({len(apps) + len(copies)} apps)"
            )
    finally:
        resolve_module._run = run_one
        Outcome.serves = serves  # type: ignore[method-assign]
    print(f"analyze reports identical shared/unshared: {reports[0] == reports[1]}")


def main() -> None:
    projects = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    n_apps = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    rng = random.Random(20240607)
    with tempfile.TemporaryDirectory() as tmp:
        index = build_index(Path(tmp) / "index", make_world(projects, rng))
        apps = make_apps(n_apps, projects, rng)
        with serve(index.root) as (base, state):
            options = {"index_url": f"{base}/simple/", "cache_dir": Path(tmp) / "cache"}
            with Finder(IndexConfig(**options)) as finder:  # type: ignore[arg-type]
                cold, pins, failed = run(finder, apps)
            requests_cold = len(state.requests)
            with Finder(IndexConfig(**options)) as finder:  # type: ignore[arg-type]
                warm, _, _ = run(finder, apps)
                start = time.perf_counter()
                infeasible = sum(
                    check_union(
                        {a: apps[a], b: apps[b]}, target=Target(), python="3.12", finder=finder
                    )
                    is not None
                    for a, b in combinations(sorted(apps), 2)
                )
                union = time.perf_counter() - start
        with Finder(IndexConfig(**options, offline=True)) as finder:  # type: ignore[arg-type]
            offline, _, _ = run(finder, apps)
        pairs = n_apps * (n_apps - 1) // 2
        print(f"index: {projects} projects x {VERSIONS} versions; {n_apps} apps")
        print(f"resolved: {pins} pins in total, {failed} apps unsatisfiable alone")
        print(f"cold    {cold:7.3f} s  ({requests_cold} HTTP requests)")
        print(f"warm    {warm:7.3f} s")
        print(f"offline {offline:7.3f} s")
        print(f"union   {union:7.3f} s  ({pairs} pairs, {infeasible} infeasible)")
        analyze_tree(Path(tmp) / "tree", apps, options)


if __name__ == "__main__":
    main()
