"""The conflict search's caches and fast paths give what the plain computation gives.

The algebra of a request is worked out once per distinct input and kept, with the
effective requirements, on the run's cache that the conflict search and the partition's
checks share; the pre-release rule is judged from already parsed clauses; each engine
numbers terms in the order it meets them. These tests compare each with the
straightforward way, on random specifiers (the same ones as
tests/test_conflicts_property.py) and on random apps.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.specifiers import SpecifierSet
from test_conflicts_property import specifier_sets

from depsplit import conflicts
from depsplit.conflicts import (
    EffectiveCache,
    SpecCache,
    analyze_conflicts,
    check_group,
    effective,
    group_notes,
)
from depsplit.model import App, Origin, PythonRequirement, Requirement, Role, Target
from depsplit.target import marker_applies


def old_prerelease_only(texts: tuple[str, ...]) -> bool:
    """The pre-release rule as it was written: from the text of the joined sets."""
    combined = SpecifierSet(",".join(texts))
    if not len(combined):
        return False
    return SpecifierSet(str(combined), prereleases=False).is_unsatisfiable()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specifier_sets)
def test_prerelease_rule_from_parsed_clauses(specs: list[str]) -> None:
    parsed = [SpecifierSet(s) for s in specs]
    texts = {str(s): s for s in parsed if str(s)}
    ordered = tuple(sorted(texts))
    clauses = [clause for text in ordered for clause in texts[text]]
    assert conflicts._prerelease_only_specs(clauses) is old_prerelease_only(ordered)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specifier_sets)
def test_term_data_matches_packaging(specs: list[str]) -> None:
    cache = SpecCache()
    for spec in specs:
        parts = tuple(p for p in spec.split(",") if p)
        data = cache.term_data("pkg", parts, ())
        sset = SpecifierSet(",".join(parts))
        assert data.range == sset.to_range()
        assert data.text == str(sset)
        assert data.alone_ok is (not sset.to_range().is_empty)
        # The package plays no part without URLs: one data for every package.
        assert cache.term_data("other", parts, ()) is data


def test_url_data_depends_on_the_package() -> None:
    url = ("https://example.org/pkg-1.0-py3-none-any.whl",)
    cache = SpecCache()
    mine = cache.term_data("pkg", (), url)
    other = cache.term_data("other", (), url)
    assert mine is not other
    assert str(mine.sset) == "==1.0"  # the wheel names pkg 1.0
    assert str(other.sset) == ""
    assert other.unknown_urls == url


def old_effective(app: App, target: Target, python: str) -> dict[str, list[Requirement]]:
    """:func:`effective` as it was written."""

    def holds(marker: str | None) -> bool:
        try:
            return marker_applies(marker, target, python)
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            return True

    out: dict[str, list[Requirement]] = {}
    for req in app.requirements:
        if req.role in ("main", "lock") and holds(req.marker):
            out.setdefault(req.key, []).append(req)
    for req in app.requirements:
        if req.role == "constraint" and req.key in out and holds(req.marker):
            out[req.key].append(req)
    return dict(sorted(out.items()))


MARKERS = [
    None,
    "",
    'python_version >= "3.12"',
    'python_version < "3.11"',
    'sys_platform == "win32"',
    'platform_machine == "aarch64"',
    'extra == "x"',
    "python_version >= ",  # invalid: counts as true
]
ROLES: list[Role] = ["main", "lock", "constraint", "dev", "optional"]
SPECS = ["", ">=1", "<2", "==1.5", "!=1.5", "~=1.1", ">=2", "==2.*", ">=1.0a1,<1.0", "===1.0"]
URLS = [None, None, None, "https://example.org/pkg-1.5.tar.gz", "git+https://x/y@v2.0", "./lib"]


def random_apps(rng: random.Random, count: int) -> list[App]:
    apps = []
    for i in range(count):
        reqs = []
        for line in range(rng.randint(0, 6)):
            key = rng.choice(["pkg", "other", "third"])
            reqs.append(
                Requirement(
                    key=key,
                    name=key.upper() if rng.random() < 0.2 else key,
                    specifier=rng.choice(SPECS),
                    origin=Origin(f"app{i}/requirements.txt", line + 1),
                    marker=rng.choice(MARKERS),
                    url=rng.choice(URLS),
                    role=rng.choice(ROLES),
                )
            )
        python = rng.choice([(), (">=3.11",), ("<3.12",), (">=3.13",), ("==3.10.*",)])
        apps.append(
            App(
                name=f"app{i:02d}",
                path=f"app{i}",
                sources=(f"app{i}/requirements.txt",),
                requirements=tuple(reqs),
                python=tuple(
                    PythonRequirement(p, Origin(f"app{i}/pyproject.toml")) for p in python
                ),
            )
        )
    return apps


def test_effective_as_before() -> None:
    rng = random.Random(7)
    for target in (Target(), Target(platform="linux/arm64"), Target(python="3.11")):
        for app in random_apps(rng, 60):
            for python in ("3.9", "3.11", "3.12", "3.14"):
                got = effective(app, target, python)
                assert got == old_effective(app, target, python)
                assert list(got) == sorted(got)


def test_sharing_an_effective_cache_changes_nothing() -> None:
    """The conflict search and the group checks give the same answers whether they share
    one cache (and the algebra kept on it) or each work alone, in any order."""
    rng = random.Random(11)
    for _ in range(25):
        apps = random_apps(rng, rng.randint(2, 12))
        target = rng.choice([Target(), Target(python="3.12")])
        alone = analyze_conflicts(apps, target)
        shared = EffectiveCache()
        groups = [rng.sample(apps, rng.randint(1, len(apps))) for _ in range(4)]
        # Checks first, then the search, then the checks again, all on one cache.
        first = [check_group(g, target, effective_cache=shared) for g in groups]
        assert analyze_conflicts(apps, target, effective_cache=shared) == alone
        again = [check_group(g, target, effective_cache=shared) for g in groups]
        fresh = [check_group(g, target) for g in groups]
        assert first == again == fresh
        for g in groups:
            assert group_notes(g, target) == group_notes(list(reversed(g)), target)


def test_spellings_of_one_range_are_one_side_in_name_order() -> None:
    """``>=1`` and ``>=1.0`` are one term: their apps form one side, in name order."""

    def app(name: str, spec: str) -> App:
        origin = Origin(f"{name}/requirements.txt", 1)
        return App(name, name, (origin.file,), (Requirement("pkg", "pkg", spec, origin),))

    apps = [app("a0", ">=1"), app("a1", ">=1.0"), app("a2", ">=1"), app("a3", "<1")]
    for found in (
        check_group(apps, Target()),
        check_group(list(reversed(apps)), Target()),
        analyze_conflicts(apps, Target()).conflicts,
    ):
        assert [c.members for c in found] == [(("a0", "a1", "a2"), ("a3",))]
