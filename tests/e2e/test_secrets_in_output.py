"""No secret reaches stdout, stderr or JSON: not through a service that echoes a request,
not through an error, and not through --debug's request log."""

from __future__ import annotations

import json

import pytest

from tests.cli_runner import run_cli
from tests.e2e.helpers import BASIC_CONFIG, OTHER_REF, REF, digest, write_config

REDACTED = "(sensitive value)"
CANARY_PASSWORD = "Canary-Pw-7Hq2-xZ9m-Lk4r"
CANARY_KEY = "api-CANARYkey0123456789abcdefABCDEF"[:36]
CANARY_TOKEN = "sbp_canarytoken0123456789abcdef0123456789"

ENV_USER_CONFIG = f"""\
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
    - username: kartoenv
      status: allowed
      password: env(KARTO_CANARY_PASSWORD)
supabase:
  projects:
    - ref: {REF}
      name: karto-production
      auth:
        smtp:
          relay:
            smtp2go_user: karto
            port: 587
          admin_email: karto.help@ro.ru
          sender_name: KARTO
    - ref: {OTHER_REF}
      name: karto-staging
      auth:
        smtp:
          relay:
            smtp2go_user: kartoenv
            port: 2525
          admin_email: karto.help@ro.ru
          sender_name: KARTO staging
"""


@pytest.fixture
def canaries(live, monkeypatch):
    """The sandbox accepts a canary API key and token; the config's env() password is one."""
    live.admin.post(
        "/_sandbox/api_keys", json={"api_key": CANARY_KEY, "endpoints": ["*"]}
    ).raise_for_status()
    live.supabase_admin.post("/_sandbox/tokens", json={"token": CANARY_TOKEN}).raise_for_status()
    monkeypatch.setenv("SMTP2GO_API_KEY", CANARY_KEY)
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("KARTO_CANARY_PASSWORD", CANARY_PASSWORD)
    monkeypatch.delenv("KARTO_LOG", raising=False)
    yield
    from karto_smtp import log

    log.setup_logging(False)


def leaks(text: str, *secrets: str) -> list[str]:
    return [s for s in secrets if s in text]


def test_a_service_that_echoes_the_request_leaks_no_password(live, canaries, capsys, tmp_path):
    path = write_config(tmp_path, ENV_USER_CONFIG)
    echoed = {
        "username": "kartoenv",
        "email_password": CANARY_PASSWORD,
        "api_key": CANARY_KEY,
    }
    live.fault(
        live.env["KARTO_SANDBOX_URL"],
        kind="status",
        method="POST",
        path="/v3/users/smtp/add",
        status=400,
        body={
            "request_id": "x",
            "data": {
                "error": f"Invalid request {json.dumps(echoed)}",
                "error_code": "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD",
            },
        },
    )
    for fmt in ("text", "json"):
        result = run_cli(capsys, "apply", "--auto-approve", "--format", fmt, "-c", str(path))
        assert result.exit_code == 1
        output = result.stdout + result.stderr
        assert leaks(output, CANARY_PASSWORD, CANARY_KEY) == []
        shown = f'Invalid request {{\\"username\\": \\"kartoenv\\", \\"email_password\\": \\"{REDACTED}\\"'
        expected = shown if fmt == "json" else shown.replace('\\"', '"')
        assert expected in result.stdout, result.stdout


def test_an_echoed_digest_or_token_in_an_error_line_is_scrubbed(live, canaries, capsys, tmp_path):
    path = write_config(tmp_path, ENV_USER_CONFIG)
    held = digest(OTHER_REF, CANARY_PASSWORD)
    live.fault(
        live.env["SUPABASE_API_URL"],
        kind="status",
        method="GET",
        path=f"/v1/projects/{OTHER_REF}/config/auth",
        status=400,
        body={"message": f"bad request: smtp_pass={held} authorization=Bearer {CANARY_TOKEN}"},
    )
    result = run_cli(capsys, "plan", "-c", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: Supabase: read Auth config of {OTHER_REF} failed (HTTP 400): bad request: "
        f"smtp_pass={REDACTED} authorization=Bearer {REDACTED}"
    )


