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


def _problems(text: str) -> list[tuple[Position, str]]:
    with pytest.raises(YamlError) as info:
        parse_yaml(text)
    return [(p.position, p.message) for p in info.value.problems]


def test_control_characters_are_located_before_the_reader_sees_them() -> None:
    assert _problems("version: 1\nsmtp2go:\x01\n") == [
        (Position(2, 9), "the control character U+0001 is not allowed in YAML; delete it")
    ]
    assert _problems("a: b\x00c\n") == [
        (
            Position(1, 5),
            "the control character U+0000 (NUL) is not allowed in YAML; delete it "
            "(is this a binary file?)",
        )
    ]
    assert _problems("a: \x1b[31m\n")[0][1] == (
        "the control character U+001B (ESCAPE) is not allowed in YAML; delete it"
    )


def test_nesting_is_bounded_in_flow_and_block_style() -> None:
    message = "nested more than 64 levels deep; karto.yaml needs at most 7"
    assert _problems("a: " + "[" * 1000 + "]" * 1000 + "\n") == [(Position(1, 67), message)]
    block = "".join("  " * depth + f"k{depth}:\n" for depth in range(100)) + "  " * 100 + "x\n"
    assert _problems(block) == [(Position(65, 129), message)]
    # 64 levels are fine.
    assert parse_yaml("[" * 64 + "]" * 64).data is not None


def test_alias_chains_cannot_nest_past_the_bound() -> None:
    lines = ["a0: &a0 " + "[" * 40 + "]" * 40]
    for i in range(1, 4):
        lines.append(f"a{i}: &a{i} " + "[" * 40 + f"*a{i - 1}" + "]" * 40)
    problems = _problems("\n".join(lines) + "\n")
    assert [message for _, message in problems] == [
        "nested more than 64 levels deep; karto.yaml needs at most 7"
    ]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            "9" * 5000,
            "a number with 5000 digits is far too large for any setting here; "
            "quote it if it is text",
        ),
        (
            "01113",
            "YAML 1.1 reads 01113 as the octal number 587 (a leading 0 means octal); "
            "write 587, or 1113 if you meant that",
        ),
        ("0x1F", "YAML 1.1 reads 0x1F as 31 but YAML 1.2 as text; write 31"),
        ("0b101", "YAML 1.1 reads 0b101 as 5 but YAML 1.2 as text; write 5"),
        ("1_000", "YAML 1.1 reads 1_000 as 1000 but YAML 1.2 as text; write 1000"),
        (
            "1:30",
            "YAML 1.1 reads 1:30 as a base-60 number (90); quote it ('1:30') if it is "
            "text such as a time, or write 90",
        ),
    ],
)
def test_yaml_1_1_integer_spellings_are_refused(written: str, message: str) -> None:
    assert _problems(f"port: {written}\n") == [(Position(1, 7), message)]


def test_plain_decimals_and_quoted_text_are_kept() -> None:
    doc = parse_yaml("a: 587\nb: -3\nc: '01113'\nd: yes\ne: 587.0\nf: '1:30'\n")
    assert doc.data == {"a": 587, "b": -3, "c": "01113", "d": True, "e": 587.0, "f": "1:30"}
    assert (doc.written(("d",)), doc.written(("e",)), doc.written(("c",))) == ("yes", "587.0", None)
    assert doc.yaml11_booleans() == [(("d",), "yes")]


