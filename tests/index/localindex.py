"""A package index built by the tests: tiny wheels, PEP 503 pages, PEP 691 JSON, PEP 658
``.metadata`` files, and a loopback HTTP server with failure and auth variants."""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement as Pkg
from packaging.utils import canonicalize_name

from depsplit.model import Origin, Requirement


@dataclass
class Dist:
    name: str
    version: str
    requires: Sequence[str] = ()
    requires_python: str | None = None
    tags: Sequence[str] = ("py3-none-any",)
    """One wheel per tag string (``cp311-cp311-manylinux_2_17_x86_64``)."""
    yanked: str | None = None
    sdist: bool = False
    """Publish an sdist; with ``tags=()`` the release is sdist-only."""
    metadata_file: bool = True
    """Serve a PEP 658 ``.metadata`` file beside each wheel."""
    link_requires_python: bool = True
    """Put ``data-requires-python`` on the links (else only the metadata has it)."""
    extras: Sequence[str] = ()
    sdist_metadata: str | None = "2.1"
    """The sdist's ``PKG-INFO`` Metadata-Version (PEP 643 makes 2.2 and later authoritative);
    ``None`` for an archive that is not one."""
    dynamic: Sequence[str] = ()
    """``Dynamic:`` fields of the sdist's ``PKG-INFO``."""
    backend: str = "ok"
    """The sdist's in-tree PEP 517 backend (``build-system.requires = []``, so an isolated
    build needs no index): ``ok`` prepares METADATA with :attr:`requires`, ``fail`` raises,
    ``slow`` sleeps a minute."""
    pkg_info_requires: bool = True
    """List :attr:`requires` in the sdist's ``PKG-INFO`` too (old setuptools did not)."""
    padding: int = 0
    """Bytes of incompressible data stored in each wheel (a large wheel: range requests
    then fetch part of it)."""
    metadata_first: bool = False
    """Put the ``.dist-info`` files at the start of the wheel, before the padding (the wheel
    format recommends the end)."""
    stated_version: str | None = None
    """The version its metadata states when not :attr:`version` (``cffi-1.2.0-1.tar.gz``'s
    ``PKG-INFO`` says ``1.2.0``)."""


def metadata_text(d: Dist, version: str = "2.1") -> str:
    stated = d.stated_version or d.version
    lines = [f"Metadata-Version: {version}", f"Name: {d.name}", f"Version: {stated}"]
    lines += [f"Dynamic: {field}" for field in d.dynamic]
    if d.requires_python:
        lines.append(f"Requires-Python: {d.requires_python}")
    lines += [f"Provides-Extra: {e}" for e in d.extras]
    lines += [f"Requires-Dist: {r}" for r in d.requires]
    return "\n".join(lines) + "\n\n"


def wheel_bytes(d: Dist, tag: str) -> bytes:
    dist_info = f"{d.name.replace('-', '_')}-{d.version}.dist-info"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        if d.padding and not d.metadata_first:
            zf.writestr("padding.bin", random.Random(d.name).randbytes(d.padding))
        zf.writestr(f"{dist_info}/METADATA", metadata_text(d))
        zf.writestr(
            f"{dist_info}/WHEEL",
            f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: {tag}\n",
        )
        zf.writestr(f"{dist_info}/RECORD", "")
        if d.padding and d.metadata_first:
            zf.writestr("padding.bin", random.Random(d.name).randbytes(d.padding))
    return buf.getvalue()


_PYPROJECT = """[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]
"""

_BACKEND = '''import os
import time

MODE = "{mode}"
METADATA = """{metadata}"""


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    if MODE == "fail":
        raise RuntimeError("this backend cannot build here")
    if MODE == "slow":
        time.sleep(60)
    name = METADATA.split("Name: ")[1].split()[0].replace("-", "_")
    version = METADATA.split("\\nVersion: ")[1].split()[0]
    info = f"{{name}}-{{version}}.dist-info"
    os.makedirs(os.path.join(metadata_directory, info))
    with open(os.path.join(metadata_directory, info, "METADATA"), "w") as fh:
        fh.write(METADATA)
    return info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise RuntimeError("not built in tests")
'''


