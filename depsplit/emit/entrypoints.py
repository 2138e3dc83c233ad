"""How each app runs: its command, whether it serves HTTP, on which port, its health path.

Detection reads the app's files under the root (it never writes) and tries, in order:

1. a ``Procfile`` (the ``web`` process, else its only process);
2. Django: ``manage.py`` and a WSGI module (``WSGI_APPLICATION`` in the settings, or a
   ``<pkg>/wsgi.py``) → gunicorn;
3. FastAPI: an ``app = FastAPI(...)`` in ``main.py``/``app.py``/``<pkg>/main.py``… → uvicorn;
4. Flask: an ``app = Flask(...)`` in the same files → gunicorn;
5. a package with ``__main__.py`` → ``python -m pkg``;
6. a single ``[project.scripts]`` / ``[tool.poetry.scripts]`` / ``console_scripts`` entry →
   that function (the app is not pip-installed in the image, so it is called with
   ``python -c``);
7. a single script (``main.py``, ``app.py``, ``worker.py``… with ``if __name__ ==
   "__main__"``) → ``python <file>``.

Nothing found: ``command`` is ``None`` and ``todo`` says what to fill in. Servers listen on
:data:`PORT` inside the container.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from depsplit.model import App
from depsplit.realpaths import RealPaths
from depsplit.sources.locate import parse_toml

PORT = 8000
MAX_READ = 1024 * 1024
SERVERS = {
    "gunicorn": "gunicorn",
    "uvicorn": "uvicorn",
    "daphne": "daphne",
    "hypercorn": "hypercorn",
    "waitress-serve": "waitress",
}
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = re.compile(rf"{_IDENT}(?:\.{_IDENT})*")
_HEALTH = re.compile(r"""["'](/?(?:health|healthz|healthcheck|health-check|ping|status)/?)["']""")
_SAFE_URL_PATH = re.compile(r"/[A-Za-z0-9._~/-]*")
_SCRIPT_NAMES = ("main.py", "app.py", "worker.py", "run.py", "server.py", "cli.py")
_NOT_SCRIPTS = {"setup.py", "manage.py", "conftest.py", "noxfile.py", "fabfile.py"}


@dataclass(frozen=True)
class EntryPoint:
    command: tuple[str, ...] | None
    port: int | None
    http: bool
    server_package: str | None
    """The server the command runs (``gunicorn``, ``uvicorn``…), to add when missing."""
    health_path: str | None
    todo: str | None
    how: str = ""
    """How the command was found, for a comment in the generated files."""

    @classmethod
    def unknown(cls, todo: str) -> EntryPoint:
        """No command to run: the user sets it (``todo`` says why)."""
        return cls(
            command=None, port=None, http=False, server_package=None, health_path=None, todo=todo
        )


def read_app_file(path: Path, root: Path) -> str | None:
    """The first :data:`MAX_READ` bytes of the regular file ``path`` as text, or ``None``
    (missing, unreadable, or a symlink out of ``root``)."""
    return _read_inside(path, root.resolve(), RealPaths())


def _read_inside(path: Path, real_root: Path, real_paths: RealPaths) -> str | None:
    """:func:`read_app_file`, the root already resolved, ``path`` resolved through
    ``real_paths``."""
    try:
        if not path.is_file():
            return None
        if not Path(real_paths.resolved(os.fspath(path))).is_relative_to(real_root):
            return None  # a symlink out of the analysed tree
        with path.open("rb") as fh:
            data = fh.read(MAX_READ)
    except OSError:
        return None
    return data.decode("utf-8", errors="replace")


class _AppFiles:
    """The files of one app as detection reads them: the detectors ask for the same files
    (``main.py``, ``app.py`` … for FastAPI, then for Flask) and the same packages again,
    so each file is read, each directory listed, and the app's packages found, at most
    once; whether a file is there comes from its directory's listing (``os.scandir``: the
    kind of each entry without a ``stat``); paths resolve through the run's
    :class:`~depsplit.realpaths.RealPaths` (10,000 apps: 140,000 reads, 30,000 listings
    and a walk from ``/`` per read before; then 50,000 ``stat`` calls of files that are
    not there)."""

    def __init__(self, real_root: Path, app_dir: Path, real_paths: RealPaths) -> None:
        self.dir = app_dir
        self._real_root = real_root
        self._real_paths = real_paths
        self._texts: dict[Path, str | None] = {}
        self._listings: dict[Path, dict[str, os.DirEntry[str]] | None] = {}
        self._packages: list[Path] | None = None

    def entries(self, directory: Path) -> dict[str, os.DirEntry[str]] | None:
        """The entries of ``directory`` by name, listed once; ``None`` when it cannot be
        listed."""
        if directory not in self._listings:
            try:
                with os.scandir(directory) as listed:
                    self._listings[directory] = {entry.name: entry for entry in listed}
            except OSError:
                self._listings[directory] = None
        return self._listings[directory]

    def is_file(self, path: Path) -> bool:
        """``path.is_file()`` (symlinks followed), from its directory's listing."""
        listing = self.entries(path.parent)
        if listing is None:  # a directory that can be entered but not listed
            return path.is_file()
        entry = listing.get(path.name)
        return entry is not None and _is(entry.is_file)

    def read(self, path: Path) -> str | None:
        """:func:`read_app_file` of ``path``, read once."""
        if path not in self._texts:
            self._texts[path] = (
                _read_inside(path, self._real_root, self._real_paths)
                if self.is_file(path)
                else None
            )
        return self._texts[path]

    def packages(self) -> list[Path]:
        """The importable packages in the app's directory (with an ``__init__.py``, not
        symlinks), in name order."""
        if self._packages is None:
            listing = self.entries(self.dir) or {}
            self._packages = [
                self.dir / name
                for name in sorted(listing)
                if re.fullmatch(_IDENT, name)
                and _is(listing[name].is_dir, follow_symlinks=False)
                and self.is_file(self.dir / name / "__init__.py")
            ]
        return self._packages


def _is(test: Any, **options: bool) -> bool:
    """A ``DirEntry`` test, ``False`` when the entry cannot be looked at (as pathlib's)."""
    try:
        return bool(test(**options))
    except OSError:
        return False


def _module_files(files: _AppFiles) -> list[tuple[str, Path]]:
    """Candidate modules for a web app object: top-level files first, then packages."""
    app_dir = files.dir
    out = [(n[:-3], app_dir / n) for n in ("main.py", "app.py", "api.py", "asgi.py", "wsgi.py")]
    for pkg in files.packages():
        for n in ("main.py", "app.py", "api.py", "asgi.py", "wsgi.py", "__init__.py"):
            module = pkg.name if n == "__init__.py" else f"{pkg.name}.{n[:-3]}"
            out.append((module, pkg / n))
    return out


def _python_files(files: _AppFiles, limit: int = 300) -> list[Path]:
    """The app's ``.py`` files (symlinks, hidden directories and the usual non-source ones
    left out), sorted; the walk stops after ``limit`` of them."""
    out: list[Path] = []
    stack = [files.dir]
    while stack and len(out) < limit:
        directory = stack.pop()
        listing = files.entries(directory)
        if listing is None:
            continue
        for name in sorted(listing):
            entry = listing[name]
            if _is(entry.is_symlink):
                continue
            if _is(entry.is_dir, follow_symlinks=False):
                if not name.startswith(".") and name not in (
                    "node_modules",
                    "__pycache__",
                    "venv",
                    "tests",
                ):
                    stack.append(directory / name)
            elif Path(name).suffix == ".py":
                out.append(directory / name)
    return sorted(out)


def health_path(files: _AppFiles) -> str:
    """The first health-like route string found in the app's sources, else ``/``."""
    best: str | None = None
    for path in _python_files(files):
        text = files.read(path)
        if not text:
            continue
        for match in _HEALTH.finditer(text):
            found = "/" + match.group(1).lstrip("/")
            if not _SAFE_URL_PATH.fullmatch(found):
                continue
            if "health" in found:
                return found
            best = best or found
    return best or "/"


def _http(command: tuple[str, ...], how: str, server: str | None, files: _AppFiles) -> EntryPoint:
    return EntryPoint(
        command=command,
        port=PORT,
        http=True,
        server_package=server,
        health_path=health_path(files),
        todo=None,
        how=how,
    )


def _job(command: tuple[str, ...], how: str) -> EntryPoint:
    return EntryPoint(
        command=command,
        port=None,
        http=False,
        server_package=None,
        health_path=None,
        todo=None,
        how=how,
    )


def _procfile(files: _AppFiles) -> EntryPoint | None:
    text = files.read(files.dir / "Procfile")
    if text is None:
        return None
    processes: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+)\s*:\s*(.+)$", line.strip())
        if match:
            processes.setdefault(match.group(1), match.group(2).strip())
    name = "web" if "web" in processes else (next(iter(processes)) if len(processes) == 1 else "")
    if not name:
        return None
    raw = re.sub(r"\$\{PORT(?::-[^}]*)?\}|\$PORT\b", str(PORT), processes[name])
    try:
        words = tuple(shlex.split(raw))
    except ValueError:
        words = ()
    server = SERVERS.get(words[0]) if words else None
    if not words or re.search(r"[$`|;&<>]", raw):
        words = ("sh", "-c", raw)
    how = f"Procfile process {name!r}"
    if name == "web":
        return _http(words, how, server, files)
    return _job(words, how)


