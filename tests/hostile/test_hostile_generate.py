"""``depsplit generate`` on hostile names and secrets: the generated tree carries no secret,
passes hadolint and Docker Compose, and names that cannot be written safely are refused
with a message naming the app, its path and the character, before anything is written."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import leaked, run, snapshot
from hostile_builder import ODD_NAMES, secret_files

GENERATABLE = [n for n in ODD_NAMES if "\n" not in n and "\t" not in n]
YAML_TRAPS = [
    "key: value",
    "{braces}",
    "- dash",
    "&anchor",
    "!tag",
    "#hash",
    "%pct",
    "@at",
    "|pipe",
    "> fold",
    "yes",
    "null",
    "~",
]


def generatable_tree(root: Path) -> Path:
    files = secret_files()
    files["secrets/req/requirements.txt"] = "".join(
        line + "\n"
        for line in files["secrets/req/requirements.txt"].splitlines()
        if not line.startswith(("badline", "-r "))
    )
    files["secrets/pipenv/Pipfile.lock"] = files["secrets/pipenv/Pipfile.lock"].replace(
        '"ref": "abc"', '"ref": "main"'
    )
    for name in GENERATABLE + YAML_TRAPS:
        files[f"odd/{name}/requirements.txt"] = "requests==2.31.0\nflask==2.3.0\n"
        files[f"odd/{name}/app.py"] = "from flask import Flask\napp = Flask(__name__)\n"
    files["odd/$(touch pwned)/Procfile"] = "worker: python run.py `touch pwned3` $(touch pwned4)\n"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def compose_bin() -> str:
    spec = importlib.util.find_spec("compose")
    assert spec is not None
    assert spec.submodule_search_locations
    return str(Path(next(iter(spec.submodule_search_locations))) / "docker-compose")


def hadolint_bin() -> str:
    return shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))


def test_generate_on_hostile_names_and_secrets(tmp_path: Path) -> None:
    root = generatable_tree(tmp_path / "repo")
    outdir = root / "deploy"
    before = snapshot(tmp_path)
    code, out, err = run(["generate", str(root), "-o", str(outdir)])
    assert code == 0, err
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("repo/deploy")} == before
    texts = {p: p.read_text(encoding="utf-8") for p in outdir.rglob("*") if p.is_file()}
    assert leaked(out + err + "".join(texts.values())) == []
    assert not list(tmp_path.rglob("pwned*"))
    # Every dependency file with a credential stays out of the images' build context.
    ignored = "".join(p.read_text() for p in outdir.glob("*/Dockerfile.dockerignore"))
    for rel in [
        "secrets/req/requirements.txt",
        "secrets/pipenv/Pipfile",
        "secrets/poetry/pyproject.toml",
        "secrets/pep621/pyproject.toml",
        "secrets/setupcfg/setup.cfg",
        "secrets/query/requirements.txt",
        "secrets/qpoetry/pyproject.toml",
        "secrets/qpipenv/Pipfile",
    ]:
        assert f"\n{rel}\n" in ignored, rel
    for dockerfile in outdir.glob("*/Dockerfile"):
        done = subprocess.run(
            [hadolint_bin(), "--no-color", "-t", "warning", str(dockerfile)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout
    done = subprocess.run(
        [compose_bin(), "-f", str(outdir / "compose.yaml"), "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=outdir,
    )
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    working_dirs = {s["working_dir"] for s in config["services"].values()}
    for name in GENERATABLE + YAML_TRAPS:
        # `config` prints a re-loadable file: a literal $ stays escaped as $$.
        assert f"/app/odd/{name}".replace("$", "$$") in working_dirs, name
    assert not list(tmp_path.rglob("pwned*"))


@pytest.mark.parametrize(
    ("name", "shown"),
    [("new\nline", "U+000A (a line break)"), ("tab\there", "U+0009 (a control character)")],
)
def test_unwritable_names_are_refused_before_anything_is_written(
    tmp_path: Path, name: str, shown: str
) -> None:
    root = tmp_path / "repo"
    (root / "odd" / name).mkdir(parents=True)
    (root / "odd" / name / "requirements.txt").write_text("flask==2.3.0\n", encoding="utf-8")
    before = snapshot(tmp_path)
    code, _, err = run(["generate", str(root), "-o", str(root / "deploy")])
    assert code == 2
    assert "cannot generate an image for app" in err
    assert shown in err
    assert snapshot(tmp_path) == before
