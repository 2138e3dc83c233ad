"""Two analyses in one process never see each other's state (issue 20 #2): the JSON report
of each repository is the same whether it runs first, second, or alone in a fresh process,
whatever the memo dicts and caches the modules keep."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gen import generate_monorepo

from depsplit.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPO = Path(__file__).resolve().parents[1]


def in_process(capsys: pytest.CaptureFixture[str], root: Path) -> str:
    main(["analyze", str(root), "--no-index-facts", "--format", "json"])
    return capsys.readouterr().out


def fresh(root: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "depsplit", "analyze", str(root), "--no-index-facts",
         "--format", "json"],
        capture_output=True, text=True, check=False, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


@pytest.mark.usefixtures("no_pip_config")
def test_two_repositories_in_one_process_in_both_orders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = FIXTURES / "monorepo"
    generated = tmp_path / "mono"
    generate_monorepo(generated, 120, seed=3, k_groups=4)
    # The demo's packages under other specifiers: what per-specifier memos would mix up.
    twin = tmp_path / "twin"
    shutil.copytree(demo, twin)
    for path in twin.rglob("requirements*.txt"):
        text = path.read_text(encoding="utf-8")
        text = text.replace("flask==1.1.1", "flask==2.0.3").replace(">=3.0,<4", "<3")
        path.write_text(text.replace("==1.10.13", ">=2,<3"), encoding="utf-8")
    alone = {root: fresh(root) for root in (demo, generated, twin)}
    conflicts = {r: json.loads(alone[r])["conflicts"] for r in (demo, twin)}
    assert conflicts[twin] != conflicts[demo]  # the same packages, other answers
    orders = ((demo, generated, twin), (twin, generated, demo), (demo, twin, demo, twin))
    for order in orders:
        for root in order:
            assert in_process(capsys, root) == alone[root], (order, root)


@pytest.mark.parametrize("module", ["depsplit.conflicts", "depsplit.specalgebra"])
def test_no_module_level_memo(module: str) -> None:
    """What one analysis derives lives on the run's caches (``conflicts.EffectiveCache``,
    ``conflicts.SpecCache``) or on packaging's value objects, never in a module: no
    module-level dict, list or set, and no ``functools`` cache."""
    import importlib

    found = [
        name
        for name, value in vars(importlib.import_module(module)).items()
        if (isinstance(value, (dict, list, set)) and not name.startswith("__"))
        or hasattr(value, "cache_info")
    ]
    assert found == [], found


def _sources_modules() -> list[str]:
    import pkgutil

    import depsplit.sources

    return sorted(
        f"depsplit.sources.{m.name}" for m in pkgutil.iter_modules(depsplit.sources.__path__)
    )


@pytest.mark.parametrize("module", _sources_modules())
def test_sources_hold_no_module_level_memo(module: str) -> None:
    """What the readers remember lives in the run's ``ReadContext.cache`` (issue 20 #2):
    no module of :mod:`depsplit.sources` holds a module-level dict, list or set, nor a
    ``functools`` cache of its own taking arguments. Constant tables stay: read-only
    mappings, and patterns compiled on first use (a cached function of no argument)."""
    import importlib
    import inspect

    def is_memo(value: object) -> bool:
        if isinstance(value, (dict, list, set)):
            return True
        wrapped = getattr(value, "__wrapped__", None)
        if not hasattr(value, "cache_info") or getattr(value, "__module__", None) != module:
            return False  # not a cache, or another module's (checked with that module)
        return wrapped is None or bool(inspect.signature(wrapped).parameters)

    found = [
        name
        for name, value in vars(importlib.import_module(module)).items()
        if not name.startswith("__") and is_memo(value)
    ]
    assert found == [], found
