"""The index facts: each group's Python is one its releases install on (offline, local index).

Every index here is built by the test (tests/index/localindex.py): wheels for only some
Python tags, ``Requires-Python`` excluding the newest minors, sdist-only projects, yanked
releases. What is asserted is what a user sees: the JSON report's groups, conflicts and
diagnostics, the exit code, and the generated Dockerfile's Python.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from localindex import Dist, LocalIndex, build_index, serve
from reportdata import requirements_of

from depsplit.pysupport import minors_specifier, span
from depsplit.target import SUPPORTED_PYTHONS, allowed_pythons

pytestmark = pytest.mark.usefixtures("no_pip_config")

Run = Callable[..., tuple[int, str, str]]
Tree = Callable[[dict[str, str | bytes]], Path]

NEWEST = SUPPORTED_PYTHONS[-1]


def _cp(minor: str) -> str:
    return "cp" + minor.replace(".", "")


def wheels_for(*minors: str) -> tuple[str, ...]:
    return tuple(f"{_cp(m)}-{_cp(m)}-manylinux_2_17_x86_64" for m in minors)


def analyze_json(run: Run, root: Path, index: LocalIndex, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run(
        "analyze",
        str(root),
        "--index-facts",
        "--index-url",
        index.file_url,
        "--format",
        "json",
        *extra,
    )
    return code, json.loads(out), err


def group_of(data: dict, app: str) -> dict:
    return next(g for g in data["groups"] if app in g["apps"])


# ------------------------------------------------------------------------------ helpers


@pytest.mark.parametrize(
    ("minors", "expected"),
    [
        (["3.10", "3.11", "3.12"], ">=3.10,<3.13"),
        (["3.10", "3.12"], ">=3.10,<3.13,!=3.11.*"),
        ([], "<0"),
    ],
)
def test_minors_specifier_allows_exactly_those_minors(minors: list[str], expected: str) -> None:
    spec = minors_specifier(minors, SUPPORTED_PYTHONS)
    assert spec == expected
    assert sorted(allowed_pythons(spec)) == sorted(minors)


def test_span_names_runs_of_minors() -> None:
    assert span(["3.10", "3.11", "3.13"], ("3.10", "3.11", "3.12", "3.13")) == "cp310–cp311, cp313"


# ------------------------------------------------------------------------------ wheels


def test_a_pin_whose_wheels_stop_at_an_old_python_sets_the_group_python(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    index = build_index(
        tmp_path / "index",
        [Dist("oldnum", "1.0", tags=wheels_for("3.10", "3.11")), Dist("web", "2.0")],
    )
    root = tree(
        {"apps/legacy/requirements.txt": "oldnum==1.0\n", "apps/new/requirements.txt": "web\n"}
    )
    code, data, _ = analyze_json(run, root, index)
    assert code == 0
    assert group_of(data, "legacy")["python"] == "3.11"
    assert group_of(data, "legacy")["python_verified"] is True
    # Without the index facts the same app would get the newest CPython, where oldnum has
    # no wheel.
    code, out, _ = run("analyze", str(root), "--no-index-facts", "--format", "json")
    plain = json.loads(out)
    assert group_of(plain, "legacy")["python"] == NEWEST
    assert group_of(plain, "legacy")["python_verified"] is False


def test_disjoint_python_support_is_a_conflict_with_its_evidence(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    index = build_index(
        tmp_path / "index",
        [
            Dist("oldnum", "1.0", tags=wheels_for("3.10")),
            Dist("anyio", "4.14.0", requires_python=">=3.12"),
        ],
    )
    root = tree(
        {
            "apps/legacy/requirements.txt": "oldnum==1.0\n",
            "apps/modern/requirements.txt": "# modern\nanyio==4.14.0\n",
        }
    )
    code, data, _ = analyze_json(run, root, index)
    assert code == 0
    [conflict] = data["conflicts"]
    assert conflict["kind"] == "python"
    assert conflict["apps"] == ["legacy", "modern"]
    assert "oldnum 1.0: wheels for cp310 only" in conflict["message"]
    assert "apps/legacy/requirements.txt:1" in conflict["message"]
    assert "anyio 4.14.0: Requires-Python >=3.12" in conflict["message"]
    assert "apps/modern/requirements.txt:2" in conflict["message"]
    assert group_of(data, "legacy")["python"] == "3.10"
    assert group_of(data, "modern")["python"] == NEWEST
    assert group_of(data, "legacy")["name"] != group_of(data, "modern")["name"]
    # The evidence is in the JSON report, on the app's Python constraints.
    [legacy] = [a for a in data["apps"] if a["name"] == "legacy"]
    [fact] = legacy["python_origins"]
    assert fact["evidence"] == "oldnum 1.0: wheels for cp310 only (manylinux x86_64)"
    assert fact["origin"]["file"] == "apps/legacy/requirements.txt"


def test_three_apps_that_share_no_python_pairwise_compatible(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    # a: 3.10–3.11, b: 3.11–3.12, c: 3.10 or 3.12: every pair shares a minor, the three do
    # not (an N-way python conflict).
    index = build_index(
        tmp_path / "index",
        [
            Dist("pa", "1", tags=wheels_for("3.10", "3.11")),
            Dist("pb", "1", tags=wheels_for("3.11", "3.12")),
            Dist("pc", "1", tags=wheels_for("3.10", "3.12")),
        ],
    )
    root = tree(
        {
            "apps/a/requirements.txt": "pa==1\n",
            "apps/b/requirements.txt": "pb==1\n",
            "apps/c/requirements.txt": "pc==1\n",
        }
    )
    code, data, _ = analyze_json(run, root, index)
    assert code == 0
    [conflict] = data["conflicts"]
    assert conflict["apps"] == ["a", "b", "c"]
    assert len(data["groups"]) == 2


def test_a_range_is_judged_by_the_release_pip_picks(tree: Tree, tmp_path: Path, run: Run) -> None:
    # markupsafe<2.1 installs 2.0.1, whose wheels stop at 3.10; 2.1.0 (pure) is out of range.
    index = build_index(
        tmp_path / "index",
        [
            Dist("markupsafe", "2.0.1", tags=wheels_for("3.9", "3.10"), sdist=True),
            Dist("markupsafe", "2.1.0"),
        ],
    )
    root = tree(
        {
            "apps/legacy/requirements.txt": "markupsafe<2.1\n",
            "apps/new/requirements.txt": "markupsafe\n",
            "apps/new/.python-version": "3.12\n",
        }
    )
    code, data, _ = analyze_json(run, root, index)
    assert code == 0
    assert group_of(data, "legacy")["python"] == "3.10"
    assert group_of(data, "new")["python"] == "3.12"
    [conflict] = data["conflicts"]
    assert conflict["kind"] == "python"
    assert "markupsafe<2.1 → 2.0.1: wheels for cp39–cp310 only" in conflict["message"]


@pytest.mark.parametrize(("line", "python"), [("lib==2.0", NEWEST), ("lib>=1", "3.10")])
def test_yanked_releases_count_only_for_an_exact_pin(
    tree: Tree, tmp_path: Path, run: Run, line: str, python: str
) -> None:
    # 2.0 (yanked) is pure Python: pinned exactly, pip takes it anywhere. A range skips it
    # and takes 1.0, which has a wheel for 3.10 only.
    index = build_index(
        tmp_path / "index",
        [Dist("lib", "1.0", tags=wheels_for("3.10")), Dist("lib", "2.0", yanked="broken")],
    )
    root = tree({"apps/app/requirements.txt": f"{line}\n"})
    code, data, _ = analyze_json(run, root, index)
    assert code == 0
    assert group_of(data, "app")["python"] == python


@pytest.mark.parametrize(("line", "python"), [("lib==2.8.*", "3.10"), ("lib==2.*,!=2.9.*", "3.10")])
def test_a_prefix_pin_is_judged_by_the_release_pip_picks(
    tree: Tree, tmp_path: Path, run: Run, line: str, python: str
) -> None:
    # ``==2.8.*`` names no one release (it once ended the run with an internal error): pip
    # takes a 2.8 release, whose wheels are for 3.10 only (2.9.0 is pure Python).
    index = build_index(
        tmp_path / "index",
        [Dist("lib", "2.8.1", tags=wheels_for("3.10")), Dist("lib", "2.9.0")],
    )
    root = tree({"apps/app/requirements.txt": f"{line}\n"})
    code, data, err = analyze_json(run, root, index)
    assert (code, err) == (0, "")
    assert group_of(data, "app")["python"] == python


# ------------------------------------------------------------------------------ sdists


def test_an_sdist_only_release_is_built_in_the_image(tree: Tree, tmp_path: Path, run: Run) -> None:
    index = build_index(
        tmp_path / "index",
        [Dist("compiled", "0.9", tags=(), sdist=True, requires_python=">=3.10")],
    )
    root = tree({"apps/app/requirements.txt": "compiled==0.9\n"})
    code, data, _ = analyze_json(run, root, index)
    assert code == 0
    group = group_of(data, "app")
    assert group["python"] == NEWEST
    assert group["builds"] == [
        {
            "package": "compiled",
            "version": "0.9",
            "reason": f"no wheel for {_cp(NEWEST)} manylinux x86_64; sdist only",
            "pure": False,
        }
    ]


def test_a_pure_python_sdist_is_built_by_pip_in_the_image_without_a_builder(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    # pycparser 2.19 came as an sdist only; the project's wheels (2.20 on) are all none-any:
    # pip builds 2.19 in the slim image, no compiler, no builder stage. A compiled project
    # beside it (cp wheels for other releases) still needs the builder.
    index = build_index(
        tmp_path / "index",
        [
            Dist("purepkg", "2.19", tags=(), sdist=True),
            Dist("purepkg", "2.20", tags=("py2.py3-none-any",), sdist=True),
            Dist("cext", "1.0", tags=(), sdist=True),
            Dist("cext", "1.1", tags=wheels_for("3.12"), sdist=True),
        ],
    )
    root = tree(
        {
            "apps/app/requirements.txt": "purepkg==2.19\n",
            "apps/other/requirements.txt": "purepkg==2.19\ncext==1.0\n",
        }
    )
    outdir = root / "deploy"
    code, _, err = run(
        "generate", str(root), "--index-facts", "--index-url", index.file_url, "-o", str(outdir)
    )
    assert code == 0, err
    plan = json.loads((outdir / "depsplit-plan.json").read_text(encoding="utf-8"))
    builds = {b["package"]: b for g in plan["groups"] for b in g["builds"]}
    assert builds["purepkg"]["pure"] is True
    assert "pure Python (pip builds it, no compiler)" in builds["purepkg"]["reason"]
    assert builds["cext"]["pure"] is False
    (group,) = plan["groups"]
    dockerfile = (outdir / group["name"] / "Dockerfile").read_text(encoding="utf-8")
    assert "AS builder" in dockerfile  # for cext
    assert "# compiled here: cext 1.0" in dockerfile
    assert "# compiled here: purepkg" not in dockerfile

    alone = tmp_path / "solo"
    alone.mkdir()
    (alone / "requirements.txt").write_text("purepkg==2.19\n", encoding="utf-8")
    out2 = alone / "deploy"
    code, _, err = run(
        "generate", str(alone), "--index-facts", "--index-url", index.file_url, "-o", str(out2)
    )
    assert code == 0, err
    plan = json.loads((out2 / "depsplit-plan.json").read_text(encoding="utf-8"))
    (group,) = plan["groups"]
    assert [b["package"] for b in group["builds"]] == ["purepkg"]
    dockerfile = (out2 / group["name"] / "Dockerfile").read_text(encoding="utf-8")
    assert "AS builder" not in dockerfile
    assert "build-essential" not in dockerfile
    assert "pure Python, no compiler needed): purepkg 2.19" in dockerfile
    assert "python -m pip install --prefer-binary -r" in dockerfile


def test_wheels_are_preferred_to_a_build_when_an_older_python_has_them(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    index = build_index(
        tmp_path / "index",
        [Dist("psy", "2.8.6", tags=wheels_for("3.10", "3.11"), sdist=True)],
    )
    root = tree({"apps/app/requirements.txt": "psy==2.8.6\n"})
    code, data, _ = analyze_json(run, root, index)
    assert code == 0
    group = group_of(data, "app")
    assert group["python"] == "3.11"
    assert group["builds"] == []


def test_a_build_is_chosen_when_no_python_has_wheels_for_every_pin(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    # a has wheels only for 3.10, b only for 3.12; both have sdists: the app still gets a
    # container, at the newest minor where everything installs, building what it must.
    index = build_index(
        tmp_path / "index",
        [
            Dist("pa", "1", tags=wheels_for("3.10"), sdist=True),
            Dist("pb", "1", tags=wheels_for("3.12"), sdist=True),
        ],
    )
    root = tree({"apps/app/requirements.txt": "pa==1\npb==1\n"})
    code, data, _ = analyze_json(run, root, index)
    assert code == 0
    group = group_of(data, "app")
    assert group["python"] == NEWEST
    assert [b["package"] for b in group["builds"]] == ["pa", "pb"]


# ------------------------------------------------------------------------------ failures


def test_a_release_that_does_not_exist_makes_the_app_unsatisfiable(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    index = build_index(tmp_path / "index", [Dist("lib", "1.0")])
    root = tree({"apps/app/requirements.txt": "lib==9.9\n"})
    code, data, _ = analyze_json(run, root, index)
    assert code == 1  # the default policy: an app that cannot be installed even alone
    [conflict] = data["conflicts"]
    assert conflict["apps"] == ["app"]
    assert "lib==9.9: no such release on the index" in conflict["message"]


def test_a_legacy_sdist_whose_version_holds_a_hyphen_is_a_release(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    # functools32-3.2.3-2.tar.gz: pip reads project functools32, version 3.2.3-2 (3.2.3.post2);
    # split at the last hyphen it would be project "functools32-3-2-3" and no release at all.
    index = build_index(tmp_path / "index", [Dist("oldlib", "3.2.3-2", tags=(), sdist=True)])
    assert (index.files / "oldlib-3.2.3-2.tar.gz").is_file()
    root = tree({"apps/app/requirements.txt": "oldlib\n"})
    code, data, _ = analyze_json(run, root, index)
    assert code == 0, data["conflicts"]
    group = group_of(data, "app")
    assert [(b["package"], b["version"]) for b in group["builds"]] == [("oldlib", "3.2.3.post2")]


def test_a_release_that_installs_on_no_supported_python_says_so(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    # lib 1.0 exists, but only as a wheel for a CPython no image has: not "no such release".
    index = build_index(tmp_path / "index", [Dist("lib", "1.0", tags=("cp34-cp34m-any",))])
    root = tree({"apps/app/requirements.txt": "lib==1.0\n"})
    code, data, _ = analyze_json(run, root, index)
    assert code == 1
    [conflict] = data["conflicts"]
    assert "lib==1.0: no release installs on a supported CPython" in conflict["message"]


def test_offline_with_an_empty_cache_says_the_python_is_unverified(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    built = build_index(tmp_path / "index", [Dist("lib", "1.0", tags=wheels_for("3.10"))])
    root = tree({"apps/app/requirements.txt": "lib==1.0\n"})
    with serve(built.root) as (base, _state):
        index_url = f"{base}/simple/"
        code, data, _err = _analyze_url(run, root, index_url, "--offline")
        assert code == 0
        group = group_of(data, "app")
        assert group["python_verified"] is False
        [diagnostic] = data["diagnostics"]
        assert diagnostic["level"] == "warning"
        assert "Python unverified for app" in diagnostic["message"]
        assert diagnostic["file"] == "apps/app/requirements.txt"
        # Online once, then offline from the cache: verified, the same plan.
        code, online, _ = _analyze_url(run, root, index_url)
        assert group_of(online, "app")["python"] == "3.10"
        assert group_of(online, "app")["python_verified"] is True
    code, offline, _ = _analyze_url(run, root, index_url, "--offline")
    assert offline == online


def _analyze_url(run: Run, root: Path, url: str, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run(
        "analyze", str(root), "--index-facts", "--index-url", url, "--format", "json", *extra
    )
    return code, json.loads(out), err


def test_an_unreachable_index_fails_closed(tree: Tree, run: Run) -> None:
    root = tree({"apps/app/requirements.txt": "lib==1.0\n"})
    code, out, _err = run(
        "analyze",
        str(root),
        "--index-facts",
        "--index-url",
        "http://127.0.0.1:9/simple/",
        "--format",
        "json",
    )
    assert code == 2
    data = json.loads(out)
    [diagnostic] = data["diagnostics"]
    assert diagnostic["level"] == "error"
    assert "cannot check which CPython lib supports" in diagnostic["message"]


def test_generate_writes_the_python_the_releases_support(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    index = build_index(
        tmp_path / "index",
        [
            Dist("markupsafe", "2.0.1", tags=wheels_for("3.9", "3.10"), sdist=True),
            Dist("flask", "1.1.1"),
        ],
    )
    root = tree({"apps/legacy/requirements.txt": "flask==1.1.1\nmarkupsafe<2.1\n"})
    outdir = root / "deploy"
    code, _, err = run(
        "generate", str(root), "--index-facts", "--index-url", index.file_url, "-o", str(outdir)
    )
    assert code == 0, err
    dockerfile = (outdir / "legacy" / "Dockerfile").read_text(encoding="utf-8")
    assert "ARG PYTHON_VERSION=3.10\n" in dockerfile
    plan = json.loads((outdir / "depsplit-plan.json").read_text(encoding="utf-8"))
    assert group_of(plan, "legacy")["python"] == "3.10"


def test_an_end_of_life_python_is_a_warning_naming_what_keeps_it(tree: Tree, run: Run) -> None:
    root = tree({"apps/old/.python-version": "3.8\n", "apps/old/requirements.txt": "flask\n"})
    code, out, _ = run("analyze", str(root), "--no-index-facts", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert group_of(data, "old")["python"] == "3.8"
    [warning] = data["diagnostics"]
    assert warning["level"] == "warning"
    assert warning["file"] == "apps/old/.python-version"
    assert warning["line"] == 1
    assert warning["message"] == (
        "old runs on CPython 3.8 (==3.8.*), end of life since 2024-10-07 (no security fixes)"
    )


def _pip_install_options(dockerfile: str) -> list[str]:
    """The options of the image's ``pip install … -r`` step, as the shell would split them."""
    run = dockerfile.split("python -m pip install", 1)[1].split("\n", 1)[0]
    words = shlex.split(run)
    return words[: words.index("-r")]


