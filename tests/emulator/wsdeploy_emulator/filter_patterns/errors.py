"""What every filter-pattern parser shares: the error an invalid pattern
raises, with the message CloudWatch Logs answers, and the matcher protocol.

Messages observed from FilterLogEvents: ``Invalid filter pattern: Invalid
character(s) in term '<characters>'`` for a term with characters that need
quotes, and a bare ``Invalid filter pattern`` for other syntax errors.
"""

from __future__ import annotations

from typing import Protocol


class Matcher(Protocol):
    def matches(self, message: str) -> bool: ...


class PatternError(ValueError):
    """A filter pattern CloudWatch Logs would refuse."""

    def __init__(self, message: str = "Invalid filter pattern") -> None:
        super().__init__(message)
        self.message = message


def invalid_term(term: str) -> PatternError:
    return PatternError(f"Invalid filter pattern: Invalid character(s) in term '{term}'")
