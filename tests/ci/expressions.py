"""Enough of GitHub Actions' `${{ }}` expression language to run karto-smtp's workflow.

Covers what the shipped workflow and action use: context paths (`steps.plan.outputs.x`),
string literals, `==`, `!=`, `!`, `&&`, `||` (with GitHub's value-returning semantics),
parentheses, and `always()`, `success()`, `failure()`, `format()`. Anything else raises,
so a workflow change that needs more fails the test instead of being misread.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+)|(?P<op>==|!=|&&|\|\||[!(),])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot read expression {text!r} at {position}")
        kind = match.lastgroup
        assert kind is not None
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


def truthy(value: Any) -> bool:
    return value not in (None, "", 0, False)


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


class Evaluator:
    def __init__(self, contexts: Mapping[str, Any], status: Callable[[str], bool]) -> None:
        self.contexts = contexts
        self.status = status

    def evaluate(self, text: str) -> Any:
        self.tokens = _tokens(text)
        self.index = 0
        value = self._or()
        if self.index != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.index]} in {text!r}")
        return value

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == ("op", "||"):
            self._take()
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._compare()
        while self._peek() == ("op", "&&"):
            self._take()
            right = self._compare()
            value = right if truthy(value) else value
        return value

    def _compare(self) -> Any:
        value = self._unary()
        while self._peek() in (("op", "=="), ("op", "!=")):
            _, op = self._take()
            right = self._unary()
            same = as_text(value).lower() == as_text(right).lower()
            value = same if op == "==" else not same
        return value

    def _unary(self) -> Any:
        if self._peek() == ("op", "!"):
            self._take()
            return not truthy(self._unary())
        return self._primary()

    def _primary(self) -> Any:
        kind, text = self._take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return int(text)
        if (kind, text) == ("op", "("):
            value = self._or()
            assert self._take() == ("op", ")")
            return value
        if kind == "name" and self._peek() == ("op", "("):
            self._take()
            args: list[Any] = []
            while self._peek() != ("op", ")"):
                args.append(self._or())
                if self._peek() == ("op", ","):
                    self._take()
            self._take()
            return self._call(text, args)
        if kind == "name":
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
            return self._lookup(text)
        raise ValueError(f"unexpected token {text!r}")

    def _call(self, name: str, args: list[Any]) -> Any:
        if name in ("always", "success", "failure", "cancelled") and not args:
            return self.status(name)
        if name == "format":
            template = as_text(args[0])
            for index, value in enumerate(args[1:]):
                template = template.replace("{" + str(index) + "}", as_text(value))
            return template
        raise ValueError(f"function {name}() is not supported by this test harness")

    def _lookup(self, path: str) -> Any:
        head, *rest = path.split(".")
        if head not in self.contexts:
            raise ValueError(f"unknown context {head!r} in {path!r}")
        value: Any = self.contexts[head]
        for part in rest:
            value = value.get(part) if isinstance(value, Mapping) else None
        return value


_INTERPOLATION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def interpolate(text: str, evaluator: Evaluator) -> str:
    return _INTERPOLATION.sub(lambda m: as_text(evaluator.evaluate(m.group(1))), text)


def condition(text: str | bool | None, evaluator: Evaluator) -> bool:
    """A step's or job's `if:`; none means success()."""
    if text is None:
        return evaluator.status("success")
    if isinstance(text, bool):
        return text
    stripped = text.strip()
    match = _INTERPOLATION.fullmatch(stripped)
    expression = match.group(1) if match else stripped
    if not re.search(r"\b(always|success|failure|cancelled)\(\)", expression):
        # GitHub wraps a condition without a status function in success() && (...).
        return evaluator.status("success") and truthy(evaluator.evaluate(expression))
    return truthy(evaluator.evaluate(expression))
