"""Hypothesis strategies for depsplit's inputs: requirements-file text, pyproject /
Pipfile / setup.cfg / lock-file content (well-formed, structured-but-wrong and arbitrary),
specifiers, markers, app directory names, and whole small trees.

Every URL with credentials carries a password or token from :data:`SECRETS`; the
properties assert none of them ever leaves depsplit. Secrets are only ever placed where a
credential goes (the user information, a password holding an unescaped ``/``, a query value,
a fragment value), so any occurrence in an output is a leak.

Budgets: ``DEPSPLIT_FUZZ_EXAMPLES`` sets the examples per property (default: a fast,
derandomized budget for the suite; ``DEPSPLIT_FUZZ_EXAMPLES=100000`` for the large run).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

SECRETS = ("Zfz-pw-0x51", "Zfz-tok-0x52", "Zfz-pw-0x53")
PW, TOK, PW2 = SECRETS

FAST = int(os.environ.get("DEPSPLIT_FUZZ_EXAMPLES", "0")) or None


def fuzz_settings(fast_examples: int) -> settings:
    """Settings of one property: ``fast_examples`` in the suite (derandomized, so CI is
    deterministic), ``DEPSPLIT_FUZZ_EXAMPLES`` for a large random run."""
    return settings(
        max_examples=FAST or fast_examples,
        deadline=None,
        derandomize=FAST is None,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
            HealthCheck.large_base_example,
        ],
    )


# --- the invariants every case checks ------------------------------------------------------


class Violation(AssertionError):
    """A broken invariant of issue 16's long run, by kind (``benchmarks/fuzz_long.py``
    counts them; pytest sees an ``AssertionError``). Any other failed assertion is a
    property of one class (a complete tree, a valid report …), counted as ``other``."""

    kind = "other"


class Crash(Violation):
    """A traceback or an internal error, or an exit other than 0/1/2, or an exit 2 without
    a message."""

    kind = "traceback"


class Leak(Violation):
    """A secret from the inputs in an output, a written file or a build context."""

    kind = "secret"


class WroteOutside(Violation):
    """A file written, changed or removed outside OUTDIR and the run's temporary directory."""

    kind = "outside"


class Leftover(Violation):
    """A temporary file or directory, or a ``.depsplit-*`` file, left after a run."""

    kind = "leftover"


def no_crash(code: int, err: str, codes: tuple[int, ...] = (0, 1, 2)) -> None:
    """The command ended as designed: an exit code of ``codes``, no traceback, no internal
    error, and an exit 2 says why."""
    if code not in codes:
        raise Crash(f"exit {code}: {err[-2000:]}")
    if "Traceback" in err or "internal error" in err:
        raise Crash(err[-2000:])
    if code == 2 and "error" not in err:
        raise Crash(f"exit 2 without a message: {err[-2000:]!r}")


def no_secret(*texts: str | bytes, where: str = "") -> None:
    """No value of :data:`SECRETS` in any of ``texts``."""
    for text in texts:
        data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        for secret in SECRETS:
            if secret in data:
                at = data.index(secret)
                raise Leak(f"{secret!r} {where}: …{data[max(0, at - 200) : at + 100]}…")


def nothing_outside(before: dict[str, bytes], after: dict[str, bytes], what: str = "") -> None:
    """Two snapshots of what surrounds a run are the same."""
    if before != after:
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        raise WroteOutside(f"written outside {what or 'the output'}: {changed[:20]}")


def no_leftover(names: list[str], where: str) -> None:
    if names:
        raise Leftover(f"left in {where}: {sorted(names)[:20]}")


