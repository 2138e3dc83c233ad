"""Direct conflicts between apps: version algebra, URLs, the interpreter, N-way sets.

A *conflict* is a smallest set of apps that cannot share one container because of one
package (or the Python version). :func:`find_conflicts` finds every such set among all apps;
:func:`check_group` checks one group as a whole (the partition's proof that a group works).

What counts
    For each app and interpreter, :func:`effective` gives the requirements that go into its
    container: roles ``main`` and ``lock`` whose marker holds on the target (Linux, CPython
    X.Y, the target's machine), plus ``-c`` constraints on packages that are already
    required. ``dev`` and ``optional`` requirements never count. A set of apps is evaluated
    at its *common Python* (:func:`common_python`): the newest supported CPython minor that
    every member allows, or ``--python`` when fixed.

Version algebra
    All of it is packaging's: ``SpecifierSet.to_range()`` / ``VersionRange`` intersection and
    ``is_empty`` (which agrees with ``SpecifierSet.is_unsatisfiable()``), including ``~=``,
    ``==X.*``, ``!=X.*``, local versions (``==1.0`` admits ``1.0+cpu``; ``==1.0+cpu`` admits
    nothing else) and epochs. ``===`` is string equality: packaging's ranges carry it as a
    literal (``SpecifierSet.is_disjoint`` refuses ``===``, so it is never called here).

Pre-release rule (pip's)
    pip filters the candidates of a package through the AND of every specifier on it. A
    pre-release is a candidate when a specifier in that combined set names a pre-release
    (packaging's ``SpecifierSet.prereleases``) or, failing that, when no final release
    satisfies the combined set (PEP 440's fallback, applied by ``SpecifierSet.filter``, which
    pip's finder calls with ``prereleases=None``). Hence a set of apps whose specifiers meet
    only in pre-releases *can* share a container: it is not a conflict. It is reported as a
    warning, "only pre-releases satisfy both", because the container will get a pre-release
    (and tools stricter than pip, such as ``uv`` without ``--prerelease``, refuse it when no
    specifier names one).

URLs
    Two different URLs for one package conflict (after light normalization: relative paths
    are resolved against the requirement's file, trailing ``/`` and ``#egg=`` are dropped).
    A URL against a version specifier is judged on the version the URL names: a wheel or
    sdist file name, or a VCS ref that is a version (``@v2.3.0``). A URL that names no version
    cannot be judged against specifiers; that gives a warning, not a conflict.

N-way conflicts and the search bound
    ``>=1,<3``, ``>=2,<4`` and ``>=1,<4,!=2.*`` are pairwise compatible and jointly
    impossible. Helly's theorem in one dimension says that intervals which meet pairwise
    meet jointly, so a minimal set of three or more exists only when some member is
    non-convex (``!=``; told apart with ``to_range()``: a specifier set is convex when
    dropping its ``!=`` clauses leaves the same range). Further:

    * a minimal set holds at most two convex members (the intersection of intervals is
      fixed by the highest lower bound and the lowest upper bound);
    * a ``===`` member is a single point, so it never belongs to a minimal set of three or
      more (a point that meets every other member lies in their intersection).

    :func:`find_conflicts` therefore searches cliques of pairwise-compatible *distinct*
    specifier ranges (apps with identical ranges are merged first), starting from a
    non-convex member, with at most two convex members, up to :data:`MAX_NWAY_SIZE`
    distinct ranges, and within ``time_limit`` seconds. When a bound stops it, the result
    says so (:attr:`ConflictAnalysis.complete` is false, with a warning); every group is
    still checked as a whole by :func:`check_group`, which has no size bound (it falls back
    to a deletion filter that always yields one minimal set).

Output is deterministic: conflicts are sorted, and a conflict's :func:`conflict_id` depends
only on its kind, its canonical package and its apps.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import posixpath
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

from packaging.specifiers import Specifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from depsplit import specalgebra
from depsplit import target as tgt
from depsplit.model import (
    App,
    Conflict,
    ConflictKind,
    ConflictRequirement,
    Diagnostic,
    Origin,
    PackageConflict,
    Requirement,
    Target,
)
from depsplit.package_conflicts import Gathering, Gatherings, sort_key

if TYPE_CHECKING:
    from packaging.ranges import VersionRange

MAX_NWAY_SIZE = 6
"""Largest number of distinct specifier ranges :func:`find_conflicts` puts in one N-way set."""

MAX_NWAY_EXPANSION = 1000
"""Most app sets listed for one impossible combination of distinct specifiers: apps with
identical specifiers multiply (three ranges held by 100 apps each are 10**6 sets)."""

MIN_PIN_CLIQUE = 3
"""Terms pinning different releases of one package, at one interpreter, from which they are
kept as one clique of clashes instead of pair by pair."""

GROUP_NWAY_SECONDS = 2.0
"""Time :func:`check_group` spends enumerating N-way sets before its deletion fallback."""

__all__ = [
    "MAX_NWAY_SIZE",
    "ConflictAnalysis",
    "EffectiveCache",
    "SpecCache",
    "Verdict",
    "analyze_conflicts",
    "app_python",
    "check_group",
    "common_python",
    "conflict_id",
    "effective",
    "expand",
    "find_conflicts",
    "group_notes",
    "judge",
    "of_one_app",
    "on_package",
    "python_requirements",
    "sides",
    "unsatisfiable_apps",
]


# --------------------------------------------------------------------------- interpreter


def _allowed(app: App, target: Target) -> tuple[str, ...]:
    """The minors (oldest first) the app allows (:func:`depsplit.target.app_pythons`)."""
    return tuple(tgt.app_pythons(app, target))


def app_python(app: App, target: Target) -> str | None:
    """The interpreter an app gets alone: ``target.python`` when fixed, else the newest
    supported minor it allows; ``None`` when it allows none."""
    if target.python:
        return target.python
    allowed = _allowed(app, target)
    return allowed[-1] if allowed else None


def _common(classes: Sequence[tuple[str, ...]]) -> str | None:
    if not classes:
        return None
    shared = set(classes[0]).intersection(*classes[1:])
    return max(shared, key=tgt.minor_key) if shared else None


def common_python(apps: Sequence[App], target: Target) -> str | None:
    """The newest minor every app allows (``target.python`` if fixed and every app allows
    it); ``None`` when there is none. An empty sequence gets the newest supported minor."""
    if not apps:
        return target.python or tgt.SUPPORTED_PYTHONS[-1]
    return _common([_allowed(a, target) for a in apps])


# --------------------------------------------------------------------------- requirements


def effective(app: App, target: Target, python: str) -> dict[str, list[Requirement]]:
    """Per canonical package key (sorted), the app's requirements that go into its
    container at ``python``: ``main`` and ``lock`` whose marker holds, then ``constraint``
    entries on keys already present. ``dev`` and ``optional`` never count. Within a key the
    reading order is kept. An invalid marker counts as true."""
    out: dict[str, list[Requirement]] = {}
    # A marker's verdict depends on the marker, the target and ``python`` only: each
    # distinct marker of the app is evaluated once (most lines have none).
    holds: dict[str, bool] = {}

    def applies(marker: str) -> bool:
        found = holds.get(marker)
        if found is None:
            found = holds[marker] = tgt.marker_holds(marker, target, python)
        return found

    constraints = False
    every = app.requirements + app.dependencies if app.dependencies else app.requirements
    for req in every:
        role = req.role
        if role == "main" or role == "lock":
            if req.marker and not applies(req.marker):
                continue
            reqs = out.get(req.key)
            if reqs is None:
                out[req.key] = [req]
            else:
                reqs.append(req)
        elif role == "constraint":
            constraints = True
    if constraints:
        for req in app.requirements:
            if req.role == "constraint" and req.key in out:
                if req.marker and not applies(req.marker):
                    continue
                out[req.key].append(req)
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------- URLs

_VCS_REF = re.compile(r"@([^@/#?]+)(?:[#?].*)?$")


def _url_identity(req: Requirement) -> str:
    """A URL normalized enough that two spellings of one location compare equal."""
    url = req.url or ""
    url, _, fragment = url.partition("#")
    kept = [p for p in fragment.split("&") if p and not p.startswith("egg=")]
    if url.startswith("file:") and not url.startswith("file://"):
        # The readers write a local path as file:<path relative to the root>.
        url = posixpath.normpath(url[len("file:") :])
    elif "://" not in url and not url.startswith("/"):
        # A relative local path: relative to the file that names it.
        url = posixpath.normpath(posixpath.join(posixpath.dirname(req.origin.file), url))
    url = url.rstrip("/") or url
    return url + ("#" + "&".join(kept) if kept else "")


def _url_version(url: str, key: str) -> str | None:
    """The version a URL names (wheel or sdist file name, or a VCS ref such as ``@v1.2``)
    when it is known and belongs to ``key``."""
    base = url.split("#", 1)[0].split("?", 1)[0]
    filename = base.rsplit("/", 1)[-1]
    version: Version | None = None
    if filename.endswith(".whl"):
        try:
            name, version, _, _ = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            return None
        return str(version) if name == key else None
    if filename.endswith((".tar.gz", ".zip")):
        try:
            name, version = parse_sdist_filename(filename)
        except InvalidSdistFilename:
            return None
        return str(version) if name == key else None
    if "+" in base.split("://", 1)[0]:  # git+https://…@ref
        match = _VCS_REF.search(base.split("://", 1)[1] if "://" in base else base)
        if match:
            ref = match.group(1)
            # Only refs that look like releases: a commit hash or a branch names no version.
            if re.fullmatch(r"[vV]?\d+(\.\d+)+\S*", ref):
                try:
                    return str(Version(ref.lstrip("vV")))
                except InvalidVersion:
                    return None
    return None


# --------------------------------------------------------------------------- algebra


@dataclass(frozen=True)
class Verdict:
    """Whether a set of specifier sets can be met together (see the module's pre-release
    rule)."""

    satisfiable: bool
    prerelease_only: bool
    """Satisfiable, but only by pre-releases."""
    reason: str
    """Why not, or ``"only pre-releases satisfy both"``; empty when plainly satisfiable."""


def judge(specifiers: Sequence[str]) -> Verdict:
    """Judge the AND of ``specifiers`` (PEP 440 specifier set strings) with packaging.

    Satisfiable means some version string (pre-releases included, as pip admits them when
    nothing else matches) satisfies every set; ``===`` compares strings.
    """
    combined = SpecifierSet(",".join(s for s in specifiers if s))
    shown = [s or "any version" for s in specifiers]
    if specalgebra.is_unsatisfiable(combined):
        return Verdict(False, False, _why(shown, nway=False))
    if specalgebra.is_unsatisfiable(combined, prereleases=False):
        return Verdict(True, True, _prerelease_reason(len(specifiers)))
    return Verdict(True, False, "")


def _prerelease_reason(count: int) -> str:
    return "only pre-releases satisfy both" if count <= 2 else "only pre-releases satisfy all"


def _is_convex(sset: SpecifierSet, rng: VersionRange) -> bool:
    """Whether the versions ``sset`` admits (``rng``, its range) form one interval (``!=``
    may cut holes)."""
    kept = [s for s in sset if s.operator != "!="]
    if len(kept) == len(sset):
        return True
    return specalgebra.set_range(kept) == rng


class _TermData:
    """The algebra of one request on one package: the specifier strings an app gives it
    (in reading order) and its normalized URLs. Built once per distinct input by
    :class:`SpecCache` and shared by every engine of one run (the conflict search and
    each whole-group check of the partition); never changed once built."""

    __slots__ = (
        "alone_ok",
        "convex",
        "identity",
        "pin",
        "plain",
        "point",
        "range",
        "range_key",
        "sset",
        "text",
        "unknown_urls",
        "urls",
    )

    def __init__(
        self,
        key: str,
        specs: tuple[str, ...],
        urls: tuple[str, ...],
        range_ids: dict[VersionRange, int],
    ) -> None:
        """``range_ids``: the run's number of every distinct range met (see
        :class:`SpecCache`); a new range is numbered here."""
        named = [(u, _url_version(u, key)) for u in urls]
        pins = [f"=={v}" for _, v in named if v is not None]
        sset = SpecifierSet(",".join([*specs, *pins]))
        rng = specalgebra.set_range(sset)
        self.sset = sset
        """Every specifier, plus ``==V`` for each URL that names version V."""
        self.range: VersionRange = rng
        self.plain: VersionRange = (
            specalgebra.set_range(SpecifierSet(",".join(specs))) if pins else rng
        )
        """The range of the specifiers alone, without URL versions."""
        self.urls = frozenset(urls)
        self.unknown_urls = tuple(u for u, v in named if v is None)
        """URLs that name no version (so they cannot be judged against specifiers)."""
        self.convex = _is_convex(sset, rng)
        self.point = any(s.operator == "===" for s in sset)
        """Holds a ``===`` clause: admits one string at most."""
        self.pin = specalgebra.plain_pin(sset) if not urls else None
        """The release of a plain ``==V`` (one clause, no wildcard, no local label, no
        URL): two terms pinning different releases never meet."""
        self.text = str(sset)
        self.alone_ok = len(urls) <= 1 and not rng.is_empty
        self.range_key = (range_ids.setdefault(rng, len(range_ids)), urls, key if urls else "")
        """Equal for requests with the same range and URLs: they are one term. With URLs
        the package is part of it: which version a URL names (``plain``, ``unknown_urls``)
        depends on the package it is given for."""
        self.identity: str | None = None
        """:func:`_term_identity`'s text, computed when first asked for."""


