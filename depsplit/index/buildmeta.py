"""The metadata of an sdist whose ``PKG-INFO`` does not declare its dependencies (before
Metadata-Version 2.2, or ``Dynamic: Requires-Dist``): asked of its build backend, in
isolation, as pip does (``prepare_metadata_for_build_wheel``, else ``build_wheel``).

The sdist is unpacked in a temporary directory (members that would leave it, links and
devices refused) and a child process runs ``build.util.project_wheel_metadata(…,
isolated=True)``: a fresh virtual environment, the ``build-system.requires`` installed into
it by pip from the same indexes depsplit reads (``PIP_INDEX_URL`` and friends set from
:class:`~depsplit.index.config.IndexConfig`, the user's pip configuration files not read),
then the backend's hook. The child runs in its own session and is killed, with everything it
started, after :data:`BUILD_TIMEOUT` seconds.

The backend runs on the Python that runs depsplit, not on the container's: a ``setup.py``
that computes its requirements from ``sys.version_info`` answers for that interpreter (pip
in the container would run it on the group's). Running a build backend runs code from the
package, as ``pip install`` of that sdist would.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from depsplit.index.config import IndexConfig

BUILD_TIMEOUT = 300.0
"""Seconds one sdist's isolated metadata preparation may take (installing its build
requirements included)."""

_CHILD = r"""
import sys
from build.util import project_wheel_metadata

try:
    meta = project_wheel_metadata(sys.argv[1], isolated=True)
except Exception as exc:  # the backend's own output, then build's message
    inner = getattr(exc, "exception", None)
    output = getattr(inner, "output", None) or b""
    if isinstance(output, bytes):
        output = output.decode("utf-8", "replace")
    sys.stderr.write(f"{output}\n{type(exc).__name__}: {exc}\n")
    sys.exit(1)
lines = []
for field in ("Metadata-Version", "Name", "Version", "Requires-Python"):
    value = meta.get(field)
    if value:
        lines.append(f"{field}: {value}")
for field in ("Provides-Extra", "Requires-Dist"):
    for value in meta.get_all(field) or ():
        lines.append(f"{field}: {value}")
sys.stdout.write("\n".join(lines) + "\n\n")
"""


class BuildFailed(Exception):
    """The backend could not prepare the metadata; the message says why (its last lines)."""


def _safe_members(names: list[str]) -> bool:
    for name in names:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts:
            return False
    return True


def unpack(archive: Path, into: Path) -> Path:
    """Unpack an sdist (``.tar.gz`` or ``.zip``) into ``into``; the project directory (the
    one holding ``pyproject.toml`` or ``setup.py``)."""
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            if not _safe_members(zf.namelist()):
                raise BuildFailed("the archive has members outside its directory")
            zf.extractall(into)
    else:
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            if not _safe_members([m.name for m in members]):
                raise BuildFailed("the archive has members outside its directory")
            if hasattr(tarfile, "data_filter"):  # 3.12, and 3.10.12 / 3.11.4 backports
                tf.extractall(into, filter="data")  # refuses links leaving ``into``
            else:  # pragma: no cover - older patch releases
                kept = [
                    m
                    for m in members
                    if m.isfile() or m.isdir() or (m.islnk() and _safe_members([m.linkname]))
                ]
                tf.extractall(into, members=kept)
    candidates = [into, *sorted(p for p in into.iterdir() if p.is_dir())]
    for candidate in candidates:
        if (candidate / "pyproject.toml").is_file() or (candidate / "setup.py").is_file():
            return candidate
    raise BuildFailed("the archive has no pyproject.toml or setup.py")


def _pip_environment(config: IndexConfig) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_NO_INPUT"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if config.no_index or config.offline:
        env["PIP_NO_INDEX"] = "1"
    else:
        env["PIP_INDEX_URL"] = config.index_url
        if config.extra_index_urls:
            env["PIP_EXTRA_INDEX_URL"] = " ".join(config.extra_index_urls)
    if config.find_links:
        env["PIP_FIND_LINKS"] = " ".join(config.find_links)
    if config.cert:
        env["PIP_CERT"] = config.cert
    env["PIP_TIMEOUT"] = str(config.timeout)
    return env


def build_metadata(
    archive: bytes, filename: str, config: IndexConfig, *, timeout: float = BUILD_TIMEOUT
) -> bytes:
    """The core metadata (``Name``, ``Version``, ``Requires-Python``, ``Provides-Extra``,
    ``Requires-Dist``) the backend of the sdist ``archive`` prepares. Raises
    :class:`BuildFailed` with the reason (a timeout, the backend's last error lines)."""
    work = Path(tempfile.mkdtemp(prefix="depsplit-sdist-"))
    try:
        path = work / Path(filename).name
        path.write_bytes(archive)
        try:
            source = unpack(path, work / "src")
        except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise BuildFailed(f"cannot unpack it: {exc}") from None
        env = _pip_environment(config)
        env["TMPDIR"] = str(work)
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(source)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=work,
            env=env,
            start_new_session=True,
        )
        try:
            out, err = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(child)
            raise BuildFailed(
                f"its build backend did not prepare the metadata within {timeout:g} s"
            ) from None
        if child.returncode != 0:
            # Without the temporary directory's random name: the same failure reads the
            # same in every run.
            why = _tail(err).replace(str(source), "<sdist>").replace(str(work), "<tmp>")
            raise BuildFailed(f"its build backend failed: {why}")
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _kill(child: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except OSError:
        child.kill()
    child.communicate()


_ERROR_LINE = re.compile(r"^[\w.]*(Error|Exception|Exit)\b")


def _tail(err: bytes) -> str:
    """The backend's last exception line, then build's own last line."""
    lines = [line.strip() for line in err.decode("utf-8", errors="replace").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return "(no message)"
    errors = [line for line in lines[:-1] if _ERROR_LINE.match(line)]
    return " | ".join([*errors[-1:], lines[-1]])


__all__ = ["BUILD_TIMEOUT", "BuildFailed", "build_metadata", "unpack"]
