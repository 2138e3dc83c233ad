"""Where packages are looked up, with pip's option names and conventions.

Precedence, lowest first, as pip has it: configuration files (global ``/etc/xdg/pip/pip.conf``,
``/etc/pip.conf``; user ``~/.pip/pip.conf``, ``$XDG_CONFIG_HOME/pip/pip.conf``; or the file
named by ``PIP_CONFIG_FILE``, which replaces the user files when it exists), each file's
``[global]`` then ``[install]`` section; then ``PIP_*`` environment variables; then the command
line. ``PIP_CONFIG_FILE=/dev/null`` loads no file at all.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from depsplit.redact import redact_url

PYPI_SIMPLE = "https://pypi.org/simple/"

MAX_PAGE_BYTES = 128 * 1024 * 1024
"""The largest project page or find-links page read (PyPI's largest are tens of MiB)."""
MAX_METADATA_BYTES = 16 * 1024 * 1024
"""The largest core-metadata file (PEP 658 ``.metadata``) read: a few KiB is usual."""
MAX_ARCHIVE_BYTES = 2 * 1024 * 1024 * 1024
"""The largest wheel or sdist downloaded to read its metadata from, when the index serves
no ``.metadata`` file (spooled to an unnamed temporary file, not held in memory)."""
REQUEST_DEADLINE = 180.0
"""Seconds one index request may take in all, its retries and redirects included:
``timeout`` bounds each wait for a byte, this bounds a server that sends one byte at a
time. ``DEPSPLIT_INDEX_DEADLINE`` changes it."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class IndexConfig:
    """The indexes and how to reach them. URLs may carry credentials (``user:pass@``): they are
    used for HTTP Basic auth and never shown; :meth:`__repr__` redacts them."""

    index_url: str = PYPI_SIMPLE
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    offline: bool = False
    cache_dir: Path | None = None
    """``None``: ``$DEPSPLIT_CACHE_DIR``, else platformdirs' ``user_cache_dir("depsplit")``."""
    timeout: float = 15.0
    retries: int = 3
    """Attempts after the first one for a timeout, a connection error, a 5xx or bad metadata."""
    no_index: bool = False
    """``--no-index``: only ``find_links`` are read."""
    page_ttl: float = 600.0
    """Seconds a cached project page is used without asking the index again."""
    backoff: float = 0.5
    """First pause between retries, doubled each time."""
    workers: int = 8
    """Parallel fetches."""
    build_metadata: bool = True
    """Ask an sdist's build backend (in isolation) for the metadata its ``PKG-INFO`` does not
    declare (PEP 643); ``False``: such an sdist-only release is taken as having no
    dependencies when nothing else can be used, with a warning."""
    build_timeout: float = 300.0
    """Seconds one sdist's isolated metadata preparation may take."""
    cert: str | None = None
    """``--cert``: a CA bundle to verify HTTPS indexes with (private CAs)."""
    deadline: float = REQUEST_DEADLINE
    """Seconds one request may take in all (every attempt and redirect)."""
    max_page_bytes: int = MAX_PAGE_BYTES
    max_metadata_bytes: int = MAX_METADATA_BYTES
    max_archive_bytes: int = MAX_ARCHIVE_BYTES
    sources: tuple[str, ...] = field(default=(), compare=False)
    """Where the settings came from (configuration files read), for ``--verbose`` output."""

    @property
    def indexes(self) -> tuple[str, ...]:
        """The simple-API base URLs to consult, the main index first (none with ``no_index``)."""
        if self.no_index:
            return ()
        seen: list[str] = []
        for url in (self.index_url, *self.extra_index_urls):
            if url and url not in seen:
                seen.append(url)
        return tuple(seen)

    def __repr__(self) -> str:
        return (
            f"IndexConfig(index_url={redact_url(self.index_url)!r}, "
            f"extra_index_urls={tuple(redact_url(u) for u in self.extra_index_urls)!r}, "
            f"find_links={tuple(redact_url(u) for u in self.find_links)!r}, "
            f"offline={self.offline!r}, cache_dir={self.cache_dir!r}, timeout={self.timeout!r}, "
            f"retries={self.retries!r}, no_index={self.no_index!r})"
        )

    __str__ = __repr__


def _split(value: str) -> list[str]:
    return value.split()


def _bool(value: str, where: str) -> bool:
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"{where}: {value!r} is not a boolean")