class SpecCache:
    """What one run derives from specifier strings and URLs alone, valid for any apps and
    target: the algebra of each distinct request (so ``>=2`` is parsed once per run, for
    every package and app that asks for it), the numbering of the distinct ranges met
    (hashing a range is slow: it is done once), and whether only pre-releases satisfy a
    set of terms. Passed explicitly to every engine of the run and never kept between
    runs; entries are never changed once made."""

    __slots__ = ("_one_spec", "_prerelease_only", "_range_ids", "_specs", "_urls")

    def __init__(self) -> None:
        self._range_ids: dict[VersionRange, int] = {}
        self._specs: dict[tuple[str, ...], _TermData] = {}
        self._one_spec: dict[str, _TermData] = {}
        self._urls: dict[tuple[str, tuple[str, ...], tuple[str, ...]], _TermData] = {}
        self._prerelease_only: dict[tuple[str, ...], bool] = {}

    def term_data(self, key: str, specs: tuple[str, ...], urls: tuple[str, ...]) -> _TermData:
        """The algebra of specifier strings ``specs`` and sorted, distinct normalized
        ``urls`` on package ``key``, once per distinct input. Without URLs the package
        plays no part (it only tells which versions a URL names)."""
        if urls:
            at = (key, specs, urls)
            found = self._urls.get(at)
            if found is None:
                found = self._urls[at] = _TermData(key, specs, urls, self._range_ids)
            return found
        found = self._specs.get(specs)
        if found is None:
            found = self._specs[specs] = _TermData("", specs, (), self._range_ids)
        return found

    def one_spec_term_data(self, spec: str) -> _TermData:
        """:meth:`term_data` of the most common request, one specifier string (``""``:
        none) and no URL, keyed by the string (whose hash Python keeps: cheaper than a
        tuple's)."""
        found = self._one_spec.get(spec)
        if found is None:
            found = self._one_spec[spec] = self.term_data("", (spec,) if spec else (), ())
        return found

    def algebra_by_key(self, eff: dict[str, list[Requirement]]) -> dict[str, _TermData]:
        """Per package of an :func:`effective` mapping, the algebra of its requirements."""
        out: dict[str, _TermData] = {}
        for key, reqs in eff.items():
            if len(reqs) == 1:
                req = reqs[0]
                if req.url:
                    specs: tuple[str, ...] = (req.specifier,) if req.specifier else ()
                    out[key] = self.term_data(key, specs, (_url_identity(req),))
                else:
                    out[key] = self.one_spec_term_data(req.specifier)
            else:
                specs = tuple(r.specifier for r in reqs if r.specifier)
                urls = tuple(sorted({_url_identity(r) for r in reqs if r.url}))
                out[key] = self.term_data(key, specs, urls)
        return out

    def prerelease_only(self, terms: Sequence[_Term]) -> bool:
        """Whether only pre-releases satisfy every term (their specifier sets joined, with
        pip's rule: see the module docstring); once per sorted tuple of distinct term
        texts (the same terms meet at every interpreter, and every engine asks again)."""
        by_text = {t.text: t.sset for t in terms if t.text}
        texts = tuple(sorted(by_text))
        found = self._prerelease_only.get(texts)
        if found is None:
            found = self._prerelease_only[texts] = _prerelease_only_specs(
                [spec for text in texts for spec in by_text[text]]
            )
        return found


class EffectiveCache:
    """One run's requirements per app: (app name, python) → the app's :func:`effective`
    requirements and their algebra (:meth:`SpecCache.algebra_by_key`). The run's engines
    (the conflict search, then every whole-group check of the partition) share it, so each
    (app, interpreter) is worked out once per run, not once per engine. Valid for one set
    of apps (by name) and one target; ``specs`` may be shared wider (see
    :class:`SpecCache`). Passed explicitly; the mappings in it are not to be changed."""

    __slots__ = ("_algebra", "_requirements", "specs")

    def __init__(self, specs: SpecCache | None = None) -> None:
        self.specs = specs if specs is not None else SpecCache()
        self._requirements: dict[tuple[str, str], dict[str, list[Requirement]]] = {}
        self._algebra: dict[tuple[str, str], dict[str, _TermData]] = {}

    def requirements(self, app: App, target: Target, python: str) -> dict[str, list[Requirement]]:
        """:func:`effective` of ``app`` at ``python``, once per run."""
        found = self._requirements.get((app.name, python))
        if found is None:
            found = self._requirements[(app.name, python)] = effective(app, target, python)
        return found

    def algebra(self, app: App, target: Target, python: str) -> dict[str, _TermData]:
        """Per package key of :meth:`requirements`, their algebra, once per run."""
        found = self._algebra.get((app.name, python))
        if found is None:
            found = self.specs.algebra_by_key(self.requirements(app, target, python))
            self._algebra[(app.name, python)] = found
        return found


class _Term:
    """What one app asks of one package, as algebra, within one engine. Apps whose terms
    have the same range and URLs share one ``_Term`` (same ``uid``: terms are numbered in
    the order the engine first meets them, which orders every search over them). The
    fields are copied from the first :class:`_TermData` met (see there)."""

    __slots__ = (
        "alone_ok",
        "convex",
        "data",
        "pin",
        "plain",
        "point",
        "range",
        "sset",
        "text",
        "uid",
        "unknown_urls",
        "urls",
    )

    def __init__(self, uid: int, data: _TermData) -> None:
        self.uid = uid
        self.data = data
        self.sset = data.sset
        self.range = data.range
        self.plain = data.plain
        self.urls = data.urls
        self.unknown_urls = data.unknown_urls
        self.convex = data.convex
        self.point = data.point
        self.pin = data.pin
        self.text = data.text
        self.alone_ok = data.alone_ok
        """Satisfiable alone: at most one URL, and a non-empty range."""


class _Algebra:
    """Interns terms and caches pair verdicts (one per distinct pair of ranges)."""

    def __init__(self) -> None:
        self.by_data: dict[_TermData, _Term] = {}
        """Every data met -> its term (a term is never falsy: ``by_data.get(d) or term(d)``)."""
        self._by_range: dict[tuple[int, tuple[str, ...], str], _Term] = {}
        self._pairs: dict[tuple[int, int], bool] = {}

    def term(self, data: _TermData) -> _Term:
        found = self.by_data.get(data)
        if found is None:
            found = self._by_range.get(data.range_key)
            if found is None:
                found = _Term(len(self._by_range), data)
                self._by_range[data.range_key] = found
            self.by_data[data] = found
        return found

    def compatible(self, a: _Term, b: _Term) -> bool:
        """Whether one version (and at most one URL) satisfies both terms."""
        if a is b:
            return a.alone_ok
        pair = (a.uid, b.uid) if a.uid < b.uid else (b.uid, a.uid)
        found = self._pairs.get(pair)
        if found is None:
            # ``is_disjoint`` is packaging's ``intersection(...).is_empty`` (documented
            # so), without building the intersection when both ranges are plain.
            found = len(a.urls | b.urls) <= 1 and not a.range.is_disjoint(b.range)
            self._pairs[pair] = found
        return found


