"""A release whose metadata is invalid (``Requires-Dist: click (>=7.*)``, as ``uvicorn``
0.12.1 to 0.14.0 publish) is ignored, as pip (24.1 on) ignores it: never a stopped run; the
answer fetched once, cached, and named in a warning."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import resolvelib
from localindex import Dist, LocalIndex, build_index, pip_dry_run, req, serve

from depsplit.index import BadMetadataError, Finder, ResolutionImpossible, resolve
from depsplit.index.errors import InvalidMetadata
from depsplit.index.resolve import ignored_releases, transitive_requirements
from depsplit.model import Target

TARGET = Target()
MakeFinder = Callable[..., Finder]
resolve_module = sys.modules["depsplit.index.resolve"]

WHY = (
    "web-2.0-py3-none-any.whl: invalid Requires-Dist 'click (>=7.*)': "
    ".* suffix can only be used with `==` or `!=` operators"
)
DISTS = [
    Dist("web", "1.0", ["click>=7"]),
    Dist("web", "2.0", ["click (>=7.*)"]),
    Dist("click", "7.0"),
    Dist("click", "8.0"),
]


@pytest.fixture
def index(tmp_path: Path) -> LocalIndex:
    return build_index(tmp_path / "index", DISTS)


def _pip_choice(files: Path, requirement: str) -> dict[str, str]:
    """What pip itself installs for ``requirement`` from ``files`` (a dry run's report)."""
    result = pip_dry_run(files, "--quiet", "--report", "-", requirement)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    return {i["metadata"]["name"]: i["metadata"]["version"] for i in report["install"]}


def test_a_release_with_invalid_metadata_is_ignored_as_pip_ignores_it(
    index: LocalIndex, make_finder: MakeFinder
) -> None:
    finder = make_finder(index.file_url)
    found = resolve([req("web")], target=TARGET, python="3.12", finder=finder)
    assert {k: p.version for k, p in found.pins.items()} == {"web": "1.0", "click": "8.0"}
    assert _pip_choice(index.files, "web") == {"web": "1.0", "click": "8.0"}
    assert ignored_releases(finder) == [("web 2.0", WHY)]


def test_a_closure_reached_through_an_ignored_release_is_the_older_one(
    index: LocalIndex, make_finder: MakeFinder
) -> None:
    finder = make_finder(index.file_url)
    edges = transitive_requirements([req("web")], TARGET, "3.12", finder, app="a")
    assert [(e.key, e.specifier, e.chain) for e in edges] == [
        ("click", ">=7", ("web==1.0", "click>=7")),
        ("web", "", ("web",)),
    ]


def test_nothing_left_but_invalid_releases_is_a_failure_that_names_them(
    index: LocalIndex, make_finder: MakeFinder
) -> None:
    finder = make_finder(index.file_url)
    with pytest.raises(ResolutionImpossible) as caught:
        resolve([req("web>=2")], target=TARGET, python="3.12", finder=finder)
    assert caught.value.exit_code == 1  # a verdict (pip cannot install it either), not exit 2
    assert f"web 2.0 is ignored, as pip ignores it: {WHY}" in caught.value.notes


def test_invalid_metadata_is_fetched_once_then_read_from_the_cache(
    index: LocalIndex, make_finder: MakeFinder
) -> None:
    path = "/files/web-2.0-py3-none-any.whl.metadata"
    with serve(index.root) as (base, state):
        first = make_finder(f"{base}/simple/", retries=2)
        resolve([req("web")], target=TARGET, python="3.12", finder=first)
        # What the file says every time: not retried (as a transfer gone wrong would be).
        assert [p for p, _ in state.requests].count(path) == 1
        warm = make_finder(f"{base}/simple/", retries=2)
        found = resolve([req("web")], target=TARGET, python="3.12", finder=warm)
        assert [p for p, _ in state.requests].count(path) == 1
    assert found.pins["web"].version == "1.0"
    assert ignored_releases(warm) == [("web 2.0", WHY)]
    offline = make_finder(f"{base}/simple/", offline=True)
    found = resolve([req("web")], target=TARGET, python="3.12", finder=offline)
    assert found.pins["web"].version == "1.0"


def test_a_corrupt_cache_entry_is_still_fetched_again(
    index: LocalIndex, make_finder: MakeFinder
) -> None:
    path = "/files/click-8.0-py3-none-any.whl.metadata"
    with serve(index.root) as (base, state):
        resolve([req("click")], target=TARGET, python="3.12", finder=make_finder(f"{base}/simple/"))
        cache = Path(make_finder(f"{base}/simple/").cache.root) / "metadata"
        for entry in cache.iterdir():
            entry.write_bytes(b"\x00 not metadata")
        found = resolve(
            [req("click")], target=TARGET, python="3.12", finder=make_finder(f"{base}/simple/")
        )
        assert [p for p, _ in state.requests].count(path) == 2
    assert found.pins["click"].version == "8.0"


# Backjumping on purpose: ``x`` 2.0 fails only through ``q`` (so it joins the
# incompatibilities of ``x`` on a backjump), then every ``y`` but the oldest fails through
# its ``w``: each of those backjumps joins the lists of ``x`` and ``y`` again.
DEEP = [
    Dist("x", "1.0"),
    Dist("x", "2.0", ["q"]),
    Dist("q", "1.0", ["z>=2"]),
    Dist("z", "1.0"),
    Dist("z", "2.0"),
    *(Dist("y", f"{v}.0", [f"w=={v}.0"]) for v in range(1, 13)),
    *(Dist("w", f"{v}.0", ["z>=2"] if v > 1 else []) for v in range(1, 13)),
]


def _incompatibilities_read(
    monkeypatch: pytest.MonkeyPatch, finder: Finder, apps: dict[str, list[object]]
) -> tuple[object, int, int]:
    """The resolution's pins and rounds, and the incompatibilities its ``find_matches``
    calls were given in all (each read once per call)."""
    seen = [0]
    original = resolve_module._Provider.find_matches

    def counting(self: object, identifier: str, requirements: object, incompatibilities: object):  # type: ignore[no-untyped-def]
        listed = list(incompatibilities[identifier])  # type: ignore[index]
        seen[0] += len(listed)
        given = {identifier: listed}

        class Given:
            def __getitem__(self, key: str) -> object:
                return iter(given[key]) if key in given else incompatibilities[key]  # type: ignore[index]

        return original(self, identifier, requirements, Given())

    monkeypatch.setattr(resolve_module._Provider, "find_matches", counting)
    meter = resolve_module.Meter()
    found = resolve_module.resolve_apps(
        apps, target=TARGET, python="3.12", finder=finder, meter=meter
    )
    monkeypatch.undo()
    pins = {k: p.version for k, p in found.pins.items()}
    return pins, meter.rounds, seen[0]


def test_backjumps_keep_the_incompatibilities_without_repeats(
    tmp_path: Path, make_finder: MakeFinder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """resolvelib joins the broken state's incompatibilities with the current ones, which
    hold the same candidates, at every backjump: kept as they come, the lists double (90 s
    for ``fastapi``/``uvicorn`` at CPython 3.6). Without repeats: the same pins in the same
    rounds, and far fewer to read."""
    index = build_index(tmp_path / "deep", DEEP)
    apps: dict[str, list[object]] = {"a": [req("x"), req("y"), req("z<2")]}
    ours = _incompatibilities_read(monkeypatch, make_finder(index.file_url), apps)
    monkeypatch.setattr(resolve_module, "_Resolver", resolvelib.Resolver)
    stock = _incompatibilities_read(monkeypatch, make_finder(index.file_url), apps)
    assert ours[:2] == stock[:2]
    assert ours[0] == {"w": "1.0", "x": "1.0", "y": "1.0", "z": "1.0"}
    assert ours[2] < stock[2]


def test_an_invalid_requires_python_in_metadata_is_still_an_error(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    """pip reads an invalid ``Requires-Python`` as absent (with a warning) and installs the
    release: depsplit does not assume that and fails closed, naming it, as before."""
    index = build_index(
        tmp_path / "odd",
        [Dist("odd", "1.0", requires_python=">=3.6.*", link_requires_python=False)],
    )
    finder = make_finder(index.file_url, retries=0)
    with pytest.raises(BadMetadataError) as caught:
        resolve([req("odd")], target=TARGET, python="3.12", finder=finder)
    assert not isinstance(caught.value, InvalidMetadata)
    assert "invalid Requires-Python '>=3.6.*'" in str(caught.value)
    assert caught.value.exit_code == 2
    assert ignored_releases(finder) == []
