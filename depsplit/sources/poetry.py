"""Poetry's dependency syntax in PEP 440 / PEP 508 terms, as poetry-core reads it.

A Poetry constraint (``^1.2``, ``~1.2``, ``1.2.*``, ``>=1,<2 || ^3``) is translated by
poetry-core's rules (``constraints/version/parser.py``, ``constraints/version/patterns.py``,
``version/pep440/version.py`` ``next_major`` …): each single constraint becomes a PEP 440
specifier string, the parts of one alternative are ANDed as one
:class:`~packaging.specifiers.SpecifierSet`, and the ``||`` alternatives are ORed with
:class:`packaging.ranges.VersionRange`. All set algebra is packaging's; see
:func:`poetry_specifier`. The ``python`` key of a dependency becomes a marker as in
``packages/utils/utils.py`` ``create_nested_marker``; see :func:`python_marker`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

from packaging.ranges import VersionRange
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import VERSION_PATTERN, InvalidVersion, Version

from depsplit.sources.base import ReadContext, run_memo
from depsplit.sources.locate import memo_by_value


class PoetryConstraintError(ValueError):
    """A Poetry constraint that poetry-core itself would refuse."""


# --- single constraints -----------------------------------------------------------------

# poetry-core constraints/version/patterns.py
_V = VERSION_PATTERN
_RE = re.VERBOSE | re.IGNORECASE
_ANY_RE = re.compile(r"(?i)^v?[xX*](\.[xX*])*$")
# The three patterns below match only a constraint starting with "~" or "^": each is
# compiled when the first such constraint is met (compiling the version pattern is a
# millisecond or more of every start-up, and most runs meet few of them).
_TILDE = functools.cache(lambda: re.compile(rf"^~(?!=)\s*(?P<version>{_V})$", _RE))
_TILDE_PEP440 = functools.cache(lambda: re.compile(rf"^~=\s*(?P<version>{_V})$", _RE))
_CARET = functools.cache(lambda: re.compile(rf"^\^\s*(?P<version>{_V})$", _RE))
_X = re.compile(r"^(?P<op>!=|==)?\s*v?(?P<version>(\d+)(?:\.(\d+))?(?:\.(\d+))?)(?:\.\*)+$")
_BASIC = re.compile(
    rf"^(?P<op><>|!=|>=?|<=?|==?)?\s*(?P<version>{_V}|dev)(?P<wildcard>\.\*)?$", _RE
)
# poetry-core constraints/version/parser.py parse_constraint: "||" (or "|") separates
# alternatives; "," or a space separates the parts of one alternative.
_OR = re.compile(r"\s*\|\|?\s*")
_AND = re.compile(r"(?<!^)(?<![~=>< ,]) *(?<!-)[, ](?!-) *(?!,|$)")


def _release(v: Version, release: tuple[int, ...]) -> Version:
    epoch = f"{v.epoch}!" if v.epoch else ""
    return Version(epoch + ".".join(map(str, release)))


# version/pep440/segments.py Release.next_*: the precision (number of parts) is kept.
def _next_major(v: Version) -> Version:
    r = v.release
    return _release(v, (r[0] + 1, *(0 for _ in r[1:])))


def _next_minor(v: Version) -> Version:
    r = v.release
    if len(r) == 1:
        return _release(v, (r[0], 1))
    return _release(v, (r[0], r[1] + 1, *(0 for _ in r[2:])))


def _next_patch(v: Version) -> Version:
    r = v.release
    if len(r) < 3:
        return _release(v, (*r, *(0 for _ in range(2 - len(r))), 1))
    return _release(v, (r[0], r[1], r[2] + 1, *(0 for _ in r[3:])))


def _next_breaking(v: Version) -> Version:
    """constraints/version/version.py ``Version.next_breaking`` (of the stable release)."""
    r = v.release
    if r[0] > 0 or len(r) == 1:
        return _next_major(v)
    if r[1] > 0 or len(r) == 2:
        return _next_minor(v)
    return _next_patch(v)


def _version(text: str, constraint: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion as exc:
        raise PoetryConstraintError(f"could not parse version constraint {constraint!r}") from exc


def _single(constraint: str) -> str:
    """poetry-core ``parse_single_constraint``, written as a PEP 440 specifier set string
    (``""`` allows any version)."""
    if _ANY_RE.match(constraint):
        return ""
    first = constraint[:1]
    if first == "~" and (m := _TILDE().match(constraint)):
        v = _version(m["version"], constraint)
        high = _next_major(v) if len(v.release) == 1 else _next_minor(v)
        return f">={v},<{high}"
    if first == "~" and (m := _TILDE_PEP440().match(constraint)):
        v = _version(m["version"], constraint)
        high = _next_major(v) if len(v.release) == 2 else _next_minor(v)
        return f">={v},<{high}"
    if first == "^" and (m := _CARET().match(constraint)):
        v = _version(m["version"], constraint)
        return f">={v},<{_next_breaking(v)}"
    if m := _X.match(constraint):
        # Only major and minor count: poetry-core reads "1.2.3.*" as "1.2.*".
        major, minor = int(m.group(3)), m.group(4)
        negated = m["op"] == "!="
        if minor is not None:
            low = Version(f"{major}.{minor}.0")
            return f"!={major}.{minor}.*" if negated else f">={low},<{_next_minor(low)}"
        if major == 0:
            return ">=1.0.0" if negated else "<1.0.0"
        low = Version(f"{major}.0.0")
        return f"!={major}.*" if negated else f">={low},<{_next_major(low)}"
    if m := _BASIC.match(constraint):
        op = m["op"] or "=="
        v = _version("0.0.dev0" if m["version"] == "dev" else m["version"], constraint)
        # poetry-core falls through to "exactly v" for "<>", which cannot be what was meant:
        # "<>" is the old spelling of "!=", so read it as such.
        op = {"=": "==", "<>": "!="}.get(op, op)
        return f"{op}{v}"
    raise PoetryConstraintError(f"could not parse version constraint {constraint!r}")


def parse_poetry_constraint(text: str) -> tuple[SpecifierSet, ...]:
    """poetry-core ``parse_constraint``: the ``||`` alternatives of ``text``, each the PEP
    440 specifier set of its ANDed parts. ``""`` and ``"*"`` give one alternative that
    allows any version.

    Raises :class:`PoetryConstraintError` for what poetry-core refuses.
    """
    text = text.strip()
    if text in ("", "*"):
        return (SpecifierSet(),)
    alternatives = []
    for alternative in _OR.split(text):
        # poetry-core allows trailing commas "for robustness".
        alternative = alternative.rstrip(",").rstrip()
        parts = [_single(part) for part in _AND.split(alternative)]
        spec = ",".join(p for p in parts if p)
        try:
            alternatives.append(SpecifierSet(spec))
        except InvalidSpecifier as exc:  # e.g. ">=1.0+local": PEP 440 has no such clause
            raise PoetryConstraintError(
                f"version constraint {text!r} has no PEP 440 form: {exc}"
            ) from exc
    return tuple(alternatives)


# --- unions -----------------------------------------------------------------------------


def _union(alternatives: Iterable[SpecifierSet]) -> VersionRange:
    union = VersionRange.empty()
    for alternative in alternatives:
        union |= alternative.to_range()
    return union


def _express(alternatives: Sequence[SpecifierSet]) -> list[str] | None:
    """The union of ``alternatives`` as PEP 440 clauses, or ``None`` when no single
    specifier set accepts exactly the same versions (packaging's
    :meth:`~packaging.ranges.VersionRange.to_specifier_set`, exact to the last
    pre-release: ``^1 || ^2`` is not ``>=1,<3``, which holds ``2.0rc1`` while ``<2.0``
    and ``>=2.0`` both exclude it)."""
    exact = _union(alternatives).to_specifier_set()
    return None if exact is None else [str(s) for s in exact]


def _hull(alternatives: Sequence[SpecifierSet]) -> list[str]:
    """The smallest single interval holding every version of ``alternatives``: the
    tightest ``>=``/``>`` and ``<``/``<=`` clause, on a version the alternatives name,
    that holds the whole union.

    Every bound of the union is such a clause, so this is the union's hull; packaging
    (``is_subset``) judges each candidate, no interval is computed here.
    ``VersionRange.from_bounds`` cannot build it: it takes raw bounds, without the PEP
    440 meaning of ``<V`` (no pre-release of ``V``) or ``>V`` (no post-release of ``V``),
    and such a range has no specifier set to be written as.
    """
    union = _union(alternatives)
    points = sorted({Version(s.version.removesuffix(".*")) for a in alternatives for s in a})
    clauses: list[str] = []
    for ops in ((">=", ">"), ("<", "<=")):
        best: tuple[str, VersionRange] | None = None
        for v in points:
            for op in ops:
                try:
                    candidate = SpecifierSet(f"{op}{v}").to_range()
                except InvalidSpecifier:  # ">1.0+local": not PEP 440
                    continue
                if union.is_subset(candidate) and (best is None or candidate.is_subset(best[1])):
                    best = f"{op}{v}", candidate
        if best is not None:
            clauses.append(best[0])
    return clauses


_OP_ORDER = MappingProxyType(
    {">=": 0, ">": 0, "~=": 0, "==": 1, "===": 1, "<": 2, "<=": 2, "!=": 3}
)


def _ordered(clauses: Iterable[str]) -> list[Specifier]:
    """Lower bound, pins, upper bound, then exclusions by version (as poetry writes them)."""
    specs = [Specifier(c) for c in clauses]
    return sorted(
        specs,
        key=lambda s: (_OP_ORDER[s.operator], Version(s.version.removesuffix(".*")), s.version),
    )


_T = TypeVar("_T")

_MEMO_MAX = 4096
"""Entries each memo of :func:`_memoized` holds at most (it starts over when full)."""


def _memoized(ctx: ReadContext | None, kind: str, key: Hashable, compute: Callable[[], _T]) -> _T:
    """``compute()``, remembered under ``key`` in the run's memo ``kind`` (in ``ctx.cache``);
    computed every time without a ``ctx``. What raises is not remembered: it raises again."""
    if ctx is None:
        return compute()
    memo: dict[Hashable, _T] = run_memo(ctx, __name__, kind)
    if key in memo:
        return memo[key]
    found = compute()
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    memo[key] = found
    return found


def poetry_specifier(text: str, ctx: ReadContext | None = None) -> tuple[str, str | None]:
    """Translate a Poetry constraint into a PEP 440 specifier set string.

    Returns ``(specifier, warning)``: ``warning`` is set when ``text`` is a union (``||``)
    that no single PEP 440 specifier set expresses (see :func:`_express`); the specifier
    is then the smallest interval that covers every alternative (looser than Poetry,
    never tighter, so it can hide a conflict but never invent one). ``""`` means any
    version. An empty constraint (``>2,<1``) gives ``"<0"``, which nothing satisfies,
    with a warning.

    Memoized for the run with ``ctx`` (a monorepo repeats its constraints).

    Raises :class:`PoetryConstraintError` for what poetry-core refuses.
    """
    return _memoized(ctx, "specifier", text, lambda: _poetry_specifier(text))


def _poetry_specifier(text: str) -> tuple[str, str | None]:
    alternatives = parse_poetry_constraint(text)
    if _union(alternatives).is_empty:
        return "<0", f"version constraint {text!r} allows no version"
    clauses = _express(alternatives)
    if clauses is not None:
        return ",".join(map(str, _ordered(clauses))), None
    hull = ",".join(map(str, _ordered(_hull(alternatives))))
    return hull, (
        f"version constraint {text!r} is a union that PEP 440 cannot express; "
        f"read as {hull or 'any version'}"
    )


# --- markers ----------------------------------------------------------------------------


def _marker_name(name: str, v: Version) -> str:
    return "python_full_version" if name == "python_version" and len(v.release) >= 3 else name


def _marker_clauses(name: str, clauses: Iterable[str]) -> str:
    parts = []
    for spec in _ordered(clauses):
        version = Version(spec.version.removesuffix(".*"))
        parts.append(f'{_marker_name(name, version)} {spec.operator} "{spec.version}"')
    return " and ".join(parts)


def python_marker(text: str, name: str = "python_version", ctx: ReadContext | None = None) -> str:
    """A Poetry constraint on ``name`` as a PEP 508 marker (``""``: any version), after
    poetry-core ``create_nested_marker``: one ``or`` branch per run of alternatives that
    together form one specifier set.

    Alternatives are merged when packaging can write their union as one set
    (:func:`_express`), so ``^3.8 || ^3.9`` is one branch, ``~2.7 || ^3.4`` two, and so
    is ``~3.8 || ~3.9``: PEP 440's ``<3.9`` and ``>=3.9`` both exclude ``3.9.0rc1``.
    ``VersionRange`` does not expose its intervals (no public accessor or iterator; its
    ``repr`` is for debugging and shows ``.dev0`` bounds), so the branches are built from
    the alternatives as written rather than from the range's intervals.

    Memoized for the run with ``ctx`` (a pure function of its arguments; a refused
    constraint raises again).

    Raises :class:`PoetryConstraintError` for what poetry-core refuses.
    """
    return _memoized(ctx, "python_marker", (text, name), lambda: _python_marker(text, name))


def _python_marker(text: str, name: str) -> str:
    alternatives = parse_poetry_constraint(text)
    groups: list[list[SpecifierSet]] = []
    for alternative in alternatives:
        if alternative.to_range().is_empty:
            continue
        group = [alternative]
        merged = True
        while merged:
            merged = False
            for i, other in enumerate(groups):
                if _express([*other, *group]) is not None:
                    group = [*other, *group]
                    del groups[i]
                    merged = True
                    break
        groups.append(group)
    if not groups:
        return f'{name} < "0"'
    branches = []
    for group in groups:
        clauses = _express(group)
        assert clauses is not None  # each group was formed because it is expressible
        if not clauses:
            return ""
        branches.append(_marker_clauses(name, clauses))
    if len(branches) == 1:
        return branches[0]
    return " or ".join(f"({b})" for b in branches)


def _platform_marker(text: str) -> str:
    """poetry-core's generic constraint (``linux || darwin``, ``!=win32``) on sys_platform."""
    alternatives = []
    for alternative in _OR.split(text.strip()):
        clauses = []
        for part in alternative.split(","):
            part = part.strip()
            if part in ("", "*"):
                continue
            op, value = ("!=", part[2:]) if part.startswith("!=") else ("==", part.lstrip("="))
            clauses.append(f'sys_platform {op} "{value.strip()}"')
        if not clauses:
            return ""
        alternatives.append(" and ".join(clauses))
    if len(alternatives) == 1:
        return alternatives[0]
    return " or ".join(f"({a})" for a in alternatives)