def test_a_long_error_body_is_cut_after_redaction_so_no_secret_is_half_shown(
    live, canaries, capsys, tmp_path
):
    path = write_config(tmp_path, BASIC_CONFIG)
    live.fault(
        live.env["SUPABASE_API_URL"],
        kind="status",
        method="GET",
        status=400,
        body={"message": "x" * 290 + CANARY_TOKEN + "\nsecond line"},
    )
    result = run_cli(capsys, "plan", "-c", str(path))
    line = result.stderr.splitlines()[-1]
    assert CANARY_TOKEN[:10] not in line
    assert line.endswith(": " + "x" * 290 + "(sensitiv…")


def test_debug_output_of_plan_apply_and_check_holds_no_secret(live, canaries, capsys, tmp_path):
    path = write_config(tmp_path, ENV_USER_CONFIG)
    # One answer that echoes the credentials, retried, on the way.
    live.fault(
        live.env["SUPABASE_API_URL"],
        kind="status",
        method="PATCH",
        status=500,
        body={"message": f"echo {CANARY_TOKEN} {CANARY_PASSWORD}"},
        times=1,
    )
    runs = [
        run_cli(capsys, "--debug", "plan", "-c", str(path)),
        run_cli(capsys, "--debug", "apply", "--auto-approve", "-c", str(path)),
    ]
    live.verify_sender("karto.help@ro.ru")
    runs += [
        run_cli(capsys, "--debug", "plan", "--format", "json", "-c", str(path)),
        run_cli(
            capsys,
            "--debug",
            "check",
            "--send-test-to",
            "someone@example.com",
            "--via-supabase",
            "someone@example.com",
            "--format",
            "json",
            "-c",
            str(path),
        ),
    ]
    generated = live.password_of("karto")
    # And a refusal that quotes every one of them back.
    live.fault(
        live.env["SUPABASE_API_URL"],
        kind="status",
        method="GET",
        status=400,
        body={"message": f"{CANARY_TOKEN} {generated} {digest(REF, generated)} {CANARY_KEY}"},
    )
    runs.append(run_cli(capsys, "--debug", "plan", "-c", str(path)))
    # check exits 1 on warnings: ro.ru, a free mailbox, cannot align with DMARC.
    assert [r.exit_code for r in runs] == [0, 0, 0, 1, 1], [r.stdout + r.stderr for r in runs]
    summary = runs[3].json()["check"]["summary"]
    assert summary["fail"] == 0 and summary["warn"] >= 1
    assert runs[-1].stderr.endswith(f"(HTTP 400): {REDACTED} {REDACTED} {REDACTED} {REDACTED}\n")
    secrets = [CANARY_KEY, CANARY_TOKEN, CANARY_PASSWORD, generated]
    secrets += [digest(ref, p) for ref in (REF, OTHER_REF) for p in (CANARY_PASSWORD, generated)]
    for result in runs:
        assert leaks(result.stdout + result.stderr, *secrets) == []
    log = "".join(r.stderr for r in runs)
    lines = [line for line in log.splitlines() if "karto_smtp.providers.http:" in line]
    assert any(
        "PATCH http://127.0.0.1:" in line
        and f"/v1/projects/{OTHER_REF}/config/auth: HTTP 200 OK in " in line
        for line in lines
    )
    assert any(
        "POST http://127.0.0.1:" in line and "/v3/users/smtp/add (attempt 1)" in line
        for line in lines
    )
    assert any(": HTTP 500 Internal Server Error in " in line for line in lines)
    assert "Supabase answered HTTP 500 (update Auth config of " in log
    assert all(line.startswith("debug ") for line in lines)
    assert any(f"/{REF}/auth/v1/otp: HTTP 200 OK in " in line for line in log.splitlines())
