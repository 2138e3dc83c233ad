"""The hostile monorepo, built once per session in a temporary directory (see
:mod:`hostile_builder`), and helpers to run the CLI and look for secrets."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
from hostile_builder import SECRETS, build, build_secrets

from depsplit.cli import main


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("hostile") / "repo")


@pytest.fixture(scope="session")
def secret_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_secrets(tmp_path_factory.mktemp("secrets") / "repo")


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``depsplit argv`` in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    try:
        os.environ.update(env or {})
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return code, out.getvalue(), err.getvalue()


def leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def snapshot(root: Path) -> dict[str, bytes]:
    """Every path under ``root`` (symlinks not followed) with its bytes, its link target or
    ``<dir>``."""
    out: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = b"-> " + os.readlink(path).encode()
            elif path.is_dir():
                out[rel] = b"<dir>"
            elif not path.is_file():
                out[rel] = b"<special>"  # a FIFO: reading it would block
            elif path.stat().st_size > 1 << 20:
                out[rel] = f"<{path.stat().st_size} bytes>".encode()
            else:
                out[rel] = path.read_bytes()
    return out
