"""scanners: walking flow graphs, and what the walks tell (status, timing, the stage tree).

Choosing:

* "How did each stage, branch and step go, and how long did it take?" → :func:`analyze`
  (one linear pass; :class:`RunAnalysis` with the stage tree, ``status_of``/``timing_of``
  for any node, and DataFrames), or just :func:`stage_tree`.
* Jenkins' individual rules on chunks you cut yourself → :func:`chunk_status`,
  :func:`chunk_timing`, :func:`branch_statuses`, :func:`branch_timings`, :func:`parallel_timing`.
"""

from scanners.analysis import RunAnalysis, analyze
from scanners.chunk_status import branch_statuses, chunk_status, worst_warning_between
from scanners.frames import nodes_frame, stages_frame, steps_frame, to_dataframe
from scanners.stage_tree import StageNode, StageType, StepInfo, stage_tree, walk_stages
from scanners.status import Status
from scanners.timing import TimingInfo, branch_timings, chunk_timing, parallel_timing, pause_duration

__all__ = [
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
    "RunAnalysis",
    "analyze",
    "to_dataframe",
    "stages_frame",
    "steps_frame",
    "nodes_frame",
]
