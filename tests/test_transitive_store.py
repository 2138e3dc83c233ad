"""``--transitive`` keeps its resolutions beside the index cache, and a warm run replays
them instead of resolving again: the same report to the byte, with no resolution run, as
long as every project a resolution read lists the same files. A new release, a wheel
rewritten under its name, another version of depsplit, a damaged entry: the resolution
runs again, and the report is what a run on an empty cache says."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from localindex import WORLD, Dist, build_index, wheel_bytes

from depsplit.analyze import Options, analyze
from depsplit.config import Config
from depsplit.index import IndexConfig, ResolutionImpossible, ResolutionTooComplex
from depsplit.index.finder import Finder
from depsplit.index.resolve import Cause, TransitiveRequirement, replay
from depsplit.model import LockedPin, Origin, Target
from depsplit.report import json as json_report
from depsplit.transitive import store as store_module
from depsplit.transitive.store import Store, decode_result, encode_result

Tree = Callable[[dict[str, str | bytes]], Path]
resolve_module = sys.modules["depsplit.index.resolve"]

pytestmark = pytest.mark.usefixtures("no_pip_config")

FILES = {
    "web/requirements.txt": "fastapi==0.95.2\n",
    "api/requirements.txt": "pydantic>=2.5\n",
    "tools/requirements.txt": "idna\nrich\nwithextras[pretty]\n",
    "old/requirements.txt": "sdistonly\nyankme==2.0\n",
}


def report(root: Path, cache: Path, **index: object) -> str:
    config = IndexConfig(cache_dir=cache, **index)  # type: ignore[arg-type]
    options = Options(transitive=True, index=config)
    return json_report.render(analyze(root, Config(), options))


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "index-v1" / "outcomes").rglob("*.json"))


def test_a_warm_run_replays_every_resolution_and_says_the_same_to_the_byte(
    tree: Tree, tmp_path: Path, runs: list[tuple[str | None, ...]]
) -> None:
    world = build_index(tmp_path / "index", WORLD)
    root = tree(FILES)
    cold = report(root, tmp_path / "c", index_url=world.file_url)
    assert runs, "the cold run resolves"
    assert entries(tmp_path / "c")
    runs.clear()
    warm = report(root, tmp_path / "c", index_url=world.file_url)
    assert warm == cold
    assert runs == []
    # What a run without the store says, for comparison: the same.
    assert report(root, tmp_path / "fresh", index_url=world.file_url) == cold
    data = json.loads(cold)
    assert any(g.get("lock") for g in data["groups"]), "the groups are locked"


def test_a_new_release_is_resolved_again(tree: Tree, tmp_path: Path) -> None:
    world = build_index(tmp_path / "index", WORLD)
    root = tree(FILES)
    before = report(root, tmp_path / "c", index_url=world.file_url)
    assert '"2.6.0"' in before  # pydantic's newest
    shutil.rmtree(world.root)
    world = build_index(tmp_path / "index", [*WORLD, Dist("pydantic", "2.7.1", ["idna"])])
    warm = report(root, tmp_path / "c", index_url=world.file_url)
    assert warm == report(root, tmp_path / "fresh", index_url=world.file_url)
    assert '"2.7.1"' in warm
    assert warm != before


def test_a_wheel_rewritten_under_its_name_is_resolved_again(
    tree: Tree, tmp_path: Path, runs: list[tuple[str | None, ...]]
) -> None:
    """A find-links directory lists no hashes: a wheel replaced by another of the same
    name (a local rebuild) is seen by its size and time of change."""
    links = tmp_path / "links"
    links.mkdir()
    dists = [Dist("app-lib", "1.0", ["idna"]), Dist("idna", "3.6"), Dist("rich", "13.7.0")]
    for d in dists:
        (links / f"{d.name.replace('-', '_')}-{d.version}-py3-none-any.whl").write_bytes(
            wheel_bytes(d, "py3-none-any")
        )
    root = tree({"a/requirements.txt": "app-lib\n", "b/requirements.txt": "idna\n"})
    where = {"no_index": True, "find_links": (str(links),)}
    before = report(root, tmp_path / "c", **where)
    runs.clear()
    assert report(root, tmp_path / "c", **where) == before
    assert runs == []
    rebuilt = Dist("app-lib", "1.0", ["idna", "rich"])
    (links / "app_lib-1.0-py3-none-any.whl").write_bytes(wheel_bytes(rebuilt, "py3-none-any"))
    warm = report(root, tmp_path / "c", **where)
    assert runs
    assert warm == report(root, tmp_path / "fresh", **where)
    assert '"rich"' in warm
    assert '"rich"' not in before


@pytest.mark.parametrize(
    "damage",
    [b"", b"{not json", b'{"format": 99}', b'{"format": 1, "figures": [1, 2]}', b"[]"],
    ids=["empty", "truncated", "another-format", "incomplete", "not-an-object"],
)
def test_a_damaged_entry_is_a_miss(
    tree: Tree, tmp_path: Path, runs: list[tuple[str | None, ...]], damage: bytes
) -> None:
    world = build_index(tmp_path / "index", WORLD)
    root = tree(FILES)
    cold = report(root, tmp_path / "c", index_url=world.file_url)
    for path in entries(tmp_path / "c"):
        path.write_bytes(damage)
    runs.clear()
    assert report(root, tmp_path / "c", index_url=world.file_url) == cold
    assert runs
    # ... and each is written again, whole.
    runs.clear()
    assert report(root, tmp_path / "c", index_url=world.file_url) == cold
    assert runs == []


def test_another_version_of_the_code_resolves_again(
    tree: Tree,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    runs: list[tuple[str | None, ...]],
) -> None:
    world = build_index(tmp_path / "index", WORLD)
    root = tree(FILES)
    cold = report(root, tmp_path / "c", index_url=world.file_url)
    monkeypatch.setattr(store_module, "code_digest", lambda: "another depsplit")
    runs.clear()
    assert report(root, tmp_path / "c", index_url=world.file_url) == cold
    assert runs


def test_the_warnings_a_resolution_leaves_are_given_again(
    tree: Tree, tmp_path: Path, runs: list[tuple[str | None, ...]]
) -> None:
    """The sdists taken as having no dependencies and the releases ignored for invalid
    metadata are the resolutions' effects: a replay makes them again."""
    world = build_index(
        tmp_path / "index",
        [
            *WORLD,
            Dist("web", "1.0", ["click>=7"]),
            Dist("web", "2.0", ["click (>=7.*)"]),
            Dist("click", "8.0"),
        ],
    )
    root = tree({**FILES, "cli/requirements.txt": "web\n"})
    where = {"index_url": world.file_url, "build_metadata": False}
    cold = report(root, tmp_path / "c", **where)
    messages = [d["message"] for d in json.loads(cold)["diagnostics"]]
    assert any("sdistonly 0.3" in m for m in messages), messages
    assert any("web 2.0 is ignored" in m for m in messages), messages
    runs.clear()
    assert report(root, tmp_path / "c", **where) == cold
    assert runs == []


