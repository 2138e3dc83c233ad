"""Requirements files: pip's grammar, includes with their chains, and every bad line."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsplit.sources import requirements_txt
from depsplit.sources.base import ReadContext


def read(root: Path, rel: str = "app/requirements.txt", **ctx_kw: object):  # type: ignore[no-untyped-def]
    ctx = ReadContext(root=root.resolve(), **ctx_kw)  # type: ignore[arg-type]
    return requirements_txt.read(root / rel, ctx)


LINES = [
    pytest.param("flask==2.3.0", ("flask", "flask", "==2.3.0", (), None, None), id="pin"),
    pytest.param(
        "Flask_Login>=0.6",
        ("flask-login", "Flask_Login", ">=0.6", (), None, None),
        id="canonical-name",
    ),
    pytest.param(
        'requests[socks,security]>=2,<3 ; python_version >= "3.8"',
        ("requests", "requests", "<3,>=2", ("security", "socks"), 'python_version >= "3.8"', None),
        id="extras-marker",
    ),
    pytest.param("numpy~=1.26.0", ("numpy", "numpy", "~=1.26.0", (), None, None), id="compatible"),
    pytest.param("django==4.2.*", ("django", "django", "==4.2.*", (), None, None), id="wildcard"),
    pytest.param(
        "weird===1.0-custom", ("weird", "weird", "===1.0-custom", (), None, None), id="arbitrary"
    ),
    pytest.param(
        "pkg @ https://example.com/pkg-1.0-py3-none-any.whl",
        ("pkg", "pkg", "", (), None, "https://example.com/pkg-1.0-py3-none-any.whl"),
        id="pep508-url",
    ),
    pytest.param(
        "git+https://github.com/org/repo.git@v1.2#egg=repo",
        ("repo", "repo", "", (), None, "git+https://github.com/org/repo.git@v1.2#egg=repo"),
        id="vcs-egg",
    ),
    pytest.param(
        "https://files.example.com/x/attrs-23.1.0-py3-none-any.whl",
        (
            "attrs",
            "attrs",
            "==23.1.0",
            (),
            None,
            "https://files.example.com/x/attrs-23.1.0-py3-none-any.whl",
        ),
        id="bare-wheel-url",
    ),
    pytest.param(
        "flask==2.0.1 --hash=sha256:" + "0" * 64,
        ("flask", "flask", "==2.0.1", (), None, None),
        id="hash",
    ),
    pytest.param(
        "flask\\\n  ==2.0.1", ("flask", "flask", "==2.0.1", (), None, None), id="continuation"
    ),
    pytest.param(
        "flask==2.0.1  # pinned for reasons",
        ("flask", "flask", "==2.0.1", (), None, None),
        id="comment",
    ),
]


@pytest.mark.parametrize(("line", "expected"), LINES)
def test_requirement_lines(tree, line: str, expected: tuple[object, ...]) -> None:
    root = tree({"app/requirements.txt": f"# header\n{line}\n"})
    result = read(root)
    assert result.diagnostics == []
    [req] = result.requirements
    assert (req.key, req.name, req.specifier, req.extras, req.marker, req.url) == expected
    assert str(req.origin) == "app/requirements.txt:2"


def test_editable_local_path_names_the_project(tree) -> None:
    root = tree(
        {
            "app/requirements.txt": "-e ../libs/common\n./libs-other\n",
            "libs/common/pyproject.toml": '[project]\nname = "acme-common"\nversion = "1"\n',
        }
    )
    result = read(root)
    [req] = result.requirements
    assert (req.key, req.url, req.editable) == ("acme-common", "file:libs/common", True)
    [diag] = result.diagnostics
    assert (diag.file, diag.line) == ("app/requirements.txt", 2)
    assert "cannot tell which package" in diag.message


def test_include_chain_and_constraints(tree) -> None:
    root = tree(
        {
            "app/requirements.txt": "flask>=2\n-r ../libs/common/base.txt\n-c constraints.txt\n",
            "libs/common/base.txt": "-r more.txt\nrequests>=2\n",
            "libs/common/more.txt": "click<9\n",
            "app/constraints.txt": "requests<3\n",
        }
    )
    result = read(root)
    assert result.diagnostics == []
    found = {(r.key, r.role, r.origin.describe()) for r in result.requirements}
    assert found == {
        ("flask", "main", "app/requirements.txt:1"),
        (
            "click",
            "main",
            "libs/common/more.txt:1 (via app/requirements.txt:2 → libs/common/base.txt:1)",
        ),
        ("requests", "main", "libs/common/base.txt:2 (via app/requirements.txt:2)"),
        ("requests", "constraint", "app/constraints.txt:1 (via app/requirements.txt:3)"),
    }
    assert result.files == [
        "app/requirements.txt",
        "libs/common/base.txt",
        "libs/common/more.txt",
        "app/constraints.txt",
    ]


BAD = [
    pytest.param(
        "-r base.txt\n",
        {"app/base.txt": "-r requirements.txt\n"},
        "app/base.txt",
        1,
        "-r include cycle: app/requirements.txt → app/base.txt → app/requirements.txt",
        id="cycle-2",
    ),
    pytest.param(
        "-r requirements.txt\n",
        {},
        "app/requirements.txt",
        1,
        "include cycle: app/requirements.txt → app/requirements.txt",
        id="cycle-1",
    ),
    pytest.param(
        "flask\n-r nope.txt\n",
        {},
        "app/requirements.txt",
        2,
        "-r nope.txt: included file not found",
        id="missing",
    ),
    pytest.param(
        "-r ../../outside.txt\n",
        {},
        "app/requirements.txt",
        1,
        "outside the analysed root",
        id="outside",
    ),
    pytest.param(
        "flask==\n", {}, "app/requirements.txt", 1, "invalid requirement 'flask=='", id="bad-spec"
    ),
    pytest.param(
        "django>=2 <3\n", {}, "app/requirements.txt", 1, "invalid requirement", id="bad-space"
    ),
    pytest.param(
        "--no-such-option\n", {}, "app/requirements.txt", 1, "invalid option", id="bad-option"
    ),
    pytest.param(
        "flask==${FLASK_VERSION}\n",
        {},
        "app/requirements.txt",
        1,
        "${FLASK_VERSION} are not expanded",
        id="env-var",
    ),
    pytest.param(
        "-r https://example.com/r.txt\n",
        {},
        "app/requirements.txt",
        1,
        "remote requirement files are not read",
        id="remote-include",
    ),
]


@pytest.mark.parametrize(("text", "others", "file", "line", "message"), BAD)
def test_bad_lines_are_diagnostics(tree, text, others, file, line, message) -> None:
    root = tree({"app/requirements.txt": text, **others})
    diags = read(root).diagnostics
    assert [(d.level, d.file, d.line) for d in diags] == [("error", file, line)]
    assert message in diags[0].message


def test_every_bad_line_is_reported_and_good_lines_kept(tree) -> None:
    root = tree({"app/requirements.txt": "flask==\nrequests>=2\nbad line!\nclick\n"})
    result = read(root)
    assert [d.line for d in result.diagnostics] == [1, 3]
    assert [r.key for r in result.requirements] == ["requests", "click"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"\x00\x01\x02flask", "binary file", id="binary"),
        pytest.param("flask==2.0\n".encode("utf-16"), "UTF-16", id="utf16"),
        pytest.param("flask==2.0  # caf\xe9\n".encode("latin-1"), "not valid UTF-8", id="latin1"),
    ],
)
def test_unreadable_files(tree, data: bytes, message: str) -> None:
    root = tree({"app/requirements.txt": data})
    [diag] = read(root).diagnostics
    assert diag.file == "app/requirements.txt"
    assert message in diag.message


def test_bom_and_crlf_work(tree) -> None:
    root = tree({"app/requirements.txt": "\ufeffflask==2.0\r\nclick>=8\r\n".encode()})
    result = read(root)
    assert result.diagnostics == []
    assert [(r.key, r.origin.line) for r in result.requirements] == [("flask", 1), ("click", 2)]


def test_size_limit(tree) -> None:
    root = tree({"app/requirements.txt": "flask\n" * 100})
    [diag] = read(root, max_file_bytes=100).diagnostics
    assert "over the 100-byte limit" in diag.message


def test_symlink_loop_is_an_error(tree) -> None:
    root = tree({"app/requirements.txt": "-r loop.txt\n"})
    (root / "app" / "loop.txt").symlink_to(root / "app" / "loop.txt")
    [diag] = read(root).diagnostics
    assert (diag.file, diag.line) == ("app/requirements.txt", 1)


def test_outside_root_allowed_on_request(tmp_path: Path) -> None:
    (tmp_path / "shared.txt").write_text("attrs\n")
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "requirements.txt").write_text("-r ../../shared.txt\n")
    result = read(root, allow_outside_root=True)
    assert [r.key for r in result.requirements] == ["attrs"]


def test_credentials_are_redacted_everywhere(tree) -> None:
    root = tree(
        {
            "app/requirements.txt": (
                "--index-url https://alice:s3cret@pypi.example.com/simple\n"
                "--extra-index-url https://ghp_TOKEN123@extra.example.com/simple\n"
                "private @ git+https://bob:hunter2@git.example.com/p.git\n"
                "broken @ https://carol:pw999@x.example.com/a b c\n"
            )
        }
    )
    result = read(root)
    text = repr(result)
    for secret in ("s3cret", "ghp_TOKEN123", "hunter2", "pw999"):
        assert secret not in text
    assert [o.value for o in result.index_options] == [
        "https://alice:****@pypi.example.com/simple",
        "https://****@extra.example.com/simple",
    ]
