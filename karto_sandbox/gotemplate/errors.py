"""What can go wrong with a template, in the three ways Supabase Auth tells apart."""

from __future__ import annotations


class TemplateError(Exception):
    """Any reason a template produced no text."""


class TemplateSyntaxError(TemplateError):
    """Go's parser refuses the text: Auth falls back to its default subject and body."""


class TemplateExecError(TemplateError):
    """It parses, but html/template refuses to run it, or running it fails: Auth sends
    nothing and answers 500."""


class UnsupportedTemplate(TemplateError):
    """Valid Go, but beyond what the sandbox renders (see docs/sandbox.md). Real Auth would
    render it; the sandbox sends nothing rather than a mail that differs from Auth's."""
