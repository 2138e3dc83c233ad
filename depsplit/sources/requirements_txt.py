"""requirements files: pip's grammar through pip-requirements-parser (the only importer of it).

We parse each file once per run and walk ``-r``/``-c`` includes ourselves, so that every
requirement carries its include chain, cycles are named, missing includes point at the
including line, and includes that leave the analysed root are refused.

``${VAR}`` references are not expanded: depsplit reads files as committed, so a result never
depends on the environment it runs in. In a URL's credentials they are kept as written; in a
version they are an error (the version cannot be known).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pip_requirements_parser as prp
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PkgRequirement
from packaging.utils import canonicalize_name

from depsplit.errors import InputError
from depsplit.model import IndexOption, Origin, Requirement, Role
from depsplit.redact import redact_text, redact_url
from depsplit.sources.base import (
    ReadContext,
    SourceResult,
    as_written,
    run_memo,
    simple_pep508,
)
from depsplit.specalgebra import MAX_CLAUSES, clause_problem
from depsplit.target import MAX_MARKER_LENGTH, marker_problem, short

MAX_INCLUDE_DEPTH = 32

_ENV_REF = re.compile(r"\$\{[A-Za-z0-9_]+\}")
_HIDDEN_BREAK = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
"""Characters pip's reader (``str.splitlines``) breaks lines at, and an editor does not."""
_OPTION_NAMES = MappingProxyType(
    {
        "index_url": "--index-url",
        "extra_index_urls": "--extra-index-url",
        "find_links": "--find-links",
        "trusted_hosts": "--trusted-host",
        "no_index": "--no-index",
        "pre": "--pre",
        "prefer_binary": "--prefer-binary",
        "require_hashes": "--require-hashes",
        "no_binary": "--no-binary",
        "only_binary": "--only-binary",
        "use_feature": "--use-feature",
        "features_enabled": "--use-feature",
    }
)


@dataclass(frozen=True)
class _Req:
    key: str
    name: str
    specifier: str
    extras: tuple[str, ...]
    marker: str | None
    url: str | None
    editable: bool


@dataclass(frozen=True)
class _Include:
    target: str
    constraint: bool


@dataclass(frozen=True)
class _Option:
    option: str
    value: str


@dataclass(frozen=True)
class _Error:
    message: str


def _requirement(
    name: str,
    specifier: str,
    extras: Iterable[str],
    *,
    marker: str | None = None,
    url: str | None = None,
    editable: bool = False,
) -> _Req:
    """A requirement line's :class:`_Req`, whichever way the line was read (the plain-line
    way of :func:`_simple_requirement` or the library's): its key the PEP 503 name, its
    extras sorted."""
    return _Req(
        key=canonicalize_name(name),
        name=name,
        specifier=specifier,
        extras=tuple(sorted(extras)),
        marker=marker,
        url=url,
        editable=editable,
    )


_Item = _Req | _Include | _Option | _Error
_Entry = tuple[int, _Item]
"""What a line says, and the number of the line (the first one of a continued line)."""
_File = str | os.PathLike[str]
"""A requirements file (a path string, or a Path)."""


def parse_text(text: str, file: _File, ctx: ReadContext) -> list[_Entry]:
    """Parse one requirements file's text into entries (no include is followed here)."""
    entries: list[_Entry] = []
    if _HIDDEN_BREAK.search(text):
        for number, line in enumerate(text.split("\n"), start=1):
            if found := _HIDDEN_BREAK.search(line):
                entries.append(
                    (
                        number,
                        _Error(
                            f"contains U+{ord(found[0]):04X}, which pip reads as a line break: "
                            "the file does not say what an editor shows; remove it"
                        ),
                    )
                )
    lines = text.splitlines()  # what the library's preprocess splits
    if "\\" in text and any(line.endswith("\\") for line in lines):
        # A continuation joins lines: the library's own preprocessing of the whole file.
        for numbered in prp.preprocess(text):
            if not isinstance(numbered, prp.CommentLine):
                number, line = numbered
                entries.extend((number, item) for item in _logical_line(line, number, file, ctx))
        return entries
    # Without a continuation, each line is preprocessed on its own (the library's join_lines
    # passes it through, and split_comments looks at it alone): what it says depends on its
    # text alone when it can be remembered (see _remember).
    physical = _memo(ctx, "physical")
    for number, line in enumerate(lines, start=1):
        items = physical.get(line)
        if items is None:
            items = ()
            for numbered in prp.split_comments(prp.join_lines(iter([(number, line)]))):
                if not isinstance(numbered, prp.CommentLine):
                    items += _logical_line(numbered.line, number, file, ctx)
            _remember(physical, line, items)
        entries.extend([(number, item) for item in items])
    return entries


