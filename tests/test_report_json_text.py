"""The JSON report's text: valid JSON holding exactly :func:`to_data`'s document, one
top-level key per line and one line per app, conflict, group and diagnostic, whatever the
text it carries (characters JSON must escape, random text); and the plan file's indented
text, which is ``json.dumps(..., indent=2)``'s.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportdata import requirements_of

from depsplit.analyze import Options, analyze
from depsplit.model import (
    App,
    BuildFromSource,
    Conflict,
    ConflictRequirement,
    Diagnostic,
    Group,
    IndexOption,
    LockedPin,
    Origin,
    Partition,
    Plan,
    PythonRequirement,
    Requirement,
    Target,
)
from depsplit.report import json as json_report

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "monorepo"


def check(plan: Plan) -> dict[str, Any]:
    """The report parses back to ``to_data``, each list entry on a line of its own."""
    text = json_report.render(plan)
    data = json.loads(text)
    assert data == json.loads(json.dumps(json_report.to_data(plan)))
    lines = text.split("\n")  # not splitlines(): U+2028 is written as it is
    assert lines.pop() == ""  # the text ends with a newline
    assert lines[0] == "{"
    assert lines[-1] == "}"
    entries = sum(len(v) for v in data.values() if isinstance(v, list))
    scalars = sum(1 for v in data.values() if not isinstance(v, list) or not v)
    lists = sum(1 for v in data.values() if isinstance(v, list) and v)
    # "{", "}", a line per scalar key, an opening and a closing line per list, its entries.
    assert len(lines) == 2 + scalars + 2 * lists + entries
    return data


NASTY = [
    "",
    'quote " and backslash \\',
    "new\nline\ttab\rreturn",
    "\x00\x01\x1f\x7f control",
    "ünïcödé — ✓ 漢字 \U0001f600",
    "\u2028\u2029 separators",
    "lone surrogate \ud800",
    "</script><!-- -->",
    "${HOME} %s {0} {{}}",
]


def nasty_plan(transitive: bool = False) -> Plan:
    reqs = []
    for i, text in enumerate(NASTY):
        origin = Origin(f"apps/{text}/requirements.txt", i if i % 3 else None, (f"{text}:1",))
        reqs.append(
            Requirement(
                key=f"pkg{i}",
                name=f"Pkg{i}{text}",
                specifier=f">={i}.0{text}" if i % 2 else "",
                origin=origin,
                extras=(text, "x") if i % 2 else (),
                # A marker is evaluated for main and lock requirements only: theirs parse.
                marker=(
                    None
                    if i % 4 == 0
                    else f'python_version >= "3.{i}"'
                    if i % 5 in (0, 4)
                    else f'"{text}" == "a"'
                ),
                url=None if i % 3 else f"https://example.org/{text}.whl",
                editable=bool(i % 2),
                role=("main", "dev", "optional", "constraint", "lock")[i % 5],
                group=None if i % 2 else f"group {text}",
            )
        )
    app = App(
        name='app "one"\n',
        path="apps/one\\two",
        sources=tuple(f"apps/{t}" for t in NASTY),
        requirements=tuple(reqs),
        python=(PythonRequirement(">=3.9", Origin("apps/one/pyproject.toml", 3)),),
        index_options=(IndexOption("--index-url", "https://ünï.example/\n", Origin("a", 1)),),
        lock_file="apps/one/poetry.lock",
    )
    bare = App(name="bare", path=".", sources=())
    conflict = Conflict(
        id="version:pkg1:0123456789",
        kind="version",
        package='Pkg1 "quoted"',
        apps=('app "one"\n', "bare"),
        requirements=(
            ConflictRequirement(
                app='app "one"\n',
                specifier=">=1\n",
                origin=Origin("x\\y", None, ("via\t1",)),
                name="Pkg1",
                url="file:./ü",
                marker='os_name == "posix"',
                chain=("a", "b\u2028"),
            ),
            ConflictRequirement(app="bare", specifier="", origin=Origin("z", 2)),
        ),
        message="Pkg1: no version is both >=1 and <1 \x00",
        members=(('app "one"\n', "other"), ("bare",)),
    )
    plain = replace(conflict, id="python:python:1", kind="python", members=())
    lock = (LockedPin("pkg1", "1.0", ("sha256:00",), ("",), ('app "one"\n',)),)
    groups = (
        Group(
            "g1",
            ('app "one"\n',),
            "3.12",
            ("pkg1",),
            lock if transitive else (),
            builds=tuple(
                BuildFromSource(f"pkg{i}{t}", f"1.{i}{t}", t) for i, t in enumerate(NASTY)
            ),
            python_verified=False,
        ),
        Group("bare", ("bare",), "3.13"),
    )
    return Plan(
        root=".",
        apps=(app, bare),
        diagnostics=(
            Diagnostic("warning", "no file \n"),
            Diagnostic("error", "bad ü", "f\\g", None),
            Diagnostic("warning", "at line", "f", 7),
        ),
        conflicts=(conflict, plain),
        groups=groups,
        partition=Partition(optimal=False, lower_bound=2, witness=("bare",)),
        target=Target(platform="linux/arm64", python="3.12"),
        unsatisfiable=("bare",),
        transitive=transitive,
    )


def test_demo_repository() -> None:
    data = check(analyze(DEMO, None, Options(lenient=True)))
    assert data["schema_version"] == 2
    assert len(data["apps"]) == 10


def test_nasty_text() -> None:
    for transitive in (False, True):
        data = check(nasty_plan(transitive))
        assert data["apps"][0]["name"] == 'app "one"\n'
        assert requirements_of(data["conflicts"][0])[0]["chain"] == ["a", "b\u2028"]


def test_group_builds_and_python_verified() -> None:
    """Added to every group (keys are only added within a schema_version)."""
    plan = nasty_plan()
    rendered = json.loads(json_report.render(plan))
    assert rendered == json.loads(json.dumps(json_report.to_data(plan)))
    g1, bare = rendered["groups"]
    assert g1["python_verified"] is False
    assert g1["builds"][1] == {
        "package": 'pkg1quote " and backslash \\',
        "version": '1.1quote " and backslash \\',
        "reason": 'quote " and backslash \\',
        "pure": False,
    }
    assert len(g1["builds"]) == len(NASTY)
    assert bare["builds"] == []
    assert bare["python_verified"] is True
    assert list(bare) == ["name", "apps", "python", "splits", "builds", "python_verified"]
    assert rendered["schema_version"] == 2


def test_empty_plan() -> None:
    data = check(Plan(root=".", apps=()))
    assert data["apps"] == []
    assert data["conflicts"] == []


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(st.text(), min_size=6, max_size=6),
    line=st.one_of(st.none(), st.integers()),
    flags=st.tuples(st.booleans(), st.booleans()),
)
def test_random_text(texts: list[str], line: int | None, flags: tuple[bool, bool]) -> None:
    name, spec, marker, url, file, via = texts
    req = Requirement(
        key="k",
        name=name,
        specifier=spec,
        origin=Origin(file, line, (via,) if flags[0] else ()),
        extras=(via,) if flags[1] else (),
        marker=marker or None,
        url=url or None,
        editable=flags[0],
        role="main" if flags[1] and not marker else "dev",  # a marker here need not parse
        group=via or None,
    )
    app = App(name=name, path=file, sources=(file,), requirements=(req,))
    conflict = Conflict(
        id=spec,
        kind="version",
        package=name,
        apps=(name,),
        requirements=(
            ConflictRequirement(app=name, specifier=spec, origin=req.origin, url=url or None),
        ),
        message=marker,
    )
    plan = Plan(root=".", apps=(app,), conflicts=(conflict,), target=Target())
    check(plan)


# -- the plan file's indented text ---------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # NaN and infinities go through json.dumps itself
    st.text(),
)
_documents = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_documents)
def test_indented_is_json_dumps_with_indent_2(value: Any) -> None:
    assert json_report.indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_indented_on_the_demo_plan_and_unexpected_keys() -> None:
    data = json_report.to_data(analyze(DEMO, None, Options(lenient=True)))
    assert json_report.indented(data) == json.dumps(data, indent=2, ensure_ascii=False)
    odd = {"a": [{1: "x", None: True}], "b": {"c": 1.5}}  # keys json.dumps turns to text
    assert json_report.indented(odd) == json.dumps(odd, indent=2, ensure_ascii=False)


def test_indented_joins_tokens_as_it_goes_into_the_same_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The demo's plan with a join every 3 tokens (every 65,536 in use): the same text.
    data = json_report.to_data(analyze(DEMO, None, Options(lenient=True)))
    whole = json.dumps(data, indent=2, ensure_ascii=False)
    monkeypatch.setattr(json_report, "_CHUNK", 3)
    assert json_report.indented(data, end="\n") == whole + "\n"


def test_a_lazy_document_is_written_as_its_lists() -> None:
    # The plan file's apps and conflicts are made as they are written: same text.
    plan = analyze(DEMO, None, Options(lenient=True))
    lazy = json_report.to_data(plan, lazy=True)
    assert json_report.indented(lazy) == json.dumps(
        json_report.to_data(plan), indent=2, ensure_ascii=False
    )
    empty = json_report.to_data(_without_apps(plan), lazy=True)
    assert json.loads(json_report.indented(empty))["apps"] == []
    # And through json.dumps when something else in it needs it (NaN: not JSON's).
    odd = {"a": json_report.Entries(2, lambda: iter([1, {"b": 2}])), "c": float("nan")}
    assert json_report.indented(odd) == json.dumps(
        {"a": [1, {"b": 2}], "c": float("nan")}, indent=2, ensure_ascii=False
    )


def _without_apps(plan: Plan) -> Plan:
    return replace(plan, apps=(), groups=(), conflicts=())
