"""Reading package indexes: the simple API (PEP 503 HTML, PEP 691 JSON), ``file://`` indexes,
``--find-links`` directories and pages, and core metadata (PEP 658/714 ``.metadata`` files,
else the ``*.dist-info/METADATA`` of the wheel: read through HTTP range requests where the
server takes them, as pip's and uv's lazy wheels do, else from the whole file).

Credentials in index URLs are taken out of the URL once, at start, and sent as an HTTP Basic
``Authorization`` header to that host only (never on a redirect to another host); every URL
this module stores or shows is credential-free, and messages go through ``redact_text``.

Fetches run on a thread pool and are memoized for the run; :meth:`Finder.prefetch` starts them
early; each thread keeps its connection to a host between requests (:class:`_Pool`).
Timeouts, connection errors, 5xx and 429 answers and bad metadata are retried
``IndexConfig.retries`` times with exponential backoff, then reported (exit 2) naming the
package and the index.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import http.client
import io
import netrc
import os
import socket
import ssl
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit
from urllib.request import url2pathname

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PkgRequirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag, parse_tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from depsplit.index.cache import Cache, Row, row_hashes, rows_digest, strip_credentials
from depsplit.index.cache import Link as _Link
from depsplit.index.config import MAX_METADATA_BYTES, IndexConfig
from depsplit.index.errors import (
    BadMetadataError,
    BuildError,
    DeadlineExceeded,
    IndexError_,
    InvalidMetadata,
    NetworkError,
    OfflineCacheMiss,
    ResponseTooLarge,
    UnknownPackageError,
)
from depsplit.index.trace import current_trace
from depsplit.nesting import json_loads
from depsplit.redact import redact_text, redact_url

ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
)
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
USER_AGENT = "depsplit (+https://pypi.org/project/depsplit/)"
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
_SDIST_SUFFIXES = (".tar.gz", ".zip")

Hashes = tuple[tuple[str, str], ...]
Validators = dict[str, str]
"""``etag`` and ``last_modified`` of a page (the HTTP cache validators it was served with)."""


@dataclass(frozen=True)
class IndexFile:
    """One distribution file of a project, as an index or find-links location lists it."""

    project: NormalizedName
    version: Version
    filename: str
    url: str
    """Absolute and credential-free."""
    index: str
    """The index or find-links location it was listed by (redacted), for messages."""
    hashes: Hashes = ()
    requires_python: str | None = None
    yanked: str | None = None
    """``None`` when not yanked; the reason (maybe ``""``) when yanked (PEP 592)."""
    metadata: Hashes | None = None
    """``None``: no PEP 658 metadata file; otherwise its hashes (maybe none given)."""
    tags: frozenset[Tag] = field(default=frozenset(), compare=False)
    """The wheel's tags; empty for an sdist."""

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")

    @property
    def hash_strings(self) -> tuple[str, ...]:
        """``("sha256:…",)`` in the ``--hash`` form pip accepts."""
        return tuple(f"{name}:{value}" for name, value in self.hashes if name == "sha256")

    def hash_of(self, name: str) -> str | None:
        return dict(self.hashes).get(name)


@dataclass(frozen=True)
class DistMetadata:
    """What the resolver needs from a release's core metadata."""

    name: str
    version: Version
    requires_dist: tuple[PkgRequirement, ...]
    requires_python: str | None
    provides_extra: tuple[str, ...] = ()


# ----------------------------------------------------------------------------------- parsing


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.anchors: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base" and self.base is None:
            href = dict(attrs).get("href")
            if href:
                self.base = href
        elif tag == "a":
            self.anchors.append(dict(attrs))


def _hashes_from_fragment(url: str) -> tuple[str, Hashes]:
    if "#" not in url:
        return url, ()
    clean, _, fragment = url.partition("#")
    hashes: Hashes = ()
    if "=" in fragment:
        name, _, value = fragment.partition("=")
        if name in hashlib.algorithms_guaranteed:
            hashes = ((name, value.lower()),)
    return clean, hashes


def _join(base: str, href: str) -> str:
    if href.startswith(("https://", "http://")):
        return href  # already absolute: skip urljoin, slow on pages of 10 000 files
    return urljoin(base, href)


@lru_cache(maxsize=65536)
def _version(text: str) -> Version:
    return Version(text)


@lru_cache(maxsize=16384)
def _tags(text: str) -> frozenset[Tag]:
    return parse_tag(text)


@lru_cache(maxsize=4096)
def _canonical(name: str) -> NormalizedName:
    return canonicalize_name(name)


@lru_cache(maxsize=4096)
def _valid_specifier(text: str) -> bool:
    """Whether ``text`` parses as a specifier (memoized: every file of a release, and most
    releases of a project, repeat the same ``requires-python``)."""
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return False
    return True


def _parse_wheel(filename: str) -> tuple[str, Version, frozenset[Tag]]:
    """Name, version and tags of a wheel file name (memoized parts: a page repeats them)."""
    parts = filename[: -len(".whl")].split("-")
    if len(parts) not in (5, 6) or not parts[0]:
        raise InvalidWheelFilename(filename)
    if len(parts) == 6 and not parts[2][:1].isdigit():
        raise InvalidWheelFilename(filename)
    try:
        tags = _tags("-".join(parts[-3:]))
    except ValueError as exc:  # packaging's InvalidTag
        raise InvalidWheelFilename(filename) from exc
    return parts[0], _version(parts[1]), tags


def _metadata_attr(value: str | None) -> Hashes | None:
    """``data-core-metadata``: ``"true"`` or ``"sha256=…"``; absent or ``"false"`` → None."""
    if value is None:
        return None
    value = value.strip()
    if value.lower() == "false":
        return None
    if "=" in value:
        name, _, digest = value.partition("=")
        return ((name.lower(), digest.lower()),)
    return ()


def _json_metadata(value: object) -> Hashes | None:
    if value is None or value is False:
        return None
    if isinstance(value, dict):
        return tuple(sorted((str(k).lower(), str(v).lower()) for k, v in value.items()))
    return ()


def parse_html_page(body: bytes, page_url: str) -> list[_Link]:
    """The links of a PEP 503 page (or a find-links HTML page)."""
    parser = _AnchorParser()
    parser.feed(body.decode("utf-8", errors="replace"))
    parser.close()
    base = _join(page_url, parser.base) if parser.base else page_url
    links = []
    for attrs in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        url, hashes = _hashes_from_fragment(_join(base, href))
        filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        metadata = _metadata_attr(attrs.get("data-core-metadata"))
        if metadata is None:
            metadata = _metadata_attr(attrs.get("data-dist-info-metadata"))
        yanked = attrs.get("data-yanked") if "data-yanked" in attrs else None
        if "data-yanked" in attrs and yanked is None:
            yanked = ""
        links.append(
            _Link(
                filename=filename,
                url=url,
                hashes=hashes,
                requires_python=attrs.get("data-requires-python") or None,
                yanked=yanked,
                metadata=metadata,
            )
        )
    return links


def parse_json_page(body: bytes, page_url: str) -> list[_Link]:
    """The files of a PEP 691 JSON project page."""
    data = json_loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise ValueError("not a PEP 691 project page")
    links = []
    for item in data["files"]:
        if not isinstance(item, dict) or "url" not in item or "filename" not in item:
            continue
        url, frag_hashes = _hashes_from_fragment(_join(page_url, str(item["url"])))
        raw_hashes = item.get("hashes") or {}
        hashes: Hashes = (
            tuple(sorted((str(k).lower(), str(v).lower()) for k, v in raw_hashes.items()))
            if isinstance(raw_hashes, dict)
            else ()
        ) or frag_hashes
        yanked_value = item.get("yanked", False)
        yanked = (
            None
            if yanked_value is False or yanked_value is None
            else (yanked_value if isinstance(yanked_value, str) else "")
        )
        metadata = _json_metadata(item.get("core-metadata"))
        if metadata is None:
            metadata = _json_metadata(item.get("dist-info-metadata"))
        links.append(
            _Link(
                filename=str(item["filename"]),
                url=url,
                hashes=hashes,
                requires_python=item.get("requires-python") or None,
                yanked=yanked,
                metadata=metadata,
            )
        )
    return links


