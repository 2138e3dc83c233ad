"""The fast paths of discovery and of the requirements reader give what the slow ways give.

* :meth:`ReadContext.resolve` / ``rel`` / ``check_inside`` work on strings with a memo;
  here they are checked against ``pathlib`` on a tree of symlinks, loops, ``..`` and
  missing components, resolved in several orders (the memo's state picks the branch).
* :func:`depsplit.discover.walk` works on ``os.scandir`` strings; here it is checked
  against a plain pathlib walk with the same rules.
* The requirements reader remembers what a line says across files; here a line that
  depends on its file (a local path, a URL) is checked to be read afresh in each file, and
  every file to read the same with the memo emptied.
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

import pytest

from depsplit.analyze import analyze
from depsplit.config import Config
from depsplit.discover import PLAN_FILE, SKIP_DIRS, Candidate, skip_reason, walk
from depsplit.errors import InputError
from depsplit.sources import READERS, requirements_txt
from depsplit.sources.base import ReadContext
from depsplit.sources.builtin import DEV_DIR_NAMES, DEV_NAMES, LOCK_FILES, REQUIREMENTS_DIR_MAIN
from depsplit.sources.interface import Claim, Status

pytestmark = pytest.mark.skipif(os.name != "posix", reason="symlinks and FIFOs: POSIX")


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def links(tmp_path: Path) -> Path:
    """A root with symlinks of every kind, and a directory outside it."""
    root = tmp_path / "root"
    _write(
        root,
        {
            "a/b/file.txt": "x\n",
            "a/c/requirements.txt": "x\n",
            "shared/base.txt": "x\n",
        },
    )
    _write(tmp_path, {"outside/secret.txt": "x\n"})
    os.symlink("../shared", root / "a" / "to-shared")  # relative, to a directory
    os.symlink(root / "a" / "b" / "file.txt", root / "a" / "abs-file")  # absolute, to a file
    os.symlink("..", root / "a" / "up")  # to the parent: a cycle through the tree
    os.symlink("nowhere", root / "a" / "dangling")
    os.symlink("self", root / "a" / "self")  # a loop
    os.symlink("../../outside", root / "a" / "out")  # out of the root
    os.symlink("b", root / "a" / "b-link")
    return root


def _candidates(root: Path) -> list[str]:
    base = os.fspath(root)
    heads = [
        "",
        "/a",
        "/a/b",
        "/a/b/file.txt",
        "/a/to-shared",
        "/a/abs-file",
        "/a/up",
        "/a/up/up",
        "/a/dangling",
        "/a/self",
        "/a/out",
        "/a/b-link",
        "/missing",
        "/a/b/file.txt/below",
    ]
    tails = ["", "/..", "/../..", "/x", "/x/..", "/../shared/base.txt", "/../../outside/secret.txt"]
    return [base + h + t for h in heads for t in tails] + [os.path.dirname(base), "/"]


def _outcome(func, path):  # type: ignore[no-untyped-def]
    try:
        return ("ok", func(path))
    except Exception as exc:  # the type is what is compared
        return ("raises", type(exc).__name__)


@pytest.mark.parametrize("order", ["forward", "backward", "deepest-first"])
def test_resolve_agrees_with_pathlib_in_any_order(links: Path, order: str) -> None:
    paths = _candidates(links)
    if order == "backward":
        paths.reverse()
    elif order == "deepest-first":
        paths.sort(key=lambda p: -p.count("/"))
    ctx = ReadContext(root=links)
    for path in paths * 2:  # the second round answers from the memo
        expected = _outcome(lambda p: Path(p).resolve(), path)
        assert _outcome(ctx.resolve, path) == expected, path
        assert _outcome(ctx.resolve, Path(path)) == expected, path


def _reference_rel(root: Path, path: str) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        try:
            return Path(os.path.abspath(path)).relative_to(root).as_posix()
        except ValueError:
            return Path(os.path.abspath(path)).as_posix()


@pytest.mark.parametrize("allow", [False, True])
def test_rel_and_check_inside_agree_with_pathlib(links: Path, allow: bool) -> None:
    ctx = ReadContext(root=links, allow_outside_root=allow)
    for path in _candidates(links):
        try:
            resolved = Path(path).resolve()
        except RuntimeError:  # a symlink loop (3.10-3.12)
            with pytest.raises(InputError, match="cannot resolve the path"):
                ctx.check_inside(os.fspath(path), "origin")
            continue
        assert ctx.rel(path) == _reference_rel(links, path), path
        if allow or resolved.is_relative_to(links):
            assert ctx.check_inside(os.fspath(path), "origin") == os.fspath(resolved)
        else:
            with pytest.raises(InputError, match="resolves outside the analysed root"):
                ctx.check_inside(os.fspath(path), "origin", 3)


def test_read_text_reads_a_file_of_any_size_up_to_the_limit(tmp_path: Path) -> None:
    line = "package-with-a-long-name==1.0.0\n"
    for count in (0, 1, 2047, 2048, 2049, 20000):  # around and far past one 64 KiB read
        text = line * count
        (tmp_path / "r.txt").write_text(text, encoding="utf-8")
        assert ReadContext(root=tmp_path).read_text(tmp_path / "r.txt") == text
        limit = max(len(text) - 1, 0)
        if text:
            with pytest.raises(InputError, match=f"over the {limit:,}-byte limit"):
                ReadContext(root=tmp_path, max_file_bytes=limit).read_text(tmp_path / "r.txt")


# --------------------------------------------------------------------------- discovery


def _reference_walk(root: Path, config: Config, too_deep: list[str]) -> list[Candidate]:
    """Discovery's rules, the plain pathlib way (what walk did before it used strings)."""
    import pathspec

    def glob(rel: str, patterns: tuple[str, ...]) -> bool:
        for pattern in patterns:
            pat = pattern.strip("/")
            if fnmatch.fnmatchcase(rel, pat) or fnmatch.fnmatchcase(rel, pat + "/*"):
                return True
            if pat.startswith("**/") and fnmatch.fnmatchcase(rel, pat[3:]):
                return True
        return False

    reader = {r.name: r for r in READERS}

    def candidate(directory: Path, names: set[str]) -> Candidate | None:
        claims: list[tuple[str, Path, Status]] = []
        main: list[Path] = []
        dev: list[Path] = []
        if "requirements.txt" in names:
            main.append(directory / "requirements.txt")
        elif "requirements.in" in names:
            main.append(directory / "requirements.in")
        elif "requirements" in names and (directory / "requirements").is_dir():
            sub = directory / "requirements"
            for stem in REQUIREMENTS_DIR_MAIN:
                for ext in (".txt", ".in"):
                    if (sub / f"{stem}{ext}").is_file():
                        main.append(sub / f"{stem}{ext}")
                        break
                if main:
                    break
            dev.extend(sub / n for n in sorted(os.listdir(sub)) if DEV_DIR_NAMES.match(n))
        dev.extend(directory / n for n in sorted(names) if DEV_NAMES.match(n))
        claims += [("requirements", p, "defining") for p in main]
        if "pyproject.toml" in names:
            claims.append(("pyproject", directory / "pyproject.toml", "unsure"))
        if "Pipfile" in names:
            claims.append(("pipfile", directory / "Pipfile", "defining"))
        if "setup.cfg" in names:
            claims.append(("setup_cfg", directory / "setup.cfg", "unsure"))
        if not claims:
            return None
        locks = [directory / n for n in LOCK_FILES if n in names]
        locks += [directory / n for n in sorted(names) if re.fullmatch(r"pylock\.[^.]+\.toml", n)]
        claims += [("lockfiles", p, "read") for p in locks]
        claims += [
            ("pyversion", directory / n, "read")
            for n in (".python-version", "runtime.txt")
            if n in names
        ]
        made = [Claim(reader[n], p, status) for n, p, status in claims]
        # The dev files are read right after the production ones, with their role.
        made[len(main) : len(main)] = [
            Claim(reader["requirements"], p, "read", (("role", "dev"), ("group", p.name)))
            for p in dev
        ]
        return Candidate(directory, made)

    root = root.resolve()
    found: list[Candidate] = []
    stack: list[tuple[Path, int, list[tuple[Path, object]]]] = [(root, 0, [])]
    while stack:
        directory, depth, specs = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        names = {e.name for e in entries}
        if ".gitignore" in names and (directory / ".gitignore").is_file():
            lines = (directory / ".gitignore").read_text("utf-8-sig", "replace").splitlines()
            specs = [*specs, (directory, pathspec.GitIgnoreSpec.from_lines(lines))]
        defining = {"requirements.txt", "requirements.in", "requirements", "pyproject.toml"}
        defining |= {"Pipfile", "setup.cfg"}
        if (
            (PLAN_FILE in names or "pyvenv.cfg" in names)
            and not names & defining
            and skip_reason(str(directory), {e.name: e for e in entries}) is not None
        ):
            continue
        rel = directory.relative_to(root).as_posix()
        if config.exclude and rel != "." and glob(rel, config.exclude):
            continue
        cand = candidate(directory, names)
        if cand is not None:
            found.append(cand)
        if depth >= config.max_depth:
            if any(e.is_dir(follow_symlinks=False) and not e.name.startswith(".") for e in entries):
                too_deep.append(rel)
            continue
        for entry in reversed(entries):
            name = entry.name
            if not entry.is_dir(follow_symlinks=False) or name.startswith("."):
                continue
            if name in SKIP_DIRS or name.endswith(".egg-info"):
                continue
            child = Path(entry.path)
            if any(
                spec.match_file(child.relative_to(base).as_posix() + "/")  # type: ignore[attr-defined]
                for base, spec in specs
            ):
                continue
            stack.append((child, depth + 1, specs))
    found.sort(key=lambda c: c.path.as_posix())
    if config.apps:
        found = [c for c in found if glob(c.path.relative_to(root).as_posix() or ".", config.apps)]
    return found


