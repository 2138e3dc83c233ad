"""``depsplit suggest``: the fewest requirement edits that lower the number of groups.

How it works, and what is exact about it:

1. **The plan as it is.** The tree is analysed as ``analyze`` does (same options, index
   facts included): ``G`` groups, a lower bound and its witness (apps that conflict
   pairwise, one group each).
2. **Which apps to touch.** Editing an app only changes the conflicts *it* is part of, so a
   largest set of pairwise-conflicting apps that it does not belong to stays. To reach
   ``t`` groups, a set ``S`` of edited apps must therefore meet every clique of more than
   ``t`` apps in the conflict graph: those cliques (at most :data:`MAX_CLIQUES`, a sound
   filter even when cut short) prune the candidate sets. Candidate sets are tried by
   increasing size, at most ``max_apps`` apps, in a fixed order (the apps found in the most
   cliques first, then by name), and at most ``max_sets`` of them are evaluated: the
   search is exact up to ``max_apps`` apps unless it says it stopped at that bound.
3. **Evaluation** re-runs the same partition (:func:`depsplit.partition.solve`, the
   user's constraints included) with the conflicts of ``S`` left out: how many groups the
   other apps need when the apps of ``S`` can fit anywhere.
4. **Edits.** Each app of ``S`` joins the group of that solution where it needs the fewest
   edits: every requirement line of it that no version can share with the group's members
   is rewritten to what those members ask (``flask==1.1.1`` → ``flask>=3.0,<4``); an
   interpreter line the group's CPython does not satisfy is rewritten to allow it; a
   constraint the index facts derived (a pin whose wheels stop at an old CPython) is
   rewritten to a release that installs there. Lines that cannot be rewritten (a lock
   pin, a dependency of a pinned release, a URL) make that group unusable for the app.
5. **Verification** applies the rewritten lines to the files *in memory*
   (:attr:`~depsplit.analyze.Options.overlay`; nothing is written) and re-runs the whole
   analysis with the same options: the suggestion shows the groups it gives, and is kept
   only when they are fewer, no app became unsatisfiable and no error appeared.
6. **Installable.** With an index (the index facts, on by default), each rewritten
   package is looked up: the release pip installs for the merged requirement of the new
   group at its CPython and platform is named; none means the suggestion is dropped.
   Offline without the page cached, or with ``--no-index-facts``, it says "unverified".

Output is deterministic: every choice is ordered by counts and names, the search is
bounded by counts (never by the clock).
"""

from __future__ import annotations

import heapq
import itertools
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from depsplit import target as tgt
from depsplit.config import Config
from depsplit.conflicts import (
    EffectiveCache,
    check_group,
    common_python,
    effective,
    judge,
    sides,
)
from depsplit.model import App, Diagnostic, Plan, PythonRequirement, Requirement, Target
from depsplit.report.text import plural

if TYPE_CHECKING:
    from depsplit.analyze import Options
    from depsplit.index.finder import Finder

__all__ = [
    "MAX_APPS",
    "MAX_CLIQUES",
    "MAX_SETS",
    "Edit",
    "Release",
    "Suggestion",
    "Suggestions",
    "render_json",
    "render_text",
    "suggest",
]

MAX_APPS = 3
"""Default largest number of apps one suggestion edits (``--max-apps``)."""

MAX_SETS = 200
"""Default number of candidate sets of apps evaluated (``--max-sets``)."""

MAX_CLIQUES = 5000
"""Largest cliques of the conflict graph read to prune the candidate sets."""

LIMIT = 10
"""Default number of suggestions shown (``--limit``)."""

EVALUATION_SECONDS = 1.0
"""The partition's search time for one candidate set (it finishes in milliseconds unless
proving a count optimal is hard; a plan found by then is used as it is: an upper bound)."""

FIT_TRIES = 4
"""Groups an edited app is fitted into (those it conflicts with on the fewest packages)."""

VERIFY_FACTOR = 3
"""At most ``VERIFY_FACTOR × limit`` candidates are re-analysed."""


# --------------------------------------------------------------------------- the answer


@dataclass(frozen=True)
class Release:
    """What the index says of a rewritten package in its new group."""

    status: str
    """``installable`` (``version`` named), ``unverified`` (no index, or not cached)."""
    version: str | None = None
    python: str | None = None
    wheel: bool | None = None
    detail: str = ""

    def describe(self) -> str:
        if self.status == "installable":
            how = "wheel" if self.wheel else "built from its sdist"
            return f"{self.version} installs on CPython {self.python} ({how})"
        return f"release unverified: {self.detail}"


@dataclass(frozen=True)
class Edit:
    """One line to rewrite."""

    app: str
    """The app the edit is made for."""
    file: str
    line: int
    package: str
    """As written, or ``python`` for an interpreter line."""
    old: str
    """``flask==1.1.1``, or ``3.9`` for a ``.python-version``."""
    new: str
    old_text: str
    """The whole line before and after (without its line break)."""
    new_text: str
    costs: tuple[str, ...] = ()
    """``major upgrade 1 → 3``, ``downgrade 2.0 → 1.4``, ``Python 3.9 → 3.11``."""
    apps: tuple[str, ...] = ()
    """Every app that reads this line (a shared ``-r`` file changes them all)."""
    release: Release | None = None
    """For a package edit: the release the new group installs (see :class:`Release`)."""
    why: str = ""
    """Which apps the line kept the app apart from."""

    def describe(self) -> str:
        """The edit as the reports show it, on one line: ``file:line  old → new``, then
        ``  [cost; cost]`` when it has costs."""
        tail = f"  [{'; '.join(self.costs)}]" if self.costs else ""
        return f"{self.file}:{self.line}  {self.old} → {self.new}{tail}"


@dataclass(frozen=True)
class Suggestion:
    apps: tuple[str, ...]
    """The apps whose requirements change (sorted)."""
    edits: tuple[Edit, ...]
    groups_before: int
    groups_after: int
    merges: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Each group of the new plan made of apps of several groups before: (its name, the
    names of those groups)."""
    new_groups: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    """The new plan's groups: (name, python, apps)."""

    @property
    def saved(self) -> int:
        return self.groups_before - self.groups_after


