"""Configuration: ``[tool.depsplit]`` in the root ``pyproject.toml``, or ``depsplit.toml``
(which wins when both exist), or a file named with ``--config``.

Keys are written in snake_case (kebab-case is accepted too). Unknown keys and wrong types are
errors naming the file and the key's line, so a typo never silently changes a verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli

from depsplit.errors import ConfigError
from depsplit.nesting import NestingError, toml_loads
from depsplit.target import validate_python


@dataclass(frozen=True)
class Config:
    apps: tuple[str, ...] = ()
    """Globs (relative to the root) of the directories that are apps; empty: discover."""
    exclude: tuple[str, ...] = ()
    """Globs (gitignore syntax, relative to the root) of paths never read as apps."""
    include_dev: bool = False
    """Count dev/test requirements (dev files, dev groups) as production."""
    include_optional: tuple[str, ...] = ()
    """Extras / optional-dependency groups to count as production (``"*"`` for all)."""
    use_locks: bool = True
    """Count lock-file pins (uv.lock, poetry.lock, Pipfile.lock, pylock.toml)."""
    python: str | None = None
    """Fix every group's interpreter (``"3.12"``), like ``--python``."""
    platform: str = "linux/amd64"
    max_file_size: int = 5 * 1024 * 1024
    max_depth: int = 64
    """How many directory levels below the root are searched for apps."""
    time_limit: float = 10.0
    together: tuple[tuple[str, ...], ...] = ()
    apart: tuple[tuple[str, ...], ...] = ()
    max_apps_per_group: int | None = None
    groups: dict[str, str] = field(default_factory=dict)
    """A fixed group for an app: ``{app = "group-name"}``."""
    group_python: dict[str, str] = field(default_factory=dict)
    """The interpreter of a named group: ``{group-name = "3.11"}``."""
    kubernetes: bool = False
    """``generate`` also writes Kubernetes manifests, like ``--kubernetes``."""
    kubernetes_namespace: str | None = None
    """The Kubernetes namespace of the manifests, like ``--kubernetes-namespace``."""
    workloads: dict[str, str] = field(default_factory=dict)
    """Whether an app that serves no HTTP is a ``worker`` or a ``job``: ``{app = "job"}``."""
    schedules: dict[str, str] = field(default_factory=dict)
    """A job's cron schedule: ``{app = "0 3 * * *"}`` (a Kubernetes CronJob)."""
    source: str | None = None
    """The file the configuration came from (relative to the root), for messages."""


_STR_LIST = ("apps", "exclude", "include_optional")
_GROUP_LISTS = ("together", "apart")


def load(root: Path, explicit: Path | None = None) -> Config:
    """Load the configuration for ``root``; no file means defaults."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(str(explicit), "configuration file not found")
        return _from_file(
            explicit,
            root,
            table_path=() if explicit.name != "pyproject.toml" else ("tool", "depsplit"),
        )
    candidate = root / "depsplit.toml"
    if candidate.is_file():
        return _from_file(candidate, root, table_path=())
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        return _from_file(pyproject, root, table_path=("tool", "depsplit"), optional=True)
    return Config()


def _from_file(
    path: Path, root: Path, table_path: tuple[str, ...], optional: bool = False
) -> Config:
    name = _display(path, root)
    try:
        text = path.read_bytes().decode("utf-8-sig")
        data = toml_loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(name, "not valid UTF-8") from exc
    except NestingError as exc:
        raise ConfigError(name, f"invalid TOML: {exc}", exc.line) from exc
    except OSError as exc:
        raise ConfigError(name, f"cannot read: {exc.strerror or exc}") from exc
    except tomli.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc))
        raise ConfigError(name, f"invalid TOML: {exc}", line) from exc
    table: Any = data
    for key in table_path:
        table = table.get(key) if isinstance(table, dict) else None
        if table is None:
            if optional:
                return Config()
            raise ConfigError(name, f"no [{'.'.join(table_path)}] table")
    if not isinstance(table, dict):
        raise ConfigError(name, f"[{'.'.join(table_path)}] must be a table")
    return parse(table, name, text)


def parse(table: dict[str, Any], name: str = "depsplit.toml", text: str = "") -> Config:
    """Validate a configuration table into a :class:`Config`."""
    known = {f.name for f in fields(Config)} - {"source"}
    values: dict[str, Any] = {"source": name}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        line = _key_line(text, raw_key)
        if key not in known:
            close = ", ".join(sorted(known))
            raise ConfigError(name, f"unknown key {raw_key!r} (known: {close})", line)
        values[key] = _check(key, raw_key, value, name, line, text)
    return Config(**values)


def _check(key: str, raw_key: str, value: Any, name: str, line: int | None, text: str = "") -> Any:
    def fail(expected: str) -> ConfigError:
        return ConfigError(name, f"{raw_key} must be {expected}, not {value!r}", line)

    if key in _STR_LIST:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("a list of strings")
        return tuple(value)
    if key in _GROUP_LISTS:
        if not isinstance(value, list) or not all(
            isinstance(g, list) and len(g) >= 2 and all(isinstance(a, str) for a in g)
            for g in value
        ):
            raise fail('a list of lists of two or more app names, e.g. [["api", "worker"]]')
        return tuple(tuple(g) for g in value)
    if key in ("include_dev", "use_locks", "kubernetes"):
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if key in ("python",):
        try:
            return validate_python(value)
        except ValueError as exc:
            raise ConfigError(name, f"{raw_key}: {exc}", line) from exc
    if key == "kubernetes_namespace":
        if not isinstance(value, str):
            raise fail('a namespace name such as "shop"')
        return value
    if key in ("workloads", "schedules"):
        example = 'app = "worker" or "job"' if key == "workloads" else 'app = "0 3 * * *"'
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise fail(f"a table of {example}")
        return dict(value)
    if key == "platform":
        if not isinstance(value, str):
            raise fail('a platform such as "linux/amd64"')
        return value
    if key in ("max_file_size", "max_apps_per_group", "max_depth"):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise fail("a positive integer")
        return value
    if key == "time_limit":
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise fail("a positive number of seconds")
        return float(value)
    if key == "groups":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise fail('a table of app = "group-name"')
        return dict(value)
    if key == "group_python":
        if not isinstance(value, dict):
            raise fail('a table of group-name = "3.X"')
        problems = {g: _python_problem(v) for g, v in value.items()}
        for group, problem in problems.items():
            if problem is not None:
                where = _key_line(text, group) if text else None
                raise ConfigError(name, f"{raw_key}.{group}: {problem}", where or line)
        return dict(value)
    raise AssertionError(key)  # pragma: no cover - every known key is handled above


def _python_problem(value: object) -> str | None:
    try:
        validate_python(value)
    except ValueError as exc:
        return str(exc)
    return None


def _key_line(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _toml_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
