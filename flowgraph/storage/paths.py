"""Paths built from file contents stay inside their root.

A ``build.xml`` names its node directory (``<storageDir>``), a SQL record names its run (the
execution id becomes a log directory), an imported run names its job: all of them are data,
and data from an untrusted home or database must not make flowgraph read or write elsewhere.
:func:`inside` joins such names to a root only when each is a plain name (no separator, no
``..``, not absolute) and the joined path, with every symlink that already exists resolved,
is still under the resolved root. Anything else is a :class:`~flowgraph.FormatError` naming
where the name came from.

Examples
--------
>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> inside(root, "workflow", what="storage directory").name
'workflow'
>>> inside(root, "../../etc", what="storage directory", source="build.xml")
Traceback (most recent call last):
...
flowgraph.errors.FormatError: build.xml: storage directory '../../etc' is not a plain name (it would leave ...)
"""

from __future__ import annotations

from pathlib import Path

from flowgraph.errors import FormatError

__all__ = ["inside", "is_plain_name"]

_FORBIDDEN = ("/", "\\", "\x00")


def is_plain_name(name: object) -> bool:
    """True for a single, ordinary path component: not empty, not ``.``/``..``, no separator.

    Examples
    --------
    >>> [is_plain_name(n) for n in ("workflow", "a b", "..", "a/b", "", "/x")]
    [True, True, False, False, False, False]
    """
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and not any(bad in name for bad in _FORBIDDEN)
        and not Path(name).is_absolute()
    )


def inside(root: str | Path, *names: str, what: str, source: str | None = None) -> Path:
    """``root / names...``, refused unless every name is plain and the result stays under ``root``.

    ``what`` says what the names are ("storage directory", "job name"...) and ``source`` where
    they were read (a file or URL), for the error message. Existing symlinks are resolved, so a
    link planted inside ``root`` cannot lead a later write out of it.
    """
    where = f"{source}: " if source else ""
    for name in names:
        if not is_plain_name(name):
            shown = "/".join(names) if len(names) > 1 else name
            raise FormatError(f"{where}{what} {shown!r} is not a plain name (it would leave {root})", path=source)
    base = Path(root)
    target = base.joinpath(*names)
    real_root = base.resolve()
    real = target.resolve()
    if real != real_root and real_root not in real.parents:
        raise FormatError(f"{where}{what} {'/'.join(names)!r} leads out of {root} (to {real})", path=source)
    return target
