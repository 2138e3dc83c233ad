"""The resolver's look-ahead (:meth:`depsplit.index.resolve._Provider.doomed`): a candidate
whose dependencies, a few links down, cannot meet a top-level requirement is never offered.
On a chain like ``attrs==20.3.0`` beside ``jupyter`` (every new ``jsonschema`` needs a newer
attrs, every new ``jupyter-events`` a new jsonschema, and so on up to ``notebook``), pip's
search, and resolvelib's without it, tries the combinations one by one and does not finish;
with it the resolution takes a few rounds, and gives the same pins where both finish. It runs
only when pip's search does not finish within its rounds: everything pip's search answers is
answered as before."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
from localindex import Dist, LocalIndex, ServerState, build_index, req, serve

from depsplit.index import Finder, ResolutionImpossible, ResolutionTooComplex
from depsplit.index.resolve import Meter, resolve_apps
from depsplit.model import Requirement, Target

resolve_module = sys.modules["depsplit.index.resolve"]
TARGET = Target()
MakeFinder = Callable[..., Finder]
CHAIN = ["schema", "events", "server", "lab", "book"]


def trap(n: int) -> list[Dist]:
    """Five projects of ``n`` releases, each link of the chain needing the one below; the
    newer half of ``schema`` needs ``pin>=2``, the newer half of each other link the newer
    half of the link below. Each release also needs a ``side`` project of ``n`` releases
    (more pins to undo when the search backtracks)."""
    half = n // 2
    dists = [Dist("pin", "1.0"), Dist("pin", "2.0")]
    for i, name in enumerate(CHAIN):
        below = "pin" if i == 0 else CHAIN[i - 1]
        for v in range(1, n + 1):
            need = f"{below}>={2 if i == 0 else half + 1}" if v > half else f"{below}>=1"
            dists.append(Dist(name, f"{v}.0", [need, f"side{i}"]))
            dists.append(Dist(f"side{i}", f"{v}.0"))
    dists.append(Dist("meta", "1.0", ["book", "lab", "server", "events", "other"]))
    dists += [Dist("other", f"{v}.0", ["side4"]) for v in range(1, n + 1)]
    dists += [Dist("flask", "1.1.1", ["click<8,>=5.1"])]
    dists += [Dist("click", v) for v in ("7.1.2", "8.1.7")]
    return dists


@pytest.fixture
def small(tmp_path_factory: pytest.TempPathFactory) -> LocalIndex:
    return build_index(tmp_path_factory.mktemp("index"), trap(6))


@pytest.fixture
def large(tmp_path_factory: pytest.TempPathFactory) -> LocalIndex:
    return build_index(tmp_path_factory.mktemp("index"), trap(30))


def _resolve(finder: Finder, apps: dict[str, list[Requirement]], rounds: int) -> tuple[object, int]:
    meter = Meter()
    try:
        res = resolve_apps(
            apps, target=TARGET, python="3.12", finder=finder, max_rounds=rounds, meter=meter
        )
    except ResolutionImpossible as exc:
        return ("impossible", str(exc)), meter.rounds
    except ResolutionTooComplex:
        return ("too complex",), meter.rounds
    return {k: p.version for k, p in res.pins.items()}, meter.rounds


APP = {"a": [req("pin==1.0"), req("meta")]}


def test_the_lookahead_finishes_where_the_plain_search_does_not(
    large: LocalIndex, make_finder: MakeFinder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pip's search first (PLAIN_ROUNDS, 2,000, whatever the limit: not enough), then the
    # look-ahead (a few more).
    plain = resolve_module.PLAIN_ROUNDS
    pins, rounds = _resolve(make_finder(large.file_url), APP, 20000)
    assert isinstance(pins, dict)
    assert {k: pins[k] for k in [*CHAIN, "pin", "other"]} == {
        **dict.fromkeys(CHAIN, "15.0"),
        "pin": "1.0",
        "other": "30.0",
    }
    assert plain < rounds < plain + 50
    # Under a lower limit, the plain search gets that limit.
    monkeypatch.setattr(resolve_module, "PLAIN_ROUNDS", 3000)
    assert _resolve(make_finder(large.file_url), APP, 2500) == (pins, rounds - plain + 2500)
    # The look-ahead alone takes those few rounds.
    monkeypatch.setattr(resolve_module, "PLAIN_FIRST", False)
    assert _resolve(make_finder(large.file_url), APP, 3000) == (pins, rounds - plain)
    # Without it (no budget to read any release), the search exhausts its rounds.
    monkeypatch.setattr(resolve_module, "LOOKAHEAD_BUDGET", 0)
    assert _resolve(make_finder(large.file_url), APP, 3000)[0] == ("too complex",)


@pytest.mark.parametrize(
    "apps",
    [
        APP,
        {"a": [req("pin==1.0"), req("book"), req("lab>=2")]},
        {"a": [req("pin==2.0"), req("meta")]},
        {"a": [req("meta")], "b": [req("schema<3")]},
    ],
)
def test_the_lookahead_gives_the_pins_of_the_plain_search(
    small: LocalIndex,
    make_finder: MakeFinder,
    monkeypatch: pytest.MonkeyPatch,
    apps: dict[str, list[Requirement]],
) -> None:
    plain, plain_rounds = _resolve(make_finder(small.file_url), apps, 20000)
    monkeypatch.setattr(resolve_module, "PLAIN_FIRST", False)
    ahead, ahead_rounds = _resolve(make_finder(small.file_url), apps, 20000)
    assert isinstance(plain, dict)
    assert ahead == plain
    assert ahead_rounds <= plain_rounds


def test_a_failure_is_explained_by_what_clashes_not_by_what_the_lookahead_ruled_out(
    small: LocalIndex, make_finder: MakeFinder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # flask 1.1.1 is doomed by the top-level click>=8.1: the look-ahead alone fails on
    # flask; pip's search, which finishes here, names click, and its causes are the ones
    # given.
    apps = {"old": [req("flask==1.1.1")], "new": [req("click>=8.1", line=2)]}
    failure, _ = _resolve(make_finder(small.file_url), apps, 20000)
    monkeypatch.setattr(resolve_module, "PLAIN_FIRST", False)
    ahead, _ = _resolve(make_finder(small.file_url), apps, 20000)
    assert ahead[0] == "impossible"
    assert ahead != failure
    assert failure[0] == "impossible"
    assert "click<8,>=5.1" in str(failure[1])
    assert "click>=8.1" in str(failure[1])


def test_an_impossible_chain_is_proven_impossible_where_the_plain_search_gives_up(
    large: LocalIndex, make_finder: MakeFinder
) -> None:
    # Every lab>=16 needs schema>=16, which needs pin>=2: no solution, and the plain search
    # does not finish within 3,000 rounds; the look-ahead's own causes stand.
    apps = {"a": [req("pin==1.0"), req("meta"), req("lab>=16", line=2)]}
    failure, _ = _resolve(make_finder(large.file_url), apps, 3000)
    assert failure[0] == "impossible"
    assert "lab>=16" in str(failure[1])


def test_a_union_whose_plain_search_ran_out_goes_to_the_lookahead_at_once(
    large: LocalIndex, make_finder: MakeFinder
) -> None:
    """The partition checks a group, then its lock resolves the same union: the second
    resolution does not run pip's search to its limit again, and gives the same pins."""
    finder = make_finder(large.file_url)
    plain = resolve_module.PLAIN_ROUNDS
    first, first_rounds = _resolve(finder, APP, 20000)
    again, again_rounds = _resolve(finder, APP, 20000)
    assert again == first
    assert first_rounds > plain
    assert again_rounds == first_rounds - plain
    # Another union through the same finder still starts with pip's search.
    other = {"a": [req("pin==2.0"), req("meta")]}
    assert (
        _resolve(finder, other, 20000)[1] == _resolve(make_finder(large.file_url), other, 20000)[1]
    )


def test_the_look_ahead_fetches_the_next_releases_at_once(
    tmp_path_factory: pytest.TempPathFactory,
    make_finder: MakeFinder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every release of ``lib`` but the oldest needs ``pin>=2`` beside ``pin<2``: the
    look-ahead reads them one after another. A cold run waited on each metadata file in
    turn; past a doomed one, the next ones are fetched together."""
    dists = [Dist("pin", "1.0"), Dist("pin", "2.0"), Dist("lib", "1.0", ["pin>=1"])]
    dists += [Dist("lib", f"{v}.0", ["pin>=2"]) for v in range(2, 12)]
    index = build_index(tmp_path_factory.mktemp("index"), dists)
    monkeypatch.setattr(resolve_module, "PLAIN_FIRST", False)  # the look-ahead at once
    state = ServerState(delay={"/files/lib-": 0.2})
    with serve(index.root, state) as (base, _):
        finder = make_finder(f"{base}/simple/")
        found = resolve_apps(
            {"app": [req("lib"), req("pin<2")]}, target=TARGET, python="3.12", finder=finder
        )
    assert {k: p.version for k, p in found.pins.items()} == {"lib": "1.0", "pin": "1.0"}
    assert state.overlap > 1