_LINES_MAX = 65536
"""Lines each memo of :func:`_memo` holds at most (it starts over when full)."""


def _memo(ctx: ReadContext, kind: str) -> dict[str, tuple[_Item, ...]]:
    """The run's memo of what lines say (:func:`~depsplit.sources.base.run_memo`):
    ``"physical"``, a line of a file without continuations; ``"logical"``, a logical line
    (comment removed, continuations joined)."""
    return run_memo(ctx, __name__, kind)


def _remember(memo: dict[str, tuple[_Item, ...]], line: str, items: tuple[_Item, ...]) -> None:
    """Remember what a line says when that depends on the line's text alone, so that the
    same line in another file (a monorepo repeats them by the thousand) is not parsed again.

    Includes and options (their targets and values are kept as written) and requirements
    without a URL do; a URL or a local path depends on the file (it is made relative to the
    root), and an error may depend on the file system (a local project's name), so a line
    with either is parsed wherever it appears. The memo is per run and bounded."""
    for item in items:
        if isinstance(item, _Req):
            if item.url is not None:
                return
        elif not isinstance(item, (_Include, _Option)):
            return
    if len(memo) >= _LINES_MAX:
        memo.clear()
    memo[line] = items


def _logical_line(line: str, number: int, file: _File, ctx: ReadContext) -> tuple[_Item, ...]:
    """What one logical line of ``file`` says (``number`` only names it to the library)."""
    logical = _memo(ctx, "logical")
    known = logical.get(line)
    if known is not None:
        return known
    simple = _simple_requirement(line)
    items = (simple,) if simple is not None else _library_line(line, number, file, ctx)
    _remember(logical, line, items)
    return items


def _library_line(line: str, number: int, file: _File, ctx: ReadContext) -> tuple[_Item, ...]:
    """What one logical line says, the library's way."""
    _, semicolon, marker = line.partition(";")
    if semicolon and len(marker.strip()) > MAX_MARKER_LENGTH:
        # Refused before the library parses it: its tokenizer is slow on megabytes.
        shown = short(marker.strip())
        return (
            _Error(
                f"invalid marker {shown!r}: {len(marker.strip())} characters long: over "
                f"depsplit's limit of {MAX_MARKER_LENGTH} (MAX_MARKER_LENGTH)"
            ),
        )
    requirement_line = prp.RequirementLine(line=line, line_number=number, filename=os.fspath(file))
    try:
        req_string, options, arguments = prp.get_line_parser()(line)
        parsed_line = prp.ParsedLine(
            requirement_string=req_string,
            options=options,
            is_constraint=False,
            requirement_line=requirement_line,
            arguments=arguments,
        )
    except prp.OptionParsingError as exc:
        return (_Error(f"invalid option: {exc.msg.strip()}"),)
    except Exception as exc:  # the library raises bare Exceptions for odd lines
        return (_Error(f"cannot parse line: {exc}"),)
    return tuple(e for item in prp.handle_line(parsed_line) for e in _convert(item, file, ctx))


_SIMPLE_CHARS = re.compile(r"[A-Za-z0-9._\-\[\],=!~<>*+ ]+")
_ARCHIVE_EXTENSION = re.compile("|".join(map(re.escape, prp.ARCHIVE_EXTENSIONS)))
"""Any of the library's archive extensions, found anywhere (``extension in line``)."""


