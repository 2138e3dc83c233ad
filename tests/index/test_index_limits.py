"""Issue 16.12: an index cannot make depsplit read without bound or wait without end.

A hostile loopback server (in a thread, offline) answers with an oversize project page (with
and without a ``Content-Length``), an oversize PEP 658 metadata file, or one byte at a time
(in the body, in the headers); a cache directory that cannot be written is a warning."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from localindex import WORLD, build_index, serve

from depsplit.cli import main
from depsplit.index import Finder, IndexConfig
from depsplit.index.errors import DeadlineExceeded, ResponseTooLarge
from depsplit.index.finder import MetadataTooLarge, metadata_from_wheel

SECRET, TOKEN = "pw-Zq81", "tok-Zq82"
KIB = 1024
WHEEL = "pkg-1.0-py3-none-any.whl"
PAGE = f'<html><body><a href="/files/{WHEEL}" data-core-metadata="true">{WHEEL}</a></body></html>'
METADATA = b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n\n"

Route = Callable[[BaseHTTPRequestHandler], None]


class Hostile:
    """Routes (path without query → how to answer) and the paths asked for."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.requests: list[str] = []
        self.peers: list[tuple[str, int]] = []
        """The client address of each request: one per connection."""
        self.stop = threading.Event()


@contextmanager
def hostile(routes: dict[str, Route]) -> Iterator[tuple[str, Hostile]]:
    state = Hostile(routes)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            state.requests.append(path)
            state.peers.append(self.client_address)
            self.stop = state.stop
            route = state.routes.get(path)
            try:
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    route(self)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", state
    finally:
        state.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def body(data: bytes, ctype: str = "text/html", *, length: bool = True) -> Route:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        if length:
            h.send_header("Content-Length", str(len(data)))
        else:
            h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(data)
        if not length:
            h.close_connection = True

    return answer


