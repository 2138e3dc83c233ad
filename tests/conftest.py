from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``{relative path: content}`` under ``root``; return ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def pytest_configure(config: pytest.Config) -> None:
    """Tests run offline: the command line's index facts (on by default for users) are off
    for every test and every ``depsplit`` process a test starts, unless the test turns them
    on against a local index it builds (``--index-facts``)."""
    os.environ["DEPSPLIT_INDEX_FACTS"] = "0"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """``depsplit ARGS…`` in this process: its exit code, stdout and stderr."""
    from depsplit.cli import main

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


@pytest.fixture
def tree(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    def make(files: dict[str, str | bytes]) -> Path:
        return write_tree(tmp_path / "repo", files)

    return make


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    return CORPUS


@pytest.fixture
def no_pip_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only the indexes a test names: no pip.conf, no ``PIP_*`` variables (this machine
    sets some), and a fresh depsplit cache."""
    for name in list(os.environ):
        if name.startswith("PIP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("DEPSPLIT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str | None, ...]]:
    """Every resolution the resolver starts (the apps it resolves), in order."""
    import sys

    import depsplit.index.resolve  # noqa: F401  (the module, not the function of that name)

    module = sys.modules["depsplit.index.resolve"]
    started: list[tuple[str | None, ...]] = []
    run = module._run

    def counting(apps, *args, **kw):  # type: ignore[no-untyped-def]
        started.append(tuple(app for app, _reqs in apps))
        return run(apps, *args, **kw)

    monkeypatch.setattr(module, "_run", counting)
    return started
