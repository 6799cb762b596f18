"""A refused credential, a missing permission or an unknown project: one line that names the fix."""

from __future__ import annotations

import errno
import os
import socket

from tests.cli_runner import run_cli
from tests.e2e.helpers import BASIC_CONFIG, REF, write_config

UNKNOWN_KEY = "api-" + "0" * 32
SMTP2GO_KEYS = "create a key in the SMTP2GO app under Sending > API Keys"
SUPABASE_TOKENS = (
    "create a personal access token under Account > Access Tokens "
    "(https://supabase.com/dashboard/account/tokens)"
)
VIEW_ONLY = ["/users/smtp/view", "/single_sender_emails/view", "/domain/view"]


def add_api_key(live, key: str, endpoints: list[str]) -> None:
    live.admin.post(
        "/_sandbox/api_keys", json={"api_key": key, "endpoints": endpoints}
    ).raise_for_status()


def last_line(result) -> str:
    return result.stderr.splitlines()[-1]


def test_smtp2go_401_names_the_variable_and_where_keys_are_made(live, config, capsys, monkeypatch):
    monkeypatch.setenv("SMTP2GO_API_KEY", UNKNOWN_KEY)
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.exit_code == 1
    line = last_line(result)
    assert line.startswith("Error: SMTP2GO: view ")
    assert line.endswith(
        "failed (HTTP 401): No valid API key provided. [E_ApiResponseCodes.API_EXCEPTION]; "
        f"SMTP2GO did not accept the API key from SMTP2GO_API_KEY: {SMTP2GO_KEYS} and export it "
        "as SMTP2GO_API_KEY (or name another variable with smtp2go.api_key: env(NAME) in "
        "karto.yaml)"
    )
    assert UNKNOWN_KEY not in result.stderr


def test_smtp2go_live_500_for_an_unknown_key_is_an_auth_error_and_not_retried(
    live, capsys, tmp_path, monkeypatch
):
    live.admin.post("/_sandbox/options", json={"unknown_key_status": 500}).raise_for_status()
    monkeypatch.setenv("MY_SMTP2GO_KEY", UNKNOWN_KEY)
    path = write_config(
        tmp_path, BASIC_CONFIG.replace("smtp2go:\n", "smtp2go:\n  api_key: env(MY_SMTP2GO_KEY)\n")
    )
    result = run_cli(capsys, "plan", "-c", str(path))
    assert result.exit_code == 1
    assert last_line(result).endswith(
        "failed (HTTP 500): An API User matching the passed 'api_key' was not found "
        "[E_ApiResponseCodes.API_EXCEPTION]; SMTP2GO did not accept the API key from "
        f"smtp2go.api_key: env(MY_SMTP2GO_KEY): {SMTP2GO_KEYS} and put it in the environment "
        "variable MY_SMTP2GO_KEY"
    )
    # Retrying error responses is what gets an IP throttled: each read was sent once.
    paths = [r["path"] for r in live.requests() if r["path"].startswith("/v3/")]
    assert len(paths) == len(set(paths))


def test_permission_denied_names_the_endpoint_the_key_lacks(live, config, capsys, monkeypatch):
    add_api_key(live, "api-" + "1" * 32, ["/users/smtp/view"])
    monkeypatch.setenv("SMTP2GO_API_KEY", "api-" + "1" * 32)
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.exit_code == 1
    assert last_line(result) == (
        "Error: SMTP2GO: view single senders failed (HTTP 400): You do not have permission to "
        "access this API endpoint [E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED]; the API key "
        "from SMTP2GO_API_KEY lacks the permission /single_sender_emails/view: add it to the key "
        "in the SMTP2GO app under Sending > API Keys > Permissions (for `plan`, a key allowed "
        "only /users/smtp/view, /single_sender_emails/view, /domain/view is enough; `apply` also "
        "needs the add, edit and remove endpoints of what it changes)"
    )
    views = [r for r in live.requests() if r["path"] == "/v3/single_sender_emails/view"]
    assert len(views) == 1


def test_a_view_only_key_is_enough_for_plan_and_apply_names_what_it_lacks(
    live, config, capsys, monkeypatch
):
    add_api_key(live, "api-" + "2" * 32, VIEW_ONLY)
    monkeypatch.setenv("SMTP2GO_API_KEY", "api-" + "2" * 32)
    assert run_cli(capsys, "plan", "-c", str(config)).exit_code == 0
    result = run_cli(capsys, "apply", "--auto-approve", "-c", str(config))
    assert result.exit_code == 1
    assert (
        '  failed: smtp2go.single_sender["karto.help@ro.ru"] (create): SMTP2GO: add single '
        "sender karto.help@ro.ru failed (HTTP 400): You do not have permission to access this "
        "API endpoint [E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED]; the API key from "
        "SMTP2GO_API_KEY lacks the permission /single_sender_emails/add: "
    ) in result.stdout
    assert [w for w in live.writes() if w["status"] < 300] == []


