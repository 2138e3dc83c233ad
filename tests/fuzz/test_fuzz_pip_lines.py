"""Random valid PEP 508 markers whose strings hold what pip's requirements-file grammar
misreads (`` #``, `` -``, ``${VAR}``, tabs, quotes), in pyproject.toml, a Pipfile and
setup.cfg, and random valid requirements around them: ``depsplit generate`` exits 0 and
pip's own parser reads every line of every generated requirements file as written."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from fuzz_strategies import fuzz_settings, no_crash
from hypothesis import assume, event, given
from hypothesis import strategies as st
from packaging.markers import InvalidMarker, Marker
from pipread import assert_pip_reads_as_written
from test_fuzz_pipeline import run, write

VARS = ["platform_release", "platform_version", "os_name", "sys_platform", "platform_machine"]
PIECES = [" -", " --", " #", "\t#", "#", "-", "${HOME}", "${PIP_INDEX_URL}", "$HOME", "a", "1"]
PIECES += [" ", "'", "\\", ";", "@", "==", " and ", "é", "--hash=sha256:00", "-r x"]

values = st.lists(st.sampled_from(PIECES), min_size=1, max_size=5).map("".join)


@st.composite
def markers(draw: st.DrawFn) -> str:
    value = draw(values)
    quote = "'" if '"' in value else '"'
    assume(quote not in value)
    op = draw(st.sampled_from(["!=", "not in"]))  # true in the container: the line stays
    clause = f"{draw(st.sampled_from(VARS))} {op} {quote}{value}{quote}"
    if draw(st.booleans()):
        clause = f'({clause}) and python_version >= "3"'
    spacing = draw(st.sampled_from(["", " ", "\t"]))
    clause = clause.replace(" ", " " + spacing) if spacing else clause
    try:
        Marker(clause)
    except InvalidMarker:
        assume(False)
    return clause


names = st.sampled_from(["alpha", "beta", "gamma", "Delta_x", "eps.x"])
specs = st.sampled_from(["", ">=1", "==1.0", "!=2,>=1", "~=1.2", "[extra]>=1"])
requirement = st.builds(lambda n, s, m: (n, s, m), names, specs, st.none() | markers())


def render(kind: str, reqs: list[tuple[str, str, str | None]]) -> dict[str, str]:
    lines = [f"{n}{s}" + (f"; {m}" if m else "") for n, s, m in reqs]
    if kind == "pyproject.toml":
        deps = ", ".join(json.dumps(line) for line in lines)
        return {kind: f'[project]\nname = "x"\nversion = "1"\ndependencies = [{deps}]\n'}
    if kind == "setup.cfg":
        body = "".join(f"    {line}\n" for line in lines)
        return {kind: f"[metadata]\nname = x\n\n[options]\ninstall_requires =\n{body}"}
    rows = []
    for n, s, m in reqs:
        extras = '["extra"]' if s.startswith("[") else "[]"
        version = json.dumps(s.split("]")[-1] or "*")
        marker = f", markers = {json.dumps(m)}" if m else ""
        rows.append(f"{json.dumps(n)} = {{version = {version}, extras = {extras}{marker}}}\n")
    return {kind: "[packages]\n" + "".join(rows)}


@fuzz_settings(40)
@given(
    kind=st.sampled_from(["pyproject.toml", "Pipfile", "setup.cfg"]),
    reqs=st.lists(requirement, min_size=1, max_size=4, unique_by=lambda r: r[0].lower()),
)
def test_every_generated_line_reads_back_through_pip(
    kind: str, reqs: list[tuple[str, str, str | None]]
) -> None:
    event(f"{pip_lines_case(kind, reqs)} lines read back")


def pip_lines_case(kind: str, reqs: list[tuple[str, str, str | None]]) -> int:
    """``generate`` on one app of ``kind`` with ``reqs``: exit 0, and pip reads every line
    of every generated requirements file as written; returns how many lines it read."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        write(root, {f"app/{k}": v for k, v in render(kind, reqs).items()})
        write(root, {"app/main.py": "print(1)\n"})
        code, out, err = run(
            ["generate", str(root), "-o", str(root / "deploy"), "--no-index-facts", "--lenient"]
        )
        no_crash(code, err)
        assert code == 0, out + err
        files = sorted((root / "deploy").glob("*/requirements.txt"))
        assert files
        return sum(assert_pip_reads_as_written(path, root) for path in files)
