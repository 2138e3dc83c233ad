"""``pyproject.toml``: PEP 621 ``[project]``, PEP 735 ``[dependency-groups]`` and Poetry's
``[tool.poetry]`` tables.

Poetry's constraint syntax (``^1.2``, ``1.2.*``, ``>=1,<2 || ^3``, the ``python`` and
``platform`` keys) is translated by :mod:`depsplit.sources.poetry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from depsplit.errors import InputError
from depsplit.model import Origin, PythonRequirement, Role
from depsplit.sources.base import ReadContext, SourceResult, parse_requirement
from depsplit.sources.locate import (
    Path_,
    TomlIndex,
    canonical_specifier,
    localize,
    parse_toml,
    read_toml,
    read_toml_or_report,
    shown,
    toml_index,
)
from depsplit.sources.poetry import (
    PoetryConstraintError,
    poetry_requirement,
    poetry_specifier,
    value_kind,
)

# --- reading ----------------------------------------------------------------------------

_DEP_TYPES = "a version string, a table or an array of tables"


@dataclass
class _Reader:
    rel: str
    index: TomlIndex
    result: SourceResult
    ctx: ReadContext

    def origin(self, line: int | None, via: tuple[str, ...] = ()) -> Origin:
        return Origin(self.rel, line, via)

    def error(self, message: str, line: int | None) -> None:
        self.result.error(self.rel, message, line)

    def add(
        self,
        text: str,
        line: int | None,
        role: Role,
        group: str | None = None,
        editable: bool = False,
        via: tuple[str, ...] = (),
    ) -> None:
        try:
            req = parse_requirement(
                text,
                self.origin(line, via),
                role=role,
                group=group,
                editable=editable,
                ctx=self.ctx,
            )
        except ValueError as exc:
            self.error(f"invalid requirement {text!r}: {exc}", line)
            return
        self.result.requirements.append(localize(req, self.ctx))

    def python(self, specifier: str, line: int | None, what: str) -> None:
        spec = canonical_specifier(specifier, self.ctx)
        if spec is None:
            self.error(f"invalid {what} {specifier!r}", line)
            return
        self.result.python.append(PythonRequirement(spec, self.origin(line)))

    # -- PEP 621 / PEP 735 ---------------------------------------------------------------

    def string_list(
        self, value: object, path: Path_, role: Role, group: str | None, what: str
    ) -> None:
        if not isinstance(value, list):
            self.error(f"{what} must be an array of strings", self.index.key_line(path))
            return
        for i, item in enumerate(value):
            line = self.index.item_line(path, i)
            if isinstance(item, str):
                self.add(item, line, role, group)
            else:
                self.error(f"{what}: expected a string, got {value_kind(item)}", line)

    def project(self, project: object) -> None:
        path: Path_ = ("project",)
        if not isinstance(project, Mapping):
            self.error("[project] must be a table", self.index.key_line(path))
            return
        dynamic = project.get("dynamic", [])
        if isinstance(dynamic, list):
            for key in ("dependencies", "optional-dependencies"):
                if key in dynamic:
                    self.result.warning(
                        self.rel,
                        f"[project] {key} are dynamic (computed by the build backend); "
                        "they are not read",
                        self.index.key_line((*path, "dynamic")),
                    )
        if "dependencies" in project:
            self.string_list(
                project["dependencies"],
                (*path, "dependencies"),
                "main",
                None,
                "[project] dependencies",
            )
        if "optional-dependencies" in project:
            extras = project["optional-dependencies"]
            extras_path = (*path, "optional-dependencies")
            if not isinstance(extras, Mapping):
                self.error(
                    "[project.optional-dependencies] must be a table",
                    self.index.key_line(extras_path),
                )
            else:
                for extra, reqs in extras.items():
                    self.string_list(
                        reqs,
                        (*extras_path, extra),
                        "optional",
                        extra,
                        f"[project.optional-dependencies] {shown(extra)}",
                    )
        if "requires-python" in project:
            spec = project["requires-python"]
            line = self.index.key_line((*path, "requires-python"))
            if isinstance(spec, str):
                self.python(spec, line, "requires-python")
            else:
                self.error(f"requires-python must be a string, got {value_kind(spec)}", line)

    def dependency_groups(self, groups: object) -> None:
        """PEP 735: each group's strings, with ``{include-group = "x"}`` expanded (the
        included requirements keep their own line; ``via`` names the include)."""
        path: Path_ = ("dependency-groups",)
        if not isinstance(groups, Mapping):
            self.error("[dependency-groups] must be a table", self.index.key_line(path))
            return
        for name in groups:
            self._group(groups, name, name, (), ())

    def _group(
        self,
        groups: Mapping[str, Any],
        name: str,
        as_group: str,
        via: tuple[str, ...],
        seen: tuple[str, ...],
    ) -> None:
        path: Path_ = ("dependency-groups", name)
        value = groups[name]
        if not isinstance(value, list):
            if not via:
                self.error(f"dependency group {name!r} must be an array", self.index.key_line(path))
            return
        for i, item in enumerate(value):
            line = self.index.item_line(path, i)
            if isinstance(item, str):
                self.add(item, line, "dev", as_group, via=via)
                continue
            include = item.get("include-group") if isinstance(item, Mapping) else None
            if not isinstance(include, str):
                if not via:  # reported once, where it is written
                    self.error(
                        f"dependency group {name!r}: expected a string or "
                        f"{{include-group = ...}}, got {value_kind(item)}",
                        line,
                    )
                continue
            target = _find_group(groups, include)
            if target is None:
                if not via:
                    self.error(
                        f"dependency group {name!r} includes {include!r}, which is not defined",
                        line,
                    )
                continue
            chain = (*seen, name)
            if target in chain:
                # Reported where the cycle closes on the group being expanded, so each
                # cycle is reported once per group in it and expansion stops.
                if target == chain[0]:
                    cycle = " → ".join((*chain, target))
                    self.error(f"dependency groups include each other: {cycle}", line)
                continue
            self._group(groups, target, as_group, (*via, f"{self.rel}:{line}"), chain)

    # -- Poetry --------------------------------------------------------------------------

    def poetry(self, poetry: Mapping[str, Any]) -> None:
        base: Path_ = ("tool", "poetry")
        extras = _extras_by_package(poetry.get("extras"))
        if "dependencies" in poetry:
            self.poetry_table(poetry["dependencies"], (*base, "dependencies"), "main", None, extras)
        if "dev-dependencies" in poetry:
            path = (*base, "dev-dependencies")
            self.poetry_table(poetry["dev-dependencies"], path, "dev", "dev", extras)
        groups = poetry.get("group", {})
        if not isinstance(groups, Mapping):
            self.error("[tool.poetry.group] must be a table", self.index.key_line((*base, "group")))
            return
        for name, config in groups.items():
            path = (*base, "group", name)
            if not isinstance(config, Mapping):
                self.error(
                    f"[tool.poetry.group.{shown(name)}] must be a table", self.index.key_line(path)
                )
                continue
            if "dependencies" in config:
                role: Role = "main" if name == "main" else "dev"
                group = None if name == "main" else name
                self.poetry_table(
                    config["dependencies"], (*path, "dependencies"), role, group, extras
                )

    def poetry_table(
        self,
        deps: object,
        path: Path_,
        role: Role,
        group: str | None,
        extras: Mapping[str, str],
    ) -> None:
        if not isinstance(deps, Mapping):
            self.error(f"[{shown('.'.join(path))}] must be a table", self.index.key_line(path))
            return
        for name, value in deps.items():
            line = self.index.key_line((*path, name))
            if name.lower() == "python":
                if role == "main" and isinstance(value, str):
                    self.poetry_python(value, line)
                elif role == "main":
                    self.error(f"python must be a version string, got {value_kind(value)}", line)
                continue
            if isinstance(value, list):
                for i, entry in enumerate(value):
                    item_line = self.index.item_line((*path, name), i)
                    self.poetry_dependency(name, entry, item_line, role, group, extras)
            else:
                self.poetry_dependency(name, value, line, role, group, extras)

    def poetry_python(self, value: str, line: int | None) -> None:
        try:
            spec, warning = poetry_specifier(value, self.ctx)
        except PoetryConstraintError as exc:
            self.error(f"python: {exc}", line)
            return
        if warning:
            self.result.warning(self.rel, f"python: {warning}", line)
        self.python(spec, line, "python constraint")

    def poetry_dependency(
        self,
        name: str,
        value: object,
        line: int | None,
        role: Role,
        group: str | None,
        extras: Mapping[str, str],
    ) -> None:
        if isinstance(value, str):
            value = {"version": value}
        if not isinstance(value, Mapping):
            self.error(f"{shown(name)}: expected {_DEP_TYPES}, got {value_kind(value)}", line)
            return
        try:
            text, editable, warning = poetry_requirement(name, value, self.ctx)
        except (PoetryConstraintError, TypeError) as exc:
            self.error(f"{shown(name)}: {exc}", line)
            return
        if warning:
            self.result.warning(self.rel, f"{shown(name)}: {warning}", line)
        if value.get("optional") is True and role == "main":
            role, group = "optional", extras.get(canonicalize_name(name))
        self.add(text, line, role, group, editable=editable)


def _find_group(groups: Mapping[str, Any], name: str) -> str | None:
    """PEP 735 group names compare normalized, as package names."""
    wanted = canonicalize_name(name)
    return next((g for g in groups if canonicalize_name(g) == wanted), None)


def _extras_by_package(extras: object) -> dict[str, str]:
    """``[tool.poetry.extras]``: canonical package name → the first extra naming it."""
    out: dict[str, str] = {}
    if isinstance(extras, Mapping):
        for extra, names in extras.items():
            if isinstance(names, list):
                for package in names:
                    if isinstance(package, str):
                        out.setdefault(canonicalize_name(package), extra)
    return out


def read(path: Path, ctx: ReadContext) -> SourceResult:
    """Read the requirements and Python constraints of a ``pyproject.toml``.

    ``[project]`` dependencies are ``main``, optional dependencies ``optional`` (group: the
    extra), ``[dependency-groups]`` and Poetry groups other than ``main`` ``dev`` (group:
    the group). ``requires-python`` and Poetry's ``python`` give :class:`PythonRequirement`.
    Never raises for bad content: each bad entry is one error diagnostic with its line.
    """
    result = SourceResult()
    parsed = read_toml_or_report(path, ctx, result)
    if parsed is None:
        return result
    text, data = parsed
    reader = _Reader(ctx.rel(path), toml_index(text, ctx), result, ctx)
    if "project" in data:
        reader.project(data["project"])
    if "dependency-groups" in data:
        reader.dependency_groups(data["dependency-groups"])
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, Mapping) else None
    if isinstance(poetry, Mapping):
        reader.poetry(poetry)
    elif poetry is not None:
        reader.error("[tool.poetry] must be a table", reader.index.key_line(("tool", "poetry")))
    return result


def project_name(path: Path, ctx: ReadContext) -> str | None:
    """The project's name (``[project] name``, else ``[tool.poetry] name``), or ``None``
    when there is none or the file cannot be read."""
    try:
        _, data = read_toml(path, ctx, SourceResult())
    except InputError:
        return None
    for table in (data.get("project"), _poetry(data)):
        if isinstance(table, Mapping) and isinstance(table.get("name"), str):
            name: str = table["name"]
            return name
    return None


def has_app_table(text_or_data: str | Mapping[str, Any]) -> bool:
    """Whether a pyproject declares a project: ``[project]`` or ``[tool.poetry]``.

    Accepts the file's text (invalid TOML is not an app) or its parsed data.
    """
    data = parse_toml(text_or_data) if isinstance(text_or_data, str) else text_or_data
    if data is None:
        return False
    return isinstance(data.get("project"), Mapping) or isinstance(_poetry(data), Mapping)


def _poetry(data: Mapping[str, Any]) -> object:
    tool = data.get("tool")
    return tool.get("poetry") if isinstance(tool, Mapping) else None
