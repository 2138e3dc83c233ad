"""Direct conflicts: version algebra case tables, markers per target, URLs, the
interpreter, N-way sets, ids and messages."""

from __future__ import annotations

import time

import pytest

from depsplit.conflicts import (
    analyze_conflicts,
    app_python,
    check_group,
    common_python,
    conflict_id,
    effective,
    expand,
    find_conflicts,
    group_notes,
    judge,
    unsatisfiable_apps,
)
from depsplit.model import App, Origin, PythonRequirement, Requirement, Role, Target
from depsplit.sources.base import parse_requirement

AMD64 = Target()
ARM64 = Target(platform="linux/arm64")


def make_app(
    name: str,
    *lines: str,
    python: tuple[str, ...] = (),
    role: Role = "main",
    via: tuple[str, ...] = (),
    extra: tuple[Requirement, ...] = (),
) -> App:
    """An app whose requirement ``i`` sits on line ``i + 1`` of ``<name>/requirements.txt``."""
    reqs = tuple(
        parse_requirement(line, Origin(f"{name}/requirements.txt", i + 1, via), role=role)
        for i, line in enumerate(lines)
    )
    pythons = tuple(PythonRequirement(p, Origin(f"{name}/pyproject.toml", 4)) for p in python)
    return App(name, name, (f"{name}/requirements.txt",), reqs + extra, pythons)


def req(line: str, app: str, lineno: int, role: Role = "main") -> Requirement:
    return parse_requirement(line, Origin(f"{app}/extra.txt", lineno), role=role)


def pairs(conflicts: list) -> list[tuple[str, ...]]:  # type: ignore[type-arg]
    """Every minimal set of apps the conflicts stand for (a conflict between sides of apps
    that ask the same stands for one set per choice of one app per side)."""
    return [s for c in conflicts for s in expand(c)]


# --------------------------------------------------------------------------- algebra

PAIRS = [
    # ~=
    pytest.param("~=1.4", "==1.5", True, id="compatible-release-inside"),
    pytest.param("~=1.4", ">=2", False, id="compatible-release-above"),
    pytest.param("~=1.4.2", "==1.5", False, id="compatible-release-patch"),
    pytest.param("~=1.4.2", "==1.4.9", True, id="compatible-release-patch-inside"),
    # ==x.*
    pytest.param("==1.*", "==2.*", False, id="prefix-disjoint"),
    pytest.param("==1.*", ">=1.5", True, id="prefix-overlap"),
    pytest.param("==1.*", "<1", False, id="prefix-below-excludes-its-prereleases"),
    # !=x.*
    pytest.param("!=1.*", "==1.4", False, id="exclude-prefix-hits-pin"),
    pytest.param("!=1.*", ">=1,<3", True, id="exclude-prefix-leaves-2"),
    pytest.param("!=1.*", ">=1,<2", False, id="exclude-prefix-covers-range"),
    # ===
    pytest.param("===1.0", "==1.0", True, id="arbitrary-equals-pin"),
    pytest.param("===1.0", "===1.0.0", False, id="arbitrary-is-string-equality"),
    pytest.param("===1.0", "===1.0", True, id="arbitrary-same-string"),
    pytest.param("===foo", "", True, id="arbitrary-nonversion-any"),
    pytest.param("===foo", ">=1", False, id="arbitrary-nonversion-vs-range"),
    pytest.param("===1.0", "<1", False, id="arbitrary-below"),
    pytest.param("===1.0", "!=1.0", False, id="arbitrary-excluded"),
    # pre-releases (pip: admitted when nothing else satisfies the combined set)
    pytest.param(">=2.0b1", "<2.0rc1", True, id="pre-only-meet-is-ok"),
    pytest.param("==2.0a1", ">=2.0", False, id="pre-below-final"),
    pytest.param("<2", ">=2.0a1", False, id="lt-excludes-own-prereleases"),
    pytest.param("<2", "==1.9rc1", True, id="pre-of-earlier-version"),
    # post / dev
    pytest.param("==1.0.post1", ">1.0", False, id="gt-excludes-own-post"),
    pytest.param("==1.0.post1", ">=1.0", True, id="ge-admits-post"),
    pytest.param("==1.0.dev0", "<1.0", False, id="lt-excludes-own-dev"),
    pytest.param("==1.0.dev0", "<=1.0", True, id="le-admits-dev"),
    # local versions
    pytest.param("==1.0+cpu", "==1.0", True, id="local-vs-public"),
    pytest.param("==1.0+cpu", "==1.0+cu118", False, id="two-locals"),
    pytest.param("==1.0+cpu", "!=1.0", False, id="ne-public-excludes-local"),
    pytest.param("==1.0+cpu", "<=1.0", True, id="le-admits-local"),
    # epochs
    pytest.param("==1!2.0", "<3", False, id="epoch-above-everything"),
    pytest.param("==1!2.0", ">=1!1.0", True, id="epoch-same"),
    pytest.param(">=1!0", "==5.0", False, id="epoch-floor"),
    # plain
    pytest.param("==2.3.0", "<2", False, id="pin-above-ceiling"),
    pytest.param(">=1", "", True, id="any-version"),
]


