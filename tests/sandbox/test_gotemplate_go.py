"""The sandbox's renderer against Go's own html/template, on generated templates.

Runs when a Go toolchain is installed (it builds tests/sandbox/go_render offline). For each
template, Go either refuses to parse it, refuses to run it, or writes a text; the sandbox
must do the same, or say UnsupportedTemplate (valid Go it does not render). Go 1.19's
html/template is the reference; where newer Go differs (range over an integer since 1.22,
`<!--` inside `<script>` since 1.21) those templates are left out.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from karto_sandbox.gotemplate import (
    TemplateExecError,
    TemplateSyntaxError,
    UnsupportedTemplate,
    parse,
    render,
)
from tests.sandbox.test_gotemplate import DATA

ORACLE = Path(__file__).parent / "go_render"
pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs a Go toolchain")

# Pieces of text and template syntax, for templates mostly Go refuses.
ATOMS = [
    "{{", "}}", "{{- ", " -}}", " ", "\n", ".Token", ".Data", ".Data.name", ".Data.items",
    ".Data.null", ".Missing", ".", "$x :=", "$x", "$", "if", "else", "end", "range", "with",
    "break", "continue", "nil", '"s"', '"a&b"', "`r`", "'c'", "1", "2.5", "1e6", "(", ")",
    "|", ",", "len", "printf", '"%v"', "html", "urlquery", "js", "eq", "and", "not", "index",
    "print", "/*", "*/", "<a", '<a href="', "<a href=", "<a title='", '">', "'>", ">", "<",
    "</a>", "<!--", "-->", "<title>", "</title>", "<textarea>", "?", "#", "&", "=", "x",
    "<p>", "</p>", "<b", " class=", "{{ if .Token }}", "{{ else }}", "{{ end }}",
    "{{ .Token }}", "{{ .Data.name }}", "{{ .ConfirmationURL }}", "{{ range .Data.items }}",
    "{{ with .Data }}", "<style>", "</style>", "<script>", "</script>", 'style="',
    'onclick="', "<img src=", "<!DOCTYPE html>", "{{ break }}", '"', "'", "`", "/",
]  # fmt: skip
# Operands, functions and HTML for templates that parse, to exercise running and escaping.
OPERANDS = [
    ".Token", ".Email", ".Data.name", ".Data.items", ".Data.n", ".Data.half", ".Data.null",
    ".Data.nested.a", ".Missing", ".", "$", "$x", "\"a<b>&'\"", "`r+s`", "1", "2.5", "1e6",
    "'c'", "nil", "true", ".ConfirmationURL", ".SiteURL", ".Data.empty", ".Data.map_empty",
    ".Data.list_empty", ".RedirectTo", ".TokenHash", '"javascript:x"', '" sp "',
]  # fmt: skip
FUNCTIONS = [
    "len", "html", "urlquery", "js", "print", "println", "index", "slice", "eq", "ne", "lt",
    "le", "gt", "ge", "and", "or", "not", 'printf "%v"', 'printf "%s"', 'printf "%d"', "call",
]  # fmt: skip
HTML = [
    "<p>", "</p>", '<a href="', '">', "<a href=", ">", '<a title="', "<a title=", "<img src='",
    "'>", "?q=", "#f", "&amp;", " ", "\n", "text ", "<b class=x>", "<!-- note -->", "<title>",
    "</title>", "a < b", "<", "<br/>", "/path/", "mailto:", "javascript:", "<td ", "=", "x",
    "Привет ",
]  # fmt: skip


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def operand(self, depth: int) -> str:
        if depth < 2 and self.rng.random() < 0.15:
            return "(" + self.pipeline(depth + 1) + ")"
        return self.rng.choice(OPERANDS)

    def command(self, depth: int) -> str:
        if self.rng.random() < 0.45:
            return self.operand(depth)
        arguments = [self.operand(depth) for _ in range(self.rng.randint(0, 3))]
        return " ".join([self.rng.choice(FUNCTIONS), *arguments])

    def pipeline(self, depth: int = 0) -> str:
        commands = [self.command(depth)]
        while self.rng.random() < 0.3:
            extra = f" {self.operand(depth)}" if self.rng.random() < 0.3 else ""
            commands.append(self.rng.choice(FUNCTIONS) + extra)
        return " | ".join(commands)

    def body(self, depth: int = 0, in_range: bool = False) -> str:
        parts = []
        for _ in range(self.rng.randint(1, 5)):
            roll = self.rng.random()
            if roll < 0.35:
                parts.append(self.rng.choice(HTML))
            elif roll < 0.65:
                parts.append("{{ " + self.pipeline() + " }}")
            elif roll < 0.72:
                parts.append("{{ $x := " + self.pipeline() + " }}")
            elif roll < 0.76 and in_range:
                parts.append(self.rng.choice(["{{ break }}", "{{ continue }}"]))
            elif depth < 2:
                kind = self.rng.choice(["if", "with", "range"])
                declare = ""
                if kind == "range" and self.rng.random() < 0.4:
                    declare = self.rng.choice(["$i, $e := ", "$e := "])
                inner = self.body(depth + 1, in_range or kind == "range")
                otherwise = ""
                if self.rng.random() < 0.4:
                    otherwise = "{{ else }}" + self.body(depth + 1, in_range)
                head = "{{ " + kind + " " + declare + self.pipeline() + " }}"
                parts.append(head + inner + otherwise + "{{ end }}")
        return "".join(parts)

    def atoms(self) -> str:
        return "".join(self.rng.choice(ATOMS) for _ in range(self.rng.randint(1, 14)))


@pytest.fixture(scope="module")
def go_render(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("go_render")
    binary = folder / "go_render"
    subprocess.run(
        ["go", "build", "-o", str(binary), "."],
        cwd=ORACLE,
        check=True,
        env={"PATH": "/usr/bin:/bin:/usr/local/go/bin", "HOME": str(folder), "GOPROXY": "off",
             "GOFLAGS": "-mod=mod", "GOCACHE": str(folder / "cache")},
        timeout=120,
    )  # fmt: skip
    return binary


def _go(binary: Path, templates: list[str]) -> list[dict[str, str]]:
    done = subprocess.run(
        [str(binary)],
        input=json.dumps({"templates": templates, "data": DATA}),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    results: list[dict[str, str]] = json.loads(done.stdout)
    return results


def _sandbox(text: str) -> tuple[str, str]:
    try:
        tree = parse(text, "t")
    except TemplateSyntaxError:
        return "parse", ""
    except UnsupportedTemplate:
        return "unsupported", ""
    try:
        return "ok", render(tree, DATA)
    except TemplateExecError:
        return "exec", ""
    except UnsupportedTemplate:
        return "unsupported", ""


_NEWER_GO = re.compile(r"range can't iterate over \d+$")


def _compare(binary: Path, templates: list[str]) -> tuple[int, list[str]]:
    checked, wrong = 0, []
    for text, go in zip(templates, _go(binary, templates), strict=True):
        if _NEWER_GO.search(go["exec"]) or (
            "<script" in text and any(mark in text for mark in ("<!--", "-->", "#!"))
        ):
            continue
        outcome, output = _sandbox(text)
        if outcome == "unsupported":
            continue
        checked += 1
        expected = "parse" if go["parse"] else "exec" if go["exec"] else "ok"
        if outcome != expected or output != go["out"]:
            wrong.append(f"{text!r}: Go {expected} {go['out']!r}, sandbox {outcome} {output!r}")
    return checked, wrong


def test_agrees_with_go_on_random_syntax(go_render: Path) -> None:
    generator = _Generator(14)
    checked, wrong = _compare(go_render, [generator.atoms() for _ in range(2000)])
    assert wrong == []
    assert checked > 1900


def test_agrees_with_go_on_templates_that_parse(go_render: Path) -> None:
    generator = _Generator(29)
    templates = ["{{ $x := 1 }}" + generator.body() for _ in range(1500)]
    checked, wrong = _compare(go_render, templates)
    assert wrong == []
    assert checked > 1300


def test_agrees_with_go_on_the_example_templates(go_render: Path) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "templates"
    templates = [path.read_text(encoding="utf-8") for path in sorted(examples.glob("*.html"))]
    results = _go(go_render, templates)
    for text, go in zip(templates, results, strict=True):
        assert _sandbox(text) == ("ok", go["out"])
