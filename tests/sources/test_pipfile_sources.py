"""Pipfile ``[[source]]`` → index options, the way Pipenv (2022.3.23 and later) uses them:
every package comes from the default (first) source unless it names another with
``index = "name"``; ``[pipenv] install_search_all_sources = true`` searches them all.

pip has no per-package index: another source becomes ``--extra-index-url`` only when a
package names it (with a warning: pip then searches it for every package) or when every
source is to be searched. A source no package names is dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from depsplit.cli import main
from depsplit.sources import pipfile
from depsplit.sources.base import ReadContext, SourceResult

SECRET = "s3cr3t"
PYPI = 'name = "pypi"\nurl = "https://pypi.org/simple"\nverify_ssl = true\n'
PRIVATE = 'name = "private"\nurl = "https://private.example/simple"\n'
OTHER = f'name = "other"\nurl = "https://user:{SECRET}@other.example/simple"\n'


def pipfile_text(*sources: str, packages: str = 'requests = "*"\n', extra: str = "") -> str:
    blocks = [f"[[source]]\n{source}" for source in sources]
    return "\n".join([*blocks, f"[packages]\n{packages}", *([extra] if extra else [])])


def read(tmp_path: Path, text: str) -> SourceResult:
    path = tmp_path / "Pipfile"
    path.write_text(text, encoding="utf-8")
    return pipfile.read(path, ReadContext(root=tmp_path.resolve()))


def options(result: SourceResult) -> list[tuple[str, str, int | None]]:
    return [(o.option, o.value, o.origin.line) for o in result.index_options]


def diagnostics(result: SourceResult, level: str) -> list[tuple[int | None, str]]:
    return [(d.line, d.message) for d in result.diagnostics if d.level == level]


def test_a_source_no_package_names_is_not_an_index_option(tmp_path: Path) -> None:
    result = read(tmp_path, pipfile_text(PYPI, PRIVATE, OTHER))
    assert options(result) == [("--index-url", "https://pypi.org/simple", 3)]
    assert result.diagnostics == []
    assert [r.line_text for r in result.requirements] == ["requests"]


def test_a_named_source_is_kept_with_a_warning_naming_its_packages(tmp_path: Path) -> None:
    text = pipfile_text(
        PYPI,
        PRIVATE,
        OTHER,
        packages='requests = "*"\nmypkg = {version = "==1.0", index = "other"}\n',
        extra='[dev-packages]\nmytool = {version = "*", index = "other"}\n'
        'pypi-tool = {version = "*", index = "pypi"}\n',
    )
    result = read(tmp_path, text)
    assert diagnostics(result, "error") == []
    # "private" is named by no package: dropped; "other" is kept, redacted, on its url line.
    assert options(result) == [
        ("--index-url", "https://pypi.org/simple", 3),
        ("--extra-index-url", "https://user:****@other.example/simple", 12),
    ]
    [(line, message)] = diagnostics(result, "warning")
    assert line == 12
    assert message.startswith(
        '[[source]] "other" (https://user:****@other.example/simple) is written as '
        '--extra-index-url because mypkg, mytool name it (index = "other"): '
        "pip has no per-package index, so it searches this index for every package"
    )
    assert "from either index" in message
    assert SECRET not in message
    assert "pypi-tool" not in message  # it names the default index
    got = [(r.line_text, r.origin.line, r.role) for r in result.requirements]
    assert got == [
        ("requests", 15, "main"),
        ("mypkg==1.0", 16, "main"),
        ("mytool", 19, "dev"),
        ("pypi-tool", 20, "dev"),
    ]


def test_a_source_named_only_by_a_dev_package_is_kept(tmp_path: Path) -> None:
    """Index options are the app's, whatever the role (as for a ``requirements-dev.txt``
    index line): a dev package may be configured into production."""
    text = pipfile_text(
        PYPI, PRIVATE, extra='[dev-packages]\nmytool = {version = "*", index = "private"}\n'
    )
    result = read(tmp_path, text)
    assert [o.value for o in result.index_options] == [
        "https://pypi.org/simple",
        "https://private.example/simple",
    ]
    [(_, message)] = diagnostics(result, "warning")
    assert "because mytool names it" in message


def test_the_warning_lists_at_most_five_packages(tmp_path: Path) -> None:
    packages = "".join(f'pkg{i} = {{version = "*", index = "private"}}\n' for i in range(7))
    result = read(tmp_path, pipfile_text(PYPI, PRIVATE, packages=packages))
    [(_, message)] = diagnostics(result, "warning")
    assert "because pkg0, pkg1, pkg2, pkg3, pkg4 and 2 more name it" in message


def test_install_search_all_sources_keeps_every_source_without_warning(tmp_path: Path) -> None:
    text = pipfile_text(PYPI, PRIVATE, OTHER, extra="[pipenv]\ninstall_search_all_sources = true\n")
    result = read(tmp_path, text)
    assert options(result) == [
        ("--index-url", "https://pypi.org/simple", 3),
        ("--extra-index-url", "https://private.example/simple", 8),
        ("--extra-index-url", "https://user:****@other.example/simple", 12),
    ]
    assert result.diagnostics == []


def test_install_search_all_sources_false_is_the_default(tmp_path: Path) -> None:
    text = pipfile_text(PYPI, PRIVATE, extra="[pipenv]\ninstall_search_all_sources = false\n")
    result = read(tmp_path, text)
    assert options(result) == [("--index-url", "https://pypi.org/simple", 3)]
    assert result.diagnostics == []


def test_the_first_source_is_the_default_whatever_its_name(tmp_path: Path) -> None:
    """Naming the default source changes nothing; the default is never an extra index."""
    text = pipfile_text(
        PRIVATE, PYPI, packages='mypkg = {version = "*", index = "private"}\nrequests = "*"\n'
    )
    result = read(tmp_path, text)
    assert options(result) == [("--index-url", "https://private.example/simple", 3)]
    assert result.diagnostics == []


def test_two_sources_with_one_name_the_first_is_taken(tmp_path: Path) -> None:
    second = 'name = "private"\nurl = "https://second.example/simple"\n'
    text = pipfile_text(
        PYPI, PRIVATE, second, packages='mypkg = {version = "*", index = "private"}\n'
    )
    result = read(tmp_path, text)
    assert [o.value for o in result.index_options] == [
        "https://pypi.org/simple",
        "https://private.example/simple",
    ]


def test_variables_in_urls_are_kept(tmp_path: Path) -> None:
    source = 'name = "private"\nurl = "https://${PIP_USER}:${PIP_TOKEN}@private.example/simple"\n'
    text = pipfile_text(PYPI, source, packages='mypkg = {version = "*", index = "private"}\n')
    result = read(tmp_path, text)
    assert [o.value for o in result.index_options] == [
        "https://pypi.org/simple",
        "https://${PIP_USER}:${PIP_TOKEN}@private.example/simple",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            pipfile_text(PYPI, PRIVATE, packages='mypkg = {version = "*", index = "privat"}\n'),
            [(11, 'mypkg: index = "privat" names no [[source]] (sources: "pypi", "private")')],
            id="misspelled",
        ),
        pytest.param(
            '[packages]\nmypkg = {version = "*", index = "private"}\n',
            [(2, 'mypkg: index = "private" names no [[source]] (sources: "pypi")')],
            id="no-source-at-all",
        ),
        pytest.param(
            pipfile_text(PYPI, packages='mypkg = {version = "*", index = 1}\n'),
            [(7, "mypkg: index must be a string, got int")],
            id="not-a-string",
        ),
        pytest.param(
            pipfile_text(PYPI, extra='[pipenv]\ninstall_search_all_sources = "yes"\n'),
            [(10, "[pipenv] install_search_all_sources must be true or false: 'yes'")],
            id="search-all-not-a-bool",
        ),
        pytest.param(
            'pipenv = "x"\n' + pipfile_text(PYPI),
            [(1, "[pipenv] must be a table")],
            id="pipenv-not-a-table",
        ),
    ],
)
def test_bad_index_settings_are_errors_on_their_line(
    tmp_path: Path, text: str, expected: list[tuple[int, str]]
) -> None:
    result = read(tmp_path, text)
    got = diagnostics(result, "error")
    assert [line for line, _ in got] == [line for line, _ in expected]
    for (_, message), (_, start) in zip(got, expected, strict=True):
        assert message.startswith(start)
    # The entry itself is readable: its requirement is kept.
    assert [r.name for r in result.requirements] in (["mypkg"], ["requests"])


def test_a_broken_source_list_checks_no_index_name(tmp_path: Path) -> None:
    """``source`` that is not an array is one error; the package naming it adds none."""
    result = read(
        tmp_path, 'source = "x"\n[packages]\nmypkg = {version = "*", index = "private"}\n'
    )
    assert [line for line, _ in diagnostics(result, "error")] == [1]
    assert result.index_options == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(pipfile_text(PYPI, packages='requests = "*"\nflask = "==2.0"\n'), id="pypi"),
        pytest.param('[packages]\nrequests = "*"\n', id="no-source"),
        pytest.param(
            '[packages]\nrequests = {version = "*", index = "pypi"}\n', id="no-source-pypi"
        ),
    ],
)
def test_a_default_only_pipfile_is_unchanged(tmp_path: Path, text: str) -> None:
    result = read(tmp_path, text)
    assert result.diagnostics == []
    expected = [("--index-url", "https://pypi.org/simple", 3)] if "[[source]]" in text else []
    assert options(result) == expected


# -- generate, end to end ----------------------------------------------------------------


def generate(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, str], str]:
    outdir = root / "deploy"
    code = main(["generate", str(root), "-o", str(outdir)])
    out = capsys.readouterr()
    assert code == 0, out.err
    files = {
        p.relative_to(outdir).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(outdir.rglob("*"))
        if p.is_file()
    }
    return files, out.out + out.err


def write_app(root: Path, text: str) -> Path:
    (root / "svc").mkdir(parents=True)
    (root / "svc" / "Pipfile").write_text(text, encoding="utf-8")
    (root / "svc" / "main.py").write_text("print('hi')\n", encoding="utf-8")
    return root


def index_lines(requirements: str) -> list[str]:
    return [line for line in requirements.splitlines() if line.startswith("--")]


def test_generate_carries_only_the_used_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = pipfile_text(
        PYPI,
        PRIVATE,
        OTHER,
        packages='requests = "*"\nmypkg = {version = "*", index = "private"}\n',
    )
    files, output = generate(write_app(tmp_path / "repo", text), capsys)
    assert index_lines(files["svc/requirements.txt"]) == [
        "--index-url https://pypi.org/simple",
        "--extra-index-url https://private.example/simple",
    ]
    # The credentialed "other" index is named by no package: no build secret for it.
    assert "other.example" not in "".join(files.values())
    assert "type=secret" not in files["svc/Dockerfile"]
    assert SECRET not in output + "".join(files.values())
    plan = json.loads(files["depsplit-plan.json"])
    [app] = plan["apps"]
    assert [o["value"] for o in app["index_options"]] == [
        "https://pypi.org/simple",
        "https://private.example/simple",
    ]
    warnings = [d for d in plan["diagnostics"] if d["level"] == "warning"]
    assert [(d["file"], d["line"]) for d in warnings] == [("svc/Pipfile", 8)]
    assert "because mypkg names it" in warnings[0]["message"]


def test_generate_passes_a_used_credentialed_index_as_a_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = pipfile_text(PYPI, PRIVATE, OTHER, packages='mypkg = {version = "*", index = "other"}\n')
    files, output = generate(write_app(tmp_path / "repo", text), capsys)
    assert index_lines(files["svc/requirements.txt"]) == ["--index-url https://pypi.org/simple"]
    assert "private.example" not in "".join(files.values())
    assert "--mount=type=secret,id=pip_extra_index_url" in files["svc/Dockerfile"]
    assert SECRET not in output + "".join(files.values())


def test_generate_with_a_default_only_pipfile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files, _ = generate(write_app(tmp_path / "repo", pipfile_text(PYPI)), capsys)
    assert index_lines(files["svc/requirements.txt"]) == ["--index-url https://pypi.org/simple"]
    plan = json.loads(files["depsplit-plan.json"])
    assert plan["diagnostics"] == []


SECRET_URL = "https://u:hunter2@x.example/s"


@pytest.mark.parametrize(
    "text",
    [
        # A source named by a pasted URL, named by a package: the warning names it.
        pipfile_text(
            'url = "https://pypi.org/simple"\nname = "pypi"\n',
            f'url = "{SECRET_URL}"\nname = "{SECRET_URL}"\n',
            packages=f'flask = {{version = "*", index = "{SECRET_URL}"}}\n',
        ),
        # An index naming no source: the error names it and the sources.
        pipfile_text(
            f'url = "https://pypi.org/simple"\nname = "{SECRET_URL}"\n',
            packages=f'flask = {{version = "*", index = "{SECRET_URL}x"}}\n',
        ),
        # A bad install_search_all_sources value: the error shows it.
        pipfile_text(
            'url = "https://pypi.org/simple"\nname = "pypi"\n',
            extra=f'[pipenv]\ninstall_search_all_sources = "{SECRET_URL}"\n',
        ),
    ],
    ids=["warning", "unknown-index", "search-all-value"],
)
def test_messages_about_sources_never_show_a_password(tmp_path: Path, text: str) -> None:
    # The reader's own diagnostics (SourceResult redacts every message it is given).
    result = read(tmp_path, text)
    messages = [d.message for d in result.diagnostics]
    assert messages
    assert all("****@x.example" in m for m in messages), messages
    assert not any("hunter2" in m for m in messages), messages
