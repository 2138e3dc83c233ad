"""The long campaign's driver (``benchmarks/fuzz_long.py``) keeps working: a small run of
every class, as the long one runs them (issue 16's figures come from it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLASSES = [
    "readers",
    "includes",
    "analyze",
    "decoys",
    "baseline",
    "generate",
    "generate-interrupted",
    "commit-interrupted",
    "dockerignore",
    "pip-lines",
]


def test_a_small_campaign_runs_every_class_and_finds_nothing(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "fuzz_long.py"),
            *("--cases", "20", "--seed", "1", "--jobs", "2", "--summary", str(summary)),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    figures = json.loads(summary.read_text(encoding="utf-8"))
    assert sorted(figures["per_class"]) == sorted(CLASSES)
    assert all(c["cases"] >= 1 for c in figures["per_class"].values())
    assert figures["cases"] == sum(c["cases"] for c in figures["per_class"].values())
    assert figures["failures"] == {}
    assert "tracebacks 0, leaked secrets 0" in done.stdout