@contextlib.contextmanager
def confined(top: Path) -> Iterator[dict[str, str]]:
    """Run a case with its whole world below ``top``: the current directory, ``HOME``, the
    cache (``XDG_CACHE_HOME``) and the temporary directory (``tempfile`` and ``TMPDIR``)
    are fresh directories there, so a snapshot of ``top`` sees every write the case makes;
    on a normal exit the temporary directory must be empty (no temporary file left).
    Yields the environment for a subprocess."""
    dirs = {name: top / name for name in ("cwd", "home", "cache", "tmp")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    env = {
        "HOME": str(dirs["home"]),
        "XDG_CACHE_HOME": str(dirs["cache"]),
        "TMPDIR": str(dirs["tmp"]),
    }
    saved_env = {k: os.environ.get(k) for k in env}
    saved_cwd, saved_tempdir = os.getcwd(), tempfile.tempdir
    os.environ.update(env)
    os.chdir(dirs["cwd"])
    tempfile.tempdir = str(dirs["tmp"])
    try:
        yield {**os.environ, **env}
        no_leftover(os.listdir(dirs["tmp"]), "the temporary directory")
    finally:
        tempfile.tempdir = saved_tempdir
        os.chdir(saved_cwd)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# --- atoms --------------------------------------------------------------------------------

NAMES = [
    "flask",
    "Flask",
    "requests",
    "django",
    "numpy",
    "a",
    "zope.interface",
    "my_pkg",
    "my-pkg",
    "pkg1",
    "x" * 60,
    "-bad",
    "bad-",
    "na me",
    "na\nme",
    "bell\x07",
    "é",
    "pkg[extra]",
    "pkg[a,b]",
    "pkg[",
    "${NAME}",
]
VERSIONS = ["1", "1.0", "2.3.0", "0.0.1", "1!2.0", "1.0a1", "1.0.post1", "1.0.dev0", "1.0+local"]
VERSIONS += ["1.*", "2.*", "x", "", "${VERSION}", "99999999999999999999", "1..0", "v1.0"]
OPS = ["==", "!=", ">=", "<=", ">", "<", "~=", "===", "=", "=>", "^", "~", "", " ", "||"]
MARKER_VARS = ["python_version", "sys_platform", "platform_machine", "os_name", "extra"]
MARKER_VARS += ["implementation_name", "python_full_version", "platform_system", "bogus_var"]
MARKER_VALUES = ['"3.8"', '"win32"', "'linux'", '"x86_64"', '"posix"', '"dev"', '"3.12.1"']
MARKER_VALUES += ['""', '"\u2028"', '"unterminated', "'a\"b'", "3.8"]
URLS = [
    f"https://user:{PW}@pypi.example.com/simple",
    f"https://{TOK}@idx.example.com/simple/",
    f"git+https://{TOK}@github.com/org/repo.git@v1#egg=repo",
    f"git+ssh://git:{PW2}@github.com/org/repo.git",
    f"https://u:{PW}@files.example.com/pkg-1.0.tar.gz",
    f"https://u:{PW2}@files.example.com/pkg-1.0-py3-none-any.whl",
    "https://${USER}:${PASSWORD}@ref.example.com/simple",
    f"https://idx.example.com/simple?token={TOK}",
    f"https://gitlab.example.com/api/v4/simple/?private_token={PW}&x=1",
    f"https://files.example.com/pkg-1.0.tar.gz?X-Amz-Signature={PW2}#sha256=00",
    f"https://files.example.com/pkg-1.0-py3-none-any.whl#auth={TOK}",
    f"git+https://gitlab.example.com/org/repo.git?private_token={TOK}#egg=repo",
    f"https://user:pa/{PW}@slash.example.com/simple",
    "https://files.example.com/pkg-1.0.tar.gz",
    "file:///abs/path",
    "file:../local",
    "../../../etc",
    "/etc/passwd",
    ".",
]
OPTIONS = [
    "-r base.txt",
    "-r ./base.txt",
    "-r missing.txt",
    "-r requirements.txt",
    "-c constraints.txt",
    "-r ../../../etc/passwd",
    "-r /etc/passwd",
    "--requirement=base.txt",
    "-e .",
    "-e ../lib",
    "--index-url",
    "--extra-index-url",
    "--find-links",
    "-i",
    "-f",
    "--trusted-host example.com",
    "--no-index",
    "--pre",
    "--hash=sha256:" + "0" * 64,
    "--hash",
    "--no-binary :all:",
    "--only-binary=:none:",
    "--use-feature=fast-deps",
    "--global-option=x",
    "--install-option x",
    "--unknown-option",
    "-Z",
]
JUNK = ["#", " # comment", "\\", "\t", ";", ",", "@", "[", "]", "(", ")", '"', "'", "=", "*"]
JUNK += ["\x00", "\ufeff", "\u2028", "\x85", "\x0c", "\r", "\x1b[31m", "${VAR}", "%", "é", "😀"]


def _one(*items: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from([i for group in items for i in group])


names = st.one_of(
    st.sampled_from(NAMES), st.from_regex(r"[A-Za-z][A-Za-z0-9._-]{0,12}", fullmatch=True)
)
versions = st.one_of(
    st.sampled_from(VERSIONS), st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,3}", fullmatch=True)
)
clause = st.builds("{}{}".format, st.sampled_from(OPS), versions)
specifiers = st.lists(clause, max_size=3).map(",".join)
poetry_constraints = st.one_of(
    specifiers,
    st.builds("{}{}".format, st.sampled_from(["^", "~", "", "==", ">=", "!="]), versions),
    st.lists(specifiers, min_size=2, max_size=3).map(" || ".join),
    st.sampled_from(["*", "x", "1.x", "^0.0.1", ">=1 <2", ">=1,<2 || >3", "dev", "<>1"]),
)
markers = st.builds(
    "{} {} {}".format,
    st.sampled_from(MARKER_VARS),
    st.sampled_from(["==", "!=", "<", ">=", "in", "not in", "~=", "==="]),
    st.sampled_from(MARKER_VALUES),
).flatmap(
    lambda m: st.one_of(
        st.just(m),
        st.builds(
            lambda o, j: f"({m}) {j} ({o})", st.just(m), st.sampled_from(["and", "or", "xor"])
        ),
    )
)
urls = st.sampled_from(URLS)
pep508 = st.one_of(
    st.builds("{}{}".format, names, specifiers),
    st.builds("{}{}; {}".format, names, specifiers, markers),
    st.builds("{} @ {}".format, names, urls),
    st.builds("{} @ {} ; {}".format, names, urls, markers),
    st.builds("{}[{}]{}".format, names, names, specifiers),
)
weird_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


# --- requirements files -----------------------------------------------------------------


def _option_line(opt: str, url: str) -> str:
    if opt in ("--index-url", "--extra-index-url", "--find-links", "-i", "-f"):
        return f"{opt} {url}"
    return opt


requirement_line = st.one_of(
    pep508,
    st.builds(_option_line, st.sampled_from(OPTIONS), urls),
    st.builds("{} {}".format, pep508, st.sampled_from(OPTIONS)),
    urls,
    st.builds("-e {}".format, urls),
    st.builds("{}#egg={}".format, urls, names),
    st.lists(_one(JUNK, NAMES, OPS, VERSIONS), min_size=1, max_size=6).map("".join),
    st.builds("{}{}".format, pep508, st.sampled_from(JUNK)),
    weird_text,
)
line_endings = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r", "\\\n"])


@st.composite
def requirements_text(draw: st.DrawFn) -> str:
    lines = draw(st.lists(requirement_line, max_size=8))
    out = "\ufeff" if draw(st.booleans()) and draw(st.booleans()) else ""
    for line in lines:
        out += line + draw(line_endings)
    return out


# --- TOML ---------------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def toml_key(key: str) -> str:
    import re

    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def toml_doc(tables: dict[str, Any]) -> str:
    """``{"tool.poetry.dependencies": {...}, "[[package]]": [{...}, ...], "": {...}}``."""
    out: list[str] = []
    for header, body in tables.items():
        if header.startswith("[["):
            for entry in body if isinstance(body, list) else [body]:
                out.append(header)
                if isinstance(entry, dict):
                    out += [f"{toml_key(k)} = {toml_value(v)}" for k, v in entry.items()]
                out.append("")
            continue
        if header:
            out.append(f"[{header}]")
        if isinstance(body, dict):
            out += [f"{toml_key(k)} = {toml_value(v)}" for k, v in body.items()]
        else:
            out.append(f"junk = {toml_value(body)}")
        out.append("")
    return "\n".join(out)


scalars = st.one_of(
    pep508, specifiers, poetry_constraints, urls, names, st.integers(-3, 3), st.booleans()
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    *NAMES,
                    "version",
                    "git",
                    "url",
                    "path",
                    "markers",
                    "python",
                    "extras",
                    "optional",
                    "include-group",
                    "develop",
                    "editable",
                    "platform",
                    "ref",
                    "tag",
                    "branch",
                    "rev",
                    "source",
                    "file",
                    "subdirectory",
                ]
            ),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)

