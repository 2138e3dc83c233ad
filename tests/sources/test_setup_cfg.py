"""setup.cfg: install_requires / extras_require with setuptools' list-semi rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsplit.sources import setup_cfg
from depsplit.sources.base import ReadContext, SourceResult


def corpus_dir() -> Path:
    """``/work/shared/corpus`` next to the checkout; skip when absent (a fresh clone)."""
    corpus = (Path(__file__).resolve().parents[2] / "../shared/corpus").resolve()
    if not corpus.is_dir():
        pytest.skip("no ../shared/corpus")
    return corpus


def read(tmp_path: Path, text: str) -> SourceResult:
    path = tmp_path / "setup.cfg"
    path.write_text(text, encoding="utf-8")
    return setup_cfg.read(path, ReadContext(root=tmp_path.resolve()))


def reqs(result: SourceResult) -> list[tuple[str, int | None, str, str | None]]:
    return [(r.line_text, r.origin.line, r.role, r.group) for r in result.requirements]


def errors(result: SourceResult) -> list[tuple[int | None, str]]:
    return [(d.line, d.message) for d in result.diagnostics if d.level == "error"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param(
            "install_requires =\n    flask>=2\n    requests\n",
            [("flask>=2", 3), ("requests", 4)],
            id="dangling-list",
        ),
        pytest.param(
            "install_requires = flask>=2\n    requests\n",
            [("flask>=2", 2), ("requests", 3)],
            id="first-on-key-line",
        ),
        pytest.param(
            "install_requires = flask>=2; requests\n",
            [("flask>=2", 2), ("requests", 2)],
            id="single-line-semicolons",
        ),
        pytest.param(
            'install_requires =\n    importlib-metadata; python_version < "3.8"\n',
            [('importlib-metadata; python_version < "3.8"', 3)],
            id="marker-on-own-line",
        ),
        pytest.param(
            "install_requires =\n    # web\n    flask  # the web part\n\n    ; old style\n"
            "    requests\n",
            [("flask", 4), ("requests", 7)],
            id="comments-and-blank-lines",
        ),
        pytest.param("install_requires:\n    flask\n", [("flask", 3)], id="colon-delimiter"),
        pytest.param("Install_Requires =\n    flask\n", [("flask", 3)], id="option-name-case"),
        pytest.param("install_requires =\n", [], id="empty"),
    ],
)
def test_install_requires(tmp_path: Path, options: str, expected: list[tuple[str, int]]) -> None:
    result = read(tmp_path, f"[options]\n{options}")
    assert errors(result) == []
    assert [(text, line) for text, line, _, _ in reqs(result)] == expected
    assert result.files == ["setup.cfg"]


def test_full_file(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        """[metadata]
name = app
install_requires = not-read

[options]
python_requires = >=3.8
packages = find:
install_requires =
    flask>=2

[options.extras_require]
test =
    pytest>=7
    coverage
docs = sphinx

[flake8]
max-line-length = 100
""",
    )
    assert errors(result) == []
    assert reqs(result) == [
        ("flask>=2", 9, "main", None),
        ("pytest>=7", 13, "optional", "test"),
        ("coverage", 14, "optional", "test"),
        ("sphinx", 15, "optional", "docs"),
    ]
    assert [(p.specifier, p.origin.line) for p in result.python] == [(">=3.8", 6)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "[options]\ninstall_requires =\n    flask\n    bad req ^^\n    ok\n    worse (\n",
            [(4, "invalid requirement 'bad req ^^'"), (6, "invalid requirement 'worse ('")],
            id="all-bad-lines",
        ),
        pytest.param(
            '[options]\ninstall_requires = flask; python_version<"3"\n',
            [(2, "invalid requirement 'python_version<\"3\"'")],
            id="single-line-marker-is-split-like-setuptools",
        ),
        pytest.param(
            "[options]\npython_requires = >=3.x\n",
            [(2, "invalid python_requires '>=3.x'")],
            id="python-requires",
        ),
        pytest.param(
            "[options.extras_require]\ntest = pytest ==\n",
            [(2, "invalid requirement 'pytest ==' in extras_require test")],
            id="extra",
        ),
    ],
)
def test_bad_input(tmp_path: Path, text: str, expected: list[tuple[int, str]]) -> None:
    got = errors(read(tmp_path, text))
    assert [line for line, _ in got] == [line for line, _ in expected]
    for (_, message), (_, start) in zip(got, expected, strict=True):
        assert message.startswith(start)


def test_file_directive_is_a_warning(tmp_path: Path) -> None:
    result = read(tmp_path, "[options]\ninstall_requires = file: requirements.txt\n")
    assert result.requirements == []
    assert [(d.level, d.line) for d in result.diagnostics] == [("warning", 2)]


def test_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "setup.cfg"
    path.write_bytes(b"\xef\xbb\xbf[options]\r\ninstall_requires =\r\n    flask\r\n    attrs\r\n")
    result = setup_cfg.read(path, ReadContext(root=tmp_path.resolve()))
    assert [(text, line) for text, line, _, _ in reqs(result)] == [("flask", 3), ("attrs", 4)]


def test_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "setup.cfg"
    path.write_bytes(b"\x00\x01")
    [diagnostic] = setup_cfg.read(path, ReadContext(root=tmp_path.resolve())).diagnostics
    assert (diagnostic.level, diagnostic.file) == ("error", "setup.cfg")


@pytest.mark.corpus
def test_corpus_setup_cfgs() -> None:
    corpus = corpus_dir()
    ctx = ReadContext(root=corpus)
    paths = sorted(corpus.rglob("setup.cfg"))
    assert paths
    for path in paths:
        result = setup_cfg.read(path, ctx)
        assert all(r.origin.line is not None for r in result.requirements), path


def test_python_requires_of_a_python_2_and_3_package(tmp_path: Path) -> None:
    from depsplit.target import allowed_pythons

    spec = ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*"
    result = read(tmp_path, f"[options]\npython_requires = {spec}\n")
    assert errors(result) == []
    (python,) = result.python
    assert allowed_pythons(python.specifier) == [
        "2.7", "3.5", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"
    ]  # fmt: skip
