"""The sandbox's Go template renderer, on the cases that matter for Auth emails.

Every expected text below is what Go's html/template (Go 1.19) wrote for the same template
and data (tests/sandbox/go_render); test_gotemplate_go.py repeats such comparisons on
thousands of generated templates when a Go toolchain is installed.
"""

from __future__ import annotations

import pytest

from karto_sandbox.gotemplate import (
    TemplateExecError,
    TemplateSyntaxError,
    UnsupportedTemplate,
    parse,
    render,
)
from karto_sandbox.gotemplate.values import format_float, json_to_go

# Auth's data for a confirmation mail; `Data` is user metadata as Go decodes JSON.
DATA = json_to_go(
    {
        "ConfirmationURL": (
            "http://127.0.0.1:5/ref/auth/v1/verify?token=abc&type=signup"
            "&redirect_to=https://karto.app/a b"
        ),
        "Token": "123456",
        "TokenHash": "a1b2+c/d=",
        "SiteURL": "https://karto.app",
        "Email": "ann+test@example.com",
        "RedirectTo": "https://karto.app/welcome?x=1&y=<2>",
        "Data": {
            "name": "Анна <b>\"Ann\" & 'Bo'</b>",
            "n": 42,
            "big": 1000000,
            "half": 0.5,
            "items": [1, "two", None, True, {"k": "v"}],
            "nested": {"a": {"b": "deep"}},
            "null": None,
            "empty": "",
            "flag": False,
            "list_empty": [],
            "map_empty": {},
        },
    }
)