def test_a_huge_number_as_a_key_is_not_converted() -> None:
    key = "7" * 1000
    ((position, message),) = _problems(f"{key}: 1\n")
    assert position == Position(1, 1)
    assert message == (
        f"a key must be text, but YAML reads {key[:59]}… as a number; write '{key[:59]}…' in quotes"
    )
    assert _problems("7" * 5000 + ": 1\n") == [
        (Position(1, 1), "a key longer than 1024 characters, which YAML does not allow")
    ]


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        (
            'a: 1\nb: 2\nc: 3\nd: "abc\ne: 1\nf: 2\n',
            Position(4, 4),
            'the quoted text that starts here is never closed; end it with "',
        ),
        (
            "a: 1\nb: 2\nc: 3\nd: 'abc\ne: 1\n",
            Position(4, 4),
            "the quoted text that starts here is never closed; end it with '",
        ),
        (
            "a: 1\nb: [1, 2\nc: 3\n",
            Position(2, 4),
            "the '[' here is never closed (at line 3: expected ',' or ']', but got ':'); add ']'",
        ),
        (
            "a: 1\nb: {x: 1\nc: 3\n",
            Position(2, 4),
            "the '{' here is never closed (at line 3: expected ',' or '}', but got ':'); add '}'",
        ),
        (
            "a: 1\nfoo\nb: 2\n",
            Position(2, 1),
            "this line is not 'key: value' (no ':' after it); add the ':' or join it to the "
            "line above",
        ),
        ("a:\n\tb: 1\n", Position(2, 1), "a tab character here; indent with spaces, not tabs"),
        ("a: @b\n", Position(1, 4), "a plain value cannot start with '@'; put the value in quotes"),
        (
            "a: b: c\n",
            Position(1, 5),
            "': ' inside a value; put the value in quotes, or start a new line for a nested key",
        ),
        (
            "a:\n  b: 1\n c: 2\n",
            Position(3, 2),
            "invalid YAML: while parsing a block mapping expected <block end>, but found "
            "'<block mapping start>'; check this line's indentation against the lines above",
        ),
        ("a: !!int abc\n", Position(1, 4), "'abc' cannot be read as !!int"),
    ],
)
def test_syntax_errors_point_at_what_to_fix(text: str, position: Position, message: str) -> None:
    assert _problems(text) == [(position, message)]


def test_merge_of_a_scalar_is_reported_at_the_merge_not_the_anchor() -> None:
    assert _problems("x: &x 5\ny:\n  z: 1\n  <<: *x\n") == [
        (Position(4, 7), "'<<' merges a mapping or a list of mappings, e.g. '<<: *defaults'")
    ]


def test_alias_used_as_a_key_is_reported_at_the_alias() -> None:
    assert _problems("x: &x [1]\ny:\n  z: 1\n  *x : 3\n") == [
        (Position(4, 3), "a key must be text, found a list")
    ]
    doc = parse_yaml("x: &k port\ny:\n  a: 1\n  *k : 3\n")
    assert doc.data["y"] == {"a": 1, "port": 3}
    assert doc.position(("y", "port")) == Position(4, 3)


def test_merged_and_aliased_values_are_positioned_at_their_use() -> None:
    doc = parse_yaml(
        "d: &d {host: h, port: 1, tls: {mode: x}}\nr:\n  user: u\n  <<: *d\nlist:\n  - *d\n"
    )
    assert doc.position(("r", "user")) == Position(3, 3)
    assert doc.position(("r", "host")) == Position(4, 3)
    assert doc.position(("r", "tls", "mode")) == Position(4, 3)
    assert doc.position(("list", 0)) == Position(6, 5)
    assert doc.position(("list", 0, "port")) == Position(6, 5)
    # The anchor's own keys stay where they are written.
    assert doc.position(("d", "port")) == Position(1, 17)


def test_merge_order_follows_yaml() -> None:
    doc = parse_yaml("a: &a {k: 1}\nb: &b {k: 2}\nc:\n  <<: [*a, *b]\nd:\n  <<: [*a, *b]\n  k: 3\n")
    # In `<<: [*a, *b]` the first mapping wins; an explicit key beats both.
    assert doc.data["c"] == {"k": 1}
    assert doc.data["d"] == {"k": 3}


def test_aliased_mapping_with_a_merge_is_read_the_same_at_every_use() -> None:
    doc = parse_yaml("base: &b {p: 1}\nx: &x\n  <<: *b\n  q: 2\ny: *x\nz: *x\n")
    assert doc.data["x"] == doc.data["y"] == doc.data["z"] == {"p": 1, "q": 2}


def test_duplicate_keys_in_an_aliased_mapping_are_reported_once() -> None:
    assert _problems("a: &a {k: 1, k: 2}\nb: *a\nc: *a\n") == [
        (Position(1, 14), "duplicate key 'k' (first at line 1, column 8)")
    ]


def test_written_values_are_capped_so_a_large_file_stays_fast() -> None:
    import time

    started = time.perf_counter()
    problems = _problems("x: [" + "a, " * 60_000 + "]\n")
    assert time.perf_counter() - started < 10
    assert problems == [(Position(1, 149_996), "more than 50000 values; is this the right file?")]


