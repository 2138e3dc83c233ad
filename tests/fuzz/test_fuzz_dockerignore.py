"""Every path :func:`~depsplit.emit.text.dockerignore_pattern` writes matches that path (and
what is below it) and nothing else, under BuildKit's reading and matching rules (the port in
``tests/hostile/dockerignore_rules.py``, checked against a real BuildKit in
``tests/e2e/test_e2e_dockerignore.py``), as an exclude and as a re-include."""

from __future__ import annotations

from dockerignore_rules import excluded, matcher
from fuzz_strategies import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from depsplit.emit.text import dockerignore_pattern, unwritable_pattern_reason

SPECIAL = "#!*?[]\\^$.+(){}| \t\u00a0\u3000-_"
component = st.text(
    st.one_of(
        st.sampled_from(list(SPECIAL)),
        st.characters(codec="utf-8", exclude_characters="/\x00", exclude_categories=("Cs",)),
    ),
    min_size=1,
    max_size=6,
).filter(lambda c: c not in (".", ".."))
paths = st.lists(component, min_size=1, max_size=3).map("/".join)


@fuzz_settings(500)
@given(path=paths, others=st.lists(paths, max_size=6))
def test_a_pattern_matches_its_path_only(path: str, others: list[str]) -> None:
    pattern_case(path, others)


def pattern_case(path: str, others: list[str]) -> None:
    if unwritable_pattern_reason(path) is not None:
        return  # refused by the generator, named in its message
    pattern = dockerignore_pattern(path)
    exclude = matcher(pattern + "\n")
    include = matcher(f"*\n!{pattern}\n")
    assert len(exclude) == 1, (path, pattern)  # not a comment, not dropped
    for candidate in [path, f"{path}/x", *others, *(f"{o}/{path}" for o in others)]:
        inside = candidate == path or candidate.startswith(path + "/")
        assert excluded(exclude, candidate) is inside, (path, pattern, candidate)
        assert excluded(include, candidate) is not inside, (path, pattern, candidate)
