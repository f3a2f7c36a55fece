"""Walk and analyse flow graphs without recursion: Jenkins' graph-analysis library in Python.

Which scanner?

* Every node, fast, order unimportant: :class:`DepthFirstScanner`.
* Back from one node to the flow start along first parents: :class:`LinearScanner`.
* What ran before a node at its own or an outer level, skipping finished blocks:
  :class:`LinearBlockHoppingScanner`.
* Every node, blocks in order, a parallel's branches together: :class:`ForkScanner`
  (and :meth:`ForkScanner.visit_simple_chunks` for chunk callbacks).

Every scanner takes heads as nodes, one node, a :class:`~flowgraph.FlowGraph` or a
:class:`~flowgraph.Run`, plus an optional deny list, and iterates :class:`~flowgraph.FlowNode`
objects. Filter with plain callables from :mod:`scanners.predicates` (combine with ``&``,
``|``, ``~``); cut chunks with :class:`BlockChunkFinder`, :class:`LabelledChunkFinder` or
:class:`StageChunkFinder` and collect them with :class:`StandardChunkVisitor`.

Status and timing (what the walks tell):

* "How did each stage, branch and step go, and how long did it take?" → :func:`analyze`
  (one linear pass; :class:`RunAnalysis` with the stage tree, ``status_of``/``timing_of``
  for any node, and DataFrames), or just :func:`stage_tree`.
* "What changed since the last good run, and which steps set its duration?" →
  :func:`diff_runs` and :func:`critical_path` (rows keyed by path: :mod:`scanners.run_rows`).
* Jenkins' individual rules on chunks you cut yourself → :func:`chunk_status`,
  :func:`chunk_timing`, :func:`branch_statuses`, :func:`branch_timings`, :func:`parallel_timing`.

Example
-------
>>> from flowgraph import GraphBuilder
>>> from scanners import DepthFirstScanner, step_name
>>> b = GraphBuilder()
>>> with b.stage("Build"):
...     _ = b.step("sh", script="make")
>>> [n.argument_summary() for n in DepthFirstScanner().filtered_nodes(b.build().graph, step_name("sh"))]
['make']
"""

from scanners.analysis import RunAnalysis, analyze
from scanners.base import Filterator, FlowScanner, Heads, NodeRefs, Predicate
from scanners.block_hopping import LinearBlockHoppingScanner
from scanners.chunk_status import branch_statuses, chunk_status, worst_warning_between
from scanners.chunk_walk import visit_simple_chunks
from scanners.chunks import BlockChunkFinder, ChunkFinder, LabelledChunkFinder, NoOpChunkFinder, StageChunkFinder
from scanners.critical_path import critical_path
from scanners.depth_first import DepthFirstScanner
from scanners.failures import Failure, FailureSummary, failure_summary
from scanners.fork import ForkScanner
from scanners.frames import nodes_frame, stages_frame, steps_frame, to_dataframe
from scanners.linear import LinearScanner
from scanners.logs import LogTail, has_logs, iter_stage_log, iter_step_log, step_log, tail_lines
from scanners.memory_chunks import MemoryFlowChunk, ParallelMemoryFlowChunk
from scanners.parallels import (
    NodeType,
    find_last_running_node,
    is_branch_start,
    is_parallel_end,
    is_parallel_start,
    node_type,
)
from scanners.predicates import (
    NodePredicate,
    has_action,
    has_error,
    has_label,
    is_atom,
    is_block_end,
    is_block_start,
    is_parallel,
    is_parallel_branch,
    is_stage,
    predicate,
    step_name,
)
from scanners.run_checks import format_time_ms, run_warnings
from scanners.run_diff import RunDiff, diff_runs
from scanners.stage_tree import StageNode, StageType, StepInfo, stage_tree, walk_stages
from scanners.status import Status
from scanners.timing import TimingInfo, branch_timings, chunk_timing, parallel_timing, pause_duration
from scanners.utils import (
    FlowScanningUtils,
    fetch_enclosing_blocks,
    filter_by_action,
    id_order_compare,
    sort_by_id,
    sort_by_start_time,
    time_order_compare,
)
from scanners.visitors import FlowNodeVisitor, SimpleChunkVisitor, StandardChunkVisitor

__all__ = [
    # scanners
    "FlowScanner",
    "DepthFirstScanner",
    "LinearScanner",
    "LinearBlockHoppingScanner",
    "ForkScanner",
    "Filterator",
    "Heads",
    "NodeRefs",
    "Predicate",
    # parallels
    "NodeType",
    "is_parallel_start",
    "is_parallel_end",
    "is_branch_start",
    "node_type",
    "find_last_running_node",
    # visitors and chunks
    "FlowNodeVisitor",
    "SimpleChunkVisitor",
    "StandardChunkVisitor",
    "ChunkFinder",
    "BlockChunkFinder",
    "LabelledChunkFinder",
    "StageChunkFinder",
    "NoOpChunkFinder",
    "MemoryFlowChunk",
    "ParallelMemoryFlowChunk",
    "visit_simple_chunks",
    # predicates
    "NodePredicate",
    "predicate",
    "step_name",
    "has_action",
    "has_label",
    "is_stage",
    "is_parallel_branch",
    "is_parallel",
    "has_error",
    "is_block_start",
    "is_block_end",
    "is_atom",
    # utils
    "FlowScanningUtils",
    "fetch_enclosing_blocks",
    "filter_by_action",
    "time_order_compare",
    "id_order_compare",
    "sort_by_start_time",
    "sort_by_id",
    # status and timing (issue 6)
    "Status",
    "TimingInfo",
    "chunk_status",
    "chunk_timing",
    "branch_statuses",
    "branch_timings",
    "parallel_timing",
    "pause_duration",
    "worst_warning_between",
    "StageNode",
    "StageType",
    "StepInfo",
    "stage_tree",
    "walk_stages",
    # failures and logs (issue 13)
    "Failure",
    "FailureSummary",
    "failure_summary",
    "LogTail",
    "has_logs",
    "iter_step_log",
    "iter_stage_log",
    "step_log",
    "tail_lines",
    "run_warnings",
    "format_time_ms",
    "RunAnalysis",
    "analyze",
    "to_dataframe",
    "stages_frame",
    "steps_frame",
    "nodes_frame",
    # cross-run comparison (issue 15)
    "diff_runs",
    "RunDiff",
    "critical_path",
]
