"""The whole pipeline through ``analyze()``: the demo monorepo, generated monorepos with a
planted answer, and real repositories."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gen import PIVOT, generate_monorepo
from packaging.utils import canonicalize_name

from depsplit.analyze import Options, analyze
from depsplit.baseline import read_package_conflict
from depsplit.config import Config
from depsplit.conflicts import check_group, expand, sides
from depsplit.package_conflicts import minimal_sets
from depsplit.report import json as json_report

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "monorepo"


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    return analyze(DEMO, Config(), Options())


def test_demo_apps(demo) -> None:
    assert {a.name: a.path for a in demo.apps} == {
        "blog": "services/blog",
        "catalog": "services/catalog",
        "cleanup-sessions": "jobs/cleanup-sessions",
        "emailer": "workers/emailer",
        "indexer": "workers/indexer",
        "inference": "services/inference",
        "legacy-admin": "services/legacy-admin",
        "nightly-report": "jobs/nightly-report",
        "notifier": "services/notifier",
        "shop-api": "services/shop-api",
    }
    assert [d for d in demo.diagnostics if d.level == "error"] == []


def test_demo_conflicts_are_exactly_the_planted_ones(demo) -> None:
    found = {
        (c.kind, c.package.lower() if c.kind != "python" else "python", c.apps)
        for c in demo.conflicts
    }
    assert found == {
        ("version", "flask", ("legacy-admin", "shop-api")),
        ("version", "pydantic", ("catalog", "inference")),
        ("version", "fastapi", ("catalog", "inference")),
        ("python", "python", ("catalog", "nightly-report")),
        ("python", "python", ("nightly-report", "notifier")),
        ("python", "python", ("cleanup-sessions", "nightly-report")),
    }
    assert demo.unsatisfiable == ()


def test_demo_flask_conflict_names_both_lines(demo) -> None:
    [flask] = [c for c in demo.conflicts if canonicalize_name(c.package) == "flask"]
    origins = {r.app: str(r.origin) for r in flask.requirements}
    assert origins == {
        "shop-api": "services/shop-api/requirements.txt:2",
        "legacy-admin": "services/legacy-admin/requirements.txt:3",
    }
    for text in ("shop-api", "legacy-admin", "services/shop-api/requirements.txt:2"):
        assert text in flask.message


def test_demo_groups_are_the_fewest_and_valid(demo) -> None:
    assert len(demo.groups) == 2
    assert demo.partition is not None
    assert demo.partition.optimal
    assert demo.partition.lower_bound == 2
    by_name = {a.name: a for a in demo.apps}
    placed = sorted(n for g in demo.groups for n in g.apps)
    assert placed == sorted(by_name)
    for group in demo.groups:
        assert check_group([by_name[n] for n in group.apps], demo.target, group.python) == []
    pythons = {g.python for g in demo.groups if "nightly-report" in g.apps}
    assert pythons == {"3.9"}


def test_sixty_generated_apps_in_mixed_formats_are_found_exactly(tmp_path: Path) -> None:
    repo = generate_monorepo(tmp_path / "mono", 60, seed=7, k_groups=3)
    plan = analyze(repo.root, Config(), Options())
    assert sorted(a.path for a in plan.apps) == sorted(repo.apps)
    assert len({a.name for a in plan.apps}) == 60
    assert [d for d in plan.diagnostics if d.level == "error"] == []


@pytest.mark.parametrize(("n", "k", "seed"), [(40, 3, 1), (90, 4, 2), (150, 5, 3)])
def test_planted_conflicts_and_optimum(tmp_path: Path, n: int, k: int, seed: int) -> None:
    repo = generate_monorepo(tmp_path / "mono", n, seed=seed, k_groups=k)
    plan = analyze(repo.root, Config(), Options())
    name_of = {a.path: a.name for a in plan.apps}
    path_of = {a.name: a.path for a in plan.apps}
    # A conflict stands for every set made of one app per side: expand them all.
    reported = {
        (c.package.lower().replace("_", "-").replace(".", "-"), frozenset(s))
        for c in plan.conflicts
        for s in expand(c)
    }
    for package, paths in repo.planted:
        assert (package, frozenset(name_of[p] for p in paths)) in reported, (package, paths)
    assert {p for p, _ in reported} <= {"pivot-pkg", "trap-pkg"}
    assert not {p for p, _ in reported} & set(repo.non_conflicts)
    # Exactly the pivot pairs with different pins, no more, no fewer.
    pins = {
        name_of[path]: specs["pivot-pkg"]
        for path, specs in repo.specs.items()
        if "pivot-pkg" in specs
    }
    expected = {
        frozenset((a, b)) for a, b in itertools.combinations(sorted(pins), 2) if pins[a] != pins[b]
    }
    assert {s for p, s in reported if p == "pivot-pkg"} == expected
    for c in plan.conflicts:  # every member on a side asks what its representative asks
        for rep, side in zip(c.apps, sides(c), strict=True):
            assert side[0] == rep
            assert len({repo.specs[path_of[a]].get(PIVOT) for a in side}) == 1
        assert {r.app for r in c.requirements} == set(c.apps)
    assert len(plan.groups) == repo.optimum
    assert plan.partition is not None
    assert plan.partition.optimal
    by_name = {a.name: a for a in plan.apps}
    for group in plan.groups:
        assert check_group([by_name[x] for x in group.apps], plan.target, group.python) == []


def test_realpython_flask_1_vs_3(corpus: Path) -> None:
    plan = analyze(corpus / "realpython__materials", Config(), Options(lenient=True))
    flask = [c for c in plan.conflicts if canonicalize_name(c.package) == "flask"]
    old, new = "flask-connexion-rest-part-4", "flask-project"
    [conflict] = [
        c
        for c in flask
        if any(old in side for side in sides(c)) and any(new in side for side in sides(c))
    ]
    assert frozenset((old, new)) in {frozenset(s) for s in expand(conflict)}
    lines = {
        (r.specifier, str(r.origin))
        for name in (old, new)
        for r in plan.app(name).requirements
        if r.key == "flask"
    }
    assert lines == {
        ("==1.0.2", "flask-connexion-rest-part-4/requirements.txt:6"),
        ("==3.0.0", "flask-project/requirements.txt:2"),
    }
    # The representatives' own lines are listed with their origins.
    assert {r.app for r in conflict.requirements} == set(conflict.apps)


def test_output_is_byte_identical_across_runs_and_hash_seeds(tmp_path: Path) -> None:
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-m", "depsplit", "analyze", str(DEMO), "--format", "json"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["groups"]


def test_json_report_of_the_demo_round_trips(demo) -> None:
    data = json.loads(json_report.render(demo))
    assert data["partition"]["optimal"] is True
    # One entry per package and kind; read back, each is the sets of apps it stands for.
    assert [c["id"] for c in data["conflicts"]] == [
        "python:python",
        "version:fastapi",
        "version:flask",
        "version:pydantic",
    ]
    back = [
        (c.package, c.apps, c.members)
        for entry in data["conflicts"]
        for c in minimal_sets(read_package_conflict(entry), 1000)
    ]
    assert sorted(back) == sorted((c.package, c.apps, sides(c)) for c in demo.conflicts)


def test_a_group_that_meets_only_in_pre_releases_says_so(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    for name, line in (("a", "pkg>=2.0a1\n"), ("b", "pkg<=2.0b5\n")):
        (root / name).mkdir(parents=True)
        (root / name / "requirements.txt").write_text(line)
    plan = analyze(root, Config(), Options())
    assert plan.conflicts == ()
    assert [g.apps for g in plan.groups] == [("a", "b")]
    [note] = plan.diagnostics
    assert note.level == "warning"
    assert "only pre-releases satisfy both" in note.message


def test_kept_apart_by_names_each_package_once_whatever_its_spelling(tmp_path: Path) -> None:
    """PEP 503: Django, django and DJANGO are one package in a group's ``splits``."""
    for app, line in (("a", "Django==3.2"), ("b", "django==4.2"), ("c", "DJANGO==5.0")):
        (tmp_path / app).mkdir()
        (tmp_path / app / "requirements.txt").write_text(line + "\n", encoding="utf-8")
    plan = analyze(tmp_path)
    assert len(plan.groups) == 3
    spellings = {c.package for c in plan.conflicts}
    assert len(spellings) > 1  # the conflicts do carry different spellings
    for group in plan.groups:
        assert len(group.splits) == 1
        assert group.splits[0] == min(spellings)
