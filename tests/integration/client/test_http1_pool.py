"""kruise.client's keep-alive connection pool (and what a watch asks for) against a raw socket
server that misbehaves on cue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from kruise.client import Client
from kruise.client.config import ClientConfig
from kruise.client.errors import TransportError
from kruise.client.http1 import ConnectFailed, ConnectionPool
from kruise.client.resources import NAMESPACES
from kruise.client.rest import RetryPolicy

OK_BODY = b'{"kind":"Namespace","metadata":{"name":"default"}}'


def answer(body: bytes = OK_BODY, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra
        + (b"Content-Length: %d\r\n\r\n" % len(body) + body)
    )


class RawServer:
    """Reads one request head (and Content-Length body) at a time and lets `respond` write the
    answer with the raw writer: it may close, drop or split the answer as a test needs."""

    def __init__(self, respond: Callable[[int, bytes, asyncio.StreamWriter], object]) -> None:
        self.respond = respond
        self.connections = 0
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length) if length else b""
                self.requests.append(head + body)
                result = self.respond(len(self.requests), head, writer)
                if asyncio.iscoroutine(result):
                    await result
                await writer.drain()
                if writer.is_closing():
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[..., object]]:
    servers: list[asyncio.Server] = []

    async def start(respond: Callable[[int, bytes, asyncio.StreamWriter], object]) -> tuple[RawServer, int]:
        raw = RawServer(respond)
        server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
        servers.append(server)
        return raw, server.sockets[0].getsockname()[1]

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_sequential_requests_share_one_keep_alive_connection(raw_server) -> None:
    raw, port = await raw_server(lambda n, head, w: w.write(answer()))
    async with Client(ClientConfig(server=f"http://127.0.0.1:{port}")) as c:
        for _ in range(5):
            assert (await c.get(NAMESPACES, "default"))["metadata"]["name"] == "default"
    assert raw.connections == 1
    first = raw.requests[0].decode()
    assert first.startswith("GET /api/v1/namespaces/default HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{port}\r\n" in first and "Accept: application/json\r\n" in first


async def test_query_values_are_percent_encoded(raw_server) -> None:
    raw, port = await raw_server(lambda n, head, w: w.write(answer(b'{"items":[]}')))
    async with Client(ClientConfig(server=f"http://127.0.0.1:{port}")) as c:
        await c.list(NAMESPACES, label_selector="tier in (a,b),app=x+y", limit=2)
    line = raw.requests[0].split(b"\r\n")[0].decode()
    assert (
        line == "GET /api/v1/namespaces?labelSelector=tier%20in%20%28a%2Cb%29%2Capp%3Dx%2By&limit=2 HTTP/1.1"
    )


async def test_a_connection_the_server_closes_is_replaced(raw_server) -> None:
    def respond(n: int, head: bytes, w: asyncio.StreamWriter) -> None:
        w.write(answer(extra=b"Connection: close\r\n" if n == 1 else b""))
        if n == 2:
            w.close()  # closed while idle, after a keep-alive answer

    raw, port = await raw_server(respond)
    async with Client(ClientConfig(server=f"http://127.0.0.1:{port}")) as c:
        for _ in range(3):
            await c.get(NAMESPACES, "default")
            await asyncio.sleep(0.05)  # let the pool see the close
    assert raw.connections == 3


async def test_an_answer_cut_short_is_retried_for_get_but_not_for_post(raw_server) -> None:
    def respond(n: int, head: bytes, w: asyncio.StreamWriter) -> None:
        if n in (1, 3):  # half an answer, then the connection drops
            w.write(answer()[:40])
            w.close()
        else:
            w.write(answer())

    raw, port = await raw_server(respond)
    cfg = ClientConfig(server=f"http://127.0.0.1:{port}")
    async with Client(cfg, retry=RetryPolicy(base=0.01, cap=0.02)) as c:
        assert (await c.get(NAMESPACES, "default"))["metadata"]["name"] == "default"
        assert len(raw.requests) == 2
        with pytest.raises(TransportError, match="POST /api/v1/namespaces: ConnectionBroken"):
            await c.create(NAMESPACES, {"metadata": {"name": "x"}})
        assert len(raw.requests) == 3  # the create may have been applied: not repeated


async def test_a_chunked_answer_written_in_pieces_is_read_whole(raw_server) -> None:
    async def respond(n: int, head: bytes, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        for piece in (OK_BODY[:10], OK_BODY[10:]):
            w.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await w.drain()
            await asyncio.sleep(0.01)
        w.write(b"0\r\n\r\n")

    raw, port = await raw_server(respond)
    async with Client(ClientConfig(server=f"http://127.0.0.1:{port}")) as c:
        assert (await c.get(NAMESPACES, "default"))["metadata"]["name"] == "default"
        assert (await c.get(NAMESPACES, "default"))["metadata"]["name"] == "default"
    assert raw.connections == 1


@pytest.mark.parametrize("for_cache", [True, False])
async def test_a_cache_watch_asks_the_server_to_leave_managed_fields_out(raw_server, for_cache: bool) -> None:
    meta = b'{"name":"default","managedFields":[{"manager":"m"}]}'
    event = b'{"type":"ADDED","object":{"kind":"Namespace","metadata":' + meta + b"}}\n"

    def respond(n: int, head: bytes, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        w.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(event), event))

    raw, port = await raw_server(respond)
    async with Client(ClientConfig(server=f"http://127.0.0.1:{port}")) as c:
        events = [e async for e in c.watch(NAMESPACES, for_cache=for_cache)]
    asked = b"\r\nx-kruise-omit-managed-fields: true\r\n" in raw.requests[0].lower()
    assert asked is for_cache
    # a server that ignores the header (any kube-apiserver): the cache still never holds them
    assert [("managedFields" in obj["metadata"]) for _t, obj in events] == [not for_cache]


async def test_a_controllers_client_asks_for_every_answer_without_managed_fields(raw_server) -> None:
    raw, port = await raw_server(lambda n, head, w: w.write(answer()))
    config = ClientConfig(server=f"http://127.0.0.1:{port}")
    async with Client(config, omit_managed_fields=True) as lean, Client(config) as plain:
        await lean.get(NAMESPACES, "default")
        await lean.create(NAMESPACES, {"metadata": {"name": "x"}})
        await plain.get(NAMESPACES, "default")
    asked = [b"\r\nx-kruise-omit-managed-fields: true\r\n" in r.lower() for r in raw.requests]
    assert asked == [True, True, False]


async def test_the_pool_bounds_connections_and_times_out_a_silent_server(raw_server, unused_tcp_port) -> None:
    async def slow(n: int, head: bytes, w: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.2)
        w.write(answer())

    raw, port = await raw_server(slow)
    pool = ConnectionPool("127.0.0.1", port, limit=2)
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    answers = await asyncio.gather(*(pool.request(request, timeout=10) for _ in range(6)))
    assert [a.status for a in answers] == [200] * 6
    assert raw.connections == 2
    with pytest.raises(TimeoutError):
        await pool.request(request, timeout=0.05)
    pool.close()
    with pytest.raises(ConnectFailed, match=r"cannot connect to 127\.0\.0\.1"):
        await ConnectionPool("127.0.0.1", unused_tcp_port).request(request, timeout=5)


async def test_bytes_nobody_asked_for_retire_the_connection(raw_server) -> None:
    async def respond(n: int, head: bytes, w: asyncio.StreamWriter) -> None:
        w.write(answer())
        if n == 1:
            await w.drain()
            await asyncio.sleep(0.05)
            w.write(b"HTTP/1.1 200 OK\r\n")  # out of step: an answer to nothing

    raw, port = await raw_server(respond)
    pool = ConnectionPool("127.0.0.1", port)
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    assert (await pool.request(request, timeout=5)).status == 200
    await asyncio.sleep(0.2)
    assert (await pool.request(request, timeout=5)).status == 200
    assert raw.connections == 2
    pool.close()
