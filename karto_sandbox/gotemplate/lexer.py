"""Tokens of Go's text/template syntax (https://pkg.go.dev/text/template), `{{ }}` delimiters.

The token rules follow the package documentation and its lexer's observable behaviour:
trim markers `{{- ` / ` -}}` (the dash needs a space beside it), `/* */` comments that must
fill the whole action, quoted, raw and character literals, Go number syntax, and the
keywords. Lexing stops at the first error, which becomes the last token.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto

LEFT, RIGHT = "{{", "}}"
COMMENT_OPEN, COMMENT_CLOSE = "/*", "*/"
SPACES = " \t\r\n"


class Tok(Enum):
    ERROR = auto()
    BOOL = auto()
    CHAR = auto()  # a printable ASCII character with no other meaning (`,`, `@`, ...)
    CHAR_CONSTANT = auto()
    COMPLEX = auto()
    ASSIGN = auto()
    DECLARE = auto()
    EOF = auto()
    FIELD = auto()
    IDENTIFIER = auto()
    LEFT_DELIM = auto()
    LEFT_PAREN = auto()
    NUMBER = auto()
    PIPE = auto()
    RAW_STRING = auto()
    RIGHT_DELIM = auto()
    RIGHT_PAREN = auto()
    SPACE = auto()
    STRING = auto()
    TEXT = auto()
    VARIABLE = auto()
    # keywords
    BLOCK = auto()
    BREAK = auto()
    CONTINUE = auto()
    DOT = auto()
    DEFINE = auto()
    ELSE = auto()
    END = auto()
    IF = auto()
    NIL = auto()
    RANGE = auto()
    TEMPLATE = auto()
    WITH = auto()


KEYWORDS = {
    ".": Tok.DOT,
    "block": Tok.BLOCK,
    "break": Tok.BREAK,
    "continue": Tok.CONTINUE,
    "define": Tok.DEFINE,
    "else": Tok.ELSE,
    "end": Tok.END,
    "if": Tok.IF,
    "range": Tok.RANGE,
    "nil": Tok.NIL,
    "template": Tok.TEMPLATE,
    "with": Tok.WITH,
}
_KEYWORD_TOKENS = frozenset(KEYWORDS.values())


@dataclass(frozen=True)
class Token:
    kind: Tok
    pos: int  # offset in the template text
    value: str
    line: int

    def describe(self) -> str:
        """How an error message names this token."""
        if self.kind is Tok.EOF:
            return "EOF"
        if self.kind is Tok.ERROR:
            return self.value
        if self.kind in _KEYWORD_TOKENS:
            return f"<{self.value}>"
        return repr(self.value)


class LexError(Exception):
    pass


def is_space(char: str) -> bool:
    return char != "" and char in SPACES


def is_alphanumeric(char: str) -> bool:
    return char == "_" or (char != "" and (char.isalpha() or char.isdecimal()))


def _left_trim(text: str, at: int) -> bool:
    return text[at : at + 1] == "-" and is_space(text[at + 1 : at + 2])


def _right_trim(text: str, at: int) -> bool:
    return is_space(text[at : at + 1]) and text[at + 1 : at + 2] == "-"


class Lexer:
    """Turns template text into tokens, eagerly; `tokens` ends with EOF or one ERROR."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.start = 0
        self.line = 1
        self.start_line = 1
        self.paren_depth = 0
        self.tokens: list[Token] = []

    # -- primitives ------------------------------------------------------------------------
    def _peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def _next(self) -> str:
        char = self._peek()
        if char:
            self.pos += 1
            if char == "\n":
                self.line += 1
        return char

    def _backup(self, char: str) -> None:
        if char:
            self.pos -= 1
            if char == "\n":
                self.line -= 1

    def _accept(self, valid: str) -> bool:
        char = self._next()
        if char and char in valid:
            return True
        self._backup(char)
        return False

    def _accept_run(self, valid: str) -> None:
        while True:
            char = self._next()
            if not char or char not in valid:
                self._backup(char)
                return

    def _emit(self, kind: Tok) -> None:
        self.tokens.append(
            Token(kind, self.start, self.text[self.start : self.pos], self.start_line)
        )
        self.start = self.pos
        self.start_line = self.line

    def _ignore(self) -> None:
        self.line += self.text.count("\n", self.start, self.pos)
        self.start = self.pos
        self.start_line = self.line

    def _fail(self, message: str) -> None:
        self.tokens.append(Token(Tok.ERROR, self.start, message, self.start_line))
        raise LexError(message)

    def _at_right_delim(self) -> tuple[bool, bool]:
        if _right_trim(self.text, self.pos) and self.text.startswith(RIGHT, self.pos + 2):
            return True, True
        return self.text.startswith(RIGHT, self.pos), False

    def _at_terminator(self) -> bool:
        char = self._peek()
        if is_space(char) or char in ("", ".", ",", "|", ":", ")", "("):
            return True
        return self.text.startswith(RIGHT, self.pos)

    # -- states ----------------------------------------------------------------------------
    def run(self) -> list[Token]:
        try:
            while self._text():
                self._left_delim()
        except LexError:
            pass
        return self.tokens

    def _text(self) -> bool:
        """Emit text up to the next `{{`; False at the end of the input."""
        found = self.text.find(LEFT, self.pos)
        if found < 0:
            self.pos = len(self.text)
            if self.pos > self.start:
                self.line += self.text.count("\n", self.start, self.pos)
                self._emit(Tok.TEXT)
            self._emit(Tok.EOF)
            return False
        self.pos = found
        trimmed = 0
        if _left_trim(self.text, found + len(LEFT)):
            before = self.text[self.start : found]
            trimmed = len(before) - len(before.rstrip(SPACES))
        self.pos -= trimmed
        if self.pos > self.start:
            self.line += self.text.count("\n", self.start, self.pos)
            self._emit(Tok.TEXT)
        self.pos += trimmed
        self._ignore()
        return True

    def _left_delim(self) -> None:
        self.pos += len(LEFT)
        trim = _left_trim(self.text, self.pos)
        after = 2 if trim else 0
        if self.text.startswith(COMMENT_OPEN, self.pos + after):
            self.pos += after
            self._ignore()
            self._comment()
            return
        self._emit(Tok.LEFT_DELIM)
        self.pos += after
        self._ignore()
        self.paren_depth = 0
        self._inside_action()

    def _comment(self) -> None:
        self.pos += len(COMMENT_OPEN)
        end = self.text.find(COMMENT_CLOSE, self.pos)
        if end < 0:
            self._fail("unclosed comment")
        self.pos = end + len(COMMENT_CLOSE)
        delim, trim = self._at_right_delim()
        if not delim:
            self._fail("comment ends before closing delimiter")
        if trim:
            self.pos += 2
        self.pos += len(RIGHT)
        if trim:
            rest = self.text[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(SPACES))
        self._ignore()

    def _right_delim(self) -> None:
        trim = _right_trim(self.text, self.pos)
        if trim:
            self.pos += 2
            self._ignore()
        self.pos += len(RIGHT)
        self._emit(Tok.RIGHT_DELIM)
        if trim:
            rest = self.text[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(SPACES))
            self._ignore()

    def _inside_action(self) -> None:
        while True:
            delim, _trim = self._at_right_delim()
            if delim:
                if self.paren_depth == 0:
                    self._right_delim()
                    return
                self._fail("unclosed left paren")
            char = self._next()
            if char == "":
                self._fail("unclosed action")
            elif is_space(char):
                self._backup(char)
                if self._space():
                    return
            elif char == "=":
                self._emit(Tok.ASSIGN)
            elif char == ":":
                if self._next() != "=":
                    self._fail("expected :=")
                self._emit(Tok.DECLARE)
            elif char == "|":
                self._emit(Tok.PIPE)
            elif char == '"':
                self._quote()
            elif char == "`":
                self._raw_quote()
            elif char == "$":
                self._variable()
            elif char == "'":
                self._char()
            elif char == "." and self._peek() != "" and not "0" <= self._peek() <= "9":
                self._field_or_variable(Tok.FIELD)
            elif char in "+-." or "0" <= char <= "9":
                self._backup(char)
                self._number()
            elif is_alphanumeric(char):
                self._backup(char)
                self._identifier()
            elif char == "(":
                self._emit(Tok.LEFT_PAREN)
                self.paren_depth += 1
            elif char == ")":
                self._emit(Tok.RIGHT_PAREN)
                self.paren_depth -= 1
                if self.paren_depth < 0:
                    self._fail("unexpected right paren U+0029 ')'")
            elif ord(char) < 0x80 and char.isprintable():
                self._emit(Tok.CHAR)
            else:
                self._fail(f"unrecognized character in action: U+{ord(char):04X}")

    def _space(self) -> bool:
        """A run of spaces; True when it ended the action (` -}}`)."""
        count = 0
        while is_space(self._peek()):
            self._next()
            count += 1
        if _right_trim(self.text, self.pos - 1) and self.text.startswith(RIGHT, self.pos + 1):
            self._backup(self.text[self.pos - 1])
            if count == 1:
                self._right_delim()
                return True
        self._emit(Tok.SPACE)
        return False

    def _identifier(self) -> None:
        while is_alphanumeric(self._peek()):
            self._next()
        word = self.text[self.start : self.pos]
        if not self._at_terminator():
            self._bad_character()
        if word in KEYWORDS:
            self._emit(KEYWORDS[word])
        elif word[0] == ".":
            self._emit(Tok.FIELD)
        elif word in ("true", "false"):
            self._emit(Tok.BOOL)
        else:
            self._emit(Tok.IDENTIFIER)

    def _bad_character(self) -> None:
        char = self._peek()
        self._fail(f"bad character U+{ord(char):04X}" if char else "bad character")

    def _variable(self) -> None:
        if self._at_terminator():
            self._emit(Tok.VARIABLE)
            return
        self._field_or_variable(Tok.VARIABLE)

    def _field_or_variable(self, kind: Tok) -> None:
        if self._at_terminator():
            self._emit(Tok.VARIABLE if kind is Tok.VARIABLE else Tok.DOT)
            return
        while is_alphanumeric(self._peek()):
            self._next()
        if not self._at_terminator():
            self._bad_character()
        self._emit(kind)

    def _delimited(self, close: str, what: str, kind: Tok) -> None:
        while True:
            char = self._next()
            if char == "\\":
                escaped = self._next()
                if escaped not in ("", "\n"):
                    continue
                self._fail(f"unterminated {what}")
            if char in ("", "\n"):
                self._fail(f"unterminated {what}")
            if char == close:
                break
        self._emit(kind)

    def _quote(self) -> None:
        self._delimited('"', "quoted string", Tok.STRING)

    def _char(self) -> None:
        self._delimited("'", "character constant", Tok.CHAR_CONSTANT)

    def _raw_quote(self) -> None:
        end = self.text.find("`", self.pos)
        if end < 0:
            self.pos = len(self.text)
            self._fail("unterminated raw quoted string")
        self.line += self.text.count("\n", self.pos, end + 1)
        self.pos = end + 1
        self._emit(Tok.RAW_STRING)

    def _number(self) -> None:
        if not self._scan_number():
            self._fail(f"bad number syntax: {self.text[self.start : self.pos]!r}")
        if self._peek() in ("+", "-"):
            if not self._scan_number() or self.text[self.pos - 1] != "i":
                self._fail(f"bad number syntax: {self.text[self.start : self.pos]!r}")
            self._emit(Tok.COMPLEX)
        else:
            self._emit(Tok.NUMBER)

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
        if len(digits) == 11 and self._accept("eE"):
            self._accept("+-")
            self._accept_run("0123456789_")
        if len(digits) == 23 and self._accept("pP"):
            self._accept("+-")
            self._accept_run("0123456789_")
        self._accept("i")
        if is_alphanumeric(self._peek()):
            self._next()
            return False
        return True


def tokenize(text: str) -> list[Token]:
    return Lexer(text).run()
