from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from localindex import WORLD, LocalIndex, build_index

from depsplit.index import Finder, IndexConfig


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "network: talks to the real PyPI (set DEPSPLIT_NETWORK_TESTS=1)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if os.environ.get("DEPSPLIT_NETWORK_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="network test: set DEPSPLIT_NETWORK_TESTS=1")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def world(tmp_path: Path) -> LocalIndex:
    return build_index(tmp_path / "index", WORLD)


@pytest.fixture
def make_finder(tmp_path: Path) -> Iterator[Callable[..., Finder]]:
    finders: list[Finder] = []

    def make(index_url: str, **kwargs: object) -> Finder:
        options: dict[str, object] = {
            "index_url": index_url,
            "cache_dir": tmp_path / "cache",
            "retries": 2,
            "backoff": 0.01,
            "timeout": 5.0,
        }
        options.update(kwargs)
        finder = Finder(IndexConfig(**options))  # type: ignore[arg-type]
        finders.append(finder)
        return finder

    yield make
    for f in finders:
        f.close()
