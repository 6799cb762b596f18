"""The state of one emulated SMTP2GO account, shared by the API emulator and the SMTP relay.

Everything here is guarded by one re-entrant lock, so the HTTP threads, the relay's event
loop and test code can use the same `Smtp2goAccount` at once.

Persistence: `to_state()` / `load_state()` use plain JSON-able dicts. SMTP passwords and
API keys are kept in clear text there on purpose: the file is the emulated server's own
storage (it must answer AUTH, CRAM-MD5 included, and `password_echo="echo"`), never a
client's output.

Behaviour the public sources leave open is decided here and marked "sandbox choice"; the
list of those choices is in the module docstring of `responses.py`.
"""

from __future__ import annotations

import copy
import hmac
import math
import random
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from karto_sandbox.dns.zone import DnsZone, normalise_name

API_EXCEPTION = "API_EXCEPTION"
NON_VALIDATING_IN_PAYLOAD = "NON_VALIDATING_IN_PAYLOAD"
ENDPOINT_PERMISSION_DENIED = "ENDPOINT_PERMISSION_DENIED"
REQ_LIMIT_EXCEEDED = "REQ_LIMIT_EXCEEDED"

PAYLOAD_ERROR = (
    "An error occurred processing the json data you sent with the request. "
    "Please correct your JSON payload and try again."
)
PERMISSION_DENIED_ERROR = "You do not have permission to access this API endpoint"
NO_API_KEY_ERROR = "No valid API key provided."
UNKNOWN_API_KEY_ERROR = "An API User matching the passed 'api_key' was not found"

PASSWORD_ECHO_MODES = ("echo", "mask", "omit")
# Where the relay refuses mail from an unverified sender: after the message's From header
# was read (the reply names the header) or already at MAIL FROM.
SENDER_CHECKS = ("data", "mail_from")
PASSWORD_MASK = "********"
UNKNOWN_KEY_STATUSES = (401, 500)
USER_STATUSES = ("allowed", "blocked", "sandbox")
MIN_PASSWORD_BITS = 64.0
USERNAME_LENGTH = (5, 100)
MAX_RATELIMIT_VALUE = 2_147_483_647
UNSET_RATELIMIT_PERIOD = "0:00:00"

DKIM_TARGET = "dkim.smtp2go.net"
RPATH_TARGET = "return.smtp2go.net"
TRACK_TARGET = "track.smtp2go.net"
DEFAULT_TRACKER = "link"
SETUP_LINK_BASE = "https://app.smtp2go.sandbox.invalid/domain-setup/"

STATE_VERSION = 1

_USERNAME_RE = re.compile(r"[A-Za-z0-9._\-@]+")
_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_EMAIL_LOCAL_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+")
_PERIOD_RE = re.compile(
    r"(?:(?P<count>\d+)\s*(?P<unit>hours?|days?|weeks?|months?))?"
    r"\s*,?\s*(?P<clock>\d+:[0-5]\d:[0-5]\d)?"
)
# Sandbox choice: a tiny stand-in for the public suffix list, enough to split
# "example.co.uk" into domain "example" and suffix "co.uk".
_SECOND_LEVEL_LABELS = frozenset({"ac", "co", "com", "edu", "gov", "net", "org"})


