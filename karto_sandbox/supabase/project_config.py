"""The project-configuration routes the Supabase CLI's `config push`/`config diff` use.

`SupabaseApp` registers them (`project_config_routes`) next to its own, so they share its
authentication, rate limit, request log and faults. The per-project state of the services
other than Auth lives in a `ProjectConfigStore` (`SupabaseApp.project_configs`); the Auth
block is always read from the account (`SupabaseAccount.public_auth_config`).

Routes:
  GET   /v2/projects/{ref}/config                      the effective project config
  GET   /v1/projects/{ref}/postgrest                   PostgrestConfigWithJWTSecretResponse
  PATCH /v1/projects/{ref}/postgrest                   V1UpdatePostgrestConfigBody
  GET   /v1/projects/{ref}/config/database/postgres    PostgresConfigResponse
  PUT   /v1/projects/{ref}/config/database/postgres    UpdatePostgresConfigBody
  GET   /v1/projects/{ref}/network-restrictions        NetworkRestrictionsResponse
  POST  /v1/projects/{ref}/network-restrictions/apply  NetworkRestrictionsRequest (201)
  GET   /v1/projects/{ref}/ssl-enforcement             SslEnforcementResponse
  PUT   /v1/projects/{ref}/ssl-enforcement             SslEnforcementRequest
  GET   /v1/projects/{ref}/config/storage              StorageConfigResponse
  PATCH /v1/projects/{ref}/config/storage              UpdateStorageConfigBody (200, no body)
  POST  /v1/projects/{ref}/database/webhooks/enable    (201, no body)

Sources, in order of precedence:
- the strict generated contract bundled in the client under test, @supabase/cli 3.1.0
  (npm `@supabase/cli-linux-x64`; effect `Schema` definitions in the binary's JS, looked up
  by operation id): `V2GetProjectConfigOutput` for GET /v2/projects/{ref}/config, and the
  input/output schemas of the /v1 operations above. That contract is newer than our saved
  spec and adds fields the CLI requires in responses: `db_pool_acquisition_timeout`,
  `db_pool_max_lifetime`, `db_pool_max_idletime` (PostgREST), `purgeCache` and
  `capabilities.object_versioning` (Storage), a nullable `migrationVersion`, and more
  Postgres settings (`pg_stat_statements.max`, `cron.log_statement`, `log_*`, ...);
- the public OpenAPI spec (tests/specs/supabase-management-api.openapi.json) for the rest of
  the /v1 shapes, ranges, enums and patterns (it predates GET /v2/projects/{ref}/config);
- supabase/cli `packages/config/src/project-config/api-attributes.ts` and
  `registry-auth.ts` (public source): the v2 `auth` section is a flat record keyed like
  GET /v1/.../config/auth, secrets as the same HMAC digests; the CLI's own v2 fixtures keep
  `null` values in it (e.g. `smtp_host: null`). The 3.x binary checks the envelope
  `{"data": {"type": "project_config", "id": ref, "attributes": {...}}}`;
- defaults of a new project (realtime limits, pooler, storage features): the values of the
  CLI's `config pull` integration fixture, which the CLI team wrote as a realistic project
  (guess: a real project on another plan or compute size differs). A v1 value `null` means
  "configured automatically"; v2 reports the effective value (10 s acquisition timeout,
  1800 s max lifetime, 30 s max idle time: the contract's descriptions).

Guesses, like the rest of the emulator: errors are `{"message": str}`; a body that breaks
the spec is a 400 with class-validator style messages joined by ", "; unknown keys are
rejected ("property x should not exist"); PUT /config/database/postgres merges the given
settings into the current overrides (the CLI sends only changed ones).
"""

from __future__ import annotations

import copy
import ipaddress
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from karto_sandbox.http import Request, Response
from karto_sandbox.supabase.models import PROJECT_NOT_FOUND, SupabaseAccount

Schema = dict[str, Any]

_DURATION = r"^(-?[0-9]+(?:\.[0-9]+)?)(us|ms|s|min|h|d)?$"

POSTGREST_UPDATE: Schema = {
    "type": "object",
    "properties": {
        "db_extra_search_path": {"type": "string"},
        "db_schema": {"type": "string"},
        "max_rows": {"type": "integer", "minimum": 0, "maximum": 1000000},
        "db_pool": {"type": "integer", "minimum": 0, "maximum": 1000},
        "db_pool_acquisition_timeout": {"type": "integer", "minimum": 0, "maximum": 60},
        "db_pool_max_lifetime": {"type": "integer", "minimum": 0, "maximum": 3600},
        "db_pool_max_idletime": {"type": "integer", "minimum": 0, "maximum": 60},
    },
}
# What "null" (configured automatically) amounts to, per the contract's descriptions.
POSTGREST_AUTOMATIC = {
    "db_pool_acquisition_timeout": 10,
    "db_pool_max_lifetime": 1800,
    "db_pool_max_idletime": 30,
}

_STRING: Schema = {"type": "string"}
_BOOLEAN: Schema = {"type": "boolean"}
_DURATION_STRING: Schema = {"type": "string", "pattern": _DURATION}


def _int(minimum: int | None = None, maximum: int | None = None) -> Schema:
    rule: Schema = {"type": "integer"}
    if minimum is not None:
        rule["minimum"] = minimum
    if maximum is not None:
        rule["maximum"] = maximum
    return rule


POSTGRES_SETTINGS: dict[str, Schema] = {
    "effective_cache_size": _STRING,
    "logical_decoding_work_mem": _STRING,
    "pg_stat_statements.max": _int(100, 45000),
    "pg_net.batch_size": _int(0, 32767),
    "autovacuum_max_workers": _int(1, 262143),
    "autovacuum_work_mem": _STRING,
    "cron.log_statement": _BOOLEAN,
    "log_autovacuum_min_duration": _DURATION_STRING,
    "log_checkpoints": _BOOLEAN,
    "log_connections": _BOOLEAN,
    "log_disconnections": _BOOLEAN,
    "log_duration": _BOOLEAN,
    "log_lock_waits": _BOOLEAN,
    "log_recovery_conflict_waits": _BOOLEAN,
    "log_replication_commands": _BOOLEAN,
    "log_startup_progress_interval": _DURATION_STRING,
    "log_temp_files": _STRING,
    "maintenance_work_mem": _STRING,
    "track_activity_query_size": _STRING,
    "max_connections": _int(1, 262143),
    "max_locks_per_transaction": _int(10, 2147483640),
    "max_logical_replication_workers": _int(0, 262143),
    "max_parallel_maintenance_workers": _int(0, 1024),
    "max_parallel_workers": _int(0, 1024),
    "max_parallel_workers_per_gather": _int(0, 1024),
    "max_replication_slots": _int(),
    "max_slot_wal_keep_size": _STRING,
    "max_standby_archive_delay": _STRING,
    "max_standby_streaming_delay": _STRING,
    "max_sync_workers_per_subscription": _int(0, 262143),
    "max_wal_size": _STRING,
    "max_wal_senders": _int(),
    "max_worker_processes": _int(0, 262143),
    "session_replication_role": {"type": "string", "enum": ["origin", "replica", "local"]},
    "shared_buffers": _STRING,
    "statement_timeout": _DURATION_STRING,
    "track_commit_timestamp": _BOOLEAN,
    "wal_keep_size": _STRING,
    "wal_sender_timeout": _DURATION_STRING,
    "work_mem": _STRING,
    "checkpoint_timeout": _DURATION_STRING,
    "hot_standby_feedback": _BOOLEAN,
}
POSTGRES_UPDATE: Schema = {
    "type": "object",
    "properties": {**POSTGRES_SETTINGS, "restart_database": _BOOLEAN},
}

_CIDR_LIST: Schema = {"type": "array", "items": _STRING}
NETWORK_RESTRICTIONS_APPLY: Schema = {
    "type": "object",
    "properties": {"dbAllowedCidrs": _CIDR_LIST, "dbAllowedCidrsV6": _CIDR_LIST},
}

SSL_ENFORCEMENT_UPDATE: Schema = {
    "type": "object",
    "properties": {
        "requestedConfig": {
            "type": "object",
            "properties": {"database": _BOOLEAN},
            "required": ["database"],
        }
    },
    "required": ["requestedConfig"],
}


def _enabled_feature(**limits: Schema) -> Schema:
    return {
        "type": "object",
        "properties": {"enabled": _BOOLEAN, **limits},
        "required": ["enabled", *limits],
    }


STORAGE_UPDATE: Schema = {
    "type": "object",
    "properties": {
        "fileSizeLimit": _int(0, 536870912000),
        "features": {
            "type": "object",
            "properties": {
                "imageTransformation": _enabled_feature(),
                "s3Protocol": _enabled_feature(),
                "purgeCache": _enabled_feature(),
                "icebergCatalog": _enabled_feature(
                    maxNamespaces=_int(0), maxTables=_int(0), maxCatalogs=_int(0)
                ),
                "vectorBuckets": _enabled_feature(maxBuckets=_int(0), maxIndexes=_int(0)),
            },
        },
        "external": {
            "type": "object",
            "properties": {"upstreamTarget": {"type": "string", "enum": ["main", "canary"]}},
            "required": ["upstreamTarget"],
        },
    },
}

_TYPE_ERRORS = {
    "string": "{} must be a string",
    "integer": "{} must be an integer number",
    "boolean": "{} must be a boolean value",
    "object": "{} must be an object",
    "array": "{} must be an array",
}


def validate(value: Any, schema: Schema, path: str = "") -> list[str]:
    """Problems with `value` against an OpenAPI-subset `schema`; empty when it is valid.

    Messages follow class-validator (NestJS), which the Management API answers with.
    Unknown object keys are always problems ("property x should not exist").
    """
    name = path or "request body"
    kind = schema["type"]
    if value is None:
        return [] if schema.get("nullable") else [_TYPE_ERRORS[kind].format(name)]
    if kind == "object":
        if not isinstance(value, dict):
            return [_TYPE_ERRORS[kind].format(name)]
        problems: list[str] = []
        properties: dict[str, Schema] = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{_join(path, key)} should not be null or undefined")
        for key, item in value.items():
            rule = properties.get(key)
            if rule is None:
                problems.append(f"property {_join(path, key)} should not exist")
            else:
                problems.extend(validate(item, rule, _join(path, key)))
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [_TYPE_ERRORS[kind].format(name)]
        out: list[str] = []
        for index, item in enumerate(value):
            out.extend(validate(item, schema["items"], f"{name}[{index}]"))
        return out
    if kind == "boolean":
        return [] if isinstance(value, bool) else [_TYPE_ERRORS[kind].format(name)]
    if kind == "string":
        if not isinstance(value, str):
            return [_TYPE_ERRORS[kind].format(name)]
        if "enum" in schema and value not in schema["enum"]:
            return [f"{name} must be one of the following values: {', '.join(schema['enum'])}"]
        if "pattern" in schema and re.search(schema["pattern"], value) is None:
            return [f"{name} must match /{schema['pattern']}/ regular expression"]
        return []
    # integer
    if isinstance(value, bool) or not isinstance(value, int | float):
        return [_TYPE_ERRORS["integer"].format(name)]
    if isinstance(value, float) and not value.is_integer():
        return [_TYPE_ERRORS["integer"].format(name)]
    if "minimum" in schema and value < schema["minimum"]:
        return [f"{name} must not be less than {schema['minimum']}"]
    if "maximum" in schema and value > schema["maximum"]:
        return [f"{name} must not be greater than {schema['maximum']}"]
    return []


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _integers(value: Any) -> Any:
    """JSON 5.0 is the integer 5 for the API; keep stored numbers integral."""
    if isinstance(value, dict):
        return {k: _integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integers(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _iso(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _default_state(created: str) -> dict[str, Any]:
    """A new project's settings for the services other than Auth (see the module notes)."""
    return {
        "postgrest": {
            "db_schema": "public,graphql_public",
            "db_extra_search_path": "public,extensions",
            "max_rows": 1000,
            "db_pool": None,
            "db_pool_acquisition_timeout": None,
            "db_pool_max_lifetime": None,
            "db_pool_max_idletime": None,
        },
        # Only the settings a user overrode; a new project has none.
        "postgres": {},
        "network_restrictions": {
            "entitlement": "allowed",
            "config": {"dbAllowedCidrs": ["0.0.0.0/0"], "dbAllowedCidrsV6": ["::/0"]},
            "status": "applied",
            "updated_at": created,
            "applied_at": created,
        },
        "ssl_enforced": False,
        "storage": {
            "fileSizeLimit": 52428800,
            "features": {
                "imageTransformation": {"enabled": False},
                "s3Protocol": {"enabled": True},
                "purgeCache": {"enabled": False},
                "icebergCatalog": {
                    "enabled": False,
                    "maxNamespaces": 5,
                    "maxTables": 10,
                    "maxCatalogs": 2,
                },
                "vectorBuckets": {"enabled": True, "maxBuckets": 10, "maxIndexes": 5},
            },
            "capabilities": {"list_v2": True, "iceberg_catalog": False, "object_versioning": False},
            "external": {"upstreamTarget": "main"},
            "migrationVersion": "20240701",
            "databasePoolMode": "transaction",
        },
        "pooler": {
            "pool_mode": "transaction",
            "ignore_startup_parameters": "extra_float_digits",
            "server_idle_timeout": 600,
            "server_lifetime": 3600,
            "query_wait_timeout": 120,
            "reserve_pool_size": 0,
            "default_pool_size": 15,
            "max_client_conn": 200,
        },
        "realtime": {
            "private_only": False,
            "max_concurrent_users": 200,
            "max_events_per_second": 100,
            "max_bytes_per_second": 100000,
            "max_channels_per_client": 100,
            "max_joins_per_second": 100,
            "max_presence_events_per_second": 100,
            "max_payload_size_in_kb": 100,
            "presence_enabled": True,
            "suspend": False,
            "connection_pool": 10,
            "postgres_changes_pool": None,
        },
        "database_webhooks_enabled": False,
    }


class ProjectConfigStore:
    """Thread-safe per-project settings of PostgREST, Postgres, network, SSL and Storage.

    A project's entry is made with the defaults the first time it is used; it exists only
    for refs the account knows.
    """

    def __init__(self, account: SupabaseAccount) -> None:
        self.account = account
        self._lock = threading.RLock()
        self._states: dict[str, dict[str, Any]] = {}

    def _state(self, ref: str) -> dict[str, Any]:
        if not self.account.has_project(ref):
            self._states.pop(ref, None)
            raise KeyError(ref)
        if ref not in self._states:
            self._states[ref] = _default_state(_iso(self.account.clock()))
        return self._states[ref]

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._states)

    def load_state(self, states: dict[str, Any]) -> None:
        if not isinstance(states, dict):
            raise ValueError("project settings must be an object keyed by ref")
        with self._lock:
            self._states = copy.deepcopy(states)

    def read(self, ref: str, section: str) -> Any:
        """A deep copy of one section; KeyError for an unknown project."""
        with self._lock:
            return copy.deepcopy(self._state(ref)[section])

    def update(self, ref: str, change: Callable[[dict[str, Any]], Any]) -> Any:
        """Run `change` on the project's state under the lock; returns what it returns."""
        with self._lock:
            return copy.deepcopy(change(self._state(ref)))

    # -- views ------------------------------------------------------------------------------
    def postgrest_view(self, ref: str, *, with_jwt_secret: bool) -> dict[str, Any]:
        view = self.read(ref, "postgrest")
        if with_jwt_secret:
            view["jwt_secret"] = self.account.jwt_secret(ref)
        return view

    def network_restrictions_view(self, ref: str) -> dict[str, Any]:
        return self.read(ref, "network_restrictions")

    def ssl_enforcement_view(self, ref: str) -> dict[str, Any]:
        return {
            "currentConfig": {"database": self.read(ref, "ssl_enforced")},
            "appliedSuccessfully": True,
        }

    def project_config(self, ref: str) -> dict[str, Any]:
        """The GET /v2/projects/{ref}/config body."""
        auth = self.account.public_auth_config(ref)
        engine = str(self.account.project_view(ref)["database"].get("postgres_engine", "17"))
        with self._lock:
            state = copy.deepcopy(self._state(ref))
        restrictions = state["network_restrictions"]
        cidrs = [
            {"address": address, "type": "v4"}
            for address in restrictions["config"].get("dbAllowedCidrs", [])
        ] + [
            {"address": address, "type": "v6"}
            for address in restrictions["config"].get("dbAllowedCidrsV6", [])
        ]
        network = {k: v for k, v in restrictions.items() if k not in ("config", "old_config")}
        storage = state["storage"]
        features = storage["features"]
        iceberg = features["icebergCatalog"]
        vectors = features["vectorBuckets"]
        api = dict(state["postgrest"])
        for key, automatic in POSTGREST_AUTOMATIC.items():
            if api[key] is None:
                api[key] = automatic
        return {
            "data": {
                "type": "project_config",
                "id": ref,
                "attributes": {
                    "database": {
                        "major_version": int(engine) if engine.isdigit() else 17,
                        "ssl_enforced": state["ssl_enforced"],
                        "network_restrictions": {**network, "allowed_cidrs": cidrs},
                        "postgres_settings": {
                            k.replace(".", "_"): v for k, v in state["postgres"].items()
                        },
                    },
                    "pooler": state["pooler"],
                    "auth": auth,
                    "api": api,
                    "realtime": state["realtime"],
                    "storage": {
                        "file_size_limit": storage["fileSizeLimit"],
                        "features": {
                            "image_transformation": features["imageTransformation"],
                            "s3_protocol": features["s3Protocol"],
                            "purge_cache": features["purgeCache"],
                            "iceberg_catalog": {
                                "enabled": iceberg["enabled"],
                                "max_namespaces": iceberg["maxNamespaces"],
                                "max_tables": iceberg["maxTables"],
                                "max_catalogs": iceberg["maxCatalogs"],
                            },
                            "vector_buckets": {
                                "enabled": vectors["enabled"],
                                "max_buckets": vectors["maxBuckets"],
                                "max_indexes": vectors["maxIndexes"],
                            },
                        },
                        "capabilities": storage["capabilities"],
                        "upstream_target": storage["external"]["upstreamTarget"],
                        "migration_version": storage["migrationVersion"],
                    },
                },
            }
        }


# -- HTTP ---------------------------------------------------------------------------------


def _message(status: int, text: str) -> Response:
    return Response(status, {"message": text})


def _body(request: Request, schema: Schema) -> tuple[dict[str, Any] | None, Response | None]:
    """The validated JSON body, or the 400 to answer."""
    try:
        body = request.json()
    except ValueError as exc:
        return None, _message(400, f"Invalid JSON body: {exc}")
    if body is None:
        body = {}
    problems = validate(body, schema)
    if problems:
        return None, _message(400, ", ".join(problems))
    return _integers(body), None


def _cidr_problems(body: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for key, version in (("dbAllowedCidrs", 4), ("dbAllowedCidrsV6", 6)):
        for value in body.get(key, []):
            try:
                network = ipaddress.ip_network(value, strict=False)
            except ValueError:
                problems.append(f"{key} contains an invalid CIDR: {value}")
                continue
            if network.version != version:
                problems.append(f"{key} must only contain IPv{version} CIDRs: {value}")
    return problems


def project_route(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """`handler`, answering 404 "Project not found" when it raises KeyError (the account's
    and the store's answer for an unknown ref)."""

    def run(request: Request) -> Response:
        try:
            return handler(request)
        except KeyError:
            return _message(404, PROJECT_NOT_FOUND)

    return run


class _Routes:
    def __init__(self, store: ProjectConfigStore) -> None:
        self.store = store

    def v2_config(self, request: Request) -> Response:
        return Response(200, self.store.project_config(request.path_params["ref"]))

    def get_postgrest(self, request: Request) -> Response:
        ref = request.path_params["ref"]
        return Response(200, self.store.postgrest_view(ref, with_jwt_secret=True))

    def patch_postgrest(self, request: Request) -> Response:
        ref = request.path_params["ref"]
        self.store.read(ref, "postgrest")  # 404 before 400
        body, error = _body(request, POSTGREST_UPDATE)
        if error is not None or body is None:
            return error or _message(400, "request body must be a JSON object")
        self.store.update(ref, lambda state: state["postgrest"].update(body))
        return Response(200, self.store.postgrest_view(ref, with_jwt_secret=False))

    def get_postgres(self, request: Request) -> Response:
        return Response(200, self.store.read(request.path_params["ref"], "postgres"))

    def put_postgres(self, request: Request) -> Response:
        ref = request.path_params["ref"]
        self.store.read(ref, "postgres")
        body, error = _body(request, POSTGRES_UPDATE)
        if error is not None or body is None:
            return error or _message(400, "request body must be a JSON object")
        body.pop("restart_database", None)

        def change(state: dict[str, Any]) -> dict[str, Any]:
            state["postgres"].update(body)
            return state["postgres"]

        return Response(200, self.store.update(ref, change))

    def get_network_restrictions(self, request: Request) -> Response:
        return Response(200, self.store.network_restrictions_view(request.path_params["ref"]))

    def apply_network_restrictions(self, request: Request) -> Response:
        ref = request.path_params["ref"]
        self.store.read(ref, "network_restrictions")
        body, error = _body(request, NETWORK_RESTRICTIONS_APPLY)
        if error is not None or body is None:
            return error or _message(400, "request body must be a JSON object")
        problems = _cidr_problems(body)
        if problems:
            return _message(400, ", ".join(problems))

        def change(state: dict[str, Any]) -> dict[str, Any]:
            restrictions = state["network_restrictions"]
            if restrictions["entitlement"] != "allowed":
                return {}
            now = _iso(self.store.account.clock())
            restrictions["config"] = {
                "dbAllowedCidrs": body.get("dbAllowedCidrs", []),
                "dbAllowedCidrsV6": body.get("dbAllowedCidrsV6", []),
            }
            restrictions.pop("old_config", None)
            restrictions.update(status="applied", updated_at=now, applied_at=now)
            return restrictions

        view = self.store.update(ref, change)
        if not view:
            return _message(403, "Network restrictions are not available for this project")
        return Response(201, view)

    def get_ssl_enforcement(self, request: Request) -> Response:
        return Response(200, self.store.ssl_enforcement_view(request.path_params["ref"]))

    def put_ssl_enforcement(self, request: Request) -> Response:
        ref = request.path_params["ref"]
        self.store.read(ref, "ssl_enforced")
        body, error = _body(request, SSL_ENFORCEMENT_UPDATE)
        if error is not None or body is None:
            return error or _message(400, "request body must be a JSON object")
        enforced = body["requestedConfig"]["database"]
        self.store.update(ref, lambda state: state.update(ssl_enforced=enforced))
        return Response(200, self.store.ssl_enforcement_view(ref))

    def get_storage(self, request: Request) -> Response:
        return Response(200, self.store.read(request.path_params["ref"], "storage"))

    def patch_storage(self, request: Request) -> Response:
        ref = request.path_params["ref"]
        self.store.read(ref, "storage")
        body, error = _body(request, STORAGE_UPDATE)
        if error is not None or body is None:
            return error or _message(400, "request body must be a JSON object")

        def change(state: dict[str, Any]) -> None:
            storage = state["storage"]
            if "fileSizeLimit" in body:
                storage["fileSizeLimit"] = body["fileSizeLimit"]
            for name, feature in body.get("features", {}).items():
                storage["features"][name] = feature
            if "external" in body:
                storage["external"] = body["external"]

        self.store.update(ref, change)
        return Response(200, b"")

    def enable_webhooks(self, request: Request) -> Response:
        ref = request.path_params["ref"]
        self.store.update(ref, lambda state: state.update(database_webhooks_enabled=True))
        return Response(201, b"")


def project_config_routes(
    store: ProjectConfigStore,
) -> list[tuple[str, str, Callable[[Request], Response]]]:
    """(method, path, handler) of every project-config route over `store`."""
    routes = _Routes(store)
    table: list[tuple[str, str, Callable[[Request], Response]]] = [
        ("GET", "/v2/projects/{ref}/config", routes.v2_config),
        ("GET", "/v1/projects/{ref}/postgrest", routes.get_postgrest),
        ("PATCH", "/v1/projects/{ref}/postgrest", routes.patch_postgrest),
        ("GET", "/v1/projects/{ref}/config/database/postgres", routes.get_postgres),
        ("PUT", "/v1/projects/{ref}/config/database/postgres", routes.put_postgres),
        ("GET", "/v1/projects/{ref}/network-restrictions", routes.get_network_restrictions),
        (
            "POST",
            "/v1/projects/{ref}/network-restrictions/apply",
            routes.apply_network_restrictions,
        ),
        ("GET", "/v1/projects/{ref}/ssl-enforcement", routes.get_ssl_enforcement),
        ("PUT", "/v1/projects/{ref}/ssl-enforcement", routes.put_ssl_enforcement),
        ("GET", "/v1/projects/{ref}/config/storage", routes.get_storage),
        ("PATCH", "/v1/projects/{ref}/config/storage", routes.patch_storage),
        ("POST", "/v1/projects/{ref}/database/webhooks/enable", routes.enable_webhooks),
    ]
    return [(method, path, project_route(handler)) for method, path, handler in table]
