"""The dependency and conflict graph (networkx) and its renderings: DOT, Mermaid, GraphML,
JSON (``depsplit graph --format dot|mermaid|graphml|json``).

Nodes: ``app:<name>`` (kind ``app``: name, path, python), ``pkg:<key>`` (kind ``package``:
name as first written, key) and ``conflict:<id>`` for a conflict of one app or of three or
more (kind ``conflict``). Edges: app → package for every requirement read, of every role
(kind ``requires``: specifier, marker, url, origin, role, applies); app → app for a conflict
of two (kind ``conflict``, keyed by the conflict id, from the first app to the second); app →
conflict node for the members of any other conflict (kind ``member``). Every attribute is a
string so that every format can carry it. Renderings are deterministic: nodes and edges are
written sorted, so the same input gives the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from depsplit.conflicts import app_python, effective, sides
from depsplit.errors import UsageError
from depsplit.model import App, Conflict, Target

if TYPE_CHECKING:
    import networkx

FORMATS = ("dot", "mermaid", "graphml", "json")


def build_graph(
    apps: Sequence[App], conflicts: Sequence[Conflict], target: Target
) -> networkx.MultiDiGraph:
    """The graph of ``apps``, their requirements and ``conflicts`` (see the module)."""
    import networkx as nx  # lazy: start-up time matters for the other commands

    graph = nx.MultiDiGraph()
    names: dict[str, str] = {}
    for app in sorted(apps, key=lambda a: a.name):
        for req in app.requirements:
            names.setdefault(req.key, req.name)
    for key in sorted(names):
        graph.add_node(f"pkg:{key}", kind="package", name=names[key], key=key)
    for app in sorted(apps, key=lambda a: a.name):
        python = app_python(app, target)
        graph.add_node(
            f"app:{app.name}", kind="app", name=app.name, path=app.path, python=python or ""
        )
        applied = (
            {id(r) for reqs in effective(app, target, python).values() for r in reqs}
            if python
            else set()
        )
        for index, req in enumerate(app.requirements):
            graph.add_edge(
                f"app:{app.name}",
                f"pkg:{req.key}",
                key=f"req:{index}",
                kind="requires",
                specifier=req.specifier,
                marker=req.marker or "",
                url=req.url or "",
                origin=req.origin.describe(),
                role=req.role,
                applies="true" if id(req) in applied else "false",
            )
    for conflict in sorted(conflicts, key=lambda c: c.id):
        common = {
            "id": conflict.id,
            "package": conflict.package,
            "conflict_kind": conflict.kind,
            "message": conflict.message,
        }
        groups = sides(conflict)
        if len(groups) == 2 and all(len(side) == 1 for side in groups):
            (first,), (second,) = groups
            graph.add_edge(
                f"app:{first}", f"app:{second}", key=conflict.id, kind="conflict", **common
            )
            continue
        # An N-way conflict, or one whose sides hold several apps (every app of a side asks
        # the same): one node linked to every member, instead of every pair of them.
        node = f"conflict:{conflict.id}"
        members = sorted({a for side in groups for a in side})
        graph.add_node(node, kind="conflict", apps=",".join(members), **common)
        for app_name in members:
            graph.add_edge(f"app:{app_name}", node, key="member", kind="member", id=conflict.id)
    return graph


def render_graph(graph: networkx.MultiDiGraph, fmt: str) -> str:
    """``graph`` as ``dot``, ``mermaid``, ``graphml`` or ``json`` text (ending in a newline).
    Raises :class:`UsageError` for another format."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown graph format {fmt!r}; choose one of {', '.join(FORMATS)}")
    ordered = _sorted_copy(graph)
    if fmt == "dot":
        return _dot(ordered)
    if fmt == "mermaid":
        return _mermaid(ordered)
    if fmt == "graphml":
        import networkx as nx

        return "\n".join(nx.generate_graphml(ordered)) + "\n"
    import networkx as nx

    data = nx.node_link_data(ordered, edges="edges")
    data["nodes"].sort(key=lambda n: n["id"])
    data["edges"].sort(key=lambda e: (e["source"], e["target"], e["key"]))
    return json.dumps(data, sort_keys=True, indent=2) + "\n"


def _sorted_copy(graph: networkx.MultiDiGraph) -> networkx.MultiDiGraph:
    """The same graph with nodes and edges inserted in sorted order (networkx writes them
    in insertion order)."""
    import networkx as nx

    out = nx.MultiDiGraph()
    out.graph.update(sorted(graph.graph.items()))
    for node, attrs in sorted(graph.nodes(data=True), key=lambda item: str(item[0])):
        out.add_node(node, **dict(sorted(attrs.items())))
    edges = sorted(
        graph.edges(keys=True, data=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2]))
    )
    for u, v, key, attrs in edges:
        out.add_edge(u, v, key=key, **dict(sorted(attrs.items())))
    return out


