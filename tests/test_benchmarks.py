"""The benchmark command keeps working: it is how the performance figures of the README are
reproduced, and it reaches into the pipeline's internals (it times each phase by wrapping
the functions ``depsplit.analyze`` calls), so a rename there would otherwise break it
silently. Small sizes only: the figures themselves are not asserted (see the README)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def _shapes() -> Any:
    """benchmarks/shapes.py as a module (registered first: its dataclasses look it up)."""
    name = "depsplit_benchmark_shapes"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / "shapes.py")
        assert spec
        assert spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_shape_generators_are_seeded_and_every_pin_moves() -> None:
    shapes = _shapes()
    first = shapes.subsets_files(120, 3)
    assert first == shapes.subsets_files(120, 3)
    assert first != shapes.subsets_files(120, 4)
    assert any(p.endswith("/requirements/prod.txt") for p in first)
    assert any(p.endswith("/pyproject.toml") for p in first)
    assert any("trap" in text for text in first.values())
    moved = shapes.subsets_files(120, 3, shift=1)
    assert moved.keys() == first.keys()
    pinned = 0
    for path, text in first.items():  # every app's every pin moved
        lines = {line for line in text.splitlines() if line[:1].isalpha() and "==" in line}
        pinned += len(lines)
        assert not lines & set(moved[path].splitlines()), path
    assert pinned > 100
    boto = shapes.pins_files(50, 1)
    versions = [t.split("\n")[0] for t in boto.values()]
    assert len(set(versions)) == 50
    assert all(v.startswith("boto3==1.26.") for v in versions)


def test_shape_floors_are_judged() -> None:
    shapes = _shapes()
    fast = shapes.Run(seconds=1.0, peak_mb=100, code=0)
    floor = shapes.Run(seconds=0.5, peak_mb=20, code=0)
    row = shapes.Row("subsets 10,000", "analyze", 10_000, fast, 1, floor)
    shapes.judge(row)
    assert row.checks == [("< 3 s", True), ("< 300 MB", True), ("ratio <= 3", True)]
    stopped = shapes.Run(seconds=120, peak_mb=3000, code=-9, over="> 120 s")
    row = shapes.Row("onepin 1,500", "generate", 1500, stopped)
    shapes.judge(row)
    assert row.checks == [("< 3 s", False), ("< 300 MB", False)]
    small = shapes.Row("pins 1,000", "analyze", 1000, shapes.Run(2.0, 50, 0))
    big = shapes.Row("pins 10,000", "analyze", 10_000, shapes.Run(40.0, 900, 0))
    (line,) = shapes.growth([small, big])
    assert line.endswith("NOT met"), line


def test_write_only_floor_times_a_copy_and_leaves_nothing(tmp_path: Path) -> None:
    shapes = _shapes()
    outdir = tmp_path / "deploy"
    for rel, text in {"a/Dockerfile": "FROM x\n", "b/c/req.txt": "x==1\n", "plan": "{}"}.items():
        (outdir / rel).parent.mkdir(parents=True, exist_ok=True)
        (outdir / rel).write_text(text)
    seconds = shapes.write_only(outdir, shapes.Limits(60, 3000, 2))
    assert seconds is not None
    assert 0 < seconds < 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deploy"]  # its copy is gone
    assert shapes.write_only(tmp_path / "missing", shapes.Limits(60, 3000, 1)) is None


def test_shapes_benchmark_prints_every_row(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "shapes.py"),
            *("--sizes", "24", "--shapes", "gen,subsets,pins", "--onepin", "12"),
            *("--regenerate", "20", "--repeat", "1", "--no-corpus-rows"),
            *("--workdir", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    table = out.stdout[out.stdout.index("repository") :]
    for name in ("gen 24", "subsets 24", "pins 24", "onepin 12"):
        for command in ("analyze", "generate"):
            assert re.search(rf"^{name}\s+{command}\s", table, re.M), (name, command, table)
        assert "ratio" in table
        # A generate row names the disk's floor for its output (seconds), analyze does not.
        assert re.search(rf"^{name}\s+generate\s.*\s\d+\.\d\d\s+0\s+-$", table, re.M), table
        assert re.search(rf"^{name}\s+analyze\s.*\s-\s+0\s+-$", table, re.M), table
    assert re.search(r"every pin changed\s+re-generate\s+20\s", table), table
    assert re.search(r"every pin changed\s+generate --check\s+20\s.*\s1\s", table), table
    assert "growth" not in out.stdout  # one size: nothing to compare


def _wheel_dryrun() -> Any:
    """benchmarks/wheel_dryrun.py as a module."""
    name = "depsplit_benchmark_wheel_dryrun"
    if name not in sys.modules:
        path = REPO / "benchmarks" / "wheel_dryrun.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec
        assert spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_the_wheel_dry_run_evaluates_markers_for_the_group_s_python(
    tmp_path: Path, monkeypatch: Any
) -> None:
    # app needs helper only on CPython 3.7 and later: a 3.6 group's lock rightly leaves it
    # out. pip's --python-version does not reach the markers; without the script's marker
    # environment the running interpreter's is used, and pip (hash-checking) refuses it.
    import hashlib
    import os

    sys.path.insert(0, str(REPO / "tests" / "index"))
    from localindex import Dist, build_index

    index = build_index(
        tmp_path / "index",
        [Dist("app", "1.0", requires=['helper; python_version >= "3.7"']), Dist("helper", "1.0")],
    )
    digest = hashlib.sha256((index.files / "app-1.0-py3-none-any.whl").read_bytes()).hexdigest()
    group = tmp_path / "deploy" / "old"
    group.mkdir(parents=True)
    (group / "requirements.txt").write_text(f"app==1.0 --hash=sha256:{digest}\n")
    dryrun = _wheel_dryrun()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    extra = ["--index-url", index.file_url]
    checked = dryrun.check_group(tmp_path / "deploy", "old", "3.6", [], [], env, extra, False)
    assert checked.ok, checked.error
    monkeypatch.setattr(dryrun, "marker_environment", lambda python: {})
    host = dryrun.check_group(tmp_path / "deploy", "old", "3.6", [], [], env, extra, False)
    assert not host.ok
    assert "all requirements must have their versions pinned" in host.error


def test_the_wheel_dry_run_checks_a_built_release_s_sdist_hash(tmp_path: Path) -> None:
    # In a hashed lock, a release the image builds is looked up with its own line (pip
    # checks the sdist's hash) and its stand-in wheel is accepted in its place.
    import hashlib
    import os

    sys.path.insert(0, str(REPO / "tests" / "index"))
    from localindex import Dist, build_index

    index = build_index(
        tmp_path / "index",
        [Dist("app", "1.0", requires=["srconly"]), Dist("srconly", "0.5", tags=(), sdist=True)],
    )

    def sha(name: str) -> str:
        return hashlib.sha256((index.files / name).read_bytes()).hexdigest()

    dryrun = _wheel_dryrun()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    extra = ["--index-url", index.file_url]
    group = tmp_path / "deploy" / "g"
    group.mkdir(parents=True)
    for sdist_hash, ok in ((sha("srconly-0.5.tar.gz"), True), ("0" * 64, False)):
        (group / "requirements.txt").write_text(
            f"app==1.0 \\\n    --hash=sha256:{sha('app-1.0-py3-none-any.whl')}\n"
            f"srconly==0.5 \\\n    --hash=sha256:{sdist_hash}\n"
        )
        checked = dryrun.check_group(
            tmp_path / "deploy", "g", "3.12", [("srconly", "0.5")], [], env, extra, False
        )
        assert checked.ok == ok, checked.error
    assert "DO NOT MATCH THE HASHES" in checked.error


def test_the_torch_stack_stand_in_is_32_apps_each_its_own_requirements(tmp_path: Path) -> None:
    script = REPO / "benchmarks" / "torch_stack.py"
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "torch")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("32 apps in ")
    texts = [p.read_text() for p in sorted((tmp_path / "torch").glob("app*/requirements.txt"))]
    assert len(texts) == 32
    assert len(set(texts)) == 32
    assert texts[0] == "torch==2.5.0\ntorchvision==0.20.0\nrequests>=2.31\npydantic>=2\n"
    refused = subprocess.run(
        [sys.executable, str(script), str(REPO / "torch-here")], capture_output=True, text=True
    )
    assert refused.returncode == 2
    assert "outside this repository" in refused.stderr
    assert not (REPO / "torch-here").exists()
