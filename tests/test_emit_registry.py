"""The registry of generated file families (:data:`depsplit.emit.EMITTERS`): ``render_all``
runs every emitter once and refuses two that make the same path."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from depsplit.analyze import analyze
from depsplit.emit import EMITTERS, PLAN_FILE, Emitter, GenerateOptions, Generation, render_all
from depsplit.emit.build import KubernetesOptions
from depsplit.model import Plan

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "monorepo"
EVERYTHING = GenerateOptions(
    replicas={"shop-api": 3}, kubernetes=KubernetesOptions(namespace="shop")
)
"""Options under which every emitter has files to make."""


@pytest.fixture(scope="module")
def demo() -> Plan:
    return analyze(DEMO)


def _spying(calls: list[str], made: dict[str, set[str]]) -> dict[str, Emitter]:
    """The registry's emitters, each recording its call and the paths it made."""

    def spy(name: str, emitter: Emitter) -> Emitter:
        def call(gen: Generation, root: Path, header: str, /) -> Mapping[str, str]:
            calls.append(name)
            files = emitter(gen, root, header)
            made[name] = set(files)
            return files

        return call

    return {name: spy(name, emitter) for name, emitter in EMITTERS.items()}


def test_the_registry_lists_every_file_family() -> None:
    assert list(EMITTERS) == [
        "dockerfile",
        "dockerignore",
        "requirements",
        "compose",
        "stack",
        "kubernetes",
        "plan",
    ]


def test_render_all_calls_each_emitter_once_and_keeps_all_their_files(demo: Plan) -> None:
    calls: list[str] = []
    made: dict[str, set[str]] = {}
    files = render_all(demo, DEMO, EVERYTHING, _spying(calls, made))
    assert calls == list(EMITTERS)
    assert all(made.values()), made
    assert set(files) == set().union(*made.values())
    assert list(files) == sorted(files)
    assert files == render_all(demo, DEMO, EVERYTHING)
    group = demo.groups[0].name
    assert f"{group}/Dockerfile" in made["dockerfile"]
    assert f"{group}/Dockerfile.dockerignore" in made["dockerignore"]
    assert f"{group}/requirements.txt" in made["requirements"]
    assert {"compose.yaml", "lb/shop-api.nginx.conf"} <= made["compose"]
    assert made["stack"] == {"stack.yaml"}
    assert "kubernetes/kustomization.yaml" in made["kubernetes"]
    assert made["plan"] == {PLAN_FILE}


def test_optional_families_make_no_files_when_not_asked_for(demo: Plan) -> None:
    calls: list[str] = []
    made: dict[str, set[str]] = {}
    render_all(demo, DEMO, GenerateOptions(), _spying(calls, made))
    assert calls == list(EMITTERS)
    assert made["stack"] == set()
    assert made["kubernetes"] == set()


def test_two_emitters_making_the_same_path_is_a_bug(demo: Plan) -> None:
    def also_compose(gen: Generation, root: Path, header: str, /) -> Mapping[str, str]:
        return {"compose.yaml": "services: {}\n"}

    emitters = {**EMITTERS, "other": also_compose}
    clash = re.escape("'compose' and 'other' both make 'compose.yaml'")
    with pytest.raises(RuntimeError, match=clash):
        render_all(demo, DEMO, GenerateOptions(), emitters)