def _simple_requirement(line: str) -> _Req | None:
    """The requirement of a plain ``name[extras]<specifiers>`` line, parsed by packaging
    alone, or ``None``: the line then takes the library's way.

    For such a line the library's way comes to the same, at three times the cost (most of a
    real repository's lines are like this, and most are written once): without this way,
    analysing realpython/materials takes 1.49 s instead of 1.05 s, the whole corpus 1.35 s
    instead of 0.87 s (best of 7, a busy 2-CPU machine). Both ways make their
    :class:`_Req` with :func:`_requirement`. Its characters
    (letters, digits, ``._-[],=!~<>*+`` and spaces) hold no option (no token starts with
    ``-``), no URL or scheme (``:``), no ``name @ url`` (``@``), no marker (``;``), no
    comment, no ``${VAR}`` and no path (``/``, ``\\``, a leading ``.``); no archive
    extension either (the library takes ``foo.zip`` for a file), and no trailing
    ``[extras]`` (which it parses on its own). The library then hands the whole line to
    packaging's ``Requirement``; whatever packaging refuses, or reads as a URL or a marker,
    or a version ending in ``]`` (which the library refuses), takes the library's way, so
    that its error message is kept. ``test_simple_lines_read_as_the_library_reads_them``
    checks the two ways agree.
    """
    if (
        not _SIMPLE_CHARS.fullmatch(line)
        or line.startswith((".", "-"))
        or " -" in line
        or line.endswith("]")
    ):
        return None
    if _ARCHIVE_EXTENSION.search(line.lower()):
        return None
    simple = simple_pep508(line)  # packaging's reading of a bare name<specifiers>
    if simple is not None:
        name, specifiers = simple
        extras: tuple[str, ...] = ()
    else:
        try:
            pkg = PkgRequirement(line)
        except InvalidRequirement:
            return None
        if pkg.url is not None or pkg.marker is not None:
            return None
        name, specifiers, extras = pkg.name, pkg.specifier, tuple(pkg.extras)
    if any(str(spec).endswith("]") for spec in specifiers):
        return None
    if len(specifiers) > MAX_CLAUSES:
        return None  # the library's way, which reports it
    # ``str()`` of the set: its clauses sorted and deduplicated. (This reader has always
    # given them so: ``as_written`` used to run after a ``str()`` of the set, which
    # leaves the set holding them in that order.) No ``${VAR}`` can be in that text: the
    # line holds no ``$``.
    return _requirement(name, str(specifiers), extras)


def _convert(item: object, file: _File, ctx: ReadContext) -> list[_Item]:
    if isinstance(item, prp.InvalidRequirementLine):
        if isinstance(item, prp.IncorrectRequirementLine):
            return [_Error(item.error_message)]
        return [_Error(_reason(item.error_message, item.line or ""))]
    if isinstance(item, prp.OptionLine):
        return _option_entries(item.options)
    assert isinstance(item, prp.ParsedRequirement)
    try:
        req = prp.build_req_from_parsedreq(item)
    except Exception as exc:
        return [_Error(_reason(str(exc), item.requirement_string))]
    if req.invalid_options:
        bad = prp.dumps_global_options(req.invalid_options)
        return [_Error(f"option not allowed on a requirement line: {bad}")]
    return [_requirement_entry(req, item, file, ctx)]


def _reason(message: str, line: str) -> str:
    """A one-line reason for a bad requirement line, preferring packaging's own wording."""
    try:
        PkgRequirement(line)
    except InvalidRequirement as exc:
        message = str(exc)
    else:
        message = message.strip() or "invalid requirement"
    lines = [x for x in message.splitlines() if x.strip()]
    reason = f"invalid requirement {redact_text(line)!r}: {lines[0] if lines else message}"
    if len(lines) >= 3 and set(lines[-1].strip()) <= {"^", "~"}:
        # packaging points at the column: keep it in one line.
        reason += f" (at column {len(lines[-1]) - len(lines[-1].lstrip()) + 1})"
    ref = _ENV_REF.search(line)
    if ref:
        reason += f"; environment variable references like {ref[0]} are not expanded"
    return reason


