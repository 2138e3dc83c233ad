"""Hand-built plans shared by the report tests, the golden-file helper, and checks that hold
for every renderer (pure, deterministic, no secrets, no user data unescaped)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from depsplit.baseline import Baseline, BaselineDiff, diff
from depsplit.model import (
    App,
    BuildFromSource,
    Conflict,
    ConflictRequirement,
    Diagnostic,
    Group,
    Origin,
    Partition,
    Plan,
    Requirement,
)
from depsplit.report import github, markdown, sarif
from depsplit.report import text as text_report

GOLDEN = Path(__file__).parent / "cases" / "report"
UPDATE = os.environ.get("DEPSPLIT_UPDATE_GOLDENS") == "1"


def check_golden(name: str, actual: str) -> None:
    """Compare with ``tests/cases/report/<name>``; ``DEPSPLIT_UPDATE_GOLDENS=1`` rewrites."""
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        if not UPDATE:
            pytest.fail(f"golden {name} was missing and has been written; check it in")
    assert actual == path.read_text(encoding="utf-8")


def _req(name: str, spec: str, file: str, line: int, via: tuple[str, ...] = ()) -> Requirement:
    return Requirement(key=name.lower(), name=name, specifier=spec, origin=Origin(file, line, via))


def _app(name: str, path: str, *reqs: Requirement, python: tuple[()] = ()) -> App:
    return App(name=name, path=path, sources=(f"{path}/requirements.txt",), requirements=reqs)


FLASK = Conflict(
    id="version:flask:1111111111",
    kind="version",
    package="flask",
    apps=("api", "legacy"),
    requirements=(
        ConflictRequirement("api", ">=3", Origin("services/api/requirements.txt", 2), "flask"),
        ConflictRequirement(
            "legacy",
            "==1.1.1",
            Origin("libs/old.txt", 4, ("services/legacy/requirements.txt:1",)),
            "flask",
        ),
    ),
    message="flask: api needs >=3 but legacy needs ==1.1.1: no version is both",
)
PYDANTIC = Conflict(
    id="version:pydantic:2222222222",
    kind="version",
    package="pydantic",
    apps=("legacy", "web"),
    requirements=(
        ConflictRequirement(
            "legacy",
            "<2",
            Origin("services/legacy/requirements.txt", 3),
            "pydantic",
            chain=("fastapi", "pydantic"),
        ),
        ConflictRequirement("web", ">=2", Origin("services/web/requirements.txt", 1), "pydantic"),
    ),
    message="pydantic: legacy needs <2 (through fastapi) but web needs >=2",
)
PYTHON = Conflict(
    id="python:3333333333",
    kind="python",
    package="python",
    apps=("legacy", "worker"),
    requirements=(
        ConflictRequirement("legacy", "<3.9", Origin("services/legacy/runtime.txt", 1)),
        ConflictRequirement("worker", ">=3.12", Origin("jobs/worker/pyproject.toml", 5)),
    ),
    message="no CPython minor satisfies both <3.9 and >=3.12",
)
URL = Conflict(
    id="url:mylib:4444444444",
    kind="url",
    package="mylib",
    apps=("api", "worker"),
    requirements=(
        ConflictRequirement(
            "api",
            "",
            Origin("services/api/requirements.txt", 5),
            "mylib",
            url="git+https://****@git.example.com/mylib.git@v1",
        ),
        ConflictRequirement(
            "worker", "", Origin("jobs/worker/pyproject.toml", None), "mylib", url="../mylib"
        ),
    ),
    message="mylib comes from two different sources",
)
THREE_WAY = Conflict(
    id="version:trap-pkg:5555555555",
    kind="version",
    package="trap-pkg",
    apps=("api", "web", "worker"),
    requirements=(
        ConflictRequirement(
            "api", ">=1,<3", Origin("services/api/requirements.txt", 3), "trap-pkg"
        ),
        ConflictRequirement(
            "web", ">=2,<4", Origin("services/web/requirements.txt", 2), "trap-pkg"
        ),
        ConflictRequirement(
            "worker",
            ">=1,<4,!=2.*",
            Origin("jobs/worker/pyproject.toml", 7),
            "trap-pkg",
            marker='python_version >= "3.8"',
        ),
    ),
    message="pairwise compatible, jointly impossible: >=1,<3 and >=2,<4 and >=1,<4,!=2.*",
)
NASTY = Conflict(
    id="version:we|rd:6666666666",
    kind="version",
    package="we|rd`pkg<b>",
    apps=("api", "web"),
    requirements=(
        ConflictRequirement(
            "api", "==1|2", Origin("services/api/my reqs (old).txt", 9), "we|rd`pkg<b>"
        ),
        ConflictRequirement("web", ">=3,<4", Origin("services/web/requirements.txt", 3), "x"),
    ),
    message="line one | <script>alert(1)</script>\nline `two` @someone **bold** [x](y) 100%, a:b",
)

APPS = (
    _app("api", "services/api", _req("flask", ">=3", "services/api/requirements.txt", 2)),
    _app("legacy", "services/legacy", _req("flask", "==1.1.1", "libs/old.txt", 4)),
    _app("web", "services/web", _req("pydantic", ">=2", "services/web/requirements.txt", 1)),
    _app("worker", "jobs/worker"),
    _app("broken", "services/broken"),
)
GROUPS = (
    Group("api", ("api", "web"), "3.12", ("flask", "mylib")),
    Group("legacy", ("legacy",), "3.8", ("flask", "pydantic", "python")),
    Group("worker", ("worker",), "3.13", ("python", "trap-pkg")),
    Group("broken", ("broken",), "3.13"),
)
DIAGNOSTICS = (
    Diagnostic(
        "error",
        "invalid requirement 'flask==': expected a version",
        "services/web/requirements.txt",
        7,
    ),
    Diagnostic("warning", "unknown option --foo", "services/api/requirements.txt", None),
)


def sample_plan() -> Plan:
    return Plan(
        root=".",
        apps=APPS,
        diagnostics=DIAGNOSTICS,
        conflicts=(FLASK, PYDANTIC, PYTHON, URL, THREE_WAY, NASTY),
        groups=GROUPS,
        partition=Partition(optimal=True, lower_bound=3, witness=("api", "legacy", "worker")),
        unsatisfiable=("broken",),
    )


PSYCOPG2 = BuildFromSource("psycopg2", "2.8.6", "no wheel for cp312 manylinux x86_64; sdist only")
UWSGI = BuildFromSource("uWSGI", "2.0.28", "no wheel for cp312 manylinux x86_64; sdist only")


def plan_with_builds() -> Plan:
    """The sample plan with group ``api`` compiling two releases on an unverified Python,
    and ``worker`` unverified too."""
    plan = sample_plan()
    groups = [
        replace(g, builds=(PSYCOPG2, UWSGI), python_verified=False)
        if g.name == "api"
        else replace(g, python_verified=False)
        if g.name == "worker"
        else g
        for g in plan.groups
    ]
    return replace(plan, groups=tuple(groups))


def empty_plan() -> Plan:
    return Plan(root=".", apps=(_app("api", "services/api"),))


OLD_PKG = Conflict(
    id="version:old-pkg:7777777777",
    kind="version",
    package="old-pkg",
    apps=("api", "web"),
    requirements=(
        ConflictRequirement("api", "==1", Origin("services/api/requirements.txt", 8), "old-pkg"),
        ConflictRequirement("web", "==2", Origin("services/web/requirements.txt", 8), "old-pkg"),
    ),
    message="old-pkg: ==1 and ==2",
)


def sample_baseline() -> Baseline:
    """The state before: flask, pydantic and old-pkg conflicts; legacy shared the api group."""
    return Baseline(
        source="origin/main",
        conflicts=(FLASK, PYDANTIC, OLD_PKG),
        groups=(
            Group("api", ("api", "legacy", "web"), "3.12"),
            Group("worker", ("worker",), "3.13"),
            Group("gone", ("retired",), "3.11"),
        ),
        apps=("api", "legacy", "web", "worker", "retired"),
    )


def sample_diff() -> BaselineDiff:
    return diff(sample_baseline(), sample_plan())


RENDERERS = {
    "text": lambda plan, d: text_report.render(plan, baseline=d),
    "markdown": lambda plan, d: markdown.render(plan, baseline=d),
    "sarif": lambda plan, d: sarif.render(plan, baseline=d),
    "github": lambda plan, d: github.render(plan, baseline=d),
}


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_renderers_are_deterministic_and_pure(fmt: str) -> None:
    plan, d = sample_plan(), sample_diff()
    first = RENDERERS[fmt](plan, d)
    assert first == RENDERERS[fmt](sample_plan(), sample_diff())
    assert plan == sample_plan()  # not mutated
    assert first.endswith("\n")


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_renderers_handle_an_empty_plan(fmt: str) -> None:
    out = RENDERERS[fmt](empty_plan(), None)
    assert out.strip()


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_conflict_and_origin_appears(fmt: str) -> None:
    out = RENDERERS[fmt](sample_plan(), None)
    for conflict in (FLASK, PYDANTIC, PYTHON, URL, THREE_WAY):
        assert conflict.package in out
        for r in conflict.requirements:
            assert r.origin.file in out


def test_text_headline_keeps_the_contract() -> None:
    assert text_report.headline(sample_plan()).startswith("depsplit: 5 apps, 6 conflicts, ")


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_renderers_take_builds_and_unverified_pythons(fmt: str) -> None:
    out = RENDERERS[fmt](plan_with_builds(), None)
    assert out == RENDERERS[fmt](plan_with_builds(), None)
    if fmt in ("text", "markdown", "github"):  # the headline
        assert "Python choice unverified for 2 groups" in out


def test_headline_says_nothing_when_every_python_is_verified() -> None:
    assert "unverified" not in text_report.headline(sample_plan())
    one = replace(sample_plan(), groups=(replace(GROUPS[0], python_verified=False), *GROUPS[1:]))
    assert text_report.headline(one).endswith(
        "4 groups (optimal), Python choice unverified for 1 group, 1 unsatisfiable, "
        "1 error, 1 warning"
    )
