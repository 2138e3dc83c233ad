"""Read a generated requirements file with pip's own parser (``pip._internal``: the code
``pip install -r`` runs, in this interpreter) and check that every requirement line reads
back as written: same name, extras, specifier, marker and URL, nothing cut off as a comment
or an option, nothing expanded.

A helper of the tests, never of depsplit (which must not depend on pip's internals)."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def written_lines(text: str) -> list[tuple[int, str]]:
    """``(line number, requirement)`` of every requirement line of a generated file: not a
    comment, blank or option; ``--hash`` continuation lines folded away."""
    out: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "-")):
            continue
        out.append((number, line.removesuffix("\\").rstrip()))
    return out


def _shape(req: Requirement) -> tuple[str, tuple[str, ...], str, str, str]:
    return (
        canonicalize_name(req.name),
        tuple(sorted(req.extras)),
        str(SpecifierSet(str(req.specifier))),
        str(Marker(str(req.marker))) if req.marker else "",
        req.url or "",
    )


def pip_reads(path: Path, cwd: Path) -> list[tuple[int, str]]:
    """Every requirement pip reads from ``path`` (relative paths from ``cwd``, as pip in
    the image reads them from its working directory): ``(line, what)``. Raises pip's own
    error when it cannot read the file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pip._internal.req.constructors import install_req_from_parsed_requirement
        from pip._internal.req.req_file import parse_requirements

        out: list[tuple[int, str]] = []
        with _cwd(cwd):
            for parsed in parse_requirements(str(path), session=None):  # type: ignore[arg-type]
                line = int(parsed.comes_from.rsplit("(line ", 1)[1].rstrip(")"))
                ireq = install_req_from_parsed_requirement(parsed)
                if ireq.req is None:  # a local path
                    out.append((line, parsed.requirement))
                    continue
                text = str(ireq.req)
                if ireq.markers is not None and ireq.req.marker is None:
                    text += f"; {ireq.markers}"
                if ireq.link is not None and not ireq.req.url:
                    text = parsed.requirement
                out.append((line, text))
        return out


def assert_pip_reads_as_written(path: Path, cwd: Path) -> int:
    """pip reads every requirement line of ``path`` exactly as written; the number read."""
    text = path.read_text(encoding="utf-8")
    mine = written_lines(text)
    theirs = pip_reads(path, cwd)
    assert [n for n, _ in theirs] == [n for n, _ in mine], (path, theirs, mine)
    for (number, line), (_, read) in zip(mine, theirs, strict=True):
        if line.startswith("./"):
            assert read == line, (path, number, line, read)
            continue
        assert _shape(Requirement(read)) == _shape(Requirement(line)), (path, number, line, read)
    return len(mine)