@pytest.fixture
def odd_tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    _write(
        root,
        {
            "requirements.txt": "x\n",
            "a/requirements.txt": "x\n",
            "a/requirements-dev.txt": "-r requirements.txt\n",
            "a/dev-requirements.in": "x\n",
            "a/pylock.foo.toml": "",
            "a/uv.lock": "",
            "a/.python-version": "3.12\n",
            "b/requirements/prod.txt": "x\n",
            "b/requirements/test.txt": "x\n",
            "c/pyproject.toml": "[project]\nname = 'c'\n",
            "d/pyproject.toml": "[tool.ruff]\n",
            "e/setup.cfg": "[options]\ninstall_requires = x\n",
            "f/Pipfile": "[packages]\n",
            "g/requirements.in": "x\n",
            "late/pyproject.toml": "#" * 900_000 + "\n[project]\n",
            "too-late/pyproject.toml": "#" * (1 << 20) + "\n[project]\n",
            "i/pyproject.toml/x": "",
            "i/setup.cfg": "install_requires=\n",
            ".hidden/requirements.txt": "x\n",
            "node_modules/x/requirements.txt": "x\n",
            "x.egg-info/requirements.txt": "x\n",
            "plan/depsplit-plan.json": "{}",
            "plan/requirements.txt": "x\n",
            "venv2/pyvenv.cfg": "",
            "venv2/requirements.txt": "x\n",
            "deep/1/2/3/requirements.txt": "x\n",
            "deep/1/2/x/requirements.txt": "x\n",
            ".gitignore": "ignored/\n",
            "ignored/requirements.txt": "x\n",
            "gi/.gitignore": "*.tmp/\n/rooted/\n!keep/\n",
            "gi/x.tmp/requirements.txt": "x\n",
            "gi/rooted/requirements.txt": "x\n",
            "gi/sub/rooted/requirements.txt": "x\n",
            "gi/keep/requirements.txt": "x\n",
            "with space/ünï/requirements.txt": "x\n",
        },
    )
    os.mkfifo(root / "f" / "setup.cfg")
    os.mkdir(root / "h")
    os.mkfifo(root / "h" / "pyproject.toml")
    (root / "h" / "Pipfile").write_text("", encoding="utf-8")
    os.symlink("../c/pyproject.toml", root / "d" / "pyproject-link")
    os.mkdir(root / "j")
    os.symlink("../c/pyproject.toml", root / "j" / "pyproject.toml")
    os.symlink("loop", root / "j" / "loop")
    os.symlink("/nonexistent", root / "j" / "setup.cfg")
    os.symlink("a", root / "linked-dir")
    return root


