"""The Admin API of a real ``muskox prod`` under hostile requests (issue 15, item 7): JSON for every status,
bounded JSON depth, no Python internals in 400 messages, idle connections closed, threads capped."""

from __future__ import annotations

import http.client
import json
import socket

import pytest

from muskox_clickhouse.local import RunningServer
from tests.e2e.test_prod import V1, Prod, new_token, running, write_project

INTERNALS = ("Traceback", "<class", "KeyError", "TypeError", "AttributeError", "cattrs", "File \"", "object at 0x")


def request(port: int, method: str, path: str, *, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        raw = response.read()
        assert response.getheader("Content-Type") == "application/json", (response.status, raw[:200])
        document = json.loads(raw) if raw else {}
        return response.status, document
    finally:
        connection.close()


def raw_exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(scope="module")
def prod(clickhouse_server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> object:
    project = tmp_path_factory.mktemp("admin")
    database = "prod_admin_hardening"
    write_project(project, database, V1)
    token = new_token(project)
    server = Prod(project, f"{clickhouse_server.http_url}/{database}",
                  env={"MUSKOX_AUTHENTICATION__ADMIN_API_KEY": token["api_key_hash"],
                       "MUSKOX_HTTP_IDLE_SECONDS": "0.5", "MUSKOX_HTTP_MAX_THREADS": "4"})
    with running(server):
        server.wait_healthy()
        server.token = token["bearer_token"]  # type: ignore[attr-defined]
        yield server


def test_every_status_is_json(prod: Prod) -> None:
    auth = {"Authorization": f"Bearer {prod.token}"}  # type: ignore[attr-defined]
    assert request(prod.port, "GET", "/nowhere")[0] == 404
    assert request(prod.port, "GET", "/admin/nowhere", headers=auth)[0] == 404
    for method in ("DELETE", "PUT", "PATCH", "OPTIONS"):
        status, body = request(prod.port, method, "/admin/inframap", headers=auth)
        assert status == 405 and body["status"] == "error", (method, body)
    assert request(prod.port, "DELETE", "/health")[0] == 405
    status, body = request(prod.port, "GET", "/health", headers={"X-Big": "a" * 70000})
    assert status == 431 and body["status"] == "error", body
    reply = raw_exchange(prod.port, b"BREW /pot HTCPCP/1.0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.") and b"application/json" in reply, reply[:300]
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["status"] == "error"


@pytest.mark.parametrize("body", [
    b"[" * 100_000 + b"]" * 100_000,
    json.dumps({"infra_map": {"tables": {"t": {"columns": [[[[]]]]}}}}).encode(),
    b'{"tables": {"t": {"name": 3}}}',
    b'{"tables": {"t": {"columns": "x"}}}',
    b'{"views": [1, 2]}',
    b"\xff\xfe",
    b"{" * 150 + b"}" * 150,
    b'{"topics": {"a": {"partitions": "many"}}}',
])
def test_bad_plan_bodies_are_400_without_internals(prod: Prod, body: bytes) -> None:
    status, document = request(prod.port, "POST", "/admin/plan", body=body,
                                headers={"Authorization": f"Bearer {prod.token}"})  # type: ignore[attr-defined]
    assert status == 400, document
    message = str(document["message"])
    assert not any(word in message for word in INTERNALS), message


def test_idle_connections_are_closed_and_threads_capped(prod: Prod) -> None:
    # an idle connection is closed by the server (recv returns b"" or the 408 reply), not held forever
    with socket.create_connection(("127.0.0.1", prod.port), timeout=60) as sock:
        data = sock.recv(65536)
        while data and not data.endswith(b"}"):
            data += sock.recv(65536)
    assert data == b"" or b"application/json" in data, data
    # more silent connections than threads: the extra ones are refused at once with a JSON 503
    sockets = [socket.create_connection(("127.0.0.1", prod.port), timeout=60) for _ in range(12)]
    try:
        replies = []
        for sock in sockets:
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
            replies.append(b"".join(chunks))
        assert any(reply.startswith(b"HTTP/1.1 503") and b"too many connections" in reply for reply in replies)
    finally:
        for sock in sockets:
            sock.close()
    assert request(prod.port, "GET", "/health")[0] == 200  # still serving
