"""A generated text made piece by piece, each time it is written.

The plan file of ``depsplit generate`` is tens of megabytes at 10,000 apps and hundreds at
50,000: held whole it was the largest object of a run (joined from its chunks it was held
twice, again when the writer added its ``"files"`` key, again as bytes for its hash). A
:class:`Pieces` is the way to make the text, not the text: each time it is written it is
made again and handed over a piece (about a megabyte) at a time, so the writer
(:mod:`depsplit.writer`) hashes it and writes it to its temporary file as it is made,
never holding it. ``str(pieces)`` makes it whole, for what needs it whole (a ``--check``
diff, a test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

Sink = Callable[[str], None]
"""What receives the pieces of a text, in order."""


class Pieces:
    """A text, made by ``produce(sink)``: it calls ``sink`` with each piece in order
    (``"".join`` of the pieces is the text). It may be made any number of times, the same
    text each time. Equal to another :class:`Pieces` of the same text."""

    __slots__ = ("_produce",)

    def __init__(self, produce: Callable[[Sink], None]) -> None:
        self._produce = produce

    @classmethod
    def of(cls, *parts: str) -> Pieces:
        """A text already made, as these pieces."""

        def produce(sink: Sink) -> None:
            for part in parts:
                sink(part)

        return cls(produce)

    @classmethod
    def made_by(cls, make: Callable[[], str]) -> Pieces:
        """The text ``make()`` returns, made each time it is written (a small file of which
        a run writes tens of thousands: not held from its rendering to its writing)."""

        def produce(sink: Sink) -> None:
            sink(make())

        return cls(produce)

    def each(self, sink: Sink) -> None:
        """Make the text, handing each piece to ``sink``."""
        self._produce(sink)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parts())

    def __str__(self) -> str:
        # Not "".join(self): join reports any TypeError from iterating as "can only join
        # an iterable", hiding what went wrong while making the text.
        return "".join(self._parts())

    def _parts(self) -> list[str]:
        parts: list[str] = []
        self.each(parts.append)
        return parts

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pieces):
            return NotImplemented
        return str(self) == str(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Pieces({len(str(self))} characters)"