@dataclass(frozen=True)
class Suggestions:
    plan: Plan
    suggestions: tuple[Suggestion, ...]
    target_groups: int | None
    floor: int
    """The fewest groups any requirement edits could give: what the configuration (``apart``,
    ``max_apps_per_group``, fixed groups) and the unsatisfiable apps leave."""
    essential: tuple[str, ...]
    """Apps in every largest set of pairwise-conflicting apps found: each suggestion edits
    one of them (empty when those sets were not all read)."""
    max_apps: int
    max_sets: int
    sets_tried: int
    exact: bool
    """Every candidate set of up to ``max_apps`` apps was evaluated."""
    rejected: int
    """Candidates dropped by verification (the re-analysis did not confirm them)."""
    reached: bool
    """With ``target_groups``: a verified suggestion reaches it."""
    diagnostics: tuple[Diagnostic, ...] = ()
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------- search


@dataclass
class _World:
    """What every evaluation shares."""

    plan: Plan
    config: Config
    options: Options
    by_name: dict[str, App]
    names: list[str]
    products: list[list[tuple[str, ...]]]
    classes: dict[str, object]
    shared: EffectiveCache = field(default_factory=EffectiveCache)

    @property
    def target(self) -> Target:
        return self.plan.target


def _world(plan: Plan, config: Config, options: Options) -> _World:
    from depsplit.analyze import constraint_class

    bad = set(plan.unsatisfiable)
    members = [a for a in plan.apps if a.name not in bad]
    products = []
    for c in plan.conflicts:
        kept = [tuple(a for a in side if a not in bad) for side in sides(c)]
        if len(kept) >= 2 and all(kept):
            products.append(kept)
    shared = EffectiveCache()
    classes: dict[str, object] = {a.name: constraint_class(a, plan.target, shared) for a in members}
    return _World(
        plan=plan,
        config=config,
        options=options,
        by_name={a.name: a for a in members},
        names=[a.name for a in members],
        products=products,
        classes=classes,
        shared=shared,
    )


def _solve_without(world: _World, flexible: frozenset[str]) -> tuple[tuple[str, ...], ...]:
    """The groups the partition finds when the apps of ``flexible`` conflict with nothing
    (their own constraints from the configuration still hold)."""
    from depsplit import partition

    products = []
    for product in world.products:
        kept = [tuple(a for a in side if a not in flexible) for side in product]
        if all(kept):
            products.append(kept)
    classes = {n: (("flexible", n) if n in flexible else world.classes[n]) for n in world.names}

    def check(group: frozenset[str]) -> tuple[str, ...] | None:
        rest = [world.by_name[n] for n in sorted(group) if n not in flexible]
        found = check_group(rest, world.target, effective_cache=world.shared)
        return found[0].apps if found else None

    config, options = world.config, world.options
    bad = set(world.plan.unsatisfiable)
    solution = partition.solve(
        world.names,
        [],
        products=products,
        classes=classes,
        check=check,
        together=[
            staying
            for s in config.together
            if len(staying := tuple(a for a in s if a not in bad)) >= 2
        ],
        apart=config.apart,
        max_apps_per_group=config.max_apps_per_group,
        fixed={a: g for a, g in config.groups.items() if a not in bad},
        previous=options.previous,
        time_limit=min(
            EVALUATION_SECONDS,
            options.time_limit if options.time_limit is not None else config.time_limit,
        ),
    )
    return solution.groups


