"""Against the real PyPI: opt-in (``DEPSPLIT_NETWORK_TESTS=1``), marker ``network``."""

from __future__ import annotations

from pathlib import Path

import pytest
from localindex import req

from depsplit.index import Finder, IndexConfig, check_union, python_support, resolve
from depsplit.model import Target

pytestmark = pytest.mark.network


def test_pypi_transitive_conflict_and_python_choice(tmp_path: Path) -> None:
    with Finder(IndexConfig(cache_dir=tmp_path / "cache", timeout=30.0)) as finder:
        web = [req("fastapi==0.95.2", "services/web/requirements.txt", 3)]
        api = [req("pydantic>=2.5", "services/api/pyproject.toml", 9)]
        problem = check_union(
            {"web": web, "api": api}, target=Target(), python="3.11", finder=finder
        )
        assert problem is not None
        assert "web → fastapi==0.95.2 → pydantic" in str(problem)
        assert "api → pydantic>=2.5 (services/api/pyproject.toml:9)" in str(problem)

        res = resolve(
            [req("tensorflow-cpu==2.12.1")], target=Target(), python="3.11", finder=finder
        )
        assert "3.12" not in python_support(res)
        assert res.pins["tensorflow-cpu"].hashes
