"""Generated images build from the REAL package index, on the Python their group names.

Run it (root, Debian 12; about 10-30 minutes from an empty cache)::

    DEPSPLIT_E2E_REAL_INDEX=1 .venv/bin/python -m pytest -m e2e tests/e2e/test_e2e_real_index.py -s

Without ``DEPSPLIT_E2E_REAL_INDEX=1`` it skips (the offline e2e, test_e2e.py, is the CI
default). ``DEPSPLIT_E2E_REAL_INDEX_FRESH=1`` empties BuildKit's cache first (pip's cache
mount included), so every distribution is downloaded again; ``DEPSPLIT_E2E_REAL_INDEX_REPORT``
names a file for the result table (default: ``real-index-report.txt`` in the e2e cache).

What it does, for (a) the demo ``fixtures/monorepo`` and (b) a temp monorepo of a few apps
copied from ``../shared/corpus/realpython__materials`` (skipped when the corpus is absent):

1. ``depsplit generate ROOT -o ROOT/deploy``; the generated files are used unchanged.
2. For every Python minor the groups name, a ``python:X.Y-slim`` stand-in that holds the real
   CPython X.Y (bases.py: pyenv's source builds in /usr/local on Debian bookworm, or a Debian
   suite's python3), plus one "site" layer (below).
3. Each group's image is built by the real engine with ``docker compose -f compose.yaml -f
   override.yaml build SERVICE`` (one service per group), where the override gives the build
   the host's network (``build.network: host``) and the host's proxy variables as build
   arguments if it has any (Docker predefines ``HTTP(S)_PROXY``/``NO_PROXY``, no ``ARG``
   needed). ``pip install -r deploy/GROUP/requirements.txt`` in the generated Dockerfile
   therefore reaches the real index.
4. For each app of a group that built: ``docker run --network none IMAGE python
   import_check.py DIST...`` imports every top-level module of each of the app's
   requirements (names from the installed ``top_level.txt``/``RECORD``).
5. A table (group, python, build seconds, ok/fail, first error line) is printed and written
   to the report file; the test fails if any group failed to build or import.

**How pip in the build reaches the index (the choice).** This machine's HTTPS goes through a
TLS proxy whose CA a fresh root filesystem does not trust. The Dockerfiles must stay as a user
gets them, so the CA goes into the *base image*: the site layer copies the CA bundle pip uses
on this host into the image and sets ``PIP_CERT``, ``REQUESTS_CA_BUNDLE`` and
``SSL_CERT_FILE`` to it (and ``PIP_INDEX_URL`` if the host configures a non-local index, and
pip's timeout). That is how users behind such a proxy do it: a corporate base image that
trusts the corporate CA. Everything is read at test time from pip's own view of its
configuration (``pip config debug``: every config file and ``PIP_*`` variable) and the proxy
variables; nothing about this machine is written here. What pip needs only for this machine's
*local* packages is deliberately left out — ``find-links``, ``extra-index-url``,
``no-index``, ``constraint`` and file:// indexes — and so are pip config files in the image:
the builds see the real index and nothing else. A generated Dockerfile's
``--mount=type=secret,id=pip_index_url`` (credentialed indexes) is fed from
``PIP_INDEX_URL`` in the environment of ``compose build`` when the compose file declares
such a secret.

Images and BuildKit's cache live in a persistent engine data root
(``$DEPSPLIT_E2E_CACHE/real-index``), root filesystems and relocated CPython trees as
tarballs in the cache, so a rerun rebuilds only what changed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from bases import image_facts, python_image
from engine import (
    Engine,
    EngineUnavailable,
    Timings,
    _locked,
    cache_dir,
    log,
    stop_engine_processes,
    syntax_directive,
    syntax_free_copy,
    unmount_all,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.network,
    pytest.mark.skipif(
        os.environ.get("DEPSPLIT_E2E_REAL_INDEX") != "1",
        reason="real-index e2e: opt in with DEPSPLIT_E2E_REAL_INDEX=1 (and -m e2e)",
    ),
]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MONOREPO = REPO / "fixtures" / "monorepo"
CORPUS = REPO.parent / "shared" / "corpus" / "realpython__materials"
# A sample of apps from the realpython corpus, chosen for their eras, each a group of its own
# today: old numpy + Jupyter pins; aiohttp 3.12; Django 3.2 with psycopg2 (an sdist) and a
# Heroku runtime.txt naming 3.9; Flask 1.0 era (unsatisfiable on its own today: reported as
# ungrouped); aiohttp 3.13 (conflicts with 3.12); pandas/numpy 1.x; Flask 1.1 + connexion;
# a Python-3.8-only app (pandas 1.1.2 and spacy 2.3.2: wheels up to cp38); a legacy app whose
# Pipfile requires Python 3.6 (pygame and flake8 locked in its Pipfile.lock).
REALPYTHON_SAMPLE = (
    "numpy-tutorial",
    "python-with-statement",
    "django-hosting-heroku/source_code_final/portfolio-project",
    "flask-google-login",
    "python-sleep",
    "pandas-gradebook-project",
    "flask-connexion-rest-part-4",
    "nlp-sentiment-analysis",
    "pygame-a-primer",
)
COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy")


# --------------------------------------------------------------------------------------------
# The host's index settings, as pip sees them


@dataclass
class IndexSettings:
    """What a build needs from this host to reach the index it uses (nothing local)."""

    cert: Path | None = None
    index_url: str | None = None
    trusted_hosts: list[str] = field(default_factory=list)
    timeout: str | None = None
    proxies: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


def _pip_config() -> dict[str, str]:
    """pip's merged configuration, ``{"cert": ..., "index-url": ...}``, later sources winning
    as in pip (files global < user < site, then ``PIP_*`` variables); from ``pip config
    debug``, which lists every file and variable pip reads."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "config", "debug"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    files: dict[str, str] = {}
    env: dict[str, str] = {}
    for line in out.splitlines():
        m = re.match(r"^\s+([\w:.-]+)\.([\w-]+):\s(.*)$", line)
        if m:
            section, key, value = m.groups()
            if section in {"global", "install", "download"}:
                files[key.replace("_", "-")] = value.strip()
            continue
        m = re.match(r"^\s+PIP_(\w+)='(.*)'$", line)
        if m:
            env[m.group(1).lower().replace("_", "-")] = m.group(2)
    return {**files, **env}


