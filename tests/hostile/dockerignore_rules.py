"""What BuildKit sends of a build context, given a ``.dockerignore`` text: a line-by-line
port of ``ignorefile.ReadAll`` and ``patternmatcher`` (``NewPatterns``, ``Compile``,
``MatchesOrParentMatches``) of moby/patternmatcher, for the fuzzers, which cannot start an
engine per example. It is not the proof: ``tests/e2e/test_e2e_dockerignore.py`` checks that
it gives exactly what a real BuildKit sends for the hostile tree."""

from __future__ import annotations

import re

# Go's unicode.IsSpace (what strings.TrimSpace trims).
_GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_ESCAPE = set(".+()|{}$")  # shouldEscape


def _trim(text: str) -> str:
    return text.strip(_GO_SPACE)


def _clean(path: str) -> str:
    """Go's ``filepath.Clean`` on Linux."""
    if not path:
        return "."
    rooted = path.startswith("/")
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    cleaned = "/".join(out)
    return ("/" + cleaned) if rooted else (cleaned or ".")


def read_all(text: str) -> list[str]:
    """``ignorefile.ReadAll``: comments, TrimSpace, ``!``, Clean, leading ``/``."""
    excludes = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, raw in enumerate(lines):
        line = raw.removesuffix("\r")  # bufio.ScanLines
        if number == 0:
            line = line.removeprefix("\ufeff")
        if line.startswith("#"):
            continue
        pattern = _trim(line)
        if not pattern:
            continue
        invert = pattern[0] == "!"
        if invert:
            pattern = _trim(pattern[1:])
        if pattern:
            pattern = _clean(pattern)
            if len(pattern) > 1 and pattern[0] == "/":
                pattern = pattern[1:]
        excludes.append("!" + pattern if invert else pattern)
    return excludes


_EXACT, _PREFIX, _SUFFIX, _REGEXP = "exact", "prefix", "suffix", "regexp"


def _compile(pattern: str) -> tuple[str, re.Pattern[str] | None]:
    """``patternmatcher.Compile``: the match type, and the regular expression of a
    ``RegexpMatch`` (only ``* ? [ ]`` and an escape make one; ``**`` alone at either end
    is a prefix or suffix comparison, anything else an exact one)."""
    out = "^"
    kind = _EXACT
    i = 0
    n = 0  # Go's loop counter: characters consumed by the scanner so far
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < len(pattern) and pattern[i] == "*":
                i += 1
                if i < len(pattern) and pattern[i] == "/":
                    i += 1
                if i == len(pattern):
                    if kind == _EXACT:
                        kind = _PREFIX
                    else:
                        out += ".*"
                        kind = _REGEXP
                else:
                    out += "(.*/)?"
                    kind = _REGEXP
                if n == 0:
                    kind = _SUFFIX
            else:
                out += "[^/]*"
                kind = _REGEXP
        elif ch == "?":
            out += "[^/]"
            kind = _REGEXP
        elif ch in _ESCAPE:
            out += "\\" + ch
        elif ch == "\\":
            if i < len(pattern):
                out += "\\" + pattern[i]
                i += 1
                kind = _REGEXP
            else:
                out += "\\\\"
        elif ch in "[]":
            out += ch
            kind = _REGEXP
        else:
            out += ch
        n += 1
    if kind != _REGEXP:
        return kind, None
    return kind, re.compile(out + "$", re.DOTALL)


Pattern = tuple[bool, str, str, "re.Pattern[str] | None"]
"""``(exclusion, match type, cleaned pattern, regexp)``."""


def matcher(text: str) -> list[Pattern]:
    """``NewPatterns(ReadAll(text))``."""
    found: list[Pattern] = []
    for raw in read_all(text):
        pattern = _clean(_trim(raw))
        exclusion = pattern.startswith("!")
        if exclusion:
            pattern = pattern[1:]
        kind, regexp = _compile(pattern)
        found.append((exclusion, kind, pattern, regexp))
    return found


def _match(pattern: Pattern, path: str) -> bool:
    """``Pattern.Match``."""
    _, kind, cleaned, regexp = pattern
    if kind == _EXACT:
        return path == cleaned
    if kind == _PREFIX:
        return path.startswith(cleaned[:-2])
    if kind == _SUFFIX:
        suffix = cleaned[2:]
        return path.endswith(suffix) or (suffix[:1] == "/" and path == suffix[1:])
    assert regexp is not None
    return bool(regexp.match(path))


def excluded(patterns: list[Pattern], file: str) -> bool:
    """``MatchesOrParentMatches``: the last pattern that matches the file or one of its
    parent directories decides."""
    parents = file.split("/")[:-1]
    matched = False
    for pattern in patterns:
        if pattern[0] != matched:
            continue
        match = _match(pattern, file)
        if not match and parents:
            match = any(_match(pattern, "/".join(parents[: i + 1])) for i in range(len(parents)))
        if match:
            matched = not pattern[0]
    return matched


def context(text: str, files: list[str]) -> set[str]:
    """The files (root-relative) of ``files`` a build with this ignore file would send."""
    patterns = matcher(text)
    return {f for f in files if not excluded(patterns, f)}
