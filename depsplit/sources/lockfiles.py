"""Lock files: ``uv.lock``, ``poetry.lock``, ``Pipfile.lock`` and PEP 751 ``pylock.toml``.

Each locked package becomes a pin ``name==version`` with role ``lock``, at the line of its
name. Only what a production install would get is read:

- ``uv.lock``: the project itself and workspace members (``source = { editable = … }`` or
  ``{ virtual = … }``) are local code, not pins. A package locked at several versions for
  different environments carries its ``resolution-markers`` as its marker.
- ``poetry.lock``: lock format 1.x marks dev packages with ``category = "dev"``; format
  2.1 (Poetry 2) lists ``groups`` and has per-group ``markers`` (a string, or a table
  keyed by group). Packages outside the ``main`` group are skipped; format 2.0 records no
  groups, so all its packages are read.
- ``Pipfile.lock``: the ``default`` section (``develop`` is dev); versions are written
  ``"==1.2.3"``; ``markers`` are kept; VCS and path entries become URL pins, except the
  project itself (``path = "."``).
- ``pylock.toml``: ``[[packages]]`` with a ``version`` (a directory or archive without
  one is local and skipped), with its ``marker``.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.markers import Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PkgRequirement
from packaging.utils import canonicalize_name

from depsplit import target as tgt
from depsplit.errors import InputError
from depsplit.model import Origin, Target
from depsplit.nesting import NestingError, json_loads
from depsplit.sources import pipfile
from depsplit.sources.base import ReadContext, SourceResult, parse_requirement, run_memo
from depsplit.sources.locate import find_line, localize, read_toml, shown, toml_index
from depsplit.sources.poetry import PoetryConstraintError, poetry_requirement


def read(path: Path, ctx: ReadContext) -> SourceResult:
    """Read the pins of a lock file, chosen by its name (``uv.lock``, ``poetry.lock``,
    ``Pipfile.lock``, ``pylock.toml`` / ``pylock.<name>.toml``), and set ``lock_file``.
    Never raises for bad content: each bad entry is one error diagnostic with its line.
    """
    result = SourceResult()
    rel = ctx.rel(path)
    result.lock_file = rel
    try:
        if path.name == "Pipfile.lock":
            _pipfile_lock(path, ctx, rel, result)
        else:
            text, data = read_toml(path, ctx, result)
            _toml_lock(path, text, data, rel, result, ctx)
    except InputError as exc:
        result.error(exc.file, exc.message, exc.line)
    return result


class _Pins:
    def __init__(self, rel: str, result: SourceResult, ctx: ReadContext) -> None:
        self.rel = rel
        self.result = result
        self.ctx = ctx

    def add(self, text: str, line: int | None, editable: bool = False) -> None:
        try:
            req = parse_requirement(
                text, Origin(self.rel, line), role="lock", editable=editable, ctx=self.ctx
            )
        except ValueError as exc:
            self.result.error(self.rel, f"invalid locked package {text!r}: {exc}", line)
            return
        self.result.requirements.append(localize(req, self.ctx))

    def error(self, message: str, line: int | None) -> None:
        self.result.error(self.rel, message, line)


def _toml_lock(
    path: Path, text: str, data: dict[str, Any], rel: str, result: SourceResult, ctx: ReadContext
) -> None:
    name = path.name
    table = "packages" if name.startswith("pylock.") else "package"
    packages = data.get(table, [])
    index = toml_index(text, ctx)
    pins = _Pins(rel, result, ctx)
    if not isinstance(packages, list):
        pins.error(f"[[{table}]] must be an array of tables", index.key_line((table,)))
        return
    items = index.items((table,))  # pylock may write `packages = [{…}, …]`
    lines = [
        items[i] if i < len(items) else index.key_line((table, "name"), i)
        for i in range(len(packages))
    ]
    paths: _Paths | None = None
    if name == "uv.lock":
        paths = _uv_paths(data, packages, lines, pins)
    elif name == "poetry.lock":
        paths = _poetry_paths(path, packages, lines, pins, ctx)
    for i, package in enumerate(packages):
        line = lines[i]
        if not isinstance(package, Mapping):
            pins.error(f"[[{table}]] entry must be a table", line)
            continue
        pkg_name, version = package.get("name"), package.get("version")
        if not isinstance(pkg_name, str):
            pins.error(f"[[{table}]] entry without a name", line)
            continue
        if version is None:
            continue  # a local directory, archive or dynamic-version project
        if not isinstance(version, str):
            pins.error(f"{shown(pkg_name)}: version must be a string", line)
            continue
        if name == "uv.lock":
            keep, marker = _uv(package)
            if keep and paths is not None:
                keep, marker = paths.marker(i, marker)
        elif name == "poetry.lock":
            keep, marker = _poetry(package)
            if keep and paths is not None and (i, None) in paths.reach:
                keep, marker = paths.marker(i, marker)
        else:
            keep, marker = True, package.get("marker")
        if not keep:
            continue
        if marker is not None and not isinstance(marker, str):
            pins.error(f"{shown(pkg_name)}: the marker must be a string", line)
            continue
        pins.add(f"{pkg_name}=={version}" + (f"; {marker}" if marker else ""), line)


# ---- Where a locked package applies: the environments of the container -------------------
#
# A lock file (uv.lock) records the condition of a package on the dependency *edges* that lead
# to it, not on the package. The condition of a package is then the disjunction over the paths
# from the project of the conjunction of the markers along each path: an expression that can
# grow without bound on a large graph. Only its value in the containers depsplit targets
# matters, so it is computed as the set of target environments (a Linux machine × a supported
# CPython minor: a few dozen, one bit each) in which some path applies, by a fixpoint over the
# graph, and written back as a short marker with the same value in every one of them.


_Key = tuple[tuple[str, ...], tuple[str, ...]]
"""The targets: ``PLATFORMS`` and ``SUPPORTED_PYTHONS``."""
_Environments = tuple[tuple[str, ...], tuple[str, ...], tuple[dict[str, str], ...]]
"""What :func:`_environments` returns."""


def _environments(platforms: tuple[str, ...], pythons: tuple[str, ...]) -> _Environments:
    """The target machines (deduplicated, in ``PLATFORMS`` order), the CPython minors, and one
    PEP 508 environment per (machine, minor), machine-major: bit ``m * len(pythons) + p``."""
    machines: dict[str, str] = {}
    for platform in platforms:
        machines.setdefault(Target(platform=platform).machine, platform)
    envs = tuple(
        tgt.marker_environment(Target(platform=platform), python)
        for platform in machines.values()
        for python in pythons
    )
    return tuple(machines), pythons, envs


class _Envs:
    """The target environments as bits of an ``int``; markers as masks over them.

    Read from :mod:`depsplit.target` at each use (``PLATFORMS`` × ``SUPPORTED_PYTHONS``), so
    the supported minors are never copied here."""

    def __init__(self, ctx: ReadContext) -> None:
        """The environments of the current targets; they and the masks of markers over them
        are memoized for the run in ``ctx.cache`` (every lock file of a monorepo asks the
        same questions)."""
        self.key = (tuple(tgt.PLATFORMS), tuple(tgt.SUPPORTED_PYTHONS))
        environments: dict[_Key, _Environments] = run_memo(ctx, __name__, "environments")
        found = environments.get(self.key)
        if found is None:
            found = environments[self.key] = _environments(*self.key)
        self.machines, self.pythons, self.envs = found
        self.all = (1 << len(self.envs)) - 1
        self._masks: dict[tuple[str, str], int] = run_memo(ctx, __name__, ("masks", self.key))

    def mask(self, marker: str | None, extra: str = "") -> int:
        """The environments where ``marker`` holds with ``extra`` requested (``""``: none).
        A clause that cannot be compared counts as true (see :func:`_mask`); an invalid
        marker raises :class:`~packaging.markers.InvalidMarker`."""
        if not marker:
            return self.all
        found = self._masks.get((marker, extra))
        if found is None:
            if len(self._masks) >= _MASKS_MAX:
                self._masks.clear()
            found = self._masks[marker, extra] = _mask(self.envs, marker, extra)
        return found

    def marker(self, mask: int) -> str | None:
        """A short marker true in exactly the environments of ``mask`` (``None``: all):
        ``python_version`` ranges over the supported minors, by ``platform_machine`` when the
        machines differ."""
        if mask == self.all:
            return None
        width = len(self.pythons)
        rows = [(mask >> (m * width)) & ((1 << width) - 1) for m in range(len(self.machines))]
        if len(set(rows)) == 1:
            return self._pythons(rows[0])
        parts = []
        for machine, row in zip(self.machines, rows, strict=True):
            if not row:
                continue
            clause = f'platform_machine == "{machine}"'
            pythons = self._pythons(row)
            parts.append(clause if pythons is None else f"{clause} and ({pythons})")
        if len(parts) == 1:
            return parts[0]
        return " or ".join(f"({part})" for part in parts)

    def _pythons(self, row: int) -> str | None:
        """``python_version`` clauses for the minors of ``row`` (a run of consecutive
        supported minors is one range; open-ended at the oldest and newest)."""
        width = len(self.pythons)
        if row == (1 << width) - 1:
            return None
        runs: list[tuple[int, int]] = []
        for p in range(width):
            if row >> p & 1:
                if runs and runs[-1][1] == p - 1:
                    runs[-1] = (runs[-1][0], p)
                else:
                    runs.append((p, p))
        parts = []
        for first, last in runs:
            low, high = self.pythons[first], self.pythons[last]
            if first == last and first > 0 and last < width - 1:
                parts.append(f'python_version == "{low}"')
                continue
            clauses = []
            if first > 0:
                clauses.append(f'python_version >= "{low}"')
            if last < width - 1:
                clauses.append(f'python_version <= "{high}"')
            parts.append(" and ".join(clauses))
        if not parts:
            return 'python_version < "0"'  # no environment at all
        if len(parts) == 1:
            return parts[0]
        return " or ".join(f"({part})" for part in parts)


_MASKS_MAX = 16384
"""Markers the run's memo of :meth:`_Envs.mask` holds at most (it starts over when full)."""


