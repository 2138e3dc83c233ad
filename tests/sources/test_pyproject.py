"""pyproject.toml: PEP 621, PEP 735 and Poetry, with Poetry's constraint rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement as PkgRequirement

from depsplit.model import Requirement
from depsplit.sources import poetry, pyproject
from depsplit.sources.base import ReadContext, SourceResult


def corpus_dir() -> Path:
    """``/work/shared/corpus`` next to the checkout; skip when absent (a fresh clone)."""
    corpus = (Path(__file__).resolve().parents[2] / "../shared/corpus").resolve()
    if not corpus.is_dir():
        pytest.skip("no ../shared/corpus")
    return corpus


def read(tmp_path: Path, text: str, name: str = "pyproject.toml") -> SourceResult:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return pyproject.read(path, ReadContext(root=tmp_path.resolve()))


def canon(text: str) -> str:
    """A PEP 508 string as depsplit stores it: specifiers in the order written, the
    marker as packaging normalises it."""
    req = PkgRequirement(text)
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    spec = ",".join(str(s) for s in req.specifier)
    head = f"{req.name}{extras} @ {req.url} " if req.url else f"{req.name}{extras}{spec}"
    return f"{head}; {req.marker}" if req.marker else head.rstrip()


def rows(
    expected: list[tuple[str, int | None, str, str | None]],
) -> list[tuple[str, int | None, str, str | None]]:
    return [(canon(text), line, role, group) for text, line, role, group in expected]


def summary(req: Requirement) -> tuple[str, int | None, str, str | None]:
    return (req.line_text, req.origin.line, req.role, req.group)


def errors(result: SourceResult) -> list[tuple[int | None, str]]:
    return [(d.line, d.message) for d in result.diagnostics if d.level == "error"]


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        pytest.param("^1.2.3", ">=1.2.3,<2.0.0", id="caret-major"),
        pytest.param("^0.2.3", ">=0.2.3,<0.3.0", id="caret-zero-major"),
        pytest.param("^0.0.3", ">=0.0.3,<0.0.4", id="caret-zero-minor"),
        pytest.param("^0", ">=0,<1", id="caret-zero"),
        pytest.param("^0.0", ">=0.0,<0.1", id="caret-zero-zero"),
        pytest.param("^1", ">=1,<2", id="caret-one-part"),
        pytest.param("^1.2", ">=1.2,<2.0", id="caret-two-parts"),
        pytest.param("^1.2.3.4", ">=1.2.3.4,<2.0.0.0", id="caret-four-parts"),
        pytest.param("~1.2.3", ">=1.2.3,<1.3.0", id="tilde-three"),
        pytest.param("~1.2", ">=1.2,<1.3", id="tilde-two"),
        pytest.param("~1", ">=1,<2", id="tilde-one"),
        pytest.param("~=1.2", ">=1.2,<2.0", id="compatible-two"),
        pytest.param("~=1.2.3", ">=1.2.3,<1.3.0", id="compatible-three"),
        pytest.param("*", "", id="star"),
        pytest.param("", "", id="empty"),
        pytest.param("x", "", id="x"),
        pytest.param("1.2.3", "==1.2.3", id="bare"),
        pytest.param("==1.2.3", "==1.2.3", id="double-equals"),
        pytest.param("=1.2.3", "==1.2.3", id="single-equals"),
        pytest.param("v1.2", "==1.2", id="v-prefix"),
        pytest.param("1.2.*", ">=1.2.0,<1.3.0", id="wildcard-minor"),
        pytest.param("1.*", ">=1.0.0,<2.0.0", id="wildcard-major"),
        pytest.param("0.*", "<1.0.0", id="wildcard-zero"),
        pytest.param("1.2.3.*", ">=1.2.0,<1.3.0", id="wildcard-patch-read-as-minor"),
        pytest.param("!=1.2.*", "!=1.2.*", id="not-wildcard"),
        pytest.param(">=1.2.*", ">=1.2", id="wildcard-dropped-after-operator"),
        pytest.param(">=1.2,<1.5", ">=1.2,<1.5", id="comma"),
        pytest.param(">=1.2 <1.5", ">=1.2,<1.5", id="space"),
        pytest.param(">= 1.2, < 2", ">=1.2,<2", id="spaces-after-operators"),
        pytest.param(">=1.2,", ">=1.2", id="trailing-comma"),
        pytest.param("!=1.2.3", "!=1.2.3", id="not-equal"),
        pytest.param("<>1.2", "!=1.2", id="old-not-equal"),
        pytest.param(">1.2,<=1.4", ">1.2,<=1.4", id="strict-and-inclusive"),
        pytest.param("^1.2.3b1", ">=1.2.3b1,<2.0.0", id="caret-prerelease"),
        pytest.param("~1.2.3rc1", ">=1.2.3rc1,<1.3.0", id="tilde-prerelease"),
        pytest.param("^1.2.3.post1", ">=1.2.3.post1,<2.0.0", id="caret-postrelease"),
        pytest.param(">=2.0.0-beta.1", ">=2.0.0b1", id="prerelease-normalized"),
        pytest.param("^1.2 || ^1.4", ">=1.2,<2.0", id="union-overlapping"),
        pytest.param("1.0 || 1.0", "==1.0", id="union-same"),
    ],
)
def test_poetry_specifier_exact(constraint: str, expected: str) -> None:
    assert poetry.poetry_specifier(constraint) == (expected, None)


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        pytest.param(">=1,<1.2 || >=1.4,<2", ">=1,<2", id="range-gap"),
        pytest.param("<1.5 || >=2", "", id="open-ends"),
        pytest.param("1.0 || 2.0", ">=1.0,<=2.0", id="two-pins"),
        # packaging proves these unions have no exact PEP 440 form. "<V" excludes the
        # pre-releases of V and ">=V" does not reach them, so ">=1.0,<3.0" holds 2.0rc1
        # that neither "^1.0" nor "^2.0" holds; "!=2.*" would let 3.0rc1 in, "!=1.2.*"
        # 1.3rc1. ">1.2" excludes the post-releases of 1.2, which "!=1.2" accepts.
        pytest.param("^1.0 || ^2.0", ">=1.0,<3.0", id="adjacent"),
        pytest.param("^1.0 | ^2.0", ">=1.0,<3.0", id="adjacent-single-bar"),
        pytest.param("^1.0 || ^3.0", ">=1.0,<4.0", id="major-gap"),
        pytest.param("<1.2 || >=1.3", "", id="minor-gap"),
        pytest.param("<1.2 || >1.2", "", id="point-gap"),
    ],
)
def test_poetry_union_without_pep440_form_is_widened_with_a_warning(
    constraint: str, expected: str
) -> None:
    spec, warning = poetry.poetry_specifier(constraint)
    assert spec == expected
    assert warning is not None
    assert "union" in warning


def test_poetry_empty_constraint_allows_nothing() -> None:
    spec, warning = poetry.poetry_specifier(">2,<1")
    assert spec == "<0"
    assert warning is not None


@pytest.mark.parametrize(
    "constraint",
    [
        pytest.param("foo", id="word"),
        pytest.param("^x", id="caret-word"),
        pytest.param(">=1.2 || ^", id="union-empty-caret"),
        pytest.param("~>1.2", id="ruby"),
        # poetry-core's split on "," or " " cuts "^ 1.2" into "^" and "1.2".
        pytest.param("^ 1.2", id="caret-space"),
    ],
)
def test_poetry_constraint_that_poetry_refuses(constraint: str) -> None:
    with pytest.raises(poetry.PoetryConstraintError):
        poetry.poetry_specifier(constraint)


@pytest.mark.parametrize(
    ("value", "expected", "editable"),
    [
        pytest.param('"^2.0"', "flask>=2.0,<3.0", False, id="string"),
        pytest.param('{version = "^2.0"}', "flask>=2.0,<3.0", False, id="version"),
        pytest.param("{}", "flask", False, id="empty-table"),
        pytest.param(
            '{version = "^2.0", extras = ["async", "dotenv"]}',
            "flask[async,dotenv]>=2.0,<3.0",
            False,
            id="extras",
        ),
        pytest.param(
            '{version = "^2.0", markers = "sys_platform == \'linux\'"}',
            'flask>=2.0,<3.0; sys_platform == "linux"',
            False,
            id="markers",
        ),
        pytest.param(
            '{version = "^2.0", python = "^3.8"}',
            'flask>=2.0,<3.0; python_version >= "3.8" and python_version < "4.0"',
            False,
            id="python-caret",
        ),
        pytest.param(
            '{version = "*", python = "~3.8.1"}',
            'flask; python_full_version >= "3.8.1" and python_full_version < "3.9.0"',
            False,
            id="python-full-version",
        ),
        pytest.param(
            '{version = "*", python = "3.8"}',
            'flask; python_version == "3.8"',
            False,
            id="python-exact",
        ),
        pytest.param(
            '{version = "*", python = "~2.7 || ^3.4"}',
            'flask; (python_version >= "2.7" and python_version < "2.8") or '
            '(python_version >= "3.4" and python_version < "4.0")',
            False,
            id="python-union",
        ),
        pytest.param(
            '{version = "*", python = ">=3.8", markers = "os_name == \'posix\'"}',
            'flask; (os_name == "posix") and (python_version >= "3.8")',
            False,
            id="python-and-markers",
        ),
        pytest.param(
            '{version = "*", platform = "linux"}',
            'flask; sys_platform == "linux"',
            False,
            id="platform",
        ),
        pytest.param(
            '{version = "*", platform = "linux || darwin"}',
            'flask; (sys_platform == "linux") or (sys_platform == "darwin")',
            False,
            id="platform-union",
        ),
        pytest.param(
            '{version = "^2.0", source = "private", allow-prereleases = true}',
            "flask>=2.0,<3.0",
            False,
            id="source-ignored",
        ),
        pytest.param(
            '{git = "https://github.com/pallets/flask.git", tag = "2.0.0"}',
            "flask @ git+https://github.com/pallets/flask.git@2.0.0",
            False,
            id="git-tag",
        ),
        pytest.param(
            '{git = "https://github.com/pallets/flask.git", branch = "main"}',
            "flask @ git+https://github.com/pallets/flask.git@main",
            False,
            id="git-branch",
        ),
        pytest.param(
            '{git = "https://github.com/pallets/flask.git", rev = "abc123"}',
            "flask @ git+https://github.com/pallets/flask.git@abc123",
            False,
            id="git-rev",
        ),
        pytest.param(
            '{git = "https://github.com/pallets/flask.git"}',
            "flask @ git+https://github.com/pallets/flask.git",
            False,
            id="git-no-ref",
        ),
        pytest.param(
            '{git = "https://github.com/o/r.git", subdirectory = "pkg"}',
            "flask @ git+https://github.com/o/r.git#subdirectory=pkg",
            False,
            id="git-subdirectory",
        ),
        pytest.param(
            '{git = "git@github.com:pallets/flask.git", python = ">=3.8"}',
            'flask @ git+ssh://****@github.com/pallets/flask.git ; python_version >= "3.8"',
            False,
            id="git-scp-like-with-marker",
        ),
        pytest.param(
            '{path = "./lib", develop = true}', "flask @ file:lib", True, id="path-develop"
        ),
        pytest.param('{path = "lib/../app/lib"}', "flask @ file:app/lib", False, id="path"),
        pytest.param(
            '{file = "dist/flask-2.0-py3-none-any.whl"}',
            "flask @ file:dist/flask-2.0-py3-none-any.whl",
            False,
            id="file",
        ),
        pytest.param(
            '{url = "https://user:secret@example.com/flask-2.0.tar.gz"}',
            "flask @ https://user:****@example.com/flask-2.0.tar.gz",
            False,
            id="url-redacted",
        ),
    ],
)
def test_poetry_dependency_forms(tmp_path: Path, value: str, expected: str, editable: bool) -> None:
    result = read(
        tmp_path, f"[tool.poetry]\nname = 'x'\n[tool.poetry.dependencies]\nflask = {value}\n"
    )
    assert errors(result) == []
    [req] = result.requirements
    assert req.line_text == canon(expected)
    assert req.editable is editable
    assert (req.origin.file, req.origin.line, req.role) == ("pyproject.toml", 4, "main")


def test_poetry_multiple_constraints_give_one_requirement_each(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        """[tool.poetry.dependencies]
python = "^3.8"
numpy = [
    {version = "<1.25", python = "<3.9"},
    {version = "^1.26", python = ">=3.9"},
]
""",
    )
    assert errors(result) == []
    assert [summary(r) for r in result.requirements] == rows(
        [
            ('numpy<1.25; python_version < "3.9"', 4, "main", None),
            ('numpy>=1.26,<2.0; python_version >= "3.9"', 5, "main", None),
        ]
    )
    assert [(p.specifier, p.origin.line) for p in result.python] == [("<4.0,>=3.8", 2)]


def test_poetry_groups_roles_and_lines(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        """[tool.poetry]
name = "app"

