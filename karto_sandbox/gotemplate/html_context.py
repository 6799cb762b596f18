"""Where in an HTML document a template's text leaves off: html/template's contexts.

Go's html/template (https://pkg.go.dev/html/template, "Contexts") reads the template's
text as a browser would, so that each `{{ }}` is escaped for the place it lands: element
content, an attribute value (plain, a URL, CSS, JavaScript), a tag, a comment, `<title>` and
`<textarea>` text, `<script>` and `<style>` bodies. This module is that reading, written
from the package's documented behaviour and checked against Go itself
(tests/sandbox/test_gotemplate_go.py): a context, and the function that moves it over a run
of text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from enum import Enum, auto


class State(Enum):
    TEXT = auto()
    TAG = auto()
    ATTR_NAME = auto()
    AFTER_NAME = auto()
    BEFORE_VALUE = auto()
    HTML_CMT = auto()
    RCDATA = auto()
    ATTR = auto()
    URL = auto()
    SRCSET = auto()
    JS = auto()
    JS_DQ_STR = auto()
    JS_SQ_STR = auto()
    JS_BQ_STR = auto()
    JS_REGEXP = auto()
    JS_BLOCK_CMT = auto()
    JS_LINE_CMT = auto()
    JS_HTML_OPEN_CMT = auto()
    JS_HTML_CLOSE_CMT = auto()
    CSS = auto()
    CSS_DQ_STR = auto()
    CSS_SQ_STR = auto()
    CSS_DQ_URL = auto()
    CSS_SQ_URL = auto()
    CSS_URL = auto()
    CSS_BLOCK_CMT = auto()
    CSS_LINE_CMT = auto()
    ERROR = auto()
    DEAD = auto()  # after {{break}} or {{continue}}: no text follows in this branch


class Delim(Enum):
    NONE = auto()
    DOUBLE_QUOTE = auto()
    SINGLE_QUOTE = auto()
    SPACE_OR_TAG_END = auto()


class UrlPart(Enum):
    NONE = auto()
    PRE_QUERY = auto()
    QUERY_OR_FRAG = auto()
    UNKNOWN = auto()


class JsCtx(Enum):
    REGEXP = auto()
    DIV_OP = auto()
    UNKNOWN = auto()


class Attr(Enum):
    NONE = auto()
    SCRIPT = auto()
    SCRIPT_TYPE = auto()
    STYLE = auto()
    URL = auto()
    SRCSET = auto()


class Element(Enum):
    NONE = auto()
    SCRIPT = auto()
    STYLE = auto()
    TEXTAREA = auto()
    TITLE = auto()


COMMENT_STATES = frozenset(
    {
        State.HTML_CMT,
        State.JS_BLOCK_CMT,
        State.JS_LINE_CMT,
        State.JS_HTML_OPEN_CMT,
        State.JS_HTML_CLOSE_CMT,
        State.CSS_BLOCK_CMT,
        State.CSS_LINE_CMT,
    }
)
JS_STATES = frozenset(
    {
        State.JS,
        State.JS_DQ_STR,
        State.JS_SQ_STR,
        State.JS_BQ_STR,
        State.JS_REGEXP,
    }
)
CSS_STATES = frozenset(
    {
        State.CSS,
        State.CSS_DQ_STR,
        State.CSS_SQ_STR,
        State.CSS_DQ_URL,
        State.CSS_SQ_URL,
        State.CSS_URL,
    }
)


@dataclass(frozen=True)
class Context:
    state: State = State.TEXT
    delim: Delim = Delim.NONE
    url_part: UrlPart = UrlPart.NONE
    js_ctx: JsCtx = JsCtx.REGEXP
    attr: Attr = Attr.NONE
    element: Element = Element.NONE
    error: str | None = None

    def describe(self) -> str:
        parts = [self.state.name.lower()]
        if self.delim is not Delim.NONE:
            parts.append(self.delim.name.lower())
        if self.url_part is not UrlPart.NONE:
            parts.append("url " + self.url_part.name.lower())
        if self.attr is not Attr.NONE:
            parts.append("attr " + self.attr.name.lower())
        if self.element is not Element.NONE:
            parts.append("<" + self.element.name.lower() + ">")
        return "{" + " ".join(parts) + "}"


def error_context(message: str) -> Context:
    return Context(state=State.ERROR, error=message)


_SPACE = " \t\n\f\r"
_ELEMENTS = {
    "script": Element.SCRIPT,
    "style": Element.STYLE,
    "textarea": Element.TEXTAREA,
    "title": Element.TITLE,
}
_ELEMENT_CONTENT = {
    Element.NONE: State.TEXT,
    Element.SCRIPT: State.JS,
    Element.STYLE: State.CSS,
    Element.TEXTAREA: State.RCDATA,
    Element.TITLE: State.RCDATA,
}
ATTR_START_STATES = {
    Attr.NONE: State.ATTR,
    Attr.SCRIPT: State.JS,
    Attr.SCRIPT_TYPE: State.ATTR,
    Attr.STYLE: State.CSS,
    Attr.URL: State.URL,
    Attr.SRCSET: State.SRCSET,
}
DELIM_ENDS = {
    Delim.DOUBLE_QUOTE: '"',
    Delim.SINGLE_QUOTE: "'",
    Delim.SPACE_OR_TAG_END: " \t\n\f\r>",
}


# Attribute names whose values html/template treats as URLs, and those it does not treat
# as plain text (a name filled in by `{{ }}` must be plain).
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


URL_ATTRIBUTES = _words(
    """action archive background cite classid codebase data formaction href icon longdesc
    manifest poster profile src usemap xmlns"""
)
NOT_PLAIN_ATTRIBUTES = URL_ATTRIBUTES | _words(
    """accept-charset async challenge charset content crossorigin defer enctype form
    formenctype formmethod formnovalidate http-equiv keytype language method novalidate
    pattern rel sandbox type value srcdoc style srcset"""
)
_PLAIN_ATTRIBUTES = _words(
    """accept alt autocomplete autofocus autoplay border checked class cols colspan
    contenteditable contextmenu controls coords datetime default dir dirname disabled
    draggable dropzone for formtarget headers height hidden high hreflang id ismap kind
    label lang list loop low max maxlength media mediagroup min multiple name open optimum
    placeholder preload pubdate radiogroup readonly required reversed rows rowspan
    spellcheck scope scoped seamless selected shape size sizes span srclang start step
    tabindex target title width wrap"""
)
JS_MIME_TYPES = frozenset(
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
_REGEXP_PRECEDERS = _words(
    "break case continue delete do else finally in instanceof return throw try typeof void"
)


def attribute_kind(name: str) -> str:
    """ "url", "css", "js", "srcset", "plain" or "other" for an attribute name (lower case)."""
    if name.startswith("data-"):
        name = name[5:]
    elif ":" in name:
        prefix, _, short = name.partition(":")
        if prefix == "xmlns":
            return "url"
        name = short
    if name in URL_ATTRIBUTES:
        return "url"
    if name == "style":
        return "css"
    if name == "srcset":
        return "srcset"
    if name in NOT_PLAIN_ATTRIBUTES:
        return "other"
    if name in _PLAIN_ATTRIBUTES:
        return "plain"
    if name.startswith("on"):
        return "js"
    if "src" in name or "uri" in name or "url" in name:
        return "url"
    return "plain"


def _eat_white_space(s: str, i: int) -> int:
    while i < len(s) and s[i] in _SPACE:
        i += 1
    return i


def _ascii_alpha(char: str) -> bool:
    return "A" <= char <= "Z" or "a" <= char <= "z"


def _ascii_alnum(char: str) -> bool:
    return _ascii_alpha(char) or "0" <= char <= "9"


def _eat_tag_name(s: str, i: int) -> tuple[int, Element]:
    if i == len(s) or not _ascii_alpha(s[i]):
        return i, Element.NONE
    j = i + 1
    while j < len(s):
        char = s[j]
        if _ascii_alnum(char):
            j += 1
        elif char in ":-" and j + 1 < len(s) and _ascii_alnum(s[j + 1]):
            j += 2
        else:
            break
    return j, _ELEMENTS.get(s[i:j].lower(), Element.NONE)


def _eat_attr_name(s: str, i: int) -> tuple[int, str | None]:
    for j in range(i, len(s)):
        char = s[j]
        if char in " \t\n\f\r=>":
            return j, None
        if char in "'\"<":
            return -1, f"{char!r} in attribute name: {s[:32]!r}"
    return len(s), None


# -- transitions: (context, text) -> (context, characters consumed) ---------------------
def _t_text(c: Context, s: str) -> tuple[Context, int]:
    k = 0
    while True:
        i = s.find("<", k)
        if i < 0 or i + 1 == len(s):
            return c, len(s)
        if s.startswith("<!--", i):
            return Context(state=State.HTML_CMT), i + 4
        i += 1
        end = False
        if s[i] == "/":
            if i + 1 == len(s):
                return c, len(s)
            end, i = True, i + 1
        j, element = _eat_tag_name(s, i)
        if j != i:
            return Context(state=State.TAG, element=Element.NONE if end else element), j
        k = j


def _t_tag(c: Context, s: str) -> tuple[Context, int]:
    i = _eat_white_space(s, 0)
    if i == len(s):
        return c, len(s)
    if s[i] == ">":
        return Context(state=_ELEMENT_CONTENT[c.element], element=c.element), i + 1
    j, problem = _eat_attr_name(s, i)
    if problem is not None:
        return error_context(problem), len(s)
    if i == j:
        return (
            error_context(f"expected space, attr name, or end of tag, but got {s[i:]!r}"),
            len(s),
        )
    name = s[i:j].lower()
    attr = Attr.NONE
    if c.element is Element.SCRIPT and name == "type":
        attr = Attr.SCRIPT_TYPE
    else:
        attr = {
            "url": Attr.URL,
            "css": Attr.STYLE,
            "js": Attr.SCRIPT,
            "srcset": Attr.SRCSET,
        }.get(attribute_kind(name), Attr.NONE)
    state = State.ATTR_NAME if j == len(s) else State.AFTER_NAME
    return Context(state=state, element=c.element, attr=attr), j


def _t_attr_name(c: Context, s: str) -> tuple[Context, int]:
    i, problem = _eat_attr_name(s, 0)
    if problem is not None:
        return error_context(problem), len(s)
    if i != len(s):
        c = replace(c, state=State.AFTER_NAME)
    return c, i


def _t_after_name(c: Context, s: str) -> tuple[Context, int]:
    i = _eat_white_space(s, 0)
    if i == len(s):
        return c, len(s)
    if s[i] != "=":
        return replace(c, state=State.TAG), i
    return replace(c, state=State.BEFORE_VALUE), i + 1


def _t_before_value(c: Context, s: str) -> tuple[Context, int]:
    i = _eat_white_space(s, 0)
    if i == len(s):
        return c, len(s)
    delim = Delim.SPACE_OR_TAG_END
    if s[i] == "'":
        delim, i = Delim.SINGLE_QUOTE, i + 1
    elif s[i] == '"':
        delim, i = Delim.DOUBLE_QUOTE, i + 1
    return replace(c, state=ATTR_START_STATES[c.attr], delim=delim), i


def _t_html_comment(c: Context, s: str) -> tuple[Context, int]:
    i = s.find("-->")
    if i >= 0:
        return Context(), i + 3
    return c, len(s)


_END_MARKERS = {
    Element.SCRIPT: "script",
    Element.STYLE: "style",
    Element.TEXTAREA: "textarea",
    Element.TITLE: "title",
}


def _index_tag_end(s: str, tag: str) -> int:
    """Where `</tag` (any case, then a separator) starts in `s`, or -1."""
    consumed = 0
    while s:
        i = s.find("</")
        if i < 0:
            return -1
        s = s[i + 2 :]
        if len(tag) <= len(s) and s[: len(tag)].lower() == tag:
            s = s[len(tag) :]
            if s and s[0] in "> \t\n\f/":
                return consumed + i
            consumed += len(tag)
        consumed += i + 2
    return -1


def _t_special_tag_end(c: Context, s: str) -> tuple[Context, int]:
    if c.element is not Element.NONE:
        i = _index_tag_end(s, _END_MARKERS[c.element])
        if i >= 0:
            return Context(), i
    return c, len(s)


def _t_attr(c: Context, s: str) -> tuple[Context, int]:
    return c, len(s)


def _t_url(c: Context, s: str) -> tuple[Context, int]:
    if "#" in s or "?" in s:
        c = replace(c, url_part=UrlPart.QUERY_OR_FRAG)
    elif len(s) != _eat_white_space(s, 0) and c.url_part is UrlPart.NONE:
        c = replace(c, url_part=UrlPart.PRE_QUERY)
    return c, len(s)


def _js_ident_part(char: str) -> bool:
    return char == "$" or char == "_" or _ascii_alnum(char)


def next_js_ctx(s: str, preceding: JsCtx) -> JsCtx:
    """Whether a `/` after `s` starts a regular expression or divides."""
    s = s.rstrip("\t\n\f\r \u2028\u2029")
    if not s:
        return preceding
    last, n = s[-1], len(s)
    if last in "+-":
        start = n - 1
        while start > 0 and s[start - 1] == last:
            start -= 1
        return JsCtx.REGEXP if (n - start) % 2 == 1 else JsCtx.DIV_OP
    if last == ".":
        if n != 1 and "0" <= s[n - 2] <= "9":
            return JsCtx.DIV_OP
        return JsCtx.REGEXP
    if last in ",<>=*%&|^?!~([:;{}":
        return JsCtx.REGEXP
    j = n
    while j > 0 and _js_ident_part(s[j - 1]):
        j -= 1
    if s[j:] in _REGEXP_PRECEDERS:
        return JsCtx.REGEXP
    return JsCtx.DIV_OP


def _t_js(c: Context, s: str) -> tuple[Context, int]:
    i = next((k for k, char in enumerate(s) if char in "\"`'/<-#"), -1)
    if i < 0:
        return replace(c, js_ctx=next_js_ctx(s, c.js_ctx)), len(s)
    c = replace(c, js_ctx=next_js_ctx(s[:i], c.js_ctx))
    char = s[i]
    if char == '"':
        c = replace(c, state=State.JS_DQ_STR, js_ctx=JsCtx.REGEXP)
    elif char == "'":
        c = replace(c, state=State.JS_SQ_STR, js_ctx=JsCtx.REGEXP)
    elif char == "`":
        c = replace(c, state=State.JS_BQ_STR, js_ctx=JsCtx.REGEXP)
    elif char == "/":
        if i + 1 < len(s) and s[i + 1] == "/":
            c, i = replace(c, state=State.JS_LINE_CMT), i + 1
        elif i + 1 < len(s) and s[i + 1] == "*":
            c, i = replace(c, state=State.JS_BLOCK_CMT), i + 1
        elif c.js_ctx is JsCtx.REGEXP:
            c = replace(c, state=State.JS_REGEXP)
        elif c.js_ctx is JsCtx.DIV_OP:
            c = replace(c, js_ctx=JsCtx.REGEXP)
        else:
            return error_context(f"'/' could start a division or regexp: {s[i:][:32]!r}"), len(s)
    # HTML-like comments (ECMAScript B.1.1) and a hashbang line read as line comments.
    elif char == "<" and i + 3 < len(s) and s.startswith("<!--", i):
        c, i = replace(c, state=State.JS_HTML_OPEN_CMT), i + 3
    elif char == "-" and i + 2 < len(s) and s.startswith("-->", i):
        c, i = replace(c, state=State.JS_HTML_CLOSE_CMT), i + 2
    elif char == "#" and i + 1 < len(s) and s[i + 1] == "!":
        c, i = replace(c, state=State.JS_LINE_CMT), i + 1
    return c, i + 1


def _t_js_delimited(c: Context, s: str) -> tuple[Context, int]:
    specials = {
        State.JS_SQ_STR: "\\'",
        State.JS_BQ_STR: "`\\",
        State.JS_REGEXP: "\\/[]",
    }.get(c.state, '\\"')
    k, in_charset = 0, False
    while True:
        i = next((p for p in range(k, len(s)) if s[p] in specials), -1)
        if i < 0:
            break
        char = s[i]
        if char == "\\":
            i += 1
            if i == len(s):
                return error_context(f"unfinished escape sequence in JS string: {s!r}"), len(s)
        elif char == "[":
            in_charset = True
        elif char == "]":
            in_charset = False
        elif not in_charset:
            return replace(c, state=State.JS, js_ctx=JsCtx.DIV_OP), i + 1
        k = i + 1
    if in_charset:
        return error_context(f"unfinished JS regexp charset: {s!r}"), len(s)
    return c, len(s)


def _t_block_comment(c: Context, s: str) -> tuple[Context, int]:
    i = s.find("*/")
    if i < 0:
        return c, len(s)
    state = State.JS if c.state is State.JS_BLOCK_CMT else State.CSS
    return replace(c, state=state), i + 2


def _t_line_comment(c: Context, s: str) -> tuple[Context, int]:
    if c.state is State.CSS_LINE_CMT:
        terminators, end_state = "\n\f\r", State.CSS
    else:
        terminators, end_state = "\n\r\u2028\u2029", State.JS
    i = next((k for k, char in enumerate(s) if char in terminators), -1)
    if i < 0:
        return c, len(s)
    return replace(c, state=end_state), i


def _is_css_nmchar(char: str) -> bool:
    code = ord(char)
    return (
        _ascii_alnum(char)
        or char in "-_"
        or 0x80 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _ends_with_css_keyword(b: str, keyword: str) -> bool:
    i = len(b) - len(keyword)
    if i < 0:
        return False
    if i != 0 and _is_css_nmchar(b[i - 1]):
        return False
    return b[i:].lower() == keyword


def _t_css(c: Context, s: str) -> tuple[Context, int]:
    k = 0
    while True:
        i = next((p for p in range(k, len(s)) if s[p] in "(\"'/"), -1)
        if i < 0:
            return c, len(s)
        char = s[i]
        if char == "(":
            before = s[:i].rstrip("\t\n\f\r ")
            if _ends_with_css_keyword(before, "url"):
                rest = s[i + 1 :]
                j = len(s) - len(rest.lstrip("\t\n\f\r "))
                if j != len(s) and s[j] == '"':
                    return replace(c, state=State.CSS_DQ_URL), j + 1
                if j != len(s) and s[j] == "'":
                    return replace(c, state=State.CSS_SQ_URL), j + 1
                return replace(c, state=State.CSS_URL), j
        elif char == "/":
            if i + 1 < len(s):
                if s[i + 1] == "/":
                    return replace(c, state=State.CSS_LINE_CMT), i + 2
                if s[i + 1] == "*":
                    return replace(c, state=State.CSS_BLOCK_CMT), i + 2
        elif char == '"':
            return replace(c, state=State.CSS_DQ_STR), i + 1
        elif char == "'":
            return replace(c, state=State.CSS_SQ_STR), i + 1
        k = i + 1


def decode_css(s: str) -> str:
    """CSS escapes (`\\41 `, `\\"`) resolved, for telling where a CSS URL's query starts."""
    out: list[str] = []
    i = 0
    while i < len(s):
        j = s.find("\\", i)
        if j < 0:
            out.append(s[i:])
            break
        out.append(s[i:j])
        if len(s) - j < 2:
            break
        if s[j + 1] in "0123456789abcdefABCDEF":
            end = j + 2
            while end < len(s) and end < j + 7 and s[end] in "0123456789abcdefABCDEF":
                end += 1
            code = int(s[j + 1 : end], 16)
            if code > 0x10FFFF:
                code, end = code // 16, end - 1
            out.append(chr(code) if not 0xD800 <= code <= 0xDFFF else "\ufffd")
            i = end
            if i < len(s) and s[i] in "\t\n\f ":
                i += 1
            elif i < len(s) and s[i] == "\r":
                i += 2 if s[i + 1 : i + 2] == "\n" else 1
        else:
            out.append(s[j + 1])
            i = j + 2
    return "".join(out)