def test_replay_refuses_a_memo_other_than_the_one_the_resolution_found(
    tmp_path: Path,
) -> None:
    key = json.dumps(["3.12", [["web", ">=1"]], []])
    with Finder(IndexConfig(no_index=True, cache_dir=tmp_path)) as finder:
        assert not replay(finder, [("deep?", key, "1")])  # it found the union long: not now
        assert replay(finder, [("deep?", key, "0"), ("deep", key), ("deep?", key, "1")])
        assert not replay(finder, [("deep?", key, "0")])  # now it is
        assert replay(finder, [("assumed", "old", "0.3", "old-0.3.tar.gz")])
        assert resolve_module.assumed_sdists(finder) == ["old 0.3 (old-0.3.tar.gz)"]
        assert not replay(finder, [("unknown", "x")])
        assert not replay(finder, [("deep?", "[" * 100_000, "0")])  # a damaged entry
        assert not replay(finder, [("assumed", "old", "not a version", "x")])


ORIGIN = Origin("app/requirements.txt", 3, ("app/base.txt:1",))
OUTCOMES: list[object] = [
    None,
    ResolutionTooComplex(2000),
    ResolutionImpossible(
        [
            Cause(
                "pydantic",
                "pydantic",
                "pydantic<2",
                ("fastapi==0.95.2", "pydantic<2"),
                ORIGIN,
                "web",
            ),
            Cause("<python>", "Python", "Requires-Python >=3.12", ("newpy==2.0",), None),
        ],
        "3.11",
        ("newpy 1.0 is ignored",),
    ),
    [
        TransitiveRequirement(
            "idna", "idna", ">=2.8", ("anyio==4.2.0", "idna>=2.8"), ORIGIN, "web"
        ),
        TransitiveRequirement(
            "rich", "Rich", "", ("withextras[pretty]==1.0", "rich>=13"), None, None, ("a", "b")
        ),
    ],
    (
        LockedPin("idna", "3.6", ("sha256:ab",), ("",), ("tools", "web"), (), False),
        LockedPin("old", "0.3", (), ("",), ("old",), ("x",), True),
    ),
]


