"""The notebooks run top to bottom (nbclient), so they never rot."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.parametrize("name", ["quickstart.ipynb", "analysis_many_runs.ipynb"])
def test_notebook_runs(name: str) -> None:
    nbformat = pytest.importorskip("nbformat", reason="the notebook tests need the test extra (nbformat)")
    nbclient = pytest.importorskip("nbclient", reason="the notebook tests need the test extra (nbclient)")
    pytest.importorskip("ipykernel", reason="the notebook tests need the test extra (ipykernel)")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    with warnings.catch_warnings():
        # jupyter_client and zmq warn about their own internals (event loops, platform dirs).
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        client = nbclient.NotebookClient(
            notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
        )
        client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    texts = " ".join(str(o.get("data", {}).get("text/html", "")) + str(o.get("text", "")) for o in outputs)
    if name == "quickstart.ipynb":
        assert "<svg" in texts  # the run displayed inline as its stage graph
        # `timeline(run)` as written in the notebook shows as a picture, not as "<Figure size ...>"
        timeline_cell = next(c for c in notebook.cells if c.cell_type == "code" and "timeline(run)" in c.source)
        assert any("image/png" in o.get("data", {}) for o in timeline_cell.get("outputs", []))
        assert "Test" in texts and "UNSTABLE" in texts
    else:
        assert "fg-stage-view" in texts  # the stage view table
