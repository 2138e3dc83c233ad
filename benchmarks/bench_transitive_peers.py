"""Benchmark depsplit's whole-repo ``analyze --transitive`` against its peers on a real corpus.

Run: ``.venv/bin/python benchmarks/bench_transitive_peers.py [--corpus DIR]
[--subset awesome|aws|realpython:N ...] [--python X.Y|auto] [--allow-sdists]``. Prints
figures; asserts nothing about time. Needs network access to https://pypi.org/simple.

Measured, on the same apps, on the same machine, in the same run:

* **depsplit**: one whole-repo analysis, ``depsplit analyze ROOT --transitive --index-url
  https://pypi.org/simple --format json`` (exit 0/1 are fine; exit 2, or an app named in a
  "transitive analysis stopped (...)" error diagnostic, counts as a failure). Cold: a fresh
  ``DEPSPLIT_CACHE_DIR``; warm: the same directory, a second run.
* **uv**: ``uv pip compile REQS --python-version X.Y --python-platform
  x86_64-manylinux_2_40 -o /dev/null`` (the newest glibc uv 0.13 knows; depsplit's is 2.41)
  once per app, in sequence, with ``--python`` this interpreter and
  ``UV_PYTHON_DOWNLOADS=never`` (otherwise uv spends ~1 s per call probing interpreters, or
  ~10 s trying to download a CPython X.Y it never uses with wheels only). Cold: a fresh
  ``UV_CACHE_DIR``; warm: the same directory, a second pass. **uv is not a dependency of
  depsplit**: install it next to this interpreter (``.venv/bin/pip install uv``) or on
  PATH; without it the uv rows print "uv not installed" and are skipped.
* **pip**: ``python -m pip install --dry-run --report /dev/null --ignore-installed --quiet
  -r REQS --python-version X.Y --platform manylinux_2_41_x86_64 ... --implementation cp``
  (every platform tag glibc 2.41 accepts: pip does not expand ``manylinux_2_41`` itself)
  once per app, in sequence. Cold: a fresh ``PIP_CACHE_DIR``; warm: the same, second pass.

Every tool gets the same input: the apps are read once by ``depsplit analyze --format json``
(no ``--transitive``) and each app's ``main``/``lock`` requirements that apply (and its ``-c``
constraints) are written to a temporary requirements file — so pyproject.toml, Pipfile,
setup.cfg and poetry.lock apps are compared too. Direct URL / editable requirements are left
out (depsplit does not resolve them either). The target is the same too: by default every
tool resolves for CPython ``--python`` (3.12; depsplit gets ``--python`` as well) on
manylinux glibc 2.41 x86_64 (depsplit's ``linux/amd64``), **wheels only** (``--only-binary
:all:`` for uv and pip), because depsplit reads wheel metadata and stops on sdist-only
releases instead of building them; ``--allow-sdists`` lets the peers build sdists.
``--python auto``: depsplit picks each group's interpreter itself (its default), and the
peers resolve each app at the interpreter of the group the cold depsplit run put it in.

Every tool is isolated from this machine's pip/uv configuration: ``PIP_*``/``UV_*`` variables
are dropped, ``PIP_CONFIG_FILE=/dev/null``, ``UV_NO_CONFIG=1``, and ``--index-url
https://pypi.org/simple`` is explicit.

Subsets (repeatable; default ``awesome`` and ``aws``): ``awesome`` = docker__awesome-compose
(7 apps), ``aws`` = aws-samples__aws-cdk-examples (86 apps, a negative control that agrees
with itself), ``realpython:N`` = the first N app directories listed in realpython__materials'
MANIFEST.txt (heavy ones: torch, tensorflow...; ``realpython:0`` or ``realpython`` = all).
The chosen app directories are copied (dependency files only, as the corpus holds) into one
temporary root so depsplit analyses them as one repository. Skips cleanly (exit 0) when the
corpus is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from depsplit.index.tags import GLIBC, linux_platforms  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
INDEX = "https://pypi.org/simple"
GLIBC_TAG = "_".join(map(str, GLIBC))
UV_GLIBC_MAX = (2, 40)
"""The newest ``x86_64-manylinux_2_X`` uv 0.13's ``--python-platform`` accepts (depsplit's
images are Debian trixie, glibc 2.41: uv refuses ``manylinux_2_41`` and every uv call
failed). Wheels tagged for exactly 2.41 are rare; uv resolves for the nearest it knows."""
UV_GLIBC_TAG = "_".join(map(str, min(GLIBC, UV_GLIBC_MAX)))
REPOS = {
    "awesome": "docker__awesome-compose",
    "aws": "aws-samples__aws-cdk-examples",
    "realpython": "realpython__materials",
}
_STOPPED = re.compile(r"transitive analysis stopped \(([^)]*)\)")


@dataclass
class App:
    name: str
    path: str
    reqs: Path
    constraints: Path | None
    python: str = ""


Command = Callable[[App], list[str]]


@dataclass
class Pass:
    seconds: float = 0.0
    failures: dict[str, str] = field(default_factory=dict)
    """App → first lines of the error."""
    exit: int | None = None
    stderr: str = ""


# -- environment ---------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never")
    env.pop("DEPSPLIT_CACHE_DIR", None)
    env.update(extra)
    return env


def find_uv() -> str | None:
    here = Path(sys.executable).parent / "uv"
    if here.exists():
        return str(here)
    return shutil.which("uv")


# -- corpus --------------------------------------------------------------------------------


def manifest_dirs(repo: Path) -> list[str]:
    dirs, inside = [], False
    for line in (repo / "MANIFEST.txt").read_text().splitlines():
        if line.startswith("["):
            inside = line.strip() == "[app_dirs]"
            continue
        if inside and line.strip():
            dirs.append(line.split("\t")[0])
    return dirs


def build_root(corpus: Path, subsets: list[str], dest: Path) -> None:
    for subset in subsets:
        key, _, count = subset.partition(":")
        repo = corpus / REPOS[key]
        if key != "realpython":
            shutil.copytree(repo, dest / key, ignore=shutil.ignore_patterns("MANIFEST.txt"))
            continue
        dirs = [d for d in manifest_dirs(repo) if d != "."]
        if count and int(count) > 0:
            dirs = dirs[: int(count)]
        for d in dirs:  # the files of the app directory itself, not of its subdirectories
            (dest / key / d).mkdir(parents=True, exist_ok=True)
            for f in (repo / d).iterdir():
                if f.is_file():
                    shutil.copy2(f, dest / key / d / f.name)


def line(req: dict[str, Any]) -> str:
    extras = f"[{','.join(req['extras'])}]" if req["extras"] else ""
    marker = f"; {req['marker']}" if req["marker"] else ""
    return f"{req['name']}{extras}{req['specifier'] or ''}{marker}"


def read_apps(root: Path, work: Path, env: dict[str, str]) -> tuple[list[App], list[str]]:
    cmd = [sys.executable, "-m", "depsplit", "analyze", str(root), "--format", "json"]
    cmd += ["--fail-on", "never", "--lenient"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode not in (0, 1):
        sys.exit(f"depsplit analyze (reading the apps) failed:\n{proc.stderr[:2000]}")
    report = json.loads(proc.stdout)
    apps, skipped = [], []
    for i, a in enumerate(report["apps"]):
        main, cons = [], []
        for r in a["requirements"]:
            if not r["applies"] or r["url"] or r["editable"]:
                continue
            if r["role"] in ("main", "lock"):
                main.append(line(r))
            elif r["role"] == "constraint":
                cons.append(line(r))
        if not main:
            skipped.append(a["name"])
            continue
        reqs = work / f"{i:04d}-requirements.txt"
        reqs.write_text("\n".join(main) + "\n")
        cfile = None
        if cons:
            cfile = work / f"{i:04d}-constraints.txt"
            cfile.write_text("\n".join(cons) + "\n")
        apps.append(App(a["name"], a["path"], reqs, cfile))
    return apps, skipped


# -- runners -------------------------------------------------------------------------------


def first_lines(text: str, n: int = 3) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[:n])[:300]


def run_depsplit(root: Path, cache: Path, python: str, out: Path) -> Pass:
    cmd = [sys.executable, "-m", "depsplit", "analyze", str(root), "--transitive"]
    cmd += ["--index-url", INDEX, "--format", "json", "--output", str(out)]
    if python != "auto":
        cmd += ["--python", python]
    env = clean_env(DEPSPLIT_CACHE_DIR=str(cache))
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    result = Pass(time.perf_counter() - start)
    result.exit = proc.returncode
    if proc.returncode not in (0, 1):
        result.stderr = first_lines(proc.stderr) or "(no stderr)"
    try:
        report = json.loads(out.read_text())
    except (OSError, ValueError):
        return result
    for d in report.get("diagnostics", []):
        found = _STOPPED.search(d["message"])
        if d["level"] == "error" and found:
            for name in found.group(1).split(", "):
                result.failures.setdefault(name, d["message"][found.end() + 2 :][:300])
    return result


def run_per_app(apps: list[App], command: Command, env: dict[str, str], timeout: float) -> Pass:
    result = Pass()
    start = time.perf_counter()
    for app in apps:
        try:
            proc = subprocess.run(
                command(app), capture_output=True, text=True, env=env, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            result.failures[app.name] = f"timed out after {timeout:g}s"
            continue
        if proc.returncode != 0:
            result.failures[app.name] = first_lines(proc.stderr or proc.stdout)
    result.seconds = time.perf_counter() - start
    return result


def uv_command(uv: str, wheels_only: bool) -> Command:
    def command(app: App) -> list[str]:
        cmd = [uv, "pip", "compile", str(app.reqs), "--python", sys.executable]
        cmd += ["--python-version", app.python]
        cmd += ["--python-platform", f"x86_64-manylinux_{UV_GLIBC_TAG}", "-o", os.devnull]
        cmd += ["--index-url", INDEX, "--quiet", "--no-header"]
        if app.constraints:
            cmd += ["-c", str(app.constraints)]
        if wheels_only:
            cmd += ["--only-binary", ":all:"]
        return cmd

    return command


def pip_command(wheels_only: bool) -> Command:
    def command(app: App) -> list[str]:
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--report", os.devnull]
        cmd += ["--ignore-installed", "--quiet", "--disable-pip-version-check", "-r", str(app.reqs)]
        cmd += ["--index-url", INDEX, "--python-version", app.python]
        cmd += [f"--platform={p}" for p in linux_platforms("x86_64", GLIBC)]
        cmd += ["--implementation", "cp"]
        if app.constraints:
            cmd += ["-c", str(app.constraints)]
        if wheels_only:
            cmd += ["--only-binary", ":all:"]
        return cmd

    return command


# -- report --------------------------------------------------------------------------------


def pythons_from(report: Path, apps: list[App], fallback: str) -> None:
    by_app: dict[str, str] = {}
    try:
        for g in json.loads(report.read_text()).get("groups", []):
            for name in g["apps"]:
                if g.get("python"):
                    by_app[name] = g["python"]
    except (OSError, ValueError):
        pass
    for app in apps:
        app.python = by_app.get(app.name, fallback)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--subset", action="append", metavar="awesome|aws|realpython:N")
    parser.add_argument("--python", default="3.12", help="X.Y, or 'auto' (default 3.12)")
    parser.add_argument("--allow-sdists", action="store_true", help="let uv and pip build sdists")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per peer call")
    parser.add_argument("--skip", action="append", default=[], choices=["uv", "pip"])
    args = parser.parse_args()
    subsets = args.subset or ["awesome", "aws"]
    for s in subsets:
        if s.partition(":")[0] not in REPOS:
            parser.error(f"unknown subset {s!r}")
    missing = [REPOS[s.partition(":")[0]] for s in subsets]
    missing = [m for m in missing if not (args.corpus / m / "MANIFEST.txt").is_file()]
    if missing:
        print(f"corpus not found ({args.corpus}: {', '.join(missing)}): skipped")
        return 0
    wheels_only = not args.allow_sdists
    fallback = "3.12" if args.python == "auto" else args.python

    with tempfile.TemporaryDirectory(prefix="depsplit-peers-") as tmp_:
        tmp = Path(tmp_)
        root, work = tmp / "repo", tmp / "reqs"
        work.mkdir()
        build_root(args.corpus, subsets, root)
        apps, skipped = read_apps(root, work, clean_env())
        for app in apps:
            app.python = fallback
        print(f"subsets: {', '.join(subsets)}; {len(apps)} apps with requirements", end="")
        print(f" ({len(skipped)} without: {', '.join(skipped)})" if skipped else "")
        print(f"target: CPython {args.python}, manylinux_{GLIBC_TAG}_x86_64, ", end="")
        print("sdists allowed for uv/pip" if args.allow_sdists else "wheels only", flush=True)

        rows: dict[str, tuple[Pass, Pass]] = {}
        cache = tmp / "depsplit-cache"
        out = tmp / "depsplit.json"
        cold = run_depsplit(root, cache, args.python, out)
        print(f"  depsplit cold {cold.seconds:8.2f} s", flush=True)
        if args.python == "auto":
            pythons_from(out, apps, fallback)
        warm = run_depsplit(root, cache, args.python, tmp / "depsplit-warm.json")
        print(f"  depsplit warm {warm.seconds:8.2f} s", flush=True)
        rows["depsplit"] = (cold, warm)

        uv = find_uv()
        if "uv" in args.skip:
            pass
        elif uv is None:
            print("uv not installed: skipped (pip install uv)")
        else:
            env = clean_env(UV_CACHE_DIR=str(tmp / "uv-cache"))
            command = uv_command(uv, wheels_only)
            cold = run_per_app(apps, command, env, args.timeout)
            print(f"  uv cold       {cold.seconds:8.2f} s", flush=True)
            warm = run_per_app(apps, command, env, args.timeout)
            print(f"  uv warm       {warm.seconds:8.2f} s", flush=True)
            rows["uv"] = (cold, warm)

        if "pip" not in args.skip:
            env = clean_env(PIP_CACHE_DIR=str(tmp / "pip-cache"))
            command = pip_command(wheels_only)
            cold = run_per_app(apps, command, env, args.timeout)
            print(f"  pip cold      {cold.seconds:8.2f} s", flush=True)
            warm = run_per_app(apps, command, env, args.timeout)
            print(f"  pip warm      {warm.seconds:8.2f} s", flush=True)
            rows["pip"] = (cold, warm)

    per_app = {"depsplit": "whole repo, 1 run", "uv": "once per app", "pip": "once per app"}
    print()
    print(f"{'tool':<9} {'cold s':>9} {'warm s':>9} {'apps':>5} {'failures':>9}  how")
    for tool, (cold, warm) in rows.items():
        fails = f"{len(cold.failures)}/{len(warm.failures)}"
        print(
            f"{tool:<9} {cold.seconds:9.2f} {warm.seconds:9.2f} {len(apps):>5} {fails:>9}  "
            f"{per_app[tool]}"
        )
    print("(failures: cold/warm)")
    d_cold, d_warm = rows["depsplit"][0].seconds, rows["depsplit"][1].seconds
    print()
    for tool in ("uv", "pip"):
        if tool in rows:
            cold, warm = rows[tool]
            print(
                f"{tool} / depsplit: warm {warm.seconds / d_warm:6.2f}x   "
                f"cold {cold.seconds / d_cold:6.2f}x"
            )
    if "uv" in rows:
        ok = rows["uv"][1].seconds > d_warm
        print(f"goal warm depsplit < uv once per app: {'met' if ok else 'NOT met'}")
    if "pip" in rows:
        ok = rows["pip"][1].seconds >= 10 * d_warm
        print(f"goal warm depsplit <= pip once per app / 10: {'met' if ok else 'NOT met'}")

    for label, run in (("cold", rows["depsplit"][0]), ("warm", rows["depsplit"][1])):
        if run.exit not in (0, 1):
            print(f"\ndepsplit {label} run: exit {run.exit}; stderr: {run.stderr}")
    for tool, (cold, warm) in rows.items():
        failures = {**cold.failures, **warm.failures}
        if failures:
            print(f"\n{tool} failures ({len(failures)}):")
            for name, why in sorted(failures.items()):
                print(f"  {name}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
