"""Remote planning: the current state read from a running ``muskox prod`` (or Moose) Admin API.

``muskox plan --url URL --token T`` and ``muskox generate migration --url URL --token T`` ask the server for
``GET /admin/inframap`` — its stored state reconciled with its database — and plan the local code against
it, as ``--clickhouse-url`` plans against the state read directly. The code is loaded with the server's
default database, so the plan is for the database the server manages. Every failure is one line with the fix.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from muskox.config import Config
from muskox.errors import ConnectionFailed, MuskoxError
from muskox.exit_codes import ExitCode
from muskox.masking import mask_url
from muskox.model.codec import model_codec
from muskox.model.infra_map import InfraMap
from muskox.plan.workspace import PlanningInputs, load_target
from muskox.server.admin_api import INFRAMAP_PATH

if TYPE_CHECKING:
    from muskox.plugin.dialect import Dialect

TOKEN_ENV = ("MUSKOX_ADMIN_TOKEN", "MOOSE_ADMIN_TOKEN")
"""Environment variables ``--token`` is read from when not given (Moose's name second)."""
DEFAULT_TIMEOUT = 60.0
_TOKEN_FIX = ("pass --token (or set MUSKOX_ADMIN_TOKEN) to a bearer token from `muskox generate hash-token` whose "
              "api key hash is the server's [authentication] admin_api_key")


class RemoteStateError(MuskoxError):
    """The Admin API answered, but not with a state (refused the token, or an error)."""

    exit_code = ExitCode.CONNECTION


@attrs.frozen
class RemoteState:
    """What ``GET /admin/inframap`` returned."""

    infra_map: InfraMap
    applied_migrations: tuple[str, ...] | None
    """The server's applied migration files (delta mode); None when it does not say (a Moose server)."""
    url: str


def inframap_url(url: str) -> str:
    """The ``/admin/inframap`` endpoint of the server at ``url`` (a base URL, or the endpoint itself)."""
    base = url.strip().rstrip("/")
    for suffix in (INFRAMAP_PATH, "/admin"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    if "://" not in base:
        base = f"http://{base}"
    return base + INFRAMAP_PATH


def fetch_remote_state(url: str, token: str | None, dialect: Dialect, *,
                       timeout: float = DEFAULT_TIMEOUT) -> RemoteState:
    """``GET /admin/inframap`` with the bearer token (the map read in the OLAP backend's ``dialect``); raises a
    one-line :class:`MuskoxError` on any failure."""
    endpoint = inframap_url(url)
    shown = mask_url(endpoint)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token.strip()}"
    request = urllib.request.Request(endpoint, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise _http_error(exc, shown, token) from None
    except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConnectionFailed(f"cannot reach the Admin API at {shown}: {reason}",
                               "check the URL (http://host:port of `muskox prod`, [http_server_config] port) and "
                               "that the server is running and reachable from here") from None
    return _parse(raw, shown, dialect)


def _http_error(exc: urllib.error.HTTPError, shown: str, token: str | None) -> MuskoxError:
    message = _message(exc)
    if exc.code == 401:
        if "not configured" in message.lower():
            return RemoteStateError(f"the Admin API at {shown} refused the request: {message}",
                                    "set [authentication] admin_api_key on the server (MUSKOX_AUTHENTICATION__"
                                    "ADMIN_API_KEY) to the api key hash of `muskox generate hash-token`, restart it, "
                                    "and pass its bearer token with --token")
        what = "no token was given" if not token else "the token was refused"
        return RemoteStateError(f"the Admin API at {shown} refused the request ({what}): {message}", _TOKEN_FIX)
    if exc.code == 404:
        return RemoteStateError(f"{shown} has no Admin API ({exc.code} {message})",
                                "give the base URL of `muskox prod` (http://host:port), not another service's")
    return RemoteStateError(f"the Admin API at {shown} answered {exc.code}: {message}",
                            "read the server's log; retry when the server is healthy (GET /health)")


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        body = exc.read().decode("utf-8", errors="replace")
    except OSError:
        body = ""
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:200] or str(exc.reason)
    if isinstance(data, dict):
        return str(data.get("message") or data.get("error") or exc.reason)
    return str(exc.reason)


def _parse(raw: bytes, shown: str, dialect: Dialect) -> RemoteState:
    fix = "point --url at `muskox prod` (or a Moose server) and check its version"
    try:
        data: Any = json.loads(raw)
    except ValueError:
        raise RemoteStateError(f"the Admin API at {shown} did not answer JSON", fix) from None
    if not isinstance(data, dict) or not isinstance(data.get("infra_map"), dict):
        raise RemoteStateError(f"the Admin API at {shown} answered without an infra_map", fix)
    try:
        infra_map = model_codec(dialect).from_json(data["infra_map"], InfraMap)
    except Exception as exc:  # ValueError, KeyError, or cattrs' exception groups
        raise RemoteStateError(f"the Admin API at {shown} sent an infra_map muskox cannot read: {exc}", fix) \
            from None
    applied = data.get("applied_migrations")
    return RemoteState(infra_map=infra_map, url=shown,
                       applied_migrations=tuple(str(i) for i in applied) if isinstance(applied, list) else None)


def remote_inputs(config: Config, project_dir: Path, remote: RemoteState, dialect: Dialect) -> PlanningInputs:
    """The planning inputs with the server's state as *current* (the code loaded for its database), compared in
    the OLAP backend's ``dialect``."""
    database = remote.infra_map.default_database
    target = load_target(config, project_dir, database, dialect)
    return PlanningInputs(target=target, stored=None, reality=remote.infra_map, current=remote.infra_map,
                          database=database, dialect=dialect)


def remote_applied(remote: RemoteState) -> list[str]:
    """The server's applied migration files (delta mode needs them to know which committed files are pending)."""
    if remote.applied_migrations is None:
        raise RemoteStateError(f"the Admin API at {remote.url} does not report its applied migration files",
                               "generate delta-mode migrations against a `muskox prod` server, or use "
                               "--clickhouse-url")
    from muskox.apply.plan_record import migration_ids

    return migration_ids(remote.applied_migrations)
