"""The API server's HTTP/1.1 layer: requests parsed on an asyncio protocol, one handler call each,
answers written straight to the transport (Content-Length, or chunked for streams).

It replaced aiohttp's server, whose per-request machinery (request and response objects, stream
readers, writer tasks) was a fifth of the CPU of a Pod create. What the handlers see is small:
`Request` (method, path, query, headers, body, transport) and `Response` / `StreamResponse`.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote

from multidict import CIMultiDict, MultiDict

log = logging.getLogger("kruise.apiserver.http")

MAX_HEAD_BYTES = 1024 * 1024  # as Go's net/http DefaultMaxHeaderBytes
_REASONS = {s.value: s.phrase for s in HTTPStatus}


class RequestError(Exception):
    """The bytes are not a request this server reads; answered with `status`, then closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class BodyTooLarge(RequestError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


# ---------------------------------------------------------------------- requests
class Request:
    """One parsed request. `query` and `path` are decoded as aiohttp and Go decode them."""

    __slots__ = ("_query", "body", "headers", "method", "path", "query_string", "transport", "version")

    def __init__(
        self, method: str, target: str, version: str, headers: CIMultiDict[str], body: bytes
    ) -> None:
        self.method = method
        self.version = version
        self.headers = headers
        self.body = body
        self.transport: asyncio.Transport | None = None
        if not target.startswith("/") and "://" in target:  # absolute-form, as sent to a proxy
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        raw_path, _, self.query_string = target.partition("?")
        self.path = unquote(raw_path) if "%" in raw_path else raw_path
        self._query: MultiDict[str] | None = None

    @property
    def query(self) -> MultiDict[str]:
        if self._query is None:
            self._query = MultiDict(parse_qsl(self.query_string, keep_blank_values=True))
        return self._query

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("Connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection


class RequestParser:
    """Requests from the bytes of one connection, however they are split (no I/O: `feed` returns
    the requests completed). `on_continue` is called when a client waits for `100 Continue`."""

    def __init__(self, max_body: int, on_continue: Callable[[], None] | None = None) -> None:
        self.max_body = max_body
        self.on_continue = on_continue
        self._buf = bytearray()
        self._head: tuple[str, str, str, CIMultiDict[str]] | None = None
        self._length = 0  # body bytes expected (Content-Length), or -1 for chunked
        self._chunks: list[bytes] = []
        self._chunked_size = 0

    def feed(self, data: bytes) -> list[Request]:
        self._buf += data
        out = []
        while True:
            if self._head is None and not self._read_head():
                return out
            body = self._read_body()
            if body is None:
                return out
            method, target, version, headers = self._head  # type: ignore[misc]
            self._head = None
            out.append(Request(method, target, version, headers, body))

    def _read_head(self) -> bool:
        buf = self._buf
        while buf[:2] == b"\r\n":  # stray CRLFs between requests are allowed (RFC 9112 2.2)
            del buf[:2]
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEAD_BYTES:
                raise RequestError(431, "request header fields too large")
            return False
        lines = buf[:end].decode("latin-1").split("\r\n")
        del buf[: end + 4]
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[0].isalpha():
            raise RequestError(400, f"malformed request line {lines[0][:100]!r}")
        headers: CIMultiDict[str] = CIMultiDict()
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise RequestError(400, f"malformed header line {line[:100]!r}")
            headers.add(name, value.strip())
        if "chunked" in headers.get("Transfer-Encoding", "").lower():
            self._length, self._chunks, self._chunked_size = -1, [], 0
        else:
            text = headers.get("Content-Length", "0").strip()
            if not text.isdigit():
                raise RequestError(400, f"bad Content-Length {text[:40]!r}")
            self._length = int(text)
            if self._length > self.max_body:
                raise BodyTooLarge(self.max_body)
        self._head = (parts[0], parts[1], parts[2], headers)
        if self._length and headers.get("Expect", "").lower() == "100-continue" and self.on_continue:
            self.on_continue()
        return True

    def _read_body(self) -> bytes | None:
        buf = self._buf
        if self._length >= 0:
            if len(buf) < self._length:
                return None
            body = bytes(buf[: self._length])
            del buf[: self._length]
            return body
        pos = 0
        while True:
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                break
            try:
                size = int(buf[pos:line_end].split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise RequestError(400, "bad chunk size in the request body") from None
            if size == 0:
                trailer_end = buf.find(b"\r\n\r\n", line_end)
                if trailer_end < 0:
                    break
                del buf[: trailer_end + 4]
                return b"".join(self._chunks)
            start = line_end + 2
            if len(buf) < start + size + 2:
                break
            self._chunked_size += size
            if self._chunked_size > self.max_body:
                raise BodyTooLarge(self.max_body)
            self._chunks.append(bytes(buf[start : start + size]))
            pos = start + size + 2
        del buf[:pos]
        return None


# ---------------------------------------------------------------------- responses
_date_cache: tuple[int, bytes] = (0, b"")


def _date_header() -> bytes:
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, b"Date: " + formatdate(now, usegmt=True).encode() + b"\r\n")
    return _date_cache[1]


def _head(status: int, headers: CIMultiDict[str], extra: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n".encode()]
    lines.extend(f"{k}: {v}\r\n".encode("latin-1") for k, v in headers.items())
    lines.append(_date_header())
    lines.append(extra)
    return b"".join(lines)


class Response:
    """A whole answer, written at once with its Content-Length."""

    prepared = False

    def __init__(
        self,
        body: bytes = b"",
        status: int = 200,
        content_type: str | None = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.body = body
        self.status = status
        self.headers: CIMultiDict[str] = CIMultiDict(headers or ())
        if content_type and "Content-Type" not in self.headers:
            self.headers["Content-Type"] = content_type

    def encode(self, close: bool, head_only: bool = False) -> bytes:
        extra = b"Content-Length: %d\r\n%s\r\n" % (len(self.body), b"Connection: close\r\n" if close else b"")
        head = _head(self.status, self.headers, extra)
        return head if head_only else head + self.body


class StreamResponse:
    """An answer written as it is produced (watches, large lists, logs), in HTTP chunks."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.headers: CIMultiDict[str] = CIMultiDict(headers or ())
        self.headers.popall("Transfer-Encoding", None)
        self.prepared = False
        self.finished = False
        self._conn: HttpProtocol | None = None

    def enable_chunked_encoding(self) -> None:
        """Streams are always chunked; kept so callers can say so."""

    async def prepare(self, request: Request) -> None:
        conn = _connection_of(request)
        self._conn = conn
        self.prepared = True
        conn.streaming = True
        conn.write(_head(self.status, self.headers, b"Transfer-Encoding: chunked\r\n\r\n"))

    async def write(self, data: bytes) -> None:
        conn = self._conn
        if conn is None:
            raise RuntimeError("write before prepare")
        if conn.closed:
            raise ConnectionResetError("the client closed the connection")
        if data:
            conn.write(b"%x\r\n%s\r\n" % (len(data), data))
            await conn.drain()

    async def write_eof(self) -> None:
        if self._conn is not None and not self.finished:
            self.finished = True
            if not self._conn.closed:
                self._conn.write(b"0\r\n\r\n")


AnyResponse = Response | StreamResponse
Handler = Callable[[Request], Awaitable[AnyResponse]]


def _connection_of(request: Request) -> HttpProtocol:
    transport = request.transport
    conn = transport.get_protocol() if transport is not None else None
    if not isinstance(conn, HttpProtocol):
        raise ConnectionResetError("the request has no open connection")
    return conn


# ---------------------------------------------------------------------- connections
class HttpProtocol(asyncio.Protocol):
    """One client connection: requests are handled one after another, in the order they came."""

    def __init__(
        self,
        handler: Handler,
        error_body: Callable[[RequestError], Response],
        max_body: int,
        connections: set[HttpProtocol],
    ) -> None:
        self._handler = handler
        self._error_body = error_body
        self._connections = connections  # the server's open connections, dropped on close
        self._parser = RequestParser(max_body, self._send_continue)
        self._queue: collections.deque[Request] = collections.deque()
        self._task: asyncio.Task[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._paused = False
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.streaming = False  # the current answer's head is out: errors can only close
        self._refused = False

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the connection is closing after a refusal: what follows is not read
        try:
            requests = self._parser.feed(data)
        except RequestError as e:
            self._refuse(e)
            return
        for request in requests:
            request.transport = self.transport
            self._queue.append(request)
        if self._task is None and self._queue:
            self._task = asyncio.get_running_loop().create_task(self._serve())

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._connections.discard(self)
        self._queue.clear()
        self._wake_writer(ConnectionResetError("the client closed the connection"))

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake_writer(None)

    # writing
    def write(self, data: bytes) -> None:
        if not self.closed and self.transport is not None:
            self.transport.write(data)

    async def drain(self) -> None:
        if self.closed:
            raise ConnectionResetError("the client closed the connection")
        if self._paused:
            self._drain = asyncio.get_running_loop().create_future()
            await self._drain

    def _wake_writer(self, exc: Exception | None) -> None:
        waiter, self._drain = self._drain, None
        if waiter is not None and not waiter.done():
            if exc is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(exc)

    # serving
    async def _serve(self) -> None:
        try:
            while self._queue and not self.closed:
                request = self._queue.popleft()
                if not await self._answer(request):
                    self._close()
                    return
        finally:
            self._task = None
        if self._queue and not self.closed:  # arrived while the last answer was being finished
            self._task = asyncio.get_running_loop().create_task(self._serve())

    async def _answer(self, request: Request) -> bool:
        """Handle one request and send its answer; False when the connection must close."""
        self.streaming = False
        try:
            resp = await self._handler(request)
            if isinstance(resp, StreamResponse):
                await resp.write_eof()
            else:
                self.write(resp.encode(not request.keep_alive, request.method == "HEAD"))
        except ConnectionError:
            return False
        except Exception:  # the handler maps every error it knows; anything else is ours
            log.exception("event=unhandled_error method=%s path=%s", request.method, request.path)
            if not self.streaming:  # mid-stream, closing is the only signal left
                self.write(self._error_body(RequestError(500, "Internal error occurred")).encode(True))
            return False
        return request.keep_alive

    def _send_continue(self) -> None:
        self.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _refuse(self, error: RequestError) -> None:
        """A request that cannot be read: answer once, drop what follows, close."""
        self._refused = True
        self._queue.clear()
        self.write(self._error_body(error).encode(close=True))
        self._close()

    def _close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


class HttpServer:
    """Listens and serves `handler` on every connection; `close` stops listening and drops them."""

    def __init__(
        self, handler: Handler, error_body: Callable[[RequestError], Response], max_body: int
    ) -> None:
        self._handler = handler
        self._error_body = error_body
        self._max_body = max_body
        self._server: asyncio.Server | None = None
        self._connections: set[HttpProtocol] = set()

    def _protocol(self) -> HttpProtocol:
        return HttpProtocol(self._handler, self._error_body, self._max_body, self._connections)

    async def start(self, host: str, port: int, ssl_context: ssl.SSLContext | None) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol, host, port, ssl=ssl_context, reuse_address=True, backlog=1024
        )
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self._connections):
            if conn.transport is not None:
                conn.transport.abort()
        if self._server is not None:
            await self._server.wait_closed()


def text_response(text: str, status: int = 200) -> Response:
    return Response(text.encode(), status, "text/plain; charset=utf-8")
