"""The state of one emulated Supabase user: tokens, organizations, projects, Auth config.

`SupabaseAccount` holds access tokens, organizations, projects with their Auth config, Auth
users and the per-project Auth log. The Management API (`management.py`) and each project's
Auth mail path (`auth.py`) share it.

Behaviour of the Auth config, with its sources and the guesses:
- PATCH validation errors: 400 with class-validator style messages joined by ", "
  (guess: the spec declares no 400; a 400 for an integer `smtp_port` is reported in
  supabase/agent-skills#522);
- `rate_limit_email_sent` while custom SMTP stays off: 400 "Custom SMTP required to
  configure RATE_LIMIT_EMAIL_SENT" (the message is observed, jikig-ai/soleur#5447; that
  report saw status 401, 400 is our guess); switch `email_rate_limit_check`;
- `smtp_host: ""` (or null) turns custom SMTP off and nulls every `smtp_*` key (supabase/cli
  `pkg/config/auth.go`: "Api resets all values when SMTP is disabled");
- secrets (`smtp_pass` and the other write-only keys) come back as hex
  HMAC-SHA256(key=ref, msg=value) (supabase/cli `config-sync.secret.ts` and its test
  vectors); switch `smtp_pass_view` for the masked "****" of 2024
  (terraform-provider-supabase#151);
- a PATCH without `smtp_pass` keeps the stored password (guess); switch
  `partial_smtp_patch`;
- 120 requests per minute per token and project, `X-RateLimit-*` headers (docs, "Rate
  limits"); the 429 body `{"message": "Rate limit exceeded"}` is a guess.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import math
import re
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from karto_sandbox.supabase.auth_defaults import (
    AUTH_CONFIG_DEFAULTS,
    RESPONSE_NOT_NULLABLE,
    UPDATE_FIELD_RULES,
)

REF_PATTERN = re.compile(r"^[a-z]{20}$")
DEFAULT_ORGANIZATION = "karto-sandbox-org"
DEFAULT_REGION = "us-east-1"
DEFAULT_RATE_LIMIT_PER_MINUTE = 120
RATE_LIMIT_WINDOW_SECONDS = 60
AUTH_LOG_LIMIT = 1000
STATE_VERSION = 1

SMTP_KEYS = (
    "smtp_admin_email",
    "smtp_host",
    "smtp_port",
    "smtp_user",
    "smtp_pass",
    "smtp_sender_name",
)
# The members the strict mode wants together when custom SMTP gets turned on; they are
# the keys the Supabase CLI marks required in `[auth.email.smtp]`.
SMTP_REQUIRED_GROUP = ("smtp_host", "smtp_port", "smtp_user", "smtp_pass", "smtp_admin_email")
SMTP_GROUP_MODES = ("lenient", "strict")
# Known unknowns of the real API, as switches (see `AccountOptions`).
EMAIL_RATE_LIMIT_CHECKS = ("after_merge", "before_merge")
SMTP_PASS_VIEWS = ("digest", "masked")
PARTIAL_SMTP_PATCHES = ("keeps_password", "clears_password")
MASKED_SECRET = "****"

# Write-only keys the API returns as a digest: the ones the Supabase CLI and the Terraform
# provider treat as hashed secrets.
SECRET_CONFIG_KEYS: frozenset[str] = frozenset(
    {k for k in AUTH_CONFIG_DEFAULTS if k.endswith("_secret") or k.endswith("_secrets")}
    | {
        "smtp_pass",
        "sms_twilio_auth_token",
        "sms_twilio_verify_auth_token",
        "sms_messagebird_access_key",
        "sms_textlocal_api_key",
    }
)

EMAIL_FORMAT = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PORT_FORMAT = re.compile(r"^[0-9]{1,5}$")


PROJECT_NOT_FOUND = "Project not found"


class SandboxStateError(ValueError):
    """A state file or admin request that does not describe a valid account."""


class AuthConfigError(Exception):
    """A rejected Auth config update; `message` is the API's error text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _copy_config(config: dict[str, Any]) -> dict[str, Any]:
    """A copy a caller may change: the values are scalars, so only containers are copied.

    (`copy.deepcopy` of the ~240 keys, under the store's lock, was most of what a GET of
    /config/auth cost, and serialised 100 concurrent reads.)
    """
    return {
        key: copy.deepcopy(value) if isinstance(value, (dict, list)) else value
        for key, value in config.items()
    }


