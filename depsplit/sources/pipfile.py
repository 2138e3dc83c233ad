"""``Pipfile`` (Pipenv): ``[packages]``, ``[dev-packages]`` and other package categories,
``[requires]`` and ``[[source]]``.

An entry is ``name = "*"``, ``name = "==1.2"`` or a table; Pipenv turns the table's marker
keys (``sys_platform = "== 'win32'"``, ``python_version = ">= '3.8'"``, … every PEP 508
environment marker name) into ``key value`` markers ANDed with ``markers``, as its
``requirementslib`` ``PipenvMarkers`` (and PDM's Pipfile importer) do.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import default_environment

from depsplit.model import IndexOption, Origin, PythonRequirement, Role
from depsplit.redact import redact_url
from depsplit.sources.base import ReadContext, SourceResult, parse_requirement, run_memo
from depsplit.sources.locate import (
    TomlIndex,
    localize,
    memo_by_value,
    read_toml_or_report,
    shown,
    toml_index,
)

MARKER_KEYS = tuple(sorted(default_environment()))
"""Entry keys that Pipenv turns into markers."""

_VCS = ("git", "hg", "svn", "bzr")
_STRING_KEYS = frozenset(
    {"version", "markers", "ref", "path", "file", "subdirectory", *_VCS, *MARKER_KEYS}
)
_NOT_PACKAGES = frozenset({"source", "requires", "pipenv", "scripts"})
_PYTHON = re.compile(r"(\d+)(?:\.(\d+))?(?:\.\d+)*")


def entry_requirement(name: str, value: object) -> tuple[str, bool]:
    """A Pipfile (or ``Pipfile.lock``) entry as ``(PEP 508 text, editable)``.

    ``version`` is a PEP 440 specifier, ``"*"`` for any; a bare version (``"1.2"``) means
    ``==1.2``. A VCS key (``git = URL`` with ``ref``), ``path`` or ``file`` makes a URL
    requirement. Raises :class:`TypeError` for a value of the wrong type.
    """
    if isinstance(value, str):
        value = {"version": value}
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a version string or a table, got {type(value).__name__}")
    for key, val in value.items():
        if key == "extras":
            if not isinstance(val, list) or not all(isinstance(e, str) for e in val):
                raise TypeError("extras must be an array of strings")
        elif key in _STRING_KEYS and not isinstance(val, str):
            raise TypeError(f"{key} must be a string, got {type(val).__name__}")
    extras = f"[{','.join(value['extras'])}]" if value.get("extras") else ""
    markers = [value["markers"]] if value.get("markers") else []
    markers += [f"{key} {value[key].strip()}" for key in MARKER_KEYS if value.get(key)]
    marker = markers[0] if len(markers) == 1 else " and ".join(f"({m})" for m in markers)
    editable = value.get("editable") is True
    url = _url(value)
    if url is not None:
        return f"{name}{extras} @ {url}" + (f" ; {marker}" if marker else ""), editable
    version = value.get("version", "*").strip()
    if version == "*":
        version = ""
    elif version[:1].isdigit():
        version = f"=={version}"
    return f"{name}{extras}{version}" + (f"; {marker}" if marker else ""), editable


def _entry_requirement(name: str, value: object, ctx: ReadContext) -> tuple[str, bool]:
    """:func:`entry_requirement`, memoized for the run (in ``ctx.cache``) on ``name`` and the
    entry's value
    (:func:`~depsplit.sources.locate.memo_by_value`): a monorepo's Pipfiles repeat their
    entries. A bad value is not memoized; it raises again."""
    memo: dict[tuple[str, Hashable], tuple[str, bool]] = run_memo(ctx, __name__, "entries")
    return memo_by_value(memo, name, value, entry_requirement)


def _url(value: Mapping[str, Any]) -> str | None:
    fragment = f"#subdirectory={value['subdirectory']}" if value.get("subdirectory") else ""
    for vcs in _VCS:
        if vcs in value:
            url: str = value[vcs]
            if not url.startswith(f"{vcs}+"):
                url = f"{vcs}+{url}"
            ref = value.get("ref")
            return url + (f"@{ref}" if ref else "") + fragment
    if "path" in value:
        return f"file:{value['path']}{fragment}"
    if "file" in value:
        file: str = value["file"]
        return (file if "://" in file else f"file:{file}") + fragment
    return None


def python_minor_specifier(version: str) -> str | None:
    """``"3.11"`` or ``"3.11.4"`` → ``"==3.11.*"`` (a container image is chosen per minor
    version); ``"3"`` → ``"==3.*"``; ``None`` when ``version`` is not a CPython version."""
    m = _PYTHON.fullmatch(version.strip())
    if m is None:
        return None
    return f"=={m[1]}.{m[2]}.*" if m[2] is not None else f"=={m[1]}.*"


def read(path: Path, ctx: ReadContext) -> SourceResult:
    """Read a ``Pipfile``.

    ``[packages]`` is ``main``; ``[dev-packages]`` and any other category are ``dev``
    (group: the section name). ``[requires] python_full_version`` / ``python_version`` give
    the minor version as a :class:`PythonRequirement`.

    ``[[source]]`` URLs become index options (redacted) the way Pipenv (2022.3.23 and
    later) uses them: the first source is the default index, ``--index-url``; Pipenv takes
    every package from it except those that name another source with ``index = "name"``.
    pip has no per-package index, so another source becomes ``--extra-index-url`` only
    when some package (of any category) names it — with a warning on the source: pip
    searches it for every package, not only those — or, without a warning, for every
    source when ``[pipenv] install_search_all_sources = true``. A source no package names
    is not an index option. ``index`` naming no source is an error on the package's line
    (Pipenv fails on it too); with no ``[[source]]`` at all, ``"pypi"`` is the default.

    Never raises for bad content: each problem is one error diagnostic with its line.
    """
    result = SourceResult()
    parsed = read_toml_or_report(path, ctx, result)
    if parsed is None:
        return result
    text, data = parsed
    rel = ctx.rel(path)
    index = toml_index(text, ctx)
    sources = _sources(data.get("source"), rel, index, result)
    search_all = _search_all_sources(data.get("pipenv"), rel, index, result)
    _requires(data.get("requires"), rel, index, result)
    named: dict[str, list[str]] = {}  # source name → the packages naming it, in order
    for section, entries in data.items():
        if section in _NOT_PACKAGES:
            continue
        line = index.key_line((section,))
        if not isinstance(entries, Mapping):
            result.error(rel, f"[{shown(section)}] must be a table of packages", line)
            continue
        role: Role = "main" if section == "packages" else "dev"
        group = None if section == "packages" else section
        for name, value in entries.items():
            line = index.key_line((section, name))
            if isinstance(value, Mapping) and "index" in value:
                _package_index(name, value["index"], sources, named, rel, line, result)
            try:
                text_, editable = _entry_requirement(name, value, ctx)
                req = parse_requirement(
                    text_, Origin(rel, line), role=role, group=group, editable=editable, ctx=ctx
                )
            except (TypeError, ValueError) as exc:
                result.error(rel, f"{shown(name)}: {exc}", line)
                continue
            result.requirements.append(localize(req, ctx))
    if sources is not None:
        _index_options(sources, named, search_all, rel, result)
    return result


@dataclass(frozen=True)
class _Source:
    """One ``[[source]]`` entry: its ``name`` (``None`` when it has none), its URL as
    written (``None`` when it has no usable one, already reported; redacted when stored or
    shown) and the line of its ``url``."""

    name: str | None
    url: str | None
    line: int | None


_DEFAULT_SOURCE = _Source("pypi", None, None)
"""What Pipenv uses when a Pipfile has no ``[[source]]``: PyPI, named ``pypi``."""


def _sources(
    sources: object, rel: str, index: TomlIndex, result: SourceResult
) -> list[_Source] | None:
    """Every ``[[source]]`` in order, ``[_DEFAULT_SOURCE]`` when there is none, ``None``
    when ``source`` is not an array (reported: no source name can then be checked)."""
    if sources is None or sources == []:
        return [_DEFAULT_SOURCE]
    if not isinstance(sources, list):
        result.error(rel, "[[source]] must be an array of tables", index.key_line(("source",)))
        return None
    found = []
    for i, source in enumerate(sources):
        url = source.get("url") if isinstance(source, Mapping) else None
        name = source.get("name") if isinstance(source, Mapping) else None
        line = index.key_line(("source", "url"), i)
        if not isinstance(url, str):
            result.error(rel, "[[source]] needs a url string", line)
            url = None
        found.append(_Source(name if isinstance(name, str) else None, url, line))
    return found


def _search_all_sources(pipenv: object, rel: str, index: TomlIndex, result: SourceResult) -> bool:
    """``[pipenv] install_search_all_sources``: every package may come from every source."""
    if pipenv is None:
        return False
    if not isinstance(pipenv, Mapping):
        result.error(rel, "[pipenv] must be a table", index.key_line(("pipenv",)))
        return False
    value = pipenv.get("install_search_all_sources", False)
    if not isinstance(value, bool):
        line = index.key_line(("pipenv", "install_search_all_sources"))
        result.error(
            rel,
            f"[pipenv] install_search_all_sources must be true or false: {value!r}",
            line,
        )
        return False
    return value


def _package_index(
    package: str,
    value: object,
    sources: list[_Source] | None,
    named: dict[str, list[str]],
    rel: str,
    line: int | None,
    result: SourceResult,
) -> None:
    """Record that ``package`` names the source ``value`` with ``index = …``; an error when
    it is not a string or no source has that name (Pipenv fails on both)."""
    if not isinstance(value, str):
        result.error(
            rel, f"{shown(package)}: index must be a string, got {type(value).__name__}", line
        )
        return
    if sources is not None and all(s.name != value for s in sources):
        names = ", ".join(f'"{shown(s.name)}"' for s in sources if s.name is not None)
        message = (
            f'{shown(package)}: index = "{shown(value)}" names no [[source]] '
            f"(sources: {names or 'none named'}); Pipenv cannot install it either"
        )
        result.error(rel, message, line)
        return
    named.setdefault(value, []).append(package)


_LISTED = 5
"""How many packages a warning names before "and N more"."""


def _index_options(
    sources: list[_Source],
    named: dict[str, list[str]],
    search_all: bool,
    rel: str,
    result: SourceResult,
) -> None:
    """The default source as ``--index-url``; each other source as ``--extra-index-url``
    when some package names it (with a warning) or ``search_all`` says so."""
    default: _Source | None = None
    for source in sources:
        if source.url is None:
            continue
        if default is None:
            default = source
            option = "--index-url"
        elif search_all:
            option = "--extra-index-url"
        else:
            # The first source with that name is the one Pipenv takes.
            first = next(s for s in sources if s.name == source.name)
            packages = named.get(source.name, []) if source.name is not None else []
            if first is not source or not packages:
                continue
            option = "--extra-index-url"
            result.warning(rel, _extra_warning(source, packages), source.line)
        url = redact_url(source.url)
        result.index_options.append(IndexOption(option, url, Origin(rel, source.line)))


def _extra_warning(source: _Source, packages: list[str]) -> str:
    unique = list(dict.fromkeys(shown(p) for p in packages))
    listed = ", ".join(unique[:_LISTED])
    if len(unique) > _LISTED:
        listed += f" and {len(unique) - _LISTED} more"
    name = shown(source.name or "")
    url = redact_url(source.url or "")
    verb = "names" if len(unique) == 1 else "name"
    return (
        f'[[source]] "{name}" ({url}) is written as --extra-index-url because {listed} '
        f'{verb} it (index = "{name}"): pip has no per-package index, so it searches this '
        f"index for every package, not only {listed}, and a name it holds could be taken "
        "from either index"
    )


def _requires(requires: object, rel: str, index: TomlIndex, result: SourceResult) -> None:
    if requires is None:
        return
    if not isinstance(requires, Mapping):
        result.error(rel, "[requires] must be a table", index.key_line(("requires",)))
        return
    # python_full_version wins, as in Pipenv; both give the minor version.
    for key in ("python_full_version", "python_version"):
        if key not in requires:
            continue
        value = requires[key]
        line = index.key_line(("requires", key))
        spec = python_minor_specifier(value) if isinstance(value, str) else None
        if spec is None:
            result.error(rel, f'[requires] {key} must be a version like "3.11": {value!r}', line)
        else:
            result.python.append(PythonRequirement(spec, Origin(rel, line)))
        return
