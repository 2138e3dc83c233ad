"""``depsplit suggest``: the fewest requirement edits that lower the number of groups.

Every known-answer case is checked as a user would: the suggested lines are written into a
copy of the tree and ``depsplit analyze`` runs on it, which must give the groups the
suggestion claims.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from localindex import Dist, build_index

from depsplit.suggest import nice_specifier, rewrite_python, rewrite_requirement

Run = Callable[..., tuple[int, str, str]]

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def suggest_json(run: Run, root: Path, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run("suggest", str(root), "--format", "json", *extra)
    return code, json.loads(out), err


def applied(root: Path, copy: Path, suggestion: dict) -> Path:
    """A copy of ``root`` with the suggestion's lines written into its files."""
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("deploy"))
    for edit in suggestion["edits"]:
        path = copy / edit["file"]
        lines = path.read_text(encoding="utf-8").split("\n")
        assert lines[edit["line"] - 1] == edit["line_before"]
        lines[edit["line"] - 1] = edit["line_after"]
        path.write_text("\n".join(lines), encoding="utf-8")
    return copy


def groups_of(run: Run, root: Path, *extra: str) -> list[dict]:
    code, out, _ = run("analyze", str(root), "--format", "json", "--no-index-facts", *extra)
    assert code in (0, 1), out
    return json.loads(out)["groups"]


def check_all_applied(run: Run, root: Path, data: dict, tmp_path: Path, *extra: str) -> None:
    for i, suggestion in enumerate(data["suggestions"]):
        copy = applied(root, tmp_path / f"applied-{i}" / root.name, suggestion)
        groups = groups_of(run, copy, *extra)
        assert len(groups) == suggestion["groups_after"] < suggestion["groups_before"]
        assert [g["apps"] for g in groups] == [g["apps"] for g in suggestion["new_groups"]]


# ------------------------------------------------------------------------------ the demo


def test_the_demo_merges_its_two_groups(run: Run, tmp_path: Path) -> None:
    root = FIXTURES / "monorepo"
    code, data, _ = suggest_json(run, root, "--no-index-facts")
    assert code == 0
    assert data["groups"] == 2
    assert data["lower_bound"] == 2
    assert data["search"]["exact"] is True
    first = data["suggestions"][0]
    assert (first["groups_before"], first["groups_after"], first["saved"]) == (2, 1, 1)
    # Three conflicts that share no app: three apps at least must change.
    assert all(len(s["apps"]) == 3 for s in data["suggestions"])
    edits = {(e["file"], e["line"]): (e["from"], e["to"]) for e in first["edits"]}
    assert edits[("services/legacy-admin/requirements.txt", 3)] == (
        "flask==1.1.1",
        "flask>=3.0,<4",
    )
    assert edits[("jobs/nightly-report/.python-version", 1)] == ("3.9", "3.11")
    flask = next(e for e in first["edits"] if e["package"] == "flask")
    assert flask["costs"] == ["major upgrade 1 → 3"]
    assert flask["release"]["status"] == "unverified"
    python = next(e for e in first["edits"] if e["package"] == "python")
    assert python["costs"] == ["Python 3.9 → 3.11"]
    check_all_applied(run, root, data, tmp_path)


def test_the_demo_text_names_file_line_and_the_merge(run: Run) -> None:
    code, out, _ = run("suggest", str(FIXTURES / "monorepo"), "--no-index-facts")
    assert code == 0
    assert "services/legacy-admin/requirements.txt:3  flask==1.1.1 → flask>=3.0,<4" in out
    assert "[major upgrade 1 → 3]" in out
    assert "verified: re-analysed with these edits: 1 group (blog + inference → blog)" in out
    assert "Lower bound: these 2 apps conflict pairwise" in out
    assert "Search: exact up to 3 apps per suggestion" in out


