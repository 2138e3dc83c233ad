"""The input formats behind one seam: :data:`depsplit.sources.READERS`.

Every registered reader claims its files; discovery, the reading of every app and the
image build's list of dependency files follow the registry, so a format registered there
(here a toy one, in a test) is found and read without a change anywhere else.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from depsplit import sources
from depsplit.analyze import analyze
from depsplit.baseline import load_revision
from depsplit.config import Config
from depsplit.emit.build import dependency_files
from depsplit.model import Origin, Plan
from depsplit.sources.base import ReadContext, SourceResult, parse_requirement
from depsplit.sources.interface import Claim, Problems, Reader

Tree = Callable[[dict[str, str | bytes]], Path]

# reader name → (an app's files, what the reader claims there: relative path → status)
CASES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "requirements": (
        {
            "requirements.txt": "flask\n",
            "requirements-dev.txt": "pytest\n",
            "test-requirements.in": "coverage\n",
        },
        {
            "requirements.txt": "defining",
            "requirements-dev.txt": "read",
            "test-requirements.in": "read",
        },
    ),
    "pyproject": (
        {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["attrs"]\n'},
        {"pyproject.toml": "unsure"},  # parsed whole to decide (Reader.settle)
    ),
    "pipfile": ({"Pipfile": '[packages]\nrequests = "*"\n'}, {"Pipfile": "defining"}),
    "setup_cfg": (
        {"setup.cfg": "[options]\ninstall_requires =\n    click\n"},
        {"setup.cfg": "unsure"},
    ),
    "lockfiles": (
        {"requirements.txt": "x\n", "uv.lock": "", "pylock.toml": "", "pylock.web.toml": ""},
        {"uv.lock": "read", "pylock.toml": "read", "pylock.web.toml": "read"},
    ),
    "pyversion": (
        {"requirements.txt": "x\n", ".python-version": "3.12\n", "runtime.txt": "python-3.12\n"},
        {".python-version": "read", "runtime.txt": "read"},
    ),
}


def _claims(reader: Reader, directory: Path) -> dict[str, str]:
    with os.scandir(directory) as it:
        entries = {e.name: e for e in it}
    problems: Problems = []
    found = reader.claim(directory, entries, problems)
    assert problems == []
    assert all(c.reader is reader for c in found)
    return {c.path.relative_to(directory).as_posix(): c.status for c in found}


def test_every_registered_reader_has_a_case_and_a_unique_name() -> None:
    names = [r.name for r in sources.READERS]
    assert len(set(names)) == len(names)
    assert sorted(names) == sorted(CASES)


@pytest.mark.parametrize("reader", sources.READERS, ids=lambda r: r.name)
def test_every_registered_reader_claims_its_files(reader: Reader, tree: Tree) -> None:
    files, claimed = CASES[reader.name]
    root = tree(dict(files))
    assert _claims(reader, root) == claimed
    # A revision's copy for --baseline holds them (a name-only test).
    assert all(reader.may_claim(Path(rel).name, root.name) for rel in claimed)
    # Its trigger names are the ones it can claim as (possibly) defining.
    defining = {rel for rel, status in claimed.items() if status != "read"}
    assert defining <= reader.triggers
    # And what it claims, the image build checks for credentials.
    app = analyze(root, Config()).apps[0]
    assert set(claimed) <= set(dependency_files(root, app))


def test_readers_claim_nothing_in_an_empty_directory(tmp_path: Path) -> None:
    for reader in sources.READERS:
        assert _claims(reader, tmp_path) == {}


def test_registry_order_is_the_order_files_are_read(tree: Tree) -> None:
    root = tree(
        {
            "app/setup.cfg": "[options]\ninstall_requires =\n    click\n",
            "app/Pipfile": '[packages]\nrequests = "*"\n',
            "app/pyproject.toml": '[project]\nname = "x"\ndependencies = ["attrs"]\n',
            "app/requirements.txt": "flask\n",
            "app/requirements-dev.txt": "pytest\n",
        }
    )
    app = analyze(root, Config()).apps[0]
    assert [r.name for r in app.requirements] == ["flask", "pytest", "attrs", "requests", "click"]
    assert app.sources == (
        "app/requirements.txt",
        "app/requirements-dev.txt",
        "app/pyproject.toml",
        "app/Pipfile",
        "app/setup.cfg",
    )


class CondaEnvironment:
    """A toy format: ``environment.yml``'s ``- name==version`` lines under ``pip:``."""

    name = "conda"
    triggers = frozenset({"environment.yml"})
    related_files = (("", r"environment\.ya?ml"),)
    app_when_installed = True

    def may_claim(self, name: str, parent: str) -> bool:
        return name in self.triggers

    def claim(
        self, directory: Path, entries: Mapping[str, os.DirEntry[str]], problems: Problems
    ) -> list[Claim]:
        if "environment.yml" not in entries:
            return []
        return [Claim(self, directory / "environment.yml", "defining")]

    def settle(self, path: Path, ctx: ReadContext) -> bool:
        return False

    def enabled(self, config: Config) -> bool:
        return True

    def read(self, path: Path, ctx: ReadContext, **options: str) -> SourceResult:
        result = SourceResult()
        rel = ctx.rel(path)
        result.files.append(rel)
        for number, line in enumerate(ctx.read_text(path).splitlines(), 1):
            text = line.strip()
            if text.startswith("- ") and "==" in text:
                result.requirements.append(parse_requirement(text[2:], Origin(rel, number)))
        return result


def test_a_registered_toy_reader_is_discovered_and_read(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(
        {
            "ml/environment.yml": "name: ml\ndependencies:\n  - pip:\n    - numpy==1.26.4\n",
            "web/requirements.txt": "numpy==2.0.0\n",
        }
    )
    assert [a.path for a in analyze(root, Config()).apps] == ["web"]

    monkeypatch.setattr(sources, "READERS", (*sources.READERS, CondaEnvironment()))
    plan = analyze(root, Config())
    ml = plan.apps[0]
    assert [a.path for a in plan.apps] == ["ml", "web"]
    assert ml.sources == ("ml/environment.yml",)
    assert [(r.name, r.specifier, r.origin) for r in ml.requirements] == [
        ("numpy", "==1.26.4", Origin("ml/environment.yml", 4))
    ]
    assert [c.package for c in plan.conflicts] == ["numpy"]
    assert "ml/environment.yml" in dependency_files(root, ml)


def test_a_registered_toy_reader_reads_a_baseline_revision(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree({"ml/environment.yml": "dependencies:\n  - pip:\n    - numpy==1.26.4\n"})
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "c0"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True
        )
    monkeypatch.setattr(sources, "READERS", (*sources.READERS, CondaEnvironment()))
    plans: list[Plan] = []

    def analyze_copy(copy: Path) -> Plan:
        plans.append(analyze(copy, Config()))
        return plans[-1]

    load_revision("HEAD", root, analyze_copy)
    assert [(a.path, a.sources) for a in plans[0].apps] == [("ml", ("ml/environment.yml",))]