poetry_dep = st.one_of(
    poetry_constraints,
    st.fixed_dictionaries(
        {},
        optional={
            "version": poetry_constraints,
            "python": poetry_constraints,
            "markers": markers,
            "extras": st.lists(names, max_size=2),
            "optional": st.booleans(),
            "git": urls,
            "url": urls,
            "path": st.sampled_from([".", "../lib", "/etc", "lib"]),
            "branch": names,
            "tag": names,
            "rev": names,
            "develop": st.booleans(),
            "platform": st.sampled_from(["linux", "win32", "darwin"]),
            "source": names,
        },
    ),
    st.lists(
        st.fixed_dictionaries(
            {"version": poetry_constraints},
            optional={"python": poetry_constraints, "markers": markers},
        ),
        max_size=2,
    ),
    values,
)


@st.composite
def pyproject_text(draw: st.DrawFn) -> str:
    tables: dict[str, Any] = {}
    if draw(st.booleans()):
        project: dict[str, Any] = {"name": draw(names), "version": "1.0"}
        if draw(st.booleans()):
            project["dependencies"] = draw(st.one_of(st.lists(pep508, max_size=4), values))
        if draw(st.booleans()):
            project["requires-python"] = draw(st.one_of(specifiers, values))
        if draw(st.booleans()):
            project["optional-dependencies"] = draw(
                st.dictionaries(names, st.lists(pep508, max_size=2), max_size=2)
            )
        if draw(st.booleans()):
            project["dynamic"] = draw(
                st.lists(
                    st.sampled_from(["dependencies", "version", "optional-dependencies"]),
                    max_size=2,
                )
            )
        tables["project"] = project
    if draw(st.booleans()):
        tables["tool.poetry"] = {"name": draw(names), "version": "1.0"}
        tables["tool.poetry.dependencies"] = draw(
            st.dictionaries(st.one_of(names, st.just("python")), poetry_dep, max_size=4)
        )
        if draw(st.booleans()):
            tables["tool.poetry.group.dev.dependencies"] = draw(
                st.dictionaries(names, poetry_dep, max_size=2)
            )
        if draw(st.booleans()):
            tables["tool.poetry.extras"] = draw(
                st.dictionaries(names, st.lists(names, max_size=2), max_size=2)
            )
        if draw(st.booleans()):
            tables["[[tool.poetry.source]]"] = [{"name": "private", "url": draw(urls)}]
    if draw(st.booleans()):
        groups = draw(
            st.dictionaries(
                names,
                st.lists(
                    st.one_of(pep508, st.builds(lambda n: {"include-group": n}, names), values),
                    max_size=3,
                ),
                max_size=3,
            )
        )
        tables["dependency-groups"] = groups
    if draw(st.booleans()):
        tables[
            draw(
                st.sampled_from(
                    [
                        "project",
                        "tool",
                        "tool.poetry",
                        "tool.poetry.group",
                        "dependency-groups",
                        "tool.poetry.dependencies",
                    ]
                )
            )
        ] = draw(values)
    return toml_doc(tables)


