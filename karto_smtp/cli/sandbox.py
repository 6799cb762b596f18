"""`karto-smtp sandbox`: the sandbox's own command line, when the `sandbox` extra is installed.

The sandbox is a separate package (`karto_sandbox`) with dependencies of its own; this
module only finds it, or says in one line how to install it.
"""

from __future__ import annotations

import importlib.util

import click

from karto_smtp.errors import KartoError

INSTALL_HINT = "pip install 'karto-smtp[sandbox]' (or: pipx install --force 'karto-smtp[sandbox]')"


def sandbox_missing() -> str | None:
    """Why the sandbox cannot run here, or None when it can."""
    if importlib.util.find_spec("karto_sandbox") is None:
        missing = ["karto_sandbox"]
    else:
        from karto_sandbox import missing_requirements

        missing = missing_requirements()
    if not missing:
        return None
    return f"the sandbox is not installed (missing {', '.join(missing)}): {INSTALL_HINT}"


def require_sandbox() -> None:
    problem = sandbox_missing()
    if problem is not None:
        raise KartoError(problem)


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def _not_installed(ctx: click.Context) -> None:
    """Run local SMTP2GO, Supabase and SMTP servers (needs the `sandbox` extra)."""
    require_sandbox()


def command() -> click.Command:
    """The sandbox's click group, or a stand-in that explains how to install it."""
    if sandbox_missing() is not None:
        return _not_installed
    from karto_sandbox.cli import sandbox

    return sandbox
