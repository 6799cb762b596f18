"""Go template text -> parse tree, refusing exactly what text/template's parser refuses.

The grammar is the one https://pkg.go.dev/text/template documents, with the checks its
parser makes before anything runs: every `if`/`range`/`with`/`define`/`block` closed by one
`end`; `else if` only after `if`, `else with` only after `with` (Go 1.23); `break` and
`continue` only inside `range`; a variable used only after its `:=`; only the builtin
functions (Auth adds none); no literal as a later pipeline stage; one definition per
template name. Errors read like Go's: `template: NAME:LINE: message`.
"""

from __future__ import annotations

from karto_sandbox.gotemplate.errors import TemplateSyntaxError
from karto_sandbox.gotemplate.lexer import Tok, Token, tokenize
from karto_sandbox.gotemplate.literals import (
    LiteralError,
    char_number,
    parse_number,
    unquote,
)
from karto_sandbox.gotemplate.nodes import (
    ActionNode,
    BoolNode,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    CommentNode,
    ContinueNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    StringNode,
    TemplateNode,
    TextNode,
    Tree,
    VariableNode,
)

BUILTINS = frozenset(
    {
        "and",
        "call",
        "html",
        "index",
        "slice",
        "js",
        "len",
        "not",
        "or",
        "print",
        "printf",
        "println",
        "urlquery",
        "eq",
        "ge",
        "gt",
        "le",
        "lt",
        "ne",
    }
)
_OPERAND_STARTS = frozenset(
    {
        Tok.BOOL,
        Tok.CHAR_CONSTANT,
        Tok.COMPLEX,
        Tok.DOT,
        Tok.FIELD,
        Tok.IDENTIFIER,
        Tok.NUMBER,
        Tok.NIL,
        Tok.RAW_STRING,
        Tok.STRING,
        Tok.VARIABLE,
        Tok.LEFT_PAREN,
    }
)


# unicode.IsSpace: what Go's bytes.TrimSpace removes.
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


class _End(Node):
    pass


class _Else(Node):
    def __init__(self, pos: int, keyword: Tok | None) -> None:
        super().__init__(pos)
        self.keyword = keyword  # IF or WITH for `else if` / `else with`


def _is_empty(nodes: list[Node]) -> bool:
    for node in nodes:
        if isinstance(node, CommentNode):
            continue
        if isinstance(node, TextNode) and not node.text.strip(GO_SPACE):
            continue
        return False
    return True