[tool.poetry.dependencies]
python = ">=3.10,<3.13"
flask = "^2.0"
celery = {version = "^5", optional = true}
redis = {version = "^5", optional = true}

[tool.poetry.extras]
queue = ["celery"]

[tool.poetry.dev-dependencies]
black = "^23"

[tool.poetry.group.test.dependencies]
pytest = "^7"

[tool.poetry.group.main.dependencies]
gunicorn = "*"

[tool.poetry.group."my.docs"]
optional = true
[tool.poetry.group."my.docs".dependencies]
sphinx = "^7"
""",
    )
    assert errors(result) == []
    assert [summary(r) for r in result.requirements] == rows(
        [
            ("flask>=2.0,<3.0", 6, "main", None),
            ("celery>=5,<6", 7, "optional", "queue"),
            ("redis>=5,<6", 8, "optional", None),
            ("black>=23,<24", 14, "dev", "dev"),
            ("pytest>=7,<8", 17, "dev", "test"),
            ("gunicorn", 20, "main", None),
            ("sphinx>=7,<8", 25, "dev", "my.docs"),
        ]
    )
    assert [(p.specifier, p.origin.line) for p in result.python] == [("<3.13,>=3.10", 5)]
    assert result.files == ["pyproject.toml"]


def test_poetry_union_warning_keeps_requirement(tmp_path: Path) -> None:
    result = read(tmp_path, '[tool.poetry.dependencies]\nflask = ">=1,<1.2 || >=1.4,<2"\n')
    assert [summary(r) for r in result.requirements] == rows([("flask>=1,<2", 2, "main", None)])
    [warning] = result.diagnostics
    assert (warning.level, warning.line) == ("warning", 2)


def test_poetry_dotted_table_form(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        '[tool.poetry.dependencies]\nflask = "^2"\n\n[tool.poetry.dependencies.requests]\n'
        'version = "^2.31"\nextras = ["socks"]\n',
    )
    assert [summary(r) for r in result.requirements] == rows(
        [
            ("flask>=2,<3", 2, "main", None),
            ("requests[socks]>=2.31,<3.0", 4, "main", None),
        ]
    )


def test_pep621_project(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        """[project]
name = "api"
requires-python = ">=3.10"
dependencies = [
    "flask>=2",  # web
    'requests[socks]; python_version < "3.12"',
    "gunicorn", "uvicorn==0.30",
]