def _is_local(location: str) -> bool:
    parsed = urllib.parse.urlparse(location)
    return parsed.scheme in {"", "file"} or parsed.hostname in {"localhost", "127.0.0.1"}


def host_index_settings() -> IndexSettings:
    conf = _pip_config()
    settings = IndexSettings()
    cert = (
        conf.get("cert")
        or os.environ.get("REQUESTS_CA_BUNDLE")
        or os.environ.get("SSL_CERT_FILE")
        or None
    )
    if cert and Path(cert).is_file():
        settings.cert = Path(cert)
    index = conf.get("index-url")
    if index and not _is_local(index):
        if urllib.parse.urlparse(index).password:
            settings.dropped.append("index-url (has credentials: not baked into an image)")
        else:
            settings.index_url = index
    elif index:
        settings.dropped.append(f"index-url {index} (local)")
    settings.trusted_hosts = conf.get("trusted-host", "").split()
    settings.timeout = conf.get("timeout") or conf.get("default-timeout")
    for key in ("find-links", "extra-index-url", "no-index", "constraint", "requirement"):
        if conf.get(key):
            settings.dropped.append(f"{key} {conf[key]}")
    proxy = conf.get("proxy")
    for var in PROXY_VARS:
        if os.environ.get(var):
            settings.proxies[var] = os.environ[var]
    if proxy and not any(v.lower() == "https_proxy" for v in settings.proxies):
        settings.proxies.update(HTTPS_PROXY=proxy, HTTP_PROXY=proxy)
    return settings


SITE_CA = "/usr/local/share/depsplit-e2e/ca-bundle.crt"


