"""Error signatures: one message shape for errors that differ only in numbers, ids and paths.

``"3 failures in 41 tests"`` and ``"7 failures in 41 tests"`` are the same problem; so are two
timeouts after different durations, or two ``FileNotFoundException``s on different workspace
paths. :func:`normalise_message` masks what varies from run to run (durations, UUIDs and hex
ids, file paths and URLs, numbers) and :func:`signature` prefixes the error's short type, so
equal signatures group failures across runs and jobs.

Examples
--------
>>> normalise_message("3 failures in 41 tests")
'<n> failures in <n> tests'
>>> normalise_message("Timeout after 12.5s waiting for /var/lib/jenkins/ws/app@2/out.log")
'Timeout after <duration> waiting for <path>'
>>> signature("hudson.AbortException", "script returned exit code 137")
'AbortException: script returned exit code <n>'
"""

from __future__ import annotations

import re

__all__ = ["normalise_message", "signature"]

_MAX_LENGTH = 300
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<id>"),
    (re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://\S+"), "<url>"),
    (re.compile(r"(?<![\w.])(?:[A-Za-z]:)?(?:[\\/][\w.@+\-~$]+)+[\\/]?"), "<path>"),
    (re.compile(r"\b(?:0x)?(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*[0-9])[0-9a-fA-F]{7,}\b"), "<hex>"),
    (
        re.compile(
            r"\b\d+(?:\.\d+)?\s?(?:ms|milliseconds?|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)\b",
            re.IGNORECASE,
        ),
        "<duration>",
    ),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
    (re.compile(r"\s+"), " "),
)


def normalise_message(message: str | None) -> str:
    """The message with run-specific parts masked (see the module docstring); ``""`` for None."""
    if not message:
        return ""
    text = message.strip().splitlines()[0] if message.strip() else ""
    for pattern, mask in _RULES:
        text = pattern.sub(mask, text)
    return text.strip()[:_MAX_LENGTH]


def signature(error_type: str | None, message: str | None) -> str:
    """``"<ShortType>: <normalised message>"``, the key errors are grouped by."""
    short = (error_type or "Error").replace("$", ".").rsplit(".", 1)[-1]
    normal = normalise_message(message)
    return f"{short}: {normal}" if normal else short
