"""A group's ``requirements.txt``: the union of its members' production requirements that
apply in the group's container, merged per package (PEP 503 name).

- One line per package with the combined specifier: the AND of every member's specifier
  set, written canonically (``packaging`` sorts and de-duplicates it). Extras are united; a
  marker is kept only when every member wrote the same one (they all evaluate true in this
  container anyway, or the requirement would not be here).
- A comment above each line names the apps and the ``file:line`` each one comes from.
- Lock-file pins (role ``lock``) are merged the same way, so a locked app's pins are kept.
  Hashes are not written: the model does not carry them yet.
- Every line is written as packaging normalises it (``str(Marker)``: one space between
  tokens, no line break), and must read back unchanged through pip's requirements-file
  grammar (:func:`pip_problem`). A marker pip would misread (a string holding `` #``, which
  pip takes for a comment, `` -``, which it takes for an option, or ``${VAR}``, which it
  expands) is left out with a note: the requirement is in this file because the marker
  holds in this container. A line that still cannot be read is commented out with a TODO.
- A URL is kept as written; a URL whose credentials were redacted (``****``) cannot be
  installed from this file: the line is commented out with a TODO (use a build secret).
- A local path dependency (``file:libs/common``, relative to the analysed root) becomes
  ``./libs/common``: pip reads it relative to its working directory, ``/app`` in the image,
  where the Dockerfile copies that directory, or the analysed root on a developer machine.
- Index options without credentials are written; one with (redacted) credentials is left
  out, and :attr:`GroupRequirements.secrets` tells the Dockerfile to read it from a build
  secret instead.

With ``--transitive``, and with ``generate --lock`` (its default with the index facts), the
group carries its lock (:attr:`~depsplit.model.Group.lock`, the
resolution of its members' union at its interpreter) and the file is that lock instead:
``name==version`` for every package of the closure, each with the ``--hash`` options of the
files the container may install and a comment naming the apps (and ``file:line``) or the
packages it comes from. Lines the index cannot resolve (direct URLs, local paths, a server
package added for an app's command) follow the pins as they would without a lock; pip's
hash-checking mode refuses such lines, so the hashes are then left out, as they are when the
index gave none.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from depsplit import specalgebra
from depsplit.emit.text import comment_safe
from depsplit.model import App, Group, LockedPin, Origin, Plan, Requirement
from depsplit.pieces import Pieces
from depsplit.redact import REDACTED
from depsplit.report.common import applies

if TYPE_CHECKING:
    from depsplit.emit.build import Generation

SECRET_ENV = {
    "--index-url": "PIP_INDEX_URL",
    "-i": "PIP_INDEX_URL",
    "--find-links": "PIP_FIND_LINKS",
    "-f": "PIP_FIND_LINKS",
}
"""Index options whose credentials come from a build secret, by the pip variable they set."""
EXTRA_SECRET_ENV = "PIP_EXTRA_INDEX_URL"
KEPT_OPTIONS = ("--index-url", "-i", "--extra-index-url", "--find-links", "-f", "--trusted-host")


def _secret_howto(secrets: tuple[str, ...]) -> str:
    """How to pass the build secrets (ids as :data:`depsplit.emit.dockerfile.SECRET_IDS`)."""
    flags = " ".join(f"--secret id={env.lower()},env={env}" for env in secrets)
    return (
        f"Pass the URL with its credentials at build time: {secrets[0]}=… docker build "
        f"{flags} … (docker compose build reads them from the environment)."
    )


@dataclass(frozen=True)
class Line:
    key: str
    text: str | None
    """The requirement to write, or ``None`` when it cannot be installed as is."""
    sources: tuple[tuple[str, Origin], ...]
    """``(app, origin)`` of every member requirement merged into this line."""
    notes: tuple[str, ...] = ()
    """Extra comment lines (warnings, TODOs)."""


@dataclass(frozen=True)
class GroupRequirements:
    lines: tuple[Line, ...]
    index_lines: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    """pip environment variables (``PIP_INDEX_URL``…) to take from build secrets."""
    local_paths: tuple[str, ...] = ()
    """Root-relative directories installed as local path dependencies."""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(line.key for line in self.lines)


_PIP_COMMENT = re.compile(r"(^|\s+)#")
"""pip's ``COMMENT_RE`` (``req_file.py``): from a ``#`` at the start or after whitespace,
the rest of the line is a comment, inside a quoted marker string too."""
_PIP_ENV_VAR = re.compile(r"\$\{[A-Z0-9_]+\}")
"""pip's ``ENV_VAR_RE``: ``${NAME}`` is replaced by the variable's value when it is set."""


def pip_problem(line: str) -> str | None:
    """Why pip would not read the requirement ``line`` of a requirements file as written,
    else ``None``. pip's ``req_file.py`` preprocesses every line before it parses the
    requirement: it joins a line ending in ``\\`` to the next, strips a comment
    (:data:`_PIP_COMMENT`), expands ``${VAR}`` (:data:`_PIP_ENV_VAR`), and
    ``break_args_options`` cuts the line at the first space-separated token starting with
    ``-``: the rest is parsed as options. None of these knows about quoted strings."""
    if "\n" in line or "\r" in line:
        return "it holds a line break"
    if line.endswith("\\"):
        return "it ends in a backslash (pip joins the next line to it)"
    if _PIP_COMMENT.search(line):
        return "pip reads a '#' after a space as the start of a comment"
    if any(token.startswith("-") for token in line.split(" ")):
        return "pip reads a word starting with '-' as an option"
    if _PIP_ENV_VAR.search(line):
        return "pip replaces ${NAME} with an environment variable"
    return None


def _normal_marker(marker: str | None) -> str | None:
    """``marker`` as packaging writes it (one line, single spaces, double quotes)."""
    if not marker:
        return None
    try:
        return str(Marker(marker))
    except InvalidMarker:  # the reader reported it; written as is (pip will refuse it)
        return marker


def local_path(url: str) -> str | None:
    """The root-relative directory of a ``file:`` local path dependency, else ``None``."""
    if not url.startswith("file:") or "://" in url:
        return None
    return posixpath.normpath(url[len("file:") :].split("#", 1)[0])


def _merge_specifiers(specs: list[str]) -> tuple[str, bool]:
    """The AND of ``specs`` written canonically, and whether any version satisfies it.
    Each distinct text once: a group of thousands of apps repeats a few specifiers, and
    the set (which drops equal clauses anyway) would parse every copy."""
    parts = sorted({s for s in specs if s})
    if not parts:
        return "", True
    try:
        merged = SpecifierSet(",".join(parts))
    except InvalidSpecifier:
        return ",".join(sorted(set(parts))), True
    return str(merged), not specalgebra.is_unsatisfiable(merged)


def _extras(reqs: list[Requirement]) -> str:
    extras = sorted({e for r in reqs for e in r.extras})
    return f"[{','.join(extras)}]" if extras else ""


def _line(
    key: str, entries: list[tuple[str, Requirement]], python: str = ""
) -> tuple[Line, str | None]:
    line, path = _line_as_written(key, entries, python)
    if line.text is None:
        return line, path
    problem = pip_problem(line.text)
    if problem is not None:
        note = f"TODO: not written, pip cannot read it ({problem}): {line.text}"
        return Line(key, None, line.sources, (*line.notes, note)), None
    return line, path


def _line_as_written(
    key: str, entries: list[tuple[str, Requirement]], python: str
) -> tuple[Line, str | None]:
    reqs = [r for _, r in entries]
    sources = tuple((app, r.origin) for app, r in entries)
    name = reqs[0].name
    extras = _extras(reqs)
    markers = {_normal_marker(m) for m in {r.marker for r in reqs}}
    marker = next(iter(markers)) if len(markers) == 1 else None
    notes: list[str] = []
    problem = pip_problem(f"x; {marker}") if marker else None
    if marker and problem is not None:
        where = f"CPython {python}" if python else "this container"
        notes.append(
            f"NOTE: marker left out, pip cannot read it ({problem}): {marker}; it holds "
            f"in this container ({where}), or the requirement would not be here"
        )
        marker = None
    suffix = f"; {marker}" if marker else ""
    urls = sorted({r.url for r in reqs if r.url})
    if urls:
        url = urls[0]
        if len(urls) > 1:
            notes.append(f"WARNING: members ask for different URLs: {', '.join(urls)}")
        path = local_path(url)
        if path is not None:
            if path.startswith("../") or path == ".." or path.startswith("/"):
                notes.append(
                    f"TODO: {name} is a local path outside the analysed root ({path}): "
                    "copy it into the build context"
                )
                return Line(key, None, sources, tuple(notes)), None
            return Line(key, f"./{path}{extras}{suffix}", sources, tuple(notes)), path
        if REDACTED in url:
            notes.append(
                f"TODO: {name}{extras} @ {url} needs credentials: install it with the URL "
                "taken from a build secret (RUN --mount=type=secret), never written here"
            )
            return Line(key, None, sources, tuple(notes)), None
        if url.startswith("file:"):
            notes.append(f"TODO: {name} @ {url} is an absolute file URL: copy it into the image")
            return Line(key, None, sources, tuple(notes)), None
        text = f"{name}{extras} @ {url}{' ' if marker else ''}{suffix}"
        return Line(key, text, sources, tuple(notes)), None
    specifier, satisfiable = _merge_specifiers([r.specifier for r in reqs])
    if not satisfiable:
        notes.append(f"WARNING: no version of {name} satisfies every member ({specifier})")
    return Line(key, f"{name}{extras}{specifier}{suffix}", sources, tuple(notes)), None


def merge(plan: Plan, group: Group) -> GroupRequirements:
    """Merge the production requirements of ``group``'s members for its interpreter."""
    by_key: dict[str, list[tuple[str, Requirement]]] = defaultdict(list)
    members: list[App] = [plan.app(name) for name in sorted(group.apps)]
    for app in members:
        for req in app.requirements:
            if applies(plan, app, req, group.python):
                by_key[req.key].append((app.name, req))
    lines: list[Line] = []
    local: set[str] = set()
    for key in sorted(by_key):
        entries = sorted(by_key[key], key=lambda e: (e[0], e[1].origin, e[1].specifier))
        line, path = _line(key, entries, group.python)
        lines.append(line)
        if path is not None:
            local.add(path)
    index_lines: list[str] = []
    secrets: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for app in members:
        for opt in app.index_options:
            option = "--index-url" if opt.option == "-i" else opt.option
            option = "--find-links" if option == "-f" else option
            if option not in KEPT_OPTIONS or (option, opt.value) in seen:
                continue
            seen.add((option, opt.value))
            if REDACTED in opt.value:
                secrets.add(SECRET_ENV.get(option, EXTRA_SECRET_ENV))
                continue
            if comment_safe(opt.value) != opt.value:
                continue
            index_lines.append(f"{option} {opt.value}")
    if sum(1 for line in index_lines if line.startswith("--index-url ")) > 1:
        first = True
        rewritten = []
        for option in index_lines:
            if option.startswith("--index-url "):
                if not first:
                    option = "--extra-index-url " + option.split(" ", 1)[1]
                first = False
            rewritten.append(option)
        index_lines = rewritten
    return GroupRequirements(
        lines=tuple(lines),
        index_lines=tuple(index_lines),
        secrets=tuple(sorted(secrets)),
        local_paths=tuple(sorted(local)),
    )


