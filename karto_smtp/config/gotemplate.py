"""A checker for Go template syntax, as Supabase Auth parses its email templates.

Auth parses every subject and body with Go's `html/template` (which parses with
`text/template/parse`) and no extra functions. This module re-implements that grammar from
Go's documentation (https://pkg.go.dev/text/template) and its observable behaviour:
delimiters `{{ }}` with trim markers `{{- -}}`, comments `{{/* */}}`, strings, raw strings,
numbers and characters, pipelines, variables (`$x :=`, `$x =`), fields, calls of the
builtin functions, `if`/`else if`/`else`/`end`, `range` (with `break`/`continue`), `with`
(and `else with`), `define`, `block` and `template`.

`parse()` returns the syntax tree or raises `TemplateSyntaxError` at the first problem, as
Go does. `execution_problems()` then finds what parses but fails when Auth executes the
template (unknown template names, wrong argument counts for builtins, assignment to an
undeclared variable, arguments given to a non-function, `html`/`urlquery` inside a
pipeline): such a template makes Auth refuse to send the email.

Positions are character offsets into the text; `offsets.line_column()` turns one into 1-based
line and column numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LEFT_DELIM = "{{"
RIGHT_DELIM = "}}"
_SPACES = " \t\r\n"

# text/template's builtins (Go 1.26; `break`/`continue` are keywords). name -> (min, max)
# arguments, max None for variadic; the value piped in counts as the last argument.
BUILTINS: dict[str, tuple[int, int | None]] = {
    "and": (1, None),
    "or": (1, None),
    "not": (1, 1),
    "len": (1, 1),
    "index": (1, None),
    "slice": (1, None),
    "print": (0, None),
    "printf": (1, None),
    "println": (0, None),
    "html": (0, None),
    "js": (0, None),
    "urlquery": (0, None),
    "call": (1, None),
    "eq": (1, None),
    "ne": (2, 2),
    "lt": (2, 2),
    "le": (2, 2),
    "gt": (2, 2),
    "ge": (2, 2),
}
# html/template's own escaping would be defeated by these anywhere but last in a pipeline.
PREDEFINED_ESCAPERS = frozenset({"html", "urlquery"})

_KEYWORDS = {
    "block",
    "break",
    "continue",
    "define",
    "else",
    "end",
    "if",
    "nil",
    "range",
    "template",
    "with",
}


class TemplateSyntaxError(Exception):
    """The template does not parse: `pos` is where Go's parser stops."""

    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


# Syntax tree. Only what the checks need is kept.


@dataclass
class Literal:
    pos: int
    kind: str  # "bool", "number", "string", "nil"
    text: str


@dataclass
class DotRef:
    pos: int


@dataclass
class FieldRef:
    """`.A.B`: fields of dot."""

    pos: int
    names: tuple[str, ...]


@dataclass
class VarRef:
    """`$x.A.B`: a variable and fields of it (`$` is the data the template runs with)."""

    pos: int
    name: str
    names: tuple[str, ...]


@dataclass
class FuncRef:
    pos: int
    name: str


@dataclass
class ChainRef:
    """`(pipeline).A` or `func.A`: fields of a computed value."""

    pos: int
    node: Operand
    names: tuple[str, ...]


@dataclass
class Command:
    pos: int
    args: list[Operand]


@dataclass
class Pipeline:
    pos: int
    decls: list[str]
    is_assign: bool
    commands: list[Command]


Operand = Literal | DotRef | FieldRef | VarRef | FuncRef | ChainRef | Pipeline


@dataclass
class Text:
    pos: int
    text: str


@dataclass
class Action:
    pos: int
    pipe: Pipeline


@dataclass
class Branch:
    """`if`, `range` or `with`: `body` runs when the pipeline is non-empty, else `orelse`."""

    pos: int
    kind: str
    pipe: Pipeline
    body: list[Node]
    orelse: list[Node]


@dataclass
class TemplateCall:
    pos: int
    name: str
    pipe: Pipeline | None


@dataclass
class LoopJump:
    """`break` or `continue`."""

    pos: int
    kind: str


Node = Text | Action | Branch | TemplateCall | LoopJump


@dataclass
class ParsedTemplate:
    """The main template (`root`) and every `define`/`block` by name."""

    root: list[Node]
    defined: dict[str, list[Node]] = field(default_factory=dict)


# Lexer.


