"""The sandbox is an independent test double: it never imports the product it checks."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import karto_sandbox

PACKAGE = Path(karto_sandbox.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))


def imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_module_of_the_sandbox_imports_the_product() -> None:
    assert len(MODULES) > 10
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name for name in imported_names(path) if name.split(".")[0] == "karto_smtp"
        )
        for path in MODULES
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_importing_every_module_loads_nothing_of_the_product() -> None:
    modules = [
        ".".join(("karto_sandbox", *path.relative_to(PACKAGE).with_suffix("").parts))
        for path in MODULES
        if path.name != "__main__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name.removesuffix('.__init__'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'karto_smtp'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_it_runs_on_its_own() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "karto_sandbox", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "Run local SMTP2GO, Supabase and SMTP relay emulators until Ctrl-C." in done.stdout