@st.composite
def pipfile_text(draw: st.DrawFn) -> str:
    pip_entry = st.one_of(
        specifiers,
        st.just("*"),
        versions,
        st.fixed_dictionaries(
            {},
            optional={
                "version": specifiers,
                "markers": markers,
                "extras": st.lists(names, max_size=2),
                "git": urls,
                "ref": names,
                "path": st.sampled_from([".", "../lib", "/etc"]),
                "file": urls,
                "editable": st.booleans(),
                "sys_platform": st.sampled_from(["== 'win32'", "!= 'linux'", "junk"]),
                "python_version": st.sampled_from([">= '3.8'", "< '3'", "3.8"]),
                "index": names,
            },
        ),
        values,
    )
    tables: dict[str, Any] = {}
    if draw(st.booleans()):
        tables["[[source]]"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {"url": st.one_of(urls, values)},
                    optional={"name": names, "verify_ssl": st.booleans()},
                ),
                max_size=2,
            )
        )
    tables["packages"] = draw(st.dictionaries(names, pip_entry, max_size=4))
    if draw(st.booleans()):
        tables["dev-packages"] = draw(st.dictionaries(names, pip_entry, max_size=2))
    if draw(st.booleans()):
        tables["requires"] = draw(
            st.dictionaries(
                st.sampled_from(["python_version", "python_full_version", "x"]),
                st.one_of(versions, values),
                max_size=2,
            )
        )
    if draw(st.booleans()):
        tables[draw(st.sampled_from(["packages", "source", "requires", "other"]))] = draw(values)
    return toml_doc(tables)


