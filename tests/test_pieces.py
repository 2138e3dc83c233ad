"""A text held as pieces answers as the joined text would."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from depsplit.pieces import Pieces


@st.composite
def cut(draw: st.DrawFn, alphabet: str = "ab\n}{ ") -> tuple[str, Pieces]:
    """A text and the same text cut at random places (empty pieces included)."""
    text = draw(st.text(alphabet=alphabet, max_size=40))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
    bounds = [0, *cuts, len(text)]
    return text, Pieces(tuple(text[a:b] for a, b in itertools.pairwise(bounds)))


@settings(max_examples=400, deadline=None)
@given(cut(), st.text(alphabet="ab\n}", min_size=1, max_size=4))
def test_pieces_answer_as_their_text(case: tuple[str, Pieces], needle: str) -> None:
    text, pieces = case
    assert str(pieces) == text
    assert len(pieces) == len(text)
    assert "".join(pieces) == text
    assert pieces.startswith(needle) == text.startswith(needle)
    assert pieces.endswith(needle) == text.endswith(needle)
    found, start = [], 0
    while (at := text.find(needle, start)) >= 0:
        found.append(at)
        start = at + 1
    assert list(pieces.find_all(needle)) == found
