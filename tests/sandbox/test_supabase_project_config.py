"""The project-config routes of the stack's Supabase emulator, over real HTTP on loopback.

The real Supabase CLI drives them end to end in test_supabase_cli.py; these pin the
shapes and the error answers without needing npm.
"""

from __future__ import annotations

import httpx
import pytest

from karto_sandbox.stack import Stack

TOKEN = "sbp_" + "a1b2c3d4e5" * 4
REF = "projectconfigtestsaa"


@pytest.fixture
def api(stack: Stack):
    seed(stack.supabase_url)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=stack.supabase_url, headers=headers, timeout=5) as client:
        yield client


def seed(url: str) -> None:
    """A token and a project, through the admin routes."""
    with httpx.Client(base_url=url, timeout=5) as admin:
        admin.post("/_sandbox/tokens", json={"token": TOKEN}).raise_for_status()
        admin.post("/_sandbox/projects", json={"ref": REF, "name": "config"}).raise_for_status()
        admin.post("/_sandbox/options", json={"rate_limit_enabled": False}).raise_for_status()


def test_v2_config_envelope_and_sections(api):
    body = api.get(f"/v2/projects/{REF}/config").json()
    assert body["data"]["type"] == "project_config"
    assert body["data"]["id"] == REF
    attributes = body["data"]["attributes"]
    assert set(attributes) == {"database", "pooler", "auth", "api", "realtime", "storage"}
    assert attributes["api"]["db_pool_acquisition_timeout"] == 10  # v1 null = automatic
    assert attributes["auth"]["smtp_host"] is None
    assert attributes["database"]["major_version"] == 17
    assert attributes["database"]["network_restrictions"]["allowed_cidrs"] == [
        {"address": "0.0.0.0/0", "type": "v4"},
        {"address": "::/0", "type": "v6"},
    ]


def test_postgrest_patch_returns_the_config_and_updates_v2(api):
    answer = api.patch(f"/v1/projects/{REF}/postgrest", json={"max_rows": 250})
    assert answer.status_code == 200
    assert answer.json() == {
        "db_schema": "public,graphql_public",
        "max_rows": 250,
        "db_extra_search_path": "public,extensions",
        "db_pool": None,
        "db_pool_acquisition_timeout": None,
        "db_pool_max_lifetime": None,
        "db_pool_max_idletime": None,
    }
    assert "jwt_secret" in api.get(f"/v1/projects/{REF}/postgrest").json()
    v2 = api.get(f"/v2/projects/{REF}/config").json()["data"]["attributes"]
    assert v2["api"]["max_rows"] == 250


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("PATCH", "postgrest", {"max_rows": -1}, "max_rows must not be less than 0"),
        ("PATCH", "postgrest", {"max_rows": "5"}, "max_rows must be an integer number"),
        ("PATCH", "postgrest", {"nope": 1}, "property nope should not exist"),
        (
            "PUT",
            "config/database/postgres",
            {"statement_timeout": "soon"},
            "statement_timeout must match",
        ),
        (
            "POST",
            "network-restrictions/apply",
            {"dbAllowedCidrs": ["::/0"]},
            "dbAllowedCidrs must only contain IPv4 CIDRs: ::/0",
        ),
        ("PUT", "ssl-enforcement", {}, "requestedConfig should not be null or undefined"),
        (
            "PATCH",
            "config/storage",
            {"features": {"imageTransformation": {}}},
            "features.imageTransformation.enabled should not be null or undefined",
        ),
    ],
)
def test_invalid_bodies_are_400(api, method, path, body, message):
    answer = api.request(method, f"/v1/projects/{REF}/{path}", json=body)
    assert answer.status_code == 400
    assert message in answer.json()["message"]


def test_postgres_put_merges_settings_and_v2_renames_dotted_keys(api):
    base = f"/v1/projects/{REF}/config/database/postgres"
    assert api.put(base, json={"max_connections": 90}).status_code == 200
    answer = api.put(base, json={"cron.log_statement": True, "restart_database": False})
    assert answer.json() == {"max_connections": 90, "cron.log_statement": True}
    v2 = api.get(f"/v2/projects/{REF}/config").json()["data"]["attributes"]
    assert v2["database"]["postgres_settings"] == {
        "max_connections": 90,
        "cron_log_statement": True,
    }


def test_storage_patch_is_200_without_body_and_shows_in_get(api):
    answer = api.patch(f"/v1/projects/{REF}/config/storage", json={"fileSizeLimit": 1024})
    assert (answer.status_code, answer.content) == (200, b"")
    assert api.get(f"/v1/projects/{REF}/config/storage").json()["fileSizeLimit"] == 1024


def test_reset_brings_back_a_new_projects_settings(api, stack):
    api.patch(f"/v1/projects/{REF}/postgrest", json={"max_rows": 250}).raise_for_status()
    httpx.post(f"{stack.smtp2go_url}/_sandbox/reset").raise_for_status()
    seed(stack.supabase_url)
    assert api.get(f"/v1/projects/{REF}/postgrest").json()["max_rows"] == 1000


def test_unknown_project_and_missing_token(api):
    assert api.get("/v2/projects/abcdefghijklmnopqrst/config").status_code == 404
    assert api.get(f"/v2/projects/{REF}/config", headers={"Authorization": ""}).status_code == 401
