"""The Go template checker: parse errors with their position, and what fails at execution.

Every verdict below was compared with Go's own html/template (`tests/sandbox/go_render`);
`test_agrees_with_go` repeats that comparison when a Go toolchain is installed.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from karto_smtp.config.gotemplate import (
    TemplateSyntaxError,
    execution_problems,
    parse,
)
from karto_smtp.config.html_context import html_problems
from karto_smtp.config.offsets import line_column

VALID = [
    "{{ .Token }}",
    "{{- .Token -}}",
    "{{-3}}",
    "{{/* note */}}",
    "{{- /* note */ -}}",
    "{{ if .Token }}a{{ else if .Email }}b{{ else }}c{{ end }}",
    "{{ range $i, $e := .Data.items }}{{ $i }}{{ $e }}{{ break }}{{ end }}",
    "{{ with .Data }}{{ .name }}{{ else }}x{{ end }}",
    "{{ with .Data }}a{{ else with .Email }}b{{ end }}",
    '{{ define "x" }}hi{{ end }}{{ template "x" . }}',
    '{{ block "b" . }}default{{ end }}',
    "{{ $x := .Token }}{{ $x = .Email }}{{ $x }}",
    '{{ printf "%s" (index .Data "name") | html }}',
    "{{ 'a' }}{{ 0x1F }}{{ 1e3 }}{{ 1_000 }}{{ `raw` }}{{ \"\\u00e9\" }}",
    "{{\n.Token\n}}",
    '{{ eq .Token "1" }}{{ and .Token (not .Email) }}',
]

SYNTAX_ERRORS = [
    ("{{ if .Token }}", (1, 16), "unexpected EOF"),
    ("line1\n{{ if .X }}\nline3\n{{ end }}\n{{ end }}", (5, 4), "unexpected {{end}}"),
    ("{{ else }}", (1, 4), "unexpected {{else}}"),
    ("{{ .Token }", (1, 11), 'unexpected "}" in operand'),
    ("{{ .Token | foo }}", (1, 13), 'function "foo" not defined'),
    ("{{ $x }}", (1, 4), 'undefined variable "$x"'),
    ("{{ if }}{{ end }}", (1, 7), "missing value for if"),
    ("{{ break }}", (1, 4), "{{break}} outside {{range}}"),
    ("{{ range .X }}{{ else if .Y }}{{ end }}", (1, 23), "unexpected <if> in input"),
    ("{{ if .X }}{{ else }}{{ else }}{{ end }}", (1, 25), "expected end; found {{else}}"),
    ("{{/* note", (1, 1), "unclosed comment"),
    ("{{/* a */ .Token}}", (1, 1), "comment ends before closing delimiter"),
    ('{{ "open }}', (1, 4), "unterminated quoted string"),
    ("{{ 'ab' }}", (1, 4), "malformed character constant: 'ab'"),
    ('{{ "\\q" }}', (1, 4), "invalid syntax"),
    ("{{ 089 }}", (1, 4), 'integer overflow: "089"'),
    ("{{ 1a }}", (1, 4), 'bad number syntax: "1a"'),
    ("{{ .Token | 1 }}", (1, 13), "non executable command in pipeline stage 2"),
    ("{{ .Token.. }}", (1, 10), "unexpected <.> in operand"),
    ('{{ "a".X }}', (1, 4), 'unexpected . after term "\\"a\\""'),
    ("{{ ( .Token }}", (1, 13), "unclosed left paren"),
    ("{{ @ }}", (1, 4), 'unexpected "@" in command'),
    ("{{ .Tok\u00e9n\u00a0}}", (1, 4), "bad character U+00A0"),
    ('{{ define "x" }}a{{ end }}{{ define "x" }}b{{ end }}', (1, 37), "multiple definition"),
    ("{{ range $i, 3 := .X }}{{ end }}", (1, 14), "range can only initialize variables"),
    ("{{ if .X }}a{{ else with .Y }}b{{ end }}", (1, 21), "unexpected <with> in input"),
]


@pytest.mark.parametrize("text", VALID)
def test_accepts_what_go_accepts(text: str) -> None:
    parse(text)


@pytest.mark.parametrize(("text", "where", "message"), SYNTAX_ERRORS)
def test_refuses_what_go_refuses_with_the_position(
    text: str, where: tuple[int, int], message: str
) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        parse(text)
    assert line_column(text, caught.value.pos) == where
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{{ template "x" }}', 'no such template "x"'),
        ("{{ len }}", "wrong number of args for len: want 1 got 0"),
        ("{{ lt 1 2 3 }}", "wrong number of args for lt: want 2 got 3"),
        ("{{ eq len .Token }}", "wrong number of args for len: want 1 got 0"),
        ("{{ $x = 1 }}", "$x is assigned with = but never declared with :="),
        ("{{ .Token .Email }}", ".Token is not a function; it cannot take arguments"),
        ("{{ .Token | .Email }}", ".Email is not a function; it cannot take arguments"),
        ("{{ nil }}", "nil is not a command"),
        ('{{ .Token | html | printf "%s" }}', 'predefined escaper "html" disallowed'),
    ],
)
def test_finds_what_fails_at_execution(text: str, message: str) -> None:
    (problem,) = execution_problems(parse(text))
    assert message in problem.message


@pytest.mark.parametrize(
    "text",
    [
        "{{ .Token | len }}",
        "{{ $x := 1 }}{{ if .X }}{{ $x = 2 }}{{ end }}",
        "{{ .Token | urlquery }}",
        '{{ define "x" }}{{ end }}{{ template "x" }}',
    ],
)
def test_executable_templates_have_no_problems(text: str) -> None:
    assert execution_problems(parse(text)) == []


HTML_ERRORS = [
    ('<a href="{{ .ConfirmationURL }}>Confirm</a>', (1, 9), 'attribute value quoted with "'),
    ("<p>ok</p>\n<!-- note", (2, 1), "HTML comment"),
    ("<script>var x = 1;", (1, 1), "<script> element"),
    ("<title>{{ .Token }}", (1, 1), "<title> element"),
    ("<p class=x", (1, 10), "attribute value"),
    ('{{ if .Token }}<a href="{{ else }}<b>{{ end }}', (1, 4), "{{if}} end in different"),
    ("{{ if .Token }}<b{{ end }}>", (1, 4), "{{if}} end in different"),
    ("{{ range .Data.items }}<td{{ end }}>", (1, 24), "'<' in an attribute name"),
    ('<a href=x"y">', (1, 10), "'\"' in an unquoted attribute value"),
    ('<a "b">', (1, 4), "'\"' in an attribute name"),
    ("<a =b>", (1, 4), "expected space, attribute name or end of tag"),
]


@pytest.mark.parametrize(("text", "where", "message"), HTML_ERRORS)
def test_html_contexts_go_refuses(text: str, where: tuple[int, int], message: str) -> None:
    (problem,) = html_problems(parse(text))
    assert line_column(text, problem.pos) == where
    assert message in problem.message


@pytest.mark.parametrize(
    "text",
    [
        '<a href="{{ .ConfirmationURL }}">Confirm</a>',
        "<!DOCTYPE html><html><body><p>{{ .Token }}</p></body></html>",
        "<p title={{ if .Token }}{{ . }}{{ end }}>x</p>",
        '<script type="text/template"><p></script>',
        "<style>p { color: red }</style><p>a < b</p>",
        '{{ define "x" }}<b>{{ end }}{{ template "x" }}</b>',
        "{{ range .Data.items }}{{ if . }}<b>{{ break }}{{ end }}{{ end }}",
        "<br/><img src=x alt=y>",
    ],
)
def test_html_go_runs(text: str) -> None:
    assert html_problems(parse(text)) == []


# Go's html/template itself: the program the sandbox's renderer is compared with, given the
# data Supabase Auth renders with.
ORACLE = Path(__file__).parents[1] / "sandbox" / "go_render"
GO_DATA = {
    "SiteURL": "https://karto.app", "ConfirmationURL": "https://x/verify?token=1",
    "Email": "a@b.c", "Token": "123456", "TokenHash": "abc", "RedirectTo": "https://karto.app",
    "Data": {"name": "Ann", "items": [1, 2]},
}  # fmt: skip
_ATOMS = [
    "{{", "}}", "{{- ", " -}}", " ", "\n", ".Token", ".Data", ".", "$x :=", "$x", "if", "else",
    "end", "range", "with", "define", "template", "break", "nil", '"s"', "`r`", "'c'", "1", "(",
    ")", "|", ",", "len", "printf", "html", "eq", "foo", "/*", "*/", "<a", ' href="', ">", "<!--",
    "<script>", "</script>", "{{ if .Token }}", "{{ else }}", "{{ end }}", "{{ .Token }}",
]  # fmt: skip


@pytest.mark.skipif(shutil.which("go") is None, reason="needs a Go toolchain")
def test_agrees_with_go(tmp_path: Path) -> None:
    """Random templates: where Go refuses to parse, so do we; what we report, Go reports."""
    binary = tmp_path / "oracle"
    subprocess.run(
        ["go", "build", "-o", str(binary), "."],
        cwd=ORACLE,
        check=True,
        env={"PATH": "/usr/bin:/bin:/usr/local/go/bin", "HOME": str(tmp_path), "GOPROXY": "off",
             "GOFLAGS": "-mod=mod", "GOCACHE": str(tmp_path / "cache")},
        timeout=120,
    )  # fmt: skip
    rng = random.Random(14)
    texts = ["".join(rng.choice(_ATOMS) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    done = subprocess.run(
        [str(binary)],
        input=json.dumps({"templates": texts, "data": GO_DATA}),
        capture_output=True,
        text=True,
        check=True,
    )
    for text, go in zip(texts, json.loads(done.stdout), strict=True):
        try:
            parsed = parse(text)
        except TemplateSyntaxError:
            assert go["parse"], text
            continue
        assert not go["parse"], text
        if html_problems(parsed) or execution_problems(parsed):
            assert go["exec"], text