def _parse_sdist(filename: str, project: NormalizedName) -> tuple[str, Version]:
    """The name and version of an sdist of ``project``. As pip reads them: the name is the
    longest prefix before a ``-`` that is the project's name, the rest is the version, so a
    legacy ``functools32-3.2.3-2.tar.gz`` is functools32 3.2.3.post2 (packaging splits at
    the last ``-`` and reads project ``functools32-3-2-3``, version 2). Raises
    :class:`InvalidSdistFilename` or :class:`InvalidVersion` for a file that is neither."""
    try:
        name, version = parse_sdist_filename(filename)
        if _canonical(name) == project:
            return name, version
    except (InvalidSdistFilename, InvalidVersion):
        pass
    stem = next(filename[: -len(s)] for s in _SDIST_SUFFIXES if filename.endswith(s))
    for cut in range(len(stem) - 1, 0, -1):
        if stem[cut] == "-" and _canonical(stem[:cut]) == project:
            return stem[:cut], Version(stem[cut + 1 :])
    raise InvalidSdistFilename(filename)


def _file_parts(filename: str, project: NormalizedName) -> tuple[Version, frozenset[Tag]] | None:
    """The version and tags (none for an sdist) of a file of ``project``, or ``None`` for
    another project's file or one that is neither a wheel nor an sdist with a valid name
    (pip skips those too)."""
    try:
        if filename.endswith(".whl"):
            wname, version, tags = _parse_wheel(filename)
        elif filename.endswith(_SDIST_SUFFIXES):
            wname, version = _parse_sdist(filename, project)
            tags = frozenset()
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    if _canonical(wname) != project:
        return None
    return version, tags


_Listing = tuple[
    str, str, Hashes, str | None, str | None, Hashes | None, str, Version, frozenset[Tag]
]
"""A file as a source lists it: file name, URL, hashes, Requires-Python, yanked, metadata
(as :class:`~depsplit.index.cache.Link` has them), the source (redacted), and the version
and tags its name gives."""


def _listing(row: Row, project: NormalizedName, source: str) -> _Listing | None:
    """``row`` (a link in its stored form, :func:`checked_row`) as a file of ``project``
    listed by ``source``, or ``None`` when it is not one (:func:`_file_parts`)."""
    parts = _file_parts(row[0], project)
    if parts is None:
        return None
    filename, url, hashes, requires_python, yanked, metadata = row
    # One string per distinct Requires-Python (a few hundred), not one per file (the
    # pages of a run hold hundreds of thousands of files).
    return (
        filename,
        url,
        row_hashes(hashes),
        sys.intern(requires_python) if requires_python else None,
        yanked,
        None if metadata is None else row_hashes(metadata),
        source,
        *parts,
    )


def _to_file(listing: _Listing, project: NormalizedName) -> IndexFile:
    """The :class:`IndexFile` of ``listing``."""
    filename, url, hashes, requires_python, yanked, metadata, index, version, tags = listing
    if requires_python and not _valid_specifier(requires_python):
        requires_python = None  # pip ignores an invalid data-requires-python
    return IndexFile(
        project=project,
        version=version,
        filename=filename,
        url=url,
        index=index,
        hashes=hashes,
        requires_python=requires_python,
        yanked=yanked,
        metadata=metadata,
        tags=tags,
    )


def _local_digest(rows: Sequence[Row]) -> str:
    """:func:`~depsplit.index.cache.rows_digest` of a local index's or find-links
    location's links, with the size and time of change of each local file they point to
    (such a file may be rewritten under the same name, hashes unlisted)."""
    digest = hashlib.sha256(rows_digest(rows).encode())
    for row in rows:
        parts = urlsplit(row[1])
        if parts.scheme != "file":
            continue
        try:
            stat = os.stat(url2pathname(parts.path))
        except OSError:
            digest.update(b"-\n")
            continue
        digest.update(f"{stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class ProjectFiles(Mapping[Version, tuple[IndexFile, ...]]):
    """Every published version of one project → its files, newest first (a version's files
    by file name, from the last, each file once: :func:`_one_per_file`). A version's
    :class:`IndexFile` objects are made when it is first asked for: a run reads pages of
    hundreds of thousands of files (``botocore``: thousands of releases) and looks at a few
    releases of each. Safe to share between threads (every caller gets the same tuple)."""

    def __init__(
        self, project: NormalizedName, listings: Iterable[_Listing], digest: str = ""
    ) -> None:
        self._project = project
        self.digest = digest
        """A digest of every source's links for the project: the same whenever the
        sources list the same files (what a stored resolution is checked against)."""
        self._listed: dict[Version, list[_Listing]] = {}
        for listing in listings:
            found = self._listed.get(listing[7])
            if found is None:
                self._listed[listing[7]] = [listing]
            else:
                found.append(listing)
        # A version is named as its files' last name spells it (``1.0`` or ``1.0.0``: equal
        # versions are one release), newest first (Version comparisons are slow: the
        # distinct versions are sorted, not the files).
        named = (max(same, key=lambda x: x[0])[7] for same in self._listed.values())
        self._order = sorted(named, reverse=True)
        self._made: dict[Version, tuple[IndexFile, ...]] = {}

    def __getitem__(self, version: Version) -> tuple[IndexFile, ...]:
        found = self._made.get(version)
        if found is None:
            files = _one_per_file(_to_file(x, self._project) for x in self._listed[version])
            # Two files of one name are two different files (their hashes differ): the
            # sort is stable, so they stay in source order (the first index first).
            files.sort(key=lambda f: f.filename, reverse=True)
            found = self._made.setdefault(version, tuple(files))
        return found

    def __contains__(self, version: object) -> bool:
        return version in self._listed

    def wheel_tags(self) -> Iterator[frozenset[Tag]]:
        """The tags of every wheel listed (a file listed twice, twice), no file made."""
        return (x[8] for same in self._listed.values() for x in same if x[8])

    def __iter__(self) -> Iterator[Version]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)


def _same_file(a: IndexFile, b: IndexFile) -> bool:
    """Whether two listings of one file name are the same file: pip takes a file name and
    hash as the file (a mirror, a second index or a find-links directory serving it again).
    Hashes that disagree for an algorithm both give mean two different files; a listing
    without hashes (a find-links directory) is taken as the same file."""
    if a.filename != b.filename:
        return False
    theirs = dict(b.hashes)
    return all(theirs.get(name, value) == value for name, value in a.hashes)


def _one_per_file(files: Iterable[IndexFile]) -> list[IndexFile]:
    """``files`` (in source order: the indexes as configured, then the find-links) with
    each file kept once, from the first source that lists it, as pip prefers."""
    seen: dict[str, list[IndexFile]] = {}
    out: list[IndexFile] = []
    for f in files:
        same_name = seen.setdefault(f.filename, [])
        if any(f.url == g.url or _same_file(g, f) for g in same_name):
            continue
        same_name.append(f)
        out.append(f)
    return out


_T = TypeVar("_T")


def _answer(future: Future[_T]) -> _T:
    """``future.result()``, its error raised with a traceback of this call only. A future
    keeps one error object for every caller, and each raise of it adds the raising frames to
    its traceback: a release whose metadata many resolutions ask for (an sdist whose
    dependencies are unknown is asked again by each) kept every one of those frames, and the
    resolutions' providers with them, for the run."""
    try:
        return future.result()
    except BaseException as exc:
        raise exc.with_traceback(None) from exc.__cause__


class InvalidField(ValueError):
    """Metadata that parses but lists a ``Requires-Dist`` that is not a valid requirement:
    the file says so every time (never a transfer gone wrong), and pip (24.1 on) ignores
    the release (its ``MetadataInvalid``)."""


