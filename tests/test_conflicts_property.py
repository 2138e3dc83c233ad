"""depsplit's verdict on random specifier sets agrees with brute force: packaging's own
``contains`` over a dense sample of versions (pre, post, dev, local, epoch)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet

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
"""Dense enough that every satisfiable combination of the operands above has a witness."""

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


def brute_force(specs: list[str]) -> bool:
    sets = [SpecifierSet(s) for s in specs]
    return any(all(s.contains(v) for s in sets) for v in SAMPLE)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specifier_sets)
def test_judge_agrees_with_brute_force(specs: list[str]) -> None:
    assert judge(specs).satisfiable is brute_force(specs)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specifier_sets)
def test_check_group_agrees_with_brute_force(specs: list[str]) -> None:
    apps = [
        App(
            f"app{i}",
            f"app{i}",
            (),
            (parse_requirement(f"pkg{s}", Origin(f"app{i}/requirements.txt", 1)),),
        )
        for i, s in enumerate(specs)
    ]
    conflicts = check_group(apps, Target())
    assert (conflicts == []) is brute_force(specs)
    # Every reported set is minimal: without any one member, the rest can be met.
    for conflict in conflicts:
        members = [specs[int(a.removeprefix("app"))] for a in conflict.apps]
        assert not brute_force(members)
        for drop in range(len(members)):
            rest = members[:drop] + members[drop + 1 :]
            assert not rest or brute_force(rest)


def test_sample_covers_the_usual_suspects() -> None:
    for version in ["1.0a1", "1.0.post1", "1.0.dev0", "1.0+local", "1!1.0"]:
        assert version in SAMPLE
