"""Benchmark: what the hostile-input checks of issue 11 cost on the XML load paths.

Baseline: the same loads in the same process with the checks taken out (a plain read loop
instead of the type- and size-checked ``read_file``, no tag count before parsing). Contenders
load a ~10,000-node run from a per-node directory and from a bulk file, and read every node
file raw. The checks are one ``fstat`` per file and one ``bytes.count`` per large document,
so the ratios should stay within a few percent of 1.0.

Run: ``python bench/bench_hardening.py`` (``--nodes 2000`` for a quick look).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_xml_storage import build_run, rounds, touch_all, write_run

from flowgraph import BulkXmlNodeStorage, XmlDirNodeStorage
from flowgraph.codec import compact, xstream
from flowgraph.storage import bulk_xml, files, xml_dir

_PLAIN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


def plain_read(path: str, limit: int = 0) -> bytes:
    """The reader before issue 11: open, read to the end, close (no type or size check)."""
    fd = os.open(path, _PLAIN_FLAGS)
    try:
        parts = []
        chunk = os.read(fd, 1 << 16)
        while chunk:
            parts.append(chunk)
            chunk = os.read(fd, 1 << 16)
        return b"".join(parts)
    finally:
        os.close(fd)


@contextlib.contextmanager
def checks_removed() -> Iterator[None]:
    """Swap the checked reader and the tag count out of every module that uses them."""
    saved = [(m, m.read_file) for m in (files, xml_dir, bulk_xml)]
    saved_size = [(m, m.size_problem) for m in (xstream, compact)]
    for module, _ in saved:
        module.read_file = plain_read  # type: ignore[assignment]
    for module, _ in saved_size:
        module.size_problem = lambda data: None  # type: ignore[assignment]
    try:
        yield
    finally:
        for module, original in saved:
            module.read_file = original  # type: ignore[assignment]
        for module, original_size in saved_size:
            module.size_problem = original_size  # type: ignore[assignment]


def both(fn: Callable[[], object]) -> tuple[Callable[[], object], Callable[[], object]]:
    def without() -> object:
        with checks_removed():
            return fn()

    return fn, without


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        count = write_run(build_run(args.nodes), tmp)
        names = [str(p) for p in sorted((tmp / "workflow").glob("*.xml"))]
        bulk_file = tmp / "bulk" / "flowNodeStore.xml"
        cases = {
            "read every node file": lambda: [xml_dir.read_file(n) for n in names],
            "per-node directory load": lambda: touch_all(XmlDirNodeStorage(tmp / "workflow").iter_nodes()),
            "bulk file load": lambda: touch_all(BulkXmlNodeStorage(bulk_file).iter_nodes()),
        }
        contenders: dict[str, Callable[[], object]] = {}
        for name, fn in cases.items():
            checked, unchecked = both(fn)
            contenders[f"{name} (checked)"] = checked
            contenders[f"{name} (baseline)"] = unchecked
        gc.collect()
        wall, cpu = rounds(contenders, args.repeat)
        print(f"{count} nodes, {len(names)} node files, bulk file {bulk_file.stat().st_size / 1e6:.1f} MB")
        print(f"{'case':32} {'checked':>10} {'baseline':>10} {'wall ratio':>11} {'cpu ratio':>10}")
        for name in cases:
            a, b = wall[f"{name} (checked)"], wall[f"{name} (baseline)"]
            ca, cb = cpu[f"{name} (checked)"], cpu[f"{name} (baseline)"]
            print(f"{name:32} {a * 1e3:9.1f}ms {b * 1e3:9.1f}ms {a / b:10.3f}x {ca / cb:9.3f}x")


if __name__ == "__main__":
    main()
