"""`karto-smtp sandbox` and `karto-smtp demo`: product commands over the separate sandbox
package, which the `sandbox` extra installs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests import cli_runner

HINT = "pip install 'karto-smtp[sandbox]' (or: pipx install --force 'karto-smtp[sandbox]')"


@pytest.mark.parametrize(
    "argv",
    [["sandbox"], ["sandbox", "--help"], ["sandbox", "mail", "--wait", "1"], ["demo"]],
    ids=" ".join,
)
def test_without_the_extra_each_command_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    # What `pip install .` without the extra leaves out.
    monkeypatch.setitem(sys.modules, "aiosmtpd", None)
    monkeypatch.setitem(sys.modules, "cryptography", None)
    result = cli_runner.run_cli(capsys, *argv)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: the sandbox is not installed (missing aiosmtpd, cryptography): {HINT}\n"
    )


def test_the_product_commands_never_load_the_sandbox() -> None:
    code = (
        "import sys\n"
        "from karto_smtp.cli import main\n"
        "for argv in (['plan', '--help'], ['apply', '--help'], ['check', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "import karto_smtp.check.runner, karto_smtp.cli.plan, karto_smtp.cli.apply\n"
        "loaded = ('karto_sandbox', 'aiosmtpd', 'cryptography')\n"
        "print([m for m in sys.modules if m.split('.')[0] in loaded])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_demo_config_is_the_example() -> None:
    """The demo ships its own copy of examples/karto.yaml (package data); keep them equal."""
    root = Path(__file__).resolve().parents[2]
    shipped = root / "karto_smtp" / "cli" / "demo_karto.yaml"
    assert shipped.read_text() == (root / "examples" / "karto.yaml").read_text()
