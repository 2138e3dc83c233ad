"""Several sources serving one file, releases the resolver cannot evaluate at a minor, and
sdist metadata (PEP 643): all offline, against indexes the tests build."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from localindex import Dist, build_index, req

from depsplit.index import BadMetadataError, Finder, ResolutionImpossible, resolve
from depsplit.index.errors import BuildError
from depsplit.index.resolve import assumed_sdists, choose_python
from depsplit.model import Target

TARGET = Target()
MakeFinder = Callable[..., Finder]

DISTS = [
    Dist("flaskish", "1.0", ["safe>=2"]),
    Dist(
        "safe",
        "2.0.1",
        tags=[f"cp3{m}-cp3{m}-manylinux_2_17_x86_64" for m in (9, 10)],
        sdist=True,
    ),
    Dist("pure", "1.0", sdist=True),
    Dist("onlysdist", "0.5", tags=(), sdist=True),
]


def test_the_same_files_from_two_indexes_and_find_links_are_one_candidate(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    """A mirror as ``--extra-index-url`` and a ``--find-links`` directory of the same files,
    as this machine's pip configuration has: one file each, from the first index; no
    comparison of files (it used to raise ``TypeError``)."""
    first = build_index(tmp_path / "first", DISTS)
    mirror = build_index(tmp_path / "mirror", DISTS)
    finder = make_finder(
        first.file_url, extra_index_urls=(mirror.file_url,), find_links=(str(mirror.files),)
    )
    files = finder.files("pure")
    assert [f.filename for f in files] == ["pure-1.0.tar.gz", "pure-1.0-py3-none-any.whl"]
    assert {f.index for f in files} == {first.file_url}
    for minor in ("3.9", "3.10"):
        found = resolve(
            [req("flaskish"), req("pure"), req("onlysdist")],
            target=TARGET,
            python=minor,
            finder=finder,
        )
        assert found.pins["safe"].url.startswith(first.files.as_uri())
        assert len(found.pins["safe"].hashes) == 1
        assert found.pins["pure"].url.endswith("pure-1.0-py3-none-any.whl")
    assert list(finder.versions("safe")) == [next(iter(finder.versions("safe")))]


def test_two_different_files_of_one_name_are_both_kept_in_source_order(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    first = build_index(tmp_path / "first", [Dist("pure", "1.0", ["idna"]), Dist("idna", "3")])
    other = build_index(tmp_path / "other", [Dist("pure", "1.0"), Dist("idna", "3")])
    finder = make_finder(first.file_url, extra_index_urls=(other.file_url,))
    files = finder.files("pure")
    assert [f.index for f in files] == [first.file_url, other.file_url]
    for _ in range(2):
        found = resolve([req("pure")], target=TARGET, python="3.12", finder=finder)
        assert found.pins["pure"].url.startswith(first.files.as_uri())
        assert "idna" in found.pins  # the first index's file decides the metadata
        assert len(found.pins["pure"].hashes) == 2  # pip may be given either file


def test_a_release_without_a_wheel_for_the_minor_is_skipped_and_an_older_minor_chosen(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    index = build_index(tmp_path / "idx", DISTS)
    finder = make_finder(index.file_url)
    with pytest.raises(ResolutionImpossible) as info:
        resolve([req("flaskish")], target=TARGET, python="3.14", finder=finder)
    assert "no release of safe>=2 installs on CPython 3.14" in str(info.value)
    python, found = choose_python(
        {"app": [req("flaskish")]}, target=TARGET, finder=finder, pythons=("3.10", "3.14")
    )
    assert python == "3.10"
    assert found.pins["safe"].version == "2.0.1"


def test_an_old_sdist_only_release_reached_by_backtracking_is_skipped(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    """``six 1.4.1`` (sdist only, Metadata-Version 1.1) is between two releases with
    wheels: the resolver goes past it rather than stopping or guessing."""
    index = build_index(
        tmp_path / "idx",
        [
            Dist("six", "1.16.0"),
            Dist("six", "1.4.1", tags=(), sdist=True, sdist_metadata="1.1"),
            Dist("six", "1.3.0"),
        ],
    )
    finder = make_finder(index.file_url)
    found = resolve([req("six<1.16")], target=TARGET, python="3.12", finder=finder)
    assert found.pins["six"].version == "1.3.0"
    with pytest.raises(ResolutionImpossible) as info:
        resolve([req("six>=1.16"), req("six<1.16")], target=TARGET, python="3.12", finder=finder)
    assert info.value.packages == ("six",)
    assert assumed_sdists(finder) == []


@pytest.mark.parametrize(
    ("metadata", "dynamic", "static"),
    [("2.2", (), True), ("2.4", (), True), ("2.2", ("Requires-Dist",), False), ("2.1", (), False)],
)
def test_sdist_metadata_is_used_when_pep_643_makes_it_authoritative(
    tmp_path: Path, make_finder: MakeFinder, metadata: str, dynamic: tuple[str, ...], static: bool
) -> None:
    index = build_index(
        tmp_path / "idx",
        [
            Dist(
                "antlrish",
                "4.9.3",
                ["idna"],
                tags=(),
                sdist=True,
                sdist_metadata=metadata,
                dynamic=dynamic,
            ),
            Dist("idna", "3.6"),
        ],
    )
    finder = make_finder(index.file_url, build_metadata=False)
    found = resolve([req("antlrish==4.9.*")], target=TARGET, python="3.12", finder=finder)
    assert found.pins["antlrish"].version == "4.9.3"
    assert ("idna" in found.pins) is static
    expected = [] if static else ["antlrish 4.9.3 (antlrish-4.9.3.tar.gz)"]
    assert assumed_sdists(finder) == expected


def test_an_unreadable_sdist_fails_closed_naming_it(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    index = build_index(
        tmp_path / "idx", [Dist("broken", "1.0", tags=(), sdist=True, sdist_metadata=None)]
    )
    finder = make_finder(index.file_url)
    with pytest.raises(BadMetadataError) as info:
        resolve([req("broken")], target=TARGET, python="3.12", finder=finder)
    assert "broken" in str(info.value)
    assert index.file_url in str(info.value)
    assert info.value.exit_code == 2


def test_an_older_minor_beats_an_unbuilt_sdist(tmp_path: Path, make_finder: MakeFinder) -> None:
    """``markupsafe<2.1`` at 3.11: 2.0.1 has wheels up to cp310, 1.0 is sdist-only. The
    sdist is not taken as a leaf at 3.11 (an older minor has wheels): 3.10 is chosen."""
    index = build_index(
        tmp_path / "idx",
        [
            Dist("safe", "2.0.1", tags=[f"cp3{m}-cp3{m}-manylinux_2_17_x86_64" for m in (9, 10)]),
            Dist("safe", "1.0", tags=(), sdist=True),
        ],
    )
    finder = make_finder(index.file_url)
    with pytest.raises(ResolutionImpossible) as info:
        resolve([req("safe<2.1")], target=TARGET, python="3.11", finder=finder)
    assert "no release of safe<2.1 installs on CPython 3.11" in str(info.value)
    assert "wheels for cp39, cp310" in str(info.value)
    python, found = choose_python(
        {"app": [req("safe<2.1")]}, target=TARGET, finder=finder, pythons=("3.10", "3.11")
    )
    assert (python, found.pins["safe"].version) == ("3.10", "2.0.1")
    assert assumed_sdists(finder) == []


def test_a_build_backend_that_does_not_answer_in_time_is_an_error_naming_the_package(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    index = build_index(
        tmp_path / "idx",
        [Dist("slowpoke", "1.0", ["idna"], tags=(), sdist=True, backend="slow")],
    )
    finder = make_finder(index.file_url, build_timeout=2.0)
    started = time.monotonic()
    with pytest.raises(BuildError) as info:
        resolve([req("slowpoke")], target=TARGET, python="3.12", finder=finder)
    assert time.monotonic() - started < 30  # killed, not waited for (it sleeps 60 s)
    assert str(info.value) == (
        "slowpoke: 1.0 is only published as a source distribution (slowpoke-1.0.tar.gz) "
        "whose PKG-INFO does not declare its dependencies, and its metadata could not be "
        "prepared: its build backend did not prepare the metadata within 2 s "
        f"(index {index.file_url})"
    )
    assert info.value.exit_code == 2
