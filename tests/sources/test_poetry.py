"""Poetry constraints in PEP 440: the translation checked against packaging itself."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from depsplit.sources import poetry

RELEASES = [
    ".".join(map(str, parts))
    for n in (1, 2, 3)
    for parts in itertools.product(range(4), repeat=n)
    if n == 1 or parts[0] < 3
]
"""Versions a constraint names: 0..3, 0.0..2.3, 0.0.0..2.3.3."""

BASES = [
    "0",
    "0.0.1",
    "0.1",
    "0.2.5",
    "1",
    "1.0.1",
    "1.1",
    "1.3.2",
    "2",
    "2.2",
    "2.3.4",
    "3",
    "3.0.1",
    "3.2",
    "4",
    "4.1",
    "5",
]
SAMPLE = [
    f"{base}{variant}" for base in BASES for variant in ["", ".post1", "rc1", ".dev0", "+local"]
]
"""Versions the translations are compared on: inside, between and past the constraints,
with pre-, post-, dev- and local variants."""

constraints = st.lists(
    st.tuples(st.sampled_from(["^", "~"]), st.sampled_from(RELEASES)).map("".join),
    min_size=1,
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(constraints)
def test_union_translation_accepts_what_an_alternative_accepts(alternatives: list[str]) -> None:
    text = " || ".join(alternatives)
    spec, warning = poetry.poetry_specifier(text)
    result = SpecifierSet(spec)
    singles = [SpecifierSet(poetry.poetry_specifier(a)[0]) for a in alternatives]
    for version in SAMPLE:
        expected = any(s.contains(version) for s in singles)
        if warning is None:
            assert result.contains(version) == expected, (text, spec, version)
        elif expected:  # the widened reading never rejects what Poetry accepts
            assert result.contains(version), (text, spec, version)


@settings(max_examples=200, deadline=None)
@given(constraints)
def test_python_marker_matches_the_constraint(alternatives: list[str]) -> None:
    """The ``python`` key's marker is exact even where the specifier had to widen (an
    ``or`` of one branch per alternative, at worst)."""
    text = " || ".join(alternatives)
    marker = Marker(poetry.python_marker(text, "python_full_version"))
    singles = [SpecifierSet(poetry.poetry_specifier(a)[0]) for a in alternatives]
    for version in SAMPLE:
        expected = any(s.contains(version) for s in singles)
        assert marker.evaluate({"python_full_version": version}) == expected, (text, version)


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        pytest.param("^3.8", 'python_version >= "3.8" and python_version < "4.0"', id="caret"),
        pytest.param(
            "^3.8 || ^3.9", 'python_version >= "3.8" and python_version < "4.0"', id="merged"
        ),
        pytest.param(
            "~3.8 || ~3.9",  # not merged: "<3.9" and ">=3.9" both exclude 3.9.0rc1
            '(python_version >= "3.8" and python_version < "3.9") or '
            '(python_version >= "3.9" and python_version < "3.10")',
            id="seam",
        ),
        pytest.param(
            ">=3.6,!=3.7.*", 'python_version >= "3.6" and python_version != "3.7.*"', id="exclusion"
        ),
        pytest.param(
            "~2.7 || >=3.4",
            '(python_version >= "2.7" and python_version < "2.8") or (python_version >= "3.4")',
            id="two-branches",
        ),
        pytest.param("*", "", id="any"),
        pytest.param(">=3.8 || *", "", id="any-alternative"),
        pytest.param(">3,<2", 'python_version < "0"', id="empty"),
        pytest.param(
            "3.8.*",
            'python_full_version >= "3.8.0" and python_full_version < "3.9.0"',
            id="full-version",
        ),
    ],
)
def test_python_marker(constraint: str, expected: str) -> None:
    assert poetry.python_marker(constraint) == expected


def test_constraint_without_pep440_form_is_refused() -> None:
    with pytest.raises(poetry.PoetryConstraintError):
        poetry.poetry_specifier(">=1.0+local")
