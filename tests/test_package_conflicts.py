"""Conflicts per package (the JSON report's schema version 2): one entry per kind and
package, its distinct sides once each, conflicting pairs as lists of sides, N-way and
one-side sets as they are; read back, an entry is exactly the sets the search found."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest
from reportdata import side_apps

from depsplit.analyze import Options, _products, analyze
from depsplit.baseline import read_package_conflict
from depsplit.cli import main
from depsplit.conflicts import ConflictSets, sides
from depsplit.model import ConflictSide, PackageConflict
from depsplit.package_conflicts import SidePartners, _cover, by_package, minimal_sets
from depsplit.report import json as json_report


def _repo(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _report(root: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert main(["analyze", str(root), "--format", "json"]) in (0, 1)
    return json.loads(capsys.readouterr().out)


def test_n_apps_on_n_pins_of_one_package_are_one_entry_with_n_sides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    apps = {f"app{i:03}/requirements.txt": f"boto3==1.26.{i}\nrequests\n" for i in range(40)}
    data = _report(_repo(tmp_path / "repo", apps), capsys)
    [conflict] = data["conflicts"]
    assert conflict["id"] == "version:boto3"
    assert side_apps(conflict) == [[f"app{i:03}"] for i in range(40)]
    # Every two of the 40 sides conflict: one list, not 780 pairs.
    assert conflict["pairs"] == [list(range(40))]
    assert conflict["sets"] == []
    assert conflict["message"].startswith(
        "boto3: 40 apps on 40 requirements that cannot all share a container: "
        "==1.26.0 (app000); ==1.26.1 (app001)"
    )
    assert conflict["message"].endswith("; and 36 more")
    assert len({side["id"] for side in conflict["sides"]}) == 40
    assert len(data["groups"]) == 40


def test_the_report_grows_with_the_apps_not_with_their_pairs(tmp_path: Path) -> None:
    sizes = {}
    for n in (100, 400):
        root = _repo(
            tmp_path / str(n),
            {f"app{i:04}/requirements.txt": f"boto3==1.26.{i}\n" for i in range(n)},
        )
        plan = analyze(root, options=Options(index_facts=False))
        conflicts = json.loads(json_report.render(plan))["conflicts"]
        sizes[n] = len(json.dumps(conflicts))
    # Four times the apps (sixteen times the pairs): at most about four times the bytes.
    assert sizes[400] < 4.5 * sizes[100]


def test_a_three_way_trap_is_one_set_and_a_clash_alone_a_set_of_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repo(
        tmp_path / "repo",
        {
            "a/requirements.txt": "lib>=1,<3\n",
            "b/requirements.txt": "lib>=2,<4\n",
            "c/requirements.txt": "lib>=1,<4,!=2.*\n",
            "d/requirements.txt": "other==1\nother==2\n",
        },
    )
    data = _report(root, capsys)
    by_id = {c["id"]: c for c in data["conflicts"]}
    lib, other = by_id["version:lib"], by_id["version:other"]
    assert side_apps(lib) == [["a"], ["b"], ["c"]]
    assert (lib["pairs"], lib["sets"]) == ([], [[0, 1, 2]])
    assert "every two of them can be met" in lib["message"]  # the one set's own message
    assert (side_apps(other), other["pairs"], other["sets"]) == ([["d"]], [], [[0]])
    assert data["unsatisfiable"] == ["d"]


def test_sides_hold_every_app_that_asks_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repo(
        tmp_path / "repo",
        {
            "a/requirements.txt": "flask==1.1.1\n",
            "b/requirements.txt": "flask==1.1.1.0\n",  # the same version, spelled otherwise
            "c/requirements.txt": "flask>=3\n",
            "d/requirements.txt": "flask>=3.0\n",
        },
    )
    [flask] = _report(root, capsys)["conflicts"]
    assert side_apps(flask) == [["a", "b"], ["c", "d"]]
    assert flask["pairs"] == [[0, 1]]
    # Each side lists the requirement lines of its first app, with their origins.
    assert [[r["origin"]["file"] for r in side["requirements"]] for side in flask["sides"]] == [
        ["a/requirements.txt"],
        ["c/requirements.txt"],
    ]


@pytest.mark.parametrize("seed", range(60))
def test_the_lists_of_sides_hold_every_conflicting_pair_and_no_other(seed: int) -> None:
    rng = random.Random(seed)
    count = rng.randint(1, 14)
    edges = {
        pair for pair in itertools.combinations(range(count), 2) if rng.random() < rng.random()
    }
    cliques = _cover(_partners(count, edges))
    covered = {pair for clique in cliques for pair in itertools.combinations(clique, 2)}
    assert covered == edges
    assert all(len(clique) >= 2 for clique in cliques)
    # The lists are the report's: the same graph gives the same lists as the plain greedy
    # cover the report has always listed (sides in order; a list started from a side's
    # partners not yet held, then grown by its others; a candidate joins when it is a
    # partner of every side of the list so far).
    assert cliques == _plain_greedy_cover(count, edges)


def _partners(count: int, edges: set[tuple[int, int]]) -> list[int]:
    partners = [0] * count
    for a, b in edges:
        partners[a] |= 1 << b
        partners[b] |= 1 << a
    return partners


def _plain_greedy_cover(count: int, edges: set[tuple[int, int]]) -> list[tuple[int, ...]]:
    def linked(a: int, b: int) -> bool:
        return (min(a, b), max(a, b)) in edges

    held: set[tuple[int, int]] = set()
    out: list[tuple[int, ...]] = []
    for side in range(count):
        while True:
            open_ = [
                o
                for o in range(count)
                if linked(side, o) and (min(side, o), max(side, o)) not in held
            ]
            if not open_:
                break
            others = [o for o in range(count) if linked(side, o) and o not in open_]
            clique = [side]
            for other in [*open_, *others]:
                if all(linked(other, m) for m in clique):
                    clique.append(other)
            held.update(itertools.combinations(sorted(clique), 2))
            out.append(tuple(sorted(clique)))
    return out


def test_read_back_an_entry_is_the_sets_the_search_found_on_a_generated_monorepo(
    tmp_path: Path,
) -> None:
    from gen import generate_monorepo

    root = tmp_path / "mono"
    generate_monorepo(root, 60, seed=3)
    plan = analyze(root, options=Options(index_facts=False))
    found = sorted((c.package, c.apps, sides(c)) for c in plan.conflicts)
    back = sorted(
        (c.package, c.apps, c.members)
        for entry in by_package(plan.conflicts)
        for c in minimal_sets(entry, 10**6)
    )
    assert back == found
    # And through the report's text, as a consumer reads it.
    data = json.loads(json_report.render(plan))
    read = sorted(
        (c.package, c.apps, c.members)
        for entry in data["conflicts"]
        for c in minimal_sets(read_package_conflict(entry), 10**6)
    )
    assert read == found
    assert len(data["conflicts"]) == len({(c.kind, c.package.lower()) for c in plan.conflicts})


def _meaning(packages) -> list[tuple]:
    """What a package conflict says, whichever lists of sides hold its pairs."""
    return [
        (
            p.id,
            p.package,
            p.apps,
            p.sides,
            frozenset(pair for c in p.pairs for pair in itertools.combinations(sorted(c), 2)),
            p.sets,
            p.message,
            p.count,
        )
        for p in packages
    ]


def _gen_plan(tmp_path: Path, seed: int, apps: int = 80):
    from gen import generate_monorepo

    root = tmp_path / f"mono{seed}"
    generate_monorepo(root, apps, seed=seed)
    return analyze(root, options=Options(index_facts=False))


@pytest.mark.parametrize("seed", [1, 7])
def test_the_search_gathers_its_pairs_per_package_as_its_sets_would_be(
    tmp_path: Path, seed: int
) -> None:
    """The search keeps clashing pairs of terms and makes the pair conflicts only when
    they are read; read per package, they are what gathering the made sets gives, and
    their count is known before any is made."""
    plan = _gen_plan(tmp_path, seed)
    sets = plan.conflicts
    assert isinstance(sets, ConflictSets)
    count = len(sets)  # counted, not made
    assert sets._made is None
    packages = plan.package_conflicts
    assert sets._made is None  # read per package without making them
    made = list(sets)
    assert len(made) == count == len({c.id for c in made})
    assert _meaning(packages) == _meaning(by_package(made))


def test_the_partition_reads_the_sets_of_each_package(tmp_path: Path) -> None:
    plan = _gen_plan(tmp_path, 5)
    products, cliques = _products(plan.package_conflicts, set())
    pairs = {
        tuple(sorted(pair)) for clique in cliques for pair in itertools.combinations(clique, 2)
    }
    assert pairs == {tuple(sorted(sides(c))) for c in plan.conflicts if len(c.apps) == 2}
    assert sorted(map(sorted, products)) == sorted(
        sorted(sides(c)) for c in plan.conflicts if len(c.apps) > 2
    )


def test_on_the_real_corpus_too(corpus: Path) -> None:
    plan = analyze(
        corpus / "realpython__materials", options=Options(index_facts=False, lenient=True)
    )
    packages = plan.package_conflicts
    made = list(plan.conflicts)
    assert len(made) > 1000
    assert _meaning(packages) == _meaning(by_package(made))
    assert sum(p.count for p in packages) == len(made)


def test_plain_pins_are_single_releases() -> None:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    from depsplit.specalgebra import plain_pin

    assert plain_pin(SpecifierSet("==1.0")) == Version("1.0")
    for text in ("==1.*", "==1.0+local", ">=1", "==1.0,!=2", "===1.0", ""):
        assert plain_pin(SpecifierSet(text)) is None, text


def test_pins_of_apps_that_allow_different_pythons_are_still_every_pair(
    tmp_path: Path,
) -> None:
    """Pins kept as one clique when their sides allow the same Pythons; otherwise pair by
    pair, judged at each pair's own interpreter: the same sets either way."""
    files = {f"a{i}/requirements.txt": f"boto3==1.26.{i}\n" for i in range(6)}
    files["a0/.python-version"] = "3.10\n"
    files["a1/pyproject.toml"] = '[project]\nname = "a1"\nrequires-python = ">=3.12"\n'
    files["a1/requirements.txt"] = "boto3==1.26.1\n"
    root = _repo(tmp_path / "repo", files)
    plan = analyze(root, options=Options(index_facts=False))
    made = list(plan.conflicts)
    assert _meaning(plan.package_conflicts) == _meaning(by_package(made))
    assert len(plan.groups) == 6


