"""Imports go one way only: render -> scanners -> flowgraph. And each package pins its public API."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"flowgraph": {"scanners", "render"}, "scanners": {"render"}, "render": set()}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_module_imports_against_the_layering(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_layering_check_would_catch_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import render.cli\nfrom scanners import x\n", encoding="utf-8")
    assert imported_packages(bad) & FORBIDDEN["flowgraph"] == {"render", "scanners"}


@pytest.mark.parametrize("package", ["flowgraph", "scanners", "render"])
def test_every_public_name_exists_and_every_module_declares_all(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []
    assert len(set(module.__all__)) == len(module.__all__)
    for path in (ROOT / package).rglob("*.py"):
        if path.name == "__main__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        declares = any(
            isinstance(n, (ast.Assign, ast.AnnAssign))
            and any(getattr(t, "id", None) == "__all__" for t in getattr(n, "targets", [getattr(n, "target", None)]))
            for n in tree.body
        )
        assert declares, f"{path.relative_to(ROOT)} has no __all__"


def test_the_foundation_names_are_importable_from_the_top() -> None:
    import flowgraph
    from flowgraph import FlowNode, LabelAction, NodeKind, TimingAction  # noqa: F401

    for name in [
        "FlowGraph",
        "GraphListener",
        "Run",
        "MemoryNodeStorage",
        "NodeStorage",
        "GraphBuilder",
        "FlowGraphError",
        "NodeNotFoundError",
        "CorruptGraphError",
        "ErrorAction",
        "ArgumentsAction",
        "BodyInvocationAction",
        "LogAction",
        "NotExecutedNodeAction",
        "WorkspaceAction",
        "WarningAction",
        "TagsAction",
        "PauseAction",
        "StageAction",
        "ThreadNameAction",
        "ParallelLabelAction",
    ]:
        assert name in flowgraph.__all__, name


# Inside flowgraph: the codec sits below the storages, run-level Jenkins I/O above them, the
# recorder on top. Every import counts, also the ones deferred into functions.
FLOWGRAPH_LAYERS = {"codec": 0, "storage": 1, "jenkins": 2, "recorder": 3}


def _subpackage_imports() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in FLOWGRAPH_LAYERS}
    for name in FLOWGRAPH_LAYERS:
        for path in (ROOT / "flowgraph" / name).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                modules = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module]
                    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                    else []
                )
                for module in modules:
                    parts = module.split(".")
                    if parts[0] == "flowgraph" and len(parts) > 1 and parts[1] in FLOWGRAPH_LAYERS:
                        edges[name].add(parts[1])
    return edges


def test_flowgraph_subpackages_import_only_downwards_so_there_is_no_cycle() -> None:
    upward = {
        (src, dst)
        for src, dsts in _subpackage_imports().items()
        for dst in dsts
        if FLOWGRAPH_LAYERS[dst] > FLOWGRAPH_LAYERS[src]
    }
    assert upward == set()


def test_importing_flowgraph_loads_neither_lxml_nor_sqlalchemy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, flowgraph, flowgraph.storage, flowgraph.recorder; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'lxml', 'sqlalchemy'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    code = "import sys, flowgraph; flowgraph.XmlDirNodeStorage; print('lxml' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"  # loaded on first use


@pytest.mark.parametrize(
    "module",
    ["flowgraph.execution", "flowgraph.storage.run_store", "flowgraph.storage.registry", "flowgraph.jenkins.run_store",
     "flowgraph.storage.sql_store", "flowgraph.recorder.api", "flowgraph.codec.fast_nodes"],
)  # fmt: skip
def test_each_storage_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, check=True, capture_output=True)