def _node_label(node: str, attrs: dict[str, Any]) -> str:
    kind = attrs.get("kind", "")
    if kind == "app":
        return f"{attrs['name']}\n{attrs['path']}" + (
            f"\nPython {attrs['python']}" if attrs.get("python") else ""
        )
    if kind == "package":
        return str(attrs["name"])
    if kind == "conflict":
        size = len(str(attrs.get("apps", "")).split(","))
        return f"{attrs['package']}: {attrs['conflict_kind']} conflict of {size}"
    return node


def _edge_label(attrs: dict[str, Any]) -> str:
    kind = attrs.get("kind")
    if kind == "requires":
        text = str(attrs.get("specifier") or "") or ("@ URL" if attrs.get("url") else "any")
        if attrs.get("role") not in (None, "main"):
            text += f" [{attrs['role']}]"
        return text
    if kind == "conflict":
        return f"{attrs['package']} ({attrs['conflict_kind']})"
    return ""


# --------------------------------------------------------------------------- DOT


def _dot_quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _dot(graph: networkx.MultiDiGraph) -> str:
    shapes = {"app": "box", "package": "ellipse", "conflict": "diamond"}
    lines = ["digraph depsplit {", "  rankdir=LR;"]
    for node, attrs in graph.nodes(data=True):
        shape = shapes.get(attrs.get("kind", ""), "ellipse")
        extra = ", color=red" if attrs.get("kind") == "conflict" else ""
        lines.append(
            f"  {_dot_quote(node)} [shape={shape}, label={_dot_quote(_node_label(node, attrs))}"
            f"{extra}];"
        )
    for u, v, _key, attrs in graph.edges(keys=True, data=True):
        kind = attrs.get("kind")
        style: list[str] = [f"label={_dot_quote(_edge_label(attrs))}"]
        if kind == "requires" and attrs.get("applies") != "true":
            style.append("style=dashed")
        if kind in ("conflict", "member"):
            style += ["color=red", "dir=none"]
        lines.append(f"  {_dot_quote(u)} -> {_dot_quote(v)} [{', '.join(style)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- Mermaid


def _mermaid_text(text: str) -> str:
    """A label safe inside Mermaid's double quotes (entity codes for the specials)."""
    out = text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;")
    out = out.replace(">", "#gt;").replace("|", "#124;").replace("\n", "<br/>")
    return f'"{out}"'


def _mermaid_ids(nodes: Sequence[str]) -> dict[str, str]:
    """Node ids reduced to ``[A-Za-z0-9_]`` (unique, prefixed so that no id is a keyword)."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for node in nodes:
        base = "n_" + re.sub(r"[^A-Za-z0-9_]", "_", node)
        candidate, count = base, 1
        while candidate in taken:
            count += 1
            candidate = f"{base}_{count}"
        taken.add(candidate)
        ids[node] = candidate
    return ids


def _mermaid(graph: networkx.MultiDiGraph) -> str:
    ids = _mermaid_ids(list(graph.nodes))
    lines = ["flowchart LR"]
    for node, attrs in graph.nodes(data=True):
        label = _mermaid_text(_node_label(node, attrs))
        kind = attrs.get("kind")
        shape = {"app": f"[{label}]", "conflict": f"{{{{{label}}}}}"}.get(str(kind), f"([{label}])")
        lines.append(f"  {ids[node]}{shape}")
    red: list[str] = []
    for index, (u, v, _key, attrs) in enumerate(graph.edges(keys=True, data=True)):
        kind = attrs.get("kind")
        label = _edge_label(attrs)
        if kind in ("conflict", "member"):
            arrow = "==="  # thick and undirected: a conflict has no direction
            red.append(str(index))
        elif attrs.get("applies") != "true":
            arrow = "-.->"  # read, but not installed on the target
        else:
            arrow = "-->"
        text = f"|{_mermaid_text(label)}|" if label else ""
        lines.append(f"  {ids[u]} {arrow}{text} {ids[v]}")
    conflict_nodes = [ids[n] for n, a in graph.nodes(data=True) if a.get("kind") == "conflict"]
    if conflict_nodes:
        lines.append("  classDef conflict stroke:#c00,stroke-width:2px")
        lines.append(f"  class {','.join(conflict_nodes)} conflict")
    if red:
        lines.append(f"  linkStyle {','.join(red)} stroke:#c00,stroke-width:2px")
    return "\n".join(lines) + "\n"