def _cliques(world: _World, above: int) -> tuple[list[frozenset[str]], bool]:
    """The maximal cliques of more than ``above`` apps of the graph of pairwise conflicts
    (at most :data:`MAX_CLIQUES`; whether all were read)."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(world.names)
    edges = set()
    for product in world.products:
        if len(product) == 2:
            for a in product[0]:
                for b in product[1]:
                    if a != b:
                        edges.add((min(a, b), max(a, b)))
    graph.add_edges_from(sorted(edges))
    # A clique of more than ``above`` apps lies in the ``above``-core (every member has
    # ``above`` neighbours in it): the rest of the graph is not searched.
    graph = nx.k_core(graph, above)
    found: list[frozenset[str]] = []
    for clique in nx.find_cliques(graph):
        if len(clique) > above:
            found.append(frozenset(clique))
            if len(found) >= MAX_CLIQUES:
                return found, False
    return found, True


@dataclass
class _Search:
    candidates: list[tuple[frozenset[str], int, tuple[tuple[str, ...], ...]]]
    """(apps, groups reached, the groups of that solution)."""
    tried: int
    exact: bool
    essential: tuple[str, ...]


def _search(world: _World, goals: Sequence[int], max_apps: int, max_sets: int) -> _Search:
    """Candidate sets of apps to edit, for each goal (a number of groups), smallest first."""
    in_conflict = sorted({a for p in world.products for side in p for a in side})
    tried = 0
    exact = True
    found: list[tuple[frozenset[str], int, tuple[tuple[str, ...], ...]]] = []
    memo: dict[frozenset[str], tuple[tuple[str, ...], ...]] = {}
    essential: tuple[str, ...] = ()
    for goal in goals:
        cliques, complete = _cliques(world, goal)
        if goal == goals[0] and cliques and complete:
            essential = tuple(sorted(frozenset.intersection(*cliques)))
        if cliques:
            weight: dict[str, int] = {}
            for clique in cliques:
                for a in clique:
                    weight[a] = weight.get(a, 0) + 1
            pool = sorted(weight, key=lambda a: (-weight[a], a))
        else:
            pool = in_conflict
        done: list[frozenset[str]] = [s for s, reached, _ in found if reached <= goal]
        for size in range(1, max_apps + 1):
            hit = False
            for combo in itertools.combinations(pool, size):
                chosen = frozenset(combo)
                if any(not (chosen & c) for c in cliques):
                    continue
                if any(d <= chosen for d in done):
                    continue
                if chosen not in memo:
                    if tried >= max_sets:
                        exact = False
                        break
                    tried += 1
                    memo[chosen] = _solve_without(world, chosen)
                groups = memo[chosen]
                if len(groups) <= goal:
                    hit = True
                    done.append(chosen)
                    if all(s != chosen for s, _, _ in found):
                        found.append((chosen, len(groups), groups))
            if hit or not exact:
                break
        if not exact:
            break
    return _Search(found, tried, exact, essential)


# --------------------------------------------------------------------------- edits

_OPERATOR_ORDER = {"===": 0, "==": 1, "~=": 2, ">=": 3, ">": 4, "!=": 5, "<=": 6, "<": 7}


def nice_specifier(text: str) -> str:
    """A specifier set with its lower bounds first: ``>=3.0,<4`` (packaging sorts them as
    strings, ``<4,>=3.0``)."""
    try:
        clauses = list(SpecifierSet(text))
    except InvalidSpecifier:
        return text
    unique = {str(c): c for c in clauses}
    return ",".join(
        str(c)
        for c in sorted(unique.values(), key=lambda c: (_OPERATOR_ORDER[c.operator], c.version))
    )


def _merged(specs: Iterable[str]) -> str:
    parts = [s for s in dict.fromkeys(specs) if s]
    if len(parts) == 1:
        return nice_specifier(parts[0])
    return nice_specifier(",".join(parts))


def _bounds(spec: str) -> tuple[Version | None, Version | None]:
    """The lowest version a specifier names as allowed (an exact pin, a ``>=``/``~=``) and
    the highest it names (an exact pin, a ``<=``/``<``)."""
    low: Version | None = None
    high: Version | None = None
    try:
        clauses: Iterable[Specifier] = SpecifierSet(spec)
    except InvalidSpecifier:
        return None, None
    for c in clauses:
        try:
            v = Version(c.version.rstrip(".*").rstrip("."))
        except InvalidVersion:
            continue
        if c.operator in ("==", "===", ">=", ">", "~="):
            low = v if low is None else max(low, v)
        if c.operator in ("==", "===", "<=", "<"):
            high = v if high is None else min(high, v)
    return low, high


def _costs(old: str, new: str, picked: str | None = None) -> tuple[str, ...]:
    """``major upgrade 1 → 3`` when the versions the new specifier allows start at a later
    major than the old one's; ``downgrade`` when they all lie below the old one's."""
    old_low, old_high = _bounds(old)
    new_low, new_high = _bounds(new)
    if picked:
        with suppress(InvalidVersion):
            new_low = Version(picked)
    reference = old_high or old_low
    if reference is not None and new_low is not None and new_low.major > reference.major:
        return (f"major upgrade {reference.major} → {new_low.major}",)
    if old_low is not None and new_high is not None and new_high <= old_low:
        return (f"downgrade {old_low} → {new_high}",)
    if old_low is not None and new_low is not None and new_low < old_low and new_high:
        return (f"downgrade {old_low} → {new_low}",)
    return ()


def _name_pattern(name: str) -> str:
    parts = [re.escape(p) for p in re.split(r"[-_.]+", name) if p]
    return r"(?<![\w.-])" + r"[-_.]+".join(parts) + r"(?![\w-]|\.\w)"


_CLAUSE = r"(?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+"
_SPEC_RUN = re.compile(rf"\s*\(?\s*(?P<spec>{_CLAUSE}(?:\s*,\s*{_CLAUSE})*)?\s*\)?")
_TOML_STRING = re.compile(r"\s*=\s*(?P<q>[\"'])(?P<value>[^\"']*)(?P=q)")
_TOML_TABLE = re.compile(r"\s*=\s*\{[^}]*?\bversion\s*=\s*(?P<q>[\"'])(?P<value>[^\"']*)(?P=q)")
_EXTRAS = re.compile(r"\s*\[[^\]]*\]")


def rewrite_requirement(line: str, name: str, new_spec: str, *, toml: bool) -> str | None:
    """``line`` with its requirement on ``name`` asking for ``new_spec`` instead; ``None``
    when the requirement is not found on the line. Handles PEP 508 (a requirements file,
    ``setup.cfg``, a ``pyproject.toml`` string) and, with ``toml``, Poetry's and Pipfile's
    ``name = "spec"`` and ``name = {version = "spec", …}``."""
    for m in re.finditer(_name_pattern(name), line, re.IGNORECASE):
        end = m.end()
        extras = _EXTRAS.match(line, end)
        if extras:
            end = extras.end()
        if toml:
            for pattern in (_TOML_STRING, _TOML_TABLE):
                found = pattern.match(line, m.end())
                if found:
                    value = new_spec or "*"
                    return line[: found.start("value")] + value + line[found.end("value") :]
        run = _SPEC_RUN.match(line, end)
        if run is None:
            continue
        if run.group("spec") is None:
            rest = line[end:].lstrip()
            if rest and rest[0] not in ";#\"',]" and not rest.startswith("--"):
                continue
            return line[:end] + new_spec + line[end:]
        return line[: run.start("spec")] + new_spec + line[run.end("spec") :]
    return None


_KEY_VALUE = re.compile(
    r"^(?P<head>\s*[\w.\"'-]+\s*[=:]\s*)(?P<q>[\"']?)(?P<value>[^\"'#\n]*?)(?P=q)(?P<tail>\s*(?:#.*)?)$"
)


def rewrite_python(line: str, file: str, new_value: str) -> str | None:
    """``line`` of an interpreter constraint asking for ``new_value`` instead."""
    base = posixpath.basename(file)
    if base in (".python-version", "runtime.txt"):
        stripped = line.strip()
        if not stripped:
            return None
        return line.replace(stripped, new_value, 1)
    m = _KEY_VALUE.match(line)
    if m is None:
        return None
    return line[: m.start("value")] + new_value + line[m.end("value") :]


@dataclass
class _Lines:
    """The dependency files' text, read once through the analysis' own reader."""

    root: Path
    config: Config
    cache: dict[str, list[str]] = field(default_factory=dict)

    def get(self, file: str) -> list[str] | None:
        if file not in self.cache:
            from depsplit.errors import InputError
            from depsplit.sources.base import ReadContext

            ctx = ReadContext(root=self.root, max_file_bytes=self.config.max_file_size)
            try:
                self.cache[file] = ctx.read_text(self.root / file).split("\n")
            except (InputError, OSError):
                return None
        return self.cache[file]


class _Unfixable(Exception):
    pass


@dataclass
class _Fitter:
    world: _World
    lines: _Lines
    finder_for: Callable[[App], Finder | None]
    pages: dict[tuple[int, str], object] = field(default_factory=dict)
    picks: dict[tuple[object, ...], Version | None] = field(default_factory=dict)
    readers: dict[tuple[str, int | None], tuple[str, ...]] = field(default_factory=dict)

    def page(self, finder: Finder, key: str) -> object:
        """The project's releases on ``finder`` (:class:`depsplit.pysupport._Page`), once."""
        from depsplit.pysupport import _Judge, _Page

        found = self.pages.get((id(finder), key))
        if found is None:
            judge_ = self.pages.setdefault(
                (0, ""), _Judge(self.world.target, tgt.SUPPORTED_PYTHONS)
            )
            found = self.pages[(id(finder), key)] = _Page(finder.versions(key), judge_)  # type: ignore[arg-type]
        return found

    def fit(self, app: App, members: Sequence[App]) -> tuple[App, list[Edit]] | None:
        """``app`` rewritten to share one container with ``members``, and the edits; ``None``
        when a line in the way cannot be rewritten."""
        target = self.world.target
        try:
            python = common_python([*members, app], target)
            edits: list[Edit] = []
            if python is None:
                python = common_python(members, target)
                if python is None:
                    return None
                app, edits = self._python(app, python, members)
            app, more = self._packages(app, python, members)
            edits.extend(more)
        except _Unfixable:
            return None
        # A fresh cache (the rewritten app has the name of the original), sharing the
        # run's parsed specifiers.
        fresh = EffectiveCache(specs=self.world.shared.specs)
        if check_group([*members, app], target, python, effective_cache=fresh):
            return None
        return app, edits

    # -- the interpreter

    def _python(self, app: App, python: str, members: Sequence[App]) -> tuple[App, list[Edit]]:
        edits = []
        kept: list[PythonRequirement] = []
        for pr in app.python:
            if tgt.allowed_pythons(pr.specifier, (python,)):
                kept.append(pr)
                continue
            if pr.evidence is not None:
                app, edit = self._release_for(app, pr, python, members)
                edits.append(edit)
                continue
            edit, new_pr = self._python_line(app, pr, python)
            edits.append(edit)
            kept.append(new_pr)
        if not edits:
            raise _Unfixable
        return replace(app, python=tuple(p for p in kept if p.evidence is None or p in kept)), edits

    def _python_line(
        self, app: App, pr: PythonRequirement, python: str
    ) -> tuple[Edit, PythonRequirement]:
        file, number = pr.origin.file, pr.origin.line
        lines = self.lines.get(file)
        if number is None or lines is None or number > len(lines):
            raise _Unfixable
        base = posixpath.basename(file)
        allowed = tgt.allowed_pythons(pr.specifier)
        old_shown = _python_shown(pr.specifier, allowed)
        if base == ".python-version":
            value, spec = python, f"=={python}.*"
        elif base == "runtime.txt":
            value, spec = f"python-{python}", f"=={python}.*"
        elif _is_pipfile_version(lines[number - 1]):
            value, spec = python, f"=={python}.*"
        else:
            floor = min([python, *allowed], key=_minor_key)
            value = spec = f">={floor}"
        text = rewrite_python(lines[number - 1], file, value)
        if text is None:
            raise _Unfixable
        shown_old = lines[number - 1].strip()
        edit = Edit(
            app=app.name,
            file=file,
            line=number,
            package="python",
            old=shown_old,
            new=text.strip(),
            old_text=lines[number - 1],
            new_text=text,
            costs=(f"Python {old_shown} → {python}",),
            apps=self._readers_python(file, number),
        )
        return edit, replace(pr, specifier=spec)

    def _release_for(
        self, app: App, pr: PythonRequirement, python: str, members: Sequence[App]
    ) -> tuple[App, Edit]:
        """A constraint the index facts derived from a pin: rewrite the pin to a release
        that installs at ``python`` (newer than what it allows now)."""
        from depsplit.index.errors import IndexError_, OfflineCacheMiss

        reqs = [
            r
            for r in app.requirements
            if r.origin.file == pr.origin.file and r.origin.line == pr.origin.line and not r.url
        ]
        finder = self.finder_for(app)
        if len(reqs) != 1 or finder is None or reqs[0].chain:
            raise _Unfixable
        req = reqs[0]
        try:
            page: Any = self.page(finder, req.key)
        except (OfflineCacheMiss, IndexError_) as exc:
            raise _Unfixable from exc
        others = [
            r.specifier
            for m in members
            for r in effective(m, self.world.target, python).get(req.key, [])
        ]
        memo = (id(finder), req.key, req.specifier, python, tuple(sorted(set(others))))
        if memo not in self.picks:
            self.picks[memo] = self._newer(page, req, python, others)
        chosen = self.picks[memo]
        if chosen is None:
            raise _Unfixable
        spec = f">={chosen},<{chosen.major + 1}" if chosen.major else f">={chosen},<1"
        if others:
            spec = _merged([spec, *others])
        edit = self._line_edit(app, req, spec, why=f"{pr.evidence}")
        edit = replace(edit, costs=_costs(req.specifier, spec, str(chosen)) or edit.costs)
        return self._applied(app, [req], spec), edit

    @staticmethod
    def _newer(page: Any, req: Requirement, python: str, others: Sequence[str]) -> Version | None:
        """The oldest release newer than any ``req`` allows now that has a wheel for
        ``python`` and meets ``others``."""
        _, high = _bounds(req.specifier)
        allowed_now = [v for v in page.versions if SpecifierSet(req.specifier).contains(v)]
        newest_now = max(allowed_now) if allowed_now else high
        chosen: Version | None = None
        for version in sorted(page.versions):
            if version.is_prerelease or (newest_now is not None and version <= newest_now):
                continue
            if others and not SpecifierSet(",".join(o for o in others if o)).contains(version):
                continue
            wheel, _sdist, *_ = page.status(version)
            if python in wheel:
                chosen = version
                break
        return chosen

    # -- packages

    def _packages(self, app: App, python: str, members: Sequence[App]) -> tuple[App, list[Edit]]:
        target = self.world.target
        mine = effective(app, target, python)
        theirs: dict[str, list[tuple[str, Requirement]]] = {}
        for m in members:
            for key, reqs in effective(m, target, python).items():
                if key in mine:
                    theirs.setdefault(key, []).extend((m.name, r) for r in reqs)
        edits: list[Edit] = []
        for key in sorted(theirs):
            reqs = mine[key]
            others = theirs[key]
            if any(r.url for r in reqs) or any(r.url for _, r in others):
                continue  # judged by check_group in fit(): a URL is not rewritten
            specs = [r.specifier for r in reqs]
            other_specs = [r.specifier for _, r in others]
            if judge([*specs, *other_specs]).satisfiable:
                continue
            new_spec = _merged(other_specs)
            if not judge([new_spec]).satisfiable:
                raise _Unfixable
            bad = [r for r in reqs if not judge([r.specifier, *other_specs]).satisfiable]
            fine = [r for r in reqs if r not in bad]
            if not judge([*(r.specifier for r in fine), new_spec, *other_specs]).satisfiable:
                bad = list(reqs)
            who = sorted(
                {name for name, r in others if not judge([*specs, r.specifier]).satisfiable}
            )
            edits.extend(self._line_edit(app, req, new_spec, why=", ".join(who)) for req in bad)
            app = self._applied(app, bad, new_spec)
        return app, edits

    def _line_edit(self, app: App, req: Requirement, new_spec: str, why: str = "") -> Edit:
        if req.role not in ("main", "constraint") or req.chain or req.url:
            raise _Unfixable  # a lock pin, a dependency of a pinned release, a URL
        file, number = req.origin.file, req.origin.line
        lines = self.lines.get(file)
        if number is None or lines is None or number > len(lines):
            raise _Unfixable
        toml = file.endswith(".toml") or posixpath.basename(file) == "Pipfile"
        text = rewrite_requirement(lines[number - 1], req.name, new_spec, toml=toml)
        if text is None:
            raise _Unfixable
        old = f"{req.name}{req.specifier and nice_specifier(req.specifier)}"
        return Edit(
            app=app.name,
            file=file,
            line=number,
            package=req.name,
            old=old,
            new=f"{req.name}{new_spec}",
            old_text=lines[number - 1],
            new_text=text,
            costs=_costs(req.specifier, new_spec),
            apps=self._readers(req),
            why=why,
        )

    @staticmethod
    def _applied(app: App, reqs: Sequence[Requirement], new_spec: str) -> App:
        changed = set(reqs)
        return replace(
            app,
            requirements=tuple(
                replace(r, specifier=new_spec) if r in changed else r for r in app.requirements
            ),
            python=tuple(
                p
                for p in app.python
                if not (
                    p.evidence is not None
                    and any(
                        p.origin.file == r.origin.file and p.origin.line == r.origin.line
                        for r in reqs
                    )
                )
            ),
        )

    def _readers(self, req: Requirement) -> tuple[str, ...]:
        return self._who().get((req.origin.file, req.origin.line), ())

    def _readers_python(self, file: str, line: int) -> tuple[str, ...]:
        return self._who().get((file, line), ())

    def _who(self) -> dict[tuple[str, int | None], tuple[str, ...]]:
        """(file, line) → the apps that read it (a requirement or an interpreter line)."""
        if not self.readers:
            found: dict[tuple[str, int | None], set[str]] = {}
            for a in self.world.plan.apps:
                for r in a.requirements:
                    found.setdefault((r.origin.file, r.origin.line), set()).add(a.name)
                for py in a.python:
                    if py.evidence is None:
                        found.setdefault((py.origin.file, py.origin.line), set()).add(a.name)
            self.readers.update({k: tuple(sorted(v)) for k, v in found.items()})
        return self.readers


