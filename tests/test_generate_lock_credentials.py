"""``depsplit generate`` leaves every dependency file holding a URL with credentials out of
its group's build context: lock files (Pipfile.lock ``_meta.sources``, poetry.lock
``[package.source]``, uv.lock ``source = { registry = … }``, pdm.lock), a Pipfile
``[[source]]``, index settings … found on the file's text (it changes when redacted), and
never prints the secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from depsplit.cli import main
from depsplit.emit.build import holds_credentials

SECRET = "s3cr3t"
PRIVATE = f"https://user:{SECRET}@private.example/simple"

PIPFILE = (
    '[[source]]\nurl = "{url}"\nverify_ssl = true\nname = "{name}"\n\n[packages]\nrequests = "*"\n'
)
PIPFILE_LOCK = (
    "{{\n"
    '  "_meta": {{"sources": [{{"url": "{url}", "name": "private", "verify_ssl": true}}]}},\n'
    '  "default": {{"requests": {{"version": "==2.31.0"}}}},\n'
    '  "develop": {{}}\n'
    "}}\n"
)
POETRY_PYPROJECT = (
    '[tool.poetry]\nname = "poet"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n\n'
    '[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "^2.31"\n'
)
POETRY_LOCK = (
    "[[package]]\n"
    'name = "requests"\nversion = "2.31.0"\ndescription = ""\noptional = false\n'
    'python-versions = ">=3.7"\nfiles = []\n\n'
    "[package.source]\n"
    f'type = "legacy"\nurl = "{PRIVATE}"\nreference = "private"\n\n'
    "[metadata]\n"
    'lock-version = "2.0"\npython-versions = "^3.11"\ncontent-hash = "x"\n'
)
UV_PYPROJECT = (
    '[project]\nname = "{name}"\nversion = "0.1"\nrequires-python = ">=3.10"\n'
    'dependencies = ["attrs>=23"]\n'
)
UV_LOCK = (
    'version = 1\nrequires-python = ">=3.10"\n\n'
    "[[package]]\n"
    'name = "attrs"\nversion = "23.2.0"\n'
    'source = {{ registry = "{url}" }}\n'
)
PDM_LOCK = (
    "[metadata]\n"
    'lock_version = "4.4"\n\n'
    "[[package]]\n"
    'name = "attrs"\nversion = "23.2.0"\n\n'
    "[[source]]\n"
    f'name = "private"\nurl = "{PRIVATE}"\n'
)

# app directory → its files; the files holding the secret are listed in LEAKY.
APPS: dict[str, dict[str, str]] = {
    "pipenv": {
        "Pipfile": PIPFILE.format(url="https://pypi.org/simple", name="pypi"),
        "Pipfile.lock": PIPFILE_LOCK.format(url=PRIVATE),
    },
    "pipsource": {"Pipfile": PIPFILE.format(url=PRIVATE, name="private")},
    "poet": {"pyproject.toml": POETRY_PYPROJECT, "poetry.lock": POETRY_LOCK},
    "uvapp": {
        "pyproject.toml": UV_PYPROJECT.format(name="uvapp"),
        "uv.lock": UV_LOCK.format(url=PRIVATE),
    },
    "pdmapp": {"requirements.txt": "attrs>=23\n", "pdm.lock": PDM_LOCK},
    "clean": {
        "pyproject.toml": UV_PYPROJECT.format(name="clean"),
        "uv.lock": UV_LOCK.format(url="https://pypi.org/simple"),
    },
    # A ${VAR} reference names a secret without being one.
    "envref": {
        "pyproject.toml": UV_PYPROJECT.format(name="envref"),
        "uv.lock": UV_LOCK.format(url="https://${UV_USER}:${UV_TOKEN}@private.example/simple"),
    },
}
LEAKY = [
    "pipenv/Pipfile.lock",
    "pipsource/Pipfile",
    "poet/poetry.lock",
    "uvapp/uv.lock",
    "pdmapp/pdm.lock",
]
CLEAN = [
    "pipenv/Pipfile",
    "poet/pyproject.toml",
    "uvapp/pyproject.toml",
    "pdmapp/requirements.txt",
    "clean/pyproject.toml",
    "clean/uv.lock",
    "envref/pyproject.toml",
    "envref/uv.lock",
]


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def make_repo(root: Path, apps: dict[str, dict[str, str]]) -> Path:
    return write_tree(
        root, {f"{app}/{name}": text for app, files in apps.items() for name, text in files.items()}
    )


def generate(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[dict[str, str], dict[str, str], str]:
    """Run ``depsplit generate``: (every generated file by its path in OUTDIR, each app's
    group, stdout + stderr)."""
    outdir = root / "deploy"
    code = main(["generate", str(root), "-o", str(outdir)])
    out = capsys.readouterr()
    assert code == 0, out.err
    files = {
        p.relative_to(outdir).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(outdir.rglob("*"))
        if p.is_file()
    }
    plan = json.loads(files["depsplit-plan.json"])
    groups = {app: g["name"] for g in plan["groups"] for app in g["apps"]}
    return files, groups, out.out + out.err


def ignore_lines(files: dict[str, str], group: str) -> list[str]:
    return files[f"{group}/Dockerfile.dockerignore"].splitlines()


def excluded(lines: list[str]) -> list[str]:
    """The lines after the credentials comment."""
    marker = "# Dependency files that hold credentials: never in the image."
    return lines[lines.index(marker) + 1 :] if marker in lines else []


def test_lock_files_and_sources_with_credentials_stay_out_of_the_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(tmp_path / "repo", APPS)
    files, groups, output = generate(root, capsys)

    assert SECRET not in output
    for path, text in files.items():
        assert SECRET not in text, path

    for rel in LEAKY:
        app = rel.split("/", 1)[0]
        lines = ignore_lines(files, groups[app])
        assert rel in excluded(lines), rel
        # Later lines win: the exclusion must follow the line letting the app back in.
        assert lines.index(rel) > lines.index(f"!{app}"), rel
        assert lines.index(rel) > lines.index("*")
    everything_excluded = {
        f for g in set(groups.values()) for f in excluded(ignore_lines(files, g))
    }
    assert everything_excluded == set(LEAKY)
    for rel in CLEAN:
        assert rel not in everything_excluded, rel


def test_output_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, _, _ = generate(make_repo(tmp_path / "a" / "repo", APPS), capsys)
    second, _, _ = generate(make_repo(tmp_path / "b" / "repo", APPS), capsys)
    assert first == second


def test_unread_lock_files_are_checked_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With ``use_locks = false`` no lock file is read, but each is still in the app's
    directory, which the image copies."""
    apps = {k: APPS[k] for k in ("pipenv", "poet", "uvapp", "clean")}
    root = make_repo(tmp_path / "repo", apps)
    (root / "depsplit.toml").write_text("use_locks = false\n", encoding="utf-8")
    files, groups, output = generate(root, capsys)
    assert SECRET not in output + "".join(files.values())
    got = {f for g in set(groups.values()) for f in excluded(ignore_lines(files, g))}
    assert got == {"pipenv/Pipfile.lock", "poet/poetry.lock", "uvapp/uv.lock"}


