"""One entry point for every place a run can live: :func:`load`.

``load(target)`` opens whatever :func:`~flowgraph.storage.registry.open_store` opens - a Jenkins
build directory (``build.xml``), a bulk node file (``flowNodeStore.xml``), a directory holding
one, a per-node directory (``<id>.xml`` files), ``sqlite:///runs.db#<run id>``,
``postgresql://…#<run id>``, ``memory://name``, or a backend registered by entry point - and
reads the run without taking its lease or creating anything.

Examples
--------
>>> import tempfile
>>> from flowgraph import GraphBuilder
>>> from flowgraph.jenkins.runs import save_run
>>> d = tempfile.mkdtemp()
>>> save_run(GraphBuilder(start_ms=0).build(), d)
>>> load(d).graph.head_ids, len(load(d + "/workflow").graph)
(('3',), 2)
"""

from __future__ import annotations

import os
from typing import Any

from flowgraph.run import Run
from flowgraph.storage.registry import open_store

__all__ = ["load"]


def load(path: str | os.PathLike[str], **options: Any) -> Run:
    """Load a run from a build directory, a bulk file, a per-node directory or a store URL.

    ``options`` go to the backend (``on_corrupt="placeholder"`` for Jenkins' files).

    Raises
    ------
    StorageError
        Nothing at ``path`` looks like flow-graph storage, the URL scheme is unknown
        (:class:`~flowgraph.errors.UnknownSchemeError`) or the run id is not stored
        (:class:`~flowgraph.errors.RunNotFoundError`, with the nearest ids).
    """
    return open_store(path).load_run(**options)