def _meet(terms: Sequence[_Term]) -> VersionRange | None:
    """The versions every term admits, or ``None`` when their URLs differ."""
    urls: set[str] = set()
    for t in terms:
        urls |= t.urls
    if len(urls) > 1:
        return None
    result = terms[0].range
    for t in terms[1:]:
        result = result.intersection(t.range)
    return result


def _meets(terms: Sequence[_Term]) -> bool:
    met = _meet(terms)
    return met is not None and not met.is_empty


def _prerelease_only_specs(specs: Sequence[Specifier]) -> bool:
    """Whether ``SpecifierSet(",".join(texts))`` (``texts``: the specifier sets, as
    ``str(SpecifierSet)`` gives them, whose clauses are ``specs``) is satisfiable only
    by pre-releases: no final release satisfies ``SpecifierSet(str(combined),
    prereleases=False)``.

    That set is built here from the terms' already parsed clauses instead of from text:
    ``str(combined)`` is the clauses deduplicated and sorted by their text, each of which
    parses back to an equal clause (``str(Specifier)`` round-trips). Those are the same
    clauses in the same order, without parsing them twice more or losing what packaging
    has cached on them."""
    if not specs:
        return False
    canonical = tuple(dict.fromkeys(sorted(specs, key=str)))
    return specalgebra.is_unsatisfiable(SpecifierSet(canonical), prereleases=False)


def _kind(terms: Sequence[_Term]) -> ConflictKind:
    if not any(t.urls for t in terms):
        return "version"  # the common case, without building a set
    urls: set[str] = set()
    for t in terms:
        urls |= t.urls
    if len(urls) > 1:
        return "url"
    if urls:
        plain = terms[0].plain
        for t in terms[1:]:
            plain = plain.intersection(t.plain)
        if not plain.is_empty:
            return "url"  # the specifiers meet; the version a URL names does not
    return "version"


def _nway_sets(
    terms: Sequence[_Term],
    algebra: _Algebra,
    *,
    max_size: int,
    deadline: float,
) -> tuple[list[tuple[_Term, ...]], bool]:
    """Minimal unsatisfiable sets of 3+ distinct terms whose pairs are all compatible.

    ``terms`` must each be satisfiable alone. Returns the sets and whether the search ran to
    completion (``False`` when ``deadline`` passed).
    """
    pool = [t for t in terms if t.alone_ok and not t.point]
    if not any(not t.convex for t in pool):
        return [], True  # Helly: convex members that meet pairwise meet jointly
    pool.sort(key=lambda t: (t.convex, t.uid))
    found: list[tuple[_Term, ...]] = []
    complete = True

    def minimal(chosen: list[_Term], last: _Term) -> bool:
        # ``chosen`` meets (the search only extends sets that meet); every other set
        # missing one member must meet too.
        for drop in range(len(chosen)):
            rest = [*chosen[:drop], *chosen[drop + 1 :], last]
            if not _meets(rest):
                return False
        return True

    def extend(chosen: list[_Term], met: VersionRange, cands: list[_Term], convex: int) -> None:
        nonlocal complete
        for index, term in enumerate(cands):
            if time.monotonic() > deadline:
                complete = False
                return
            if term.convex and convex >= 2:
                continue
            joint = met.intersection(term.range)
            if joint.is_empty:
                if len(chosen) >= 2 and minimal(chosen, term):
                    found.append((*chosen, term))
                continue
            if len(chosen) + 1 < max_size:
                rest = [c for c in cands[index + 1 :] if algebra.compatible(term, c)]
                extend([*chosen, term], joint, rest, convex + term.convex)

    # A minimal set holds a non-convex member; with non-convex terms sorted first, it is
    # the set's first member, so only those start a search.
    for index, root in enumerate(pool):
        if root.convex or not complete:
            break
        cands = [c for c in pool[index + 1 :] if algebra.compatible(root, c)]
        extend([root], root.range, cands, 0)
    return found, complete


def _deletion_filter(terms: Sequence[_Term]) -> tuple[_Term, ...]:
    """One minimal unsatisfiable subset of ``terms`` (which must not meet)."""
    kept = list(terms)
    index = 0
    while index < len(kept):
        rest = kept[:index] + kept[index + 1 :]
        if rest and not _meets(rest):
            kept = rest
        else:
            index += 1
    return tuple(kept)


# --------------------------------------------------------------------------- messages


def conflict_id(kind: str, package_key: str, apps: Sequence[str]) -> str:
    """A stable id: from the kind, the canonical package and the sorted app names only
    (not line numbers or specifier text), e.g. ``version:flask:3f2a9c01de``."""
    key = "python" if kind == "python" else canonicalize_name(package_key)
    return _id(kind, key, sorted(apps))


def _id(kind: str, key: str, sorted_apps: Sequence[str]) -> str:
    digest = hashlib.sha256("\n".join([kind, key, *sorted_apps]).encode()).hexdigest()
    return f"{kind}:{key}:{digest[:10]}"


def _side_id(kind: str, key: str, identities: Sequence[str]) -> str:
    """The id of a conflict between sides of apps: from what each side asks (see
    :func:`_term_identity`), not from the apps, so that adding or removing an app that asks
    the same thing as a side keeps the id. The ``=`` prefix keeps these digests apart from
    the app-based ones of :func:`conflict_id`."""
    if len(identities) == 2:  # a pair: two sides, sorted without a generator
        a, b = f"={identities[0]}", f"={identities[1]}"
        return _id(kind, key, (a, b) if a <= b else (b, a))
    return _id(kind, key, sorted(f"={i}" for i in identities))


def _term_identity(term: _Term, allowed: str = "") -> str:
    """What a side asks of a package, canonical (any spelling of one version range, or one
    URL, gives the same text), with its allowed Pythons (:meth:`_Engine.allowed_identity`)."""
    data = term.data
    text = data.identity
    if text is None:
        # Kept on the term's data: equal ranges have equal texts, so any data of the term
        # gives the same one.
        text = _RELEASE.sub(_short_release, str(data.range))
        text = data.identity = text + "".join(f" @ {u}" for u in data.range_key[1])
    return f"{text} | python {allowed}" if allowed else text


_RELEASE = re.compile(r"(?<![\w.+])\d+(?:\.\d+)+")
"""A release segment (``2.3.0``) in a range's text, not a local or pre-release part."""


def _short_release(match: re.Match[str]) -> str:
    """``2.3.0.0`` → ``2.3``: one spelling for equal versions (PEP 440 pads with zeros)."""
    parts = match.group(0).split(".")
    while len(parts) > 1 and int(parts[-1]) == 0:
        parts.pop()
    return ".".join(str(int(p)) for p in parts)


def sides(conflict: Conflict) -> tuple[tuple[str, ...], ...]:
    """The conflict's sides: ``members``, or one app per side when it has none (a conflict
    made elsewhere, such as a transitive one)."""
    return conflict.members or tuple((a,) for a in conflict.apps)


def expand(conflict: Conflict) -> list[tuple[str, ...]]:
    """Every minimal set of apps that ``conflict`` stands for: one app from each of its
    sides (:func:`sides`), sorted. Beware: sides of hundreds of apps give tens of thousands
    of sets."""
    return [tuple(sorted(combo)) for combo in itertools.product(*sides(conflict))]


def unsatisfiable_apps(conflicts: Sequence[Conflict]) -> list[str]:
    """Apps that cannot be satisfied even alone (conflicts of one app), sorted."""
    return sorted({c.apps[0] for c in of_one_app(conflicts)})


def of_one_app(conflicts: Sequence[Conflict]) -> Sequence[Conflict]:
    """The conflicts of one app among ``conflicts`` (from a :class:`ConflictSets`,
    without making the pair conflicts)."""
    if isinstance(conflicts, ConflictSets):
        return conflicts.of_one_app()
    return [c for c in conflicts if len(c.apps) == 1]


def on_package(conflict: Conflict, python: bool, key: str) -> bool:
    """Whether ``conflict`` is on the interpreter (``python``) or, else, on the package of
    canonical name ``key``."""
    if (conflict.kind == "python") != python:
        return False
    return python or canonicalize_name(conflict.package) == key


def _where(origin: Origin) -> str:
    if not origin.via:
        return str(origin)
    return f"{origin} via {' → '.join(origin.via)}"


def _shown(req: Requirement) -> str:
    if req.url:
        return f"@ {req.url}" + (f" {req.specifier}" if req.specifier else "")
    return req.specifier or "any version"


def _app_spec(reqs: Sequence[Requirement]) -> str:
    """All of an app's specifiers on one package, as written."""
    parts: list[str] = []
    for req in reqs:
        for part in ([f"@ {req.url}"] if req.url else []) + (
            req.specifier.split(",") if req.specifier else []
        ):
            if part not in parts:
                parts.append(part)
    return ",".join(parts) or "any version"


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _why(shown: Sequence[str], *, nway: bool) -> str:
    # Parentheses keep a multi-clause set readable among others ("(>=1,<3) and >=4").
    unique = [f"({s})" if "," in s else s for s in dict.fromkeys(shown)]
    if "===" in "\n".join(unique):  # in one of them (no "=" is added around them)
        lead = "'===' compares version strings literally: no version string"
    else:
        lead = "no version"
    if not unique:  # e.g. a URL pin and an impossible specifier of the same app
        text = f"{lead} satisfies them all"
    elif len(unique) == 2:
        text = f"{lead} is both {unique[0]} and {unique[1]}"
    else:
        text = f"{lead} is {_and(unique)} at once"
    return text + (", though every two of them can be met" if nway else "")