@dataclass(frozen=True)
class _Token:
    kind: str
    pos: int
    val: str


def _is_alnum(ch: str) -> bool:
    return ch == "_" or ch.isalpha() or ch.isdecimal()


def _unicode_name(ch: str) -> str:
    return f"U+{ord(ch):04X} '{ch}'" if ch.isprintable() else f"U+{ord(ch):04X}"


class _Lexer:
    """Turns the text into tokens; a lexing error becomes a final `error` token, which the
    parser reports when it reaches it (so an earlier parse error wins, as in Go)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tokens: list[_Token] = []
        self.paren_depth = 0

    def run(self) -> list[_Token]:
        try:
            state: _State = self._lex_text
            while state is not None:
                state = state()
        except _LexError as exc:
            self.tokens.append(_Token("error", exc.pos, exc.message))
        return self.tokens

    def _emit(self, kind: str, start: int, end: int) -> None:
        self.tokens.append(_Token(kind, start, self.text[start:end]))

    def _at(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def _right_delim(self) -> tuple[bool, bool]:
        """(at a right delimiter, with a trim marker ` -}}`)."""
        text, pos = self.text, self.pos
        if (
            pos + 1 < len(text)
            and text[pos] in _SPACES
            and text[pos + 1] == "-"
            and text.startswith(RIGHT_DELIM, pos + 2)
        ):
            return True, True
        return text.startswith(RIGHT_DELIM, pos), False

    def _lex_text(self) -> _State:
        start = self.pos
        found = self.text.find(LEFT_DELIM, start)
        if found < 0:
            if len(self.text) > start:
                self._emit("text", start, len(self.text))
            self.tokens.append(_Token("eof", len(self.text), ""))
            return None
        after = found + len(LEFT_DELIM)
        trim = self._left_trim_at(after)
        end = found
        if trim:
            end = len(self.text[start:found].rstrip(_SPACES)) + start
        if end > start:
            self._emit("text", start, end)
        self.pos = found
        return self._lex_left_delim

    def _left_trim_at(self, index: int) -> bool:
        return (
            index + 1 < len(self.text)
            and self.text[index] == "-"
            and self.text[index + 1] in _SPACES
        )

    def _lex_left_delim(self) -> _State:
        start = self.pos
        self.pos += len(LEFT_DELIM)
        after_marker = 2 if self._left_trim_at(self.pos) else 0
        if self.text.startswith("/*", self.pos + after_marker):
            self.pos += after_marker
            return self._lex_comment(start)
        self._emit("left", start, self.pos)
        self.pos += after_marker
        self.paren_depth = 0
        return self._lex_inside_action

    def _lex_comment(self, start: int) -> _State:
        close = self.text.find("*/", self.pos + 2)
        if close < 0:
            raise _LexError(start, "unclosed comment")
        self.pos = close + 2
        delim, trim = self._right_delim()
        if not delim:
            raise _LexError(start, "comment ends before closing delimiter")
        if trim:
            self.pos += 2
        self.pos += len(RIGHT_DELIM)
        if trim:
            self._skip_spaces()
        return self._lex_text

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _SPACES:
            self.pos += 1

    def _lex_right_delim(self, trim: bool) -> _State:
        if trim:
            self.pos += 2
        start = self.pos
        self.pos += len(RIGHT_DELIM)
        self._emit("right", start, self.pos)
        if trim:
            self._skip_spaces()
        return self._lex_text

    def _lex_inside_action(self) -> _State:
        delim, trim = self._right_delim()
        if delim:
            if self.paren_depth == 0:
                return self._lex_right_delim(trim)
            raise _LexError(self.pos, "unclosed left paren")
        start = self.pos
        ch = self._at()
        if ch == "":
            raise _LexError(start, "unclosed action")
        self.pos += 1
        if ch in _SPACES:
            self.pos -= 1
            return self._lex_space
        if ch == "=":
            self._emit("assign", start, self.pos)
        elif ch == ":":
            if self._at() != "=":
                raise _LexError(start, "expected :=")
            self.pos += 1
            self._emit("declare", start, self.pos)
        elif ch == "|":
            self._emit("pipe", start, self.pos)
        elif ch == '"':
            self._lex_quote(start)
        elif ch == "`":
            self._lex_raw_quote(start)
        elif ch == "$":
            self._lex_field_or_variable(start, "variable")
        elif ch == "'":
            self._lex_char(start)
        elif ch == "." and self._at() != "" and not ("0" <= self._at() <= "9"):
            self._lex_field_or_variable(start, "field")
        elif ch in "+-." or "0" <= ch <= "9":
            self.pos = start
            self._lex_number(start)
        elif _is_alnum(ch):
            self.pos = start
            self._lex_identifier(start)
        elif ch == "(":
            self._emit("lparen", start, self.pos)
            self.paren_depth += 1
        elif ch == ")":
            self._emit("rparen", start, self.pos)
            self.paren_depth -= 1
            if self.paren_depth < 0:
                raise _LexError(start, f"unexpected right paren {_unicode_name(ch)}")
        elif ord(ch) < 0x80 and ch.isprintable():
            self._emit("char", start, self.pos)
        else:
            raise _LexError(start, f"unrecognized character in action: {_unicode_name(ch)}")
        return self._lex_inside_action

    def _lex_space(self) -> _State:
        start = self.pos
        count = 0
        while self._at() != "" and self._at() in _SPACES:
            self.pos += 1
            count += 1
        # The space of a trim-marked closing delimiter ` -}}` belongs to the delimiter.
        if self.text.startswith("-" + RIGHT_DELIM, self.pos):
            self.pos -= 1
            if count == 1:
                return self._lex_right_delim(True)
        self._emit("space", start, self.pos)
        return self._lex_inside_action

    def _at_terminator(self) -> bool:
        ch = self._at()
        if ch == "" or ch in _SPACES or ch in ".,|:)(":
            return True
        return ch == RIGHT_DELIM[0]

    def _lex_identifier(self, start: int) -> None:
        while _is_alnum(self._at()):
            self.pos += 1
        if not self._at_terminator():
            raise _LexError(start, f"bad character {_unicode_name(self._at())}")
        word = self.text[start : self.pos]
        if word in _KEYWORDS:
            kind = word
        elif word in ("true", "false"):
            kind = "bool"
        else:
            kind = "identifier"
        self._emit(kind, start, self.pos)

    def _lex_field_or_variable(self, start: int, kind: str) -> None:
        if self._at_terminator():
            self._emit("variable" if kind == "variable" else "dot", start, self.pos)
            return
        while _is_alnum(self._at()):
            self.pos += 1
        if not self._at_terminator():
            raise _LexError(start, f"bad character {_unicode_name(self._at())}")
        self._emit(kind, start, self.pos)

    def _lex_char(self, start: int) -> None:
        self._lex_escaped_quote(start, "'", "charconst", "unterminated character constant")

    def _lex_quote(self, start: int) -> None:
        self._lex_escaped_quote(start, '"', "string", "unterminated quoted string")

    def _lex_escaped_quote(self, start: int, closing: str, kind: str, unterminated: str) -> None:
        while True:
            ch = self._at()
            self.pos += 1
            if ch == "\\":
                ch = self._at()
                self.pos += 1
                if ch not in ("", "\n"):
                    continue
            if ch in ("", "\n"):
                raise _LexError(start, unterminated)
            if ch == closing:
                break
        self._emit(kind, start, self.pos)

    def _lex_raw_quote(self, start: int) -> None:
        close = self.text.find("`", self.pos)
        if close < 0:
            raise _LexError(start, "unterminated raw quoted string")
        self.pos = close + 1
        self._emit("rawstring", start, self.pos)

    def _lex_number(self, start: int) -> None:
        if not self._scan_number():
            raise _LexError(start, f"bad number syntax: {_go_quote(self.text[start : self.pos])}")
        if self._at() in ("+", "-"):
            if not self._scan_number() or self.text[self.pos - 1] != "i":
                raise _LexError(
                    start, f"bad number syntax: {_go_quote(self.text[start : self.pos])}"
                )
            self._emit("complex", start, self.pos)
        else:
            self._emit("number", start, self.pos)

    def _accept(self, valid: str) -> bool:
        ch = self._at()
        if ch != "" and ch in valid:
            self.pos += 1
            return True
        return False

    def _accept_run(self, valid: str) -> None:
        while self._accept(valid):
            pass

    def _scan_number(self) -> bool:
        self._accept("+-")
        digits = "0123456789_"
        if self._accept("0"):
            if self._accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self._accept("oO"):
                digits = "01234567_"
            elif self._accept("bB"):
                digits = "01_"
        self._accept_run(digits)
        if self._accept("."):
            self._accept_run(digits)
        if digits == "0123456789_" and self._accept("eE"):
            self._accept("+-")
            self._accept_run("0123456789_")
        if digits == "0123456789abcdefABCDEF_" and self._accept("pP"):
            self._accept("+-")
            self._accept_run("0123456789_")
        self._accept("i")
        if _is_alnum(self._at()):
            self.pos += 1
            return False
        return True


class _LexError(Exception):
    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


# A lexer state returns the next state, or None at the end.
_State = Callable[[], Any] | None


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Literal validation (what Go's strconv accepts).

_ESCAPE = r"""\\(?:[abfnrtv\\]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[0-3][0-7]{2})"""
_STRING_RE = re.compile(rf'"(?:[^"\\\n]|{_ESCAPE}|\\")*"')
_CHAR_RE = re.compile(rf"'(?:[^'\\\n]|{_ESCAPE}|\\')'")
_DEC = r"[0-9](?:_?[0-9])*"
_HEX = r"[0-9A-Fa-f](?:_?[0-9A-Fa-f])*"
_INT_RE = re.compile(
    rf"[+-]?(?:0[xX]_?{_HEX}|0[oO]_?[0-7](?:_?[0-7])*|0[bB]_?[01](?:_?[01])*"
    rf"|0(?:_?[0-7])*|[1-9](?:_?[0-9])*)"
)
_FLOAT_RE = re.compile(
    rf"[+-]?(?:(?:{_DEC}\.(?:{_DEC})?|\.{_DEC})(?:[eE][+-]?{_DEC})?|{_DEC}[eE][+-]?{_DEC}"
    rf"|0[xX](?:_?{_HEX}(?:\.(?:{_HEX})?)?|\.{_HEX})[pP][+-]?{_DEC})"
)
_DECIMAL_LIKE_RE = re.compile(rf"[+-]?{_DEC}")


_UNICODE_ESCAPE_RE = re.compile(r"\\\\|\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _valid_code_points(text: str) -> bool:
    """Go refuses \\u and \\U escapes of surrogates and of values past U+10FFFF."""
    for match in _UNICODE_ESCAPE_RE.finditer(text):
        digits = match.group(1) or match.group(2)
        if digits is not None:
            value = int(digits, 16)
            if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
                return False
    return True


def _check_number(token: _Token) -> None:
    text = token.val
    if token.kind == "charconst":
        if not _CHAR_RE.fullmatch(text) or not _valid_code_points(text):
            raise TemplateSyntaxError(token.pos, f"malformed character constant: {text}")
        return
    if token.kind == "complex":
        # Sign-joined real and imaginary parts, e.g. 1+2i.
        return
    body = text[:-1] if text.endswith("i") else text
    if _INT_RE.fullmatch(body) or _FLOAT_RE.fullmatch(body):
        if not text.endswith("i") and _INT_RE.fullmatch(body) and _int_value(body) >= 2**64:
            raise TemplateSyntaxError(token.pos, f"integer overflow: {_go_quote(text)}")
        return
    if _DECIMAL_LIKE_RE.fullmatch(body):
        # Go reads "089" as a float that looks like an integer and calls that overflow.
        raise TemplateSyntaxError(token.pos, f"integer overflow: {_go_quote(text)}")
    raise TemplateSyntaxError(token.pos, f"illegal number syntax: {_go_quote(text)}")


def _int_value(text: str) -> int:
    digits = text.lstrip("+-").replace("_", "")
    if len(digits) > 1 and digits[0] == "0" and digits[1] in "xXoObB":
        return int(digits, 0)
    if len(digits) > 1 and digits[0] == "0":
        return int(digits, 8)
    return int(digits)


def _check_string(token: _Token) -> str:
    if token.kind == "rawstring":
        return token.val[1:-1]
    if not _STRING_RE.fullmatch(token.val) or not _valid_code_points(token.val):
        raise TemplateSyntaxError(token.pos, "invalid syntax")
    return token.val[1:-1]


# Parser.


def _describe(token: _Token) -> str:
    """How Go names a token in "unexpected ..." messages."""
    if token.kind == "eof":
        return "EOF"
    if token.kind == "error":
        return token.val
    if token.kind in _KEYWORDS or token.kind == "dot":
        return f"<{token.val}>"
    if len(token.val) > 10:
        return _go_quote(token.val[:10]) + "..."
    return _go_quote(token.val)


class _EndMarker:
    def __init__(self, token: _Token) -> None:
        self.token = token

    def __str__(self) -> str:
        return "{{end}}"


class _ElseMarker(_EndMarker):
    def __str__(self) -> str:
        return "{{else}}"


_OPERAND_START = {
    "bool",
    "charconst",
    "complex",
    "dot",
    "field",
    "identifier",
    "number",
    "nil",
    "rawstring",
    "string",
    "variable",
    "lparen",
}


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _Lexer(text).run()
        self.index = 0
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.result = ParsedTemplate(root=[])

    # Token access.

    def next(self) -> _Token:
        # The last token (eof or error) repeats for ever.
        token = self.tokens[min(self.index, len(self.tokens) - 1)]
        self.index += 1
        return token

    def backup(self) -> None:
        self.index -= 1

    def peek(self) -> _Token:
        return self.tokens[min(self.index, len(self.tokens) - 1)]

    def next_non_space(self) -> _Token:
        token = self.next()
        while token.kind == "space":
            token = self.next()
        return token

    def peek_non_space(self) -> _Token:
        token = self.next_non_space()
        self.backup()
        return token

    def unexpected(self, token: _Token, context: str) -> TemplateSyntaxError:
        if token.kind == "error":
            return TemplateSyntaxError(token.pos, token.val)
        return TemplateSyntaxError(token.pos, f"unexpected {_describe(token)} in {context}")

    def expect(self, kinds: tuple[str, ...], context: str) -> _Token:
        token = self.next_non_space()
        if token.kind not in kinds:
            raise self.unexpected(token, context)
        return token

    # Templates.

    def parse(self) -> ParsedTemplate:
        root: list[Node] = []
        while self.peek().kind != "eof":
            if self.peek().kind == "left":
                mark = self.index
                self.next()
                if self.next_non_space().kind == "define":
                    self.parse_definition()
                    continue
                self.index = mark
            node = self.text_or_action()
            if isinstance(node, _EndMarker):
                raise TemplateSyntaxError(node.token.pos, f"unexpected {node}")
            root.append(node)
        self.result.root = root
        return self.result

    def _sub_template(self) -> tuple[list[Node], _EndMarker]:
        """Parse a define/block body: a fresh variable scope, outside any range."""
        saved = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        try:
            return self.item_list()
        finally:
            self.vars, self.range_depth = saved

    def parse_definition(self) -> None:
        context = "define clause"
        token = self.expect(("string", "rawstring"), context)
        name = _check_string(token)
        self.expect(("right",), context)
        body, end = self._sub_template()
        if isinstance(end, _ElseMarker):
            raise TemplateSyntaxError(end.token.pos, f"unexpected {end} in {context}")
        self.add(name, body, token.pos)

    def add(self, name: str, body: list[Node], pos: int) -> None:
        existing = self.result.defined.get(name)
        if existing is not None and not _is_empty(existing) and not _is_empty(body):
            raise TemplateSyntaxError(
                pos, f"template: multiple definition of template {_go_quote(name)}"
            )
        if existing is None or _is_empty(existing):
            self.result.defined[name] = body

    def item_list(self) -> tuple[list[Node], _EndMarker]:
        nodes: list[Node] = []
        while self.peek_non_space().kind != "eof":
            node = self.text_or_action()
            if isinstance(node, _EndMarker):
                return nodes, node
            nodes.append(node)
        raise TemplateSyntaxError(self.peek().pos, "unexpected EOF")

    def text_or_action(self) -> Node | _EndMarker:
        token = self.next_non_space()
        if token.kind == "text":
            return Text(token.pos, token.val)
        if token.kind == "left":
            return self.action()
        raise self.unexpected(token, "input")

    def action(self) -> Node | _EndMarker:
        token = self.next_non_space()
        kind = token.kind
        if kind == "block":
            return self.block_control(token)
        if kind in ("break", "continue"):
            return self.loop_jump(token)
        if kind == "else":
            return self.else_control(token)
        if kind == "end":
            self.expect(("right",), "end")
            return _EndMarker(token)
        if kind in ("if", "range", "with"):
            return self.branch(token)
        if kind == "template":
            return self.template_control()
        self.backup()
        start = self.peek()
        return Action(start.pos, self.pipeline("command", "right"))

    def loop_jump(self, token: _Token) -> LoopJump:
        after = self.next_non_space()
        if after.kind != "right":
            raise self.unexpected(after, f"{{{{{token.kind}}}}}")
        if self.range_depth == 0:
            raise TemplateSyntaxError(token.pos, f"{{{{{token.kind}}}}} outside {{{{range}}}}")
        return LoopJump(token.pos, token.kind)

    def else_control(self, token: _Token) -> _ElseMarker:
        # "{{else if ...}}" and "{{else with ...}}" leave the keyword for the enclosing
        # branch, which reads them as "{{else}}{{if ...}}...{{end}}".
        if self.peek_non_space().kind in ("if", "with"):
            return _ElseMarker(token)
        self.expect(("right",), "else")
        return _ElseMarker(token)

    def branch(self, token: _Token) -> Branch:
        context = token.kind
        depth = len(self.vars)
        try:
            pipe = self.pipeline(context, "right")
            if context == "range":
                self.range_depth += 1
            body, end = self.item_list()
            if context == "range":
                self.range_depth -= 1
            orelse: list[Node] = []
            if isinstance(end, _ElseMarker):
                chained = self.peek().kind
                if context in ("if", "with") and chained == context:
                    # One {{end}} closes the whole else-if / else-with chain.
                    orelse = [self.branch(self.next())]
                else:
                    orelse, end = self.item_list()
                    if isinstance(end, _ElseMarker):
                        raise TemplateSyntaxError(end.token.pos, f"expected end; found {end}")
            return Branch(token.pos, context, pipe, body, orelse)
        finally:
            del self.vars[depth:]

    def block_control(self, token: _Token) -> TemplateCall:
        context = "block clause"
        name_token = self.next_non_space()
        name = self.template_name(name_token, context)
        pipe = self.pipeline(context, "right")
        body, end = self._sub_template()
        if isinstance(end, _ElseMarker):
            raise TemplateSyntaxError(end.token.pos, f"unexpected {end} in {context}")
        self.add(name, body, name_token.pos)
        return TemplateCall(name_token.pos, name, pipe)

    def template_control(self) -> TemplateCall:
        context = "template clause"
        name_token = self.next_non_space()
        name = self.template_name(name_token, context)
        pipe = None
        if self.next_non_space().kind != "right":
            self.backup()
            pipe = self.pipeline(context, "right")
        return TemplateCall(name_token.pos, name, pipe)

    def template_name(self, token: _Token, context: str) -> str:
        if token.kind in ("string", "rawstring"):
            return _check_string(token)
        raise self.unexpected(token, context)

    # Pipelines.

    def pipeline(self, context: str, end: str) -> Pipeline:
        pipe = Pipeline(self.peek_non_space().pos, [], False, [])
        while self.peek_non_space().kind == "variable":
            mark = self.index
            variable = self.next()
            following = self.peek_non_space()
            if following.kind in ("assign", "declare"):
                self.next_non_space()
                pipe.is_assign = following.kind == "assign"
                pipe.decls.append(variable.val)
                self.vars.append(variable.val)
                break
            if following.kind == "char" and following.val == ",":
                self.next_non_space()
                pipe.decls.append(variable.val)
                self.vars.append(variable.val)
                if context == "range" and len(pipe.decls) < 2:
                    if self.peek_non_space().kind in ("variable", "right", "rparen"):
                        continue
                    raise TemplateSyntaxError(
                        self.peek_non_space().pos, "range can only initialize variables"
                    )
                raise TemplateSyntaxError(following.pos, f"too many declarations in {context}")
            self.index = mark
            break
        while True:
            token = self.next_non_space()
            if token.kind == end:
                self.check_pipeline(pipe, context, token)
                return pipe
            if token.kind in _OPERAND_START:
                self.backup()
                pipe.commands.append(self.command())
            else:
                raise self.unexpected(token, context)

    def check_pipeline(self, pipe: Pipeline, context: str, token: _Token) -> None:
        if not pipe.commands:
            raise TemplateSyntaxError(token.pos, f"missing value for {context}")
        for stage, command in enumerate(pipe.commands[1:], start=2):
            first = command.args[0]
            if isinstance(first, Literal | DotRef):
                raise TemplateSyntaxError(
                    command.pos, f"non executable command in pipeline stage {stage}"
                )

    def command(self) -> Command:
        command = Command(self.peek_non_space().pos, [])
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                command.args.append(operand)
            token = self.next()
            if token.kind == "space":
                continue
            if token.kind in ("right", "rparen"):
                self.backup()
            elif token.kind != "pipe":
                raise self.unexpected(token, "operand")
            break
        if not command.args:
            raise TemplateSyntaxError(command.pos, "empty command")
        return command

    def operand(self) -> Operand | None:
        node = self.term()
        if node is None or self.peek().kind != "field":
            return node
        names: list[str] = []
        while self.peek().kind == "field":
            names.append(self.next().val[1:])
        if isinstance(node, FieldRef):
            return FieldRef(node.pos, node.names + tuple(names))
        if isinstance(node, VarRef):
            return VarRef(node.pos, node.name, node.names + tuple(names))
        if isinstance(node, Literal | DotRef):
            shown = node.text if isinstance(node, Literal) else "."
            raise TemplateSyntaxError(node.pos, f"unexpected . after term {_go_quote(shown)}")
        return ChainRef(node.pos, node, tuple(names))

    def term(self) -> Operand | None:
        token = self.next_non_space()
        kind = token.kind
        if kind == "identifier":
            if token.val not in BUILTINS:
                raise TemplateSyntaxError(token.pos, f"function {_go_quote(token.val)} not defined")
            return FuncRef(token.pos, token.val)
        if kind == "dot":
            return DotRef(token.pos)
        if kind == "nil":
            return Literal(token.pos, "nil", "nil")
        if kind == "variable":
            if token.val not in self.vars:
                raise TemplateSyntaxError(token.pos, f"undefined variable {_go_quote(token.val)}")
            return VarRef(token.pos, token.val, ())
        if kind == "field":
            return FieldRef(token.pos, (token.val[1:],))
        if kind == "bool":
            return Literal(token.pos, "bool", token.val)
        if kind in ("charconst", "complex", "number"):
            _check_number(token)
            return Literal(token.pos, "number", token.val)
        if kind == "lparen":
            return self.pipeline("parenthesized pipeline", "rparen")
        if kind in ("string", "rawstring"):
            _check_string(token)
            return Literal(token.pos, "string", token.val)
        self.backup()
        return None


def _is_empty(nodes: list[Node]) -> bool:
    return all(isinstance(n, Text) and not n.text.strip() for n in nodes)


def parse(text: str) -> ParsedTemplate:
    """Parse a template as Go's parser does; raise TemplateSyntaxError at the first error."""
    return _Parser(text).parse()


