"""The terminal view of a Plan, in the idiom Terraform users already read."""

from __future__ import annotations

import json
from typing import Any

from karto_smtp.engine.plan import Action, Change, FieldChange, Plan
from karto_smtp.wording import counted

SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}
COLOURS = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red"}
# The colour of a line by the symbol it starts with (lines of a text field's diff).
_SYMBOL_COLOURS = {SYMBOLS[action]: COLOURS[action] for action in SYMBOLS}
HEADLINES = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in-place",
    Action.DELETE: "will be destroyed",
}
LEGEND = {Action.CREATE: "create", Action.UPDATE: "update in-place", Action.DELETE: "destroy"}
NO_CHANGES = "No changes. SMTP2GO and Supabase match karto.yaml."


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str) and value.startswith("(") and value.endswith(")"):
        return value  # (sensitive value), (known after apply)
    return json.dumps(value, ensure_ascii=False)


def _style(text: str, colour: str | None, enabled: bool) -> str:
    if not enabled or colour is None:
        return text
    import click

    return click.style(text, fg=colour)


def summary_line(plan: Plan) -> str:
    s = plan.summary
    if not s.has_changes:
        if plan.options.targets:
            return f"No changes. {', '.join(plan.options.targets)} match karto.yaml."
        return NO_CHANGES
    return f"Plan: {s.add} to add, {s.change} to change, {s.destroy} to destroy."


def _text_lines(change: Change, item: FieldChange, width: int) -> list[str]:
    """A multi-line value: its size when new, a unified diff when changed (never all of it)."""
    import difflib

    name = item.field.ljust(width)
    before = item.before if isinstance(item.before, str) else None
    after = item.after if isinstance(item.after, str) else ""
    if change.action is Action.CREATE or before is None:
        count = len(after.splitlines())
        return [f"+ {name} = (text, {counted(count, 'line')})"]
    diff = difflib.unified_diff(
        before.splitlines(), after.splitlines(), "live", "karto.yaml", n=2, lineterm=""
    )
    body = [line for line in diff if not line.startswith(("---", "+++"))]
    return [f"~ {name} ="] + [f"    {line}" for line in body]


def _field_line(change: Change, item: FieldChange, width: int) -> str:
    name = item.field.ljust(width)
    if change.action is Action.CREATE:
        return f"+ {name} = {_value(item.after)}"
    if change.action is Action.DELETE:
        return f"- {name}"
    if item.before is None and item.sensitive:
        return f"+ {name} = {_value(item.after)}"
    return f"~ {name} = {_value(item.before)} -> {_value(item.after)}"


def render_change(change: Change, colour: bool) -> list[str]:
    symbol = SYMBOLS[change.action]
    tint = COLOURS[change.action]
    lines = [f"  # {change.address} {HEADLINES[change.action]}"]
    lines += [f"  # ({reason})" for reason in change.reasons]
    if not change.fields and change.action is not Action.UPDATE:
        lines.append(_style(f"  {symbol} {change.address}", tint, colour))
    else:
        lines.append(_style(f"  {symbol} {change.address} {{", tint, colour))
        width = max((len(f.field) for f in change.fields), default=0)
        for item in change.fields:
            if item.display == "text" and change.action is not Action.DELETE:
                for line in _text_lines(change, item, width):
                    tinted = _SYMBOL_COLOURS.get(line.lstrip()[:1])
                    lines.append("      " + _style(line, tinted, colour))
                continue
            line = _field_line(change, item, width)
            lines.append("      " + _style(line[0], tint, colour) + line[1:])
        if change.unchanged_fields:
            hidden = counted(change.unchanged_fields, "unchanged field")
            lines.append(f"        # ({hidden} hidden)")
        lines.append("    }")
    lines += [f"      # {note}" for note in change.notes]
    return lines


def render_text(plan: Plan, colour: bool = False) -> str:
    lines: list[str] = []
    for warning in plan.warnings:
        lines += [_style(f"Warning: {warning}", "yellow", colour), ""]
    if plan.drift:
        lines.append("Note: objects changed outside karto-smtp since it last wrote them:")
        lines += [f"  {line}" for line in plan.drift]
        lines.append("")
    actions = [c for c in plan.actionable]
    if actions:
        present = [
            a
            for a in (Action.CREATE, Action.UPDATE, Action.DELETE)
            if any(c.action is a for c in actions)
        ]
        lines.append("Resource actions are indicated with the following symbols:")
        for action in present:
            lines.append(
                "  " + _style(SYMBOLS[action], COLOURS[action], colour) + f" {LEGEND[action]}"
            )
        lines += ["", "karto-smtp will perform the following actions:", ""]
        for change in actions:
            lines += render_change(change, colour)
            lines.append("")
    pending = [c for c in plan.changes if c.action is Action.NOOP and c.notes]
    if pending:
        lines.append("Notes:")
        for change in pending:
            lines += [f"  {change.address}: {note}" for note in change.notes]
        lines.append("")
    lines.append(_style(summary_line(plan), None if plan.summary.has_changes else "green", colour))
    return "\n".join(lines) + "\n"