def _t_css_string(c: Context, s: str) -> tuple[Context, int]:
    if c.state in (State.CSS_DQ_STR, State.CSS_DQ_URL):
        ends = '\\"'
    elif c.state in (State.CSS_SQ_STR, State.CSS_SQ_URL):
        ends = "\\'"
    else:
        ends = "\\\t\n\f\r )"
    k = 0
    while True:
        i = next((p for p in range(k, len(s)) if s[p] in ends), -1)
        if i < 0:
            c, _ = _t_url(c, decode_css(s[k:]))
            return c, len(s)
        if s[i] == "\\":
            i += 1
            if i == len(s):
                return error_context(f"unfinished escape sequence in CSS string: {s!r}"), len(s)
        else:
            return replace(c, state=State.CSS), i + 1
        c, _ = _t_url(c, decode_css(s[: i + 1]))
        k = i + 1


def _t_error(c: Context, s: str) -> tuple[Context, int]:
    return c, len(s)


TRANSITIONS = {
    State.TEXT: _t_text,
    State.TAG: _t_tag,
    State.ATTR_NAME: _t_attr_name,
    State.AFTER_NAME: _t_after_name,
    State.BEFORE_VALUE: _t_before_value,
    State.HTML_CMT: _t_html_comment,
    State.RCDATA: _t_special_tag_end,
    State.ATTR: _t_attr,
    State.URL: _t_url,
    State.SRCSET: _t_url,
    State.JS: _t_js,
    State.JS_DQ_STR: _t_js_delimited,
    State.JS_SQ_STR: _t_js_delimited,
    State.JS_BQ_STR: _t_js_delimited,
    State.JS_REGEXP: _t_js_delimited,
    State.JS_BLOCK_CMT: _t_block_comment,
    State.JS_LINE_CMT: _t_line_comment,
    State.JS_HTML_OPEN_CMT: _t_line_comment,
    State.JS_HTML_CLOSE_CMT: _t_line_comment,
    State.CSS: _t_css,
    State.CSS_DQ_STR: _t_css_string,
    State.CSS_SQ_STR: _t_css_string,
    State.CSS_DQ_URL: _t_css_string,
    State.CSS_SQ_URL: _t_css_string,
    State.CSS_URL: _t_css_string,
    State.CSS_BLOCK_CMT: _t_block_comment,
    State.CSS_LINE_CMT: _t_line_comment,
    State.ERROR: _t_error,
}


