"""Space-delimited filter patterns: ``[name, name = value, ..., name > 10]``.

An event is split into fields at spaces; text between double quotes or
square brackets is one field (without them). The pattern names the fields in
order; ``...`` stands for any number of fields (at most one ``...`` here).
Without ``...`` the event must have exactly as many fields as the pattern.
A field may carry conditions, ``status_code = 4* && bytes > 1000`` or
``w1 = ERROR || w1 = WARN``, over any named field; values compare as
``values`` says.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import values
from .errors import PatternError

Env = dict[str, str]
Node = Callable[[Env], bool]
SLOTS = re.compile(r'(?:"(?:[^"\\]|\\.)*"|[^,"])+')
TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|(&&|\|\||!=|<=|>=|=|<|>)|([^\s&|=!<>"]+))')
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
EVENT_FIELD = re.compile(r'"([^"]*)"|\[([^\]]*)\]|(\S+)')


def lex(text: str) -> list[str]:
    tokens, position = [], 0
    while text[position:].strip():
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise PatternError()
        tokens.append(match.group(match.lastindex or 0))
        position = match.end()
    return tokens


def condition(tokens: list[str]) -> Node:
    if len(tokens) != 3 or not NAME.fullmatch(tokens[0]):
        raise PatternError()
    name, op, lit = tokens[0], tokens[1], values.literal(tokens[2])
    values.check(op, lit)
    return lambda env: name in env and values.compare(op, env[name], lit)


def expression(tokens: list[str]) -> Node:
    alternatives = []
    for part in _split(tokens, "||"):
        nodes = [condition(conjunct) for conjunct in _split(part, "&&")]
        alternatives.append(lambda env, nodes=nodes: all(n(env) for n in nodes))
    return lambda env: any(a(env) for a in alternatives)


def _field(match: re.Match[str]) -> str:
    return next(group for group in match.groups() if group is not None)


def _split(tokens: list[str], separator: str) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token == separator:
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


@dataclass
class Slot:
    name: str
    test: Node | None = None


@dataclass
class DelimitedPattern:
    before: list[Slot] = field(default_factory=list)
    after: list[Slot] | None = None  # slots after the `...`, if there is one

    def bind(self, fields: list[str]) -> Env | None:
        """The fields by name, or None when the event has too few or (without
        ``...``) too many fields."""
        after = self.after or []
        wanted = len(self.before) + len(after)
        if len(fields) < wanted or (self.after is None and len(fields) != wanted):
            return None
        chosen = fields[: len(self.before)] + fields[len(fields) - len(after) :]
        return dict(zip([s.name for s in self.before + after], chosen))

    def matches(self, message: str) -> bool:
        env = self.bind([_field(m) for m in EVENT_FIELD.finditer(message)])
        slots = self.before + (self.after or [])
        return env is not None and all(s.test is None or s.test(env) for s in slots)


def slot(text: str) -> Slot:
    tokens = lex(text)
    if not tokens or not NAME.fullmatch(tokens[0]):
        raise PatternError()
    return Slot(tokens[0], expression(tokens) if len(tokens) > 1 else None)


def parse(pattern: str) -> DelimitedPattern:
    if not pattern.endswith("]"):
        raise PatternError()
    parsed = DelimitedPattern()
    for match in SLOTS.finditer(pattern[1:-1]):
        text = match.group().strip()
        if text in ("...", "\u2026"):
            if parsed.after is not None:
                raise PatternError()
            parsed.after = []
        elif text:
            (parsed.before if parsed.after is None else parsed.after).append(slot(text))
    if not parsed.before and parsed.after is None:
        raise PatternError()
    return parsed
