"""The README's API tour runs as written, so the README stays true."""

from __future__ import annotations

import os
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_python_block_of_the_readme_runs(tmp_path: Path, capsys: object) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 6
    namespace: dict[str, object] = {"__name__": "readme"}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for index, block in enumerate(blocks):
            exec(compile(block, f"README.md block {index + 1}", "exec"), namespace)
    finally:
        os.chdir(cwd)
    assert (tmp_path / "graph.svg").read_text().lstrip().startswith(("<?xml", "<svg", "<!--"))
    assert (tmp_path / "jenkins" / "jobs" / "app" / "builds" / "1" / "build.xml").exists()