class ApiFailure(Exception):
    """An API-level refusal: rendered as SMTP2GO's error envelope by the HTTP layer."""

    def __init__(
        self,
        error_code: str,
        message: str,
        *,
        status: int = 400,
        field_name: str | None = None,
        field_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.status = status
        self.field_name = field_name
        self.field_message = field_message


def invalid_field(field_name: str, message: str) -> ApiFailure:
    return ApiFailure(
        NON_VALIDATING_IN_PAYLOAD, PAYLOAD_ERROR, field_name=field_name, field_message=message
    )


# -- value rules ----------------------------------------------------------------------
def is_email(value: str) -> bool:
    """A practical address check: local@domain with a dotted, alphabetic-TLD domain."""
    if len(value) > 254 or value.count("@") != 1:
        return False
    local, _, domain = value.partition("@")
    return (
        bool(_EMAIL_LOCAL_RE.fullmatch(local))
        and not local.startswith(".")
        and not local.endswith(".")
        and ".." not in local
        and normalize_domain(domain) is not None
    )


def normalize_domain(value: str) -> str | None:
    """The lower-case host name, or None when `value` is not a dotted DNS name."""
    name = normalise_name(value)
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not labels[-1].isalpha():
        return None
    if not all(_LABEL_RE.fullmatch(label) for label in labels):
        return None
    return name


def split_domain(fulldomain: str) -> tuple[str, str, str]:
    """(subdomain, registrable label, suffix) of a normalised host name."""
    labels = fulldomain.split(".")
    suffix_len = 1
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL_LABELS:
        suffix_len = 2
    suffix = ".".join(labels[-suffix_len:])
    name = labels[-suffix_len - 1]
    subdomain = ".".join(labels[: -suffix_len - 1])
    return subdomain, name, suffix


def password_entropy_bits(password: str) -> float:
    """Estimated entropy: length x log2(size of the character classes the password uses).

    Classes: a-z (26), A-Z (26), 0-9 (10), anything else (33, the printable ASCII symbols).
    SMTP2GO documents the 64-bit threshold but not its estimator; this one is ours.
    """
    pool = 0
    if any(c in string.ascii_lowercase for c in password):
        pool += 26
    if any(c in string.ascii_uppercase for c in password):
        pool += 26
    if any(c in string.digits for c in password):
        pool += 10
    if any(c not in string.ascii_letters + string.digits for c in password):
        pool += 33
    return len(password) * math.log2(pool) if pool else 0.0


def generate_password() -> str:
    """A generated SMTP password: 32 URL-safe characters, 192 random bits."""
    return secrets.token_urlsafe(24)


def _valid_period(value: str) -> bool:
    match = _PERIOD_RE.fullmatch(value.strip())
    return bool(match and (match["count"] or match["clock"]))


def _endpoint_allowed(patterns: list[str], endpoint: str) -> bool:
    for pattern in patterns:
        normalized = pattern if pattern.startswith("/") or pattern == "*" else "/" + pattern
        if normalized == "*" or normalized == endpoint:
            return True
        if normalized.endswith("/*") and endpoint.startswith(normalized[:-1]):
            return True
    return False


# -- records --------------------------------------------------------------------------
@dataclass
class SmtpUser:
    """One SMTP user as stored. Attribute names are the API's response names."""

    username: str
    email_password: str
    description: str = ""
    custom_ratelimit: bool = False
    custom_ratelimit_value: int | None = None
    custom_ratelimit_period: str | None = None
    ippool: int | None = None
    feedback_enabled: bool = False
    feedback_domain: str = "default"
    feedback_html: str = ""
    feedback_text: str = ""
    open_tracking_enabled: bool = False
    click_tracking_enabled: bool = False
    archive_enabled: bool = False
    audit_email: str | None = None
    bounce_notifications: str = "from"
    status: str = "allowed"


USER_SETTINGS = tuple(
    f.name for f in fields(SmtpUser) if f.name not in ("username", "email_password")
)


@dataclass
class SingleSender:
    email_address: str
    verified: bool = False


@dataclass
class DnsCheck:
    """One CNAME SMTP2GO looks for: the live `*_verified`, `*_value`, `*_status` triple."""

    verified: bool = False
    value: str = ""
    status: str = ""


@dataclass
class Tracker:
    label: str
    enabled: bool
    check: DnsCheck = field(default_factory=DnsCheck)


@dataclass
class SenderDomain:
    fulldomain: str
    number: int
    dkim_selector: str
    rpath_selector: str
    dkim: DnsCheck = field(default_factory=DnsCheck)
    rpath: DnsCheck = field(default_factory=DnsCheck)
    trackers: list[Tracker] = field(default_factory=list)
    subaccounts: list[Any] = field(default_factory=list)
    future_subaccounts: bool = False

    @property
    def verified(self) -> bool:
        # Sending needs DKIM and return-path; a tracker only matters for tracking links.
        return self.dkim.verified and self.rpath.verified

    def as_api(self, setup_link: str, *, view: bool = False) -> dict[str, Any]:
        subdomain, name, suffix = split_domain(self.fulldomain)
        trackers = []
        for tracker in self.trackers:
            tracker_host = f"{tracker.label}.{self.fulldomain}"
            tracker_sub, _, _ = split_domain(tracker_host)
            trackers.append(
                {
                    "fulldomain": tracker_host,
                    "subdomain": tracker_sub,
                    "domain": name,
                    "suffix": suffix,
                    "cname_verified": tracker.check.verified,
                    "cname_status": tracker.check.status,
                    "cname_value": tracker.check.value,
                    "cname_expected": TRACK_TARGET,
                    "enabled": tracker.enabled,
                }
            )
        entry: dict[str, Any] = {"from_master": False} if view else {}
        return entry | {
            "domain": {
                "fulldomain": self.fulldomain,
                "subdomain": subdomain,
                "domain": name,
                "suffix": suffix,
                "dkim_selector": self.dkim_selector,
                "dkim_verified": self.dkim.verified,
                "dkim_status": self.dkim.status,
                "dkim_value": self.dkim.value,
                "dkim_expected": DKIM_TARGET,
                "rpath_selector": self.rpath_selector,
                "rpath_verified": self.rpath.verified,
                "rpath_status": self.rpath.status,
                "rpath_value": self.rpath.value,
                "rpath_expected": RPATH_TARGET,
                "setup_link": setup_link,
            },
            "trackers": trackers,
            "subaccount_access": {
                "subaccounts": list(self.subaccounts),
                "future_subaccounts": self.future_subaccounts,
            },
        }

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> SenderDomain:
        raw = dict(data)
        raw["dkim"] = DnsCheck(**raw.get("dkim", {}))
        raw["rpath"] = DnsCheck(**raw.get("rpath", {}))
        raw["trackers"] = [
            Tracker(t["label"], t["enabled"], DnsCheck(**t.get("check", {})))
            for t in raw.get("trackers", [])
        ]
        return cls(**raw)


@dataclass
class RateLimit:
    """A token bucket: `requests` calls per `per_seconds`, refilled continuously."""

    requests: int
    per_seconds: float

    @classmethod
    def from_json(cls, data: Any) -> RateLimit | None:
        if data is None or data is False:
            return None
        if not isinstance(data, Mapping) or set(data) != {"requests", "per_seconds"}:
            raise ValueError("rate_limit must be null or {requests, per_seconds}")
        requests, per_seconds = data["requests"], data["per_seconds"]
        if not isinstance(requests, int) or isinstance(requests, bool) or requests < 1:
            raise ValueError("rate_limit.requests must be a positive integer")
        if not isinstance(per_seconds, int | float) or isinstance(per_seconds, bool):
            raise ValueError("rate_limit.per_seconds must be a number")
        if per_seconds <= 0:
            raise ValueError("rate_limit.per_seconds must be positive")
        return cls(requests, float(per_seconds))


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    per_seconds: float


@dataclass
class Smtp2goOptions:
    password_echo: str = "mask"
    auto_verify_senders: bool = False
    unknown_key_status: int = 401
    reject_unknown_fields: bool = True
    rate_limit: RateLimit | None = None
    relay_sender_check: str = "data"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rate_limit"] = asdict(self.rate_limit) if self.rate_limit else None
        return data


def _check_option(name: str, value: Any) -> Any:
    if name == "password_echo":
        if value not in PASSWORD_ECHO_MODES:
            raise ValueError(f"password_echo must be one of {', '.join(PASSWORD_ECHO_MODES)}")
    elif name in ("auto_verify_senders", "reject_unknown_fields"):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
    elif name == "unknown_key_status":
        if value not in UNKNOWN_KEY_STATUSES or isinstance(value, bool):
            raise ValueError("unknown_key_status must be 401 or 500")
    elif name == "rate_limit":
        return value if isinstance(value, RateLimit) else RateLimit.from_json(value)
    elif name == "relay_sender_check":
        if value not in SENDER_CHECKS:
            raise ValueError(f"relay_sender_check must be one of {', '.join(SENDER_CHECKS)}")
    else:
        raise ValueError(f"unknown option {name!r}")
    return value


class Smtp2goAccount:
    """API keys, SMTP users, single senders, sender domains and the fake DNS of one account.

    Options (keyword arguments, also settable later with `configure`):
      password_echo        how `email_password` appears in users/smtp responses other than
                           a generated password on add: "echo" (clear text, as the docs'
                           examples), "mask" (the default, PASSWORD_MASK) or "omit" (absent).
                           v3.0.4 marks the field deprecated, so clients must cope with all.
      auto_verify_senders  single senders are verified the moment they are added.
      unknown_key_status   401 (documented "No valid API key provided.") or 500 (the body a
                           live account was seen to answer for an unknown key).
      reject_unknown_fields  unknown JSON fields give NON_VALIDATING_IN_PAYLOAD.
      rate_limit           None, or a RateLimit / {"requests", "per_seconds"} token bucket.
      relay_sender_check   "data" (the default): the relay refuses an unverified sender at
                           the end of DATA, once it has read the From header; "mail_from":
                           already at MAIL FROM (and again at DATA).
    """

    def __init__(
        self,
        *,
        password_echo: str = "mask",
        auto_verify_senders: bool = False,
        unknown_key_status: int = 401,
        reject_unknown_fields: bool = True,
        rate_limit: RateLimit | Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        zone: DnsZone | None = None,
    ) -> None:
        self._lock = threading.RLock()
        # The DNS that domain verification looks at (the stack shares it with its resolver).
        self.zone = zone if zone is not None else DnsZone()
        self._clock = clock
        self._rng = rng or random.Random()
        self._options = Smtp2goOptions()
        self._api_keys: dict[str, list[str]] = {}
        self._users: dict[str, SmtpUser] = {}
        self._senders: dict[str, SingleSender] = {}  # by lower-cased address
        self._domains: dict[str, SenderDomain] = {}
        self._dns_present: set[str] = set()
        self._tokens = 0.0
        self._tokens_at = 0.0
        self.configure(
            password_echo=password_echo,
            auto_verify_senders=auto_verify_senders,
            unknown_key_status=unknown_key_status,
            reject_unknown_fields=reject_unknown_fields,
            rate_limit=rate_limit,
        )

    # -- options --------------------------------------------------------------------
    @property
    def options(self) -> Smtp2goOptions:
        with self._lock:
            return copy.deepcopy(self._options)

    def relay_sender_check(self) -> str:
        """Where the relay refuses an unverified sender: "data" or "mail_from"."""
        with self._lock:
            return self._options.relay_sender_check

    def configure(self, **options: Any) -> Smtp2goOptions:
        """Change any of the options; all are checked before any is applied."""
        with self._lock:
            checked = {name: _check_option(name, value) for name, value in options.items()}
            for name, value in checked.items():
                setattr(self._options, name, value)
            if "rate_limit" in checked and self._options.rate_limit is not None:
                self._tokens = float(self._options.rate_limit.requests)
                self._tokens_at = self._clock()
            return copy.deepcopy(self._options)

    # -- API keys -------------------------------------------------------------------
    def add_api_key(self, key: str, endpoints: list[str] | None = None) -> None:
        """Register `key`; `endpoints` like ["*"], ["/users/smtp/*"], ["/domain/view"]."""
        if not isinstance(key, str) or not key:
            raise ValueError("an API key must be a non-empty string")
        allowed = ["*"] if endpoints is None else list(endpoints)
        if not all(isinstance(e, str) and e for e in allowed):
            raise ValueError("endpoints must be non-empty strings")
        with self._lock:
            self._api_keys[key] = allowed

    def api_key_endpoints(self, key: str) -> list[str] | None:
        with self._lock:
            endpoints = self._api_keys.get(key)
            return list(endpoints) if endpoints is not None else None

    def authorize(self, key: str, endpoint: str) -> str:
        """ "ok", "unknown" (no such key) or "denied" (key lacks `endpoint`)."""
        with self._lock:
            patterns = self._api_keys.get(key)
            if patterns is None:
                return "unknown"
            # Documented as "available to all API Keys".
            if endpoint == "/api_keys/permissions" or _endpoint_allowed(patterns, endpoint):
                return "ok"
            return "denied"

    # -- rate limiting --------------------------------------------------------------
    def take_rate_token(self) -> RateDecision | None:
        """Spend one token; None when rate limiting is off."""
        return self._rate(spend=True)

    def peek_rate(self) -> RateDecision | None:
        """The bucket as it stands, without spending; None when rate limiting is off."""
        return self._rate(spend=False)

    def _rate(self, *, spend: bool) -> RateDecision | None:
        with self._lock:
            limit = self._options.rate_limit
            if limit is None:
                return None
            now = self._clock()
            rate = limit.requests / limit.per_seconds
            self._tokens = min(float(limit.requests), self._tokens + (now - self._tokens_at) * rate)
            self._tokens_at = now
            allowed = self._tokens >= 1.0
            if allowed and spend:
                self._tokens -= 1.0
            missing = limit.requests - self._tokens
            return RateDecision(
                allowed=allowed,
                limit=limit.requests,
                remaining=int(self._tokens),
                reset_seconds=math.ceil(missing / rate) if missing > 0 else 0,
                per_seconds=limit.per_seconds,
            )

    # -- SMTP users -----------------------------------------------------------------
    def users(self) -> list[dict[str, Any]]:
        """Snapshot of every stored user, clear-text password included (for tests)."""
        with self._lock:
            return [asdict(user) for user in self._users.values()]

    def view_users(self, username: str | None = None) -> list[SmtpUser]:
        with self._lock:
            if username is None:
                return [copy.copy(u) for u in self._users.values()]
            user = self._users.get(username)
            return [copy.copy(user)] if user else []

    def add_user(
        self, username: str, settings: Mapping[str, Any], password: str | None = None
    ) -> tuple[SmtpUser, bool]:
        """Create a user; returns it and whether its password was generated."""
        _check_username(username)
        generated = not password
        secret = generate_password() if not password else _checked_password(password)
        user = _apply_settings(SmtpUser(username, secret), settings)
        with self._lock:
            if username in self._users:
                raise ApiFailure(
                    API_EXCEPTION, f"An SMTP user with the username {username} already exists"
                )
            self._users[username] = user
            return copy.copy(user), generated

    def replace_user(
        self, username: str, settings: Mapping[str, Any], password: str | None = None
    ) -> tuple[SmtpUser, bool]:
        """POST edit: every setting not given goes back to its default.

        `password` None (not sent) keeps the current one (sandbox choice); "" (blank)
        generates one, as the docs say. Returns the user and whether it was generated.
        """
        with self._lock:
            current = self._existing_user(username)
            secret, generated = _new_password(password, current.email_password)
            user = _apply_settings(SmtpUser(username, secret), settings)
            self._users[username] = user
            return copy.copy(user), generated

    def patch_user(
        self, username: str, settings: Mapping[str, Any], password: str | None = None
    ) -> tuple[SmtpUser, bool]:
        """PATCH edit: only the given settings change; a blank password generates one."""
        with self._lock:
            current = self._existing_user(username)
            base = copy.copy(current)
            base.email_password, generated = _new_password(password, current.email_password)
            user = _apply_settings(base, settings)
            self._users[username] = user
            return copy.copy(user), generated

    def remove_user(self, username: str) -> SmtpUser:
        with self._lock:
            user = self._existing_user(username)
            del self._users[username]
            return user

    def _existing_user(self, username: str) -> SmtpUser:
        user = self._users.get(username)
        if user is None:
            raise ApiFailure(
                API_EXCEPTION, f"An SMTP user matching the username {username} was not found"
            )
        return user

    def smtp_login(self, username: str, password: str) -> str:
        """ "ok", "bad_credentials", "blocked" or "sandbox" for an SMTP AUTH attempt."""
        with self._lock:
            user = self._users.get(username)
            if user is None or not hmac.compare_digest(
                user.email_password.encode(), password.encode()
            ):
                return "bad_credentials"
            return "ok" if user.status == "allowed" else user.status

    def smtp_login_cram_md5(self, username: str, challenge: bytes, digest: str) -> str:
        """`smtp_login` for AUTH CRAM-MD5: `digest` is HMAC-MD5(password, challenge) in hex."""
        with self._lock:
            user = self._users.get(username)
            if user is None:
                return "bad_credentials"
            expected = hmac.new(user.email_password.encode(), challenge, "md5").hexdigest()
            if not hmac.compare_digest(expected, digest.lower()):
                return "bad_credentials"
            return "ok" if user.status == "allowed" else user.status

    # -- single sender emails -------------------------------------------------------
    def senders(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(s) for s in self._senders.values()]

    def add_sender(self, address: str) -> SingleSender:
        """Add, or (if present and unverified) "resend" the verification email."""
        _check_email("email_address", address)
        with self._lock:
            sender = self._senders.setdefault(address.lower(), SingleSender(address))
            if self._options.auto_verify_senders:
                sender.verified = True
            return copy.copy(sender)

    def view_senders(self, address: str | None = None) -> list[SingleSender]:
        with self._lock:
            return [
                copy.copy(s)
                for key, s in self._senders.items()
                if address is None or key == address.lower()
            ]

    def remove_sender(self, address: str) -> SingleSender:
        with self._lock:
            sender = self._senders.pop(address.lower(), None)
            if sender is None:
                raise ApiFailure(
                    API_EXCEPTION,
                    "Failed to remove the single sender email - An error occurred deleting "
                    f"sender email {address} or it doesn't exist",
                )
            return sender

    def verify_sender(self, address: str) -> bool:
        """Stand-in for the owner clicking the emailed link; False if `address` is unknown."""
        with self._lock:
            sender = self._senders.get(address.lower())
            if sender is None:
                return False
            sender.verified = True
            return True

    def sender_allowed(self, address: str) -> bool:
        """A verified single sender, or an address on (a subdomain of) a verified domain."""
        key = address.strip().lower()
        with self._lock:
            sender = self._senders.get(key)
            if sender is not None and sender.verified:
                return True
            if "@" not in key:
                return False
            labels = key.rpartition("@")[2].split(".")
            for start in range(len(labels) - 1):
                domain = self._domains.get(".".join(labels[start:]))
                if domain is not None and domain.verified:
                    return True
            return False

    # -- sender domains -------------------------------------------------------------
    def domains(self) -> list[dict[str, Any]]:
        """Snapshot of every domain in the API's shape."""
        return self.view_domains()

    def add_domain(
        self,
        domain: str,
        *,
        tracking_subdomain: str | None = None,
        returnpath_subdomain: str | None = None,
        auto_verify: bool = True,
        subaccounts: list[Any] | None = None,
        future_subaccounts: bool = False,
    ) -> list[dict[str, Any]]:
        name = _checked_domain(domain)
        tracker = _checked_label("tracking_subdomain", tracking_subdomain)
        rpath = _checked_label("returnpath_subdomain", returnpath_subdomain)
        with self._lock:
            if name in self._domains:
                raise ApiFailure(
                    API_EXCEPTION,
                    f"A sender domain matching the passed value of {name} already exists",
                )
            taken = {d.number for d in self._domains.values()}
            number = self._rng.randint(100_000, 1_999_999)
            while number in taken:
                number = self._rng.randint(100_000, 1_999_999)
            record = SenderDomain(
                fulldomain=name,
                number=number,
                dkim_selector=f"s{number}",
                rpath_selector=rpath or f"em{number}",
                trackers=[Tracker(tracker or DEFAULT_TRACKER, enabled=tracker is not None)],
                subaccounts=list(subaccounts or []),
                future_subaccounts=future_subaccounts,
            )
            self._domains[name] = record
            if name in self._dns_present:
                self._publish(record)
            if auto_verify:
                self._verify(record)
            return [record.as_api(_setup_link(name))]

    def view_domains(self, domain: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            if domain is None:
                records = list(self._domains.values())
            else:
                record = self._domains.get(normalise_name(domain))
                records = [record] if record else []
            single = len(records) == 1
            # `from_master` (a master account's domain shared with a subaccount) is only in
            # view's schema; the sandbox has no subaccounts, so it is always false.
            return [
                r.as_api(_setup_link(r.fulldomain) if single else "unavailable", view=True)
                for r in records
            ]

    def verify_domain(self, domain: str) -> list[dict[str, Any]]:
        with self._lock:
            record = self._existing_domain(domain)
            self._verify(record)
            return [record.as_api(_setup_link(record.fulldomain))]

    def remove_domain(self, domain: str) -> None:
        with self._lock:
            record = self._existing_domain(domain)
            del self._domains[record.fulldomain]

    def mark_dns_present(self, domain: str) -> None:
        """The owner publishes every CNAME SMTP2GO lists for `domain` in the zone: now if
        the domain is on the account, else as soon as it is added."""
        name = normalise_name(domain)
        with self._lock:
            self._dns_present.add(name)
            record = self._domains.get(name)
            if record is not None:
                self._publish(record)

    def expected_records(self, record: SenderDomain) -> list[tuple[str, str]]:
        """(name, CNAME target) of every record SMTP2GO looks for, trackers included."""
        host = record.fulldomain
        found = [
            (f"{record.dkim_selector}._domainkey.{host}", DKIM_TARGET),
            (f"{record.rpath_selector}.{host}", RPATH_TARGET),
        ]
        return found + [(f"{t.label}.{host}", TRACK_TARGET) for t in record.trackers]

    def _publish(self, record: SenderDomain) -> None:
        for name, target in self.expected_records(record):
            self.zone.add(name, "CNAME", target)

    def run_periodic_verification(self, domain: str) -> bool:
        """What SMTP2GO's 7-minute check does; False if the domain is not on the account."""
        with self._lock:
            record = self._domains.get(normalise_name(domain))
            if record is None:
                return False
            self._verify(record)
            return True

    def _existing_domain(self, domain: str) -> SenderDomain:
        record = self._domains.get(normalise_name(domain))
        if record is None:
            raise ApiFailure(
                API_EXCEPTION,
                f"A sender domain matching the passed value of {domain} was not found",
            )
        return record

    def _verify(self, record: SenderDomain) -> None:
        # SMTP2GO probes every tracker, enabled or not.
        record.dkim, record.rpath, *trackers = (
            self._lookup(name, target) for name, target in self.expected_records(record)
        )
        for tracker, check in zip(record.trackers, trackers, strict=True):
            tracker.check = check

    def _lookup(self, name: str, target: str) -> DnsCheck:
        found = self.zone.cname_target(name)
        if found == target:
            return DnsCheck(verified=True, value=target, status=f"Target: {target}")
        if found is None:
            return DnsCheck(
                verified=False,
                value="",
                status=f"Lookup CNAME({name}.) on ns1.sandbox.invalid returned no results",
            )
        # Sandbox choice: the status names what was found and what is expected.
        return DnsCheck(verified=False, value=found, status=f"Target: {found} (expected {target})")

    # -- persistence ----------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "version": STATE_VERSION,
                "options": self._options.as_json(),
                "api_keys": {k: list(v) for k, v in self._api_keys.items()},
                "users": [asdict(u) for u in self._users.values()],
                "senders": [asdict(s) for s in self._senders.values()],
                "domains": [asdict(d) for d in self._domains.values()],
                "dns_present": sorted(self._dns_present),
            }

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Replace everything with `state` (as made by `to_state`)."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported state version {state.get('version')!r}")
        users = {u["username"]: SmtpUser(**u) for u in state.get("users", [])}
        senders = {s["email_address"].lower(): SingleSender(**s) for s in state.get("senders", [])}
        domains = {d["fulldomain"]: SenderDomain.from_state(d) for d in state.get("domains", [])}
        api_keys = {str(k): list(v) for k, v in state.get("api_keys", {}).items()}
        with self._lock:
            self.configure(**state.get("options", {}))
            self._api_keys = api_keys
            self._users = users
            self._senders = senders
            self._domains = domains
            self._dns_present = set(state.get("dns_present", []))
            # A state saved before the zone existed said "published" with this set alone.
            for name in self._dns_present & set(domains):
                self._publish(domains[name])