def sdist_bytes(d: Dist) -> bytes:
    """A ``.tar.gz`` holding ``name-version/PKG-INFO`` (and a ``setup.py``), made the
    same every time (fixed times), or junk when ``sdist_metadata`` is ``None``."""
    if d.sdist_metadata is None:
        return b"not really a tarball"
    top = f"{d.name.replace('-', '_')}-{d.version}"
    raw = io.BytesIO()
    pkg_info = d if d.pkg_info_requires else Dist(**{**d.__dict__, "requires": ()})
    with tarfile.open(fileobj=raw, mode="w") as tf:
        for name, text in (
            ("setup.py", "from setuptools import setup\nsetup()\n"),
            ("PKG-INFO", metadata_text(pkg_info, d.sdist_metadata)),
            ("pyproject.toml", _PYPROJECT),
            ("backend.py", _BACKEND.format(mode=d.backend, metadata=metadata_text(d))),
        ):
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            info.mtime = 0
            tf.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class LocalIndex:
    root: Path
    dists: list[Dist] = field(default_factory=list)

    @property
    def simple(self) -> Path:
        return self.root / "simple"

    @property
    def files(self) -> Path:
        return self.root / "files"

    @property
    def file_url(self) -> str:
        return self.simple.as_uri() + "/"


def build_index(root: Path, dists: Sequence[Dist]) -> LocalIndex:
    """Write wheels, sdists, ``.metadata`` files and the simple pages (HTML and JSON)."""
    index = LocalIndex(root, list(dists))
    index.files.mkdir(parents=True, exist_ok=True)
    projects: dict[str, list[dict[str, Any]]] = {}
    for d in dists:
        entries = projects.setdefault(canonicalize_name(d.name), [])
        base = d.name.replace("-", "_")
        artifacts: list[tuple[str, bytes, bool]] = [
            (f"{base}-{d.version}-{tag}.whl", wheel_bytes(d, tag), True) for tag in d.tags
        ]
        if d.sdist:
            artifacts.append((f"{base}-{d.version}.tar.gz", sdist_bytes(d), False))
        for filename, data, is_wheel in artifacts:
            (index.files / filename).write_bytes(data)
            entry: dict[str, Any] = {
                "filename": filename,
                "url": f"../../files/{filename}",
                "hashes": {"sha256": sha256(data)},
            }
            if d.requires_python and d.link_requires_python:
                entry["requires-python"] = d.requires_python
            if d.yanked is not None:
                entry["yanked"] = d.yanked or True
            if is_wheel and d.metadata_file:
                meta = metadata_text(d).encode()
                (index.files / f"{filename}.metadata").write_bytes(meta)
                entry["core-metadata"] = {"sha256": sha256(meta)}
            entries.append(entry)
    for key, entries in projects.items():
        page = index.simple / key
        page.mkdir(parents=True, exist_ok=True)
        anchors = []
        for e in entries:
            attrs = [f'href="{e["url"]}#sha256={e["hashes"]["sha256"]}"']
            if "requires-python" in e:
                attrs.append(f'data-requires-python="{html.escape(e["requires-python"])}"')
            if "yanked" in e:
                reason = e["yanked"] if isinstance(e["yanked"], str) else ""
                attrs.append(f'data-yanked="{html.escape(reason)}"')
            if "core-metadata" in e:
                value = f"sha256={e['core-metadata']['sha256']}"
                attrs.append(f'data-core-metadata="{value}" data-dist-info-metadata="{value}"')
            anchors.append(f"<a {' '.join(attrs)}>{e['filename']}</a><br/>")
        (page / "index.html").write_text(
            "<!DOCTYPE html><html><body>\n" + "\n".join(anchors) + "\n</body></html>\n"
        )
        (page / "index.json").write_text(
            json.dumps({"meta": {"api-version": "1.1"}, "name": key, "files": entries})
        )
    listing = "".join(f'<a href="{k}/">{k}</a>\n' for k in sorted(projects))
    index.simple.mkdir(parents=True, exist_ok=True)
    (index.simple / "index.html").write_text(f"<html><body>{listing}</body></html>")
    return index


