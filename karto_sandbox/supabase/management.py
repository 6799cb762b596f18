"""The Supabase Management API emulator: the HTTP routes over a `SupabaseAccount`.

Routes (bearer token, rate limit, request log and faults on every one):
  GET   /v1/projects
  GET   /v1/projects/{ref}
  GET   /v1/projects/{ref}/config/auth
  PATCH /v1/projects/{ref}/config/auth
  GET   /v1/projects/{ref}/api-keys
  GET   /v1/projects/{ref}/billing/addons
  GET   /v1/projects/{ref}/branches
  and the project-config routes the Supabase CLI's `config push` and `config diff` use
  (`project_config.py`), GET /v2/projects/{ref}/config among them.

Sources and guesses:
- every error body is `{"message": str}` (supabase-management-js parses exactly that);
  401 `{"message": "Unauthorized"}`;
- unknown or malformed project ref: 404 `{"message": "Project not found"}` (guess: the spec
  declares no 404);
- branches: one default branch named "main" for every project (guess: the spec gives the
  shape, not what a project without preview branches lists; a public client reports
  `parent_project_ref` null for the default branch, the spec types it as a string, and the
  sandbox follows the spec).

Admin routes (no token): see `GET /_sandbox/` or docs/sandbox.md.
"""

from __future__ import annotations

import threading
from typing import Any

from karto_sandbox.http import Handler, HttpApp, Request, RequestLog, Response
from karto_sandbox.supabase.models import (
    DEFAULT_ORGANIZATION,
    DEFAULT_REGION,
    EMAIL_FORMAT,
    PROJECT_NOT_FOUND,
    AuthConfigError,
    RateLimitState,
    SandboxStateError,
    SupabaseAccount,
)
from karto_sandbox.supabase.project_config import (
    ProjectConfigStore,
    project_config_routes,
    project_route,
)