@pytest.mark.parametrize(("a", "b", "ok"), PAIRS)
def test_judge_pairs(a: str, b: str, ok: bool) -> None:
    assert judge([a, b]).satisfiable is ok


@pytest.mark.parametrize(("a", "b", "ok"), PAIRS)
def test_pairs_as_apps(a: str, b: str, ok: bool) -> None:
    apps = [make_app("one", f"pkg{a}"), make_app("two", f"pkg{b}")]
    conflicts = find_conflicts(apps, AMD64)
    assert [c.apps for c in conflicts] == ([] if ok else [("one", "two")])


def test_prerelease_only_is_noted_not_a_conflict() -> None:
    verdict = judge([">=2.0b1", "<2.0rc1"])
    assert verdict.satisfiable
    assert verdict.prerelease_only
    assert verdict.reason == "only pre-releases satisfy both"
    apps = [make_app("new", "pkg>=2.0b1"), make_app("old", "pkg<2.0rc1")]
    result = analyze_conflicts(apps, AMD64)
    assert result.conflicts == ()
    assert [d.message for d in result.diagnostics] == [
        "pkg: only pre-releases satisfy both >=2.0b1 (new) and <2.0rc1 (old); "
        "pip installs a pre-release if they share a container"
    ]
    assert [d.message for d in group_notes(apps, AMD64)] == [
        "pkg: only pre-releases satisfy both >=2.0b1 (new) and <2.0rc1 (old); "
        "pip installs a pre-release"
    ]


def test_judge_reason() -> None:
    assert judge(["==2.3.0", "<2"]).reason == "no version is both ==2.3.0 and <2"
    assert judge([">=1", "<3"]) == judge([">=1", "<3"])
    assert judge([">=1", "<3"]).reason == ""


@pytest.mark.parametrize(
    ("specs", "reason"),
    [
        (["==1", ">=2,<3"], "no version is both ==1 and (>=2,<3)"),
        (["===1.0", "==2"], "'===' compares version strings literally: no version string "
         "is both ===1.0 and ==2"),
        (["==1", "==1", "==2"], "no version is both ==1 and ==2"),
        (["==1", "==2", "==3"], "no version is ==1, ==2 and ==3 at once"),
        (["", "==1", "==2"], "no version is any version, ==1 and ==2 at once"),
    ],
)  # fmt: skip
def test_judge_reason_lists_each_distinct_specifier_once(specs: list[str], reason: str) -> None:
    """One wording for two sides and for more: distinct specifiers, multi-clause ones in
    parentheses, and the ``===`` lead when any compares strings."""
    assert judge(specs).reason == reason


def test_extras_do_not_change_the_version() -> None:
    apps = [make_app("a", "requests[socks]>=2"), make_app("b", "requests<2")]
    assert pairs(find_conflicts(apps, AMD64)) == [("a", "b")]
    apps = [make_app("a", "requests[socks]"), make_app("b", "requests==2.0")]
    assert find_conflicts(apps, AMD64) == []


def test_names_are_compared_canonicalized_and_shown_as_written() -> None:
    apps = [make_app("a", "Flask_Login==1.0"), make_app("b", "flask-login==2.0")]
    (conflict,) = find_conflicts(apps, AMD64)
    assert conflict.package == "Flask_Login"
    assert conflict.id.startswith("version:flask-login:")


# --------------------------------------------------------------------------- N-way

THREE = [">=1,<3", ">=2,<4", ">=1,<4,!=2.*"]


