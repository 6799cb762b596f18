"""A hand-made setup in the sandbox, made the way a person's dashboard clicks make it: through
the services' own APIs. Then the CLI runs in-process in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli_runner import CliResult, run_cli
from tests.e2e.helpers import SandboxView

PROD = "kartoprodimportabcde"
STAGING = "kartostagingimportab"
MARKETING = "kartomarketingimport"
HAND_MADE = "Hand-Made-Pass-9876xyz"
SENDGRID = "SG.hand-made-sendgrid-key"
SENDER = "karto.help@ro.ru"
FROM = "noreply@karto.example"


class Services(SandboxView):
    """SMTP2GO and Supabase as any client sees them, plus the sandbox's admin routes."""

    def __init__(self, env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
        super().__init__(env)
        self.capsys = capsys

    # -- the hand-made setup -------------------------------------------------------------
    def project(self, ref: str, name: str) -> None:
        self.supabase_admin.post(
            "/_sandbox/projects", json={"ref": ref, "name": name}
        ).raise_for_status()

    def smtp2go_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.smtp2go.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def relay(self, ref: str, **extra: Any) -> None:
        self.patch_auth(
            {
                "smtp_host": "mail.smtp2go.com",
                "smtp_port": "2525",
                "smtp_user": "karto-auth",
                "smtp_pass": HAND_MADE,
                "smtp_admin_email": FROM,
                "smtp_sender_name": "KARTO",
                "smtp_max_frequency": 60,
                "rate_limit_email_sent": 30,
                **extra,
            },
            ref,
        )

    def hand_made(self) -> None:
        """Staging and production relay through one SMTP2GO user; marketing uses SendGrid."""
        for ref, name in (
            (PROD, "karto-production"),
            (STAGING, "karto-staging"),
            (MARKETING, "marketing"),
        ):
            self.project(ref, name)
        self.smtp2go_post(
            "/users/smtp/add",
            {
                "username": "karto-auth",
                "email_password": HAND_MADE,
                "description": "Supabase: auth mail",
                "custom_ratelimit": True,
                "custom_ratelimit_value": 100,
                "custom_ratelimit_period": "1 day",
            },
        )
        self.smtp2go_post(
            "/users/smtp/add", {"username": "newsletter", "email_password": "Other-Pass-1234567abc"}
        )
        self.smtp2go_post("/single_sender_emails/add", {"email_address": SENDER})
        # Its owner published the records SMTP2GO asked for: the domain is verified.
        self.admin.post(
            "/_sandbox/domains/dns", json={"domain": "karto.example"}
        ).raise_for_status()
        self.smtp2go_post("/domain/add", {"domain": "karto.example"})
        self.relay(PROD)
        self.relay(STAGING)
        self.patch_auth(
            {
                "smtp_host": "smtp.sendgrid.net",
                "smtp_port": "587",
                "smtp_user": "apikey",
                "smtp_pass": SENDGRID,
                "smtp_admin_email": "news@karto.example",
                "rate_limit_email_sent": 100,
            },
            MARKETING,
        )

    def cli(self, *args: str) -> CliResult:
        result = run_cli(self.capsys, *args)
        for secret in (HAND_MADE, SENDGRID, self.env["SMTP2GO_API_KEY"]):
            assert secret not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        return result


@pytest.fixture
def services(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> Iterator[Services]:
    view = Services(cli_env, capsys)
    yield view
    view.close()