def site_dockerfile(base_ref: str, settings: IndexSettings) -> str:
    """The "corporate base image" layer: trusts the host's CA, knows its (remote) index."""
    lines = [f"FROM {base_ref}"]
    env: dict[str, str] = {}
    if settings.cert is not None:
        lines.append(f"COPY ca-bundle.crt {SITE_CA}")
        env.update(PIP_CERT=SITE_CA, REQUESTS_CA_BUNDLE=SITE_CA, SSL_CERT_FILE=SITE_CA)
    if settings.index_url:
        env["PIP_INDEX_URL"] = settings.index_url
    if settings.trusted_hosts:
        env["PIP_TRUSTED_HOST"] = " ".join(settings.trusted_hosts)
    if settings.timeout:
        env["PIP_DEFAULT_TIMEOUT"] = settings.timeout
    if env:
        lines.append("ENV " + " ".join(f"{k}={json.dumps(v)}" for k, v in sorted(env.items())))
    return "\n".join(lines) + "\n"


def tag_site_image(
    engine: Engine, base_ref: str, minor: str, settings: IndexSettings, timings: Timings
) -> str:
    """Build the site layer over ``base_ref``; tag it ``python:MINOR-slim``."""
    import hashlib

    dockerfile = site_dockerfile(base_ref, settings)
    h = hashlib.sha256(dockerfile.encode())
    if settings.cert is not None:
        h.update(settings.cert.read_bytes())
    ref = f"depsplit-e2e/real:site-{minor}-{h.hexdigest()[:12]}"
    if not engine.image_exists(ref):
        with (
            timings.step(f"real base: site layer for {minor}"),
            tempfile.TemporaryDirectory(prefix="dse2e-ctx-") as tmp,
        ):
            ctx = Path(tmp)
            (ctx / "Dockerfile").write_text(dockerfile)
            if settings.cert is not None:
                shutil.copyfile(settings.cert, ctx / "ca-bundle.crt")
            engine.build(ctx, ref)
    engine.docker("tag", ref, f"python:{minor}-slim")
    return ref


# --------------------------------------------------------------------------------------------
# The engine: a persistent data root, so images and pip's cache mount survive across runs


@pytest.fixture(scope="module")
def real_engine(timings: Timings) -> Iterator[Engine]:
    run_dir = cache_dir() / "real-index"
    with _locked(cache_dir() / "real-index.lock"):
        # A run killed outright leaves its engine's processes and mounts: clean them first.
        stop_engine_processes(cache_dir() / "engine", run_dir)
        unmount_all(run_dir)
        eng = Engine(run_dir, keep_data=True, timings=timings)
        try:
            eng.start()
        except EngineUnavailable as exc:
            eng.stop()
            pytest.skip(f"this machine cannot run a container engine: {exc}")
        except BaseException:
            eng.stop()
            raise
        try:
            if os.environ.get("DEPSPLIT_E2E_REAL_INDEX_FRESH") == "1":
                with timings.step("real index: docker builder prune -af"):
                    eng.docker("builder", "prune", "-af")
            yield eng
        finally:
            eng.stop()


# --------------------------------------------------------------------------------------------
# One project: generate, bases, build per group, import per app, table


@dataclass
class GroupResult:
    group: str
    python: str
    service: str | None
    apps: list[str]
    build_seconds: float = 0.0
    built: bool = False
    imports_ok: int = 0
    error: str = ""
    status: str = "fail"


_NOISE = re.compile(r"^(#\d+\s+)?(\d+\.\d+\s+)?")


def first_error_line(output: str) -> str:
    """The most telling line of a failed build: pip's first ERROR (not BuildKit's), else for
    a failed subprocess (``error: subprocess-exited-with-error``) the package being collected
    and the subprocess's last exception line, else any error line."""
    lines = [_NOISE.sub("", line).strip() for line in output.splitlines()]
    for line in lines:
        if re.match(r"^ERROR: (?!failed to solve|executor failed)", line):
            return line[:200]
    for n, line in enumerate(lines):
        if re.match(r"^error: ", line):
            package = next(
                (
                    m.group(1)
                    for prev in reversed(lines[:n])
                    if (m := re.match(r"^Collecting (\S+)", prev))
                ),
                "?",
            )
            end = next((k for k in range(n, len(lines)) if "[end of output]" in lines[k]), n)
            exc = next(
                (
                    x
                    for x in reversed(lines[n:end])
                    if re.match(r"^[A-Za-z_.]*(Error|Exception|Exit)\b", x)
                ),
                "",
            )
            return f"{package}: {line[7:]}{': ' + exc if exc else ''}"[:200]
    for pat in (r"(Error|error)\b", r"failed to solve"):
        for line in lines:
            if re.search(pat, line) and "[notice]" not in line:
                return line[:200]
    return (lines[-1] if lines else "")[:200]


