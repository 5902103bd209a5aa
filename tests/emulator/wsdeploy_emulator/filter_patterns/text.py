"""Filter patterns over unstructured text: terms separated by spaces.

- ``ERROR`` matches events that contain ERROR (anywhere, ``ERRORCODE`` too);
  matching is case-sensitive;
- several terms must all appear (``ERROR Exception``);
- ``"exact phrase"`` is one term; a term with characters other than letters,
  digits and ``_`` must be quoted, otherwise the pattern is invalid;
- ``?term`` terms: at least one of them must appear (``?ERROR ?WARN``);
- ``-term`` terms must not appear (``ERROR -Exiting``);
- ``%regex%`` is a term matched by regular expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import PatternError, invalid_term
from .values import regex

TOKEN = re.compile(r'([?-]?)("(?:[^"\\]|\\.)*"|%[^%\s]*%|[^\s"]+)(?=\s|$)')
WORD = re.compile(r"[A-Za-z0-9_]+")
NOT_WORD = re.compile(r"[^A-Za-z0-9_]+")


@dataclass(frozen=True)
class Term:
    text: str = ""
    pattern: re.Pattern[str] | None = None

    def found_in(self, message: str) -> bool:
        if self.pattern is not None:
            return self.pattern.search(message) is not None
        return self.text in message


@dataclass
class TextPattern:
    required: list[Term] = field(default_factory=list)
    any_of: list[Term] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)

    def matches(self, message: str) -> bool:
        return (
            all(term.found_in(message) for term in self.required)
            and not any(term.found_in(message) for term in self.excluded)
            and (not self.any_of or any(term.found_in(message) for term in self.any_of))
        )


def term(token: str) -> Term:
    if token.startswith('"'):
        if len(token) < 2 or not token.endswith('"') or token == '""':
            raise invalid_term(token)
        return Term(text=re.sub(r"\\(.)", r"\1", token[1:-1]))
    if len(token) > 1 and token.startswith("%") and token.endswith("%"):
        return Term(pattern=regex(token[1:-1]))
    if not WORD.fullmatch(token):
        bad = NOT_WORD.search(token)
        raise invalid_term(bad.group() if bad else token)
    return Term(text=token)


def parse(pattern: str) -> TextPattern:
    parsed = TextPattern()
    position = 0
    for match in TOKEN.finditer(pattern):
        if pattern[position : match.start()].strip():
            raise invalid_term(pattern[position : match.start()].strip())
        prefix, body = match.groups()
        groups = {"": parsed.required, "?": parsed.any_of, "-": parsed.excluded}
        groups[prefix].append(term(body))
        position = match.end()
    if pattern[position:].strip():
        raise invalid_term(pattern[position:].strip())
    if not (parsed.required or parsed.any_of or parsed.excluded):
        raise PatternError()
    return parsed