RENDERED = [
    ("<p>{{ .Data.name }}</p>", "<p>Анна &lt;b&gt;&#34;Ann&#34; &amp; &#39;Bo&#39;&lt;/b&gt;</p>"),
    (
        '<a href="{{ .ConfirmationURL }}">Confirm</a>',
        '<a href="http://127.0.0.1:5/ref/auth/v1/verify?token=abc&amp;type=signup&amp;redirect_to=https://karto.app/a%20b">Confirm</a>',
    ),
    (
        '<a href="{{ .SiteURL }}/auth/confirm?token_hash={{ .TokenHash }}&type=email">Sign in</a>',
        '<a href="https://karto.app/auth/confirm?token_hash=a1b2%2bc%2fd%3d&type=email">Sign in</a>',
    ),
    (
        "<a href={{ .RedirectTo }}>x</a>",
        "<a href=https://karto.app/welcome?x&#61;1&amp;y&#61;%3c2%3e>x</a>",
    ),
    (
        "<a title='{{ .Data.name }}'>x</a>",
        "<a title='Анна &lt;b&gt;&#34;Ann&#34; &amp; &#39;Bo&#39;&lt;/b&gt;'>x</a>",
    ),
    ("<a title={{ .Email }}>x</a>", "<a title=ann&#43;test@example.com>x</a>"),
    ('<a href="{{ "javascript:alert(1)" }}">x</a>', '<a href="#ZgotmplZ">x</a>'),
    (
        '<a href="/search?q={{ .Data.name }}">x</a>',
        '<a href="/search?q=%d0%90%d0%bd%d0%bd%d0%b0%20%3cb%3e%22Ann%22%20%26%20%27Bo%27%3c%2fb%3e">x</a>',
    ),
    ('<a href="/{{ .Email }}/x">x</a>', '<a href="/ann&#43;test@example.com/x">x</a>'),
    (
        '<img src="{{ .Data.name }}">',
        '<img src="%d0%90%d0%bd%d0%bd%d0%b0%20%3cb%3e%22Ann%22%20&amp;%20%27Bo%27%3c/b%3e">',
    ),
    (
        "<title>{{ .Data.name }}</title>",
        "<title>Анна &lt;b&gt;&#34;Ann&#34; &amp; &#39;Bo&#39;&lt;/b&gt;</title>",
    ),
    ("<textarea>{{ .Token }} < </textarea>", "<textarea>123456 &lt; </textarea>"),
    ("a < b, {{ .Token }} &lt; c", "a &lt; b, 123456 &lt; c"),
    ("<!DOCTYPE html><p>x</p>", "<!DOCTYPE html><p>x</p>"),
    ("<p>a</p><!-- drafts: {{ .Token }} --><p>b</p>", "<p>a</p><p>b</p>"),
    ("<p {{ .Data.attr }}=x>", "<p ZgotmplZ=x>"),
    ('<p {{ "onclick" }}=x>', "<p ZgotmplZ=x>"),
    (
        "{{ .Data.n }} {{ .Data.big }} {{ .Data.half }} {{ 1e6 }} {{ 0x1F }} {{ 'a' }} {{ 1.5 }}",
        "42 1e&#43;06 0.5 1e&#43;06 31 97 1.5",
    ),
    (
        "{{ .Data.items }}|{{ .Data.nested }}|{{ .Data.empty }}|{{ .Data.list_empty }}|{{ .Data.map_empty }}",
        "[1 two &lt;nil&gt; true map[k:v]]|map[a:map[b:deep]]||[]|map[]",
    ),
    ("[{{ .Missing }}][{{ .Data.missing.deeper }}][{{ .Data.null }}]", "[][][]"),
    (
        "{{ .Missing | html }} {{ html .Missing }} {{ print .Missing }}",
        "&lt;no value&gt; &lt;nil&gt; &lt;nil&gt;",
    ),
    (
        "{{ .Email | html }} {{ .Email | urlquery }} {{ js .Data.name }}",
        "ann+test@example.com ann%2Btest%40example.com Анна \\u003Cb\\u003E\\&#34;Ann\\&#34; \\u0026 \\&#39;Bo\\&#39;\\u003C/b\\u003E",
    ),
    (
        '{{ printf "%s has %v items, %d%%" .Email .Data.n 5 }}',
        "ann&#43;test@example.com has 42 items, 5%",
    ),
    (
        "{{ range $i, $e := .Data.items }}{{ $i }}:{{ $e }};{{ else }}none{{ end }}",
        "0:1;1:two;2:;3:true;4:map[k:v];",
    ),
    ("{{ range $k, $v := .Data.nested.a }}{{ $k }}={{ $v }}{{ end }}", "b=deep"),
    ("{{ range .Data.list_empty }}x{{ else }}empty{{ end }}", "empty"),
    (
        '{{ range .Data.items }}{{ if not . }}{{ continue }}{{ end }}{{ if eq (printf "%v" .) "two" }}{{ break }}{{ end }}[{{ . }}]{{ end }}',
        "[1]",
    ),
    (
        "{{ with .Data.name }}Hi {{ . }}{{ else }}Hi{{ end }}, {{ with .Data.empty }}x{{ else }}nobody{{ end }}",
        "Hi Анна &lt;b&gt;&#34;Ann&#34; &amp; &#39;Bo&#39;&lt;/b&gt;, nobody",
    ),
    ("{{ if and .Token (not .Data.flag) }}yes{{ else if .Email }}no{{ end }}", "yes"),
    ('{{ $x := .Token }}{{ if .Email }}{{ $x = "changed" }}{{ end }}{{ $x }}', "changed"),
    (
        '{{ len .Data.name }} {{ len .Data.items }} {{ index .Data.items 1 }} {{ index .Data "n" }} {{ slice .Token 1 3 }}',
        "28 5 two 42 23",
    ),
    (
        '{{ eq .Data.n 42.0 }} {{ ne .Token "1" }} {{ lt 1 2 }} {{ le "a" "b" }} {{ gt 2.5 1.5 }} {{ ge 1 1 }}',
        "true true true true true true",
    ),
    (
        '{{ or .Missing .Data.empty "fallback" }} {{ and .Token .Email }}',
        "fallback ann&#43;test@example.com",
    ),
    ('{{- " trimmed " -}}   text   {{- /* note */ -}}  end', " trimmed textend"),
    (
        '<p>{{ .Data.name | printf "%v" }}</p>',
        "<p>Анна &lt;b&gt;&#34;Ann&#34; &amp; &#39;Bo&#39;&lt;/b&gt;</p>",
    ),
]
EXEC_ERRORS = [
    '{{ if .Token }}<a href="{{ else }}<b>{{ end }}',
    '<a href="{{ .ConfirmationURL }}>Confirm</a>',
    '<p class="x',
    "{{ .Data.null.x }}",
    "{{ eq .Data.n 42 }}",
    "{{ range .Token }}x{{ end }}",
    '{{ .Token | html | printf "%s" }}',
    "<a title={{ .Token | html }}>",
    "<script>var s = `{{ .Token }}`;</script>",
    "{{ len .Missing }}",
    "{{ index .Data.items 9 }}",
    "{{ .Email.Length }}",
    '<a href="{{ if .Token }}?a={{ end }}{{ .Email }}">',
]
SYNTAX_ERRORS = [
    "{{ if .Token }}",
    "{{ .Token | foo }}",
    "{{ $y }}",
    "{{ if .X }}a{{ else with .Y }}b{{ end }}",
    "{{ 089 }}",
    "{{ break }}",
]
UNSUPPORTED = [
    '{{ define "x" }}hi{{ end }}{{ template "x" }}',
    '{{ block "b" . }}default{{ end }}',
    "<script>var t = {{ .Token }};</script>",
    "<p onclick=\"f('{{ .Token }}')\">x</p>",
    "<style>p { color: {{ .Data.name }} }</style>",
    '<p style="color: {{ .Data.name }}">x</p>',
    '<img srcset="{{ .SiteURL }} 2x">',
    '{{ printf "%05d" 3 }}',
    '{{ printf "%x" .Token }}',
    "{{ index .Token 0 }}",
    "{{ 1+2i }}",
]


