"""depsplit.transitive through ``analyze()`` and its session object, against a local
``file://`` index (no network)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from localindex import WORLD, Dist, LocalIndex, build_index

from depsplit.analyze import Options, analyze, read_apps
from depsplit.config import Config
from depsplit.emit import GenerateOptions, render_all
from depsplit.index import IndexConfig
from depsplit.model import Group, LockedPin, Plan, Target
from depsplit.sources.base import ReadContext
from depsplit.transitive import Transitive
from depsplit.transitive.notes import Notes
from depsplit.transitive.verify import Verdict, note_unverified

Tree = Callable[[dict[str, str | bytes]], Path]


pytestmark = pytest.mark.usefixtures("no_pip_config")


@pytest.fixture
def world(tmp_path: Path) -> LocalIndex:
    return build_index(tmp_path / "index", WORLD)


def run(root: Path, index: LocalIndex, config: Config | None = None, **kw: object) -> Plan:
    options = Options(
        transitive=True,
        index=IndexConfig(index_url=index.file_url, cache_dir=root.parent / "c"),
        **kw,  # type: ignore[arg-type]
    )
    return analyze(root, config or Config(), options)


def test_the_group_check_returns_a_minimal_infeasible_subset(tree: Tree, world: LocalIndex) -> None:
    root = tree(
        {
            "web/requirements.txt": "fastapi==0.95.2\n",
            "api/requirements.txt": "pydantic>=2.5\n",
            "tools/requirements.txt": "idna\n",
            "more/requirements.txt": "rich\n",
        }
    )
    config = Config()
    apps, _ = read_apps(root, config, ReadContext(root=root))
    index = IndexConfig(index_url=world.file_url, cache_dir=root.parent / "c")
    with Transitive(apps, Target(), index, root=root) as session:
        assert session.check(["web", "api", "tools", "more"]) == ("api", "web")
        assert session.check(["web", "tools", "more"]) is None
        assert session.check(["api", "tools"]) is None
        assert session.diagnostics == []


def test_a_group_holding_a_set_known_not_to_resolve_is_decided_without_resolving(
    tree: Tree, world: LocalIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever pins install a group install each part of it: once ``api`` and ``web`` are
    known not to resolve together, every group holding both is answered with that pair, no
    new resolution (a 38-app check on the realpython corpus took 386 s before)."""
    root = tree(
        {
            "web/requirements.txt": "fastapi==0.95.2\n",
            "api/requirements.txt": "pydantic>=2.5\n",
            "tools/requirements.txt": "idna\n",
            "more/requirements.txt": "rich\n",
        }
    )
    apps, _ = read_apps(root, Config(), ReadContext(root=root))
    index = IndexConfig(index_url=world.file_url, cache_dir=root.parent / "c")
    with Transitive(apps, Target(), index, root=root) as session:
        assert session.check(["api", "web"]) == ("api", "web")
        resolved: list[frozenset[str]] = []
        union = session.union

        def counting(group: frozenset[str], *args: object, **kw: object) -> object:
            resolved.append(group)
            return union(group, *args, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(session, "union", counting)
        assert session.check(["web", "api", "tools", "more"]) == ("api", "web")
        assert session.check(["tools", "api", "web"]) == ("api", "web")
        assert resolved == []
        # A group without the pair is resolved as before.
        assert session.check(["web", "tools", "more"]) is None
        assert resolved


def test_a_clash_of_edges_that_another_choice_of_versions_fixes_is_not_reported(
    tree: Tree, world: LocalIndex
) -> None:
    # Alone, x gets fastapi 0.110 (starlette>=0.36.3); with y's starlette<0.28 the resolver
    # backtracks to fastapi 0.95.2: a candidate, refuted by verification.
    root = tree({"x/requirements.txt": "fastapi>=0.90\n", "y/requirements.txt": "starlette<0.28\n"})
    plan = run(root, world)
    assert plan.conflicts == ()
    [group] = plan.groups
    assert group.apps == ("x", "y")
    pins = {p.name: p.version for p in group.lock}
    assert pins["fastapi"] == "0.95.2"
    assert pins["starlette"] == "0.27.0"
    assert [d for d in plan.diagnostics if d.level == "error"] == []


def test_unverified_candidates_give_a_warning_and_the_groups_are_still_checked(
    tree: Tree, world: LocalIndex
) -> None:
    root = tree(
        {
            "services/web/requirements.txt": "fastapi==0.95.2\n",
            "services/api/requirements.txt": "pydantic>=2.5\n",
        }
    )
    plan = run(root, world, time_limit=1e-9)
    assert plan.conflicts == ()
    # With no time at all, the partition cannot prove its count either: a second warning.
    [warning] = [d for d in plan.diagnostics if "candidate conflicts" in d.message]
    assert all(d.level == "warning" for d in plan.diagnostics)
    assert "1 of 1 candidate conflicts" in warning.message
    assert "checked as a whole" in warning.message
    assert sorted(g.apps for g in plan.groups) == [("api",), ("web",)]


def test_an_unverified_candidate_whose_apps_one_lock_resolves_is_settled(
    tree: Tree, world: LocalIndex
) -> None:
    """No budget to verify the x–y candidate (alone, x gets a starlette y excludes), but the
    partition puts x and y in one group and its lock resolves them together: no conflict,
    and no warning naming it."""
    root = tree({"x/requirements.txt": "fastapi>=0.90\n", "y/requirements.txt": "starlette<0.28\n"})
    plan = run(root, world, time_limit=1e-9)
    assert plan.conflicts == ()
    [group] = plan.groups
    assert group.apps == ("x", "y")
    assert {p.name: p.version for p in group.lock}["starlette"] == "0.27.0"
    assert [d for d in plan.diagnostics if "candidate conflicts" in d.message] == []


def test_the_unverified_warning_names_only_what_no_lock_settles() -> None:
    session = SimpleNamespace(notes=Notes(), time_limit=10.0)
    left = ((("a", "b"), "attrs"), (("a", "c"), "idna"), (("c", "d"), "six"))
    verdict = Verdict([], verified=1, left=left, total=4, budget=10000)
    lock = (LockedPin("x", "1.0", (), ()),)
    groups = [
        Group("g1", ("a", "b"), "3.12", lock=lock),
        Group("g2", ("c", "d"), "3.12"),  # no lock: it settles nothing
    ]
    note_unverified(session, verdict, groups)  # type: ignore[arg-type]
    [warning] = session.notes.sorted()
    assert warning.level == "warning"
    assert warning.message.startswith("--transitive: 2 of 4 candidate conflicts")
    assert "1 more were left and then resolved together in their group's lock" in warning.message
    assert warning.message.endswith("idna (a, c); six (c, d)")
    settled = Verdict([], verified=3, left=left[:1], total=4, budget=10000)
    quiet = SimpleNamespace(notes=Notes(), time_limit=10.0)
    note_unverified(quiet, settled, groups)  # type: ignore[arg-type]
    assert quiet.notes.sorted() == []


def test_group_python_from_the_configuration_is_kept_and_locked(
    tree: Tree, world: LocalIndex
) -> None:
    root = tree({"web/requirements.txt": "fastapi==0.95.2\n"})
    plan = run(root, world, Config(group_python={"web": "3.10"}))
    [group] = plan.groups
    assert group.python == "3.10"
    pins = {p.name for p in group.lock}
    assert "exceptiongroup" in pins  # anyio's marker holds on 3.10 only


def test_a_group_python_that_cannot_work_is_an_error_not_a_crash(
    tree: Tree, world: LocalIndex
) -> None:
    root = tree({"ml/requirements.txt": "tensorflow==2.12.1\n"})
    plan = run(root, world, Config(group_python={"ml": "3.12"}))
    [group] = plan.groups
    assert group.lock == ()
    [error] = [d for d in plan.diagnostics if d.level == "error"]
    assert "group 'ml' (ml) has no lock: it cannot be installed on CPython 3.12" in error.message
    assert "tensorflow" in error.message


def test_an_app_no_minor_can_install_is_unsatisfiable(tree: Tree, world: LocalIndex) -> None:
    root = tree({"w/requirements.txt": "windowswheel\n", "ok/requirements.txt": "idna\n"})
    plan = run(root, world)
    assert plan.unsatisfiable == ("w",)
    [conflict] = plan.conflicts
    assert conflict.apps == ("w",)
    assert conflict.package == "windowswheel"
    assert "no release of windowswheel" in conflict.message
    assert [g.apps for g in plan.groups] == [("ok",)]


def test_a_lock_with_a_line_outside_the_index_has_no_hashes(
    tree: Tree, world: LocalIndex, tmp_path: Path
) -> None:
    root = tree(
        {
            "web/requirements.txt": "fastapi==0.95.2\n./libs/common#egg=common\n",
            "web/libs/common/setup.py": "",
        }
    )
    plan = run(root, world)
    files = render_all(plan, root, GenerateOptions(outdir="deploy", context=".."))
    text = str(files["web/requirements.txt"])
    assert "--hash=" not in text
    assert "fastapi==0.95.2\n" in text
    assert "./web/libs/common" in text
    assert text.index("pydantic==1.10.13") < text.index("./web/libs/common")
    assert "No --hash options" in text


def test_lock_file_pins_and_constraints_narrow_the_resolution(
    tree: Tree, world: LocalIndex, tmp_path: Path
) -> None:
    other = build_index(tmp_path / "two", [*WORLD, Dist("idna", "3.7")])
    root = tree(
        {
            "a/requirements.txt": "-c constraints.txt\nanyio\n",
            "a/constraints.txt": "idna<3.7\n",
        }
    )
    plan = run(root, other)
    [group] = plan.groups
    assert {p.name: p.version for p in group.lock}["idna"] == "3.6"


def test_consequences_of_a_root_conflict_are_not_reported_separately(
    tree: Tree, tmp_path: Path
) -> None:
    # torchvision==0.20.0 pins torch==2.5.0, which pins sympy==1.13.1; torch>=2.7 needs
    # sympy>=1.13.3. Their sympy pins disagree only because their torch does: one conflict.
    index = build_index(
        tmp_path / "torch-index",
        [
            Dist("torchvision", "0.20.0", ["torch==2.5.0"]),
            Dist("torch", "2.5.0", ["sympy==1.13.1"]),
            Dist("torch", "2.7.0", ["sympy>=1.13.3"]),
            Dist("sympy", "1.13.1"),
            Dist("sympy", "1.13.3"),
        ],
    )
    root = tree(
        {
            "vision/requirements.txt": "torchvision==0.20.0\n",
            "trainer/requirements.txt": "torch>=2.7\n",
        }
    )
    plan = run(root, index)
    [conflict] = plan.conflicts
    assert (conflict.package, conflict.apps) == ("torch", ("trainer", "vision"))
    assert (
        "vision → torchvision==0.20.0 → torch==2.5.0 (vision/requirements.txt:1)"
        in conflict.message
    )
    assert [g.apps for g in plan.groups] == [("trainer",), ("vision",)]