def endless(h: BaseHTTPRequestHandler) -> None:
    """A page with no length that never ends (up to 64 MiB): only a cap stops the reader."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(PAGE.encode())
    filler = b"<!-- " + b"x" * (64 * KIB) + b" -->\n"
    for _ in range(1024):
        h.wfile.write(filler)
    h.close_connection = True


def drip(head: bytes, *, every: float = 0.25, limit: float = 8.0) -> Route:
    """Send ``head`` at once, then one byte every ``every`` seconds (for ``limit`` seconds
    at most): each byte comes well within any per-read timeout."""

    def answer(h: BaseHTTPRequestHandler) -> None:
        h.wfile.write(head)
        h.wfile.flush()
        end = time.monotonic() + limit
        while time.monotonic() < end and not h.stop.is_set():  # type: ignore[attr-defined]
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(every)
        h.close_connection = True

    return answer


def finder(tmp_path: Path, host: str, **options: Any) -> Finder:
    config: dict[str, Any] = {
        "index_url": f"http://user:{SECRET}@{host}/simple/?token={TOKEN}",
        "cache_dir": tmp_path / "cache",
        "retries": 2,
        "backoff": 0.01,
        "timeout": 5.0,
        **options,
    }
    return Finder(IndexConfig(**config))


def assert_redacted(text: str) -> None:
    assert SECRET not in text
    assert TOKEN not in text


@pytest.mark.parametrize("length", [True, False], ids=["content-length", "no-length"])
def test_an_oversize_page_is_refused_once_naming_its_redacted_url(
    tmp_path: Path, length: bool
) -> None:
    big = PAGE.encode() + b"<!--" + b"x" * (256 * KIB) + b"-->"
    with (
        hostile({"/simple/pkg/": body(big, length=length)}) as (host, state),
        finder(tmp_path, host, max_page_bytes=64 * KIB) as f,
        pytest.raises(ResponseTooLarge) as caught,
    ):
        f.files("pkg")
    message = str(caught.value)
    assert f"the project page http://{host}/simple/pkg/?token=**** is larger than 64 KiB" in (
        message
    )
    assert "the limit on a project page" in message
    assert message.startswith("pkg: ")
    assert message.endswith(f"(index http://user:****@{host}/simple/?token=****)")
    assert_redacted(message)
    assert state.requests == ["/simple/pkg/"]  # a size error is never retried


def test_a_page_that_never_ends_is_cut_at_the_limit(tmp_path: Path) -> None:
    with (
        hostile({"/simple/pkg/": endless}) as (host, state),
        finder(tmp_path, host, max_page_bytes=256 * KIB) as f,
    ):
        started = time.monotonic()
        with pytest.raises(ResponseTooLarge, match="larger than 256 KiB"):
            f.files("pkg")
        assert time.monotonic() - started < 5
    assert state.requests == ["/simple/pkg/"]


def test_an_oversize_pep658_metadata_file_is_refused_once(tmp_path: Path) -> None:
    routes = {
        "/simple/pkg/": body(PAGE.encode()),
        f"/files/{WHEEL}.metadata": body(METADATA + b"x" * (256 * KIB), "text/plain"),
    }
    with (
        hostile(routes) as (host, state),
        finder(tmp_path, host, max_metadata_bytes=64 * KIB) as f,
    ):
        (file,) = f.files("pkg")
        with pytest.raises(ResponseTooLarge) as caught:
            f.metadata(file)
    message = str(caught.value)
    assert f"the metadata file http://{host}/files/{WHEEL}.metadata is larger than 64 KiB" in (
        message
    )
    assert_redacted(message)
    # Not retried, and no fall back to downloading the wheel to read the same thing.
    assert state.requests == ["/simple/pkg/", f"/files/{WHEEL}.metadata"]
    assert not list((tmp_path / "cache").rglob("*.metadata"))


def test_a_zip_bomb_metadata_inside_a_wheel_is_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("pkg-1.0.dist-info/METADATA", METADATA + b"\0" * (4 * 1024 * KIB))
    assert len(buf.getvalue()) < 64 * KIB
    with pytest.raises(MetadataTooLarge, match=r"METADATA is larger than 1 MiB"):
        metadata_from_wheel(buf.getvalue(), WHEEL, limit=1024 * KIB)
    assert metadata_from_wheel(buf.getvalue(), WHEEL).startswith(METADATA)


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"


@pytest.mark.parametrize(
    "head", [HEAD, HEAD[:9]], ids=["drip-in-the-body", "drip-in-the-status-line"]
)
def test_a_server_that_drips_is_cut_off_at_the_deadline(tmp_path: Path, head: bytes) -> None:
    """One byte every 0.25 s never trips the 5 s per-read timeout; the 1 s deadline of the
    whole request (retries included) stops it."""
    with (
        hostile({"/simple/pkg/": drip(head)}) as (host, _state),
        finder(tmp_path, host, deadline=1.0) as f,
    ):
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded) as caught:
            f.files("pkg")
        took = time.monotonic() - started
    assert took < 2.0, took
    message = str(caught.value)
    assert f"no complete answer from http://{host}/simple/pkg/?token=**** within 1 s" in message
    assert "DEPSPLIT_INDEX_DEADLINE" in message
    assert_redacted(message)


def test_the_deadline_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from depsplit.index.config import from_pip_environment

    config = from_pip_environment(environ={"DEPSPLIT_INDEX_DEADLINE": "2.5"}, files=[])
    assert config.deadline == 2.5
    assert from_pip_environment(environ={}, files=[]).deadline == 180.0
    with pytest.raises(ValueError, match="DEPSPLIT_INDEX_DEADLINE: 'soon' is not a positive"):
        from_pip_environment(environ={"DEPSPLIT_INDEX_DEADLINE": "soon"}, files=[])


@pytest.mark.usefixtures("no_pip_config")
def test_an_unwritable_cache_is_one_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run as root, a read-only mode would not stop the writes: the cache is below a regular
    file, which no one can create a directory in."""
    world = build_index(tmp_path / "index", WORLD)
    (tmp_path / "a-file").write_text("not a directory\n")
    cache = tmp_path / "a-file" / "cache"
    repo = tmp_path / "repo"
    for app, pin in (("web", "fastapi==0.95.2"), ("api", "anyio==4.2.0")):
        (repo / app).mkdir(parents=True)
        (repo / app / "requirements.txt").write_text(pin + "\n")
    with serve(world.root) as (base, _state):
        argv = ["analyze", str(repo), "--transitive", "--format", "json"]
        argv += ["--index-url", f"{base}/simple/", "--cache-dir", str(cache)]
        code = main(argv)
    out = capsys.readouterr().out
    report = json.loads(out)
    warnings = [d for d in report["diagnostics"] if "index cache" in d["message"]]
    assert [w["message"] for w in warnings] == [
        f"the index cache {cache} cannot be written (Not a directory): nothing is cached, "
        "so every run asks the index again (--cache-dir or DEPSPLIT_CACHE_DIR to use another)"
    ]
    assert warnings[0]["level"] == "warning"
    assert code == 0, out


