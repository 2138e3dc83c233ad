"""The on-disk cache of project pages and metadata files, shared across runs.

Layout under the cache root (``IndexConfig.cache_dir``, else ``$DEPSPLIT_CACHE_DIR``, else
platformdirs' ``user_cache_dir("depsplit")``)::

    index-v1/pages-v2/<sha256 of the page URL>.json  project pages, parsed, with the time fetched
    index-v1/metadata/<sha256 of the file URL>.metadata   core metadata (immutable)
    index-v1/outcomes/<code>/<2 hex>/<sha256>.json  stored resolutions of one version of
                                                     depsplit (depsplit.transitive.store)

A page is stored parsed — its links, one compact row each — not as the body the index sent:
a warm run reads one small JSON document per project instead of decoding the body from a
JSON string and parsing it again (PyPI's page of botocore is megabytes of JSON). Entries carry
``"format": PAGE_FORMAT``; one of another format (or the ``pages/`` of format 1, which held
the body) is a miss, fetched again and rewritten.

Keys are hashes of URLs *redacted* (:func:`depsplit.redact.redact_url`: user information,
query values and fragments hidden), and no credential is ever written: a page is stored with
its URL redacted, and a page whose links carry credentials (a signed or ``?token=`` file
URL) is not stored at all. Two URLs that differ only in their credentials share an entry.
Writes are atomic (a temporary file
in the same directory, then ``os.replace``), so concurrent runs share the cache safely.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from depsplit.index.config import IndexConfig
from depsplit.nesting import json_loads
from depsplit.redact import redact_url

SCHEMA = "index-v1"
PAGE_FORMAT = 2
"""Format of the page entries (format 1 held the body, under ``pages/``)."""
_PAGES = "pages-v2"
_OUTCOMES = "outcomes"
OUTCOMES_KEPT = 14 * 24 * 3600.0
"""Seconds stored resolutions are kept unused: another depsplit's (two weeks: a CI cache
shared by branches on two versions keeps both), and this one's entries no run reads."""
OUTCOMES_SWEPT = 24 * 3600.0
"""How often (seconds) a run looks for entries of its own version unused that long."""

Hashes = tuple[tuple[str, str], ...]


def strip_credentials(url: str) -> str:
    """``url`` without its ``user:password@`` part."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def url_key(url: str) -> str:
    """The cache key of ``url``: a hash of it redacted, so that no file name on disk is
    derived from a secret."""
    return hashlib.sha256(redact_url(strip_credentials(url)).encode("utf-8")).hexdigest()


def _shown(url: str) -> str:
    return redact_url(strip_credentials(url))


def default_cache_dir() -> Path:
    env = os.environ.get("DEPSPLIT_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("depsplit", appauthor=False))


@dataclass(frozen=True)
class Link:
    """One link of a project or find-links page, as the page gives it."""

    filename: str
    url: str
    hashes: Hashes = ()
    requires_python: str | None = None
    yanked: str | None = None
    metadata: Hashes | None = None

    def row(self) -> list[Any]:
        """The compact JSON form stored in the cache."""
        return [
            self.filename,
            self.url,
            dict(self.hashes),
            self.requires_python,
            self.yanked,
            None if self.metadata is None else dict(self.metadata),
        ]

    @classmethod
    def from_row(cls, row: Any) -> Link:
        """The inverse of :meth:`row`; ``ValueError`` (or ``TypeError``) when it is not one."""
        filename, url, hashes, requires_python, yanked, metadata = checked_row(row)
        return cls(
            filename=filename,
            url=url,
            hashes=row_hashes(hashes),
            requires_python=requires_python,
            yanked=yanked,
            metadata=None if metadata is None else row_hashes(metadata),
        )


Row = list[Any]
"""A link as :meth:`Link.row` writes it (and a cached page holds it): ``[filename, url,
hashes, requires-python, yanked, metadata]``, hashes as ``{"sha256": "…"}``."""


def checked_row(row: Any) -> Row:
    """``row`` if it has the form of :meth:`Link.row`, else ``ValueError``: what a cached
    page is checked against when read (its :class:`Link` objects are made only when asked
    for: a run reads pages of hundreds of thousands of links and uses a few releases)."""
    if type(row) is not list or len(row) != 6:
        raise ValueError("not a link row")
    filename, url, hashes, requires_python, yanked, metadata = row
    if type(filename) is not str or type(url) is not str:
        raise ValueError("not a link row")
    if requires_python is not None and type(requires_python) is not str:
        raise ValueError("not a link row")
    if yanked is not None and type(yanked) is not str:
        raise ValueError("not a link row")
    if (hashes and type(hashes) is not dict) or (metadata and type(metadata) is not dict):
        raise ValueError("not a mapping of hashes")
    return row


def row_hashes(value: Any) -> Hashes:
    """``{"sha256": "…"}`` (in the order of the tuple it was made from) → the tuple."""
    if not value:
        return ()
    if not isinstance(value, dict):
        raise ValueError("not a mapping of hashes")
    return tuple(value.items())


@dataclass(frozen=True)
class CachedPage:
    url: str
    status: int
    """200, or 404 when the index said the project does not exist there."""
    rows: tuple[Row, ...]
    """The page's links as stored (:func:`checked_row`; none for a 404)."""
    fetched: float
    """When the index last said this is the page (fetched, or revalidated)."""
    etag: str | None = None
    last_modified: str | None = None
    """The HTTP validators it was served with, to revalidate it once expired."""
    digest: str = ""
    """:func:`rows_digest` of :attr:`rows` (what a stored resolution checks the page by)."""


