"""The parse tree of a Go template: the node kinds text/template documents."""

from __future__ import annotations

from dataclasses import dataclass, field

from karto_sandbox.gotemplate.literals import Number


@dataclass(eq=False)
class Node:
    pos: int


# -- operands ---------------------------------------------------------------------------
@dataclass(eq=False)
class DotNode(Node):
    pass


@dataclass(eq=False)
class NilNode(Node):
    pass


@dataclass(eq=False)
class BoolNode(Node):
    value: bool


@dataclass(eq=False)
class NumberNode(Node):
    number: Number


@dataclass(eq=False)
class StringNode(Node):
    quoted: str
    text: str


@dataclass(eq=False)
class FieldNode(Node):
    """`.A.B`: fields of dot."""

    names: list[str]


@dataclass(eq=False)
class VariableNode(Node):
    """`$x.A.B`: `names[0]` is the variable, the rest are fields."""

    names: list[str]


@dataclass(eq=False)
class IdentifierNode(Node):
    """A function name."""

    name: str


@dataclass(eq=False)
class ChainNode(Node):
    """`(pipeline).A.B`: fields of a parenthesised pipeline's value."""

    node: Node
    fields: list[str]


@dataclass(eq=False)
class CommandNode(Node):
    args: list[Node]


@dataclass(eq=False)
class PipeNode(Node):
    """`$x := a | b c`: declarations (or assignments) and commands."""

    decl: list[str]
    is_assign: bool
    cmds: list[CommandNode]


# -- statements -------------------------------------------------------------------------
@dataclass(eq=False)
class TextNode(Node):
    text: str
    escaped: str | None = None  # the text as html/template writes it, when it differs


@dataclass(eq=False)
class CommentNode(Node):
    pass


@dataclass(eq=False)
class ActionNode(Node):
    pipe: PipeNode
    # The commands html/template runs: the pipeline's own, then the escapers it appended.
    escaped_cmds: list[CommandNode] | None = None


@dataclass(eq=False)
class BranchNode(Node):
    """`if`, `with` or `range`, with its body and optional else list."""

    kind: str
    pipe: PipeNode
    body: list[Node]
    orelse: list[Node] | None


@dataclass(eq=False)
class TemplateNode(Node):
    """`{{template "name" pipeline}}` (also what `{{block}}` leaves behind)."""

    name: str
    pipe: PipeNode | None


@dataclass(eq=False)
class BreakNode(Node):
    pass


@dataclass(eq=False)
class ContinueNode(Node):
    pass


@dataclass(eq=False)
class Tree:
    name: str
    root: list[Node]
    text: str
    defined: dict[str, list[Node]] = field(default_factory=dict)
