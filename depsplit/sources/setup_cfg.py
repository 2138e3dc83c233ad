"""``setup.cfg`` (setuptools declarative config): ``[options] install_requires`` and
``python_requires``, ``[options.extras_require]``.

Read line by line, the way ``configparser`` splits it (``[section]`` headers, ``key = value``
or ``key: value`` options, indented continuation lines, whole-line ``#`` / ``;`` comments),
so every value keeps its line. A requirement list follows setuptools' ``list-semi`` rule
(``config/setupcfg.py`` ``_parse_requirements_list``): a value written on several lines has
one requirement per line (``;`` then starts a marker), while a single-line value is split
on ``;``. Lines starting with ``#`` and `` #`` comments are dropped
(``_reqs.parse_strings`` → ``text.drop_comment``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from depsplit.model import Origin, PythonRequirement, Role
from depsplit.sources.base import (
    ReadContext,
    SourceResult,
    parse_requirement,
    read_text_or_report,
)
from depsplit.sources.locate import canonical_specifier, localize

_SECTION = re.compile(r"\[(?P<name>[^\]]+)\]")
_OPTION = re.compile(r"(?P<key>[^=:\s][^=:]*?)\s*[=:]\s*(?P<value>.*)$")


@dataclass
class _Option:
    line: int
    lines: list[tuple[int, str]] = field(default_factory=list)
    """The value's lines (the key line's remainder first, when not empty)."""


def _parse(text: str) -> dict[str, dict[str, _Option]]:
    """Sections → options (option names lower-cased, as ``configparser`` does). Where
    ``configparser`` refuses a repeated section or option, the section continues and the
    option keeps its last value."""
    sections: dict[str, dict[str, _Option]] = {}
    options: dict[str, _Option] | None = None
    current: _Option | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if line[0].isspace():
            if current is not None:
                current.lines.append((number, stripped))
            continue
        current = None
        if stripped[0] == "[" and (section := _SECTION.fullmatch(stripped)):
            options = sections.setdefault(section["name"].strip(), {})
        elif options is not None and (option := _OPTION.match(stripped)):
            current = _Option(number)
            if option["value"].strip():
                current.lines.append((number, option["value"].strip()))
            options[option["key"].strip().lower()] = current
    return sections


def declares_install_requires(text: str) -> bool:
    """Whether a ``setup.cfg`` has ``install_requires`` in ``[options]`` (what makes its
    directory an app), read as :func:`read` reads it."""
    return "install_requires" in _parse(text).get("options", {})


def _requirement_lines(option: _Option) -> list[tuple[int, str]]:
    """setuptools ``_parse_list_semicolon`` + comment dropping, keeping lines. The value is
    "single-line" only when it is all on the key's line (``key =`` followed by one indented
    line is ``"\nvalue"`` to configparser: several lines)."""
    if len(option.lines) == 1 and option.lines[0][0] == option.line:
        number, value = option.lines[0]
        chunks = [(number, chunk) for chunk in value.split(";")]
    else:
        chunks = option.lines
    out = []
    for number, chunk in chunks:
        chunk = chunk.partition(" #")[0].strip()
        if chunk and not chunk.startswith("#"):
            out.append((number, chunk))
    return out


def read(path: Path, ctx: ReadContext) -> SourceResult:
    """Read the requirements of a ``setup.cfg``.

    ``install_requires`` is ``main``; each ``[options.extras_require]`` key is ``optional``
    (group: the extra); ``python_requires`` gives a :class:`PythonRequirement`. A
    ``file:`` value (read by setuptools from another file) is reported as a warning and
    not followed. Never raises for bad content: each bad entry is one error diagnostic.
    """
    result = SourceResult()
    rel = ctx.rel(path)
    text = read_text_or_report(path, ctx, result)
    if text is None:
        return result
    sections = _parse(text)
    options = sections.get("options", {})
    if "install_requires" in options:
        _requirements(
            options["install_requires"], "install_requires", "main", None, rel, result, ctx
        )
    for extra, option in sections.get("options.extras_require", {}).items():
        _requirements(option, f"extras_require {extra}", "optional", extra, rel, result, ctx)
    if "python_requires" in options:
        option = options["python_requires"]
        value = " ".join(v for _, v in option.lines)
        spec = canonical_specifier(value, ctx)
        if spec is None:
            result.error(rel, f"invalid python_requires {value!r}", option.line)
        else:
            result.python.append(PythonRequirement(spec, Origin(rel, option.line)))
    return result


def _requirements(
    option: _Option,
    what: str,
    role: Role,
    group: str | None,
    rel: str,
    result: SourceResult,
    ctx: ReadContext,
) -> None:
    if option.lines and option.lines[0][1].startswith("file:"):
        result.warning(
            rel,
            f"{what} is read from another file ({option.lines[0][1]}); it is not followed",
            option.line,
        )
        return
    for number, text in _requirement_lines(option):
        try:
            req = parse_requirement(text, Origin(rel, number), role=role, group=group, ctx=ctx)
        except ValueError as exc:
            result.error(rel, f"invalid requirement {text!r} in {what}: {exc}", number)
            continue
        result.requirements.append(localize(req, ctx))