def test_markdown_lists_a_package_of_many_conflicts_in_one_row(tmp_path: Path) -> None:
    from depsplit.report import markdown

    root = _repo(
        tmp_path / "repo",
        {f"app{i:02}/requirements.txt": f"boto3==1.26.{i}\n" for i in range(30)},
    )
    plan = analyze(root, options=Options(index_facts=False))
    text = markdown.render(plan)
    [row] = [line for line in text.splitlines() if line.startswith("| `boto3` | version")]
    assert row.startswith("| `boto3` | version | 30 apps on 30 requirements, 435 conflicts |")
    assert "and 25 more requirements" in row


def test_github_annotations_of_a_large_package_come_from_its_sides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past LARGE_PACKAGE conflicts a package's lines are annotated from its package
    conflict: the same lines, the same first partners, without making every set."""
    from depsplit.report import github

    root = _repo(
        tmp_path / "repo",
        {f"app{i:02}/requirements.txt": f"boto3==1.26.{i}\n" for i in range(20)},
    )
    plan = analyze(root, options=Options(index_facts=False))
    small = github.render(plan).splitlines()
    monkeypatch.setattr(github, "LARGE_PACKAGE", 10)
    plan = analyze(root, options=Options(index_facts=False))
    large = github.render(plan).splitlines()
    assert plan.conflicts._made is None  # read from the package conflict
    assert len(large) == len(small)
    for before, after in zip(small, large, strict=True):
        # The same line and partners; the count of conflicts instead of their messages.
        assert before.split("%0A")[0] == after.split("%0A")[0]
    assert large[0].endswith("%0A19 conflicts on boto3: see the report")


@pytest.mark.parametrize("seed", range(10))
def test_every_pair_is_judged_but_those_inside_the_clique_of_pins(seed: int) -> None:
    from types import SimpleNamespace

    from depsplit.conflicts import _pairs_to_judge

    rng = random.Random(seed)
    terms = [SimpleNamespace(uid=i) for i in range(rng.randint(0, 12))]
    clique = {t.uid for t in terms if rng.random() < 0.5}
    judged = [(a.uid, b.uid) for a, b in _pairs_to_judge(terms, clique)]  # type: ignore[arg-type]
    expected = [
        (a.uid, b.uid)
        for i, a in enumerate(terms)
        for b in terms[i:]
        if a is b or not (a.uid in clique and b.uid in clique)
    ]
    assert sorted(judged) == sorted(expected)
    assert len(judged) == len(set(judged))


@pytest.mark.parametrize("seed", range(40))
def test_side_partners_are_those_of_every_pairs_list_and_set(seed: int) -> None:
    """SidePartners works a side's partners out of the lists it is in (a package of N pins
    is one list: a set per side would be N(N-1) entries): in order, each once, the same as
    the union of its lists less itself; its sets as given."""
    rng = random.Random(seed)
    count = rng.randint(1, 12)
    pairs = tuple(
        tuple(sorted(rng.sample(range(count), rng.randint(2, count)))) if count > 1 else ()
        for _ in range(rng.randint(0, 4))
    )
    pairs = tuple(p for p in pairs if p)
    sets = tuple(
        tuple(sorted(rng.sample(range(count), rng.choice([1, min(3, count)]))))
        for _ in range(rng.randint(0, 3))
    )
    conflict = PackageConflict(
        id="version:p",
        kind="version",
        package="p",
        apps=tuple(f"a{i}" for i in range(count)),
        sides=tuple(
            ConflictSide(id=f"version:p:{i}", identity=None, apps=(f"a{i}",), requirements=())
            for i in range(count)
        ),
        pairs=pairs,
        sets=sets,
        message="",
    )
    partners = SidePartners(conflict)
    for side in range(count):
        expected = sorted({j for p in pairs if side in p for j in p} - {side})
        assert list(partners.opposed(side)) == expected
        assert partners.count(side) == len(expected)
        assert partners.first(side, 3) == expected[:3]
        assert partners.sets[side] == [e for e in sets if side in e]
