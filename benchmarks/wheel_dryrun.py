"""Would every generated group install from wheels on the Python it names? Ask the real index.

    python benchmarks/wheel_dryrun.py OUTDIR          # a `depsplit generate` output directory
    python benchmarks/wheel_dryrun.py --generate ROOT # runs `depsplit generate ROOT -o TMP` first
    options: --jobs N (default 6), --timeout S (per pip run, default 600), --json FILE, --verbose

For every group (``OUTDIR/GROUP/requirements.txt``) it runs, in parallel::

    python -m pip install --dry-run --ignore-installed --target TMP --only-binary=:all: \\
        --python-version X.Y --implementation cp --abi cpXY --abi abi3 --abi none \\
        --platform manylinux_2_36_x86_64 ... --platform manylinux1_x86_64 --platform linux_x86_64 \\
        -r OUTDIR/GROUP/requirements.txt

with X.Y the group's Python (``depsplit-plan.json``, else the Dockerfile's ``ARG
PYTHON_VERSION``) and the platform tags of a Debian 12 (glibc 2.36) x86_64 image, and prints
per group PASS/FAIL with pip's first error line, then "N of M groups pass". It needs pip 23.3
or newer (older pips judge ``Requires-Python`` by the interpreter running them, not the
group's: pypa/pip#12216) and exits 2 with an older one.

pip reads no configuration file (``PIP_CONFIG_FILE=/dev/null``, no ``PIP_*`` variables), so a
machine's local indexes and wheel directories cannot mask what the real index has; only what
pip needs to *reach* its index is passed on: the CA bundle (pip's ``cert``, else
``REQUESTS_CA_BUNDLE``/``SSL_CERT_FILE``), a remote ``index-url`` if one is configured, the
timeout, proxy variables.

**Groups with builds** (the plan's ``builds``: releases with no wheel, built from their
sdist, named or reached through a pin's dependencies): pip refuses sdists whenever
``--python-version``/``--platform`` are given, unless ``--no-deps``
(``check_dist_restriction``: the format control must be exactly ``--only-binary=:all:``; and
``--only-binary=:all: --no-binary PKG`` would *force* PKG's sdist, not allow it). So each
named package is first looked up alone with ``--no-deps`` and no format restriction (wheel or
sdist), its metadata prepared by pip (``--report``) and turned into a stand-in
``py3-none-any`` wheel (METADATA only) in a ``--find-links`` directory; then the whole file is
checked with ``--only-binary=:all:`` as above, the named packages coming from their stand-ins,
so their own dependencies are resolved with the rest. A named package whose sdist was found
but whose metadata could not be prepared here counts as found (its stand-in has no
dependencies): whether it builds is the image's business, not this dry run's.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

PLATFORMS = (
    *(f"manylinux_2_{minor}_x86_64" for minor in range(36, 4, -1)),
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
    "linux_x86_64",
)


@dataclass
class GroupCheck:
    group: str
    python: str
    ok: bool = False
    error: str = ""
    seconds: float = 0.0
    builds: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def abis(python: str) -> list[str]:
    major, minor = (int(p) for p in python.split(".")[:2])
    tag = f"cp{major}{minor}"
    if (major, minor) <= (2, 7):
        flavoured = [f"{tag}mu", f"{tag}m", tag]
    elif (major, minor) <= (3, 7):
        flavoured = [f"{tag}m", tag]
    else:
        flavoured = [tag]
    return [*flavoured, *(["abi3"] if major == 3 else []), "none"]


# The patch release an end-of-life ``python:X.Y-slim`` image carries (its last): pip takes
# ``--python-version 3.6`` for 3.6.0, which ``Requires-Python >=3.6.1`` (pandas 1.0) excludes,
# while the image runs 3.6.15. Maintained minors are given as X.Y (their patch moves).
FINAL_PATCH = {"2.7": "2.7.18", "3.5": "3.5.10", "3.6": "3.6.15", "3.7": "3.7.17", "3.8": "3.8.20"}


def target_args(python: str) -> list[str]:
    args = ["--python-version", FINAL_PATCH.get(python, python), "--implementation", "cp"]
    for abi in abis(python):
        args += ["--abi", abi]
    for plat in PLATFORMS:
        args += ["--platform", plat]
    return args


# pip before 23.3 checks a distribution's ``Requires-Python`` metadata against the interpreter
# running pip, not ``--python-version`` (pypa/pip#12216, fixed by pypa/pip#12218): a group on
# 3.10 that holds numpy 1.21.4 (``<3.11``) fails as "requires a different Python: 3.11.7".
MIN_PIP = (23, 3)


def pip_version() -> tuple[int, ...]:
    """The version of the pip this script runs (``python -m pip``), as integers."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, text=True, check=False
    ).stdout
    m = re.match(r"pip (\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def pip_too_old() -> str:
    """Why this pip cannot give the answer (``""`` when it can)."""
    found = pip_version()
    if found >= MIN_PIP:
        return ""
    return (
        f"pip {'.'.join(map(str, found))} checks Requires-Python against {sys.version.split()[0]},"
        f" not --python-version (pypa/pip#12216): run this script with a Python whose pip is"
        f" {'.'.join(map(str, MIN_PIP))} or newer (e.g. a venv after `pip install -U pip`)"
    )


# -- what pip needs to reach the index, from this machine's pip configuration ------------------


def _pip_config() -> dict[str, str]:
    """pip's merged configuration (files, then ``PIP_*`` variables), via ``pip config debug``."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "config", "debug"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    files: dict[str, str] = {}
    env: dict[str, str] = {}
    for line in out.splitlines():
        m = re.match(r"^\s+([\w:.-]+)\.([\w-]+):\s(.*)$", line)
        if m:
            if m.group(1) in {"global", "install"}:
                files[m.group(2).replace("_", "-")] = m.group(3).strip()
            continue
        m = re.match(r"^\s+PIP_(\w+)='(.*)'$", line)
        if m:
            env[m.group(1).lower().replace("_", "-")] = m.group(2)
    return {**files, **env}


def pip_env() -> tuple[dict[str, str], list[str]]:
    """(environment, extra pip args) reaching the real index and nothing local."""
    conf = _pip_config()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    args: list[str] = []
    cert = (
        conf.get("cert") or os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")
    )
    if cert and Path(cert).is_file():
        env["PIP_CERT"] = cert
    index = conf.get("index-url")
    if index and urllib.parse.urlparse(index).scheme in {"http", "https"}:
        args += ["--index-url", index]
    for host in conf.get("trusted-host", "").split():
        args += ["--trusted-host", host]
    if conf.get("timeout") or conf.get("default-timeout"):
        env["PIP_DEFAULT_TIMEOUT"] = conf.get("timeout") or conf["default-timeout"]
    if conf.get("proxy"):
        args += ["--proxy", conf["proxy"]]
    return env, args


# -- groups -------------------------------------------------------------------------------------


_ARG = re.compile(r"^\s*ARG\s+PYTHON_VERSION=(\S+)", re.M)
_STAGE = re.compile(r"^\s*FROM\s+\S+\s+AS\s+(\S+)", re.I | re.M)


def groups_of(outdir: Path) -> list[tuple[str, str, list[tuple[str, str]], list[str]]]:
    """[(group, python, builds [(package, version)], notes)] for every group directory."""
    plan_path = outdir / "depsplit-plan.json"
    plan = json.loads(plan_path.read_text()) if plan_path.is_file() else {}
    planned = {g["name"]: g for g in plan.get("groups", [])}
    found = []
    for req in sorted(outdir.glob("*/requirements.txt")):
        name = req.parent.name
        dockerfile = req.parent / "Dockerfile"
        text = dockerfile.read_text() if dockerfile.is_file() else ""
        g = planned.get(name, {})
        python = str(g.get("python") or "")
        if not python:
            m = _ARG.search(text)
            python = m.group(1).strip("\"'") if m else ""
        notes: list[str] = []
        builds = [(b["package"], str(b.get("version", ""))) for b in g.get("builds", []) or []]
        if not builds and any(s.lower() == "builder" for s in _STAGE.findall(text)):
            names = re.findall(r"--no-binary[= ](\S+)", text)
            builds = [(n, "") for part in names for n in part.split(",") if n and ":" not in n]
            if not builds:
                notes.append("builder stage, but no package named: checked wheels-only")
        found.append((name, python, builds, notes))
    return found


_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _shorten(line: str) -> str:
    """``(from versions: a, b, ..., z)`` -> ``(from versions: a ... z, N)``."""

    def fold(m: re.Match[str]) -> str:
        versions = [v.strip() for v in m.group(1).split(",") if v.strip()]
        if len(versions) <= 3:
            return m.group(0)
        return f"(from versions: {versions[0]} ... {versions[-1]}, {len(versions)})"

    return re.sub(r"\(from versions: ([^)]*)\)", fold, line)


def first_error(output: str) -> str:
    # "Ignored the following versions that require a different python version" comes first
    # but says less than the line after it.
    lines = [
        _shorten(line.strip())
        for line in output.splitlines()
        if line.strip() and not line.startswith("ERROR: Ignored the following")
    ]
    for pat in (r"^ERROR: ", r"^error: ", r"\berror\b"):
        for line in lines:
            if re.search(pat, line, re.I if pat == r"\berror\b" else 0):
                return line[:240]
    return (lines[-1] if lines else "no output")[:240]


TIMEOUT = 600.0


# pip's ``--python-version`` sets the interpreter for tags and ``Requires-Python`` only: the
# markers of ``Requires-Dist`` are evaluated for the interpreter running pip. A 3.11 pip
# checking a 3.14 group takes ``overrides; python_version < "3.12"`` (jupyter-server) as
# needed, and a 3.12 group's ``triton; python_version < "3.12"`` (torch 2.3.1) too, and
# refuses a lock that rightly leaves them out. So pip runs with its marker environment set
# to the group's CPython on Linux x86_64 (the same patch release ``--python-version`` gets):
# pip's vendored ``packaging.markers.default_environment``, which ``Marker.evaluate`` calls.
_MARKER_SHIM = """
import json, sys
from pip._vendor.packaging import markers
environment = dict(markers.default_environment())
environment.update(json.loads(sys.argv.pop(1)))
markers.default_environment = lambda: dict(environment)
sys.argv[0] = "pip"
from pip._internal.cli.main import main
sys.exit(main())
"""


def marker_environment(python: str) -> dict[str, str]:
    """PEP 508 marker values of CPython ``python`` in a manylinux x86_64 container."""
    full = FINAL_PATCH.get(python, f"{python}.0")
    return {
        "python_version": python,
        "python_full_version": full,
        "implementation_name": "cpython",
        "implementation_version": full,
        "platform_python_implementation": "CPython",
        "os_name": "posix",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
    }


def pip(
    args: list[str], env: dict[str, str], cwd: Path, python: str
) -> subprocess.CompletedProcess[str]:
    # --target: pip before 24 refuses platform/ABI options without it, even with --dry-run
    # (which writes nothing there).
    target = cwd / ".dryrun-target" if os.access(cwd, os.W_OK) else Path(tempfile.gettempdir())
    command = [
        sys.executable,
        "-c",
        _MARKER_SHIM,
        json.dumps(marker_environment(python)),
        "install",
        "--dry-run",
        "--ignore-installed",
        "--target",
        str(target),
        *args,
    ]
    try:
        return subprocess.run(
            command, env=env, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        # pip backtracking through many unpinned requirements: a build would hang as long.
        def text(data: bytes | str | None) -> str:
            return data.decode(errors="replace") if isinstance(data, bytes) else (data or "")

        return subprocess.CompletedProcess(
            command,
            124,
            text(exc.stdout),
            text(exc.stderr) + f"\nERROR: pip did not finish within {TIMEOUT:.0f} s\n",
        )


def logical_lines(text: str) -> list[str]:
    """A requirements file's lines with backslash continuations joined (a lock's ``--hash``
    options), comments and blank lines dropped."""
    joined = re.sub(r"\\\n", " ", text)
    return [
        line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def _pins(line: str, package: str, version: str) -> bool:
    """Whether ``line`` is the pin ``package==version`` (any extras, any options)."""
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;\\]+)", line)
    if not m or m.group(2) or canonical(m.group(1)) != canonical(package):
        return False
    return not version or m.group(3) == version


def standin(where: Path, package: str, version: str, metadata: dict[str, object]) -> Path:
    """A wheel that installs nothing, named ``package-version-py3-none-any``, whose METADATA
    is what pip prepared from the sdist (``--report``): it stands for the wheel the image's
    builder compiles, so that pip resolves the rest of the group around it."""
    import zipfile

    name = str(metadata.get("name") or package)
    version = str(metadata.get("version") or version)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if metadata.get("requires_python"):
        lines.append(f"Requires-Python: {metadata['requires_python']}")
    extras: list[str] = list(metadata.get("provides_extra") or [])  # type: ignore[call-overload]
    deps: list[str] = list(metadata.get("requires_dist") or [])  # type: ignore[call-overload]
    lines += [f"Provides-Extra: {e}" for e in extras]
    lines += [f"Requires-Dist: {d}" for d in deps]
    stem = f"{re.sub(r'[-_.]+', '_', name)}-{version}"
    path = where / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr(f"{stem}.dist-info/METADATA", "\n".join(lines) + "\n")
        whl.writestr(
            f"{stem}.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: wheel_dryrun\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n",
        )
        whl.writestr(f"{stem}.dist-info/RECORD", "")
    return path


def check_group(
    outdir: Path,
    name: str,
    python: str,
    builds: list[tuple[str, str]],
    notes: list[str],
    env: dict[str, str],
    extra: list[str],
    verbose: bool,
) -> GroupCheck:
    result = GroupCheck(name, python, builds=[f"{p}=={v}" if v else p for p, v in builds])
    result.notes += notes
    start = time.monotonic()
    req = outdir / name / "requirements.txt"
    if not python:
        result.error = "no Python version (neither the plan nor the Dockerfile names one)"
        return result
    with tempfile.TemporaryDirectory(prefix="wheel-dryrun-") as tmp:
        ok = True
        standins = Path(tmp) / "built"
        standins.mkdir()
        lines = logical_lines(req.read_text(encoding="utf-8"))
        for package, version in builds:
            spec = f"{package}=={version}" if version else package
            report = Path(tmp) / f"report-{canonical(package)}.json"
            # In a lock, the pin's own line: pip checks the sdist against its hashes.
            pinned = [i for i, line in enumerate(lines) if _pins(line, package, version)]
            one_file = Path(tmp) / f"one-{canonical(package)}.txt"
            one_file.write_text((lines[pinned[0]] if pinned else spec) + "\n", encoding="utf-8")
            lookup = ["--no-deps", "--report", str(report), *target_args(python), *extra]
            one = pip(
                [*lookup, "-r", str(one_file)],
                env,
                Path(tmp),
                python,
            )
            text = one.stderr + one.stdout
            metadata: dict[str, object] = {}
            if one.returncode == 0 and report.is_file():
                installs = json.loads(report.read_text()).get("install") or []
                metadata = installs[0].get("metadata", {}) if installs else {}
            elif re.search(r"metadata-generation-failed|subprocess-exited-with-error", text):
                result.notes.append(f"{spec}: sdist found, metadata not prepared here")
            else:
                ok = False
                result.error = result.error or f"{spec}: {first_error(text)}"
                continue
            wheel = standin(standins, package, version, metadata)
            if pinned and "--hash=" in lines[pinned[0]]:
                # The sdist matched the lock's hash above; the stand-in is accepted in its place.
                digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
                lines[pinned[0]] += f" --hash=sha256:{digest}"
                result.notes.append(f"{spec}: sdist hash checked; its stand-in's hash added")
        checked = req
        if builds:
            checked = Path(tmp) / "requirements.txt"
            checked.write_text("\n".join(lines) + "\n", encoding="utf-8")
        # The rest, from wheels only; what the image builds from sdists comes from stand-in
        # wheels carrying each one's prepared metadata (so its dependencies are resolved too).
        done = pip(
            [
                "--only-binary=:all:",
                *target_args(python),
                *extra,
                *(["--find-links", str(standins)] if builds else []),
                "-r",
                str(checked),
            ],
            env,
            Path(tmp),
            python,
        )
        if verbose:
            print(done.stdout + done.stderr, file=sys.stderr)
        if done.returncode != 0:
            ok = False
            result.error = result.error or first_error(done.stderr + done.stdout)
    result.ok = ok
    result.seconds = time.monotonic() - start
    return result


def main(argv: list[str] | None = None) -> int:
    global TIMEOUT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", nargs="?", type=Path, help="a `depsplit generate` OUTDIR")
    parser.add_argument("--generate", type=Path, metavar="ROOT", help="generate from ROOT first")
    parser.add_argument("--jobs", type=int, default=6, help="parallel pip runs (I/O bound)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per pip run")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--verbose", action="store_true", help="print pip's output")
    args = parser.parse_args(argv)
    if (args.outdir is None) == (args.generate is None):
        parser.error("give OUTDIR or --generate ROOT")
    TIMEOUT = args.timeout
    too_old = pip_too_old()
    if too_old:
        print(too_old, file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="wheel-dryrun-gen-") as tmp:
        outdir = args.outdir
        if args.generate is not None:
            # OUTDIR must lie inside the analysed root: generate into a copy of it.
            import shutil

            root = Path(tmp) / args.generate.resolve().name
            shutil.copytree(args.generate, root, symlinks=True)
            outdir = root / "deploy"
            gen = subprocess.run(
                # --fail-on never: apps left without a container (exit 1) are not this check's
                # business; the groups that were generated are.
                [
                    sys.executable,
                    "-m",
                    "depsplit",
                    "generate",
                    str(root),
                    "-o",
                    str(outdir),
                    "--fail-on",
                    "never",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if gen.returncode != 0:
                print(gen.stdout + gen.stderr, file=sys.stderr)
                return 2
        assert outdir is not None
        env, extra = pip_env()
        groups = groups_of(outdir)
        if not groups:
            print(f"no OUTDIR/GROUP/requirements.txt under {outdir}", file=sys.stderr)
            return 2
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [
                pool.submit(check_group, outdir, *g, env, extra, args.verbose) for g in groups
            ]
            for done in concurrent.futures.as_completed(futures):
                r = done.result()
                print(f"  {'pass' if r.ok else 'FAIL'} {r.group} ({r.seconds:.0f} s)", flush=True)
            results = [f.result() for f in futures]
        elapsed = time.monotonic() - start

    width = max(len(r.group) for r in results)
    for r in results:
        status = "PASS" if r.ok else "FAIL"
        line = f"{status}  {r.group:<{width}}  python {r.python:<5} {r.seconds:5.1f} s"
        if r.builds:
            line += f"  builds: {', '.join(r.builds)}"
        if r.error:
            line += f"  {r.error}"
        print(line)
        for note in r.notes:
            print(f"      note: {note}")
    passed = sum(r.ok for r in results)
    print(f"{passed} of {len(results)} groups pass ({elapsed:.0f} s, {args.jobs} jobs)")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
