"""End-to-end tests: opt-in (``pytest -m e2e`` or ``DEPSPLIT_E2E=1``), one private engine."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from engine import Engine, EngineUnavailable, Timings  # noqa: E402

TIMINGS = pytest.StashKey[Timings]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "e2e: builds and runs real containers with a private dockerd (root, Debian); "
        "selected with -m e2e or DEPSPLIT_E2E=1",
    )
    config.stash[TIMINGS] = Timings()


def e2e_selected(config: pytest.Config) -> bool:
    if os.environ.get("DEPSPLIT_E2E") == "1":
        return True
    expr = str(config.getoption("markexpr", "") or "")
    return bool(re.search(r"\be2e\b", expr)) and not re.search(r"\bnot\s+e2e\b", expr)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if e2e_selected(config):
        return
    skip = pytest.mark.skip(reason="e2e: opt in with `pytest -m e2e` or DEPSPLIT_E2E=1")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    timings = terminalreporter.config.stash.get(TIMINGS, None)
    if timings is not None and timings.steps:
        terminalreporter.section("e2e step timings")
        terminalreporter.write_line(timings.report())


@pytest.fixture(scope="session")
def timings(pytestconfig: pytest.Config) -> Timings:
    return pytestconfig.stash[TIMINGS]


@pytest.fixture(scope="session")
def engine(timings: Timings) -> Iterator[Engine]:
    """A private dockerd for the whole session; skips loudly only if the kernel forbids it."""
    eng = Engine(timings=timings)
    try:
        eng.start()
    except EngineUnavailable as exc:
        eng.stop()
        banner = f"E2E SKIPPED: this machine cannot run a container engine: {exc}"
        print(f"\n{'!' * len(banner)}\n{banner}\n{'!' * len(banner)}", file=sys.stderr)
        pytest.skip(banner)
    except BaseException:
        eng.stop()
        raise
    try:
        yield eng
    finally:
        eng.stop()
