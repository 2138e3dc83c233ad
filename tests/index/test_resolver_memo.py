"""The memoized resolver (:class:`depsplit.index.resolve._Resolution`: pin checks and
preferences kept on resolvelib's criteria, dependencies and combined specifiers shared by the
resolutions of a finder) answers as resolvelib's own loop does, round for round: the same
pins and chains, the same failures, the same number of rounds."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
import resolvelib
from localindex import WORLD, Dist, LocalIndex, build_index, req

from depsplit.index import Finder, ResolutionImpossible, ResolutionTooComplex
from depsplit.index.resolve import Meter, resolve_apps, transitive_requirements
from depsplit.model import Requirement, Target

resolve_module = sys.modules["depsplit.index.resolve"]
TARGET = Target()
MakeFinder = Callable[..., Finder]

# Backtracking on purpose: every ``top`` release needs a ``mid`` whose ``leaf`` the app's
# ``leaf<2`` refuses, down to the oldest; ``Top`` and ``top[x]`` name one project twice.
BACKTRACK = [
    *WORLD,
    *(Dist("top", f"{v}.0", [f"mid=={v}.0"], extras=["x"]) for v in range(1, 7)),
    *(Dist("mid", f"{v}.0", [f"leaf>={v}"]) for v in range(1, 7)),
    *(Dist("leaf", f"{v}.0") for v in range(1, 7)),
]

CASES: list[dict[str, list[Requirement]]] = [
    {"web": [req("fastapi==0.95.2")], "api": [req("pydantic>=2.5")]},
    {"x": [req("fastapi>=0.90")], "y": [req("starlette<0.28")]},
    {"a": [req("withextras[pretty]"), req("anyio")], "b": [req("WithExtras")]},
    {"a": [req("Top"), req("leaf<2")], "b": [req("top[x]>=1")]},
    {"a": [req("top"), req("leaf<1")]},
    {"a": [req("newpy"), req("metapy"), req("fastapi")]},
]


def _outcome(
    apps: dict[str, list[Requirement]], finder: Finder, python: str, rounds: int
) -> tuple[object, ...]:
    meter = Meter()
    try:
        res = resolve_apps(
            apps, target=TARGET, python=python, finder=finder, max_rounds=rounds, meter=meter
        )
    except ResolutionImpossible as exc:
        return ("impossible", str(exc), exc.causes, meter.rounds)
    except ResolutionTooComplex as exc:
        return ("too complex", exc.rounds, meter.rounds)
    edges = [
        transitive_requirements(reqs, TARGET, python, finder, app=app)
        for app, reqs in sorted(apps.items())
    ]
    pins = [(p.name, p.version, p.hashes, p.parents, p.extras) for p in res.pins.values()]
    return ("resolved", pins, res.chains, res.apps, edges, meter.rounds)


@pytest.fixture
def backtrack(tmp_path_factory: pytest.TempPathFactory) -> LocalIndex:
    return build_index(tmp_path_factory.mktemp("index"), BACKTRACK)


@pytest.mark.parametrize("python", ["3.12", "3.9"])
@pytest.mark.parametrize("rounds", [20000, 7])
def test_the_memoized_resolver_answers_as_resolvelib_does_round_for_round(
    backtrack: LocalIndex,
    make_finder: MakeFinder,
    monkeypatch: pytest.MonkeyPatch,
    python: str,
    rounds: int,
) -> None:
    # Twice through one finder (the second time from its shared memos), then once through
    # resolvelib's own resolver with a fresh finder: the same answers.
    finder = make_finder(backtrack.file_url)
    memoized = [_outcome(apps, finder, python, rounds) for apps in CASES]
    again = [_outcome(apps, finder, python, rounds) for apps in CASES]
    monkeypatch.setattr(resolve_module, "_Resolver", resolvelib.Resolver)
    stock = [_outcome(apps, make_finder(backtrack.file_url), python, rounds) for apps in CASES]
    assert memoized == stock
    # A union whose plain search ran out of its rounds the first time goes to the
    # look-ahead at once the second time: that many rounds fewer, the same answer.
    assert again == [(*o[:-1], o[-1] - rounds) if o[-1] > rounds else o for o in stock]
    kinds = {o[0] for o in stock}
    assert "impossible" in kinds
    assert ("too complex" in kinds) == (rounds == 7)


def test_an_extras_pin_is_named_as_each_resolution_names_it(
    backtrack: LocalIndex, make_finder: MakeFinder
) -> None:
    # The ``name==version`` an extras candidate adds carries the name its requirement uses,
    # though the release's dependencies are kept once for the finder.
    finder = make_finder(backtrack.file_url)
    for name in ("top", "Top"):
        res = resolve_apps(
            {"a": [req(f"{name}[x]<2")]}, target=TARGET, python="3.12", finder=finder
        )
        assert res.pins["top"].name == name
        assert res.pins["top"].extras == ("x",)