def test_the_image_installs_an_older_wheel_rather_than_build_a_newer_sdist(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    """An unpinned requirement whose newest release is sdist-only (and does not build here:
    an old CPython, no compiler in a slim image) while an older one has a wheel: the image's
    install takes the wheel. Checked by running the Dockerfile's own pip options against the
    local index; without them pip picks the sdist and fails, so the trap is real."""
    index = build_index(
        tmp_path / "index",
        [
            Dist("fastlib", "1.0"),
            Dist("fastlib", "2.0", tags=(), sdist=True, backend="fail"),
        ],
    )
    root = tree({"svc/requirements.txt": "fastlib\n"})
    outdir = root / "deploy"
    index_options = ("--index-facts", "--index-url", index.file_url)
    # Unlocked (--no-lock): the Dockerfile's pip options must choose the wheel.
    code, _, err = run("generate", str(root), *index_options, "-o", str(outdir), "--no-lock")
    assert code == 0, err
    (dockerfile,) = outdir.glob("*/Dockerfile")
    options = _pip_install_options(dockerfile.read_text(encoding="utf-8"))
    requirements = dockerfile.parent / "requirements.txt"

    def pip_install(*extra: str) -> subprocess.CompletedProcess[str]:
        target = tmp_path / f"target{len(extra)}"
        return subprocess.run(
            [sys.executable, "-m", "pip", "install", "--isolated", "--no-cache-dir",
             "--disable-pip-version-check", "--index-url", index.file_url,
             "--target", str(target), *extra, "-r", str(requirements)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip

    bare = pip_install()
    assert bare.returncode != 0
    assert "fastlib" in bare.stderr + bare.stdout
    image = pip_install(*options)
    assert image.returncode == 0, image.stderr
    assert "Successfully installed fastlib-1.0" in image.stdout
    # Locked (generate's default): the file pins the release that has a wheel.
    code, _, err = run("generate", str(root), *index_options, "-o", str(outdir), "--force")
    assert code == 0, err
    assert "\nfastlib==1.0 \\\n    --hash=sha256:" in requirements.read_text(encoding="utf-8")
    assert pip_install("--require-hashes").returncode == 0


def test_an_app_pinning_two_versions_is_a_version_conflict_not_a_python_one(
    tree: Tree, tmp_path: Path, run: Run
) -> None:
    """Its own files pin ``==25.2.0`` and ``==25.3.0``: no release satisfies both, whatever
    the CPython. The report says so with both lines (a version conflict of the app alone),
    not "allows no supported CPython"."""
    index = build_index(tmp_path / "index", [Dist("attrs", "25.2.0"), Dist("attrs", "25.3.0")])
    root = tree(
        {
            "app/pyproject.toml": '[project]\nname = "x"\nversion = "1"\n'
            'dependencies = ["attrs==25.2.0"]\n',
            "app/requirements.txt": "attrs==25.3.0\n",
        }
    )
    code, report, _ = analyze_json(run, root, index)
    assert code == 1
    assert report["unsatisfiable"] == ["app"]
    (conflict,) = report["conflicts"]
    assert (conflict["kind"], conflict["package"], conflict["apps"]) == (
        "version",
        "attrs",
        ["app"],
    )
    lines = sorted((r["origin"]["file"], r["specifier"]) for r in requirements_of(conflict))
    assert lines == [("app/pyproject.toml", "==25.2.0"), ("app/requirements.txt", "==25.3.0")]


def test_an_exact_pin_is_judged_by_the_release_pip_installs_local_labels_included(
    tmp_path: Path,
) -> None:
    """``lib==2.5.0`` admits ``2.5.0+cpu`` (PEP 440: the candidate's local label is ignored),
    which is newer than ``2.5.0``: pip installs it (indexes such as PyTorch's publish such
    releases). A pin to a release the page does not have looks at no other release."""
    import json as json_module

    from localindex import pip_dry_run

    from depsplit.index import Finder, IndexConfig
    from depsplit.model import Target
    from depsplit.pysupport import _Judge, _Page

    index = build_index(
        tmp_path / "index",
        [Dist("lib", "2.5.0"), Dist("lib", "2.5.0+cpu"), Dist("lib", "2.6.0")]
        + [Dist("lib", f"1.{i}") for i in range(50)],
    )
    result = pip_dry_run(index.files, "--quiet", "--report", "-", "lib==2.5.0")
    assert result.returncode == 0, result.stderr
    [installed] = json_module.loads(result.stdout)["install"]
    assert installed["metadata"]["version"] == "2.5.0+cpu"
    with Finder(IndexConfig(index_url=index.file_url, cache_dir=tmp_path / "c")) as finder:
        page = _Page(finder.versions("lib"), _Judge(Target(), SUPPORTED_PYTHONS))
        pick = page.pick("==2.5.0", NEWEST)
        assert pick is not None
        assert str(pick[0]) == "2.5.0+cpu"
        assert page.lists("==2.5.0")
        judged: list[object] = []
        status = page.status
        page.status = lambda version: judged.append(version) or status(version)  # type: ignore[method-assign]
        assert page.pick("==9.9", NEWEST) is None
        assert not page.lists("==9.9")
        assert page.pick("==1.7", NEWEST) is not None
        assert [str(v) for v in judged] == ["1.7"]
