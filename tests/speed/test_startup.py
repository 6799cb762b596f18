"""Start-up: each command imports only what it needs, and plain HTTP loads no TLS settings.

Every case runs the CLI in a fresh interpreter and reads its `sys.modules` afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from bench.inflight import InflightProxy
from karto_smtp.providers import http
from karto_smtp.providers.smtp2go.client import Smtp2goClient
from karto_smtp.providers.supabase.client import SupabaseClient

REPO = Path(__file__).resolve().parents[2]

# Runs `main(argv)` like the entry point does, then reports what was imported and how many
# SSL contexts were made. The SSL spy is installed only when asked: importing `ssl` itself
# would hide whether the command imports it.
PROBE = """
import json, os, sys
contexts = []
if os.environ.get("PROBE_SSL"):
    import ssl
    make = ssl.SSLContext.__new__
    def counting(cls, *args, **kwargs):
        contexts.append(cls.__name__)
        return make(cls, *args, **kwargs)
    ssl.SSLContext.__new__ = staticmethod(counting)
from karto_smtp.cli import main
try:
    main(sys.argv[1:])
    code = 0
except SystemExit as exc:
    code = exc.code
with open(os.environ["PROBE_OUT"], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules), "ssl_contexts": len(contexts)}, out)
"""

# What no command needs before it does real work.
HEAVY = (
    "pydantic",
    "yaml",
    "httpx",
    "httpcore",
    "anyio",
    "deepdiff",
    "asyncio",
    "ssl",
    "karto_smtp.config",
    "karto_smtp.engine",
    "karto_smtp.providers",
    "karto_smtp.views",
    "karto_smtp.check",
    "karto_sandbox",
    "aiosmtpd",
    "cryptography",
)
NETWORK = (
    "httpx",
    "httpcore",
    "anyio",
    "asyncio",
    "ssl",
    "karto_smtp.engine",
    "karto_smtp.providers",
    "karto_smtp.views",
)
NEVER = ("deepdiff", "karto_sandbox", "karto_smtp.check", "aiosmtpd", "cryptography")
FORBIDDEN: dict[tuple[str, ...], tuple[str, ...]] = {
    ("--version",): HEAVY,
    ("--help",): HEAVY,
    ("plan", "--help"): HEAVY,
    ("apply", "--help"): HEAVY,
    ("check", "--help"): HEAVY,
    ("validate", "-c", "{config}"): (*NETWORK, *NEVER),
    ("schema",): (*NETWORK, *NEVER),
    # Values all equal: deepdiff is for nested values that differ; text is the only view.
    # The service clients' own transport needs neither httpcore nor anyio (~15 ms).
    ("plan", "-c", "{config}"): (
        *NEVER,
        "httpcore",
        "anyio",
        "karto_smtp.views.json",
        "karto_smtp.views.markdown",
        "karto_smtp.engine.executor",
        "karto_smtp.engine.planfile",
        "karto_smtp.cli.apply",
    ),
    ("apply", "--auto-approve", "-c", "{config}"): (
        *NEVER,
        "karto_smtp.engine.planfile",
        "httpcore",
        "anyio",
    ),
}


def probe(args: list[str], env: dict[str, str], tmp_path: Path, ssl_spy: bool = False) -> dict:
    out = tmp_path / "probe.json"
    env = {**env, "PROBE_OUT": str(out), **({"PROBE_SSL": "1"} if ssl_spy else {})}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.exists(), done.stderr
    report = json.loads(out.read_text())
    report["stdout"], report["stderr"] = done.stdout, done.stderr
    return report


def imported(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


@pytest.fixture
def probe_env(converged, sandbox) -> tuple[dict[str, str], Path]:
    config = converged(1)
    env = {**os.environ, **sandbox.env, "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    return env, config


@pytest.mark.parametrize("args", list(FORBIDDEN), ids=" ".join)
def test_a_command_imports_only_what_it_needs(args, probe_env, tmp_path):
    env, config = probe_env
    argv = [a.format(config=config) for a in args]
    report = probe(argv, env, tmp_path)
    assert report["code"] == 0, report["stderr"]
    assert imported(report["modules"], FORBIDDEN[args]) == []


def test_a_plan_over_plain_http_makes_no_ssl_context(probe_env, tmp_path):
    env, config = probe_env
    report = probe(["plan", "-c", str(config)], env, tmp_path, ssl_spy=True)
    assert report["code"] == 0, report["stderr"]
    assert report["stdout"] == "No changes. SMTP2GO and Supabase match karto.yaml.\n"
    assert report["ssl_contexts"] == 0


def test_https_clients_share_one_verifying_context(monkeypatch):
    made = counting_ssl_contexts(monkeypatch)
    clients = [
        Smtp2goClient("https://api.smtp2go.com/v3", "api-key"),
        SupabaseClient("https://api.supabase.com", "sbp_token"),
    ]
    try:
        assert len(made) == 1
        assert made[0].verify_mode is ssl.CERT_REQUIRED and made[0].check_hostname
    finally:
        for client in clients:
            asyncio.run(client.aclose())
        http._tls_context.cache_clear()


def counting_ssl_contexts(monkeypatch) -> list[ssl.SSLContext]:
    made: list[ssl.SSLContext] = []
    original = ssl.SSLContext.__new__

    def counting(cls, *args, **kwargs):
        context = original(cls, *args, **kwargs)
        made.append(context)
        return context

    monkeypatch.setattr(ssl.SSLContext, "__new__", staticmethod(counting))
    http._tls_context.cache_clear()
    return made


def test_no_proxy_alone_keeps_plain_http_free_of_tls(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    made = counting_ssl_contexts(monkeypatch)
    client = SupabaseClient("http://127.0.0.1:9", "sbp_token")
    asyncio.run(client.aclose())
    assert made == []


def test_an_http_proxy_from_the_environment_is_still_used(sandbox, monkeypatch):
    env = sandbox.env
    with InflightProxy(env["SUPABASE_API_URL"]) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)

        async def read() -> dict:
            client = SupabaseClient(env["SUPABASE_API_URL"], env["SUPABASE_ACCESS_TOKEN"])
            try:
                return await client.get_auth_config(sandbox.project_refs[0])
            finally:
                await client.aclose()

        config = asyncio.run(read())
        assert proxy.reset().requests == 1
    assert "smtp_host" in config
    http._tls_context.cache_clear()
