"""Supabase's side of the mail path: the Auth SMTP settings it holds, and a real Auth mail.

Imported only when a Supabase row runs: this module pulls in httpx.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import httpx

from karto_smtp import deadline
from karto_smtp.errors import ApiError
from karto_smtp.providers.supabase.client import SupabaseClient
from karto_smtp.redaction import redact_url, register

if TYPE_CHECKING:
    from karto_smtp.secrets import SecretRef

_log = logging.getLogger(__name__)

PROJECT_URL_ENV = "SUPABASE_PROJECT_URL"
ANON_KEY_ENV = "SUPABASE_ANON_KEY"
DEFAULT_PROJECT_URL = "https://{ref}.supabase.co"


def project_url(ref: str, environ: Mapping[str, str]) -> str:
    template = environ.get(PROJECT_URL_ENV) or DEFAULT_PROJECT_URL
    return template.replace("{ref}", ref).rstrip("/")


@dataclass
class AuthConfigRead:
    config: dict[str, Any] | None
    ms: int
    error: str | None = None
    status: int | None = None
    fix: str | None = None


@dataclass
class OtpResult:
    ms: int
    status: int | None  # None: no HTTP answer
    message: str


def _ms(start: float) -> int:
    return max(0, round((time.perf_counter() - start) * 1000))


async def _read_one(client: SupabaseClient, ref: str) -> AuthConfigRead:
    start = time.perf_counter()
    try:
        config = await client.get_auth_config(ref)
    except ApiError as exc:
        return AuthConfigRead(None, _ms(start), exc.api_message, exc.status, exc.fix)
    if not isinstance(config, dict):
        return AuthConfigRead(None, _ms(start), "the Auth config is not a JSON object")
    return AuthConfigRead(config, _ms(start))


async def _anon_key(client: SupabaseClient | None, ref: str, environ: Mapping[str, str]) -> str:
    """SUPABASE_ANON_KEY, else the project's anon (or publishable) key from the Management API."""
    key = environ.get(ANON_KEY_ENV)
    if key:
        register(key)
        return key
    if client is None:
        raise LookupError(f"no anon key: set {ANON_KEY_ENV}, or SUPABASE_ACCESS_TOKEN to fetch it")
    try:
        keys = await client.get_api_keys(ref)
    except ApiError as exc:
        raise LookupError(f"cannot fetch the anon key: {exc}") from None
    for wanted in ("anon", "publishable"):
        for item in keys if isinstance(keys, list) else []:
            if isinstance(item, dict) and wanted in (item.get("name"), item.get("type")):
                value = item.get("api_key")
                if isinstance(value, str) and value:
                    register(value)
                    return value
    raise LookupError(f"project {ref} has no anon or publishable API key; set {ANON_KEY_ENV}")


def _auth_message(response: httpx.Response) -> str:
    """GoTrue's words: `msg` (classic), `message` (2024-01-01 API and the gateway), or text."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("msg", "message", "error_description", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                code = body.get("error_code") or (
                    body.get("code") if isinstance(body.get("code"), str) else None
                )
                return f"{value} ({code})" if code else value
    return "OK" if response.is_success else response.reason_phrase


async def _send_otp(http: httpx.AsyncClient, url: str, anon_key: str, address: str) -> OtpResult:
    start = time.perf_counter()
    try:
        async with deadline.current().bounded(f"waiting for Supabase Auth at {redact_url(url)}"):
            response = await http.post(
                f"{url}/auth/v1/otp", json={"email": address}, headers={"apikey": anon_key}
            )
    except httpx.HTTPError as exc:
        _log.debug("POST %s/auth/v1/otp: %s after %d ms", redact_url(url), exc, _ms(start))
        return OtpResult(_ms(start), None, f"cannot reach {redact_url(url)}: {type(exc).__name__}")
    _log.debug(
        "POST %s/auth/v1/otp: HTTP %d %s in %d ms",
        redact_url(url),
        response.status_code,
        response.reason_phrase,
        _ms(start),
    )
    return OtpResult(_ms(start), response.status_code, _auth_message(response))


async def _read_all(
    api_url: str, token: str, refs: list[str], token_ref: SecretRef | None
) -> dict[str, AuthConfigRead]:
    source = replace(SupabaseClient.default_credential, ref=token_ref)
    client = SupabaseClient(api_url, token, credential=source)
    try:
        reads = await asyncio.gather(*(_read_one(client, ref) for ref in refs))
    finally:
        await client.aclose()
    return dict(zip(refs, reads, strict=True))


async def _send_all(
    api_url: str,
    token: str | None,
    refs: list[str],
    address: str,
    environ: Mapping[str, str],
    timeout: float,
) -> dict[str, OtpResult | str]:
    client = SupabaseClient(api_url, token) if token else None
    mails: dict[str, OtpResult | str] = {}
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(max(timeout, 15.0))) as http:
            for ref in refs:
                try:
                    key = await _anon_key(client, ref, environ)
                except LookupError as exc:
                    mails[ref] = str(exc)
                    continue
                mails[ref] = await _send_otp(http, project_url(ref, environ), key, address)
    finally:
        if client is not None:
            await client.aclose()
    return mails


def read_configs(
    api_url: str, token: str, refs: list[str], token_ref: SecretRef | None = None
) -> dict[str, AuthConfigRead]:
    """GET /v1/projects/{ref}/config/auth for every project, concurrently.

    `token_ref`: the token karto.yaml declares (None: SUPABASE_ACCESS_TOKEN), named if refused.
    """
    return asyncio.run(_read_all(api_url, token, refs, token_ref))


def send_magic_links(
    api_url: str,
    token: str | None,
    refs: list[str],
    address: str,
    environ: Mapping[str, str],
    timeout: float,
) -> dict[str, OtpResult | str]:
    """POST {project_url}/auth/v1/otp for every project: Auth's status and message, or why not."""
    return asyncio.run(_send_all(api_url, token, refs, address, environ, timeout))
