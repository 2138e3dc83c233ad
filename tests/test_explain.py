"""``depsplit explain PACKAGE``."""

from __future__ import annotations

import pytest

from depsplit.conflicts import find_conflicts
from depsplit.errors import UsageError
from depsplit.explain import explain
from depsplit.model import App, Origin, Requirement, Role, Target
from depsplit.sources.base import parse_requirement

TARGET = Target()


def req(line: str, file: str, lineno: int, role: Role = "main", **kw: object) -> Requirement:
    return parse_requirement(line, Origin(file, lineno, **kw), role=role)  # type: ignore[arg-type]


APPS = [
    App(
        "api",
        "services/api",
        ("services/api/requirements.txt",),
        (req("Flask==2.3.0", "services/api/requirements.txt", 3),),
    ),
    App(
        "legacy",
        "services/legacy",
        ("services/legacy/requirements.txt",),
        (
            req(
                "flask<2",
                "libs/base.txt",
                4,
                via=("services/legacy/requirements.txt:2",),
            ),
            req('flask==1.0; sys_platform == "win32"', "services/legacy/requirements.txt", 5),
            req("flask-testing", "services/legacy/requirements-dev.txt", 1, role="dev"),
            req("flask==1.1", "services/legacy/requirements-dev.txt", 2, role="dev"),
        ),
    ),
    App(
        "worker",
        "services/worker",
        ("services/worker/requirements.txt",),
        (
            req("celery", "services/worker/requirements.txt", 1),
            req("flask<3", "constraints.txt", 1, role="constraint"),
        ),
    ),
]


def test_explain_lists_every_requirement_with_origin_and_status() -> None:
    conflicts = find_conflicts(APPS, TARGET)
    text = explain(APPS, conflicts, "FLASK", TARGET)
    assert text == (
        "Flask: required by 3 apps (target linux/amd64, x86_64)\n"
        "\n"
        "api (services/api, Python 3.14)\n"
        "  Flask==2.3.0\n"
        "    at services/api/requirements.txt:3\n"
        "    applies\n"
        "legacy (services/legacy, Python 3.14)\n"
        "  flask<2\n"
        "    at libs/base.txt:4 (via services/legacy/requirements.txt:2)\n"
        "    applies\n"
        '  flask==1.0; sys_platform == "win32"\n'
        "    at services/legacy/requirements.txt:5\n"
        "    not on the target: marker is false for Linux x86_64, CPython 3.14\n"
        "  flask==1.1 [dev]\n"
        "    at services/legacy/requirements-dev.txt:2\n"
        "    not in the container: development requirement\n"
        "worker (services/worker, Python 3.14)\n"
        "  flask<3 [constraint]\n"
        "    at constraints.txt:1\n"
        "    no effect: a constraint on a package the app does not require\n"
        "\n"
        "Conflicts on Flask (1):\n"
        f"  {conflicts[0].id} [version]: api, legacy\n"
        f"    {conflicts[0].message}\n"
    )


def test_explain_unknown_package() -> None:
    assert explain(APPS, [], "Django", TARGET) == (
        "No app requires Django (looked up as 'django').\n"
    )


def test_explain_unknown_package_suggests_close_names() -> None:
    assert explain(APPS, [], "flaks", TARGET) == (
        "No app requires flaks (looked up as 'flaks'). Did you mean flask?\n"
    )


def test_explain_without_conflicts() -> None:
    assert explain(APPS, [], "celery", TARGET).endswith("\nNo conflicts on celery.\n")


@pytest.mark.parametrize("name", ["", "-flask", "flask==1", "fl ask", "flask;"])
def test_explain_invalid_name(name: str) -> None:
    with pytest.raises(UsageError, match="not a valid package name"):
        explain(APPS, [], name, TARGET)


def test_explain_names_every_app_of_a_side() -> None:
    apps = [
        App("a", "a", ("a/requirements.txt",), (req("flask==1.0", "a/requirements.txt", 1),)),
        App("b", "b", ("b/requirements.txt",), (req("flask==1.0", "b/requirements.txt", 1),)),
        App("c", "c", ("c/requirements.txt",), (req("flask>=2", "c/requirements.txt", 1),)),
    ]
    target = Target()
    text = explain(apps, find_conflicts(apps, target), "flask", target)
    assert "a, b (same requirement) vs c" in text