def _bearer_token(request: Request) -> str | None:
    value = request.header("authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _message(status: int, text: str) -> Response:
    return Response(status, {"message": text})


class SupabaseApp(HttpApp):
    """The Management API routes over a `SupabaseAccount`."""

    service = "supabase"

    def __init__(self, account: SupabaseAccount, request_log: RequestLog | None = None) -> None:
        super().__init__(request_log)
        self.account = account
        self.project_configs = ProjectConfigStore(account)
        # Rate-limit counters taken in before_request, reported by after_request.
        self._pending: dict[int, RateLimitState] = {}
        self._pending_lock = threading.Lock()
        self.route("GET", "/v1/projects", self._list_projects)
        project_routes: list[tuple[str, str, Handler]] = [
            ("GET", "/v1/projects/{ref}", self._get_project),
            ("GET", "/v1/projects/{ref}/config/auth", self._get_auth_config),
            ("PATCH", "/v1/projects/{ref}/config/auth", self._patch_auth_config),
            ("GET", "/v1/projects/{ref}/api-keys", self._get_api_keys),
            ("GET", "/v1/projects/{ref}/billing/addons", self._get_addons),
            ("GET", "/v1/projects/{ref}/branches", self._list_branches),
        ]
        for method, path, handler in project_routes:
            self.route(method, path, project_route(handler))
        for method, path, handler in project_config_routes(self.project_configs):
            self.route(method, path, handler)
        self.admin_route("GET", "/_sandbox/options", self._admin_get_options, "the switches")
        self.admin_route(
            "POST",
            "/_sandbox/options",
            self._admin_set_options,
            "change switches (any subset); reset() restores the defaults",
            '{"rate_limit_enabled"?: boolean, "rate_limit_per_minute"?: integer, '
            '"smtp_group_mode"?: "lenient"|"strict", '
            '"email_rate_limit_check"?: "after_merge"|"before_merge", '
            '"smtp_pass_view"?: "digest"|"masked", '
            '"partial_smtp_patch"?: "keeps_password"|"clears_password"}',
        )
        self.admin_route(
            "POST",
            "/_sandbox/tokens",
            self._admin_add_token,
            "accept another access token",
            '{"token": string}',
        )
        self.admin_route(
            "GET", "/_sandbox/projects", self._admin_list_projects, "every project with its keys"
        )
        self.admin_route(
            "POST",
            "/_sandbox/projects",
            self._admin_add_project,
            "add a project in a new project's default state; answers its anon and "
            "service_role keys",
            '{"ref": 20 lower-case letters, "name": string, "organization_id"?, "region"?}',
        )
        self.admin_route(
            "GET",
            "/_sandbox/projects/{ref}/auth-logs",
            project_route(self._admin_auth_logs),
            "the project's Auth log: each /otp request and mail send, never a password",
        )
        self.admin_route(
            "POST",
            "/_sandbox/projects/{ref}/users",
            project_route(self._admin_add_user),
            "add an Auth user",
            '{"email": string, "confirmed"?: boolean, "user_metadata"?: object}',
        )
        self.admin_route(
            "POST",
            "/_sandbox/team-members",
            self._admin_add_team_member,
            "an address Supabase's built-in mailer may send to",
            '{"email": string, "organization_id"?: string}',
        )

    # -- cross-cutting ----------------------------------------------------------------------
    def before_request(self, request: Request) -> Response | None:
        token = _bearer_token(request)
        if token is None or not self.account.has_token(token):
            return _message(401, "Unauthorized")
        state = self.account.consume_rate_limit(token, request.path_params.get("ref", "*"))
        if state is None:
            return None
        with self._pending_lock:
            self._pending[id(request)] = state
        if not state.allowed:
            return _message(429, "Rate limit exceeded")
        return None

    def after_request(self, request: Request, response: Response) -> None:
        with self._pending_lock:
            state = self._pending.pop(id(request), None)
        if state is None:
            # Injected faults and unknown paths skip before_request; report the counters as
            # they stand, without counting the request.
            token = _bearer_token(request)
            if token is None or not self.account.has_token(token):
                return
            ref = request.path.split("/")[3] if request.path.startswith("/v1/projects/") else "*"
            state = self.account.peek_rate_limit(token, ref)
            if state is None:
                return
        response.headers.update(state.headers())

    # -- Management API ---------------------------------------------------------------------
    def _list_projects(self, request: Request) -> Response:
        return Response(200, self.account.project_views())

    def _get_project(self, request: Request) -> Response:
        return Response(200, self.account.project_view(request.path_params["ref"]))

    def _get_auth_config(self, request: Request) -> Response:
        return Response(200, self.account.public_auth_config(request.path_params["ref"]))

    def _patch_auth_config(self, request: Request) -> Response:
        ref = request.path_params["ref"]
        if not self.account.has_project(ref):
            return _message(404, PROJECT_NOT_FOUND)
        try:
            body = request.json()
        except ValueError as exc:
            return _message(400, f"Invalid JSON body: {exc}")
        try:
            return Response(200, self.account.update_auth_config(ref, body))
        except AuthConfigError as exc:
            return _message(exc.status, exc.message)

    def _get_api_keys(self, request: Request) -> Response:
        reveal = request.query.get("reveal", [])
        if reveal and reveal[-1] not in ("true", "false"):
            return _message(400, "reveal must be a boolean value")
        # `reveal` only unmasks the new-style secret keys; legacy keys are always shown.
        return Response(200, self.account.api_keys(request.path_params["ref"]))

    def _list_branches(self, request: Request) -> Response:
        return Response(200, self.account.branches(request.path_params["ref"]))

    def _get_addons(self, request: Request) -> Response:
        if not self.account.has_project(request.path_params["ref"]):
            return _message(404, PROJECT_NOT_FOUND)
        return Response(200, {"selected_addons": [], "available_addons": []})

    # -- admin ------------------------------------------------------------------------------
    @staticmethod
    def _admin_body(request: Request) -> dict[str, Any]:
        body = request.json()
        if not isinstance(body, dict):
            raise SandboxStateError("body must be a JSON object")
        return body

    def _admin_get_options(self, request: Request) -> Response:
        return Response(200, self.account.options())

    def _admin_set_options(self, request: Request) -> Response:
        try:
            return Response(200, self.account.set_options(**self._admin_body(request)))
        except ValueError as exc:
            return _message(400, str(exc))

    def _admin_list_projects(self, request: Request) -> Response:
        return Response(200, self.account.project_summaries())

    def _admin_add_token(self, request: Request) -> Response:
        try:
            token = self._admin_body(request).get("token")
            if not isinstance(token, str):
                raise SandboxStateError("token must be a non-empty string")
            self.account.add_token(token)
        except ValueError as exc:
            return _message(400, str(exc))
        return Response(201, {"added": True})

    def _admin_add_project(self, request: Request) -> Response:
        try:
            body = self._admin_body(request)
            unknown = set(body) - {"ref", "name", "organization_id", "region"}
            if unknown:
                raise SandboxStateError(f"unknown fields: {sorted(unknown)}")
            summary = self.account.add_project(
                _text(body, "ref"),
                _text(body, "name"),
                organization_id=body.get("organization_id", DEFAULT_ORGANIZATION),
                region=body.get("region", DEFAULT_REGION),
            )
        except ValueError as exc:
            status = 409 if "already exists" in str(exc) else 400
            return _message(status, str(exc))
        return Response(201, summary)

    def _admin_auth_logs(self, request: Request) -> Response:
        return Response(200, self.account.auth_log(request.path_params["ref"]))

    def _admin_add_user(self, request: Request) -> Response:
        try:
            body = self._admin_body(request)
            confirmed = body.get("confirmed", True)
            if not isinstance(confirmed, bool):
                raise SandboxStateError("confirmed must be a boolean")
            metadata = body.get("user_metadata", {})
            if not isinstance(metadata, dict):
                raise SandboxStateError("user_metadata must be an object")
            user = self.account.add_user(
                request.path_params["ref"],
                _text(body, "email"),
                confirmed=confirmed,
                metadata=metadata,
            )
        except ValueError as exc:
            return _message(400, str(exc))
        return Response(201, {"id": user["id"], "email": user["email"]})

    def _admin_add_team_member(self, request: Request) -> Response:
        try:
            body = self._admin_body(request)
            email = body.get("email")
            if not isinstance(email, str) or not EMAIL_FORMAT.match(email):
                raise SandboxStateError("email must be an email address")
            self.account.add_team_member(email, body.get("organization_id", DEFAULT_ORGANIZATION))
        except ValueError as exc:
            return _message(400, str(exc))
        return Response(201, {"added": True})


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise SandboxStateError(f"{key} must be text")
    return value
