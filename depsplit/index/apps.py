"""The index each app resolves through: the configured one, with the index options recorded
in the app's requirements files applied as pip applies them.

A file's ``--index-url`` replaces the configured one (a second app's, in a group, becomes an
extra index), ``--extra-index-url`` and ``--find-links`` add to it, ``--no-index`` reads only
the find-links. A recorded URL whose credentials were redacted (``****``) or that names an
environment variable (``${TOKEN}``) cannot be used: it is left out with a warning naming the
file and line (never the secret), and the configured index is used instead.
"""

from __future__ import annotations

import posixpath
import threading
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from depsplit.index.config import IndexConfig
from depsplit.index.finder import Finder, with_slash
from depsplit.model import App, Diagnostic, IndexOption
from depsplit.redact import REDACTED, redact_url

__all__ = ["AppIndexes", "where"]

_INDEX_URL = ("--index-url", "-i")
_EXTRA_INDEX_URL = ("--extra-index-url",)
_FIND_LINKS = ("--find-links", "-f")
_NO_INDEX = ("--no-index",)


class AppIndexes:
    """One :class:`Finder` per set of index options (configurations that read the same
    sources share one), for the apps of one run. Close it (or use it as a context manager):
    the finders hold worker threads. Thread-safe."""

    def __init__(self, apps: Sequence[App], config: IndexConfig, root: Path | None) -> None:
        self.config = config
        self.root = root
        self.warnings: list[Diagnostic] = []
        """One per recorded option that cannot be used (:func:`_usable_options`), in the
        apps' order."""
        self._options = {a.name: self._usable_options(a) for a in apps}
        self._finders: dict[IndexConfig, Finder] = {}
        self._by_sources: dict[Hashable, Finder] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        for finder in self._by_sources.values():
            finder.close()
        self._finders.clear()
        self._by_sources.clear()

    def __enter__(self) -> AppIndexes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def finders(self) -> list[Finder]:
        """Every distinct finder made so far, in the order they were made."""
        return list(self._by_sources.values())

    def finder(self, names: Iterable[str] = ()) -> Finder:
        """The finder for the apps ``names`` (their recorded index options applied)."""
        config = self.config_for(names)
        with self._lock:
            found = self._finders.get(config)
            if found is None:
                # Configurations that read the same sources share one finder (its pages
                # and memos): ``--index-url https://pypi.org/simple`` in one app's file is
                # the configured ``https://pypi.org/simple/``.
                same = _sources(config)
                found = self._by_sources.get(same)
                if found is None:
                    found = self._by_sources[same] = Finder(config)
                self._finders[config] = found
        return found

    def config_for(self, names: Iterable[str]) -> IndexConfig:
        """The configured index with the usable options of the apps ``names`` applied (in
        the order of their names): the configuration itself when they record none."""
        index_url: str | None = None
        extras: list[str] = list(self.config.extra_index_urls)
        links: list[str] = list(self.config.find_links)
        no_index = self.config.no_index
        for name in sorted(set(names)):
            for opt in self._options[name]:
                if opt.option in _INDEX_URL:
                    if index_url is None:
                        index_url = opt.value
                    else:
                        extras.append(opt.value)
                elif opt.option in _EXTRA_INDEX_URL:
                    extras.append(opt.value)
                elif opt.option in _FIND_LINKS:
                    links.append(opt.value)
                elif opt.option in _NO_INDEX:
                    no_index = True
        if (
            index_url is None
            and not extras[len(self.config.extra_index_urls) :]
            and (links == list(self.config.find_links) and no_index == self.config.no_index)
        ):
            return self.config
        return replace(
            self.config,
            index_url=index_url or self.config.index_url,
            extra_index_urls=tuple(dict.fromkeys(extras)),
            find_links=tuple(dict.fromkeys(links)),
            no_index=no_index,
        )

    def _usable_options(self, app: App) -> tuple[IndexOption, ...]:
        """The app's recorded index options that can be used (a redacted or ``${…}`` URL is
        left out, with a warning in :attr:`warnings`), relative find-links made absolute."""
        out = []
        for opt in app.index_options:
            if opt.option not in (*_INDEX_URL, *_EXTRA_INDEX_URL, *_FIND_LINKS, *_NO_INDEX):
                continue
            if REDACTED in opt.value or "${" in opt.value:
                why = (
                    "its credentials are redacted"
                    if REDACTED in opt.value
                    else ("it names an environment variable")
                )
                self.warnings.append(
                    Diagnostic(
                        "warning",
                        f"{app.name}: {opt.option} {opt.value} cannot be used for --transitive "
                        f"({why}; depsplit never reads secrets): resolving through "
                        f"{where(self.config)} instead",
                        opt.origin.file,
                        opt.origin.line,
                    )
                )
                continue
            if opt.option in _FIND_LINKS:
                opt = replace(opt, value=self._find_links_path(opt))
            out.append(opt)
        return tuple(out)

    def _find_links_path(self, opt: IndexOption) -> str:
        """A relative ``--find-links`` directory is relative to the file that names it when
        it exists there (as pip does), else to the working directory."""
        value = opt.value
        if self.root is None or "://" in value or value.startswith("/"):
            return value
        candidate = self.root / posixpath.dirname(opt.origin.file) / value
        return str(candidate.resolve()) if candidate.exists() else value


def where(config: IndexConfig) -> str:
    """The places ``config`` reads, for a message (credentials redacted)."""
    places = [*config.indexes, *config.find_links]
    return ", ".join(redact_url(p) for p in places) or "(no index)"


def _sources(config: IndexConfig) -> Hashable:
    """What a :class:`Finder` of ``config`` reads: its indexes as it spells them (with a
    trailing slash), and every other setting."""
    return (
        tuple(with_slash(url) for url in config.indexes),
        replace(config, index_url="", extra_index_urls=()),
    )
