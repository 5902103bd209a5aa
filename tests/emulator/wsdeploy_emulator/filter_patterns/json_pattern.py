"""JSON filter patterns: ``{ SELECTOR OPERATOR VALUE }`` conditions joined
with ``&&`` and ``||`` (``&&`` binds tighter) and grouped with parentheses.

- SELECTOR: ``$`` followed by ``.member`` and ``[index]`` steps
  (``$.level``, ``$.users[0].id``);
- ``=`` / ``!=`` / ``<`` / ``>`` / ``<=`` / ``>=`` with a quoted or bare
  value, compared as ``values`` says;
- ``IS NULL``, ``IS TRUE``, ``IS FALSE``, ``NOT EXISTS``.

A condition on a member that is missing, or that is an object or an array,
is false (``!=`` included). Events whose message is not JSON never match.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import values
from .errors import PatternError

Node = Callable[[Any], bool]
TOKEN = re.compile(
    r"""\s*(?:
      (?P<selector>\$(?:\.[A-Za-z0-9_\-]+|\[\d+\])*)
    | (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<symbol>&&|\|\||!=|<=|>=|=|<|>|\(|\))
    | (?P<word>[^\s()&|=!<>"]+)
    )""",
    re.VERBOSE,
)
STEP = re.compile(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]")
MISSING = object()
KEYWORD_TESTS: dict[tuple[str, str], Callable[[Any], bool]] = {
    ("IS", "NULL"): lambda value: value is None,
    ("IS", "TRUE"): lambda value: value is True,
    ("IS", "FALSE"): lambda value: value is False,
    ("NOT", "EXISTS"): lambda value: value is MISSING,
}


def lex(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while text[position:].strip():
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise PatternError()
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def steps(selector: str) -> list[str | int]:
    return [m.group(1) if m.group(1) else int(m.group(2)) for m in STEP.finditer(selector)]


def resolve(document: Any, path: list[str | int]) -> Any:
    for step in path:
        if isinstance(step, int):
            found = isinstance(document, list) and step < len(document)
        else:
            found = isinstance(document, dict) and step in document
        if not found:
            return MISSING
        document = document[step]
    return document


@dataclass
class Parser:
    tokens: list[tuple[str, str]]
    position: int = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("", "")

    def take(self, kind: str | None = None) -> str:
        token = self.peek()
        if not token[0] or (kind is not None and token[0] != kind):
            raise PatternError()
        self.position += 1
        return token[1]

    def expression(self) -> Node:
        nodes = [self.conjunction()]
        while self.peek() == ("symbol", "||"):
            self.take()
            nodes.append(self.conjunction())
        return nodes[0] if len(nodes) == 1 else lambda doc: any(n(doc) for n in nodes)

    def conjunction(self) -> Node:
        nodes = [self.atom()]
        while self.peek() == ("symbol", "&&"):
            self.take()
            nodes.append(self.atom())
        return nodes[0] if len(nodes) == 1 else lambda doc: all(n(doc) for n in nodes)

    def atom(self) -> Node:
        if self.peek() == ("symbol", "("):
            self.take()
            node = self.expression()
            if self.take("symbol") != ")":
                raise PatternError()
            return node
        return self.condition(steps(self.take("selector")))

    def condition(self, path: list[str | int]) -> Node:
        kind, text = self.peek()
        if kind == "word":
            self.take()
            test = KEYWORD_TESTS.get((text.upper(), self.take("word").upper()))
            if test is None:
                raise PatternError()
            return lambda doc: test(resolve(doc, path))
        op = self.take("symbol")
        kind, token = self.peek()
        if kind not in ("string", "word"):
            raise PatternError()
        self.take()
        lit = values.literal(token)
        values.check(op, lit)
        return lambda doc: values.compare(op, _scalar(resolve(doc, path)), lit)


def _scalar(value: Any) -> Any:
    return None if value is MISSING else value


@dataclass
class JsonPattern:
    node: Node

    def matches(self, message: str) -> bool:
        try:
            document = json.loads(message)
        except ValueError:
            return False
        return isinstance(document, (dict, list)) and self.node(document)


def parse(pattern: str) -> JsonPattern:
    if not (pattern.startswith("{") and pattern.endswith("}")):
        raise PatternError()
    parser = Parser(lex(pattern[1:-1]))
    node = parser.expression()
    if parser.position != len(parser.tokens):
        raise PatternError()
    return JsonPattern(node)
