"""Resolutions kept across runs, beside the index cache: a warm run replays them.

A ``--transitive`` run resolves each app alone at several minors and many unions of apps;
on a warm cache these resolutions are most of its time, and they give the same answers
as the last run whenever the index lists the same files. Each outcome
(:class:`~depsplit.transitive.reuse.Outcome`) is stored under a digest of everything it
depends on besides the index — this code (every module of depsplit, resolvelib's and
packaging's versions), the kind of resolution, what the requirements say
(:func:`~depsplit.transitive.reuse.signature`), the interpreter, the index locations and the
target — with the digest of the files of every project it read
(:class:`~depsplit.index.trace.Trace`) and the effects it had on the finder's memo.

A stored outcome is replayed only when every project it read lists the same files now
(pages revalidated as usual: a new release is a different digest) and the finder's memo is
as the resolution found it; its effects are then made again (the warnings on assumed sdists
and ignored releases are the same cold or warm) and its rounds are charged to the caller's
meter, so the verification's budget runs out at the same candidate. Anything else — a
missing, unreadable or foreign entry, an index error while checking — is a miss: the
resolution runs, and its outcome is stored in place. Entries are written atomically
(:meth:`~depsplit.index.cache.Cache.put_outcome`); an unwritable cache is only a slower run.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

from depsplit.errors import DepsplitError
from depsplit.index import (
    Finder,
    ResolutionImpossible,
    ResolutionTooComplex,
    TransitiveRequirement,
)
from depsplit.index.cache import Cache
from depsplit.index.resolve import Cause, replay
from depsplit.index.trace import Trace
from depsplit.model import LockedPin, Origin, Target
from depsplit.nesting import json_loads

__all__ = ["FORMAT", "Figures", "Store", "code_digest"]

FORMAT = 1
"""Of the stored entries; another is a miss."""

Labels = tuple[tuple[str, tuple[Origin, ...]], ...]


def code_digest() -> str:
    """A digest of depsplit's own modules and of the versions of the libraries that decide
    a resolution: a stored outcome serves only the code that made it."""
    digest = hashlib.sha256(f"{sys.version_info[:2]}".encode())
    for dist in ("resolvelib", "packaging"):
        digest.update(f"{dist} {dist_version(dist)}\n".encode())
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(f"{path.relative_to(package).as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class Store:
    """The stored outcomes for one run (:mod:`depsplit.transitive.store`)."""

    def __init__(self, target: Target, code: str | None = None) -> None:
        self.target = target
        text = code if code is not None else code_digest()
        self.code = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self._used: dict[Path, Cache] = {}
        self._lock = threading.Lock()

    def _cache(self, finder: Finder) -> Cache:
        """``finder``'s cache, its entries of this code marked as used once a run
        (:meth:`~depsplit.index.cache.Cache.use_outcomes`)."""
        cache = finder.cache
        with self._lock:
            if cache.root not in self._used:
                self._used[cache.root] = cache
                cache.use_outcomes(self.code)
        return cache

    def close(self) -> None:
        """At the end of a run: entries of this code long unused go
        (:meth:`~depsplit.index.cache.Cache.sweep_outcomes`)."""
        with self._lock:
            caches = list(self._used.values())
        for cache in caches:
            cache.sweep_outcomes(self.code)

    def keys(
        self, kind: str, said: Hashable, python: str, finder: Finder, max_rounds: int
    ) -> tuple[str, str]:
        """The names of the entries for a resolution of ``kind`` of requirements saying
        ``said``: the one within ``max_rounds``, and the one of an outcome that serves any
        number of rounds from its longest pass on (the verification gives each resolution
        the rounds left of its budget)."""
        where = (finder.indexes, finder.find_links, finder.config.build_metadata)
        text = repr((FORMAT, self.code, kind, said, python, where, self.target))
        return (
            hashlib.sha256(f"{text}|{max_rounds}".encode()).hexdigest(),
            hashlib.sha256(f"{text}|any".encode()).hexdigest(),
        )

    def load(
        self, key: str, finder: Finder, accept: Callable[[object, Labels, Figures], bool]
    ) -> bool:
        """Whether the stored outcome ``key`` was replayed: ``accept`` took its result,
        labels and figures, every project it read lists the same files through ``finder``,
        and its effects were made again. Nothing is changed when not."""
        data = self._cache(finder).get_outcome(self.code, key)
        if data is None:
            return False
        try:
            record = json_loads(data)
            if not isinstance(record, dict) or record.get("format") != FORMAT:
                return False
            reads = record["reads"]
            if not isinstance(reads, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in reads.items()
            ):
                return False
            figures = Figures.decode(record["figures"])
            result = decode_result(record["result"])
            labels = decode_labels(record["labels"])
            effects = [tuple(_text(x) for x in effect) for effect in record["effects"]]
        except (ValueError, TypeError, KeyError, IndexError):
            return False
        if not accept(result, labels, figures):
            return False
        try:
            finder.prefetch(reads)
            for project, digest in sorted(reads.items()):
                if finder.versions(project).digest != digest:
                    return False
        except DepsplitError:
            return False  # the resolution meets it again, and says so
        return replay(finder, effects)

    def save(
        self,
        names: Sequence[str],
        finder: Finder,
        result: object,
        labels: Labels,
        figures: Figures,
        trace: Trace,
    ) -> None:
        """Store ``result`` (a resolution's outcome for ``labels``, with its ``figures``)
        with what ``trace`` saw, as each of ``names``."""
        entry = {
            "format": FORMAT,
            "figures": figures.encode(),
            "labels": encode_labels(labels),
            "reads": dict(sorted(trace.reads.items())),
            "effects": trace.effects,
            "result": encode_result(result),
        }
        data = json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        cache = self._cache(finder)
        for name in names:
            cache.put_outcome(self.code, name, data)


@dataclass(frozen=True)
class Figures:
    """The work a resolution took (:class:`~depsplit.transitive.reuse.Outcome`)."""

    max_rounds: int
    rounds: int
    longest: int
    backjumped: bool

    def encode(self) -> list[Any]:
        return [self.max_rounds, self.rounds, self.longest, self.backjumped]

    @classmethod
    def decode(cls, raw: Any) -> Figures:
        max_rounds, rounds, longest, backjumped = raw
        if not all(type(x) is int for x in (max_rounds, rounds, longest)):
            raise ValueError("not a number of rounds")
        return cls(max_rounds, rounds, longest, _flag(backjumped))


# -- the codec: results and labels as JSON


class _Origins:
    """A table of origins, each written once (an app's closure names a few origins in
    hundreds of edges)."""

    def __init__(self) -> None:
        self.index: dict[Origin, int] = {}

    def ref(self, origin: Origin | None) -> int:
        if origin is None:
            return -1
        return self.index.setdefault(origin, len(self.index))

    def table(self) -> list[list[Any]]:
        return [_origin_row(o) for o in self.index]


def _origin_row(origin: Origin) -> list[Any]:
    return [origin.file, origin.line, list(origin.via)]


def _origin(raw: Any) -> Origin:
    file, line, via = raw
    if not isinstance(file, str) or not (line is None or type(line) is int):
        raise ValueError("not an origin")
    return Origin(file, line, tuple(str(v) for v in via))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _optional(value: Any) -> str | None:
    return None if value is None else _text(value)


def _flag(value: Any) -> bool:
    if type(value) is not bool:
        raise ValueError("not a flag")
    return value


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(_text(v) for v in value)


def encode_result(result: object) -> dict[str, Any]:
    """``None``, :class:`ResolutionTooComplex`, :class:`ResolutionImpossible`, a
    closure's edges or a lock's pins as JSON."""
    if result is None:
        return {"t": "none"}
    if isinstance(result, ResolutionTooComplex):
        return {"t": "complex", "rounds": result.rounds}
    origins = _Origins()
    if isinstance(result, ResolutionImpossible):
        causes = [
            [c.key, c.name, c.requirement, list(c.chain), origins.ref(c.origin), c.app]
            for c in result.causes
        ]
        return {
            "t": "impossible",
            "python": result.python,
            "notes": list(result.notes),
            "causes": causes,
            "origins": origins.table(),
        }
    if isinstance(result, tuple):
        pins = [
            [
                p.name,
                p.version,
                list(p.hashes),
                list(p.parents),
                list(p.apps),
                list(p.extras),
                p.sdist,
            ]
            for p in result
            if isinstance(p, LockedPin)
        ]
        if len(pins) == len(result):
            return {"t": "lock", "pins": pins}
    if isinstance(result, list):
        edges = [
            [
                e.key,
                e.name,
                e.specifier,
                list(e.chain),
                origins.ref(e.origin),
                e.app,
                list(e.extras),
            ]
            for e in result
            if isinstance(e, TransitiveRequirement)
        ]
        if len(edges) == len(result):
            return {"t": "edges", "edges": edges, "origins": origins.table()}
    raise TypeError(f"not a resolution's outcome: {type(result).__name__}")


def decode_result(raw: Any) -> object:
    """The inverse of :func:`encode_result`; ``ValueError`` (or ``TypeError``,
    ``KeyError``, ``IndexError``) when ``raw`` is not one."""
    kind = raw["t"]
    if kind == "none":
        return None
    if kind == "complex":
        rounds = raw["rounds"]
        if type(rounds) is not int:
            raise ValueError("not a number of rounds")
        return ResolutionTooComplex(rounds)
    if kind == "lock":
        return tuple(
            LockedPin(
                name=_text(n),
                version=_text(v),
                hashes=_texts(h),
                parents=_texts(pa),
                apps=_texts(a),
                extras=_texts(ex),
                sdist=_flag(sd),
            )
            for n, v, h, pa, a, ex, sd in raw["pins"]
        )
    table: list[Origin] = [_origin(o) for o in raw["origins"]]

    def origin(ref: Any) -> Origin | None:
        if type(ref) is not int or ref >= len(table):
            raise ValueError("not an origin")
        return None if ref < 0 else table[ref]

    if kind == "impossible":
        causes = [
            Cause(_text(k), _text(n), _text(r), _texts(ch), origin(o), _optional(a))
            for k, n, r, ch, o, a in raw["causes"]
        ]
        return ResolutionImpossible(causes, _text(raw["python"]), _texts(raw["notes"]))
    if kind == "edges":
        return [
            TransitiveRequirement(
                key=_text(k),
                name=_text(n),
                specifier=_text(s),
                chain=_texts(ch),
                origin=origin(o),
                app=_optional(a),
                extras=_texts(ex),
            )
            for k, n, s, ch, o, a, ex in raw["edges"]
        ]
    raise ValueError(f"not a stored outcome: {kind!r}")


def encode_labels(labels: Labels) -> list[Any]:
    return [[name, [_origin_row(o) for o in origins]] for name, origins in labels]


def decode_labels(raw: Sequence[Any]) -> Labels:
    return tuple((_text(name), tuple(_origin(o) for o in origins)) for name, origins in raw)
