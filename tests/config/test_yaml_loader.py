"""The position-recording YAML loader."""

from __future__ import annotations

import pytest

from karto_smtp.config.yaml_loader import Position, YamlError, format_path, parse_yaml


def test_positions_of_keys_and_items() -> None:
    doc = parse_yaml(
        "version: 1\n"
        "smtp2go:\n"
        "  smtp_users:\n"
        "    - username: karto\n"
        "      rate_limit: {value: 5, period: 1 hour}\n"
    )
    assert doc.data["smtp2go"]["smtp_users"][0]["rate_limit"] == {"value": 5, "period": "1 hour"}
    assert doc.position(()) == Position(1, 1)
    assert doc.position(("smtp2go",)) == Position(2, 1)
    assert doc.position(("smtp2go", "smtp_users", 0)) == Position(4, 7)
    assert doc.position(("smtp2go", "smtp_users", 0, "username")) == Position(4, 7)
    assert doc.position(("smtp2go", "smtp_users", 0, "rate_limit", "period")) == Position(5, 30)
    # Not in the file: the nearest ancestor that is.
    assert doc.position(("smtp2go", "smtp_users", 0, "password")) == Position(4, 7)
    assert doc.position(("supabase", "projects")) == Position(1, 1)


def test_format_path() -> None:
    assert format_path(("smtp2go", "smtp_users", 0, "username")) == "smtp2go.smtp_users[0].username"
    assert format_path((0, "a")) == "[0].a"
    assert format_path(()) == ""


def test_duplicate_keys_all_reported() -> None:
    with pytest.raises(YamlError) as info:
        parse_yaml("a: 1\nb: {x: 1, x: 2}\na: 3\n")
    assert [(p.position, p.path, p.message) for p in info.value.problems] == [
        (Position(2, 11), ("b", "x"), "duplicate key 'x' (first at line 2, column 5)"),
        (Position(3, 1), ("a",), "duplicate key 'a' (first at line 1, column 1)"),
    ]


def test_merge_keys_may_be_overridden() -> None:
    doc = parse_yaml("base: &b {port: 587, host: h}\nrelay:\n  <<: *b\n  port: 465\n")
    assert doc.data["relay"] == {"port": 465, "host": "h"}
    assert doc.position(("relay", "port")) == Position(4, 3)


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(YamlError, match="recursive alias"):
        parse_yaml("a: &a [*a]\n")


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(YamlError, match="document expands to over 100000 nodes"):
        parse_yaml("\n".join(lines) + "\n")


def test_unknown_tag_is_a_yaml_error() -> None:
    with pytest.raises(YamlError) as info:
        parse_yaml("a: !include other.yaml\n")
    problem = info.value.problems[0]
    assert problem.position == Position(1, 4)
    assert problem.message.startswith("invalid YAML: could not determine a constructor")


def test_empty_document() -> None:
    assert parse_yaml("# only a comment\n").data is None
