"""depsplit's verdict on random specifier sets agrees with brute force: packaging's own
``contains`` over every version that can be a witness — a fixed sample, and versions made
from every operand the sets name (itself, the releases just above and below each of its
segments, each with pre, post, dev and local variants). A conjunction of specifiers allows
a union of intervals whose ends are those operands (and prefixes), so when it allows any
version it allows one of these: the reference never reports a false disagreement, and it
catches a check that is wrong at a boundary (shown with deliberately broken checks)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from packaging.specifiers import Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from depsplit.conflicts import check_group, judge
from depsplit.model import App, Origin, Target
from depsplit.sources.base import parse_requirement

BASES = ["0.9", "1.0", "1.1", "1.5", "2.0", "2.1", "3.0", "1!1.0", "1!2.0"]
"""The versions specifiers name, before variants."""

VARIANTS = [
    ".dev0",
    ".dev1",
    "a0",
    "a1",
    "a1.dev0",
    "b1",
    "rc1",
    "",
    "+local",
    "+zzz",
    ".post1.dev0",
    ".post1",
    ".post1+local",
    ".post2",
]
OPERANDS = [b + v for b in BASES for v in ("", "a1", ".dev0", ".post1", "rc1")]
LOCAL_OPERANDS = [f"{b}+local" for b in BASES]
PREFIXES = ["0", "1", "1.0", "1.1", "2", "2.0", "1!1", "1!2"]

SAMPLE = sorted(
    {b + v for b in BASES for v in VARIANTS}
    # Between grid points, past every post release of a point, and far ends.
    | {f"{b}.5" for b in BASES}
    | {f"{b}.0.1" for b in BASES}
    | {f"{b}.5a1" for b in BASES}
    | {"0", "0.0.dev0", "0.1", "4.0", "100", "1!0", "1!0.5", "1!100", "2!0", "foo"}
)
"""Versions tried whatever the specifiers: far ends, epochs, a non-PEP 440 string."""

clause = st.one_of(
    st.builds("{}{}".format, st.sampled_from(["==", "!="]), st.sampled_from(OPERANDS)),
    st.builds("{}{}".format, st.sampled_from(["==", "!="]), st.sampled_from(LOCAL_OPERANDS)),
    st.builds("{}{}".format, st.sampled_from(["<", "<=", ">", ">="]), st.sampled_from(OPERANDS)),
    st.builds("~={}".format, st.sampled_from(OPERANDS)),
    st.builds("{}{}.*".format, st.sampled_from(["==", "!="]), st.sampled_from(PREFIXES)),
    st.builds("==={}".format, st.sampled_from(SAMPLE)),
)
specifier_set = st.lists(clause, min_size=0, max_size=3).map(",".join)
specifier_sets = st.lists(specifier_set, min_size=1, max_size=4)


SUFFIXES = [
    "",
    ".dev0",
    ".dev1",
    "a0",
    "a1",
    "a1.dev0",
    "a2",
    "b1",
    "rc1",
    "rc2",
    ".post0",
    ".post1",
    ".post1.dev0",
    ".post2",
    "+local",
    "+zzz",
    ".post1+local",
]
"""Every kind of version at one release: the specifier rules single out pre-releases
(``<V``), post-releases (``>V``), dev releases and local versions (``==V``, ``<=V``)."""


def _releases_around(release: tuple[int, ...]) -> set[tuple[int, ...]]:
    """``release``, the release just above it (``R.1``, ``R.0.1``), the next release of
    each segment (``1.1`` → ``1.2``, ``2``) and the one just below the last (``1.0`` for
    ``1.1``, ``0.999`` for ``1``): the ends of every interval an operand bounds."""
    out = {release, (*release, 1), (*release, 0, 1)}
    for i in range(len(release)):
        out.add((*release[:i], release[i] + 1))
        out.add((*release[:i], release[i] + 1, 0, 1))
    if release[-1] > 0:
        out.add((*release[:-1], release[-1] - 1))
        out.add((*release[:-1], release[-1] - 1, 999))
    return out


@cache
def witnesses(operand: str) -> frozenset[str]:
    """The versions that can witness a set using ``operand`` (``1.1``, ``1.0a1``, ``1!2.*``,
    an ``===`` string)."""
    out = {operand}
    try:
        v = Version(operand.removesuffix(".*"))
    except InvalidVersion:
        return frozenset(out)
    epoch = f"{v.epoch}!" if v.epoch else ""
    for release in _releases_around(v.release):
        base = epoch + ".".join(map(str, release))
        out.update(base + suffix for suffix in SUFFIXES)
    base = epoch + ".".join(map(str, v.release))
    if v.pre is not None:
        letter, n = v.pre
        for pre in (f"{letter}{n}", f"{letter}{n + 1}"):
            out.update(f"{base}{pre}{suffix}" for suffix in SUFFIXES)
    if v.post is not None:
        for post in (v.post, v.post + 1):
            out.update(f"{base}.post{post}{suffix}" for suffix in ("", ".dev0", "+local"))
    if v.dev is not None:
        out.update(f"{base}.dev{v.dev + 1}", f"{base}.dev{v.dev}+local")
    return frozenset(out)


def candidates(specs: Sequence[str]) -> list[str]:
    """The fixed sample and the witnesses of every operand of ``specs``."""
    out = set(SAMPLE)
    for text in specs:
        for spec in _set(text):
            out |= witnesses(spec.version)
    return sorted(out)


@cache
def _set(text: str) -> SpecifierSet:
    return SpecifierSet(text)


@cache
def _allows(text: str, version: str) -> bool:
    """packaging's verdict (memoized: the same sets and versions come back often)."""
    return _set(text).contains(version)