def _is_pipfile_version(line: str) -> bool:
    return bool(re.match(r"\s*python_(?:full_)?version\s*=", line))


def _minor_key(minor: str) -> tuple[int, ...]:
    return tuple(int(p) for p in minor.split("."))


def _python_shown(spec: str, allowed: Sequence[str]) -> str:
    if len(allowed) == 1:
        return allowed[0]
    if allowed:
        return f"{allowed[0]}–{allowed[-1]}"
    return spec or "any"


def _estimate(
    mine: Mapping[str, set[str]], rest: Sequence[Sequence[str]], placed: Sequence[list[str]], i: int
) -> tuple[int, int]:
    """How many packages an app conflicts on with the members of group ``i``."""
    packages: set[str] = set()
    for n in (*rest[i], *placed[i]):
        packages |= mine.get(n, set())
    return len(packages), i


def _edits_for(
    fitter: _Fitter, chosen: frozenset[str], groups: Sequence[Sequence[str]]
) -> list[Edit] | None:
    """Every app of ``chosen`` placed, in name order, in the group of ``groups`` (without
    the apps of ``chosen``) where it needs the fewest edits."""
    world = fitter.world
    rest = [[n for n in g if n not in chosen] for g in groups]
    rest = [g for g in rest if g]
    if not rest:  # every app is edited: the first one stays as it is, the others join it
        seed = min(chosen)
        rest, chosen = [[seed]], chosen - {seed}
    current = dict(world.by_name)
    placed: list[list[str]] = [[] for _ in rest]
    edits: list[Edit] = []
    apart: dict[str, dict[str, set[str]]] = {}  # app → other app → packages in between
    for c in world.plan.conflicts:
        for side in sides(c):
            for other in sides(c):
                if other is side:
                    continue
                for a in side:
                    if a in chosen:
                        for b in other:
                            apart.setdefault(a, {}).setdefault(b, set()).add(c.package)
    for name in sorted(chosen):
        best: tuple[tuple[int, int, int], App, list[Edit], int] | None = None
        mine_apart = apart.get(name, {})

        order = sorted(range(len(rest)), key=partial(_estimate, mine_apart, rest, placed))
        fitted = 0
        for i in order:
            if fitted >= FIT_TRIES:
                break
            g = rest[i]
            members = [current[n] for n in (*g, *placed[i])]
            found = fitter.fit(current[name], members)
            if found is None:
                continue
            fitted += 1
            app, mine = found
            score = (len(mine), sum(len(e.costs) for e in mine), i)
            if best is None or score < best[0]:
                best = (score, app, mine, i)
        if best is None:
            return None
        _, app, mine, i = best
        current[name] = app
        placed[best[3]].append(name)
        edits.extend(mine)
    unique: dict[tuple[str, int], Edit] = {}
    for e in edits:
        if (e.file, e.line) in unique and unique[(e.file, e.line)].new_text != e.new_text:
            return None  # two apps would need one shared line two ways
        unique.setdefault((e.file, e.line), e)
    return sorted(unique.values(), key=lambda e: (e.app, e.file, e.line))


