"""The Admin API of ``muskox prod`` (spec section 11), as plain functions from request to reply.

    GET  /admin/inframap   the server's current state: {"status": "success", "infra_map": …, "applied_migrations": […]}
    POST /admin/plan       a target InfraMap in ({"infra_map": …} or the bare map), the plan out (as `plan --json`)

Every request needs ``Authorization: Bearer <token_hex>.<salt_hex>``; the token is checked against
``[authentication] admin_api_key`` by recomputing its PBKDF2 hash (:mod:`muskox.server.tokens`). Without a configured
key every request is refused (401 "Admin API key not configured"); a missing or wrong token is refused with
401 "Invalid or missing token". Tokens, the key and request headers are never logged. The HTTP transport is
:mod:`muskox.server.http_server`; this module knows nothing about sockets, so it is tested without any.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from muskox.errors import MuskoxError
from muskox.masking import mask_text
from muskox.model.codec import model_codec
from muskox.model.infra_map import InfraMap
from muskox.server.limits import MAX_JSON_DEPTH, too_deep
from muskox.server.tokens import verify_bearer_token

if TYPE_CHECKING:
    from muskox.plugin.dialect import Dialect

log = logging.getLogger("muskox.server.admin_api")

INFRAMAP_PATH = "/admin/inframap"
PLAN_PATH = "/admin/plan"
NOT_CONFIGURED = "Admin API key not configured"
INVALID_TOKEN = "Invalid or missing token"
_ROUTES: dict[str, str] = {INFRAMAP_PATH: "GET", PLAN_PATH: "POST"}


@attrs.frozen
class Reply:
    """An HTTP status and a JSON body."""

    status: int
    body: dict[str, Any]

    def encoded(self) -> bytes:
        """The body as UTF-8 JSON."""
        return json.dumps(self.body, sort_keys=True).encode("utf-8")


def error_reply(status: int, message: str) -> Reply:
    """``{"status": "error", "message": …}`` (credentials masked)."""
    return Reply(status, {"status": "error", "message": mask_text(message)})


class AdminState(Protocol):
    """What the Admin API reads; ``muskox prod`` implements it with the state store and the database."""

    @property
    def dialect(self) -> Dialect:
        """The OLAP backend's dialect, which maps are encoded in."""

    def current_state(self) -> InfraMap:
        """The stored state reconciled with the database (the deployed code's ids adopt unmapped objects)."""

    def applied_migrations(self) -> list[str]:
        """The ids of the applied migration files (delta mode; empty otherwise)."""

    def plan(self, target: InfraMap) -> dict[str, Any]:
        """The plan from the current state to ``target``, as ``muskox plan --json`` prints it."""


@attrs.define
class AdminApi:
    """Routes, authentication and error handling of the Admin API."""

    state: AdminState
    api_key_hash: str | None = attrs.field(repr=False)

    def handles(self, path: str) -> bool:
        """True for paths under ``/admin`` (the rest of the server's routes are not the Admin API's)."""
        return path == "/admin" or path.startswith("/admin/")

    def handle(self, method: str, path: str, authorization: str | None, body: Callable[[], bytes]) -> Reply:
        """Answer one request; ``body`` reads the request body (only called for authorized POSTs)."""
        expected = _ROUTES.get(path)
        if expected is None:
            return error_reply(404, f"no Admin API endpoint {path} (there are {', '.join(sorted(_ROUTES))})")
        if method != expected:
            return error_reply(405, f"{path} takes {expected} requests, not {method}")
        refused = self.authorize(authorization)
        if refused is not None:
            return refused
        try:
            if path == INFRAMAP_PATH:
                return self._inframap()
            return self._plan(body())
        except MuskoxError as exc:
            log.warning("Admin API %s %s failed: %s", method, path, exc.one_line())
            return error_reply(503, exc.one_line())
        except Exception:
            log.exception("Admin API %s %s failed unexpectedly", method, path)
            return error_reply(500, "unexpected failure; the server's log has the traceback")

    def authorize(self, authorization: str | None) -> Reply | None:
        """None when the request carries a valid bearer token, else the 401 reply."""
        if not self.api_key_hash:
            return error_reply(401, NOT_CONFIGURED)
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error_reply(401, INVALID_TOKEN)
        if not verify_bearer_token(token, self.api_key_hash):
            return error_reply(401, INVALID_TOKEN)
        return None

    def _inframap(self) -> Reply:
        current = self.state.current_state()
        return Reply(200, {"status": "success", "infra_map": model_codec(self.state.dialect).to_json(current),
                           "applied_migrations": list(self.state.applied_migrations())})

    def _plan(self, raw: bytes) -> Reply:
        try:
            document = json.loads(raw or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return error_reply(400, f"the request body is not JSON: {exc}")
        except RecursionError:
            return error_reply(400, f"the request body nests more than {MAX_JSON_DEPTH} levels deep")
        if too_deep(document):
            return error_reply(400, f"the request body nests more than {MAX_JSON_DEPTH} levels deep")
        if isinstance(document, dict) and isinstance(document.get("infra_map"), dict):
            document = document["infra_map"]
        if not isinstance(document, dict):
            return error_reply(400, 'the request body must be a JSON InfraMap or {"infra_map": <InfraMap>}')
        try:
            target = model_codec(self.state.dialect).from_json(document, InfraMap)
        except ValueError as exc:  # the codec's messages name the path and the value's kind
            return error_reply(400, f"the posted InfraMap is invalid: {exc}")
        except Exception:  # anything else would show Python's internals: say what, not how
            log.debug("Admin API: unreadable InfraMap", exc_info=True)
            return error_reply(400, "the posted InfraMap is invalid: a value does not have the shape of an InfraMap "
                                    "(send what `muskox plan --json` prints as target_infra_map)")
        return Reply(200, self.state.plan(target))