def _option_entries(options: dict[str, Any]) -> list[_Item]:
    out: list[_Item] = []
    for dest, value in sorted(options.items()):
        if dest in prp.LEGACY_OPTIONS_DEST:
            out.append(_Error(f"unsupported legacy option: {prp.OPT_BY_OPTIONS_DEST[dest]}"))
        elif dest == "requirements":
            out.extend(_Include(v, constraint=False) for v in value)
        elif dest == "constraints":
            out.extend(_Include(v, constraint=True) for v in value)
        else:
            name = _OPTION_NAMES.get(dest, "--" + dest.replace("_", "-"))
            values = value if isinstance(value, list) else [value]
            for v in values:
                text = "" if v is True else str(v)
                out.append(_Option(name, redact_url(text) if "://" in text else text))
    return out


def _requirement_entry(req: Any, item: Any, file: _File, ctx: ReadContext) -> _Item:
    text = item.requirement_string
    editable = bool(item.is_editable)
    pkg = req.req
    link = req.link
    marker = redact_text(str(req.marker)) if req.marker is not None else None
    if marker is not None and (problem := marker_problem(marker)) is not None:
        return _Error(f"invalid marker {short(redact_text(marker))!r}: {problem}")
    url = _local_or_url(link.url, file, ctx) if link is not None else None
    if pkg is not None:
        if _ENV_REF.search(str(pkg.specifier)):
            return _Error(_reason("invalid version", text))
        if (problem := clause_problem(as_written(pkg))) is not None:
            return _Error(problem)
        return _requirement(
            pkg.name, as_written(pkg), pkg.extras, marker=marker, url=url, editable=editable
        )
    if link is None or url is None:
        return _Error(f"cannot understand requirement {redact_text(text)!r}")
    name = link.egg_fragment or _name_from_url(link) or _local_project_name(url, ctx)
    if not name:
        return _Error(
            f"cannot tell which package {redact_text(text)!r} provides; "
            "write it as 'name @ URL' or add '#egg=name'",
        )
    return _requirement(name, "", req.extras, marker=marker, url=url, editable=editable)


def _local_or_url(url: str, file: _File, ctx: ReadContext) -> str:
    """Remote URLs are redacted; local paths become ``file:<path relative to the root>`` so
    that two apps naming the same directory name the same thing."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", url) and not url.startswith("file://"):
        return redact_url(url)
    # A URL inside a path (a continuation glued "pkg\" to "-e https://tok@…"): redact it
    # before the path is normalized and its "//" collapsed out of redact_text's reach.
    url = redact_text(url)
    path_text = url
    if url.startswith("file://"):
        path_text = prp.url_to_path(url)
    elif url.startswith("file:"):
        path_text = url[len("file:") :]
    path_text = path_text.split("#", 1)[0]
    local = Path(path_text)
    if not local.is_absolute():
        local = Path(file).parent / local
    return "file:" + ctx.rel(local)


def _name_from_url(link: Any) -> str | None:
    filename = link.filename
    if filename.endswith(".whl"):
        return str(filename.split("-", 1)[0]).replace("_", "-")
    return None


def _local_project_name(url: str, ctx: ReadContext) -> str | None:
    if not url.startswith("file:") or "://" in url:
        return None
    directory = ctx.root / url[len("file:") :]
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        try:
            from depsplit.sources import pyproject as pyproject_reader

            return pyproject_reader.project_name(pyproject, ctx)
        except (ImportError, AttributeError):  # pragma: no cover - reader always present
            return None
    return None


def include_targets(text: str, file: _File, ctx: ReadContext) -> list[str]:
    """The ``-r``/``-c`` targets of a requirements file's text, as written (none followed)."""
    return [item.target for _, item in parse_text(text, file, ctx) if isinstance(item, _Include)]


def _entries(path: str, ctx: ReadContext) -> list[_Entry]:
    """The entries of the file at the resolved ``path``, parsed once per run."""
    key = ("requirements_txt", path)
    cached = ctx.cache.get(key)
    if cached is None:
        cached = parse_text(ctx.read_text(path), path, ctx)
        ctx.cache[key] = cached
    assert isinstance(cached, list)
    return cached