# --------------------------------------------------------------------------- verification


def _overlay(fitter: _Fitter, edits: Sequence[Edit]) -> dict[str, str]:
    texts: dict[str, list[str]] = {}
    for e in edits:
        lines = texts.setdefault(e.file, list(fitter.lines.get(e.file) or []))
        lines[e.line - 1] = e.new_text
    return {file: "\n".join(lines) for file, lines in texts.items()}


def _took_effect(new: Plan, edits: Sequence[Edit]) -> bool:
    """Every rewritten line reads back as the edit says."""
    by_name = {a.name: a for a in new.apps}
    for e in edits:
        app = by_name.get(e.app)
        if app is None:
            return False
        if e.package == "python":
            continue
        key = canonicalize_name(e.package)
        wanted = SpecifierSet(e.new[len(e.package) :])
        found = [
            r
            for r in app.requirements
            if r.key == key and r.origin.file == e.file and r.origin.line == e.line
        ]
        if not found or any(SpecifierSet(r.specifier) != wanted for r in found):
            return False
    return True


def _merges(before: Plan, after: Plan) -> tuple[tuple[str, tuple[str, ...]], ...]:
    old = {a: g.name for g in before.groups for a in g.apps}
    out = []
    for g in after.groups:
        sources = tuple(sorted({old[a] for a in g.apps if a in old}))
        if len(sources) > 1:
            out.append((g.name, sources))
    return tuple(out)


