"""Tests of the synthetic monorepo generator (tests/gen.py) and of the answer it plants."""

from __future__ import annotations

import configparser
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import tomllib
from gen import DEV_DECOY, FORMATS, PIVOT, PY2_DECOY, TRAP, WIN_DECOY, generate_monorepo
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

# The container the generated apps are checked for: Linux, CPython 3.12.
TARGET = {
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}

Specs = dict[str, str]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


class AppFiles:
    """What an app's files say: production specs on TARGET, Python, dev specs, and the
    requirements whose marker is false on TARGET."""

    def __init__(self) -> None:
        self.prod: Specs = {}
        self.dev: Specs = {}
        self.python = ""
        self.skipped: list[tuple[str, str]] = []  # (canonical name, specifier)

    def add(self, out: Specs, name: str, spec: str, marker: str | None) -> None:
        key = canonicalize_name(name)
        if marker and not Marker(marker).evaluate(TARGET):
            self.skipped.append((key, spec))
            return
        out[key] = ",".join(s for s in (out.get(key, ""), spec) if s)

    def req(self, out: Specs, text: str) -> None:
        req = Requirement(text)
        self.add(out, req.name, str(req.specifier), str(req.marker) if req.marker else None)

    def requirements(self, path: Path, out: Specs) -> None:
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("-r "):
                self.requirements(path.parent / line[3:].strip(), out)
            else:
                self.req(out, line)

    def table(self, table: dict[str, object], out: Specs, *, poetry: bool) -> None:
        for name, value in table.items():
            if poetry and name == "python":
                continue
            if isinstance(value, str):
                version, marker = value, None
            else:
                assert isinstance(value, dict)
                version, marker = value["version"], value.get("markers")
            spec = _poetry_to_pep(version) if poetry else ("" if version == "*" else version)
            SpecifierSet(spec)
            self.add(out, name, spec, marker)


def _poetry_to_pep(constraint: str) -> str:
    """Only the Poetry forms the generator writes: *, ^X[.Y], ~X.Y, bare version, PEP 440."""
    if constraint == "*":
        return ""
    if constraint.startswith("^"):
        major = int(constraint[1:].split(".")[0])
        assert major >= 1
        return f">={constraint[1:]},<{major + 1}.0"
    if constraint.startswith("~") and not constraint.startswith("~="):
        major, minor = (int(x) for x in constraint[1:].split("."))
        return f">={major}.{minor},<{major}.{minor + 1}"
    if constraint[0].isdigit():
        return f"=={constraint}"
    SpecifierSet(constraint)  # must already be PEP 440
    return constraint


def _toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def read_app(app_dir: Path, fmt: str) -> AppFiles:
    """Read one generated app the way its format means it, independently of gen.py."""
    app = AppFiles()
    if fmt == "requirements":
        app.requirements(app_dir / "requirements.txt", app.prod)
        if (app_dir / "requirements-dev.txt").exists():
            app.requirements(app_dir / "requirements-dev.txt", app.dev)
    elif fmt == "pyproject":
        project = _toml(app_dir / "pyproject.toml")["project"]
        app.python = project["requires-python"]
        for text in project["dependencies"]:
            app.req(app.prod, text)
        for texts in project.get("optional-dependencies", {}).values():
            for text in texts:
                app.req(app.dev, text)
    elif fmt == "poetry":
        poetry = _toml(app_dir / "pyproject.toml")["tool"]["poetry"]
        app.python = _poetry_to_pep(poetry["dependencies"]["python"])
        app.table(poetry["dependencies"], app.prod, poetry=True)
        for group in poetry.get("group", {}).values():
            app.table(group["dependencies"], app.dev, poetry=True)
    elif fmt == "pipfile":
        pipfile = _toml(app_dir / "Pipfile")
        app.table(pipfile["packages"], app.prod, poetry=False)
        app.table(pipfile.get("dev-packages", {}), app.dev, poetry=False)
    else:
        assert fmt == "setup_cfg"
        cfg = configparser.ConfigParser()
        cfg.read_string((app_dir / "setup.cfg").read_text(encoding="utf-8"))
        app.python = cfg["options"]["python_requires"]
        for text in cfg["options"]["install_requires"].strip().splitlines():
            app.req(app.prod, text)
        if cfg.has_section("options.extras_require"):
            for texts in cfg["options.extras_require"].values():
                for text in texts.strip().splitlines():
                    app.req(app.dev, text)
    return app


def _same(a: Specs, b: Specs) -> bool:
    return a.keys() == b.keys() and all(SpecifierSet(a[k]) == SpecifierSet(b[k]) for k in a)


