"""Synthetic monorepo generator with a planted answer, for tests and benchmarks.

``generate_monorepo(root, n_apps, seed=...)`` writes ``n_apps`` app directories
(``services/app-0001``, ``workers/app-0002``, ...) in mixed formats (round-robin over
``formats``), plus ``shared/base-*.txt`` files that requirements-format apps include with
``-r ../../shared/base-N.txt``. It returns a :class:`GeneratedRepo` that says what a correct
analysis must find.

How the answer is planted
-------------------------
*Pivot.* Every app except the trap "floaters" (below) gets a hidden class ``c`` in
``0..K-1`` and requires ``pivot-pkg==<c+1>.0``. Apps of different classes conflict, apps of
one class agree. The first ``K`` apps drawn get the classes ``0..K-1``, so every class has
an app: those ``K`` apps pairwise conflict, a clique, so no partition has fewer than ``K``
groups. Some apps spell the name differently (``Pivot_Pkg``, ``pivot.pkg``: same package
after PEP 503 normalisation) and some gate the pin with ``; python_version >= "3.8"``, a
marker that is true on every interpreter a container runs, so the pin counts.

*Three-way traps* (``three_way=True``, ``K >= 2``). A trio of apps requires ``trap-pkg``
with ``>=1,<3``, ``>=2,<4`` and ``>=1,<4,!=2.*``: any two are compatible, all three are not.
The trio apps carry no pivot requirement ("floaters"), so each may join any group. Had the
three been put in one class, that class would need two groups and the optimum would be
``K + 1``; had they been put in three different classes, the pivot alone would keep them
apart and the trap would test nothing. As floaters, only a check of the whole group keeps
them from sharing one container, and splitting them costs no extra group because
``K >= 2``: the witness puts the ``>=1,<3`` and ``>=1,<4,!=2.*`` apps in group 0 (jointly
``>=1,<2``) and the ``>=2,<4`` app in group 1. Several trios may exist; every ``>=2,<4``
app goes to group 1, so no group ever holds all three kinds. With ``K < 2`` or too few apps
no trap is planted (``GeneratedRepo.trios == 0``).

*Fillers* (``acme-*``, ``corp-*`` in the shared files) have one hidden true version each
and every app's specifier for them contains it: they never conflict, whatever the grouping.

*Decoys* that must not be reported, each pinned to different versions by different apps:
``win-only-pkg`` (``; sys_platform == "win32"``), ``py2-only-pkg`` (``; python_version <
"3"``) and ``dev-only-pkg`` (dev files and sections only: ``requirements-dev.txt``,
``[project.optional-dependencies]``, Poetry's dev group, Pipfile ``[dev-packages]``,
setup.cfg ``extras_require``).

So the optimum is exactly ``K``: at least ``K`` by the clique, at most ``K`` by the witness
``GeneratedRepo.assignment`` (each group has one pivot version, no trap trio, and fillers
always agree). Same arguments, same bytes: the output depends only on the arguments.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

FORMATS = ("requirements", "pyproject", "poetry", "pipfile", "setup_cfg")
TOPS = ("services", "workers", "jobs")
PIVOT = "pivot-pkg"
TRAP = "trap-pkg"
TRAP_SPECS = (">=1,<3", ">=2,<4", ">=1,<4,!=2.*")
TRAP_GROUP = (0, 1, 0)  # witness group of each trap kind: kinds 0 and 2 agree (>=1,<2)
WIN_DECOY = "win-only-pkg"
PY2_DECOY = "py2-only-pkg"
DEV_DECOY = "dev-only-pkg"
WIN_MARKER = "sys_platform == 'win32'"
PY2_MARKER = "python_version < '3'"
PY38_MARKER = "python_version >= '3.8'"
PYTHON = ">=3.8"
N_SHARED = 4
WORDS = (
    "auth", "cache", "client", "config", "core", "crypto", "db", "events", "http", "io",
    "log", "metrics", "queue", "schema", "storage", "text", "time", "trace", "utils", "yaml",
)  # fmt: skip


@dataclass
class GeneratedRepo:
    """What a correct analysis of the generated tree must find."""

    root: Path
    #: app directory (POSIX, relative to root) → its format (one of FORMATS)
    apps: dict[str, str]
    #: (canonical package, apps): apps that cannot share a container because of that
    #: package; pairs for the pivot (one per pair of classes), trios for the traps
    planted: list[tuple[str, frozenset[str]]]
    #: the fewest groups
    optimum: int
    #: canonical names that appear in several apps and must never be reported
    non_conflicts: frozenset[str]
    #: a valid partition into ``optimum`` groups: app → group index
    assignment: dict[str, int] = field(default_factory=dict)
    #: production requirements of each app that apply on Linux / CPython >= 3.8:
    #: app → canonical package → PEP 440 specifier ("" = any version), after -r includes
    specs: dict[str, dict[str, str]] = field(default_factory=dict)
    #: app → its Python requirement as a PEP 440 specifier ("" = none stated)
    python: dict[str, str] = field(default_factory=dict)
    #: number of three-way trap trios planted
    trios: int = 0


@dataclass
class _Line:
    """One requirement to write: name as written, native spec per format, PEP 440 spec."""

    name: str  # as written (may differ from the canonical name in case / separators)
    canon: str
    pep: str  # PEP 440 specifier ("" = any)
    poetry: str  # Poetry constraint ("*" = any)
    marker: str | None = None  # PEP 508 marker, single-quoted strings
    counts: bool = True  # applies on the target (Linux, CPython >= 3.8)
    extras: tuple[str, ...] = ()
    poetry_pep: str | None = None  # what ``poetry`` means in PEP 440, when not ``pep``


def _filler_line(rng: random.Random, name: str, major: int, minor: int) -> _Line:
    """A specifier that contains the hidden true version ``major.minor.2``."""
    kind = rng.randrange(6)
    low = rng.randint(0, minor)
    if kind == 0:
        return _Line(name, name, "", "*")
    if kind == 1:
        spec = f">={major}.{low}"
        return _Line(name, name, spec, spec)
    if kind == 2:  # Poetry writes the same range as a caret
        return _Line(name, name, f">={major}.{low},<{major + 1}.0", f"^{major}.{low}")
    if kind == 3:  # ~=M.m.0 is >=M.m.0,==M.m.*; Poetry's ~M.m is >=M.m,<M.(m+1)
        tilde = f">={major}.{minor},<{major}.{minor + 1}"
        return _Line(name, name, f"~={major}.{minor}.0", f"~{major}.{minor}", poetry_pep=tilde)
    if kind == 4:
        return _Line(name, name, f"=={major}.{minor}.2", f"{major}.{minor}.2")
    spec = f">={major}.0,!={major}.{minor}.1"
    return _Line(name, name, spec, spec)


def _pep508(line: _Line) -> str:
    extras = f"[{','.join(line.extras)}]" if line.extras else ""
    text = f"{line.name}{extras}{line.pep}"
    if line.marker:
        text += f"; {line.marker.replace(chr(39), chr(34))}"
    return text


def _pep508_toml(line: _Line) -> str:
    """A PEP 508 string inside a TOML basic string: markers keep single quotes."""
    extras = f"[{','.join(line.extras)}]" if line.extras else ""
    text = f"{line.name}{extras}{line.pep}"
    if line.marker:
        text += f"; {line.marker}"
    return f'"{text}"'


def _key(name: str) -> str:
    """A TOML key: bare when it can be, quoted otherwise (``pivot.pkg`` is not a bare key)."""
    return name if name.replace("-", "").replace("_", "").isalnum() else f'"{name}"'


def _table_value(line: _Line, version: str) -> str:
    """Value of a Poetry / Pipfile dependency key."""
    if not line.marker and not line.extras:
        return f'"{version}"'
    parts = [f'version = "{version}"']
    if line.extras:
        parts.append("extras = [" + ", ".join(f'"{e}"' for e in line.extras) + "]")
    if line.marker:
        parts.append(f'markers = "{line.marker}"')
    return "{ " + ", ".join(parts) + " }"


def _render(
    fmt: str, name: str, lines: list[_Line], dev: list[_Line], include: str | None
) -> dict[str, str]:
    """File name → content for one app."""
    if fmt == "requirements":
        body = [f"# {name}: production requirements"]
        if include:
            body.append(f"-r {include}")
        body += [_pep508(line) for line in lines]
        files = {"requirements.txt": "\n".join(body) + "\n"}
        if dev:
            dev_body = ["# development only", "-r requirements.txt", "pytest>=8"]
            dev_body += [_pep508(line) for line in dev]
            files["requirements-dev.txt"] = "\n".join(dev_body) + "\n"
        return files
    if fmt == "pyproject":
        body = [
            "[build-system]",
            'requires = ["setuptools>=68"]',
            'build-backend = "setuptools.build_meta"',
            "",
            "[project]",
            f'name = "{name}"',
            'version = "0.1.0"',
            f'requires-python = "{PYTHON}"',
            "dependencies = [",
            *(f"    {_pep508_toml(line)}," for line in lines),
            "]",
        ]
        if dev:
            body += ["", "[project.optional-dependencies]", "dev = ["]
            body += ['    "pytest>=8",', *(f"    {_pep508_toml(line)}," for line in dev), "]"]
        return {"pyproject.toml": "\n".join(body) + "\n"}
    if fmt == "poetry":
        body = [
            "[tool.poetry]",
            f'name = "{name}"',
            'version = "0.1.0"',
            'description = ""',
            'authors = ["Synthetic <synthetic@example.com>"]',
            "",
            "[tool.poetry.dependencies]",
            'python = "^3.8"',
            *(f"{_key(line.name)} = {_table_value(line, line.poetry)}" for line in lines),
        ]
        if dev:
            body += ["", "[tool.poetry.group.dev.dependencies]", 'pytest = "^8"']
            body += [f"{_key(line.name)} = {_table_value(line, line.poetry)}" for line in dev]
        body += [
            "",
            "[build-system]",
            'requires = ["poetry-core>=1.8"]',
            'build-backend = "poetry.core.masonry.api"',
        ]
        return {"pyproject.toml": "\n".join(body) + "\n"}
    if fmt == "pipfile":
        body = [
            "[[source]]",
            'url = "https://pypi.org/simple"',
            "verify_ssl = true",
            'name = "pypi"',
            "",
            "[packages]",
            *(f"{_key(line.name)} = {_table_value(line, line.pep or '*')}" for line in lines),
        ]
        if dev:
            body += ["", "[dev-packages]", 'pytest = "*"']
            body += [f"{_key(line.name)} = {_table_value(line, line.pep or '*')}" for line in dev]
        return {"Pipfile": "\n".join(body) + "\n"}
    if fmt == "setup_cfg":
        body = [
            "[metadata]",
            f"name = {name}",
            "version = 0.1.0",
            "",
            "[options]",
            "packages = find:",
            f"python_requires = {PYTHON}",
            "install_requires =",
            *(f"    {_pep508(line)}" for line in lines),
        ]
        if dev:
            body += ["", "[options.extras_require]", "test =", "    pytest>=8"]
            body += [f"    {_pep508(line)}" for line in dev]
        return {
            "setup.cfg": "\n".join(body) + "\n",
            "setup.py": "from setuptools import setup\n\nsetup()\n",
        }
    raise ValueError(f"unknown format {fmt!r}")


def _python_of(fmt: str) -> str:
    if fmt in ("pyproject", "setup_cfg"):
        return PYTHON
    if fmt == "poetry":
        return ">=3.8,<4.0"
    return ""


def _and(*specs: str) -> str:
    return ",".join(s for s in specs if s)


def generate_monorepo(
    root: Path,
    n_apps: int,
    *,
    seed: int,
    k_groups: int = 3,
    formats: Sequence[str] = FORMATS,
    lines_per_app: int = 10,
    three_way: bool = True,
) -> GeneratedRepo:
    """Write a synthetic monorepo under ``root`` whose fewest groups is ``k_groups``."""
    if k_groups < 1 or n_apps < k_groups:
        raise ValueError(f"need 1 <= k_groups <= n_apps, got {k_groups=} {n_apps=}")
    formats = tuple(formats)
    if not formats or any(f not in FORMATS for f in formats):
        raise ValueError(f"formats must be a non-empty subset of {FORMATS}, got {formats}")
    rng = random.Random(seed)
    root = Path(root)

    # Hidden classes: -1 - kind marks a floater of trap kind 0..2.
    trios = 0
    if three_way and k_groups >= 2 and n_apps >= k_groups + 3:
        trios = max(1, min(n_apps // 200, (n_apps - k_groups) // 3))
    classes = [-1 - kind for _ in range(trios) for kind in range(3)]
    classes += list(range(k_groups))
    classes += [rng.randrange(k_groups) for _ in range(n_apps - len(classes))]
    rng.shuffle(classes)

    # Fillers: name → hidden true version (major, minor); the true version is major.minor.2.
    n_fill = max(24, 3 * lines_per_app)
    fillers = [
        (
            f"acme-{WORDS[i % len(WORDS)]}-{i // len(WORDS) + 1}",
            rng.randint(1, 4),
            rng.randint(0, 8),
        )
        for i in range(n_fill)
    ]
    # Shared include files: a few corp-* fillers each; base-3 includes base-0 (nested -r).
    shared_specs: list[dict[str, str]] = []
    shared_files: dict[str, str] = {}
    for s in range(N_SHARED):
        lines = [
            _filler_line(rng, f"corp-{WORDS[(3 * s + j) % len(WORDS)]}-{s}", rng.randint(1, 4), 3)
            for j in range(3)
        ]
        text = [f"# shared requirements {s}"]
        specs = {line.canon: line.pep for line in lines}
        if s == N_SHARED - 1:
            text.append("-r base-0.txt")
            specs = {**shared_specs[0], **specs}
        text += [_pep508(line) for line in lines]
        shared_files[f"shared/base-{s}.txt"] = "\n".join(text) + "\n"
        shared_specs.append(specs)

    width = max(4, len(str(n_apps)))
    apps: dict[str, str] = {}
    assignment: dict[str, int] = {}
    all_specs: dict[str, dict[str, str]] = {}
    python: dict[str, str] = {}
    reps: dict[int, str] = {}
    trio_members: list[list[str]] = [[] for _ in range(3)]
    files: dict[str, str] = dict(shared_files)

    for i, cls in enumerate(classes):
        fmt = formats[i % len(formats)]
        name = f"app-{i + 1:0{width}d}"
        path = f"{TOPS[rng.randrange(len(TOPS))]}/{name}"
        lines: list[_Line] = []
        if cls >= 0:
            version = f"{cls + 1}.0"
            spelled = (PIVOT, PIVOT, PIVOT, PIVOT, "Pivot_Pkg", "pivot.pkg")[rng.randrange(6)]
            marker = PY38_MARKER if rng.randrange(4) == 0 else None
            poetry = version if rng.randrange(2) else f"=={version}"
            lines.append(_Line(spelled, PIVOT, f"=={version}", poetry, marker))
            assignment[path] = cls
            reps.setdefault(cls, path)
        else:
            kind = -1 - cls
            lines.append(_Line(TRAP, TRAP, TRAP_SPECS[kind], TRAP_SPECS[kind]))
            assignment[path] = TRAP_GROUP[kind]
            trio_members[kind].append(path)
        pin = f"{i % 9 + 1}.0"
        if i % 3 == 0:
            lines.append(_Line(WIN_DECOY, WIN_DECOY, f"=={pin}", pin, WIN_MARKER, counts=False))
        if i % 4 == 1:
            lines.append(_Line(PY2_DECOY, PY2_DECOY, f"=={pin}", pin, PY2_MARKER, counts=False))
        dev = [_Line(DEV_DECOY, DEV_DECOY, f"=={pin}", pin)] if i % 2 == 0 else []
        n_fillers = max(0, min(lines_per_app - len(lines), n_fill))
        for index in sorted(rng.sample(range(n_fill), n_fillers)):
            fname, major, minor = fillers[index]
            line = _filler_line(rng, fname, major, minor)
            if rng.randrange(8) == 0:
                line.marker = PY38_MARKER
            if fname.startswith("acme-http") and rng.randrange(2):
                line.extras = ("socks",)
            lines.append(line)
        rng.shuffle(lines)
        include = None
        specs: dict[str, str] = {}
        if fmt == "requirements" and rng.randrange(2):
            s = rng.randrange(N_SHARED)
            include = f"../../shared/base-{s}.txt"
            specs.update(shared_specs[s])
        for line in lines:
            if line.counts:
                pep = line.poetry_pep if fmt == "poetry" and line.poetry_pep else line.pep
                specs[line.canon] = _and(specs.get(line.canon, ""), pep)
        for rel, text in _render(fmt, name, lines, dev, include).items():
            files[f"{path}/{rel}"] = text
        apps[path] = fmt
        all_specs[path] = dict(sorted(specs.items()))
        python[path] = _python_of(fmt)

    made: set[Path] = set()
    for rel, text in files.items():
        target = root / rel
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_bytes(text.encode())

    planted: list[tuple[str, frozenset[str]]] = [
        (PIVOT, frozenset((reps[a], reps[b])))
        for a in range(k_groups)
        for b in range(a + 1, k_groups)
    ]
    planted += [(TRAP, frozenset(members)) for members in zip(*trio_members, strict=True)]
    non_conflicts = frozenset(
        [WIN_DECOY, PY2_DECOY, DEV_DECOY]
        + [f[0] for f in fillers]
        + [name for specs in shared_specs for name in specs]
    )
    return GeneratedRepo(
        root=root,
        apps=apps,
        planted=planted,
        optimum=k_groups,
        non_conflicts=non_conflicts,
        assignment=assignment,
        specs=all_specs,
        python=python,
        trios=trios,
    )