def _render(text: str) -> str:
    return render(parse(text, "t"), DATA)


@pytest.mark.parametrize(("text", "expected"), RENDERED)
def test_renders_what_go_renders(text: str, expected: str) -> None:
    assert _render(text) == expected


@pytest.mark.parametrize("text", EXEC_ERRORS)
def test_refuses_to_run_what_go_refuses_to_run(text: str) -> None:
    tree = parse(text, "t")
    with pytest.raises(TemplateExecError):
        render(tree, DATA)


@pytest.mark.parametrize("text", SYNTAX_ERRORS)
def test_refuses_to_parse_what_go_refuses_to_parse(text: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=r"^template: t:\d+: "):
        parse(text, "t")


@pytest.mark.parametrize("text", UNSUPPORTED)
def test_says_so_where_it_does_not_render_valid_go(text: str) -> None:
    with pytest.raises(UnsupportedTemplate):
        _render(text)


def test_a_parse_error_names_the_line() -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        parse("<p>ok</p>\n<p>{{ if .Token }}</p>\n", "confirmation")
    assert str(caught.value) == "template: confirmation:3: unexpected EOF"


def test_range_over_an_integer_counts_as_go_1_22_does() -> None:
    assert _render("{{ range 3 }}{{ . }}{{ end }}") == "012"
    with pytest.raises(TemplateExecError, match="more than one variable"):
        _render("{{ range $i, $e := 3 }}{{ end }}")


def test_a_runaway_loop_stops() -> None:
    with pytest.raises(UnsupportedTemplate, match="steps"):
        _render("{{ range 1000000000 }}x{{ end }}")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e6, "1e+06"),
        (123456.0, "123456"),
        (0.0001, "0.0001"),
        (1e-05, "1e-05"),
        (1234567.0, "1.234567e+06"),
        (-2.5, "-2.5"),
        (1e21, "1e+21"),
    ],
)
def test_numbers_print_as_go_prints_float64(value: float, text: str) -> None:
    assert format_float(value) == text
