"""``python -m render``: the ``flowgraph`` command (see :mod:`render.cli`)."""

from render.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    main(prog_name="flowgraph")