def _mask(envs: tuple[dict[str, str], ...], marker: str, extra: str) -> int:
    """The environments of ``envs`` (one bit each) where ``marker`` holds with ``extra``."""
    parsed = Marker(marker)
    mask = 0
    for bit, env in enumerate(envs):
        try:
            holds = parsed.evaluate({**env, "extra": extra})
        except (UndefinedComparison, UndefinedEnvironmentName, ValueError):
            holds = True  # as target.marker_applies: count it rather than hide a conflict
        if holds:
            mask |= 1 << bit
    return mask


_MAX_EDGE_MARKERS = 8
"""A package reached by edges with more distinct markers is given the canonical marker."""

_Edge = tuple[int, str | None, tuple[str, ...]]
"""A dependency edge: the index of the package it leads to, its marker, the extras it asks."""


class _Paths:
    """For each package of a lock file, the target environments in which some path of
    production dependencies from the project(s) installs it.

    A state is a package with one extra requested (``None``: the package itself); its mask
    grows monotonically, at most once per environment, so the fixpoint ends after at most
    (states × environments) updates, each visiting the state's edges.
    """

    def __init__(
        self,
        names: list[str],
        own: list[int],
        roots: Iterable[int],
        edges: Mapping[tuple[int, str | None], list[_Edge]],
        envs: _Envs,
    ) -> None:
        self.names = names
        self.envs = envs
        self.own = own
        self.reach: dict[tuple[int, str | None], int] = {}
        self.incoming: dict[int, set[str | None]] = {}
        """Package → the markers of the edges leading to it from reached packages."""
        queue: deque[tuple[int, str | None]] = deque()
        for root in roots:
            self.reach[(root, None)] = envs.all
            queue.append((root, None))
        while queue:
            state = queue.popleft()
            mask = self.reach[state]
            extra = state[1] or ""
            for target, marker, extras in edges.get(state, ()):
                self.incoming.setdefault(target, set()).add(marker)
                flow = mask & envs.mask(marker, extra) & own[target]
                for key in ((target, None), *((target, e) for e in extras)):
                    before = self.reach.get(key)
                    if before is None or flow & ~before:
                        self.reach[key] = (before or 0) | flow
                        queue.append(key)

    def marker(self, index: int, own_marker: object) -> tuple[bool, object]:
        """Whether package ``index`` is installed at all (reached through production
        dependencies), and its marker for the container."""
        mask = self.reach.get((index, None))
        if mask is None:
            return False, None  # a dev group's or an extra's only
        if isinstance(own_marker, str) and tgt.marker_problem(own_marker) is not None:
            return True, own_marker  # reported as it is by the reader, and counted
        if mask == self.own[index]:
            return True, own_marker  # the paths add no condition to the package's own
        # Say it with the markers of the edges that lead to it when they have the same value
        # in every target (``tomli; python_version < "3.11"``, pywin32 behind
        # ``sys_platform == 'win32'``), else in the canonical form; a package installed in
        # no target environment whose edges do not say so is left out.
        incoming = self.incoming.get(index, set())
        if incoming and None not in incoming and len(incoming) <= _MAX_EDGE_MARKERS:
            texts = sorted(m for m in incoming if m is not None)
            why = texts[0] if len(texts) == 1 else " or ".join(f"({m})" for m in texts)
            if isinstance(own_marker, str) and own_marker:
                why = f"({own_marker}) and ({why})"
            if self.envs.mask(why) == mask:
                return True, why
        if mask:
            return True, self.envs.marker(mask)
        return False, None


