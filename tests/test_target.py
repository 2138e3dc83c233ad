"""The container's interpreters: every CPython minor with an official ``python:X.Y-slim``
image (2.7, 3.5–3.14), which of them a specifier allows, and their end of life."""

from __future__ import annotations

import datetime

import pytest

from depsplit.model import App, Origin, PythonRequirement, Target
from depsplit.target import (
    END_OF_LIFE,
    SUPPORTED_PYTHONS,
    InvalidMarker,
    allowed_pythons,
    app_pythons,
    end_of_life,
    marker_applies,
    marker_holds,
    marker_problem,
    newest_first,
    span,
)

ALL = list(SUPPORTED_PYTHONS)


def test_supported_pythons_are_every_minor_with_an_image() -> None:
    assert SUPPORTED_PYTHONS == (
        "2.7", "3.5", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14",
    )  # fmt: skip
    assert span(SUPPORTED_PYTHONS) == "2.7, 3.5–3.14"
    assert span(("3.9",)) == "3.9"
    assert span(("3.6", "3.8", "3.9")) == "3.6, 3.8–3.9"
    assert span(()) == ""


@pytest.mark.parametrize(
    ("specifier", "allowed"),
    [
        ("", ALL),
        (">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,!=3.4.*", ALL),
        ("==2.7.*", ["2.7"]),
        ("~=2.7", ["2.7"]),
        ("<3", ["2.7"]),
        ("<3.9", ["2.7", "3.5", "3.6", "3.7", "3.8"]),
        (">=3.6,<3.9", ["3.6", "3.7", "3.8"]),
        ("~=3.6.0", ["3.6"]),
        ("==3.6.15", ["3.6"]),
        (">=3.5", ALL[1:]),
        (">=3", ALL[1:]),
        ("==3.4.*", []),
        (">=3.15", []),
        ("<2.7", []),
    ],
)
def test_allowed_pythons(specifier: str, allowed: list[str]) -> None:
    assert allowed_pythons(specifier) == allowed


def test_markers_are_evaluated_on_old_minors() -> None:
    linux = Target("linux/amd64")
    assert marker_applies('python_version < "3"', linux, "2.7")
    assert not marker_applies('python_version < "3"', linux, "3.5")
    assert marker_applies('python_full_version < "3.7"', linux, "3.6")
    assert not marker_applies('python_version >= "3.8"', linux, "3.7")
    assert marker_problem('python_version < "3"') is None
    assert marker_problem('python_version ~= "win32"') is not None


def test_a_marker_that_cannot_be_read_or_compared_counts_the_requirement() -> None:
    linux = Target("linux/amd64")
    assert not marker_holds('sys_platform == "win32"', linux, "3.12")
    assert marker_holds(None, linux, "3.12")
    assert marker_holds("python_version >>> '3'", linux, "3.12")  # InvalidMarker
    assert marker_holds('python_version ~= "win32"', linux, "3.12")  # UndefinedComparison
    with pytest.raises(InvalidMarker):
        marker_applies("python_version >>> '3'", linux, "3.12")


def _app(*specifiers: str) -> App:
    python = tuple(PythonRequirement(s, Origin("pyproject.toml", 1)) for s in specifiers)
    return App("web", "web", ("pyproject.toml",), python=python)


def test_app_pythons_are_the_supported_minors_the_app_allows_or_the_fixed_one() -> None:
    assert app_pythons(_app(), Target()) == ALL
    assert app_pythons(_app(">=3.11", "<3.13"), Target()) == ["3.11", "3.12"]
    assert app_pythons(_app(), Target(python="3.9")) == ["3.9"]
    assert app_pythons(_app(">=3.11"), Target(python="3.12")) == ["3.12"]
    assert app_pythons(_app(">=3.11"), Target(python="3.9")) == []


def test_newest_first_orders_minors_as_versions_without_repeats() -> None:
    assert newest_first(["3.9", "3.10", "2.7", "3.9"]) == ["3.10", "3.9", "2.7"]
    assert newest_first([]) == []


def test_end_of_life_is_a_table_lookup_on_a_given_date() -> None:
    today = datetime.date(2026, 12, 5)
    eol = {minor: end_of_life(minor, today) for minor in SUPPORTED_PYTHONS}
    assert eol == {
        "2.7": "2020-01-01",
        "3.5": "2020-09-30",
        "3.6": "2021-12-23",
        "3.7": "2023-06-27",
        "3.8": "2024-10-07",
        "3.9": "2025-10-31",
        "3.10": "2026-10-31",
        "3.11": None,
        "3.12": None,
        "3.13": None,
        "3.14": None,
    }
    assert set(END_OF_LIFE) == set(SUPPORTED_PYTHONS)
    # On the day itself it is end of life; the day before it is not.
    assert end_of_life("3.9", "2025-10-31") == "2025-10-31"
    assert end_of_life("3.9", "2025-10-30") is None
    assert end_of_life("3.11", datetime.date(2027, 11, 1)) == "2027-10-31"
    assert end_of_life("3.4", today) is None  # not a supported minor: nothing known
    with pytest.raises(ValueError, match="December"):
        end_of_life("3.9", "December 2026")


@pytest.mark.parametrize("text", ["2.7", "3.5", "3.12", "3.14"])
def test_validate_python_takes_every_supported_minor(text: str) -> None:
    from depsplit.target import validate_python

    assert validate_python(text) == text


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("abc", "not a CPython minor version written X.Y"),
        ("3", "not a CPython minor version written X.Y"),
        ("3.12.1", "not a CPython minor version written X.Y"),
        (3.12, "not a CPython minor version written X.Y"),
        ("3.4", "not a CPython minor with a python:X.Y-slim image"),
        ("3.15", "not a CPython minor with a python:X.Y-slim image"),
    ],
)
def test_validate_python_says_what_is_accepted(value: object, why: str) -> None:
    from depsplit.target import validate_python

    with pytest.raises(ValueError, match=r"choose one of 2\.7, 3\.5–3\.14") as info:
        validate_python(value)
    assert why in str(info.value)


def test_the_library_refuses_an_invalid_python_too(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from depsplit.analyze import Options, analyze
    from depsplit.errors import UsageError

    with pytest.raises(UsageError, match="python: 'abc' is not"):
        analyze(tmp_path, options=Options(python="abc"))
