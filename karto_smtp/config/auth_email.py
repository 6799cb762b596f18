"""What Supabase Auth gives each email template, and the checks that follow from it.

Source: supabase/auth `internal/mailer/templatemailer/templatemailer.go` (the data map each
`...Mail` function passes) and `template.go` (subjects and bodies are parsed with
`html/template`; a body that does not parse, or a subject that does not, makes Auth log
`templatemailer_template_body_parse_error` / `..._subject_parse_error` and send its
default subject and body instead). The data is a `map[string]any`: a field it lacks is
not an error for Go but renders as empty text, so `{{ .ConfirmationUrl }}` mails an
empty link.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from karto_smtp.config.gotemplate import (
    Action,
    Branch,
    ChainRef,
    DotRef,
    FieldRef,
    Node,
    Operand,
    ParsedTemplate,
    Pipeline,
    Problem,
    TemplateCall,
    VarRef,
    walk_operands,
)
from karto_smtp.config.messages import suggestion

_LINK = frozenset(
    {"SiteURL", "ConfirmationURL", "Email", "Token", "TokenHash", "Data", "RedirectTo"}
)

# Template name (as in karto.yaml and the Management API) -> fields of its data.
TEMPLATE_DATA: dict[str, frozenset[str]] = {
    "confirmation": _LINK,
    "invite": _LINK,
    "magic_link": _LINK,
    "recovery": _LINK,
    "email_change": _LINK | {"NewEmail", "SendingTo"},
    "reauthentication": frozenset({"SiteURL", "Email", "Token", "Data"}),
}
NOTIFICATION_DATA: dict[str, frozenset[str]] = {
    "password_changed": frozenset({"SiteURL", "Email", "Data"}),
    "email_changed": frozenset({"SiteURL", "Email", "OldEmail", "Data"}),
    "phone_changed": frozenset({"SiteURL", "Email", "Phone", "OldPhone", "Data"}),
    "identity_linked": frozenset({"SiteURL", "Email", "Provider", "Data"}),
    "identity_unlinked": frozenset({"SiteURL", "Email", "Provider", "Data"}),
    "mfa_factor_enrolled": frozenset({"SiteURL", "Email", "FactorType", "Data"}),
    "mfa_factor_unenrolled": frozenset({"SiteURL", "Email", "FactorType", "Data"}),
}
# The fields that let the reader act on an email that exists to be acted on.
ACTION_FIELDS: dict[str, frozenset[str]] = {
    "confirmation": frozenset({"ConfirmationURL", "Token", "TokenHash"}),
    "invite": frozenset({"ConfirmationURL", "Token", "TokenHash"}),
    "magic_link": frozenset({"ConfirmationURL", "Token", "TokenHash"}),
    "recovery": frozenset({"ConfirmationURL", "Token", "TokenHash"}),
    "email_change": frozenset({"ConfirmationURL", "Token", "TokenHash"}),
    "reauthentication": frozenset({"Token"}),
}
# `.Data` is the user's metadata (any keys); every other field is text.
_MAP_FIELDS = frozenset({"Data"})


def data_fields(kind: str, notification: bool) -> frozenset[str]:
    return (NOTIFICATION_DATA if notification else TEMPLATE_DATA)[kind]


@dataclass(frozen=True)
class FieldUse:
    """A field of the template's data used at `pos` (in the text checked)."""

    pos: int
    name: str


# What dot (or a variable) holds while checking: the template's data, a map of any keys,
# or something this check does not follow.
_ROOT, _MAP, _OTHER = "root", "map", "other"


def field_uses(parsed: ParsedTemplate) -> list[FieldUse]:
    """Every use of a top-level field of the data, in the main template and in the
    defined templates it calls with the data."""
    walker = _FieldWalker(parsed)
    walker.nodes(parsed.root, _ROOT)
    return sorted(walker.uses, key=lambda use: use.pos)


def unknown_fields(uses: list[FieldUse], kind: str, notification: bool) -> list[Problem]:
    known = data_fields(kind, notification)
    what = f"{kind.replace('_', ' ')} {'notification' if notification else 'email'}"
    by_case = {k.lower(): k for k in known}
    problems = []
    for use in uses:
        if use.name in known:
            continue
        close = by_case.get(use.name.lower()) or suggestion(use.name, sorted(known))
        hint = f"did you mean .{close}?" if close else f"it has {_fields(known)}"
        problems.append(
            Problem(
                use.pos,
                f"Auth passes no .{use.name} to the {what}, so it renders as empty text ({hint})",
            )
        )
    return problems


def _fields(names: frozenset[str]) -> str:
    return ", ".join("." + n for n in sorted(names))


def lacks_action(uses: list[FieldUse], kind: str, notification: bool) -> str | None:
    """Why an email meant to be acted on gives the reader no way to act, or None."""
    if notification or kind not in ACTION_FIELDS:
        return None
    wanted = ACTION_FIELDS[kind]
    if any(use.name in wanted for use in uses):
        return None
    return f"the {kind.replace('_', ' ')} email uses none of {_fields(wanted)}"


class _FieldWalker:
    def __init__(self, parsed: ParsedTemplate) -> None:
        self.parsed = parsed
        self.uses: list[FieldUse] = []
        self.entered: set[str] = set()

    def nodes(self, nodes: list[Node], dot: str, root: str = _ROOT) -> None:
        for node in nodes:
            if isinstance(node, Action):
                self.pipeline(node.pipe, dot, root)
            elif isinstance(node, Branch):
                self.pipeline(node.pipe, dot, root)
                inner = _OTHER if node.kind == "range" else dot
                if node.kind == "with":
                    inner = self.value_of(node.pipe, dot, root)
                self.nodes(node.body, inner, root)
                self.nodes(node.orelse, dot, root)
            elif isinstance(node, TemplateCall):
                passed = _OTHER
                if node.pipe is not None:
                    self.pipeline(node.pipe, dot, root)
                    passed = self.value_of(node.pipe, dot, root)
                self.call(node.name, passed)

    def call(self, name: str, passed: str) -> None:
        body = self.parsed.defined.get(name)
        key = f"{name}\0{passed}"
        if body is None or key in self.entered:
            return
        self.entered.add(key)
        # In a called template both dot and $ are the value passed to it.
        self.nodes(body, passed, passed)

    def pipeline(self, pipe: Pipeline, dot: str, root: str) -> None:
        for operand, _command, _stage in walk_operands(pipe):
            for name, pos in self.root_fields(operand, dot, root):
                self.uses.append(FieldUse(pos, name))

    def root_fields(self, operand: Operand, dot: str, root: str) -> Iterator[tuple[str, int]]:
        if isinstance(operand, FieldRef) and dot == _ROOT:
            yield operand.names[0], operand.pos
        elif isinstance(operand, VarRef) and operand.name == "$" and operand.names:
            if root == _ROOT:
                yield operand.names[0], operand.pos
        elif isinstance(operand, ChainRef):
            return

    def value_of(self, pipe: Pipeline, dot: str, root: str) -> str:
        """What a pipeline of one plain operand yields, as far as this check follows."""
        if len(pipe.commands) != 1 or len(pipe.commands[0].args) != 1:
            return _OTHER
        operand = pipe.commands[0].args[0]
        if isinstance(operand, DotRef):
            return dot
        if isinstance(operand, VarRef) and operand.name == "$":
            names, base = operand.names, root
        elif isinstance(operand, FieldRef):
            names, base = operand.names, dot
        else:
            return _OTHER
        if not names:
            return base
        if base == _ROOT and len(names) == 1 and names[0] in _MAP_FIELDS:
            return _MAP
        return _OTHER