# Problems that parse but stop Go's executor (and so the email).


@dataclass(frozen=True)
class Problem:
    pos: int
    message: str


def walk_operands(pipe: Pipeline) -> list[tuple[Operand, Command, int]]:
    """Every operand of a pipeline (and of the pipelines inside it), with its command and
    its stage in the pipeline."""
    found: list[tuple[Operand, Command, int]] = []
    for stage, command in enumerate(pipe.commands):
        for arg in command.args:
            found.append((arg, command, stage))
            if isinstance(arg, Pipeline):
                found.extend(walk_operands(arg))
            elif isinstance(arg, ChainRef) and isinstance(arg.node, Pipeline):
                found.extend(walk_operands(arg.node))
    return found


def walk_pipelines(nodes: list[Node]) -> list[tuple[Pipeline, Node]]:
    """Every pipeline in `nodes`, depth first, with the node that holds it."""
    found: list[tuple[Pipeline, Node]] = []
    for node in nodes:
        if isinstance(node, Action):
            found.append((node.pipe, node))
        elif isinstance(node, Branch):
            found.append((node.pipe, node))
            found.extend(walk_pipelines(node.body))
            found.extend(walk_pipelines(node.orelse))
        elif isinstance(node, TemplateCall) and node.pipe is not None:
            found.append((node.pipe, node))
    return found