def test_three_way_conflict_is_one_conflict_of_three_apps() -> None:
    apps = [make_app(n, f"x{s}") for n, s in zip("abc", THREE, strict=True)]
    for a, b in [(0, 1), (0, 2), (1, 2)]:
        assert find_conflicts([apps[a], apps[b]], AMD64) == []
    (conflict,) = find_conflicts(apps, AMD64)
    assert conflict.apps == ("a", "b", "c")
    assert conflict.kind == "version"
    assert "every two of them can be met" in conflict.message
    assert check_group(apps, AMD64) == [conflict]
    assert check_group(apps[:2], AMD64) == []


def test_three_way_expands_over_apps_with_identical_specifiers() -> None:
    apps = [make_app(f"{n}{i}", f"x{s}") for n, s in zip("abc", THREE, strict=True) for i in (1, 2)]
    (conflict,) = find_conflicts(apps, AMD64)
    # One conflict between three sides of two apps each: it stands for all 8 sets.
    assert conflict.apps == ("a1", "b1", "c1")
    assert conflict.members == (("a1", "a2"), ("b1", "b2"), ("c1", "c2"))
    assert len(pairs([conflict])) == 8
    assert all(len(s) == 3 for s in pairs([conflict]))
    assert "a1 and 1 other app need" in conflict.message


def test_nway_not_reported_when_a_pair_already_conflicts() -> None:
    apps = [make_app("a", "x>=1,<3"), make_app("b", "x>=3"), make_app("c", "x!=2.*")]
    assert pairs(find_conflicts(apps, AMD64)) == [("a", "b")]


def test_four_way_with_two_holes() -> None:
    specs = [">=1,<3", ">=1,<3,!=1.*", ">=1,<3,!=2.0", ">=1,<3,!=2.0.*,!=2.1.*"]
    # Together they leave 2.2+, except nothing in [2.0, 2.2) and <3 … still 2.2 works.
    apps = [make_app(f"a{i}", f"x{s}") for i, s in enumerate(specs)]
    assert find_conflicts(apps, AMD64) == []
    specs.append(">=1,<2.2")
    apps = [make_app(f"a{i}", f"x{s}") for i, s in enumerate(specs)]
    conflicts = find_conflicts(apps, AMD64)
    assert conflicts
    assert all(len(c.apps) >= 3 for c in conflicts)
    assert check_group(apps, AMD64)


def test_check_group_catches_sets_beyond_the_search_bound() -> None:
    # ``>=1.0,<1.7`` is tiled by the blocks 1.0.* … 1.6.*; each other member removes one
    # block. Together: nothing; without any one member: its block. Eight members.
    specs = [">=1.0,<1.7"] + [f"!=1.{i}.*" for i in range(7)]
    apps = [make_app(f"a{i}", f"x{s}") for i, s in enumerate(specs)]
    assert find_conflicts(apps, AMD64) == []  # beyond MAX_NWAY_SIZE distinct ranges
    (found,) = analyze_conflicts(apps, AMD64, max_nway=8).conflicts
    assert len(found.apps) == 8
    assert check_group(apps, AMD64) == [found]
    assert check_group(apps[1:], AMD64) == []


# --------------------------------------------------------------------------- markers

MARKERS = [
    pytest.param('sys_platform == "win32"', AMD64, False, id="win32-never"),
    pytest.param('python_version < "3"', AMD64, False, id="python2-never"),
    pytest.param('python_version >= "3.8"', AMD64, True, id="python38-counts"),
    pytest.param('platform_machine == "aarch64"', AMD64, False, id="arm-on-amd64"),
    pytest.param('platform_machine == "aarch64"', ARM64, True, id="arm-on-arm64"),
    pytest.param('platform_machine == "x86_64"', AMD64, True, id="x86-on-amd64"),
    pytest.param('sys_platform == "linux"', AMD64, True, id="linux"),
    pytest.param('extra == "gpu"', AMD64, False, id="extra-not-requested"),
    pytest.param('implementation_name == "pypy"', AMD64, False, id="pypy-never"),
]


@pytest.mark.parametrize(("marker", "target", "counts"), MARKERS)
def test_markers_per_target(marker: str, target: Target, counts: bool) -> None:
    apps = [make_app("a", f"x==1; {marker}"), make_app("b", "x==2")]
    assert bool(find_conflicts(apps, target)) is counts


