"""Conflicts per package: the shape of the JSON report's ``conflicts`` (schema version 2).

The conflict search finds smallest sets of apps that cannot share a container
(:class:`~depsplit.model.Conflict`), each standing for one app per *side* (apps holding the
same requirement). A package whose N apps each pin a different version has N sides and
N(N-1)/2 such sets; listed one by one they grow with the square of the apps. Here they are
gathered per package and kind (:class:`~depsplit.model.PackageConflict`): the distinct
sides once each, the conflicting pairs as lists of sides every two of which conflict (one
list for those N pins), and the sets of one side or of three or more sides as they are.

:func:`minimal_sets` turns a package's entry back into the sets it stands for, each
identified by its sides (:func:`set_id`): how a report of this shape is compared with a
run (``--baseline``).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence

from packaging.utils import canonicalize_name

from depsplit.model import (
    Conflict,
    ConflictKind,
    ConflictRequirement,
    ConflictSide,
    PackageConflict,
)
from depsplit.partition.bitsets import bit_indices, bitset_of

SHOWN_SIDES = 4
"""Sides named in the message of a package with several conflicts, before ``and N more``."""

SHOWN_APPS = 2
"""Apps named per side in that message."""


def package_key(kind: str, package: str) -> str:
    """The package part of the ids: ``python`` for the interpreter, else the PEP 503 name."""
    return "python" if kind == "python" else canonicalize_name(package)


def package_conflict_id(kind: str, package: str) -> str:
    """``version:flask``: one package conflict per kind and package."""
    return f"{kind}:{package_key(kind, package)}"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:10]


def _side_id(kind: str, key: str, apps: tuple[str, ...], identity: str | None) -> str:
    """From what the side asks when known, so that an app added to the side keeps its id;
    from its apps otherwise."""
    if identity is not None:
        return f"{kind}:{key}:{_digest(kind, key, '=' + identity)}"
    return f"{kind}:{key}:{_digest(kind, key, *apps)}"


def set_id(kind: str, package: str, side_ids: Iterable[str]) -> str:
    """The id of one smallest set of apps by the sides it takes one app from: what a
    report of schema version 2 identifies it by."""
    key = package_key(kind, package)
    return f"{kind}:{key}:{_digest(kind, key, *sorted(side_ids))}"


_SideKey = tuple[tuple[str, ...], str | None]

SortKey = tuple[bool, str, int, tuple[str, ...], str]
"""How conflicts are listed: python ones first, then by package, size, apps and kind."""


def sort_key(conflict: Conflict, canonical: dict[str, str] | None = None) -> SortKey:
    """:data:`SortKey` of ``conflict`` (``canonical``: a memo of package names)."""
    name = canonical.get(conflict.package) if canonical is not None else None
    if name is None:
        name = canonicalize_name(conflict.package)
        if canonical is not None:
            canonical[conflict.package] = name
    return (conflict.kind != "python", name, len(conflict.apps), conflict.apps, conflict.kind)


class Gathering:
    """One package's conflicts (one kind) while they are read: its sides, numbered as
    first seen, and each smallest set as the side numbers it stands for. Sets may come in
    any order: what depends on an order (which set's lines a side shows, the package's
    spelling and message) is taken from the set that comes first by :data:`SortKey`."""

    def __init__(self, kind: ConflictKind, key: str) -> None:
        self.kind = kind
        self.key = key
        self.first: SortKey | None = None
        self.package = ""
        self.make_first: Callable[[], Conflict] | None = None
        self.numbers: list[tuple[int, ...]] = []
        """Per set added, its sides' numbers, sorted."""
        self.index: dict[_SideKey, int] = {}
        self.sides: list[_SideKey] = []
        self.requirements: list[tuple[SortKey, tuple[ConflictRequirement, ...]] | None] = []
        """Per side, the lines of its first app in the first set that has it (``None``
        until a set is offered: :meth:`offer`)."""
        self.side_ids: list[str] = []
        """Per side number, its id (once :meth:`build` ran)."""
        self.spellings: set[str] = set()
        self.cliques: list[tuple[int, ...]] = []
        """Side numbers every two of which are a smallest set (:meth:`add_clique`)."""
        self.partners: list[int] = []
        """Per side number, as a bitset, the sides it is a smallest set with, given by
        side numbers (:meth:`side`) rather than through :meth:`add`: N sides on one
        package that all clash are N(N-1)/2 sets, and this is where they add up cheaply.
        Kept symmetric by whoever sets a bit."""

    def add(
        self,
        order: SortKey,
        package: str,
        members: Sequence[tuple[str, ...]],
        identities: Sequence[str | None],
        requirements_of: Callable[[int], tuple[ConflictRequirement, ...]],
        make: Callable[[], Conflict],
    ) -> None:
        """One smallest set: one app of each of ``members`` (sides, each sorted), what each
        side asks (``None``: compared app by app), the lines of the first app of side
        ``i`` (asked only when they are kept) and the set as a :class:`Conflict`."""
        self.offer_first(order, package, make)
        if len(members) > 1:
            self.spellings.add(package)
        numbers = [
            self._number((side, identities[i]), order, requirements_of, i)
            for i, side in enumerate(members)
        ]
        numbers.sort()
        self.numbers.append(tuple(numbers))

    def _number(
        self,
        key: _SideKey,
        order: SortKey,
        requirements_of: Callable[[int], tuple[ConflictRequirement, ...]],
        i: int,
    ) -> int:
        """The side's number (a new side numbered next), its lines kept from the set that
        comes first."""
        number = self.side(key)
        held = self.requirements[number]
        if held is None or order < held[0]:
            self.requirements[number] = (order, requirements_of(i))
        return number

    def side(self, key: _SideKey) -> int:
        """The side's number, a new side numbered next (its lines still to be offered)."""
        number = self.index.get(key)
        if number is None:
            number = self.index[key] = len(self.sides)
            self.sides.append(key)
            self.requirements.append(None)
            self.partners.append(0)
        return number

    def offer(self, number: int, order: SortKey, lines: tuple[ConflictRequirement, ...]) -> None:
        """Side ``number`` is in a set that comes at ``order``, where its first app has
        ``lines``: they are kept when no set before it had the side (ties: the first
        offered)."""
        held = self.requirements[number]
        if held is None or order < held[0]:
            self.requirements[number] = (order, lines)

    def offer_first(self, order: SortKey, package: str, make: Callable[[], Conflict]) -> None:
        """A set at ``order``, spelling the package ``package``, made by ``make``: the
        package's first set unless one came before it (ties: the first offered)."""
        if self.first is None or order < self.first:
            self.first, self.package, self.make_first = order, package, make

    def add_clique(
        self,
        sides: Sequence[tuple[tuple[str, ...], str | None, tuple[ConflictRequirement, ...], str]],
        make_pair: Callable[[int, int], Conflict],
    ) -> None:
        """Sides every two of which are a smallest set, sorted by their first apps: each
        pair as :meth:`add` would take it, without going through the pairs. Each side is
        ``(apps, identity, lines of its first app, the package as those lines spell it)``;
        ``make_pair(i, j)`` makes the set of sides ``i`` and ``j``."""
        if len(sides) < 2:
            return
        reps = [side[0][0] for side in sides]
        kind = self.kind

        def order(i: int) -> SortKey:  # a side's first pair: with the first side
            return (True, self.key, 2, (reps[0], reps[i] if i else reps[1]), kind)

        if self.first is None or order(0) < self.first:
            self.first, self.package = order(0), sides[0][3]
            self.make_first = functools.partial(make_pair, 0, 1)
        # A pair is spelled as its first side's lines spell the package.
        self.spellings.update(side[3] for side in sides[:-1])
        numbers = [
            self._number((apps, identity), order(i), functools.partial(_given, lines), 0)
            for i, (apps, identity, lines, _) in enumerate(sides)
        ]
        self.cliques.append(tuple(sorted(numbers)))

    def add_conflict(self, conflict: Conflict, order: SortKey) -> None:
        members = conflict.members or tuple((a,) for a in conflict.apps)
        identities: Sequence[str | None] = conflict.identities or [None] * len(members)

        def requirements_of(i: int) -> tuple[ConflictRequirement, ...]:
            first = members[i][0]
            return tuple(r for r in conflict.requirements if r.app == first)

        self.add(order, conflict.package, members, identities, requirements_of, lambda: conflict)

    def build(self) -> PackageConflict:
        kind, key = self.kind, self.key
        # Sides in a stable order (by apps), whatever the order the conflicts came in.
        order = sorted(
            range(len(self.sides)), key=lambda i: (self.sides[i][0], self.sides[i][1] or "")
        )
        renumber = [0] * len(order)
        for new, old in enumerate(order):
            renumber[old] = new
        sides: list[ConflictSide] = []
        used: set[str] = set()
        for old in order:
            apps, identity = self.sides[old]
            sid = _side_id(kind, key, apps, identity)
            if sid in used:  # one identity on two sides (apps split by their Pythons)
                sid = _side_id(kind, key, apps, f"{identity}\n{apps[0]}")
            used.add(sid)
            held = self.requirements[old]
            requirements = held[1] if held is not None else ()
            sides.append(
                ConflictSide(id=sid, identity=identity, apps=apps, requirements=requirements)
            )
        self.side_ids = [sides[renumber[old]].id for old in range(len(self.sides))]
        # Each side's partners in pairs, as bitsets of the new numbers.
        # (Each bitset made once from its indexes: building it bit by bit, or from a list
        # of every ``1 << n``, is quadratic in the sides.)
        partners = [
            bitset_of([renumber[j] for j in bit_indices(bits)], len(order)) if bits else 0
            for bits in (self.partners[old] for old in order)
        ]
        for e in self.numbers:
            if len(e) == 2:
                x, y = renumber[e[0]], renumber[e[1]]
                partners[x] |= 1 << y
                partners[y] |= 1 << x
        others = {tuple(sorted(renumber[n] for n in e)) for e in self.numbers if len(e) != 2}
        given = sorted({tuple(sorted(renumber[n] for n in c)) for c in self.cliques})
        # The pairs a given clique holds are not listed again: taken out of the partners of
        # its sides that have any (a bitset per side of a clique of 50,000 pins was 300 MB).
        for clique in given:
            outside = ~bitset_of(clique, len(order))
            for n in clique:
                if partners[n]:
                    partners[n] &= outside
        count = (
            sum(p.bit_count() for p in partners) // 2
            + len(others)
            + sum(len(c) * (len(c) - 1) // 2 for c in given)
        )
        shaped = PackageConflict(
            id=f"{kind}:{key}",
            kind=kind,
            package=self.package,
            apps=tuple(sorted({a for side in sides for a in side.apps})),
            sides=tuple(sides),
            pairs=tuple(given + _cover(partners)),
            sets=tuple(sorted(others)),
            message="",
            spellings=tuple(sorted(self.spellings)),
            count=count,
        )
        if count == 1 and self.make_first is not None:
            message = self.make_first().message
        else:
            message = _message(shaped)
        return dataclasses.replace(shaped, message=message)


def _given(lines: tuple[ConflictRequirement, ...], _index: int) -> tuple[ConflictRequirement, ...]:
    return lines


class Gatherings:
    """Sets gathered per kind and package (:class:`Gathering`)."""

    def __init__(self) -> None:
        self.by_id: dict[str, Gathering] = {}
        self.canonical: dict[str, str] = {}

    def canonical_name(self, package: str) -> str:
        found = self.canonical.get(package)
        if found is None:
            found = self.canonical[package] = canonicalize_name(package)
        return found

    def of(self, kind: ConflictKind, package: str) -> Gathering:
        key = "python" if kind == "python" else self.canonical_name(package)
        pid = f"{kind}:{key}"
        found = self.by_id.get(pid)
        if found is None:
            found = self.by_id[pid] = Gathering(kind, key)
        return found

    def add_conflict(self, conflict: Conflict) -> Gathering:
        found = self.of(conflict.kind, conflict.package)
        found.add_conflict(conflict, sort_key(conflict, self.canonical))
        return found

    def build(self) -> list[PackageConflict]:
        """The package conflicts, in the order of their first sets."""
        ordered = sorted(self.by_id.values(), key=lambda g: g.first or ())
        return [g.build() for g in ordered]


def packages_of(conflicts: Sequence[Conflict]) -> Sequence[PackageConflict]:
    """``conflicts`` per kind and package: from the search's pairs of terms when they come
    from it (:meth:`depsplit.conflicts.ConflictSets.packages`), else :func:`by_package`."""
    packages = getattr(conflicts, "packages", None)
    if packages is not None:
        found: Sequence[PackageConflict] = packages()
        return found
    return by_package(conflicts)


def by_package(conflicts: Iterable[Conflict]) -> list[PackageConflict]:
    """``conflicts`` gathered per kind and package, ordered by their first sets."""
    gatherings = Gatherings()
    for conflict in conflicts:
        gatherings.add_conflict(conflict)
    return gatherings.build()


def set_ids(conflicts: Sequence[Conflict]) -> dict[str, str]:
    """Each conflict's id -> its :func:`set_id` among ``conflicts``."""
    gatherings = Gatherings()
    placed = [(c, gatherings.add_conflict(c)) for c in conflicts]
    for gathering in gatherings.by_id.values():
        gathering.build()
    seen: dict[int, int] = {}
    out: dict[str, str] = {}
    for conflict, gathering in placed:
        index = seen.get(id(gathering), 0)
        seen[id(gathering)] = index + 1
        numbers = gathering.numbers[index]
        out[conflict.id] = set_id(
            conflict.kind, conflict.package, [gathering.side_ids[n] for n in numbers]
        )
    return out


def _cover(partners: Sequence[int]) -> list[tuple[int, ...]]:
    """Lists of side indexes, every two of one list partners (``partners``: per side, a
    bitset of the sides it pairs with, symmetric), that together hold every pair (a greedy
    cover: sides taken in order, each list started from a side's partners not yet held,
    then grown by its other partners). N sides that all conflict give one list. A
    candidate joins when it is a partner of every side of the list so far: the candidates
    left are kept as the partners the list has in common, so each one looked at joins."""
    count = len(partners)
    open_ = list(partners)
    out: list[tuple[int, ...]] = []
    for side in range(count):
        while open_[side]:
            clique = [side]
            common = partners[side]
            whole = 1 << side
            start = open_[side]
            for bits in (start, partners[side] & ~start):
                bits &= common
                while bits:
                    low = bits & -bits
                    clique.append(low.bit_length() - 1)
                    whole |= low
                    common &= partners[clique[-1]]
                    bits &= common  # no side is its own partner: ``low`` goes too
            for member in clique:
                open_[member] &= ~whole
            out.append(tuple(sorted(clique)))
    return out


def requirement_text(r: ConflictRequirement) -> str:
    """What the app asks for: the URL, the specifier (``(any version)`` when empty), its
    marker."""
    spec = r.url or r.specifier or "(any version)"
    if r.marker:
        spec += f" ; {r.marker}"
    return spec


def side_requirement(side: ConflictSide) -> str:
    """What a side asks, as its first app writes it (``(any version)`` for nothing)."""
    text = ",".join(dict.fromkeys(requirement_text(r) for r in side.requirements))
    return text or "(any version)"


class SidePartners:
    """Per side of one package conflict, the sides it cannot share a container with (from
    ``pairs``) and the ``sets`` it is in, worked out when asked: a ``pairs`` list of N sides
    gives each N - 1 partners, and N apps on N pins are one such list, so a set of partners
    per side would hold N(N-1) entries (10,000 pins: gigabytes for SARIF)."""

    def __init__(self, conflict: PackageConflict) -> None:
        self.lists: list[list[tuple[int, ...]]] = [[] for _ in conflict.sides]
        """Per side, the ``pairs`` lists it is in (each sorted)."""
        self.sets: list[list[tuple[int, ...]]] = [[] for _ in conflict.sides]
        """Per side, the ``sets`` entries it is in."""
        for clique in conflict.pairs:
            for i in clique:
                self.lists[i].append(clique)
        for entry in conflict.sets:
            for i in entry:
                self.sets[i].append(entry)

    def opposed(self, side: int) -> Iterator[int]:
        """The partners of ``side`` in pairs, in order, each once."""
        lists = self.lists[side]
        merged = lists[0] if len(lists) == 1 else heapq.merge(*lists)
        last = -1
        for j in merged:
            if j != last and j != side:
                yield j
            last = j

    def count(self, side: int) -> int:
        """How many partners ``side`` has in pairs."""
        lists = self.lists[side]
        if len(lists) == 1:
            return len(lists[0]) - 1
        return len({j for clique in lists for j in clique}) - (1 if lists else 0)

    def first(self, side: int, limit: int) -> list[int]:
        """The first ``limit`` partners of ``side`` in pairs, in order."""
        return list(itertools.islice(self.opposed(side), limit))


def _side_text(side: ConflictSide) -> str:
    shown = ", ".join(side.apps[:SHOWN_APPS])
    more = len(side.apps) - SHOWN_APPS
    if more > 0:
        shown += f" and {more} more"
    return f"{side_requirement(side)} ({shown})"


def _message(conflict: PackageConflict) -> str:
    """``boto3: 6 apps on 5 requirements that cannot all share a container: ==1.26.1
    (app1, app5); …``."""
    sides = conflict.sides
    listed = "; ".join(_side_text(s) for s in sides[:SHOWN_SIDES])
    if len(sides) > SHOWN_SIDES:
        listed += f"; and {len(sides) - SHOWN_SIDES} more"
    what = "Python requirements" if conflict.kind == "python" else "requirements"
    return (
        f"{conflict.package}: {len(conflict.apps)} apps on {len(sides)} {what} that cannot "
        f"all share a container: {listed}"
    )


def minimal_sets(conflict: PackageConflict, limit: int) -> list[Conflict]:
    """The smallest sets of apps ``conflict`` stands for, one :class:`Conflict` per pair
    of sides of each ``pairs`` list and per ``sets`` entry, each with its :func:`set_id`
    as id; the message is the package's when it stands for one set, else empty.
    ``ValueError`` for an index that names no side, or beyond ``limit`` sets (a report
    that claims more than a run could hold)."""
    count = len(conflict.sides)
    for listed in (*conflict.pairs, *conflict.sets):
        if not listed or any(not 0 <= i < count for i in listed):
            raise ValueError(f"{conflict.id}: side indexes {list(listed)} out of range")
    entries: dict[tuple[int, ...], None] = {}
    for clique in conflict.pairs:
        members = sorted(set(clique))
        if len(entries) + len(members) * (len(members) - 1) // 2 > limit:
            raise ValueError(f"{conflict.id}: more than {limit:,} conflicting sets")
        entries.update(dict.fromkeys(itertools.combinations(members, 2)))
    entries.update(dict.fromkeys(tuple(sorted(set(s))) for s in conflict.sets))
    if len(entries) > limit:
        raise ValueError(f"{conflict.id}: more than {limit:,} conflicting sets")
    single = len(entries) == 1
    out = []
    for entry in entries:
        sides = sorted((conflict.sides[i] for i in entry), key=lambda s: s.apps)
        out.append(
            Conflict(
                id=set_id(conflict.kind, conflict.package, [s.id for s in sides]),
                kind=conflict.kind,
                package=conflict.package,
                apps=tuple(s.apps[0] for s in sides),
                requirements=tuple(r for s in sides for r in s.requirements),
                message=conflict.message if single else "",
                members=tuple(s.apps for s in sides),
            )
        )
    return out
