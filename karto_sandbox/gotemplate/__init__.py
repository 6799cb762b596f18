"""The sandbox's own Go template renderer: Go's html/template, as Supabase Auth runs it.

Auth parses each email subject and body with `html/template` and executes it over a map
of strings and the user's metadata (supabase/auth `internal/mailer/templatemailer`). This
package does the same for the sandbox's Auth mail path, written for the sandbox (it never
imports karto-smtp) and compared with Go itself in tests/sandbox/test_gotemplate_go.py.

    tree = parse(text)            # TemplateSyntaxError: Auth sends its default instead
    text = render(tree, data)     # TemplateExecError: Auth sends nothing (500)
                                  # UnsupportedTemplate: valid Go the sandbox does not render

What it renders, and what it does not, is listed in docs/sandbox.md.
"""

from __future__ import annotations

from typing import Any

from karto_sandbox.gotemplate.errors import (
    TemplateError,
    TemplateExecError,
    TemplateSyntaxError,
    UnsupportedTemplate,
)
from karto_sandbox.gotemplate.escape import escape
from karto_sandbox.gotemplate.execute import execute
from karto_sandbox.gotemplate.nodes import Tree
from karto_sandbox.gotemplate.parser import parse as _parse
from karto_sandbox.gotemplate.values import go_bytes

__all__ = [
    "TemplateError",
    "TemplateExecError",
    "TemplateSyntaxError",
    "Tree",
    "UnsupportedTemplate",
    "parse",
    "render",
]


def parse(text: str, name: str = "") -> Tree:
    """The parse tree of `text`, or TemplateSyntaxError where Go's parser refuses it."""
    try:
        return _parse(text, name)
    except RecursionError:
        raise UnsupportedTemplate("the template nests too deeply for the sandbox") from None


def render(tree: Tree, data: dict[str, Any]) -> str:
    """Escape `tree` as html/template does, then run it over `data` (the Go values of
    values.py). A parse tree is rendered once: escaping annotates it."""
    try:
        escape(tree)
        text = execute(tree, data)
    except RecursionError:
        raise UnsupportedTemplate("the template nests too deeply for the sandbox") from None
    # Bytes a Go string literal made that are not UTF-8 come out as U+FFFD.
    return go_bytes(text).decode("utf-8", "replace")
