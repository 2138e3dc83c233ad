"""Baselines: a git revision (analysed from git, the work tree untouched) or a JSON report;
conflicts new / existing / resolved by id; group changes; ``--fail-on``."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest
from reportdata import requirements_of
from test_report_common import FLASK, OLD_PKG, sample_baseline, sample_plan

from depsplit.analyze import analyze as analyze_plan
from depsplit.baseline import Baseline, BaselineError, diff, load_baseline, load_report
from depsplit.cli import main
from depsplit.conflicts import sides
from depsplit.model import Group, Plan
from depsplit.report import json as json_report

ENGINE = importlib.util.find_spec("depsplit.conflicts") is not None

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), "-c", "commit.gpgsign=false", *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return proc.stdout


def commit(repo: Path, files: dict[str, str], message: str) -> None:
    for rel, content in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


# --- diff ----------------------------------------------------------------------------------


def test_conflicts_are_new_existing_or_resolved_by_id() -> None:
    d = diff(sample_baseline(), sample_plan())
    assert [c.package for c in d.existing] == ["flask", "pydantic"]
    assert [c.package for c in d.new] == ["python", "mylib", "trap-pkg", "we|rd`pkg<b>"]
    assert d.resolved == (OLD_PKG,)
    assert d.state(FLASK) == "existing"
    assert d.new_unsatisfiable == ("broken",)


def test_group_changes() -> None:
    changes = diff(sample_baseline(), sample_plan()).groups
    assert [g.name for g in changes.added] == ["legacy", "broken"]
    assert [g.name for g in changes.removed] == ["gone"]
    assert [(m.app, m.before, m.after) for m in changes.moved] == [
        ("broken", None, "broken"),
        ("legacy", "api", "legacy"),
        ("retired", "gone", None),
    ]
    same = Baseline(source="x", groups=sample_plan().groups)
    assert not diff(same, sample_plan()).groups


def test_a_renamed_group_is_matched_by_its_members() -> None:
    before = (Group("a", ("a", "b", "c"), "3.12"), Group("d", ("d",), "3.12"))
    after = (Group("a", ("a", "c"), "3.12"), Group("b", ("b", "d"), "3.12"))
    changes = diff(
        Baseline(source="x", groups=before), Plan(root=".", apps=(), groups=after)
    ).groups
    assert changes.renamed == (("d", "b"),)
    assert not changes.added
    assert not changes.removed
    assert [(m.app, m.before, m.after) for m in changes.moved] == [("b", "a", "b")]


def test_json_report_round_trip(tmp_path: Path) -> None:
    report = tmp_path / "before.json"
    report.write_text(json_report.render(sample_plan()), encoding="utf-8")
    base = load_report("before.json", report)
    assert base.by_sides
    # The report lists conflicts per package; read back, each is the sets it stands for.
    assert sorted((c.package, c.apps, sides(c)) for c in base.conflicts) == sorted(
        (c.package, c.apps, sides(c)) for c in sample_plan().conflicts
    )
    assert base.groups == sample_plan().groups
    assert base.unsatisfiable == ("broken",)
    assert base.errors == 1
    d = diff(base, sample_plan())
    assert not d.new
    assert not d.resolved
    assert not d.groups


def _v1_report(plan: Plan) -> str:
    """``plan`` as a report of schema version 1 wrote it: one entry per smallest set."""
    data = json.loads(json_report.render(plan))
    data["schema_version"] = 1
    data["conflicts"] = [
        {
            "id": c.id,
            "kind": c.kind,
            "package": c.package,
            "apps": list(c.apps),
            "requirements": [
                {
                    "app": r.app,
                    "name": r.name,
                    "specifier": r.specifier,
                    "url": r.url,
                    "marker": r.marker,
                    "chain": list(r.chain),
                    "origin": json_report.origin_dict(r.origin),
                }
                for r in c.requirements
            ],
            "message": c.message,
            "members": [list(m) for m in sides(c)],
        }
        for c in plan.conflicts
    ]
    return json.dumps(data)


def test_a_report_of_schema_version_1_is_still_a_baseline(tmp_path: Path) -> None:
    report = tmp_path / "before.json"
    report.write_text(_v1_report(sample_plan()), encoding="utf-8")
    base = load_report("before.json", report)
    assert not base.by_sides
    assert [c.id for c in base.conflicts] == [c.id for c in sample_plan().conflicts]
    d = diff(base, sample_plan())
    assert not d.new
    assert not d.resolved


def test_a_side_added_to_a_package_conflict_is_new_and_the_rest_existing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three apps on three pins of one package, then a fourth on a fourth pin: against the
    report of the first run, the three sets with the new side are new, the three others
    existing; an app added to an existing side changes nothing."""
    root = tmp_path / "repo"
    for name, pin in (("a", "1"), ("b", "2"), ("c", "3")):
        (root / name).mkdir(parents=True)
        (root / name / "requirements.txt").write_text(f"boto3==1.26.{pin}\n")
    report = tmp_path / "before.json"
    assert main(["analyze", str(root), "--format", "json", "-o", str(report)]) == 0
    [before] = json.loads(report.read_text(encoding="utf-8"))["conflicts"]
    assert (before["id"], len(before["sides"]), before["pairs"]) == (
        "version:boto3",
        3,
        [[0, 1, 2]],
    )
    for name, pin in (("d", "4"), ("e", "1")):
        (root / name).mkdir()
        (root / name / "requirements.txt").write_text(f"boto3==1.26.{pin}\n")
    plan = analyze_plan(root)
    d = diff(load_report("before.json", report), plan)
    assert sorted(c.apps for c in d.new) == [("a", "d"), ("b", "d"), ("c", "d")]
    assert sorted(c.apps for c in d.existing) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert not d.resolved
    # The side of a and e kept its id: e asks what a asks.
    capsys.readouterr()
    assert main(["analyze", str(root), "--format", "json"]) == 0
    [after] = json.loads(capsys.readouterr().out)["conflicts"]
    ids = {tuple(side["apps"]): side["id"] for side in after["sides"]}
    assert ids[("a", "e")] == before["sides"][0]["id"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "cannot read the report"),
        ('{"schema_version": 3}', "schema_version 1 or 2"),
        ('{"schema_version": 1, "conflicts": [{"id": 1}]}', "malformed"),
        ('{"schema_version": 2, "conflicts": [{"id": 1}]}', "malformed"),
        (
            '{"schema_version": 2, "conflicts": [{"id": "version:x", "kind": "version", '
            '"package": "x", "apps": ["a"], "sides": [{"id": "s", "apps": ["a"]}], '
            '"pairs": [[0, 1]]}]}',
            "out of range",
        ),
        (
            '{"schema_version": 2, "conflicts": [{"id": "version:x", "kind": "nope", '
            '"package": "x", "apps": [], "sides": []}]}',
            "unknown conflict kind",
        ),
    ],
)
def test_bad_json_report(tmp_path: Path, content: str, message: str) -> None:
    report = tmp_path / "r.json"
    report.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=message):
        load_baseline(str(report), tmp_path, lambda _p: Plan(root=".", apps=()))