def _hex_digest(text: str) -> str:
    """``text`` if it is a SHA-256 hex digest (a file name made of it stays in its
    directory), else ``ValueError``."""
    if len(text) != 64 or text.strip("0123456789abcdef"):
        raise ValueError(f"not a hex digest: {text!r}")
    return text


def rows_digest(rows: Sequence[Row]) -> str:
    """A digest of a page's links in their stored form: two pages with the same links
    give the same digest, whenever and however they were fetched."""
    text = json.dumps(rows, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Cache:
    """Project pages (expiring) and metadata files (immutable) on disk."""

    def __init__(self, root: Path, *, page_ttl: float = 600.0) -> None:
        self.root = root / SCHEMA
        self.page_ttl = page_ttl
        self.unwritable: str | None = None
        """Why the cache could not be written (the first failure), for one warning: the
        run goes on, only slower (every page and metadata file fetched again)."""

    @classmethod
    def from_config(cls, config: IndexConfig) -> Cache:
        return cls(config.cache_dir or default_cache_dir(), page_ttl=config.page_ttl)

    def _page_path(self, url: str) -> Path:
        return self.root / _PAGES / f"{url_key(url)}.json"

    def _metadata_path(self, url: str) -> Path:
        return self.root / "metadata" / f"{url_key(url)}.metadata"

    def get_page(self, url: str, *, fresh_only: bool) -> CachedPage | None:
        """The cached page for ``url``; with ``fresh_only``, only if younger than the TTL.
        ``None`` too for an entry that is unreadable or of another format."""
        path = self._page_path(url)
        try:
            data = json_loads(path.read_bytes())
            if data["format"] != PAGE_FORMAT or data["url"] != _shown(url):
                return None
            fetched = float(data["fetched"])
            if fresh_only and not (0 <= time.time() - fetched < self.page_ttl):
                return None
            etag = data.get("etag")
            last_modified = data.get("last_modified")
            rows = tuple(checked_row(row) for row in data["links"])
            digest = data.get("digest")
            return CachedPage(
                url=str(data["url"]),
                status=int(data["status"]),
                rows=rows,
                fetched=fetched,
                etag=etag if isinstance(etag, str) and etag else None,
                last_modified=(
                    last_modified if isinstance(last_modified, str) and last_modified else None
                ),
                digest=digest if isinstance(digest, str) and digest else rows_digest(rows),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def fresh(self, page: CachedPage) -> bool:
        """Whether ``page`` is younger than the TTL (else it is revalidated)."""
        return 0 <= time.time() - page.fetched < self.page_ttl

    def put_page(
        self,
        url: str,
        status: int,
        rows: Sequence[Row],
        *,
        etag: str = "",
        last_modified: str = "",
        digest: str = "",
    ) -> None:
        """Store the parsed page (``status`` 200, or 404 with no links), its links in their
        stored form (:meth:`Link.row`) and their :func:`rows_digest` (``digest`` when the
        caller has it), with its HTTP validators; not a page whose links carry credentials
        (they would be written as they are)."""
        if any(redact_url(row[1]) != row[1] for row in rows):
            return
        record: dict[str, Any] = {
            "format": PAGE_FORMAT,
            "url": _shown(url),
            "status": status,
            "fetched": time.time(),
            "links": rows,
            "digest": digest or rows_digest(rows),
        }
        if etag:
            record["etag"] = etag
        if last_modified:
            record["last_modified"] = last_modified
        data = json.dumps(record, separators=(",", ":"))
        self._write(self._page_path(url), data.encode("ascii"))

    def get_metadata(self, url: str, sha256: str | None = None) -> bytes | None:
        """The cached metadata for the file at ``url``; checked against ``sha256`` if given."""
        try:
            data = self._metadata_path(url).read_bytes()
        except OSError:
            return None
        if sha256 and hashlib.sha256(data).hexdigest() != sha256.lower():
            return None
        return data

    def put_metadata(self, url: str, data: bytes) -> None:
        self._write(self._metadata_path(url), data)

    def get_outcome(self, code: str, key: str) -> bytes | None:
        """A stored resolution (:mod:`depsplit.transitive.store`) of the code ``code`` by the
        hex digest of what it resolved, or ``None``."""
        try:
            path = self._outcome_path(code, key)
            data = path.read_bytes()
        except (OSError, ValueError):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # used: kept by :meth:`use_outcomes`
        return data

    def put_outcome(self, code: str, key: str, data: bytes) -> None:
        self._write(self._outcome_path(code, key), data)

    def use_outcomes(self, code: str, *, max_age: float = OUTCOMES_KEPT) -> None:
        """Mark the stored resolutions of ``code`` as used now, and remove those of other
        code (another depsplit) unused for ``max_age`` seconds: every version leaves its
        own, and nothing else would ever remove them."""
        base = self.root / _OUTCOMES
        mark = self._outcome_home(code) / "used"
        now = time.time()
        try:
            mark.parent.mkdir(parents=True, exist_ok=True)
            mark.touch()
            others = [p for p in base.iterdir() if p.is_dir() and p.name != mark.parent.name]
        except OSError as exc:
            self._unwritable(exc)
            return
        for other in others:
            try:
                used = (other / "used").stat().st_mtime
            except OSError:
                used = other.stat().st_mtime
            if now - used > max_age:
                shutil.rmtree(other, ignore_errors=True)

    def sweep_outcomes(self, code: str, *, max_age: float = OUTCOMES_KEPT) -> None:
        """Once a day (at the end of a run), remove the stored resolutions of ``code``
        neither read nor written for ``max_age`` seconds: apps whose requirements have
        changed leave theirs, never read again."""
        home = self._outcome_home(code)
        mark = home / "swept"
        now = time.time()
        try:
            if now - mark.stat().st_mtime <= OUTCOMES_SWEPT:
                return
        except OSError:
            pass
        with contextlib.suppress(OSError):
            mark.touch()
        for entry in home.glob("*/*.json"):
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime > max_age:
                    entry.unlink()

    def _outcome_home(self, code: str) -> Path:
        """The directory of the stored resolutions of ``code``."""
        return self.root / _OUTCOMES / _hex_digest(code)[:16]

    def _outcome_path(self, code: str, key: str) -> Path:
        return self._outcome_home(code) / key[:2] / f"{_hex_digest(key)}.json"

    def _write(self, path: Path, data: bytes) -> None:
        """Atomic write; a cache that cannot be written is only a slower run, not an error:
        :attr:`unwritable` says why, for a warning."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            self._unwritable(exc)

    def _unwritable(self, exc: OSError) -> None:
        if self.unwritable is None:
            self.unwritable = (
                f"the index cache {self.root.parent} cannot be written "
                f"({exc.strerror or type(exc).__name__}): nothing is cached, so every run "
                "asks the index again (--cache-dir or DEPSPLIT_CACHE_DIR to use another)"
            )


__all__ = [
    "PAGE_FORMAT",
    "Cache",
    "CachedPage",
    "Link",
    "Row",
    "checked_row",
    "default_cache_dir",
    "row_hashes",
    "strip_credentials",
    "url_key",
]