def test_json_is_deterministic(run: Run) -> None:
    root = FIXTURES / "monorepo"
    _, first, _ = run("suggest", str(root), "--no-index-facts", "--format", "json")
    _, second, _ = run("suggest", str(root), "--no-index-facts", "--format", "json")
    assert first == second


# ------------------------------------------------------------------------------ planted


PLANTED = {
    # web-1..web-3 need three groups (lib); old-a and old-b conflict with everyone (shared):
    # five apps that conflict pairwise, five groups.
    "apps/web-1/requirements.txt": "lib==1.0\nshared>=2\n",
    "apps/web-2/requirements.txt": "lib==2.0\nshared>=2\n",
    "apps/web-3/requirements.txt": "lib==3.0\nshared>=2\n",
    "apps/old-a/requirements.txt": "shared==1.0\nlib==4.0\n",
    "apps/old-b/requirements.txt": "# the legacy pin\nshared==1.1\n",
}


def test_planted_edits_save_two_and_three_containers(
    run: Run, tree: Callable, tmp_path: Path
) -> None:
    root = tree(PLANTED)
    assert len(groups_of(run, root)) == 5
    code, data, _ = suggest_json(run, root, "--no-index-facts", "--limit", "30")
    assert code == 0
    found = {tuple(s["apps"]): s for s in data["suggestions"]}
    # Three apps rewritten: five groups become two (one container saved per app touched).
    best = data["suggestions"][0]
    assert (best["groups_before"], best["groups_after"], len(best["apps"])) == (5, 2, 3)
    assert "old-a" in best["apps"]
    # The two legacy apps: two edits, two containers saved.
    pair = found[("old-a", "old-b")]
    assert (pair["groups_after"], pair["saved"]) == (3, 2)
    lines = {(e["file"], e["line"]): e["to"] for e in pair["edits"]}
    assert lines[("apps/old-a/requirements.txt", 1)] == "shared>=2"
    assert lines[("apps/old-b/requirements.txt", 2)] == "shared>=2"
    check_all_applied(run, root, data, tmp_path)


def test_a_shared_line_is_one_edit_for_every_app_reading_it(
    run: Run, tree: Callable, tmp_path: Path
) -> None:
    root = tree(
        {
            "libs/legacy.txt": "django==2.2\n",
            "apps/old-1/requirements.txt": "-r ../../libs/legacy.txt\n",
            "apps/old-2/requirements.txt": "-r ../../libs/legacy.txt\nrequests\n",
            "apps/new/requirements.txt": "django>=4.2,<5\n",
        }
    )
    code, data, _ = suggest_json(run, root, "--no-index-facts")
    assert code == 0
    best = data["suggestions"][0]
    assert (best["groups_before"], best["groups_after"]) == (2, 1)
    assert best["apps"] == ["new"]
    check_all_applied(run, root, data, tmp_path)


def test_the_bound_forced_by_the_configuration_means_nothing_helps(
    run: Run, tree: Callable
) -> None:
    root = tree(
        {
            "depsplit.toml": 'apart = [["a", "b", "c"]]\n',
            "a/requirements.txt": "lib==1\n",
            "b/requirements.txt": "lib==2\n",
            "c/requirements.txt": "lib==3\n",
        }
    )
    code, out, _ = run("suggest", str(root), "--no-index-facts")
    assert code == 0
    assert "Nothing helps: even with every conflicting requirement rewritten, 3 groups" in out
    code, data, _ = suggest_json(run, root, "--no-index-facts")
    assert data["suggestions"] == []
    assert data["floor"] == 3
    code, out, _ = run("suggest", str(root), "--no-index-facts", "--target-groups", "2")
    assert code == 1
    assert "Nothing helps" in out
    assert "Lower bound" not in out


