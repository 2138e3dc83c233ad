"""The generated ``Dockerfile.dockerignore`` applied by a real BuildKit (issue 16.3, 16.4):
the build context of a group holds exactly the files it should, with app directories named
``#hash`` and ``!bang``, credential files (``.netrc``, ``pip.conf``, ``.env`` …) and
dependency files holding credentials whose names are full of wildcards.

The probe keeps the generated ignore file as it is and swaps the Dockerfile for
``FROM scratch`` + ``COPY . /``, exported with ``--output type=local``: what lands there is
what the engine's context transfer let through (BuildKit reads ``<Dockerfile>.dockerignore``
next to the Dockerfile)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from engine import Engine, Timings

HOSTILE = Path(__file__).resolve().parents[1] / "hostile"
if str(HOSTILE) not in sys.path:
    sys.path.insert(0, str(HOSTILE))

from dockerignore_rules import context  # noqa: E402
from dockerignore_tree import IN_CONTEXT, SECRET, write  # noqa: E402

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def _context_of(engine: Engine, root: Path, ignore: Path, out: Path) -> set[str]:
    probe = root / f".probe-{out.name}"
    probe.mkdir()
    (probe / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    shutil.copy2(ignore, probe / "Dockerfile.dockerignore")
    env_bk = engine.env.get("DOCKER_BUILDKIT")
    engine.env["DOCKER_BUILDKIT"] = "1"
    try:
        engine.docker(
            "build",
            "--network",
            "none",
            "-f",
            probe / "Dockerfile",
            "--output",
            f"type=local,dest={out}",
            root,
        )
    finally:
        if env_bk is None:
            engine.env.pop("DOCKER_BUILDKIT", None)
        else:
            engine.env["DOCKER_BUILDKIT"] = env_bk
    return {os.path.relpath(os.path.join(d, f), out) for d, _, files in os.walk(out) for f in files}


def test_the_build_context_holds_no_credential_file(
    engine: Engine, timings: Timings, tmp_path: Path
) -> None:
    root = write(tmp_path / "repo")
    gen = subprocess.run(
        [sys.executable, "-m", "depsplit", "generate", str(root), "-o", str(root / "deploy")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert gen.returncode == 0, gen.stderr
    [ignore] = list((root / "deploy").glob("*/Dockerfile.dockerignore"))
    group = ignore.parent.name
    with timings.step("dockerignore: BuildKit context of a hostile tree"):
        sent = _context_of(engine, root, ignore, tmp_path / "out")
    assert sent == {*IN_CONTEXT, f"deploy/{group}/requirements.txt"}
    for rel in sent:
        assert SECRET not in (tmp_path / "out" / rel).read_text(encoding="utf-8"), rel

    # The same file without its escapes (what depsplit wrote before): the engine reads
    # "#hash/…" as a comment and "!bang/…" as a re-include, and both secrets are sent.
    naive = tmp_path / "naive.dockerignore"
    naive.write_text(
        "".join(
            line.replace("\\", "") + "\n"
            for line in ignore.read_text(encoding="utf-8").splitlines()
            if "[x]" not in line
        )
    )
    with timings.step("dockerignore: the same, unescaped"):
        leaked = _context_of(engine, root, naive, tmp_path / "naive")
    assert {"#hash/requirements.txt", "!bang/requirements.txt"} <= leaked - sent

    # The port of the matching rules the fuzzers use gives what the engine sent, both times.
    files = [os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs]
    assert context(ignore.read_text(encoding="utf-8"), files) == sent
    assert context(naive.read_text(encoding="utf-8"), files) == leaked