def test_python_marker_evaluated_at_the_pairs_common_python() -> None:
    old = make_app("old", 'x==1; python_version < "3.12"', python=("<3.12",))
    any_python = make_app("any", 'x==1; python_version < "3.12"')
    other = make_app("other", "x==2")
    assert pairs(find_conflicts([old, other], AMD64)) == [("old", "other")]
    assert find_conflicts([any_python, other], AMD64) == []
    assert pairs(find_conflicts([any_python, other], Target(python="3.11"))) == [("any", "other")]


def test_invalid_marker_does_not_crash_and_counts() -> None:
    bad = Requirement("x", "x", "==1", Origin("a/requirements.txt", 1), marker="not valid")
    apps = [make_app("a", extra=(bad,)), make_app("b", "x==2")]
    assert pairs(find_conflicts(apps, AMD64)) == [("a", "b")]


# --------------------------------------------------------------------------- roles


def test_dev_and_optional_never_conflict() -> None:
    apps = [
        make_app("a", "x==1", role="dev"),
        make_app("b", "x==2"),
        make_app("c", "x==3", role="optional"),
    ]
    assert find_conflicts(apps, AMD64) == []


def test_constraints_only_constrain_required_packages() -> None:
    only_constraint = make_app("a", "x<2", role="constraint")
    other = make_app("b", "x>=2")
    assert find_conflicts([only_constraint, other], AMD64) == []
    required = make_app("a", "x", extra=(req("x<2", "a", 7, role="constraint"),))
    (conflict,) = find_conflicts([required, other], AMD64)
    assert conflict.apps == ("a", "b")
    assert [r.origin for r in conflict.requirements if r.app == "a"] == [
        Origin("a/requirements.txt", 1),
        Origin("a/extra.txt", 7),
    ]


def test_lock_pins_count() -> None:
    locked = make_app("a", "x==1.0", role="lock")
    assert pairs(find_conflicts([locked, make_app("b", "x>=2")], AMD64)) == [("a", "b")]


def test_effective() -> None:
    app = make_app(
        "a",
        "x>=1",
        'y==1; sys_platform == "win32"',
        extra=(
            req("x<3", "a", 1, role="constraint"),
            req("z<3", "a", 2, role="constraint"),
            req("pytest", "a", 3, role="dev"),
            req("x==1.5", "a", 4, role="lock"),
        ),
    )
    eff = effective(app, AMD64, "3.12")
    assert list(eff) == ["x"]
    assert [r.specifier for r in eff["x"]] == [">=1", "==1.5", "<3"]


# --------------------------------------------------------------------------- one app


def test_app_unsatisfiable_alone() -> None:
    app = make_app(
        "legacy",
        "flask==1.0",
        via=("legacy/requirements.txt:2", "libs/base.txt:4"),
        extra=(req("flask>=2", "legacy", 9),),
    )
    (conflict,) = find_conflicts([app, make_app("api", "flask==1.0")], AMD64)
    assert conflict.apps == ("legacy",)
    assert unsatisfiable_apps([conflict]) == ["legacy"]
    assert conflict.message == (
        "flask: legacy needs ==1.0 (legacy/requirements.txt:1 via legacy/requirements.txt:2 "
        "→ libs/base.txt:4) and >=2 (legacy/extra.txt:9): no version is both ==1.0 and >=2"
    )
    assert check_group([app], AMD64) == [conflict]


# --------------------------------------------------------------------------- URLs

WHEEL = "https://files.example/x-1.0-py3-none-any.whl"

URLS = [
    pytest.param(f"x @ {WHEEL}", f"x @ {WHEEL}", None, id="same-url"),
    pytest.param(f"x @ {WHEEL}", "x @ https://files.example/x-2.0.tar.gz", "url", id="two-urls"),
    pytest.param(f"x @ {WHEEL}", "x>=2", "url", id="wheel-version-excluded"),
    pytest.param(f"x @ {WHEEL}", "x<2", None, id="wheel-version-admitted"),
    pytest.param("x @ git+https://git.example/x@v2.3.0", "x<2", "url", id="vcs-tag-version"),
    pytest.param("x @ git+https://git.example/x@main", "x<2", None, id="vcs-branch-unknown"),
    pytest.param(
        "x @ git+https://git.example/x@main",
        "x @ git+https://git.example/x@dev",
        "url",
        id="vcs-two-refs",
    ),
]


