"""YAML to plain data, remembering where every key and list item stands in the file.

PyYAML's composer gives nodes with marks; this module builds dicts, lists and scalars
from them itself so it can record `path -> (line, column)` (1-based) and refuse
duplicate keys, non-string keys, alias bombs, deep nesting, control characters and
YAML 1.1 number spellings with a `file:line:col` message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, cast

import yaml

from karto_smtp.config.offsets import line_column
from karto_smtp.config.yaml11 import MAX_INT_DIGITS, int_trap, is_yaml11_boolean

PathKey = str | int
NodePath = tuple[PathKey, ...]

# An alias-heavy document can expand exponentially; no real karto.yaml comes close.
MAX_NODES = 100_000
# Values written in the file: a thousand SMTP users is about 10,000. PyYAML needs about
# 2 s per 50,000, so the bound also bounds the time a 1 MiB file can take.
MAX_WRITTEN_NODES = 50_000
# karto.yaml nests 7 levels deep; PyYAML's composer recurses once per level.
MAX_DEPTH = 64

_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_STR_TAG = "tag:yaml.org,2002:str"

# What PyYAML's reader refuses (its NON_PRINTABLE), found before it so the line is known.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_CONTROL_NAMES = {
    0x00: "NUL",
    0x08: "BACKSPACE",
    0x0B: "VERTICAL TAB",
    0x0C: "FORM FEED",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
}
_KEY, _VALUE = 0, 1
# PyYAML (like the YAML spec) ends an implicit key after 1024 characters.
_MAX_SIMPLE_KEY = 1024


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
    """Parsed data plus `positions[path]`: where that key (or list item) starts.

    `plain[path]` is the text as written of each unquoted scalar that YAML read as
    something other than text (`yes`, `0587`, `587.0`), for messages that quote it.
    """

    data: Any
    positions: dict[NodePath, Position] = field(default_factory=dict)
    plain: dict[NodePath, str] = field(default_factory=dict)

    def position(self, path: NodePath) -> Position:
        """Position of `path`, or of its nearest ancestor present in the file."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(tuple(path[:end]))
            if found is not None:
                return found
        return Position(1, 1)

    def written(self, path: NodePath) -> str | None:
        """How an unquoted non-text scalar at `path` was written, if it was one."""
        return self.plain.get(tuple(path))

    def yaml11_booleans(self) -> list[tuple[NodePath, str]]:
        """Every value written yes/no/on/off, in file order."""
        found = [(path, raw) for path, raw in self.plain.items() if is_yaml11_boolean(raw)]
        return sorted(found, key=lambda item: _order(self.position(item[0])))


def _order(position: Position) -> tuple[int, int]:
    return position.line, position.column


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


class _Hooks(yaml.composer.Composer):
    """Composition that bounds nesting and remembers where each alias (`*name`) is written.

    PyYAML hands back the anchored node itself for an alias, so its marks point at the
    anchor; messages about an alias used as a key or a merge must point at the alias.
    The events come from either parser, pure Python or libyaml's (see the subclasses).
    """

    def _start(self) -> None:
        self.depth = 0
        self.written = 0
        # (id(parent), index in parent, _KEY/_VALUE) -> mark of the alias written there.
        self.alias_marks: dict[tuple[int, int, int], yaml.Mark] = {}
        # id(pair) -> (pair, mark of its key, mark of its value when that is an alias).
        self.pair_marks: dict[int, tuple[Any, yaml.Mark, yaml.Mark | None]] = {}
        # id(mapping) -> ids of the pairs written in it (merged pairs are not).
        self.own_pairs: dict[int, frozenset[int]] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # The parser is a sibling base (pure Python or libyaml's); mypy sees only Composer.
        events: Any = self
        if events.check_event(yaml.AliasEvent):
            mark = events.peek_event().start_mark
            node = super().compose_node(parent, index)
            if isinstance(parent, yaml.MappingNode | yaml.SequenceNode):
                role = _KEY if isinstance(parent, yaml.MappingNode) and index is None else _VALUE
                self.alias_marks[(id(parent), len(parent.value), role)] = mark
            return node
        self.written += 1
        if self.written > MAX_WRITTEN_NODES:
            raise _TooMany(_pos(events.peek_event().start_mark), ())
        collection = events.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent)
        if collection:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _TooDeep(_pos(events.peek_event().start_mark), ())
        try:
            node = super().compose_node(parent, index)
        finally:
            if collection:
                self.depth -= 1
        if isinstance(node, yaml.MappingNode):
            for number, pair in enumerate(node.value):
                key_mark = self.alias_marks.pop((id(node), number, _KEY), pair[0].start_mark)
                value_mark = self.alias_marks.pop((id(node), number, _VALUE), None)
                self.pair_marks[id(pair)] = (pair, key_mark, value_mark)
            self.own_pairs[id(node)] = frozenset(id(pair) for pair in node.value)
        return node

    def alias_mark(self, sequence: yaml.SequenceNode, index: int) -> yaml.Mark | None:
        """Where item `index` is written, if it is an alias."""
        return self.alias_marks.get((id(sequence), index, _VALUE))


