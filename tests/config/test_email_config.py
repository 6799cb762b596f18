"""Auth email as code in karto.yaml: the format, supabase.defaults, template files and the
lint rules, through the real `validate` command and the functions the provider calls."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from karto_smtp.config import load_config, resolve_smtp
from karto_smtp.config.model import auth_written_at, effective_auth
from karto_smtp.config.schema import build_schema
from karto_smtp.config.template_files import MAX_TEMPLATE_BYTES
from karto_smtp.errors import ConfigError
from tests.config.conftest import FIXTURES, REPO

EMAIL = FIXTURES / "email"
EXAMPLE = REPO / "examples" / "karto-templates.yaml"
DEFAULTS = "supabase.defaults.auth.email"
BODY_PARSE = (
    "Supabase Auth cannot parse it and silently sends its default email instead "
    "(auth log: templatemailer_template_body_parse_error) [template-syntax]"
)
NAMES = "names are case-sensitive; docs/config.md lists each email's variables [template-variable]"
NO_ACTION = (
    "so the reader has no link or code to act on; add a link with {{ .ConfirmationURL }} "
    "or a code with {{ .Token }} [template-no-action]"
)
NO_EMAIL = "Supabase Auth parses it but fails to render it, and sends no email at all"


def test_the_example_validates(run) -> None:
    result = run("validate", "-c", "examples/karto-templates.yaml", cwd=REPO)
    assert result.code == 0
    # The templates are clean; the one warning is the guide's free-mailbox sender.
    assert [line.rsplit(" ", 1)[-1] for line in result.err_lines] == ["[from-free-mailbox]"]
    assert result.out == (
        "examples/karto-templates.yaml: valid (2 SMTP2GO objects, 2 Supabase projects; 1 warning)\n"
    )


def test_the_example_matches_the_schema() -> None:
    validator = jsonschema.Draft7Validator(build_schema())
    validator.validate(yaml.safe_load(EXAMPLE.read_text()))
    assert not validator.is_valid(
        {"version": 1, "supabase": {"defaults": {"auth": {"email": {"templates": {"magc": {}}}}}}}
    )


def test_every_template_problem_is_reported_where_it_is(run) -> None:
    result = run("validate", "-c", "broken.yaml", cwd=EMAIL)
    assert result.code == 1
    assert result.err_lines == [
        f"broken.yaml:7:26: error: {DEFAULTS}.templates.confirmation.subject: line 1, column 19 "
        "of subject: unclosed action; Supabase Auth cannot parse it and silently sends its "
        "default subject and body instead (auth log: templatemailer_template_subject_parse_error)"
        " [template-syntax]",
        f"broken.yaml:8:24: warning: {DEFAULTS}.templates.magic_link.subject: an empty subject "
        "makes Supabase Auth send its default subject; write a subject, or remove the key to "
        "leave it [subject-empty]",
        f"broken.yaml:9:22: error: {DEFAULTS}.templates.recovery.content_path: template file "
        "templates/missing.html does not exist; content_path is relative to the folder of "
        "karto.yaml; fix the path or the file [template-file]",
        f"broken.yaml:12:13: error: {DEFAULTS}.templates.email_change.content: line 2, column 26 "
        'of content: predefined escaper "html" disallowed in template (html/template escapes by '
        f"itself; use it only last in a pipeline); {NO_EMAIL} [template-exec]",
        f"broken.yaml:13:30: error: {DEFAULTS}.templates.reauthentication.subject: line 1, "
        "column 9 of subject: Auth passes no .Tokn to the reauthentication email, so it renders "
        f"as empty text (did you mean .Token?); {NAMES}",
        f"broken.yaml:16:15: error: {DEFAULTS}.otp.length: 4 is outside the Supabase API's range "
        "6..10; use 6 to 10 (digits) [out-of-range]",
        f"templates/broken.html:4:20: error: {DEFAULTS}.templates.confirmation.content_path: "
        f'unexpected "}}" in operand; {BODY_PARSE}',
        "templates/misspelt.html:1:1: error: supabase.projects[0].auth.email.templates."
        "confirmation.content_path: the confirmation email uses none of .ConfirmationURL, "
        f".Token, .TokenHash, {NO_ACTION}",
        f"templates/misspelt.html:2:16: error: {DEFAULTS}.notifications.password_changed."
        "content_path: Auth passes no .ConfirmationUrl to the password changed notification, so "
        f"it renders as empty text (it has .Data, .Email, .SiteURL); {NAMES}",
        "templates/misspelt.html:2:16: error: supabase.projects[0].auth.email.templates."
        "confirmation.content_path: Auth passes no .ConfirmationUrl to the confirmation email, "
        f"so it renders as empty text (did you mean .ConfirmationURL?); {NAMES}",
        f"templates/no_action.html:1:1: error: {DEFAULTS}.templates.magic_link.content_path: the "
        f"magic link email uses none of .ConfirmationURL, .Token, .TokenHash, {NO_ACTION}",
        f"templates/no_action.html:1:27: warning: {DEFAULTS}.templates.magic_link.content_path: "
        "production: the magic link email builds a link from .SiteURL, but links.site_url is "
        "http://localhost:3000; set links.site_url to the app's public URL for this project "
        "[site-url-localhost]",
        f"templates/no_action.html:1:27: warning: {DEFAULTS}.templates.magic_link.content_path: "
        "staging: the magic link email builds a link from .SiteURL, but links.site_url is not "
        "declared (Supabase's default is http://localhost:3000); declare auth.links.site_url for "
        "the project or under supabase.defaults [site-url-undeclared]",
        f"templates/unclosed.html:2:9: error: {DEFAULTS}.templates.invite.content_path: the "
        'template ends inside an attribute value quoted with " that starts here, not in plain '
        "text; html/template refuses to render it, so Supabase Auth sends no email at all "
        "[template-html]",
        "Error: broken.yaml: invalid (11 errors, 3 warnings)",
    ]


def test_template_paths_are_relative_to_karto_yaml_wherever_it_is_run(run) -> None:
    result = run("validate", "-c", "fixtures/email/broken.yaml", cwd=FIXTURES.parent)
    assert "fixtures/email/templates/broken.html:4:20: error:" in result.err
    assert "template file fixtures/email/templates/missing.html does not exist" in result.err


def test_site_url_warnings_are_fatal_with_strict(run, tmp_path: Path) -> None:
    (tmp_path / "link.html").write_text('<a href="{{ .SiteURL }}/x?t={{ .TokenHash }}">x</a>\n')
    (tmp_path / "k.yaml").write_text(
        "version: 1\nsupabase:\n  projects:\n    - ref: kartoprodabcdefghijk\n      name: p\n"
        "      auth:\n        email: {templates: {recovery: {content_path: link.html}}}\n"
    )
    warning = (
        "link.html:1:13: warning: supabase.projects[0].auth.email.templates.recovery."
        "content_path: p: the recovery email builds a link from .SiteURL, but links.site_url is "
        "not declared (Supabase's default is http://localhost:3000); declare auth.links.site_url"
        " for the project or under supabase.defaults [site-url-undeclared]"
    )
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert (result.code, result.err_lines) == (0, [warning])
    result = run("validate", "--strict", "-c", "k.yaml", cwd=tmp_path)
    assert result.code == 1
    assert result.err_lines[0] == warning.replace(": warning: ", ": error: ")


def test_content_and_content_path_are_alternatives_and_names_are_the_apis(
    run, tmp_path: Path
) -> None:
    (tmp_path / "k.yaml").write_text(
        "version: 1\nsupabase:\n  projects:\n    - ref: kartoprodabcdefghijk\n      name: p\n"
        "      auth:\n        email:\n          templates:\n"
        "            confirmation: {content: x, content_path: c.html}\n"
        "            magic_lnk: {subject: x}\n"
        "          notifications: {password_change: {enabled: true}}\n"
    )
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    base = "supabase.projects[0].auth.email"
    assert result.err_lines == [
        f"k.yaml:9:13: error: {base}.templates.confirmation: content and content_path are "
        "alternatives; keep one",
        f"k.yaml:10:13: error: {base}.templates.magic_lnk: unknown key 'magic_lnk'; did you mean "
        "'magic_link'?",
        f"k.yaml:11:27: error: {base}.notifications.password_change: unknown key "
        "'password_change'; did you mean 'password_changed'?",
        "Error: k.yaml: invalid (3 errors)",
    ]


def test_defaults_merge_under_every_project() -> None:
    loaded = load_config(EMAIL / "defaults.yaml")
    config = loaded.config
    assert config.supabase is not None
    staging, production = config.supabase.projects
    auth = effective_auth(config, staging)
    assert auth.model_dump(exclude_none=True) == {
        "smtp": {
            "enabled": True,
            "relay": {"smtp2go_user": "karto-staging", "port": 2525},
            "admin_email": "help@karto.example",
            "sender_name": "KARTO",
            "rate_limit_email_sent": 1,
        },
        "email": {
            # The project's inline content replaces the default's content_path.
            "templates": {
                "confirmation": {"subject": "Подтвердите регистрацию", "content": "<p>{{ .Token }}</p>"}
            },
            "otp": {"expiry": 3600},
        },
        "links": {"site_url": "https://staging.karto.example", "redirect_urls": ["https://karto.example/**"]},
    }  # fmt: skip
    auth = effective_auth(config, production)
    assert auth.links is not None and auth.links.redirect_urls == []
    assert auth.email is not None and auth.email.templates is not None
    confirmation = auth.email.templates.confirmation
    assert confirmation is not None
    assert (confirmation.content_path, confirmation.content) == ("templates/confirm.html", None)
    smtp = resolve_smtp(staging, config)
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.user, smtp.sender_name) == (
        "mail.smtp2go.com",
        2525,
        "karto-staging",
        "KARTO",
    )
    smtp = resolve_smtp(production, config)
    assert smtp is not None and (smtp.user, smtp.max_frequency) == ("karto", 60)


def test_a_merged_setting_points_to_the_line_that_wrote_it() -> None:
    loaded = load_config(EMAIL / "defaults.yaml")
    config = loaded.config
    where = {
        path: loaded.locate(auth_written_at(config, 1, path))
        for path in (
            ("smtp", "relay", "port"),
            ("smtp", "max_frequency"),
            ("email", "templates", "confirmation", "subject"),
            ("links", "redirect_urls"),
            ("smtp", "user"),
        )
    }
    name = loaded.display
    assert where == {
        ("smtp", "relay", "port"): f"{name}:11:38",
        ("smtp", "max_frequency"): f"{name}:39:11",
        ("email", "templates", "confirmation", "subject"): f"{name}:18:13",
        ("links", "redirect_urls"): f"{name}:42:11",
        # Written nowhere: where to add it is the project's smtp block.
        ("smtp", "user"): f"{name}:38:9",
    }


def test_a_problem_in_a_default_is_reported_once_at_the_default(run) -> None:
    result = run("validate", "-c", "defaults.yaml", cwd=EMAIL)
    assert result.code == 0
    (warning,) = result.err_lines
    assert warning.startswith(
        "defaults.yaml:14:9: warning: supabase.defaults.auth.smtp.rate_limit_email_sent: "
        "Supabase may send up to 1440 emails a month through SMTP2GO (staging: 1/hour, "
        "production: 1/hour;"
    )


def test_template_files_are_read_at_load_and_feed_the_digest(tmp_path: Path) -> None:
    shutil.copytree(EMAIL, tmp_path / "email")
    config_file = tmp_path / "email" / "defaults.yaml"
    template = tmp_path / "email" / "templates" / "confirm.html"
    loaded = load_config(config_file)
    (path,) = loaded.templates
    file = loaded.templates[path]
    assert (path, file.path, file.data) == (
        "templates/confirm.html",
        template,
        template.read_bytes(),
    )
    assert file.sha256 == hashlib.sha256(template.read_bytes()).hexdigest()
    assert loaded.templates.text(path) == template.read_text()
    before = loaded.digest
    assert before != hashlib.sha256(config_file.read_bytes()).hexdigest()

    template.write_text(template.read_text().replace("Подтвердить", "Подтвердить адрес"))
    assert load_config(config_file).digest != before
    template.write_text(template.read_text().replace("Подтвердить адрес", "Подтвердить"))
    assert load_config(config_file).digest == before


def test_without_templates_the_digest_is_the_files(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text("version: 1\n")
    assert load_config(path).digest == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"<p>\xff</p>", "is not UTF-8 text (line 1, column 4)"),
        (
            b"x" * (MAX_TEMPLATE_BYTES + 1),
            f"is {MAX_TEMPLATE_BYTES + 1} bytes; Supabase Auth reads at most "
            f"{MAX_TEMPLATE_BYTES} bytes of a template and cuts the rest",
        ),
    ],
)
def test_unreadable_template_files(tmp_path: Path, content: bytes, problem: str) -> None:
    (tmp_path / "t.html").write_bytes(content)
    (tmp_path / "k.yaml").write_text(
        "version: 1\nsupabase:\n  defaults:\n    auth:\n"
        "      email: {templates: {invite: {content_path: t.html}}}\n"
    )
    loaded = load_config(tmp_path / "k.yaml", check=False)
    display = str(tmp_path / "t.html")
    with pytest.raises(ConfigError) as caught:
        loaded.templates.text("t.html")
    assert str(caught.value) == f"template file {display} {problem}"
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "k.yaml")
    assert str(caught.value) == (
        f"{tmp_path / 'k.yaml'}:5:36: supabase.defaults.auth.email.templates.invite.content_path:"
        f" template file {display} {problem}; content_path is relative to the folder of "
        "karto.yaml; fix the path or the file [template-file]"
    )


def test_link_urls_are_checked(run, tmp_path: Path) -> None:
    (tmp_path / "k.yaml").write_text(
        "version: 1\nsupabase:\n  defaults:\n    auth:\n      links:\n"
        "        site_url: karto.example\n"
        "        redirect_urls: ['https://a.example/**,https://b.example']\n"
    )
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert result.err_lines == [
        "k.yaml:6:9: error: supabase.defaults.auth.links.site_url: 'karto.example' is not a URL "
        "(scheme://host/path, no spaces or commas)",
        "k.yaml:7:25: error: supabase.defaults.auth.links.redirect_urls[0]: "
        "'https://a.example/**,https://b.example' is not a URL (scheme://host/path, no spaces or "
        "commas)",
        "Error: k.yaml: invalid (2 errors)",
    ]


def test_a_project_swaps_a_default_for_its_alternative_without_a_conflict(
    run, tmp_path: Path
) -> None:
    (tmp_path / "k.yaml").write_text(
        "version: 1\n"
        "smtp2go:\n  senders: {emails: [{address: a@karto.example}]}\n"
        "  smtp_users: [{username: karto, password: generate}]\n"
        "supabase:\n  defaults:\n    auth:\n"
        "      smtp: {relay: {smtp2go_user: karto}, admin_email: a@karto.example}\n"
        "      links: {redirect_urls: [https://a.example]}\n"
        "  projects:\n    - ref: kartoprodabcdefghijk\n      name: p\n      auth:\n"
        "        smtp: {host: smtp.other.example, port: 587, user: u, password: env(SMTP_PASSWORD)}\n"
        "        links: {redirect_urls: null}\n"
    )
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert (result.code, result.err) == (0, "")
    loaded = load_config(tmp_path / "k.yaml")
    assert loaded.config.supabase is not None
    auth = effective_auth(loaded.config, loaded.config.supabase.projects[0])
    assert auth.smtp is not None and auth.smtp.relay is None
    assert (auth.smtp.host, auth.smtp.admin_email) == ("smtp.other.example", "a@karto.example")
    # null is the same as leaving the key out: the default applies.
    assert auth.links is not None and auth.links.redirect_urls == ["https://a.example"]


def test_an_invalid_default_is_reported_at_its_line(run, tmp_path: Path) -> None:
    (tmp_path / "k.yaml").write_text(
        "version: 1\nsupabase:\n  defaults:\n    auth:\n"
        "      smtp: {host: smtp.other.example, port: 587, user: u}\n"
        "  projects:\n    - {ref: kartoprodabcdefghijk, name: a}\n"
        "    - {ref: kartostagingabcdefgh, name: b}\n"
    )
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert result.err_lines == [
        "k.yaml:5:7: error: supabase.defaults.auth.smtp: enabled SMTP needs host, port, user and "
        "password; missing: password; add them, or write relay: {smtp2go_user: NAME} to use a "
        "declared SMTP2GO user [smtp-incomplete]",
        "k.yaml:5:7: error: supabase.defaults.auth.smtp: enabled SMTP needs admin_email (the From "
        "address); add admin_email: a verified sender address [smtp-incomplete]",
        "Error: k.yaml: invalid (2 errors)",
    ]
