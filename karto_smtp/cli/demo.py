"""`karto-smtp demo`: the whole job, end to end, on the sandbox.

It starts `karto-smtp sandbox` as a process of its own, reads the environment it prints,
then runs the real commands a user would type, as separate processes pointed at it:
validate, plan, apply, (the sender clicks its link), plan again (No changes.), check
--via-supabase, which makes Supabase Auth send a sign-up mail that lands in the sandbox
mailbox, and `sandbox mail --body`, which shows it as it arrived. Without -c it uses a
sample karto.yaml shipped with karto-smtp, in a temporary folder, so it runs anywhere
karto-smtp is installed with the `sandbox` extra.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import click

from karto_smtp.errors import KartoError

DEMO_RECIPIENT = "new.user@example.com"
SAMPLE_CONFIG = "demo_karto.yaml"
SANDBOX_START_TIMEOUT = 30.0


def _run(
    step: str, args: list[str], env: dict[str, str], cwd: Path, warnings_ok: bool = False
) -> str:
    click.secho(f"\n$ karto-smtp {' '.join(args)}", bold=True)
    # One stream, so progress and warnings print where they happened, as in a terminal.
    completed = subprocess.run(
        [sys.executable, "-m", "karto_smtp", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    click.echo(completed.stdout, nl=False)
    # check exits 1 on a warning too; the sample's free-mailbox sender always has one.
    only_warnings = warnings_ok and completed.returncode == 1 and " 0 fail, " in completed.stdout
    if completed.returncode != 0 and not only_warnings:
        raise KartoError(f"demo step '{step}' exited {completed.returncode}")
    return completed.stdout


def read_exports(stdout: Iterator[str]) -> dict[str, str]:
    """The `export NAME=value` lines the sandbox prints, up to its `#` ready line."""
    env: dict[str, str] = {}
    for line in stdout:
        if line.startswith("#"):
            return env
        if line.startswith("export "):
            [assignment] = shlex.split(line.removeprefix("export "))
            name, _, value = assignment.partition("=")
            env[name] = value
    raise KartoError("the sandbox stopped before it was ready")


@contextlib.contextmanager
def running_sandbox(config: Path, cwd: Path) -> Iterator[dict[str, str]]:
    """`karto-smtp sandbox -c CONFIG` in a process of its own; yields the env it exported."""
    process = subprocess.Popen(
        [sys.executable, "-m", "karto_smtp", "sandbox", "-c", str(config)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    found: dict[str, dict[str, str]] = {}
    failure: list[BaseException] = []

    def read() -> None:
        try:
            assert process.stdout is not None
            found["env"] = read_exports(iter(process.stdout.readline, ""))
        except KartoError as exc:
            failure.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(SANDBOX_START_TIMEOUT)
    try:
        if "env" not in found:
            process.terminate()
            errors = process.stderr.read().strip()
            raise KartoError(f"the sandbox did not start: {errors or 'no output'}")
        yield found["env"]
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()
        process.stderr.close()


@click.command()
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Run the demo on this karto.yaml [default: a sample shipped with karto-smtp].",
)
def demo(config_path: Path | None) -> None:
    """Run validate, plan, apply, plan and check on the sandbox."""
    from karto_smtp.cli.sandbox import require_sandbox
    from karto_smtp.config.load import load_config

    require_sandbox()
    with tempfile.TemporaryDirectory(prefix="karto-demo-") as folder:
        workdir = Path(folder)
        if config_path is None:
            sample = resources.files("karto_smtp.cli").joinpath(SAMPLE_CONFIG)
            config_path = workdir / "karto.yaml"
            config_path.write_bytes(sample.read_bytes())
            shown = "karto.yaml"
        else:
            config_path = config_path.resolve()
            shown = str(config_path)
        config = ["-c", shown]
        with running_sandbox(config_path, workdir) as sandbox_env:
            env = {**os.environ, **sandbox_env, "NO_COLOR": "1"}
            loaded = load_config(config_path, env, check=False)
            smtp2go = loaded.config.smtp2go
            senders = [s.address for s in smtp2go.senders.emails] if smtp2go else []
            click.secho(
                "Sandbox running: local SMTP2GO API, Supabase API, Supabase Auth and SMTP relay.",
                bold=True,
            )
            _run("validate", ["validate", *config], env, workdir)
            _run("plan", ["plan", *config], env, workdir)
            _run("apply", ["apply", "--auto-approve", *config], env, workdir)
            for address in senders:
                click.secho(
                    f"\n(sandbox) {address} clicks the verification link SMTP2GO emailed to it",
                    bold=True,
                )
                _run("verify sender", ["sandbox", "verify-sender", address], env, workdir)
            output = _run("plan again", ["plan", "--detailed-exitcode", *config], env, workdir)
            if "No changes." not in output:
                raise KartoError("the second plan still shows changes")
            _run(
                "check",
                ["check", *config, "--via-supabase", DEMO_RECIPIENT],
                env,
                workdir,
                warnings_ok=True,
            )
            _run("mailbox", ["sandbox", "mail", "--to", DEMO_RECIPIENT, "--body"], env, workdir)
    click.secho(
        "\nDemo complete: karto.yaml applied, no drift left, sign-up mail delivered.", fg="green"
    )
    click.echo(
        "The alignment warning is the sample's own: it sends as a free ro.ru mailbox, which "
        "SMTP2GO cannot sign for; from a domain you own (smtp2go.senders.domains, then "
        "`karto-smtp dns`) mail aligns with DMARC."
    )