def _reachable(parsed: ParsedTemplate) -> list[list[Node]]:
    """The main template and every defined template it can call."""
    seen: set[str] = set()
    bodies = [parsed.root]
    queue = list(_calls(parsed.root))
    while queue:
        name = queue.pop()
        if name in seen or name not in parsed.defined:
            continue
        seen.add(name)
        bodies.append(parsed.defined[name])
        queue.extend(_calls(parsed.defined[name]))
    return bodies


def _calls(nodes: list[Node]) -> list[str]:
    return [node.name for node in _flatten(nodes) if isinstance(node, TemplateCall)]


def execution_problems(parsed: ParsedTemplate) -> list[Problem]:
    """What parses but fails when Auth executes the template, in text order."""
    problems: list[Problem] = []
    for body in _reachable(parsed):
        problems += _template_calls(parsed, body)
        for pipe, holder in walk_pipelines(body):
            problems += _assignments(pipe, body)
            if isinstance(holder, Action) and not pipe.decls:
                problems += _escapers(pipe)
            for operand, command, stage in walk_operands(pipe):
                problems += _calls_of(operand, command, stage, pipe)
    unique = {(p.pos, p.message): p for p in problems}
    return sorted(unique.values(), key=lambda p: p.pos)


def _template_calls(parsed: ParsedTemplate, body: list[Node]) -> list[Problem]:
    problems = []
    for node in _flatten(body):
        if isinstance(node, TemplateCall) and node.name not in parsed.defined:
            problems.append(Problem(node.pos, f"no such template {_go_quote(node.name)}"))
    return problems


