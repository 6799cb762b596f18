"""examples/karto.yaml, karto.schema.json, the config path rules and start-up weight."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import yaml

from karto_smtp.config import load_config, resolve_smtp
from karto_smtp.config.schema import build_schema, schema_text
from tests.config.conftest import FIXTURES, REPO

EXAMPLE = REPO / "examples" / "karto.yaml"
FREE_MAILBOX_WARNING = (
    "examples/karto.yaml:35:11: warning: supabase.projects[0].auth.smtp.admin_email: "
    "karto.help@ro.ru is a free mailbox at ro.ru: SMTP2GO cannot sign mail as ro.ru, so it "
    "cannot pass DMARC alignment (RFC 7489 section 3.1) and receivers that enforce ro.ru's "
    "policy put it in spam or refuse it; send from a domain you own: declare it under "
    "smtp2go.senders.domains, publish its records (`karto-smtp dns`) and set admin_email to an "
    "address there [from-free-mailbox]"
)
EXAMPLE_WARNING = (
    "examples/karto.yaml:38:11: warning: supabase.projects[0].auth.smtp.rate_limit_email_sent: "
    "Supabase may send up to 21600 emails a month through SMTP2GO (karto-production: 30/hour; "
    "30 * 24 * 30 = 21600), more than the free plan's 1000 a month; lower rate_limit_email_sent "
    "to 1/hour in total, or set smtp2go.plan to your plan and its monthly_quota "
    "[rate-limit-exceeds-quota]"
)


def test_example_validates(run) -> None:
    result = run("validate", "-c", "examples/karto.yaml", cwd=REPO)
    assert result.code == 0
    # The guide's sender is a free mailbox: validate says it cannot align with DMARC.
    assert result.err_lines == [FREE_MAILBOX_WARNING, EXAMPLE_WARNING]
    assert result.out == (
        "examples/karto.yaml: valid (2 SMTP2GO objects, 1 Supabase project; 2 warnings)\n"
    )


def test_example_states_the_guide_setup() -> None:
    assert EXAMPLE.read_text().splitlines()[0] == (
        "# yaml-language-server: $schema=../karto.schema.json"
    )
    loaded = load_config(EXAMPLE)
    config = loaded.config
    assert config.version == 1
    account, supabase = config.smtp2go, config.supabase
    assert account is not None and supabase is not None
    assert (account.plan.name, account.plan.monthly_quota) == ("free", 1000)
    assert [s.address for s in account.senders.emails] == ["karto.help@ro.ru"]
    (user,) = account.smtp_users
    assert (user.username, user.status, user.description) == (
        "karto",
        "allowed",
        "Supabase Auth mail for KARTO",
    )
    assert user.password is not None and user.password.is_generated
    (project,) = supabase.projects
    assert (project.ref, project.name) == ("kartoprodabcdefghijk", "karto-production")
    smtp = resolve_smtp(project, config)
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.user, smtp.relay_user) == (
        "mail.smtp2go.com",
        587,
        "karto",
        "karto",
    )
    assert smtp.password is user.password
    assert (smtp.admin_email, smtp.sender_name) == ("karto.help@ro.ru", "KARTO")
    assert (smtp.max_frequency, smtp.rate_limit_email_sent, smtp.enabled) == (60, 30, True)


def test_committed_schema_is_up_to_date() -> None:
    committed = (REPO / "karto.schema.json").read_text()
    assert committed == schema_text(), "regenerate: karto-smtp schema > karto.schema.json"


def test_schema_command_prints_the_schema(run) -> None:
    result = run("schema", cwd=REPO)
    assert result.code == 0
    assert result.out == schema_text()
    assert json.loads(result.out)["title"] == "KartoConfig"


def test_schema_is_valid_documents_every_field_and_accepts_the_examples() -> None:
    schema = build_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    for path in (EXAMPLE, FIXTURES / "valid.yaml"):
        validator.validate(yaml.safe_load(path.read_text()))
    for name, model in schema["$defs"].items():
        assert model.get("description"), name
        for field, spec in model["properties"].items():
            assert spec.get("description"), f"{name}.{field}"
    password = schema["$defs"]["SmtpUserConfig"]["properties"]["password"]["anyOf"][0]
    assert password["pattern"] == r"^(env\([A-Za-z_][A-Za-z0-9_]*\)|file\(.+\)|generate)$"
    api_key = schema["$defs"]["Smtp2goAccountConfig"]["properties"]["api_key"]
    assert "env(NAME)" in api_key["description"] and "file(PATH)" in api_key["description"]
    assert not validator.is_valid({"version": 1, "smtp2go": {"api_key": "api-literal"}})


def test_config_path_from_env_then_default(run, monkeypatch, tmp_path) -> None:
    (tmp_path / "karto.yaml").write_text("version: 1\n")
    (tmp_path / "other.yaml").write_text("version: 1\nsupabase: {projects: []}\n")
    result = run("validate", cwd=tmp_path)
    assert (result.code, result.out) == (0, "karto.yaml: valid (nothing managed)\n")
    monkeypatch.setenv("KARTO_CONFIG", "other.yaml")
    result = run("validate", cwd=tmp_path)
    assert (result.code, result.out) == (0, "other.yaml: valid (0 Supabase projects)\n")
    result = run("validate", "-c", "karto.yaml", cwd=tmp_path)
    assert result.out == "karto.yaml: valid (nothing managed)\n"


def test_validate_stays_light() -> None:
    """No httpx, deepdiff, jsonschema or other command modules on the validate path."""
    code = (
        "import sys\n"
        "from karto_smtp.cli import main\n"
        "try:\n"
        "    main(['validate', '-c', sys.argv[1]])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('httpx', 'deepdiff', 'jsonschema', 'karto_smtp.engine', 'karto_sandbox',"
        " 'karto_smtp.config.schema')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    env = {"SMTP2GO_API_KEY": "k", "SUPABASE_ACCESS_TOKEN": "t", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=30,
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr
