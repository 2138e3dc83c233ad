"""What pinned releases require in turn, in the default (index facts) analysis, offline.

Every index here is built by the test (tests/index/localindex.py). What is asserted is what a
user sees: the JSON report's conflicts (with the chain to the pin), groups, builds and
diagnostics, the exit code, and that the generated requirements stay the app's own lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from localindex import Dist, build_index, serve
from reportdata import requirements_of, side_apps

# The index-facts helpers (the CLI runner fixture, the JSON analysis, wheel tags).
from test_pysupport import Run, Tree, analyze_json, group_of, wheels_for

pytestmark = pytest.mark.usefixtures("no_pip_config")


GAMES = [
    Dist("arcade", "2.6.10", requires=["pillow~=9.0.0", "pyglet==2.0.dev13"]),
    Dist("pyglet", "2.0.dev13"),
    Dist("pillow", "9.0.1"),
    Dist("pillow", "9.5.0"),
]


def test_a_pin_s_dependency_conflicts_with_another_app_s_pin(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    index = build_index(tmp_path / "index", GAMES)
    root = tree(
        {
            "apps/games/requirements.txt": "# games\narcade==2.6.10\n",
            "apps/images/requirements.txt": "Pillow==9.5.0\n",
        }
    )
    code, data, _ = analyze_json(run, root, index)
    assert code == 0
    [conflict] = data["conflicts"]
    assert conflict["kind"] == "version"
    assert conflict["package"].lower() == "pillow"
    assert conflict["apps"] == ["games", "images"]
    games = next(r for r in requirements_of(conflict) if r["app"] == "games")
    # Traced to the pin's line, with the release it comes through.
    assert games["origin"]["file"] == "apps/games/requirements.txt"
    assert games["origin"]["line"] == 2
    assert games["chain"] == ["arcade==2.6.10", "pillow~=9.0.0"]
    assert "through arcade==2.6.10" in conflict["message"]
    assert group_of(data, "games")["name"] != group_of(data, "images")["name"]
    # Without the index nothing links the two files: one group.
    code, out, _ = run("analyze", str(root), "--no-index-facts", "--format", "json")
    assert json.loads(out)["conflicts"] == []


def test_a_pin_whose_own_dependencies_conflict_with_the_app_makes_it_unsatisfiable(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    """pip refuses ``arcade==2.6.10`` with ``Pillow==9.5.0`` in one file: so does depsplit."""
    index = build_index(tmp_path / "index", GAMES)
    root = tree({"apps/games/requirements.txt": "arcade==2.6.10\nPillow==9.5.0\n"})
    code, data, _ = analyze_json(run, root, index)
    assert data["unsatisfiable"] == ["games"]
    assert code == 1


def test_exact_pins_are_followed_and_their_python_support_counts(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    """playwright 1.35.0 pins greenlet==2.0.2, whose wheels stop at cp311: the group's
    Python is 3.11, not the newest, though the app names neither."""
    index = build_index(
        tmp_path / "index",
        [
            Dist("playwright", "1.35.0", requires=["greenlet==2.0.2", "pyee==9.0.4"]),
            Dist("greenlet", "2.0.2", tags=wheels_for("3.10", "3.11")),
            Dist("pyee", "9.0.4", requires=["typing-extensions==4.0.0"]),
            Dist("typing-extensions", "4.0.0", requires_python="<3.13"),
        ],
    )
    root = tree({"apps/browser/requirements.txt": "playwright==1.35.0\n"})
    code, data, _ = analyze_json(run, root, index)
    assert code == 0
    assert group_of(data, "browser")["python"] == "3.11"
    [app] = data["apps"]
    evidence = [o["evidence"] for o in app["python_origins"] if o.get("evidence")]
    assert "greenlet 2.0.2: wheels for cp310–cp311 only (manylinux x86_64)" in evidence
    # Two exact pins deep: pyee 9.0.4 → typing-extensions 4.0.0 (Requires-Python <3.13).
    assert any(e.startswith("typing-extensions 4.0.0: Requires-Python <3.13") for e in evidence)


def test_a_dependency_published_only_as_an_sdist_is_named_among_the_builds(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    index = build_index(
        tmp_path / "index",
        [
            Dist("graphene", "2.1.8", requires=["promise>=2.1"]),
            Dist("promise", "2.3", tags=(), sdist=True),
        ],
    )
    root = tree({"apps/api/requirements.txt": "graphene==2.1.8\n"})
    code, data, _ = analyze_json(run, root, index)
    assert code == 0
    [build] = group_of(data, "api")["builds"]
    assert build["package"] == "promise"
    assert build["version"] == "2.3"


def test_markers_and_extras_of_dependencies_are_evaluated_for_the_container(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    index = build_index(
        tmp_path / "index",
        [
            Dist(
                "lib",
                "1.0",
                requires=[
                    "winonly==1.0; sys_platform == 'win32'",
                    "oldpy==1.0; python_version < '3.0'",
                    "fast==2.0; extra == 'speed'",
                ],
                extras=["speed"],
            ),
            Dist("winonly", "1.0"),
            Dist("winonly", "2.0"),
            Dist("oldpy", "1.0"),
            Dist("oldpy", "2.0"),
            Dist("fast", "1.0"),
            Dist("fast", "2.0"),
        ],
    )
    root = tree(
        {
            "apps/plain/requirements.txt": "lib==1.0\nwinonly==2.0\noldpy==2.0\nfast==1.0\n",
            "apps/speedy/requirements.txt": "lib[speed]==1.0\n",
            "apps/other/requirements.txt": "fast==1.0\n",
        }
    )
    code, data, _ = analyze_json(run, root, index)
    # winonly (Windows only) and oldpy (Python 2 only) never reach a Linux CPython 3
    # container, and fast==2.0 only with the extra: the one conflict is speedy's fast.
    assert code == 0
    [conflict] = data["conflicts"]
    assert conflict["package"] == "fast"
    # fast==1.0: plain and other; fast==2.0 through lib[speed]: speedy.
    assert side_apps(conflict) == [["other", "plain"], ["speedy"]]
    [speedy] = [r for r in requirements_of(conflict) if r["app"] == "speedy"]
    assert speedy["chain"] == ["lib==1.0", "fast==2.0"]
    assert group_of(data, "plain")["name"] == group_of(data, "other")["name"]
    assert "plain" not in data["unsatisfiable"]


def test_generated_requirements_hold_the_app_s_own_lines_only(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    index = build_index(tmp_path / "index", GAMES)
    root = tree({"apps/games/requirements.txt": "arcade==2.6.10\n"})
    out = root / "deploy"
    index_options = ("--index-facts", "--index-url", index.file_url)
    code, _, err = run("generate", str(root), "-o", str(out), *index_options, "--no-lock")
    assert code == 0, err
    [group_dir] = [p for p in out.iterdir() if (p / "requirements.txt").is_file()]
    text = (group_dir / "requirements.txt").read_text()
    assert "arcade==2.6.10" in text
    assert "pillow" not in text.lower()
    # Locked (generate's default), the file is the resolution: what arcade needs is pinned.
    code, _, err = run("generate", str(root), "-o", str(out), *index_options, "--force")
    assert code == 0, err
    text = (group_dir / "requirements.txt").read_text()
    assert "arcade==2.6.10 \\\n    --hash=sha256:" in text
    assert "pillow==9.0.1 \\\n    --hash=sha256:" in text


def test_an_sdist_with_dynamic_dependencies_is_a_warning_not_a_silent_pass(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    index = build_index(
        tmp_path / "index",
        [Dist("legacy", "0.1", requires=["six"], tags=(), sdist=True, sdist_metadata="2.1")],
    )
    root = tree({"apps/old/requirements.txt": "legacy==0.1\n"})
    code, data, _ = analyze_json(run, root, index)
    assert code == 0
    [warning] = [d for d in data["diagnostics"] if "dependencies of legacy 0.1" in d["message"]]
    assert warning["level"] == "warning"
    assert warning["file"] == "apps/old/requirements.txt"
    assert warning["line"] == 1


def test_offline_without_cached_metadata_the_python_is_unverified(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    """The project page is cached but not the pinned release's metadata: the dependencies
    are unknown, so the group's Python is unverified, with a warning naming the pin."""
    built = build_index(tmp_path / "index", GAMES)
    root = tree({"apps/games/requirements.txt": "arcade==2.6.10\n"})
    with serve(built.root) as (base, _state):
        url = f"{base}/simple/"
        args = ("analyze", str(root), "--index-facts", "--index-url", url, "--format", "json")
        code, out, _ = run(*args)
        assert code == 0
        assert group_of(json.loads(out), "games")["python_verified"] is True
        cache = tmp_path / "cache"
        removed = list(cache.rglob("*.metadata"))
        assert removed
        for path in removed:
            path.unlink()
        code, out, _ = run(*args, "--offline")
    data = json.loads(out)
    assert code == 0
    assert group_of(data, "games")["python_verified"] is False
    [warning] = [d for d in data["diagnostics"] if "dependencies of arcade 2.6.10" in d["message"]]
    assert warning["level"] == "warning"
    assert "unverified" in warning["message"]
    assert warning["file"] == "apps/games/requirements.txt"
