"""CloudWatch Logs filter patterns, as FilterLogEvents and StartLiveTail read
their ``filterPattern`` ("Filter pattern syntax for metric filters,
subscription filters, filter log events and Live Tail" in the CloudWatch
Logs user guide).

``compile(pattern)`` parses a pattern once (cached) into a ``Matcher`` whose
``matches(message)`` says whether a log event's message matches; an invalid
pattern raises ``PatternError``. The kind of pattern is chosen by its first
character:

- nothing (empty or blank): every event matches;
- ``{``: a JSON pattern (``json_pattern``);
- ``[``: a space-delimited pattern (``delimited``);
- anything else: terms in unstructured text (``text``).
"""

from __future__ import annotations

import functools

from . import delimited, json_pattern, text
from .errors import Matcher, PatternError

__all__ = ["Matcher", "PatternError", "compile"]


class MatchAll:
    def matches(self, message: str) -> bool:
        return True


@functools.lru_cache(maxsize=256)
def compile(pattern: str | None) -> Matcher:  # named after re.compile
    stripped = (pattern or "").strip()
    if not stripped:
        return MatchAll()
    if stripped.startswith("{"):
        return json_pattern.parse(stripped)
    if stripped.startswith("["):
        return delimited.parse(stripped)
    return text.parse(stripped)
