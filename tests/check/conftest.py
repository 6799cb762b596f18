"""Fixtures for `karto-smtp check`: the sandbox exported into the environment, a project in it,
karto.yaml files written to tmp_path, and the CLI run in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from karto_sandbox.stack import Stack
from tests import cli_runner
from tests.e2e.helpers import SandboxView, write_config

REF = "kartocheckprojectabc"
PROJECT = "karto-check"
SENDER = "karto.help@ro.ru"
# A domain the team owns, declared as an SMTP2GO sender domain: mail from it can align.
OWN_DOMAIN = "karto.example"
OWN_SENDER = f"auth@{OWN_DOMAIN}"
PASSWORD_ENV = "KARTO_SMTP_PASSWORD"
# Strong enough for SMTP2GO's password rules; never expected in any output.
PASSWORD = "Kp9-xR2mQ7vL4sW8zT3n"
OTHER_PASSWORD = "Zq4-Hn8wB2tY6cM1pR5k"


class CliResult(cli_runner.CliResult):
    def rows(self) -> dict[tuple[str, str], dict[str, Any]]:
        """JSON rows keyed by (link, subject)."""
        return {(r["link"], r["subject"]): r for r in self.json()["check"]["rows"]}


class Live(SandboxView):
    """The sandbox as the CLI sees it, with helpers that go through the emulators' HTTP APIs."""

    def __init__(self, sandbox: Stack, capsys: pytest.CaptureFixture[str], folder: Path) -> None:
        super().__init__(sandbox.env)
        self.sandbox = sandbox
        self.capsys = capsys
        self.folder = folder

    def config(self, body: str) -> Path:
        return write_config(self.folder, body)

    def cli(self, *args: str) -> CliResult:
        result = cli_runner.run_cli(self.capsys, *args)
        for secret in (PASSWORD, OTHER_PASSWORD):
            assert secret not in result.stdout + result.stderr, "a password was printed"
        return CliResult(result.exit_code, result.stdout, result.stderr)

    def check(self, config: Path, *args: str) -> CliResult:
        result = self.cli("check", "-c", str(config), "--format", "json", *args)
        for row in result.json()["check"]["rows"]:
            # Every red or yellow row says what to do; no other row does.
            assert bool(row["fix"]) == (row["status"] in ("fail", "warn")), row
        return result

    def apply(self, config: Path) -> None:
        result = self.cli("apply", "--auto-approve", "-c", str(config))
        assert result.exit_code == 0, result.stdout + result.stderr

    def add_sender(self, address: str = SENDER) -> None:
        self.smtp2go.post(
            "/single_sender_emails/add", json={"email_address": address}
        ).raise_for_status()

    def verify_sender(self, address: str = SENDER) -> None:
        super().verify_sender(address)

    def publish_domain(self, domain: str = OWN_DOMAIN, policy: str = "reject") -> None:
        """The owner publishes what SMTP2GO asks for, plus SPF and DMARC; SMTP2GO checks."""
        self.admin.post(
            "/_sandbox/domains/dns", json={"domain": domain, "verify": True}
        ).raise_for_status()
        self.dns(
            f'{domain}. IN TXT "v=spf1 include:_spf.{domain} ~all"\n'
            f'_dmarc.{domain}. IN TXT "v=DMARC1; p={policy}; rua=mailto:dmarc@{domain}"\n'
        )

    def dns(self, zone: str) -> None:
        self.admin.post("/_sandbox/dns", json={"zone": zone}).raise_for_status()

    def add_smtp_user(self, username: str, password: str) -> None:
        response = self.smtp2go.post(
            "/users/smtp/add", json={"username": username, "email_password": password}
        )
        response.raise_for_status()

    def patch_smtp_user(self, **fields: Any) -> None:
        self.smtp2go.patch("/users/smtp/edit", json=fields).raise_for_status()

    def patch_auth(self, body: dict[str, Any], ref: str = REF) -> dict[str, Any]:
        return super().patch_auth(body, ref)

    def auth_config(self, ref: str = REF) -> dict[str, Any]:
        return super().auth_config(ref)


@pytest.fixture
def live(
    sandbox: Stack,
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Iterator[Live]:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    monkeypatch.delenv("SUPABASE_ANON_KEY", raising=False)
    view = Live(sandbox, capsys, tmp_path)
    view.supabase.post("/_sandbox/projects", json={"ref": REF, "name": PROJECT}).raise_for_status()
    yield view
    view.close()


def relay_config(
    password: str = f"env({PASSWORD_ENV})",
    port: int = 587,
    sender: str = SENDER,
    declared_sender: str = SENDER,
    status: str = "allowed",
    domain: str | None = None,
) -> str:
    """karto.yaml: one SMTP2GO user relaying one project's Auth mail; with `domain`, from
    a declared sender domain (OWN_SENDER) instead of a single sender email."""
    senders = f"    emails:\n      - address: {declared_sender}\n"
    if domain is not None:
        senders = f"    domains:\n      - domain: {domain}\n"
        sender = OWN_SENDER if sender == SENDER else sender
    return f"""\
version: 1
smtp2go:
  senders:
{senders.rstrip()}
  smtp_users:
    - username: karto
      status: {status}
      password: {password}
supabase:
  projects:
    - ref: {REF}
      name: {PROJECT}
      auth:
        smtp:
          relay:
            smtp2go_user: karto
            port: {port}
          admin_email: {sender}
          sender_name: KARTO
"""


def explicit_config(user: str, host: str = "mail.smtp2go.com", port: int = 587) -> str:
    """karto.yaml: a project with explicit host/port/user/password (nothing on SMTP2GO managed)."""
    return f"""\
version: 1
supabase:
  projects:
    - ref: {REF}
      name: {PROJECT}
      auth:
        smtp:
          host: {host}
          port: {port}
          user: {user}
          password: env({PASSWORD_ENV})
          admin_email: {SENDER}
          sender_name: KARTO
"""