def _uv_paths(
    data: Mapping[str, Any], packages: list[Any], lines: list[int | None], pins: _Pins
) -> _Paths | None:
    """The production paths of a ``uv.lock``: from the project (``source = { editable =
    "." }`` or ``{ virtual = "." }``) and the ``[manifest] members``, along ``dependencies``
    (and ``optional-dependencies`` of the extras an edge asks); a root's dev groups and extras
    are not followed. ``None`` when the lock names no project (then every package counts)."""
    envs = _Envs(pins.ctx)
    by_name: dict[str, list[int]] = {}
    names: list[str] = []
    own: list[int] = []
    for i, package in enumerate(packages):
        name = package.get("name") if isinstance(package, Mapping) else None
        names.append(name if isinstance(name, str) else "")
        if isinstance(name, str):
            by_name.setdefault(canonicalize_name(name), []).append(i)
        own.append(envs.all)
        if isinstance(package, Mapping) and isinstance(package.get("version"), str):
            _keep, marker = _uv(package)
            if isinstance(marker, str) and tgt.marker_problem(marker) is None:
                own[i] = envs.mask(marker)
    manifest = data.get("manifest")
    members = manifest.get("members") if isinstance(manifest, Mapping) else None
    member_keys = (
        {canonicalize_name(m) for m in members if isinstance(m, str)}
        if isinstance(members, list)
        else set()
    )
    roots = []
    for i, package in enumerate(packages):
        if not isinstance(package, Mapping):
            continue
        source = package.get("source")
        if not isinstance(source, Mapping) or not ("editable" in source or "virtual" in source):
            continue
        if (
            source.get("editable") == "."
            or source.get("virtual") == "."
            or canonicalize_name(names[i]) in member_keys
        ):
            roots.append(i)
    if not roots:
        return None
    edges: dict[tuple[int, str | None], list[_Edge]] = {}
    for i, package in enumerate(packages):
        if not isinstance(package, Mapping):
            continue
        line = lines[i]
        lists: list[tuple[str | None, object]] = [(None, package.get("dependencies"))]
        optional = package.get("optional-dependencies")
        if isinstance(optional, Mapping):
            lists += [(str(canonicalize_name(k)), v) for k, v in optional.items()]
        for extra, deps in lists:
            if not isinstance(deps, list):
                continue
            for dep in deps:
                edge = _uv_edge(dep, names[i], by_name, packages, envs, pins, line)
                if edge is not None:
                    edges.setdefault((i, extra), []).extend(edge)
    return _Paths(names, own, roots, edges, envs)


