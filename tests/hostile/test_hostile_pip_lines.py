"""Every generated requirements line reads back through pip's own parser as written.

pip preprocesses a requirements-file line before it parses the requirement, without
knowing about quoted strings: a ``#`` after whitespace starts a comment, a word starting
with ``-`` starts the options, ``${NAME}`` is an environment variable. A valid PEP 508
marker (from pyproject.toml, a Pipfile, setup.cfg) can hold any of them in a string; copied
verbatim, pip refused the line ("Invalid requirement") or read another requirement, and the
image build failed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run
from pipread import assert_pip_reads_as_written

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "monorepo"
CASES = Path(__file__).resolve().parents[1] / "cases" / "generate"

HOSTILE_MARKERS = {
    # package: marker (valid PEP 508, each evaluates true in the container)
    "alpha": 'platform_release != "5 -x"',  # ' -': an option to pip
    "beta": 'platform_version != "a #1"',  # ' #': a comment to pip
    "gamma": 'platform_release != "${HOME}"',  # pip would expand it
    "delta": 'platform_version != "x\t#y"',  # a tab then '#': a comment too
    "eps": 'platform_release != "a --hash=sha256:00"',
    "eta": "python_version>='3.8'   and\tos_name=='posix'",  # odd spacing and quotes
    "theta": 'platform_version != "#1 SMP"',  # '#' after a quote: pip reads it right
}


def pyproject(deps: dict[str, str]) -> str:
    items = ", ".join(json.dumps(f"{name}>=1; {marker}") for name, marker in deps.items())
    return f'[project]\nname = "x"\nversion = "1"\ndependencies = [{items}]\n'


def generate(root: Path, *extra: str) -> Path:
    outdir = root / "deploy"
    code, out, err = run(["generate", str(root), "-o", str(outdir), "--no-index-facts", *extra])
    assert code == 0, out + err
    return outdir


def check_every_file(root: Path, outdir: Path) -> int:
    files = sorted(outdir.glob("*/requirements.txt"))
    assert files
    return sum(assert_pip_reads_as_written(path, root) for path in files)


def test_markers_pip_would_misread_are_left_out_and_every_line_reads_back(
    tmp_path: Path,
) -> None:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "pyproject.toml").write_text(pyproject(HOSTILE_MARKERS), encoding="utf-8")
    (root / "app" / "main.py").write_text("print(1)\n", encoding="utf-8")
    outdir = generate(root)
    assert check_every_file(root, outdir) == len(HOSTILE_MARKERS)
    text = (outdir / "app" / "requirements.txt").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert "alpha>=1" in lines
    assert "beta>=1" in lines
    assert "gamma>=1" in lines
    assert "delta>=1" in lines
    assert "eps>=1" in lines
    # Normalised by packaging (a tab, odd spaces, single quotes), the marker stays.
    assert 'eta>=1; python_version >= "3.8" and os_name == "posix"' in lines
    assert 'theta>=1; platform_version != "#1 SMP"' in lines
    assert "# NOTE: marker left out, pip cannot read it (pip reads a word starting with" in text
    assert 'as the start of a comment): platform_version != "a #1"' in text
    assert "pip replaces ${NAME} with an environment variable" in text


def test_a_line_pip_cannot_read_even_without_its_marker_is_a_todo(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\ndependencies = ["alpha===${HOME}", "beta==1.0"]\n',
        encoding="utf-8",
    )
    outdir = generate(root)
    check_every_file(root, outdir)
    text = (outdir / "app" / "requirements.txt").read_text(encoding="utf-8")
    assert "# TODO: not written, pip cannot read it (pip replaces ${NAME}" in text
    assert "\nbeta==1.0\n" in text


def test_members_whose_markers_differ_only_in_spelling_keep_it(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    for app, marker in (("a", "python_version>='3.8'"), ("b", 'python_version >= "3.8"')):
        (root / app).mkdir(parents=True)
        (root / app / "requirements.txt").write_text(f"alpha>=1; {marker}\n", encoding="utf-8")
    outdir = generate(root, "--python", "3.12")
    check_every_file(root, outdir)
    texts = "".join(p.read_text(encoding="utf-8") for p in outdir.glob("*/requirements.txt"))
    assert 'alpha>=1; python_version >= "3.8"\n' in texts


@pytest.mark.parametrize(
    "source", [FIXTURES, CASES / "basic" / "input"], ids=["fixtures-monorepo", "case-basic"]
)
def test_every_generated_file_of_the_fixtures_reads_back_through_pip(
    tmp_path: Path, source: Path
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(source, root, symlinks=True)
    outdir = generate(root)
    assert check_every_file(root, outdir) > 5
