"""Running an escaped parse tree over Auth's data, with text/template's rules.

Fields of a map (a missing key is no value, a field of a JSON null is an error), variables
(`$` is the data; `:=` declares until the enclosing `end`, `=` assigns), `if`/`with` truth,
`range` over lists, maps (keys in order), and integers (Go 1.22+), `break`/`continue`,
pipelines (a piped value is the last argument), and the builtins of `funcs.py`. Errors read
like Go's `error calling index: ...` and end the render (Auth then sends nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from karto_sandbox.gotemplate.errors import TemplateExecError, UnsupportedTemplate
from karto_sandbox.gotemplate.funcs import ANY, BUILTINS, STRING, VALUE, FuncError
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
from karto_sandbox.gotemplate.values import (
    MISSING,
    format_value,
    is_int,
    is_nothing,
    is_true,
    sort_keys,
    type_name,
)

# Bounds on one render, so a template cannot keep the sandbox busy: Go has none, so a
# template beyond them is UnsupportedTemplate rather than an error Auth would give.
MAX_STEPS = 200_000
MAX_OUTPUT = 4_000_000


class _NoFinal:
    """No value is piped into this command."""


NO_FINAL = _NoFinal()


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Executor:
    def __init__(self, tree: Tree, data: dict[str, Any]) -> None:
        self.tree = tree
        self.vars: list[list[Any]] = [["$", data]]
        self.out: list[str] = []
        self.size = 0
        self.steps = 0

    def error(self, message: str) -> TemplateExecError:
        return TemplateExecError(f"template: {self.tree.name}: {message}")

    def _step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise UnsupportedTemplate(f"the sandbox stops a render after {MAX_STEPS} steps")

    def _write(self, text: str) -> None:
        self.size += len(text)
        if self.size > MAX_OUTPUT:
            raise UnsupportedTemplate(f"the sandbox renders at most {MAX_OUTPUT} characters")
        self.out.append(text)

    # -- variables -------------------------------------------------------------------------
    def _push(self, name: str, value: Any) -> None:
        self.vars.append([name, value])

    def _pop(self, mark: int) -> None:
        del self.vars[mark:]

    def _set(self, name: str, value: Any) -> None:
        for slot in reversed(self.vars):
            if slot[0] == name:
                slot[1] = value
                return
        raise self.error(f"undefined variable: {name}")

    def _get(self, name: str) -> Any:
        for slot in reversed(self.vars):
            if slot[0] == name:
                return slot[1]
        raise self.error(f"undefined variable: {name}")

    # -- statements ------------------------------------------------------------------------
    def run(self) -> str:
        self.walk(self.vars[0][1], self.tree.root)
        return "".join(self.out)

    def walk(self, dot: Any, nodes: list[Node] | None) -> None:
        for node in nodes or []:
            self._step()
            if isinstance(node, TextNode):
                self._write(node.escaped if node.escaped is not None else node.text)
            elif isinstance(node, ActionNode):
                self._action(dot, node)
            elif isinstance(node, BranchNode):
                if node.kind == "range":
                    self._range(dot, node)
                else:
                    self._if_or_with(dot, node)
            elif isinstance(node, BreakNode):
                raise _Break
            elif isinstance(node, ContinueNode):
                raise _Continue
            elif isinstance(node, CommentNode):
                continue
            elif isinstance(node, TemplateNode):
                raise UnsupportedTemplate("{{template}} is not rendered by the sandbox")

    def _action(self, dot: Any, node: ActionNode) -> None:
        pipe = node.pipe
        if node.escaped_cmds is not None:
            pipe = PipeNode(pipe.pos, pipe.decl, pipe.is_assign, node.escaped_cmds)
        value = self.pipeline(dot, pipe)
        if not pipe.decl:
            self._write(value if isinstance(value, str) else _printable(value))

    def _if_or_with(self, dot: Any, node: BranchNode) -> None:
        mark = len(self.vars)
        try:
            value = self.pipeline(dot, node.pipe)
            if is_true(value):
                self.walk(value if node.kind == "with" else dot, node.body)
            elif node.orelse is not None:
                self.walk(dot, node.orelse)
        finally:
            self._pop(mark)

    def _range(self, dot: Any, node: BranchNode) -> None:
        mark = len(self.vars)
        try:
            pipe = node.pipe
            if pipe.is_assign:
                raise UnsupportedTemplate("range with = is not rendered by the sandbox")
            value = self.pipeline(dot, pipe)
            items: Iterable[tuple[Any, Any]]
            if isinstance(value, list):
                items = enumerate(value)
            elif isinstance(value, dict):
                items = [(key, value[key]) for key in sort_keys(value)]
            elif is_int(value):
                if len(pipe.decl) > 1:
                    raise self.error(f"can't use {value} to iterate over more than one variable")
                items = ((i, i) for i in range(max(value, 0)))
            elif is_nothing(value):
                items = ()
            else:
                raise self.error(f"range can't iterate over {format_value(value)}")
            inner = len(self.vars)
            ran = False
            for index, element in items:
                self._step()
                ran = True
                if pipe.decl:
                    self.vars[inner - 1][1] = element
                if len(pipe.decl) > 1:
                    self.vars[inner - 2][1] = index
                try:
                    self.walk(element, node.body)
                except _Continue:
                    pass
                except _Break:
                    return
                finally:
                    self._pop(inner)
            if not ran and node.orelse is not None:
                self.walk(dot, node.orelse)
        finally:
            self._pop(mark)

    # -- pipelines -------------------------------------------------------------------------
    def pipeline(self, dot: Any, pipe: PipeNode) -> Any:
        value: Any = NO_FINAL
        for command in pipe.cmds:
            value = self.command(dot, command, value)
            if value is None:
                value = MISSING  # an interface holding nil is no value once it is a result
        for name in pipe.decl:
            if pipe.is_assign:
                self._set(name, value)
            else:
                self._push(name, value)
        return value

    def command(self, dot: Any, command: CommandNode, final: Any) -> Any:
        first = command.args[0]
        if isinstance(first, FieldNode):
            return self._field_chain(dot, first.names, command.args, final)
        if isinstance(first, ChainNode):
            return self._chain(dot, first, command.args, final)
        if isinstance(first, IdentifierNode):
            return self._function(dot, first.name, command.args, final)
        if isinstance(first, PipeNode):
            self._not_a_function(command.args, final)
            return self.pipeline(dot, first)
        if isinstance(first, VariableNode):
            return self._variable(first, command.args, final)
        self._not_a_function(command.args, final)
        if isinstance(first, BoolNode):
            return first.value
        if isinstance(first, DotNode):
            return dot
        if isinstance(first, NilNode):
            raise self.error("nil is not a command")
        if isinstance(first, NumberNode):
            return self._constant(first)
        if isinstance(first, StringNode):
            return first.text
        raise self.error(f"can't evaluate command {first!r}")

    def _not_a_function(self, args: list[Node] | None, final: Any) -> None:
        if (args is not None and len(args) > 1) or final is not NO_FINAL:
            raise self.error("can't give argument to non-function")

    def _constant(self, node: NumberNode) -> Any:
        number = node.number
        if number.is_complex:
            raise UnsupportedTemplate("complex numbers are not rendered by the sandbox")
        text = number.text
        hex_int = (
            len(text) > 2
            and text[0] == "0"
            and text[1] in "xX"
            and not any(c in text for c in "pP")
        )
        if (
            number.float_value is not None
            and not hex_int
            and not text.startswith("'")
            and any(c in text for c in ".eEpP")
        ):
            return number.float_value
        if number.int_value is not None:
            return number.int_value
        if number.uint_value is not None:
            raise self.error(f"{text} overflows int")
        return MISSING

    def _variable(self, node: VariableNode, args: list[Node] | None, final: Any) -> Any:
        value = self._get(node.names[0])
        if len(node.names) == 1:
            self._not_a_function(args, final)
            return value
        return self._walk_fields(value, node.names[1:], args, final)

    def _chain(self, dot: Any, node: ChainNode, args: list[Node] | None, final: Any) -> Any:
        if isinstance(node.node, NilNode):
            raise self.error("indirection through explicit nil")
        receiver = self.argument(dot, None, node.node)
        return self._walk_fields(receiver, node.fields, args, final)

    def _field_chain(self, dot: Any, names: list[str], args: list[Node] | None, final: Any) -> Any:
        return self._walk_fields(dot, names, args, final)

    def _walk_fields(
        self, receiver: Any, names: list[str], args: list[Node] | None, final: Any
    ) -> Any:
        for name in names[:-1]:
            receiver = self._field(name, None, NO_FINAL, receiver)
        return self._field(names[-1], args, final, receiver)

    def _field(self, name: str, args: list[Node] | None, final: Any, receiver: Any) -> Any:
        if receiver is MISSING:
            return MISSING
        if receiver is None:
            raise self.error(f"nil pointer evaluating interface {{}}.{name}")
        has_args = (args is not None and len(args) > 1) or final is not NO_FINAL
        if isinstance(receiver, dict):
            if has_args:
                raise self.error(f"{name} is not a method but has arguments")
            return receiver.get(name, MISSING)
        raise self.error(f"can't evaluate field {name} in type {type_name(receiver)}")

    # -- arguments -------------------------------------------------------------------------
    def argument(self, dot: Any, kind: str | None, node: Node) -> Any:
        """An argument's value as a parameter of `kind` (None: no type) receives it."""
        if isinstance(node, DotNode):
            return self._validate(dot, kind)
        if isinstance(node, NilNode):
            if kind == STRING:
                raise self.error("cannot assign nil to string")
            return None if kind == ANY else MISSING
        if isinstance(node, FieldNode):
            return self._validate(self._field_chain(dot, node.names, [node], NO_FINAL), kind)
        if isinstance(node, VariableNode):
            return self._validate(self._variable(node, None, NO_FINAL), kind)
        if isinstance(node, PipeNode):
            return self._validate(self.pipeline(dot, node), kind)
        if isinstance(node, IdentifierNode):
            return self._validate(self._function(dot, node.name, None, NO_FINAL), kind)
        if isinstance(node, ChainNode):
            return self._validate(self._chain(dot, node, None, NO_FINAL), kind)
        if kind == STRING:
            if isinstance(node, StringNode):
                return node.text
            raise self.error(f"expected string; found {_node_text(node)}")
        if isinstance(node, BoolNode):
            return node.value
        if isinstance(node, NumberNode):
            return self._constant(node)
        if isinstance(node, StringNode):
            return node.text
        raise self.error("can't handle argument")

    def _validate(self, value: Any, kind: str | None) -> Any:
        if value is MISSING:
            if kind == ANY:
                return None
            if kind == STRING:
                raise self.error("invalid value; expected string")
            return MISSING
        if kind == STRING and not isinstance(value, str):
            raise self.error(f"wrong type for value; expected string; got {type_name(value)}")
        return value

    def _function(self, dot: Any, name: str, args: list[Node] | None, final: Any) -> Any:
        entry = BUILTINS.get(name)
        if entry is None:
            raise self.error(f'"{name}" is not a defined function')
        signature, function = entry
        arg_nodes = list(args[1:]) if args else []
        count = len(arg_nodes) + (0 if final is NO_FINAL else 1)
        fixed = len(signature.fixed)
        if signature.variadic is not None:
            if count < fixed:
                raise self.error(
                    f"wrong number of args for {name}: want at least {fixed} got {len(arg_nodes)}"
                )
        elif count != fixed:
            raise self.error(f"wrong number of args for {name}: want {fixed} got {count}")

        def kind_at(position: int) -> str:
            if position < fixed:
                return signature.fixed[position]
            return signature.variadic or ANY

        if name in ("and", "or"):
            result: Any = MISSING
            for node in arg_nodes:
                result = self.argument(dot, VALUE, node)
                if is_true(result) == (name == "or"):
                    return result
            if final is not NO_FINAL:
                result = self._validate(final, VALUE)
            return result
        values = [self.argument(dot, kind_at(i), node) for i, node in enumerate(arg_nodes)]
        if final is not NO_FINAL:
            values.append(self._validate(final, kind_at(len(arg_nodes))))
        try:
            return function(*values)
        except FuncError as exc:
            raise self.error(f"error calling {name}: {exc}") from None


def _node_text(node: Node) -> str:
    if isinstance(node, BoolNode):
        return "true" if node.value else "false"
    if isinstance(node, NumberNode):
        return node.number.text
    if isinstance(node, StringNode):
        return node.quoted
    return type(node).__name__


def _printable(value: Any) -> str:
    """text/template's printing of a value that reached the output without an escaper."""
    if value is MISSING:
        return "<no value>"
    return format_value(value)


def execute(tree: Tree, data: dict[str, Any]) -> str:
    return Executor(tree, data).run()
