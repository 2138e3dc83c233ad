"""The on-disk cache of project pages and metadata files, shared across runs.

Layout under the cache root (``IndexConfig.cache_dir``, else ``$DEPSPLIT_CACHE_DIR``, else
platformdirs' ``user_cache_dir("depsplit")``)::

    index-v1/pages/<sha256 of the page URL>.json     project pages, with the time fetched
    index-v1/metadata/<sha256 of the file URL>.metadata   core metadata (immutable)

Keys are hashes of URLs *without* their credentials, and no credential is ever written: a
page is stored with its URL stripped of user information. Writes are atomic (a temporary file
in the same directory, then ``os.replace``), so concurrent runs share the cache safely.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from depsplit.index.config import IndexConfig

SCHEMA = "index-v1"


def strip_credentials(url: str) -> str:
    """``url`` without its ``user:password@`` part."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def url_key(url: str) -> str:
    return hashlib.sha256(strip_credentials(url).encode("utf-8")).hexdigest()


def default_cache_dir() -> Path:
    env = os.environ.get("DEPSPLIT_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("depsplit", appauthor=False))


@dataclass(frozen=True)
class CachedPage:
    url: str
    status: int
    """200, or 404 when the index said the project does not exist there."""
    content_type: str
    body: bytes
    fetched: float


class Cache:
    """Project pages (expiring) and metadata files (immutable) on disk."""

    def __init__(self, root: Path, *, page_ttl: float = 600.0) -> None:
        self.root = root / SCHEMA
        self.page_ttl = page_ttl

    @classmethod
    def from_config(cls, config: IndexConfig) -> Cache:
        return cls(config.cache_dir or default_cache_dir(), page_ttl=config.page_ttl)

    def _page_path(self, url: str) -> Path:
        return self.root / "pages" / f"{url_key(url)}.json"

    def _metadata_path(self, url: str) -> Path:
        return self.root / "metadata" / f"{url_key(url)}.metadata"

    def get_page(self, url: str, *, fresh_only: bool) -> CachedPage | None:
        """The cached page for ``url``; with ``fresh_only``, only if younger than the TTL."""
        path = self._page_path(url)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            page = CachedPage(
                url=str(data["url"]),
                status=int(data["status"]),
                content_type=str(data["content_type"]),
                body=str(data["body"]).encode("utf-8"),
                fetched=float(data["fetched"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if page.url != strip_credentials(url):
            return None
        if fresh_only and not (0 <= time.time() - page.fetched < self.page_ttl):
            return None
        return page

    def put_page(self, url: str, status: int, content_type: str, body: bytes) -> None:
        record = {
            "url": strip_credentials(url),
            "status": status,
            "content_type": content_type,
            "body": body.decode("utf-8", errors="replace"),
            "fetched": time.time(),
        }
        self._write(self._page_path(url), json.dumps(record).encode("utf-8"))

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

    def _write(self, path: Path, data: bytes) -> None:
        """Atomic write; a cache that cannot be written is only a slower run, not an error."""
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
        except OSError:
            return


__all__ = ["Cache", "CachedPage", "default_cache_dir", "strip_credentials", "url_key"]