def parse_metadata(data: bytes, *, source: str) -> DistMetadata:
    """Parse core metadata; an invalid ``Requires-Dist`` is an :class:`InvalidField` (never
    one dependency dropped: that would hide conflicts; the resolver ignores the whole
    release, as pip does); an invalid ``Version`` or ``Requires-Python`` a ``ValueError``
    (pip stops on the first and reads the second as none: depsplit fails closed on both).
    Other fields are not checked, as pip does not check them either."""
    raw, _unparsed = parse_email(data)
    name = raw.get("name")
    version_text = raw.get("version")
    if not name or not version_text:
        raise ValueError(f"{source}: metadata without Name or Version")
    try:
        version = Version(version_text)
    except InvalidVersion as exc:
        raise ValueError(f"{source}: invalid Version {version_text!r}") from exc
    requires: list[PkgRequirement] = []
    for text in raw.get("requires_dist", []):
        try:
            requires.append(PkgRequirement(text))
        except InvalidRequirement as exc:  # noqa: PERF203
            # packaging's message goes on with the text and a caret under the fault
            why = str(exc).splitlines()[0]
            raise InvalidField(f"{source}: invalid Requires-Dist {text!r}: {why}") from exc
    requires_python = raw.get("requires_python") or None
    if requires_python:
        try:
            SpecifierSet(requires_python)
        except InvalidSpecifier as exc:
            raise ValueError(f"{source}: invalid Requires-Python {requires_python!r}") from exc
    return DistMetadata(
        name=name,
        version=version,
        requires_dist=tuple(requires),
        requires_python=requires_python,
        provides_extra=tuple(raw.get("provides_extra", [])),
    )


class MetadataTooLarge(ValueError):
    """A metadata file inside an archive over the size limit (a zip bomb, or a huge
    ``PKG-INFO``): never retried."""


def _archive(data: bytes | IO[bytes]) -> IO[bytes]:
    return io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data


def _bounded(read: Callable[[int], bytes], limit: int, what: str) -> bytes:
    data = read(limit + 1)
    if len(data) > limit:
        raise MetadataTooLarge(
            f"{what} is larger than {_size(limit)}, the limit on a metadata file"
        )
    return data


def metadata_from_wheel(
    data: bytes | IO[bytes], filename: str, *, limit: int = MAX_METADATA_BYTES
) -> bytes:
    """The ``*.dist-info/METADATA`` bytes of a wheel (its bytes, or a binary file)."""
    wname, version, _b, _t = parse_wheel_filename(filename)
    with zipfile.ZipFile(_archive(data)) as zf:
        candidates = [
            n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
        ]
        chosen = None
        for n in candidates:
            dist = n.split("/", 1)[0][: -len(".dist-info")]
            dname = dist.partition("-")[0]
            if canonicalize_name(dname) == canonicalize_name(wname):
                chosen = n
                break
        if chosen is None and len(candidates) == 1:
            chosen = candidates[0]
        if chosen is not None:
            with zf.open(chosen) as fh:
                return _bounded(fh.read, limit, f"{filename}: {chosen}")
    raise ValueError(f"{filename}: no .dist-info/METADATA for {wname} {version}")


class DynamicMetadata(UnknownPackageError):
    """An sdist whose ``PKG-INFO`` does not declare its dependencies statically (before
    Metadata-Version 2.2, or ``Dynamic: Requires-Dist``): pip would build it to learn them.
    :attr:`metadata` is what the ``PKG-INFO`` says (its ``Requires-Python`` holds; PEP 643)."""

    def __init__(self, file: IndexFile, metadata: DistMetadata, why: str) -> None:
        super().__init__(
            file.project,
            file.index,
            f"{file.version} is only published as a source distribution ({file.filename}) "
            f"whose dependencies are unknown without building it ({why})",
        )
        self.file = file
        self.metadata = metadata


def _static(data: bytes, meta: DistMetadata, file: IndexFile) -> DistMetadata:
    """``meta`` when an sdist's ``PKG-INFO`` (``data``) is authoritative for its
    dependencies (PEP 643), else :class:`DynamicMetadata`."""
    raw, _unparsed = parse_email(data)
    version = raw.get("metadata_version") or "1.0"
    try:
        known = Version(version) >= Version("2.2")
    except InvalidVersion:
        known = False
    if not known:
        raise DynamicMetadata(file, meta, f"Metadata-Version {version}, before PEP 643")
    dynamic = {d.strip().lower() for d in raw.get("dynamic", [])}
    if "requires-dist" in dynamic:
        raise DynamicMetadata(file, meta, "its PKG-INFO says Dynamic: Requires-Dist")
    return meta


def metadata_from_sdist(
    data: bytes | IO[bytes], filename: str, *, limit: int = MAX_METADATA_BYTES
) -> bytes:
    """The top-level ``PKG-INFO`` of an sdist (``.tar.gz`` or ``.zip``; its bytes, or a
    binary file)."""

    def top_level(name: str) -> bool:
        parts = name.strip("/").split("/")
        return len(parts) == 2 and parts[1] == "PKG-INFO"

    try:
        if filename.endswith(".zip"):
            with zipfile.ZipFile(_archive(data)) as zf:
                for n in sorted(zf.namelist()):
                    if top_level(n):
                        with zf.open(n) as fh:
                            return _bounded(fh.read, limit, f"{filename}: {n}")
        else:
            with tarfile.open(fileobj=_archive(data), mode="r:*") as tf:
                for member in tf:
                    if member.isfile() and top_level(member.name):
                        member_fh = tf.extractfile(member)
                        if member_fh is not None:
                            return _bounded(member_fh.read, limit, f"{filename}: {member.name}")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ValueError(f"{filename}: not a readable archive ({exc})") from None
    raise ValueError(f"{filename}: no PKG-INFO")


# ------------------------------------------------------------------------------------ HTTP
#
# Every answer is read in chunks (``read1``: whatever has arrived, never waiting for a fixed
# amount) against a size limit, and every request has an overall deadline: a watchdog
# shuts the request's sockets down when it passes, so a read blocked on a server that sends
# one byte every few seconds (which never trips the per-read ``timeout``) returns at once.

_CHUNK = 1 << 16
_SPOOL_BYTES = 8 * 1024 * 1024
"""An archive larger than this is spooled to an unnamed temporary file, not memory."""
_request = threading.local()
"""The :class:`_Deadline` of the request the current thread is making."""

WHEEL_TAIL = 256 * 1024
"""Bytes asked from the end of a wheel whose index publishes no metadata file: its zip
central directory and its ``.dist-info`` files, which the wheel format puts last (pip's lazy
wheel asks for 10 kB first). A resolution waits for each metadata file in turn, so this
trades bytes for round trips: of 40 wheels of realpython's closures, 64 KiB left 18 needing
1 to 3 more requests, 256 KiB 8 needing 1 or 2 (a wheel smaller comes whole, in one
answer). Realpython's cold run on this machine's index (no metadata files) downloaded
18.3 GB of whole wheels."""
_RANGE_MIN = 16 * 1024
"""The least asked of a wheel in one more range request (zipfile reads a few bytes at a
time: the local header, then the member)."""
_RANGE_REQUESTS = 6
"""Range requests after the tail, at most, before the whole file is fetched instead."""


class _RangesFailed(Exception):
    """Reading a wheel by ranges did not work (a ``Content-Range`` that does not match
    the body, or too many requests): fetch the whole file."""


class _RemoteFile(io.RawIOBase):
    """A read-only file of ``size`` bytes of which the parts in ``known`` (``{offset:
    bytes}``) are at hand; a read elsewhere fetches ``[start, end)`` with ``fetch`` (at
    least :data:`_RANGE_MIN` bytes, at most :data:`_RANGE_REQUESTS` times)."""

    def __init__(
        self, size: int, known: dict[int, bytes], fetch: Callable[[int, int], bytes]
    ) -> None:
        super().__init__()
        self._size = size
        self._parts = dict(known)
        self._fetch = fetch
        self._pos = 0
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        end = min(self._size, self._pos + len(view))
        if end <= self._pos:
            return 0
        data = self._span(self._pos, end)
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def _span(self, start: int, end: int) -> bytes:
        for offset, data in self._parts.items():
            if offset <= start and end <= offset + len(data):
                return data[start - offset : end - offset]
        if self.requests >= _RANGE_REQUESTS:
            raise _RangesFailed(f"more than {_RANGE_REQUESTS} range requests")
        self.requests += 1
        stop = min(self._size, max(end, start + _RANGE_MIN))
        self._parts[start] = self._fetch(start, stop)
        return self._parts[start][: end - start]