def test_missing_json_report_is_not_taken_for_a_revision(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="no such report file"):
        load_baseline(str(tmp_path / "nope.json"), tmp_path, lambda _p: Plan(root=".", apps=()))


# --- git -----------------------------------------------------------------------------------

BEFORE = {
    "svc/a/requirements.txt": "flask==1.1.1\nrequests\n",
    "svc/b/requirements.txt": "flask==1.1.1\n",
    "svc/c/requirements.txt": "django==4.2\n",
    "svc/d/requirements.txt": "django>=5\n",  # an existing conflict: c/d on django
}


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """c0: one existing conflict (django); c1: a harmless change; c2: b pins flask>=3."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    commit(repo, BEFORE, "c0")
    commit(repo, {"svc/a/requirements.txt": "flask==1.1.1\nrequests>=2\n"}, "c1")
    commit(repo, {"svc/b/requirements.txt": "flask>=3\n"}, "c2")
    return repo


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts[len(root.parts) :]
    }


@pytest.mark.xfail(not ENGINE, reason="engine not wired", strict=True)
def test_a_commit_that_introduces_a_conflict_fails_on_new(
    history: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(history)
    before = _snapshot(history)
    status = git(history, "status", "--porcelain")
    code = main(
        ["analyze", ".", "--baseline", "HEAD~1", "--fail-on", "new", "--format", "markdown"]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert _snapshot(history) == before
    assert git(history, "status", "--porcelain") == status
    assert git(history, "worktree", "list").count("\n") == 1
    head = out[: out.index("Existing conflicts")]
    assert "1 new conflict since `HEAD~1`" in head
    assert "`flask`" in head
    assert "[svc/a/requirements.txt:1](svc/a/requirements.txt#L1)" in head
    assert "[svc/b/requirements.txt:1](svc/b/requirements.txt#L1)" in head
    assert "django" not in head  # only the new conflict is named
    assert "Group changes since `HEAD~1`" in head


@pytest.mark.xfail(not ENGINE, reason="engine not wired", strict=True)
def test_the_commit_before_passes(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(history, "checkout", "-q", "HEAD~1")
    code = main(["analyze", str(history), "--baseline", "HEAD~1", "--fail-on", "new"])
    out = capsys.readouterr().out
    assert code == 0
    assert "1 conflict (0 new, 1 existing, 0 resolved since HEAD~1)" in out.splitlines()[0]


@pytest.mark.xfail(not ENGINE, reason="engine not wired", strict=True)
def test_a_subdirectory_and_a_json_baseline(
    history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = history / "svc"
    assert main(["analyze", str(sub), "--baseline", "HEAD~2", "--format", "sarif"]) == 0
    sarif = json.loads(capsys.readouterr().out)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    }
    assert "svc/b/requirements.txt" in uris  # relative to the repository, not to PATH
    states = {r["properties"]["package"]: r["baselineState"] for r in sarif["runs"][0]["results"]}
    assert states == {"flask": "new", "django": "unchanged"}

    git(history, "checkout", "-q", "HEAD~2")
    report = tmp_path / "old.json"
    assert main(["analyze", str(sub), "--format", "json", "--output", str(report)]) == 0
    git(history, "checkout", "-q", "-")
    capsys.readouterr()
    code = main(["analyze", str(sub), "--baseline", str(report), "--fail-on", "new"])
    assert code == 1
    assert "(1 new, 1 existing, 0 resolved since " in capsys.readouterr().out


def test_unknown_revision_exits_2(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(history), "--baseline", "no-such-ref"]) == 2
    err = capsys.readouterr().err
    assert "--baseline no-such-ref: unknown git revision" in err


def test_not_a_git_repository_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "requirements.txt").write_text("flask\n")
    env_dir = tmp_path
    assert main(["analyze", str(env_dir), "--baseline", "HEAD"]) == 2
    assert "--baseline HEAD:" in capsys.readouterr().err


def test_fail_on_new_needs_a_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(tmp_path), "--fail-on", "new"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--fail-on new needs --baseline" in captured.err


def test_revision_copy_keeps_the_root_name(history: Path) -> None:
    seen: list[Path] = []

    def fake(root: Path) -> Plan:
        seen.append(root)
        assert (root / "b" / "requirements.txt").read_text() == "flask==1.1.1\n"
        return Plan(root=".", apps=(), groups=(Group("g", ("a",), "3.12"),))

    base = load_baseline("HEAD~1", history / "svc", fake)
    assert seen[0].name == "svc"
    assert seen[0].parent.name == "repo"
    assert not seen[0].exists()  # removed afterwards
    assert base.groups == (Group("g", ("a",), "3.12"),)


@pytest.mark.xfail(not ENGINE, reason="engine not wired", strict=True)
def test_engine_end_to_end(tree, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree({"a/requirements.txt": "flask==1.1.1\n", "b/requirements.txt": "flask>=3\n"})
    assert main(["analyze", str(root), "--format", "json"]) == 0
    [conflict] = json.loads(capsys.readouterr().out)["conflicts"]
    assert (conflict["kind"], conflict["package"], conflict["apps"]) == (
        "version",
        "flask",
        ["a", "b"],
    )
    origins = [
        (r["app"], r["origin"]["file"], r["origin"]["line"]) for r in requirements_of(conflict)
    ]
    assert origins == [("a", "a/requirements.txt", 1), ("b", "b/requirements.txt", 1)]
    assert main(["analyze", str(root), "--fail-on", "conflict"]) == 1


def test_a_baseline_keeps_its_group_names_and_apps_in_their_groups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PR that adds an app sorting first to a group: without the baseline's names the
    group would be renamed after it (a fresh plan names a group by its first app), and the
    review would see a group removed and one added."""
    root = tmp_path / "repo"
    for rel, text in BEFORE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    report = tmp_path / "before.json"
    assert main(["analyze", str(root), "--format", "json", "-o", str(report)]) == 0
    before = {g["name"]: g["apps"] for g in json.loads(report.read_text())["groups"]}
    assert "a" in before["a"]
    (root / "svc" / "0new").mkdir()
    (root / "svc" / "0new" / "requirements.txt").write_text("flask==1.1.1\n")
    capsys.readouterr()

    assert main(["analyze", str(root), "--format", "json"]) == 0
    fresh = {g["name"] for g in json.loads(capsys.readouterr().out)["groups"]}
    assert "0new" in fresh  # what the names would be without the baseline

    assert main(["analyze", str(root), "--baseline", str(report), "--format", "json"]) == 0
    after = {g["name"]: g["apps"] for g in json.loads(capsys.readouterr().out)["groups"]}
    assert set(after) == set(before)
    assert after["a"] == sorted([*before["a"], "0new"])
    assert main(["analyze", str(root), "--baseline", str(report)]) == 0
    changes = capsys.readouterr().out.split("Group changes since")[1].split("\n\n")[0]
    assert changes.splitlines()[1:] == ["  0new: new app, in group a"]  # no "is now named"