# --- dependency tables ------------------------------------------------------------------


def poetry_requirement(
    name: str, spec: Mapping[str, Any], ctx: ReadContext | None = None
) -> tuple[str, bool, str | None]:
    """A Poetry dependency table as ``(PEP 508 text, editable, warning)``, following
    poetry-core ``Factory.create_dependency``: ``git`` / ``path`` / ``file`` / ``url``
    sources win over ``version``; ``python`` and ``platform`` become markers ANDed with
    ``markers``.

    Memoized for the run with ``ctx``, on ``name`` and the table's value (see
    :func:`~depsplit.sources.locate.frozen`): a monorepo declares the same dependency the
    same way in many apps. A bad value is not memoized; it raises again.

    Raises :class:`PoetryConstraintError` or :class:`TypeError` for a bad value.
    """
    if ctx is None:
        return _poetry_requirement(name, spec, None)
    memo: dict[tuple[str, Hashable], tuple[str, bool, str | None]]
    memo = run_memo(ctx, __name__, "requirement")
    return memo_by_value(memo, name, spec, lambda n, s: _poetry_requirement(n, s, ctx))


def _poetry_requirement(
    name: str, spec: Mapping[str, Any], ctx: ReadContext | None
) -> tuple[str, bool, str | None]:
    raw_extras = spec.get("extras", [])
    if not isinstance(raw_extras, list) or not all(isinstance(e, str) for e in raw_extras):
        raise TypeError("extras must be an array of strings")
    extras = f"[{','.join(raw_extras)}]" if raw_extras else ""
    markers: list[str] = []
    for key in ("markers", "python", "platform"):
        if key in spec and not isinstance(spec[key], str):
            raise TypeError(f"{key} must be a string, got {value_kind(spec[key])}")
    if spec.get("markers"):
        markers.append(spec["markers"])
    if spec.get("python"):
        markers.append(python_marker(spec["python"], ctx=ctx))
    if spec.get("platform"):
        markers.append(_platform_marker(spec["platform"]))
    markers = [m for m in markers if m]
    marker = markers[0] if len(markers) == 1 else " and ".join(f"({m})" for m in markers)
    url = _source_url(spec)
    warning = None
    if url is not None:
        text = f"{name}{extras} @ {url}" + (f" ; {marker}" if marker else "")
    else:
        version = spec.get("version", "*")
        if not isinstance(version, str):
            raise TypeError(f"version must be a string, got {value_kind(version)}")
        specifier, warning = poetry_specifier(version, ctx)
        text = f"{name}{extras}{specifier}" + (f"; {marker}" if marker else "")
    editable = spec.get("develop") is True and ("path" in spec or "git" in spec)
    return text, editable, warning


