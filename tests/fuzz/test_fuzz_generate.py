"""``depsplit generate`` on random app directory names, paths and requirements: it either
writes a complete tree (every file the manifest names, with its hash; no temporary file
left) that hadolint and Docker Compose accept (checked on a sample: they are slow), or it
refuses with a message and writes nothing. Nothing is ever written outside OUTDIR, no
secret reaches a generated file or the output, and no file holding one (a dependency file
with a credentialed URL, a ``.netrc``, ``pip.conf``, ``.env`` …) is in any group's build
context, as BuildKit would compute it from the generated ``.dockerignore``
(``tests/hostile/dockerignore_rules.py``)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dockerignore_rules import context
from fuzz_strategies import (
    SECRETS,
    confined,
    dir_names,
    fuzz_settings,
    markers,
    names,
    no_crash,
    no_leftover,
    no_secret,
    nothing_outside,
    specifiers,
    urls,
)
from hypothesis import event, given
from hypothesis import strategies as st
from test_fuzz_pipeline import run, snapshot, write

LINT_SAMPLE = 4
"""How many successful generations per session go through hadolint and Compose."""
_linted = [0]

valid_names = st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9]", fullmatch=True)
valid_specs = st.sampled_from(["", "==1.0", ">=1,<2", "~=2.1", "!=1.5", ">=0.1"])
valid = st.builds("{}{}".format, valid_names, valid_specs)
weird = st.one_of(
    st.builds("{}{}".format, names, specifiers),
    st.builds("{}{}; {}".format, names, specifiers, markers),
    st.builds("{} @ {}".format, names, urls),
    st.builds("{} @ {}".format, valid_names, urls),
    st.sampled_from(["flask==2.3.0", "requests>=2", "gunicorn", "uvicorn[standard]"]),
)
requirement = st.one_of(valid, valid, valid, valid, valid, valid, weird)
generate_dir_names = st.one_of(
    valid_names, valid_names, dir_names, st.sampled_from(["#hash", "!bang", "#", "!x^y"])
)
CREDENTIAL_NAMES = [
    ".netrc",
    "_netrc",
    ".pypirc",
    "pip.conf",
    "pip.ini",
    ".pip/pip.conf",
    "poetry.toml",
    "auth.toml",
    ".env",
    ".env.local",
    "sub/.netrc",
]
app_files = st.sampled_from(["requirements.txt", "pyproject.toml", "Pipfile"])
entry = st.sampled_from(
    [
        {},
        {"main.py": "from fastapi import FastAPI\napp = FastAPI()\n"},
        {"app.py": "from flask import Flask\napp = Flask(__name__)\n"},
        {"worker.py": "if __name__ == '__main__':\n    pass\n"},
        {"Procfile": "web: gunicorn app:app --bind 0.0.0.0:$PORT\n"},
        {"Procfile": "worker: python run.py; rm -rf / `id` $(id)\n"},
    ]
)


def render_app(kind: str, reqs: list[str]) -> str:
    if kind == "requirements.txt":
        return "".join(f"{r}\n" for r in reqs)
    if kind == "pyproject.toml":
        deps = ", ".join(json.dumps(r, ensure_ascii=False) for r in reqs)
        return f'[project]\nname = "x"\nversion = "1"\ndependencies = [{deps}]\n'
    body = "".join(
        f'{json.dumps(r.split(";")[0].split("@")[0].strip() or "x", ensure_ascii=False)} = "*"\n'
        for r in reqs
    )
    return "[packages]\n" + body


@st.composite
def generate_trees(
    draw: st.DrawFn,
    dir_names: st.SearchStrategy[str] = generate_dir_names,
    requirements: st.SearchStrategy[str] = requirement,
) -> dict[str, str | bytes]:
    """Apps (odd names by default) with requirements, entry points and credential files;
    ``generate_trees(valid_names, valid)`` for trees ``generate`` accepts."""
    files: dict[str, str | bytes] = {}
    dirs = draw(st.lists(dir_names, min_size=1, max_size=3, unique_by=lambda n: n.lower()))
    for d in dirs:
        prefix = draw(st.sampled_from(["", "services/", "odd dir/"]))
        kind = draw(app_files)
        reqs = draw(st.lists(requirements, max_size=3))
        files[f"{prefix}{d}/{kind}"] = render_app(kind, reqs)
        for name, text in draw(entry).items():
            files[f"{prefix}{d}/{name}"] = text
        for name in draw(st.lists(st.sampled_from(CREDENTIAL_NAMES), max_size=2, unique=True)):
            files[f"{prefix}{d}/{name}"] = f"password {SECRETS[0]}\n"
    return files


def hadolint_bin() -> str:
    return shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))


def compose_bin() -> str:
    spec = importlib.util.find_spec("compose")
    assert spec is not None
    assert spec.submodule_search_locations
    return str(Path(next(iter(spec.submodule_search_locations))) / "docker-compose")


def lint(outdir: Path) -> None:
    for dockerfile in sorted(outdir.glob("*/Dockerfile")):
        done = subprocess.run(
            [hadolint_bin(), "--no-color", "-t", "warning", str(dockerfile)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run(
        [compose_bin(), "-f", str(outdir / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        cwd=outdir,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def check_generated(root: Path, outdir: Path, *printed: str) -> None:
    """A complete output in ``outdir``: every file its plan names, with its hash, and
    nothing else (no ``.depsplit-*`` file); no secret in it nor in ``printed``; none in any
    file of ``root`` a group's ``.dockerignore`` lets into its build context."""
    written = {p.relative_to(outdir).as_posix() for p in outdir.rglob("*") if p.is_file()}
    no_leftover([w for w in written if ".depsplit-" in w], str(outdir))
    plan = json.loads((outdir / "depsplit-plan.json").read_text(encoding="utf-8"))
    assert written == {*plan["files"], "depsplit-plan.json"}, written
    for rel, digest in plan["files"].items():
        assert hashlib.sha256((outdir / rel).read_bytes()).hexdigest() == digest
    texts = [(outdir / rel).read_text(encoding="utf-8") for rel in sorted(written)]
    no_secret(*printed, where="in generate's output")
    no_secret(*texts, where="in a generated file")
    tree = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    for ignore in outdir.glob("*/Dockerfile.dockerignore"):
        for rel in context(ignore.read_text(encoding="utf-8"), tree):
            no_secret((root / rel).read_bytes(), where=f"in {rel}, in {ignore}'s build context")


