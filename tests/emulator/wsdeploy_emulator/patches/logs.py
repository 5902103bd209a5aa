"""CloudWatch Logs corrections for function logs.

- FilterLogEvents (and StartLiveTail) understand the whole filter pattern
  syntax (``filter_patterns``); moto knew single terms and quoted phrases and
  let every other pattern match everything. An invalid pattern is an
  ``InvalidParameterException`` even when no event is searched.
- FilterLogEvents always interleaves the streams' events by time, as AWS has
  done since 2019 (``interleaved`` is ignored), and refuses a ``limit``
  below 1.
- TagResource, UntagResource and ListTagsForResource on a log-group ARN
  (``arn:aws:logs:<region>:<account>:log-group:<name>``, without ``:*``)
  need the group to exist (``ResourceNotFoundException``; moto tagged any
  ARN), and DeleteLogGroup forgets the group's tags (moto kept them for the
  next group of that name).
- PutRetentionPolicy accepts only the retention periods AWS offers.
"""

from __future__ import annotations

from typing import Any

from moto.logs import models
from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException

from .. import filter_patterns

RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
    2557, 2922, 3288, 3653,
)  # fmt: skip
LOG_GROUP_ARN = ":log-group:"

_backend = models.LogsBackend
_original = {
    name: getattr(_backend, name)
    for name in (
        "filter_log_events",
        "tag_resource",
        "untag_resource",
        "list_tags_for_resource",
        "delete_log_group",
        "put_retention_policy",
    )
}


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


def _require_group(backend: models.LogsBackend, arn: str) -> None:
    if LOG_GROUP_ARN in arn and arn.split(LOG_GROUP_ARN, 1)[1] not in backend.groups:
        raise ResourceNotFoundException()


def _checked(name: str) -> Any:
    original = _original[name]

    def call(self: models.LogsBackend, arn: str, *rest: Any) -> Any:
        _require_group(self, arn)
        return original(self, arn, *rest)

    return call


def _delete_log_group(self: models.LogsBackend, log_group_name: str) -> None:
    group = self.groups.get(log_group_name)
    _original["delete_log_group"](self, log_group_name)
    if group is not None:
        self.tagger.delete_all_tags_for_resource(group.arn)


def _put_retention_policy(self: models.LogsBackend, name: str, days: Any) -> None:
    if days not in RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in RETENTION_DAYS)
        raise InvalidParameterException(
            constraint=f"Member must satisfy enum value set: [{allowed}]",
            parameter="retentionInDays",
            value=days,
        )
    _original["put_retention_policy"](self, name, days)


def install() -> None:
    models.EventMessageFilter = PatternFilter
    _backend.filter_log_events = _filter_log_events
    for name in ("tag_resource", "untag_resource", "list_tags_for_resource"):
        setattr(_backend, name, _checked(name))
    _backend.delete_log_group = _delete_log_group
    _backend.put_retention_policy = _put_retention_policy
