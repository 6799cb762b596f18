"""The demo (the README's first command) prints each step's lines in the order they happen."""

from __future__ import annotations

import os

from tests.cli_runner import run_cli
from tests.conftest import REPO_ROOT


def test_demo_runs_end_to_end_outside_a_checkout_with_progress_before_the_plan(
    capsys, monkeypatch, tmp_path
):
    for name in list(os.environ):
        if name.startswith(("SMTP2GO_", "SUPABASE_")):
            monkeypatch.delenv(name)
    monkeypatch.delenv("KARTO_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "demo")
    assert result.exit_code == 0, result.stdout + result.stderr
    out = result.stdout
    first_plan = out.index("$ karto-smtp plan -c karto.yaml")
    reading = out.index("Reading live state from SMTP2GO and Supabase...", first_plan)
    assert reading < out.index("karto-smtp will perform the following actions:", first_plan)
    assert "No changes. SMTP2GO and Supabase match karto.yaml." in out
    assert "Demo complete: karto.yaml applied, no drift left, sign-up mail delivered." in out
    # check shows the sample's one deliverability problem, and the mail's delivery.
    assert "warn    alignment      karto-production" in out
    assert "pass    delivery       karto-production" in out
    assert list(tmp_path.iterdir()) == []  # it worked in a folder of its own


def test_demo_on_the_templates_example_shows_the_russian_mail_arriving(capsys, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    result = run_cli(capsys, "demo", "-c", "examples/karto-templates.yaml")
    assert result.exit_code == 0, result.stdout + result.stderr
    mailbox = result.stdout.split("$ karto-smtp sandbox mail --to new.user@example.com --body\n")[1]
    headings = [line for line in mailbox.splitlines() if " -> new.user@example.com  " in line]
    # Both projects (staging and production) sent their own Russian confirmation.
    assert [h.endswith("'Подтвердите регистрацию в KARTO'") for h in headings] == [True, True]
    for site in ("https://staging.karto.app", "https://karto.app"):
        assert f'&amp;type=signup&amp;redirect_to={site}">Подтвердить адрес</a></p>' in mailbox
    assert "{{" not in mailbox
