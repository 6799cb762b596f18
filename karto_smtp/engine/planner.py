"""Compute a Plan: read every service concurrently, diff, apply the password rules, order."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from karto_smtp.engine.diff import diff_resource
from karto_smtp.engine.plan import KNOWN_AFTER_APPLY, SENSITIVE, Action, Change, FieldChange, Plan
from karto_smtp.engine.resources import Desired, Ensure, address
from karto_smtp.errors import ConfigError
from karto_smtp.providers.base import Provider, SecretState
from karto_smtp.providers.smtp2go.provider import SENDER_DOMAIN, SINGLE_SENDER, SMTP_USER
from karto_smtp.providers.supabase.provider import AUTH_SMTP

# Senders before the users that send as them, users before the projects that log in as them.
KIND_ORDER = {SINGLE_SENDER: 0, SENDER_DOMAIN: 1, SMTP_USER: 2, AUTH_SMTP: 3}


@dataclass
class PlanResult:
    plan: Plan
    desired: dict[str, Desired]
    live: dict[str, dict[str, Any] | None]


def fingerprint(salt: str, view: dict[str, Any] | None) -> str:
    if view is None:
        return "absent"
    canonical = json.dumps(view, sort_keys=True, default=str)
    return hashlib.sha256((salt + canonical).encode()).hexdigest()


def select_targets(desired: list[Desired], targets: list[str]) -> list[Desired]:
    """Resources matching any target (an address or its prefix), plus their relay users."""
    if not targets:
        return desired
    chosen: dict[str, Desired] = {}
    by_address = {d.address: d for d in desired}
    for target in targets:
        matches = [d for d in desired if d.address == target or d.address.startswith(target)]
        if not matches:
            known = ", ".join(d.address for d in desired) or "none"
            raise ConfigError(
                f"--target {target} matches nothing in karto.yaml (addresses: {known})"
            )
        for item in matches:
            chosen[item.address] = item
    for item in list(chosen.values()):
        if item.relay_user is not None:
            relay = by_address.get(address("smtp2go", SMTP_USER, item.relay_user))
            if relay is not None:
                chosen.setdefault(relay.address, relay)
    return [d for d in desired if d.address in chosen]


async def read_live(
    providers: Mapping[str, Provider], desired: list[Desired]
) -> dict[str, dict[str, Any] | None]:
    groups: dict[str, list[Desired]] = {}
    for item in desired:
        groups.setdefault(item.provider, []).append(item)
    results = await asyncio.gather(*(providers[name].read(items) for name, items in groups.items()))
    live: dict[str, dict[str, Any] | None] = {}
    for result in results:
        live.update(result)
    return live


def _set_password(change: Change, after: str, reason: str, had_value: bool = True) -> None:
    if any(f.field in ("email_password", "smtp_pass") for f in change.fields):
        return
    field = "email_password" if change.kind == SMTP_USER else "smtp_pass"
    before = SENSITIVE if had_value else None
    change.fields.append(FieldChange(field=field, before=before, after=after, sensitive=True))
    if change.action is Action.NOOP:
        change.action = Action.UPDATE
        change.unchanged_fields = max(change.unchanged_fields - 1, 0)
    if reason not in change.reasons:
        change.reasons.append(reason)


def check_rotation(desired: list[Desired], rotate: list[str]) -> None:
    """--rotate-password names a declared user with a password; checked before any call."""
    users = {d.key: d for d in desired if d.kind == SMTP_USER}
    for username in rotate:
        user = users.get(username)
        if user is None or user.ensure is Ensure.ABSENT:
            raise ConfigError(f"--rotate-password {username}: no such SMTP user in karto.yaml")
        if "email_password" not in user.secret_fields:
            raise ConfigError(
                f"--rotate-password {username}: the user declares no password in karto.yaml"
            )


def apply_password_rules(
    desired: dict[str, Desired],
    changes: dict[str, Change],
    live: dict[str, dict[str, Any] | None],
    providers: Mapping[str, Provider],
    rotate: list[str],
) -> None:
    """Keep each relay password identical on SMTP2GO and on every project that uses it."""
    users = {d.key: d for d in desired.values() if d.kind == SMTP_USER}

    for user in users.values():
        source = user.secret_fields.get("email_password")
        change = changes.get(user.address)
        if source is None or change is None:
            continue
        if change.action is Action.CREATE and source.is_generated:
            change.generates_secrets.append(source.id)
        if user.key in rotate and change.action is not Action.CREATE:
            after = KNOWN_AFTER_APPLY if source.is_generated else SENSITIVE
            _set_password(change, after, f"--rotate-password {user.key}: a new password is set")
            if source.is_generated:
                change.generates_secrets.append(source.id)

    for project in desired.values():
        if project.kind != AUTH_SMTP or "smtp_pass" not in project.secret_fields:
            continue
        source = project.secret_fields["smtp_pass"]
        change = changes[project.address]
        user = users.get(project.relay_user or "")
        user_change = changes.get(user.address) if user is not None else None
        if user is not None and user_change is not None:
            change.depends_on.append(user.address)
        state = providers[project.provider].secret_state(
            project, "smtp_pass", source, live.get(project.address) or {}
        )
        had_value = state is not SecretState.UNSET
        user_sets_password = user_change is not None and (
            user_change.action is Action.CREATE
            or any(f.field == "email_password" for f in user_change.fields)
        )
        if source.is_generated:
            change.needs_secrets.append(source.id)
            if user_sets_password:
                _set_password(
                    change,
                    KNOWN_AFTER_APPLY,
                    f"receives the new password of SMTP2GO user {user.key}",
                    had_value,
                )
                continue
            if state is SecretState.UNSET and user_change is not None:
                reason = (
                    f"Supabase holds no password for SMTP user {user.key}, and the one karto-smtp "
                    "generated cannot be read back: a new one is set on both sides"
                )
                _set_password(user_change, KNOWN_AFTER_APPLY, reason)
                user_change.generates_secrets.append(source.id)
                _set_password(change, KNOWN_AFTER_APPLY, reason, had_value)
            else:
                change.needs_secrets.remove(source.id)
                username = user.key if user else "?"
                change.notes.append(
                    f"the password of SMTP user {username} was generated and cannot be compared; "
                    "`karto-smtp check` tests it, "
                    f"`karto-smtp apply --rotate-password {username}` replaces it"
                )
        else:
            if user_sets_password:
                _set_password(
                    change,
                    SENSITIVE,
                    f"receives the password of SMTP2GO user {user.key}",
                    had_value,
                )
            pass_changes = any(f.field == "smtp_pass" for f in change.fields)
            if pass_changes and user_change is not None and user_change.action is not Action.CREATE:
                _set_password(
                    user_change,
                    SENSITIVE,
                    "the password in karto.yaml differs from the one Supabase holds: "
                    "it is set on both sides",
                )
            if pass_changes:
                change.needs_secrets.append(source.id)


def pending_notes(item: Desired, change: Change, live: dict[str, Any] | None) -> None:
    if item.ensure is Ensure.ABSENT:
        return
    if item.kind == SINGLE_SENDER:
        if live is None:
            change.notes.append(
                f"SMTP2GO emails a verification link to {item.key}; until it is clicked, mail "
                'from it is refused with "550 From header sender domain not verified"'
            )
        elif not live.get("verified"):
            change.notes.append(
                f"pending: {item.key} is not verified yet; click the link SMTP2GO emailed to it "
                "(SMTP2GO dashboard: Sending > Verified Senders to resend)"
            )
    elif item.kind == SENDER_DOMAIN:
        if live is None:
            change.notes.append(
                f"after apply, add the DNS records SMTP2GO lists for {item.key} (see the next plan)"
            )
        elif not live.get("verified"):
            for record in live.get("records", []):
                if not record["verified"]:
                    change.notes.append(
                        f"pending DNS record: {record['name']} CNAME {record['target']}"
                    )


def order_changes(changes: list[Change]) -> list[Change]:
    def rank(indexed: tuple[int, Change]) -> tuple[int, int, int]:
        index, change = indexed
        kind = KIND_ORDER.get(change.kind, 9)
        if change.action is Action.DELETE:
            return (1, -kind, index)
        return (0, kind, index)

    return [c for _, c in sorted(enumerate(changes), key=rank)]


async def make_plan(
    loaded: Any,
    selected: list[Desired],
    providers: Mapping[str, Provider],
    targets: list[str] | None = None,
    rotate: list[str] | None = None,
) -> PlanResult:
    """Plan `selected` (the desired resources after --target) against live state."""
    targets = targets or []
    rotate = rotate or []
    check_rotation(selected, rotate)
    live = await read_live(providers, selected)
    desired = {d.address: d for d in selected}
    changes = {
        d.address: diff_resource(d, live.get(d.address), providers[d.provider]) for d in selected
    }
    apply_password_rules(desired, changes, live, providers, rotate)
    salt = secrets.token_hex(16)
    for item in selected:
        change = changes[item.address]
        provider = providers[item.provider]
        pending_notes(item, change, live.get(item.address))
        change.requests = provider.requests_for(change, item, live.get(item.address))
        view = live.get(item.address)
        change.fingerprint = fingerprint(salt, provider.fingerprint_view(view) if view else None)
    plan = Plan(
        config_path=str(loaded.path),
        config_digest=loaded.digest,
        fingerprint_salt=salt,
        targets=targets,
        rotate_passwords=rotate,
        changes=order_changes(list(changes.values())),
    )
    if targets:
        plan.warnings.append(
            "Resource targeting is in effect: this plan covers only "
            + ", ".join(targets)
            + " and what they depend on."
        )
    return PlanResult(plan=plan, desired=desired, live=live)