def with_servers(reqs: GroupRequirements, servers: dict[str, list[str]]) -> GroupRequirements:
    """Add each server package (``{package: [apps that run it]}``) the members do not
    require themselves."""
    from packaging.utils import canonicalize_name

    added = [
        Line(
            canonicalize_name(package),
            package,
            (),
            (
                f"added by depsplit: the command of {', '.join(sorted(apps))} runs {package}, "
                "which no member requires",
            ),
        )
        for package, apps in sorted(servers.items())
        if canonicalize_name(package) not in reqs.keys
    ]
    if not added:
        return reqs
    lines = sorted([*reqs.lines, *added], key=lambda line: line.key)
    return GroupRequirements(
        lines=tuple(lines),
        index_lines=reqs.index_lines,
        secrets=reqs.secrets,
        local_paths=reqs.local_paths,
        notes=reqs.notes,
    )


def _from(sources: tuple[tuple[str, Origin], ...]) -> str:
    by_app: dict[str, list[str]] = defaultdict(list)
    for app, origin in sources:
        where = str(origin)
        if where not in by_app[app]:
            by_app[app].append(where)
    return ", ".join(f"{app} ({', '.join(where)})" for app, where in by_app.items())


def render(reqs: GroupRequirements, group: Group, header: str, *, by: str = "--transitive") -> str:
    """The group's ``requirements.txt``: its lock when it has one (resolved by ``depsplit
    {by}``), else its apps' requirements merged."""
    if group.lock:
        return _render_locked(reqs, group, header, by)
    out = [
        f"# {header}",
        f"# Requirements of group {group.name!r} (CPython {group.python}): "
        f"{', '.join(sorted(group.apps))}.",
        "# Merged from each app's production requirements that apply in this container;",
        "# each line says which apps and files it comes from.",
    ]
    out += _index_lines_and_notes(reqs)
    for line in reqs.lines:
        _write_line(out, line)
    return "\n".join(out) + "\n"