_SCP_LIKE = re.compile(r"^(?P<user>[\w.-]+)@(?P<host>[\w.-]+):(?P<path>(?!//).*)$")


def _source_url(spec: Mapping[str, Any]) -> str | None:
    for key in ("git", "path", "file", "url"):
        if key in spec and not isinstance(spec[key], str):
            raise TypeError(f"{key} must be a string, got {value_kind(spec[key])}")
    subdirectory = spec.get("subdirectory")
    fragment = f"#subdirectory={subdirectory}" if isinstance(subdirectory, str) else ""
    if "git" in spec:
        url: str = spec["git"]
        if m := _SCP_LIKE.match(url):  # git@github.com:org/repo.git
            url = f"ssh://{m['user']}@{m['host']}/{m['path']}"
        if not url.startswith("git+"):
            url = f"git+{url}"
        ref = next((spec[k] for k in ("branch", "tag", "rev") if isinstance(spec.get(k), str)), "")
        return url + (f"@{ref}" if ref else "") + fragment
    if "path" in spec or "file" in spec:
        # The path is kept as written (relative to the pyproject's directory).
        return f"file:{spec.get('path') or spec.get('file')}"
    if "url" in spec:
        return str(spec["url"]) + fragment
    return None


def value_kind(value: object) -> str:
    """A TOML value's type as messages name it (``"a string"``, ``"an array"`` …)."""
    return {
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)
