"""A lean HTTP/1.1 client for the API's request/response calls: keep-alive connections on asyncio
protocols, Content-Length, chunked and close-delimited bodies.

Controllers and node agents make thousands of small calls a second; aiohttp's generic client
machinery (URL objects, timers, tracing, cookie jars, stream readers) cost them a fifth of their
CPU. Watches, which are long streams, stay on aiohttp (see rest.py).
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time
from dataclasses import dataclass, field

from .errors import TransportError

MAX_HEAD_BYTES = 64 * 1024
IDLE_TTL = 15.0  # seconds an idle connection is trusted; servers close theirs after 60-90 s


class ConnectFailed(TransportError):
    """The connection could not be opened: nothing was sent, so the request may always be repeated."""


class TlsFailed(TransportError):
    """The TLS handshake failed (an untrusted certificate, a wrong name): repeating will not help."""


class ConnectionBroken(TransportError):
    """The connection failed after the request was (perhaps) sent: repeat only what is idempotent."""


class ProtocolError(ConnectionBroken):
    """The server's answer is not HTTP/1.x as this client reads it."""


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").partition(";")[0].strip().lower()


# ---------------------------------------------------------------------- parsing (no I/O)
class ResponseReader:
    """Reads one response from the bytes fed to it, however they are split; `feed` answers True once
    the response is complete. A body without length ends when the connection does (`end`)."""

    def __init__(self, head_only: bool = False) -> None:
        self._buf = bytearray()
        self._head_only = head_only  # a HEAD request: the answer has no body whatever it says
        self.response: Response | None = None
        self.keep_alive = False
        self._mode = ""  # "length" | "chunked" | "eof" once the head is read
        self._remaining = 0
        self._chunks: list[bytes] = []

    def feed(self, data: bytes) -> bool:
        self._buf += data
        if self.response is None and not self._read_head():
            return False
        if self._mode == "length":
            if len(self._buf) < self._remaining:
                return False
            if len(self._buf) > self._remaining:
                raise ProtocolError("the server sent more than Content-Length")
            return self._finish(bytes(self._buf))
        if self._mode == "chunked":
            return self._read_chunks()
        return False  # until EOF

    def end(self) -> bool:
        """The connection closed: True if that completes the response."""
        if self.response is not None and self._mode == "eof":
            self.keep_alive = False
            return self._finish(bytes(self._buf))
        return False

    def _finish(self, body: bytes) -> bool:
        assert self.response is not None
        self.response.body = body
        self._buf.clear()
        return True

    def _read_head(self) -> bool:
        while True:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buf) > MAX_HEAD_BYTES:
                    raise ProtocolError("response head larger than 64 KiB")
                return False
            lines = self._buf[:end].decode("latin-1").split("\r\n")
            del self._buf[: end + 4]
            version, _, rest = lines[0].partition(" ")
            code = rest[:3]
            if not version.startswith("HTTP/1.") or not code.isdigit():
                raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
            status = int(code)
            if 100 <= status < 200:
                continue  # an interim answer (100 Continue): the real one follows
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if not sep:
                    raise ProtocolError(f"malformed header line {line[:80]!r}")
                key = name.strip().lower()
                value = value.strip()
                headers[key] = f"{headers[key]}, {value}" if key in headers else value
            self.response = Response(status, headers)
            connection = headers.get("connection", "").lower()
            self.keep_alive = version == "HTTP/1.1" and "close" not in connection
            self._choose_framing(status, headers)
            return True

    def _choose_framing(self, status: int, headers: dict[str, str]) -> None:
        if self._head_only or status in (204, 304):
            self._mode, self._remaining = "length", 0
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self._mode = "chunked"
        elif "content-length" in headers:
            length = headers["content-length"].split(",")[0].strip()
            if not length.isdigit():
                raise ProtocolError(f"bad Content-Length {headers['content-length']!r}")
            self._mode, self._remaining = "length", int(length)
        else:
            self._mode, self.keep_alive = "eof", False

    def _read_chunks(self) -> bool:
        buf = self._buf
        pos = 0
        while True:
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                break
            size_text = buf[pos:line_end].split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError(f"bad chunk size {bytes(size_text[:20])!r}") from None
            if size == 0:  # the last chunk; done at the blank line that ends the trailers
                if buf.find(b"\r\n\r\n", line_end) >= 0:
                    return self._finish(b"".join(self._chunks))
                break
            data_start = line_end + 2
            if len(buf) < data_start + size + 2:
                break
            if buf[data_start + size : data_start + size + 2] != b"\r\n":
                raise ProtocolError("a chunk does not end with CRLF")
            self._chunks.append(bytes(buf[data_start : data_start + size]))
            pos = data_start + size + 2
        del buf[:pos]
        return False


