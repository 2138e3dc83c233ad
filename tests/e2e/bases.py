"""``python:X.Y-slim`` stand-ins that hold the real CPython X.Y, for builds from a real index.

The offline e2e's stand-in (engine.py) always holds Debian bookworm's CPython 3.11 whatever its
tag says: fine for pure-Python wheels from a local wheelhouse, useless for proving that a
group's pins install from PyPI on the Python the group names (a cp38 wheel does not install
into 3.11). Docker Hub is not reachable here, so each minor comes from the first source that
has it:

1. **pyenv** (``$PYENV_ROOT/versions/X.Y.*``, ``~/.pyenv`` by default): CPython built from
   source on this Debian 12 machine, shared libpython, linked against bookworm's libraries.
   Its tree (without ``site-packages`` and the ``test`` package) is copied into
   ``/usr/local`` of a ``debootstrap --variant=minbase bookworm`` root filesystem that has
   those runtime libraries; the build prefix is rewritten to ``/usr/local`` in the text files
   that record it (scripts, ``_sysconfigdata``, ``Makefile``, ``.pc``), ``ldconfig`` runs and
   ``ensurepip`` installs the pip bundled with that CPython. That is how the official
   ``python:X.Y-slim`` images are made (source build in ``/usr/local`` on Debian).
2. **Debian** (``python3`` of a suite whose default is X.Y: bullseye 3.9, bookworm 3.11,
   trixie 3.13, forky 3.14): a minbase root filesystem with ``python3``, ``python3-venv`` and
   ``python3-pip``, its EXTERNALLY-MANAGED marker removed, ``python``/``pip`` linked into
   ``/usr/local/bin``.

A minor with no source is reported as missing (the caller skips its groups, saying so). Each
image checks at build time that ``python`` reports X.Y and that ``pip``, ``ssl`` and
``useradd`` work. Root filesystems are cached as tarballs in ``cache_dir()`` (keyed by
recipe), images in the engine's data root for the run.

The machine's index settings are *not* baked in here: see ``site_layer`` (test_e2e_real_index).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine import (
    Engine,
    Timings,
    _locked,
    cache_dir,
    debian_mirror,
    log,
    run,
    unmount_all,
    unpacked_packages,
)

# Bumped when a recipe below changes (it keys the cached tarballs).
RECIPE = 1
# What the official slim images carry besides Python (ca-certificates, netbase, tzdata) and
# the shared libraries a source-built CPython's extension modules link against.
RUNTIME_PACKAGES = (
    "ca-certificates",
    "netbase",
    "tzdata",
    "libssl3",
    "libffi8",
    "libsqlite3-0",
    "libbz2-1.0",
    "liblzma5",
    "zlib1g",
    "libreadline8",
    "libncursesw6",
    "libtinfo6",
    "libuuid1",
    "libexpat1",
    "libgdbm6",
    "libgdbm-compat4",
    "libnsl2",
    "libtirpc3",
    "libcrypt1",
    "libdb5.3",
)
DEBIAN_SUITES = {"3.9": "bullseye", "3.11": "bookworm", "3.13": "trixie", "3.14": "forky"}
DEBIAN_PYTHON_PACKAGES = ("python3", "python3-venv", "python3-pip", "ca-certificates")
REPO = "depsplit-e2e/real"
PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Source:
    """Where a minor's interpreter comes from."""

    minor: str
    kind: str  # "pyenv" or "debian"
    detail: str  # pyenv: the version dir; debian: the suite

    def describe(self) -> str:
        if self.kind == "pyenv":
            return f"pyenv {Path(self.detail).name} (built on this host) on bookworm"
        return f"Debian {self.detail} python3"


def pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", name))


def find_source(minor: str) -> Source | None:
    """The first source that has CPython ``minor`` (see the module docstring)."""
    versions = pyenv_root() / "versions"
    if versions.is_dir():
        found = sorted(
            (
                d
                for d in versions.iterdir()
                if re.fullmatch(re.escape(minor) + r"\.\d+", d.name)
                and (d / "bin" / f"python{minor}").exists()
            ),
            key=lambda d: _version_key(d.name),
        )
        if found:
            return Source(minor, "pyenv", str(found[-1]))
    if minor in DEBIAN_SUITES:
        return Source(minor, "debian", DEBIAN_SUITES[minor])
    return None


# --------------------------------------------------------------------------------------------
# Root filesystems


def _debootstrap_script(tool: Path, suite: str) -> list[str]:
    """The suite script, falling back to ``sid`` for suites newer than this debootstrap."""
    scripts = tool / "usr/share/debootstrap/scripts"
    if (scripts / suite).exists():
        return []
    return [str(scripts / "sid")]