def _releases(edits: Sequence[Edit], new: Plan, fitter: _Fitter) -> tuple[list[Edit], bool]:
    """Each package edit with the release its new group installs; whether every one that
    could be looked up installs."""
    from depsplit.index.errors import IndexError_, OfflineCacheMiss

    finder_for = fitter.finder_for
    group_of = {a: g for g in new.groups for a in g.apps}
    by_name = {a.name: a for a in new.apps}
    out = []
    ok = True
    for e in edits:
        if e.package == "python":
            out.append(e)
            continue
        group = group_of.get(e.app)
        app = by_name.get(e.app)
        finder = finder_for(app) if app is not None else None
        if group is None or app is None:
            return out, False
        if finder is None:
            release = Release(
                "unverified", python=group.python, detail="no index (--no-index-facts)"
            )
            out.append(replace(e, release=release))
            continue
        key = canonicalize_name(e.package)
        specs = [
            r.specifier
            for name in group.apps
            for r in effective(by_name[name], new.target, group.python).get(key, [])
            if not r.url
        ]
        merged = ",".join(s for s in specs if s)
        try:
            page: Any = fitter.page(finder, key)
        except OfflineCacheMiss:
            release = Release(
                "unverified", python=group.python, detail="not in the index cache (--offline)"
            )
            out.append(replace(e, release=release))
            continue
        except IndexError_ as exc:
            release = Release("unverified", python=group.python, detail=str(exc))
            out.append(replace(e, release=release))
            continue
        pick = page.pick(merged, group.python)
        if pick is None:
            ok = False
            out.append(e)
            continue
        version, wheel, _ = pick
        release = Release("installable", str(version), group.python, wheel)
        costs = _costs(e.old[len(e.package) :], e.new[len(e.package) :], str(version))
        out.append(replace(e, release=release, costs=costs or e.costs))
    return out, ok


# --------------------------------------------------------------------------- entry


def suggest(
    root: Path,
    config: Config,
    options: Options,
    *,
    target_groups: int | None = None,
    max_apps: int = MAX_APPS,
    max_sets: int = MAX_SETS,
    limit: int = LIMIT,
    analyze_tree: Callable[[Mapping[str, str] | None], Plan] | None = None,
    finder_for: Callable[[App], Finder | None] | None = None,
    plan: Plan | None = None,
) -> Suggestions:
    """The verified suggestions for the tree at ``root`` (see the module docstring).

    ``analyze_tree(overlay)`` analyses the tree with some files' text replaced (default:
    :func:`depsplit.analyze.analyze` with ``options``); ``finder_for`` gives the index an
    app reads (``None``: no index); ``plan``: the analysis of the unedited tree when the
    caller has it already (``analyze --suggest``)."""
    from depsplit.analyze import analyze

    def default_analyze(overlay: Mapping[str, str] | None) -> Plan:
        return analyze(root, config, replace(options, overlay=overlay))

    if plan is None:
        plan = (analyze_tree or default_analyze)(None)
    with ExitStack() as stack:
        find = finder_for
        if find is None and (options.index_facts or options.transitive):
            from depsplit.analyze import _index_session

            limit_s = options.time_limit if options.time_limit is not None else config.time_limit
            session = stack.enter_context(
                _index_session(Path(root).resolve(), plan.apps, plan.target, options, limit_s)
            )
            find = lambda app: session.finder([app.name])  # noqa: E731
        run = analyze_tree
        if run is None and options.transitive:
            run = default_analyze  # every group resolved again, as analyze --transitive does
        elif run is None:
            from depsplit.analyze import reanalyze

            def run(overlay: Mapping[str, str] | None) -> Plan:
                return reanalyze(root, config, options, plan, overlay or {}, find)

        return _suggest(
            plan,
            root,
            config,
            options,
            run,
            find or (lambda app: None),
            target_groups=target_groups,
            max_apps=max_apps,
            max_sets=max_sets,
            limit=limit,
        )


