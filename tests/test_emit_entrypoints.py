"""Entry-point detection: each demo app's command, and a TODO where nothing is found."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsplit.emit.entrypoints import detect
from depsplit.model import App

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "monorepo"


def app(path: str) -> App:
    return App(name=Path(path).name, path=path, sources=())


G = ("gunicorn", "--bind", "0.0.0.0:8000")
U = ("--host", "0.0.0.0", "--port", "8000")


@pytest.mark.parametrize(
    ("path", "command", "http", "health"),
    [
        ("services/shop-api", (*G, "app:app"), True, "/health"),
        ("services/legacy-admin", (*G, "app:app"), True, "/health"),
        ("services/blog", (*G, "blog.wsgi:application"), True, "/health/"),
        ("services/inference", ("uvicorn", "main:app", *U), True, "/health"),
        ("services/catalog", ("uvicorn", "catalog.main:app", *U), True, "/health"),
        ("services/notifier", ("python", "-m", "notifier"), False, None),
        ("workers/indexer", ("python", "-m", "indexer"), False, None),
        ("workers/emailer", ("python", "worker.py"), False, None),
        ("jobs/nightly-report", ("python", "report.py"), False, None),
        ("jobs/cleanup-sessions", ("python", "cleanup.py"), False, None),
    ],
)  # fmt: skip
def test_demo_apps(path: str, command: tuple[str, ...], http: bool, health: str | None) -> None:
    entry = detect(FIXTURE, app(path))
    assert entry.command == command
    assert entry.http is http
    assert entry.health_path == health
    assert entry.port == (8000 if http else None)
    assert entry.todo is None


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_procfile_wins_and_port_is_substituted(tmp_path: Path) -> None:
    root = write(tmp_path, {"a/Procfile": "worker: python w.py\nweb: uvicorn m:app --port $PORT\n"})
    entry = detect(root, app("a"))
    assert entry.command == ("uvicorn", "m:app", "--port", "8000")
    assert entry.http
    assert entry.server_package == "uvicorn"


def test_a_single_script_entry_is_called_without_installing_the_app(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "a/pyproject.toml": '[project]\nname="a"\n[project.scripts]\na = "pkg.cli:main"\n',
            "a/pkg/__init__.py": "",
            "a/pkg/cli.py": "def main():\n    return 0\n",
        },
    )
    entry = detect(root, app("a"))
    assert entry.command == (
        "python", "-c", "import sys; from pkg.cli import main; sys.exit(main())"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("rel", "text"),
    [
        ("a/pyproject.toml", '[project."\\u0073cripts"]\na = "pkg.cli:main"\n'),
        ("a/pyproject.toml", '[tool.poetry.scripts]\na = "pkg.cli:main"\n'),
        ("a/setup.cfg", "[options.entry_points]\nConsole_Scripts =\n    a = pkg.cli:main\n"),
    ],
)  # fmt: skip
def test_a_script_entry_is_found_however_it_is_spelled(tmp_path: Path, rel: str, text: str) -> None:
    # An escaped key is the same key (TOML); configparser's option names ignore case.
    root = write(tmp_path, {rel: text, "a/pkg/__init__.py": "", "a/pkg/cli.py": "def main(): 0\n"})
    entry = detect(root, app("a"))
    assert entry.command == (
        "python", "-c", "import sys; from pkg.cli import main; sys.exit(main())"
    )  # fmt: skip


def test_a_package_symlinked_in_is_not_a_package_of_the_app(tmp_path: Path) -> None:
    root = write(tmp_path, {"lib/tool/__init__.py": "", "lib/tool/__main__.py": "print(1)\n"})
    (root / "a").mkdir()
    (root / "a" / "tool").symlink_to(root / "lib" / "tool", target_is_directory=True)
    entry = detect(root, app("a"))
    assert entry.command is None  # python -m tool would run code from outside the app


def test_an_app_directory_that_cannot_be_listed_is_still_read_by_name(tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root lists any directory")
    root = write(tmp_path, {"a/Procfile": "web: gunicorn app:app --bind 0.0.0.0:$PORT\n"})
    (root / "a").chmod(0o311)  # enter, not list
    try:
        entry = detect(root, app("a"))
    finally:
        (root / "a").chmod(0o755)
    assert entry.command == ("gunicorn", "app:app", "--bind", "0.0.0.0:8000")


def test_an_injection_in_a_script_target_is_not_run(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"a/pyproject.toml": '[project]\nname="a"\n[project.scripts]\na = "os; rm -rf /:x"\n'},
    )
    entry = detect(root, app("a"))
    assert entry.command is None
    assert entry.todo
    assert "set its command" in entry.todo


def test_nothing_found_gives_a_todo_not_a_command(tmp_path: Path) -> None:
    root = write(tmp_path, {"a/requirements.txt": "requests\n", "a/lib.py": "X = 1\n"})
    entry = detect(root, app("a"))
    assert entry.command is None
    assert not entry.http
    assert entry.todo is not None
    assert "'a'" in entry.todo


def test_a_file_symlinked_out_of_the_root_is_not_read(tmp_path: Path) -> None:
    outside = write(
        tmp_path / "outside", {"main.py": "from fastapi import FastAPI\napp = FastAPI()\n"}
    )
    root = write(tmp_path / "repo", {"a/worker.py": 'if __name__ == "__main__":\n    pass\n'})
    (root / "a" / "main.py").symlink_to(outside / "main.py")
    (root / "a" / "Procfile").symlink_to(outside / "main.py")
    entry = detect(root, app("a"))
    assert entry.command == ("python", "worker.py")  # neither main.py nor the Procfile


def test_a_file_symlinked_inside_the_root_is_read(tmp_path: Path) -> None:
    root = write(tmp_path, {"shared/web.py": "from flask import Flask\nweb = Flask(__name__)\n"})
    (root / "a").mkdir()
    (root / "a" / "app.py").symlink_to(root / "shared" / "web.py")
    entry = detect(root, app("a"))
    assert entry.command == (*G, "app:web")


def test_an_app_directory_reached_through_a_symlinked_root_is_read(tmp_path: Path) -> None:
    real = write(tmp_path / "real", {"a/main.py": "from fastapi import FastAPI\napi = FastAPI()\n"})
    (tmp_path / "link").symlink_to(real)
    entry = detect(tmp_path / "link", app("a"))
    assert entry.command == ("uvicorn", "main:api", *U)