def outside(tree: dict[str, bytes], outdir: str = "repo/deploy") -> dict[str, bytes]:
    """A snapshot less ``outdir`` (relative to the snapshot's top)."""
    return {k: v for k, v in tree.items() if k != outdir and not k.startswith(outdir + "/")}


def generate_case(files: dict[str, str | bytes], *, lint_sample: bool = True) -> None:
    """``generate`` on ``files``: a complete tree (:func:`check_generated`), or exit 2 with
    a message and nothing written; never a write outside OUTDIR, nor a secret printed."""
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp).resolve()
        root = top / "repo"
        root.mkdir()
        write(root, files)
        outdir = root / "deploy"
        with confined(top):
            before = snapshot(top)
            code, out, err = run(["generate", str(root), "-o", str(outdir)])
        event(f"exit {code}" + (" " + err.splitlines()[-1][:200] if code and err else ""))
        no_crash(code, err, (0, 2))
        no_secret(out, err, where="in generate's output")
        after = snapshot(top)
        nothing_outside(before, outside(after), "OUTDIR")
        if code != 0:
            assert not outdir.exists(), sorted(k for k in after if k.startswith("repo/deploy"))
            return
        check_generated(root, outdir, out, err)
        if lint_sample and _linted[0] < LINT_SAMPLE and list(outdir.glob("*/Dockerfile")):
            _linted[0] += 1
            lint(outdir)


@fuzz_settings(25)
@given(files=generate_trees())
def test_generate_writes_a_complete_tree_or_nothing(files: dict[str, str | bytes]) -> None:
    generate_case(files)