def _suggest(
    plan: Plan,
    root: Path,
    config: Config,
    options: Options,
    run: Callable[[Mapping[str, str] | None], Plan],
    find: Callable[[App], Finder | None],
    *,
    target_groups: int | None,
    max_apps: int,
    max_sets: int,
    limit: int,
) -> Suggestions:
    before = len(plan.groups)
    world = _world(plan, config, options)
    floor = len(_solve_without(world, frozenset(world.names))) if world.names else 0
    if target_groups is not None:
        goals = [target_groups] if floor <= target_groups < before else []
    else:
        goals = list(range(before - 1, floor - 1, -1))
    search = _search(world, goals, max_apps, max_sets) if goals and not plan.has_errors else None
    lines = _Lines(Path(root).resolve(), config)
    fitter = _Fitter(world, lines, find)
    built: list[tuple[tuple[object, ...], list[Edit]]] = []
    for chosen, reached, groups in search.candidates if search else []:
        edits = _edits_for(fitter, chosen, groups)
        if edits:
            built.append((_rank(before - reached, edits), edits))
    shown, rejected = _verified(plan, built, fitter, run, limit)
    shown.sort(key=lambda s: _rank(s.saved, s.edits))
    reached = target_groups is not None and any(s.groups_after <= target_groups for s in shown)
    notes = []
    if plan.has_errors:
        notes.append("the analysis has errors (below): nothing is suggested until they are fixed")
    return Suggestions(
        plan=plan,
        suggestions=tuple(shown),
        target_groups=target_groups,
        floor=floor,
        essential=search.essential if search else (),
        max_apps=max_apps,
        max_sets=max_sets,
        sets_tried=search.tried if search else 0,
        exact=search.exact if search else True,
        rejected=rejected,
        reached=reached,
        diagnostics=plan.diagnostics,
        notes=tuple(notes),
    )


def _edited_apps(edits: Sequence[Edit]) -> tuple[str, ...]:
    """The apps ``edits`` touch, sorted."""
    return tuple(sorted({a for e in edits for a in (e.apps or (e.app,))}))


def _rank(saved: int, edits: Sequence[Edit]) -> tuple[object, ...]:
    """The order suggestions are tried and shown in: most groups saved per app edited,
    then most saved, fewest edits, fewest costs, then the apps' names."""
    apps = _edited_apps(edits)
    return (-saved / len(apps), -saved, len(edits), sum(len(e.costs) for e in edits), apps)


def _verified(
    plan: Plan,
    built: Sequence[tuple[tuple[object, ...], list[Edit]]],
    fitter: _Fitter,
    run: Callable[[Mapping[str, str] | None], Plan],
    limit: int,
) -> tuple[list[Suggestion], int]:
    """Up to ``limit`` suggestions whose edits, re-analysed (``run``), do lower the number
    of groups, and how many candidates were rejected. Best first by the evaluation's
    estimate; a candidate whose re-analysis saves less than estimated goes back in the
    queue with its real rank, so what is shown is ordered by what was verified."""
    before = len(plan.groups)
    queue: list[tuple[tuple[object, ...], int, list[Edit], Suggestion | None]] = [
        (rank, i, edits, None) for i, (rank, edits) in enumerate(built)
    ]
    heapq.heapify(queue)
    shown: list[Suggestion] = []
    rejected = 0
    verified = 0
    seen: set[tuple[tuple[str, int, str], ...]] = set()
    while queue and len(shown) < limit:
        _, tie, edits, done = heapq.heappop(queue)
        touched_now = set(_edited_apps(edits))
        if any(set(s.apps) <= touched_now for s in shown):
            continue  # a smaller verified suggestion already does at least as well
        if done is not None:
            shown.append(done)
            continue
        signature = tuple((e.file, e.line, e.new_text) for e in edits)
        if signature in seen or verified >= VERIFY_FACTOR * limit:
            continue
        seen.add(signature)
        verified += 1
        new = run(_overlay(fitter, edits))
        grew_bad = set(new.unsatisfiable) - set(plan.unsatisfiable)
        if new.has_errors or grew_bad or len(new.groups) >= before or not _took_effect(new, edits):
            rejected += 1
            continue
        edits, installable = _releases(edits, new, fitter)
        if not installable:
            rejected += 1
            continue
        suggestion = Suggestion(
            apps=_edited_apps(edits),
            edits=tuple(edits),
            groups_before=before,
            groups_after=len(new.groups),
            merges=_merges(plan, new),
            new_groups=tuple((g.name, g.python, g.apps) for g in new.groups),
        )
        heapq.heappush(queue, (_rank(suggestion.saved, edits), tie, edits, suggestion))
    return shown, rejected


# --------------------------------------------------------------------------- reports


def render_text(result: Suggestions) -> str:
    plan = result.plan
    before = len(plan.groups)
    lines = [
        f"depsplit suggest: {plural(len(plan.apps), 'app')} in {plural(before, 'group')}"
        + (f" (lower bound {plan.partition.lower_bound})" if plan.partition is not None else "")
    ]
    lines.append("")
    for i, s in enumerate(result.suggestions, start=1):
        merged = "; ".join(f"{' + '.join(src)} → {name}" for name, src in s.merges)
        lines.append(
            f"{i}. {s.groups_before} → {plural(s.groups_after, 'group')} "
            f"(saves {s.saved}) by editing {plural(len(s.apps), 'app')}: {', '.join(s.apps)}"
        )
        for e in s.edits:
            lines.append(f"     {e.describe()}")
            if e.apps and e.apps != (e.app,):
                lines.append(f"         shared line: read by {', '.join(e.apps)}")
            if e.release is not None:
                lines.append(f"         {e.package} {e.release.describe()}")
        lines.append(
            "     verified: re-analysed with these edits: "
            f"{plural(s.groups_after, 'group')}" + (f" ({merged})" if merged else "")
        )
        lines.append("")
    if not result.suggestions:
        lines.extend(_nothing(result))
        lines.append("")
    lines.extend(_bound_lines(result))
    lines.append(_search_line(result))
    lines.extend(f"note: {note}" for note in result.notes)
    if result.diagnostics:
        lines.append("")
        lines.append("Diagnostics")
        lines.extend(f"  {d}" for d in result.diagnostics)
    return "\n".join(lines) + "\n"