def _why_url(members: Sequence[_Member], terms: Sequence[_Term]) -> str:
    urls = sorted({u for t in terms for u in t.urls})
    if len(urls) > 1:
        return f"two different URLs for one package: {_and(urls)}"
    versions = sorted(
        {
            v
            for m in members
            for r in m.reqs
            if r.url and (v := _url_version(_url_identity(r), r.key)) is not None
        }
    )
    specs = [s for m in members for r in m.reqs if not r.url and (s := r.specifier)]
    spec_text = _and(list(dict.fromkeys(specs))) if specs else "the other specifiers"
    return f"the URL names version {_and(versions)}, which {spec_text} excludes"


class _Member:
    """One app's requirements on one package at one interpreter, pre-rendered: the same
    member appears in many conflicts. Never changed once built (but ``side_texts``, a
    cache); compared by identity. (A plain class: a frozen dataclass costs thrice as much
    to build, once per member of a run.)"""

    __slots__ = ("app", "listed", "reqs", "side_texts", "spec", "term", "text")

    def __init__(
        self,
        *,
        app: str,
        reqs: tuple[Requirement, ...],
        term: _Term,
        text: str,
        spec: str,
        listed: tuple[ConflictRequirement, ...],
    ) -> None:
        self.app = app
        self.reqs = reqs
        self.term = term
        self.text = text
        """``api needs ==2.3.0 (services/api/requirements.txt:3)``"""
        self.spec = spec
        """The app's specifiers as written (URLs left out), for the reason."""
        self.listed = listed
        self.side_texts: dict[int, str] = {}
        """:func:`_side_text` per side size, kept: a side is in a conflict with every side
        it cannot share a container with."""


def _member(app: str, reqs: Sequence[Requirement], term: _Term) -> _Member:
    wheres = "; ".join(
        dict.fromkeys(
            _where(r.origin) + (f" through {' → '.join(r.chain)}" if r.chain else "") for r in reqs
        )
    )
    written = _app_spec(reqs)
    plain = [r for r in reqs if not r.url]
    return _Member(
        app=app,
        reqs=tuple(reqs),
        term=term,
        text=f"{app} needs {written} ({wheres})",
        spec=written if len(plain) == len(reqs) else _app_spec(plain),
        listed=tuple(
            ConflictRequirement(
                app=app,
                specifier=r.specifier,
                origin=r.origin,
                name=r.name,
                url=r.url,
                marker=r.marker,
                chain=r.chain,
            )
            for r in reqs
        ),
    )


def _package_conflict(
    key: str,
    members: Sequence[_Member],
    *,
    nway: bool,
    sides: Sequence[Sequence[str]] | None = None,
    identities: Sequence[str] | None = None,
) -> Conflict:
    """A version or URL conflict among ``members`` (sorted by app) on canonical ``key``.

    With ``sides`` (one sorted list of apps per member, the member's app first) the
    conflict stands for every choice of one app per side, and its id comes from the sides'
    ``identities``; without, from the apps."""
    terms = [m.term for m in members]
    kind = _kind(terms)
    apps = tuple([m.app for m in members])
    name = members[0].reqs[0].name
    counts = [len(side) for side in sides] if sides is not None else [1] * len(members)
    if len(members) == 1:
        reqs = members[0].reqs
        listed = _and([f"{_shown(r)} ({_where(r.origin)})" for r in reqs])
        head = f"{name}: {apps[0]} needs {listed}"
        shown = [_shown(r) for r in reqs if not r.url]
    else:
        texts = [_side_text(m, n) for m, n in zip(members, counts, strict=True)]
        head = f"{name}: " + (" but ".join(texts) if len(texts) == 2 else _and(texts))
        shown = [m.spec for m in members]
    why = _why_url(members, terms) if kind == "url" else _why(shown, nway=nway)
    if sides is not None and identities is not None and len(members) > 1:
        cid = _side_id(kind, key, identities)
        listed_sides = tuple(map(tuple, sides))  # no copy when they are tuples
        listed_identities = tuple(identities)
    else:
        cid, listed_sides = _id(kind, key, apps), tuple((a,) for a in apps)
        listed_identities = ()
    return Conflict(
        id=cid,
        kind=kind,
        package=name,
        apps=apps,
        requirements=tuple(itertools.chain.from_iterable([m.listed for m in members])),
        message=f"{head}: {why}",
        members=listed_sides,
        identities=listed_identities,
    )


def _side_text(member: _Member, count: int) -> str:
    """``api needs ==2.3.0 (…)`` or ``api and 11 other apps need ==2.3.0 (…)``."""
    if count <= 1:
        return member.text
    found = member.side_texts.get(count)
    if found is None:
        others = "1 other app" if count == 2 else f"{count - 1} other apps"
        found = member.side_texts[count] = member.text.replace(" needs ", f" and {others} need ", 1)
    return found


def _python_shown(app: App) -> str:
    if any(p.evidence for p in app.python):
        # Index facts make the joined specifier long: name the minors it leaves.
        allowed = tgt.allowed_pythons(app.python_specifier)
        return f"CPython {_minors_text(allowed)}" if allowed else "no supported CPython"
    return app.python_specifier or "any Python"


def _minors_text(minors: Sequence[str]) -> str:
    """``3.5–3.8, 3.10`` for runs of consecutive supported minors."""
    order = list(tgt.SUPPORTED_PYTHONS)
    runs: list[list[str]] = []
    for minor in sorted(minors, key=order.index):
        if runs and order.index(runs[-1][-1]) + 1 == order.index(minor):
            runs[-1].append(minor)
        else:
            runs.append([minor])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


def python_requirements(apps: Sequence[App]) -> tuple[ConflictRequirement, ...]:
    """Every Python constraint of ``apps`` (in order) as a python conflict's requirements:
    the one list of them for the direct and the transitive analysis."""
    return tuple(
        ConflictRequirement(app=a.name, specifier=p.specifier, origin=p.origin, name="python")
        for a in apps
        for p in a.python
    )


def _python_text(app: App) -> str:
    wheres = "; ".join(
        dict.fromkeys(
            f"{p.evidence}, {_where(p.origin)}" if p.evidence else _where(p.origin)
            for p in app.python
        )
    )
    return f"{app.name} allows {_python_shown(app)}" + (f" ({wheres})" if wheres else "")


def _python_conflict(
    apps: Sequence[App],
    fixed: str | None,
    *,
    nway: bool = False,
    sides: Sequence[Sequence[str]] | None = None,
    identities: Sequence[str] | None = None,
) -> Conflict:
    """A python conflict among ``apps`` (sorted); with ``sides``, for every choice of one
    app per side (each side's first app is in ``apps``)."""
    names = tuple(a.name for a in apps)
    counts = [len(side) for side in sides] if sides is not None else [1] * len(apps)
    supported = tgt.span(tgt.SUPPORTED_PYTHONS)
    if len(apps) == 1 and fixed:
        message = f"python: {_python_text(apps[0])} but the container's Python is {fixed}"
    elif len(apps) == 1:
        message = (
            f"python: {_python_text(apps[0])}: no supported CPython ({supported}) satisfies it"
        )
    else:
        texts = [_python_side_text(a, n) for a, n in zip(apps, counts, strict=True)]
        head = " but ".join(texts) if len(texts) == 2 else _and(texts)
        shown = [_python_shown(a) for a in apps]
        tail = _why(shown, nway=nway).replace("no version", f"no supported CPython ({supported})")
        message = f"python: {head}: {tail}"
    if sides is not None and identities is not None and len(apps) > 1:
        cid = _side_id("python", "python", identities)
        listed = tuple(tuple(side) for side in sides)
        listed_identities = tuple(identities)
    else:
        cid, listed = conflict_id("python", "python", names), tuple((n,) for n in names)
        listed_identities = ()
    return Conflict(
        id=cid,
        kind="python",
        package="python",
        apps=names,
        requirements=python_requirements(apps),
        message=message,
        members=listed,
        identities=listed_identities,
    )


def _python_side_text(app: App, count: int) -> str:
    text = _python_text(app)
    if count <= 1:
        return text
    others = "1 other app" if count == 2 else f"{count - 1} other apps"
    return text.replace(" allows ", f" and {others} allow ", 1)


def _python_family_conflicts(
    apps: Sequence[App], allowed: dict[str, tuple[str, ...]]
) -> list[Conflict]:
    """Minimal sets of apps (each allowing some minor) that share no minor.

    Apps are merged by their allowed set; a minimal family has at most as many members as
    there are candidate minors (each member excludes a minor all the others allow)."""
    classes: dict[tuple[str, ...], list[App]] = {}
    for app in apps:
        if allowed[app.name]:
            classes.setdefault(allowed[app.name], []).append(app)
    keys = sorted(classes)
    families: list[tuple[tuple[str, ...], ...]] = []

    def extend(chosen: list[tuple[str, ...]], shared: frozenset[str], start: int) -> None:
        for index in range(start, len(keys)):
            cls = keys[index]
            joint = shared & frozenset(cls)
            if joint == shared:
                # ``cls`` excludes no minor the chosen classes share: in a minimal family each
                # member excludes a minor all the others allow, which ``cls`` never will
                # beside these (without this, the search is exponential in the classes:
                # 30 s on 276 apps).
                continue
            if not joint:
                if all(
                    frozenset(cls).intersection(*(c for j, c in enumerate(chosen) if j != drop))
                    for drop in range(len(chosen))
                ):
                    families.append((*chosen, cls))
                continue
            extend([*chosen, cls], joint, index + 1)

    for index, cls in enumerate(keys):
        extend([cls], frozenset(cls), index + 1)
    out: list[Conflict] = []
    for family in families:
        # One conflict per family: every app of a class allows the same minors, so any
        # choice of one app per class is a minimal set.
        by_rep = sorted(
            ((classes[c][0], [a.name for a in classes[c]], " ".join(c)) for c in family),
            key=lambda item: item[0].name,
        )
        out.append(
            _python_conflict(
                [rep for rep, _, _ in by_rep],
                None,
                nway=len(family) > 2,
                sides=[names for _, names, _ in by_rep],
                identities=[ident for _, _, ident in by_rep],
            )
        )
    return out


# --------------------------------------------------------------------------- the search