def test_supabase_401_names_the_token_file_and_where_tokens_are_made(live, capsys, tmp_path):
    (tmp_path / "token.txt").write_text("sbp_" + "0" * 40 + "\n")
    path = write_config(
        tmp_path,
        BASIC_CONFIG.replace("supabase:\n", "supabase:\n  access_token: file(token.txt)\n"),
    )
    result = run_cli(capsys, "plan", "-c", str(path))
    assert result.exit_code == 1
    assert last_line(result) == (
        f"Error: Supabase: read Auth config of {REF} failed (HTTP 401): Unauthorized; Supabase "
        "did not accept the access token from supabase.access_token: file(token.txt): "
        f"{SUPABASE_TOKENS} and write it to {tmp_path / 'token.txt'}"
    )
    assert "sbp_" + "0" * 40 not in result.stderr


def test_supabase_401_from_the_default_variable(live, config, capsys, monkeypatch):
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", "sbp_" + "9" * 40)
    result = run_cli(capsys, "plan", "-c", str(config))
    assert last_line(result) == (
        f"Error: Supabase: read Auth config of {REF} failed (HTTP 401): Unauthorized; Supabase "
        f"did not accept the access token from SUPABASE_ACCESS_TOKEN: {SUPABASE_TOKENS} and "
        "export it as SUPABASE_ACCESS_TOKEN (or name another variable with "
        "supabase.access_token: env(NAME) in karto.yaml)"
    )


def test_supabase_403_says_the_token_may_not_manage_the_project(live, config, capsys):
    live.fault(
        live.env["SUPABASE_API_URL"],
        kind="status",
        status=403,
        body={"message": "Your account does not have the necessary privileges"},
    )
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.exit_code == 1
    assert last_line(result) == (
        f"Error: Supabase: read Auth config of {REF} failed (HTTP 403): Your account does not "
        "have the necessary privileges; the access token from SUPABASE_ACCESS_TOKEN may not "
        f"manage project {REF}: use a token of an account that is a member of the project's "
        "organization, made under Account > Access Tokens "
        "(https://supabase.com/dashboard/account/tokens)"
    )


def test_supabase_404_names_the_ref_to_check(live, capsys, tmp_path):
    path = write_config(tmp_path, BASIC_CONFIG.replace(REF, "nosuchprojectabcdefg"))
    result = run_cli(capsys, "plan", "-c", str(path))
    assert result.exit_code == 1
    assert last_line(result) == (
        "Error: Supabase: read Auth config of nosuchprojectabcdefg failed (HTTP 404): Project "
        "not found; Supabase has no project nosuchprojectabcdefg that the access token from "
        "SUPABASE_ACCESS_TOKEN can see: check the ref in karto.yaml (the part after /project/ "
        "in the project's dashboard URL) and that the token's account is a member of its "
        "organization"
    )
    gets = [r for r in live.requests() if r["method"] == "GET"]
    assert len(gets) == 1


def test_a_url_with_credentials_is_refused_before_any_call_and_never_echoed(
    live, config, capsys, monkeypatch
):
    monkeypatch.setenv(
        "SUPABASE_API_URL", "http://someone:hunter2-token@127.0.0.1:9/base?api_key=sekrit123"
    )
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.exit_code == 1
    assert last_line(result).startswith(
        "Error: environment variable SUPABASE_API_URL: contains a user name or password "
        "before '@'; remove them"
    )
    assert live.requests() == []
    for leaked in ("hunter2-token", "someone", "sekrit123"):
        assert leaked not in result.stderr + result.stdout


def test_a_connection_error_names_the_url_it_tried(live, config, capsys, monkeypatch):
    sock = socket.socket()  # a port nothing listens on: bind, read it, close
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    monkeypatch.setenv("SUPABASE_API_URL", f"http://127.0.0.1:{port}/base")
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.exit_code == 1
    refused = f"[Errno {errno.ECONNREFUSED}] {os.strerror(errno.ECONNREFUSED)}"
    shown = f"http://127.0.0.1:{port}/base/ ({refused})"
    assert f"Supabase is not reachable at {shown}; retrying in 0.01 s (2/4)...\n" in result.stderr
    assert last_line(result) == (
        f"Error: Supabase: read Auth config of {REF} failed (no response): gave up after 4 "
        f"attempts: cannot connect to {shown}"
    )
