"""Text made safe for a one-line comment, in a generated file or a text report.

Outside :mod:`depsplit.emit` so that a report does not import the emitters (the package
imports every one of them: 40 ms of every ``analyze``)."""

from __future__ import annotations

import unicodedata


def comment_safe(text: str) -> str:
    """``text`` made safe for a one-line ``#`` comment: line breaks and other control or
    format characters are shown as escapes, so nothing can end the comment early."""
    if text.isascii() and text.isprintable():
        return text  # no tab, control or format character: nothing to escape
    out = []
    for ch in text:
        if ch == "\t":
            out.append(" ")
        elif is_unsafe(ch):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def is_unsafe(ch: str) -> bool:
    """Whether ``ch`` is a control, format, surrogate, private-use or unassigned character,
    or a line or paragraph separator: one that may end or disguise a comment."""
    category = unicodedata.category(ch)
    return category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