def test_a_plain_line_longer_than_a_key_may_be() -> None:
    assert _problems("a: 1\n" + "9" * 2000 + "\nb: 2\n") == [
        (
            Position(2, 1),
            "this line is not 'key: value' (no ':' after it); add the ':' or join it to the "
            "line above",
        )
    ]


def _read_each_way(text: str) -> list:
    """The document as libyaml's own composition reads it (None: not plain), as the
    composition over libyaml's events reads it, and as the Python reader does (None:
    invalid)."""
    from karto_smtp.config import yaml_loader

    results = [yaml_loader._plain_document(text)]
    for loader_class in (yaml_loader._FastLoader, yaml_loader._Loader):
        loader = loader_class(text)
        try:
            document = yaml_loader._parse(loader)
        except yaml_loader.YamlError:
            document = None
        finally:
            loader.dispose()
        results.append(document)
    return results


def _same(one, other) -> bool:
    return (one.data, one.positions, one.plain) == (other.data, other.positions, other.plain)


def test_libyaml_and_the_python_reader_give_the_same_document():
    """Valid files are read with libyaml for speed; it must not change a single position."""
    from pathlib import Path

    from karto_smtp.config import yaml_loader

    if yaml_loader._CParser is None:
        pytest.skip("PyYAML without libyaml: only the Python reader exists")
    root = Path(__file__).resolve().parents[2]
    files = [*root.glob("examples/*.yaml"), *root.glob("tests/config/fixtures/**/*.yaml")]
    compared = plain = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        composed_in_c, fast, python = _read_each_way(text)
        if python is None:
            assert composed_in_c is None, path  # an invalid file is never plain
            continue  # and is always read again by the Python reader
        compared += 1
        assert fast is not None, path
        assert _same(fast, python), path
        if composed_in_c is not None:
            plain += 1
            assert _same(composed_in_c, python), path
    assert compared >= 10
    assert plain >= 10


PLAIN_DOCUMENTS = [
    "",
    "version: 1\n",
    "a: [1, 2.5, true, null, ~, '', \"x\"]\nb: {c: yes, d: -7, e: 2024-01-01}\n",
    "'quoted key': 1\n\"123\": text\nlist:\n  - - nested\n    - [deep, {x: 1}]\n",
    "text: |\n  two\n  lines\nfolded: >\n  one\n  line\nport: 587\nratio: 1000\n",
    "anchor_only: &a {x: 1}\nother: 2\n",
    'unicode: "\u00e9t\u00e9"\nemoji: "\U0001f600"\n',
]

NOT_PLAIN_DOCUMENTS = [
    "base: &b {x: 1}\nuse: *b\n",  # an alias
    "base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\n",  # a merge
    "a: 1\na: 2\n",  # a duplicate key
    "1: one\n",  # a key that is not text
    "? [a, b]\n: c\n",  # a key that is a list
    "x: !!int abc\n",  # a scalar that cannot be read
    "n: 1" + "0" * 30 + "\n",  # a number far too large
    "ratio: 1_000\n",  # a YAML 1.1 number spelling
    "a: 1\n---\nb: 2\n",  # two documents
    "a: [1, 2\n",  # a syntax error
    "x: " + "[" * 70 + "]" * 70 + "\n",  # nested too deep
]


@pytest.mark.parametrize("text", PLAIN_DOCUMENTS)
def test_a_plain_document_composed_in_c_reads_exactly_as_the_python_reader(text):
    from karto_smtp.config import yaml_loader

    if yaml_loader._CParser is None:
        pytest.skip("PyYAML without libyaml")
    composed_in_c, fast, python = _read_each_way(text)
    assert composed_in_c is not None and python is not None
    assert _same(composed_in_c, python)
    assert _same(fast, python)


@pytest.mark.parametrize("text", NOT_PLAIN_DOCUMENTS)
def test_any_other_document_is_left_to_the_full_reading(text):
    from karto_smtp.config import yaml_loader

    if yaml_loader._CParser is None:
        pytest.skip("PyYAML without libyaml")
    composed_in_c, _fast, python = _read_each_way(text)
    assert composed_in_c is None
    # parse_yaml gives what the full reading gives, document or problems.
    try:
        parsed = parse_yaml(text)
    except YamlError as exc:
        assert python is None, exc.problems
    else:
        assert python is not None and _same(parsed, python)
