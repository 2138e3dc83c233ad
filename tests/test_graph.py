"""The dependency and conflict graph and its four renderings."""

from __future__ import annotations

import io
import json

import networkx as nx
import pytest

from depsplit.conflicts import find_conflicts
from depsplit.errors import UsageError
from depsplit.model import App, Origin, Target
from depsplit.report.graph import build_graph, render_graph
from depsplit.sources.base import parse_requirement

TARGET = Target()


def make_app(name: str, *lines: str) -> App:
    reqs = tuple(
        parse_requirement(line, Origin(f"{name}/requirements.txt", i + 1))
        for i, line in enumerate(lines)
    )
    return App(name, f"services/{name}", (f"{name}/requirements.txt",), reqs)


APPS = [
    make_app("api", "flask==2.3.0", 'x>=1,<3; python_version >= "3.8"'),
    make_app("legacy", "flask<2", 'pywin32==1; sys_platform == "win32"'),
    make_app("b", "x>=2,<4"),
    make_app("c", "x>=1,<4,!=2.*"),
    make_app("odd-name.v2", "y==1"),
]


@pytest.fixture
def graph() -> nx.MultiDiGraph:
    return build_graph(APPS, find_conflicts(APPS, TARGET), TARGET)


def test_graph_nodes_and_edges(graph: nx.MultiDiGraph) -> None:
    assert graph.nodes["app:api"] == {
        "kind": "app",
        "name": "api",
        "path": "services/api",
        "python": "3.14",
    }
    assert graph.nodes["pkg:flask"] == {"kind": "package", "name": "flask", "key": "flask"}
    edge = graph.edges["app:api", "pkg:x", "req:1"]
    assert edge["specifier"] == ">=1,<3"
    assert edge["marker"] == 'python_version >= "3.8"'
    assert edge["origin"] == "api/requirements.txt:2"
    assert edge["applies"] == "true"
    assert graph.edges["app:legacy", "pkg:pywin32", "req:1"]["applies"] == "false"
    (pair,) = [d for _, _, d in graph.edges("app:api", data=True) if d["kind"] == "conflict"]
    assert pair["package"] == "flask"
    (nway,) = [n for n, d in graph.nodes(data=True) if d["kind"] == "conflict"]
    assert sorted(graph.predecessors(nway)) == ["app:api", "app:b", "app:c"]


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "graphml", "json"])
def test_rendering_is_deterministic(fmt: str) -> None:
    one = render_graph(build_graph(APPS, find_conflicts(APPS, TARGET), TARGET), fmt)
    reversed_apps = list(reversed(APPS))
    two = render_graph(
        build_graph(reversed_apps, list(reversed(find_conflicts(APPS, TARGET))), TARGET), fmt
    )
    assert one == two
    assert one.endswith("\n")


def test_graphml_roundtrip(graph: nx.MultiDiGraph) -> None:
    back = nx.read_graphml(io.StringIO(render_graph(graph, "graphml")), force_multigraph=True)
    assert set(back.nodes) == set(graph.nodes)
    assert back.number_of_edges() == graph.number_of_edges()
    assert back.nodes["pkg:flask"]["name"] == "flask"


def test_json(graph: nx.MultiDiGraph) -> None:
    data = json.loads(render_graph(graph, "json"))
    ids = [n["id"] for n in data["nodes"]]
    assert ids == sorted(ids)
    back = nx.node_link_graph(data, edges="edges")
    assert back.number_of_edges() == graph.number_of_edges()


def test_dot_quotes_labels() -> None:
    tricky = App("q", 'we"ird\\path', (), (parse_requirement("z<2", Origin("q/r.txt", 1)),))
    text = render_graph(build_graph([tricky], [], TARGET), "dot")
    assert text.startswith("digraph depsplit {\n")
    assert '"app:q" [shape=box, label="q\\nwe\\"ird\\\\path\\nPython 3.14"];' in text
    assert '"app:q" -> "pkg:z" [label="<2"];' in text


def test_dot_marks_conflicts(graph: nx.MultiDiGraph) -> None:
    text = render_graph(graph, "dot")
    assert '"app:api" -> "app:legacy" [label="flask (version)", color=red, dir=none];' in text
    assert '"app:legacy" -> "pkg:pywin32" [label="==1", style=dashed];' in text


def test_mermaid_sanitizes_ids_and_escapes_labels(graph: nx.MultiDiGraph) -> None:
    text = render_graph(graph, "mermaid")
    assert text.startswith("flowchart LR\n")
    assert '  n_app_odd_name_v2["odd-name.v2<br/>services/odd-name.v2<br/>Python 3.14"]' in text
    assert '  n_app_api -->|"#gt;=1,#lt;3"| n_pkg_x' in text
    assert '  n_app_api ===|"flask (version)"| n_app_legacy' in text
    assert '  n_app_legacy -.->|"==1"| n_pkg_pywin32' in text
    assert "  linkStyle 0,1,4,6 stroke:#c00,stroke-width:2px" in text
    assert "class n_conflict_version_x_" in text


def test_unknown_format(graph: nx.MultiDiGraph) -> None:
    with pytest.raises(UsageError, match="unknown graph format"):
        render_graph(graph, "png")
