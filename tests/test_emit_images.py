"""Image references per Docker's grammar; invalid ones are refused with the reason."""

from __future__ import annotations

import pytest

from depsplit.emit.images import image_reference
from depsplit.errors import UsageError


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, "web:latest"),
        ({"tag": "1.2.3"}, "web:1.2.3"),
        ({"namespace": "team"}, "team/web:latest"),
        ({"namespace": "team/sub-group", "tag": "v1_2"}, "team/sub-group/web:v1_2"),
        ({"registry": "ghcr.io", "namespace": "org"}, "ghcr.io/org/web:latest"),
        ({"registry": "localhost:5000"}, "localhost:5000/web:latest"),
        ({"registry": "[::1]:5000", "tag": "x"}, "[::1]:5000/web:x"),
    ],
)
def test_valid_references(kw: dict[str, str], expected: str) -> None:
    merged = {"registry": None, "namespace": None, "tag": None} | kw
    assert image_reference("web", **merged) == expected


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"tag": "bad tag"}, "invalid --tag"),
        ({"tag": ".dot"}, "invalid --tag"),
        ({"tag": "x" * 129}, "invalid --tag"),
        ({"namespace": "Team"}, "path component 'Team'"),
        ({"namespace": "a--"}, "path component"),
        ({"namespace": "my.org"}, "registry host"),
        ({"registry": "https://ghcr.io"}, "invalid --registry"),
        ({"registry": "-bad.io"}, "invalid --registry"),
    ],
)
def test_invalid_references_say_why(kw: dict[str, str], reason: str) -> None:
    merged = {"registry": None, "namespace": None, "tag": None} | kw
    with pytest.raises(UsageError, match=reason):
        image_reference("web", **merged)


def test_a_group_name_that_is_no_repository_name_is_refused() -> None:
    with pytest.raises(UsageError, match="not a valid image repository name"):
        image_reference("Web App", registry=None, namespace=None, tag=None)