def suite_rootfs(suite: str, include: Iterable[str], timings: Timings) -> Path:
    """A cached ``debootstrap --variant=minbase SUITE`` with ``include``, as a tarball."""
    include = sorted(set(include))
    recipe = f"{RECIPE}|{suite}|minbase|{','.join(include)}"
    key = hashlib.sha256(recipe.encode()).hexdigest()[:12]
    tarball = cache_dir() / f"real-rootfs-{suite}-{key}.tar"
    with _locked(cache_dir() / f"real-rootfs-{suite}.lock"):
        if tarball.exists():
            return tarball
        tool = unpacked_packages(["debootstrap"], "debootstrap")
        mirror = debian_mirror()
        target = Path(tempfile.mkdtemp(prefix=f"rootfs-{suite}-", dir=cache_dir()))
        env = dict(os.environ, DEBOOTSTRAP_DIR=str(tool / "usr/share/debootstrap"))
        keyring = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
        try:
            with timings.step(f"real base: debootstrap {suite} (cached after)"):
                log(f"debootstrap {suite} from {mirror}")
                try:
                    run(
                        [
                            tool / "usr/sbin/debootstrap",
                            "--variant=minbase",
                            f"--include={','.join(include)}",
                            *([f"--keyring={keyring}"] if keyring.exists() else []),
                            suite,
                            target,
                            mirror,
                            *_debootstrap_script(tool, suite),
                        ],
                        env=env,
                        timeout=1800,
                    )
                finally:
                    unmount_all(target)
            with timings.step(f"real base: tar {suite} rootfs (cached after)"):
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


# --------------------------------------------------------------------------------------------
# A pyenv CPython tree, relocated to /usr/local


def _is_text(path: Path) -> bool:
    try:
        head = path.read_bytes()[:4096]
    except OSError:
        return False
    return b"\0" not in head


def pyenv_tarball(source: Source, timings: Timings) -> Path:
    """The pyenv version's tree as it goes into /usr/local, as a cached tarball."""
    src = Path(source.detail)
    key = hashlib.sha256(f"{RECIPE}|{src}|{src.stat().st_mtime_ns}".encode()).hexdigest()[:12]
    tarball = cache_dir() / f"real-cpython-{src.name}-{key}.tar"
    with _locked(cache_dir() / f"real-cpython-{src.name}.lock"):
        if tarball.exists():
            return tarball
        with timings.step(f"real base: relocate pyenv {src.name} (cached after)"):
            work = Path(tempfile.mkdtemp(prefix=f"cpython-{src.name}-", dir=cache_dir()))
            try:
                tree = work / "usr-local"

                def ignore(directory: str, names: list[str]) -> list[str]:
                    d = Path(directory)
                    skip = []
                    for n in names:
                        if (
                            d.name.startswith("python")
                            and d.parent.name == "lib"
                            and n in {"test", "site-packages"}
                        ):
                            skip.append(n)
                        if d == src / "bin" and re.match(r"(pip|easy_install)", n):
                            skip.append(n)
                    return skip

                shutil.copytree(src, tree, symlinks=True, ignore=ignore)
                for lib in tree.glob("lib/python*"):
                    if lib.is_dir():
                        (lib / "site-packages").mkdir(exist_ok=True)
                old, new = str(src).encode(), b"/usr/local"
                candidates = [
                    *(tree / "bin").iterdir(),
                    *tree.glob("lib/python*/_sysconfigdata*.py"),
                    *tree.glob("lib/python*/config-*/Makefile"),
                    *tree.glob("lib/python*/config-*/python-config.py"),
                    *tree.glob("lib/pkgconfig/*.pc"),
                ]
                for path in candidates:
                    if path.is_file() and not path.is_symlink() and _is_text(path):
                        data = path.read_bytes()
                        if old in data:
                            path.write_bytes(data.replace(old, new))
                partial = tarball.with_suffix(".partial")
                with tarfile.open(partial, "w") as tar:
                    tar.add(tree, arcname=".")
                partial.rename(tarball)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    return tarball


# --------------------------------------------------------------------------------------------
# Images

_CHECK = (
    'python -c "import sys, ssl, sqlite3, ctypes, zlib, bz2, lzma, json;'
    ' print(sys.version.split()[0], ssl.OPENSSL_VERSION)"'
)
_CHECK_27 = (
    'python -c "import sys, ssl, sqlite3, ctypes, zlib, bz2, json;'
    ' print(sys.version.split()[0]); print(ssl.OPENSSL_VERSION)"'
)


