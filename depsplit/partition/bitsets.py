"""Sets of small integers as Python ints (bit ``i`` set: ``i`` is a member)."""

from __future__ import annotations

from collections.abc import Sequence


def bitset_of(indices: Sequence[int], n: int) -> int:
    if len(indices) < 64:
        m = 0
        for i in indices:
            m |= 1 << i
        return m
    # Building a wide int bit by bit is quadratic; a byte buffer is linear.
    buf = bytearray((n >> 3) + 1)
    for i in indices:
        buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buf, "little")


def bitset_digest(m: int) -> int:
    """A hash of the bitset ``m`` (not negative) that spreads bitsets differing in any bit,
    for a dict keyed by wide bitsets: ``hash(m)`` is ``m`` modulo ``2**61 - 1``, which
    maps ``2**i`` and ``2**(i + 61)`` alike. Equal digests do not prove equal bitsets."""
    return hash(m.to_bytes((m.bit_length() + 7) // 8, "little"))


def bit_indices(m: int) -> list[int]:
    """The indices of the set bits of ``m`` (not negative), in no particular order.

    A few bits are peeled off one by one; more are found in the binary string, since
    each peel copies the whole integer (a bitset of every node of a large component)."""
    out = []
    if m.bit_count() <= 16:
        while m:
            low = m & -m
            out.append(low.bit_length() - 1)
            m ^= low
        return out
    text = bin(m)
    top = len(text) - 1
    i = text.rfind("1")
    while i > 1:  # text[:2] is "0b"
        out.append(top - i)
        i = text.rfind("1", 0, i)
    return out
