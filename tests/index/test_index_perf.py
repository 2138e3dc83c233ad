"""What keeps warm runs cheap, without changing a result: parsed pages in the cache (an old
entry is a miss), versions and ranked releases shared by every resolution of a finder, and
candidates ranked only as the resolver reaches them — in pip's order."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from localindex import Dist, LocalIndex, build_index, req, serve
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.version import Version

from depsplit.index import Finder, ResolutionImpossible, resolve
from depsplit.index.cache import PAGE_FORMAT, Cache, Link
from depsplit.index.resolve import _Cand, _Provider, _Req, assumed_sdists
from depsplit.index.tags import wheel_rank
from depsplit.model import Target
from depsplit.specalgebra import exact_pins

# ``depsplit.index.resolve`` the attribute is the function; the module is this one.
resolve_module = sys.modules["depsplit.index.resolve"]

TARGET = Target()
MakeFinder = Callable[..., Finder]


# ------------------------------------------------------------------------------ the cache


def test_page_round_trips_parsed(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    links = [
        Link("a-1.0-py3-none-any.whl", "https://h/a-1.0-py3-none-any.whl", (("sha256", "ab"),)),
        Link("a-1.0.tar.gz", "https://h/a-1.0.tar.gz", (), ">=3.8", "", ()),
        Link(
            "a-0.9.tar.gz",
            "https://h/a-0.9.tar.gz",
            (("md5", "1"), ("sha256", "2")),
            None,
            "broken",
            (("sha256", "cd"),),
        ),
    ]
    cache.put_page("https://u:secret@h/simple/a/", 200, [link.row() for link in links])
    page = cache.get_page("https://h/simple/a/", fresh_only=True)
    assert page is not None
    assert page.status == 200
    assert tuple(Link.from_row(row) for row in page.rows) == tuple(links)
    stored = next((tmp_path / "index-v1").rglob("*.json")).read_text()
    assert "secret" not in stored
    assert json.loads(stored)["format"] == PAGE_FORMAT


def test_an_old_or_foreign_page_entry_is_a_miss(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    url = "https://h/simple/a/"
    cache.put_page(url, 200, [Link("a-1.0.tar.gz", "https://h/a-1.0.tar.gz").row()])
    [path] = (tmp_path / "index-v1").rglob("*.json")
    record = json.loads(path.read_text())
    for broken in (
        {**record, "format": 1},
        {k: v for k, v in record.items() if k != "format"},
        {**record, "links": [["only", "two"]]},
        {**record, "links": [["a-1.0.tar.gz", "u", ["sha256", "x"], None, None, None]]},
        {**record, "url": "https://h/simple/b/"},
    ):
        path.write_text(json.dumps(broken))
        assert cache.get_page(url, fresh_only=False) is None
    # The body-in-JSON entries of format 1 lived under pages/: never read.
    old = tmp_path / "index-v1" / "pages" / f"{hashlib.sha256(url.encode()).hexdigest()}.json"
    old.parent.mkdir(parents=True)
    old.write_text(
        json.dumps(
            {
                "url": url,
                "status": 200,
                "content_type": "text/html",
                "body": "<a href='a-1.0.tar.gz'>x</a>",
                "fetched": 1e12,
            }
        )
    )
    path.unlink()
    assert cache.get_page(url, fresh_only=False) is None


def test_warm_finder_reads_the_parsed_page(world: LocalIndex, make_finder: MakeFinder) -> None:
    with serve(world.root) as (base, state):
        cold = make_finder(f"{base}/simple/")
        expected = cold.files("fastapi")
        warm = make_finder(f"{base}/simple/")
        assert warm.files("fastapi") == expected
        assert [f.tags for f in warm.files("fastapi")] == [f.tags for f in expected]
        assert [p for p, _ in state.requests].count("/simple/fastapi/") == 1


def test_a_release_s_files_are_made_when_it_is_first_asked_for(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    """A page's files are grouped by the version their names give, and the files of a
    release are made only when it is asked for (the resolver needs one of 40 here):
    the same files, in the same order, as when every release is asked for."""
    index = build_index(tmp_path / "idx", _many("big", 40))
    finder = make_finder(index.file_url)
    found = resolve([req("big>=39")], target=TARGET, python="3.12", finder=finder)
    assert found.pins["big"].version == "40.0"
    versions = finder.versions("big")
    assert len(versions) == 40
    assert list(versions._made) == [Version("40.0")]
    everything = make_finder(index.file_url).files("big")
    assert finder.files("big") == everything
    assert [f.filename for f in everything[:2]] == [
        "big-40.0-py3-none-any.whl",
        "big-40.0-cp312-cp312-win_amd64.whl",
    ]


def test_equal_versions_are_one_release_named_as_its_last_file_spells_it(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    """``pkg-1.0.tar.gz`` and ``pkg-1.0.0-py3-none-any.whl`` are one release: listed once,
    under the version of its last file name (by name, from the last), with both files."""
    directory = tmp_path / "links"
    directory.mkdir()
    for name in ("pkg-1.0.tar.gz", "pkg-1.0.0-py3-none-any.whl", "pkg-0.9.tar.gz"):
        (directory / name).write_bytes(b"x")
    finder = make_finder(
        "https://unused.invalid/simple/", no_index=True, find_links=[str(directory)]
    )
    versions = finder.versions("pkg")
    assert [str(v) for v in versions] == ["1.0", "0.9"]
    assert [f.filename for f in versions[Version("1.0.0")]] == [
        "pkg-1.0.tar.gz",
        "pkg-1.0.0-py3-none-any.whl",
    ]
    assert Version("1") in versions
    assert Version("2") not in versions


# ------------------------------------------------------------ shared and lazy ranking


def _many(name: str, count: int) -> list[Dist]:
    return [
        Dist(name, f"{v}.0", tags=("py3-none-any", "cp312-cp312-win_amd64"))
        for v in range(1, count + 1)
    ]


@pytest.fixture
def ranks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def counting(tags: frozenset[Tag], target: Target, python: str) -> int | None:
        calls.append(1)
        return wheel_rank(tags, target, python)

    monkeypatch.setattr(resolve_module, "wheel_rank", counting)
    return calls


def test_only_the_releases_reached_are_ranked_once_per_finder(
    tmp_path: Path, make_finder: MakeFinder, ranks: list[int]
) -> None:
    index = build_index(tmp_path / "idx", _many("big", 40))
    finder = make_finder(index.file_url)
    assert (
        resolve([req("big")], target=TARGET, python="3.12", finder=finder).pins["big"].version
        == "40.0"
    )
    assert len(ranks) == 2  # the two wheels of 40.0, not the 80 of the page
    ranks.clear()
    assert resolve([req("big>=3")], target=TARGET, python="3.12", finder=finder, app="b")
    assert ranks == []  # a second resolution (another app) reuses the ranking
    assert resolve([req("big")], target=TARGET, python="3.11", finder=finder)
    assert len(ranks) == 2  # another interpreter is ranked on its own


def _reference(
    provider: _Provider, key: str, spec: SpecifierSet, bad: set[Version]
) -> list[Version]:
    """find_matches as it was written eagerly (before candidates were produced lazily)."""
    pins = exact_pins(spec)
    eligible = {}
    for version in spec.filter(provider.versions(key), prereleases=True):
        release = provider.release(key, version)
        if release is not None and (not release.yanked or version in pins):
            eligible[version] = release
    return [v for v in sorted(spec.filter(eligible), reverse=True) if v not in bad]


PRE_WORLD = [
    Dist("mixed", "1.0"),
    Dist("mixed", "1.1"),
    Dist("mixed", "2.0b1"),
    Dist("mixed", "2.0.dev3"),
    Dist("mixed", "1.2", yanked="bad"),
    Dist("mixed", "1.3", tags=("cp27-cp27mu-manylinux1_x86_64",)),
    Dist("onlypre", "0.1a1"),
    Dist("onlypre", "0.2rc1"),
    Dist("yankedfinal", "3.0", yanked=""),
    Dist("yankedfinal", "3.1b2"),
    Dist("yankedfinal", "2.9rc1"),
    Dist("nothing", "1.0", tags=("cp27-cp27mu-manylinux1_x86_64",)),
]


@pytest.mark.parametrize(
    ("key", "spec", "bad"),
    [
        ("mixed", "", ()),
        ("mixed", ">=1.0", ("1.1",)),
        ("mixed", ">=1.0,<2", ()),
        ("mixed", ">=2.0a1", ()),
        ("mixed", "==1.2", ()),
        ("mixed", "==1.3", ()),
        ("mixed", ">1.1", ()),
        ("mixed", "!=1.1,!=1.0", ()),
        ("mixed", "===1.1", ()),
        ("onlypre", "", ()),
        ("onlypre", "<0.2", ()),
        ("onlypre", "", ("0.2rc1",)),
        ("yankedfinal", "", ()),
        ("yankedfinal", "==3.0", ()),
        ("yankedfinal", ">=3", ()),
        ("nothing", "", ()),
        ("absent", "", ()),
    ],
)
def test_lazy_candidates_match_the_eager_order(
    tmp_path: Path, make_finder: MakeFinder, key: str, spec: str, bad: tuple[str, ...]
) -> None:
    index = build_index(tmp_path / "idx", PRE_WORLD)
    finder = make_finder(index.file_url)
    provider = _Provider(finder, TARGET, "3.12", {})
    requirement = _Req(
        key=key,  # type: ignore[arg-type]
        name=key,
        extras=frozenset(),
        specifier=SpecifierSet(spec),
        chain=(f"{key}{spec}",),
        app=None,
        origin=None,
    )
    bad_versions = {Version(v) for v in bad}
    bad_cands = [_Cand(key, v) for v in bad_versions]
    found = provider.find_matches(key, {key: iter([requirement])}, {key: iter(bad_cands)})
    matches = list(found()) if callable(found) else list(found)
    if callable(found):
        assert list(found()) == matches  # iterable again, in the same order
    expected = _reference(provider, key, SpecifierSet(spec), bad_versions)
    assert [c.version for c in matches] == expected
    assert all(c.path == (f"{key}=={c.version}",) for c in matches)
    assert (key in provider._empty) == (not expected)


# ------------------------------------------------------------------- the sdist message


def test_release_with_wheels_for_other_pythons_is_not_called_sdist_only(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    index = build_index(
        tmp_path / "idx",
        [
            Dist(
                "pygame",
                "2.0.0",
                tags=(
                    "cp39-cp39-manylinux1_x86_64",
                    "cp36-cp36m-manylinux1_x86_64",
                    "cp38-cp38-win_amd64",
                ),
                sdist=True,
            ),
            Dist("sdistonly", "0.3", tags=(), sdist=True),
        ],
    )
    finder = make_finder(index.file_url)
    # Wheels for other Pythons only: not a candidate at 3.12 (no compiler in a slim image;
    # an older minor has its wheels), so the pin cannot be met there, and the note says why.
    with pytest.raises(ResolutionImpossible) as info:
        resolve([req("pygame==2.0.0")], target=TARGET, python="3.12", finder=finder)
    message = str(info.value)
    assert (
        "no release of pygame==2.0.0 installs on CPython 3.12 linux/x86_64 (wheels for cp36, "
        "cp38, cp39 on manylinux1_x86_64, win_amd64)"
    ) in message
    assert "only published as a source distribution" not in message
    assert info.value.exit_code == 1
    # At 3.9 a wheel installs: no error.
    assert resolve([req("pygame==2.0.0")], target=TARGET, python="3.9", finder=finder).pins
    # An sdist-only release (PKG-INFO 2.1), with building off, is taken as a leaf, named.
    finder = make_finder(index.file_url, build_metadata=False)
    assert resolve([req("sdistonly")], target=TARGET, python="3.12", finder=finder).pins
    assert assumed_sdists(finder) == ["sdistonly 0.3 (sdistonly-0.3.tar.gz)"]


def test_a_resolution_looks_at_a_release_that_does_not_install_once(
    tmp_path: Path, make_finder: MakeFinder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``find_matches`` is asked again for the same versions at every criterion change and
    backjump. Releases that do not install here (30 of ``old``'s publish CPython 2.7 wheels
    only, as ``fastapi``'s history at CPython 3.6 mostly needs newer) are passed over once
    in a resolution, not at each call: the same candidates each time."""
    dists = [Dist("old", f"{v}.0", tags=("cp27-cp27mu-manylinux1_x86_64",)) for v in range(1, 31)]
    index = build_index(tmp_path / "idx", [*dists, Dist("old", "0.5")])
    provider = _Provider(make_finder(index.file_url), TARGET, "3.12", {})
    asked: list[Version] = []
    release = provider.release

    def counting(key: str, version: Version) -> object:
        asked.append(version)
        return release(key, version)

    monkeypatch.setattr(provider, "release", counting)
    requirement = _Req(
        key="old",  # type: ignore[arg-type]
        name="old",
        extras=frozenset(),
        specifier=SpecifierSet(),
        chain=("old",),
        app=None,
        origin=None,
    )
    for _ in range(3):
        found = provider.find_matches("old", {"old": iter([requirement])}, {"old": iter([])})
        matches = list(found()) if callable(found) else list(found)
        assert [c.version for c in matches] == [Version("0.5")]
    assert sorted(asked) == sorted(Version(d.version) for d in [*dists, Dist("old", "0.5")])


def test_an_error_asked_for_again_keeps_no_earlier_caller_s_frames(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    """A future keeps one error for every caller, and each raise of it used to add the
    raising frames to its traceback: every resolution that met an sdist of unknown
    dependencies stayed in memory through them (realpython --transitive: 697 -> 581 MB).
    Asked five times, the error's traceback is as long each time."""
    from depsplit.index.finder import DynamicMetadata

    index = build_index(tmp_path / "idx", [Dist("sdonly", "1.0", tags=(), sdist=True)])
    finder = make_finder(index.file_url)
    [file] = finder.files("sdonly")
    depths = []
    for _ in range(5):
        with pytest.raises(DynamicMetadata) as caught:
            finder.metadata(file)
        depth, tb = 0, caught.value.__traceback__
        while tb is not None:
            depth, tb = depth + 1, tb.tb_next
        depths.append(depth)
    assert len(set(depths)) == 1, depths