class Parser:
    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.line = 1
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.defined: dict[str, list[Node]] = {}

    # -- tokens ----------------------------------------------------------------------------
    def _next(self) -> Token:
        token = self.tokens[min(self.index, len(self.tokens) - 1)]
        self.index += 1
        self.line = token.line
        return token

    def _backup(self, count: int = 1) -> None:
        self.index -= count

    def _peek(self) -> Token:
        return self.tokens[min(self.index, len(self.tokens) - 1)]

    def _next_non_space(self) -> Token:
        token = self._next()
        while token.kind is Tok.SPACE:
            token = self._next()
        return token

    def _peek_non_space(self) -> Token:
        start = self.index
        token = self._next_non_space()
        self.index = start
        return token

    def _peek_non_space_index(self) -> int:
        index = self.index
        while self.tokens[min(index, len(self.tokens) - 1)].kind is Tok.SPACE:
            index += 1
        return index

    def error(self, message: str) -> TemplateSyntaxError:
        return TemplateSyntaxError(f"template: {self.name}:{self.line}: {message}")

    def _unexpected(self, token: Token, context: str) -> TemplateSyntaxError:
        if token.kind is Tok.ERROR:
            return self.error(token.value)
        return self.error(f"unexpected {token.describe()} in {context}")

    def _expect(self, kind: Tok, context: str) -> Token:
        token = self._next_non_space()
        if token.kind is not kind:
            raise self._unexpected(token, context)
        return token

    # -- the whole text --------------------------------------------------------------------
    def parse(self) -> Tree:
        root: list[Node] = []
        while self._peek().kind is not Tok.EOF:
            if self._peek().kind is Tok.LEFT_DELIM:
                start = self.index
                self._next()
                if self._next_non_space().kind is Tok.DEFINE:
                    self._definition()
                    continue
                self.index = start
            node = self._text_or_action()
            if isinstance(node, _End):
                raise self.error("unexpected {{end}}")
            if isinstance(node, _Else):
                raise self.error("unexpected {{else}}")
            root.append(node)
        self._add(self.name, root)
        return Tree(self.name, self.defined.get(self.name, root), self.text, self.defined)

    def _add(self, name: str, nodes: list[Node]) -> None:
        existing = self.defined.get(name)
        if existing is None or _is_empty(existing):
            self.defined[name] = nodes
            return
        if not _is_empty(nodes):
            raise self.error(f"template: multiple definition of template {name!r}")

    def _template_name(self, token: Token, context: str) -> str:
        if token.kind not in (Tok.STRING, Tok.RAW_STRING):
            raise self._unexpected(token, context)
        try:
            return unquote(token.value)
        except LiteralError as exc:
            raise self.error(str(exc)) from None

    def _definition(self) -> None:
        context = "define clause"
        token = self._next_non_space()
        if token.kind not in (Tok.STRING, Tok.RAW_STRING):
            raise self._unexpected(token, context)
        name = self._template_name(token, context)
        self._expect(Tok.RIGHT_DELIM, context)
        saved_vars, saved_depth = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        body, end = self._item_list()
        if not isinstance(end, _End):
            raise self.error(f"unexpected {self._describe(end)} in {context}")
        self.vars, self.range_depth = saved_vars, saved_depth
        self._add(name, body)

    @staticmethod
    def _describe(node: Node) -> str:
        return "{{end}}" if isinstance(node, _End) else "{{else}}"

    def _item_list(self) -> tuple[list[Node], Node]:
        nodes: list[Node] = []
        while self._peek_non_space().kind is not Tok.EOF:
            node = self._text_or_action()
            if isinstance(node, _End | _Else):
                return nodes, node
            nodes.append(node)
        self._next_non_space()
        raise self.error("unexpected EOF")

    def _text_or_action(self) -> Node:
        token = self._next_non_space()
        if token.kind is Tok.TEXT:
            return TextNode(token.pos, token.value)
        if token.kind is Tok.LEFT_DELIM:
            return self._action()
        raise self._unexpected(token, "input")

    # -- actions ---------------------------------------------------------------------------
    def _action(self) -> Node:
        token = self._next_non_space()
        kind = token.kind
        if kind is Tok.BLOCK:
            return self._block()
        if kind is Tok.BREAK:
            return self._loop_control(token, "break", BreakNode)
        if kind is Tok.CONTINUE:
            return self._loop_control(token, "continue", ContinueNode)
        if kind is Tok.ELSE:
            return self._else()
        if kind is Tok.END:
            end = self._expect(Tok.RIGHT_DELIM, "end")
            return _End(end.pos)
        if kind in (Tok.IF, Tok.RANGE, Tok.WITH):
            return self._branch(kind)
        if kind is Tok.TEMPLATE:
            return self._template()
        self._backup()
        start = self._peek()
        return ActionNode(start.pos, self._pipeline("command", Tok.RIGHT_DELIM))

    def _loop_control(self, token: Token, word: str, node: type[Node]) -> Node:
        after = self._next_non_space()
        if after.kind is not Tok.RIGHT_DELIM:
            raise self._unexpected(after, "{{" + word + "}}")
        if self.range_depth == 0:
            raise self.error("{{" + word + "}} outside {{range}}")
        return node(token.pos)

    def _else(self) -> Node:
        peek = self._peek_non_space()
        if peek.kind in (Tok.IF, Tok.WITH):
            return _Else(peek.pos, peek.kind)
        token = self._expect(Tok.RIGHT_DELIM, "else")
        return _Else(token.pos, None)

    def _branch(self, keyword: Tok) -> BranchNode:
        context = {Tok.IF: "if", Tok.RANGE: "range", Tok.WITH: "with"}[keyword]
        saved_vars = len(self.vars)
        try:
            pipe = self._pipeline(context, Tok.RIGHT_DELIM)
            if keyword is Tok.RANGE:
                self.range_depth += 1
            body, following = self._item_list()
            if keyword is Tok.RANGE:
                self.range_depth -= 1
            orelse: list[Node] | None = None
            if isinstance(following, _Else):
                chained = following.keyword
                if chained is not None and chained is keyword and keyword is not Tok.RANGE:
                    # `{{else if}}` / `{{else with}}`: a nested branch that shares the `end`.
                    self._next_non_space()
                    orelse = [self._branch(keyword)]
                else:
                    orelse, following = self._item_list()
                    if not isinstance(following, _End):
                        raise self.error(f"expected end; found {self._describe(following)}")
            return BranchNode(pipe.pos, context, pipe, body, orelse)
        finally:
            del self.vars[saved_vars:]

    def _block(self) -> Node:
        context = "block clause"
        token = self._next_non_space()
        name = self._template_name(token, context)
        pipe = self._pipeline(context, Tok.RIGHT_DELIM)
        saved_vars, saved_depth = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        body, end = self._item_list()
        self.vars, self.range_depth = saved_vars, saved_depth
        if not isinstance(end, _End):
            raise self.error(f"unexpected {self._describe(end)} in {context}")
        self._add(name, body)
        return TemplateNode(token.pos, name, pipe)

    def _template(self) -> Node:
        context = "template clause"
        token = self._next_non_space()
        name = self._template_name(token, context)
        pipe = None
        if self._next_non_space().kind is not Tok.RIGHT_DELIM:
            self._backup()
            pipe = self._pipeline(context, Tok.RIGHT_DELIM)
        return TemplateNode(token.pos, name, pipe)

    # -- pipelines -------------------------------------------------------------------------
    def _pipeline(self, context: str, end: Tok) -> PipeNode:
        start = self._peek_non_space()
        pipe = PipeNode(start.pos, [], False, [])
        self._declarations(pipe, context)
        while True:
            token = self._next_non_space()
            if token.kind is end:
                self._check_pipeline(pipe, context)
                return pipe
            if token.kind in _OPERAND_STARTS:
                self._backup()
                pipe.cmds.append(self._command())
                continue
            raise self._unexpected(token, context)

    def _declarations(self, pipe: PipeNode, context: str) -> None:
        while True:
            at = self._peek_non_space_index()
            variable = self.tokens[min(at, len(self.tokens) - 1)]
            if variable.kind is not Tok.VARIABLE:
                return
            self.index = at + 1
            following = self._peek_non_space()
            if following.kind in (Tok.ASSIGN, Tok.DECLARE):
                pipe.is_assign = following.kind is Tok.ASSIGN
                self._next_non_space()
                pipe.decl.append(variable.value)
                self.vars.append(variable.value)
                return
            if following.kind is Tok.CHAR and following.value == ",":
                self._next_non_space()
                pipe.decl.append(variable.value)
                self.vars.append(variable.value)
                if context == "range" and len(pipe.decl) < 2:
                    if self._peek_non_space().kind in (
                        Tok.VARIABLE,
                        Tok.RIGHT_DELIM,
                        Tok.RIGHT_PAREN,
                    ):
                        continue
                    raise self.error("range can only initialize variables")
                raise self.error(f"too many declarations in {context}")
            # Not a declaration: put the variable back.
            self.index = at
            return

    def _check_pipeline(self, pipe: PipeNode, context: str) -> None:
        if not pipe.cmds:
            raise self.error(f"missing value for {context}")
        for stage, command in enumerate(pipe.cmds[1:], start=2):
            if isinstance(command.args[0], BoolNode | DotNode | NilNode | NumberNode | StringNode):
                raise self.error(f"non executable command in pipeline stage {stage}")

    def _command(self) -> CommandNode:
        command = CommandNode(self._peek_non_space().pos, [])
        while True:
            self._peek_non_space()
            operand = self._operand()
            if operand is not None:
                command.args.append(operand)
            token = self._next()
            if token.kind is Tok.SPACE:
                continue
            if token.kind in (Tok.RIGHT_DELIM, Tok.RIGHT_PAREN):
                self._backup()
            elif token.kind is not Tok.PIPE:
                if token.kind is Tok.ERROR:
                    raise self.error(token.value)
                raise self.error(f"unexpected {token.describe()} in operand")
            break
        if not command.args:
            raise self.error("empty command")
        return command

    def _operand(self) -> Node | None:
        node = self._term()
        if node is None:
            return None
        if self._peek().kind is Tok.FIELD:
            fields: list[str] = []
            chain_pos = self._peek().pos
            while self._peek().kind is Tok.FIELD:
                fields += self._next().value[1:].split(".")
            if isinstance(node, FieldNode):
                return FieldNode(chain_pos, node.names + fields)
            if isinstance(node, VariableNode):
                return VariableNode(chain_pos, node.names + fields)
            if isinstance(node, BoolNode | StringNode | NumberNode | NilNode | DotNode):
                raise self.error(f"unexpected . after term {self._term_text(node)!r}")
            return ChainNode(chain_pos, node, fields)
        return node

    @staticmethod
    def _term_text(node: Node) -> str:
        if isinstance(node, BoolNode):
            return "true" if node.value else "false"
        if isinstance(node, StringNode):
            return node.quoted
        if isinstance(node, NumberNode):
            return node.number.text
        return "nil" if isinstance(node, NilNode) else "."

    def _term(self) -> Node | None:
        token = self._next_non_space()
        kind = token.kind
        if kind is Tok.ERROR:
            raise self.error(token.value)
        if kind is Tok.IDENTIFIER:
            if token.value not in BUILTINS:
                raise self.error(f'function "{token.value}" not defined')
            return IdentifierNode(token.pos, token.value)
        if kind is Tok.DOT:
            return DotNode(token.pos)
        if kind is Tok.NIL:
            return NilNode(token.pos)
        if kind is Tok.VARIABLE:
            return self._use_variable(token)
        if kind is Tok.FIELD:
            return FieldNode(token.pos, token.value[1:].split("."))
        if kind is Tok.BOOL:
            return BoolNode(token.pos, token.value == "true")
        if kind in (Tok.CHAR_CONSTANT, Tok.COMPLEX, Tok.NUMBER):
            try:
                if kind is Tok.CHAR_CONSTANT:
                    number = char_number(token.value)
                else:
                    number = parse_number(token.value, kind is Tok.COMPLEX)
            except LiteralError as exc:
                raise self.error(str(exc)) from None
            return NumberNode(token.pos, number)
        if kind is Tok.LEFT_PAREN:
            return self._pipeline("parenthesized pipeline", Tok.RIGHT_PAREN)
        if kind in (Tok.STRING, Tok.RAW_STRING):
            try:
                text = unquote(token.value)
            except LiteralError as exc:
                raise self.error(str(exc)) from None
            return StringNode(token.pos, token.value, text)
        self._backup()
        return None

    def _use_variable(self, token: Token) -> VariableNode:
        names = token.value.split(".")
        if names[0] not in self.vars:
            raise self.error(f'undefined variable "{names[0]}"')
        return VariableNode(token.pos, names)


def parse(text: str, name: str = "") -> Tree:
    """The parse tree of `text`; TemplateSyntaxError when Go's parser would refuse it."""
    return Parser(name, text).parse()
