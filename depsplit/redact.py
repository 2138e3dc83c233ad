"""Credentials never leave depsplit: every URL is redacted before it is stored or shown.

One function, :func:`redact_text`, does it for a URL and for free text holding URLs
(:func:`redact_url` is the same function, named for the call sites that hold one URL). In
every ``scheme://…`` (and scheme-relative ``//…``) it hides:

- the **user information**, the way pip shows it: ``user:****@`` when there is a password,
  ``****@`` when there is only a user part (often a token); also when the password holds an
  unescaped ``/``, ``?`` or ``#`` (``https://user:pa/ss@host/…``), which ends the authority
  early for a URL parser;
- every **query value** (``?token=****&private_token=****``, a bare ``?****``): pip gives the
  query no meaning, the server may (``?token=``, ``?auth=``, ``?key=``, signed URLs), and
  depsplit cannot tell a secret from a harmless value;
- every **fragment value** but pip's own (``#egg=``, ``#subdirectory=``, ``#sha256=`` and
  the other hash names) and line anchors (``#L12``).

``${VAR}`` references are kept: they name a secret without being one. Redaction is linear in
the text's length (a marker or a line of megabytes is scanned once).
"""

from __future__ import annotations

import re

REDACTED = "****"
"""What a hidden secret is replaced with; the emitters look for it to know a URL lost one."""

_SLASHES = re.compile(r"//")
_SCHEME_REVERSED = re.compile(r"[A-Za-z0-9+.\-]*")
"""A scheme's characters, matched on the reversed text before ``://``."""
_END = re.compile(r"[\s\"'<>`]")
"""What ends a URL in free text."""
_HOST_AFTER_AT = re.compile(
    r"@(?:[A-Za-z0-9\-._~%!$&'()*+,;=]+|\[[0-9A-Fa-f:.]+\])(?P<port>:\d*)?(?P<tail>[/?#]|$)"
)
"""The ``@host[:port]`` that ends user information holding a ``/``, ``?`` or ``#``."""
_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_PIP_FRAGMENT_KEYS = frozenset(
    {"egg", "subdirectory", "md5", "sha1", "sha224", "sha256", "sha384", "sha512"}
)
_ANCHOR = re.compile(r"L\d+(?:-L?\d+)?")


def redact_url(url: str) -> str:
    """``url`` with its credentials hidden (see the module's documentation)."""
    return redact_text(url)


def redact_text(text: str) -> str:
    """Every URL in ``text`` with its credentials hidden (see the module's documentation)."""
    if "//" not in text or ("@" not in text and "?" not in text and "#" not in text):
        return text
    out: list[str] = []
    done = 0  # text[:done] is in out
    starts = _url_starts(text)
    for i, (start, body) in enumerate(starts):
        if start < done:
            continue
        limit = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        end = _END.search(text, body, limit)
        stop = end.start() if end else limit
        out.append(text[done:body])
        out.append(_redact_body(text[body:stop]))
        done = stop
    out.append(text[done:])
    return "".join(out)


def _url_starts(text: str) -> list[tuple[int, int]]:
    """``(start, body)`` of every URL: where its scheme (if any) starts, and the index after
    its ``//``. A URL glued to the one before it (``…/simplehttps://…``) starts a new one."""
    found: list[tuple[int, int]] = []
    floor = 0
    for m in _SLASHES.finditer(text):
        slashes = m.start()
        start = slashes
        if slashes > floor and text[slashes - 1] == ":":
            before = text[floor : slashes - 1]
            reversed_before = before[::-1]
            run = _SCHEME_REVERSED.match(reversed_before)
            if floor and _in_query(reversed_before[run.end() if run else 0 :]):
                # Glued to the query or fragment of the URL before: what looks like a
                # scheme may be the end of its secret value; it stays with that URL.
                found.append((slashes, m.end()))
                floor = m.end()
                continue
            j = slashes - 1 - (run.end() if run else 0)
            # A scheme starts with a letter: skip leading digits and signs.
            while j < slashes - 1 and not text[j].isalpha():
                j += 1
            start = j if j < slashes - 1 else slashes
        found.append((start, m.end()))
        floor = m.end()
    return found


def _in_query(reversed_text: str) -> bool:
    """Whether a ``?`` or ``#`` comes after the last URL-ending character of the text
    (given reversed)."""
    end = _END.search(reversed_text)
    head = reversed_text[: end.start()] if end else reversed_text
    return "?" in head or "#" in head


def _redact_body(body: str) -> str:
    """What follows ``//``: authority, path, query, fragment."""
    at = _auth_end(body)
    head = ""
    if at >= 0:
        head = _redact_auth(body[:at]) + "@"
        body = body[at + 1 :]
    hash_at = body.find("#")
    fragment = None
    if hash_at >= 0:
        body, fragment = body[:hash_at], body[hash_at + 1 :]
    query_at = body.find("?")
    if query_at >= 0:
        body = body[: query_at + 1] + _redact_params(body[query_at + 1 :], fragment=False)
    if fragment is not None:
        body += "#" + _redact_params(fragment, fragment=True)
    return head + body


def _auth_end(body: str) -> int:
    """Index of the ``@`` that ends the user information of ``body``, or -1."""
    first = len(body)
    for sep in "/?#":
        found = body.find(sep, 0, first)
        if found >= 0:
            first = found
    authority = body[:first]
    at = authority.rfind("@")
    if at >= 0:
        return at
    # ``user:pa/ss@host``: a URL parser ends the authority at the ``/``, leaving ``user`` as
    # the host and ``pa`` as its port. Taken as user information when the "port" is not a
    # number, or when the ``@host`` is followed by a path or a port (a VCS ``@rev`` ends
    # the URL or comes before ``#``).
    colon = authority.find(":")
    if colon < 0 or first == len(body):
        return -1
    m = _HOST_AFTER_AT.search(body, first)
    if m is None:
        return -1
    port = authority[colon + 1 :]
    if not port.isdigit() or m["tail"] == "/" or m["port"]:
        return m.start()
    return -1


def _redact_auth(auth: str) -> str:
    user, sep, password = auth.partition(":")
    if sep:
        if _is_reference(password):
            return auth
        return f"{user}:{REDACTED}"
    return auth if _is_reference(user) else REDACTED


def _redact_params(params: str, *, fragment: bool) -> str:
    if not params:
        return params
    parts = re.split(r"([&;])", params)
    for i in range(0, len(parts), 2):
        part = parts[i]
        key, sep, value = part.partition("=")
        if sep:
            kept = fragment and key.lower() in _PIP_FRAGMENT_KEYS
            if value and not _is_reference(value) and not kept:
                parts[i] = f"{key}={REDACTED}"
        elif part and not _is_reference(part) and not (fragment and _ANCHOR.fullmatch(part)):
            parts[i] = REDACTED
    return "".join(parts)


def _is_reference(value: str) -> bool:
    return bool(_REFERENCE.fullmatch(value))