def _flatten(nodes: list[Node]) -> list[Node]:
    flat: list[Node] = []
    for node in nodes:
        flat.append(node)
        if isinstance(node, Branch):
            flat += _flatten(node.body) + _flatten(node.orelse)
    return flat


def _assignments(pipe: Pipeline, body: list[Node]) -> list[Problem]:
    if not pipe.is_assign:
        return []
    # `$x = value` needs `$x :=` earlier in scope; the parser records declarations only.
    declared = _declared_before(body, pipe)
    problems = []
    for name in pipe.decls:
        if name != "$" and name not in declared:
            problems.append(
                Problem(pipe.pos, f"{name} is assigned with = but never declared with :=")
            )
    return problems


def _declared_before(nodes: list[Node], target: Pipeline) -> set[str]:
    """Variables declared with := in scope at `target` (a pipeline of `nodes`)."""

    def search(items: list[Node], scope: set[str]) -> set[str] | None:
        scope = set(scope)
        for node in items:
            pipe = node.pipe if isinstance(node, Action | Branch | TemplateCall) else None
            if pipe is target:
                return scope
            if isinstance(node, Branch):
                inner = scope | ({*node.pipe.decls} if not node.pipe.is_assign else set())
                found = search(node.body, inner)
                if found is None:
                    found = search(node.orelse, inner)
                if found is not None:
                    return found
            elif pipe is not None and not pipe.is_assign:
                scope |= set(pipe.decls)
        return None

    return search(nodes, {"$"}) or {"$"}