@dataclass
class ServerState:
    """What the server does and what it saw."""

    json: bool = False
    auth: tuple[str, str] | None = None
    fail: dict[str, list[int]] = field(default_factory=dict)
    """Path prefix → statuses to answer first (consumed); ``[500] * 99`` to always fail."""
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(path, Accept header) of every request."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: dict[str, float] = field(default_factory=dict)
    """Path prefix → seconds to wait before answering (to change the order of replies)."""
    token: str | None = None
    """The ``?token=`` every ``/simple/`` request must carry (401 without it)."""
    answers: list[tuple[str, int, bool]] = field(default_factory=list)
    """(path, status, whether the request was conditional) of every answer."""
    protocol: str = "HTTP/1.0"
    """``HTTP/1.1``: connections are kept between requests (keep-alive)."""
    peers: list[tuple[str, int]] = field(default_factory=list)
    """The client address of every request: one per connection."""
    ranges: bool = False
    """Answer a ``Range: bytes=…`` request for a file with 206 and that part."""
    content_range_shift: int = 0
    """Added to the first byte the ``Content-Range`` of a 206 states (a broken server)."""
    suffix_ranges_only: bool = False
    """Answer a ``Range: bytes=A-B`` request with 200 and the whole file (only
    ``bytes=-N`` is taken)."""
    refuse_ranges: bool = False
    """Answer every ``Range`` request with 416 (Range Not Satisfiable)."""
    shift_suffix: bool = True
    """Shift the ``Content-Range`` of a ``bytes=-N`` answer too (else only of the others)."""
    ranged: list[tuple[str, str, int]] = field(default_factory=list)
    """(path, Range header, bytes sent) of every request with a ``Range`` header."""
    active: int = 0
    """Requests for ``.metadata`` files being answered now."""
    overlap: int = 0
    """The most requests for ``.metadata`` files answered at once."""


class _Handler(SimpleHTTPRequestHandler):
    state: ServerState

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        conditional = "If-Modified-Since" in self.headers or "If-None-Match" in self.headers
        with self.state.lock:
            self.state.answers.append((self.path, int(code), conditional))

    def do_GET(self) -> None:
        metadata = self.path.split("?", 1)[0].endswith(".metadata")
        with self.state.lock:
            self.state.active += metadata
            self.state.overlap = max(self.state.overlap, self.state.active)
        try:
            self._get()
        finally:
            with self.state.lock:
                self.state.active -= metadata

    def _get(self) -> None:
        state = self.state
        with state.lock:
            state.requests.append((self.path, self.headers.get("Accept", "")))
            state.peers.append(self.client_address)
            for prefix, statuses in state.fail.items():
                if self.path.startswith(prefix) and statuses:
                    status = statuses.pop(0)
                    break
            else:
                status = 0
            wait = max(
                (d for prefix, d in state.delay.items() if self.path.startswith(prefix)),
                default=0.0,
            )
        if wait:
            time.sleep(wait)
        if state.auth is not None:
            user, password = state.auth
            expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="test"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        if state.token is not None and self.path.startswith("/simple/"):
            query = self.path.partition("?")[2]
            if f"token={state.token}" not in query.split("&"):
                status = 401
        if status:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = self.path.split("?", 1)[0]
        wanted = self.headers.get("Range")
        target = Path(self.translate_path(path))
        if state.refuse_ranges and wanted and target.is_file():
            self.send_response(416)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if state.suffix_ranges_only and wanted and not wanted.startswith("bytes=-"):
            wanted = None
        if state.ranges and wanted and target.is_file():
            self._send_range(target.read_bytes(), wanted)
            return
        if state.json and path.endswith("/") and "json" in self.headers.get("Accept", ""):
            target = Path(self.translate_path(path)) / "index.json"
            if target.is_file():
                body = target.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        super().do_GET()

    def _send_range(self, data: bytes, wanted: str) -> None:
        """206 with the part of ``data`` that ``bytes=A-B``, ``bytes=A-`` or ``bytes=-N``
        asks for."""
        first, _, last = wanted.removeprefix("bytes=").partition("-")
        if not first:
            start, end = max(0, len(data) - int(last)), len(data)
        else:
            start, end = int(first), min(len(data), int(last) + 1 if last else len(data))
        part = data[start:end]
        shift = self.state.content_range_shift if first or self.state.shift_suffix else 0
        shown = start + shift
        with self.state.lock:
            self.state.ranged.append((self.path, wanted, len(part)))
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {shown}-{shown + len(part) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(part)))
        self.end_headers()
        self.wfile.write(part)


