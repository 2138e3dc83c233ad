"""The HTTP path: PEP 503 and PEP 691 over a loopback server, Basic auth, retries, the
cache and offline mode."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from localindex import Dist, LocalIndex, ServerState, build_index, req, serve
from packaging.version import Version

from depsplit.index import (
    Finder,
    IndexError_,
    NetworkError,
    OfflineCacheMiss,
    check_union,
    resolve,
)
from depsplit.index.errors import BadMetadataError
from depsplit.index.finder import WHEEL_TAIL
from depsplit.model import Target

TARGET = Target()
MakeFinder = Callable[..., Finder]
FASTAPI = [req("fastapi==0.95.2", "web/requirements.txt", 3)]


def _wheel_downloads(state: ServerState) -> list[str]:
    return [p for p, _ in state.requests if p.endswith(".whl")]


def test_html_index_over_http_uses_metadata_files_only(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    with serve(world.root) as (base, state):
        finder = make_finder(f"{base}/simple/")
        res = resolve(FASTAPI, target=TARGET, python="3.12", finder=finder)
    assert res.pins["pydantic"].version == "1.10.13"
    assert res.pins["fastapi"].url == f"{base}/files/fastapi-0.95.2-py3-none-any.whl"
    assert _wheel_downloads(state) == []
    assert any(p.endswith(".whl.metadata") for p, _ in state.requests)


@pytest.mark.parametrize("json", [False, True], ids=["html", "json"])
def test_a_resolution_over_kept_connections_is_the_same(
    world: LocalIndex, make_finder: MakeFinder, json: bool
) -> None:
    """HTTP/1.1: each fetching thread keeps its connection for its next request; the
    answer is the one of a connection per request (HTTP/1.0)."""
    pins = {}
    for protocol in ("HTTP/1.0", "HTTP/1.1"):
        with serve(world.root, ServerState(json=json, protocol=protocol)) as (base, state):
            finder = make_finder(f"{base}/simple/", cache_dir=world.root / protocol)
            res = resolve(FASTAPI, target=TARGET, python="3.12", finder=finder)
            pins[protocol] = {k: (p.version, p.url) for k, p in res.pins.items()}
        requests, connections = len(state.requests), len(set(state.peers))
        if protocol == "HTTP/1.0":
            assert connections == requests
        else:
            assert connections <= finder.config.workers < requests
    # The same releases, from the same files (the URLs name each server's port).
    assert [(k, v) for k, (v, _) in pins["HTTP/1.0"].items()] == [
        (k, v) for k, (v, _) in pins["HTTP/1.1"].items()
    ]
    assert pins["HTTP/1.1"]["pydantic"][0] == "1.10.13"


def test_json_index_pep_691(world: LocalIndex, make_finder: MakeFinder) -> None:
    with serve(world.root, ServerState(json=True)) as (base, state):
        finder = make_finder(f"{base}/simple")
        problem = check_union(
            {"web": FASTAPI, "api": [req("pydantic>=2.5")]},
            target=TARGET,
            python="3.12",
            finder=finder,
        )
        yanked = resolve([req("yankme")], target=TARGET, python="3.12", finder=finder)
    assert problem is not None
    assert problem.packages == ("pydantic",)
    assert yanked.pins["yankme"].version == "1.0"
    pages = [(p, accept) for p, accept in state.requests if p.startswith("/simple/")]
    assert pages
    assert all("application/vnd.pypi.simple.v1+json" in accept for _, accept in pages)
    assert _wheel_downloads(state) == []


def test_whole_wheel_fallback_over_http(world: LocalIndex, make_finder: MakeFinder) -> None:
    with serve(world.root) as (base, state):
        finder = make_finder(f"{base}/simple/")
        res = resolve([req("nometa")], target=TARGET, python="3.12", finder=finder)
    assert set(res.pins) == {"nometa", "idna"}
    assert _wheel_downloads(state) == ["/files/nometa-1.0-py3-none-any.whl"]


def test_basic_auth_and_credentials_never_leak(
    world: LocalIndex, make_finder: MakeFinder, tmp_path: Path
) -> None:
    state = ServerState(auth=("alice", "s3cr3t-t0ken"))
    with serve(world.root, state) as (base, _):
        host = base.removeprefix("http://")
        finder = make_finder(f"http://alice:s3cr3t-t0ken@{host}/simple/")
        res = resolve(FASTAPI, target=TARGET, python="3.12", finder=finder)
        assert "s3cr3t" not in res.pins["fastapi"].url
        assert "s3cr3t" not in repr(finder.config)

        wrong = make_finder(f"http://alice:wr0ng-pass@{host}/simple/", cache_dir=tmp_path / "c2")
        with pytest.raises(IndexError_) as info:
            resolve(FASTAPI, target=TARGET, python="3.12", finder=wrong)
    message = str(info.value)
    assert "access denied (HTTP 401)" in message
    assert "fastapi" in message
    assert "wr0ng-pass" not in message
    assert "alice:****@" in message
    cached = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert cached
    for path in cached:
        assert "s3cr3t" not in str(path)
        assert b"s3cr3t" not in path.read_bytes()
        assert b"alice" not in path.read_bytes()


def test_retries_then_succeeds(world: LocalIndex, make_finder: MakeFinder) -> None:
    state = ServerState(fail={"/simple/idna/": [503, 503]})
    with serve(world.root, state) as (base, _):
        finder = make_finder(f"{base}/simple/", retries=2)
        res = resolve([req("idna")], target=TARGET, python="3.12", finder=finder)
    assert res.pins["idna"].version == "3.6"
    assert [p for p, _ in state.requests].count("/simple/idna/") == 3


def test_persistent_server_error_names_package_and_index(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    state = ServerState(fail={"/simple/pydantic/": [500] * 99})
    with serve(world.root, state) as (base, _):
        finder = make_finder(f"{base}/simple/", retries=2)
        with pytest.raises(NetworkError) as info:
            resolve(FASTAPI, target=TARGET, python="3.12", finder=finder)
    message = str(info.value)
    assert message.startswith("pydantic: cannot fetch")
    assert "HTTP 500 (after 3 attempts)" in message
    assert f"(index {base}/simple/)" in message
    assert info.value.exit_code == 2
    assert [p for p, _ in state.requests].count("/simple/pydantic/") == 3


def test_bad_metadata_is_retried_then_reported(world: LocalIndex, make_finder: MakeFinder) -> None:
    (world.files / "idna-3.6-py3-none-any.whl.metadata").write_text("Name: idna\nVersion: 9\n")
    with serve(world.root) as (base, state):
        finder = make_finder(f"{base}/simple/", retries=1)
        with pytest.raises(BadMetadataError) as info:
            resolve([req("idna")], target=TARGET, python="3.12", finder=finder)
    assert "idna: bad metadata for idna-3.6-py3-none-any.whl" in str(info.value)
    assert "does not match its sha256" in str(info.value)
    assert [p for p, _ in state.requests].count("/files/idna-3.6-py3-none-any.whl.metadata") == 2


def test_metadata_of_another_release_is_read_once_and_skipped_offline_too(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    """``cffi-1.2.0-1.tar.gz``'s ``PKG-INFO`` says ``cffi 1.2.0``: the release is skipped
    (pip skips a candidate whose metadata does not match), its archive downloaded once
    (what an intact file says is not retried), and the verdict is cached: a second run
    asks nothing, and an ``--offline`` one skips it too instead of failing on a miss."""
    from localindex import Dist, build_index

    world = build_index(
        tmp_path / "idx",
        [
            Dist("pkg", "1.0"),
            Dist("pkg", "1.1", tags=(), sdist=True, sdist_metadata="2.2", stated_version="1.0.9"),
        ],
    )
    archive = "/files/pkg-1.1.tar.gz"
    runs = []
    with serve(world.root) as (base, state):
        for options in ({}, {}, {"offline": True}):
            finder = make_finder(f"{base}/simple/", retries=2, **options)
            res = resolve([req("pkg")], target=TARGET, python="3.12", finder=finder)
            runs.append((res.pins["pkg"].version, [p for p, _ in state.requests].count(archive)))
    assert runs == [("1.0", 1), ("1.0", 1), ("1.0", 1)]


def test_offline_with_warm_cache_then_cold_cache(
    world: LocalIndex, make_finder: MakeFinder, tmp_path: Path
) -> None:
    with serve(world.root) as (base, _):
        online = make_finder(f"{base}/simple/")
        expected = resolve(FASTAPI, target=TARGET, python="3.12", finder=online)
    # The server is gone: only the cache can answer.
    offline = make_finder(f"{base}/simple/", offline=True)
    again = resolve(FASTAPI, target=TARGET, python="3.12", finder=offline)
    assert again.pins == expected.pins
    assert again.chains == expected.chains

    cold = make_finder(f"{base}/simple/", offline=True, cache_dir=tmp_path / "empty")
    with pytest.raises(OfflineCacheMiss) as info:
        resolve(FASTAPI, target=TARGET, python="3.12", finder=cold)
    assert str(info.value) == (
        f"fastapi: offline and the project page {base}/simple/fastapi/ is not cached "
        f"(index {base}/simple/)"
    )
    assert info.value.exit_code == 2

    partial = make_finder(f"{base}/simple/", offline=True)
    with pytest.raises(OfflineCacheMiss) as info:
        resolve([req("rich")], target=TARGET, python="3.12", finder=partial)
    assert "rich" in str(info.value)


def test_page_cache_expiry(world: LocalIndex, make_finder: MakeFinder) -> None:
    with serve(world.root) as (base, state):
        resolve([req("idna")], target=TARGET, python="3.12", finder=make_finder(f"{base}/simple/"))
        resolve([req("idna")], target=TARGET, python="3.12", finder=make_finder(f"{base}/simple/"))
        pages = [p for p, _ in state.requests].count("/simple/idna/")
        assert pages == 1  # the second run used the fresh cache, metadata too
        assert [p for p, _ in state.requests].count(
            "/files/idna-3.6-py3-none-any.whl.metadata"
        ) == 1
        expired = make_finder(f"{base}/simple/", page_ttl=0.0)
        resolve([req("idna")], target=TARGET, python="3.12", finder=expired)
        assert [p for p, _ in state.requests].count("/simple/idna/") == 2


def test_an_expired_page_is_revalidated_and_an_unchanged_one_not_read_again(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    """Past the page TTL, the cached page is revalidated with its validators (here the
    server's Last-Modified): a 304 renews it without a body; a changed page is read."""
    page = world.simple / "idna" / "index.html"
    with serve(world.root) as (base, state):
        first = resolve(
            [req("idna")], target=TARGET, python="3.12", finder=make_finder(f"{base}/simple/")
        )
        again = resolve(
            [req("idna")],
            target=TARGET,
            python="3.12",
            finder=make_finder(f"{base}/simple/", page_ttl=0.0),
        )
        assert again.pins == first.pins
        asked = [
            (status, conditional)
            for path, status, conditional in state.answers
            if path == "/simple/idna/"
        ]
        assert asked == [(200, False), (304, True)]
        # Renewed: a finder with the usual TTL uses it without asking.
        resolve([req("idna")], target=TARGET, python="3.12", finder=make_finder(f"{base}/simple/"))
        assert len([a for a in state.answers if a[0] == "/simple/idna/"]) == 2
        # The page changes on the index: the revalidation reads it.
        later = page.stat().st_mtime + 3600
        os.utime(page, (later, later))
        resolve(
            [req("idna")],
            target=TARGET,
            python="3.12",
            finder=make_finder(f"{base}/simple/", page_ttl=0.0),
        )
        asked = [
            (status, conditional)
            for path, status, conditional in state.answers
            if path == "/simple/idna/"
        ]
        assert asked[-1] == (200, True)


def test_offline_uses_an_expired_page_without_asking(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    with serve(world.root) as (base, state):
        resolve([req("idna")], target=TARGET, python="3.12", finder=make_finder(f"{base}/simple/"))
        offline = make_finder(f"{base}/simple/", page_ttl=0.0, offline=True)
        resolve([req("idna")], target=TARGET, python="3.12", finder=offline)
        assert [p for p, _ in state.requests].count("/simple/idna/") == 1


def test_extra_index_url_is_merged(world: LocalIndex, make_finder: MakeFinder) -> None:
    with serve(world.root) as (base, state):
        finder = make_finder(f"{base}/nothing-here/", extra_index_urls=(f"{base}/simple/",))
        res = resolve([req("idna")], target=TARGET, python="3.12", finder=finder)
    assert res.pins["idna"].version == "3.6"
    assert ("/nothing-here/idna/") in [p for p, _ in state.requests]


def test_connection_refused_is_a_network_error(make_finder: MakeFinder) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    finder = make_finder(f"http://127.0.0.1:{port}/simple/", retries=1)
    with pytest.raises(NetworkError) as info:
        resolve([req("idna")], target=TARGET, python="3.12", finder=finder)
    assert str(info.value).startswith("idna: cannot fetch")
    assert "after 2 attempts" in str(info.value)


def test_find_links_over_http(world: LocalIndex, make_finder: MakeFinder) -> None:
    # The server's directory listing of files/ is a find-links page.
    with serve(world.root) as (base, state):
        finder = make_finder("unused", no_index=True, find_links=(f"{base}/files/",))
        res = resolve(FASTAPI, target=TARGET, python="3.12", finder=finder)
    assert res.pins["pydantic"].version == "1.10.13"
    assert res.pins["fastapi"].url == f"{base}/files/fastapi-0.95.2-py3-none-any.whl"
    # No PEP 658 information on a find-links page: the wheels themselves are read.
    assert "/files/fastapi-0.95.2-py3-none-any.whl" in _wheel_downloads(state)


# -- wheels without a metadata file, read through HTTP range requests -----------------------

BIG = 1_000_000
"""Bytes of padding in the large wheels: far more than the tail asked for first."""


def _ranged_world(root: Path, *, metadata_first: bool = False) -> LocalIndex:
    return build_index(
        root,
        [
            Dist("big", "2.0", ["idna>=3"], metadata_file=False, padding=BIG,
                 metadata_first=metadata_first),
            Dist("big", "1.0", metadata_file=False, padding=BIG, metadata_first=metadata_first),
            Dist("idna", "3.6", metadata_file=False),
        ],
    )  # fmt: skip


def test_a_large_wheel_is_read_by_its_end_not_downloaded(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    """The METADATA of a wheel at the end of the archive comes with its last bytes: one
    range request, a fraction of the file, never the whole; a small wheel comes whole
    in its answer (and is checked against its sha256)."""
    index = _ranged_world(tmp_path / "index")
    size = (index.files / "big-2.0-py3-none-any.whl").stat().st_size
    with serve(index.root, ServerState(ranges=True)) as (base, state):
        finder = make_finder(f"{base}/simple/")
        res = resolve([req("big")], target=TARGET, python="3.12", finder=finder)
    assert {k: p.version for k, p in res.pins.items()} == {"big": "2.0", "idna": "3.6"}
    assert size > BIG
    big = [(r, n) for p, r, n in state.ranged if p == "/files/big-2.0-py3-none-any.whl"]
    assert big == [(f"bytes=-{WHEEL_TAIL}", WHEEL_TAIL)]
    assert [n for p, _, n in state.ranged if "idna" in p] == [
        (index.files / "idna-3.6-py3-none-any.whl").stat().st_size
    ]
    assert len(_wheel_downloads(state)) == len(state.ranged) == 2  # no whole download


def test_metadata_at_the_start_of_a_wheel_takes_one_more_range(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    index = _ranged_world(tmp_path / "index", metadata_first=True)
    with serve(index.root, ServerState(ranges=True)) as (base, state):
        finder = make_finder(f"{base}/simple/")
        res = resolve([req("big")], target=TARGET, python="3.12", finder=finder)
    assert set(res.pins) == {"big", "idna"}
    asked = [r for p, r, _ in state.ranged if p == "/files/big-2.0-py3-none-any.whl"]
    assert asked[0] == f"bytes=-{WHEEL_TAIL}"
    assert len(asked) == 2
    assert asked[1].startswith("bytes=0-")
    assert sum(n for p, _, n in state.ranged if "big" in p) < BIG / 2


@pytest.mark.parametrize("suffix", [True, False], ids=["tail", "later-range"])
def test_ranges_that_disagree_with_the_file_fall_back_to_the_whole_wheel(
    tmp_path: Path, make_finder: MakeFinder, suffix: bool
) -> None:
    """A server whose ``Content-Range`` is wrong (for the tail, or for a range asked
    next): the whole file is fetched (and checked against its sha256), the answer the
    same."""
    index = _ranged_world(tmp_path / "index", metadata_first=not suffix)
    state = ServerState(ranges=True, content_range_shift=7, shift_suffix=suffix)
    with serve(index.root, state) as (base, _):
        finder = make_finder(f"{base}/simple/")
        res = resolve([req("big")], target=TARGET, python="3.12", finder=finder)
    assert {k: p.version for k, p in res.pins.items()} == {"big": "2.0", "idna": "3.6"}
    whole = [p for p, _ in state.requests if p.endswith(".whl")]
    assert len(whole) > len(state.ranged)  # each ranged wheel was then fetched whole


def test_a_small_wheel_sent_whole_for_a_range_is_still_checked_against_its_sha256(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    index = _ranged_world(tmp_path / "index")
    wheel = index.files / "idna-3.6-py3-none-any.whl"
    wheel.write_bytes(wheel.read_bytes().replace(b"Generator: tests", b"Generator: evil!"))
    with serve(index.root, ServerState(ranges=True)) as (base, _):
        finder = make_finder(f"{base}/simple/", retries=0)
        with pytest.raises(BadMetadataError, match="does not match its sha256"):
            finder.metadata(finder.versions("idna")[Version("3.6")][0])


def test_a_server_refusing_ranges_sends_the_whole_wheel(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    """416 (Range Not Satisfiable) to the range request: the whole file, not an error."""
    index = _ranged_world(tmp_path / "index")
    with serve(index.root, ServerState(refuse_ranges=True)) as (base, state):
        finder = make_finder(f"{base}/simple/", retries=0)
        res = resolve([req("big")], target=TARGET, python="3.12", finder=finder)
    assert {k: p.version for k, p in res.pins.items()} == {"big": "2.0", "idna": "3.6"}
    answers = [(p, code) for p, code, _ in state.answers if p.endswith(".whl")]
    assert ("/files/big-2.0-py3-none-any.whl", 416) in answers
    assert ("/files/big-2.0-py3-none-any.whl", 200) in answers


def test_a_whole_wheel_sent_for_a_later_range_is_cut_off_then_fetched_whole(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    """The tail is taken, a later range answered with the whole file (200): that answer is
    cut off at the size asked for (not read into memory) and the wheel fetched whole."""
    index = _ranged_world(tmp_path / "index", metadata_first=True)
    with serve(index.root, ServerState(ranges=True, suffix_ranges_only=True)) as (base, state):
        finder = make_finder(f"{base}/simple/", retries=0)
        res = resolve([req("big")], target=TARGET, python="3.12", finder=finder)
    assert {k: p.version for k, p in res.pins.items()} == {"big": "2.0", "idna": "3.6"}
    big = [p for p, _ in state.requests if p == "/files/big-2.0-py3-none-any.whl"]
    assert len(big) == 3  # the tail, the range answered whole (cut off), the whole file


def test_range_answers_keep_their_connection_for_the_next_request(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    """HTTP/1.1: a 206 answer read to its end leaves its connection to the next request,
    as a 200 does (the range reads do not open a connection each)."""
    index = _ranged_world(tmp_path / "index", metadata_first=True)
    state = ServerState(ranges=True, protocol="HTTP/1.1")
    with serve(index.root, state) as (base, _):
        finder = make_finder(f"{base}/simple/")
        res = resolve([req("big")], target=TARGET, python="3.12", finder=finder)
    assert set(res.pins) == {"big", "idna"}
    big = [
        peer
        for (path, _), peer in zip(state.requests, state.peers, strict=True)
        if path == "/files/big-2.0-py3-none-any.whl"
    ]
    assert len(big) == 2  # the tail, then the range zipfile asked for
    assert big[0] == big[1]  # on the connection the tail's answer left open
