"""CloudWatch Logs corrections for function logs.

- FilterLogEvents (and StartLiveTail) understand the whole filter pattern
  syntax (``filter_patterns``); moto knew single terms and quoted phrases and
  let every other pattern match everything. An invalid pattern is an
  ``InvalidParameterException`` even when no event is searched.
- FilterLogEvents always interleaves the streams' events by time, as AWS has
  done since 2019 (``interleaved`` is ignored), and refuses a ``limit``
  below 1.
"""

from __future__ import annotations

from typing import Any

from moto.logs import models
from moto.logs.exceptions import InvalidParameterException

from .. import filter_patterns

_backend = models.LogsBackend
_original = {name: getattr(_backend, name) for name in ("filter_log_events",)}


class PatternFilter:
    """Stands in for moto's EventMessageFilter."""

    def __init__(self, pattern: str | None) -> None:
        try:
            self.matcher = filter_patterns.compile(pattern)
        except filter_patterns.PatternError as error:
            raise InvalidParameterException(msg=error.message) from None

    def matches(self, message: str) -> bool:
        return self.matcher.matches(message)


def _filter_log_events(self: models.LogsBackend, *args: Any) -> Any:
    """moto's, after checking ``limit`` and the pattern, always interleaved."""
    group, streams, start, end, limit, token, pattern, _ = args
    if limit is not None and limit < 1:
        raise InvalidParameterException(
            constraint="Member must have value greater than or equal to 1",
            parameter="limit",
            value=limit,
        )
    PatternFilter(pattern)
    return _original["filter_log_events"](
        self, group, streams, start, end, limit, token, pattern, True
    )


def install() -> None:
    models.EventMessageFilter = PatternFilter
    _backend.filter_log_events = _filter_log_events
