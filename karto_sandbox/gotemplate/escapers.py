"""The functions html/template appends to each `{{ }}`, and text/template's own escapers.

Each takes the pipeline's value (Go passes `...any`) and returns text safe for its context:
element content and attribute values get HTML entities (`&#34; &amp; &#39; &#43; &lt; &gt;`,
as html/template writes them), unquoted attribute values also lose their spaces, URLs are
filtered (only http, https and mailto schemes, else `#ZgotmplZ`) and percent-encoded (lower
case hex, as Go does), attribute names must be plain. Data values are plain text to Go
(Auth passes no `template.HTML`), so no value is trusted as markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from karto_sandbox.gotemplate.html_context import attribute_kind
from karto_sandbox.gotemplate.values import (
    MISSING,
    from_go_bytes,
    go_bytes,
    sprint,
)

FILTER_FAILSAFE = "ZgotmplZ"

_HTML = {
    "\0": "\ufffd",
    '"': "&#34;",
    "&": "&amp;",
    "'": "&#39;",
    "+": "&#43;",
    "<": "&lt;",
    ">": "&gt;",
}
_HTML_NOSPACE = {
    "\0": "&#xfffd;",
    "\t": "&#9;",
    "\n": "&#10;",
    "\v": "&#11;",
    "\f": "&#12;",
    "\r": "&#13;",
    " ": "&#32;",
    '"': "&#34;",
    "&": "&amp;",
    "'": "&#39;",
    "+": "&#43;",
    "<": "&lt;",
    "=": "&#61;",
    ">": "&gt;",
    "`": "&#96;",
}
# text/template's `html` builtin escapes fewer characters than html/template does.
_TEXT_HTML = {"\0": "\ufffd", '"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;"}


def stringify(args: list[Any]) -> str:
    """html/template's reading of an escaper's arguments: nil arguments are skipped."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint([arg for arg in args if arg is not None and arg is not MISSING])


def _replace(text: str, table: dict[str, str], bad_runes: bool = True) -> str:
    out: list[str] = []
    for char in text:
        replacement = table.get(char)
        if replacement is not None:
            out.append(replacement)
        elif not bad_runes and (0xFDD0 <= ord(char) <= 0xFDEF or 0xFFF0 <= ord(char) <= 0xFFFF):
            out.append(f"&#x{ord(char):x};")
        else:
            out.append(char)
    return "".join(out)


def html_escaper(args: list[Any]) -> str:
    return _replace(stringify(args), _HTML)


def attr_escaper(args: list[Any]) -> str:
    return _replace(stringify(args), _HTML)


def rcdata_escaper(args: list[Any]) -> str:
    return _replace(stringify(args), _HTML)


def nospace_escaper(args: list[Any]) -> str:
    return _replace(stringify(args), _HTML_NOSPACE, bad_runes=False)


def comment_escaper(args: list[Any]) -> str:
    return ""


def html_name_filter(args: list[Any]) -> str:
    name = stringify(args)
    if not name:
        return FILTER_FAILSAFE
    name = name.lower()
    if attribute_kind(name) != "plain":
        return FILTER_FAILSAFE
    if not all("0" <= char <= "9" or "a" <= char <= "z" for char in name):
        return FILTER_FAILSAFE
    return name


def is_safe_url(url: str) -> bool:
    protocol, colon, _ = url.partition(":")
    if colon and "/" not in protocol:
        return protocol.lower() in ("http", "https", "mailto")
    return True


def url_filter(args: list[Any]) -> str:
    url = stringify(args)
    return url if is_safe_url(url) else "#" + FILTER_FAILSAFE


_UNRESERVED = frozenset(b"-._~ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_RESERVED = frozenset(b"!#$&*+,/:;=?@[]")
_HEX = frozenset(b"0123456789abcdefABCDEF")


def _process_url(text: str, normalize: bool) -> str:
    data = go_bytes(text)
    out = bytearray()
    for i, byte in enumerate(data):
        keep = byte in _UNRESERVED or normalize and byte in _RESERVED
        if (
            byte == ord("%")
            and normalize
            and i + 2 < len(data)
            and data[i + 1] in _HEX
            and data[i + 2] in _HEX
        ):
            keep = True
        out += bytes([byte]) if keep else f"%{byte:02x}".encode()
    return from_go_bytes(bytes(out))


def url_normalizer(args: list[Any]) -> str:
    return _process_url(stringify(args), normalize=True)


def url_escaper(args: list[Any]) -> str:
    return _process_url(stringify(args), normalize=False)


def html_eval_args(args: list[Any]) -> str:
    """html/template's `_eval_args_`: fmt.Sprint of the arguments, nil as `<nil>`."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(args)


def text_eval_args(args: list[Any]) -> str:
    """text/template's reading of the arguments of `html`, `js` and `urlquery`."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(["<no value>" if arg is None or arg is MISSING else arg for arg in args])


def html_builtin(args: list[Any]) -> str:
    return _replace(text_eval_args(args), _TEXT_HTML)


def urlquery_builtin(args: list[Any]) -> str:
    return quote(go_bytes(text_eval_args(args)), safe="-_.~").replace("%20", "+")


def js_builtin(args: list[Any]) -> str:
    out: list[str] = []
    for char in text_eval_args(args):
        code = ord(char)
        if char in "\\'\"":
            out.append("\\" + char)
        elif char in "<>&=":
            out.append(f"\\u{code:04X}")
        elif code < 0x20:
            out.append(f"\\u00{code:02X}")
        elif code < 0x80 or 0xDC80 <= code <= 0xDCFF or char.isprintable():
            out.append(char)
        else:
            out.append(f"\\u{code:04X}")
    return "".join(out)


ESCAPERS: dict[str, Callable[[list[Any]], str]] = {
    "_html_template_htmlescaper": html_escaper,
    "_html_template_attrescaper": attr_escaper,
    "_html_template_rcdataescaper": rcdata_escaper,
    "_html_template_nospaceescaper": nospace_escaper,
    "_html_template_commentescaper": comment_escaper,
    "_html_template_htmlnamefilter": html_name_filter,
    "_html_template_urlfilter": url_filter,
    "_html_template_urlnormalizer": url_normalizer,
    "_html_template_urlescaper": url_escaper,
    "_eval_args_": html_eval_args,
}
