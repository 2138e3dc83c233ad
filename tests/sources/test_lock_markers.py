"""Lock files: where a locked package is installed, from its own marker and (uv.lock) the
markers on the dependency edges from the project, evaluated for the Linux container."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from depsplit import target as tgt
from depsplit.analyze import Options, analyze
from depsplit.config import Config
from depsplit.model import Plan, Target
from depsplit.report import json as json_report
from depsplit.sources import lockfiles
from depsplit.sources.base import ReadContext, SourceResult

Tree = Callable[[dict[str, str | bytes]], Path]


def uv_lock(*packages: str) -> str:
    return 'version = 1\nrequires-python = ">=3.9"\n\n' + "\n".join(packages)


def package(name: str, version: str, *deps: str, extra: str = "") -> str:
    source = (
        '{ editable = "." }' if version == "local" else '{ registry = "https://pypi.org/simple" }'
    )
    text = (
        f'[[package]]\nname = "{name}"\nversion = "{"0.1.0" if version == "local" else version}"\n'
    )
    text += f"source = {source}\n"
    if deps:
        text += "dependencies = [\n" + "".join(f"    {d},\n" for d in deps) + "]\n"
    return text + extra


WIN = "sys_platform == 'win32'"

UV_WINDOWS = uv_lock(
    package(
        "app",
        "local",
        '{ name = "click" }',
        '{ name = "keyring" }',
        f'{{ name = "pywin32", marker = "{WIN}" }}',
        '{ name = "tomli", marker = "python_full_version < \'3.11\'" }',
        extra='\n[package.dev-dependencies]\ndev = [\n    { name = "pytest" },\n]\n',
    ),
    package("click", "8.1.7", f'{{ name = "colorama", marker = "{WIN}" }}'),
    package("colorama", "0.4.6"),
    package(
        "keyring",
        "25.0.0",
        f'{{ name = "pywin32-ctypes", marker = "{WIN}" }}',
        '{ name = "backports-tarfile", marker = "python_full_version < \'3.12\'" }',
    ),
    package("backports-tarfile", "1.2.0"),
    package("pytest", "8.0.0", f'{{ name = "colorama", marker = "{WIN}" }}'),
    package("pywin32", "312", '{ name = "pywin32-helper" }'),
    package("pywin32-ctypes", "0.2.3"),
    package("pywin32-helper", "1.0"),
    package("tomli", "2.0.1"),
)


def read(tmp_path: Path, name: str, text: str) -> SourceResult:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return lockfiles.read(path, ReadContext(root=tmp_path.resolve()))


def pins(result: SourceResult) -> dict[str, str | None]:
    assert [d for d in result.diagnostics if d.level == "error"] == []
    return {r.key: r.marker for r in result.requirements}


def installed(result: SourceResult, python: str, platform: str = "linux/amd64") -> set[str]:
    return {
        r.key
        for r in result.requirements
        if tgt.marker_applies(r.marker, Target(platform=platform), python)
    }


def test_uv_edges_from_the_project(tmp_path: Path) -> None:
    result = read(tmp_path, "uv.lock", UV_WINDOWS)
    assert pins(result) == {
        "click": None,
        "colorama": 'sys_platform == "win32"',
        "keyring": None,
        "backports-tarfile": 'python_full_version < "3.12"',
        "pywin32": 'sys_platform == "win32"',
        "pywin32-ctypes": 'sys_platform == "win32"',
        # pytest is a dev group's only; pywin32-helper is under pywin32, which Linux never
        # installs, by an edge that does not say so: left out.
        "tomli": 'python_full_version < "3.11"',
    }
    assert installed(result, "3.10") == {"click", "keyring", "backports-tarfile", "tomli"}
    assert installed(result, "3.12") == {"click", "keyring"}
    assert installed(result, "3.12", "linux/arm64") == {"click", "keyring"}


def test_uv_win32_edge_and_unconditional_edge(tmp_path: Path) -> None:
    text = uv_lock(
        package("app", "local", '{ name = "click" }', '{ name = "rich" }'),
        package("click", "8.1.7", f'{{ name = "colorama", marker = "{WIN}" }}'),
        package("colorama", "0.4.6"),
        package("rich", "13.0.0", '{ name = "colorama" }'),
    )
    assert pins(read(tmp_path, "uv.lock", text)) == {"click": None, "colorama": None, "rich": None}


def test_uv_paths_combine_and_extras(tmp_path: Path) -> None:
    """A condition on a path is the conjunction of its edges; an edge's extras follow that
    package's optional dependencies; the project's own extras are not installed."""
    text = uv_lock(
        package(
            "app",
            "local",
            '{ name = "a", marker = "python_full_version < \'3.12\'" }',
            '{ name = "b", extra = ["socks"], marker = "platform_machine == \'aarch64\'" }',
            extra='\n[package.optional-dependencies]\nextra = [\n    { name = "c" },\n]\n',
        ),
        package("a", "1", '{ name = "d", marker = "python_full_version >= \'3.10\'" }'),
        package(
            "b",
            "1",
            extra='\n[package.optional-dependencies]\nsocks = [\n    { name = "e" },\n]\n'
            'other = [\n    { name = "f" },\n]\n',
        ),
        package("c", "1"),
        package("d", "1"),
        package("e", "1"),
        package("f", "1"),
    )
    result = read(tmp_path, "uv.lock", text)
    got = pins(result)
    assert set(got) == {"a", "b", "d", "e"}
    assert got["e"] == got["b"] == 'platform_machine == "aarch64"'
    assert installed(result, "3.10") == {"a", "d"}
    assert installed(result, "3.9") == {"a"}
    assert installed(result, "3.11", "linux/arm64") == {"a", "b", "d", "e"}
    assert installed(result, "3.12", "linux/arm64") == {"b", "e"}


def test_uv_canonical_marker_when_the_edges_do_not_say_it(tmp_path: Path) -> None:
    text = uv_lock(
        package("app", "local", '{ name = "a", marker = "python_full_version < \'3.11\'" }'),
        package("a", "1", '{ name = "b" }'),
        package("b", "1"),
    )
    result = read(tmp_path, "uv.lock", text)
    pythons = tgt.SUPPORTED_PYTHONS
    for python in pythons:
        want = {"a", "b"} if tuple(map(int, python.split("."))) < (3, 11) else set()
        assert installed(result, python) == want, python
    assert "python_version" in str(pins(result)["b"])


def test_uv_invalid_edge_marker_counts_and_is_reported(tmp_path: Path) -> None:
    text = uv_lock(
        package("app", "local", '{ name = "a", marker = "sys_platform === " }'),
        package("a", "1"),
    )
    result = read(tmp_path, "uv.lock", text)
    assert [r.line_text for r in result.requirements] == ["a==1"]
    assert [(d.level, d.line) for d in result.diagnostics] == [
        ("error", 5)
    ]  # the line of the package name
    assert "invalid marker" in result.diagnostics[0].message


def test_uv_manifest_members_are_roots(tmp_path: Path) -> None:
    text = uv_lock(
        '[manifest]\nmembers = ["api", "worker"]\n',
        '[[package]]\nname = "api"\nversion = "0.1.0"\nsource = { editable = "api" }\n'
        'dependencies = [{ name = "a", marker = "sys_platform == \'win32\'" }]\n',
        '[[package]]\nname = "worker"\nversion = "0.1.0"\nsource = { virtual = "worker" }\n'
        'dependencies = [{ name = "b" }]\n',
        package("a", "1"),
        package("b", "1"),
        package("orphan", "1"),
    )
    assert pins(read(tmp_path, "uv.lock", text)) == {"a": 'sys_platform == "win32"', "b": None}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param(
            "poetry.lock",
            '[[package]]\nname = "pywin32"\nversion = "306"\ngroups = ["main"]\n'
            "markers = \"sys_platform == 'win32'\"\n\n"
            '[[package]]\nname = "tomli"\nversion = "2.0.1"\ngroups = ["main"]\n'
            "markers = {main = \"python_version < '3.11'\"}\n\n"
            '[metadata]\nlock-version = "2.1"\n',
            id="poetry",
        ),
        pytest.param(
            "Pipfile.lock",
            json.dumps(
                {
                    "default": {
                        "pywin32": {"version": "==306", "markers": "sys_platform == 'win32'"},
                        "tomli": {"version": "==2.0.1", "markers": "python_version < '3.11'"},
                    }
                },
                indent=4,
            ),
            id="pipfile-lock",
        ),
        pytest.param(
            "pylock.toml",
            'lock-version = "1.0"\ncreated-by = "x"\n\n'
            '[[packages]]\nname = "pywin32"\nversion = "306"\n'
            "marker = \"sys_platform == 'win32'\"\n\n"
            '[[packages]]\nname = "tomli"\nversion = "2.0.1"\n'
            "marker = \"python_version < '3.11'\"\n",
            id="pylock",
        ),
    ],
)
def test_per_package_markers(tree: Tree, name: str, text: str) -> None:
    root = tree(
        {"app/pyproject.toml": '[project]\nname = "app"\nversion = "1"\n', f"app/{name}": text}
    )
    assert _applies(analyze(root, Config(), Options(python="3.10"))) == {
        ("app", "pywin32"): False,
        ("app", "tomli"): True,
    }
    assert _applies(analyze(root, Config(), Options(python="3.12"))) == {
        ("app", "pywin32"): False,
        ("app", "tomli"): False,
    }


def _applies(plan: Plan) -> dict[tuple[str, str], bool]:
    """(app, package) → ``applies`` of its lock pins in the JSON report."""
    data = json.loads(json_report.render(plan))
    assert [d for d in data["diagnostics"] if d["level"] == "error"] == []
    return {
        (app["name"], req["name"]): req["applies"]
        for app in data["apps"]
        for req in app["requirements"]
        if req["origin"]["file"].endswith(("lock", ".toml")) and "lock" in req["origin"]["file"]
    }


def test_uv_python_gated_edge_through_analyze(tree: Tree) -> None:
    root = tree(
        {
            "app/pyproject.toml": '[project]\nname = "app"\nversion = "1"\n',
            "app/uv.lock": UV_WINDOWS,
        }
    )
    at_310 = _applies(analyze(root, Config(), Options(python="3.10")))
    at_312 = _applies(analyze(root, Config(), Options(python="3.12")))
    assert at_310[("app", "tomli")] is True
    assert at_312[("app", "tomli")] is False
    for name in ("colorama", "pywin32", "pywin32-ctypes"):
        assert at_310[("app", name)] is at_312[("app", name)] is False
    assert ("app", "pytest") not in at_310


def test_two_apps_pywin32_win32_only_is_no_conflict(tree: Tree) -> None:
    root = tree(
        {
            "a/pyproject.toml": '[project]\nname = "a"\nversion = "1"\n',
            "a/uv.lock": uv_lock(
                package("a", "local", f'{{ name = "pywin32", marker = "{WIN}" }}'),
                package("pywin32", "306"),
            ),
            "b/pyproject.toml": '[project]\nname = "b"\nversion = "1"\n',
            "b/uv.lock": uv_lock(
                package("b", "local", '{ name = "pywin32" }'), package("pywin32", "312")
            ),
        }
    )
    plan = analyze(root, Config(), Options())
    assert [c.package for c in plan.conflicts] == []
    assert [sorted(g.apps) for g in plan.groups] == [["a", "b"]]
    # Both pins are still read, and shown with their condition.
    data = json.loads(json_report.render(plan))
    pins_ = {
        a["name"]: [(r["specifier"], r["marker"], r["applies"]) for r in a["requirements"]]
        for a in data["apps"]
    }
    assert pins_ == {
        "a": [("==306", 'sys_platform == "win32"', False)],
        "b": [("==312", None, True)],
    }


POETRY_LOCK_20 = """[[package]]
name = "click"
version = "8.1.7"

