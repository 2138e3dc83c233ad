"""``--transitive`` resolves the same requirements once: apps that ask the same things (in
the same order) share their closure's resolution, and unions of such apps share theirs,
the shared outcome relabelled with each app's name and origins. The answers are those of
resolving every app and every union on its own, to the byte."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from localindex import WORLD, LocalIndex, build_index

from depsplit.analyze import Options, analyze, read_apps
from depsplit.config import Config
from depsplit.index import IndexConfig, ResolutionImpossible, ResolutionTooComplex
from depsplit.index.resolve import Meter
from depsplit.model import Target
from depsplit.report import json as json_report
from depsplit.sources.base import ReadContext
from depsplit.transitive import Transitive
from depsplit.transitive.reuse import Outcome
from depsplit.transitive.store import Figures

Tree = Callable[[dict[str, str | bytes]], Path]
resolve_module = sys.modules["depsplit.index.resolve"]

pytestmark = pytest.mark.usefixtures("no_pip_config")

FILES = {
    "web/requirements.txt": "fastapi==0.95.2\n",
    "web2/requirements.txt": "fastapi==0.95.2\n",
    "api/requirements.txt": "pydantic>=2.5\n",
    "api2/requirements.txt": "# the same, one line down\npydantic>=2.5\n",
    "tools/requirements.txt": "idna\nrich\n",
}


@pytest.fixture
def world(tmp_path: Path) -> LocalIndex:
    return build_index(tmp_path / "index", WORLD)


def unshared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Outcome, "serves", lambda self, max_rounds: False)


def session(root: Path, index: LocalIndex) -> Transitive:
    apps, _ = read_apps(root, Config(), ReadContext(root=root))
    config = IndexConfig(index_url=index.file_url, cache_dir=root.parent / "c")
    return Transitive(apps, Target(), config, root=root)


def test_apps_with_the_same_requirements_are_resolved_once(
    tree: Tree, world: LocalIndex, runs: list[tuple[str | None, ...]]
) -> None:
    root = tree(FILES)
    with session(root, world) as s:
        web, web2, api, api2 = (s.by_name[n] for n in ("web", "web2", "api", "api2"))
        python = s.allowed(web)[0]
        first = s.edges(web, python)
        second = s.edges(web2, python)
        assert runs == [("web",)]
        assert isinstance(first, list)
        assert isinstance(second, list)
        assert {e.app for e in second} == {"web2"}
        assert {str(e.origin) for e in second} == {"web2/requirements.txt:1"}
        assert [(e.key, e.chain, e.specifier) for e in first] == [
            (e.key, e.chain, e.specifier) for e in second
        ]
        # The origin is part of what is shared: another line, the same resolution.
        s.edges(api, python)
        assert {str(e.origin) for e in s.edges(api2, python)} == {"api2/requirements.txt:2"}  # type: ignore[union-attr]
        assert runs == [("web",), ("api",)]


def test_a_shared_resolution_says_what_resolving_the_app_alone_says(
    tree: Tree, world: LocalIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(FILES)
    with session(root, world) as s:
        python = s.allowed(s.by_name["web"])[0]
        shared = {n: s.edges(s.by_name[n], python) for n in sorted(s.by_name)}
        failure = s.union(["web", "api"], python)
        meter = Meter()
        relabelled = s.union(["web2", "api2"], python, meter=meter)
    unshared(monkeypatch)
    with session(root, world) as s:
        alone = {n: s.edges(s.by_name[n], python) for n in sorted(s.by_name)}
        fresh_meter = Meter()
        fresh = s.union(["web2", "api2"], python, meter=fresh_meter)
    assert shared == alone
    assert isinstance(failure, ResolutionImpossible)
    assert isinstance(relabelled, ResolutionImpossible)
    assert isinstance(fresh, ResolutionImpossible)
    assert relabelled.causes == fresh.causes
    assert str(relabelled) == str(fresh)
    assert relabelled.apps == ("api2", "web2")
    assert "api2/requirements.txt:2" in str(relabelled)
    # The verification's budget is charged the same rounds, reused or not.
    assert meter.rounds == fresh_meter.rounds > 0


def test_a_union_of_apps_asking_what_another_union_asked_is_resolved_once(
    tree: Tree, world: LocalIndex, runs: list[tuple[str | None, ...]]
) -> None:
    root = tree(FILES)
    with session(root, world) as s:
        python = s.allowed(s.by_name["web"])[0]
        assert s.union(["web", "tools"], python) is None
        assert s.union(["web2", "tools"], python) is None
        assert isinstance(s.union(["api", "web"], python), ResolutionImpossible)
        assert isinstance(s.union(["api2", "web2"], python), ResolutionImpossible)
    assert runs == [("tools", "web"), ("api", "web")]


def test_the_report_is_the_same_to_the_byte_with_fewer_resolutions(
    tree: Tree,
    world: LocalIndex,
    monkeypatch: pytest.MonkeyPatch,
    runs: list[tuple[str | None, ...]],
) -> None:
    root = tree(FILES)

    def report() -> str:
        options = Options(
            transitive=True,
            index=IndexConfig(index_url=world.file_url, cache_dir=root.parent / "c"),
        )
        return json_report.render(analyze(root, Config(), options))

    shared = report()
    shared_runs = len(runs)
    runs.clear()
    unshared(monkeypatch)
    alone = report()
    assert shared == alone
    assert '"web2/requirements.txt"' in shared
    assert shared_runs < len(runs)


def test_an_outcome_serves_another_round_limit_only_when_that_takes_the_same_steps() -> None:
    labels = (("a", ()),)
    plain = Outcome([], labels, Figures(max_rounds=2000, rounds=30, longest=20, backjumped=False))
    assert plain.serves(2000)
    assert plain.serves(20000)
    assert plain.serves(20)
    assert not plain.serves(19)  # it would not have finished
    # resolvelib's optimistic backjumping weighs max_rounds once it has backjumped.
    jumped = Outcome([], labels, Figures(max_rounds=2000, rounds=30, longest=20, backjumped=True))
    assert jumped.serves(2000)
    assert not jumped.serves(20000)
    unfinished = Outcome(ResolutionTooComplex(2000), labels, Figures(2000, 2000, 2000, False))
    assert unfinished.serves(2000)
    assert not unfinished.serves(3000)
    assert not unfinished.serves(1000)


def test_index_options_that_read_the_same_pages_share_one_finder(
    tree: Tree, world: LocalIndex
) -> None:
    """``--index-url …/simple`` in an app's file reads the pages of the configured
    ``…/simple/``: one finder, each page loaded once; another index gets its own."""
    url = world.file_url.rstrip("/")
    root = tree(
        {
            "a/requirements.txt": f"--index-url {url}\nidna\n",
            "b/requirements.txt": "idna\n",
            "c/requirements.txt": f"--extra-index-url {url}/../simple/\nidna\n",
        }
    )
    with session(root, world) as s:
        assert s.indexes.config_for(["a"]) != s.indexes.config_for(["b"])
        assert s.finder(["a"]) is s.finder(["b"])
        assert s.finder(["c"]) is not s.finder(["b"])
