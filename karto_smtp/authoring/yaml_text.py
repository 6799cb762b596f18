"""A commented YAML document, rendered as a person would write it.

PyYAML cannot write comments, and a generated karto.yaml must explain itself, so this
builds the text from a small tree: mappings of keys (each with comment lines above it and
an optional trailing note), lists of mappings, and one-line flow mappings. Scalars are
quoted by PyYAML, so the text always parses back to the values given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import yaml

Scalar = Union[str, int, bool, None]  # noqa: UP007 - a runtime alias, not an annotation
Value = Union[Scalar, "Block", "Items", "Flow", "FlowList", "Literal"]  # noqa: UP007


@dataclass
class Key:
    """`name: value`, with `comments` on the lines above and `note` after the value."""

    name: str
    value: Value
    comments: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass
class Block:
    """A block mapping: one key per line."""

    keys: list[Key] = field(default_factory=list)

    def add(
        self, name: str, value: Value, *, comments: list[str] | None = None, note: str | None = None
    ) -> Key:
        key = Key(name, value, list(comments or []), note)
        self.keys.append(key)
        return key


@dataclass
class Items:
    """A block sequence of mappings (`- key: value` items)."""

    items: list[Block] = field(default_factory=list)


@dataclass
class Flow:
    """A mapping written on one line: `{smtp2go_user: karto, port: 587}`."""

    values: dict[str, Scalar]


@dataclass
class FlowList:
    """A list of scalars written on one line: `[https://karto.app/**]`."""

    values: list[Scalar]


@dataclass
class Literal:
    """Text of several lines (an email template), as a `|` block when YAML allows it."""

    text: str


class _LiteralDumper(yaml.SafeDumper):
    pass


def _represent_text(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    # Blank lines at the end need `|+`, which would also keep any blank line written after
    # the block (between sections): such text is quoted instead.
    block = "\n" in data and not data.endswith("\n\n")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if block else None)


_LiteralDumper.add_representer(str, _represent_text)


def literal(name: str, text: str) -> list[str]:
    """`name: |` and the text's lines (indented two spaces), or `name: "..."` when YAML
    cannot hold the text as a block (tabs, trailing spaces): PyYAML picks, so it reads back."""
    dumped = yaml.dump(
        {name: text}, Dumper=_LiteralDumper, allow_unicode=True, width=1_000_000, sort_keys=False
    )
    return dumped.rstrip("\n").split("\n")


def scalar(value: Scalar) -> str:
    """One scalar as YAML text on one line, quoted when plain text would mean something else."""
    style = '"' if isinstance(value, str) and not value.isprintable() else None
    text = yaml.safe_dump(
        value, default_flow_style=True, default_style=style, width=1_000_000, allow_unicode=True
    )
    return text.removesuffix("\n...\n").rstrip("\n")


def flow(values: dict[str, Scalar]) -> str:
    text = yaml.safe_dump(
        values, default_flow_style=True, sort_keys=False, width=1_000_000, allow_unicode=True
    )
    return text.rstrip("\n")


def _comment_lines(comments: list[str], indent: str) -> list[str]:
    return [f"{indent}# {line}".rstrip() if line else f"{indent}#" for line in comments]


def _key_lines(key: Key, indent: str, first_prefix: str | None = None) -> list[str]:
    lead = first_prefix if first_prefix is not None else indent
    lines = _comment_lines(key.comments, indent) if first_prefix is None else []
    note = f"  # {key.note}" if key.note else ""
    value = key.value
    if isinstance(value, Block):
        lines.append(f"{lead}{key.name}:{note}")
        lines += render_block(value, indent + "  ")
    elif isinstance(value, Items):
        if not value.items:
            lines.append(f"{lead}{key.name}: []{note}")
        else:
            lines.append(f"{lead}{key.name}:{note}")
            for item in value.items:
                lines += _item_lines(item, indent + "  ")
    elif isinstance(value, Flow):
        lines.append(f"{lead}{key.name}: {flow(value.values)}{note}")
    elif isinstance(value, FlowList):
        text = yaml.safe_dump(
            value.values, default_flow_style=True, width=1_000_000, allow_unicode=True
        )
        lines.append(f"{lead}{key.name}: {text.rstrip()}{note}")
    elif isinstance(value, Literal):
        first, *rest = literal(key.name, value.text)
        lines.append(f"{lead}{first}{note}")
        lines += [f"{indent}{line}" if line else "" for line in rest]
    else:
        lines.append(f"{lead}{key.name}: {scalar(value)}{note}")
    return lines


def _item_lines(item: Block, indent: str) -> list[str]:
    """`- first: value` then the other keys aligned under `first`."""
    inner = indent + "  "
    lines: list[str] = []
    for position, key in enumerate(item.keys):
        if position == 0:
            lines += _comment_lines(key.comments, indent)
            lines += _key_lines(key, inner, first_prefix=f"{indent}- ")
        else:
            lines += _key_lines(key, inner)
    return lines


def render_block(block: Block, indent: str = "") -> list[str]:
    lines: list[str] = []
    for key in block.keys:
        lines += _key_lines(key, indent)
    return lines


def render(document: Block, header: list[str]) -> str:
    """The whole file: header comment lines, then the document, one blank line between
    top-level sections."""
    lines = _comment_lines(header, "")
    for index, key in enumerate(document.keys):
        if index > 0 and isinstance(key.value, Block | Items):
            lines.append("")
        lines += _key_lines(key, "")
    return "\n".join(lines) + "\n"