@pytest.mark.parametrize(
    "outcome", OUTCOMES, ids=["none", "complex", "impossible", "edges", "lock"]
)
def test_every_outcome_is_stored_as_it_is(outcome: object) -> None:
    again = decode_result(json.loads(json.dumps(encode_result(outcome))))
    assert type(again) is type(outcome)
    if isinstance(outcome, ResolutionImpossible):
        assert isinstance(again, ResolutionImpossible)
        assert (again.causes, again.python, again.notes) == (
            outcome.causes,
            outcome.python,
            outcome.notes,
        )
        assert str(again) == str(outcome)
    elif isinstance(outcome, ResolutionTooComplex):
        assert isinstance(again, ResolutionTooComplex)
        assert again.rounds == outcome.rounds
    else:
        assert again == outcome


def test_the_key_names_the_code_the_rounds_and_the_indexes(tmp_path: Path) -> None:
    target = Target()
    with (
        Finder(IndexConfig(index_url="https://a.example/simple/", cache_dir=tmp_path)) as a,
        Finder(IndexConfig(index_url="https://b.example/simple/", cache_dir=tmp_path)) as b,
    ):
        one, other = Store(target, code="1"), Store(target, code="2")
        said = ((("idna", "idna", "", (), None, None, False, False, 0),), ())
        exact, generic = one.keys("edges", said, "3.12", a, 2000)
        names = {
            exact,
            generic,
            *one.keys("edges", said, "3.12", a, 20000)[:1],
            *one.keys("edges", said, "3.11", a, 2000),
            *one.keys("union", said, "3.12", a, 2000),
            *one.keys("edges", said, "3.12", b, 2000),
            *other.keys("edges", said, "3.12", a, 2000),
        }
        assert len(names) == 11
        assert one.keys("edges", said, "3.12", a, 20000)[1] == generic
        assert Store(target, "1").keys("edges", said, "3.12", a, 2000) == (exact, generic)


def test_a_project_another_resolution_read_first_is_checked_too(tree: Tree, tmp_path: Path) -> None:
    """The resolver's memos are shared by every resolution through a finder: ``b``'s
    resolution finds ``idna``'s versions already filtered by ``a``'s, and still checks its
    page on replay."""
    base = [Dist("idna", "3.6"), Dist("rich", "13.7.0")]
    world = build_index(tmp_path / "index", base)
    root = tree({"a/requirements.txt": "idna\n", "b/requirements.txt": "rich\nidna\n"})
    before = report(root, tmp_path / "c", index_url=world.file_url)
    shutil.rmtree(world.root)
    world = build_index(tmp_path / "index", [*base, Dist("idna", "3.7")])
    warm = report(root, tmp_path / "c", index_url=world.file_url)
    assert warm == report(root, tmp_path / "fresh", index_url=world.file_url)
    assert warm.count('"3.7"') > before.count('"3.7"')


def test_the_entries_of_another_depsplit_go_once_unused_for_two_weeks(
    tree: Tree, tmp_path: Path
) -> None:
    world = build_index(tmp_path / "index", WORLD)
    root = tree(FILES)
    outcomes = tmp_path / "c" / "index-v1" / "outcomes"
    for name, age_days in (("0" * 16, 15), ("1" * 16, 13)):
        (outcomes / name / "ab").mkdir(parents=True)
        (outcomes / name / "ab" / f"{'a' * 64}.json").write_text("{}")
        when = time.time() - age_days * 24 * 3600
        (outcomes / name / "used").touch()
        os.utime(outcomes / name / "used", (when, when))
    report(root, tmp_path / "c", index_url=world.file_url)
    kept = sorted(p.name for p in outcomes.iterdir())
    assert "0" * 16 not in kept
    assert "1" * 16 in kept
    assert len(kept) == 2  # and this version's own


def test_entries_unused_for_two_weeks_go_once_a_day(
    tree: Tree, tmp_path: Path, runs: list[tuple[str | None, ...]]
) -> None:
    """Entries of apps whose requirements have changed are never read again: a run removes
    those neither read nor written for two weeks (looking once a day); those it reads stay."""
    world = build_index(tmp_path / "index", WORLD)
    root = tree(FILES)
    report(root, tmp_path / "c", index_url=world.file_url)
    stored = entries(tmp_path / "c")
    old = time.time() - 15 * 24 * 3600
    outcomes = tmp_path / "c" / "index-v1" / "outcomes"
    for path in [*stored, *outcomes.glob("*/used"), *outcomes.glob("*/swept")]:
        os.utime(path, (old, old))
    stale = stored[0].with_name("f" * 64 + ".json")
    stale.write_text("{}")
    os.utime(stale, (old, old))
    runs.clear()
    report(root, tmp_path / "c", index_url=world.file_url)
    assert not stale.exists()
    assert runs == []
    kept = entries(tmp_path / "c")
    assert set(kept) < set(stored)  # the ones it did not read went (another round limit's)
    # ... and the ones it read were kept: the next run replays every resolution again.
    report(root, tmp_path / "c", index_url=world.file_url)
    assert runs == []
