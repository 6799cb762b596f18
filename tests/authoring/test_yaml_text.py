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