def brute_force(specs: Sequence[str]) -> bool:
    """Whether some version meets every set of ``specs``, by trying every candidate."""
    return any(all(_allows(s, v) for s in specs) for v in candidates(specs))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specifier_sets)
def test_judge_agrees_with_brute_force(specs: list[str]) -> None:
    assert judge(specs).satisfiable is brute_force(specs)


Check = Callable[[list[App], Target], list]  # type: ignore[type-arg]


def agrees(check: Check, specs: list[str]) -> None:
    """``check``'s verdict on one app per set of ``specs`` agrees with brute force, and
    every conflict it reports is minimal."""
    apps = [
        App(
            f"app{i}",
            f"app{i}",
            (),
            (parse_requirement(f"pkg{s}", Origin(f"app{i}/requirements.txt", 1)),),
        )
        for i, s in enumerate(specs)
    ]
    conflicts = check(apps, Target())
    assert (conflicts == []) is brute_force(specs), (specs, conflicts)
    # Every reported set is minimal: without any one member, the rest can be met.
    for conflict in conflicts:
        members = [specs[int(a.removeprefix("app"))] for a in conflict.apps]
        assert not brute_force(members)
        for drop in range(len(members)):
            rest = members[:drop] + members[drop + 1 :]
            assert not rest or brute_force(rest)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specifier_sets)
def test_check_group_agrees_with_brute_force(specs: list[str]) -> None:
    agrees(check_group, specs)


@pytest.mark.parametrize(
    ("specs", "satisfiable"),
    [
        (["<1.5,~=1.1,!=1.1.*"], True),  # 1.2 to 1.4: none in the fixed sample
        ([">1.1,<1.3,!=1.2,!=1.1.1"], True),
        ([">1.0a1,<1.0a2"], True),  # 1.0a2.dev0
        (["~=1.1", "<1.2", "!=1.1.*"], False),
        (["<1.0", ">0.9.9", "!=0.9.*"], True),  # 0.10
        ([">=1!1.0,<1!1.1,!=1!1.0"], True),
    ],
)
def test_the_reference_finds_witnesses_off_the_sample(specs: list[str], satisfiable: bool) -> None:
    """The flaky case (a witness between the sample's versions), and others like it."""
    assert brute_force(specs) is satisfiable
    assert judge(specs).satisfiable is satisfiable
    agrees(check_group, specs)


def _rewritten(rewrite: Callable[[Specifier], str | None]) -> Check:
    """depsplit's check run on every clause as ``rewrite`` changes it (``None``: drop it):
    a deliberately broken check."""

    def check(apps: list[App], target: Target) -> list:  # type: ignore[type-arg]
        changed = []
        for app in apps:
            (req,) = app.requirements
            clauses = [rewrite(c) for c in SpecifierSet(req.specifier)]
            text = ",".join(c for c in clauses if c)
            origin = Origin(f"{app.path}/requirements.txt", 1)
            changed.append(App(app.name, app.path, (), (parse_requirement(f"pkg{text}", origin),)))
        return check_group(changed, target)

    return check


BROKEN = {
    "drops !=": _rewritten(lambda c: None if c.operator == "!=" else str(c)),
    "< as <=": _rewritten(lambda c: f"<={c.version}" if c.operator == "<" else str(c)),
    "> as >=": _rewritten(lambda c: f">={c.version}" if c.operator == ">" else str(c)),
    "~= as >=": _rewritten(lambda c: f">={c.version}" if c.operator == "~=" else str(c)),
    "==X.* as ==X": _rewritten(
        lambda c: c.operator + c.version.removesuffix(".*") if c.operator == "==" else str(c)
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_the_reference_catches_a_broken_check(name: str) -> None:
    """The same property, run on a check broken on purpose, fails: the reference is not
    so lenient that it would agree with anything."""

    @settings(
        max_examples=2000,
        deadline=None,
        derandomize=True,
        database=None,
        report_multiple_bugs=False,
        phases=[Phase.generate],  # finding one is the point: no shrinking
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(specifier_sets)
    def prop(specs: list[str]) -> None:
        agrees(BROKEN[name], specs)

    with pytest.raises(AssertionError):
        prop()


def test_sample_covers_the_usual_suspects() -> None:
    for version in ["1.0a1", "1.0.post1", "1.0.dev0", "1.0+local", "1!1.0"]:
        assert version in SAMPLE