# -- connections kept between requests (HTTP/1.1 keep-alive)


def page(name: str) -> bytes:
    wheel = f"{name}-1.0-py3-none-any.whl"
    return f'<html><body><a href="/files/{wheel}">{wheel}</a></body></html>'.encode()


def wheels(f: Finder, name: str) -> list[str]:
    return [x.filename for x in f.files(name)]


def closing(data: bytes) -> Route:
    """An answer with its length and no ``Connection: close``, after which the server
    closes the connection all the same (as one does with an idle connection it drops)."""

    def answer(h: BaseHTTPRequestHandler) -> None:
        body(data)(h)
        h.close_connection = True

    return answer


def test_requests_to_one_host_share_a_connection(tmp_path: Path) -> None:
    routes = {f"/simple/{name}/": body(page(name)) for name in ("a", "b", "c")}
    with hostile(routes) as (host, state), finder(tmp_path, host, workers=1) as f:
        for name in ("a", "b", "c"):
            assert wheels(f, name) == [f"{name}-1.0-py3-none-any.whl"]
    assert state.requests == ["/simple/a/", "/simple/b/", "/simple/c/"]
    assert len(set(state.peers)) == 1


def test_a_kept_connection_the_server_closed_is_replaced_without_a_retry(
    tmp_path: Path,
) -> None:
    """No retries allowed: the second request meets the connection the server closed, and
    is sent again on a new one (not an attempt that failed)."""
    routes = {f"/simple/{name}/": closing(page(name)) for name in ("a", "b")}
    with hostile(routes) as (host, state), finder(tmp_path, host, workers=1, retries=0) as f:
        assert wheels(f, "a") == ["a-1.0-py3-none-any.whl"]
        time.sleep(0.1)  # the server's close reaches the client's kept socket
        assert wheels(f, "b") == ["b-1.0-py3-none-any.whl"]
    assert state.requests == ["/simple/a/", "/simple/b/"]
    assert len(set(state.peers)) == 2


def test_a_kept_connection_is_cut_off_at_the_deadline_of_its_new_request(
    tmp_path: Path,
) -> None:
    routes = {"/simple/a/": body(page("a")), "/simple/b/": drip(HEAD)}
    with hostile(routes) as (host, state), finder(tmp_path, host, workers=1, deadline=1.0) as f:
        f.files("a")
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded, match="/simple/b/"):
            f.files("b")
        took = time.monotonic() - started
    assert took < 2.0, took
    assert state.peers[0] == state.peers[1]  # b was asked over a's connection


def test_an_answer_not_read_to_its_end_is_not_followed_on_its_connection(
    tmp_path: Path,
) -> None:
    big = PAGE.encode() + b"<!--" + b"x" * (256 * KIB) + b"-->"
    routes = {"/simple/big/": body(big), "/simple/a/": body(page("a"))}
    with (
        hostile(routes) as (host, state),
        finder(tmp_path, host, workers=1, max_page_bytes=64 * KIB) as f,
    ):
        with pytest.raises(ResponseTooLarge):
            f.files("big")
        assert wheels(f, "a") == ["a-1.0-py3-none-any.whl"]
    assert state.requests == ["/simple/big/", "/simple/a/"]
    assert state.peers[0] != state.peers[1]
