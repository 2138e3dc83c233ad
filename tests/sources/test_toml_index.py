"""TomlIndex reads any text, valid or broken TOML, and places keys and items on lines of
it; the readers' memos give exactly what the functions they wrap give."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from depsplit.sources import pipfile, poetry
from depsplit.sources.base import ReadContext
from depsplit.sources.locate import TomlIndex, frozen

ROOT = Path(__file__).resolve().parents[2]


def _same(text: str) -> None:
    """The index of ``text`` (valid TOML or not) places everything on one of its lines."""
    index = TomlIndex(text)
    lines = text.count("\n") + 1
    placed = [*index._keys.values(), *index._tables.values()]
    placed += [n for items in index._arrays.values() for n in items]
    assert all(1 <= n <= lines for n in placed), text


TRICKY = [
    "",
    "\n\n",
    'a = "x"',
    'a="x"#c',
    "a = ''",
    'a = ""',
    'a = """',
    'a = """x"""',
    'a = """x" #"\nb = 1\n"""\nc = 2',
    "a = '''x'''\nb = '''\n'''",
    'a = "x\\"y"',
    'a = "x\\',
    'a = "unterminated',
    "a = { b = 1, c = [1, 2] }",
    "a = { b = { c = { d = 1 } } }",
    "a = {\n  b = 1,\n}\nc = 2",
    'a = [\n  "x",\n  "y", "z",\n  # comment\n  { k = "v" },\n  [1, 2],\n]',
    "a = [ # open\n 1,\n 2 ]\nb = 3",
    'a = ["x", "y"] # c',
    'a = ["x",\n"y"] ]',
    "a = [] [1]",
    'a = {x = 1} ["y"]',
    "a = [\n  [\n    1,\n  ],\n]",
    "a = [\n]\n] x = 1",
    "a.b.c = 1\n[t]\nd.e = 2",
    "\"q.k\" = 1\n'l' . x = 2",
    "a\x0c= 1\n\x0cb = 2\n\u00a0c = 3",
    "[t]\nx = 1\n[[arr]]\nname = 1\n[[arr]]\nname = 2\n[arr.sub]\ny = 3\n[t]\nz = 4",
    "[[a.b]]\nx = 1\n[a]\nb.c = 2\n[[a.b]]\nx = 3",
    "  [t]  # c\n[ [x]]\n[a.b",
    'x = [\n  1,\n  true,\n  "s",\n]',
    "x = [\n  '''m\nl''',\n  \"a\",\n]",
    "] = 1\n} x\n# c\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_lines(text: str) -> None:
    _same(text)


def _dependency_files() -> list[Path]:
    found = []
    for base in (ROOT / "fixtures", ROOT / "tests", (ROOT / "../shared/corpus").resolve()):
        if base.is_dir():
            found += [
                p
                for p in base.rglob("*")
                if p.is_file()
                and (p.suffix in (".toml", ".lock") or p.name == "Pipfile")
                and p.name != "Pipfile.lock"
            ]
    return sorted(found)


def test_real_files() -> None:
    files = _dependency_files()
    if not files:
        pytest.skip("no TOML files found")
    for path in files:
        _same(path.read_text(encoding="utf-8", errors="replace"))