class _Deadline:
    """The end of one request, every attempt and redirect included. When it passes, every
    socket the request opened is shut down (a blocked read then returns)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def passed(self) -> bool:
        return self.expired or self.remaining() <= 0

    def track(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)
        return sock

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _current_deadline() -> _Deadline | None:
    return getattr(_request, "deadline", None)


def _watched(conn: http.client.HTTPConnection) -> None:
    """Have the deadline of the request being made watch every socket ``conn`` opens: the
    raw one (connecting, a proxy tunnel, the TLS handshake) and, after :meth:`connect`, the
    one it reads from. The deadline is the current thread's at the time the socket opens:
    a kept connection (:class:`_Pool`) serves one request after another, on one thread."""
    create = conn._create_connection  # type: ignore[attr-defined]

    def create_watched(*args: Any, **kwargs: Any) -> socket.socket:
        sock = create(*args, **kwargs)
        deadline = _current_deadline()
        return sock if deadline is None else deadline.track(sock)

    conn._create_connection = create_watched  # type: ignore[attr-defined]


class _Response(http.client.HTTPResponse):
    """An answer that, once closed, gives its connection back to be kept (or has it closed):
    see :meth:`_Pool.release`."""

    release: Callable[[bool], None] | None = None

    def close(self) -> None:
        # Read to its end (http.client then drops ``fp``), or nothing more to read.
        complete = self.fp is None or (self.length == 0 and not self.chunked)
        reusable = complete and not self.will_close
        super().close()
        release, self.release = self.release, None
        if release is not None:
            release(reusable)


class _WatchedHTTPConnection(http.client.HTTPConnection):
    """A connection whose sockets the current request's deadline watches (:func:`_watched`),
    the one it reads from included (after :meth:`connect`)."""

    response_class = _Response

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _watched(self)

    def connect(self) -> None:
        super().connect()
        deadline = _current_deadline()
        if deadline is not None and self.sock is not None:
            deadline.track(self.sock)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, http.client.HTTPSConnection):
    """The same over TLS: :meth:`connect` runs ``HTTPSConnection``'s (the handshake) before
    the TLS socket is watched."""


_STALE = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, http.client.BadStatusLine)
"""How a kept connection the server has closed meanwhile fails (``RemoteDisconnected`` is
both a ``ConnectionResetError`` and a ``BadStatusLine``): the request is sent again on a new
connection, once, as urllib3 does."""


class _Pool:
    """Idle HTTP/1.1 connections kept for the next request to the same host (keep-alive, as
    pip's requests does): a cold run makes thousands of requests to two hosts, and a new
    connection each time costs a name lookup, a TCP and a TLS handshake (half the time of
    a metadata fetch on PyPI). Each thread keeps its own (at most one per host), so no
    connection is ever used by two threads; one is kept only when its answer was read to
    the end, the server did not close it and the request's deadline had not passed."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[http.client.HTTPConnection] = set()

    def _idle(self) -> dict[Hashable, http.client.HTTPConnection]:
        idle: dict[Hashable, http.client.HTTPConnection] | None = getattr(self._local, "idle", None)
        if idle is None:
            idle = self._local.idle = {}
        return idle

    def take(self, key: Hashable) -> http.client.HTTPConnection | None:
        return self._idle().pop(key, None)

    def opened(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._open.add(conn)

    def discard(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        with self._lock:
            self._open.discard(conn)

    def release(self, key: Hashable, conn: http.client.HTTPConnection, reusable: bool) -> None:
        deadline = _current_deadline()
        if not reusable or conn.sock is None or (deadline is not None and deadline.passed()):
            self.discard(conn)
            return
        previous = self._idle().get(key)
        if previous is not None and previous is not conn:
            self.discard(previous)
        self._idle()[key] = conn

    def close(self) -> None:
        """Close every connection (the finder's threads have stopped)."""
        with self._lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            conn.close()


class _KeepAlive(urllib.request.AbstractHTTPHandler):
    """urllib's HTTP handling with connections kept between requests (:class:`_Pool`).
    A request through a proxy goes urllib's own way (one connection per request)."""

    def __init__(self, pool: _Pool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pool = pool

    def open_kept(
        self, http_class: type[http.client.HTTPConnection], req: urllib.request.Request, **args: Any
    ) -> http.client.HTTPResponse:
        if req.has_proxy() or req._tunnel_host:  # type: ignore[attr-defined]
            return self.do_open(http_class, req, **args)
        if not req.host:
            raise urllib.error.URLError("no host given")
        headers = dict(req.unredirected_hdrs)
        headers.update({k: v for k, v in req.headers.items() if k not in headers})
        headers = {name.title(): value for name, value in headers.items()}
        key = (http_class, req.host)
        conn = self.pool.take(key)
        while True:
            kept = conn is not None
            if conn is None:
                conn = http_class(req.host, timeout=req.timeout, **args)
                self.pool.opened(conn)
            else:
                conn.timeout = req.timeout
                deadline = _current_deadline()
                if conn.sock is not None:
                    conn.sock.settimeout(req.timeout)
                    if deadline is not None:
                        deadline.track(conn.sock)
            try:
                conn.request(req.get_method(), req.selector, req.data, headers)
                response = conn.getresponse()
            except _STALE as err:
                self.pool.discard(conn)
                if kept:
                    conn = None
                    continue
                raise urllib.error.URLError(err) from None
            except OSError as err:
                self.pool.discard(conn)
                raise urllib.error.URLError(err) from None
            except BaseException:
                self.pool.discard(conn)
                raise
            break
        if isinstance(response, _Response):  # always: the connections' response class
            response.release = functools.partial(self.pool.release, key, conn)
        response.url = req.get_full_url()
        response.msg = response.reason  # type: ignore[assignment]
        return response


class _HTTPHandler(_KeepAlive, urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.open_kept(_WatchedHTTPConnection, req)


class _HTTPSHandler(_KeepAlive, urllib.request.HTTPSHandler):
    def __init__(self, pool: _Pool, context: ssl.SSLContext | None = None) -> None:
        super().__init__(pool, context=context)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.open_kept(
            _WatchedHTTPSConnection,
            req,
            context=self._context,  # type: ignore[attr-defined]
        )


@dataclass(frozen=True)
class _Limit:
    """What an answer is (for messages) and how large it may be."""

    what: str
    """``"project page"``, ``"metadata file"``, ``"distribution file"``."""
    size: int


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"


def _too_large(limit: _Limit, url: str, package: str, index: str) -> ResponseTooLarge:
    return ResponseTooLarge(
        package,
        index,
        f"the {limit.what} {redact_url(url)} is larger than {_size(limit.size)}, "
        f"the limit on a {limit.what} (see Limits in depsplit's README): not read",
    )


class _Http:
    """urllib with credentials per host, bounded retries, size limits, an overall deadline
    per request and redacted errors."""

    def __init__(self, config: IndexConfig) -> None:
        self.config = config
        self._auth: dict[str, str] = {}
        self._netrc: netrc.netrc | bool | None = False
        self._pool = _Pool()
        context = ssl.create_default_context(cafile=config.cert) if config.cert else None
        https = _HTTPSHandler(self._pool, context)
        self._opener = urllib.request.build_opener(_HTTPHandler(self._pool), https)

    def close(self) -> None:
        """Close the connections kept for later requests."""
        self._pool.close()

    def register(self, url: str) -> str:
        """Remember the credentials of ``url``; return it without them."""
        parts = urlsplit(url)
        if "@" in parts.netloc:
            auth, _, host = parts.netloc.rpartition("@")
            user, _, password = auth.partition(":")
            token = f"{unquote(user)}:{unquote(password)}".encode()
            self._auth.setdefault(host.lower(), "Basic " + base64.b64encode(token).decode())
        return strip_credentials(url)

    def _authorization(self, url: str) -> str | None:
        host = urlsplit(url).netloc.lower()
        if host in self._auth:
            return self._auth[host]
        if self._netrc is False:
            try:
                self._netrc = netrc.netrc() if Path.home().joinpath(".netrc").exists() else None
            except (OSError, netrc.NetrcParseError):
                self._netrc = None
        if isinstance(self._netrc, netrc.netrc):
            found = self._netrc.authenticators(urlsplit(url).hostname or "")
            if found and found[0]:
                token = f"{found[0]}:{found[2] or ''}".encode()
                return "Basic " + base64.b64encode(token).decode()
        return None

    def get(
        self,
        url: str,
        *,
        package: str,
        index: str,
        limit: _Limit,
        accept: str | None = None,
        validators: Validators | None = None,
    ) -> tuple[int, str, bytes]:
        """``(status, content type, body)``; status is 200, or 404 for 404/410. A body
        over ``limit`` is a :class:`ResponseTooLarge`. With ``validators`` (the ``ETag``
        and ``Last-Modified`` of a cached copy), the request is conditional: 304 says the
        copy is still the page, with no body; the answer's own validators are then put in
        ``validators`` (those the server gave)."""
        if urlsplit(url).scheme == "file":
            return _read_file_url(url, package=package, index=index, limit=limit)
        status, ctype, body = self._fetch(url, package, index, limit, accept, bytearray, validators)
        return status, ctype, bytes(body)

    def get_file(
        self, url: str, *, package: str, index: str, limit: _Limit, tail: int | None = None
    ) -> tuple[int, IO[bytes], int]:
        """``(status, body, offset)`` of a distribution file, the body in a temporary file
        (in memory while small) positioned at its start; the caller closes it. With
        ``tail``, only its last ``tail`` bytes are asked for (an HTTP range request):
        status 206 when the server sent them, ``offset`` then where they start in the file
        (0: the whole file fitted); a server that does not take ranges answers 200 with
        the whole file (``offset`` 0). A 206 whose ``Content-Range`` does not match the
        body is a :class:`_RangesFailed`."""
        if urlsplit(url).scheme == "file":
            status, _ctype, data = _read_file_url(url, package=package, index=index, limit=limit)
            return status, io.BytesIO(data), 0

        def spool() -> IO[bytes]:
            return tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)

        answer: dict[str, str] = {}
        wanted = None if tail is None else f"bytes=-{tail}"
        status, _ctype, body = self._fetch(
            url, package, index, limit, None, spool, byte_range=wanted, answer=answer
        )
        offset = 0
        if status == 200 and answer.get("status") == "206":
            try:
                offset = _tail_offset(answer.get("content-range", ""), body.tell())
            except ValueError as exc:
                body.close()
                raise _RangesFailed(str(exc)) from None
            status = 206
        body.seek(0)
        return status, body, offset

    def get_range(
        self, url: str, start: int, end: int, *, package: str, index: str, limit: _Limit
    ) -> bytes:
        """Bytes ``start`` to ``end`` (exclusive) of the file at ``url``, by an HTTP range
        request: a :class:`_RangesFailed` unless the server answers 206 with exactly
        those."""
        answer: dict[str, str] = {}
        wanted = f"bytes={start}-{end - 1}"
        # No more than was asked for: a server that sends the whole file instead (200) is
        # cut off at once, not read into memory (the caller then fetches it, spooled).
        part = _Limit(f"part of a {limit.what}", end - start)
        try:
            status, _ctype, body = self._fetch(
                url, package, index, part, None, bytearray, byte_range=wanted, answer=answer
            )
        except ResponseTooLarge:
            raise _RangesFailed(f"{redact_url(url)}: more than {wanted} sent") from None
        if status != 200 or answer.get("status") != "206":
            raise _RangesFailed(f"{redact_url(url)}: no partial content for {wanted}")
        try:
            first, last, _total = _content_range(answer.get("content-range", ""))
        except ValueError as exc:
            raise _RangesFailed(str(exc)) from None
        if (first, last + 1) != (start, end) or len(body) != end - start:
            raise _RangesFailed(f"{redact_url(url)}: the server sent other bytes than {wanted}")
        return bytes(body)

    def _fetch(
        self,
        url: str,
        package: str,
        index: str,
        limit: _Limit,
        accept: str | None,
        sink: Callable[[], Any],
        validators: Validators | None = None,
        *,
        byte_range: str | None = None,
        answer: dict[str, str] | None = None,
    ) -> tuple[int, str, Any]:
        """``(status, content type, body)`` of ``url`` over HTTP(S), as :meth:`get` says,
        the body in a new ``sink()`` (a ``bytearray`` or a binary file the caller closes).
        Up to ``retries`` more attempts after a network error or a status of
        :data:`_RETRY_STATUS`, with exponential backoff, all within one deadline (the
        deadline of this thread's request, :data:`_request`, while it runs). Raises
        :class:`DeadlineExceeded` when the deadline passes, :class:`NetworkError` when
        every attempt failed (with the last reason), and what :meth:`_attempt` raises.
        ``byte_range``: a ``Range`` header to send; ``answer``: filled with a successful
        answer's ``status`` (200 is also returned for a 206) and ``content-range``."""
        attempts = max(0, self.config.retries) + 1
        last = ""
        deadline = _Deadline(self.config.deadline)
        _request.deadline = deadline
        try:
            for attempt in range(attempts):
                if attempt:
                    pause = self.config.backoff * (2 ** (attempt - 1))
                    if pause >= deadline.remaining():
                        break
                    time.sleep(pause)
                if deadline.passed():
                    break
                request = self._new_request(url, accept, validators)
                if byte_range is not None:
                    request.add_header("Range", byte_range)
                got = self._attempt(
                    request, deadline, url, package, index, limit, sink, validators, answer
                )
                if got is None:
                    break  # the deadline passed
                if not isinstance(got, str):
                    return got
                last = got
        finally:
            deadline.cancel()
            _request.deadline = None
        if deadline.passed():
            raise DeadlineExceeded(
                package,
                index,
                f"no complete answer from {redact_url(url)} within {deadline.seconds:g} s, "
                "the deadline of an index request (DEPSPLIT_INDEX_DEADLINE)",
            )
        raise NetworkError(
            package,
            index,
            f"cannot fetch {redact_url(url)}: {last} (after {attempts} attempts)",
        )

    def _new_request(
        self, url: str, accept: str | None, validators: Validators | None
    ) -> urllib.request.Request:
        """A GET of ``url`` with depsplit's ``User-Agent``, ``accept`` as ``Accept``,
        conditional on ``validators`` (those it holds), and the host's credentials as an
        ``Authorization`` urllib does not send on to a redirect's target."""
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        if accept:
            request.add_header("Accept", accept)
        if validators is not None:
            if validators.get("etag"):
                request.add_header("If-None-Match", validators["etag"])
            if validators.get("last_modified"):
                request.add_header("If-Modified-Since", validators["last_modified"])
        authorization = self._authorization(url)
        if authorization:
            # Unredirected: urllib does not copy it to the target of a redirect.
            request.add_unredirected_header("Authorization", authorization)
        return request

    def _attempt(
        self,
        request: urllib.request.Request,
        deadline: _Deadline,
        url: str,
        package: str,
        index: str,
        limit: _Limit,
        sink: Callable[[], Any],
        validators: Validators | None,
        answer: dict[str, str] | None = None,
    ) -> tuple[int, str, Any] | str | None:
        """One attempt at ``request``: the answer (200 with the body read into a new
        ``sink()`` and the answer's validators put in ``validators``, or what
        :func:`_http_error_answer` gives for an HTTP error), why to try again (a status of
        :data:`_RETRY_STATUS`, or a network error, redacted), or ``None`` when the
        deadline passed during it. Raises :class:`ResponseTooLarge` for a body over
        ``limit`` and :class:`IndexError_` for an HTTP error not worth retrying. A body
        the answer does not return is closed (a file)."""
        body = sink()
        kept = False
        try:
            timeout = max(0.001, min(self.config.timeout, deadline.remaining()))
            with self._opener.open(request, timeout=timeout) as response:
                _read_body(response, body, limit, url, package, index)
                if deadline.passed():
                    return None  # the watchdog's shutdown can look like the end
                kept = True
                if validators is not None:  # this answer's own, if any
                    validators.clear()
                    _validators(response.headers, validators)
                if answer is not None:
                    answer["status"] = str(response.status)
                    answer["content-range"] = response.headers.get("Content-Range", "")
                return 200, response.headers.get_content_type(), body
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and request.has_header("Range"):
                exc.close()  # a range the server will not send: the caller asks for all
                raise _RangesFailed(f"HTTP 416 for {redact_url(url)}") from None
            return _http_error_answer(exc, url, package, index, sink, validators)
        except (
            urllib.error.URLError,
            TimeoutError,
            OSError,
            http.client.HTTPException,
        ) as e:
            if deadline.passed():
                return None
            reason = getattr(e, "reason", e)
            return redact_text(f"{type(e).__name__}: {reason}")
        finally:
            if not kept and not isinstance(body, bytearray):
                body.close()


def _http_error_answer(
    exc: urllib.error.HTTPError,
    url: str,
    package: str,
    index: str,
    sink: Callable[[], Any],
    validators: Validators | None,
) -> tuple[int, str, Any] | str:
    """What an HTTP error status means (``exc`` is closed): 304 (conditional requests
    only) with the answer's validators put in ``validators``, or 404 (for 404 and 410,
    ``validators`` emptied), each with an empty ``sink()``; ``"HTTP <code>"`` for a status
    worth retrying (:data:`_RETRY_STATUS`). Raises :class:`IndexError_` for access denied
    (401, 403) and any other status."""
    code = exc.code
    if code == 304 and validators is not None:
        _validators(exc.headers, validators)
    exc.close()
    if code == 304 and validators is not None:
        return 304, "", sink()
    if code in (404, 410):
        if validators is not None:
            validators.clear()
        return 404, "", sink()
    if code in (401, 403):
        raise IndexError_(
            package, index, f"access denied (HTTP {code}) for {redact_url(url)}"
        ) from None
    if code in _RETRY_STATUS:
        return f"HTTP {code}"
    raise IndexError_(package, index, f"HTTP {code} for {redact_url(url)}") from None


def _validators(headers: Any, into: Validators) -> None:
    """The answer's ``ETag`` and ``Last-Modified`` (those it has) into ``into``."""
    for name, key in (("ETag", "etag"), ("Last-Modified", "last_modified")):
        value = headers.get(name) if headers is not None else None
        if value:
            into[key] = value


def _content_range(value: str) -> tuple[int, int, int]:
    """``(first, last, total)`` of a ``Content-Range: bytes first-last/total`` header
    (RFC 9110); a ``ValueError`` for anything else."""
    unit, _, spec = value.strip().partition(" ")
    span, _, total = spec.partition("/")
    first, _, last = span.partition("-")
    if unit != "bytes" or not (first.isdigit() and last.isdigit() and total.isdigit()):
        raise ValueError(f"not a byte range: Content-Range {value!r}")
    numbers = int(first), int(last), int(total)
    if not numbers[0] <= numbers[1] < numbers[2]:
        raise ValueError(f"not a byte range: Content-Range {value!r}")
    return numbers


def _tail_offset(content_range: str, size: int) -> int:
    """Where a tail of ``size`` bytes, sent with ``content_range``, starts in its file: a
    ``ValueError`` unless it is the end of the file and ``size`` bytes long."""
    first, last, total = _content_range(content_range)
    if last != total - 1 or last - first + 1 != size:
        raise ValueError(f"not the end of the file: Content-Range {content_range!r}")
    return first


def _read_body(
    response: http.client.HTTPResponse,
    body: Any,
    limit: _Limit,
    url: str,
    package: str,
    index: str,
) -> None:
    """Read ``response`` into ``body`` (a ``bytearray`` or a binary file) in chunks, as
    they arrive; over ``limit.size`` bytes, stop with :class:`ResponseTooLarge` (at once
    when the ``Content-Length`` says so)."""
    length = (response.headers.get("Content-Length") or "").strip()
    if length.isdigit() and int(length) > limit.size:
        raise _too_large(limit, url, package, index)
    size = 0
    while True:
        chunk = response.read1(min(_CHUNK, limit.size + 1 - size))
        if not chunk:
            return
        size += len(chunk)
        if size > limit.size:
            raise _too_large(limit, url, package, index)
        if isinstance(body, bytearray):
            body += chunk
        else:
            body.write(chunk)


def with_slash(url: str) -> str:
    """``url`` with its path ending in ``/`` (its query and fragment kept after it)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/"))


def _project_url(index: str, project: str) -> str:
    """The project page of ``project`` on ``index`` (a :func:`with_slash` URL): the path
    gets ``<project>/``; a query (``?token=…``) stays a query, so that every project has its
    own page and its own cache entry (pip glues the name after the query instead)."""
    parts = urlsplit(index)
    return urlunsplit(parts._replace(path=f"{parts.path}{project}/"))


def _read_file_url(url: str, *, package: str, index: str, limit: _Limit) -> tuple[int, str, bytes]:
    path = Path(url2pathname(urlsplit(url).path))
    if path.is_dir():
        path = path / "index.html"
    try:
        with path.open("rb") as fh:
            body = fh.read(limit.size + 1)
    except FileNotFoundError:
        return 404, "", b""
    except OSError as exc:
        raise IndexError_(package, index, f"cannot read {path}: {exc.strerror}") from None
    if len(body) > limit.size:
        raise _too_large(limit, url, package, index)
    ctype = JSON_TYPE if path.suffix == ".json" else "text/html"
    return 200, ctype, body


def _is_local_dir(location: str) -> Path | None:
    if "://" in location:
        if location.startswith("file:"):
            path = Path(url2pathname(urlsplit(location).path))
            return path if path.is_dir() else None
        return None
    path = Path(location).expanduser()
    return path if path.is_dir() else None


# ---------------------------------------------------------------------------------- Finder


class Finder:
    """Candidates and metadata of projects, from the configured indexes and find-links.

    Thread-safe; memoizes per run; use as a context manager (or call :meth:`close`) to stop
    its worker threads.
    """

    def __init__(self, config: IndexConfig, *, cache: Cache | None = None) -> None:
        self.config = config
        self._http = _Http(config)
        self._shown: dict[str, str] = {}
        """Credential-free URL → the URL as configured, redacted (``user:****@host``)."""
        indexes = []
        for url in config.indexes:
            clean = with_slash(self._http.register(url))
            self._shown.setdefault(clean, redact_url(with_slash(url)))
            indexes.append(clean)
        self.indexes = tuple(indexes)
        find_links = []
        for url in config.find_links:
            clean = self._http.register(url)
            self._shown.setdefault(clean, redact_url(url))
            find_links.append(clean)
        self.find_links = tuple(find_links)
        self.cache = cache if cache is not None else Cache.from_config(config)
        self._page_limit = _Limit("project page", config.max_page_bytes)
        self._links_limit = _Limit("find-links page", config.max_page_bytes)
        self._metadata_limit = _Limit("metadata file", config.max_metadata_bytes)
        self._archive_limit = _Limit("distribution file", config.max_archive_bytes)
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, config.workers), thread_name_prefix="depsplit-index"
        )
        self._lock = threading.Lock()
        self._files: dict[str, Future[ProjectFiles]] = {}
        self.memo: dict[Hashable, Any] = {}
        self.memo_lock = threading.Lock()
        """What callers derive from the files (the resolver's ranked releases, per target,
        Python and version), kept for the finder's life as the files are: every resolution
        through this finder shares it."""
        self._metadata: dict[str, Future[DistMetadata]] = {}
        self._built: dict[str, Future[DistMetadata]] = {}
        self._find_links: dict[str, tuple[tuple[Row, ...], str]] = {}
        self._find_links_lock = threading.Lock()

    # -- lifecycle
    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._http.close()

    def __enter__(self) -> Finder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def shown(self, location: str) -> str:
        """How to show an index or find-links location in a message (redacted)."""
        return self._shown.get(location) or redact_url(location)

    @property
    def where(self) -> str:
        """The indexes and find-links, redacted, for messages."""
        places = [*self.indexes, *self.find_links]
        return ", ".join(self.shown(p) for p in places) or "(no index)"

    # -- project files
    def prefetch(self, projects: Iterable[str]) -> None:
        """Start fetching the pages of ``projects`` in the background."""
        for project in projects:
            self._files_future(canonicalize_name(project))

    def files(self, project: str) -> tuple[IndexFile, ...]:
        """Every file of ``project`` from every index and find-links location (pip merges
        them), newest version first. Empty when no source lists the project."""
        versions = self.versions(project)
        return tuple(f for version in versions for f in versions[version])

    def versions(self, project: str) -> ProjectFiles:
        """Every published version of ``project`` → its files, newest first (as
        :meth:`files` orders them): :class:`ProjectFiles`, one per project a run. Noted
        in the calling thread's :class:`~depsplit.index.trace.Trace`, if one is open."""
        key = canonicalize_name(project)
        found = _answer(self._files_future(key))
        trace = current_trace()
        if trace is not None:
            trace.reads[key] = found.digest
        return found

    def _files_future(self, key: NormalizedName) -> Future[ProjectFiles]:
        with self._lock:
            future = self._files.get(key)
            if future is None:
                future = self._pool.submit(self._load_files, key)
                self._files[key] = future
            return future

    def _load_files(self, key: NormalizedName) -> ProjectFiles:
        sources = [(*self._project_page(index, key), self.shown(index)) for index in self.indexes]
        sources += [
            (*self._find_links_rows(location), self.shown(location)) for location in self.find_links
        ]
        listings = (_listing(row, key, shown) for rows, _digest, shown in sources for row in rows)
        digest = hashlib.sha256()
        for _rows, page_digest, shown in sources:
            digest.update(f"{shown}\0{page_digest}\n".encode())
        return ProjectFiles(key, (x for x in listings if x is not None), digest.hexdigest())

    def _project_page(self, index: str, key: NormalizedName) -> tuple[Sequence[Row], str]:
        """The links of ``key``'s page on ``index``, in their stored form (a cached page's
        are not made into :class:`~depsplit.index.cache.Link` objects), and their digest
        (:func:`~depsplit.index.cache.rows_digest`; for a local index, with each local
        file's size and time of change: it may be rewritten under the same name)."""
        url = _project_url(index, key)
        shown = self.shown(index)
        local = urlsplit(url).scheme == "file"
        # Offline, any cached copy answers; online, a fresh one (younger than the page TTL),
        # and an expired one is revalidated, as HTTP caches do: a conditional request with
        # its ETag / Last-Modified, which costs a 304 and no body when the page is unchanged.
        page = None if local else self.cache.get_page(url, fresh_only=False)
        if page is not None and (self.config.offline or self.cache.fresh(page)):
            return page.rows, page.digest
        if self.config.offline and not local:
            raise OfflineCacheMiss(
                key, shown, f"offline and the project page {redact_url(url)} is not cached"
            )
        validators: Validators = {}
        if page is not None:
            validators = {"etag": page.etag or "", "last_modified": page.last_modified or ""}
        status, ctype, body = self._http.get(
            url,
            package=key,
            index=shown,
            accept=ACCEPT,
            limit=self._page_limit,
            validators=validators,
        )
        if status == 304:
            if page is None or not (page.etag or page.last_modified):
                raise IndexError_(key, shown, f"HTTP 304 for {redact_url(url)}, asked for no copy")
            self.cache.put_page(url, page.status, page.rows, **validators, digest=page.digest)
            return page.rows, page.digest
        links: list[_Link] = []
        if status != 404:
            try:
                if ctype == JSON_TYPE or (ctype.endswith("json") and body.lstrip()[:1] == b"{"):
                    links = parse_json_page(body, url)
                else:
                    links = parse_html_page(body, url)
            except (ValueError, UnicodeDecodeError) as exc:
                raise IndexError_(key, shown, f"unreadable project page: {exc}") from None
        rows = [link.row() for link in links]
        if local:
            return rows, _local_digest(rows)
        digest = rows_digest(rows)
        self.cache.put_page(url, status, rows, **validators, digest=digest)
        return rows, digest

    def _find_links_rows(self, location: str) -> tuple[tuple[Row, ...], str]:
        """A find-links location's links and their digest (as :meth:`_project_page`)."""
        # Loaded once, in the calling worker: a worker never waits on another pool task.
        with self._find_links_lock:
            found = self._find_links.get(location)
            if found is None:
                rows = self._load_find_links(location)
                found = (rows, _local_digest(rows))
                self._find_links[location] = found
            return found

    def _load_find_links(self, location: str) -> tuple[Row, ...]:
        directory = _is_local_dir(location)
        shown = self.shown(location)
        if directory is not None:
            return tuple(
                _Link(filename=p.name, url=p.resolve().as_uri()).row()
                for p in sorted(directory.iterdir())
                if p.is_file()
            )
        if "://" not in location or location.startswith("file:"):
            path = Path(url2pathname(urlsplit(location).path)) if "://" in location else None
            if path is not None and path.is_file():
                _status, _ctype, body = _read_file_url(
                    location, package="(find-links)", index=shown, limit=self._links_limit
                )
                return tuple(link.row() for link in parse_html_page(body, location))
            raise IndexError_(None, shown, "find-links location does not exist")
        page = self.cache.get_page(location, fresh_only=not self.config.offline)
        if page is None:
            if self.config.offline:
                raise OfflineCacheMiss(None, shown, "offline and the find-links page is not cached")
            status, _ctype, body = self._http.get(
                location, package="(find-links)", index=shown, limit=self._links_limit
            )
            links = parse_html_page(body, location) if status != 404 else []
            rows = tuple(link.row() for link in links)
            self.cache.put_page(location, status, rows)
        else:
            status, rows = page.status, page.rows
        if status == 404:
            raise IndexError_(None, shown, "find-links page not found (HTTP 404)")
        return rows

    def hashes(self, file: IndexFile) -> tuple[str, ...]:
        """``sha256:…`` of ``file``: as the index gave it, else computed for a local file
        (find-links directories list no hashes); ``()`` when unknown."""
        if file.hash_strings:
            return file.hash_strings
        if urlsplit(file.url).scheme == "file":
            digest = hashlib.sha256()
            try:
                with open(url2pathname(urlsplit(file.url).path), "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(chunk)
            except OSError:
                return ()
            return (f"sha256:{digest.hexdigest()}",)
        return ()

    # -- metadata
    def prefetch_metadata(self, file: IndexFile) -> None:
        if file.is_wheel:
            self._metadata_future(file)

    def metadata(self, file: IndexFile) -> DistMetadata:
        """The core metadata of ``file``. For an sdist, its ``PKG-INFO`` when that is
        authoritative (PEP 643: ``Metadata-Version`` 2.2 or later and ``Requires-Dist`` not
        ``Dynamic``); otherwise :class:`DynamicMetadata` (its dependencies are unknown
        without building it). An archive without a readable ``PKG-INFO`` is a
        :class:`BadMetadataError`."""
        return _answer(self._metadata_future(file))

    def _metadata_future(self, file: IndexFile) -> Future[DistMetadata]:
        with self._lock:
            future = self._metadata.get(file.url)
            if future is None:
                future = self._pool.submit(self._load_metadata, file)
                self._metadata[file.url] = future
            return future

    def _load_metadata(self, file: IndexFile) -> DistMetadata:
        sha = dict(file.metadata).get("sha256") if file.metadata else None
        local = urlsplit(file.url).scheme == "file"
        cached = None if local else self.cache.get_metadata(file.url, sha)
        if cached is not None:
            try:
                meta = parse_metadata(cached, source=file.filename)
            except InvalidField as exc:
                raise InvalidMetadata(file.project, file.index, str(exc)) from None
            except ValueError:
                pass  # a corrupt cache entry: fetch again
            else:
                return self._accepted(meta, cached, file)
        if self.config.offline and not local:
            raise OfflineCacheMiss(
                file.project,
                file.index,
                f"offline and the metadata of {file.filename} is not cached",
            )
        attempts = max(0, self.config.retries) + 1
        problem = ""
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.config.backoff * (2 ** (attempt - 1)))
            try:
                data = self._fetch_metadata(file, sha)
                meta = parse_metadata(data, source=file.filename)
            except MetadataTooLarge as exc:
                raise BadMetadataError(file.project, file.index, str(exc)) from None
            except InvalidField as exc:
                # What the file says every time: cached like any metadata (a warm or
                # ``--offline`` run ignores the release as this one does), never retried.
                if not local:
                    self.cache.put_metadata(file.url, data)
                raise InvalidMetadata(file.project, file.index, str(exc)) from None
            except (ValueError, zipfile.BadZipFile, KeyError) as exc:
                problem = str(exc)
                continue
            if not local:
                self.cache.put_metadata(file.url, data)
            return self._accepted(meta, data, file)
        raise BadMetadataError(
            file.project, file.index, f"bad metadata for {file.filename}: {problem}"
        )

    @staticmethod
    def _accepted(meta: DistMetadata, data: bytes, file: IndexFile) -> DistMetadata:
        """``meta``, read from ``data``, as the metadata of ``file``: a
        :class:`BadMetadataError` when it is another release's (``cffi-1.2.0-1.tar.gz``
        says ``cffi 1.2.0``), which is what the file says every time — neither fetched
        again nor retried, and cached like any metadata, so that a warm or ``--offline``
        run skips that candidate as the first run did; for an sdist, :func:`_static`."""
        try:
            Finder._check(meta, file)
        except ValueError as exc:
            raise BadMetadataError(
                file.project, file.index, f"bad metadata for {file.filename}: {exc}"
            ) from None
        return meta if file.is_wheel else _static(data, meta, file)

    def _fetch_metadata(self, file: IndexFile, sha: str | None) -> bytes:
        if file.metadata is not None:
            status, _ctype, data = self._http.get(
                file.url + ".metadata",
                package=file.project,
                index=file.index,
                limit=self._metadata_limit,
            )
            if status == 200:
                if sha and hashlib.sha256(data).hexdigest() != sha:
                    raise ValueError(f"{file.filename}.metadata does not match its sha256")
                return data
        # No PEP 658 file (or the index lied about it): read METADATA from the wheel itself
        # (PKG-INFO from an sdist), spooled to a temporary file rather than held in memory.
        # A wheel over HTTP: its end first (a range request), where its central directory
        # and, in almost every wheel, the .dist-info files are (the wheel format puts them
        # last); the rest is fetched only if zipfile reads elsewhere.
        whole = functools.partial(
            self._http.get_file,
            file.url,
            package=file.project,
            index=file.index,
            limit=self._archive_limit,
        )
        try:
            status, archive, offset = whole(tail=WHEEL_TAIL if file.is_wheel else None)
        except _RangesFailed:
            status, archive, offset = whole()
        if status == 206 and offset:
            with archive:
                known = archive.read()
            try:
                return self._metadata_by_ranges(file, offset, known)
            except MetadataTooLarge:
                raise
            except (_RangesFailed, zipfile.BadZipFile, ValueError, KeyError, EOFError):
                # A server whose ranges disagree with its file, or an archive zipfile cannot
                # read this way: the whole file, as without ranges (a bad archive is then
                # reported from it).
                status, archive, offset = whole()
        with archive:
            if status not in (200, 206):
                raise ValueError(f"{file.filename} not found")
            expected = file.hash_of("sha256")
            if expected:
                digest = hashlib.sha256()
                for chunk in iter(lambda: archive.read(1 << 20), b""):
                    digest.update(chunk)
                if digest.hexdigest() != expected:
                    raise ValueError(f"{file.filename} does not match its sha256")
                archive.seek(0)
            limit = self.config.max_metadata_bytes
            if file.is_wheel:
                return metadata_from_wheel(archive, file.filename, limit=limit)
            return metadata_from_sdist(archive, file.filename, limit=limit)

    def _metadata_by_ranges(self, file: IndexFile, offset: int, known: bytes) -> bytes:
        """The wheel ``file``'s METADATA, from its last bytes ``known`` (starting at
        ``offset``) and what else zipfile reads of it (range requests). Unlike a whole
        download, not checked against the file's sha256 (the lock's hashes come from the
        index, and pip checks them when it installs); the metadata is parsed and checked
        against the file's name and version like any other."""

        def fetch(start: int, end: int) -> bytes:
            return self._http.get_range(
                file.url,
                start,
                end,
                package=file.project,
                index=file.index,
                limit=self._archive_limit,
            )

        remote = _RemoteFile(offset + len(known), {offset: known}, fetch)
        return metadata_from_wheel(
            io.BufferedReader(remote, buffer_size=_RANGE_MIN),
            file.filename,
            limit=self.config.max_metadata_bytes,
        )

    def built_metadata(self, file: IndexFile) -> DistMetadata:
        """The metadata of the sdist ``file`` as its build backend prepares it, in isolation
        (:mod:`depsplit.index.buildmeta`), for a ``PKG-INFO`` that does not declare its
        dependencies. Cached on disk like any metadata (by the file's URL and hash), once a
        run in memory. Raises :class:`BuildError` naming the package when the backend fails
        or times out, :class:`OfflineCacheMiss` offline."""
        with self._lock:
            future = self._built.get(file.url)
            owner = future is None
            if future is None:
                future = self._built[file.url] = Future()
        if owner:
            try:
                future.set_result(self._build(file))
            except BaseException as exc:  # handed to every caller, raised below
                future.set_exception(exc)
        return _answer(future)

    def _build(self, file: IndexFile) -> DistMetadata:
        local = urlsplit(file.url).scheme == "file"
        sha = file.hash_of("sha256")
        if local and sha is None:
            sha = self.hashes(file)[0].removeprefix("sha256:") if self.hashes(file) else None
        key = f"{file.url}#depsplit-built-metadata-sha256={sha or ''}"
        cached = self.cache.get_metadata(key)
        if cached is not None:
            try:
                return self._check(parse_metadata(cached, source=file.filename), file)
            except ValueError:
                pass  # a corrupt cache entry: build again
        if self.config.offline and not local:
            raise OfflineCacheMiss(
                file.project,
                file.index,
                f"offline and the metadata of {file.filename} (built from the sdist) is not cached",
            )
        from depsplit.index.buildmeta import BuildFailed, build_metadata

        status, _ctype, archive = self._http.get(
            file.url, package=file.project, index=file.index, limit=self._archive_limit
        )
        if status != 200:
            raise BuildError(file.project, file.index, f"{file.filename} not found")
        if sha and hashlib.sha256(archive).hexdigest() != sha:
            raise BuildError(file.project, file.index, f"{file.filename} does not match its sha256")
        try:
            data = build_metadata(
                archive, file.filename, self.config, timeout=self.config.build_timeout
            )
            meta = self._check(parse_metadata(data, source=file.filename), file)
        except (BuildFailed, ValueError) as exc:
            raise BuildError(
                file.project,
                file.index,
                f"{file.version} is only published as a source distribution ({file.filename}) "
                f"whose PKG-INFO does not declare its dependencies, and its metadata could not "
                f"be prepared: {exc}",
            ) from None
        self.cache.put_metadata(key, data)
        return meta

    @staticmethod
    def _check(meta: DistMetadata, file: IndexFile) -> DistMetadata:
        if canonicalize_name(meta.name) != file.project or meta.version != file.version:
            raise ValueError(
                f"{file.filename}: metadata is for {meta.name} {meta.version}, "
                f"not {file.project} {file.version}"
            )
        return meta


__all__ = [
    "ACCEPT",
    "DistMetadata",
    "DynamicMetadata",
    "Finder",
    "IndexFile",
    "MetadataTooLarge",
    "metadata_from_sdist",
    "metadata_from_wheel",
    "parse_html_page",
    "parse_json_page",
    "parse_metadata",
]