CONFIGS = [
    Config(),
    Config(max_depth=0),
    Config(max_depth=2),
    Config(exclude=("a", "**/x", "gi/*")),
    Config(apps=("a", "*/requirements", "gi/**", ".")),
]


@pytest.mark.parametrize("config", CONFIGS, ids=["default", "depth0", "depth2", "exclude", "apps"])
def test_walk_agrees_with_a_pathlib_walk(odd_tree: Path, config: Config) -> None:
    expected_deep: list[str] = []
    expected = _reference_walk(odd_tree, config, expected_deep)
    too_deep: list[str] = []
    assert walk(odd_tree, config, (), too_deep) == expected
    assert too_deep == expected_deep
    assert walk(odd_tree / "a", config) == _reference_walk(odd_tree / "a", config, [])


def test_a_project_table_anywhere_in_the_file_makes_an_app(odd_tree: Path) -> None:
    """Whether a pyproject.toml makes its directory an app is decided by parsing it whole,
    as its reader reads it: a table after a MiB of comments counts."""
    unsure = {c.path.name for c in walk(odd_tree, Config()) if c.unsure}
    assert {"late", "too-late"} <= unsure
    apps = analyze(odd_tree, Config(apps=("late", "too-late"))).apps
    assert [a.path for a in apps] == ["late", "too-late"]


