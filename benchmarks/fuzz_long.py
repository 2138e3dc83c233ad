"""Issue 16's long fuzz campaign: one seeded, deterministic run of N cases across every
class of ``tests/fuzz``, counting the four invariants every case checks.

Run from the repository root::

    nice -n 10 .venv/bin/python benchmarks/fuzz_long.py --cases 100000 --jobs 2 --seed 16

The classes, and their share of ``--cases`` (each at least one case):

=====================  =====  ==============================================================
class                  share  a case
=====================  =====  ==============================================================
readers                 45 %  one reader (every input format) on well-formed, wrong,
                              arbitrary or deeply nested content (``test_fuzz_readers``)
includes                22 %  ``requirements.txt`` with ``-r``/``-c`` includes of two more
                              random files: cycles, missing files, ``..``, absolute paths
analyze                  4 %  ``analyze --format json`` on a random tree (``test_fuzz_pipeline``)
decoys                   1 %  the same with decoy ``depsplit-plan.json``/``pyvenv.cfg`` added
baseline                 3 %  ``--baseline`` on a commit made from raw git objects: symlinks
                              anywhere, duplicate entries, ``..``/``.git``, credential files
                              (``test_fuzz_baseline``; every 4th also ``analyze --baseline``)
generate               4.5 %  ``generate`` on odd names, secrets in URLs (user information,
                              query, fragment), credential files in app directories; the
                              build contexts as BuildKit reads the ``.dockerignore``
generate-interrupted   0.3 %  ``generate`` in a subprocess killed (SIGKILL, SIGTERM, SIGINT)
                              after a random k-th change of the file system, then re-run
                              (``test_fuzz_generate_interrupt``)
commit-interrupted     0.1 %  the writer alone, the same way (``test_fuzz_interrupt``)
dockerignore            20 %  a generated ``.dockerignore`` pattern against BuildKit's matching
pip-lines              0.1 %  generated requirements read back by pip's own parser
=====================  =====  ==============================================================

Every case checks (``tests/fuzz/fuzz_strategies.py``): no traceback, internal error or exit
other than 0/1/2, and an exit 2 with a message (``traceback``); no secret of the inputs in
stdout, stderr, any written file or a build context (``secret``); nothing written outside
OUTDIR or the run's temporary directory (``outside``); no temporary file or directory, and
no ``.depsplit-*`` file, left after a run or a recovered re-run (``leftover``). Any other
failed check of a class is counted as ``other``. Every case runs confined below its own
temporary directory (current directory, HOME, cache and TMPDIR there).

The cases are drawn by hypothesis (the strategies of ``tests/fuzz``, generation only: no
shrinking) in shards of a fixed size, each with its own seed from ``--seed``, the class and
the shard's number: the same ``--cases`` and ``--seed`` run the same cases whatever
``--jobs``. A failure is printed with its shard and the case (``--failures FILE`` keeps them
all, one JSON object a line); ``--only CLASS,…`` and ``--shard N`` rerun a shard.
``--record FILE`` makes the campaign resumable: each finished shard is appended to it, and
the same command given the same record runs only the shards it lacks (the figures are those
of every shard recorded; the wall time printed is this invocation's). ``--minutes M`` starts
no shard after M minutes (on a shared machine: a budget; ``--minutes 0`` with a record
only prints its figures).

The table gives per class the cases run, the workers' wall time and CPU time (their
subprocesses' included) and the failures of each kind. Exit 0 when no case failed, 1
otherwise. The suite runs a small campaign
(``tests/fuzz/test_fuzz_long.py``); the long one is opt-in.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import math
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# This checkout's depsplit (also in the subprocesses), then the test helpers' directories
# (as pytest's ``pythonpath`` in pyproject.toml has them).
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
)
sys.path[:0] = [str(REPO), *(str(REPO / "tests" / d) for d in ("fuzz", "hostile", "index", ""))]
# Offline, like the tests (tests/conftest.py).
os.environ["DEPSPLIT_INDEX_FACTS"] = "0"

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

KINDS = ("traceback", "secret", "outside", "leftover", "other")
"""The four invariants, then any other failed check."""


@dataclass(frozen=True)
class Class:
    share: float
    shard: int
    """Cases per shard (a few seconds' work)."""
    strategy: Callable[[], st.SearchStrategy[Any]]
    case: Callable[[Any, dict[str, Any]], object]
    """Runs one case (its value, the shard's state); what it returns is an event."""


def _readers() -> Class:
    from fuzz_strategies import content_for
    from test_fuzz_readers import READERS, run_reader

    strategy = st.sampled_from(sorted(READERS)).flatmap(
        lambda name: st.tuples(st.just(name), content_for(name))
    )
    return Class(0.45, 500, lambda: strategy, lambda c, _: run_reader(*c))


def _includes() -> Class:
    from fuzz_strategies import content_for
    from test_fuzz_readers import run_reader

    strategy = st.tuples(
        content_for("requirements.txt"), content_for("base.txt"), content_for("base.txt")
    )

    def case(c: Any, _: dict[str, Any]) -> None:
        run_reader("requirements.txt", c[0], {"base.txt": c[1], "constraints.txt": c[2]})

    return Class(0.22, 500, lambda: strategy, case)


def _analyze() -> Class:
    from fuzz_strategies import trees
    from test_fuzz_pipeline import analyze_case

    return Class(0.04, 200, trees, lambda c, _: analyze_case(c))


def _decoys() -> Class:
    from test_fuzz_pipeline import decoy_case, decoyed_trees

    return Class(0.01, 100, decoyed_trees, lambda c, _: decoy_case(c))


def _baseline() -> Class:
    from test_fuzz_baseline import _count, baseline_case, entries, make_sandbox

    def case(c: Any, state: dict[str, Any]) -> None:
        if "sandbox" not in state:
            state["sandbox"] = make_sandbox(Path(state["tmp"]) / "baseline")
        baseline_case(state["sandbox"], c, cli=_count[0] % 4 == 0)

    return Class(0.03, 100, lambda: entries, case)


def _generate() -> Class:
    from test_fuzz_generate import generate_case, generate_trees

    return Class(0.045, 100, generate_trees, lambda c, _: generate_case(c, lint_sample=False))


def _generate_interrupted() -> Class:
    from test_fuzz_generate_interrupt import MAX_STEPS, SIGNALS, changes, generate_interrupt_case

    strategy = st.tuples(changes(), st.sampled_from(SIGNALS), st.integers(1, MAX_STEPS))
    return Class(0.003, 20, lambda: strategy, lambda c, _: generate_interrupt_case(*c))


def _commit_interrupted() -> Class:
    import signal

    from test_fuzz_interrupt import interrupt_case, trees

    signals = st.sampled_from([signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
    strategy = st.tuples(trees, trees, signals, st.floats(0, 1))
    return Class(0.001, 20, lambda: strategy, lambda c, _: interrupt_case(*c))


def _dockerignore() -> Class:
    from test_fuzz_dockerignore import paths, pattern_case

    strategy = st.tuples(paths, st.lists(paths, max_size=6))
    return Class(0.20, 1000, lambda: strategy, lambda c, _: pattern_case(*c))


def _pip_lines() -> Class:
    from test_fuzz_pip_lines import pip_lines_case, requirement

    strategy = st.tuples(
        st.sampled_from(["pyproject.toml", "Pipfile", "setup.cfg"]),
        st.lists(requirement, min_size=1, max_size=4, unique_by=lambda r: r[0].lower()),
    )
    return Class(0.001, 50, lambda: strategy, lambda c, _: pip_lines_case(*c))


CLASSES: dict[str, Callable[[], Class]] = {
    "readers": _readers,
    "includes": _includes,
    "analyze": _analyze,
    "decoys": _decoys,
    "baseline": _baseline,
    "generate": _generate,
    "generate-interrupted": _generate_interrupted,
    "commit-interrupted": _commit_interrupted,
    "dockerignore": _dockerignore,
    "pip-lines": _pip_lines,
}
_loaded: dict[str, Class] = {}


def load(name: str) -> Class:
    if name not in _loaded:
        _loaded[name] = CLASSES[name]()
    return _loaded[name]


Shard = tuple[str, int, int, int]
"""``(class, shard number, cases, hypothesis seed)``."""


def plan(cases: int, base_seed: int, only: list[str]) -> list[Shard]:
    """Every shard of the campaign, the classes interleaved (so that a partial run is a
    sample of them all); deterministic in ``cases`` and ``base_seed``."""
    shards: list[tuple[float, Shard]] = []
    for number, name in enumerate(CLASSES):
        if only and name not in only:
            continue
        spec = load(name)
        total = max(1, round(cases * spec.share)) if not only else cases
        count = (total + spec.shard - 1) // spec.shard
        for index in range(count):
            size = min(spec.shard, total - index * spec.shard)
            shard_seed = (base_seed * 1_000_003 + number * 10_007 + index) % 2**32
            shards.append(((index + 0.5) / count, (name, index, size, shard_seed)))
    return [shard for _, shard in sorted(shards, key=lambda s: (s[0], s[1][0]))]


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run_shard(shard: Shard, deadline: float = math.inf) -> dict[str, Any]:
    """Run one shard's cases; never raises. Past ``deadline`` (``time.time()``), none: the
    result says ``skipped``."""
    name, index, size, shard_seed = shard
    if time.time() >= deadline:
        return {"class": name, "shard": index, "skipped": True}
    spec = load(name)
    started = time.monotonic()
    cpu = time.process_time() + _children_cpu()
    done = [0]
    events: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix=f"fuzz16-{name}-") as tmp:
        state: dict[str, Any] = {"tmp": tmp}

        @settings(
            max_examples=size,
            phases=[Phase.generate],
            database=None,
            deadline=None,
            derandomize=False,
            print_blob=False,
            suppress_health_check=list(HealthCheck),
        )
        @seed(shard_seed)
        @given(value=spec.strategy())
        def loop(value: Any) -> None:
            if done[0] >= size:
                return
            done[0] += 1
            try:
                event = spec.case(value, state)
                if isinstance(event, str):
                    events[event] += 1
            except AssertionError as exc:
                record(exc, getattr(exc, "kind", "other"), value)
            except Exception as exc:  # an exception out of depsplit, or out of the harness
                record(exc, "traceback", value)

        def record(exc: BaseException, kind: str, value: Any) -> None:
            failures.append(
                {
                    "class": name,
                    "shard": index,
                    "kind": kind,
                    "error": "".join(traceback.format_exception(exc))[-3000:],
                    "case": repr(value)[:4000],
                }
            )

        try:
            loop()
        except Exception as exc:
            record(exc, "other", "<hypothesis>")
    return {
        "class": name,
        "shard": index,
        "cases": done[0],
        "seconds": time.monotonic() - started,
        "cpu": time.process_time() + _children_cpu() - cpu,
        "events": dict(events),
        "failures": failures,
    }


def read_record(path: Path, cases: int, base_seed: int, only: list[str]) -> list[Any]:
    """The shards a record holds (its first line names the campaign: it must be this one)."""
    head = {"campaign": "fuzz_long", "cases": cases, "seed": base_seed, "only": only}
    if not path.exists() or not path.stat().st_size:
        path.write_text(json.dumps(head) + "\n", encoding="utf-8")
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    if json.loads(lines[0]) != head:
        sys.exit(f"{path} records another campaign: {lines[0]}")
    return [json.loads(line) for line in lines[1:] if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000, help="cases in all (default 1000)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--only", default="", help="comma-separated classes (all --cases each)")
    parser.add_argument("--shard", type=int, default=None, help="only this shard of each class")
    parser.add_argument("--failures", type=Path, help="write every failure here (JSON lines)")
    parser.add_argument("--summary", type=Path, help="write the figures here (JSON)")
    parser.add_argument(
        "--minutes",
        type=float,
        default=math.inf,
        help="start no shard after this many minutes (the shards running finish); with "
        "--record, the same command later runs the rest (0: only print the record's figures)",
    )
    parser.add_argument(
        "--record",
        type=Path,
        help="append each finished shard here (JSON lines); a run given a record resumes "
        "it: the shards in it are not run again, their figures count",
    )
    args = parser.parse_args(argv)
    only = [c for c in args.only.split(",") if c]
    unknown = set(only) - set(CLASSES)
    if unknown:
        parser.error(f"unknown classes: {sorted(unknown)}; known: {', '.join(CLASSES)}")
    shards = plan(args.cases, args.seed, only)
    if args.shard is not None:
        shards = [s for s in shards if s[1] == args.shard]
    total = sum(s[2] for s in shards)
    recorded = read_record(args.record, args.cases, args.seed, only) if args.record else []
    finished = {(r["class"], r["shard"]) for r in recorded}
    todo = [s for s in shards if (s[0], s[1]) not in finished]
    print(
        f"fuzz_long: {total} cases in {len(shards)} shards ({len(shards) - len(todo)} "
        f"recorded), seed {args.seed}, jobs {args.jobs}, depsplit from {REPO}",
        flush=True,
    )
    record = args.record.open("a", encoding="utf-8") if args.record else None
    started = time.monotonic()
    deadline = time.time() + args.minutes * 60
    skipped = 0
    cases: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    cpu: Counter[str] = Counter()
    counts: dict[str, Counter[str]] = {name: Counter() for name in CLASSES}
    events: dict[str, Counter[str]] = {name: Counter() for name in CLASSES}
    failures: list[dict[str, Any]] = []
    out = args.failures.open("w", encoding="utf-8") if args.failures else None
    last = started
    if args.jobs > 1:
        pool = multiprocessing.get_context("fork").Pool(args.jobs)
        results = pool.imap_unordered(functools.partial(run_shard, deadline=deadline), todo)
    else:
        pool = None
        results = map(functools.partial(run_shard, deadline=deadline), todo)
    try:
        for result in itertools.chain(recorded, results):
            if result.get("skipped"):
                skipped += 1
                continue
            if record and (result["class"], result["shard"]) not in finished:
                record.write(json.dumps(result) + "\n")
                record.flush()
            name = result["class"]
            cases[name] += result["cases"]
            seconds[name] += result["seconds"]
            cpu[name] += result["cpu"]
            events[name].update(result["events"])
            for failure in result["failures"]:
                counts[name][failure["kind"]] += 1
                failures.append(failure)
                print(f"FAIL {failure['kind']} {name} shard {failure['shard']}:", flush=True)
                print(failure["error"][-1500:], failure["case"][:1500], sep="\n", flush=True)
                if out:
                    out.write(json.dumps(failure) + "\n")
                    out.flush()
            now = time.monotonic()
            if now - last >= 60 or sum(cases.values()) == total:
                last = now
                print(
                    f"[{now - started:7.0f} s] {sum(cases.values())}/{total} cases, "
                    f"{len(failures)} failed",
                    flush=True,
                )
    finally:
        if pool is not None:
            pool.terminate()
        if out:
            out.close()
        if record:
            record.close()
    wall = time.monotonic() - started
    rows = [
        f"{'class':<22}{'cases':>8}{'seconds':>9}{'cpu s':>8}"
        + "".join(f"{k:>11}" for k in KINDS)
        + "  events"
    ]
    for name in CLASSES:
        if not cases[name]:
            continue
        rows.append(
            f"{name:<22}{cases[name]:>8}{seconds[name]:>9.0f}{cpu[name]:>8.0f}"
            + "".join(f"{counts[name][k]:>11}" for k in KINDS)
            + "  "
            + ", ".join(f"{e}: {n}" for e, n in sorted(events[name].items()))
        )
    totals = Counter[str]()
    for counter in counts.values():
        totals.update(counter)
    rows.append(
        f"{'total':<22}{sum(cases.values()):>8}{sum(seconds.values()):>9.0f}"
        + f"{sum(cpu.values()):>8.0f}"
        + "".join(f"{totals[k]:>11}" for k in KINDS)
    )
    print("\n".join(rows))
    if skipped:
        print(
            f"incomplete: {skipped} of {len(shards)} shards not run (--minutes); "
            + ("the same command runs them" if args.record else "no --record: not resumable"),
            flush=True,
        )
    print(
        f"wall time {wall:.0f} s; tracebacks {totals['traceback']}, leaked secrets "
        f"{totals['secret']}, writes outside OUTDIR or the temp dir {totals['outside']}, "
        f"leftover temp files {totals['leftover']}, other failures {totals['other']}",
        flush=True,
    )
    if args.summary:
        args.summary.write_text(
            json.dumps(
                {
                    "cases": sum(cases.values()),
                    "seed": args.seed,
                    "jobs": args.jobs,
                    "wall_seconds": round(wall),
                    "per_class": {
                        n: {
                            "cases": cases[n],
                            "seconds": round(seconds[n]),
                            "cpu_seconds": round(cpu[n]),
                            **counts[n],
                        }
                        for n in CLASSES
                        if cases[n]
                    },
                    "failures": dict(totals),
                    "complete": not skipped,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
