"""The HTML checks Go's html/template makes before it executes a template.

Supabase Auth renders email templates with `html/template`. Before the first execution it
follows the HTML context through the template (text, tag, attribute name, attribute value,
comment, script/style/title/textarea content) to choose an escaper for every action, and
refuses to execute, so Auth sends no email, when:

- the template ends anywhere but in text (an unclosed tag, attribute quote, comment,
  `<script>`, `<title>`...): "ends in a non-text context";
- the branches of an `if`/`with`/`range` (or an `if` without `else`, or a `range` body run
  twice) end in different contexts: "branches end in different contexts";
- an attribute name holds a quote or `<`, an unquoted attribute value holds `"'<=` or a
  backquote, or a tag has `=` where an attribute name should be.

This follows the states of Go's html/template (transition.go, escape.go) at the level of
HTML structure only: JavaScript, CSS and URL sub-states are folded into the element or
attribute that holds them. Folding only merges contexts Go tells apart, so it can miss an
error Go would find inside a script or a URL, but every error it reports, Go reports too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from karto_smtp.config.gotemplate import (
    Action,
    Branch,
    LoopJump,
    Node,
    ParsedTemplate,
    Problem,
    TemplateCall,
    Text,
)

TEXT = "text"
TAG = "tag"
ATTR_NAME = "attribute name"
AFTER_NAME = "after attribute name"
BEFORE_VALUE = "before attribute value"
ATTR = "attribute value"
COMMENT = "HTML comment"
CONTENT = "element content"  # inside <script>, <style>, <textarea> or <title>
DEAD = "dead"  # after {{break}} or {{continue}}: no output follows
ERROR = "error"

_SPECIAL_ELEMENTS = ("script", "style", "textarea", "title")
_WHITESPACE = " \t\n\f\r"
_UNQUOTED_END = " \t\n\f\r>"
_JS_TYPES = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/json",
        "application/ld+json",
        "application/x-ecmascript",
        "application/x-javascript",
        "module",
        "text/ecmascript",
        "text/javascript",
        "text/javascript1.0",
        "text/javascript1.1",
        "text/javascript1.2",
        "text/javascript1.3",
        "text/javascript1.4",
        "text/javascript1.5",
        "text/jscript",
        "text/livescript",
        "text/x-ecmascript",
        "text/x-javascript",
    }
)


@dataclass(frozen=True)
class Context:
    state: str = TEXT
    delim: str = ""  # '"', "'", " " (unquoted) or "" (not in a value)
    element: str = ""  # a special element whose content follows, or ""
    script_type: bool = False  # in the value of a <script>'s type attribute
    # Where the current construct began, for messages; not part of the context itself.
    since: int = field(default=0, compare=False)
    error: str = field(default="", compare=False)
    error_pos: int = field(default=0, compare=False)


def html_problems(parsed: ParsedTemplate) -> list[Problem]:
    """The first reason html/template would refuse to execute `parsed`, if any."""
    walker = _Walker(parsed)
    end = walker.nodes(Context(), parsed.root)
    if end.state == ERROR:
        return [Problem(end.error_pos, end.error)]
    if end.state != TEXT:
        return [
            Problem(
                end.since,
                f"the template ends inside {_describe(end)} that starts here, not in plain text",
            )
        ]
    return []


def _describe(ctx: Context) -> str:
    if ctx.state in (ATTR, BEFORE_VALUE):
        if ctx.delim in ('"', "'"):
            return f"an attribute value quoted with {ctx.delim}"
        return "an attribute value"
    if ctx.state in (TAG, ATTR_NAME, AFTER_NAME):
        return "a tag"
    if ctx.state == COMMENT:
        return "an HTML comment (<!-- without -->)"
    if ctx.state == CONTENT:
        return f"a <{ctx.element}> element"
    return ctx.state


def _fail(pos: int, message: str) -> Context:
    return Context(state=ERROR, error=message, error_pos=pos)


def _nudge(ctx: Context) -> Context:
    """Where an action moves an unfinished tag: `<a {{.}}` writes an attribute name,
    `<a href={{.}}` an unquoted value."""
    if ctx.state == TAG:
        return replace(ctx, state=ATTR_NAME)
    if ctx.state == AFTER_NAME:
        return replace(ctx, state=ATTR_NAME, script_type=False)
    if ctx.state == BEFORE_VALUE:
        return replace(ctx, state=ATTR, delim=" ", script_type=False)
    return ctx


def _join(a: Context, b: Context, pos: int, kind: str) -> Context:
    for ctx in (a, b):
        if ctx.state == ERROR:
            return ctx
    if a.state == DEAD:
        return b
    if b.state == DEAD:
        return a
    if a == b:
        return a
    na, nb = _nudge(a), _nudge(b)
    if (na, nb) != (a, b):
        joined = _join(na, nb, pos, kind)
        if joined.state != ERROR:
            return joined
    return _fail(
        pos,
        f"the branches of this {{{{{kind}}}}} end in different HTML contexts "
        f"({_describe(a)} and {_describe(b)}); close each tag, quote and comment "
        "in the branch that opens it",
    )


class _Walker:
    def __init__(self, parsed: ParsedTemplate) -> None:
        self.parsed = parsed
        self.calls: dict[tuple[str, Context], Context] = {}
        self.loops: list[list[Context]] = []

    def nodes(self, ctx: Context, nodes: list[Node]) -> Context:
        for node in nodes:
            ctx = self.node(ctx, node)
            if ctx.state in (ERROR, DEAD):
                break
        return ctx

    def node(self, ctx: Context, node: Node) -> Context:
        if isinstance(node, Text):
            return _after_text(ctx, node.text, node.pos)
        if isinstance(node, Action):
            return ctx if node.pipe.decls else _nudge(ctx)
        if isinstance(node, LoopJump):
            if self.loops:
                self.loops[-1].append(ctx)
            return Context(state=DEAD)
        if isinstance(node, TemplateCall):
            return self.call(ctx, node)
        return self.branch(ctx, node)

    def call(self, ctx: Context, node: TemplateCall) -> Context:
        body = self.parsed.defined.get(node.name)
        if body is None:
            # Reported by gotemplate.execution_problems.
            return ctx
        key = (node.name, ctx)
        if key not in self.calls:
            # A recursive call is assumed to end where it began, as Go first assumes.
            self.calls[key] = ctx
            self.calls[key] = self.nodes(ctx, body)
        return self.calls[key]

    def branch(self, ctx: Context, node: Branch) -> Context:
        if node.kind == "range":
            self.loops.append([])
            first = self.nodes(ctx, node.body)
            for jump in self.loops.pop():
                first = _join(first, jump, node.pos, "range")
            if first.state != ERROR:
                # The body may run again, starting where it ended.
                self.loops.append([])
                again = self.nodes(first, node.body)
                for jump in self.loops.pop():
                    again = _join(again, jump, node.pos, "range")
                first = _join(first, again, node.pos, "range")
            body_end = first
        else:
            body_end = self.nodes(ctx, node.body)
        other = self.nodes(ctx, node.orelse)
        return _join(body_end, other, node.pos, node.kind)


def _after_text(ctx: Context, text: str, pos: int) -> Context:
    index = 0
    while index < len(text) and ctx.state not in (ERROR, DEAD):
        ctx, consumed = _step(ctx, text[index:], pos + index)
        index += consumed
    return ctx


def _step(ctx: Context, s: str, pos: int) -> tuple[Context, int]:
    """Consume some of `s` from `ctx`; return the new context and how much was read."""
    if ctx.delim:
        return _in_value(ctx, s, pos)
    if ctx.element:
        # Inside <script ...> (its tag or its content) nothing reaches past </script.
        end = _special_end(s, ctx.element)
        if end == 0:
            return Context(), 0
        if end > 0:
            s = s[:end]
    if ctx.state == CONTENT:
        return ctx, len(s)
    if ctx.state == TEXT:
        return _in_text(ctx, s, pos)
    if ctx.state == TAG:
        return _in_tag(ctx, s, pos)
    if ctx.state == ATTR_NAME:
        end, problem = _attr_name_end(s, 0, pos)
        if problem is not None:
            return problem, len(s)
        return (replace(ctx, state=AFTER_NAME) if end != len(s) else ctx), end
    if ctx.state == AFTER_NAME:
        i = _skip_space(s, 0)
        if i == len(s):
            return ctx, len(s)
        if s[i] != "=":
            return replace(ctx, state=TAG), i
        return replace(ctx, state=BEFORE_VALUE), i + 1
    if ctx.state == BEFORE_VALUE:
        i = _skip_space(s, 0)
        if i == len(s):
            return ctx, len(s)
        if s[i] in "\"'":
            return replace(ctx, state=ATTR, delim=s[i], since=pos + i), i + 1
        return replace(ctx, state=ATTR, delim=" ", since=pos + i), i
    if ctx.state == COMMENT:
        end = s.find("-->")
        if end < 0:
            return ctx, len(s)
        return Context(), end + 3
    return ctx, len(s)


def _in_text(ctx: Context, s: str, pos: int) -> tuple[Context, int]:
    k = 0
    while True:
        i = s.find("<", k)
        if i < 0 or i + 1 == len(s):
            return ctx, len(s)
        if s.startswith("<!--", i):
            return Context(state=COMMENT, since=pos + i), i + 4
        j = i + 1
        closing = s[j] == "/"
        if closing:
            if j + 1 == len(s):
                return ctx, len(s)
            j += 1
        end = _tag_name_end(s, j)
        if end != j:
            name = s[j:end].lower()
            element = name if name in _SPECIAL_ELEMENTS and not closing else ""
            return Context(state=TAG, element=element, since=pos + i), end
        k = end


def _tag_name_end(s: str, i: int) -> int:
    if i == len(s) or not _ascii_alpha(s[i]):
        return i
    j = i + 1
    while j < len(s):
        ch = s[j]
        if _ascii_alnum(ch):
            j += 1
        elif ch in ":-" and j + 1 < len(s) and _ascii_alnum(s[j + 1]):
            j += 2
        else:
            break
    return j


def _in_tag(ctx: Context, s: str, pos: int) -> tuple[Context, int]:
    i = _skip_space(s, 0)
    if i == len(s):
        return ctx, len(s)
    if s[i] == ">":
        if ctx.element:
            return Context(state=CONTENT, element=ctx.element, since=ctx.since), i + 1
        return Context(), i + 1
    j, problem = _attr_name_end(s, i, pos)
    if problem is not None:
        return problem, len(s)
    if i == j:
        return _fail(
            pos + i,
            f"expected space, attribute name or end of tag, but got {s[i : i + 10]!r}",
        ), len(s)
    script_type = ctx.element == "script" and s[i:j].lower() == "type"
    state = ATTR_NAME if j == len(s) else AFTER_NAME
    return replace(ctx, state=state, script_type=script_type), j


def _attr_name_end(s: str, i: int, pos: int) -> tuple[int, Context | None]:
    for j in range(i, len(s)):
        ch = s[j]
        if ch in " \t\n\f\r=>":
            return j, None
        if ch in "'\"<":
            return -1, _fail(
                pos + j,
                f"{ch!r} in an attribute name ({s[i : j + 1]!r}); a quote or '<' here "
                "usually means a missing '=' or a missing closing quote before it",
            )
    return len(s), None


def _in_value(ctx: Context, s: str, pos: int) -> tuple[Context, int]:
    ends = _UNQUOTED_END if ctx.delim == " " else ctx.delim
    i = next((k for k, ch in enumerate(s) if ch in ends), len(s))
    if ctx.delim == " ":
        bad = next((k for k, ch in enumerate(s[:i]) if ch in "\"'<=`"), -1)
        if bad >= 0:
            return _fail(
                pos + bad,
                f'{s[bad]!r} in an unquoted attribute value; quote the value with "..."',
            ), len(s)
    if i == len(s):
        return ctx, len(s)
    element = ctx.element
    if ctx.script_type and s[:i].split(";")[0].lower().strip() not in _JS_TYPES:
        # <script type="text/template">: its content is HTML, not script.
        element = ""
    consumed = i if ctx.delim == " " else i + 1
    return Context(state=TAG, element=element, since=ctx.since), consumed


def _special_end(s: str, element: str) -> int:
    """Index of the `</element` that ends a special element's content, or -1."""
    lowered = s.lower()
    start = 0
    while True:
        i = lowered.find("</" + element, start)
        if i < 0:
            return -1
        after = i + 2 + len(element)
        if after < len(s) and s[after] in " \t\n\f\r/>":
            return i
        start = i + 2


def _skip_space(s: str, i: int) -> int:
    while i < len(s) and s[i] in _WHITESPACE:
        i += 1
    return i


def _ascii_alpha(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _ascii_alnum(ch: str) -> bool:
    return _ascii_alpha(ch) or ("0" <= ch <= "9")
