"""The benchmark command keeps working: it is how the performance figures of the README are
reproduced, and it reaches into the pipeline's internals (it times each phase by wrapping
the functions ``depsplit.analyze`` calls), so a rename there would otherwise break it
silently. Small sizes only: the figures themselves are not asserted (see the README)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_benchmark_prints_the_table_and_the_pip_comparison(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "run.py"),
            "--sizes",
            "40",
            "--groups",
            "3",
            "--no-corpus",
            "--repeat",
            "1",
            "--pip-pairs",
            "1",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    row = next(line for line in out.stdout.splitlines() if line.startswith("synthetic 40 "))
    names = [
        *("apps", "lines", "discover", "read", "conflicts", "partition", "report", "analyze"),
        *("cli", "peak_mib", "conflicts_n", "app_sets", "groups", "planted", "optimal"),
    ]
    cells = dict(zip(names, row[len("synthetic 40") :].split(), strict=True))
    assert cells["apps"] == "40"
    # Each phase was timed (a wrapper that no longer wraps anything would print 0ms).
    for phase in ("read", "conflicts", "partition"):
        assert cells[phase] != "0ms", (phase, row)
    # The planted optimum was found and proven.
    assert (cells["groups"], cells["planted"], cells["optimal"]) == ("3", "3", "yes"), row
    # Targets concern 10,000 synthetic apps and the real repositories: none was run.
    assert "targets:" not in out.stdout
    peers = re.search(r"synthetic 40: pip ([\d.]+)s per pair .* ([\d,]+)x faster", out.stdout)
    assert peers, out.stdout
