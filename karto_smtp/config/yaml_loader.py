"""YAML to plain data, remembering where every key and list item stands in the file.

PyYAML's composer gives nodes with marks; this module builds dicts, lists and scalars
from them itself so it can record `path -> (line, column)` (1-based) and refuse
duplicate keys, non-string keys and alias bombs with a `file:line:col` message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

PathKey = str | int
NodePath = tuple[PathKey, ...]

# An alias-heavy document can expand exponentially; no real karto.yaml comes close.
MAX_NODES = 100_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Position:
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@dataclass
class YamlProblem:
    position: Position
    path: NodePath
    message: str


@dataclass
class YamlDocument:
    """Parsed data plus `positions[path]`: where that key (or list item) starts."""

    data: Any
    positions: dict[NodePath, Position] = field(default_factory=dict)

    def position(self, path: NodePath) -> Position:
        """Position of `path`, or of its nearest ancestor present in the file."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(tuple(path[:end]))
            if found is not None:
                return found
        return Position(1, 1)


class YamlError(Exception):
    """Problems found while reading YAML; `problems` lists every one."""

    def __init__(self, problems: list[YamlProblem]) -> None:
        self.problems = problems
        super().__init__(problems[0].message)


def format_path(path: NodePath) -> str:
    """`("smtp2go", "smtp_users", 0, "username")` -> `smtp2go.smtp_users[0].username`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _pos(mark: yaml.Mark | None) -> Position:
    if mark is None:
        return Position(1, 1)
    return Position(mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.positions: dict[NodePath, Position] = {}
        self.problems: list[YamlProblem] = []
        self.count = 0
        self.active: set[int] = set()

    def build(self, node: yaml.Node, path: NodePath) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig(_pos(node.start_mark), path)
        if id(node) in self.active:
            raise _Recursive(_pos(node.start_mark), path)
        if isinstance(node, yaml.MappingNode):
            self.active.add(id(node))
            try:
                return self._mapping(node, path)
            finally:
                self.active.discard(id(node))
        if isinstance(node, yaml.SequenceNode):
            self.active.add(id(node))
            try:
                items = []
                for index, item in enumerate(node.value):
                    self.positions.setdefault((*path, index), _pos(item.start_mark))
                    items.append(self.build(item, (*path, index)))
                return items
            finally:
                self.active.discard(id(node))
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: NodePath) -> dict[str, Any]:
        seen: dict[str, Position] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                continue
            here = _pos(key_node.start_mark)
            if key in seen:
                first = seen[key]
                self.problems.append(
                    YamlProblem(
                        here,
                        (*path, key),
                        f"duplicate key '{key}' (first at line {first.line}, "
                        f"column {first.column})",
                    )
                )
            else:
                seen[key] = here
        # Merge keys (`<<: *base`) are legal YAML; explicit keys override merged ones.
        self.loader.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                self.problems.append(
                    YamlProblem(
                        _pos(key_node.start_mark),
                        path,
                        f"keys must be text, found {type(key).__name__} {key!r}",
                    )
                )
                continue
            child = (*path, key)
            self.positions[child] = seen.get(key) or _pos(key_node.start_mark)
            result[key] = self.build(value_node, child)
        return result


class _TooBig(Exception):
    def __init__(self, position: Position, path: NodePath) -> None:
        self.position, self.path = position, path


class _Recursive(_TooBig):
    pass


def parse_yaml(text: str, name: str = "<string>") -> YamlDocument:
    """Parse one YAML document. Raises YamlError with every problem found."""
    loader = yaml.SafeLoader(text)
    loader.name = name
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = " ".join(p for p in (exc.context, exc.problem) if p)
            raise YamlError([YamlProblem(_pos(mark), (), f"invalid YAML: {message}")]) from None
        except yaml.YAMLError as exc:
            raise YamlError([YamlProblem(Position(1, 1), (), f"invalid YAML: {exc}")]) from None
        if node is None:
            return YamlDocument(None, {(): Position(1, 1)})
        builder = _Builder(loader)
        builder.positions[()] = Position(1, 1)
        try:
            data = builder.build(node, ())
        except _Recursive as exc:
            raise YamlError([YamlProblem(exc.position, exc.path, "recursive alias")]) from None
        except _TooBig as exc:
            raise YamlError(
                [YamlProblem(exc.position, exc.path, f"document expands to over {MAX_NODES} nodes")]
            ) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = " ".join(p for p in (exc.context, exc.problem) if p)
            raise YamlError([YamlProblem(_pos(mark), (), f"invalid YAML: {message}")]) from None
        if builder.problems:
            raise YamlError(
                sorted(builder.problems, key=lambda p: (p.position.line, p.position.column))
            )
        return YamlDocument(data, builder.positions)
    finally:
        loader.dispose()