def secret_digest(ref: str, value: str) -> str:
    """The digest the API returns for a write-only secret: hex HMAC-SHA256 keyed by the ref."""
    return hmac.new(ref.encode(), value.encode(), hashlib.sha256).hexdigest()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_jwt(claims: dict[str, Any], secret: str) -> str:
    """An HS256 JWT, the format of Supabase's legacy API keys and session tokens."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


def smtp_enabled(config: dict[str, Any]) -> bool:
    """Custom SMTP is on exactly when `smtp_host` is set (the Supabase CLI's rule)."""
    return bool(config.get("smtp_host"))


def _iso_now(clock: Callable[[], float]) -> str:
    moment = datetime.fromtimestamp(clock(), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# -- PATCH validation ---------------------------------------------------------------------


def _type_error(key: str, expected: str) -> str:
    return {
        "string": f"{key} must be a string",
        "integer": f"{key} must be an integer number",
        "number": f"{key} must be a number conforming to the specified constraints",
        "boolean": f"{key} must be a boolean value",
    }[expected]


def _check_field(key: str, value: Any, rule: dict[str, Any]) -> str | None:
    expected = rule["type"]
    if value is None:
        return None if rule["nullable"] else _type_error(key, expected)
    if expected == "string" and not isinstance(value, str):
        return _type_error(key, expected)
    if expected == "boolean" and not isinstance(value, bool):
        return _type_error(key, expected)
    if expected in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _type_error(key, expected)
        if expected == "integer" and isinstance(value, float) and not value.is_integer():
            return _type_error(key, expected)
        if "minimum" in rule and value < rule["minimum"]:
            return f"{key} must not be less than {rule['minimum']}"
        if "maximum" in rule and value > rule["maximum"]:
            return f"{key} must not be greater than {rule['maximum']}"
    if "enum" in rule and value not in rule["enum"]:
        return f"{key} must be one of the following values: {', '.join(map(str, rule['enum']))}"
    fmt = rule.get("format")
    if fmt == "email" and not EMAIL_FORMAT.match(value):
        return f"{key} must be an email"
    if fmt == "date-time":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return f"{key} must be a valid ISO 8601 date string"
    if "pattern" in rule and re.search(rule["pattern"], value) is None:
        return f"{key} must match /{rule['pattern']}/ regular expression"
    return None


def validate_auth_config_patch(body: Any) -> list[str]:
    """Problems with a PATCH /config/auth body, in body order; empty when it is valid."""
    if not isinstance(body, dict):
        return ["request body must be a JSON object"]
    problems: list[str] = []
    for key, value in body.items():
        rule = UPDATE_FIELD_RULES.get(key)
        if rule is None:
            problems.append(f"property {key} should not exist")
            continue
        problem = _check_field(key, value, rule)
        if problem is not None:
            problems.append(problem)
    port = body.get("smtp_port")
    if (
        isinstance(port, str)
        and port != ""
        and (not _PORT_FORMAT.match(port) or not 0 < int(port) < 65536)
    ):
        problems.append("smtp_port must be a valid port number")
    return problems


def _normalise_numbers(body: dict[str, Any]) -> dict[str, Any]:
    """JSON 5.0 is the integer 5 for the API (it runs on JavaScript numbers)."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if UPDATE_FIELD_RULES[key]["type"] == "integer" and isinstance(value, float):
            value = int(value)
        out[key] = value
    return out


# -- state --------------------------------------------------------------------------------


@dataclass
class Project:
    ref: str
    name: str
    organization_id: str
    region: str
    created_at: str
    status: str
    jwt_secret: str
    anon_key: str
    service_role_key: str
    auth_config: dict[str, Any]
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # by lower-case email
    auth_log: list[dict[str, Any]] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        """The `V1ProjectWithDatabaseResponse` body."""
        return {
            "id": self.ref,
            "ref": self.ref,
            "organization_id": self.organization_id,
            "organization_slug": self.organization_id,
            "name": self.name,
            "region": self.region,
            "created_at": self.created_at,
            "status": self.status,
            "database": {
                "host": f"db.{self.ref}.supabase.co",
                "version": "17.4.1.054",
                "postgres_engine": "17",
                "release_channel": "ga",
            },
        }


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset_seconds: int
    allowed: bool

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }


@dataclass
class _Window:
    started: float
    count: int = 0


@dataclass
class AccountOptions:
    """Switches for behaviour the public sources leave open; the defaults are our best guess.

    email_rate_limit_check  "after_merge": `rate_limit_email_sent` needs custom SMTP on in
                            the config as it would be after the PATCH; "before_merge":
                            custom SMTP must also be on already before the PATCH (turning
                            it on in the same PATCH is not enough).
    smtp_pass_view          "digest": hex HMAC-SHA256 keyed by the ref (today's API);
                            "masked": "****" when set, null when not (the API of Sept 2024,
                            terraform-provider-supabase#151).
    partial_smtp_patch      "keeps_password": a PATCH without `smtp_pass` keeps it;
                            "clears_password": a PATCH with any other `smtp_*` key and no
                            `smtp_pass` nulls the stored password, as if the whole SMTP
                            block were replaced (a third-party report, research section 1).
    """

    rate_limit_enabled: bool = True
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE
    smtp_group_mode: str = "lenient"
    email_rate_limit_check: str = "after_merge"
    smtp_pass_view: str = "digest"
    partial_smtp_patch: str = "keeps_password"

    def validated(self) -> AccountOptions:
        if not isinstance(self.rate_limit_enabled, bool):
            raise SandboxStateError("rate_limit_enabled must be a boolean")
        if (
            isinstance(self.rate_limit_per_minute, bool)
            or not isinstance(self.rate_limit_per_minute, int)
            or self.rate_limit_per_minute < 1
        ):
            raise SandboxStateError("rate_limit_per_minute must be a positive integer")
        if self.smtp_group_mode not in SMTP_GROUP_MODES:
            raise SandboxStateError("smtp_group_mode must be 'lenient' or 'strict'")
        for name, allowed in (
            ("email_rate_limit_check", EMAIL_RATE_LIMIT_CHECKS),
            ("smtp_pass_view", SMTP_PASS_VIEWS),
            ("partial_smtp_patch", PARTIAL_SMTP_PATCHES),
        ):
            if getattr(self, name) not in allowed:
                raise SandboxStateError(f"{name} must be {' or '.join(repr(a) for a in allowed)}")
        return self


class SupabaseAccount:
    """Thread-safe state of one Supabase user: tokens, organizations, projects, options."""

    def __init__(
        self,
        *,
        rate_limit_enabled: bool = True,
        rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE,
        smtp_group_mode: str = "lenient",
        tokens: Iterable[str] = (),
        clock: Callable[[], float] = time.time,
        rate_limit: bool | None = None,
    ) -> None:
        # `rate_limit` is the short name the stack passes; it wins when given.
        if rate_limit is not None:
            rate_limit_enabled = rate_limit
        self._lock = threading.RLock()
        self.clock = clock
        self._options = AccountOptions(
            rate_limit_enabled, rate_limit_per_minute, smtp_group_mode
        ).validated()
        self._tokens: set[str] = set(tokens)
        self._organizations: dict[str, dict[str, Any]] = {}
        self._projects: dict[str, Project] = {}
        self._windows: dict[tuple[str, str], _Window] = {}
        self._email_sends: dict[str, deque[float]] = {}
        self.add_organization(DEFAULT_ORGANIZATION, "Karto Sandbox")

    # -- options ----------------------------------------------------------------------------
    @property
    def rate_limit_enabled(self) -> bool:
        return self._options.rate_limit_enabled

    @property
    def rate_limit_per_minute(self) -> int:
        return self._options.rate_limit_per_minute

    @property
    def smtp_group_mode(self) -> str:
        return self._options.smtp_group_mode

    def options(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self._options)

    def set_options(self, **changes: Any) -> dict[str, Any]:
        """Change some options; raises SandboxStateError on an unknown or invalid one."""
        with self._lock:
            current = asdict(self._options)
            unknown = set(changes) - set(current)
            if unknown:
                raise SandboxStateError(f"unknown options: {sorted(unknown)}")
            self._options = AccountOptions(**{**current, **changes}).validated()
            self._windows.clear()
            return asdict(self._options)

    # -- tokens and organizations -----------------------------------------------------------
    def add_token(self, token: str) -> None:
        if not token:
            raise SandboxStateError("token must be a non-empty string")
        with self._lock:
            self._tokens.add(token)

    def has_token(self, token: str) -> bool:
        with self._lock:
            return token in self._tokens

    def add_organization(self, organization_id: str, name: str) -> None:
        if not re.fullmatch(r"[\w-]+", organization_id):
            raise SandboxStateError(f"invalid organization id {organization_id!r}")
        with self._lock:
            self._organizations.setdefault(organization_id, {"name": name, "members": []})

    def add_team_member(self, email: str, organization_id: str = DEFAULT_ORGANIZATION) -> None:
        """An address the built-in mailer may send to (hosted: the organization's members)."""
        with self._lock:
            organization = self._organizations.get(organization_id)
            if organization is None:
                raise SandboxStateError(f"unknown organization {organization_id!r}")
            if email.lower() not in organization["members"]:
                organization["members"].append(email.lower())

    def is_team_member(self, ref: str, email: str) -> bool:
        with self._lock:
            project = self._require(ref)
            members = self._organizations[project.organization_id]["members"]
            # GoTrue accepts labelled addresses (name+label@host) of an authorized address.
            normalised = re.sub(r"\+[^@]+@", "@", email.lower())
            return normalised in members

    # -- projects ---------------------------------------------------------------------------
    def add_project(
        self,
        ref: str,
        name: str,
        *,
        organization_id: str = DEFAULT_ORGANIZATION,
        region: str = DEFAULT_REGION,
        created_at: str | None = None,
    ) -> dict[str, Any]:
        """Create a project with a new project's default Auth config; returns its summary."""
        if not isinstance(ref, str) or not REF_PATTERN.match(ref):
            raise SandboxStateError(f"project ref must be 20 lower-case letters, got {ref!r}")
        if not isinstance(name, str) or not name:
            raise SandboxStateError("project name must be a non-empty string")
        jwt_secret = secrets.token_urlsafe(32)
        issued = int(self.clock())

        def key(role: str) -> str:
            claims = {
                "iss": "supabase",
                "ref": ref,
                "role": role,
                "iat": issued,
                "exp": issued + 10 * 365 * 24 * 3600,
            }
            return sign_jwt(claims, jwt_secret)

        with self._lock:
            if ref in self._projects:
                raise SandboxStateError(f"project {ref} already exists")
            if organization_id not in self._organizations:
                self.add_organization(organization_id, organization_id)
            self._projects[ref] = Project(
                ref=ref,
                name=name,
                organization_id=organization_id,
                region=region,
                created_at=created_at or _iso_now(self.clock),
                status="ACTIVE_HEALTHY",
                jwt_secret=jwt_secret,
                anon_key=key("anon"),
                service_role_key=key("service_role"),
                auth_config=copy.deepcopy(AUTH_CONFIG_DEFAULTS),
            )
            return self.project_summary(ref)

    def _require(self, ref: str) -> Project:
        project = self._projects.get(ref)
        if project is None:
            raise KeyError(ref)
        return project

    def has_project(self, ref: str) -> bool:
        with self._lock:
            return ref in self._projects

    def project_summary(self, ref: str) -> dict[str, Any]:
        """Ref, name, organization, region and the two API keys (for tests and the sandbox)."""
        with self._lock:
            project = self._require(ref)
            return {
                "ref": project.ref,
                "name": project.name,
                "organization_id": project.organization_id,
                "region": project.region,
                "anon_key": project.anon_key,
                "service_role_key": project.service_role_key,
            }

    def project_view(self, ref: str) -> dict[str, Any]:
        with self._lock:
            return self._require(ref).view()

    def project_views(self) -> list[dict[str, Any]]:
        with self._lock:
            return [p.view() for p in self._projects.values()]

    def project_summaries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self.project_summary(ref) for ref in self._projects]

    def branches(self, ref: str) -> list[dict[str, Any]]:
        """The `BranchResponse` list: the project's own default branch, "main"."""
        with self._lock:
            project = self._require(ref)
            return [
                {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"supabase-branch:{ref}:main")),
                    "name": "main",
                    "project_ref": ref,
                    "parent_project_ref": ref,
                    "is_default": True,
                    "persistent": True,
                    "status": "FUNCTIONS_DEPLOYED",
                    "created_at": project.created_at,
                    "updated_at": project.created_at,
                    "with_data": False,
                }
            ]

    def api_keys(self, ref: str) -> list[dict[str, Any]]:
        """The `ApiKeyResponse` list: the legacy anon and service_role keys."""
        with self._lock:
            project = self._require(ref)
            return [
                {
                    "name": role,
                    "api_key": value,
                    "id": role,
                    "type": "legacy",
                    "prefix": None,
                    "description": description,
                    "hash": None,
                    "secret_jwt_template": None,
                    "inserted_at": None,
                    "updated_at": None,
                }
                for role, value, description in (
                    ("anon", project.anon_key, "Legacy anon API key"),
                    ("service_role", project.service_role_key, "Legacy service_role API key"),
                )
            ]

    def api_key_role(self, ref: str, key: str) -> str | None:
        """ "anon" or "service_role" when `key` is one of the project's keys, else None."""
        with self._lock:
            project = self._require(ref)
            if hmac.compare_digest(key, project.anon_key):
                return "anon"
            if hmac.compare_digest(key, project.service_role_key):
                return "service_role"
            return None

    def jwt_secret(self, ref: str) -> str:
        with self._lock:
            return self._require(ref).jwt_secret

    # -- Auth config ------------------------------------------------------------------------
    def auth_config(self, ref: str) -> dict[str, Any]:
        """Internal view for the Auth mail path: plaintext secrets included."""
        with self._lock:
            return _copy_config(self._require(ref).auth_config)

    def public_auth_config(self, ref: str) -> dict[str, Any]:
        """What GET /config/auth returns: every key, secrets as digests."""
        with self._lock:
            project = self._require(ref)
            return self._public(project)

    def _public(self, project: Project) -> dict[str, Any]:
        view = _copy_config(project.auth_config)
        for key in SECRET_CONFIG_KEYS:
            value = view.get(key)
            if value:
                view[key] = secret_digest(project.ref, value)
        if self._options.smtp_pass_view == "masked":
            view["smtp_pass"] = MASKED_SECRET if project.auth_config.get("smtp_pass") else None
        return view

    def update_auth_config(self, ref: str, body: Any) -> dict[str, Any]:
        """Apply a PATCH /config/auth body; returns the new public config.

        Raises KeyError for an unknown ref and AuthConfigError for a rejected body.
        """
        problems = validate_auth_config_patch(body)
        if problems:
            raise AuthConfigError(400, ", ".join(problems))
        changes = _normalise_numbers(body)
        with self._lock:
            project = self._require(ref)
            current = project.auth_config
            updated = dict(current)
            for key, value in changes.items():
                if value is None and key in RESPONSE_NOT_NULLABLE:
                    value = AUTH_CONFIG_DEFAULTS[key]
                updated[key] = value
            disabling = "smtp_host" in changes and not changes["smtp_host"]
            if disabling:
                for key in SMTP_KEYS:
                    updated[key] = None
            elif self._options.smtp_group_mode == "strict" and not smtp_enabled(current):
                touched = [k for k in SMTP_REQUIRED_GROUP if k in changes]
                missing = [k for k in SMTP_REQUIRED_GROUP if not changes.get(k)]
                if touched and missing:
                    raise AuthConfigError(
                        400,
                        "Custom SMTP needs smtp_host, smtp_port, smtp_user, smtp_pass and "
                        f"smtp_admin_email together; missing: {', '.join(missing)}",
                    )
            replaces_smtp_block = any(
                key.startswith("smtp_") and key != "smtp_pass" for key in changes
            )
            if (
                self._options.partial_smtp_patch == "clears_password"
                and replaces_smtp_block
                and "smtp_pass" not in changes
            ):
                updated["smtp_pass"] = None
            smtp_on = smtp_enabled(updated)
            if self._options.email_rate_limit_check == "before_merge":
                smtp_on = smtp_on and smtp_enabled(current)
            if changes.get("rate_limit_email_sent") is not None and not smtp_on:
                raise AuthConfigError(
                    400, "Custom SMTP required to configure RATE_LIMIT_EMAIL_SENT"
                )
            project.auth_config = updated
            return self._public(project)

    # -- Auth users, mail bookkeeping and log -----------------------------------------------
    def get_user(self, ref: str, email: str) -> dict[str, Any] | None:
        with self._lock:
            user = self._require(ref).users.get(email.lower())
            return copy.deepcopy(user) if user is not None else None

    def users(self, ref: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._require(ref).users.values()))

    def put_user(self, ref: str, user: dict[str, Any]) -> None:
        with self._lock:
            self._require(ref).users[user["email"].lower()] = copy.deepcopy(user)

    def add_user(
        self,
        ref: str,
        email: str,
        *,
        confirmed: bool = True,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create an Auth user (confirmed: signed up and verified) with its user metadata,
        which Auth's email templates see as `.Data`."""
        if not isinstance(email, str) or not EMAIL_FORMAT.match(email):
            raise SandboxStateError(f"invalid email address {email!r}")
        user = new_user(email, self.clock(), metadata)
        if confirmed:
            confirm_user(user)
        with self._lock:
            self._require(ref)
            self.put_user(ref, user)
        return user

    def take_email_send_slot(self, ref: str, per_hour: int) -> bool:
        """Count one email against the project's hourly limit; False when it is used up."""
        now = self.clock()
        with self._lock:
            self._require(ref)
            sends = self._email_sends.setdefault(ref, deque())
            while sends and sends[0] <= now - 3600:
                sends.popleft()
            if len(sends) >= per_hour:
                return False
            sends.append(now)
            return True

    def append_auth_log(self, ref: str, entry: dict[str, Any]) -> None:
        with self._lock:
            log = self._require(ref).auth_log
            log.append({"timestamp": _iso_now(self.clock), **entry})
            del log[:-AUTH_LOG_LIMIT]

    def auth_log(self, ref: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._require(ref).auth_log)

    # -- Management API rate limit ----------------------------------------------------------
    def consume_rate_limit(self, token: str, scope: str) -> RateLimitState | None:
        """Count one request by `token` on `scope` (a ref, or "*"); None when limits are off."""
        return self._rate_limit(token, scope, consume=True)

    def peek_rate_limit(self, token: str, scope: str) -> RateLimitState | None:
        return self._rate_limit(token, scope, consume=False)

    def _rate_limit(self, token: str, scope: str, *, consume: bool) -> RateLimitState | None:
        with self._lock:
            if not self._options.rate_limit_enabled:
                return None
            limit = self._options.rate_limit_per_minute
            now = self.clock()
            window = self._windows.get((token, scope))
            if window is None or now - window.started >= RATE_LIMIT_WINDOW_SECONDS:
                window = _Window(started=now)
                if consume:
                    self._windows[(token, scope)] = window
            if consume:
                window.count += 1
            reset = max(1, math.ceil(window.started + RATE_LIMIT_WINDOW_SECONDS - now))
            return RateLimitState(
                limit=limit,
                remaining=max(0, limit - window.count),
                reset_seconds=reset,
                allowed=window.count <= limit,
            )

    # -- persistence ------------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "version": STATE_VERSION,
                "options": asdict(self._options),
                "tokens": sorted(self._tokens),
                "organizations": copy.deepcopy(self._organizations),
                "projects": {ref: asdict(p) for ref, p in self._projects.items()},
            }

    def load_state(self, state: dict[str, Any]) -> None:
        """Replace the whole account with a `to_state()` snapshot."""
        try:
            if state.get("version") != STATE_VERSION:
                raise SandboxStateError(f"unsupported state version {state.get('version')!r}")
            options = AccountOptions(**state["options"]).validated()
            tokens = {str(t) for t in state["tokens"]}
            organizations = copy.deepcopy(dict(state["organizations"]))
            projects: dict[str, Project] = {}
            for ref, data in state["projects"].items():
                project = Project(**copy.deepcopy(data))
                if ref != project.ref or not REF_PATTERN.match(ref):
                    raise SandboxStateError(f"invalid project ref {ref!r}")
                missing = set(AUTH_CONFIG_DEFAULTS) - set(project.auth_config)
                for key in missing:
                    project.auth_config[key] = copy.deepcopy(AUTH_CONFIG_DEFAULTS[key])
                projects[ref] = project
        except (KeyError, TypeError, AttributeError) as exc:
            raise SandboxStateError(f"invalid Supabase sandbox state: {exc!r}") from exc
        with self._lock:
            self._options = options
            self._tokens = tokens
            self._organizations = organizations
            self._projects = projects
            self._windows.clear()
            self._email_sends.clear()


def new_user(email: str, now: float, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """A fresh, unconfirmed Auth user record with its user metadata."""
    created = datetime.fromtimestamp(now, tz=UTC).isoformat()
    return {
        "id": str(uuid.uuid4()),
        "email": email.lower(),
        "created_at": created,
        "confirmed_at": None,
        "confirmation_token": None,
        "confirmation_sent_at": None,
        "recovery_token": None,
        "recovery_sent_at": None,
        "user_metadata": dict(metadata or {}),
    }


def confirm_user(user: dict[str, Any]) -> None:
    """Confirm `user` as GoTrue's User.Confirm does, which records the check in the metadata."""
    user["confirmed_at"] = user["created_at"]
    user["user_metadata"] = {**user.get("user_metadata", {}), "email_verified": True}