def test_target_groups_asks_for_the_cheapest_edits_that_reach_it(
    run: Run, tree: Callable, tmp_path: Path
) -> None:
    root = tree(PLANTED)
    code, data, _ = suggest_json(run, root, "--no-index-facts", "--target-groups", "4")
    assert code == 0
    assert data["reached"] is True
    assert all(s["groups_after"] <= 4 for s in data["suggestions"])
    assert min(len(s["apps"]) for s in data["suggestions"]) == 1
    check_all_applied(run, root, data, tmp_path)
    # One app at most cannot reach 3 groups: exit 1, said.
    code, out, _ = run(
        "suggest", str(root), "--no-index-facts", "--target-groups", "3", "--max-apps", "1"
    )
    assert code == 1
    assert "No verified suggestion reaches 3 groups" in out


# ------------------------------------------------------------------------------ the index


def test_with_an_index_the_release_is_named(run: Run, tree: Callable, tmp_path: Path) -> None:
    index = build_index(
        tmp_path / "index",
        [Dist("web", "1.0"), Dist("web", "3.0"), Dist("web", "3.1"), Dist("web", "4.0")],
    )
    root = tree(
        {
            "apps/old/requirements.txt": "web==1.0\n",
            "apps/new/requirements.txt": "web>=3.0,<4\n",
        }
    )
    code, data, _ = suggest_json(run, root, "--index-facts", "--index-url", index.file_url)
    assert code == 0
    releases = {
        e["to"]: e["release"] for s in data["suggestions"] for e in s["edits"] if e["release"]
    }
    assert releases["web>=3.0,<4"]["status"] == "installable"
    assert releases["web>=3.0,<4"]["version"] == "3.1"
    assert releases["web==1.0"]["version"] == "1.0"
    code, out, _ = run("suggest", str(root), "--index-facts", "--index-url", index.file_url)
    assert "web 3.1 installs on CPython" in out


def test_offline_without_a_cache_the_release_is_unverified(
    run: Run, tree: Callable, tmp_path: Path
) -> None:
    root = tree(
        {
            "apps/old/requirements.txt": "web==1.0\n",
            "apps/new/requirements.txt": "web>=3.0,<4\n",
        }
    )
    code, data, _ = suggest_json(
        run, root, "--index-facts", "--offline", "--cache-dir", str(tmp_path / "empty")
    )
    assert code == 0
    statuses = {e["release"]["status"] for s in data["suggestions"] for e in s["edits"]}
    assert statuses == {"unverified"}


# ------------------------------------------------------------------------------ bad input


def test_bad_input_is_an_error_with_file_and_line(run: Run, tree: Callable) -> None:
    root = tree(
        {
            "a/requirements.txt": "lib==1\nflask==\n",
            "b/requirements.txt": "lib==2\n",
        }
    )
    code, out, err = run("suggest", str(root), "--no-index-facts")
    assert code == 2
    assert "a/requirements.txt:2: error:" in out
    assert "No suggestion: the analysis has errors." in out
    assert "Traceback" not in out + err


def test_a_url_password_is_never_shown(run: Run, tree: Callable) -> None:
    root = tree(
        {
            "a/requirements.txt": "lib==1\nsecret @ https://user:hunter2@example.com/s.whl\n",
            "b/requirements.txt": "lib==2\n",
        }
    )
    _code, out, err = run("suggest", str(root), "--no-index-facts", "--format", "json")
    assert "hunter2" not in out + err


# ------------------------------------------------------------------------------ rewriting


@pytest.mark.parametrize(
    ("line", "name", "spec", "toml", "expected"),
    [
        ("flask==1.1.1", "flask", ">=3.0,<4", False, "flask>=3.0,<4"),
        ("Flask == 1.1.1  # old", "flask", ">=3", False, "Flask >=3  # old"),
        (
            "flask[async]==1.1 ; python_version>'3'",
            "flask",
            ">=3",
            False,
            "flask[async]>=3 ; python_version>'3'",
        ),
        ("requests", "requests", ">=2.30", False, "requests>=2.30"),
        ('  "pydantic>=2.5",', "pydantic", "==1.10.13", True, '  "pydantic==1.10.13",'),
        ('flask = "==1.1.1"', "flask", ">=3", True, 'flask = ">=3"'),
        ('requests = "^2.31"', "requests", ">=2.20", True, 'requests = ">=2.20"'),
        (
            'flask = {version = "==1.1.1", extras = ["a"]}',
            "flask",
            ">=3",
            True,
            'flask = {version = ">=3", extras = ["a"]}',
        ),
        ("python-dateutil==2.8", "python_dateutil", ">=2.9", False, "python-dateutil>=2.9"),
        ("flask-login==0.5", "flask", ">=3", False, None),
    ],
)
def test_rewrite_requirement(
    line: str, name: str, spec: str, toml: bool, expected: str | None
) -> None:
    assert rewrite_requirement(line, name, spec, toml=toml) == expected