def generate_env(settings: IndexSettings) -> dict[str, str]:
    """``depsplit generate`` as a user runs it (index facts on, its default), looking at the
    index the builds reach and nothing local: no pip configuration file, only the CA bundle
    and a remote index URL the host configures (this process's test session turns index
    facts off for the offline suite: that switch is removed here)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PIP_") and k != "DEPSPLIT_INDEX_FACTS"
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    if settings.cert is not None:
        env["PIP_CERT"] = str(settings.cert)
    if settings.index_url:
        env["PIP_INDEX_URL"] = settings.index_url
    return env


def generate(root: Path, timings: Timings, label: str) -> Path:
    out = root / "deploy"
    with timings.step(f"{label}: depsplit generate"):
        gen = subprocess.run(
            # --fail-on never: the apps left without a container are reported by this
            # test itself ("ungrouped", with the plan's reason); the images are its subject.
            [
                sys.executable,
                "-m",
                "depsplit",
                "generate",
                str(root),
                "-o",
                str(out),
                "--fail-on",
                "never",
            ],
            cwd=REPO,
            env=generate_env(host_index_settings()),
            capture_output=True,
            text=True,
            check=False,
        )
    assert gen.returncode == 0, f"depsplit generate exited {gen.returncode}:\n{gen.stderr}"
    return out


def write_real_override(
    config: dict[str, Any],
    path: Path,
    settings: IndexSettings,
    dockerfiles: dict[str, Path],
) -> Path:
    """Builds on the host network (with the host's proxy variables, if any); nothing else."""
    lines = ["services:"]
    for name, svc in sorted(config.get("services", {}).items()):
        if not svc.get("build"):
            continue
        lines += [f"  {json.dumps(name)}:", "    build:", "      network: host"]
        if name in dockerfiles:
            lines.append(f"      dockerfile: {json.dumps(str(dockerfiles[name]))}")
        if settings.proxies:
            lines.append("      args:")
            lines += [f"        {k}: {json.dumps(v)}" for k, v in sorted(settings.proxies.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


def app_distributions(plan: dict[str, Any]) -> dict[str, list[str]]:
    """{app: the distribution names it requires at run time}, from depsplit-plan.json."""
    dists: dict[str, list[str]] = {}
    for app in plan["apps"]:
        names = []
        for req in app.get("requirements", []):
            if not req.get("applies", True) or req.get("role", "main") != "main":
                continue
            if req.get("editable") or not req.get("name"):
                continue
            names.append(req["name"])
        dists[app["name"]] = sorted(set(names), key=str.lower)
    return dists


def check_imports(engine: Engine, image: str, dists: list[str]) -> tuple[bool, str]:
    if not dists:
        return True, ""
    done = engine.docker(
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        f"{HERE / 'import_check.py'}:/depsplit-e2e/import_check.py:ro",
        image,
        "python",
        "/depsplit-e2e/import_check.py",
        *dists,
        check=False,
        timeout=600,
    )
    tail = done.stdout.strip().splitlines()
    try:
        result = json.loads(tail[-1])
    except (IndexError, ValueError):
        return False, first_error_line(done.stderr or done.stdout) or f"exit {done.returncode}"
    for dist, entry in sorted(result.items()):
        if entry["missing"]:
            return False, f"{dist}: not installed"
        for mod, err in sorted(entry["errors"].items()):
            return False, f"import {mod} ({dist}): {err}"[:200]
    return True, ""


def run_project(
    engine: Engine, root: Path, label: str, timings: Timings
) -> tuple[list[GroupResult], dict[str, str]]:
    out = generate(root, timings, label)
    compose_file = next(out / n for n in COMPOSE_NAMES if (out / n).is_file())
    plan = json.loads((out / "depsplit-plan.json").read_text())
    # Every profile: services whose command is a TODO sit in a profile, and `config` without
    # it leaves them out (their group's image is still built by the user).
    done = engine.docker(
        "compose", "--profile", "*", "-f", str(compose_file), "config", "--format", "json"
    )
    config: dict[str, Any] = json.loads(done.stdout)
    services = config["services"]
    settings = host_index_settings()
    if settings.dropped:
        log("not passed into builds (local to this machine): " + "; ".join(settings.dropped))

    # One service per group: the first whose image is the group's and that has a build.
    # DEPSPLIT_E2E_REAL_INDEX_GROUPS="g1,g2" builds only those groups of the plan.
    only = {g for g in os.environ.get("DEPSPLIT_E2E_REAL_INDEX_GROUPS", "").split(",") if g}
    groups = [g for g in plan["groups"] if not only or g["name"] in only]
    image_of = plan["generate"]["images"]
    results: list[GroupResult] = []
    for g in groups:
        image = image_of.get(g["name"])
        service = next(
            (n for n, s in sorted(services.items()) if s.get("build") and s.get("image") == image),
            None,
        )
        results.append(GroupResult(g["name"], str(g.get("python")), service, list(g["apps"])))

    # Bases: the real CPython of every minor named, plus the site layer.
    base_notes: dict[str, str] = {}
    missing: set[str] = set()
    for minor in sorted({r.python for r in results}):
        t0 = time.monotonic()
        try:
            base_ref, source = python_image(engine, minor, timings)
        except LookupError as exc:
            missing.add(minor)
            base_notes[minor] = f"no base: {exc}"
            continue
        tag_site_image(engine, base_ref, minor, settings, timings)
        version, size = image_facts(engine, f"python:{minor}-slim")
        base_notes[minor] = (
            f"{source.describe()}: {version}, {size:.0f} MB, {time.monotonic() - t0:.0f} s"
        )

    # `# syntax=` frontends cannot be pulled here (no Docker Hub): build copies without it.
    dockerfiles: dict[str, Path] = {}
    copies: dict[Path, Path] = {}
    tmp = Path(tempfile.mkdtemp(prefix="dse2e-real-"))
    for name, svc in sorted(services.items()):
        build = svc.get("build")
        if not build:
            continue
        path = Path(build["context"]) / build.get("dockerfile", "Dockerfile")
        frontend = syntax_directive(path.read_text())
        if frontend is not None and not engine.image_exists(frontend):
            if path not in copies:
                copies[path] = syntax_free_copy(path, tmp / str(len(copies)))
            dockerfiles[name] = copies[path]
    override = write_real_override(config, tmp / "real-index-override.yaml", settings, dockerfiles)
    files = [compose_file, override]
    env_extra = {}
    if "pip_index_url" in (config.get("secrets") or {}) and settings.index_url:
        env_extra["PIP_INDEX_URL"] = settings.index_url

    dists = app_distributions(plan)
    project = f"dse2e-real-{label}"
    for r in results:
        if r.python in missing:
            r.status, r.error = "no base", base_notes[r.python]
            continue
        if r.service is None:
            r.error = "no service builds this group's image"
            continue
        t0 = time.monotonic()
        args = ["compose", "--progress", "plain", "--profile", "*", "-p", project]
        args += ["--project-directory", str(compose_file.parent)]
        for f in files:
            args += ["-f", str(f)]
        done = subprocess.run(
            ["docker", *args, "build", r.service],
            env={**engine.env, **env_extra},
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        r.build_seconds = time.monotonic() - t0
        timings.steps.append((f"{label}: build {r.group} (python {r.python})", r.build_seconds))
        log_path = tmp / f"build-{r.group}.log"
        log_path.write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            r.error = first_error_line(done.stdout + done.stderr)
            log(f"{label}: {r.group} build FAILED in {r.build_seconds:.0f} s ({log_path})")
            continue
        r.built = True
        log(f"{label}: {r.group} built in {r.build_seconds:.0f} s")
        image = services[r.service]["image"]
        errors = []
        for app in r.apps:
            ok, err = check_imports(engine, image, dists.get(app, []))
            if ok:
                r.imports_ok += 1
            else:
                errors.append(f"{app}: {err}")
        if errors:
            r.error = errors[0]
        else:
            r.status = "ok"
    ungrouped = (config.get("x-depsplit") or {}).get("ungrouped") or []
    for app in ungrouped:
        results.append(GroupResult("(ungrouped)", "-", None, [app], status="ungrouped"))
        results[-1].error = f"{app}: in no group (the plan finds it unsatisfiable)"
    return results, base_notes


def table(label: str, results: list[GroupResult], base_notes: dict[str, str]) -> str:
    header = ("group", "python", "build s", "result", "imports", "first error line")
    rows = [
        (
            r.group,
            r.python,
            f"{r.build_seconds:.0f}",
            r.status if r.status != "fail" else ("import fail" if r.built else "build fail"),
            f"{r.imports_ok}/{len(r.apps)}" if r.built else "-",
            r.error,
        )
        for r in results
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    widths[-1] = 0
    lines = [f"== {label} =="]
    for minor, note in sorted(base_notes.items()):
        lines.append(f"  python:{minor}-slim <- {note}")
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines.append(fmt.format(*header).rstrip())
    lines += [fmt.format(*row).rstrip() for row in rows]
    groups = [r for r in results if r.status != "ungrouped"]
    ok = sum(r.status == "ok" for r in groups)
    lines.append(f"{ok} of {len(groups)} groups build and import")
    return "\n".join(lines)


def report(label: str, text: str) -> None:
    print("\n" + text)
    path = Path(
        os.environ.get("DEPSPLIT_E2E_REAL_INDEX_REPORT") or cache_dir() / "real-index-report.txt"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    previous = path.read_text() if path.exists() else ""
    kept = re.sub(rf"(?ms)^== {re.escape(label)} ==.*?(?=^== |\Z)", "", previous)
    path.write_text(kept + text + "\n\n")


def check(label: str, results: list[GroupResult], base_notes: dict[str, str]) -> None:
    text = table(label, results, base_notes)
    report(label, text)
    failed = [r for r in results if r.status == "fail"]
    if failed:
        pytest.fail(f"{len(failed)} of {len(results)} groups failed:\n{text}", pytrace=False)


def test_real_index_demo(real_engine: Engine, timings: Timings, tmp_path: Path) -> None:
    root = tmp_path / "monorepo"
    shutil.copytree(MONOREPO, root)
    results, notes = run_project(real_engine, root, "demo", timings)
    check("demo", results, notes)


def test_real_index_realpython_sample(
    real_engine: Engine, timings: Timings, tmp_path: Path
) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    root = tmp_path / "realpython-sample"
    # DEPSPLIT_E2E_REAL_INDEX_SAMPLE="dir1,dir2,…" (corpus-relative) builds another sample,
    # e.g. the apps whose groups compile releases from sdists.
    # "*" is the whole corpus (with DEPSPLIT_E2E_REAL_INDEX_GROUPS to build some groups).
    chosen = os.environ.get("DEPSPLIT_E2E_REAL_INDEX_SAMPLE")
    sample = tuple(d for d in chosen.split(",") if d) if chosen else REALPYTHON_SAMPLE
    if sample == ("*",):
        shutil.copytree(CORPUS, root)
    else:
        present = [d for d in sample if (CORPUS / d).is_dir()]
        if len(present) < 4:
            pytest.skip(f"fewer than 4 sample apps in {CORPUS}: {present}")
        for rel in present:
            shutil.copytree(CORPUS / rel, root / rel)
    results, notes = run_project(real_engine, root, "realpython-sample", timings)
    groups = [r.group for r in results if r.status != "ungrouped"]
    if not chosen:
        assert len(groups) >= 4, f"the sample should make at least 4 groups: {groups}"
    check("realpython-sample", results, notes)