def _index_lines_and_notes(reqs: GroupRequirements) -> list[str]:
    """The lines every group file writes between its heading and its requirements, locked
    or not: how to give a private index's credentials (when one needs them), the group's
    notes as comments, then the index options after a blank line (when there are any)."""
    out = []
    if reqs.secrets:
        out.append(
            "# A private index needs credentials: the Dockerfile reads "
            f"{', '.join(reqs.secrets)} from a build secret; it is not written here."
        )
        out.append(f"# {_secret_howto(reqs.secrets)}")
    out += [f"# {comment_safe(note)}" for note in reqs.notes]
    if reqs.index_lines:
        out.append("")
        out.extend(reqs.index_lines)
    return out


def _write_line(out: list[str], line: Line) -> None:
    out.append("")
    if line.sources:
        out.append(f"# from: {comment_safe(_from(line.sources))}")
    out.extend(f"# {comment_safe(note)}" for note in line.notes)
    if line.text is not None and comment_safe(line.text) != line.text:
        out.append(f"# TODO: not written, it holds a line break: {comment_safe(line.text)}")
    elif line.text is not None:
        out.append(line.text)


def _unresolved(line: Line) -> bool:
    """A line the index resolution left out: a local path, a URL, or nothing to install."""
    text = line.text
    return text is None or text.startswith("./") or " @ " in text