def test_an_included_file_with_credentials_is_neither_copied_nor_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A COPY of a file the .dockerignore excludes would fail the build: it is not copied."""
    root = write_tree(
        tmp_path / "repo",
        {
            "shared/base.txt": f"--extra-index-url {PRIVATE}\nattrs>=23\n",
            "shared/plain.txt": "idna>=3\n",
            "api/requirements.txt": "-r ../shared/base.txt\n-r ../shared/plain.txt\nflask\n",
        },
    )
    files, groups, output = generate(root, capsys)
    assert SECRET not in output + "".join(files.values())
    group = groups["api"]
    lines = ignore_lines(files, group)
    assert excluded(lines) == ["shared/base.txt"]
    assert "!shared/base.txt" not in lines
    assert "!shared/plain.txt" in lines
    dockerfile = files[f"{group}/Dockerfile"]
    assert '"shared/base.txt"' not in dockerfile
    assert '"shared/plain.txt"' in dockerfile


def test_a_nested_app_of_another_group_is_checked_in_the_outer_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``svc/`` is copied whole into its image, ``svc/worker/`` (another group) with it."""
    root = write_tree(
        tmp_path / "repo",
        {
            "svc/requirements.txt": "flask==2.3.0\n",
            "svc/worker/requirements.txt": "flask==2.0.0\n",
            "svc/worker/Pipfile.lock": PIPFILE_LOCK.format(url=PRIVATE),
        },
    )
    files, groups, output = generate(root, capsys)
    assert SECRET not in output + "".join(files.values())
    assert groups["svc"] != groups["worker"]
    for app in ("svc", "worker"):
        assert excluded(ignore_lines(files, groups[app])) == ["svc/worker/Pipfile.lock"], app


def test_a_command_with_credentials_is_not_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(
        tmp_path / "repo",
        {
            "web/requirements.txt": "gunicorn\nflask\n",
            "web/Procfile": f"web: gunicorn app:app --log-config {PRIVATE}/log.ini\n",
        },
    )
    files, groups, output = generate(root, capsys)
    assert SECRET not in output + "".join(files.values())
    assert "holds a URL with credentials" in files[f"{groups['web']}/Dockerfile"]


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        (f'url = "{PRIVATE}"\n', True),
        ('url = "https://t0ken@private.example/simple"\n', True),
        ('{"url":"https://user:s3cr3t@private.example/simple"}', True),
        # pip joins a line ending in a backslash with the next one.
        ("--index-url https://user:s3\\\ncr3t@private.example/simple\n", True),
        ('url = "https://${USER}:${TOKEN}@private.example/simple"\n', False),
        ('url = "https://${TOKEN}@private.example/simple"\n', False),
        ('url = "https://user:****@private.example/simple"\n', False),
        ('url = "https://pypi.org/simple"\nauthors = ["A <a@example.com>"]\n', False),
    ],
)
def test_holds_credentials(tmp_path: Path, text: str, holds: bool) -> None:
    (tmp_path / "f.lock").write_text(text, encoding="utf-8")
    assert holds_credentials(tmp_path.resolve(), "f.lock") is holds


def test_holds_credentials_reads_nothing_outside_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside.lock"
    outside.write_text(f'url = "{PRIVATE}"\n', encoding="utf-8")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "uv.lock").symlink_to(outside)
    # Docker sends the link, not its target: nothing of the secret reaches the image.
    assert holds_credentials(root.resolve(), "uv.lock") is False
    assert holds_credentials(root.resolve(), "missing.lock") is False


def test_holds_credentials_on_odd_files(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    (root / "loop.lock").symlink_to(root / "loop.lock")
    (root / "dir.lock").mkdir()
    for rel in ("loop.lock", "dir.lock", "dir.lock/x"):
        assert holds_credentials(root, rel) is False, rel
    (root / "utf16.lock").write_text(f'url = "{PRIVATE}"\n', encoding="utf-16")
    assert holds_credentials(root, "utf16.lock") is True