@pytest.mark.parametrize(("a", "b", "kind"), URLS)
def test_urls(a: str, b: str, kind: str | None) -> None:
    conflicts = find_conflicts([make_app("a", a), make_app("b", b)], AMD64)
    assert [c.kind for c in conflicts] == ([kind] if kind else [])


def test_url_naming_no_version_is_a_warning() -> None:
    apps = [make_app("a", "x @ git+https://git.example/x@main"), make_app("b", "x<2")]
    result = analyze_conflicts(apps, AMD64)
    assert result.conflicts == ()
    assert "names no version" in result.diagnostics[0].message


def test_url_message() -> None:
    apps = [make_app("a", f"x @ {WHEEL}"), make_app("b", "x>=2")]
    (conflict,) = find_conflicts(apps, AMD64)
    assert conflict.message == (
        f"x: a needs @ {WHEEL} (a/requirements.txt:1) but b needs >=2 (b/requirements.txt:1): "
        "the URL names version 1.0, which >=2 excludes"
    )
    assert conflict.requirements[0].url == WHEEL


def test_relative_paths_resolve_against_their_file() -> None:
    one = Requirement("lib", "lib", "", Origin("svc/a/requirements.txt", 1), url="../../libs/lib")
    two = Requirement("lib", "lib", "", Origin("svc/requirements.txt", 1), url="../libs/lib/")
    apps = [make_app("a", extra=(one,)), make_app("b", extra=(two,))]
    assert find_conflicts(apps, AMD64) == []


# --------------------------------------------------------------------------- interpreter


def test_requires_python_clash() -> None:
    apps = [
        make_app("new", "x", python=(">=3.12",)),
        make_app("old", "x==1", python=("<3.11",)),
    ]
    (conflict,) = find_conflicts(apps, AMD64)
    assert (conflict.kind, conflict.package, conflict.apps) == ("python", "python", ("new", "old"))
    assert conflict.message == (
        "python: new allows >=3.12 (new/pyproject.toml:4) but old allows <3.11 "
        "(old/pyproject.toml:4): no supported CPython (2.7, 3.5–3.14) is both >=3.12 and <3.11"
    )
    assert [r.specifier for r in conflict.requirements] == [">=3.12", "<3.11"]
    assert check_group(apps, AMD64) == [conflict]


def test_python_three_way() -> None:
    apps = [
        make_app("a", python=(">=3.10,<3.12",)),
        make_app("b", python=(">=3.11,<3.13",)),
        make_app("c", python=(">=3.10,<3.13,!=3.11.*",)),
    ]
    (conflict,) = find_conflicts(apps, AMD64)
    assert conflict.apps == ("a", "b", "c")
    assert conflict.kind == "python"


def test_no_supported_python_is_a_one_app_conflict() -> None:
    (conflict,) = find_conflicts([make_app("ancient", python=("==3.4.*",))], AMD64)
    assert conflict.apps == ("ancient",)
    assert conflict.message == (
        "python: ancient allows ==3.4.* (ancient/pyproject.toml:4): "
        "no supported CPython (2.7, 3.5–3.14) satisfies it"
    )
    # Old pins are not unsatisfiable: each gets the newest minor it allows.
    for spec, python in [("<3.8", "3.7"), ("<3.9", "3.8"), ("==2.7.*", "2.7"), ("<3", "2.7")]:
        app = make_app("old", python=(spec,))
        assert find_conflicts([app], AMD64) == []
        assert app_python(app, AMD64) == python


def test_fixed_python() -> None:
    target = Target(python="3.10")
    app = make_app("new", python=(">=3.11",))
    (conflict,) = find_conflicts([app, make_app("any")], target)
    assert conflict.apps == ("new",)
    assert conflict.message.endswith("but the container's Python is 3.10")
    assert app_python(app, target) == "3.10"
    assert common_python([app], target) is None
    assert common_python([make_app("any")], target) == "3.10"


def test_app_and_common_python() -> None:
    a = make_app("a", python=(">=3.10",))
    b = make_app("b", python=("<3.12",))
    c = make_app("c", python=("<3.8",))
    assert app_python(a, AMD64) == "3.14"
    assert app_python(b, AMD64) == "3.11"
    assert app_python(c, AMD64) == "3.7"
    assert common_python([b, c], AMD64) == "3.7"
    c = make_app("c", python=(">=3.15",))
    assert app_python(c, AMD64) is None
    assert common_python([a, b], AMD64) == "3.11"
    assert common_python([a, c], AMD64) is None
    assert common_python([], AMD64) == "3.14"


