"""The Markdown report: a PR comment / step summary that leads with what changed."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from test_report_common import NASTY, check_golden, plan_with_builds, sample_diff, sample_plan

from depsplit.model import Conflict, ConflictRequirement, Origin
from depsplit.report import markdown
from depsplit.report.markdown import md_code, md_text, mermaid_label, utf16_len

BASE = "https://github.com/o/r/blob/0123abc/"


def test_golden() -> None:
    check_golden("sample.md", markdown.render(sample_plan(), link_base=BASE))


def test_golden_against_a_baseline() -> None:
    check_golden(
        "sample-baseline.md", markdown.render(sample_plan(), baseline=sample_diff(), link_base=BASE)
    )


def test_first_lines_name_the_new_conflicts_their_lines_and_the_group_changes() -> None:
    out = markdown.render(sample_plan(), baseline=sample_diff(), link_base=BASE)
    head = out[: out.index("Existing conflicts")]
    assert head.startswith(
        markdown.MARKER
        + "\n### ❌ depsplit: 4 new conflicts, 1 newly unsatisfiable since `origin/main`"
    )
    assert f"[services/legacy/runtime.txt:1]({BASE}services/legacy/runtime.txt#L1)" in head
    assert f"[jobs/worker/pyproject.toml:5]({BASE}jobs/worker/pyproject.toml#L5)" in head
    assert "legacy: moved from group api to group legacy" in head
    assert "flask" not in head.split("Group changes")[0]  # existing: not among the new


def test_links_are_relative_without_a_base_and_take_the_repository_prefix() -> None:
    out = markdown.render(sample_plan())
    assert "[services/api/requirements.txt:2](services/api/requirements.txt#L2)" in out
    out = markdown.render(sample_plan(), link_base=BASE.rstrip("/"), path_prefix="mono/")
    assert f"({BASE}mono/services/api/requirements.txt#L2)" in out
    assert f"({BASE}mono/services/api/my%20reqs%20%28old%29.txt#L9)" in out


def test_user_data_is_escaped_in_tables() -> None:
    out = markdown.render(sample_plan())
    row = next(line for line in out.splitlines() if "we\\|rd" in line)
    # Every cell boundary is ours: user pipes are escaped, so the row has exactly 6 bare pipes.
    assert len(re.findall(r"(?<!\\)\|", row)) == 6
    assert "<script>" not in out
    assert "@someone" not in out
    assert "\nline `two`" not in out
    assert "| `` we\\|rd`pkg<b> `` |" in row


def test_escaping_helpers() -> None:
    assert md_text("a|b <i> `c` *d* @me\ne") == "a\\|b &lt;i&gt; \\`c\\` \\*d\\* &#64;me e"
    assert md_code("==1|2") == "`==1\\|2`"
    assert md_code("a`b") == "`` a`b ``"
    assert md_code("x|y", table=False) == "`x|y`"
    assert (
        mermaid_label('a "b" <c> `d` #e |f') == '"a #quot;b#quot; #lt;c#gt; #96;d#96; #35;e #124;f"'
    )


def test_mermaid_groups_apps_and_conflicts() -> None:
    diagram = markdown.mermaid(sample_plan(), sample_diff())
    assert diagram is not None
    text = "\n".join(diagram)
    assert text.startswith("```mermaid\nflowchart LR\n")
    assert '  subgraph g0["api · python 3.12"]' in text
    assert '  a0 ---|"flask, mylib, trap-pkg"|' not in text  # 3-way drawn as a hexagon
    assert re.search(r'c0\{\{"trap-pkg \(3-way\)"\}\}', text)
    assert "linkStyle" in text  # new conflicts in red
    assert "class a4 unsatisfiable" in text
    # Node ids are generated, never user data.
    assert re.findall(r"^\s+(\w+)\[", text, re.M) == ["a0", "a2", "a1", "a3", "a4"]


def _many(n: int) -> tuple[Conflict, ...]:
    return tuple(
        replace(
            NASTY,
            id=f"version:pkg-{i}:{i:010d}",
            package=f"package-number-{i}",
            apps=("api", "web"),
            requirements=(
                ConflictRequirement(
                    "api", f"=={i}", Origin("services/api/requirements.txt", i + 1)
                ),
                ConflictRequirement(
                    "web", f"=={i + 1}", Origin("services/web/requirements.txt", i + 1)
                ),
            ),
            message="é" * 50 + "😀" * 20,
        )
        for i in range(n)
    )


def test_stays_under_githubs_comment_limit_and_says_what_it_cut() -> None:
    plan = replace(sample_plan(), conflicts=_many(2000))
    out = markdown.render(plan, link_base=BASE)
    assert utf16_len(out) <= markdown.GITHUB_COMMENT_LIMIT
    assert "Shortened to fit GitHub's 65,536-character limit" in out
    assert "more conflicts not shown" in out
    assert re.search(r"left out: .*the diagram", out)
    assert re.search(r"left out: .*\d+ of 2000 rows of “Conflicts”", out)
    assert "#### Diagnostics" in out or "Diagnostics (1 error" in out  # small sections kept
    assert out.count("<details>") == out.count("</details>")
    assert out.count("```") % 2 == 0


def test_new_conflicts_are_kept_longest_when_cutting() -> None:
    from depsplit.baseline import Baseline, diff

    plan = replace(sample_plan(), conflicts=_many(1500))
    base = Baseline(source="main", conflicts=_many(1500)[:1490])
    out = markdown.render(plan, baseline=diff(base, plan), limit=20000)
    assert utf16_len(out) <= 20000
    new_section = out[: out.index("Group changes")]
    assert new_section.count("package-number-14") == 10  # all 10 new ones (1490..1499)


@pytest.mark.parametrize("limit", [5000, 12000])
def test_small_limits_are_respected(limit: int) -> None:
    out = markdown.render(replace(sample_plan(), conflicts=_many(300)), limit=limit)
    assert utf16_len(out) <= limit


def test_short_report_is_not_cut() -> None:
    out = markdown.render(sample_plan())
    assert "Shortened" not in out
    assert "```mermaid" in out


def test_several_formats_from_one_analysis(tree, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import depsplit.analyze
    from depsplit.cli import main

    calls = []
    real = depsplit.analyze.analyze

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(depsplit.analyze, "analyze", counting)
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    root = tree({"a/requirements.txt": "flask==1.1.1\n", "b/requirements.txt": "flask>=3\n"})
    a, b = tmp_path / "a.sarif", tmp_path / "b.md"
    args = ["analyze", str(root), "--format", "sarif", "--output", str(a)]
    args += ["--format", "markdown", "--output", str(b), "--link-base", BASE]
    code = main(args)
    assert code == 0
    assert len(calls) == 1
    assert json.loads(a.read_text())["version"] == "2.1.0"
    assert b.read_text().startswith(markdown.MARKER)
    assert f"]({BASE}a/requirements.txt#L1)" in b.read_text()


def test_groups_say_what_compiles_and_which_python_is_unverified() -> None:
    out = markdown.render(plan_with_builds())
    lines = out.splitlines()
    assert lines[1].startswith("### ")
    assert "Python choice unverified for 2 groups" in lines[1]
    assert "| `api` | 3.12 (unverified) | api, web | flask, mylib |" in lines
    assert "| `worker` | 3.13 (unverified) | worker | python, trap-pkg |" in lines
    assert "| `legacy` | 3.8 | legacy | flask, pydantic, python |" in lines
    assert any(
        line.startswith("**Python unverified** for `api`, `worker`: not checked against the")
        for line in lines
    )
    at = lines.index(
        "**Builds from source** (compiled in the image's builder stage;"
        " pure Python ones by pip in the image):"
    )
    assert lines[at + 1 : at + 4] == [
        "",
        "- `api`: psycopg2 2.8.6 (no wheel for cp312 manylinux x86\\_64; sdist only)",
        "- `api`: uWSGI 2.0.28 (no wheel for cp312 manylinux x86\\_64; sdist only)",
    ]
    groups_at = next(i for i, line in enumerate(lines) if line.startswith("#### Groups"))
    assert groups_at < at


def test_no_build_or_unverified_lines_without_them() -> None:
    out = markdown.render(sample_plan())
    assert "unverified" not in out
    assert "Builds from source" not in out
