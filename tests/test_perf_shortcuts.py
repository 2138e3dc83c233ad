"""The start-up and per-item shortcuts of the read and conflict phases give what the long
way gives: packaging's requirement parser, a parse and index per TOML text, the general
message and id builders, and range intersection."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PkgRequirement
from packaging.specifiers import SpecifierSet

from depsplit import conflicts
from depsplit.errors import InputError
from depsplit.sources import locate
from depsplit.sources.base import ReadContext, SourceResult, as_written, simple_pep508

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

TRICKY = [
    "flask",
    "flask==2.0.1",
    "Flask>=1.0,<2",
    "a",
    "a1",
    "zope.interface~=5.0",
    "foo_bar!=1.0,>=0.9",
    "foo-bar===1.0,>=2",
    "foo===anything",
    "foo==1.0.*",
    "foo==1.0.*,!=1.0.3",
    "foo>=1,,<2",
    "foo>=1,",
    "foo>=1,>=1",
    "foo==1.0+local",
    "foo==1.0+local.*",
    "foo<=1.0a1.dev3",
    "foo~=1",
    "foo~=1.0",
    "foo=1.0",
    "foo==",
    "foo>>1",
    "foo-==1",
    "foo.==1",
    "foo_==1",
    "-foo==1",
    "foo==1;python_version<'3'",
    "foo[bar]==1",
    "foo (==1)",
    "foo ==1",
    "foo @ https://x/y.whl",
    "foo==v1.0",
    "foo==1.0-1",
    "foo==1.0_post1",
    "foo!=1.*",
    "foo<1.*",
    "foo>=1.0.0.0.0",
    "foo==1!2.0",
    "foo==*",
    "FOO.Bar-baz==01.02",
]


def _packaging(text: str) -> tuple[str, str, str] | None:
    """What the readers take from packaging for a plain string (``None``: not plain): the
    name, the clauses in the order held, then ``str()`` of the set."""
    try:
        req = PkgRequirement(text)
    except InvalidRequirement:
        return None
    if req.url or req.marker is not None or req.extras:
        return None
    return req.name, as_written(req), str(req.specifier)


def _fast(text: str) -> tuple[str, str, str] | None:
    found = simple_pep508(text)
    if found is None:
        return None
    name, specifiers = found
    return name, ",".join(str(s) for s in specifiers), str(specifiers)


def _corpus_lines() -> list[str]:
    lines: set[str] = set()
    if CORPUS.is_dir():
        for path in sorted(CORPUS.rglob("requirements*.txt"))[:400]:
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            lines.update(line.split("#")[0].strip() for line in text.splitlines())
    return sorted(line for line in lines if line)


def _fuzz(count: int) -> list[str]:
    rng = random.Random(7)
    pieces = ["a", "Z", "9", ".", "-", "_", "==", ">=", "<", "!=", "~=", "===", ",", "*"]
    pieces += ["1", "0", "2.3", "a1", "post1", "dev2", "+", "rc1", "!", "x"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 9))) for _ in range(count)]


@pytest.mark.parametrize("text", TRICKY)
def test_simple_pep508_tricky(text: str) -> None:
    fast = _fast(text)
    if fast is not None:
        assert fast == _packaging(text)


def test_simple_pep508_agrees_with_packaging_on_corpus_and_fuzz() -> None:
    taken = 0
    for text in [*TRICKY, *_corpus_lines(), *_fuzz(20000)]:
        fast = _fast(text)
        if fast is not None:
            taken += 1
            assert fast == _packaging(text), text
    assert taken > 100  # the shortcut is taken for most plain strings


def test_simple_pep508_is_taken_for_plain_pins() -> None:
    assert _fast("requests==2.31.0") == ("requests", "==2.31.0", "==2.31.0")
    assert _fast("Django>=4.2,<5") == ("Django", ">=4.2,<5", "<5,>=4.2")
    assert _fast("numpy") == ("numpy", "", "")
    for text in ("foo[x]==1", "foo ==1", "foo==1; os_name=='nt'", "foo>=1,,<2", "foo>=1,"):
        assert simple_pep508(text) is None


def _ctx(root: Path) -> ReadContext:
    return ReadContext(root=root)


def test_read_toml_shares_parse_of_equal_texts(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\ndependencies = ["a==1"]\n'
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pyproject.toml").write_text(text)
    ctx = _ctx(tmp_path)
    r1, r2 = SourceResult(), SourceResult()
    t1, d1 = locate.read_toml(tmp_path / "a" / "pyproject.toml", ctx, r1)
    t2, d2 = locate.read_toml(tmp_path / "b" / "pyproject.toml", ctx, r2)
    assert t1 == t2
    assert d1 == d2 == {"project": {"name": "x", "dependencies": ["a==1"]}}
    assert r1.files == ["a/pyproject.toml"]
    assert r2.files == ["b/pyproject.toml"]
    assert locate.toml_index(text, ctx) is locate.toml_index(text, ctx)


def test_read_toml_invalid_text_fails_every_time(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pyproject.toml").write_text("[project\n")
    ctx = _ctx(tmp_path)
    for name in ("a", "b"):
        with pytest.raises(InputError) as info:
            locate.read_toml(tmp_path / name / "pyproject.toml", ctx, SourceResult())
        assert info.value.file == f"{name}/pyproject.toml"


def test_side_id_pair_shortcut_matches_general() -> None:
    for a, b in itertools.product(["", "==1", ">=2 | python 3.9", "=x", "a", "b"], repeat=2):
        general = conflicts._id("version", "k", sorted(f"={i}" for i in (a, b)))
        assert conflicts._side_id("version", "k", [a, b]) == general


def test_compatible_is_a_non_empty_intersection() -> None:
    texts = ["", "==1.0", "==1.0.*", ">=1,<2", "!=1.5", ">=2", "<1.0a1", "==1.0+local"]
    texts += ["~=1.4", "===1.0", ">1.0", "<=1.0", "==2.0a1", ">=1.0a1,<1.0", "!=1.*"]
    for a, b in itertools.product(texts, repeat=2):
        ra, rb = SpecifierSet(a).to_range(), SpecifierSet(b).to_range()
        assert ra.is_disjoint(rb) == ra.intersection(rb).is_empty, (a, b)


def test_requirements_txt_gives_clauses_sorted_as_before(tmp_path: Path) -> None:
    """A requirements file's plain line gives ``str()`` of its specifier set (sorted,
    deduplicated), as this reader always has; other readers keep the written order."""
    from depsplit.sources import requirements_txt

    (tmp_path / "requirements.txt").write_text("x>=2.0,!=2.3.1\ny<3,>=1,<3\nz[a]>=1,<2\n")
    result = requirements_txt.read(tmp_path / "requirements.txt", _ctx(tmp_path))
    assert [r.specifier for r in result.requirements] == ["!=2.3.1,>=2.0", "<3,>=1", "<2,>=1"]