def read(
    path: Path, ctx: ReadContext, *, role: Role = "main", group: str | None = None
) -> SourceResult:
    """Read a requirements file and everything it includes.

    Requirements of a ``-c`` file (and of files it includes) get role ``constraint``. Every
    problem is a diagnostic on the file and line that caused it; reading goes on.
    """
    result = SourceResult()
    file = os.fspath(path)
    try:
        resolved = ctx.check_inside(file, ctx.rel(file))  # it may be a symlink out
    except InputError as exc:
        result.error(exc.file, exc.message, exc.line)
        return result
    _walk(resolved, ctx, result, role, group, via=(), stack=())
    return result


def _walk(
    path: str,
    ctx: ReadContext,
    result: SourceResult,
    role: Role,
    group: str | None,
    via: tuple[str, ...],
    stack: tuple[str, ...],
) -> None:
    """Add what the file at the resolved ``path`` says, and what it includes, to ``result``.
    Paths here are resolved path strings (pathlib's objects cost more than the reading)."""
    rel = ctx.rel(path)
    try:
        entries = _entries(path, ctx)
    except InputError as exc:
        if via:
            # The including line is where the user can act.
            file, _, line = via[-1].rpartition(":")
            result.error(file, f"cannot include {rel}: {exc.message}", int(line))
        else:
            result.error(exc.file, exc.message, exc.line)
        return
    if rel not in result.files:
        result.files.append(rel)
    requirements = result.requirements
    for number, entry in entries:
        if isinstance(entry, _Req):
            requirements.append(
                Requirement(
                    key=entry.key,
                    name=entry.name,
                    specifier=entry.specifier,
                    origin=Origin(rel, number, via),
                    extras=entry.extras,
                    marker=entry.marker,
                    url=entry.url,
                    editable=entry.editable,
                    role=role,
                    group=group,
                )
            )
        elif isinstance(entry, _Error):
            result.error(rel, entry.message, number)
        elif isinstance(entry, _Option):
            result.index_options.append(
                IndexOption(entry.option, entry.value, Origin(rel, number, via))
            )
        else:
            _include(number, entry, path, rel, ctx, result, role, group, via, (*stack, path))


def _include(
    number: int,
    entry: _Include,
    path: str,
    rel: str,
    ctx: ReadContext,
    result: SourceResult,
    role: Role,
    group: str | None,
    via: tuple[str, ...],
    stack: tuple[str, ...],
) -> None:
    flag = "-c" if entry.constraint else "-r"
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", entry.target):
        result.error(
            rel,
            f"{flag} {redact_url(entry.target)}: remote requirement files are not read "
            "(depsplit works offline on the committed tree)",
            number,
        )
        return
    target = _join(path, entry.target, ctx)
    try:
        resolved = ctx.check_inside(target, rel, number)
    except InputError as exc:
        result.error(exc.file, f"{flag} {entry.target}: {exc.message}", exc.line)
        return
    if resolved in stack:
        cycle = [ctx.rel(p) for p in stack[stack.index(resolved) :]] + [ctx.rel(resolved)]
        result.error(rel, f"{flag} include cycle: {' → '.join(cycle)}", number)
        return
    if len(stack) >= MAX_INCLUDE_DEPTH:
        result.error(
            rel,
            f"{flag} {entry.target}: includes nested deeper than {MAX_INCLUDE_DEPTH} levels "
            "(depsplit's include-depth limit, MAX_INCLUDE_DEPTH; pip has none): flatten the "
            "chain of -r/-c files",
            number,
        )
        return
    resolved_path = ctx.resolve(target)
    if not resolved_path.is_file():
        what = "is not a file" if resolved_path.exists() else "not found"
        result.error(rel, f"{flag} {entry.target}: included file {what}", number)
        return
    new_role: Role = "constraint" if entry.constraint else role
    _walk(resolved, ctx, result, new_role, group, (*via, f"{rel}:{number}"), stack)


def _join(path: str, target: str, ctx: ReadContext) -> str:
    """``Path(path).parent / target`` as a string, memoized per run (pathlib normalizes
    the joined path: ``./``, ``//`` and a trailing ``/`` go, an absolute target wins)."""
    key = ("requirements_txt.join", path, target)
    found = ctx.cache.get(key)
    if found is None:
        found = ctx.cache[key] = os.fspath(Path(path).parent / target)
    assert isinstance(found, str)
    return found
