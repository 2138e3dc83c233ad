"""Reports a person can act on at a few hundred apps: summary first, bounded, the packages
that force the most containers named (``-v`` has the rest)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gen import generate_monorepo

from depsplit.cli import main

pytestmark = pytest.mark.usefixtures("no_pip_config")

GITHUB_COMMENT_LIMIT = 65_536


def report(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> str:
    main(["analyze", str(root), "--no-index-facts", *extra])
    return capsys.readouterr().out


def test_a_300_app_repo_reads_summary_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "mono"
    generate_monorepo(root, 300, seed=11, k_groups=12)
    text = report(capsys, root)
    lines = text.splitlines()
    assert lines[0].startswith("depsplit: 300 apps, ")
    head = text.split("\nGroups\n")[0].splitlines()
    assert len(head) <= 60, len(head)
    assert len(lines) <= 100, len(lines)
    packages = text.split("Packages that split apps (most groups forced first)\n")[1]
    rows = packages.split("\n\n")[0].splitlines()
    forced = [int(re.search(r": forces (\d+) groups?;", row)[1]) for row in rows if "forces" in row]
    assert forced == sorted(forced, reverse=True)
    assert forced[0] >= 2
    top = rows[0].split(":")[0].strip()
    assert lines[-1].startswith("depsplit: 12 groups ")
    assert "Every conflict with its files and lines: depsplit analyze -v" in lines

    verbose = report(capsys, root, "-v")
    assert len(verbose.splitlines()) > 3 * len(lines)
    assert "\nApps\n" in verbose

    markdown = report(capsys, root, "--format", "markdown")
    assert len(markdown) < GITHUB_COMMENT_LIMIT
    table = markdown.split("**Packages that split apps** (most groups forced first)\n\n")[1]
    assert table.splitlines()[2].startswith(f"| `{top}` | {forced[0]} | ")
    assert markdown.index("**Packages that split apps**") < markdown.index("Conflicts (")

    github = report(capsys, root, "--format", "github").splitlines()
    annotations = [line for line in github if line.startswith("::error")]
    assert 0 < len(annotations) <= 50
    assert len(github) <= 60


@pytest.mark.corpus
def test_the_realpython_corpus_fits_on_two_screens(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = report(capsys, corpus / "realpython__materials")
    lines = text.splitlines()
    assert len(lines) <= 100, len(lines)
    packages = text.split("Packages that split apps (most groups forced first)\n")[1]
    first = [row.split(":")[0].strip() for row in packages.splitlines()[:3]]
    assert "numpy" in first