def _seconds(value: str, where: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise ValueError(f"{where}: {value!r} is not a positive number of seconds")
    return seconds


def config_files(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The pip configuration files that apply, lowest precedence first (existing or not)."""
    env = os.environ if environ is None else environ
    explicit = env.get("PIP_CONFIG_FILE")
    if explicit is not None and explicit == os.devnull:
        return []
    xdg_dirs = env.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
    files = [Path(d) / "pip" / "pip.conf" for d in xdg_dirs if d]
    files.append(Path("/etc/pip.conf"))
    if not (explicit and Path(explicit).exists()):
        home = Path(env.get("HOME", str(Path.home())))
        files.append(home / ".pip" / "pip.conf")
        config_home = env.get("XDG_CONFIG_HOME") or str(home / ".config")
        files.append(Path(config_home) / "pip" / "pip.conf")
    if explicit:
        files.append(Path(explicit))
    return files


def _normalize(option: str) -> str:
    return option.strip().lower().replace("_", "-").lstrip("-")


def _read_files(files: Iterable[Path]) -> tuple[dict[str, str], list[str]]:
    """Option name → raw value, later files and later sections winning."""
    values: dict[str, str] = {}
    read: list[str] = []
    for path in files:
        if not path.is_file():
            continue
        parser = configparser.RawConfigParser()
        try:
            with path.open(encoding="utf-8") as fh:
                parser.read_file(fh, source=str(path))
        except (OSError, UnicodeDecodeError, configparser.Error) as exc:
            from depsplit.errors import ConfigError

            raise ConfigError(str(path), f"cannot read pip configuration: {exc}") from exc
        read.append(str(path))
        for section in ("global", "install"):
            if parser.has_section(section):
                for option, value in parser.items(section):
                    values[_normalize(option)] = value
    return values, read


def _from_environ(env: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in env.items():
        if name.startswith("PIP_") and name != "PIP_CONFIG_FILE":
            out[_normalize(name[4:])] = value
    return out


def from_pip_environment(
    cli_overrides: Mapping[str, object] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    files: Iterable[Path] | None = None,
) -> IndexConfig:
    """Build the configuration as pip would see it, then apply ``cli_overrides``.

    ``cli_overrides`` uses :class:`IndexConfig` field names (``index_url``,
    ``extra_index_urls``, ``find_links``, ``offline``, ``cache_dir``, ``timeout``, ``retries``,
    ``no_index``, ``page_ttl``…); ``None`` values are ignored. Extra index URLs and find-links
    given on the command line are added to those of the configuration, as pip does.
    """
    env = os.environ if environ is None else environ
    paths = config_files(env) if files is None else list(files)
    file_values, read = _read_files(paths)
    merged = {**file_values, **_from_environ(env)}

    config = IndexConfig(sources=tuple(read))
    changes: dict[str, object] = {}
    if merged.get("index-url"):
        changes["index_url"] = merged["index-url"].strip()
    if "extra-index-url" in merged:
        changes["extra_index_urls"] = tuple(_split(merged["extra-index-url"]))
    if "find-links" in merged:
        changes["find_links"] = tuple(_split(merged["find-links"]))
    if "no-index" in merged:
        changes["no_index"] = _bool(merged["no-index"], "no-index")
    if merged.get("timeout"):
        changes["timeout"] = float(merged["timeout"])
    if merged.get("cert"):
        changes["cert"] = merged["cert"].strip()
    if merged.get("retries"):
        changes["retries"] = int(merged["retries"])
    env_cache = env.get("DEPSPLIT_CACHE_DIR")
    if env_cache:
        changes["cache_dir"] = Path(env_cache)
    env_deadline = env.get("DEPSPLIT_INDEX_DEADLINE")
    if env_deadline:
        changes["deadline"] = _seconds(env_deadline, "DEPSPLIT_INDEX_DEADLINE")
    config = replace(config, **changes)  # type: ignore[arg-type]

    for key, value in (cli_overrides or {}).items():
        if value is None:
            continue
        if key not in IndexConfig.__dataclass_fields__:
            raise TypeError(f"unknown index option {key!r}")
        if key in ("extra_index_urls", "find_links"):
            assert isinstance(value, (list, tuple))
            value = (*getattr(config, key), *(str(v) for v in value))
        elif key == "cache_dir":
            value = Path(str(value))
        config = replace(config, **{key: value})  # type: ignore[arg-type]
    return config


__all__ = [
    "MAX_ARCHIVE_BYTES",
    "MAX_METADATA_BYTES",
    "MAX_PAGE_BYTES",
    "PYPI_SIMPLE",
    "REQUEST_DEADLINE",
    "IndexConfig",
    "config_files",
    "from_pip_environment",
]
