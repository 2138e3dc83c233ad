"""Benchmark depsplit.partition.solve on generated monorepos with a planted optimum.

Run: ``.venv/bin/python benchmarks/bench_partition.py [sizes...]``. Prints figures; asserts
nothing about time. Nothing is written to disk: conflicts are built directly.

Each instance plants a partition into K groups, then only creates conflicts that the planted
partition respects, so K groups always suffice:

* a *pivot* package pinned to K different versions (``pivot==g`` for an app of group g) by a
  share of the apps, the first K apps included, so a K-clique proves K is needed;
* *noise* packages with a few versions, each version owned by some planted groups, used by a
  small share of apps (pairwise conflicts between apps pinning different versions);
* *three-way traps*: two apps of one planted group and one of another, pairwise compatible but
  jointly infeasible (``>=1,<3``, ``>=2,<4``, ``>=1,<4,!=2.*``); they never raise the optimum
  but mislead colourings that only look at pairs.

Apps with the same pins are identical and passed as one class, as the conflicts module would.
networkx's greedy colourings run on the same pairwise graph (blind to the traps) for comparison.
"""

from __future__ import annotations

import random
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from depsplit.partition import Solution, solve


@dataclass
class Instance:
    apps: list[str]
    conflicts: list[tuple[str, ...]]
    classes: dict[str, Hashable]
    k: int
    n_pairs: int
    n_traps: int


def planted(
    n: int, k: int, seed: int = 1, pivot_share: float = 0.2, noise_share: float = 0.04
) -> Instance:
    rng = random.Random(seed)
    apps = [f"app{i:05d}" for i in range(n)]
    group = [i if i < k else rng.randrange(k) for i in range(n)]
    pins: list[dict[str, int]] = [{} for _ in apps]
    for i in range(n):
        if i < k or rng.random() < pivot_share:
            pins[i]["pivot"] = group[i]
    for p in range(10):
        versions = rng.randint(2, 4)
        owner = [rng.randrange(versions) for _ in range(k)]  # version used by each group
        for i in range(n):
            if rng.random() < noise_share:
                pins[i][f"noise{p}"] = owner[group[i]]
    users: dict[tuple[str, int], list[str]] = defaultdict(list)
    for i, app in enumerate(apps):
        for pkg, version in pins[i].items():
            users[pkg, version].append(app)
    conflicts: list[tuple[str, ...]] = []
    for (pkg_a, ver_a), (pkg_b, ver_b) in combinations(sorted(users), 2):
        if pkg_a == pkg_b and ver_a != ver_b:
            conflicts.extend((a, b) for a in users[pkg_a, ver_a] for b in users[pkg_b, ver_b])
    n_pairs = len(conflicts)

    by_group: dict[int, list[int]] = defaultdict(list)
    for i in range(k, n):
        by_group[group[i]].append(i)
    trap_of: dict[int, list[tuple[int, int]]] = defaultdict(list)
    n_traps = 0
    for t in range(max(1, n // 50)):
        g, h = rng.sample(range(k), 2)
        if len(by_group[g]) < 2 or not by_group[h]:
            continue
        a, b = rng.sample(by_group[g], 2)
        c = rng.choice(by_group[h])
        if any(
            pkg in pins[x] and pkg in pins[y] and pins[x][pkg] != pins[y][pkg]
            for x, y in ((a, b), (a, c), (b, c))
            for pkg in pins[x]
        ):
            continue  # a conflicting pair inside: the triple would not be minimal
        conflicts.append((apps[a], apps[b], apps[c]))
        for role, x in enumerate((a, b, c)):
            trap_of[x].append((t, role))  # each role has its own range: not identical
        n_traps += 1
    classes: dict[str, Hashable] = {
        app: (tuple(sorted(pins[i].items())), tuple(trap_of[i])) for i, app in enumerate(apps)
    }
    return Instance(apps, conflicts, classes, k, n_pairs, n_traps)


def valid(sol: Solution, conflicts: list[tuple[str, ...]]) -> bool:
    where = {a: g for g, apps in enumerate(sol.groups) for a in apps}
    return all(len({where[a] for a in e}) > 1 for e in conflicts)


NX_DSATUR_MAX = 2000
"""networkx's DSATUR is quadratic in pure Python (13 s at 2,000 apps here): skipped above."""


def greedy_counts(inst: Instance) -> tuple[str, int, str]:
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(inst.apps)
    graph.add_edges_from(e for e in inst.conflicts if len(e) == 2)
    largest = max(nx.greedy_color(graph, strategy="largest_first").values(), default=-1) + 1
    if len(inst.apps) > NX_DSATUR_MAX:
        return "-", largest, "-"
    started = time.perf_counter()
    dsatur = max(nx.greedy_color(graph, strategy="DSATUR").values(), default=-1) + 1
    return str(dsatur), largest, f"{time.perf_counter() - started:.3f}"


def run(inst: Instance, use_classes: bool) -> tuple[Solution, float, float]:
    classes = inst.classes if use_classes else None
    started = time.perf_counter()
    sol = solve(inst.apps, inst.conflicts, classes=classes)
    elapsed = time.perf_counter() - started
    # Peak memory in a second run: tracemalloc slows Python code down several times.
    tracemalloc.start()
    solve(inst.apps, inst.conflicts, classes=classes)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return sol, elapsed, peak


def main(sizes: list[int]) -> None:
    header = (
        f"{'apps':>6} {'pairs':>8} {'traps':>5} {'classes':>7} {'K':>3} {'groups':>6} "
        f"{'lb':>3} {'optimal':>7} {'valid':>5} {'time s':>7} {'peak MiB':>8} "
        f"{'nx DSATUR':>9} {'nx LF':>5} {'nx DSATUR s':>11}"
    )
    print(header)
    print("-" * len(header))
    for n, k in sizes_with_k(sizes):
        inst = planted(n, k)
        dsatur, largest, nx_time = greedy_counts(inst)
        for use_classes in (True, False):
            sol, elapsed, peak = run(inst, use_classes)
            given = "given" if use_classes else "none"
            print(
                f"{n:>6} {inst.n_pairs:>8} {inst.n_traps:>5} {given:>7} "
                f"{inst.k:>3} {len(sol.groups):>6} {sol.lower_bound:>3} {sol.optimal!s:>7} "
                f"{valid(sol, inst.conflicts)!s:>5} {elapsed:>7.3f} {peak:>8.1f} "
                f"{dsatur:>9} {largest:>5} {nx_time:>11}",
                flush=True,
            )


def sizes_with_k(sizes: list[int]) -> list[tuple[int, int]]:
    return [(n, {100: 4, 1000: 6, 2000: 8}.get(n, 10)) for n in sizes]


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000, 2000, 10000])
