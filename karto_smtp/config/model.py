"""The `karto.yaml` data model (pydantic v2).

Managed fields of remote objects are Optional and default to None, which means "not
managed": karto-smtp leaves the live value alone. Field docstrings become descriptions in
the JSON Schema (`karto-smtp schema` reads them from this file), so editors show them as help.

Cross-field rules (relay references, ranges of Supabase fields, sender coverage) live in
`lint.py` so each has a code, a location and a fix hint.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from karto_smtp.config.api_url import api_url_problem
from karto_smtp.config.characters import (
    edge_space_problem,
    invisible_problem,
    lookalike_problem,
    non_ascii_problem,
)
from karto_smtp.config.display import shown
from karto_smtp.config.merge import layer_of, merge_over
from karto_smtp.config.yaml_loader import NodePath
from karto_smtp.errors import ConfigError
from karto_smtp.secrets import (
    PASSWORD_REF_PATTERN,
    SECRET_REF_PATTERN,
    SecretRef,
    reject_generate,
)

FORMAT_VERSION = 1

SMTP2GO_API_KEY_ENV = "SMTP2GO_API_KEY"
SMTP2GO_API_URL_ENV = "SMTP2GO_API_URL"
SUPABASE_ACCESS_TOKEN_ENV = "SUPABASE_ACCESS_TOKEN"
SUPABASE_API_URL_ENV = "SUPABASE_API_URL"
SUPABASE_DEFAULT_API_URL = "https://api.supabase.com"

Region = Literal["global", "us", "eu", "au"]
SMTP2GO_API_URLS: dict[str, str] = {
    "global": "https://api.smtp2go.com/v3",
    "us": "https://us-api.smtp2go.com/v3",
    "eu": "https://eu-api.smtp2go.com/v3",
    "au": "https://au-api.smtp2go.com/v3",
}
SMTP2GO_RELAY_BY_REGION: dict[str, str] = {
    "global": "mail.smtp2go.com",
    "us": "mail-us.smtp2go.com",
    "eu": "mail-eu.smtp2go.com",
    "au": "mail-au.smtp2go.com",
}
SMTP2GO_RELAY_HOSTS: frozenset[str] = frozenset(
    {*SMTP2GO_RELAY_BY_REGION.values(), "mail-eu2.smtp2go.com"}
)
SMTP2GO_STARTTLS_PORTS: tuple[int, ...] = (25, 2525, 8025, 587, 80)
SMTP2GO_TLS_PORTS: tuple[int, ...] = (465, 8465, 443)
SMTP2GO_PORTS: tuple[int, ...] = SMTP2GO_STARTTLS_PORTS + SMTP2GO_TLS_PORTS

MAX_FREQUENCY_RANGE = (0, 32767)
RATE_LIMIT_EMAIL_SENT_RANGE = (1, 2147483647)
OTP_EXPIRY_RANGE = (0, 2147483647)
OTP_LENGTH_RANGE = (6, 10)
INT32_MAX = 2147483647

_EMAIL_RE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}"
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_DOMAIN_RE = re.compile(rf"(?:{_LABEL}\.)+[A-Za-z0-9-]{{2,63}}")
_SUBDOMAIN_RE = re.compile(_LABEL)
_USERNAME_RE = re.compile(r"[A-Za-z0-9._@-]{5,100}")
_REF_RE = re.compile(r"[a-z]{20}")
# Auth link settings: any scheme (mobile apps use their own), wildcards allowed; no comma,
# because the Management API joins the redirect allow list with commas.
_LINK_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s,]+")
# SMTP2GO's custom_ratelimit_period: "<n> hour[s]|day[s]|week[s]|month[s]" and/or "hh:mm:ss".
_PERIOD_RE = re.compile(
    r"(?:(?P<n>[1-9][0-9]*) +(?P<unit>hour|day|week|month)s?)?"
    r"(?: *(?P<h>[0-9]{1,3}):(?P<m>[0-5][0-9]):(?P<s>[0-5][0-9]))?"
)


def _fail(kind: str, message: str) -> PydanticCustomError:
    # The message goes in as a value, not a template: user text may hold '{' and '}'.
    return PydanticCustomError(kind, "{message}", {"message": message})


def _check(
    regex: re.Pattern[str],
    kind: str,
    what: str,
    detail: str = "",
    *,
    lengths: Callable[[str], str | None] | None = None,
) -> Any:
    """Validator for an ASCII name: "'<value>' is not <what><detail>", or a sharper reason.

    Spaces at the edges, invisible characters and non-ASCII look-alikes are named first:
    they are the mistakes a reader of the file cannot see.
    """

    def validate(value: str) -> str:
        quoted = f"'{shown(value)}'"
        for check in (edge_space_problem, invisible_problem, non_ascii_problem):
            problem = check(value)
            if problem is not None:
                raise _fail(kind, f"{quoted} {problem}")
        problem = lengths(value) if lengths is not None else None
        if problem is not None:
            raise _fail(kind, f"{quoted} is not {what}: {problem}")
        if not regex.fullmatch(value):
            raise _fail(kind, f"{quoted} is not {what}{detail}")
        return value

    return AfterValidator(validate)


def _plain_text(kind: str, *extra: Callable[[str], str | None]) -> Any:
    """Validator for free text that names something: no edge spaces, nothing invisible."""
    checks = (edge_space_problem, invisible_problem, *extra)

    def validate(value: str) -> str:
        for check in checks:
            problem = check(value)
            if problem is not None:
                raise _fail(kind, f"'{shown(value)}' {problem}")
        return value

    return AfterValidator(validate)


def _host_lengths(value: str) -> str | None:
    """RFC 1035: at most 253 characters as text, at most 63 per label."""
    name = value.rstrip(".")
    if len(name) > 253:
        return f"it has {len(name)} characters, at most 253 are allowed"
    for label in name.split("."):
        if len(label) > 63:
            return (
                f"its part '{shown(label, 20)}' has {len(label)} characters, at most 63 are allowed"
            )
    return None


def _email_lengths(value: str) -> str | None:
    """RFC 5321: at most 64 characters before the @ and 254 in all."""
    local, at, domain = value.rpartition("@")
    if not at:
        return None
    if len(local) > 64:
        return f"the part before @ has {len(local)} characters, at most 64 are allowed"
    if len(value) > 254:
        return f"it has {len(value)} characters, at most 254 are allowed"
    return _host_lengths(domain)


Email = Annotated[
    str,
    _check(_EMAIL_RE, "email", "an email address", lengths=_email_lengths),
    Field(json_schema_extra={"format": "email"}),
]
Domain = Annotated[
    str,
    _check(_DOMAIN_RE, "domain", "a domain name", " (e.g. example.com)", lengths=_host_lengths),
    Field(json_schema_extra={"format": "hostname"}),
]
Hostname = Annotated[
    str,
    _check(_HOST_RE, "hostname", "a host name", lengths=_host_lengths),
    Field(json_schema_extra={"format": "hostname"}),
]
Subdomain = Annotated[
    str,
    _check(_SUBDOMAIN_RE, "subdomain", "a single DNS label", " (e.g. link)", lengths=_host_lengths),
    Field(json_schema_extra={"pattern": f"^{_LABEL}$"}),
]
Username = Annotated[
    str,
    _check(
        _USERNAME_RE,
        "username",
        "an SMTP2GO username",
        ": 5 to 100 letters, digits, '.', '_', '-' or '@'",
    ),
    Field(json_schema_extra={"pattern": r"^[A-Za-z0-9._@-]{5,100}$"}),
]
ProjectRef = Annotated[
    str,
    _check(
        _REF_RE,
        "project_ref",
        "a project ref",
        ": exactly 20 lowercase letters "
        "(from the dashboard URL supabase.com/dashboard/project/<ref>)",
    ),
    Field(json_schema_extra={"pattern": "^[a-z]{20}$"}),
]
LinkUrl = Annotated[
    str,
    _check(_LINK_URL_RE, "link_url", "a URL", " (scheme://host/path, no spaces or commas)"),
    Field(json_schema_extra={"pattern": r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s,]+$"}),
]
# A login for a relay karto-smtp does not manage: any text, but nothing that passes for
# something else.
Login = Annotated[str, _plain_text("login", lookalike_problem)]
# A name people read (sender name, project name): any script, but no invisible edges.
DisplayName = Annotated[str, _plain_text("display_name")]
# Names a declared SMTP user (lint checks that it exists); SMTP2GO usernames are ASCII.
UsernameRef = Annotated[str, _plain_text("username_ref", non_ascii_problem)]


def _api_url(example: str) -> Any:
    def validate(value: str) -> str:
        problem = api_url_problem(value, example)
        if problem is not None:
            raise PydanticCustomError("url", "{problem}", {"problem": problem})
        return value

    return AfterValidator(validate)


_URL_SCHEMA = Field(json_schema_extra={"format": "uri", "pattern": r"^https?://"})
Smtp2goApiUrl = Annotated[str, _api_url(SMTP2GO_API_URLS["global"]), _URL_SCHEMA]
SupabaseApiUrl = Annotated[str, _api_url(SUPABASE_DEFAULT_API_URL), _URL_SCHEMA]


def env_api_url(environ: Mapping[str, str], name: str, example: str) -> str | None:
    """The URL in environment variable `name`, if set; ConfigError if it is not usable."""
    value = environ.get(name)
    if not value:
        # Empty counts as unset, as `NAME= karto-smtp plan` is how a shell unsets for one run.
        return None
    problem = api_url_problem(value, example)
    if problem is not None:
        raise ConfigError(f"{env_variable_location(name)}: {problem}")
    return value


def env_variable_location(name: str) -> str:
    """How a message names an environment variable, where others name `file:line:col`."""
    return f"environment variable {name}"


Port = Annotated[int, Field(ge=1, le=65535)]
Ensure = Literal["present", "absent"]

ApiSecretRef = Annotated[
    SecretRef,
    AfterValidator(reject_generate),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": SECRET_REF_PATTERN,
            "examples": ["env(NAME)", "file(secrets/name)"],
        }
    ),
]
PasswordRef = Annotated[
    SecretRef,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": PASSWORD_REF_PATTERN,
            "examples": ["generate", "env(NAME)", "file(secrets/name)"],
        }
    ),
]


def _bounce(value: str) -> str:
    if value in ("from", "drop") or _EMAIL_RE.fullmatch(value):
        return value
    raise _fail(
        "bounce_notifications",
        f"must be 'from', 'drop' or an email address, not '{shown(value)}'",
    )


_PERIOD_UNIT_SECONDS = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400}
# Periods are compared in seconds; past int32 no sending limit means anything (68 years).
MAX_PERIOD_SECONDS = INT32_MAX


def _period_seconds(text: str) -> int:
    parts = _PERIOD_RE.fullmatch(text)
    assert parts is not None
    total = 0
    if parts["n"]:
        total += int(parts["n"]) * _PERIOD_UNIT_SECONDS[parts["unit"]]
    if parts["h"]:
        total += int(parts["h"]) * 3600 + int(parts["m"]) * 60 + int(parts["s"])
    return total


def _period(value: str) -> str:
    text = value.strip()
    if text and _PERIOD_RE.fullmatch(text):
        # The number's length is checked before int(): Python refuses 4,300+ digits.
        if any(len(n) > 10 for n in re.findall(r"[0-9]+", text)) or (
            _period_seconds(text) > MAX_PERIOD_SECONDS
        ):
            raise _fail(
                "rate_period_long",
                f"'{shown(value)}' is longer than 68 years (2147483647 seconds); "
                "write e.g. '1 month'",
            )
        return value
    raise _fail(
        "rate_period",
        f"'{shown(value)}' is not an SMTP2GO period; write e.g. '1 hour', '2 days', '1 month' "
        "or '0:30:00'",
    )


class _Model(BaseModel):
    # Not `use_attribute_docstrings`: it parses this file at every start (~12 ms of each
    # `validate` and `plan`); only the schema needs the docstrings (config/schema.py).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RateLimit(_Model):
    """A custom sending limit for one SMTP user (SMTP2GO custom_ratelimit)."""

    value: Annotated[int, Field(ge=1, le=INT32_MAX)]
    """Emails allowed per period (1..2147483647); beyond it SMTP2GO refuses mail."""
    period: Annotated[str, AfterValidator(_period)]
    """Length of the period: '1 hour', '2 days', '1 week', '3 months', or 'hh:mm:ss'."""


class SmtpUserConfig(_Model):
    """An SMTP2GO SMTP user (Sending > SMTP Users). Fields left out are not managed."""

    username: Username
    """The SMTP login, 5 to 100 characters; it identifies the user and cannot be renamed."""
    ensure: Ensure = "present"
    """present: create or update it; absent: delete it. Unlisted users are never touched."""
    password: PasswordRef | None = None
    """The SMTP password: 'generate' (karto-smtp creates a strong one when it creates
    the user and hands it to Supabase), env(NAME) or file(PATH). Never a literal."""
    description: str | None = None
    """A comment shown in the SMTP2GO app."""
    status: Literal["allowed", "blocked", "sandbox"] | None = None
    """allowed: sends; blocked: refused; sandbox: accepted but never delivered."""
    rate_limit: RateLimit | None = None
    """A custom rate limit for this user; omitted means not managed."""
    open_tracking_enabled: bool | None = None
    """Track opens of mail sent by this user."""
    click_tracking_enabled: bool | None = None
    """Track link clicks in mail sent by this user."""
    archive_enabled: bool | None = None
    """Archive mail sent by this user (paid plans)."""
    audit_email: Email | None = None
    """Address that receives a BCC of every message."""
    bounce_notifications: Annotated[str, AfterValidator(_bounce)] | None = None
    """Where bounce notices go: 'from' (the sender), 'drop', or an email address."""
    feedback_enabled: bool | None = None
    """Add an unsubscribe footer."""
    feedback_html: str | None = None
    """HTML of the unsubscribe footer; placeholders %%UNSUBSCRIBE%% and %%EMAIL%%."""
    feedback_text: str | None = None
    """Plain-text unsubscribe footer; placeholders %%UNSUBSCRIBE%% and %%EMAIL%%."""
    ip_pool: Annotated[int, Field(ge=0, le=INT32_MAX)] | None = None
    """Dedicated IP pool id (from /dedicated_ips/view)."""


class SingleSender(_Model):
    """One verified sender address (Sending > Verified Senders > single sender emails)."""

    address: Email
    """The From address. SMTP2GO mails a link to it; it is usable once clicked."""
    ensure: Ensure = "present"
    """present: add it (and wait for verification); absent: remove it."""


class SenderDomain(_Model):
    """A verified sender domain: every address at it (and its subdomains) may send."""

    domain: Domain
    """The domain, e.g. example.com. Verification needs its DKIM and return-path CNAMEs."""
    tracking_subdomain: Subdomain | None = None
    """Label of the click/open tracking CNAME (SMTP2GO's default is 'link')."""
    returnpath_subdomain: Subdomain | None = None
    """Label of the return-path CNAME (SMTP2GO picks 'em<N>' by default)."""
    ensure: Ensure = "present"
    """present: add it; absent: remove it."""


class Senders(_Model):
    """Verified senders: mail from any other address is refused with 550."""

    emails: list[SingleSender] = Field(default_factory=list)
    """Single sender addresses."""
    domains: list[SenderDomain] = Field(default_factory=list)
    """Sender domains."""


class PlanConfig(_Model):
    """The SMTP2GO plan, used to warn when Supabase may send more than it allows."""

    name: DisplayName = "free"
    """Plan name, for messages."""
    monthly_quota: Annotated[int, Field(ge=1)] = 1000
    """Emails per month the plan allows (free: 1000)."""


class Smtp2goAccountConfig(_Model):
    """The SMTP2GO account: API access, plan, verified senders and SMTP users."""

    api_key: ApiSecretRef | None = None
    """API key reference, default env(SMTP2GO_API_KEY). env(NAME) reads an environment
    variable; file(PATH) reads a file relative to karto.yaml. Never a literal."""
    api_url: Smtp2goApiUrl | None = None
    """API base URL. Default: from region, else https://api.smtp2go.com/v3.
    The SMTP2GO_API_URL environment variable overrides both."""
    region: Region | None = None
    """global (default), us, eu or au: picks the API host ({us-,eu-,au-}api.smtp2go.com)
    and the default relay (mail[-us|-eu|-au].smtp2go.com)."""
    plan: PlanConfig = Field(default_factory=PlanConfig)
    """The account's plan (default: free, 1000 emails a month)."""
    senders: Senders = Field(default_factory=Senders)
    """Single sender emails and sender domains that must exist and be verified."""
    smtp_users: list[SmtpUserConfig] = Field(default_factory=list)
    """SMTP users. Users not listed are never touched."""

    _default_api_key: SecretRef = PrivateAttr(
        default_factory=lambda: SecretRef.env(SMTP2GO_API_KEY_ENV)
    )

    def api_key_ref(self) -> SecretRef:
        """The declared key reference, or env(SMTP2GO_API_KEY)."""
        return self.api_key if self.api_key is not None else self._default_api_key

    def resolved_api_url(self, environ: Mapping[str, str] | None = None) -> str:
        """SMTP2GO_API_URL, else api_url, else the region's endpoint, without a trailing /."""
        env = os.environ if environ is None else environ
        default = SMTP2GO_API_URLS[self.region or "global"]
        url = env_api_url(env, SMTP2GO_API_URL_ENV, default) or self.api_url or default
        return url.rstrip("/")

    def relay_host(self) -> str:
        """The SMTP relay for the account's region (mail.smtp2go.com for global)."""
        return SMTP2GO_RELAY_BY_REGION[self.region or "global"]

    def user(self, username: str) -> SmtpUserConfig | None:
        """The declared SMTP user with this username (last one wins on duplicates)."""
        found = None
        for user in self.smtp_users:
            if user.username == username:
                found = user
        return found


def _range(bounds: tuple[int, int]) -> Any:
    # Ranges are checked by the out-of-range lint rule, which names the API's limits.
    return Field(json_schema_extra={"minimum": bounds[0], "maximum": bounds[1]})


class RelayRef(_Model):
    """Relay through a declared SMTP2GO user: host, port, username and password come from it."""

    smtp2go_user: UsernameRef
    """Username of an SMTP user declared under smtp2go.smtp_users."""
    port: Annotated[Port, Field(json_schema_extra={"enum": list(SMTP2GO_PORTS)})] = 587
    """587, 2525, 8025, 25 or 80 (STARTTLS); 465, 8465 or 443 (implicit TLS)."""
    host: Hostname | None = None
    """Override the relay host, e.g. mail-eu2.smtp2go.com. Default: the account region's relay."""


class SmtpSettings(_Model):
    """Auth > SMTP settings of a Supabase project. Give `relay` or host/port/user/password."""

    # A project's relay replaces the defaults' explicit server and the other way round.
    ALTERNATIVES: ClassVar[tuple[frozenset[str], ...]] = (
        frozenset({"relay"}),
        frozenset({"host", "port", "user", "password"}),
    )

    enabled: bool = True
    """false turns custom SMTP off (Supabase then uses its built-in mailer)."""
    relay: RelayRef | None = None
    """Use a declared SMTP2GO user; excludes host, port, user and password."""
    host: Hostname | None = None
    """SMTP host for a relay not declared here."""
    port: Port | None = None
    """SMTP port for a relay not declared here."""
    user: Login | None = None
    """SMTP username for a relay not declared here."""
    password: ApiSecretRef | None = None
    """SMTP password for a relay not declared here: env(NAME) reads an environment
    variable; file(PATH) reads a file relative to karto.yaml. Never a literal."""
    admin_email: Email | None = None
    """The From address of auth mail; must be a verified sender on SMTP2GO."""
    sender_name: DisplayName | None = None
    """The From display name."""
    max_frequency: Annotated[int, _range(MAX_FREQUENCY_RANGE)] | None = None
    """Minimum seconds between two emails to one user (0..32767)."""
    rate_limit_email_sent: Annotated[int, _range(RATE_LIMIT_EMAIL_SENT_RANGE)] | None = None
    """Auth emails per hour for the whole project (1..2147483647).
    Supabase sets 30 when custom SMTP is turned on in the dashboard."""


class EmailTemplate(_Model):
    """One Auth email: its subject and its HTML body, both Go templates."""

    ALTERNATIVES: ClassVar[tuple[frozenset[str], ...]] = (
        frozenset({"content"}),
        frozenset({"content_path"}),
    )

    subject: str | None = None
    """Subject line, a template too (e.g. '{{ .Token }} is your code'). Auth sends its
    default subject when this is empty."""
    content_path: Annotated[str, Field(min_length=1)] | None = None
    """HTML file holding the body, relative to the folder of karto.yaml (always)."""
    content: str | None = None
    """The HTML body written inline, instead of content_path."""

    @model_validator(mode="after")
    def _one_body(self) -> EmailTemplate:
        if self.content is not None and self.content_path is not None:
            raise PydanticCustomError(
                "content_conflict", "content and content_path are alternatives; keep one"
            )
        return self


class EmailNotification(EmailTemplate):
    """A security notification: whether Auth sends it, its subject and its body."""

    enabled: bool | None = None
    """true: Auth mails the user when this happens; false: it does not."""


class EmailTemplates(_Model):
    """Auth emails that carry a link or a code, by their Management API names."""

    confirmation: EmailTemplate | None = None
    """Sign-up confirmation."""
    invite: EmailTemplate | None = None
    """Invitation of a new user."""
    magic_link: EmailTemplate | None = None
    """Passwordless sign-in link."""
    recovery: EmailTemplate | None = None
    """Password reset."""
    email_change: EmailTemplate | None = None
    """Confirmation of a new email address."""
    reauthentication: EmailTemplate | None = None
    """One-time code before a sensitive action."""


class EmailNotifications(_Model):
    """Security notifications, by their Management API names."""

    password_changed: EmailNotification | None = None
    """The password was changed."""
    email_changed: EmailNotification | None = None
    """The email address was changed (sent to the old address)."""
    phone_changed: EmailNotification | None = None
    """The phone number was changed."""
    identity_linked: EmailNotification | None = None
    """A sign-in method (identity provider) was linked."""
    identity_unlinked: EmailNotification | None = None
    """A sign-in method was removed."""
    mfa_factor_enrolled: EmailNotification | None = None
    """An MFA factor was added."""
    mfa_factor_unenrolled: EmailNotification | None = None
    """An MFA factor was removed."""


class OtpSettings(_Model):
    """One-time codes and links sent by email."""

    expiry: Annotated[int, _range(OTP_EXPIRY_RANGE)] | None = None
    """Seconds an emailed code or link stays valid (mailer_otp_exp)."""
    length: Annotated[int, _range(OTP_LENGTH_RANGE)] | None = None
    """Digits in an emailed code, 6..10 (mailer_otp_length)."""


class EmailSettings(_Model):
    """Auth email content and behaviour. Keys left out are not managed."""

    templates: EmailTemplates | None = None
    """Subjects and bodies of the emails that carry a link or a code."""
    notifications: EmailNotifications | None = None
    """Security notifications: on/off, subject and body."""
    otp: OtpSettings | None = None
    """Expiry and length of emailed codes."""
    secure_email_change: bool | None = None
    """true: an email change must be confirmed from both the old and the new address."""


class LinkSettings(_Model):
    """Where the links in Auth emails lead."""

    site_url: LinkUrl | None = None
    """The app's URL: the default redirect after a link is followed, and {{ .SiteURL }}
    in templates. Supabase's default is http://localhost:3000."""
    redirect_urls: list[LinkUrl] | None = None
    """Other URLs a link may redirect to (the allow list; wildcards like
    https://*.example.com/** allowed). This list replaces the live one."""


class AuthConfig(_Model):
    """Supabase Auth settings managed by karto-smtp."""

    smtp: SmtpSettings | None = None
    """Custom SMTP. Omitted: the project's SMTP settings are not managed."""
    email: EmailSettings | None = None
    """Email templates, notifications and codes. Omitted: not managed."""
    links: LinkSettings | None = None
    """Site URL and redirect allow list. Omitted: not managed."""


class ProjectConfig(_Model):
    """One Supabase project (an environment)."""

    ref: ProjectRef
    """The project ref: exactly 20 lowercase letters."""
    name: Annotated[str, Field(min_length=1), _plain_text("display_name")]
    """A readable name, used in plans and messages."""
    auth: AuthConfig = Field(default_factory=AuthConfig)
    """Auth settings."""


class SupabaseDefaults(_Model):
    """Settings every project inherits; a project's own value wins."""

    auth: AuthConfig = Field(default_factory=AuthConfig)
    """Auth settings merged under each project's auth: mappings merge key by key, lists
    and single values are replaced by the project's."""


class SupabaseConfig(_Model):
    """Supabase Management API access and the projects to manage."""

    access_token: ApiSecretRef | None = None
    """Personal access token reference, default env(SUPABASE_ACCESS_TOKEN). env(NAME) reads
    an environment variable; file(PATH) reads a file relative to karto.yaml. Never a literal."""
    api_url: SupabaseApiUrl | None = None
    """Management API base URL. Default https://api.supabase.com; SUPABASE_API_URL overrides."""
    defaults: SupabaseDefaults | None = None
    """Settings shared by every project (e.g. staging and production)."""
    projects: list[ProjectConfig] = Field(default_factory=list)
    """Projects whose Auth settings are managed."""

    _default_access_token: SecretRef = PrivateAttr(
        default_factory=lambda: SecretRef.env(SUPABASE_ACCESS_TOKEN_ENV)
    )

    def access_token_ref(self) -> SecretRef:
        """The declared token reference, or env(SUPABASE_ACCESS_TOKEN)."""
        if self.access_token is not None:
            return self.access_token
        return self._default_access_token

    def resolved_api_url(self, environ: Mapping[str, str] | None = None) -> str:
        """SUPABASE_API_URL, else api_url, else https://api.supabase.com, without a trailing /."""
        env = os.environ if environ is None else environ
        url = (
            env_api_url(env, SUPABASE_API_URL_ENV, SUPABASE_DEFAULT_API_URL)
            or self.api_url
            or SUPABASE_DEFAULT_API_URL
        )
        return url.rstrip("/")

    def project(self, ref: str) -> ProjectConfig | None:
        return next((p for p in self.projects if p.ref == ref), None)


class KartoConfig(_Model):
    """karto.yaml: SMTP2GO users and senders, and Supabase Auth SMTP settings, as code."""

    version: Literal[1]
    """Format version; must be 1. A newer format is refused rather than misread."""
    smtp2go: Smtp2goAccountConfig | None = None
    """The SMTP2GO account. Omitted: nothing on SMTP2GO is managed."""
    supabase: SupabaseConfig | None = None
    """Supabase projects. Omitted: nothing on Supabase is managed."""


@dataclass(frozen=True)
class EffectiveSmtp:
    """What a project's Auth SMTP settings should be, with a relay reference expanded."""

    host: str | None
    port: int | None
    user: str | None
    password: SecretRef | None
    admin_email: str | None
    sender_name: str | None
    max_frequency: int | None
    rate_limit_email_sent: int | None
    relay_user: str | None
    enabled: bool = True

    @property
    def via_smtp2go(self) -> bool:
        """True when mail goes through SMTP2GO (a relay reference or an smtp2go.com host)."""
        return self.relay_user is not None or is_smtp2go_host(self.host)


def is_smtp2go_host(host: str | None) -> bool:
    if not host:
        return False
    host = host.lower().rstrip(".")
    return host == "smtp2go.com" or host.endswith(".smtp2go.com")


def _default_auth(config: KartoConfig) -> AuthConfig | None:
    if config.supabase is None or config.supabase.defaults is None:
        return None
    return config.supabase.defaults.auth


def effective_auth(config: KartoConfig, project: ProjectConfig) -> AuthConfig:
    """The project's auth settings with `supabase.defaults.auth` merged under them."""
    merged = merge_over(project.auth, _default_auth(config))
    return merged if merged is not None else AuthConfig()


def auth_written_at(config: KartoConfig, index: int, path: NodePath) -> NodePath:
    """Where the value at `supabase.projects[index].auth.<path>` of the merged settings is
    written: under the project, or under `supabase.defaults.auth`.
    """
    assert config.supabase is not None
    project = config.supabase.projects[index]
    if layer_of(project.auth, _default_auth(config), path) == "base":
        return ("supabase", "defaults", "auth", *path)
    return ("supabase", "projects", index, "auth", *path)


def resolve_smtp(project: ProjectConfig, config: KartoConfig) -> EffectiveSmtp | None:
    """Expand `relay:` into host/port/user/password; None when auth.smtp is not managed.

    Uses the merged settings (`effective_auth`). An undeclared relay user gives
    `password=None` (lint reports it as an error).
    """
    smtp = effective_auth(config, project).smtp
    if smtp is None:
        return None
    common: dict[str, Any] = {
        "admin_email": smtp.admin_email,
        "sender_name": smtp.sender_name,
        "max_frequency": smtp.max_frequency,
        "rate_limit_email_sent": smtp.rate_limit_email_sent,
        "enabled": smtp.enabled,
    }
    if smtp.relay is None:
        return EffectiveSmtp(
            host=smtp.host,
            port=smtp.port,
            user=smtp.user,
            password=smtp.password,
            relay_user=None,
            **common,
        )
    account = config.smtp2go
    user = account.user(smtp.relay.smtp2go_user) if account is not None else None
    default_host = (
        account.relay_host() if account is not None else SMTP2GO_RELAY_BY_REGION["global"]
    )
    return EffectiveSmtp(
        host=smtp.relay.host or default_host,
        port=smtp.relay.port,
        user=smtp.relay.smtp2go_user,
        password=user.password if user is not None else None,
        relay_user=smtp.relay.smtp2go_user,
        **common,
    )