def _unsat(specs: Iterable[str]) -> bool:
    return SpecifierSet(",".join(s for s in specs if s)).is_unsatisfiable()


class Checker:
    """Whether a set of apps can share one container, from their planted specifiers."""

    def __init__(self, specs: dict[str, Specs], python: dict[str, str]) -> None:
        self.specs = {app: {**s, "<python>": python[app]} for app, s in specs.items()}

    def fits(self, group: list[str], app: str) -> bool:
        """Can ``app`` join ``group`` (itself valid)? Only its own packages can break."""
        return not any(
            _unsat([spec, *(self.specs[other].get(pkg, "") for other in group)])
            for pkg, spec in self.specs[app].items()
        )

    def valid(self, group: list[str]) -> bool:
        return all(self.fits(group[:i], app) for i, app in enumerate(group))

    def partition(self, apps: list[str], most: int) -> list[list[str]] | None:
        """Exhaustive search for a partition into at most ``most`` valid groups.

        Every set partition is reachable (an app joins an existing group or opens the next
        one), and a branch is cut only when a group is already invalid: adding apps never
        makes an invalid group valid. So ``None`` proves that no such partition exists.
        """
        groups: list[list[str]] = []

        def place(i: int) -> bool:
            if i == len(apps):
                return True
            app = apps[i]
            for group in groups:
                if self.fits(group, app):
                    group.append(app)
                    if place(i + 1):
                        return True
                    group.pop()
            if len(groups) < most:
                groups.append([app])
                if place(i + 1):
                    return True
                groups.pop()
            return False

        return [list(g) for g in groups] if place(0) else None


def test_deterministic(tmp_path: Path) -> None:
    a = generate_monorepo(tmp_path / "a", 40, seed=7)
    b = generate_monorepo(tmp_path / "b", 40, seed=7)
    generate_monorepo(tmp_path / "c", 40, seed=8)
    files_a = _files(tmp_path / "a")
    assert files_a == _files(tmp_path / "b")
    assert files_a != _files(tmp_path / "c")
    assert (a.apps, a.planted, a.specs, a.assignment) == (b.apps, b.planted, b.specs, b.assignment)


@pytest.mark.parametrize("n", [5, 12, 101])
def test_app_count_and_layout(tmp_path: Path, n: int) -> None:
    repo = generate_monorepo(tmp_path, n, seed=n, k_groups=3)
    assert len(repo.apps) == n
    names = [path.rsplit("/", 1)[1] for path in repo.apps]
    assert len(set(names)) == n
    for i, (path, fmt) in enumerate(repo.apps.items()):
        assert fmt == FORMATS[i % len(FORMATS)]
        top, _name = path.split("/")
        assert top in {"services", "workers", "jobs"}
        assert (tmp_path / path).is_dir()
    assert repo.optimum == 3
    assert set(repo.assignment) == set(repo.apps)
    assert set(repo.assignment.values()) == {0, 1, 2}
    # Shared files are no apps: they hold no requirements.txt.
    assert not (tmp_path / "shared" / "requirements.txt").exists()


def test_formats_subset(tmp_path: Path) -> None:
    repo = generate_monorepo(tmp_path, 6, seed=1, formats=("poetry", "pipfile"))
    assert set(repo.apps.values()) == {"poetry", "pipfile"}
    with pytest.raises(ValueError, match="formats"):
        generate_monorepo(tmp_path / "x", 6, seed=1, formats=("conda",))
    with pytest.raises(ValueError, match="k_groups"):
        generate_monorepo(tmp_path / "y", 2, seed=1, k_groups=3)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_files_parse_and_match_the_record(tmp_path: Path, seed: int) -> None:
    repo = generate_monorepo(tmp_path, 60, seed=seed, lines_per_app=12)
    dev_pins: set[str] = set()
    for path, fmt in repo.apps.items():
        app = read_app(tmp_path / path, fmt)
        prod, dev = app.prod, app.dev
        assert _same(prod, repo.specs[path]), path
        assert SpecifierSet(app.python) == SpecifierSet(repo.python[path])
        # Decoys: the marker-gated pins do not apply on Linux / CPython 3, the dev pin is
        # only in dev files.
        assert not {WIN_DECOY, PY2_DECOY, DEV_DECOY} & prod.keys()
        if DEV_DECOY in dev:
            dev_pins.add(dev[DEV_DECOY])
    assert len(dev_pins) >= 2  # counted, the dev pins would conflict
    for shared in sorted((tmp_path / "shared").glob("*.txt")):
        AppFiles().requirements(shared, {})
    # Some requirements-format apps include a shared file, one of them nested.
    texts = [p.read_text(encoding="utf-8") for p in tmp_path.rglob("requirements.txt")]
    assert any("-r ../../shared/" in t for t in texts)
    assert "-r base-0.txt" in (tmp_path / "shared" / "base-3.txt").read_text(encoding="utf-8")