def is_js_type(mime_type: str) -> bool:
    return mime_type.partition(";")[0].lower().strip() in JS_MIME_TYPES


def context_after_text(c: Context, s: str) -> tuple[Context, int]:
    """The context after some of `s` (at least one character, or a special end tag)."""
    if c.delim is Delim.NONE:
        c1, i = _t_special_tag_end(c, s)
        if i == 0:
            return c1, 0  # `</script>` and the like: back to text before reading it
        return TRANSITIONS[c.state](c, s[:i])
    ends = DELIM_ENDS[c.delim]
    i = next((k for k, char in enumerate(s) if char in ends), len(s))
    if c.delim is Delim.SPACE_OR_TAG_END:
        bad = next((k for k, char in enumerate(s[:i]) if char in "\"'<=`"), -1)
        if bad >= 0:
            return error_context(f"{s[bad]!r} in unquoted attr: {s[:i]!r}"), len(s)
    if i == len(s):
        # The value goes on past this text: read it decoded, as the browser will.
        rest = html.unescape(s)
        while rest:
            c, read = TRANSITIONS[c.state](c, rest)
            rest = rest[read:]
        return c, len(s)
    element = c.element
    script_type = c.state is State.ATTR and c.attr is Attr.SCRIPT_TYPE
    if script_type and c.element is Element.SCRIPT and not is_js_type(s[:i]):
        element = Element.NONE
    if c.delim is not Delim.SPACE_OR_TAG_END:
        i += 1  # the closing quote
    return Context(state=State.TAG, element=element), i