def test_rewrite_python() -> None:
    assert rewrite_python("3.9\n".rstrip(), "a/.python-version", "3.11") == "3.11"
    assert rewrite_python("python-3.8.10", "a/runtime.txt", "python-3.12") == "python-3.12"
    assert rewrite_python('requires-python = ">=3.11"', "a/pyproject.toml", ">=3.9") == (
        'requires-python = ">=3.9"'
    )
    assert rewrite_python('python_version = "3.11"', "a/Pipfile", "3.12") == (
        'python_version = "3.12"'
    )


def test_nice_specifier_puts_lower_bounds_first() -> None:
    assert nice_specifier("<4,>=3.0") == ">=3.0,<4"


# ------------------------------------------------------------------------------ the corpus

REALPYTHON = CORPUS / "realpython__materials"


@pytest.mark.skipif(not REALPYTHON.is_dir(), reason="the shared corpus is absent")
def test_realpython_suggestions_lower_the_count_by_what_they_claim(
    run: Run, tmp_path: Path
) -> None:
    code, data, _ = suggest_json(
        run, REALPYTHON, "--no-index-facts", "--limit", "3", "--max-sets", "40"
    )
    assert code in (0, 1)  # 1: the corpus has apps that cannot be installed at all
    assert data["groups"] == 30
    assert len(data["suggestions"]) == 3
    check_all_applied(run, REALPYTHON, data, tmp_path)


# ------------------------------------------------------------------------ analyze --suggest


def test_analyze_suggest_adds_fewer_containers_to_every_report(run: Run, tmp_path: Path) -> None:
    """The same verified suggestions as ``depsplit suggest`` (a bounded search), in the text,
    Markdown, GitHub and JSON reports; each applied to a copy lowers the group count."""
    root = FIXTURES / "monorepo"
    code, out, _ = run("analyze", str(root), "--no-index-facts", "--format", "json", "--suggest")
    assert code == 0
    fewer = json.loads(out)["fewer_containers"]
    assert fewer["suggestions"]
    check_all_applied(run, root, fewer, tmp_path, "--no-index-facts")
    first = fewer["suggestions"][0]["edits"][0]
    where = f"{first['file']}:{first['line']}  {first['from']} → {first['to']}"

    _, text, _ = run("analyze", str(root), "--no-index-facts", "--suggest")
    section = text.split("Fewer containers (verified edits)\n")[1].split("\n\n")[0]
    assert section.startswith("  1. 2 → 1 group by editing ")
    assert where in section
    _, markdown, _ = run("analyze", str(root), "--no-index-facts", "--suggest", "-o", "-",
                         "--format", "markdown")  # fmt: skip
    assert "**Fewer containers** (verified edits)" in markdown
    _, github, _ = run("analyze", str(root), "--no-index-facts", "--suggest", "--format", "github")
    assert "::notice title=depsplit%3A fewer containers::1. 2 → 1 group by editing " in github

    # Without --suggest: no section, no key, no search.
    _, out, _ = run("analyze", str(root), "--no-index-facts", "--format", "json")
    assert "fewer_containers" not in json.loads(out)
    _, text, _ = run("analyze", str(root), "--no-index-facts")
    assert "Fewer containers" not in text
