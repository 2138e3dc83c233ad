"""``generate`` locks each group of the direct analysis (``--lock``, its default with the
index facts): the group's apps resolved together through the index at the group's Python,
written as pins with hashes, so that the image installs exactly them. Offline: every index
is built by the test."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from localindex import Dist, build_index
from test_pysupport import Run, Tree

pytestmark = pytest.mark.usefixtures("no_pip_config")

WORLD = [
    Dist("web", "1.0", requires=["helper>=1"]),
    Dist("helper", "1.0"),
    Dist("helper", "2.0"),
    Dist("old", "1.0", requires=["helper<2"]),
    Dist("new", "1.0", requires=["helper>=2"]),
]


def _generate(run: Run, root: Path, index_url: str, *extra: str) -> tuple[int, str, Path]:
    out = root / "deploy"
    code, _, err = run(
        "generate", str(root), "-o", str(out), "--index-url", index_url, "--index-facts", *extra
    )
    return code, err, out


def _requirements_of(out: Path) -> tuple[Path, str]:
    """The one group's directory and its ``requirements.txt``."""
    [group_dir] = [p for p in out.iterdir() if (p / "requirements.txt").is_file()]
    return group_dir, (group_dir / "requirements.txt").read_text(encoding="utf-8")


def test_each_group_is_written_as_its_lock_and_pip_installs_it_with_hashes(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    index = build_index(tmp_path / "index", WORLD)
    root = tree({"a/requirements.txt": "web\n", "b/requirements.txt": "old\n"})
    code, err, out = _generate(run, root, index.file_url)
    assert code == 0, err
    group_dir, text = _requirements_of(out)
    for pin in ("web==1.0", "old==1.0", "helper==1.0"):
        assert f"\n{pin} \\\n    --hash=sha256:" in text
    plan = json.loads((out / "depsplit-plan.json").read_text(encoding="utf-8"))
    [group] = plan["groups"]
    assert [(p["name"], p["version"]) for p in group["lock"]] == [
        ("helper", "1.0"),
        ("old", "1.0"),
        ("web", "1.0"),
    ]
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--isolated", "--no-cache-dir",
         "--disable-pip-version-check", "--dry-run", "--require-hashes",
         "--index-url", index.file_url, "--target", str(tmp_path / "t"),
         "-r", str(group_dir / "requirements.txt")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    assert "Would install helper-1.0 old-1.0 web-1.0" in installed.stdout


def test_a_group_whose_apps_do_not_resolve_together_is_said_and_left_unlocked(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    # old and new share no direct requirement: the direct analysis groups them, but their
    # dependencies need helper<2 and helper>=2. The lock says so; the file stays as written.
    index = build_index(tmp_path / "index", WORLD)
    root = tree({"a/requirements.txt": "old\n", "b/requirements.txt": "new\n"})
    code, err, out = _generate(run, root, index.file_url)
    assert code == 0, err
    assert "warning: group 'a' is not locked at CPython 3.14: its apps' requirements do not " in err
    assert "helper<2" in err
    assert "helper>=2" in err
    _, text = _requirements_of(out)
    assert "\nold\n" in text
    assert "\nnew\n" in text
    assert "--hash" not in text
    plan = json.loads((out / "depsplit-plan.json").read_text(encoding="utf-8"))
    assert plan["groups"][0]["lock"] == []


def test_no_lock_writes_the_apps_requirements_as_written(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    index = build_index(tmp_path / "index", WORLD)
    root = tree({"a/requirements.txt": "web\n"})
    code, err, out = _generate(run, root, index.file_url, "--no-lock")
    assert code == 0, err
    _, text = _requirements_of(out)
    assert "\nweb\n" in text
    assert "helper" not in text


def test_a_release_the_image_compiles_is_locked_through_its_sdist(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    # winonly 1.0 has wheels for Windows only: the image's builder stage compiles its sdist,
    # and the lock pins it with the sdist's hash (what pip wheel checks in the builder).
    index = build_index(
        tmp_path / "index",
        [
            *WORLD,
            Dist(
                "winonly",
                "1.0",
                requires=["helper"],
                tags=("cp314-cp314-win_amd64",),
                sdist=True,
                sdist_metadata="2.2",
            ),
        ],
    )
    root = tree({"a/requirements.txt": "winonly==1.0\nweb\n"})
    code, err, out = _generate(run, root, index.file_url)
    assert code == 0, err
    assert "not locked" not in err
    plan = json.loads((out / "depsplit-plan.json").read_text(encoding="utf-8"))
    [group] = plan["groups"]
    assert [b["package"] for b in group["builds"]] == ["winonly"]
    [pin] = [p for p in group["lock"] if p["name"] == "winonly"]
    sdist = (index.files / "winonly-1.0.tar.gz").read_bytes()
    assert pin["hashes"] == [f"sha256:{hashlib.sha256(sdist).hexdigest()}"]
    assert ("helper", "2.0") in [(p["name"], p["version"]) for p in group["lock"]]
    dockerfile = (out / group["name"] / "Dockerfile").read_text(encoding="utf-8")
    assert " AS builder" in dockerfile


def _locked(out: Path) -> dict[str, str]:
    plan = json.loads((out / "depsplit-plan.json").read_text(encoding="utf-8"))
    return {p["name"]: p["version"] for g in plan["groups"] for p in g["lock"]}


@pytest.mark.parametrize("mode", [(), ("--transitive",)], ids=["direct", "transitive"])
def test_a_new_run_keeps_the_previous_lock_s_pins_until_upgrade(
    tree: Tree, tmp_path: Path, run: Run, mode: tuple[str, ...]
) -> None:
    # As pip-compile keeps its output file's pins: a release published since the last run
    # does not change the lock (so generate --check stays green) until --upgrade asks.
    before = build_index(tmp_path / "before", [d for d in WORLD if d.version != "2.0"])
    after = build_index(tmp_path / "after", WORLD)
    root = tree({"a/requirements.txt": "web\n"})
    code, err, out = _generate(run, root, before.file_url, *mode)
    assert code == 0, err
    assert _locked(out)["helper"] == "1.0"
    code, err, out = _generate(run, root, after.file_url, "--check", *mode)
    assert code == 0, err
    code, err, out = _generate(run, root, after.file_url, *mode)
    assert code == 0, err
    assert _locked(out)["helper"] == "1.0"
    code, err, out = _generate(run, root, after.file_url, "--upgrade", *mode)
    assert code == 0, err
    assert _locked(out)["helper"] == "2.0"
    # A kept pin the requirements no longer allow is resolved afresh.
    code, err, out = _generate(run, root, before.file_url, "--force", *mode)
    assert _locked(out)["helper"] == "1.0"
    (root / "a" / "requirements.txt").write_text("web\nhelper>=2\n", encoding="utf-8")
    code, err, out = _generate(run, root, after.file_url, *mode)
    assert code == 0, err
    assert _locked(out)["helper"] == "2.0"


@pytest.mark.parametrize("mode", [(), ("--transitive",)], ids=["direct", "transitive"])
def test_a_dependency_the_lock_installs_from_its_sdist_is_among_the_builds(
    tree: Tree, tmp_path: Path, run: Run, mode: tuple[str, ...]
) -> None:
    # No requirement names srconly (published as an sdist only): the lock brings it through
    # web2, and the image must build it, so the group lists it and gets a builder stage.
    index = build_index(
        tmp_path / "index",
        [
            *WORLD,
            Dist("web2", "1.0", requires=["srconly"]),
            Dist("srconly", "0.5", tags=(), sdist=True, sdist_metadata="2.2"),
        ],
    )
    root = tree({"a/requirements.txt": "web2\n"})
    code, err, out = _generate(run, root, index.file_url, *mode)
    assert code == 0, err
    plan = json.loads((out / "depsplit-plan.json").read_text(encoding="utf-8"))
    [group] = plan["groups"]
    assert [(p["name"], p["version"]) for p in group["lock"]] == [
        ("srconly", "0.5"),
        ("web2", "1.0"),
    ]
    [build] = group["builds"]
    assert (build["package"], build["version"]) == ("srconly", "0.5")
    assert "sdist only" in build["reason"]
    dockerfile = (out / group["name"] / "Dockerfile").read_text(encoding="utf-8")
    assert " AS builder" in dockerfile
    assert "srconly 0.5" in dockerfile


def test_the_lock_prefers_an_older_wheel_to_building_the_newest_sdist(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    # mm 1.5, the newest in range, has wheels for CPython 3.9 only (and an sdist); the app
    # needs 3.14 (modern), where the index facts name mm 1.5 as built from its sdist. The
    # image's pip (--prefer-binary) would install mm 1.0's wheel instead, and so does the
    # lock: nothing is left to build, no builder stage.
    index = build_index(
        tmp_path / "index",
        [
            Dist("mm", "1.0"),
            Dist("mm", "1.5", tags=("cp39-cp39-manylinux_2_17_x86_64",), sdist=True,
                 sdist_metadata="2.2"),
            Dist("modern", "1.0", requires_python=">=3.14"),
        ],
    )  # fmt: skip
    root = tree({"a/requirements.txt": "mm<2\nmodern==1.0\n"})
    code, err, out = _generate(run, root, index.file_url, "--no-lock")
    assert code == 0, err
    plan = json.loads((out / "depsplit-plan.json").read_text(encoding="utf-8"))
    assert [(b["package"], b["version"]) for b in plan["groups"][0]["builds"]] == [("mm", "1.5")]
    code, err, out = _generate(run, root, index.file_url, "--force")
    assert code == 0, err
    plan = json.loads((out / "depsplit-plan.json").read_text(encoding="utf-8"))
    [group] = plan["groups"]
    assert group["python"] == "3.14"
    assert ("mm", "1.0") in [(p["name"], p["version"]) for p in group["lock"]]
    assert group["builds"] == []
    assert " AS builder" not in (out / group["name"] / "Dockerfile").read_text(encoding="utf-8")


def test_a_previous_plan_with_a_broken_lock_only_loses_its_preferences(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    # A hand-edited depsplit-plan.json: lock entries that are not a name and a version, a
    # version that is not PEP 440, a lock that is not a list. The run resolves afresh.
    index = build_index(tmp_path / "index", WORLD)
    root = tree({"a/requirements.txt": "web\n"})
    code, err, out = _generate(run, root, index.file_url)
    assert code == 0, err
    plan_file = out / "depsplit-plan.json"
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    plan["groups"][0]["lock"] = [{"name": 3}, {"name": "helper", "version": "one"}, "web"]
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    code, err, out = _generate(run, root, index.file_url, "--force")
    assert code == 0, err
    assert _locked(out)["helper"] == "2.0"
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    plan["groups"][0]["lock"] = {"helper": "1.0"}
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    code, err, out = _generate(run, root, index.file_url, "--force")
    assert code == 0, err
    assert _locked(out)["helper"] == "2.0"


def test_a_release_the_locks_leave_out_for_invalid_metadata_is_named(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    """As ``--transitive`` says it: the lock takes the release before, as pip (24.1 on)
    does, and the run says which release was left out and why."""
    index = build_index(
        tmp_path / "index",
        [
            Dist("server", "0.13.0", ["click>=7"]),
            Dist("server", "0.14.0", ["click (>=7.*)"]),
            Dist("click", "8.0"),
        ],
    )
    root = tree({"a/requirements.txt": "server\n"})
    code, err, out = _generate(run, root, index.file_url)
    assert code == 0, err
    _, text = _requirements_of(out)
    assert "\nserver==0.13.0 \\\n" in text
    assert (
        "warning: the locks leave out server 0.14.0, as pip (24.1 on) ignores a release "
        "whose metadata is invalid: server-0.14.0-py3-none-any.whl: invalid Requires-Dist "
        "'click (>=7.*)'"
    ) in err