def _django(files: _AppFiles) -> EntryPoint | None:
    manage = files.read(files.dir / "manage.py")
    if manage is None or "django" not in manage.lower():
        return None
    module: str | None = None
    for pkg in files.packages():
        for settings in [pkg / "settings.py", *sorted((pkg / "settings").glob("*.py"))]:
            text = files.read(settings) or ""
            match = re.search(
                r"""^WSGI_APPLICATION\s*=\s*["']([\w.]+)\.application["']""", text, re.M
            )
            if match and _DOTTED.fullmatch(match.group(1)):
                module = match.group(1)
                break
        if module:
            break
    if module is None:
        found = [p.name for p in files.packages() if files.is_file(p / "wsgi.py")]
        if len(found) == 1:
            module = f"{found[0]}.wsgi"
    if module is None:
        return None
    command = ("gunicorn", "--bind", f"0.0.0.0:{PORT}", f"{module}:application")
    return _http(command, "Django (manage.py, WSGI module)", "gunicorn", files)


def _web_object(files: _AppFiles, framework: str) -> tuple[str, str] | None:
    pattern = re.compile(
        rf"^({_IDENT})\s*(?::[^=\n]*)?=\s*(?:{framework.lower()}\.)?{framework}\(", re.M
    )
    for module, path in _module_files(files):
        text = files.read(path)
        if not text or framework.lower() not in text:
            continue
        match = pattern.search(text)
        if match:
            return module, match.group(1)
    return None


