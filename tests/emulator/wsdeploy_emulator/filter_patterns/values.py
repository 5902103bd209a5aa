"""Comparing one value taken from a log event (a JSON member, a field of a
space-delimited event) with the literal a pattern gives for it.

- ``=`` / ``!=`` compare text, case-sensitively. A ``*`` at the start and/or
  end of the literal matches any text there (``*Event``, ``Event*``,
  ``*Event*``; a ``*`` inside, as in ``Ev*ent``, is itself), ``*`` alone
  matches any value, and ``%regex%`` matches by regular expression.
  An unquoted number compares numerically when the value is a number.
- ``<``, ``>``, ``<=``, ``>=`` need a number on both sides.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import PatternError, invalid_term

NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
ORDERINGS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
OPERATORS = ("=", "!=", *ORDERINGS)
# What the user guide allows between the two % of a regular expression.
REGEX_CHARS = re.compile(r"[A-Za-z0-9_#=@/;,:\-^$?\[\]{}|\\*+.]*")


def regex(body: str) -> re.Pattern[str]:
    """The regular expression of a ``%...%`` term (without the %)."""
    if not body or not REGEX_CHARS.fullmatch(body):
        raise invalid_term(f"%{body}%")
    try:
        return re.compile(body)
    except re.error as error:
        raise PatternError() from error


@dataclass(frozen=True)
class Literal:
    text: str
    quoted: bool = False

    @property
    def number(self) -> float | None:
        if self.quoted or not NUMBER.fullmatch(self.text):
            return None
        return float(self.text)

    @property
    def pattern(self) -> re.Pattern[str] | None:
        if len(self.text) > 1 and self.text.startswith("%") and self.text.endswith("%"):
            return regex(self.text[1:-1])
        return None


def literal(token: str) -> Literal:
    """A literal from its token: ``"quoted \\" text"`` or a bare word."""
    if token.startswith('"'):
        return Literal(re.sub(r"\\(.)", r"\1", token[1:-1]), quoted=True)
    return Literal(token)


def check(op: str, lit: Literal) -> None:
    """Refuse, as CloudWatch Logs does, a comparison that cannot be made."""
    if op not in OPERATORS or (op in ORDERINGS and lit.number is None):
        raise PatternError()
    _ = lit.pattern  # compiles a %regex%, refusing an invalid one


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and NUMBER.fullmatch(value):
        return float(value)
    return None


def as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return None


def text_equals(text: str, lit: Literal) -> bool:
    pattern = lit.pattern
    if pattern is not None:
        return pattern.search(text) is not None
    wanted = lit.text
    if wanted == "*":
        return True
    starts, ends = wanted.startswith("*"), wanted.endswith("*")
    core = wanted[1 if starts else 0 : -1 if ends else None]
    if starts and ends:
        return core in text
    if starts:
        return text.endswith(core)
    if ends:
        return text.startswith(core)
    return text == wanted


def equals(value: Any, lit: Literal) -> bool:
    number = lit.number
    if number is not None and isinstance(as_number(value), float):
        return as_number(value) == number
    text = as_text(value)
    return text is not None and text_equals(text, lit)


def compare(op: str, value: Any, lit: Literal) -> bool:
    """Whether ``value op lit`` holds for a scalar value (never for a missing
    value, ``null``, an object or an array)."""
    if value is None or isinstance(value, (dict, list)):
        return False
    if op in ORDERINGS:
        number = as_number(value)
        return number is not None and ORDERINGS[op](number, lit.number)
    return equals(value, lit) == (op == "=")
