"""The Admin API and the HTTP server of ``muskox prod``, with a fake state (no database)."""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from muskox.errors import ConnectionFailed
from muskox.model.codec import model_codec
from muskox.model.infra_map import InfraMap
from muskox.model.table import Column, Table
from muskox.model.types import Simple
from muskox.plan.remote_state import RemoteStateError, fetch_remote_state, inframap_url
from muskox.server.admin_api import AdminApi
from muskox.server.http_server import PortUnavailable, ProdServer
from muskox.server.tokens import generate_token
from muskox.testing.processes import free_port
from muskox_clickhouse.dialect import CLICKHOUSE

CODEC = model_codec(CLICKHOUSE)

PAIR = generate_token()
STATE = InfraMap.of("analytics", tables=[Table(name="events", columns=(Column(name="id", data_type=Simple("String")),),
                                               order_by=("id",))])


class FakeState:
    """Answers like a database holding STATE; counts calls."""

    dialect = CLICKHOUSE

    def __init__(self) -> None:
        self.planned: list[InfraMap] = []

    def current_state(self) -> InfraMap:
        return STATE

    def applied_migrations(self) -> list[str]:
        return ["20260101_000000_000_migration"]

    def plan(self, target: InfraMap) -> dict[str, Any]:
        self.planned.append(target)
        return {"changes": False, "operations": []}


def api(key: str | None = PAIR.api_key_hash) -> AdminApi:
    return AdminApi(FakeState(), key)


def no_body() -> bytes:
    raise AssertionError("the body must not be read")


def test_missing_key_refuses_everything() -> None:
    reply = api(None).handle("GET", "/admin/inframap", f"Bearer {PAIR.bearer_token}", no_body)
    assert (reply.status, reply.body["message"]) == (401, "Admin API key not configured")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", f"Basic {PAIR.bearer_token}",
                                    "Bearer 00.11", f"Bearer {generate_token().bearer_token}"])
def test_missing_or_wrong_tokens_are_refused(header: str | None) -> None:
    reply = api().handle("GET", "/admin/inframap", header, no_body)
    assert (reply.status, reply.body["message"]) == (401, "Invalid or missing token")


def test_inframap_with_a_good_token() -> None:
    reply = api().handle("GET", "/admin/inframap", f"bearer {PAIR.bearer_token}", no_body)
    assert reply.status == 200
    assert reply.body == {"status": "success", "infra_map": CODEC.to_json(STATE),
                          "applied_migrations": ["20260101_000000_000_migration"]}


def test_plan_takes_the_wrapped_or_the_bare_map() -> None:
    admin = api()
    for document in ({"infra_map": CODEC.to_json(STATE)}, CODEC.to_json(STATE)):
        reply = admin.handle("POST", "/admin/plan", f"Bearer {PAIR.bearer_token}",
                             lambda document=document: json.dumps(document).encode())
        assert (reply.status, reply.body) == (200, {"changes": False, "operations": []})
    assert admin.state.planned == [STATE, STATE]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("body", "message"), [(b"{", "not JSON"), (b"[1]", "must be a JSON InfraMap"),
                                               (b'{"tables": {"x": {"name": 3}}}', "InfraMap is invalid")])
def test_bad_plan_bodies_are_400(body: bytes, message: str) -> None:
    reply = api().handle("POST", "/admin/plan", f"Bearer {PAIR.bearer_token}", lambda: body)
    assert reply.status == 400 and message in reply.body["message"]


def test_unknown_paths_and_methods() -> None:
    assert api().handle("GET", "/admin/nothing", None, no_body).status == 404
    assert api().handle("POST", "/admin/inframap", None, no_body).status == 405
    assert api().handle("GET", "/admin/plan", None, no_body).status == 405


def test_known_failures_are_503_with_the_message() -> None:
    class Down(FakeState):
        def current_state(self) -> InfraMap:
            raise ConnectionFailed("cannot connect to http://u:secret@db:8123", "start it")

    reply = AdminApi(Down(), PAIR.api_key_hash).handle("GET", "/admin/inframap", f"Bearer {PAIR.bearer_token}",
                                                       no_body)
    assert reply.status == 503 and "secret" not in reply.body["message"] and "start it" in reply.body["message"]


# -- over HTTP ----------------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[ProdServer]:
    running = ProdServer("127.0.0.1", free_port())
    running.reserve()
    try:
        yield running
    finally:
        running.stop()


def get(url: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_nothing_is_served_before_start_and_health_after(server: ProdServer) -> None:
    host, port = server.address
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=2).close()  # bound, not listening: refused
    server.start(api())
    assert get(f"{server.url}/health") == (200, {"status": "healthy"})
    server.draining()
    assert get(f"{server.url}/health") == (503, {"status": "stopping"})
    assert get(f"{server.url}/nothing")[0] == 404


def test_a_taken_port_fails_before_anything_else(server: ProdServer) -> None:
    server.start(api())
    other = ProdServer("127.0.0.1", server.address[1])
    with pytest.raises(PortUnavailable, match=r"cannot listen on 127\.0\.0\.1"):
        other.reserve()
    other.stop()


def test_requests_are_logged_without_tokens(server: ProdServer, caplog: pytest.LogCaptureFixture) -> None:
    server.start(api())
    with caplog.at_level(logging.DEBUG, logger="muskox"):
        assert get(f"{server.url}/admin/inframap?token=x", PAIR.bearer_token)[0] == 200
        assert get(f"{server.url}/admin/inframap", "wrong.token")[0] == 401
    assert "GET /admin/inframap 200" in caplog.text and "GET /admin/inframap 401" in caplog.text
    for secret in (PAIR.bearer_token, PAIR.api_key_hash, "wrong.token", "token=x"):
        assert secret not in caplog.text


def test_the_remote_state_client_reads_the_server(server: ProdServer) -> None:
    server.start(api())
    remote = fetch_remote_state(server.url + "/", PAIR.bearer_token, CLICKHOUSE)
    assert remote.infra_map == STATE
    assert remote.applied_migrations == ("20260101_000000_000_migration",)
    with pytest.raises(RemoteStateError, match=r"the token was refused\): Invalid or missing token"):
        fetch_remote_state(server.url, "wrong.token", CLICKHOUSE)
    with pytest.raises(RemoteStateError, match=r"no token was given"):
        fetch_remote_state(server.url, None, CLICKHOUSE)


def test_the_client_explains_an_unconfigured_server() -> None:
    running = ProdServer("127.0.0.1", free_port())
    running.start(api(None))
    try:
        with pytest.raises(RemoteStateError, match="Admin API key not configured") as caught:
            fetch_remote_state(running.url, PAIR.bearer_token, CLICKHOUSE)
        assert "admin_api_key" in str(caught.value)
    finally:
        running.stop()


def test_the_client_explains_an_unreachable_server() -> None:
    with pytest.raises(ConnectionFailed, match=r"cannot reach the Admin API at http://127\.0\.0\.1:"):
        fetch_remote_state(f"http://127.0.0.1:{free_port()}", "a.b", CLICKHOUSE, timeout=5)


@pytest.mark.parametrize(("given", "endpoint"), [
    ("http://h:4000", "http://h:4000/admin/inframap"),
    ("http://h:4000/", "http://h:4000/admin/inframap"),
    ("http://h:4000/admin", "http://h:4000/admin/inframap"),
    ("https://h/admin/inframap/", "https://h/admin/inframap"),
    ("h:4000", "http://h:4000/admin/inframap"),
])
def test_inframap_url(given: str, endpoint: str) -> None:
    assert inframap_url(given) == endpoint