def _random_text(rng: random.Random) -> str:
    """TOML-like lines, valid and broken, that exercise the lexer and its edges."""

    def string() -> str:
        closed = ['"a"', "'b'", '""', "''", '"x\\"y"', '"\\\\"', '"a#b"', "'[x]'", '"{"']
        other = ['"""m"""', "'''m'''", '"""', "'''", '"un', "'un", '"e\\']
        return rng.choice([*closed, *other])

    def value(depth: int = 0) -> str:
        roll = rng.random()
        if roll < 0.35 or depth > 2:
            return rng.choice([string(), "1", "true", "1979-05-27", "-1.5"])
        if roll < 0.65:
            items = ", ".join(value(depth + 1) for _ in range(rng.randint(0, 3)))
            return f"[{rng.choice(['', ' '])}{items}{rng.choice(['', ',', ' '])}]"
        pairs = ", ".join(f"{key()} = {value(depth + 1)}" for _ in range(rng.randint(0, 3)))
        return "{" + pairs + "}"

    def key() -> str:
        return rng.choice(["a", "b-c", '"q.k"', "'lit'", "x.y", "x . y", "", "a\x0c", "p.q.r"])

    def line() -> str:
        roll = rng.random()
        lead = rng.choice(["", "", "  ", "\t", "\x0c", "\u00a0"])
        tail = rng.choice(["", "", " # c", "#", ' # "x', " # ["])
        if roll < 0.12:
            body = rng.choice(["[t]", "[[arr]]", "[t.u]", '["q"]', "[[arr.sub]]", "[a.b"])
        elif roll < 0.45:
            body = f"{key()}{rng.choice([' = ', '='])}{value()}"
        elif roll < 0.55:
            body = f"{key()} = [{rng.choice(['', string() + ',', string()])}"
        elif roll < 0.75:
            item = value(1)
            body = rng.choice([item, f"{item},", f"{item}, {value(1)},", ",", ""])
        elif roll < 0.85:
            body = rng.choice(["]", "],", "}", "]]", "] x = 1", "] {a=1}", "] [1]", "]" + string()])
        elif roll < 0.92:
            body = rng.choice(['"""', "'''", 'x"""', "end'''", 'a = """', "a = '''x"])
        else:
            body = ""
        return lead + body + tail

    return "\n".join(line() for _ in range(rng.randint(1, 25)))


def test_random_lines() -> None:
    rng = random.Random(20240611)
    for _ in range(3000):
        _same(_random_text(rng))


def test_index_answers() -> None:
    text = (
        "[project]\n"
        'name = "x"\n'
        "dependencies = [\n"
        '    "a>=1",  # first\n'
        '    "b", "c",\n'
        "]\n"
        'optional-dependencies.dev = ["d", { x = "[" }]\n'
        "[[package]]\n"
        'name = "p"\n'
        "[[package]]\n"
        'name = "q"\n'
    )
    index = TomlIndex(text)
    assert index.items(("project", "dependencies")) == [4, 5, 5]
    assert index.items(("project", "optional-dependencies", "dev")) == [7, 7]
    assert index.key_line(("project", "optional-dependencies")) == 7
    assert index.key_line(("project", "name")) == 2
    assert index.key_line(("project", "missing")) == 1
    assert index.key_line(("package", "name"), 1) == 11
    assert index.item_line(("project", "dependencies"), 9) == 3


def test_frozen_tells_values_apart() -> None:
    assert frozen({"a": True}) != frozen({"a": 1})
    assert frozen({"a": "1", "b": "2"}) != frozen({"b": "2", "a": "1"})
    assert frozen(["x"]) != frozen("x")
    assert frozen({"a": ["x", {"b": False}]}) == frozen({"a": ["x", {"b": False}]})
    assert frozen(1) is None
    assert frozen({"a": 1.5}) is None


def test_memoized_readers_match_and_raise_again() -> None:
    ctx = ReadContext(Path("."))
    spec = {"version": "^1.2", "extras": ["x"], "markers": "os_name == 'nt'"}
    expected = poetry._poetry_requirement("pkg", spec, None)
    assert poetry.poetry_requirement("pkg", spec, ctx) == expected
    assert poetry.poetry_requirement("pkg", spec, ctx) == expected
    for _ in range(2):
        with pytest.raises(poetry.PoetryConstraintError):
            poetry.poetry_requirement("pkg", {"version": "^^1"}, ctx)
        with pytest.raises(TypeError):
            pipfile._entry_requirement("pkg", {"version": True}, ctx)
    entry = {"version": "==1.0", "sys_platform": "== 'win32'"}
    assert pipfile._entry_requirement("pkg", entry, ctx) == pipfile.entry_requirement("pkg", entry)
    assert pipfile._entry_requirement("pkg", "1.0", ctx) == ("pkg==1.0", False)