def _uv_edge(
    dep: object,
    parent: str,
    by_name: Mapping[str, list[int]],
    packages: list[Any],
    envs: _Envs,
    pins: _Pins,
    line: int | None,
) -> list[_Edge] | None:
    if not isinstance(dep, Mapping) or not isinstance(dep.get("name"), str):
        return None
    version = dep.get("version")
    targets = [
        j
        for j in by_name.get(canonicalize_name(dep["name"]), ())
        if version is None or packages[j].get("version") == version
    ]
    marker = dep.get("marker")
    if marker is not None:
        problem = tgt.marker_problem(marker) if isinstance(marker, str) else "not a string"
        if problem is not None:
            # Counted as unconditional, and said: the conservative reading.
            pins.error(
                f"{shown(parent)}: dependency {shown(dep['name'])}: invalid marker "
                f"{marker!r}: {problem}",
                line,
            )
            marker = None
    raw = dep.get("extra")
    extras = (
        tuple(sorted({str(canonicalize_name(e)) for e in raw if isinstance(e, str)}))
        if isinstance(raw, list)
        else ()
    )
    return [(j, marker or None, extras) for j in targets]


def _poetry_paths(
    path: Path, packages: list[Any], lines: list[int | None], pins: _Pins, ctx: ReadContext
) -> _Paths | None:
    """The production paths of a ``poetry.lock`` that records no per-package ``markers``
    (lock format before 2.1): from the main dependencies of the ``pyproject.toml`` next to it
    along the ``[package.dependencies]`` tables (an ``optional`` one only for an extra an edge
    asks). ``None`` (every package counts, as written) when the lock has per-package markers
    or groups, or no readable pyproject names the main dependencies."""
    if any(isinstance(p, Mapping) and ("markers" in p or "groups" in p) for p in packages):
        return None
    try:
        _text, project = read_toml(path.parent / "pyproject.toml", ctx, SourceResult())
    except InputError:
        return None
    direct: list[tuple[str, object]] = []
    tool = project.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, Mapping) else None
    tables = []
    if isinstance(poetry, Mapping):
        tables.append(poetry.get("dependencies"))
        group = poetry.get("group")
        main = group.get("main") if isinstance(group, Mapping) else None
        tables.append(main.get("dependencies") if isinstance(main, Mapping) else None)
    for table in tables:
        if isinstance(table, Mapping):
            direct += [(k, v) for k, v in table.items() if k != "python"]
    section = project.get("project")
    listed = section.get("dependencies") if isinstance(section, Mapping) else None
    if isinstance(listed, list):
        for text in listed:
            try:
                req = PkgRequirement(text)
            except (InvalidRequirement, TypeError):
                return None
            spec: dict[str, object] = {"extras": sorted(req.extras)}
            if req.marker is not None:
                spec["markers"] = str(req.marker)
            direct.append((req.name, spec))
    if not direct:
        return None
    envs = _Envs(pins.ctx)
    by_name: dict[str, list[int]] = {}
    for i, package in enumerate(packages):
        if isinstance(package, Mapping) and isinstance(package.get("name"), str):
            by_name.setdefault(canonicalize_name(package["name"]), []).append(i)
    root = len(packages)
    edges: dict[tuple[int, str | None], list[_Edge]] = {}
    edges[(root, None)] = _poetry_edges(direct, "the project", by_name, envs, pins, None, None)
    for i, package in enumerate(packages):
        if not isinstance(package, Mapping):
            continue
        deps = package.get("dependencies")
        if not isinstance(deps, Mapping):
            continue
        name = str(package.get("name", ""))
        items = list(deps.items())
        edges[(i, None)] = _poetry_edges(items, name, by_name, envs, pins, lines[i], None)
        extras = package.get("extras")
        if isinstance(extras, Mapping):
            for extra, listed_ in extras.items():
                wanted = (
                    {
                        canonicalize_name(re.split(r"[\s(\[;<>=!~]", d.strip(), maxsplit=1)[0])
                        for d in listed_
                        if isinstance(d, str) and d.strip()
                    }
                    if isinstance(listed_, list)
                    else set()
                )
                chosen = [(k, v) for k, v in items if canonicalize_name(k) in wanted]
                edges[(i, str(canonicalize_name(extra)))] = _poetry_edges(
                    chosen, name, by_name, envs, pins, lines[i], str(canonicalize_name(extra))
                )
    names = [str(p.get("name", "")) if isinstance(p, Mapping) else "" for p in packages]
    return _Paths([*names, ""], [envs.all] * (root + 1), [root], edges, envs)