# -- helpers --------------------------------------------------------------------------
def _setup_link(domain: str) -> str:
    return SETUP_LINK_BASE + domain


def _check_username(username: str) -> None:
    low, high = USERNAME_LENGTH
    if not low <= len(username) <= high:
        raise invalid_field(
            "username", f"The field 'username' must be {low} to {high} characters long"
        )
    if not _USERNAME_RE.fullmatch(username):
        raise invalid_field(
            "username",
            "The field 'username' may only contain letters, digits and the characters . _ - @",
        )


def _new_password(password: str | None, current: str) -> tuple[str, bool]:
    """The password an edit stores, and whether it was generated."""
    if password is None:
        return current, False
    if password == "":
        return generate_password(), True
    return _checked_password(password), False


def _checked_password(password: str) -> str:
    if password_entropy_bits(password) < MIN_PASSWORD_BITS:
        raise invalid_field(
            "email_password",
            "The field 'email_password' must have an entropy of at least 64 bits",
        )
    return password


def _check_email(field_name: str, value: str) -> None:
    if not is_email(value):
        raise invalid_field(
            field_name,
            f"The field '{field_name}' was expecting a valid RFC-822 formatted email field "
            f"but found '{value}', Please correct your JSON payload and try again.",
        )


def _checked_domain(value: str) -> str:
    name = normalize_domain(value)
    if name is None:
        raise invalid_field(
            "domain", f"The field 'domain' was expecting a domain name but found '{value}'"
        )
    return name


