"""Pipeline factories: stored by importable name, imported again to resume (TaskFlow's rule).

A recorded run never pickles its pipeline. It stores the factory's dotted name and its JSON
arguments, and a resumed run imports the name and calls it again, so the *current* code builds
the pipeline. That only works for functions that importing their name gives back: lambdas,
closures, nested functions, bound methods and functions of ``__main__`` (a different module in
the resuming process) are refused up front, before anything is recorded.

Stores are trusted input: a record names code to import and call. :func:`check_allowed` is the
guard for stores that are not fully trusted: resuming imports a factory only under an allowed
dotted prefix, checked before anything is imported. By default that is the factory's own
top-level package, never the standard library, ``builtins`` or flowgraph itself (whose only
factories are its examples), so a record cannot name ``os.system`` or ``subprocess.run``.

Examples
--------
>>> factory_name(json_arguments)
'flowgraph.recorder.factory.json_arguments'
>>> factory_name(lambda: None)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
flowgraph.errors.FactoryError: the factory <lambda> is not re-importable (a lambda, closure or nested ...
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from flowgraph.errors import FactoryError

__all__ = ["factory_name", "load_factory", "json_arguments", "check_allowed", "default_allowed"]

_NEVER_BY_DEFAULT = frozenset({"builtins", "__main__", "flowgraph"}) | frozenset(sys.stdlib_module_names)
_OWN_FACTORIES = ("flowgraph.recorder.examples",)


def _under(name: str, prefix: str) -> bool:
    """``a.b.c`` is under ``a`` and ``a.b``, not under ``a.b.cd`` or ``ab`` (whole components)."""
    prefix = prefix.rstrip(".")
    return name == prefix or name.startswith(prefix + ".")


def default_allowed(name: str) -> tuple[str, ...]:
    """The prefixes a record naming ``name`` may be resumed under when the caller names none.

    The factory's own top-level package, unless that is the standard library, ``builtins``,
    ``__main__`` or flowgraph itself (flowgraph's example factories stay allowed).

    Examples
    --------
    >>> default_allowed("myproject.pipelines.build")
    ('myproject', 'flowgraph.recorder.examples')
    >>> default_allowed("os.system")
    ('flowgraph.recorder.examples',)
    """
    top = name.split(".", 1)[0]
    return _OWN_FACTORIES if top in _NEVER_BY_DEFAULT else (top, *_OWN_FACTORIES)


def check_allowed(name: str, allowed: Iterable[str] | None = None) -> tuple[str, ...]:
    """Refuse, before anything is imported, a factory name outside the allowed prefixes.

    ``allowed`` lists dotted prefixes matched on whole components (``"myproject"`` allows
    ``myproject.pipes.build``, not ``myprojectx.y``); None means :func:`default_allowed`.
    Returns the prefixes used, for checking where the imported function really lives.

    Examples
    --------
    >>> check_allowed("myproject.pipes.build", ["myproject.pipes"])
    ('myproject.pipes',)
    >>> check_allowed("subprocess.run")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    flowgraph.errors.FactoryError: the record names the factory subprocess.run, which is not under an allowed ...
    """
    prefixes = default_allowed(name) if allowed is None else tuple(p for p in allowed if p)
    if not isinstance(name, str) or not any(_under(name, p) for p in prefixes):
        raise FactoryError(
            f"the record names the factory {name}, which is not under an allowed prefix "
            f"({', '.join(prefixes) or 'none'}); nothing was imported. A record names code to run: resume "
            "only stores you trust, and pass allow_factories=[...] (or pipeline=...) to resume this one"
        )
    return prefixes


def factory_name(factory: Callable[..., Any]) -> str:
    """The dotted name a resumed run will import ``factory`` by; refuses what cannot be re-imported."""
    qualname = getattr(factory, "__qualname__", None)
    module = getattr(factory, "__module__", None)
    if not isinstance(qualname, str) or not isinstance(module, str):
        raise FactoryError(f"the factory {factory!r} has no importable name; use a module-level function")
    if "<lambda>" in qualname or "<locals>" in qualname:
        raise FactoryError(
            f"the factory {qualname} is not re-importable (a lambda, closure or nested function); "
            "define it at module level so a resumed run can import it again"
        )
    if module == "__main__":
        raise FactoryError(
            f"the factory {qualname} is defined in __main__, which is a different module in the process "
            "that resumes the run; move it into an importable module"
        )
    name = f"{module}.{qualname}"
    try:
        found = load_factory(name)
    except FactoryError as exc:
        raise FactoryError(f"the factory {name} is not re-importable: {exc}") from exc
    if found is not factory and getattr(found, "__func__", None) is not factory:
        raise FactoryError(
            f"importing {name} gives {found!r}, not the factory given; use a module-level function "
            "or staticmethod that its name imports"
        )
    return name


def load_factory(name: str, allowed: Iterable[str] | None = None, *, restrict: bool = False) -> Callable[..., Any]:
    """Import ``package.module.function`` (or ``module.Class.staticmethod``).

    With ``restrict`` (as resuming does), the name must lie under ``allowed`` (see
    :func:`check_allowed`; None means the default) before anything is imported, and the
    function found must be defined under those prefixes too (not re-exported from elsewhere).

    Raises
    ------
    FactoryError
        No module of that name can be imported, or it has no such attribute, or the attribute is
        not callable, or (``restrict``) it is not allowed. The message says what to do.
    """
    if not isinstance(name, str) or not name or "." not in name:
        raise FactoryError(f"{name!r} is not a dotted factory name (expected package.module.function)")
    prefixes = check_allowed(name, allowed) if restrict else None
    parts = name.split(".")
    module = None
    error: BaseException | None = None
    for cut in range(len(parts) - 1, 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ImportError as exc:
            error = error or exc
            continue
        except Exception as exc:  # the module exists but fails while importing
            raise FactoryError(
                f"the factory {name} cannot be imported: importing {'.'.join(parts[:cut])} raised "
                f"{type(exc).__name__}: {exc}; fix that module (nothing was changed)"
            ) from exc
        attrs = parts[cut:]
        break
    if module is None:
        raise FactoryError(
            f"the factory {name} cannot be imported ({error}); restore its module or resume with "
            "pipeline=... to supply the pipeline (nothing was changed)"
        ) from error
    target: Any = module
    for attr in attrs:
        try:
            target = getattr(target, attr)
        except AttributeError as exc:
            raise FactoryError(
                f"the factory {name} no longer exists: {module.__name__} has no {'.'.join(attrs)}; restore it or "
                "resume with pipeline=... (nothing was changed)"
            ) from exc
    if not callable(target):
        raise FactoryError(f"the factory {name} is not callable ({type(target).__name__})")
    home = getattr(target, "__module__", None)
    if prefixes is not None and not (isinstance(home, str) and any(_under(home, p) for p in prefixes)):
        raise FactoryError(
            f"the factory {name} is defined in {home}, outside the allowed prefixes ({', '.join(prefixes)}); "
            "it was imported but not called"
        )
    return target  # type: ignore[no-any-return]


def json_arguments(args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The factory's arguments as JSON data (as they will be stored), or a FactoryError.

    Examples
    --------
    >>> json_arguments((1, "a"), {"n": (2, 3)})
    ([1, 'a'], {'n': [2, 3]})
    """
    try:
        text = json.dumps({"args": list(args), "kwargs": dict(kwargs)}, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise FactoryError(
            f"the factory's arguments must be JSON data (they are stored to rebuild the pipeline): {exc}"
        ) from exc
    data = json.loads(text)
    return data["args"], data["kwargs"]