def _escapers(pipe: Pipeline) -> list[Problem]:
    problems = []
    last = len(pipe.commands) - 1
    for stage, command in enumerate(pipe.commands):
        first = command.args[0]
        if isinstance(first, FuncRef) and first.name in PREDEFINED_ESCAPERS and stage < last:
            problems.append(
                Problem(
                    first.pos,
                    f"predefined escaper {_go_quote(first.name)} disallowed in template "
                    "(html/template escapes by itself; use it only last in a pipeline)",
                )
            )
    return problems


def _calls_of(operand: Operand, command: Command, stage: int, pipe: Pipeline) -> list[Problem]:
    if operand is command.args[0]:
        given = len(command.args) - 1 + (1 if stage > 0 else 0)
    elif isinstance(operand, FuncRef):
        # A function named as an argument is called with no arguments.
        given = 0
    else:
        return []
    if isinstance(operand, FuncRef):
        low, high = BUILTINS[operand.name]
        if given < low or (high is not None and given > high):
            want = str(low) if high == low else f"at least {low}"
            return [
                Problem(
                    operand.pos,
                    f"wrong number of args for {operand.name}: want {want} got {given}",
                )
            ]
        return []
    if isinstance(operand, Literal) and operand.kind == "nil":
        return [Problem(operand.pos, "nil is not a command")]
    if given > 0:
        return [
            Problem(
                operand.pos,
                f"{_operand_text(operand)} is not a function; it cannot take arguments",
            )
        ]
    return []


def _operand_text(operand: Operand) -> str:
    if isinstance(operand, FieldRef):
        return "." + ".".join(operand.names)
    if isinstance(operand, VarRef):
        return operand.name + "".join("." + n for n in operand.names)
    if isinstance(operand, Literal):
        return operand.text
    if isinstance(operand, DotRef):
        return "."
    return "value"
