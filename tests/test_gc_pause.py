"""The collector pauses (:mod:`depsplit.gc_pause`)."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from depsplit.gc_pause import fewer_collections

ROOT = Path(__file__).resolve().parent.parent


def test_fewer_collections_restores_the_collector() -> None:
    assert gc.isenabled()
    with fewer_collections():
        assert not gc.isenabled()
        with fewer_collections():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_frozen_at_exit_freezes_what_is_alive_then_restores_the_collector() -> None:
    # In a child: freezing is for a process that ends (the console script).
    code = (
        "import gc\n"
        "from depsplit.gc_pause import frozen_at_exit\n"
        "kept = [[i] for i in range(10000)]\n"
        "with frozen_at_exit():\n"
        "    assert not gc.isenabled()\n"
        "assert gc.isenabled()\n"
        "assert gc.get_freeze_count() >= 10000, gc.get_freeze_count()\n"
    )
    env = {"PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_the_library_entry_freezes_nothing() -> None:
    from depsplit.cli import main

    before = gc.get_freeze_count()
    assert main(["--version"]) == 0
    assert gc.get_freeze_count() == before
    assert gc.isenabled()
