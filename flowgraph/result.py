"""Jenkins' build ``Result``: the outcome of a run, of a warning, or of an interruption.

Jenkins orders results by an ordinal (SUCCESS 0 … ABORTED 4); "worse" means a higher
ordinal. The ordinal, colour and ``completeBuild`` flag are part of the on-disk format
(see ``reference/jenkins-disk-format.md`` §3), so they live here with the names.
"""

from __future__ import annotations

from enum import Enum

from flowgraph.errors import InvalidValueError

__all__ = ["Result"]


class Result(Enum):
    """A Jenkins build result, ordered by severity.

    Examples
    --------
    >>> Result.FAILURE.is_worse_than(Result.UNSTABLE)
    True
    >>> Result.parse("aborted")
    <Result.ABORTED: 4>
    >>> Result.worst([Result.SUCCESS, Result.UNSTABLE])
    <Result.UNSTABLE: 1>
    """

    SUCCESS = 0
    UNSTABLE = 1
    FAILURE = 2
    NOT_BUILT = 3
    ABORTED = 4

    @property
    def ordinal(self) -> int:
        """Jenkins' ordinal: the severity used to pick the worst of several results."""
        return int(self.value)

    @property
    def color(self) -> str:
        """The ball colour Jenkins stores next to the result (``BLUE`` for success)."""
        return _COLORS[self]

    @property
    def complete_build(self) -> bool:
        """Whether Jenkins counts a run with this result as having completed its build."""
        return self in (Result.SUCCESS, Result.UNSTABLE, Result.FAILURE)

    def is_worse_than(self, other: Result) -> bool:
        """True when this result is more severe than ``other``."""
        return self.value > other.value

    @classmethod
    def parse(cls, text: str) -> Result:
        """Read a result name as Jenkins writes it (case-insensitive); anything else is an InvalidValueError."""
        try:
            return cls[text.strip().upper()]
        except (KeyError, AttributeError):
            raise InvalidValueError(
                f"unknown Jenkins result {text!r}; expected one of {[r.name for r in cls]}"
            ) from None

    @staticmethod
    def worst(results: list[Result] | tuple[Result, ...]) -> Result | None:
        """The most severe of ``results``, or None for none."""
        return max(results, key=lambda r: r.value) if results else None


_COLORS = {
    Result.SUCCESS: "BLUE",
    Result.UNSTABLE: "YELLOW",
    Result.FAILURE: "RED",
    Result.NOT_BUILT: "NOTBUILT",
    Result.ABORTED: "ABORTED",
}
