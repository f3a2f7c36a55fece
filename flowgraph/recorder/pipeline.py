"""Pipeline definitions: steps, stages, parallel branches and retries, made by a factory.

A pipeline is plain data built by a *factory* (a module-level function; see
:mod:`flowgraph.recorder.factory`), so it can be built again when a run resumes. Each
:class:`Step` has a name unique in the pipeline: the name is how a resumed run finds the step's
record (TaskFlow's rule). A step's ``version`` says when its code changed meaning; ``replaces``
names the recorded steps whose work it took over when steps were split or merged.

Steps pass results forward with ``requires``: the named earlier steps' results become keyword
arguments of the step's function (``{"param": "step"}`` picks the parameter name).

Examples
--------
>>> def build(target): return f"{target}.whl"
>>> def ship(artifact): return f"shipped {artifact}"
>>> p = Pipeline([Stage("Build", [Step("build", build, args={"target": "app"})]),
...               Step("ship", ship, requires={"artifact": "build"})])
>>> [s.name for s in p.steps()]
['build', 'ship']
>>> Pipeline([Step("a", build), Step("a", build)])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
flowgraph.errors.DuplicateStepError: step names must be unique ... duplicated: a. Rename the steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from flowgraph.errors import DuplicateStepError, PipelineDefinitionError

__all__ = ["Step", "Stage", "Parallel", "Retry", "Pipeline", "Element"]


@dataclass(frozen=True, eq=False)
class Step:
    """One unit of work: ``fn(**args, **required results)``, recorded as one atom node.

    Parameters
    ----------
    name
        Unique in the pipeline; the key of the step's record.
    fn
        The function to run. Its return value must be JSON data (it is recorded and restored).
    args
        JSON keyword arguments, recorded in the node's ArgumentsAction.
    requires
        Earlier steps whose results are passed in: a list of names (the parameter is the step's
        name) or a mapping ``{parameter: step name}``.
    version
        Change it when the step's code changes meaning; resume then applies its policy.
    replaces
        Recorded step names whose work this step took over (a split or a merge).
    function
        The step function name shown in the graph (its descriptor); the step name by default.
    """

    name: str
    fn: Callable[..., Any]
    args: Mapping[str, Any] = field(default_factory=dict)
    requires: Sequence[str] | Mapping[str, str] = ()
    version: str = "1"
    replaces: Sequence[str] = ()
    function: str | None = None

    @property
    def inputs(self) -> dict[str, str]:
        """Parameter name → required step name."""
        if isinstance(self.requires, Mapping):
            return dict(self.requires)
        return {name: name for name in self.requires}

    @property
    def function_name(self) -> str:
        return self.function or self.name


@dataclass(frozen=True, eq=False)
class Stage:
    """A ``stage(name) { … }`` block: an outer block and a labelled body block."""

    name: str
    body: Sequence[Element]


@dataclass(frozen=True, eq=False)
class Parallel:
    """A ``parallel`` with named branches, run concurrently.

    ``processes=True`` runs the branches' step functions in worker processes (they must be
    module-level functions); the recording itself always stays in the recording process.
    ``name`` identifies the block when a run resumes; by default it is derived from the branches.
    """

    branches: Mapping[str, Sequence[Element]]
    name: str | None = None
    processes: bool = False

    @property
    def key_name(self) -> str:
        return self.name if self.name is not None else "+".join(self.branches)


@dataclass(frozen=True, eq=False)
class Retry:
    """A ``retry(count) { … }`` block: the body runs again (a new attempt) after a failure."""

    count: int
    body: Sequence[Element]
    name: str | None = None

    @property
    def key_name(self) -> str:
        return self.name if self.name is not None else str(self.count)


Element: TypeAlias = Step | Stage | Parallel | Retry


def _children(element: Element) -> Iterator[Element]:
    if isinstance(element, Parallel):
        for body in element.branches.values():
            yield from body
    elif isinstance(element, (Stage, Retry)):
        yield from element.body


def walk(elements: Sequence[Element]) -> Iterator[Element]:
    """Every element, depth first in declaration order, without recursion."""
    stack: list[Iterator[Element]] = [iter(elements)]
    while stack:
        element = next(stack[-1], None)
        if element is None:
            stack.pop()
            continue
        yield element
        stack.append(_children(element))


def step_names(element: Element) -> list[str]:
    """Names of the steps inside (or equal to) ``element``."""
    return [e.name for e in walk([element]) if isinstance(e, Step)]


class Pipeline:
    """A whole pipeline: a body of elements and a name. Validated when made.

    Raises
    ------
    DuplicateStepError
        Two steps share a name.
    PipelineDefinitionError
        A step requires a step that does not run before it, a retry count is below 1, a
        parallel has no branch, or an element is not a Step/Stage/Parallel/Retry.
    """

    def __init__(self, body: Sequence[Element], *, name: str = "pipeline") -> None:
        self.body: tuple[Element, ...] = tuple(body)
        self.name = name
        self._steps: dict[str, Step] = {}
        seen: list[str] = []
        for element in walk(self.body):
            if isinstance(element, Step):
                seen.append(element.name)
                self._steps[element.name] = element
            elif isinstance(element, Retry) and element.count < 1:
                raise PipelineDefinitionError(f"retry {element.key_name!r} needs a count of at least 1")
            elif isinstance(element, Parallel) and not element.branches:
                raise PipelineDefinitionError(f"parallel {element.key_name!r} has no branches")
            elif not isinstance(element, (Step, Stage, Parallel, Retry)):
                raise PipelineDefinitionError(f"{element!r} is not a Step, Stage, Parallel or Retry")
        if len(seen) != len(self._steps):
            raise DuplicateStepError(n for n in seen if seen.count(n) > 1)
        self._check_requirements()

    def steps(self) -> list[Step]:
        """Every step, in declaration order."""
        return list(self._steps.values())

    def step(self, name: str) -> Step:
        return self._steps[name]

    def __contains__(self, name: object) -> bool:
        return name in self._steps

    def _check_requirements(self) -> None:
        """Each required result must come from a step that finishes before the requiring one starts.

        Steps before it in the same sequence (or in enclosing sequences) qualify; steps of a
        sibling parallel branch do not, since branches run at the same time. Iterative: each
        frame is (iterator over a sequence, names available in it, set to publish them to).
        """
        stack: list[tuple[Iterator[Element], set[str], set[str] | None]] = [(iter(self.body), set(), None)]
        while stack:
            it, names, publish = stack[-1]
            element = next(it, None)
            if element is None:
                stack.pop()
                if publish is not None:
                    publish.update(names)
                continue
            if isinstance(element, Step):
                for param, needed in element.inputs.items():
                    if needed not in names:
                        where = "is not in the pipeline" if needed not in self._steps else "does not run before it"
                        raise PipelineDefinitionError(
                            f"step {element.name!r} requires the result of {needed!r} (parameter {param!r}), "
                            f"which {where}"
                        )
                names.add(element.name)
            elif isinstance(element, Parallel):
                # Every branch starts from a snapshot; their names reach the parent only when done.
                for body in reversed(list(element.branches.values())):
                    stack.append((iter(body), set(names), names))
            else:
                stack.append((iter(element.body), names, None))

    def __repr__(self) -> str:
        return f"Pipeline({self.name!r}, {len(self._steps)} steps)"