def test_a_table_header_inside_a_string_makes_no_app(tmp_path: Path) -> None:
    """``[project]`` or ``install_requires`` written inside a string or another section
    is not a project table: the directory is not an app (a first-MiB pattern once took
    it for one)."""
    _write(
        tmp_path,
        {
            "doc/pyproject.toml": '[tool.x]\ndoc = """\n[project]\n"""\n',
            "cfg/setup.cfg": "[tool:other]\ninstall_requires = flask\n",
            "app/requirements.txt": "flask==2.0\n",
        },
    )
    assert [a.path for a in analyze(tmp_path, Config()).apps] == ["app"]


# --------------------------------------------------------------------------- line memo


def _dump(result):  # type: ignore[no-untyped-def]
    return (result.requirements, result.index_options, result.diagnostics, result.files)


LINES = (
    "flask==2.3.0\n"
    "-e .\n"
    "./lib\n"
    "../lib\n"
    "file:../lib#egg=lib\n"
    "lib @ file:../lib\n"
    "pkg @ https://user:secret@example.com/pkg.zip\n"
    "-r ../shared/base.txt\n"
    "--index-url https://user:secret@example.com/simple\n"
    "--find-links ./wheels\n"
    "bad==${VERSION}\n"
    "-e ../lib  # a comment\n"
    "requests \\\n"
    "  >=2  # joined\n"
)


