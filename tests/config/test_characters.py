"""Character checks and how values are shown in messages."""

from __future__ import annotations

import pytest

from karto_smtp.config.characters import (
    edge_space_problem,
    invisible_problem,
    lookalike_problem,
    non_ascii_problem,
)
from karto_smtp.config.display import shown


def test_shown_cuts_and_makes_invisible_characters_visible() -> None:
    assert shown("x" * 60) == "x" * 60
    assert shown("x" * 61) == "x" * 59 + "…"
    assert shown("a\nb\tc\u200bd\u00a0e") == "a\\nb\\tc\\u200bd\\u00a0e"
    assert shown(587) == "587"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("karto", None),
        ("karto ", "ends with a space; remove it"),
        ("\tkarto", "starts with a tab; remove it"),
        ("karto\n", "ends with a newline; remove it"),
        ("karto\u00a0", "ends with an invisible space; remove it"),
        ("", None),
    ],
)
def test_edge_space(value: str, problem: str | None) -> None:
    assert edge_space_problem(value) == problem


def test_non_ascii_names_the_character_and_its_twin() -> None:
    assert non_ascii_problem("ｋarto") == (
        "has the non-ASCII character 'ｋ' (U+FF4B FULLWIDTH LATIN SMALL LETTER K), which looks "
        "like 'k', at character 1; retype it in plain ASCII"
    )
    assert non_ascii_problem("karté") == (
        "has the non-ASCII character 'é' (U+00E9 LATIN SMALL LETTER E WITH ACUTE), which looks "
        "like 'e', at character 5; retype it in plain ASCII"
    )
    assert non_ascii_problem("kar\u2013to") == (
        "has the non-ASCII character '\u2013' (U+2013 EN DASH), which looks like '-', at "
        "character 4; retype it in plain ASCII"
    )
    assert non_ascii_problem("karto") is None


def test_lookalikes_leave_other_scripts_alone() -> None:
    assert lookalike_problem("Müller") is None
    assert lookalike_problem("日本") is None
    assert lookalike_problem("M\u0430x") is not None


def test_invisible_characters() -> None:
    assert invisible_problem("a\u200bb") == (
        "has \\u200b (U+200B ZERO WIDTH SPACE), which is invisible, at character 2; delete it"
    )
    assert (
        invisible_problem("a\nb")
        == "has \\n (U+000A), which is invisible, at character 2; delete it"
    )
    assert invisible_problem("a b") is None