class _Loader(_Hooks, yaml.SafeLoader):
    """The pure-Python reader: slower, but its marks carry the text, for exact messages."""

    def __init__(self, text: str) -> None:
        yaml.SafeLoader.__init__(self, text)
        self._start()


def _libyaml_parser() -> Any:
    """libyaml's C parser class, or None where PyYAML was built without it."""
    try:
        import yaml.cyaml
    except ImportError:
        return None
    return getattr(yaml.cyaml, "CParser", None)


_CParser: Any = _libyaml_parser()

if _CParser is not None:

    class _CLoader(_CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml's parser and composer, PyYAML's safe constructor and resolver."""

        def __init__(self, text: str) -> None:
            _CParser.__init__(self, text)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    class _FastLoader(_Hooks, _CLoader):
        """libyaml's scanner and parser under the same composition: a valid file parses
        several times faster. Any problem is parsed again by `_Loader`, whose messages
        are exact (libyaml's marks carry no text to quote). `_Hooks` comes first, so
        PyYAML's Python composer (with the hooks), not libyaml's, builds the nodes."""

        def __init__(self, text: str) -> None:
            _CLoader.__init__(self, text)
            yaml.composer.Composer.__init__(self)
            self._start()


class _Builder:
    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.positions: dict[NodePath, Position] = {}
        self.plain: dict[NodePath, str] = {}
        self.problems: list[YamlProblem] = []
        self.count = 0
        self.active: set[int] = set()
        # id(mapping) -> where its first `<<` is written.
        self.merge_at: dict[int, Position] = {}
        # Set while building an aliased or merged subtree: the position of that use.
        self.borrowed: Position | None = None
        # Mappings whose own keys were checked (a mapping is built once per alias use).
        self.checked: set[int] = set()

    def build(self, node: yaml.Node, path: NodePath, used_at: Position | None = None) -> Any:
        """`used_at`: where this use is written, when that is not where the node is.

        An alias (`*x`) or a merged key (`<<: *x`) uses a node written elsewhere; every
        position inside it is then reported at the use, where the path makes sense.
        """
        self.count += 1
        where = self.borrowed or used_at or _pos(node.start_mark)
        if self.count > MAX_NODES:
            raise _TooBig(where, path)
        if len(path) > MAX_DEPTH:
            raise _TooDeep(where, path)
        if id(node) in self.active:
            raise _Recursive(where, path)
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            return self._scalar(node, path, where)
        outer = self.borrowed
        self.borrowed = outer or used_at
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            items = []
            for index, item in enumerate(node.value):
                alias_mark = self.loader.alias_mark(node, index)
                used = _pos(alias_mark) if alias_mark is not None else None
                self.positions.setdefault(
                    (*path, index), self.borrowed or used or _pos(item.start_mark)
                )
                items.append(self.build(item, (*path, index), used))
            return items
        finally:
            self.active.discard(id(node))
            self.borrowed = outer

    def _scalar(self, node: yaml.Node, path: NodePath, where: Position) -> Any:
        if node.tag == _INT_TAG and isinstance(node.value, str):
            digits = sum(ch.isdigit() for ch in node.value)
            if digits > MAX_INT_DIGITS:
                # Python refuses int() of over 4,300 digits; nothing here needs 21.
                self.problems.append(
                    YamlProblem(
                        where,
                        path,
                        f"a number with {digits} digits is far too large for any setting "
                        "here; quote it if it is text",
                    )
                )
                return None
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError:
            raise
        except Exception:
            # e.g. `!!int abc` or `!!timestamp x`: PyYAML raises plain ValueErrors for these.
            tag = node.tag.rsplit(":", 1)[-1]
            self.problems.append(
                YamlProblem(where, path, f"{_cut(str(node.value))!r} cannot be read as !!{tag}")
            )
            return None
        if isinstance(node, yaml.ScalarNode) and not node.style and node.tag != _STR_TAG:
            if node.tag == _INT_TAG:
                trap = int_trap(node.value, value)
                if trap is not None:
                    self.problems.append(YamlProblem(where, path, trap))
            self.plain[path] = node.value
        return value

    def _key(self, key_node: yaml.Node) -> Any:
        """The key as text, or a `_NotText` saying what YAML reads it as."""
        if not isinstance(key_node, yaml.ScalarNode):
            kind = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
            return _NotText(f"a key must be text, found {kind}")
        raw = key_node.value
        if key_node.tag == _INT_TAG:
            # Not converted: a 5,000-digit key must not reach int().
            return _NotText(_key_message(raw, "a number"))
        try:
            key = self.loader.construct_object(key_node, deep=True)
        except yaml.MarkedYAMLError:
            raise
        except Exception:
            return _NotText(_key_message(raw, "something other than text"))
        if isinstance(key, str):
            return key
        if isinstance(key, bool):
            kind = "the boolean " + ("true" if key else "false")
        elif isinstance(key, float):
            kind = "a number"
        elif key is None:
            kind = "null"
        else:
            kind = f"a {type(key).__name__}"
        return _NotText(_key_message(raw, kind))

    def _mapping(self, node: yaml.MappingNode, path: NodePath) -> dict[str, Any]:
        own = self.loader.own_pairs.get(id(node), frozenset())
        seen = self._check_keys(node, own, path)
        if seen is None:
            return {}
        # Merge keys (`<<: *base`) are legal YAML; explicit keys override merged ones.
        try:
            self.loader.flatten_mapping(node)
        except yaml.MarkedYAMLError as exc:
            self.problems.append(YamlProblem(_pos(exc.problem_mark), path, _MERGE_MESSAGE))
            return {}
        merge_at = self.merge_at.get(id(node))
        # Merged pairs come first and explicit ones last; the last of a key wins, as in PyYAML.
        chosen: dict[str, tuple[Any, Position, Position | None]] = {}
        for pair in node.value:
            key_node, value_node = pair
            if id(pair) in own:
                _, key_mark, value_mark = self.loader.pair_marks[id(pair)]
                here = self.borrowed or _pos(key_mark)
                used = _pos(value_mark) if value_mark is not None else None
            else:
                # A merged key: point at the `<<` that brought it here, not at the anchor.
                here = self.borrowed or merge_at or _pos(key_node.start_mark)
                used = here
            key = self._key(key_node)
            if isinstance(key, _NotText):
                if id(node) not in self.checked:
                    self.problems.append(YamlProblem(here, path, key.message))
                continue
            chosen[key] = (value_node, here, used)
        self.checked.add(id(node))
        result: dict[str, Any] = {}
        for key, (value_node, here, used) in chosen.items():
            child = (*path, key)
            self.positions[child] = self.borrowed or seen.get(key) or here
            result[key] = self.build(value_node, child, used)
        return result

    def _check_keys(
        self, node: yaml.MappingNode, own: frozenset[int], path: NodePath
    ) -> dict[str, Position] | None:
        """Duplicate keys and merge values of the keys written in `node`; None: bad merge."""
        seen: dict[str, Position] = {}
        merge_ok = True
        first_time = id(node) not in self.checked
        for pair in node.value:
            if id(pair) not in own:
                continue
            key_node, value_node = pair
            _, key_mark, value_mark = self.loader.pair_marks[id(pair)]
            here = _pos(key_mark)
            if key_node.tag == _MERGE_TAG:
                self.merge_at.setdefault(id(node), here)
                merge_ok = merge_ok and self._check_merge(
                    value_node, _pos(value_mark or value_node.start_mark), path, first_time
                )
                continue
            key = self._key(key_node)
            if not isinstance(key, str):
                continue
            if key in seen and first_time:
                first = seen[key]
                self.problems.append(
                    YamlProblem(
                        here,
                        (*path, key),
                        f"duplicate key '{_cut(key)}' (first at line {first.line}, "
                        f"column {first.column})",
                    )
                )
            seen.setdefault(key, here)
        return seen if merge_ok else None

    def _check_merge(self, value: yaml.Node, where: Position, path: NodePath, report: bool) -> bool:
        items = value.value if isinstance(value, yaml.SequenceNode) else [value]
        if all(isinstance(item, yaml.MappingNode) for item in items):
            return True
        if report:
            self.problems.append(YamlProblem(where, path, _MERGE_MESSAGE))
        return False


class _NotPlain(Exception):
    """The document uses something only the full reading handles exactly."""


class _PlainReader:
    """Data and positions from libyaml's own composition, for a plain document.

    Plain: no alias, no merge, every key text and written once, nesting and size within
    bounds, every scalar readable. That is every karto.yaml written by hand or by `init`.
    For those, the nodes libyaml composes in C carry the same marks as the composition
    `_Hooks` does in Python over libyaml's events, so the data and positions are the same;
    the C composition is about four times faster, the difference a 100-project file feels.
    Anything else raises `_NotPlain` and the document is read the full way.
    """

    def __init__(self, loader: Any) -> None:
        self.builder = _Builder(loader)
        self.positions = self.builder.positions
        self.positions[()] = Position(1, 1)
        self.seen: set[int] = set()
        self.count = 0

    def build(self, node: yaml.Node, path: NodePath, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_WRITTEN_NODES or depth >= MAX_DEPTH or id(node) in self.seen:
            raise _NotPlain  # too big, too deep, or an alias: the full reading says which
        self.seen.add(id(node))
        kind = type(node)
        if kind is yaml.MappingNode:
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                self.count += 1
                if type(key_node) is not yaml.ScalarNode or key_node.tag != _STR_TAG:
                    raise _NotPlain  # a merge (`<<`), or a key that is not text
                key = key_node.value
                if key in mapping or id(key_node) in self.seen:
                    raise _NotPlain  # a duplicate key, or an alias as a key
                self.seen.add(id(key_node))
                child = (*path, key)
                self.positions[child] = _pos(key_node.start_mark)
                mapping[key] = self.build(value_node, child, depth + 1)
            return mapping
        if kind is yaml.SequenceNode:
            items = []
            for index, item in enumerate(node.value):
                child = (*path, index)
                self.positions[child] = _pos(item.start_mark)
                items.append(self.build(item, child, depth + 1))
            return items
        if node.tag == _STR_TAG:
            return node.value
        return self.builder._scalar(node, path, _pos(node.start_mark))


def _plain_document(text: str) -> YamlDocument | None:
    """The document read by libyaml alone, or None when it is not plain (see `_PlainReader`)."""
    loader = _CLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, {(): Position(1, 1)})
        reader = _PlainReader(loader)
        data = reader.build(node, (), 0)
    except (_NotPlain, yaml.YAMLError):
        return None
    finally:
        loader.dispose()
    if reader.builder.problems:
        return None
    return YamlDocument(data, reader.positions, reader.builder.plain)


_MERGE_MESSAGE = "'<<' merges a mapping or a list of mappings, e.g. '<<: *defaults'"


@dataclass(frozen=True)
class _NotText:
    message: str


def _key_message(raw: str, kind: str) -> str:
    shown = _cut(raw)
    return f"a key must be text, but YAML reads {shown} as {kind}; write '{shown}' in quotes"


class _TooBig(Exception):
    def __init__(self, position: Position, path: NodePath) -> None:
        self.position, self.path = position, path


class _Recursive(_TooBig):
    pass


class _TooDeep(_TooBig):
    pass


class _TooMany(_TooBig):
    pass


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def control_character_problem(text: str) -> YamlProblem | None:
    """The first character YAML does not allow in a file (NUL, ESC, ...), with its position."""
    found = _NOT_PRINTABLE.search(text)
    if found is None:
        return None
    start = found.start()
    line, column = line_column(text, start)
    char = found.group()
    name = _CONTROL_NAMES.get(ord(char)) or unicodedata.name(char, "")
    shown = f"U+{ord(char):04X}" + (f" ({name})" if name else "")
    message = f"the control character {shown} is not allowed in YAML; delete it"
    if char == "\x00":
        message += " (is this a binary file?)"
    return YamlProblem(Position(line, column), (), message)


def _syntax_problem(exc: yaml.MarkedYAMLError) -> YamlProblem:
    """A parser error at the place to fix, in words that say what to write."""
    context, problem = exc.context or "", exc.problem or ""
    context_mark, problem_mark = exc.context_mark, exc.problem_mark
    if context_mark is not None and problem_mark is not None:
        later = problem_mark.line > context_mark.line
        if context.startswith("while scanning a quoted scalar") and "end of stream" in problem:
            quote = _char_at(context_mark) or '"'
            return YamlProblem(
                _pos(context_mark),
                (),
                f"the quoted text that starts here is never closed; end it with {quote}",
            )
        if context.startswith("while parsing a flow ") and later:
            opening = _char_at(context_mark) or ("[" if "sequence" in context else "{")
            closing = {"[": "]", "{": "}"}.get(opening, "]")
            return YamlProblem(
                _pos(context_mark),
                (),
                f"the '{opening}' here is never closed (at line {problem_mark.line + 1}: "
                f"{problem}); add '{closing}'",
            )
        if context.startswith("while scanning a simple key") and (
            later or problem_mark.column - context_mark.column > _MAX_SIMPLE_KEY
        ):
            return YamlProblem(
                _pos(context_mark),
                (),
                "this line is not 'key: value' (no ':' after it); add the ':' or join it "
                "to the line above",
            )
    if "found character '\\t'" in problem:
        return YamlProblem(
            _pos(problem_mark), (), "a tab character here; indent with spaces, not tabs"
        )
    start = re.match(r"found character '(.)' that cannot start any token", problem)
    if start is not None:
        char = start.group(1)
        return YamlProblem(
            _pos(problem_mark),
            (),
            f"a plain value cannot start with '{char}'; put the value in quotes",
        )
    if problem == "mapping values are not allowed here" and problem_mark is not None:
        if problem_mark.column > _MAX_SIMPLE_KEY:
            return YamlProblem(
                Position(problem_mark.line + 1, 1),
                (),
                f"a key longer than {_MAX_SIMPLE_KEY} characters, which YAML does not allow",
            )
        return YamlProblem(
            _pos(problem_mark),
            (),
            "': ' inside a value; put the value in quotes, or start a new line for a nested key",
        )
    message = "invalid YAML: " + " ".join(p for p in (context, problem) if p)
    if problem.startswith("expected <block end>"):
        message += "; check this line's indentation against the lines above"
    return YamlProblem(_pos(problem_mark or context_mark), (), message)


def _char_at(mark: yaml.Mark) -> str | None:
    buffer = getattr(mark, "buffer", None)
    pointer = getattr(mark, "pointer", -1)
    if isinstance(buffer, str) and 0 <= pointer < len(buffer):
        return buffer[pointer]
    return None


def parse_yaml(text: str, name: str = "<string>") -> YamlDocument:
    """Parse one YAML document. Raises YamlError with every problem found."""
    control = control_character_problem(text)
    if control is not None:
        raise YamlError([control])
    if _CParser is not None:
        plain = _plain_document(text)
        if plain is not None:
            return plain
        try:
            # The same API as `_Loader`'s, over libyaml's events.
            fast = cast(_Loader, _FastLoader(text))
            fast.name = name
            try:
                return _parse(fast)
            finally:
                fast.dispose()
        except (YamlError, yaml.YAMLError):
            pass  # read it again with the pure-Python reader, whose messages are exact
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:
        raise YamlError([YamlProblem(Position(1, 1), (), f"invalid YAML: {exc}")]) from None
    loader.name = name
    try:
        return _parse(loader)
    finally:
        loader.dispose()


def _parse(loader: _Loader) -> YamlDocument:
    try:
        node = loader.get_single_node()
    except _TooDeep as exc:
        raise YamlError([_too_deep(exc)]) from None
    except _TooMany as exc:
        message = f"more than {MAX_WRITTEN_NODES} values; is this the right file?"
        raise YamlError([YamlProblem(exc.position, exc.path, message)]) from None
    except yaml.MarkedYAMLError as exc:
        raise YamlError([_syntax_problem(exc)]) from None
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
    except _TooDeep as exc:
        raise YamlError([_too_deep(exc)]) from None
    except _TooBig as exc:
        raise YamlError(
            [YamlProblem(exc.position, exc.path, f"document expands to over {MAX_NODES} nodes")]
        ) from None
    except yaml.MarkedYAMLError as exc:
        raise YamlError([_syntax_problem(exc)]) from None
    if builder.problems:
        raise YamlError(
            sorted(builder.problems, key=lambda p: (p.position.line, p.position.column))
        )
    return YamlDocument(data, builder.positions, builder.plain)


def _too_deep(exc: _TooBig) -> YamlProblem:
    return YamlProblem(
        exc.position,
        exc.path,
        f"nested more than {MAX_DEPTH} levels deep; karto.yaml needs at most 7",
    )
