"""Real-world files from ../shared/corpus: nothing crashes, every bad line is reported with its
line. Skips when the corpus is absent (a user's fresh clone has no ../shared)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from depsplit.analyze import Options, analyze
from depsplit.config import Config
from depsplit.sources import requirements_txt
from depsplit.sources.base import ReadContext

pytestmark = pytest.mark.corpus


def _requirement_files(corpus: Path) -> list[Path]:
    base = corpus / "pip-requirements-parser-tests"
    return sorted(
        p
        for p in base.rglob("*")
        if p.is_file()
        and not p.name.endswith(
            (".json", ".dumps", ".ABOUT", ".LICENSE", ".toml", ".cfg", ".pending")
        )
    )


def test_every_parser_fixture_is_read_without_a_traceback(corpus: Path) -> None:
    files = _requirement_files(corpus)
    assert len(files) > 100
    for path in files:
        ctx = ReadContext(root=path.parent.resolve())
        result = requirements_txt.read(path, ctx)
        for diag in result.diagnostics:
            assert diag.file, (path, diag)
            assert diag.message, (path, diag)


def test_every_invalid_line_the_library_knows_is_a_diagnostic_on_that_line(corpus: Path) -> None:
    """pip-requirements-parser's own expected outputs list the invalid lines of each fixture;
    depsplit must report each of them, on the same line."""
    checked = 0
    for expected_file in sorted(corpus.rglob("*-expected.json")):
        source = expected_file.with_name(expected_file.name.removesuffix("-expected.json"))
        if not source.is_file():
            continue
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        invalid = {i["line_number"] for i in expected.get("invalid_lines", [])}
        if not invalid:
            continue
        ctx = ReadContext(root=source.parent.resolve())
        result = requirements_txt.read(source, ctx)
        own = {d.line for d in result.diagnostics if d.file == source.name}
        missing = invalid - own
        # Includes of files the fixture does not ship are reported on their own -r line too.
        assert not missing, f"{source.name}: invalid lines {sorted(missing)} not reported"
        checked += len(invalid)
    assert checked > 20


@pytest.mark.parametrize(
    "folder",
    ["realpython__materials", "aws-samples__aws-cdk-examples", "docker__awesome-compose"],
)
def test_whole_repositories_analyse_without_a_traceback(corpus: Path, folder: str) -> None:
    root = corpus / folder
    plan = analyze(root, Config(), Options())
    assert plan.apps
    names = [a.name for a in plan.apps]
    assert len(names) == len(set(names))
    for diag in plan.diagnostics:
        assert diag.file, diag
        assert not diag.file.startswith("/"), diag


def test_realpython_apps_match_the_manifest(corpus: Path) -> None:
    """The manifest lists the app directories of the snapshot; depsplit finds those (it may
    drop directories that are only included by others)."""
    root = corpus / "realpython__materials"
    listed = set()
    section = False
    for line in (root / "MANIFEST.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            section = line.strip() == "[app_dirs]"
            continue
        if section and line.strip():
            listed.add(line.split("\t")[0])
    found = {a.path for a in analyze(root, Config(), Options()).apps}
    assert found <= listed
    assert len(found) >= 0.9 * len(listed), sorted(listed - found)[:20]