@contextmanager
def serve(root: Path, state: ServerState | None = None) -> Iterator[tuple[str, ServerState]]:
    """Serve ``root`` on 127.0.0.1; yield ``(base URL, state)``; stop afterwards."""
    state = state or ServerState()
    handler = type("Handler", (_Handler,), {"state": state, "protocol_version": state.protocol})

    def make(*args: Any, **kwargs: Any) -> _Handler:
        return handler(*args, directory=str(root), **kwargs)  # type: ignore[no-any-return]

    server = ThreadingHTTPServer(("127.0.0.1", 0), make)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def req(text: str, file: str = "app/requirements.txt", line: int = 1) -> Requirement:
    """A depsplit requirement from a PEP 508 string."""
    parsed = Pkg(text)
    return Requirement(
        key=canonicalize_name(parsed.name),
        name=parsed.name,
        specifier=str(parsed.specifier),
        origin=Origin(file, line),
        extras=tuple(sorted(parsed.extras)),
        marker=str(parsed.marker) if parsed.marker else None,
    )


# The world of the tests: a transitive conflict, markers, extras, yanked, sdist-only,
# Requires-Python and CPython-specific wheels.
WORLD = [
    Dist("fastapi", "0.95.2", ["pydantic<2,>=1.6.2", "starlette<0.28,>=0.27"]),
    Dist("fastapi", "0.110.0", ["pydantic>=1.7.4,<3", "starlette<0.37,>=0.36.3"]),
    Dist("pydantic", "1.10.13", ["typing-extensions>=4.2"]),
    Dist("pydantic", "2.5.3", ["typing-extensions>=4.6", "annotated-types>=0.4"]),
    Dist("pydantic", "2.6.0", ["typing-extensions>=4.6", "annotated-types>=0.4"]),
    Dist("starlette", "0.27.0", ["anyio<5,>=3.4"]),
    Dist("starlette", "0.36.3", ["anyio<5,>=3.4"]),
    Dist("anyio", "4.2.0", ["idna>=2.8", 'exceptiongroup>=1.0.2; python_version < "3.11"']),
    Dist("idna", "3.6"),
    Dist("exceptiongroup", "1.2.0"),
    Dist("typing-extensions", "4.9.0"),
    Dist("annotated-types", "0.6.0"),
    Dist("winonly", "1.0", ['pywin32>=300; sys_platform == "win32"']),
    Dist(
        "withextras",
        "1.0",
        ['rich>=13; extra == "pretty"', "idna"],
        extras=["pretty"],
    ),
    Dist("rich", "13.7.0"),
    Dist("yankme", "1.0"),
    Dist("yankme", "2.0", yanked="broken build"),
    Dist("sdistonly", "0.3", tags=(), sdist=True),
    Dist("newpy", "1.0", requires_python=">=3.9"),
    Dist("newpy", "2.0", requires_python=">=3.12"),
    Dist("metapy", "1.0", requires_python=">=3.9", link_requires_python=False),
    Dist("metapy", "2.0", requires_python=">=3.12", link_requires_python=False),
    Dist(
        "tensorflow",
        "2.12.1",
        tags=[f"cp3{m}-cp3{m}-manylinux_2_17_x86_64.manylinux2014_x86_64" for m in (9, 10, 11)],
    ),
    Dist("abi3pkg", "1.0", tags=["cp310-abi3-manylinux_2_28_x86_64"]),
    Dist("nometa", "1.0", ["idna"], metadata_file=False),
    Dist("windowswheel", "1.0", tags=["cp311-cp311-win_amd64"]),
]


def pip_dry_run(files: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pip's own ``install --dry-run`` of ``args`` from the distribution files ``files``
    alone (``--no-index --find-links``), as if nothing were installed, with no pip
    configuration: what pip itself would install."""
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    env.pop("PIP_FIND_LINKS", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-index",
            "--find-links",
            str(files),
            "--ignore-installed",
            "--disable-pip-version-check",
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