@st.composite
def setup_cfg_text(draw: st.DrawFn) -> str:
    out = []
    for _ in range(draw(st.integers(0, 3))):
        section = draw(
            st.sampled_from(
                ["options", "options.extras_require", "metadata", "options ", "[options", ""]
            )
        )
        out.append(f"[{section}]")
        for _ in range(draw(st.integers(0, 4))):
            key = draw(
                st.sampled_from(
                    [
                        "install_requires",
                        "python_requires",
                        "dev",
                        "test",
                        "name",
                        " install_requires",
                        "install_requires:",
                        "=x",
                    ]
                )
            )
            sep = draw(st.sampled_from([" = ", "=", ": ", " "]))
            if draw(st.booleans()):
                value = st.one_of(pep508, specifiers, st.just("file: requirements.txt"), weird_text)
                out.append(f"{key}{sep}{draw(value)}")
            else:
                out.append(f"{key}{sep}")
                for _ in range(draw(st.integers(0, 3))):
                    indent = draw(st.sampled_from(["    ", "\t", ""]))
                    out.append(indent + draw(st.one_of(pep508, weird_text, st.just("# c"))))
    return "\n".join(out) + "\n"


@st.composite
def lock_text(draw: st.DrawFn, kind: str) -> str:
    package = st.fixed_dictionaries(
        {"name": st.one_of(names, values)},
        optional={
            "version": st.one_of(versions, values),
            "source": st.one_of(
                st.fixed_dictionaries({"registry": urls}),
                st.fixed_dictionaries({"editable": st.just(".")}),
                st.fixed_dictionaries({"git": urls}),
                values,
            ),
            "resolution-markers": st.one_of(st.lists(markers, max_size=2), values),
            "category": st.sampled_from(["main", "dev", 3]),
            "groups": st.one_of(st.lists(st.sampled_from(["main", "dev"]), max_size=2), values),
            "markers": st.one_of(
                markers, st.dictionaries(st.sampled_from(["main", "dev"]), markers), values
            ),
            "marker": st.one_of(markers, values),
            "index": urls,
            "sdist": st.fixed_dictionaries({"url": urls}),
        },
    )
    if kind == "Pipfile.lock":
        entry = st.one_of(
            st.fixed_dictionaries(
                {"version": st.builds("=={}".format, versions)},
                optional={"markers": markers, "hashes": st.just(["sha256:00"]), "index": names},
            ),
            st.fixed_dictionaries({"git": urls}, optional={"ref": names}),
            st.fixed_dictionaries({"path": st.sampled_from([".", "../x"])}),
            values,
        )
        doc: Any = {
            "_meta": {"sources": [{"url": draw(urls), "name": "x", "verify_ssl": True}]},
            "default": draw(st.one_of(st.dictionaries(names, entry, max_size=4), values)),
            "develop": {},
        }
        if draw(st.booleans()):
            doc = draw(values)
        return json.dumps(doc, indent=draw(st.sampled_from([None, 4])), ensure_ascii=False)
    table = "[[packages]]" if kind == "pylock.toml" else "[[package]]"
    tables: dict[str, Any] = {"": {"version": 1, "lock-version": "1.0"}}
    tables[table] = draw(st.lists(package, max_size=4))
    if draw(st.booleans()):
        tables["package" if kind != "pylock.toml" else "packages"] = draw(values)
    return toml_doc(tables)


python_version_text = st.one_of(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "3.11",
                    "3.12.1",
                    "3",
                    "pypy3.10",
                    "system",
                    "cpython@3.12",
                    "3.13t",
                    "# c",
                    "",
                    "python-3.8.10",
                    "python-3",
                    "3.x",
                ]
            ),
            weird_text,
        ),
        max_size=3,
    ).map("\n".join),
)


def arbitrary_bytes_or_text() -> st.SearchStrategy[str | bytes]:
    return st.one_of(
        st.binary(max_size=64),
        weird_text,
        st.text(max_size=20).map(lambda t: t.encode("utf-16")),
        st.text(st.characters(min_codepoint=0x80, max_codepoint=0xFF), min_size=1, max_size=10).map(
            lambda t: t.encode("latin-1")
        ),
    )