def test_new_conflicts_are_listed_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """django's conflict exists already and sorts first; the change adds flask's."""
    root = tmp_path / "repo"
    files = {**BEFORE, "svc/a/requirements.txt": "flask==1.1.1\n"}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    report = tmp_path / "before.json"
    assert main(["analyze", str(root), "--format", "json", "-o", str(report)]) == 0
    (root / "svc" / "b" / "requirements.txt").write_text("flask>=3\n", encoding="utf-8")
    capsys.readouterr()

    main(["analyze", str(root), "--baseline", str(report)])
    text = capsys.readouterr().out
    section = text.split("\nConflicts\n")[1].split("\n\n")[0].splitlines()
    assert section[0].startswith("  [new] [version] flask: a, b")
    assert any(line.startswith("  [existing] [version] django: c, d") for line in section)

    main(["analyze", str(root), "--baseline", str(report), "--format", "github"])
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("::error file=svc/a/requirements.txt,line=1,")
    assert "flask" in first


def test_a_report_claiming_more_sets_than_a_run_could_hold_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list of N sides is N(N-1)/2 pairs: a hostile report of a few kilobytes could
    claim billions. Past the bound the report is refused, named, before any is made."""
    import depsplit.baseline as baseline_module

    monkeypatch.setattr(baseline_module, "MAX_BASELINE_SETS", 5)
    sides_ = [{"id": f"s{i}", "apps": [f"a{i}"]} for i in range(4)]
    data = {
        "schema_version": 2,
        "conflicts": [
            {
                "id": "version:x",
                "kind": "version",
                "package": "x",
                "apps": [f"a{i}" for i in range(4)],
                "sides": sides_,
                "pairs": [[0, 1, 2, 3]],
            }
        ],
    }
    report = tmp_path / "r.json"
    report.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(BaselineError, match="more than 5 conflicting sets"):
        load_report("r.json", report)
    monkeypatch.setattr(baseline_module, "MAX_BASELINE_SETS", 6)
    assert len(load_report("r.json", report).conflicts) == 6
