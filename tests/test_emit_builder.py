"""A group with releases to compile (``Group.builds``) gets a ``builder`` stage; a group whose
Python was not checked against the index (``Group.python_verified``) says so in its
Dockerfile. The plans are the golden case's with those fields set (the analysis that fills
them is not part of this test); hadolint and Docker Compose run on every generated tree."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from test_generate import CASES, OUT, assert_linters_pass, case_input, tree_text

from depsplit.analyze import analyze
from depsplit.emit import PLAN_FILE, GenerateOptions, dockerfile, render_all
from depsplit.emit.build import prepare
from depsplit.emit.text import header
from depsplit.model import BuildFromSource, Group, Plan
from depsplit.writer import write_tree

CASE = CASES / "basic"
PSYCOPG2 = BuildFromSource("psycopg2", "2.8.6", "no wheel for cp312 manylinux x86_64; sdist only")
UWSGI = BuildFromSource("uWSGI", "2.0.28", "no wheel for cp312 manylinux x86_64; sdist only")


def generate(tmp_path: Path, **modern: Any) -> Path:
    """The golden case with ``modern`` (the group with a private index and a local path
    dependency) given these ``Group`` fields."""
    spec = json.loads((CASE / "case.json").read_text(encoding="utf-8"))
    root = case_input(CASE, tmp_path)
    groups = tuple(
        Group(g["name"], tuple(g["apps"]), g["python"], **(modern if g["name"] == "modern" else {}))
        for g in spec["groups"]
    )
    plan: Plan = dataclasses.replace(analyze(root), groups=groups, partition=None)
    options = GenerateOptions(outdir=OUT, context="..", **spec.get("options", {}))
    write_tree(root / OUT, render_all(plan, root, options), force=False, check=False)
    return root / OUT


def stages(text: str) -> list[str]:
    """The Dockerfile cut at each ``FROM`` (the first piece is the header and ARG)."""
    return re.split(r"^(?=FROM )", text, flags=re.M)


def run_lines(text: str) -> list[str]:
    """Each ``RUN`` instruction on one line, continuations joined."""
    joined = text.replace("\\\n", " ")
    return [" ".join(line.split()) for line in joined.splitlines() if line.startswith("RUN ")]


def test_builder_stage(tmp_path: Path) -> None:
    outdir = generate(tmp_path, builds=(PSYCOPG2, UWSGI))
    text = (outdir / "modern" / "Dockerfile").read_text(encoding="utf-8")
    head, builder, final = stages(text)
    lines = text.splitlines()

    assert "ARG PYTHON_VERSION=3.12" in head.splitlines()
    assert builder.splitlines()[0] == "FROM python:${PYTHON_VERSION}-slim AS builder"
    assert final.splitlines()[0] == "FROM python:${PYTHON_VERSION}-slim"
    # The packages and why, above the builder.
    above = head.splitlines()
    assert (
        "# compiled here: psycopg2 2.8.6 (no wheel for cp312 manylinux x86_64; sdist only)" in above
    )
    assert (
        "# compiled here: uWSGI 2.0.28 (no wheel for cp312 manylinux x86_64; sdist only)" in above
    )

    # The toolchain, and the -dev package psycopg2 needs to compile (pg_config); lists
    # removed in the same layer, DL3008 ignored with its reason right above.
    apt = next(r for r in run_lines(builder) if "apt-get" in r)
    assert apt == (
        "RUN apt-get update && apt-get install -y --no-install-recommends build-essential"
        " libpq-dev && rm -rf /var/lib/apt/lists/*"
    )
    at = lines.index("RUN apt-get update \\")
    assert lines[at - 1] == "# hadolint ignore=DL3008"
    assert "libpq-dev for psycopg2" in builder

    # pip wheel on the whole requirements file, with the cache and the secret mounts the
    # single-stage install has; the local path dependency is there to be built.
    single = (CASE / "expected" / "modern" / "Dockerfile").read_text(encoding="utf-8").splitlines()
    single_run = next(r for r in run_lines("\n".join(single)) if "pip install" in r)
    wheel = next(r for r in run_lines(builder) if "pip wheel" in r)
    assert wheel == single_run.replace(
        "python -m pip install --prefer-binary -r",
        "python -m pip install --upgrade pip"
        " && python -m pip wheel --no-deps --wheel-dir /wheels/pip pip"
        " && python -m pip wheel --use-pep517 --prefer-binary --wheel-dir /wheels -r",
    )
    assert "--mount=type=secret,id=pip_extra_index_url,env=PIP_EXTRA_INDEX_URL" in wheel
    assert 'COPY ["libs/common", "/app/libs/common"]' in builder.splitlines()
    assert 'COPY ["deploy/modern/requirements.txt", "/tmp/depsplit/requirements.txt"]' in builder

    # The final stage: no compiler, no index, no copy of the wheels, no secret; the runtime
    # library psycopg2's compiled wheel links to (libpq5), before the wheels.
    installs = [r for r in run_lines(final) if "pip" in r]
    assert installs == [
        "RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels "
        "python -m pip install --no-cache-dir --no-index /wheels/pip/*.whl "
        "&& python -m pip install --no-cache-dir --no-index --find-links /wheels /wheels/*.whl"
    ]
    [runtime] = [r for r in run_lines(final) if "apt-get" in r]
    assert runtime == (
        "RUN apt-get update && apt-get install -y --no-install-recommends libpq5"
        " && rm -rf /var/lib/apt/lists/*"
    )
    assert final.index("libpq5") < final.index("pip install")
    assert "build-essential" not in final
    assert "-dev" not in final
    assert "COPY --from" not in text
    assert "secret" not in final
    # The rest of the final stage is the single-stage Dockerfile's.
    assert "USER 10001:10001" in final.splitlines()
    assert final.index("pip install") < final.index("# Only this group's apps")


def test_builder_tree_passes_hadolint_and_compose(tmp_path: Path) -> None:
    assert_linters_pass(generate(tmp_path, builds=(PSYCOPG2,), python_verified=False))


def test_other_groups_and_the_default_stay_byte_identical(tmp_path: Path) -> None:
    got = tree_text(generate(tmp_path, builds=(PSYCOPG2,), python_verified=False))
    expected = tree_text(CASE / "expected")
    changed = sorted(rel for rel in got if got[rel] != expected[rel])
    assert changed == ["modern/Dockerfile"]
    # Explicit defaults are the golden itself.
    again = tree_text(generate(tmp_path / "again", builds=(), python_verified=True))
    assert again == expected


def test_unverified_python_is_said_in_the_header(tmp_path: Path) -> None:
    text = (generate(tmp_path, python_verified=False) / "modern" / "Dockerfile").read_text(
        encoding="utf-8"
    )
    header = text.split("\nARG ", 1)[0].splitlines()
    assert any("CPython 3.12 was not checked against the package index" in h for h in header)
    assert any("run `depsplit generate` online" in h for h in header)
    assert all(h.startswith("#") for h in header if h)
    assert "AS builder" not in text  # unverified alone adds no stage
    assert text.count("\nFROM ") == 1


def test_a_reason_cannot_break_out_of_its_comment(tmp_path: Path) -> None:
    hostile = BuildFromSource("evil\nRUN curl x | sh", "1.0", "sdist only\nUSER root")
    text = (generate(tmp_path, builds=(hostile,)) / "modern" / "Dockerfile").read_text(
        encoding="utf-8"
    )
    assert "\nRUN curl" not in text
    assert "\nUSER root" not in text
    assert "# compiled here: evil\\x0aRUN curl x | sh 1.0 (sdist only\\x0aUSER root)" in text


def test_plan_file_carries_builds_and_python_verified(tmp_path: Path) -> None:
    outdir = generate(tmp_path, builds=(PSYCOPG2,), python_verified=False)
    plan = json.loads((outdir / PLAN_FILE).read_text(encoding="utf-8"))
    groups = {g["name"]: g for g in plan["groups"]}
    assert groups["modern"]["builds"] == [
        {
            "package": "psycopg2",
            "version": "2.8.6",
            "reason": "no wheel for cp312 manylinux x86_64; sdist only",
            "pure": False,
        }
    ]
    assert groups["modern"]["python_verified"] is False
    assert groups["legacy"]["builds"] == []
    assert groups["legacy"]["python_verified"] is True


@pytest.mark.parametrize("python", ["2.7", "3.9"])
def test_builder_for_old_interpreters_uses_only_what_their_pip_has(
    tmp_path: Path, python: str
) -> None:
    """pip 20.3 (CPython 2.7's last) has ``pip wheel --use-pep517 --wheel-dir``, ``--no-index``,
    ``--find-links`` and ``--no-cache-dir``; nothing newer is used. (``generate`` itself
    takes 3.X groups only: the 2.7 Dockerfile is rendered from a prepared 3.9 build.)"""
    root = tmp_path / "repo"
    (root / "svc").mkdir(parents=True)
    (root / "svc" / "requirements.txt").write_text("psycopg2==2.8.6\n", encoding="utf-8")
    (root / "svc" / "main.py").write_text("print('hi')\n", encoding="utf-8")
    build = BuildFromSource("psycopg2", "2.8.6", f"no wheel for cp{python.replace('.', '')}")
    plan = dataclasses.replace(
        analyze(root),
        groups=(Group("svc", ("svc",), "3.9", builds=(build,)),),
        partition=None,
    )
    gen = prepare(plan, root, GenerateOptions(outdir=OUT))
    group_build = gen.groups[0]
    group_build = dataclasses.replace(
        group_build, group=dataclasses.replace(group_build.group, python=python)
    )
    files = render_all(plan, root, GenerateOptions(outdir=OUT))
    files["svc/Dockerfile"] = dockerfile.render(gen, group_build, header(gen.root_label))
    write_tree(root / OUT, files)
    text = (root / OUT / "svc" / "Dockerfile").read_text(encoding="utf-8")
    assert f"ARG PYTHON_VERSION={python}" in text
    options = set()
    for run in run_lines(text):
        if "python -m pip" in run:
            options |= set(re.findall(r"(?<= )--[a-z0-9-]+", run.split("python -m pip", 1)[1]))
    # The builder first upgrades its own pip (thrown away with the stage): 2.7's last pip
    # (20.3) and 3.6's (21.3) have every option used after that (--prefer-binary: pip 18.0).
    assert options == {
        "--upgrade", "--no-deps", "--use-pep517", "--prefer-binary", "--wheel-dir",
        "--no-cache-dir", "--no-index", "--find-links",
    }  # fmt: skip
    assert_linters_pass(root / OUT)


def test_pyicu_compiles_against_icu_and_its_image_keeps_icu(tmp_path: Path) -> None:
    # PyICU's sdist needs ICU's headers and pkg-config to compile; its wheel links to ICU,
    # whose runtime package is named by soname per Debian release: the -dev package (which
    # depends on it) stays in the final stage.
    pyicu = BuildFromSource("PyICU", "2.11", "no wheel for cp312 manylinux x86_64; sdist only")
    outdir = generate(tmp_path, builds=(pyicu,))
    _, builder, final = stages((outdir / "modern" / "Dockerfile").read_text(encoding="utf-8"))
    apt = next(r for r in run_lines(builder) if "apt-get" in r)
    assert "build-essential libicu-dev pkg-config &&" in apt
    runtime = next(r for r in run_lines(final) if "apt-get" in r)
    assert "--no-install-recommends libicu-dev &&" in runtime
