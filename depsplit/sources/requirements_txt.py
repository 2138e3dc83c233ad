"""requirements files: pip's grammar through pip-requirements-parser (the only importer of it).

We parse each file once per run and walk ``-r``/``-c`` includes ourselves, so that every
requirement carries its include chain, cycles are named, missing includes point at the
including line, and includes that leave the analysed root are refused.

``${VAR}`` references are not expanded: depsplit reads files as committed, so a result never
depends on the environment it runs in. In a URL's credentials they are kept as written; in a
version they are an error (the version cannot be known).
"""

from __future__ import annotations

import dataclasses
import optparse
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pip_requirements_parser as prp
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PkgRequirement
from packaging.utils import canonicalize_name

from depsplit.errors import InputError
from depsplit.model import IndexOption, Origin, Requirement, Role
from depsplit.redact import redact_text, redact_url
from depsplit.sources.base import ReadContext, SourceResult, as_written
from depsplit.target import marker_problem

MAX_INCLUDE_DEPTH = 32

_ENV_REF = re.compile(r"\$\{[A-Za-z0-9_]+\}")
_HIDDEN_BREAK = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
"""Characters pip's reader (``str.splitlines``) breaks lines at, and an editor does not."""
_OPTION_NAMES = {
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


@dataclass(frozen=True)
class _Req:
    line: int
    key: str
    name: str
    specifier: str
    extras: tuple[str, ...]
    marker: str | None
    url: str | None
    editable: bool


@dataclass(frozen=True)
class _Include:
    line: int
    target: str
    constraint: bool


@dataclass(frozen=True)
class _Option:
    line: int
    option: str
    value: str


@dataclass(frozen=True)
class _Error:
    line: int | None
    message: str


_Entry = _Req | _Include | _Option | _Error


class _LineParser:
    """pip-requirements-parser's line parser, with its optparse parser built once.

    The library builds a new ``OptionParser`` for every line (three quarters of its cost)
    because parsing mutates the defaults of appendable options. We keep one parser and hand
    each line fresh values: the pristine defaults with a new copy of every list (the only
    mutable defaults, which ``append`` options grow). That gives the same result as a deep
    copy, at a seventh of its cost; ``test_cached_line_parser_agrees_with_the_library``
    guards it against the corpus.
    """

    def __init__(self) -> None:
        self._parser = prp.build_parser()
        defaults = self._parser.get_default_values()
        self._defaults: dict[str, Any] = dict(vars(defaults))
        self._lists = [k for k, v in self._defaults.items() if isinstance(v, list)]
        # Anything mutable but a list would be shared between lines: refuse it loudly.
        assert all(
            v is None or isinstance(v, (bool, str, int, list)) for v in self._defaults.values()
        ), "pip-requirements-parser changed its option defaults"

    def _fresh(self) -> optparse.Values:
        data = dict(self._defaults)
        for key in self._lists:
            data[key] = list(data[key])
        values = optparse.Values()
        values.__dict__.update(data)
        return values

    def __call__(self, line: str) -> tuple[str, optparse.Values, list[str]]:
        args_str, options_str = prp.break_args_options(line)
        values = self._fresh()
        if not options_str:
            return args_str, values, []
        opts, arguments = self._parser.parse_args(prp.shlex.split(options_str), values)
        return args_str, opts, arguments


_LINE_PARSER: _LineParser | None = None


def _line_parser() -> _LineParser:
    global _LINE_PARSER
    if _LINE_PARSER is None:
        _LINE_PARSER = _LineParser()
    return _LINE_PARSER


def parse_text(text: str, file: Path, ctx: ReadContext) -> list[_Entry]:
    """Parse one requirements file's text into entries (no include is followed here)."""
    entries: list[_Entry] = []
    if _HIDDEN_BREAK.search(text):
        for number, line in enumerate(text.split("\n"), start=1):
            if found := _HIDDEN_BREAK.search(line):
                entries.append(
                    _Error(
                        number,
                        f"contains U+{ord(found[0]):04X}, which pip reads as a line break: "
                        "the file does not say what an editor shows; remove it",
                    )
                )
    parse_line = _line_parser()
    filename = str(file)
    for numbered in prp.preprocess(text):
        number, line = numbered
        if isinstance(numbered, prp.CommentLine):
            continue
        known = _PLAIN_LINES.get(line)
        if known is not None:
            entries.append(dataclasses.replace(known, line=number))
            continue
        requirement_line = prp.RequirementLine(line=line, line_number=number, filename=filename)
        try:
            req_string, options, arguments = parse_line(line)
            parsed_line = prp.ParsedLine(
                requirement_string=req_string,
                options=options,
                is_constraint=False,
                requirement_line=requirement_line,
                arguments=arguments,
            )
        except prp.OptionParsingError as exc:
            entries.append(_Error(number, f"invalid option: {exc.msg.strip()}"))
            continue
        except Exception as exc:  # the library raises bare Exceptions for odd lines
            entries.append(_Error(number, f"cannot parse line: {exc}"))
            continue
        converted = [
            e for item in prp.handle_line(parsed_line) for e in _convert(item, number, file, ctx)
        ]
        if len(converted) == 1 and isinstance(converted[0], _Req) and converted[0].url is None:
            # A requirement without a URL depends on the line's text alone (a local path
            # or a URL would depend on the file): the same line elsewhere is not reparsed.
            if len(_PLAIN_LINES) >= _PLAIN_LINES_MAX:
                _PLAIN_LINES.clear()
            _PLAIN_LINES[line] = converted[0]
        entries.extend(converted)
    return entries


_PLAIN_LINES: dict[str, _Req] = {}
"""Logical line → its requirement, for lines that hold one requirement without a URL."""
_PLAIN_LINES_MAX = 65536


def _convert(item: object, number: int, file: Path, ctx: ReadContext) -> list[_Entry]:
    if isinstance(item, prp.InvalidRequirementLine):
        if isinstance(item, prp.IncorrectRequirementLine):
            return [_Error(number, item.error_message)]
        return [_Error(number, _reason(item.error_message, item.line or ""))]
    if isinstance(item, prp.OptionLine):
        return _option_entries(item.options, number)
    assert isinstance(item, prp.ParsedRequirement)
    try:
        req = prp.build_req_from_parsedreq(item)
    except Exception as exc:
        return [_Error(number, _reason(str(exc), item.requirement_string))]
    if req.invalid_options:
        bad = prp.dumps_global_options(req.invalid_options)
        return [_Error(number, f"option not allowed on a requirement line: {bad}")]
    return [_requirement_entry(req, item, number, file, ctx)]


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


def _option_entries(options: dict[str, Any], number: int) -> list[_Entry]:
    out: list[_Entry] = []
    for dest, value in sorted(options.items()):
        if dest in prp.LEGACY_OPTIONS_DEST:
            out.append(
                _Error(number, f"unsupported legacy option: {prp.OPT_BY_OPTIONS_DEST[dest]}")
            )
        elif dest == "requirements":
            out.extend(_Include(number, v, constraint=False) for v in value)
        elif dest == "constraints":
            out.extend(_Include(number, v, constraint=True) for v in value)
        else:
            name = _OPTION_NAMES.get(dest, "--" + dest.replace("_", "-"))
            values = value if isinstance(value, list) else [value]
            for v in values:
                text = "" if v is True else str(v)
                out.append(_Option(number, name, redact_url(text) if "://" in text else text))
    return out


def _requirement_entry(req: Any, item: Any, number: int, file: Path, ctx: ReadContext) -> _Entry:
    text = item.requirement_string
    editable = bool(item.is_editable)
    pkg = req.req
    link = req.link
    marker = redact_text(str(req.marker)) if req.marker is not None else None
    if marker is not None and (problem := marker_problem(marker)) is not None:
        return _Error(number, f"invalid marker {redact_text(marker)!r}: {problem}")
    url = _local_or_url(link.url, file, ctx) if link is not None else None
    if pkg is not None:
        if _ENV_REF.search(str(pkg.specifier)):
            return _Error(number, _reason("invalid version", text))
        return _Req(
            line=number,
            key=canonicalize_name(pkg.name),
            name=pkg.name,
            specifier=as_written(pkg),
            extras=tuple(sorted(pkg.extras)),
            marker=marker,
            url=url,
            editable=editable,
        )
    if link is None or url is None:
        return _Error(number, f"cannot understand requirement {redact_text(text)!r}")
    name = link.egg_fragment or _name_from_url(link) or _local_project_name(url, ctx)
    if not name:
        return _Error(
            number,
            f"cannot tell which package {redact_text(text)!r} provides; "
            "write it as 'name @ URL' or add '#egg=name'",
        )
    return _Req(
        line=number,
        key=canonicalize_name(name),
        name=name,
        specifier="",
        extras=tuple(sorted(req.extras)),
        marker=marker,
        url=url,
        editable=editable,
    )


def _local_or_url(url: str, file: Path, ctx: ReadContext) -> str:
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
        local = file.parent / local
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


def _entries(path: Path, ctx: ReadContext) -> list[_Entry]:
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
    try:
        ctx.check_inside(path, ctx.rel(path))  # the file itself may be a symlink out
    except InputError as exc:
        result.error(exc.file, exc.message, exc.line)
        return result
    _walk(ctx.resolve(path), ctx, result, role, group, via=(), stack=())
    return result


def _walk(
    path: Path,
    ctx: ReadContext,
    result: SourceResult,
    role: Role,
    group: str | None,
    via: tuple[str, ...],
    stack: tuple[Path, ...],
) -> None:
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
    for entry in entries:
        if isinstance(entry, _Error):
            result.error(rel, entry.message, entry.line)
        elif isinstance(entry, _Option):
            result.index_options.append(
                IndexOption(entry.option, entry.value, Origin(rel, entry.line, via))
            )
        elif isinstance(entry, _Req):
            result.requirements.append(
                Requirement(
                    key=entry.key,
                    name=entry.name,
                    specifier=entry.specifier,
                    origin=Origin(rel, entry.line, via),
                    extras=entry.extras,
                    marker=entry.marker,
                    url=entry.url,
                    editable=entry.editable,
                    role=role,
                    group=group,
                )
            )
        else:
            _include(entry, path, rel, ctx, result, role, group, via, (*stack, path))


def _include(
    entry: _Include,
    path: Path,
    rel: str,
    ctx: ReadContext,
    result: SourceResult,
    role: Role,
    group: str | None,
    via: tuple[str, ...],
    stack: tuple[Path, ...],
) -> None:
    flag = "-c" if entry.constraint else "-r"
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", entry.target):
        result.error(
            rel,
            f"{flag} {redact_url(entry.target)}: remote requirement files are not read "
            "(depsplit works offline on the committed tree)",
            entry.line,
        )
        return
    target = path.parent / entry.target
    try:
        resolved = ctx.check_inside(target, rel, entry.line)
    except InputError as exc:
        result.error(exc.file, f"{flag} {entry.target}: {exc.message}", exc.line)
        return
    if resolved in stack:
        cycle = [ctx.rel(p) for p in stack[stack.index(resolved) :]] + [ctx.rel(resolved)]
        result.error(rel, f"{flag} include cycle: {' → '.join(cycle)}", entry.line)
        return
    if len(stack) >= MAX_INCLUDE_DEPTH:
        result.error(
            rel,
            f"{flag} {entry.target}: includes nested deeper than {MAX_INCLUDE_DEPTH} levels "
            "(depsplit's include-depth limit, MAX_INCLUDE_DEPTH; pip has none): flatten the "
            "chain of -r/-c files",
            entry.line,
        )
        return
    if not resolved.is_file():
        what = "is not a file" if resolved.exists() else "not found"
        result.error(rel, f"{flag} {entry.target}: included file {what}", entry.line)
        return
    new_role: Role = "constraint" if entry.constraint else role
    _walk(resolved, ctx, result, new_role, group, (*via, f"{rel}:{entry.line}"), stack)


def included_files(path: Path, ctx: ReadContext) -> list[Path]:
    """The files ``path`` includes directly (``-r`` and ``-c``), resolved; unreadable files
    and bad includes are skipped (reading reports them)."""
    try:
        entries = _entries(path.resolve(), ctx)
    except InputError:
        return []
    base = path.resolve().parent
    return [
        (base / e.target).resolve()
        for e in entries
        if isinstance(e, _Include) and "://" not in e.target
    ]