[project.optional-dependencies]
test = ["pytest>=8"]
docs = [
  "sphinx",
]
""",
    )
    assert errors(result) == []
    assert [summary(r) for r in result.requirements] == rows(
        [
            ("flask>=2", 5, "main", None),
            ('requests[socks]; python_version < "3.12"', 6, "main", None),
            ("gunicorn", 7, "main", None),
            ("uvicorn==0.30", 7, "main", None),
            ("pytest>=8", 11, "optional", "test"),
            ("sphinx", 13, "optional", "docs"),
        ]
    )
    assert [(p.specifier, p.origin.line) for p in result.python] == [(">=3.10", 3)]


def test_dependency_groups_with_includes(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        """[project]
name = "api"

[dependency-groups]
test = ["pytest>=8", "coverage"]
lint = ["ruff"]
dev = [
    {include-group = "Test"},
    "ipython",
]
""",
    )
    assert errors(result) == []
    got = [(*summary(r), r.origin.via) for r in result.requirements]
    assert got == [
        ("pytest>=8", 5, "dev", "test", ()),
        ("coverage", 5, "dev", "test", ()),
        ("ruff", 6, "dev", "lint", ()),
        ("pytest>=8", 5, "dev", "dev", ("pyproject.toml:8",)),
        ("coverage", 5, "dev", "dev", ("pyproject.toml:8",)),
        ("ipython", 9, "dev", "dev", ()),
    ]


def test_dependency_group_cycle_and_missing_include(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        """[dependency-groups]
a = [{include-group = "b"}, "x"]
b = [{include-group = "a"}]
c = [{include-group = "nope"}]
""",
    )
    assert errors(result) == [
        (3, "dependency groups include each other: a → b → a"),
        (2, "dependency groups include each other: b → a → b"),
        (4, "dependency group 'c' includes 'nope', which is not defined"),
    ]
    assert [(r.name, r.group) for r in result.requirements] == [("x", "a"), ("x", "b")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '[project]\nname = "x"\ndependencies = [\n  "flask>=2",\n  "bad req ^^",\n'
            '  "ok",\n  "also bad (",\n]\n',
            [(5, "invalid requirement 'bad req ^^'"), (7, "invalid requirement 'also bad ('")],
            id="all-bad-lines",
        ),
        pytest.param(
            '[project]\nname = "x"\ndependencies = "flask"\n',
            [(3, "[project] dependencies must be an array of strings")],
            id="dependencies-string",
        ),
        pytest.param(
            '[project]\ndependencies = ["a", 3]\n',
            [(2, "[project] dependencies: expected a string, got an integer")],
            id="dependency-integer",
        ),
        pytest.param(
            "[project]\noptional-dependencies = []\n",
            [(2, "[project.optional-dependencies] must be a table")],
            id="optional-dependencies-array",
        ),
        pytest.param(
            '[project.optional-dependencies]\ntest = "pytest"\n',
            [(2, "[project.optional-dependencies] test must be an array of strings")],
            id="extra-string",
        ),
        pytest.param(
            '[project]\nrequires-python = ">=3.x"\n',
            [(2, "invalid requires-python '>=3.x'")],
            id="requires-python-invalid",
        ),
        pytest.param(
            "[project]\nrequires-python = 3.10\n",
            [(2, "requires-python must be a string, got a number")],
            id="requires-python-number",
        ),
        pytest.param('project = "x"\n', [(1, "[project] must be a table")], id="project-string"),
        pytest.param(
            '[dependency-groups]\ndev = "pytest"\n',
            [(2, "dependency group 'dev' must be an array")],
            id="group-string",
        ),
        pytest.param(
            "[dependency-groups]\ndev = [1]\n",
            [(2, "dependency group 'dev': expected a string or {include-group = ...}")],
            id="group-item-integer",
        ),
        pytest.param(
            '[tool.poetry.dependencies]\nflask = "foo"\nrequests = "^2"\ndjango = 4\n',
            [
                (2, "flask: could not parse version constraint 'foo'"),
                (4, "django: expected a version string, a table or an array of tables"),
            ],
            id="poetry-bad-values",
        ),
        pytest.param(
            '[tool.poetry.dependencies]\nflask = {version = "^2", extras = "async"}\n',
            [(2, "flask: extras must be an array of strings")],
            id="poetry-extras-string",
        ),
        pytest.param(
            "[tool.poetry.dependencies]\nflask = {version = 2}\n",
            [(2, "flask: version must be a string, got an integer")],
            id="poetry-version-integer",
        ),
        pytest.param(
            '[tool.poetry.dependencies]\nflask = {version = "^2", markers = "nonsense"}\n',
            [(2, "invalid requirement")],
            id="poetry-bad-marker",
        ),
        pytest.param(
            "[tool.poetry.dependencies]\npython = 3\n",
            [(2, "python must be a version string, got an integer")],
            id="poetry-python-integer",
        ),
        pytest.param(
            '[tool.poetry.dependencies]\npython = "three"\n',
            [(2, "python: could not parse version constraint 'three'")],
            id="poetry-python-invalid",
        ),
        pytest.param(
            '[tool.poetry]\ndependencies = ["flask"]\n',
            [(2, "[tool.poetry.dependencies] must be a table")],
            id="poetry-dependencies-array",
        ),
        pytest.param(
            '[tool]\npoetry = "x"\n', [(2, "[tool.poetry] must be a table")], id="poetry-string"
        ),
        pytest.param(
            '[tool.poetry]\ngroup = "dev"\n',
            [(2, "[tool.poetry.group] must be a table")],
            id="poetry-group-string",
        ),
        pytest.param(
            '[tool.poetry.group]\ndev = "x"\n',
            [(2, "[tool.poetry.group.dev] must be a table")],
            id="poetry-group-entry-string",
        ),
        pytest.param(
            '[project]\nname = "x"\ndependencies = [\n  "flask",\n',
            [(4, "invalid TOML: Invalid value")],
            id="toml-unterminated-array",
        ),
        pytest.param(
            '[project]\nname = "x"\n\n[project]\nversion = "1"\n',
            [(4, "invalid TOML: Cannot declare ('project',) twice")],
            id="toml-duplicate-table",
        ),
        pytest.param(
            '[project]\nname = "x\n', [(2, "invalid TOML: Illegal character")], id="toml-newline"
        ),
    ],
)
def test_bad_input_is_reported_with_its_line(
    tmp_path: Path, text: str, expected: list[tuple[int, str]]
) -> None:
    result = read(tmp_path, text)
    got = errors(result)
    assert [line for line, _ in got] == [line for line, _ in expected]
    for (_, message), (_, start) in zip(got, expected, strict=True):
        assert message.startswith(start)


def test_good_entries_survive_bad_ones(tmp_path: Path) -> None:
    result = read(tmp_path, '[project]\ndependencies = ["flask", "bad req ^^", "requests"]\n')
    assert [r.name for r in result.requirements] == ["flask", "requests"]
    assert len(errors(result)) == 1


def test_dynamic_dependencies_warn(tmp_path: Path) -> None:
    result = read(tmp_path, '[project]\nname = "x"\ndynamic = ["dependencies", "version"]\n')
    assert [(d.level, d.line) for d in result.diagnostics] == [("warning", 3)]


def test_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(
        b'\xef\xbb\xbf[project]\r\nname = "x"\r\ndependencies = [\r\n  "flask>=2",\r\n]\r\n'
        b'[tool.poetry.dependencies]\r\nrequests = "^2"\r\n'
    )
    result = pyproject.read(path, ReadContext(root=tmp_path.resolve()))
    assert errors(result) == []
    assert [summary(r) for r in result.requirements] == rows(
        [
            ("flask>=2", 4, "main", None),
            ("requests>=2,<3", 7, "main", None),
        ]
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"\xff\xfe[\x00p\x00", "binary file", id="utf16"),
        pytest.param(b"[project]\nname = '\xe9'\n", "not valid UTF-8", id="latin1"),
    ],
)
def test_unreadable_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(content)
    result = pyproject.read(path, ReadContext(root=tmp_path.resolve()))
    [diagnostic] = result.diagnostics
    assert (diagnostic.level, diagnostic.file) == ("error", "pyproject.toml")
    assert message in diagnostic.message
    assert result.requirements == []


def test_missing_file(tmp_path: Path) -> None:
    result = pyproject.read(tmp_path / "pyproject.toml", ReadContext(root=tmp_path.resolve()))
    assert [(d.level, d.message) for d in result.diagnostics] == [("error", "file not found")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('[project]\nname = "api"\n', "api", id="pep621"),
        pytest.param('[tool.poetry]\nname = "web"\n', "web", id="poetry"),
        pytest.param('[project]\nname = "a"\n[tool.poetry]\nname = "b"\n', "a", id="pep621-first"),
        pytest.param('[project]\nversion = "1"\n', None, id="no-name"),
        pytest.param("[project]\nname = 3\n", None, id="name-not-string"),
        pytest.param("[project\n", None, id="invalid-toml"),
    ],
)
def test_project_name(tmp_path: Path, text: str, expected: str | None) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    assert pyproject.project_name(path, ReadContext(root=tmp_path.resolve())) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('[project]\nname = "x"\n', True, id="project"),
        pytest.param('[tool.poetry]\nname = "x"\n', True, id="poetry"),
        pytest.param('[tool.poetry.dependencies]\nx = "*"\n', True, id="poetry-subtable"),
        pytest.param('[build-system]\nrequires = ["setuptools"]\n', False, id="build-only"),
        pytest.param("[tool.ruff]\nline-length = 100\n", False, id="tool-only"),
        pytest.param("[project\n", False, id="invalid"),
    ],
)
def test_has_app_table(text: str, expected: bool) -> None:
    assert pyproject.has_app_table(text) is expected


def test_has_app_table_accepts_parsed_data() -> None:
    assert pyproject.has_app_table({"project": {"name": "x"}})
    assert not pyproject.has_app_table({"tool": {"black": {}}})


@pytest.mark.corpus
def test_corpus_pyprojects() -> None:
    corpus = corpus_dir()
    ctx = ReadContext(root=corpus)
    paths = sorted(corpus.rglob("pyproject.toml"))
    assert paths
    for path in paths:
        result = pyproject.read(path, ctx)
        assert all(r.origin.line is not None for r in result.requirements), path
        assert all(p.origin.line is not None for p in result.python), path