def _poetry_edges(
    items: list[tuple[str, object]],
    parent: str,
    by_name: Mapping[str, list[int]],
    envs: _Envs,
    pins: _Pins,
    line: int | None,
    extra: str | None,
) -> list[_Edge]:
    """The edges of a Poetry dependency table (``name = "spec"``, a table, or an array of
    tables for several constraints); an ``optional`` one only under ``extra``."""
    out: list[_Edge] = []
    for name, value in items:
        for spec in value if isinstance(value, list) else [value]:
            if isinstance(spec, str):
                spec = {"version": spec}
            if not isinstance(spec, Mapping):
                continue
            if spec.get("optional") is True and extra is None:
                continue
            try:
                text, _editable, _warning = poetry_requirement(name, spec, pins.ctx)
                req = PkgRequirement(text)
            except (InvalidRequirement, PoetryConstraintError, TypeError, ValueError):
                continue  # the package itself is read and reported as it is
            marker = str(req.marker) if req.marker is not None else None
            if marker is not None and (problem := tgt.marker_problem(marker)) is not None:
                pins.error(
                    f"{shown(parent)}: dependency {shown(name)}: invalid marker {marker!r}: "
                    f"{problem}",
                    line,
                )
                marker = None
            extras = tuple(sorted(str(canonicalize_name(e)) for e in req.extras))
            out += [(j, marker, extras) for j in by_name.get(canonicalize_name(name), ())]
    return out


