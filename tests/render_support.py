"""Shared helpers for the render tests: example runs, random pipelines, DOT/SVG structure readers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from flowgraph import GraphBuilder, Result, Run
from render.engine import render_dot

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures" / "jenkins"


def ci_run() -> Run:
    """Build (node > sh), Test (parallel unit ok / lint fails), the build fails.

    Node ids (Jenkins' shapes): 2 start; 3/4 stage Build; 5/6 node; 7 sh make; 8/9 node end;
    10/11 stage end; 12/13 stage Test; 14 parallel; 16/17 branch starts; 18 sh pytest; 19 unit end;
    20 sh ruff (fails); 21 lint end; 22 parallel end; 23/24 stage end; 25 flow end.
    """
    b = GraphBuilder(start_ms=1_000_000, step_ms=1000)
    with b.stage("Build"), b.node("linux"):
        b.step("sh", script="make", duration_ms=65_000)
    with b.stage("Test"), b.parallel("unit", "lint") as par:
        with par.branch("unit"):
            b.step("sh", script="pytest")
        with par.branch("lint"):
            b.step("sh", script="ruff check", error="script returned exit code 1")
    return b.build()


# -- random pipelines ---------------------------------------------------------------------

_leaf = st.sampled_from([("sh", "ok"), ("sh", "ok"), ("sh", "fail"), ("sh", "unstable")])


def _blocks(children: st.SearchStrategy[list[Any]]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.tuples(st.just("stage"), children),
        st.tuples(st.just("node"), children),
        st.tuples(st.just("parallel"), st.lists(children, min_size=1, max_size=3)),
    )


programs = st.lists(st.recursive(_leaf, lambda inner: _blocks(st.lists(inner, max_size=3)), max_leaves=12), max_size=4)
"""Hypothesis strategy: small pipelines of stages, node blocks, parallels and (failing) steps."""


def build_program(program: list[Any], *, start_ms: int = 0) -> Run:
    """Run a :data:`programs` example through GraphBuilder (iteratively, no recursion)."""
    b = GraphBuilder(start_ms=start_ms, step_ms=1000)
    counter = [0]

    def name() -> str:
        counter[0] += 1
        return f"s{counter[0]}"

    stack: list[tuple[str, Any]] = [("root", iter(program))]
    while stack:
        kind, items = stack[-1]
        item = next(items, None)
        if item is None:
            stack.pop()
            if kind in ("stage", "node", "parallel"):
                b.end_block()
            elif kind == "branch":
                b.leave_branch()
            continue
        if kind == "parallel":
            branch_name, children = item
            b.enter_branch(branch_name)
            stack.append(("branch", iter(children)))
            continue
        tag = item[0]
        if tag == "sh":
            if item[1] == "fail":
                with b.catch_error(build_result=Result.FAILURE, stage_result=Result.FAILURE):
                    b.step("sh", script="false", error="script returned exit code 1")
            elif item[1] == "unstable":
                b.unstable("flaky tests")
            else:
                b.step("sh", script="true")
        elif tag == "stage":
            b.begin_stage(name())
            stack.append(("stage", iter(item[1])))
        elif tag == "node":
            b.begin_node("linux")
            stack.append(("node", iter(item[1])))
        else:
            names = [name() for _ in item[1]]
            b.begin_parallel(*names)
            stack.append(("parallel", iter(zip(names, item[1], strict=True))))
    return b.build()


def deep_run(depth: int) -> Run:
    """``depth`` nested stages (2 blocks each) around one step, built with the loop API."""
    b = GraphBuilder(start_ms=0, step_ms=1)
    for i in range(depth):
        b.begin_stage(f"level {i}")
    b.step("sh", script="deep")
    for _ in range(depth):
        b.end_block()
    return b.build()


# -- reading Graphviz output ----------------------------------------------------------------


@dataclass
class DotStructure:
    """What Graphviz understood of a DOT text: clusters, their nesting, nodes and attributes."""

    cluster_parent: dict[str, str | None] = field(default_factory=dict)
    node_cluster: dict[str, str | None] = field(default_factory=dict)
    node_attrs: dict[str, dict[str, str]] = field(default_factory=dict)
    cluster_attrs: dict[str, dict[str, str]] = field(default_factory=dict)
    edges: set[tuple[str, str]] = field(default_factory=set)

    def cluster_chain(self, node: str) -> list[str]:
        chain = []
        current = self.node_cluster[node]
        while current is not None:
            chain.append(current)
            current = self.cluster_parent[current]
        return chain


def dot_structure(source: str) -> DotStructure:
    """Lay out ``source`` as Graphviz JSON and read back clusters, membership and edges."""
    data = json.loads(render_dot(source, "json"))
    objects = data.get("objects", [])
    count = data.get("_subgraph_cnt", 0)
    out = DotStructure()
    by_gvid = {o["_gvid"]: o for o in objects}
    depth: dict[str, int] = {}
    for sub in objects[:count]:
        out.cluster_parent.setdefault(sub["name"], None)
        out.cluster_attrs[sub["name"]] = {k: v for k, v in sub.items() if isinstance(v, str)}
        for child in sub.get("subgraphs", []):
            out.cluster_parent[by_gvid[child]["name"]] = sub["name"]
    for name in out.cluster_parent:
        level, current = 0, out.cluster_parent[name]
        while current is not None:
            level, current = level + 1, out.cluster_parent[current]
        depth[name] = level
    for node in objects[count:]:
        out.node_cluster[node["name"]] = None
        out.node_attrs[node["name"]] = {k: v for k, v in node.items() if isinstance(v, str)}
    for sub in objects[:count]:
        for member in sub.get("nodes", []):
            name = by_gvid[member]["name"]
            current = out.node_cluster[name]
            if current is None or depth[sub["name"]] > depth[current]:
                out.node_cluster[name] = sub["name"]
    for edge in data.get("edges", []):
        out.edges.add((by_gvid[edge["tail"]]["name"], by_gvid[edge["head"]]["name"]))
    return out
