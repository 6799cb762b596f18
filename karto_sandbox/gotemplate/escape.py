"""html/template's escaping pass: give every `{{ }}` the escapers of the context it lands in.

Before a template runs, html/template reads all of it once, text and branches alike, and
refuses it (an execution error in Auth: no mail) when an `if`, `with` or `range` can end in
two different contexts, a `range` body changes the context when it runs again, an action
sits where no escaping is possible, or the template ends inside a tag, attribute, comment or
special element. Text is rewritten on the way: HTML comments dropped, a `<` that opens no tag
written as `&lt;`.

The sandbox escapes actions in element content, attribute values (plain or URL, quoted or
not), attribute names, `<title>`/`<textarea>` text and comments; an action inside
JavaScript, CSS or `srcset`, and `{{template}}`/`{{block}}`, are UnsupportedTemplate.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from karto_sandbox.gotemplate.errors import TemplateExecError, UnsupportedTemplate
from karto_sandbox.gotemplate.html_context import (
    ATTR_START_STATES,
    COMMENT_STATES,
    CSS_STATES,
    JS_STATES,
    Attr,
    Context,
    Delim,
    JsCtx,
    State,
    UrlPart,
    context_after_text,
    error_context,
)
from karto_sandbox.gotemplate.nodes import (
    ActionNode,
    BranchNode,
    BreakNode,
    CommandNode,
    CommentNode,
    ContinueNode,
    IdentifierNode,
    Node,
    TemplateNode,
    TextNode,
    Tree,
)

PREDEFINED = frozenset({"html", "urlquery"})
_EQUIVALENT = {
    "_html_template_attrescaper": "html",
    "_html_template_htmlescaper": "html",
    "_html_template_rcdataescaper": "html",
    "_html_template_urlescaper": "urlquery",
    "_html_template_urlnormalizer": "urlquery",
}
# redundant[a] holds b when b(a(x)) == a(x): b is not appended after a.
_REDUNDANT = {
    "_html_template_commentescaper": {"_html_template_attrescaper", "_html_template_htmlescaper"},
    "_html_template_cssescaper": {"_html_template_attrescaper"},
    "_html_template_jsregexpescaper": {"_html_template_attrescaper"},
    "_html_template_jsstrescaper": {"_html_template_attrescaper"},
    "_html_template_urlescaper": {"_html_template_urlnormalizer"},
}


def _normalize(name: str) -> str:
    return _EQUIVALENT.get(name, name)


def nudge(c: Context) -> Context:
    """The context an action sees where the text stops just before a value or a name."""
    if c.state is State.TAG:
        return replace(c, state=State.ATTR_NAME)
    if c.state is State.BEFORE_VALUE:
        state = ATTR_START_STATES[c.attr]
        return replace(c, state=state, delim=Delim.SPACE_OR_TAG_END, attr=Attr.NONE)
    if c.state is State.AFTER_NAME:
        return replace(c, state=State.ATTR_NAME, attr=Attr.NONE)
    return c


def join(a: Context, b: Context, what: str) -> Context:
    """The context after a branch whose two ways end in `a` and `b`."""
    if a.state is State.ERROR:
        return a
    if b.state is State.ERROR:
        return b
    if a.state is State.DEAD:
        return b
    if b.state is State.DEAD:
        return a
    if a == b:
        return a
    if replace(a, url_part=b.url_part) == b:
        return replace(a, url_part=UrlPart.UNKNOWN)
    if replace(a, js_ctx=b.js_ctx) == b:
        return replace(a, js_ctx=JsCtx.UNKNOWN)
    nudged_a, nudged_b = nudge(a), nudge(b)
    if not (nudged_a == a and nudged_b == b):
        joined = join(nudged_a, nudged_b, what)
        if joined.state is not State.ERROR:
            return joined
    return error_context(
        f"{{{{{what}}}}} branches end in different contexts: {a.describe()}, {b.describe()}"
    )


@dataclass
class _Loop:
    exits: list[Context] = field(default_factory=list)  # contexts at break and continue


class Escaper:
    def __init__(self) -> None:
        self.loops: list[_Loop] = []
        self.dry = 0  # > 0 while re-reading a range body: compute, record nothing

    # -- lists and nodes -------------------------------------------------------------------
    def nodes(self, c: Context, nodes: list[Node] | None) -> Context:
        for node in nodes or []:
            c = self.node(c, node)
            if c.state is State.DEAD:
                break
        return c

    def node(self, c: Context, node: Node) -> Context:
        if isinstance(node, TextNode):
            return self.text(c, node)
        if isinstance(node, ActionNode):
            return self.action(c, node)
        if isinstance(node, BranchNode):
            return self.branch(c, node)
        if isinstance(node, BreakNode | ContinueNode):
            self.loops[-1].exits.append(c)
            return Context(state=State.DEAD)
        if isinstance(node, CommentNode):
            return c
        if isinstance(node, TemplateNode):
            raise UnsupportedTemplate("{{template}} and {{block}} are not rendered by the sandbox")
        raise UnsupportedTemplate(f"{type(node).__name__} is not rendered by the sandbox")

    # -- actions ---------------------------------------------------------------------------
    def action(self, c: Context, node: ActionNode) -> Context:
        pipe = node.pipe
        if pipe.decl:
            return c  # a variable declaration writes nothing
        c = nudge(c)
        for position, command in enumerate(pipe.cmds):
            first = command.args[0]
            if isinstance(first, IdentifierNode) and first.name in PREDEFINED:
                last = position == len(pipe.cmds) - 1
                unquoted_html = (
                    c.state is State.ATTR
                    and c.delim is Delim.SPACE_OR_TAG_END
                    and first.name == "html"
                )
                if not last or unquoted_html:
                    return error_context(
                        f'predefined escaper "{first.name}" disallowed in template'
                    )
        escapers: list[str] = []
        state = c.state
        if state is State.ERROR:
            return c
        if state is State.URL:
            if c.url_part is UrlPart.NONE:
                escapers += ["_html_template_urlfilter", "_html_template_urlnormalizer"]
            elif c.url_part is UrlPart.PRE_QUERY:
                escapers.append("_html_template_urlnormalizer")
            elif c.url_part is UrlPart.QUERY_OR_FRAG:
                escapers.append("_html_template_urlescaper")
            else:
                return error_context("an action appears in an ambiguous context within a URL")
        elif state in JS_STATES:
            if state is State.JS_BQ_STR:
                return error_context("an action appears in a JS template literal")
            raise UnsupportedTemplate("an action inside JavaScript is not rendered by the sandbox")
        elif state in CSS_STATES:
            raise UnsupportedTemplate("an action inside CSS is not rendered by the sandbox")
        elif state is State.TEXT:
            escapers.append("_html_template_htmlescaper")
        elif state is State.RCDATA:
            escapers.append("_html_template_rcdataescaper")
        elif state is State.ATTR:
            pass
        elif state in (State.ATTR_NAME, State.TAG):
            c = replace(c, state=State.ATTR_NAME)
            escapers.append("_html_template_htmlnamefilter")
        elif state is State.SRCSET:
            raise UnsupportedTemplate("an action inside srcset is not rendered by the sandbox")
        elif state in COMMENT_STATES:
            escapers.append("_html_template_commentescaper")
        else:
            raise UnsupportedTemplate(f"an action in state {state.name} is not rendered")
        if c.delim is Delim.SPACE_OR_TAG_END:
            escapers.append("_html_template_nospaceescaper")
        elif c.delim is not Delim.NONE:
            escapers.append("_html_template_attrescaper")
        if not self.dry:
            _ensure_pipeline_contains(node, escapers)
        return c

    # -- branches --------------------------------------------------------------------------
    def branch(self, c: Context, node: BranchNode) -> Context:
        what = node.kind
        if what == "range":
            self.loops.append(_Loop())
        body = self.nodes(c, node.body)
        if what == "range":
            loop = self.loops.pop()
            if body.state is not State.ERROR:
                body = self._join_exits(body, loop)
            if body.state is State.ERROR:
                return body
            # The body can run again: reading it a second time must end where it began.
            self.loops.append(_Loop())
            self.dry += 1
            try:
                again = self.nodes(body, node.body)
            finally:
                self.dry -= 1
            body = join(body, again, what)
            loop = self.loops.pop()
            if body.state is State.ERROR:
                return replace(body, error=f"on range loop re-entry: {body.error}")
            body = self._join_exits(body, loop)
            if body.state is State.ERROR:
                return body
        orelse = self.nodes(c, node.orelse)
        return join(body, orelse, what)

    @staticmethod
    def _join_exits(body: Context, loop: _Loop) -> Context:
        for exit_context in loop.exits:
            body = join(body, exit_context, "range")
            if body.state is State.ERROR:
                return replace(body, error=f"at range loop break or continue: {body.error}")
        return body

    # -- text ------------------------------------------------------------------------------
    def text(self, c: Context, node: TextNode) -> Context:
        s = node.text
        out: list[str] = []
        written = i = 0
        while i != len(s):
            c1, read = context_after_text(c, s[i:])
            i1 = i + read
            if c.state in (State.TEXT, State.RCDATA):
                end = i1
                if c1.state is not c.state:
                    found = s.rfind("<", i, end)
                    if found >= 0:
                        end = found
                for j in range(i, end):
                    if s[j] == "<" and s[j : j + 9].upper() != "<!DOCTYPE":
                        out.append(s[written:j])
                        out.append("&lt;")
                        written = j + 1
            elif c.state in COMMENT_STATES and c.delim is Delim.NONE:
                if c.state is State.JS_BLOCK_CMT:
                    out.append(
                        "\n" if any(ch in s[written:i1] for ch in "\n\r\u2028\u2029") else " "
                    )
                elif c.state is State.CSS_BLOCK_CMT:
                    out.append(" ")
                written = i1
            if c.state is not c1.state and c1.state in COMMENT_STATES and c1.delim is Delim.NONE:
                start = i1 - 2
                if c1.state in (State.HTML_CMT, State.JS_HTML_OPEN_CMT):
                    start -= 2
                elif c1.state is State.JS_HTML_CLOSE_CMT:
                    start -= 1
                out.append(s[written:start])
                written = i1
            if i == i1 and c.state is c1.state:
                raise TemplateExecError(f"html/template made no progress on {s[i:][:32]!r}")
            c, i = c1, i1
        if written and c.state is not State.ERROR and not self.dry:
            if c.state not in COMMENT_STATES or c.delim is not Delim.NONE:
                out.append(s[written:])
            node.escaped = "".join(out)
        return c


def _ensure_pipeline_contains(node: ActionNode, escapers: list[str]) -> None:
    """Append the escapers to the action's pipeline, merging a trailing `html`/`urlquery`."""
    if not escapers:
        return
    pipe = node.pipe
    commands = list(pipe.cmds)
    keep = len(commands)
    if commands:
        last = commands[-1]
        first = last.args[0]
        if isinstance(first, IdentifierNode) and first.name in PREDEFINED:
            name = first.name
            if len(commands) == 1 and len(last.args) > 1:
                # {{ html a b }} runs as {{ _eval_args_ a b | html }}.
                commands[-1] = CommandNode(
                    last.pos, [IdentifierNode(first.pos, "_eval_args_"), *last.args[1:]]
                )
                commands.append(CommandNode(pipe.pos, [IdentifierNode(pipe.pos, name)]))
                keep += 1
            duplicate = False
            for index, escaper in enumerate(escapers):
                if _normalize(name) == _normalize(escaper):
                    escapers[index] = name
                    duplicate = True
            if duplicate:
                keep -= 1
    result = commands[:keep]
    present = {
        _normalize(command.args[0].name)
        for command in result
        if isinstance(command.args[0], IdentifierNode)
    }
    for name in escapers:
        if _normalize(name) in present:
            continue
        if result:
            previous = result[-1].args[0]
            if isinstance(previous, IdentifierNode) and name in _REDUNDANT.get(previous.name, ()):
                continue
        result.append(CommandNode(pipe.pos, [IdentifierNode(pipe.pos, name)]))
    node.escaped_cmds = result


def escape(tree: Tree) -> None:
    """Annotate `tree` for html/template; TemplateExecError when Go would refuse to run it."""
    c = Escaper().nodes(Context(), tree.root)
    if c.error is not None:
        raise TemplateExecError(f"html/template: {c.error}")
    if c.state is not State.TEXT:
        raise TemplateExecError(f"html/template: ends in a non-text context: {c.describe()}")
