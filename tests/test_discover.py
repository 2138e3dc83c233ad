"""Which directories are apps, how they are named, and what is skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsplit.analyze import Options, analyze
from depsplit.config import Config
from depsplit.discover import app_names, sanitize


def paths(root: Path, config: Config | None = None, **kw: object) -> list[str]:
    return [a.path for a in analyze(root, config or Config(), Options(**kw)).apps]  # type: ignore[arg-type]


def test_every_kind_of_app_is_found_and_junk_is_skipped(tree) -> None:
    root = tree(
        {
            "a/requirements.txt": "flask\n",
            "b/requirements/prod.txt": "-r base.txt\n",
            "b/requirements/base.txt": "django\n",
            "c/pyproject.toml": '[project]\nname = "c"\ndependencies = ["attrs"]\n',
            "d/pyproject.toml": (
                '[tool.poetry]\nname = "d"\n[tool.poetry.dependencies]\npython = "^3.10"\n'
            ),
            "e/Pipfile": '[packages]\nrequests = "*"\n',
            "f/setup.cfg": "[options]\ninstall_requires =\n    click\n",
            "g/requirements.in": "flask\n",
            "tooling/pyproject.toml": "[tool.ruff]\nline-length = 100\n",
            "h/setup.cfg": "[flake8]\nmax-line-length = 100\n",
            ".venv/lib/requirements.txt": "x\n",
            "venv2/pyvenv.cfg": "home = /usr\n",
            "venv2/lib/python3.12/site-packages/x/requirements.txt": "x\n",
            "venv2/x/requirements.txt": "x\n",
            "node_modules/x/requirements.txt": "x\n",
            "build/requirements.txt": "x\n",
            "ignored/requirements.txt": "x\n",
            "out/depsplit-plan.json": PLAN,
            "out/g1/requirements.txt": "x\n",
            ".gitignore": "ignored/\n",
        }
    )
    plan = analyze(root)
    assert [a.path for a in plan.apps] == ["a", "b", "c", "d", "e", "f", "g"]
    assert [(s.path, s.reason.split(" (")[0]) for s in plan.skipped] == [
        ("out", "depsplit's generated output"),
        ("venv2", "a virtualenv"),
    ]


PLAN = (
    '{"generated_by": "depsplit 0.1.0", "schema_version": 1, '
    '"tool": {"name": "depsplit", "version": "0.1.0"}, "generate": {}, "files": {}}'
)


@pytest.mark.parametrize(
    "files",
    [
        {"depsplit-plan.json": ""},
        {"depsplit-plan.json": "{}"},
        {"depsplit-plan.json": "not json"},
        {"depsplit-plan.json": '{"generated_by": "depsplit 0.1.0"}'},
        {"depsplit-plan.json": PLAN.replace('"depsplit"', '"other"')},
        {"pyvenv.cfg": ""},
        {"pyvenv.cfg": "home = /usr\n", "bin/activate": ""},
        {"pyvenv.cfg": "home = /usr\n", "lib/python3.12/x": ""},
        # A real plan or virtualenv beside an app's own files: the app is still read.
        {"depsplit-plan.json": PLAN, "requirements.txt": "x\n"},
        {"pyvenv.cfg": "", "bin/python": "", "requirements.txt": "x\n"},
    ],
    ids=[
        "empty-plan",
        "empty-object",
        "not-json",
        "marker-only",
        "other-tool",
        "empty-pyvenv",
        "no-interpreter",
        "no-site-packages",
        "plan-beside-app-files",
        "venv-in-app-dir",
    ],
)
def test_a_file_named_like_a_plan_or_a_venv_does_not_hide_an_app(
    tree, files: dict[str, str]
) -> None:
    """Any ``depsplit-plan.json`` or ``pyvenv.cfg`` hid its directory (issue 16): a PR
    adding one to a conflicting app passed ``--fail-on conflict``."""
    root = tree(
        {"app/requirements.txt": "flask==1.0\n", **{f"app/{k}": v for k, v in files.items()}}
    )
    plan = analyze(root)
    assert [a.path for a in plan.apps] == ["app"]
    assert plan.skipped == ()


def test_a_real_virtualenv_is_skipped_and_said(tree) -> None:
    root = tree(
        {
            "api/requirements.txt": "flask\n",
            "env3/pyvenv.cfg": "home = /usr/bin\n",
            "env3/sub/requirements.txt": "django\n",
        }
    )
    (root / "env3" / "bin").mkdir()
    (root / "env3" / "bin" / "python").symlink_to("/nonexistent/python3")  # base Python gone
    plan = analyze(root)
    assert [a.path for a in plan.apps] == ["api"]
    assert [(s.path, s.reason) for s in plan.skipped] == [
        ("env3", "a virtualenv (pyvenv.cfg and bin/python)")
    ]


def test_compiled_requirements_txt_wins_over_in(tree) -> None:
    root = tree({"a/requirements.in": "flask\n", "a/requirements.txt": "flask==3.0.0\n"})
    [app] = analyze(root).apps
    assert app.sources == ("a/requirements.txt",)


def test_directory_only_included_by_others_is_not_an_app(tree) -> None:
    root = tree(
        {
            "libs/common/requirements.txt": "requests\n",
            "svc/api/requirements.txt": "-r ../../libs/common/requirements.txt\nflask\n",
        }
    )
    assert paths(root) == ["svc/api"]


def test_dev_files_are_read_but_not_production(tree) -> None:
    root = tree(
        {
            "a/requirements.txt": "flask\n",
            "a/requirements-dev.txt": "-r requirements.txt\npytest\n",
            "a/requirements/test.txt": "hypothesis\n",
        }
    )
    [app] = analyze(root).apps
    roles = {(r.key, r.role) for r in app.requirements}
    assert ("pytest", "dev") in roles
    assert ("flask", "main") in roles
    assert [r.key for r in app.main] == ["flask"]


def test_include_dev_config_promotes_dev(tree) -> None:
    root = tree({"a/requirements.txt": "flask\n", "a/requirements-dev.txt": "pytest\n"})
    [app] = analyze(root, Config(include_dev=True)).apps
    assert sorted(r.key for r in app.main) == ["flask", "pytest"]


@pytest.mark.parametrize(
    ("config", "kw", "expected"),
    [
        pytest.param(Config(exclude=("legacy/*",)), {}, ["new/api"], id="config-exclude"),
        pytest.param(Config(), {"exclude": ("legacy",)}, ["new/api"], id="cli-exclude"),
        pytest.param(Config(apps=("legacy/*",)), {}, ["legacy/old"], id="apps-globs"),
    ],
)
def test_exclude_and_apps_globs(
    tree, config: Config, kw: dict[str, object], expected: list[str]
) -> None:
    root = tree({"legacy/old/requirements.txt": "flask\n", "new/api/requirements.txt": "flask\n"})
    assert paths(root, config, **kw) == expected


def test_symlinked_directory_loop_does_not_hang(tree) -> None:
    root = tree({"a/requirements.txt": "flask\n"})
    (root / "a" / "loop").symlink_to(root, target_is_directory=True)
    assert paths(root) == ["a"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Shop API", "shop-api", id="space"),
        pytest.param("café_svc", "cafe_svc", id="unicode"),
        pytest.param("$(rm -rf /)`x`", "rm-rf-x", id="shell"),
        pytest.param('a"b\nc', "a-b-c", id="quote-newline"),
        pytest.param("---", "", id="nothing-left"),
    ],
)
def test_sanitize(text: str, expected: str) -> None:
    assert sanitize(text) == expected


def test_app_names_are_unique_and_readable() -> None:
    names = app_names(["services/api", "legacy/api", "worker", ".", "x/Worker"], "Mono Repo")
    assert names == {
        "services/api": "services-api",
        "legacy/api": "legacy-api",
        "worker": "worker",
        "x/Worker": "x-worker",
        ".": "mono-repo",
    }


def test_an_app_that_installs_itself_is_still_an_app(tree) -> None:
    root = tree(
        {
            "svc/pyproject.toml": '[project]\nname = "svc"\ndependencies = ["attrs"]\n',
            "svc/requirements.txt": "-e .\n",
            "web/pyproject.toml": '[project]\nname = "web"\ndependencies = ["web @ file:."]\n',
            "lib/pyproject.toml": '[project]\nname = "lib"\ndependencies = []\n',
            "api/requirements.txt": "-e ../lib\n",
        }
    )
    assert paths(root) == ["api", "svc", "web"]


def test_the_depth_limit_names_itself_and_how_to_raise_it(tree) -> None:
    root = tree({"a/requirements.txt": "flask\n", "deep/er/app/requirements.txt": "flask\n"})
    plan = analyze(root, Config(max_depth=1), Options())
    assert [a.path for a in plan.apps] == ["a"]
    [warning] = plan.diagnostics
    assert (warning.level, warning.file) == ("warning", "deep")
    assert "1 levels deep" in warning.message
    assert "max_depth" in warning.message
    assert [a.path for a in analyze(root, Config(max_depth=3), Options()).apps] == [
        "a",
        "deep/er/app",
    ]


def _large_plan(apps: int) -> str:
    """A plan as ``generate`` writes it (indented, ``files`` appended last), its ``apps``
    padded to ``apps`` entries."""
    import json

    from depsplit.report.json import indented

    entry = {"name": "x", "path": "x", "requirements": [{"name": "flask", "specifier": ""}]}
    return (
        indented(
            {
                "generated_by": "depsplit 0.1.0",
                "schema_version": 2,
                "tool": {"name": "depsplit", "version": "0.1.0"},
                "apps": [entry] * apps,
                "generate": {"project": "p", "ports": {"x": 8000}},
                "files": {"g/requirements.txt": "0" * 64, "compose.yaml": "1" * 64},
            }
        )
        + "\n"
        if apps >= 0
        else json.dumps({})
    )


@pytest.mark.parametrize(
    ("text", "taken"),
    [
        (_large_plan(3000), True),
        (PLAN, True),
        (_large_plan(3000).rstrip()[:-1], False),  # cut short: no closing brace
        (_large_plan(3000)[:60000], False),  # cut short in its apps
        (_large_plan(3000).replace('"files"', '"filez"'), False),
        (_large_plan(3000).replace('"generate"', '"generat"'), False),
        (_large_plan(3000).replace('"name": "depsplit"', '"name": "other"', 1), False),
        (_large_plan(3000).replace('"generated_by": "depsplit', '"generated_by": "other'), False),
        ('{"generated_by": "depsplit 0.1.0"}' + " " * 600, False),
    ],
    ids=["plan", "one-line", "cut-short", "cut-in-apps", "no-files", "no-generate",
         "other-tool", "other-marker", "marker-only"],
)  # fmt: skip
def test_a_large_plan_is_judged_by_its_ends(
    tree, monkeypatch: pytest.MonkeyPatch, text: str, taken: bool
) -> None:
    # Every plan here is over the size parsed whole; the tables are looked for from the
    # end back, a small chunk at a time (a key may straddle two chunks).
    import depsplit.discover as discover

    monkeypatch.setattr(discover, "PLAN_PARSED_BYTES", 100)
    monkeypatch.setattr(discover, "_PLAN_CHUNK", 97)
    root = tree({"app/requirements.txt": "flask\n", "out/depsplit-plan.json": text,
                 "out/g/requirements.txt": "flask==1.0\n"})  # fmt: skip
    plan = analyze(root)
    assert [a.path for a in plan.apps] == (["app"] if taken else ["app", "out/g"])
    assert [s.path for s in plan.skipped] == (["out"] if taken else [])


def test_a_plan_whose_tables_end_too_far_from_its_end_is_not_taken(
    tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    import depsplit.discover as discover

    monkeypatch.setattr(discover, "PLAN_PARSED_BYTES", 100)
    monkeypatch.setattr(discover, "_PLAN_CHUNK", 1000)
    monkeypatch.setattr(discover, "PLAN_MAX_BYTES", 2000)
    text = _large_plan(10).replace('"files": {', '"files": {' + '"a": "b", ' * 400)
    root = tree({"out/depsplit-plan.json": text, "out/g/requirements.txt": "flask==1.0\n"})
    assert paths(root) == ["out/g"]
    monkeypatch.setattr(discover, "PLAN_MAX_BYTES", 64 * 1024 * 1024)
    assert paths(root) == []


def test_a_generated_plan_of_thousands_of_apps_hides_its_output(tree) -> None:
    """A plan over 64 MiB (about 7,500 apps) was not recognized: the next run read its
    generated requirements files as apps. Over the size parsed whole, it is judged by its
    ends, whatever its size."""
    import depsplit.discover as discover

    big = _large_plan(1)
    padding = " " * (discover.PLAN_PARSED_BYTES + 1)
    text = big.replace('"apps": [', '"apps": [' + padding, 1)
    root = tree({"app/requirements.txt": "flask\n", "out/depsplit-plan.json": text,
                 "out/g/requirements.txt": "flask==1.0\n"})  # fmt: skip
    assert paths(root) == ["app"]
