"""``depsplit analyze|generate --transitive`` end to end, against a local index (``file://``
or a loopback HTTP server): nothing here reaches the network."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from localindex import WORLD, Dist, LocalIndex, ServerState, build_index, pip_dry_run, serve
from reportdata import requirements_of

from depsplit.index import Finder, IndexConfig, check_union
from depsplit.model import Origin, Requirement, Target

WEB = "# the web app\n\nfastapi==0.95.2\n"
API = (
    '[project]\nname = "api"\nversion = "1.0"\n\n\n\n\n\ndependencies = [\n  "pydantic>=2.5",\n]\n'
)


pytestmark = pytest.mark.usefixtures("no_pip_config")


@pytest.fixture
def world(tmp_path: Path) -> LocalIndex:
    return build_index(tmp_path / "index", WORLD)


Run = Callable[..., tuple[int, str, str]]


def issue_repo(tree: Callable[[dict[str, str | bytes]], Path]) -> Path:
    return tree({"services/web/requirements.txt": WEB, "services/api/pyproject.toml": API})


def _requirement(text: str) -> Requirement:
    from packaging.requirements import Requirement as Pkg
    from packaging.utils import canonicalize_name

    parsed = Pkg(text)
    return Requirement(
        canonicalize_name(parsed.name), parsed.name, str(parsed.specifier), Origin("x", 1)
    )


# ------------------------------------------------------------------------- the issue's case


def test_issue_scenario_is_reported_with_both_chains_and_split(
    tree: Callable[[dict[str, str | bytes]], Path], world: LocalIndex, run: Run
) -> None:
    root = issue_repo(tree)
    started = time.perf_counter()
    code, out, err = run(
        "analyze", str(root), "--transitive", "--index-url", world.file_url, "--format", "json"
    )
    elapsed = time.perf_counter() - started
    assert code == 0, err
    data = json.loads(out)
    assert data["transitive"] is True
    [conflict] = data["conflicts"]
    assert conflict["kind"] == "version"
    assert conflict["package"] == "pydantic"
    assert conflict["apps"] == ["api", "web"]
    by_app = {r["app"]: r for r in requirements_of(conflict)}
    assert by_app["web"]["chain"] == ["fastapi==0.95.2", "pydantic<2,>=1.6.2"]
    assert by_app["web"]["origin"] == {
        "file": "services/web/requirements.txt",
        "line": 3,
        "via": [],
    }
    assert by_app["api"]["chain"] == ["pydantic>=2.5"]
    assert by_app["api"]["origin"]["file"] == "services/api/pyproject.toml"
    assert by_app["api"]["origin"]["line"] == 10
    assert (
        "web → fastapi==0.95.2 → pydantic<2,>=1.6.2 (services/web/requirements.txt:3)"
        in conflict["message"]
    )
    assert "api → pydantic>=2.5 (services/api/pyproject.toml:10)" in conflict["message"]
    assert conflict["id"] == "version:pydantic"
    assert [side["id"].startswith("version:pydantic:") for side in conflict["sides"]] == [True] * 2

    groups = {g["name"]: g for g in data["groups"]}
    assert sorted(tuple(g["apps"]) for g in groups.values()) == [("api",), ("web",)]
    locks = {g["name"]: {p["name"]: p["version"] for p in g["lock"]} for g in data["groups"]}
    assert locks["web"]["pydantic"] == "1.10.13"
    assert locks["web"]["fastapi"] == "0.95.2"
    assert locks["api"]["pydantic"] == "2.6.0"
    assert all(p["hashes"] for g in data["groups"] for p in g["lock"])
    assert data["partition"]["lower_bound"] == 2
    # Each group resolves on its own (and the two together do not).
    with Finder(IndexConfig(index_url=world.file_url, cache_dir=root / ".c")) as finder:
        web = [_requirement("fastapi==0.95.2")]
        api = [_requirement("pydantic>=2.5")]
        for group in data["groups"]:
            reqs = {"web": web, "api": api}
            apps = {a: reqs[a] for a in group["apps"]}
            assert check_union(apps, target=Target(), python=group["python"], finder=finder) is None
        assert (
            check_union({"web": web, "api": api}, target=Target(), python="3.12", finder=finder)
            is not None
        )
    assert elapsed < 10  # about 0.3 s on a laptop


def test_without_transitive_the_scenario_shows_no_conflict_and_reads_no_index(
    tree: Callable[[dict[str, str | bytes]], Path], run: Run
) -> None:
    root = issue_repo(tree)
    code, out, _ = run("analyze", str(root), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["conflicts"] == []
    assert "transitive" not in data
    assert all("lock" not in g for g in data["groups"])


def test_index_options_need_transitive(
    tree: Callable[[dict[str, str | bytes]], Path], run: Run
) -> None:
    root = issue_repo(tree)
    code, out, err = run(
        "analyze", str(root), "--no-index-facts", "--index-url", "file:///nowhere/"
    )
    assert code == 2
    assert out == ""
    assert "--index-url only apply with the index facts or --transitive" in err


def test_generate_writes_a_hashed_lock_that_pip_installs(
    tree: Callable[[dict[str, str | bytes]], Path], world: LocalIndex, run: Run
) -> None:
    root = issue_repo(tree)
    outdir = root / "deploy"
    code, out, err = run(
        "generate", str(root), "--transitive", "--index-url", world.file_url, "-o", str(outdir)
    )
    assert code == 0, err + out
    web = (outdir / "web" / "requirements.txt").read_text()
    assert "fastapi==0.95.2 \\\n    --hash=sha256:" in web
    assert "pydantic==1.10.13 \\\n    --hash=sha256:" in web
    assert "# from: web (services/web/requirements.txt:3)" in web
    assert "# via: fastapi (web)" in web
    api = (outdir / "api" / "requirements.txt").read_text()
    assert "pydantic==2.6.0 \\\n    --hash=sha256:" in api
    plan = json.loads((outdir / "depsplit-plan.json").read_text())
    assert {g["name"]: len(g["lock"]) for g in plan["groups"]} == {"api": 3, "web": 6}
    for group in ("web", "api"):
        result = pip_dry_run(world.files, "-r", str(outdir / group / "requirements.txt"))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Would install" in result.stdout
    # A second run changes nothing: the lock is deterministic.
    code, out, _ = run(
        "generate",
        str(root),
        "--transitive",
        "--index-url",
        world.file_url,
        "-o",
        str(outdir),
        "--check",
    )
    assert code == 0, out


# ---------------------------------------------------------------------------- interpreters


def test_a_cp311_only_wheel_forces_the_group_to_311(
    tree: Callable[[dict[str, str | bytes]], Path], world: LocalIndex, run: Run
) -> None:
    root = tree(
        {
            "ml/requirements.txt": "tensorflow==2.12.1\n",
            "web/requirements.txt": "idna\n",
        }
    )
    code, out, err = run(
        "analyze", str(root), "--transitive", "--index-url", world.file_url, "--format", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["conflicts"] == []
    assert data["unsatisfiable"] == []
    [group] = data["groups"]
    assert group["apps"] == ["ml", "web"]
    assert group["python"] == "3.11"
    pins = {p["name"]: p for p in group["lock"]}
    assert pins["tensorflow"]["version"] == "2.12.1"
    # Only the cp311 wheel is hashed: it is the only one a 3.11 container installs.
    assert len(pins["tensorflow"]["hashes"]) == 1


def test_a_python_floor_and_a_cp311_only_wheel_conflict(
    tree: Callable[[dict[str, str | bytes]], Path], world: LocalIndex, run: Run
) -> None:
    root = tree(
        {
            "ml/requirements.txt": "tensorflow==2.12.1\n",
            "new/pyproject.toml": '[project]\nname = "new"\nversion = "1"\n'
            'requires-python = ">=3.12"\ndependencies = ["idna"]\n',
        }
    )
    code, out, err = run(
        "analyze", str(root), "--transitive", "--index-url", world.file_url, "--format", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    [conflict] = data["conflicts"]
    assert (conflict["kind"], conflict["apps"]) == ("python", ["ml", "new"])
    assert "tensorflow" in conflict["message"]
    assert len(data["groups"]) == 2
    assert {g["apps"][0]: g["python"] for g in data["groups"]} == {"ml": "3.11", "new": "3.14"}


MARKER_WORLD = [
    *WORLD,
    Dist("oldlib", "1.0", ['pydantic<2; python_version < "3.11"']),
]


@pytest.mark.parametrize(("legacy_python", "conflict"), [(">=3.10,<3.11", True), (">=3.10", False)])
def test_a_transitive_conflict_behind_a_python_marker(
    tree: Callable[[dict[str, str | bytes]], Path],
    tmp_path: Path,
    run: Run,
    legacy_python: str,
    conflict: bool,
) -> None:
    index = build_index(tmp_path / "marker-index", MARKER_WORLD)
    root = tree(
        {
            "legacy/pyproject.toml": f'[project]\nname = "legacy"\nversion = "1"\n'
            f'requires-python = "{legacy_python}"\ndependencies = ["oldlib"]\n',
            "api/requirements.txt": "pydantic>=2.5\n",
        }
    )
    code, out, err = run(
        "analyze", str(root), "--transitive", "--index-url", index.file_url, "--format", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    if conflict:
        [found] = data["conflicts"]
        assert found["package"] == "pydantic"
        assert found["apps"] == ["api", "legacy"]
        legacy = next(r for r in requirements_of(found) if r["app"] == "legacy")
        assert legacy["chain"] == ["oldlib==1.0", "pydantic<2"]
        assert len(data["groups"]) == 2
    else:
        # On 3.14, the group's interpreter, the marker is false: one group.
        assert data["conflicts"] == []
        [group] = data["groups"]
        assert group["python"] == "3.14"


# ------------------------------------------------------------------------------ fail closed


def test_an_sdist_only_dependency_is_resolved_with_metadata_from_its_build_backend(
    tree: Callable[[dict[str, str | bytes]], Path], tmp_path: Path, run: Run
) -> None:
    """``antlrish`` 4.9.3 is only an sdist whose PKG-INFO (Metadata-Version 2.1) lists no
    dependency; its backend, asked in isolation, says it needs ``idna``: the lock has both,
    with no warning; a second run offline answers from the cache, to the byte."""
    index = build_index(tmp_path / "idx", [*WORLD, _sdist_only("ok")])
    root = tree({"a/requirements.txt": "antlrish==4.9.*\n", "b/requirements.txt": "idna\n"})
    args = ["analyze", str(root), "--transitive", "--index-url", index.file_url]
    args += ["--cache-dir", str(tmp_path / "cache"), "--format", "json"]
    code, out, err = run(*args)
    assert code == 0, err
    data = json.loads(out)
    assert [d for d in data["diagnostics"] if "antlrish" in d["message"]] == []
    [group] = data["groups"]
    assert {p["name"]: p["parents"] for p in group["lock"]} == {
        "antlrish": [""],
        "idna": ["", "antlrish"],
    }
    code, again, err = run(*args, "--offline")
    assert (code, again) == (0, out), err


def _sdist_only(backend: str) -> Dist:
    return Dist(
        "antlrish",
        "4.9.3",
        ["idna>=3"],
        tags=(),
        sdist=True,
        pkg_info_requires=False,
        backend=backend,
    )


def test_an_sdist_whose_backend_fails_is_an_error_naming_it(
    tree: Callable[[dict[str, str | bytes]], Path], tmp_path: Path, run: Run
) -> None:
    index = build_index(tmp_path / "idx", [*WORLD, _sdist_only("fail")])
    root = tree({"a/requirements.txt": "antlrish==4.9.*\n", "b/requirements.txt": "idna\n"})
    code, out, err = run(
        "analyze", str(root), "--transitive", "--index-url", index.file_url, "--format", "json"
    )
    assert code == 2, err
    [error] = [d["message"] for d in json.loads(out)["diagnostics"] if d["level"] == "error"]
    assert error.startswith(
        "transitive analysis stopped (a): antlrish: 4.9.3 is only published as a source "
        "distribution (antlrish-4.9.3.tar.gz) whose PKG-INFO does not declare its "
        "dependencies, and its metadata could not be prepared: its build backend failed: "
    )
    assert "RuntimeError: this backend cannot build here" in error
    assert error.endswith(f"(index {index.file_url})")


def _broken_world(tmp_path: Path) -> LocalIndex:
    broken = Dist("brokensdist", "1.0", tags=(), sdist=True, sdist_metadata=None)
    return build_index(tmp_path / "broken", [*WORLD, broken])


def test_an_unreadable_sdist_only_dependency_exits_2_naming_it(
    tree: Callable[[dict[str, str | bytes]], Path], tmp_path: Path, run: Run
) -> None:
    index = _broken_world(tmp_path)
    root = tree({"a/requirements.txt": "brokensdist\n", "b/requirements.txt": "idna\n"})
    code, out, _ = run(
        "analyze", str(root), "--transitive", "--index-url", index.file_url, "--format", "json"
    )
    assert code == 2
    data = json.loads(out)
    [error] = [d for d in data["diagnostics"] if d["level"] == "error"]
    assert "brokensdist" in error["message"]
    assert "not a readable archive" in error["message"]
    assert index.file_url in error["message"]


def test_generate_refuses_when_the_index_cannot_tell(
    tree: Callable[[dict[str, str | bytes]], Path], tmp_path: Path, run: Run
) -> None:
    index = _broken_world(tmp_path)
    root = tree({"a/requirements.txt": "brokensdist\n"})
    code, _, err = run(
        "generate", str(root), "--transitive", "--index-url", index.file_url, "-o", str(root / "d")
    )
    assert code == 2
    assert "brokensdist" in err
    assert not (root / "d").exists()


def test_an_unknown_package_is_a_conflict_of_its_app(
    tree: Callable[[dict[str, str | bytes]], Path], world: LocalIndex, run: Run
) -> None:
    root = tree({"a/requirements.txt": "fastapi==0.95.2\npydantic>=2.5\n"})
    code, out, _ = run(
        "analyze", str(root), "--transitive", "--index-url", world.file_url, "--format", "json"
    )
    assert code == 1  # --fail-on unsatisfiable
    data = json.loads(out)
    assert data["unsatisfiable"] == ["a"]
    [conflict] = data["conflicts"]
    assert conflict["apps"] == ["a"]
    assert conflict["package"] == "pydantic"
    assert conflict["message"] == (
        "a → fastapi==0.95.2 → pydantic<2,>=1.6.2 (a/requirements.txt:1) conflicts with "
        "a → pydantic>=2.5 (a/requirements.txt:2)"
    )
    assert {tuple(r["chain"]) for r in requirements_of(conflict)} == {
        ("fastapi==0.95.2", "pydantic<2,>=1.6.2"),
        ("pydantic>=2.5",),
    }


@pytest.fixture
def http_world(world: LocalIndex) -> Iterator[tuple[str, ServerState]]:
    with serve(world.root) as (base, state):
        yield base, state


def test_offline_with_a_cold_cache_exits_2_then_a_warm_cache_works(
    tree: Callable[[dict[str, str | bytes]], Path],
    http_world: tuple[str, ServerState],
    tmp_path: Path,
    run: Run,
) -> None:
    base, state = http_world
    root = issue_repo(tree)
    cache = str(tmp_path / "own-cache")
    index = f"{base}/simple/"
    args = ["analyze", str(root), "--transitive", "--index-url", index, "--cache-dir", cache]
    code, out, err = run(*args, "--offline", "--format", "json")
    assert code == 2, err
    assert state.requests == []
    data = json.loads(out)
    errors = sorted(d["message"] for d in data["diagnostics"] if d["level"] == "error")
    assert errors == [
        "transitive analysis stopped (api): pydantic: offline and the project page "
        f"{index}pydantic/ is not cached (index {index})",
        "transitive analysis stopped (web): fastapi: offline and the project page "
        f"{index}fastapi/ is not cached (index {index})",
    ]

    code, _, err = run(*args, "--format", "json")  # online: fills the cache
    assert code == 0, err
    seen = len(state.requests)
    assert seen > 0
    code, out, err = run(*args, "--offline", "--format", "json")
    assert code == 0, err
    assert len(state.requests) == seen  # nothing asked of the server
    assert len(json.loads(out)["conflicts"]) == 1


def test_credentials_never_appear_in_any_output(
    tree: Callable[[dict[str, str | bytes]], Path],
    world: LocalIndex,
    run: Run,
) -> None:
    root = issue_repo(tree)
    with serve(world.root, ServerState(auth=("u", "s3cr3t-pw"))) as (base, _state):
        index = base.replace("http://", "http://u:s3cr3t-pw@") + "/simple/"
        outputs = []
        for fmt in ("json", "text", "markdown", "sarif"):
            code, out, err = run(
                "analyze", str(root), "--transitive", "--index-url", index, "--format", fmt
            )
            assert code == 0, err
            outputs += [out, err]
        code, out, err = run(
            "generate", str(root), "--transitive", "--index-url", index, "-o", str(root / "deploy")
        )
        assert code == 0, err
        outputs += [out, err]
        outputs += [p.read_text() for p in (root / "deploy").rglob("*") if p.is_file()]
        # A wrong password: the error names the index, redacted.
        bad = base.replace("http://", "http://u:wr0ng-pw@") + "/simple/"
        fresh = str(root.parent / "fresh-cache")  # the cache would answer without asking
        code, out, err = run(
            "analyze",
            str(root),
            "--transitive",
            "--index-url",
            bad,
            "--format",
            "json",
            "--cache-dir",
            fresh,
        )
        assert code == 2
        outputs += [out, err]
        assert "u:****@127.0.0.1" in out
    for cache in (Path(os.environ["DEPSPLIT_CACHE_DIR"]), root.parent / "fresh-cache"):
        outputs += [
            p.read_bytes().decode("utf-8", "replace") for p in cache.rglob("*") if p.is_file()
        ]
    assert outputs
    for text in outputs:
        assert "s3cr3t-pw" not in text
        assert "wr0ng-pw" not in text


def test_query_credentials_never_appear_in_any_output(
    tree: Callable[[dict[str, str | bytes]], Path],
    world: LocalIndex,
    run: Run,
) -> None:
    """An index authenticated by a query value (``?token=``, GitLab's ``?private_token=``):
    used to fetch, never shown, cached or written (issue 16.2)."""
    root = issue_repo(tree)
    with serve(world.root, ServerState(token="s3cr3t-qt")) as (base, state):
        index = f"{base}/simple/?token=s3cr3t-qt"
        outputs = []
        for fmt in ("json", "text", "markdown", "sarif", "github"):
            code, out, err = run(
                "analyze", str(root), "--transitive", "--index-url", index, "--format", fmt
            )
            assert code == 0, err
            outputs += [out, err]
        assert ("/simple/fastapi/?token=s3cr3t-qt", "") in [
            (p, "") for p, _ in state.requests
        ]  # each project has its page, the token still in the query
        code, out, err = run(
            "generate", str(root), "--transitive", "--index-url", index, "-o", str(root / "deploy")
        )
        assert code == 0, err
        outputs += [out, err]
        outputs += [p.read_text() for p in (root / "deploy").rglob("*") if p.is_file()]
        code, out, err = run("explain", "pydantic", str(root), "--transitive", "--index-url", index)
        outputs += [out, err]
        code, out, err = run(
            "graph", str(root), "--transitive", "--index-url", index, "--format", "json"
        )
        outputs += [out, err]
        bad = f"{base}/simple/?private_token=wr0ng-qt"
        fresh = str(root.parent / "fresh-cache")
        code, out, err = run(
            "analyze",
            str(root),
            "--transitive",
            "--index-url",
            bad,
            "--format",
            "json",
            "--cache-dir",
            fresh,
        )
        assert code == 2
        outputs += [out, err]
        assert "access denied (HTTP 401)" in out
        assert "/simple/?private_token=****" in out
    for cache in (Path(os.environ["DEPSPLIT_CACHE_DIR"]), root.parent / "fresh-cache"):
        files = [p for p in cache.rglob("*") if p.is_file()]
        outputs += [str(p) for p in files]
        outputs += [p.read_bytes().decode("utf-8", "replace") for p in files]
    assert outputs
    for text in outputs:
        assert "s3cr3t-qt" not in text
        assert "wr0ng-qt" not in text


def test_a_redacted_index_in_a_requirements_file_falls_back_with_a_warning(
    tree: Callable[[dict[str, str | bytes]], Path], world: LocalIndex, run: Run
) -> None:
    root = tree(
        {
            "services/web/requirements.txt": "--extra-index-url https://deploy:t0ken@private.example/simple\n"
            + WEB,
            "services/api/pyproject.toml": API,
        }
    )
    code, out, err = run(
        "analyze", str(root), "--transitive", "--index-url", world.file_url, "--format", "json"
    )
    assert code == 0, err
    assert "t0ken" not in out + err
    data = json.loads(out)
    [warning] = [d for d in data["diagnostics"] if "cannot be used" in d["message"]]
    assert (warning["level"], warning["file"], warning["line"]) == (
        "warning",
        "services/web/requirements.txt",
        1,
    )
    assert world.file_url in warning["message"]
    assert len(data["conflicts"]) == 1


def test_an_index_recorded_in_a_requirements_file_is_used(
    tree: Callable[[dict[str, str | bytes]], Path], world: LocalIndex, tmp_path: Path, run: Run
) -> None:
    other = build_index(tmp_path / "other", [Dist("private-lib", "1.0", ["pydantic<2"])])
    root = tree(
        {
            "web/requirements.txt": f"--extra-index-url {other.file_url}\nprivate-lib\n",
            "api/requirements.txt": "pydantic>=2.5\n",
        }
    )
    code, out, err = run(
        "analyze", str(root), "--transitive", "--index-url", world.file_url, "--format", "json"
    )
    assert code == 0, err
    [conflict] = json.loads(out)["conflicts"]
    assert conflict["package"] == "pydantic"
    web = next(r for r in requirements_of(conflict) if r["app"] == "web")
    assert web["chain"] == ["private-lib==1.0", "pydantic<2"]


def test_a_local_path_requirement_is_left_out_with_a_warning(
    tree: Callable[[dict[str, str | bytes]], Path], world: LocalIndex, run: Run
) -> None:
    root = tree(
        {
            "web/requirements.txt": WEB + "./libs/common#egg=common\n",
            "web/libs/common/setup.py": "",
            "api/requirements.txt": "pydantic>=2.5\n",
        }
    )
    code, out, err = run(
        "analyze", str(root), "--transitive", "--index-url", world.file_url, "--format", "json"
    )
    data = json.loads(out)
    assert code == 0, err + out
    [warning] = [d for d in data["diagnostics"] if "not resolved through the index" in d["message"]]
    assert warning["file"] == "web/requirements.txt"
    assert warning["line"] == 4
    assert len(data["conflicts"]) == 1


# ------------------------------------------------------- a Python that works, deterministic

OLD_STACK = [
    Dist("flaskish", "1.1.1", ["safe>=2.0"]),
    Dist(
        "safe",
        "2.0.1",
        tags=[f"cp3{m}-cp3{m}-manylinux_2_17_x86_64" for m in (9, 10)],
        sdist=True,
    ),
    Dist("six", "1.16.0"),
    Dist("six", "1.4.1", tags=(), sdist=True, sdist_metadata="1.1"),
    Dist("six", "1.3.0"),
]


def test_an_app_whose_wheels_stop_at_310_gets_310_not_exit_2(
    tree: Callable[[dict[str, str | bytes]], Path], tmp_path: Path, run: Run
) -> None:
    """markupsafe 2.0.1 has no cp314 wheel: the newest minor is skipped, not fatal."""
    index = build_index(tmp_path / "old", [*WORLD, *OLD_STACK])
    root = tree({"legacy/requirements.txt": "flaskish==1.1.1\n", "web/requirements.txt": "idna\n"})
    args = ["analyze", str(root), "--transitive", "--index-url", index.file_url]
    code, out, err = run(*args, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [d for d in data["diagnostics"] if d["level"] == "error"] == []
    [group] = data["groups"]
    assert group["python"] == "3.10"
    assert {p["name"]: p["version"] for p in group["lock"]}["safe"] == "2.0.1"
    # Fixed at 3.14, it cannot be installed: a finding (exit 1) naming why, not exit 2.
    code, out, err = run(*args, "--python", "3.14", "--format", "json")
    assert code == 1, err
    data = json.loads(out)
    assert data["unsatisfiable"] == ["legacy"]
    [conflict] = data["conflicts"]
    assert "no release of safe>=2.0 installs on CPython 3.14" in conflict["message"]


def test_cold_warm_and_reordered_replies_give_the_same_report_to_the_byte(
    tree: Callable[[dict[str, str | bytes]], Path], tmp_path: Path, run: Run
) -> None:
    index = build_index(tmp_path / "old", [*WORLD, *OLD_STACK])
    mirror = build_index(tmp_path / "mirror", [*WORLD, *OLD_STACK])
    root = tree(
        {
            "services/web/requirements.txt": WEB,
            "services/api/pyproject.toml": API,
            "legacy/requirements.txt": "flaskish==1.1.1\nsix<1.16\n",
            "modern/requirements.txt": "six>=1.16\nsdistonly\n",
            "plain/requirements.txt": "idna\nanyio\n",
        }
    )
    reports = []
    orders: list[dict[str, float]] = [
        {},
        {},  # warm
        {"/simple/p": 0.2, "/simple/s": 0.1},  # cold again, replies in another order
        {"/simple/f": 0.2, "/files/": 0.05},
    ]
    for attempt, delay in enumerate(orders):
        cache = tmp_path / ("cache" if attempt < 2 else f"cache{attempt}")
        with serve(index.root, ServerState(delay=delay)) as (base, _state):
            code, out, err = run(
                "analyze",
                str(root),
                "--transitive",
                "--index-url",
                f"{base}/simple/",
                "--extra-index-url",
                mirror.file_url,
                "--find-links",
                str(mirror.files),
                "--cache-dir",
                str(cache),
                "--format",
                "json",
            )
        assert code == 0, err  # conflicts (web and api; legacy and modern on six): no policy
        reports.append(out.replace(base, "http://INDEX"))
    assert reports[1] == reports[0]
    assert reports[2] == reports[0]
    assert reports[3] == reports[0]
    data = json.loads(reports[0])
    assert {c["package"] for c in data["conflicts"]} >= {"pydantic", "six"}
    warnings = [d["message"] for d in data["diagnostics"] if d["level"] == "warning"]
    assert not any("sdistonly" in w for w in warnings)  # its backend gave its metadata


# ------------------------------------------------------------- resolutions that do not finish

# ``deep`` 1…40 each need ``leaf`` of the same version; ``other`` needs ``leaf<=1``: ``deep``
# beside ``other`` makes the resolver go back through every release of ``deep`` (121 rounds)
# before it finds 1.
DEEP = [
    *(Dist("deep", str(i), [f"leaf=={i}"]) for i in range(1, 41)),
    *(Dist("leaf", str(i)) for i in range(0, 41)),
    Dist("other", "1", ["leaf<=1"]),
]


def test_a_union_that_does_not_finish_keeps_its_apps_apart_with_a_warning(
    tree: Callable[[dict[str, str | bytes]], Path],
    tmp_path: Path,
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = build_index(tmp_path / "deep", DEEP)
    root = tree({"a/requirements.txt": "deep\n", "b/requirements.txt": "other\n"})
    args = ["analyze", str(root), "--transitive", "--python", "3.12", "--format", "json"]
    args += ["--index-url", index.file_url, "--cache-dir", str(tmp_path / "c")]
    code, out, err = run(*args)
    assert code == 0, err
    assert [g["apps"] for g in json.loads(out)["groups"]] == [["a", "b"]]

    monkeypatch.setattr("depsplit.transitive.session.MAX_ROUNDS", 20)
    code, out, err = run(*args)
    assert code == 0, err
    data = json.loads(out)
    assert [g["apps"] for g in data["groups"]] == [["a"], ["b"]]
    assert all(g["lock"] for g in data["groups"])
    assert data["conflicts"] == []  # not proven: no conflict is claimed
    messages = [d["message"] for d in data["diagnostics"]]
    assert (
        "--transitive: a, b are kept apart: resolving them together at CPython 3.12 did not "
        "finish within the resolver's round limit (not proven impossible; a group is only "
        "formed when its resolution finishes)"
    ) in messages
    assert any("1 of 1 candidate conflicts" in m and ": leaf (a, b)" in m for m in messages)


def test_an_app_whose_resolution_does_not_finish_is_an_error_naming_it(
    tree: Callable[[dict[str, str | bytes]], Path],
    tmp_path: Path,
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = build_index(tmp_path / "deep", DEEP)
    root = tree({"hard/requirements.txt": "deep\nother\n", "easy/requirements.txt": "leaf\n"})
    args = ["analyze", str(root), "--transitive", "--python", "3.12", "--format", "json"]
    args += ["--index-url", index.file_url, "--cache-dir", str(tmp_path / "c")]
    monkeypatch.setattr("depsplit.transitive.session.MAX_ROUNDS", 20)
    code, out, err = run(*args)
    assert code == 2, err
    errors = [d["message"] for d in json.loads(out)["diagnostics"] if d["level"] == "error"]
    assert errors == [
        "transitive analysis stopped (hard): dependency resolution did not finish within 20 "
        "rounds at CPython 3.12"
    ]


def test_a_lock_names_the_extras_asked_of_a_package_so_pip_accepts_it(
    tree: Callable[[dict[str, str | bytes]], Path], world: LocalIndex, run: Run
) -> None:
    """``fastapi-cli → uvicorn[standard]``: pip in ``--require-hashes`` mode refused the
    lock's ``uvicorn==0.55.0`` ("all requirements must have their versions pinned with
    ==": ``uvicorn[standard]>=0.15.0`` was not), and ``pydantic[email]==2.11.7`` alone
    (``fastapi → pydantic`` was not): both lines are written."""
    root = tree({"app/requirements.txt": "withextras[pretty]\n"})
    outdir = root / "deploy"
    code, _out, err = run(
        "generate", str(root), "--transitive", "--index-url", world.file_url, "-o", str(outdir)
    )
    assert code == 0, err
    lock = (outdir / "app" / "requirements.txt").read_text()
    assert "\nwithextras==1.0 \\\n    --hash=sha256:" in lock  # for plain requirements
    assert "\nwithextras[pretty]==1.0 \\\n    --hash=sha256:" in lock
    plan = json.loads((outdir / "depsplit-plan.json").read_text())
    [group] = plan["groups"]
    assert {p["name"]: p["extras"] for p in group["lock"]} == {
        "idna": [],
        "rich": [],
        "withextras": ["pretty"],
    }
    lock_path = str(outdir / "app" / "requirements.txt")
    result = pip_dry_run(world.files, "--require-hashes", "-r", lock_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_release_with_invalid_metadata_is_ignored_with_a_warning(
    tree: Callable[[dict[str, str | bytes]], Path], tmp_path: Path, run: Run
) -> None:
    """``uvicorn`` 0.14.0 says ``Requires-Dist: click (>=7.*)``: pip (24.1 on) ignores that
    release, and so does the analysis (it used to stop with exit 2). The app resolves on
    the release before, and the report says which release was ignored and why."""
    index = build_index(
        tmp_path / "invalid",
        [
            Dist("server", "0.13.0", ["click>=7"]),
            Dist("server", "0.14.0", ["click (>=7.*)"]),
            Dist("click", "8.0"),
        ],
    )
    root = tree({"a/requirements.txt": "server\n", "b/requirements.txt": "click<9\n"})
    code, out, err = run(
        "analyze", str(root), "--transitive", "--index-url", index.file_url, "--format", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["conflicts"] == []
    [group] = data["groups"]
    assert {p["name"]: p["version"] for p in group["lock"]} == {"server": "0.13.0", "click": "8.0"}
    assert [d["message"] for d in data["diagnostics"] if "ignored" in d["message"]] == [
        "--transitive: server 0.14.0 is ignored, as pip (24.1 on) ignores a release whose "
        "metadata is invalid: server-0.14.0-py3-none-any.whl: invalid Requires-Dist "
        "'click (>=7.*)': .* suffix can only be used with `==` or `!=` operators"
    ]