# File name → content strategy.
CONTENT: dict[str, st.SearchStrategy[str]] = {
    "requirements.txt": requirements_text(),
    "requirements-dev.txt": requirements_text(),
    "requirements.in": requirements_text(),
    "base.txt": requirements_text(),
    "pyproject.toml": pyproject_text(),
    "Pipfile": pipfile_text(),
    "setup.cfg": setup_cfg_text(),
    "uv.lock": lock_text("uv.lock"),
    "poetry.lock": lock_text("poetry.lock"),
    "Pipfile.lock": lock_text("Pipfile.lock"),
    "pylock.toml": lock_text("pylock.toml"),
    ".python-version": python_version_text,
    "runtime.txt": python_version_text,
}


@st.composite
def deeply_nested(draw: st.DrawFn, name: str) -> str:
    """A TOML or JSON document (as ``name`` is read) whose arrays or tables nest from a few
    levels to far past what the parsers recurse through, at a random key; for any other
    file, brackets the same way (they are text there)."""
    depth = draw(st.one_of(st.integers(1, 50), st.integers(350, 450), st.integers(900, 5000)))
    opener, closer = draw(st.sampled_from([("[", "]"), ("{a = ", "}"), ("{", "}")]))
    if name.endswith(".lock") and name.startswith("Pipfile"):
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a": ', "}")]))
        inner = opener * depth + ("1" if opener != "[" else "") + closer * depth
        return draw(st.sampled_from([inner, '{"default": ' + inner + "}"]))
    inner = opener * depth + ("1" if opener.endswith("= ") else "") + closer * depth
    prefix = draw(
        st.sampled_from(
            [
                "",
                '[project]\nname = "x"\n',
                "[tool.poetry]\n",
                "[packages]\n",
                "[tool.poetry.dependencies]\n",
                "version = 1\n[[package]]\n",
            ]
        )
    )
    key = draw(st.sampled_from(["x", "dependencies", "flask", "requires-python", "version"]))
    return f"{prefix}{key} = {inner}\n"


def content_for(name: str) -> st.SearchStrategy[str | bytes]:
    return st.one_of(
        CONTENT[name], CONTENT[name], CONTENT[name], arbitrary_bytes_or_text(), deeply_nested(name)
    )


DECOYS: dict[str, st.SearchStrategy[str | bytes]] = {
    "depsplit-plan.json": st.one_of(
        st.sampled_from(
            [
                "",
                "{}",
                '{"generated_by": "depsplit 0.1.0"}',
                '{"generated_by": "depsplit 0.1.0", "schema_version": 1, "tool": '
                '{"name": "depsplit"}, "generate": {}, "files": {}}',
                "[" * 3000 + "]" * 3000,
            ]
        ),
        arbitrary_bytes_or_text(),
    ),
    "pyvenv.cfg": st.one_of(st.just(""), st.just("home = /usr/bin\n"), arbitrary_bytes_or_text()),
    "bin/python": st.just(""),
    "lib/python3.12/site-packages/x.py": st.just(""),
}
"""Files that once hid their directory whatever they held, with decoy and real contents."""


# --- trees --------------------------------------------------------------------------------

DIR_CHARS = st.characters(codec="utf-8", exclude_characters="/\x00", exclude_categories=("Cs",))
dir_names = st.one_of(
    st.sampled_from(
        [
            "api",
            "web",
            "with space",
            "quo'te",
            'dq"x',
            "$(id)",
            "`id`",
            "new\nline",
            "ünï",
            "${HOME}",
            "a*b",
            "[x]",
            "back\\slash",
            " lead",
            "trail ",
            "-dash",
            "UPPER",
            "日本",
            "tab\t",
            "é" * 30,
        ]
    ),
    st.text(DIR_CHARS, min_size=1, max_size=12),
).filter(lambda n: n not in (".", "..") and len(n.encode()) < 200)


@st.composite
def trees(draw: st.DrawFn, *, max_apps: int = 3) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    dirs = draw(st.lists(dir_names, min_size=1, max_size=max_apps, unique_by=lambda n: n.lower()))
    for d in dirs:
        prefix = draw(st.sampled_from(["", "services/", "a/b/"]))
        chosen = draw(
            st.lists(st.sampled_from(sorted(CONTENT)), min_size=1, max_size=3, unique=True)
        )
        for name in chosen:
            files[f"{prefix}{d}/{name}"] = draw(content_for(name))
    return files