def _pin_key(pin: LockedPin) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(pin.name)


def _render_locked(reqs: GroupRequirements, group: Group, header: str, by: str) -> str:
    pins = {_pin_key(pin): pin for pin in group.lock}
    outside = [line for line in reqs.lines if line.key not in pins or _unresolved(line)]
    outside_keys = {line.key for line in outside}
    installable = [line for line in outside if line.text is not None]
    hashed = not installable and all(pin.hashes for pin in group.lock)
    sources = {line.key: line.sources for line in reqs.lines}
    out = [
        f"# {header}",
        f"# Lock of group {group.name!r} (CPython {group.python}): "
        f"{', '.join(sorted(group.apps))}.",
        f"# Resolved through the package index (depsplit {by}): every package the",
        "# members need, pinned"
        + (" with the hashes of the files this container may install;" if hashed else ";"),
        "# each pin says which apps (file:line) or packages it comes from.",
    ]
    if installable:
        out.append(
            "# No --hash options: pip's hash-checking mode would refuse the lines after the "
            "pins (not resolved through the index)."
        )
    elif not hashed:
        out.append("# No --hash options: the index gave no hash for some files.")
    out += _index_lines_and_notes(reqs)
    for key, pin in pins.items():
        if key in outside_keys:
            continue
        out.append("")
        if sources.get(key):
            out.append(f"# from: {comment_safe(_from(sources[key]))}")
        parents = [p for p in pin.parents if p]
        if parents:
            apps = f" ({', '.join(pin.apps)})" if pin.apps else ""
            out.append(f"# via: {comment_safe(', '.join(parents))}{comment_safe(apps)}")
        # With extras asked of it (``uvicorn[standard]``), the release is pinned twice: pip's
        # --require-hashes mode wants both ``uvicorn[standard]`` and the plain ``uvicorn``
        # another package requires pinned with ``==``.
        texts = [f"{pin.name}=={pin.version}"]
        if pin.extras:
            texts.append(f"{pin.name}[{','.join(pin.extras)}]=={pin.version}")
        if any(comment_safe(text) != text for text in texts):
            out.append(f"# TODO: not written, it holds a line break: {comment_safe(texts[0])}")
            continue
        for text in texts:
            if hashed:
                text += "".join(f" \\\n    --hash={h}" for h in pin.hashes)
            out.append(text)
    for line in outside:
        _write_line(out, line)
    return "\n".join(out) + "\n"


def emit(gen: Generation, root: Path, header: str) -> dict[str, Pieces]:
    """The :class:`~depsplit.emit.interface.Emitter` of ``<group>/requirements.txt``, each
    made when written (:meth:`~depsplit.pieces.Pieces.made_by`)."""
    by = "--transitive" if gen.plan.transitive else "generate --lock"
    return {
        f"{b.group.name}/requirements.txt": Pieces.made_by(
            functools.partial(render, b.requirements, b.group, header, by=by)
        )
        for b in gen.groups
    }