[package.dependencies]
colorama = {version = "*", markers = "platform_system == \\"Windows\\""}

[[package]]
name = "colorama"
version = "0.4.6"

[[package]]
name = "jsonschema"
version = "4.0.0"

[package.dependencies]
fqdn = {version = "*", optional = true, markers = "extra == \\"format\\""}
tomli = {version = ">=1", python = "<3.11"}

[package.extras]
format = ["fqdn"]

[[package]]
name = "fqdn"
version = "1.5.1"

[[package]]
name = "tomli"
version = "2.0.1"

[metadata]
lock-version = "2.0"
"""


def test_poetry_dependency_markers_from_the_pyproject(tree: Tree) -> None:
    root = tree(
        {
            "app/pyproject.toml": '[tool.poetry]\nname = "app"\nversion = "1"\n\n'
            '[tool.poetry.dependencies]\npython = "^3.9"\nclick = "*"\njsonschema = "*"\n',
            "app/poetry.lock": POETRY_LOCK_20,
        }
    )
    result = lockfiles.read(root / "app/poetry.lock", ReadContext(root=root.resolve()))
    got = pins(result)
    assert got["colorama"] == 'platform_system == "Windows"'
    assert got["fqdn"] is None  # an extra nobody asks for: not reached, read as before
    assert installed(result, "3.10") == {"click", "jsonschema", "fqdn", "tomli"}
    assert installed(result, "3.12") == {"click", "jsonschema", "fqdn"}
    assert _applies(analyze(root, Config(), Options(python="3.12")))[("app", "colorama")] is False
