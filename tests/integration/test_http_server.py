"""The API server's HTTP/1.1 layer on a real socket: keep-alive, pipelining, streams, refusals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
import pytest

from kruise.apiserver.httpserver import (
    HttpServer,
    Request,
    RequestError,
    Response,
    StreamResponse,
    text_response,
)


async def handler(request: Request) -> Response | StreamResponse:
    if request.path == "/stream":
        resp = StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(request)
        for i in range(3):
            await resp.write(b'{"n":%d}\n' % i)
        return resp
    if request.path == "/slow":
        await asyncio.sleep(0.1)
    if request.path == "/boom":
        raise ValueError("a bug")
    body = orjson.dumps({"method": request.method, "path": request.path, "body": request.body.decode()})
    return Response(body, headers={"Warning": '299 - "w"'})


def refusal(e: RequestError) -> Response:
    return text_response(f"refused: {e}", e.status)


@pytest.fixture
async def server() -> AsyncIterator[int]:
    http = HttpServer(handler, refusal, max_body=64)
    port = await http.start("127.0.0.1", 0, None)
    yield port
    await http.close()


async def exchange(port: int, raw: bytes, until_close: bool = True) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(-1) if until_close else reader.read(65536), 10)
    finally:
        writer.close()


def answers(raw: bytes) -> list[tuple[bytes, bytes]]:
    """(status line, body) of each Content-Length answer in a byte stream."""
    out = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = next(int(v) for k, _, v in (x.partition(b": ") for x in lines) if k == b"Content-Length")
        out.append((lines[0], rest[:length]))
        raw = rest[length:]
    return out


async def test_pipelined_requests_are_answered_in_order_on_one_connection(server: int) -> None:
    raw = (
        b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
        b"GET /b HTTP/1.1\r\nConnection: close\r\n\r\n"
    )
    got = answers(await exchange(server, raw))
    assert [orjson.loads(body)["path"] for _, body in got] == ["/slow", "/a", "/b"]
    assert orjson.loads(got[1][1])["body"] == "hi"
    assert all(status == b"HTTP/1.1 200 OK" for status, _ in got)


async def test_an_answer_carries_length_type_date_and_handler_headers(server: int) -> None:
    raw = await exchange(server, b"GET /x HTTP/1.0\r\n\r\n")  # 1.0 without keep-alive: closed after
    head = raw.partition(b"\r\n\r\n")[0].decode()
    assert head.startswith("HTTP/1.1 200 OK\r\n")
    assert "Content-Type: application/json" in head and 'Warning: 299 - "w"' in head
    assert "Connection: close" in head and "\r\nDate: " in head


async def test_a_head_request_gets_the_head_only(server: int) -> None:
    raw = await exchange(server, b"HEAD /x HTTP/1.1\r\n\r\nGET /y HTTP/1.1\r\nConnection: close\r\n\r\n")
    first, _, rest = raw.partition(b"\r\n\r\n")
    assert b"Content-Length: 39" in first  # the length a GET would have had
    assert rest.startswith(b"HTTP/1.1 200 OK\r\n") and rest.endswith(b'"path":"/y","body":""}')


async def test_a_stream_is_chunked_and_the_connection_kept(server: int) -> None:
    raw = await exchange(
        server, b"GET /stream HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\nConnection: close\r\n\r\n"
    )
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    chunks, _, after = rest.partition(b"0\r\n\r\n")
    assert chunks == b'8\r\n{"n":0}\n\r\n8\r\n{"n":1}\n\r\n8\r\n{"n":2}\n\r\n'
    assert b'"path":"/after"' in after


async def test_unreadable_requests_are_refused_and_closed(server: int) -> None:
    raw = await exchange(server, b"POST /a HTTP/1.1\r\nContent-Length: 65\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n")
    assert raw.endswith(b"refused: request body larger than 64 bytes")
    # what follows a refused request is not read, let alone answered
    raw = await exchange(server, b"POST /a HTTP/1.1\r\nContent-Length: 65\r\n\r\nGET /b HTTP/1.1\r\n\r\n")
    assert raw.count(b"HTTP/1.1 ") == 1 and b"/b" not in raw
    raw = await exchange(server, b"BREW /pot HTCPCP/1.0\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 400 Bad Request\r\n") and b"malformed request line" in raw


async def test_a_handler_bug_is_a_500_and_the_server_keeps_serving(server: int) -> None:
    raw = await exchange(server, b"GET /boom HTTP/1.1\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert b"Internal error occurred" in raw
    raw = await exchange(server, b"GET /ok HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")


async def test_close_drops_open_connections() -> None:
    http = HttpServer(handler, refusal, max_body=64)
    port = await http.start("127.0.0.1", 0, None)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /x HTTP/1.1\r\n\r\n")
    await reader.readuntil(b'"/x"')  # the body's path: the answer arrived, the connection is idle
    await http.close()
    assert await asyncio.wait_for(reader.read(-1), 5) == b',"body":""}'  # the rest, then EOF
    writer.close()