class ConflictSets(Sequence[Conflict]):
    """The conflicts of one search, sorted as :func:`find_conflicts` sorts them, made when
    first read: the pairs of sides whose terms clash are held as pairs of terms
    (:class:`_Clashes`) until then (N apps on N pins of one package are N(N-1)/2 of them).
    :meth:`packages` gathers them per package without making them: the JSON report and the
    partition read that."""

    def __init__(
        self,
        eng: _Engine,
        head: Sequence[Conflict],
        clashes: Sequence[_Clashes],
        tail: Sequence[Conflict],
    ) -> None:
        self._eng = eng
        self._head = tuple(head)
        self._clashes = tuple(clashes)
        self._tail = tuple(tail)
        self._made: tuple[Conflict, ...] | None = None
        self._packages: tuple[PackageConflict, ...] | None = None

    def _all(self) -> tuple[Conflict, ...]:
        if self._made is None:
            raw = list(self._head)
            for clash in self._clashes:
                raw.extend(clash.conflicts(self._eng))
            raw.extend(self._tail)
            self._made = tuple(_sorted_unique(raw))
        return self._made

    def of_package(self, python: bool, key: str, *, pairs: bool = True) -> list[Conflict]:
        """The conflicts on one package (canonical ``key``; with ``python``, the
        interpreter's), sorted; without the pairs unless ``pairs``. Only these are made."""

        def ours(c: Conflict) -> bool:
            return on_package(c, python, key)

        raw = [c for c in self._head if ours(c)]
        if pairs and not python:
            for clash in self._clashes:
                if clash.key == key:
                    raw.extend(clash.conflicts(self._eng))
        raw.extend(c for c in self._tail if ours(c))
        return (
            _sorted_unique(raw) if pairs else [c for c in _sorted_unique(raw) if len(c.apps) != 2]
        )

    def of_one_app(self) -> tuple[Conflict, ...]:
        """The conflicts of one app (all made at once: never a pair)."""
        return tuple(c for c in self._head if len(c.apps) == 1)

    def __len__(self) -> int:
        if self._made is not None:
            return len(self._made)
        pairs = sum(clash.count(self._eng) for clash in self._clashes)
        return len(self._head) + pairs + len(self._tail)

    def __bool__(self) -> bool:
        if self._head or self._tail:
            return True
        return any(True for clash in self._clashes for _ in clash.side_pairs(self._eng))

    @overload
    def __getitem__(self, index: int) -> Conflict: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Conflict, ...]: ...
    def __getitem__(self, index: int | slice) -> Conflict | tuple[Conflict, ...]:
        return self._all()[index]

    def __iter__(self) -> Iterator[Conflict]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return f"<ConflictSets: {len(self)} conflicts>"

    def packages(self) -> tuple[PackageConflict, ...]:
        """The conflicts per kind and package, as :func:`~depsplit.package_conflicts.by_package`
        gives them, from the pairs of terms directly."""
        if self._packages is None:
            gatherings = Gatherings()
            for conflict in (*self._head, *self._tail):
                gatherings.add_conflict(conflict)
            for clash in self._clashes:
                self._gather_pairs(gatherings, clash)
            self._packages = tuple(gatherings.build())
        return self._packages

    def _gather_clique(
        self, gatherings: Gatherings, clash: _Clashes, clique: list[tuple[str, ...]]
    ) -> None:
        """The pairs of ``clash``'s clique of pins, whose sides are ``clique``, as one list:
        each pair as :meth:`_gather_pairs` would take it."""
        eng, key, python = self._eng, clash.key, clash.python
        ordered = sorted(clique, key=lambda side: side[0])
        cards = [eng.side_card(side[0], python, key, True) for side in ordered]
        sides = [
            (side, identity, member.listed, member.reqs[0].name)
            for side, (member, identity) in zip(ordered, cards, strict=True)
        ]
        # Pins have no URL: a version conflict.
        gatherings.of("version", sides[0][3]).add_clique(
            sides, functools.partial(_clique_pair, eng, python, key, ordered)
        )

    def _gather_pairs(self, gatherings: Gatherings, clash: _Clashes) -> None:
        """The pair conflicts of ``clash`` into ``gatherings``, each as the conflict made of
        it would be (same sides, identities, lines, order, kind and spelling). Pairs of
        version conflicts (all but those over URLs) are set as bits between side numbers
        (:attr:`Gathering.partners`), each side's first pair and the package's kept as
        they come: a package's sides are few, its pairs up to their square."""
        eng, key, python = self._eng, clash.key, clash.python
        clique = clash.clique_sides(eng) if clash.clique else None
        if clique is not None:
            self._gather_clique(gatherings, clash, clique)
        version = _VersionPairs(eng, gatherings, key, python)
        add = version.add
        for a, b, by_app in clash.side_pairs(eng, clique=clique is None):
            add(a, b, by_app)
        version.finish()


_FirstPair = tuple[tuple[str, str], "_Card", tuple[str, ...], tuple[str, ...], bool]
"""A clash's first version pair: its first apps, its first side's card, and what
:func:`_make_pair` makes it of."""


class _VersionPairs:
    """The pairs of sides of one clash (:meth:`_Clashes.side_pairs`, in its order) on their
    way into the package's gatherings: a version pair is two bits, each side's first
    pair (by :data:`SortKey`, ties to the first seen) and the package's first pair are
    offered once at :meth:`finish`; a pair over URLs goes in as a set of its own."""

    def __init__(self, eng: _Engine, gatherings: Gatherings, key: str, python: str) -> None:
        self.eng, self.gatherings, self.key, self.python = eng, gatherings, key, python
        self.gathering: Gathering | None = None
        self.best: dict[int, tuple[tuple[str, str], _Card]] = {}
        self.first: _FirstPair | None = None
        self.spelled: set[str] = set()

    def add(self, a_card: _Card, b_card: _Card, by_app: bool) -> None:
        """The pair of sides ``a_card`` and ``b_card`` (with ``by_app``, of one-app sides
        compared app by app), made as :func:`_make_pair` makes it."""
        a, b = a_card.apps, b_card.apps
        x, y = (b_card, a_card) if b_card.rep < a_card.rep else (a_card, b_card)
        if x.urls or y.urls:
            _gather_pair(self.eng, self.gatherings, self.key, self.python, (a, b, by_app), (x, y))
            return
        gathering = self.gathering
        if gathering is None:
            gathering = self.gathering = self.gatherings.of("version", x.member.reqs[0].name)
        if x.number < 0:
            x.number = gathering.side((x.apps, x.identity))
        if y.number < 0:
            y.number = gathering.side((y.apps, y.identity))
        partners = gathering.partners
        partners[x.number] |= 1 << y.number
        partners[y.number] |= 1 << x.number
        order = (x.rep, y.rep)
        best = self.best
        held = best.get(x.number)
        if held is None or order < held[0]:
            best[x.number] = (order, x)
        held = best.get(y.number)
        if held is None or order < held[0]:
            best[y.number] = (order, y)
        # A pair is spelled as its first side's lines spell the package.
        self.spelled.add(x.member.reqs[0].name)
        if self.first is None or order < self.first[0]:
            self.first = (order, x, a, b, by_app)

    def finish(self) -> None:
        """Offer what the pairs gave to the gathering."""
        gathering = self.gathering
        if gathering is None or self.first is None:
            return
        canonical, eng, python, key = gathering.key, self.eng, self.python, self.key
        for number, (apps, card) in self.best.items():
            gathering.offer(number, (True, canonical, 2, apps, "version"), card.member.listed)
        apps, x, a, b, by_app = self.first
        gathering.offer_first(
            (True, canonical, 2, apps, "version"),
            x.member.reqs[0].name,
            functools.partial(_make_pair, eng, python, key, a, b, by_app),
        )
        gathering.spellings.update(self.spelled)


def _gather_pair(
    eng: _Engine,
    gatherings: Gatherings,
    key: str,
    python: str,
    pair: tuple[tuple[str, ...], tuple[str, ...], bool],
    cards: tuple[_Card, _Card],
) -> None:
    """One pair of sides (``cards``: ``x``'s first app first) as a set of its gathering,
    its kind from the terms (a pair over URLs)."""
    x, y = cards
    ma, mb = x.member, y.member
    kind = _kind([ma.term, mb.term])
    package = ma.reqs[0].name
    gatherings.of(kind, package).add(
        (True, gatherings.canonical_name(package), 2, (x.rep, y.rep), kind),
        package,
        (x.apps, y.apps),
        (x.identity, y.identity),
        functools.partial(_listed, (ma, mb)),
        functools.partial(_make_pair, eng, python, key, *pair),
    )


def _clique_pair(
    eng: _Engine, python: str, key: str, sides: Sequence[tuple[str, ...]], i: int, j: int
) -> Conflict:
    return _make_pair(eng, python, key, sides[i], sides[j], False)


def _listed(members: Sequence[_Member], index: int) -> tuple[ConflictRequirement, ...]:
    return members[index].listed


def _make_pair(
    eng: _Engine,
    python: str,
    key: str,
    a: tuple[str, ...],
    b: tuple[str, ...],
    by_app: bool,
) -> Conflict:
    """The conflict of a pair of :meth:`_Clashes.side_pairs`: between two sides, or (``by_app``)
    between the apps of two one-app sides."""
    if by_app:
        return eng.conflict([a[0], b[0]], python, key, nway=False)
    return eng.side_conflict([a, b], python, key, nway=False)


@dataclass(frozen=True)
class ConflictAnalysis:
    """Everything :func:`analyze_conflicts` found."""

    conflicts: Sequence[Conflict]
    """A :class:`ConflictSets`."""
    diagnostics: tuple[Diagnostic, ...]
    """Warnings: pre-release-only meets, URLs that name no version, a stopped search."""
    complete: bool
    """False when the N-way search stopped at its time limit (see the module docstring)."""