def test_decoys_would_conflict_if_counted(tmp_path: Path) -> None:
    repo = generate_monorepo(tmp_path, 30, seed=4)
    pins: dict[str, set[str]] = {WIN_DECOY: set(), PY2_DECOY: set()}
    formats: dict[str, set[str]] = {WIN_DECOY: set(), PY2_DECOY: set()}
    for path, fmt in repo.apps.items():
        for name, spec in read_app(tmp_path / path, fmt).skipped:
            pins[name].add(spec)
            formats[name].add(fmt)
    assert all(len(p) >= 2 for p in pins.values()), pins
    assert all(f == set(FORMATS) for f in formats.values()), formats


@pytest.mark.parametrize(
    ("n", "k", "seed"),
    [(12, 3, 1), (12, 3, 2), (12, 2, 3), (10, 4, 4), (8, 1, 5)],
)
def test_planted_optimum_brute_force(tmp_path: Path, n: int, k: int, seed: int) -> None:
    repo = generate_monorepo(tmp_path, n, seed=seed, k_groups=k, lines_per_app=8)
    assert repo.optimum == k
    # The record agrees with the files (checked in depth above); the search uses the record.
    for path, fmt in repo.apps.items():
        assert _same(read_app(tmp_path / path, fmt).prod, repo.specs[path])
    checker = Checker(repo.specs, repo.python)
    apps = sorted(repo.apps)

    # The witness is a valid partition into exactly k groups ...
    witness = [[a for a in apps if repo.assignment[a] == g] for g in range(k)]
    assert all(witness)
    assert all(checker.valid(group) for group in witness)
    # ... the exhaustive search finds one too, and none with fewer groups exists.
    found = checker.partition(apps, k)
    assert found is not None
    assert all(checker.valid(group) for group in found)
    if k > 1:
        assert checker.partition(apps, k - 1) is None


def test_planted_conflicts_and_non_conflicts(tmp_path: Path) -> None:
    repo = generate_monorepo(tmp_path, 40, seed=9, k_groups=4)
    assert repo.trios == 1
    pivot_pairs = [apps for pkg, apps in repo.planted if pkg == PIVOT]
    trios = [apps for pkg, apps in repo.planted if pkg == TRAP]
    assert len(pivot_pairs) == 4 * 3 // 2
    assert len(trios) == 1
    for apps in pivot_pairs:
        assert len(apps) == 2
        assert _unsat(repo.specs[a][PIVOT] for a in apps)
    (trio,) = trios
    specs = [repo.specs[a][TRAP] for a in sorted(trio)]
    assert _unsat(specs)
    assert not any(_unsat([x, y]) for i, x in enumerate(specs) for y in specs[i + 1 :])
    # The trio carries no pivot: it can join any group, so it does not raise the optimum;
    # only a check of the whole group keeps the three apart.
    assert all(PIVOT not in repo.specs[a] for a in trio)
    checker = Checker(repo.specs, repo.python)
    members = sorted(trio)
    assert all(checker.valid([x, y]) for i, x in enumerate(members) for y in members[i + 1 :])
    assert not checker.valid(members)
    # Fillers and shared packages agree across all apps together; decoys never apply.
    for pkg in repo.non_conflicts:
        assert not _unsat(s.get(pkg, "") for s in repo.specs.values()), pkg


def test_no_trap_when_disabled_or_impossible(tmp_path: Path) -> None:
    assert generate_monorepo(tmp_path / "a", 12, seed=1, three_way=False).trios == 0
    assert generate_monorepo(tmp_path / "b", 12, seed=1, k_groups=1).trios == 0
    repo = generate_monorepo(tmp_path / "c", 4, seed=1, k_groups=3)
    assert repo.trios == 0
    assert all(pkg == PIVOT for pkg, _ in repo.planted)


@pytest.mark.slow
def test_ten_thousand_apps_fast(tmp_path: Path) -> None:
    start = time.perf_counter()
    repo = generate_monorepo(tmp_path, 10_000, seed=11, k_groups=5)
    elapsed = time.perf_counter() - start
    assert len(repo.apps) == 10_000
    assert repo.trios == 50
    assert elapsed < 15, f"{elapsed:.1f}s"
