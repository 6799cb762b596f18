"""The layout holds: no import cycles in karto_smtp, and the engine names no service.

Every import counts, at module level, under TYPE_CHECKING and inside functions: a cycle
through a lazy import is still two modules that each need the other.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "karto_smtp"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_module_of_karto_smtp_imports_itself_back():
    graph = _graph()
    # A package's __init__ re-exports its modules; importing a sibling through the package
    # face is not a cycle of concepts.
    for name in list(graph):
        if (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists():
            graph[name] = set()
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_engine_names_no_service():
    for path in (PACKAGE / "engine").glob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        assert "smtp2go" not in text and "supabase" not in text, path
