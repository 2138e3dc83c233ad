"""Transitive resolution against a local index (file:// and loopback HTTP)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from localindex import Dist, LocalIndex, build_index, req

from depsplit.index import (
    Finder,
    ResolutionImpossible,
    UnknownPackageError,
    check_union,
    choose_python,
    python_support,
    resolve,
    transitive_requirements,
)
from depsplit.index.resolve import assumed_sdists
from depsplit.model import Target

TARGET = Target()
MakeFinder = Callable[..., Finder]


def test_transitive_conflict_is_found_with_its_chain(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    finder = make_finder(world.file_url)
    web = [req("fastapi==0.95.2", "services/web/requirements.txt", 3)]
    api = [req("pydantic>=2.5", "services/api/pyproject.toml", 9)]
    # Each app alone resolves.
    assert resolve(web, target=TARGET, python="3.12", finder=finder, app="web")
    assert resolve(api, target=TARGET, python="3.12", finder=finder, app="api")
    problem = check_union({"web": web, "api": api}, target=TARGET, python="3.12", finder=finder)
    assert isinstance(problem, ResolutionImpossible)
    assert str(problem) == (
        "api → pydantic>=2.5 (services/api/pyproject.toml:9) conflicts with "
        "web → fastapi==0.95.2 → pydantic<2,>=1.6.2 (services/web/requirements.txt:3)"
    )
    assert problem.packages == ("pydantic",)
    assert problem.apps == ("api", "web")
    web_cause = next(c for c in problem.causes if c.app == "web")
    assert web_cause.chain == ("fastapi==0.95.2", "pydantic<2,>=1.6.2")
    assert str(web_cause.origin) == "services/web/requirements.txt:3"


def test_union_that_resolves_backtracks_to_a_compatible_fastapi(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    finder = make_finder(world.file_url)
    apps = {"web": [req("fastapi>=0.90")], "api": [req("pydantic>=2.5")]}
    assert check_union(apps, target=TARGET, python="3.12", finder=finder) is None


def test_resolution_pins_hashes_and_chains(world: LocalIndex, make_finder: MakeFinder) -> None:
    finder = make_finder(world.file_url)
    res = resolve(
        [req("fastapi==0.95.2", "web/requirements.txt", 3)],
        target=TARGET,
        python="3.12",
        finder=finder,
        app="web",
    )
    assert {k: p.version for k, p in res.pins.items()} == {
        "anyio": "4.2.0",
        "fastapi": "0.95.2",
        "idna": "3.6",
        "pydantic": "1.10.13",
        "starlette": "0.27.0",
        "typing-extensions": "4.9.0",
    }
    assert res.chains["pydantic"] == ("fastapi==0.95.2", "pydantic<2,>=1.6.2")
    assert res.chains["idna"] == (
        "fastapi==0.95.2",
        "starlette==0.27.0",
        "anyio==4.2.0",
        "idna>=2.8",
    )
    assert res.pins["pydantic"].parents == ("fastapi",)
    assert res.pins["fastapi"].parents == ("",)
    assert all(p.hashes and p.hashes[0].startswith("sha256:") for p in res.pins.values())
    assert res.apps["idna"] == ("web",)
    lock = res.requirements_txt()
    assert lock.startswith("anyio==4.2.0 \\\n    --hash=sha256:")
    assert "pydantic==1.10.13" in lock


def test_transitive_requirements_lists_every_edge(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    finder = make_finder(world.file_url)
    edges = transitive_requirements(
        [req("fastapi==0.95.2", "web/requirements.txt", 3)], TARGET, "3.12", finder, app="web"
    )
    pyd = [e for e in edges if e.key == "pydantic"]
    assert len(pyd) == 1
    assert pyd[0].specifier == "<2,>=1.6.2"
    assert pyd[0].chain == ("fastapi==0.95.2", "pydantic<2,>=1.6.2")
    assert str(pyd[0].origin) == "web/requirements.txt:3"
    assert pyd[0].app == "web"
    assert not pyd[0].direct
    direct = [e for e in edges if e.direct]
    assert [(e.key, e.specifier) for e in direct] == [("fastapi", "==0.95.2")]


def test_marker_dependent_dependencies(world: LocalIndex, make_finder: MakeFinder) -> None:
    finder = make_finder(world.file_url)
    # pywin32 is not even on the index: pulling it would fail.
    res = resolve([req("winonly")], target=TARGET, python="3.12", finder=finder)
    assert set(res.pins) == {"winonly"}
    new = resolve([req("anyio")], target=TARGET, python="3.11", finder=finder)
    assert "exceptiongroup" not in new.pins
    old = resolve([req("anyio")], target=TARGET, python="3.10", finder=finder)
    assert old.pins["exceptiongroup"].version == "1.2.0"
    assert old.chains["exceptiongroup"] == ("anyio==4.2.0", "exceptiongroup>=1.0.2")


def test_top_level_marker_is_evaluated_for_the_container(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    finder = make_finder(world.file_url)
    res = resolve(
        [req('pywin32; sys_platform == "win32"'), req("idna")],
        target=TARGET,
        python="3.12",
        finder=finder,
    )
    assert set(res.pins) == {"idna"}


def test_extras_pull_their_dependencies(world: LocalIndex, make_finder: MakeFinder) -> None:
    finder = make_finder(world.file_url)
    plain = resolve([req("withextras")], target=TARGET, python="3.12", finder=finder)
    assert set(plain.pins) == {"withextras", "idna"}
    pretty = resolve([req("withextras[pretty]")], target=TARGET, python="3.12", finder=finder)
    assert set(pretty.pins) == {"withextras", "idna", "rich"}
    assert pretty.chains["rich"] == ("withextras[pretty]==1.0", "rich>=13")
    assert pretty.pins["withextras"].extras == ("pretty",)


def test_yanked_release_is_skipped_unless_pinned(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    finder = make_finder(world.file_url)
    res = resolve([req("yankme")], target=TARGET, python="3.12", finder=finder)
    assert res.pins["yankme"].version == "1.0"
    pinned = resolve([req("yankme==2.0")], target=TARGET, python="3.12", finder=finder)
    assert pinned.pins["yankme"].version == "2.0"
    with pytest.raises(ResolutionImpossible):
        resolve([req("yankme>=2")], target=TARGET, python="3.12", finder=finder)


def test_sdist_only_package_of_unknown_dependencies_is_a_named_leaf(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    """``sdistonly`` 0.3 has a PKG-INFO of Metadata-Version 2.1: its dependencies are
    unknown without building it. With building off, nothing else can meet the requirement,
    so it is taken as having none, and :func:`assumed_sdists` names it (a warning in the report)."""
    finder = make_finder(world.file_url, build_metadata=False)
    found = resolve([req("sdistonly")], target=TARGET, python="3.12", finder=finder)
    assert found.pins["sdistonly"].version == "0.3"
    assert found.pins["sdistonly"].hashes  # the sdist's own hash: what pip would install
    assert assumed_sdists(finder) == ["sdistonly 0.3 (sdistonly-0.3.tar.gz)"]
    assert (
        check_union(
            {"a": [req("sdistonly")], "b": [req("idna")]},
            target=TARGET,
            python="3.12",
            finder=finder,
        )
        is None
    )


@pytest.mark.parametrize("project", ["newpy", "metapy"])
def test_requires_python_excludes_releases(
    world: LocalIndex, make_finder: MakeFinder, project: str
) -> None:
    """From ``data-requires-python`` (newpy) or only from the metadata (metapy)."""
    finder = make_finder(world.file_url)
    assert resolve([req(project)], target=TARGET, python="3.11", finder=finder).pins[
        project
    ].version == ("1.0")
    assert resolve([req(project)], target=TARGET, python="3.12", finder=finder).pins[
        project
    ].version == ("2.0")
    with pytest.raises(ResolutionImpossible) as info:
        resolve([req(f"{project}==2.0")], target=TARGET, python="3.11", finder=finder)
    assert "CPython 3.11" in str(info.value)


def test_cpython_specific_wheels_decide_the_python(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    finder = make_finder(world.file_url)
    reqs = [req("tensorflow==2.12.1", "ml/requirements.txt", 2)]
    with pytest.raises(ResolutionImpossible) as info:
        resolve(reqs, target=TARGET, python="3.12", finder=finder, app="ml")
    message = str(info.value)
    assert message.startswith("ml → tensorflow==2.12.1 (ml/requirements.txt:2) cannot be satisfied")
    assert "installs on CPython 3.12" in message
    assert "cp311" in message
    res = resolve(reqs, target=TARGET, python="3.11", finder=finder)
    assert python_support(res) == ["3.9", "3.10", "3.11"]
    python, chosen = choose_python({"ml": reqs, "web": [req("idna")]}, target=TARGET, finder=finder)
    assert python == "3.11"
    assert set(chosen.pins) == {"tensorflow", "idna"}


def test_python_support_of_pure_and_abi3_wheels(world: LocalIndex, make_finder: MakeFinder) -> None:
    finder = make_finder(world.file_url)
    pure = resolve([req("idna")], target=TARGET, python="3.12", finder=finder)
    # py3-none-any: every 3.x image, not 2.7.
    assert python_support(pure) == [
        "3.5", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"
    ]  # fmt: skip
    abi3 = resolve([req("abi3pkg")], target=TARGET, python="3.12", finder=finder)
    assert python_support(abi3) == ["3.10", "3.11", "3.12", "3.13", "3.14"]
    newpy = resolve([req("newpy")], target=TARGET, python="3.12", finder=finder)
    assert python_support(newpy) == ["3.12", "3.13", "3.14"]


def test_wheels_for_another_platform_are_not_installable(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    finder = make_finder(world.file_url)
    with pytest.raises(ResolutionImpossible) as info:
        resolve([req("windowswheel")], target=TARGET, python="3.11", finder=finder)
    assert "linux/x86_64" in str(info.value)
    with pytest.raises(ResolutionImpossible) as info:
        resolve([req("abi3pkg")], target=Target("linux/arm64"), python="3.12", finder=finder)
    assert "linux/aarch64" in str(info.value)


def test_missing_project_is_impossible_not_compatible(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    finder = make_finder(world.file_url)
    with pytest.raises(ResolutionImpossible) as info:
        resolve([req("nosuchthing>=1")], target=TARGET, python="3.12", finder=finder)
    assert "no project nosuchthing" in str(info.value)


def test_wheel_without_metadata_file_is_read_from_the_wheel(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    finder = make_finder(world.file_url)
    res = resolve([req("nometa")], target=TARGET, python="3.12", finder=finder)
    assert set(res.pins) == {"nometa", "idna"}


def test_find_links_directory(world: LocalIndex, make_finder: MakeFinder) -> None:
    finder = make_finder("unused", no_index=True, find_links=(str(world.files),))
    res = resolve([req("fastapi==0.95.2")], target=TARGET, python="3.12", finder=finder)
    assert res.pins["pydantic"].version == "1.10.13"


def test_constraints_only_narrow(world: LocalIndex, make_finder: MakeFinder) -> None:
    from dataclasses import replace

    finder = make_finder(world.file_url)
    constraint = replace(req("pydantic<2.6"), role="constraint")
    unused = replace(req("rich<1"), role="constraint")
    res = resolve(
        [req("pydantic"), constraint, unused], target=TARGET, python="3.12", finder=finder
    )
    assert res.pins["pydantic"].version == "2.5.3"
    assert "rich" not in res.pins


def test_direct_url_requirement_is_unknown(world: LocalIndex, make_finder: MakeFinder) -> None:
    from dataclasses import replace

    finder = make_finder(world.file_url)
    r = replace(req("private"), url="https://user:s3cret@git.example/private.tar.gz")
    with pytest.raises(UnknownPackageError) as info:
        resolve([r], target=TARGET, python="3.12", finder=finder)
    assert "s3cret" not in str(info.value)


def test_find_links_directory_hashes_are_computed(
    world: LocalIndex, make_finder: MakeFinder
) -> None:
    import hashlib

    finder = make_finder("unused", no_index=True, find_links=(world.files.as_uri(),))
    res = resolve([req("idna")], target=TARGET, python="3.12", finder=finder)
    data = (world.files / "idna-3.6-py3-none-any.whl").read_bytes()
    assert res.pins["idna"].hashes == (f"sha256:{hashlib.sha256(data).hexdigest()}",)


def test_a_metadata_marker_that_cannot_be_evaluated_fails_closed(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    from localindex import Dist, build_index

    from depsplit.index.errors import BadMetadataError

    # 'python_version ~= "win32"' parses but cannot be compared: pip cannot evaluate it.
    index = build_index(
        tmp_path / "idx",
        [Dist("odd", "1.0", ['dep; python_version ~= "win32"']), Dist("dep", "1.0")],
    )
    finder = make_finder(index.file_url)
    with pytest.raises(BadMetadataError) as caught:
        resolve([req("odd")], target=TARGET, python="3.12", finder=finder)
    assert caught.value.package == "odd"
    assert "cannot be evaluated" in str(caught.value)


def test_a_pin_ruled_out_by_another_requirement_is_not_called_yanked(
    tmp_path: Path, make_finder: MakeFinder
) -> None:
    """``click==8.0.3`` beside ``Flask==3.1.3`` (which needs ``click>=8.1.3``), as in a
    real repository: the resolver rules the pin out itself; the message gives the two
    requirements and does not claim the release is yanked (it is not)."""
    index = build_index(
        tmp_path / "idx",
        [Dist("click", "8.0.3"), Dist("click", "8.1.3"), Dist("flask", "3.1.3", ["click>=8.1.3"])],
    )
    finder = make_finder(index.file_url)
    with pytest.raises(ResolutionImpossible) as caught:
        resolve(
            [req("click==8.0.3", line=1), req("Flask==3.1.3", line=2)],
            target=TARGET,
            python="3.12",
            finder=finder,
            app="web",
        )
    assert str(caught.value) == (
        "web → Flask==3.1.3 → click>=8.1.3 (app/requirements.txt:2) conflicts with "
        "web → click==8.0.3 (app/requirements.txt:1)"
    )