def _pyenv_dockerfile(rootfs_ref: str, minor: str) -> str:
    major = minor.split(".")[0]
    links = [f"ln -sf python{minor} /usr/local/bin/python"]
    if major == "3":
        links.append(f"ln -sf python{minor} /usr/local/bin/python3")
    return (
        f"FROM {rootfs_ref}\n"
        f"ENV PATH={PATH_ENV} LANG=C.UTF-8\n"
        "ADD cpython.tar /usr/local/\n"
        "RUN ldconfig && " + " && ".join(links) + f" && python{minor} -m ensurepip --default-pip"
        " && rm -rf /root/.cache"
        f" && (test -e /usr/local/bin/pip || ln -sf pip{minor} /usr/local/bin/pip)"
        f" && python -c \"import sys; assert '%d.%d' % sys.version_info[:2] == '{minor}'\""
        f" && {_CHECK_27 if major == '2' else _CHECK} && pip --version"
        " && command -v useradd\n"
        f'CMD ["python{minor}"]\n'
    )


def _debian_dockerfile(rootfs_ref: str, minor: str) -> str:
    return (
        f"FROM {rootfs_ref}\n"
        f"ENV PATH={PATH_ENV} LANG=C.UTF-8\n"
        "RUN rm -f /usr/lib/python3*/EXTERNALLY-MANAGED"
        " && ln -sf /usr/bin/python3 /usr/local/bin/python"
        " && ln -sf /usr/bin/python3 /usr/local/bin/python3"
        " && ln -sf /usr/bin/pip3 /usr/local/bin/pip"
        " && ln -sf /usr/bin/pip3 /usr/local/bin/pip3"
        f" && python -c \"import sys; assert '%d.%d' % sys.version_info[:2] == '{minor}'\""
        f" && {_CHECK} && pip --version && command -v useradd\n"
        'CMD ["python3"]\n'
    )


def _import_rootfs(engine: Engine, tarball: Path, ref: str, timings: Timings) -> None:
    if not engine.image_exists(ref):
        with timings.step(f"real base: docker import {tarball.name}"):
            engine.docker("import", tarball, ref)


def python_image(engine: Engine, minor: str, timings: Timings) -> tuple[str, Source]:
    """An image holding the real CPython ``minor``; returns (ref, source).

    Raises LookupError when no source has that minor.
    """
    source = find_source(minor)
    if source is None:
        raise LookupError(f"no source for CPython {minor} (no pyenv version, no Debian suite)")
    if source.kind == "pyenv":
        rootfs = suite_rootfs("bookworm", RUNTIME_PACKAGES, timings)
        rootfs_ref = f"{REPO}:rootfs-{rootfs.stem.split('-')[-1]}"
        _import_rootfs(engine, rootfs, rootfs_ref, timings)
        cpython = pyenv_tarball(source, timings)
        ref = f"{REPO}:py{minor}-{cpython.stem.split('-')[-1]}"
        if not engine.image_exists(ref):
            with (
                timings.step(f"real base: python:{minor} from {source.describe()}"),
                tempfile.TemporaryDirectory(prefix="dse2e-ctx-") as tmp,
            ):
                ctx = Path(tmp)
                (ctx / "Dockerfile").write_text(_pyenv_dockerfile(rootfs_ref, minor))
                if _same_fs(cpython, ctx):
                    os.link(cpython, ctx / "cpython.tar")
                else:
                    shutil.copy2(cpython, ctx / "cpython.tar")
                engine.build(ctx, ref)
    else:
        suite = source.detail
        rootfs = suite_rootfs(suite, DEBIAN_PYTHON_PACKAGES, timings)
        rootfs_ref = f"{REPO}:rootfs-{suite}-{rootfs.stem.split('-')[-1]}"
        _import_rootfs(engine, rootfs, rootfs_ref, timings)
        ref = f"{REPO}:py{minor}-{suite}-{rootfs.stem.split('-')[-1]}"
        if not engine.image_exists(ref):
            with (
                timings.step(f"real base: python:{minor} from {source.describe()}"),
                tempfile.TemporaryDirectory(prefix="dse2e-ctx-") as tmp,
            ):
                ctx = Path(tmp)
                (ctx / "Dockerfile").write_text(_debian_dockerfile(rootfs_ref, minor))
                engine.build(ctx, ref)
    return ref, source


def _same_fs(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


def image_facts(engine: Engine, ref: str) -> tuple[str, float]:
    """(``python --version`` inside, image size in MB)."""
    version = engine.docker(
        "run", "--rm", "--network", "none", ref, "python", "--version", check=False
    )
    size = engine.docker("image", "inspect", "--format", "{{.Size}}", ref).stdout.strip()
    text = (version.stdout + version.stderr).strip() or f"exit {version.returncode}"
    return text, int(size) / 1e6
