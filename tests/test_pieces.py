"""A text made as pieces: the same text however it is cut, made again each time."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depsplit.pieces import Pieces
from depsplit.report import json as json_report


@st.composite
def cut(draw: st.DrawFn, alphabet: str = "ab\n}{ ") -> tuple[str, list[str]]:
    """A text and the same text cut at random places (empty pieces included)."""
    text = draw(st.text(alphabet=alphabet, max_size=40))
    bounds = [0, *sorted(draw(st.lists(st.integers(0, len(text)), max_size=8))), len(text)]
    return text, [text[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=200, deadline=None)
@given(cut())
def test_pieces_are_their_text(case: tuple[str, list[str]]) -> None:
    text, parts = case
    pieces = Pieces.of(*parts)
    handed: list[str] = []
    pieces.each(handed.append)
    assert handed == parts
    assert str(pieces) == text == "".join(pieces)
    assert pieces == Pieces.of(text)


@settings(max_examples=200, deadline=None)
@given(cut(), st.sampled_from(["\n}", '\n  "files": ', "a", "}{"]))
def test_occurrences_across_pieces_are_counted_once(
    case: tuple[str, list[str]], needle: str
) -> None:
    from depsplit.writer import _Occurrences

    text, parts = case
    found = _Occurrences(needle)
    for part in parts:
        found.feed(part)
    assert found.count == text.count(needle)


def test_the_plan_is_made_again_each_time_it_is_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan's pieces are made when written, a chunk of tokens at a time, and every
    time: the same text as json.dumps, never held by the Pieces."""
    monkeypatch.setattr(json_report, "_CHUNK", 4)
    document = {"apps": [{"name": f"a{i}", "requires": ["x", "y"]} for i in range(30)], "n": 1}
    pieces = json_report.indented_pieces(document, end="\n")
    first: list[str] = []
    pieces.each(first.append)
    assert len(first) > 10  # handed over as made, not whole
    assert "".join(first) == json.dumps(document, indent=2) + "\n"
    document["n"] = 2  # made again from the document: not a copy kept from the first time
    assert str(pieces) == json.dumps(document, indent=2) + "\n"


def test_a_value_indented_cannot_write_fails_loudly_once_pieces_are_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before the first chunk is handed over, a value the fast writer does not know goes
    through json.dumps (as :func:`indented` does); after, the pieces cannot be taken back:
    a TypeError, not a text with a hole."""
    monkeypatch.setattr(json_report, "_CHUNK", 2)
    early = {"x": 1.5j}
    with pytest.raises(TypeError):  # json.dumps cannot write it either
        str(json_report.indented_pieces(early))
    late = {"items": [[1, 2], [3, 4], [5, 6]], "z": {1, 2}}
    with pytest.raises(TypeError, match="set"):
        str(json_report.indented_pieces(late))
    assert json_report.indented({"items": [[1]], "t": (1, 2)}) == json.dumps(
        {"items": [[1]], "t": [1, 2]}, indent=2
    )
