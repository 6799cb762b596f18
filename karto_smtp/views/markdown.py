"""The pull-request view of a Plan: a summary table, details folded away."""

from __future__ import annotations

from karto_smtp.engine.plan import Plan
from karto_smtp.views.text import SYMBOLS, render_text, summary_line


def render_markdown(plan: Plan) -> str:
    lines = ["### karto-smtp plan", "", f"**{summary_line(plan)}**", ""]
    for warning in plan.warnings:
        lines += [f"> **Warning:** {warning}", ""]
    if plan.actionable:
        lines += ["| | Address | Action | Fields |", "|---|---|---|---|"]
        for change in plan.actionable:
            fields = ", ".join(f"`{f.field}`" for f in change.fields) or "—"
            symbol = SYMBOLS[change.action]
            lines.append(f"| `{symbol}` | `{change.address}` | {change.action.value} | {fields} |")
        lines.append("")
    pending = [note for c in plan.changes for note in c.notes]
    if pending:
        lines += ["**Notes**", ""] + [f"- {note}" for note in pending] + [""]
    lines += [
        "<details><summary>Full plan</summary>",
        "",
        "```diff",
        render_text(plan, colour=False).rstrip("\n"),
        "```",
        "",
        "</details>",
    ]
    return "\n".join(lines) + "\n"
