"""Run the real CLI in-process against the sandbox, and read the sandbox's state over HTTP."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import httpx

REF = "kartoprodtestabcdefg"
OTHER_REF = "kartostagingabcdefgh"


def digest(ref: str, password: str) -> str:
    return hmac.new(ref.encode(), password.encode(), hashlib.sha256).hexdigest()


class SandboxView:
    """What the sandbox holds, read the way any client would: over HTTP."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.smtp2go = httpx.Client(
            base_url=env["SMTP2GO_API_URL"], headers={"X-Smtp2go-Api-Key": env["SMTP2GO_API_KEY"]}
        )
        self.admin = httpx.Client(base_url=env["KARTO_SANDBOX_URL"])
        self.supabase = httpx.Client(
            base_url=env["SUPABASE_API_URL"],
            headers={"Authorization": f"Bearer {env['SUPABASE_ACCESS_TOKEN']}"},
        )
        self.supabase_admin = httpx.Client(base_url=env["SUPABASE_API_URL"])

    def close(self) -> None:
        for client in (self.smtp2go, self.admin, self.supabase, self.supabase_admin):
            client.close()

    def auth_config(self, ref: str = REF) -> dict[str, Any]:
        response = self.supabase.get(f"/v1/projects/{ref}/config/auth")
        response.raise_for_status()
        return response.json()

    def patch_auth(self, body: dict[str, Any], ref: str = REF) -> dict[str, Any]:
        response = self.supabase.patch(f"/v1/projects/{ref}/config/auth", json=body)
        response.raise_for_status()
        return response.json()

    def users(self) -> list[dict[str, Any]]:
        return self.smtp2go.post("/users/smtp/view", json={}).json()["data"]["results"]

    def smtp2go_state(self) -> dict[str, Any]:
        return self.admin.get("/_sandbox/state").json()

    def password_of(self, username: str) -> str:
        users = self.smtp2go_state()["users"]
        return next(u for u in users if u["username"] == username)["email_password"]

    def requests(self) -> list[dict[str, Any]]:
        entries = self.admin.get("/_sandbox/requests").json()
        entries += self.supabase_admin.get("/_sandbox/requests").json()
        return entries

    def clear_requests(self) -> None:
        self.admin.delete("/_sandbox/requests")
        self.supabase_admin.delete("/_sandbox/requests")

    def writes(self) -> list[dict[str, Any]]:
        return [r for r in self.requests() if _is_write(r)]

    def fault(self, service_url: str, **fault: Any) -> None:
        httpx.post(f"{service_url}/_sandbox/faults", json=fault).raise_for_status()

    def supabase_options(self, **options: Any) -> None:
        self.supabase_admin.post("/_sandbox/options", json=options).raise_for_status()

    def converged(self, username: str, *refs: str) -> bool:
        """Every project holds the SMTP2GO user's current password (seen through its digest)."""
        password = self.password_of(username)
        return all(self.auth_config(ref)["smtp_pass"] == digest(ref, password) for ref in refs)

    def verify_sender(self, address: str) -> None:
        self.admin.post(
            "/_sandbox/senders/verify", json={"email_address": address}
        ).raise_for_status()


def _is_write(entry: dict[str, Any]) -> bool:
    if entry["method"] == "PATCH":
        return True
    return entry["method"] == "POST" and not entry["path"].endswith("/view")


def write_config(folder: Path, body: str) -> Path:
    path = folder / "karto.yaml"
    path.write_text(body)
    return path


BASIC_CONFIG = f"""\
version: 1
smtp2go:
  senders:
    emails:
      - address: karto.help@ro.ru
  smtp_users:
    - username: karto
      description: KARTO Supabase Auth
      status: allowed
      password: generate
supabase:
  projects:
    - ref: {REF}
      name: karto-production
      auth:
        smtp:
          enabled: true
          relay:
            smtp2go_user: karto
            port: 587
          admin_email: karto.help@ro.ru
          sender_name: KARTO
          max_frequency: 60
          rate_limit_email_sent: 30
"""