def _nothing(result: Suggestions) -> list[str]:
    plan = result.plan
    before = len(plan.groups)
    if plan.has_errors:
        return ["No suggestion: the analysis has errors."]
    if before <= 1:
        return [f"Nothing to save: {plural(before, 'group')}."]
    if result.floor >= before:
        return [
            f"Nothing helps: even with every conflicting requirement rewritten, "
            f"{plural(before, 'group')} are needed (your configuration — apart, "
            "max_apps_per_group, groups — and the apps that cannot be installed at all set "
            "that floor)."
        ]
    goal = result.target_groups if result.target_groups is not None else before - 1
    if result.target_groups is not None and result.target_groups < result.floor:
        return [
            f"Cannot reach {plural(goal, 'group')}: even with every conflicting requirement "
            f"rewritten, {plural(result.floor, 'group')} are needed (your configuration)."
        ]
    scope = (
        f"no set of up to {plural(result.max_apps, 'app')} to edit"
        if result.exact
        else f"none of the {result.sets_tried} sets of apps tried (the --max-sets bound)"
    )
    return [f"No verified suggestion reaches {plural(goal, 'group')}: {scope} does."]


def _bound_lines(result: Suggestions) -> list[str]:
    plan = result.plan
    part = plan.partition
    if (
        part is None
        or not part.witness
        or len(plan.groups) != part.lower_bound
        or result.floor >= len(plan.groups)
    ):
        return []
    out = [
        f"Lower bound: these {len(part.witness)} apps conflict pairwise, so they need "
        f"{part.lower_bound} groups whatever the other apps do; an edit helps only if it "
        f"touches one of them: {', '.join(part.witness)}"
    ]
    if result.essential and set(result.essential) != set(part.witness):
        out.append(
            f"  every largest such set holds these {len(result.essential)}: "
            + ", ".join(result.essential)
        )
    return out


def _search_line(result: Suggestions) -> str:
    how = (
        f"exact up to {plural(result.max_apps, 'app')} per suggestion"
        if result.exact
        else f"bounded: stopped after {result.max_sets} sets of apps (--max-sets)"
    )
    extra = (
        f"; {result.rejected} candidate{'s' if result.rejected != 1 else ''} failed verification"
        if result.rejected
        else ""
    )
    return f"Search: {how}, {plural(result.sets_tried, 'set')} of apps evaluated{extra}."


def to_json(result: Suggestions) -> dict[str, object]:
    from depsplit import __version__

    plan = result.plan
    part = plan.partition
    return {
        "schema_version": 1,
        "tool": {"name": "depsplit", "version": __version__},
        "root": plan.root,
        "groups": len(plan.groups),
        "lower_bound": part.lower_bound if part else None,
        "witness": list(part.witness) if part else [],
        "essential": list(result.essential),
        "floor": result.floor,
        "target_groups": result.target_groups,
        "reached": result.reached if result.target_groups is not None else None,
        "search": {
            "exact": result.exact,
            "max_apps": result.max_apps,
            "max_sets": result.max_sets,
            "sets_tried": result.sets_tried,
            "rejected": result.rejected,
        },
        "suggestions": [
            {
                "groups_before": s.groups_before,
                "groups_after": s.groups_after,
                "saved": s.saved,
                "apps": list(s.apps),
                "edits": [
                    {
                        "app": e.app,
                        "file": e.file,
                        "line": e.line,
                        "package": e.package,
                        "from": e.old,
                        "to": e.new,
                        "line_before": e.old_text,
                        "line_after": e.new_text,
                        "costs": list(e.costs),
                        "apps": list(e.apps),
                        "release": None
                        if e.release is None
                        else {
                            "status": e.release.status,
                            "version": e.release.version,
                            "python": e.release.python,
                            "wheel": e.release.wheel,
                            "detail": e.release.detail,
                        },
                    }
                    for e in s.edits
                ],
                "merges": [{"group": name, "from": list(src)} for name, src in s.merges],
                "new_groups": [
                    {"name": name, "python": python, "apps": list(apps)}
                    for name, python, apps in s.new_groups
                ],
                "verified": True,
            }
            for s in result.suggestions
        ],
        "notes": list(result.notes),
        "diagnostics": [
            {"level": d.level, "file": d.file, "line": d.line, "message": d.message}
            for d in result.diagnostics
        ],
    }


def render_json(result: Suggestions) -> str:
    import json

    return json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n"


REPORT_SETS = 40
"""``analyze --suggest``: candidate sets of apps evaluated (``depsplit suggest``: 200)."""

REPORT_LIMIT = 3
"""``analyze --suggest``: suggestions shown."""


def report_lines(result: Suggestions) -> list[str]:
    """The "Fewer containers" section of ``analyze --suggest``'s reports, as plain lines
    (each renderer escapes and styles them): each verified suggestion with its edits, or
    why none was found, and the apps that hold the lower bound."""
    out: list[str] = []
    for i, s in enumerate(result.suggestions, start=1):
        out.append(
            f"{i}. {s.groups_before} → {plural(s.groups_after, 'group')} by editing "
            f"{plural(len(s.apps), 'app')}: {', '.join(s.apps)}"
        )
        out.extend(f"   {e.describe()}" for e in s.edits)
    if not result.suggestions:
        out.extend(_nothing(result))
    out.extend(_bound_lines(result))
    out.append(
        f"(a bounded search: {result.sets_tried} sets of apps tried; "
        "depsplit suggest searches further and names the releases)"
    )
    return out


def report_data(result: Suggestions) -> dict[str, object]:
    """The JSON report's ``fewer_containers`` (``analyze --suggest``): the suggestions as
    ``depsplit suggest --format json`` gives them, the lower bound and its apps."""
    data = to_json(result)
    return {
        key: data[key]
        for key in ("suggestions", "lower_bound", "witness", "essential", "floor", "search")
        if key in data
    }