def _checked_label(field_name: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    label = value.strip().lower()
    if not all(_LABEL_RE.fullmatch(part) for part in label.split(".")):
        raise invalid_field(
            field_name, f"The field '{field_name}' was expecting a subdomain but found '{value}'"
        )
    return label


def _apply_settings(user: SmtpUser, settings: Mapping[str, Any]) -> SmtpUser:
    """`user` with `settings` (response attribute names) applied, then checked as a whole."""
    unknown = set(settings) - set(USER_SETTINGS)
    if unknown:
        raise ValueError(f"not SMTP user settings: {sorted(unknown)}")
    result = copy.copy(user)
    for name, value in settings.items():
        setattr(result, name, value)
    if result.status not in USER_STATUSES:
        raise invalid_field(
            "status", "The field 'status' must be one of 'allowed', 'blocked', 'sandbox'"
        )
    if result.bounce_notifications not in ("from", "drop") and not is_email(
        result.bounce_notifications
    ):
        raise invalid_field(
            "bounce_notifications",
            "The field 'bounce_notifications' must be one of 'from', 'drop' or an email address",
        )
    if result.audit_email == "":
        result.audit_email = None
    if result.audit_email is not None:
        _check_email("audit_email", result.audit_email)
    if result.custom_ratelimit:
        value, period = result.custom_ratelimit_value, result.custom_ratelimit_period
        if value is None or not 1 <= value <= MAX_RATELIMIT_VALUE:
            raise invalid_field(
                "custom_ratelimit_value",
                "The field 'custom_ratelimit_value' must be 1 to 2147483647 "
                "when custom_ratelimit is true",
            )
        if period is None or not _valid_period(period):
            raise invalid_field(
                "custom_ratelimit_period",
                "The field 'custom_ratelimit_period' must look like '1 day', '2 hours', "
                "'0:30:00' or '4 months 5:00:00' when custom_ratelimit is true",
            )
        result.custom_ratelimit_period = period.strip()
    else:
        # Documented: the value and period are only stored when custom_ratelimit is true.
        result.custom_ratelimit_value = None
        result.custom_ratelimit_period = None
    return result