def _uv(package: Mapping[str, Any]) -> tuple[bool, object]:
    """Whether to keep the package (local code is not a pin), and its marker: the
    environments it was resolved for."""
    source = package.get("source")
    if isinstance(source, Mapping) and ("editable" in source or "virtual" in source):
        return False, None
    markers = package.get("resolution-markers")
    if not isinstance(markers, list) or not markers:
        return True, markers or None
    if len(markers) == 1:
        return True, markers[0]
    return True, " or ".join(f"({m})" for m in markers)


def _poetry(package: Mapping[str, Any]) -> tuple[bool, object]:
    """Whether the package is in the main group, and its marker there."""
    if package.get("category", "main") != "main":
        return False, None
    groups = package.get("groups")
    if isinstance(groups, list) and "main" not in groups:
        return False, None
    markers = package.get("markers")
    return True, markers.get("main") if isinstance(markers, Mapping) else markers


def _pipfile_lock(path: Path, ctx: ReadContext, rel: str, result: SourceResult) -> None:
    result.files.append(rel)
    text = ctx.read_text(path)
    pins = _Pins(rel, result, ctx)
    try:
        data = json_loads(text)
    except json.JSONDecodeError as exc:
        pins.error(f"invalid JSON: {exc.msg}", exc.lineno)
        return
    except NestingError as exc:
        pins.error(f"invalid JSON: {exc}", exc.line)
        return
    default = data.get("default", {}) if isinstance(data, dict) else None
    start = find_line(text, '"default"') or 1
    if not isinstance(default, dict):
        pins.error('"default" must be an object of packages', start)
        return
    # find_line(text, needle, start) for each package, without splitting the text each
    # time: the needle holds no line break, so the first match at or after the start of
    # line ``start`` is on the first line that contains it.
    offset = _line_offset(text, start)
    for name, entry in default.items():
        found = text.find(f"{json.dumps(name)}: {{", offset)
        line = text.count("\n", 0, found) + 1 if found >= 0 else start
        if isinstance(entry, Mapping) and entry.get("path") == ".":
            continue  # the project itself
        try:
            text_, editable = pipfile.entry_requirement(name, entry)
        except TypeError as exc:
            pins.error(f"{shown(name)}: {exc}", line)
            continue
        pins.add(text_, line, editable=editable)


def _line_offset(text: str, number: int) -> int:
    """Where line ``number`` (1-based, an existing line) of ``text`` starts."""
    offset = 0
    for _ in range(number - 1):
        offset = text.index("\n", offset) + 1
    return offset
