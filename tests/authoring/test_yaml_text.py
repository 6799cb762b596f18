"""The commented-YAML writer parses back to exactly the values it was given."""

from __future__ import annotations

import pytest
import yaml

from karto_smtp.authoring.importer import period_text
from karto_smtp.authoring.yaml_text import Block, Flow, Items, render
from karto_smtp.providers.smtp2go.fields import period_seconds

TRICKY = [
    "plain",
    "a: b",
    "yes",
    "no",
    "null",
    "~",
    "123",
    "0x1F",
    "# not a comment",
    "- dash",
    "{braces}",
    "[list]",
    "trailing space ",
    " leading",
    "line\nbreak",
    "tab\there",
    "quote ' and \"",
    "ünïcödé",
    "",
    "%%UNSUBSCRIBE%%",
    "@at",
    "*star",
    "&amp",
    "!bang",
    "a, b",
]


@pytest.mark.parametrize("value", TRICKY)
def test_every_scalar_round_trips_in_block_flow_and_list(value):
    item = Block()
    item.add("name", value, comments=["above"], note="after")
    document = Block()
    document.add("block", value)
    document.add("flow", Flow({"x": value, "n": 1}))
    document.add("items", Items([item]))
    text = render(document, ["header"])
    assert yaml.safe_load(text) == {
        "block": value,
        "flow": {"x": value, "n": 1},
        "items": [{"name": value}],
    }


def test_layout_reads_like_a_hand_written_file():
    user = Block()
    user.add("username", "karto", comments=["the user"])
    user.add("password", "generate", note="made by karto-smtp")
    document = Block()
    document.add("version", 1)
    section = Block()
    section.add("smtp_users", Items([user]))
    section.add("none", Items())
    document.add("smtp2go", section, comments=["SMTP2GO"])
    assert render(document, ["title", ""]) == (
        "# title\n"
        "#\n"
        "version: 1\n"
        "\n"
        "# SMTP2GO\n"
        "smtp2go:\n"
        "  smtp_users:\n"
        "    # the user\n"
        "    - username: karto\n"
        "      password: generate  # made by karto-smtp\n"
        "  none: []\n"
    )


@pytest.mark.parametrize(
    ("live", "written"),
    [
        ("1 day", "1 day"),
        ("2 hours", "2 hours"),
        ("0:30:00", "0:30:00"),
        ("1 day, 0:00:00", "1 day"),
        ("2 days, 12:00:00", "60 hours"),
        ("7 days, 0:00:00", "1 week"),
        ("1 day, 0:30:00", "1 day 0:30:00"),
    ],
)
def test_a_live_period_is_written_in_karto_syntax_with_the_same_length(live, written):
    assert period_text(live) == written
    assert period_seconds(written) == period_seconds(live)


TEMPLATES = [
    "<h2>Привет</h2>\n\n<p>{{ .Token }}</p>\n",
    "<p>no final newline</p>",
    "  <p>leading spaces</p>\n<p>x</p>\n",
    "<p>trailing blank lines</p>\n\n\n",
    "<p>tab\there</p>\n<p>x</p>",
    "<p>carriage</p>\r\n<p>return</p>\r\n",
    "line  \nwith trailing spaces\n",
    "# looks like a comment\n- looks like a list\n",
]


@pytest.mark.parametrize("text", TEMPLATES)
def test_a_template_written_inline_reads_back_exactly(text: str) -> None:
    from karto_smtp.authoring.yaml_text import FlowList, Literal

    item = Block()
    item.add("subject", "Тема")
    item.add("content", Literal(text))
    entry = Block()
    entry.add("confirmation", item)
    entry.add("redirect_urls", FlowList(["https://karto.app/**", "a, b", "yes"]))
    items = Items([Block()])
    items.items[0].add("content", Literal(text))
    document = Block()
    document.add("list", items)  # a block ends it, then the blank line between sections
    document.add("email", entry)
    data = yaml.safe_load(render(document, []))
    assert data == {
        "email": {
            "confirmation": {"subject": "Тема", "content": text},
            "redirect_urls": ["https://karto.app/**", "a, b", "yes"],
        },
        "list": [{"content": text}],
    }


def test_a_multi_line_template_is_a_literal_block() -> None:
    from karto_smtp.authoring.yaml_text import Literal

    document = Block()
    document.add("content", Literal("<h2>Hi</h2>\n<p>x</p>"))
    assert render(document, []) == "content: |-\n  <h2>Hi</h2>\n  <p>x</p>\n"
