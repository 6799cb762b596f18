"""Colour: only on a terminal, never with NO_COLOR."""

from __future__ import annotations

import io

from karto_smtp.cli import color_enabled
from karto_smtp.engine.plan import Action, Change, ConfigRef, FieldChange, Plan
from karto_smtp.views.text import render_text


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_needs_a_terminal_and_no_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert color_enabled(Terminal()) is True
    assert color_enabled(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert color_enabled(Terminal()) is False


def test_plain_text_has_no_escape_codes_and_colour_has_them():
    plan = Plan(
        config=ConfigRef(path="karto.yaml", digest="0" * 64),
        changes=[
            Change(
                address='smtp2go.smtp_user["karto"]',
                provider="smtp2go",
                kind="smtp_user",
                key="karto",
                action=Action.CREATE,
                fields=[FieldChange(field="status", after="allowed")],
            )
        ],
    )
    assert "\x1b[" not in render_text(plan, colour=False)
    assert "\x1b[32m+" in render_text(plan, colour=True)