def test_check_group_at_a_given_python() -> None:
    app = make_app("a", 'x==1; python_version < "3.12"', python=(">=3.11",))
    other = make_app("b", "x==2")
    assert check_group([app, other], AMD64) == []
    assert pairs(check_group([app, other], AMD64, python="3.11")) == [("a", "b")]
    assert pairs(check_group([app, other], AMD64, python="3.10")) == [("a",)]


# --------------------------------------------------------------------------- ids, output


def test_conflict_id_is_stable() -> None:
    """A conflict's id comes from its kind, package and what each side asks (as a version
    range): not from the order of the input, the spelling of the specifier or the name,
    nor from which apps hold it, so adding an app to one side keeps it."""
    one = find_conflicts([make_app("a", "flask==2.3.0"), make_app("b", "flask<2")], AMD64)
    two = find_conflicts(
        [make_app("b", "requests", "Flask<2.0"), make_app("a", "pytest", "flask==2.3")], AMD64
    )
    three = find_conflicts(
        [
            make_app("a", "flask==2.3.0"),
            make_app("b", "flask<2"),
            make_app("aa", "flask==2.3.0.0"),
            make_app("c", "other==1"),
        ],
        AMD64,
    )
    assert one[0].id == two[0].id == three[0].id
    assert one[0].id.startswith("version:flask:")
    assert three[0].members == (("a", "aa"), ("b",))
    moved = find_conflicts([make_app("a", "flask==2.3.0"), make_app("b", "flask<1.5")], AMD64)
    assert moved[0].id != one[0].id  # another specifier: another conflict
    assert conflict_id("version", "flask", ["a", "b"]) != conflict_id("url", "flask", ["a", "b"])
    # A conflict of one app is named after the app.
    (alone,) = find_conflicts([make_app("a", "flask==1", "flask==2")], AMD64)
    assert alone.id == conflict_id("version", "flask", ["a"])


def test_message_names_apps_specifiers_origins_and_chain() -> None:
    api = make_app("api", "flask==2.3.0")
    legacy = make_app("legacy", "flask<2", via=("legacy/requirements.txt:2", "libs/base.txt:4"))
    (conflict,) = find_conflicts([legacy, api], AMD64)
    assert conflict.message == (
        "flask: api needs ==2.3.0 (api/requirements.txt:1) but legacy needs <2 "
        "(legacy/requirements.txt:1 via legacy/requirements.txt:2 → libs/base.txt:4): "
        "no version is both ==2.3.0 and <2"
    )
    assert [(r.app, r.specifier, r.name) for r in conflict.requirements] == [
        ("api", "==2.3.0", "flask"),
        ("legacy", "<2", "flask"),
    ]


def test_output_is_sorted_and_deterministic() -> None:
    apps = [
        make_app("c", "x==3", "y==1", python=(">=3.12",)),
        make_app("a", "x==1", "y==2"),
        make_app("b", "x==2", python=("<3.11",)),
    ]
    forward = find_conflicts(apps, AMD64)
    assert forward == find_conflicts(list(reversed(apps)), AMD64)
    assert [(c.kind, c.package, c.apps) for c in forward] == [
        ("python", "python", ("b", "c")),
        ("version", "x", ("a", "b")),
        ("version", "x", ("a", "c")),
        ("version", "y", ("a", "c")),
    ]


def test_many_apps_stay_fast() -> None:
    pool = [">=1", "", ">=1.2", "~=1.4", ">=1,!=1.5.0", "<3", "==1.4.2"]
    apps = [
        App(
            f"app{i:04d}",
            f"app{i}",
            (),
            tuple(
                parse_requirement(
                    f"pkg{k}{pool[(i * 7 + k * 3) % len(pool)]}", Origin(f"app{i}/r.txt", k + 1)
                )
                for k in range(10)
            ),
        )
        for i in range(2000)
    ]
    apps.append(make_app("odd", "pkg0<1"))
    start = time.monotonic()
    result = analyze_conflicts(apps, AMD64)
    assert time.monotonic() - start < 10
    assert result.complete
    assert {c.package for c in result.conflicts} == {"pkg0"}
    assert all("odd" in c.apps for c in result.conflicts)
