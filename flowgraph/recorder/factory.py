"""Pipeline factories: stored by importable name, imported again to resume (TaskFlow's rule).

A recorded run never pickles its pipeline. It stores the factory's dotted name and its JSON
arguments, and a resumed run imports the name and calls it again, so the *current* code builds
the pipeline. That only works for functions that importing their name gives back: lambdas,
closures, nested functions, bound methods and functions of ``__main__`` (a different module in
the resuming process) are refused up front, before anything is recorded.

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
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flowgraph.errors import FactoryError

__all__ = ["factory_name", "load_factory", "json_arguments"]


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


def load_factory(name: str) -> Callable[..., Any]:
    """Import ``package.module.function`` (or ``module.Class.staticmethod``).

    Raises
    ------
    FactoryError
        No module of that name can be imported, or it has no such attribute, or the attribute is
        not callable. The message says what was missing and what to do.
    """
    if not name or "." not in name:
        raise FactoryError(f"{name!r} is not a dotted factory name (expected package.module.function)")
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