class _Engine:
    """Per-call caches: effective requirements per (app, python) and terms per package."""

    def __init__(
        self, apps: Sequence[App], target: Target, shared: EffectiveCache | None = None
    ) -> None:
        self.target = target
        self.apps = sorted(apps, key=lambda a: a.name)
        self.by_name = {a.name: a for a in self.apps}
        self.allowed = {a.name: _allowed(a, target) for a in self.apps}
        self.candidates = (target.python,) if target.python else tuple(tgt.SUPPORTED_PYTHONS)
        self.algebra = _Algebra()
        self.cache = shared if shared is not None else EffectiveCache()
        self.specs = self.cache.specs
        self._common: dict[tuple[tuple[str, ...], ...], str | None] = {}
        self._members: dict[tuple[str, str, str], _Member] = {}
        self._sides: dict[tuple[str, str, str, bool], tuple[_Member, str]] = {}
        self._pair_common: dict[tuple[tuple[str, ...], tuple[str, ...]], str | None] = {}

    def effective(self, app: str, python: str) -> dict[str, list[Requirement]]:
        """The app's :func:`effective` requirements at ``python`` (from the run's cache)."""
        return self.cache.requirements(self.by_name[app], self.target, python)

    def algebra_of(self, app: str, python: str) -> dict[str, _TermData]:
        """Per package key of the app's effective requirements at ``python``, their algebra
        (from the run's cache)."""
        return self.cache.algebra(self.by_name[app], self.target, python)

    def term(self, app: str, python: str, key: str) -> _Term | None:
        data = self.algebra_of(app, python).get(key)
        return None if data is None else self.algebra.term(data)

    def common_all(self) -> str | None:
        """:func:`common_python` of all the engine's apps."""
        if not self.apps:
            return common_python(self.apps, self.target)
        return _common([self.allowed[a.name] for a in self.apps])

    def common(self, apps: Sequence[str]) -> str | None:
        classes = tuple(sorted({self.allowed[a] for a in apps}))
        if classes not in self._common:
            self._common[classes] = _common(classes)
        return self._common[classes]

    def member(self, app: str, python: str, key: str) -> _Member:
        found = self._members.get((app, python, key))
        if found is None:
            reqs = self.effective(app, python)[key]
            found = _member(app, reqs, self.algebra.term(self.algebra_of(app, python)[key]))
            self._members[(app, python, key)] = found
        return found

    def conflict(self, apps: Sequence[str], python: str, key: str, *, nway: bool) -> Conflict:
        members = [self.member(a, python, key) for a in sorted(apps)]
        return _package_conflict(key, members, nway=nway)

    def allowed_identity(self, allowed: tuple[str, ...]) -> str:
        """The Python part of a side's identity: empty when the side allows every candidate
        minor (the common case: ids then survive depsplit supporting a new minor)."""
        return "" if allowed == self.candidates else " ".join(allowed)

    def side_conflict(
        self,
        sides: Sequence[Sequence[str]],
        python: str,
        key: str,
        *,
        nway: bool,
        by_allowed: bool = True,
    ) -> Conflict:
        """One conflict for every choice of one app per side (each side sorted, the apps of
        a side holding one term at ``python`` and, with ``by_allowed``, one allowed set)."""
        ordered = sorted(sides, key=lambda side: side[0])
        cards = [self.side_card(side[0], python, key, by_allowed) for side in ordered]
        return _package_conflict(
            key,
            [member for member, _ in cards],
            nway=nway,
            sides=ordered,
            identities=[identity for _, identity in cards],
        )

    def side_card(self, app: str, python: str, key: str, by_allowed: bool) -> tuple[_Member, str]:
        """The member and the identity (:func:`_term_identity`) of a side whose first app
        is ``app``: the same side is in a conflict with every side it clashes with."""
        at = (app, python, key, by_allowed)
        found = self._sides.get(at)
        if found is None:
            member = self.member(app, python, key)
            allowed = self.allowed_identity(self.allowed[app]) if by_allowed else ""
            found = self._sides[at] = (member, _term_identity(member.term, allowed))
        return found

    def common_pair(self, a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
        """:meth:`common` of two apps, from the minors each allows."""
        if (a, b) not in self._pair_common:
            self._pair_common[(a, b)] = _common(sorted({a, b}))
        return self._pair_common[(a, b)]

    def profile(self, app: str, key: str) -> tuple[int, ...]:
        """The app's term on ``key`` at every minor it allows (uids; -1 for none)."""
        out = []
        for python in self.allowed[app]:
            term = self.term(app, python, key)
            out.append(-1 if term is None else term.uid)
        return tuple(out)

    def subsets_meet(self, apps: Sequence[str], key: str) -> bool:
        """Whether every proper subset (of 2+ apps) meets at its own common Python. Needed
        only when members allow different minors: then a subset may be judged at a newer
        minor than the whole set, where other markers hold."""
        for size in range(2, len(apps)):
            for subset in itertools.combinations(apps, size):
                python = self.common(subset)
                if python is None:
                    return False
                terms = [self.term(a, python, key) for a in subset]
                if not _meets([t for t in terms if t is not None]):
                    return False
        return True


def _warn(message: str, origin: Origin | None = None) -> Diagnostic:
    if origin is None:
        return Diagnostic("warning", message)
    return Diagnostic("warning", message, origin.file, origin.line)


def analyze_conflicts(
    apps: Sequence[App],
    target: Target,
    *,
    time_limit: float = 10.0,
    max_nway: int = MAX_NWAY_SIZE,
    effective_cache: EffectiveCache | None = None,
) -> ConflictAnalysis:
    """Every minimal conflicting set among ``apps`` (see the module docstring), with
    warnings. Pairs are always found in full; ``time_limit`` bounds only the N-way search."""
    eng = _Engine(apps, target, effective_cache)
    # 1. The interpreter.
    conflicts, active = _interpreter_conflicts(eng, target)
    # 2. Apps whose own requirements on a package clash, at their own interpreter.
    alone, alone_bad = _alone_conflicts(eng, active)
    conflicts.extend(alone)
    # 3. Pairs, each at its common interpreter.
    classes = sorted({eng.allowed[a] for a in active})
    # The terms per package at one interpreter, for the pairs and again for the N-way
    # search: the second walk over every app would intern nothing new, so it is kept.
    by_python: dict[str, dict[str, dict[_Term, list[str]]]] = {}
    clashes, notes = _pairwise_conflicts(eng, active, classes, alone_bad, by_python)
    # 4. N-way sets, at every interpreter that is some set's common one. Only this search
    # is bounded (pairs are always complete), so its clock starts here.
    deadline = time.monotonic() + time_limit
    nway, capped, complete = _nway_conflicts(
        eng, active, classes, alone_bad, by_python, deadline=deadline, max_size=max_nway
    )
    notes.extend(_nway_notes(capped, complete, time_limit))
    return ConflictAnalysis(
        conflicts=ConflictSets(eng, conflicts, clashes, nway),
        diagnostics=tuple(sorted(set(notes), key=Diagnostic.sort_key)),
        complete=complete and not capped,
    )


def _interpreter_conflicts(eng: _Engine, target: Target) -> tuple[list[Conflict], list[str]]:
    """The python conflicts (an app that allows no candidate minor of ``target``; with no
    fixed python, the minimal sets of apps that share no minor), and the names of the
    apps that allow some minor (the ones the later steps consider), in app order."""
    fixed = target.python
    conflicts = [_python_conflict([a], fixed) for a in eng.apps if not eng.allowed[a.name]]
    active = [a.name for a in eng.apps if eng.allowed[a.name]]
    if not fixed:
        conflicts.extend(_python_family_conflicts([eng.by_name[a] for a in active], eng.allowed))
    return conflicts, active


def _alone_conflicts(
    eng: _Engine, active: Sequence[str]
) -> tuple[list[Conflict], dict[str, set[str]]]:
    """The conflicts of an app of ``active`` with itself on a package, at the newest
    minor it allows, and those packages per app (app -> package keys), to be left out of
    the later steps. This step interns every term first, in this order: it numbers them
    (see :class:`_Term`)."""
    conflicts: list[Conflict] = []
    alone_bad: dict[str, set[str]] = {}  # app -> the packages it clashes on alone
    intern, by_data = eng.algebra.term, eng.algebra.by_data
    for name in active:
        python = eng.allowed[name][-1]
        for key, data in eng.algebra_of(name, python).items():
            # Every term is interned here, in this order: it numbers them (see _Term).
            if not (by_data.get(data) or intern(data)).alone_ok:
                alone_bad.setdefault(name, set()).add(key)
                conflicts.append(eng.conflict([name], python, key, nway=False))
    return conflicts, alone_bad


def _pairwise_conflicts(
    eng: _Engine,
    active: Sequence[str],
    classes: Sequence[tuple[str, ...]],
    alone_bad: dict[str, set[str]],
    by_python: dict[str, dict[str, dict[_Term, list[str]]]],
) -> tuple[list[_Clashes], list[Diagnostic]]:
    """Every conflicting pair of ``active`` apps, each at its common interpreter (from
    their minor sets ``classes``), as the incompatible pairs of terms per package and
    interpreter (:class:`_Clashes`), and the warnings on pairs that meet only by a shortcut
    or over an unknown URL. Apps are merged by
    identical term per package, distinct terms are checked pairwise, and the verdict
    expands to app pairs. The terms per package at each interpreter visited are stored
    in ``by_python`` (``alone_bad`` packages left out)."""
    pair_pythons = sorted(
        {
            p
            for c1, c2 in itertools.combinations_with_replacement(classes, 2)
            if (p := _common([c1, c2])) is not None
        },
        key=tgt.minor_key,
    )
    clashes: list[_Clashes] = []
    notes = _Notes()
    for python in pair_pythons:
        by_python[python] = _terms_by_key(eng, active, python, alone_bad)
        for key, groups in by_python[python].items():
            distinct = sorted(groups, key=lambda t: t.uid)
            found = _Clashes(python, key, groups)
            # Terms pinning different releases never meet: N of them are one clique of
            # clashes, not N(N-1)/2 verdicts (1,500 pins of one package: 1.1 million).
            pins = [t for t in distinct if t.pin is not None and t.alone_ok]
            if len(pins) >= MIN_PIN_CLIQUE:
                found.clique = pins
            in_clique = {t.uid for t in found.clique}
            for ti, tj in _pairs_to_judge(distinct, in_clique):
                if eng.algebra.compatible(ti, tj):
                    if ti is not tj:
                        notes.once(
                            key,
                            (ti, tj),
                            functools.partial(_prerelease_note, eng, key, python, ti, tj, groups),
                        )
                    continue
                found.pairs.append((ti, tj))
            if found.pairs or found.clique:
                clashes.append(found)
            for term in distinct:
                if term.unknown_urls and any(t.sset for t in distinct if t is not term):
                    notes.once(
                        key,
                        (term,),
                        functools.partial(_unknown_url_note, eng, key, python, term, groups),
                    )
    return clashes, notes.diagnostics


def _pairs_to_judge(
    distinct: Sequence[_Term], in_clique: set[int]
) -> Iterator[tuple[_Term, _Term]]:
    """Every pair ``(ti, tj)`` of ``distinct`` (``ti`` first, itself included) but those of
    two different terms of the clique ``in_clique`` (uids), which clash without being
    judged: linear in the clique (10,000 pins of one package: not 50 million pairs)."""
    others = [i for i, t in enumerate(distinct) if t.uid not in in_clique]
    for i, ti in enumerate(distinct):
        if ti.uid in in_clique:
            yield ti, ti
            for j in others[bisect.bisect_right(others, i) :]:
                yield ti, distinct[j]
        else:
            for tj in distinct[i:]:
                yield ti, tj


class _Card:
    """One side of a clash's pairs: its apps, identity (``None``: compared app by app),
    member (its first app's), first app and allowed minors, and its number in the
    package's version gathering once it has a version pair."""

    __slots__ = ("allowed", "apps", "identity", "member", "number", "rep", "urls")

    def __init__(
        self, apps: tuple[str, ...], identity: str | None, member: _Member, allowed: int
    ) -> None:
        self.apps = apps
        self.identity = identity
        self.member = member
        self.rep = apps[0]
        self.urls = bool(member.term.urls)
        self.allowed = allowed
        """The side's allowed minors, numbered (equal sets, equal numbers, per clash)."""
        self.number = -1


class _Clashes:
    """The incompatible pairs of terms on one package at one interpreter, and the apps
    holding each term: the pair conflicts they stand for are made only when asked for
    (:class:`ConflictSets`)."""

    __slots__ = ("clique", "groups", "key", "pairs", "python", "split")

    def __init__(self, python: str, key: str, groups: dict[_Term, list[str]]) -> None:
        self.python = python
        self.key = key
        self.groups = groups
        self.pairs: list[tuple[_Term, _Term]] = []
        self.clique: list[_Term] = []
        """Terms that pin different releases, by uid: every two of them clash (their
        pairs are not in ``pairs``)."""
        self.split: dict[_Term, list[tuple[str, ...]]] = {}
        """Each term's sides, once (:meth:`side_pairs`)."""

    def term_pairs(self) -> Iterator[tuple[_Term, _Term]]:
        yield from self.pairs
        yield from itertools.combinations(self.clique, 2)

    def side_pairs(
        self, eng: _Engine, *, clique: bool = True
    ) -> Iterator[tuple[_Card, _Card, bool]]:
        """Every pair of clashing sides (with ``clique`` False, those of ``pairs`` only): the
        pairs of sides (same term, same allowed minors) of the apps of each incompatible
        pair of terms ``ti``, ``tj`` whose common interpreter is this one, each with whether
        its sides are one-app sides compared app by app: apps of one term whose own term
        cannot be met here (``ti is tj``) clash pairwise within a side."""
        key, python = self.key, self.python
        cards: dict[_Term, list[_Card]] = {}
        by_app: dict[str, _Card] = {}
        classes: dict[tuple[str, ...], int] = {}
        meet: dict[tuple[int, int], bool] = {}

        def sides(term: _Term) -> list[_Card]:
            found = cards.get(term)
            if found is None:
                if term not in self.split:
                    self.split[term] = _split_sides(eng, self.groups[term], key)
                found = cards[term] = []
                for side in self.split[term]:
                    member, identity = eng.side_card(side[0], python, key, True)
                    found.append(_Card(side, identity, member, allowed(side[0])))
            return found

        def allowed(app: str) -> int:
            return classes.setdefault(eng.allowed[app], len(classes))

        def app_card(app: str) -> _Card:
            found = by_app.get(app)
            if found is None:
                member = eng.member(app, python, key)
                found = by_app[app] = _Card((app,), None, member, allowed(app))
            return found

        for ti, tj in self.term_pairs() if clique else self.pairs:
            sides_i, sides_j = sides(ti), sides(tj)
            for i, ca in enumerate(sides_i):
                for j, cb in enumerate(sides_j):
                    if ti is tj and j < i:
                        continue
                    # The apps of a side allow the same minors: the pair's common
                    # interpreter is that of their first apps.
                    pair = (ca.allowed, cb.allowed)
                    good = meet.get(pair)
                    if good is None:
                        allow_a, allow_b = eng.allowed[ca.rep], eng.allowed[cb.rep]
                        good = meet[pair] = eng.common_pair(allow_a, allow_b) == python
                    if not good:
                        continue
                    if ca is cb:
                        for a, b in itertools.combinations(ca.apps, 2):
                            yield app_card(a), app_card(b), True
                    else:
                        yield ca, cb, False

    def count(self, eng: _Engine) -> int:
        """How many pair conflicts this stands for."""
        clique = self.clique_sides(eng) if self.clique else None
        pairs = sum(1 for _ in self.side_pairs(eng, clique=clique is None))
        return pairs + (len(clique) * (len(clique) - 1) // 2 if clique is not None else 0)

    def clique_sides(self, eng: _Engine) -> list[tuple[str, ...]] | None:
        """The sides of ``clique``'s terms when every two of them are a pair of clashing
        sides at this interpreter (each term one side, all allowing the same minors), so
        that the clique of terms is one of sides; else ``None``."""
        sides = []
        for term in self.clique:
            if term not in self.split:
                self.split[term] = _split_sides(eng, self.groups[term], self.key)
            if len(self.split[term]) != 1:
                return None
            sides.append(self.split[term][0])
        allowed = {eng.allowed[side[0]] for side in sides}
        if len(allowed) != 1:
            return None
        (shared,) = allowed
        return sides if eng.common_pair(shared, shared) == self.python else None

    def conflicts(self, eng: _Engine) -> Iterator[Conflict]:
        """The pair conflicts this stands for (:func:`_make_pair`)."""
        for a, b, by_app in self.side_pairs(eng):
            yield _make_pair(eng, self.python, self.key, a.apps, b.apps, by_app)


def _nway_conflicts(
    eng: _Engine,
    active: Sequence[str],
    classes: Sequence[tuple[str, ...]],
    alone_bad: dict[str, set[str]],
    by_python: dict[str, dict[str, dict[_Term, list[str]]]],
    *,
    deadline: float,
    max_size: int,
) -> tuple[list[Conflict], list[str], bool]:
    """The minimal conflicting sets of three to ``max_size`` ``active`` apps, each at its
    common interpreter (from their minor sets ``classes``); the packages whose expansion
    to app sets stopped at :data:`MAX_NWAY_EXPANSION` (once per cut set); and whether
    the search finished before ``deadline`` (a :func:`time.monotonic` time).
    ``by_python`` caches the terms per package and interpreter (filled here when
    missing, ``alone_bad`` packages left out)."""
    conflicts: list[Conflict] = []
    capped: list[str] = []
    complete = True
    for python in _nway_pythons(classes):
        if python not in by_python:
            by_python[python] = _terms_by_key(eng, active, python, alone_bad)
        for key, groups in by_python[python].items():
            if time.monotonic() > deadline:
                complete = False
                break
            distinct = sorted(groups, key=lambda t: t.uid)
            sets, done = _nway_sets(distinct, eng.algebra, max_size=max_size, deadline=deadline)
            complete = complete and done
            for term_set in sets:
                listed, whole = _expand_nway_set(
                    eng, key, python, term_set, groups, profile=len(classes) > 1
                )
                conflicts.extend(listed)
                if not whole:
                    capped.append(key)
    return conflicts, capped, complete


def _expand_nway_set(
    eng: _Engine,
    key: str,
    python: str,
    term_set: Sequence[_Term],
    groups: dict[_Term, list[str]],
    *,
    profile: bool,
) -> tuple[list[Conflict], bool]:
    """The conflicts of the app sets that hold the impossible ``term_set`` on ``key``
    (``groups``: the apps holding each term) and whose common interpreter is ``python``,
    one app side per term (with ``profile``, when apps allow different minors: sides
    split by the terms they hold at each minor, and every proper subset must meet at its
    own); at most :data:`MAX_NWAY_EXPANSION` of them. And False when more were left
    out."""
    conflicts: list[Conflict] = []
    # Sides: the apps of one term that also allow the same minors and hold the same
    # terms at each of them (subsets are judged at their own minor).
    split = [_split_sides(eng, groups[t], key, profile=profile) for t in term_set]
    listed = 0
    for combo in itertools.product(*split):
        if listed >= MAX_NWAY_EXPANSION:
            return conflicts, False
        reps = sorted(side[0] for side in combo)
        if eng.common(reps) != python:
            continue
        if profile and not eng.subsets_meet(reps, key):
            continue
        conflicts.append(eng.side_conflict(combo, python, key, nway=True))
        listed += 1
    return conflicts, True


def _nway_notes(capped: Sequence[str], complete: bool, time_limit: float) -> list[Diagnostic]:
    """The warnings of the N-way search: one per package in ``capped`` (sorted, once
    each) whose app sets were cut at :data:`MAX_NWAY_EXPANSION`, and one when the search
    stopped at ``time_limit`` seconds (not ``complete``)."""
    notes = [
        _warn(
            f"{key}: more than {MAX_NWAY_EXPANSION} sets of apps share one impossible "
            "combination of specifiers; only the first are listed"
        )
        for key in sorted(set(capped))
    ]
    if not complete:
        notes.append(
            _warn(
                f"the search for conflicts of three or more apps stopped after {time_limit:g}s; "
                "some may be missing from the list (every group is still checked as a whole)"
            )
        )
    return notes


def find_conflicts(
    apps: Sequence[App],
    target: Target,
    *,
    time_limit: float = 10.0,
    effective_cache: EffectiveCache | None = None,
) -> list[Conflict]:
    """Every minimal conflicting set among ``apps``, sorted (python conflicts first, then by
    package, size and apps). See :func:`analyze_conflicts` for the warnings."""
    analysis = analyze_conflicts(
        apps, target, time_limit=time_limit, effective_cache=effective_cache
    )
    return list(analysis.conflicts)


def _sorted_unique(conflicts: Sequence[Conflict]) -> list[Conflict]:
    unique = {c.id: c for c in conflicts}
    # Thousands of conflicts name a few hundred packages: their names canonical once.
    return sorted(unique.values(), key=functools.partial(sort_key, canonical={}))


def _terms_by_key(
    eng: _Engine,
    apps: Sequence[str],
    python: str,
    skip: dict[str, set[str]] | None = None,
    *,
    every: bool = False,
) -> dict[str, dict[_Term, list[str]]]:
    """Per package, the distinct terms at ``python`` and the apps holding each, for
    ``apps`` (sorted by name) that allow ``python`` (with ``every``: all of them);
    ``skip``: app -> packages left out.

    The apps are first gathered per package and :class:`_TermData` (the data of one run
    are shared, so most lookups find one), then per term. Each term is still interned at
    the first app and package that ask for it, so terms are numbered as if interned at
    every step. Two data of one package may be one term (``>=1`` and ``>=1.0``): their
    apps are merged back into name order, the order of ``apps``."""
    by_key: dict[str, dict[_TermData, list[str]]] = {}
    intern, by_data = eng.algebra.term, eng.algebra.by_data
    allowed = eng.allowed
    for app in apps:
        if not every and python not in allowed[app]:
            continue
        skipped = skip.get(app) if skip else None
        for key, data in eng.algebra_of(app, python).items():
            if skipped is not None and key in skipped:
                continue
            # Inlined (once per app and package): by_key[key][data].append(app).
            groups = by_key.get(key)
            if groups is None:
                by_key[key] = {data: [app]}
            else:
                holders = groups.get(data)
                if holders is not None:
                    holders.append(app)
                    continue
                groups[data] = [app]
            if data not in by_data:
                intern(data)
    out: dict[str, dict[_Term, list[str]]] = {}
    for key in sorted(by_key):
        terms: dict[_Term, list[str]] = {}
        for data, holders in by_key[key].items():
            term = by_data[data]
            found = terms.get(term)
            if found is None:
                terms[term] = holders
            else:
                terms[term] = sorted(found + holders)
        out[key] = terms
    return out


def _split_sides(
    eng: _Engine, apps: Sequence[str], key: str, *, profile: bool = False
) -> list[tuple[str, ...]]:
    """``apps`` (sorted, one term) split by allowed minors (and, with ``profile``, by their
    terms at each of them), in order of first app."""
    out: dict[object, list[str]] = {}
    for app in apps:
        k: object = (eng.allowed[app], eng.profile(app, key)) if profile else eng.allowed[app]
        out.setdefault(k, []).append(app)
    # Tuples: each conflict lists its sides as tuples, and tuple() of a tuple is no copy.
    return [tuple(side) for side in out.values()]


def _nway_pythons(classes: Sequence[tuple[str, ...]]) -> list[str]:
    """Minors that are the common interpreter of some set of apps: ``p`` is one exactly
    when the apps allowing ``p`` share no newer minor."""
    out = []
    for python in sorted({p for c in classes for p in c}, key=tgt.minor_key):
        holders = [c for c in classes if python in c]
        if _common(holders) == python:
            out.append(python)
    return out


class _Notes:
    """The search's warnings, each said once per package and terms, however many
    interpreters meet them."""

    def __init__(self) -> None:
        self.said: set[tuple[str, tuple[int, ...]]] = set()
        self.diagnostics: list[Diagnostic] = []

    def once(self, key: str, terms: Sequence[_Term], make: Callable[[], Diagnostic | None]) -> None:
        """The warning ``make`` gives on package ``key`` and ``terms``, unless said already;
        ``make`` answers ``None`` when there is nothing to say (then it may be asked
        again)."""
        marker = (key, tuple(t.uid for t in terms))
        if marker in self.said:
            return
        found = make()
        if found is not None:
            self.said.add(marker)
            self.diagnostics.append(found)


def _prerelease_note(
    eng: _Engine, key: str, python: str, ti: _Term, tj: _Term, groups: dict[_Term, list[str]]
) -> Diagnostic | None:
    """Two compatible terms met only by pre-releases: a warning (else ``None``)."""
    if not eng.specs.prerelease_only([ti, tj]):
        return None
    a, b = groups[ti][0], groups[tj][0]
    ra, rb = eng.effective(a, python)[key], eng.effective(b, python)[key]
    more = len(groups[ti]) + len(groups[tj]) - 2
    others = f" (and {more} more apps with the same specifiers)" if more else ""
    return _warn(
        f"{ra[0].name}: only pre-releases satisfy both {_app_spec(ra)} ({a}) and "
        f"{_app_spec(rb)} ({b}){others}; pip installs a pre-release if they share "
        "a container",
        ra[0].origin,
    )


def _unknown_url_note(
    eng: _Engine, key: str, python: str, term: _Term, groups: dict[_Term, list[str]]
) -> Diagnostic:
    """A URL that names no version, which version specifiers cannot be checked against."""
    app = groups[term][0]
    reqs = [r for r in eng.effective(app, python)[key] if r.url]
    return _warn(
        f"{reqs[0].name}: {app}'s URL {reqs[0].url} names no version, so it cannot be "
        "checked against other apps' version specifiers",
        reqs[0].origin,
    )


# --------------------------------------------------------------------------- one group


def check_group(
    apps: Sequence[App],
    target: Target,
    python: str | None = None,
    *,
    effective_cache: EffectiveCache | None = None,
) -> list[Conflict]:
    """The conflicts inside one group checked as a whole at one interpreter (default:
    :func:`common_python`); an empty list means the group can share one container.

    With no common interpreter the result is the group's python conflicts. Otherwise, per
    package whose requirements do not meet: the apps that clash alone, the clashing pairs,
    then the N-way sets (searched for :data:`GROUP_NWAY_SECONDS`); if those find nothing, a
    deletion filter yields one minimal set, so a group that cannot work never passes. All
    subsets are judged at the group's interpreter.
    """
    eng = _Engine(apps, target, effective_cache)
    if python is None:
        python = eng.common_all()
        if python is None:
            out = [
                _python_conflict([a], target.python) for a in eng.apps if not eng.allowed[a.name]
            ]
            if not target.python:
                out.extend(_python_family_conflicts(eng.apps, eng.allowed))
            return _sorted_unique(out)
    out = []
    names = []
    known = python in eng.candidates
    for app in eng.apps:
        # The engine already knows which candidate minors each app allows.
        if python in eng.allowed[app.name] if known else _allows(app, python):
            names.append(app.name)
        else:
            out.append(_python_conflict([app], python))
    deadline = time.monotonic() + GROUP_NWAY_SECONDS
    for key, groups in _terms_by_key_at(eng, names, python).items():
        distinct = sorted(groups, key=lambda t: t.uid)
        if _meets_cached(eng.algebra, distinct):
            continue
        found: list[Conflict] = []
        bad = [t for t in distinct if not t.alone_ok]
        found.extend(eng.conflict([a], python, key, nway=False) for t in bad for a in groups[t])
        fine = [t for t in distinct if t.alone_ok]
        # Every member is judged at ``python``: a side is simply the apps of one term.
        found.extend(
            eng.side_conflict([groups[ti], groups[tj]], python, key, nway=False, by_allowed=False)
            for i, ti in enumerate(fine)
            for tj in fine[i + 1 :]
            if not eng.algebra.compatible(ti, tj)
        )
        if not found:
            sets, _ = _nway_sets(fine, eng.algebra, max_size=len(fine), deadline=deadline)
            if not sets:
                sets = [_deletion_filter(fine)]
            found.extend(
                eng.side_conflict(
                    [groups[t] for t in term_set], python, key, nway=True, by_allowed=False
                )
                for term_set in sets
            )
        out.extend(found)
    return _sorted_unique(out)


def _allows(app: App, python: str) -> bool:
    return bool(tgt.allowed_pythons(app.python_specifier, (python,)))


def _meets_cached(algebra: _Algebra, distinct: Sequence[_Term]) -> bool:
    """:func:`_meets` of distinct terms, through the algebra's cache when there are only
    one or two (a package most members agree on): one term meets alone when it is
    satisfiable alone, two when they are compatible."""
    if len(distinct) == 1:
        return distinct[0].alone_ok
    if len(distinct) == 2:
        return algebra.compatible(distinct[0], distinct[1])
    return _meets(distinct)


def _terms_by_key_at(
    eng: _Engine, apps: Sequence[str], python: str
) -> dict[str, dict[_Term, list[str]]]:
    """Per package, the distinct terms at ``python`` and the apps (in order) holding each:
    every app of ``apps`` (sorted by name) is judged at ``python``."""
    return _terms_by_key(eng, apps, python, every=True)


def group_notes(apps: Sequence[App], target: Target, python: str | None = None) -> list[Diagnostic]:
    """Warnings for a group that can share a container: packages on which the members'
    specifiers meet only in pre-releases (pip then installs a pre-release)."""
    eng = _Engine(apps, target)
    python = python or common_python(eng.apps, target)
    if python is None:
        return []
    out = []
    for key, groups in _terms_by_key_at(eng, [a.name for a in eng.apps], python).items():
        distinct = sorted(groups, key=lambda t: t.uid)
        if len(distinct) > 1 and _meets(distinct) and eng.specs.prerelease_only(distinct):
            first = groups[distinct[0]][0]
            reqs = eng.effective(first, python)[key]
            specs = [
                f"{_app_spec(eng.effective(groups[t][0], python)[key])} ({groups[t][0]})"
                for t in distinct
            ]
            reason = _prerelease_reason(len(distinct))
            notes_text = f"{reqs[0].name}: {reason} {_and(specs)}; pip installs a pre-release"
            out.append(_warn(notes_text, reqs[0].origin))
    return out
