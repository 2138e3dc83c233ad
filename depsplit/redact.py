"""Credentials never leave depsplit: every URL is redacted before it is stored or shown."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# scheme://user:password@host or scheme://token@host, also inside VCS URLs (git+https://…),
# and a scheme-relative //user:password@host (what is left when a parser split a URL at
# its first colon, as an INI "key: value" line does).
_URL_WITH_AUTH = re.compile(r"(?P<scheme>(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//)(?P<auth>[^/\s]+)@")


def redact_url(url: str) -> str:
    """Hide the user information of a URL the way pip does: ``user:****@`` when there is a
    password, ``****@`` when there is only a user part (often a token).

    ``${VAR}`` references are kept: they name a secret without being one.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if "@" not in parts.netloc:
        return redact_text(url)
    auth, _, host = parts.netloc.rpartition("@")
    netloc = f"{_redact_auth(auth)}@{host}"
    # The rest may hold another URL (two glued together, a redirect in a query): redact it too.
    return redact_text(urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)))


def _redact_auth(auth: str) -> str:
    user, sep, password = auth.partition(":")
    if sep:
        if _is_reference(password):
            return auth
        return f"{user}:****"
    return auth if _is_reference(user) else "****"


def _is_reference(value: str) -> bool:
    return bool(re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", value))


def redact_text(text: str) -> str:
    """Redact every ``scheme://auth@`` occurrence in free text (a quoted line, a message)."""
    return _URL_WITH_AUTH.sub(lambda m: f"{m['scheme']}{_redact_auth(m['auth'])}@", text)
