"""A generated text held as the pieces it was made in.

The plan file of ``depsplit generate`` is tens of megabytes at 10,000 apps and hundreds at
50,000: joined into one string it was held twice while joining, a third time when the
writer added its ``"files"`` key, and a fourth as bytes for its hash. A :class:`Pieces`
is the text as the emitter made it (pieces of about a megabyte): the writer hashes,
compares and writes it a piece at a time (:mod:`depsplit.writer`), so the text is held
once. ``str(pieces)`` is the whole text, for what needs it whole (a ``--check`` diff, a
test).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Pieces:
    """A text as consecutive pieces (``"".join(parts)`` is the text)."""

    parts: tuple[str, ...]

    def __str__(self) -> str:
        return "".join(self.parts)

    def __iter__(self) -> Iterator[str]:
        return iter(self.parts)

    def startswith(self, prefix: str) -> bool:
        """Whether the text starts with ``prefix`` (looked for in its first pieces)."""
        head = ""
        for part in self.parts:
            head += part[: len(prefix) - len(head)]
            if len(head) >= len(prefix):
                break
        return head == prefix

    def endswith(self, suffix: str) -> bool:
        """Whether the text ends with ``suffix`` (looked for in its last pieces)."""
        tail = ""
        for part in reversed(self.parts):
            tail = part[max(0, len(part) - (len(suffix) - len(tail))) :] + tail
            if len(tail) >= len(suffix):
                break
        return tail == suffix

    def find_all(self, needle: str) -> Iterator[int]:
        """The offset in the text of every occurrence of ``needle`` (non-empty), in order;
        an occurrence across two pieces included."""
        carry = ""  # the text's last len(needle) - 1 characters so far
        offset = 0  # of the current piece in the text
        for part in self.parts:
            window = carry + part
            start = 0
            while (found := window.find(needle, start)) >= 0:
                yield offset - len(carry) + found
                start = found + 1
            offset += len(part)
            carry = window[-(len(needle) - 1) :] if len(needle) > 1 else ""

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts)