def _fastapi(files: _AppFiles) -> EntryPoint | None:
    found = _web_object(files, "FastAPI")
    if found is None:
        return None
    module, var = found
    command = ("uvicorn", f"{module}:{var}", "--host", "0.0.0.0", "--port", str(PORT))
    return _http(command, f"FastAPI app object {module}:{var}", "uvicorn", files)


def _flask(files: _AppFiles) -> EntryPoint | None:
    found = _web_object(files, "Flask")
    if found is None:
        return None
    module, var = found
    command = ("gunicorn", "--bind", f"0.0.0.0:{PORT}", f"{module}:{var}")
    return _http(command, f"Flask app object {module}:{var}", "gunicorn", files)


def _main_package(files: _AppFiles) -> EntryPoint | None:
    found = [p.name for p in files.packages() if files.is_file(p / "__main__.py")]
    if len(found) != 1:
        return None
    return _job(("python", "-m", found[0]), f"package {found[0]} with __main__.py")


def _scripts(files: _AppFiles) -> dict[str, str]:
    scripts: dict[str, str] = {}
    text = files.read(files.dir / "pyproject.toml")
    # Parsed only when it may name scripts: a key is spelled out, or escaped in a quoted
    # key (``"\u0073cripts"``).
    if text is not None and ("scripts" in text or "\\u" in text or "\\U" in text):
        data: dict[str, Any] = parse_toml(text) or {}
        for table in (
            data.get("project", {}).get("scripts", {}),
            data.get("tool", {}).get("poetry", {}).get("scripts", {}),
        ):
            if isinstance(table, dict):
                scripts.update({k: v for k, v in table.items() if isinstance(v, str)})
    cfg = files.read(files.dir / "setup.cfg")
    if cfg is not None and "options.entry_points" in cfg:  # section names match exactly
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(cfg)
            raw = parser.get("options.entry_points", "console_scripts", fallback="")
        except configparser.Error:
            raw = ""
        for line in raw.splitlines():
            name, sep, target = line.partition("=")
            if sep:
                scripts[name.strip()] = target.strip()
    return scripts


def _script_entry(files: _AppFiles) -> EntryPoint | None:
    scripts = _scripts(files)
    if len(scripts) != 1:
        return None
    [(name, target)] = scripts.items()
    module, sep, attr = target.partition(":")
    attr = attr.split("[", 1)[0].strip()
    module = module.strip()
    if not sep or not _DOTTED.fullmatch(module) or not _DOTTED.fullmatch(attr):
        return None
    head = attr.split(".", 1)[0]
    code = f"import sys; from {module} import {head}; sys.exit({attr}())"
    return _job(("python", "-c", code), f"script {name!r} ({target})")


def _single_script(files: _AppFiles) -> EntryPoint | None:
    listing = files.entries(files.dir)
    if listing is None:
        return None
    names = sorted(
        name for name, entry in listing.items() if Path(name).suffix == ".py" and _is(entry.is_file)
    )
    runnable = [
        f
        for f in names
        if f not in _NOT_SCRIPTS
        and not f.startswith("test_")
        and re.search(r"""__name__\s*==\s*["']__main__["']""", files.read(files.dir / f) or "")
    ]
    if not runnable:
        return None
    preferred = [n for n in _SCRIPT_NAMES if n in runnable]
    if len(runnable) > 1 and not preferred:
        return None
    chosen = preferred[0] if preferred else runnable[0]
    return _job(("python", chosen), f"script {chosen}")


def detect(root: Path, app: App, real_paths: RealPaths | None = None) -> EntryPoint:
    """The entry point of ``app`` (files read under ``root``; ``real_paths``: the run's
    resolutions, shared by every app's detection)."""
    real_paths = real_paths or RealPaths()
    real_root = Path(real_paths.resolved(os.fspath(root.absolute())))
    files = _AppFiles(real_root, root / app.path, real_paths)
    for finder in (_procfile, _django, _fastapi, _flask, _main_package):
        found = finder(files)
        if found is not None:
            return found
    for finder in (_script_entry, _single_script):
        found = finder(files)
        if found is not None:
            return found
    return EntryPoint.unknown(
        f"no entry point found for app {app.name!r} (no Procfile, Django, FastAPI or "
        "Flask app, __main__.py, single script entry or main.py): set its command"
    )
