"""``record`` a pipeline into a store, and ``resume`` it after its process died.

:func:`record` builds the pipeline from its factory, saves the factory's importable name and
JSON arguments in the execution record, and runs it, writing Jenkins-shaped nodes live.
:func:`resume` re-opens the store, applies Jenkins' rules (:meth:`FlowExecution.can_resume`),
re-imports the factory, matches steps to their records by unique name, restores the results of
completed steps without running them, and runs the rest, continuing the same flow graph.

What a resumed run does when the pipeline changed (TaskFlow's scenarios, decided here):

* **same steps** — completed steps are restored; the ones in flight at the crash run again
  (their old node is marked INTERRUPTED); the rest run.
* **step added** — it runs, wherever it was added.
* **step removed** — its record is left as it is and reported in ``orphaned``; its result is not
  offered to other steps (a step still requiring it is a definition error before anything runs).
* **step code changed** — compared by ``Step.version``: ``on_version_change="refuse"`` (the
  default) raises :class:`~flowgraph.errors.StepChangedError` before anything is written;
  ``"rerun"`` runs it again *and every step that used its result*; ``"keep"`` reuses the
  recorded result.
* **split or merged** — ``Step(replaces=[...])`` or ``resume(mapping={new: [old, …]})`` names
  the old steps whose work the new one took over: it counts as completed when all of them did,
  with the old result (one old step) or ``{old name: result}`` (several).
* **structure changed** — matching is by name only: completed steps stay completed wherever they
  now sit (another stage or branch); blocks that were open are re-entered only where the key
  (stage/branch path) still matches, the others are closed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from flowgraph.errors import (
    FactoryError,
    FlowGraphError,
    NotResumableError,
    PipelineDefinitionError,
    ResumeError,
    RunNotFoundError,
    StepChangedError,
)
from flowgraph.execution import FlowExecution
from flowgraph.graph import FlowGraph
from flowgraph.node import NodeKind
from flowgraph.recorder.engine import CommitHook, Engine
from flowgraph.recorder.factory import factory_name, json_arguments, load_factory
from flowgraph.recorder.logs import LogWriter
from flowgraph.recorder.pipeline import Pipeline
from flowgraph.recorder.walker import Walker, chain_of, old_blocks
from flowgraph.result import Result
from flowgraph.run import Clock, Run, system_clock
from flowgraph.stepdetail import StepRecordAction, StepState
from flowgraph.storage.base import Durability
from flowgraph.storage.registry import open_store
from flowgraph.storage.run_store import RunStore

__all__ = ["RecordedRun", "record", "resume", "VersionPolicy"]

VersionPolicy = Literal["refuse", "rerun", "keep"]


@dataclass
class RecordedRun:
    """The outcome of :func:`record` or :func:`resume`.

    ``executed`` lists the steps run by this call, ``restored`` the completed steps whose
    recorded results were reused, ``interrupted`` the steps that were in flight at the crash
    (run again), ``orphaned`` the recorded steps the pipeline no longer has (name → result),
    ``changed`` the steps whose version changed (name → (recorded, current)).
    """

    run: Run
    execution: FlowExecution
    store: RunStore
    results: dict[str, Any]
    executed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    interrupted: list[str] = field(default_factory=list)
    orphaned: dict[str, Any] = field(default_factory=dict)
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def result(self) -> Result | None:
        return self.run.result

    @property
    def graph(self) -> FlowGraph:
        return self.run.graph

    @property
    def url(self) -> str:
        return self.store.url


def _build(factory: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]) -> Pipeline:
    pipeline = factory(*args, **kwargs)
    if not isinstance(pipeline, Pipeline):
        raise PipelineDefinitionError(f"the factory returned {type(pipeline).__name__}, not a Pipeline")
    return pipeline


def _log_writer(store: RunStore, log_dir: str | os.PathLike[str] | None) -> LogWriter | None:
    target = Path(log_dir) if log_dir is not None else store.log_dir
    return LogWriter(target) if target is not None else None


def record(
    factory: Callable[..., Pipeline],
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    store: str | os.PathLike[str] | RunStore | None = None,
    durability: Durability = Durability.MAX_SURVIVABILITY,
    execution_id: str | None = None,
    name: str | None = None,
    log_dir: str | os.PathLike[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    on_commit: CommitHook | None = None,
    clock: Clock = system_clock,
) -> RecordedRun:
    """Build a pipeline with ``factory(*args, **kwargs)`` and run it, recording it live.

    ``store`` is a URL or path (see :func:`~flowgraph.storage.registry.open_store`), a store, or
    None for memory. Nothing is written when the factory is not re-importable, its arguments
    are not JSON, the pipeline is invalid, or the store already holds a run with this id.

    Examples
    --------
    >>> from flowgraph.recorder.examples import greeting_pipeline
    >>> done = record(greeting_pipeline, kwargs={"who": "world"})
    >>> done.result, done.results["greet"], done.execution.factory
    (<Result.SUCCESS: 0>, 'hello world', 'flowgraph.recorder.examples.greeting_pipeline')
    """
    fname = factory_name(factory)
    stored_args, stored_kwargs = json_arguments(args, kwargs or {})
    pipeline = _build(factory, stored_args, stored_kwargs)
    run_store = open_store(store, durability=durability, execution_id=execution_id, create=True)
    try:
        run_store.acquire_lease()  # one owner: a second recorder or a resume of this id is refused
        if run_store.load_execution() is not None:
            raise ResumeError(
                f"{run_store.url} already holds a run; resume it, or record into another store or execution id "
                "(nothing was overwritten)"
            )
        if len(run_store.storage):
            run_store.discard_nodes()  # a run killed before its first record: nothing of it was promised
    except BaseException:
        run_store.release()
        raise
    ex = FlowExecution(
        durability=durability,
        factory=fname,
        factory_args=stored_args,
        factory_kwargs=stored_kwargs,
        metadata=dict(metadata or {}),
        id=getattr(run_store, "execution_id", None) or execution_id or uuid.uuid4().hex,
        name=name or pipeline.name,
        script=f"{fname}(*{stored_args!r}, **{stored_kwargs!r})",
    )
    ex.metadata.setdefault("store", run_store.url)
    writer = _log_writer(run_store, log_dir)
    if writer is not None:
        ex.metadata["log_dir"] = str(writer.directory)
    ex.touch(clock())
    graph = FlowGraph(run_store.storage)
    engine = Engine(pipeline, run_store, ex, graph, durability=durability, log_writer=writer,
                    on_commit=on_commit, clock=clock)  # fmt: skip
    try:
        if durability is not Durability.MAX_SURVIVABILITY:
            engine.begin(resumed=False)  # rule 3: "not clean" is saved before the first node
        start = engine.add(NodeKind.FLOW_START, None, [engine.timing()], ())
        if durability is Durability.MAX_SURVIVABILITY:
            engine.begin(resumed=False)
        walker = Walker.root(engine, iter(pipeline.body), start.id, [], [start.id])
        error = walker.run()
        result = engine.finish(walker.tip, start.id, error)
    except BaseException:
        run_store.release()  # what was not committed stays uncommitted, as after a crash
        raise
    finally:
        engine.close()
        run_store.release_lease()
    return _outcome(engine, run_store, ex, result, clock)


def _outcome(engine: Engine, store: RunStore, ex: FlowExecution, result: Result, clock: Clock) -> RecordedRun:
    run = Run(
        engine.graph,
        result=result,
        start_ms=ex.created_ms,
        duration_ms=(ex.updated_ms or 0) - (ex.created_ms or 0),
        running=False,
        clock=clock,
        name=ex.name,
        execution=ex,
    )
    return RecordedRun(
        run, ex, store, dict(engine.results), executed=list(engine.executed), restored=list(engine.restored)
    )


@dataclass
class _Plan:
    skip: dict[str, Any]
    interrupted: list[str]
    orphaned: dict[str, Any]
    changed: dict[str, tuple[str, str]]


def _plan(
    pipeline: Pipeline,
    recorded: dict[str, tuple[StepRecordAction, str]],
    policy: VersionPolicy,
    mapping: Mapping[str, Sequence[str]],
) -> _Plan:
    """Decide, before anything is written, which steps are restored and which run."""
    skip: dict[str, Any] = {}
    changed: dict[str, tuple[str, str]] = {}
    used: set[str] = set()
    rerun: set[str] = set()
    for step in pipeline.steps():
        olds = list(mapping.get(step.name) or step.replaces)
        if olds:
            used.update(olds)
            records = [recorded.get(o) for o in olds]
            if all(r is not None and r[0].completed for r in records):
                values = {o: r[0].result for o, r in zip(olds, records, strict=True) if r is not None}
                skip[step.name] = values[olds[0]] if len(olds) == 1 else values
            continue
        found = recorded.get(step.name)
        if found is None:
            continue
        used.add(step.name)
        rec = found[0]
        if not rec.completed:
            continue
        if rec.version != step.version:
            changed[step.name] = (rec.version, step.version)
            if policy == "rerun":
                rerun.add(step.name)
                continue
        skip[step.name] = rec.result
    if changed and policy == "refuse":
        raise StepChangedError(changed)
    for step in pipeline.steps():  # declaration order: requirements point backwards
        if any(needed in rerun for needed in step.inputs.values()):
            rerun.add(step.name)
            skip.pop(step.name, None)
    interrupted = [n for n, (rec, _) in recorded.items() if rec.state is StepState.RUNNING]
    orphaned = {n: rec.result for n, (rec, _) in recorded.items() if n not in used}
    return _Plan(skip, interrupted, orphaned, changed)


def resume(
    record_or_url: str | os.PathLike[str] | RunStore | RecordedRun | FlowExecution,
    *,
    on_version_change: VersionPolicy = "refuse",
    mapping: Mapping[str, str | Sequence[str]] | None = None,
    pipeline: Pipeline | None = None,
    log_dir: str | os.PathLike[str] | None = None,
    on_commit: CommitHook | None = None,
    clock: Clock = system_clock,
    allow_factories: Sequence[str] | None = None,
) -> RecordedRun:
    """Resume a recorded run that did not finish (see the module docstring for the rules).

    A record names the factory to import and call, so stores are trusted input. As a guard,
    the factory must lie under one of the dotted prefixes ``allow_factories`` (by default its
    own top-level package, never the standard library or builtins), checked before anything
    is imported; see :func:`~flowgraph.recorder.factory.check_allowed`.

    Raises
    ------
    NotResumableError
        No record, a corrupt node storage, ``persisted_clean`` False, unknown under a lower
        durability, or the run is done.
    FactoryError
        The record names no factory, it no longer imports (pass ``pipeline=`` to override), or it
        is not under ``allow_factories``.
    StepChangedError
        Step versions changed and ``on_version_change`` is ``"refuse"``.
    """
    store = _open_target(record_or_url)
    try:
        store.acquire_lease()  # before reading the record: two resumes of one run never both run
        outcome = _resume(store, on_version_change, mapping, pipeline, log_dir, on_commit, clock, allow_factories)
    except BaseException:
        store.release()
        raise
    store.release_lease()
    return outcome


def _resume(
    store: RunStore,
    on_version_change: VersionPolicy,
    mapping: Mapping[str, str | Sequence[str]] | None,
    pipeline: Pipeline | None,
    log_dir: str | os.PathLike[str] | None,
    on_commit: CommitHook | None,
    clock: Clock,
    allow_factories: Sequence[str] | None = None,
) -> RecordedRun:
    try:
        ex = store.load_execution()
    except FlowGraphError as exc:  # rule 1: a damaged record or node storage is never resumed
        raise NotResumableError(
            f"the record or node storage is corrupt or incomplete ({exc})", where=store.url
        ) from exc
    if ex is None:
        raise NotResumableError(
            "it has no execution record (the run never saved its first record; record it again: "
            "the nodes it left are dropped)",
            where=store.url,
        )
    durability = ex.durability or Durability.MAX_SURVIVABILITY
    try:
        graph = FlowGraph(store.storage, heads=ex.head_ids if ex.heads else None)
        graph.validate()
    except FlowGraphError as exc:
        raise NotResumableError(f"the node storage is corrupt or incomplete ({exc})", where=store.url) from exc
    decision = ex.can_resume(store.storage)
    if not decision:
        raise NotResumableError(decision.reason, where=store.url)
    if pipeline is None:
        if not ex.factory:
            raise FactoryError(f"{store.url}: the record names no factory; resume with pipeline=... to supply one")
        factory = load_factory(ex.factory, allow_factories, restrict=True)
        pipeline = _build(factory, ex.factory_args, ex.factory_kwargs)
    recorded: dict[str, tuple[StepRecordAction, str]] = {}
    for node in graph:
        rec = node.get_action(StepRecordAction)
        if rec is not None:
            recorded[rec.name] = (rec, node.id)
    maps = {k: ([v] if isinstance(v, str) else list(v)) for k, v in (mapping or {}).items()}
    plan = _plan(pipeline, recorded, on_version_change, maps)
    heads = list(graph.head_ids)
    flow_start = graph.flow_start
    writer = _log_writer(store, log_dir if log_dir is not None else ex.metadata.get("log_dir"))
    engine = Engine(pipeline, store, ex, graph, durability=durability, skip=plan.skip, log_writer=writer,
                    on_commit=on_commit, clock=clock)  # fmt: skip
    try:
        engine.begin(resumed=True)
        for name in plan.interrupted:
            node = graph.node(recorded[name][1])
            was = recorded[name][0]
            node.replace_action(StepRecordAction(was.name, StepState.INTERRUPTED, was.version, None, was.attempt))
            engine.resave(node)
        old = old_blocks(graph, chain_of(graph, heads[0])) if heads else []
        walker = Walker.root(engine, iter(pipeline.body), heads[0] if heads else flow_start.id, old, heads)
        error = walker.run()
        walker._before_node()  # close old blocks the new definition never re-entered
        result = engine.finish(walker.tip, flow_start.id, error)
    finally:
        engine.close()
    outcome = _outcome(engine, store, ex, result, clock)
    outcome.interrupted = plan.interrupted
    outcome.orphaned = plan.orphaned
    outcome.changed = plan.changed
    return outcome


def _open_target(target: str | os.PathLike[str] | RunStore | RecordedRun | FlowExecution) -> RunStore:
    if isinstance(target, RecordedRun):
        return target.store
    if isinstance(target, FlowExecution):
        url = target.metadata.get("store")
        if not url:
            raise NotResumableError("the record does not say which store holds it (metadata['store'])")
        return open_store(str(url), durability=target.durability or Durability.MAX_SURVIVABILITY)
    if isinstance(target, RunStore):
        return target
    try:
        probe = open_store(target)
    except RunNotFoundError as exc:
        raise NotResumableError(f"it has no execution record ({exc})", where=os.fspath(target)) from exc
    try:
        ex = probe.load_execution()
    except FlowGraphError:
        return probe  # damaged: resume() refuses it with the reason
    if ex is not None and ex.durability is not None and ex.durability is not Durability.MAX_SURVIVABILITY:
        probe.close()
        return open_store(target, durability=ex.durability)
    return probe