def test_a_line_that_depends_on_its_file_is_read_in_each_file(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _write(
        root,
        {
            "x/app/requirements.txt": LINES,
            "y/deeper/app/requirements.txt": LINES.replace("requests \\\n", "requests\n"),
            "x/lib/pyproject.toml": "[project]\nname = 'xlib'\n",
            "y/deeper/lib/pyproject.toml": "[project]\nname = 'ylib'\n",
            "x/shared/base.txt": "attrs\n",
            "y/deeper/shared/base.txt": "attrs\n",
        },
    )
    files = ["x/app/requirements.txt", "y/deeper/app/requirements.txt"]
    # One run reads each file after the other has filled its memo of lines; a new run
    # (a new context) starts with an empty one.
    shared = ReadContext(root=root)
    warm = [_dump(requirements_txt.read(root / rel, shared)) for rel in files * 2]
    fresh = [_dump(requirements_txt.read(root / rel, ReadContext(root=root))) for rel in files]
    assert warm == fresh * 2
    x, y = fresh
    assert {r.url for r in x[0]} != {r.url for r in y[0]}
    assert {r.name for r in x[0]} >= {"xlib"}
    assert {r.name for r in y[0]} >= {"ylib"}
    assert all("secret" not in repr(part) for part in (*x, *y))


def test_the_memo_gives_each_line_its_own_number(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _write(root, {"a/requirements.txt": "flask\n\nflask\n# c\n  flask  # again\n"})
    result = requirements_txt.read(root / "a/requirements.txt", ReadContext(root=root))
    assert [r.origin.line for r in result.requirements] == [1, 3, 5]


# --------------------------------------------------------------------------- simple lines

_PIECES = (
    "flask", "Flask", "a", "A_b.c-D", "zope.interface", "x_", "x-", ".x", "[", "]", "[a]",
    "[a,b]", "[ a , b ]", "[]", ",", " ", "  ", "==", "===", ">=", "<=", "~=", "!=", "<", ">",
    "=", "1.0", "1.*", "1.0.post1", "1!2.0", "1.0+local", "2.0a1", "1.0-1", "-1", "*", "+",
    "~", "!", ".zip", ".whl", ".tar", ".tgz", "1.0.tar", "-e", "--pre", "9999999999999999999",
)  # fmt: skip


def _library_lines(corpus_files: list[Path]) -> set[str]:
    import pip_requirements_parser as prp

    lines = set()
    for path in corpus_files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        lines.update(i.line for i in prp.preprocess(text) if not isinstance(i, prp.CommentLine))
    return lines


def test_simple_lines_read_as_the_library_reads_them(tmp_path: Path) -> None:
    import random

    rnd = random.Random(508)
    lines = {
        "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(1, 6))).strip() for _ in range(20000)
    }
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    if corpus.is_dir():
        lines |= _library_lines([*corpus.rglob("requirements*.txt")][:400])
    ctx = ReadContext(root=tmp_path)
    file = tmp_path / "requirements.txt"
    simple = 0
    for line in sorted(lines):
        if not line or line.startswith("#"):
            continue
        found = requirements_txt._simple_requirement(line)
        if found is not None:
            simple += 1
            assert requirements_txt._library_line(line, 1, file, ctx) == (found,), line
    assert simple > 300  # the generator alone (no corpus) reaches the fast path ~400 times


@pytest.mark.parametrize(
    "line",
    [
        "foo.zip",  # the library takes it for an archive file
        "pkg==1.0.tar",
        "pkg[extra]",  # trailing extras: parsed apart by the library
        "-e pkg",
        ".pkg",
        "pkg ; python_version < '3'",
        "pkg @ https://example.com/pkg.tgz",
        "pkg==${VERSION}",
        "pkg --hash=sha256:00",
        "pkg==1.0 -1",
        "pkg=1.0",  # invalid: the library's message is kept
    ],
)
def test_lines_the_fast_path_leaves_to_the_library(line: str) -> None:
    assert requirements_txt._simple_requirement(line) is None
