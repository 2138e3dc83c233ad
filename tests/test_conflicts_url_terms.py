"""Requests with the same version range and the same URL on two different packages are not
one term: which version a URL names depends on the package it is given for
(``pkg-1.5.tar.gz`` names 1.5 of ``pkg``, nothing of ``other``)."""

from __future__ import annotations

from pathlib import Path

from depsplit.analyze import analyze

URL = "https://example.org/pkg-1.5.tar.gz"


def test_one_url_on_two_packages_is_judged_per_package(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "requirements.txt").write_text(f"pkg @ {URL}\npkg>=2\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "requirements.txt").write_text(f"other @ {URL}\nother>=2,<2\n")

    plan = analyze(tmp_path)  # raised IndexError while explaining b's conflict

    assert plan.unsatisfiable == ("a", "b")
    reasons = {c.package: c.message for c in plan.conflicts}
    assert reasons["pkg"].endswith("the URL names version 1.5, which >=2 excludes")
    assert reasons["other"].endswith("no version is (<2,>=2) at once")
