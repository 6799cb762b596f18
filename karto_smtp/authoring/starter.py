"""A starter karto.yaml from a few answers: one SMTP2GO user, its sender, the projects.

Each answer is checked with the model's own field rules as it is given, so `init` can ask
again (interactive) or stop with one line (flags) before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from karto_smtp.authoring.yaml_text import Block, Flow, Items, Key
from karto_smtp.config.lint import EMAIL_LIKE
from karto_smtp.config.model import ProjectConfig, SingleSender, SmtpUserConfig

DEFAULT_USER = "karto-auth"
DEFAULT_PORT = 587
# Supabase's own default once custom SMTP is on (auth-smtp docs); lint compares it with
# the SMTP2GO plan's quota.
DEFAULT_RATE_LIMIT = 30


class BadAnswer(ValueError):
    """An answer the file could not hold; the message says what to type instead."""


def _first_error(exc: ValidationError) -> str:
    return str(exc.errors()[0]["msg"])


def check_username(value: str) -> str:
    value = value.strip()
    if EMAIL_LIKE.fullmatch(value):
        raise BadAnswer(
            f"'{value}' looks like an email address; an SMTP2GO username is a plain name "
            "such as karto-auth"
        )
    try:
        SmtpUserConfig(username=value)
    except ValidationError as exc:
        raise BadAnswer(_first_error(exc)) from None
    return value


def check_sender(value: str) -> str:
    value = value.strip()
    try:
        SingleSender(address=value)
    except ValidationError as exc:
        raise BadAnswer(_first_error(exc)) from None
    return value


def check_project(value: str) -> tuple[str, str]:
    """`REF:NAME` (or a bare REF, named after itself)."""
    ref, _, name = value.strip().partition(":")
    ref, name = ref.strip(), name.strip() or ref.strip()
    try:
        ProjectConfig(ref=ref, name=name)
    except ValidationError as exc:
        raise BadAnswer(_first_error(exc)) from None
    return ref, name


@dataclass
class Answers:
    username: str = DEFAULT_USER
    sender: str = ""
    sender_name: str | None = None
    projects: list[tuple[str, str]] = field(default_factory=list)
    port: int = DEFAULT_PORT


HEADER = [
    "yaml-language-server: $schema=karto.schema.json",
    "(editor completion: karto-smtp schema > karto.schema.json)",
    "",
    "Written by `karto-smtp init`. Next: `karto-smtp validate`, then `karto-smtp plan`.",
    "Credentials come from SMTP2GO_API_KEY and SUPABASE_ACCESS_TOKEN (docs/credentials.md).",
    "Already set up by hand? `karto-smtp import` writes this file from the live services.",
]


def starter_document(answers: Answers) -> Block:
    document = Block()
    document.add("version", 1)
    account = Block()
    account.add(
        "plan",
        Flow({"name": "free", "monthly_quota": 1000}),
        comments=["Your SMTP2GO plan; lint warns when Supabase may send more than it allows."],
    )
    sender = Block()
    sender.add(
        "address",
        answers.sender,
        note="SMTP2GO emails it a link; its mail is refused until the link is clicked",
    )
    account.add("senders", Block([Key("emails", Items([sender]))]))
    user = Block()
    user.add("username", answers.username, note="the SMTP login, not an email address")
    user.add("description", "Supabase Auth mail")
    user.add("status", "allowed")
    user.add(
        "password",
        "generate",
        note="made with the user and handed straight to Supabase; nobody sees it",
    )
    account.add("smtp_users", Items([user]))
    document.add("smtp2go", account)
    if answers.projects:
        projects = Items()
        for ref, name in answers.projects:
            smtp = Block()
            smtp.add(
                "relay",
                Flow({"smtp2go_user": answers.username, "port": answers.port}),
                note="host, user and password come from SMTP2GO",
            )
            smtp.add("admin_email", answers.sender)
            if answers.sender_name:
                smtp.add("sender_name", answers.sender_name)
            smtp.add(
                "rate_limit_email_sent",
                DEFAULT_RATE_LIMIT,
                comments=[
                    "Auth emails per hour. Over a month this can pass the free plan's quota:",
                    "validate warns until smtp2go.plan names your plan.",
                ],
            )
            project = Block()
            project.add("ref", ref)
            project.add("name", name)
            project.add("auth", Block([Key("smtp", smtp)]))
            projects.items.append(project)
        document.add("supabase", Block([Key("projects", projects)]))
    return document
