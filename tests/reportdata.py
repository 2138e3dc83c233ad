"""Reading the JSON report (schema version 2) in tests, as a consumer would."""

from __future__ import annotations

from typing import Any


def requirements_of(conflict: dict[str, Any]) -> list[dict[str, Any]]:
    """Every requirement line a package conflict names: each side's, in side order."""
    return [r for side in conflict["sides"] for r in side["requirements"]]


def side_apps(conflict: dict[str, Any]) -> list[list[str]]:
    """The apps of each side of a package conflict."""
    return [side["apps"] for side in conflict["sides"]]