# ---------------------------------------------------------------------- connections
class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = time.monotonic()
        self._reader: ResponseReader | None = None
        self._waiter: asyncio.Future[Response] | None = None

    # protocol callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        reader, waiter = self._reader, self._waiter
        if reader is None or waiter is None or waiter.done():
            self.abort()  # bytes nobody asked for: the stream is out of step
            return
        try:
            done = reader.feed(data)
        except ProtocolError as e:
            waiter.set_exception(e)
            self.abort()
            return
        if done:
            self._reader = None
            assert reader.response is not None
            if not reader.keep_alive:
                self.abort()
            waiter.set_result(reader.response)

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost settles the waiter

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        reader, waiter = self._reader, self._waiter
        if waiter is None or waiter.done():
            return
        if reader is not None and reader.end():
            assert reader.response is not None
            waiter.set_result(reader.response)
        else:
            waiter.set_exception(ConnectionBroken(f"connection closed before the answer: {exc or 'EOF'}"))

    # use
    async def exchange(self, data: bytes, head_only: bool) -> Response:
        assert self.transport is not None
        self._reader = ResponseReader(head_only)
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self._waiter

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class ConnectionPool:
    """Keep-alive connections to one server; at most `limit` requests in flight (and so connections)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        limit: int = 256,
        connect_timeout: float = 10.0,
    ) -> None:
        self.host, self.port = host, port
        self._ssl = ssl_context
        self._server_hostname = server_hostname
        self._connect_timeout = connect_timeout
        self._slots = asyncio.Semaphore(limit)
        self._idle: collections.deque[_Connection] = collections.deque()
        self._open: set[_Connection] = set()

    async def request(self, data: bytes, *, timeout: float | None, head_only: bool = False) -> Response:
        """Send one serialized request and read its answer. Raises ConnectFailed, TlsFailed,
        ConnectionBroken or TimeoutError."""
        async with self._slots:
            conn = await self._acquire()
            try:
                async with asyncio.timeout(timeout):
                    response = await conn.exchange(data, head_only)
            except BaseException:
                conn.abort()  # a half-read answer leaves it unusable
                self._open.discard(conn)
                raise
            if conn.closed:
                self._open.discard(conn)
            else:
                conn.idle_since = time.monotonic()
                self._idle.append(conn)
            return response

    async def _acquire(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()  # the most recently used: the least likely to be stale
            if not conn.closed and now - conn.idle_since < IDLE_TTL:
                return conn
            conn.abort()
            self._open.discard(conn)
        return await self._connect()

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        tls = {"ssl": self._ssl, "server_hostname": self._server_hostname or self.host} if self._ssl else {}
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, conn = await loop.create_connection(_Connection, self.host, self.port, **tls)
        except ssl.SSLError as e:
            raise TlsFailed(f"TLS with {self.host}:{self.port}: {e}") from e
        except (OSError, TimeoutError) as e:
            raise ConnectFailed(f"cannot connect to {self.host}:{self.port}: {e or 'timed out'}") from e
        self._open.add(conn)
        return conn

    def close(self) -> None:
        for conn in self._open:
            conn.abort()
        self._open.clear()
        self._idle.clear()
