"""Async REST client for the Kubernetes API: verbs, watch streams, typed errors, retries, rate limit.

Request/response calls go through a lean keep-alive HTTP/1.1 pool (http1.py); watch streams through
an aiohttp session. Bodies are orjson. Objects are plain dicts, as the server sends them.
Retries: a request that never reached the server (connection refused) is always retried; one that
may have been processed is retried only when repeating it is harmless (GET, PUT, DELETE, and PATCH
other than JSON patch). 429 is retried for every verb, because the server rejected it unprocessed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import quote, urlsplit

import aiohttp
import orjson

from ..api import heap
from ..api.wire import OMIT_MANAGED_FIELDS
from .config import ClientConfig, load_config
from .errors import ApiError, Gone, TransportError, from_response, from_status
from .http1 import ConnectFailed, ConnectionBroken, ConnectionPool, Response, TlsFailed
from .resources import Resource

log = logging.getLogger("kruise.client")

Obj = dict[str, Any]
PatchType = Literal["merge", "json", "strategic", "apply"]
PATCH_CONTENT_TYPES: dict[str, str] = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",  # JSON is YAML
}
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_TOKEN_TTL = 30.0  # seconds a provided token is reused before asking the provider again
_PATH_SAFE = "/:@!$&'()*+,;=-._~%?"  # what may stand in a path (and a query a caller put there)
T = TypeVar("T")


class _HttpError(Exception):
    """An error answer (4xx/5xx) inside the retry loop, its body already read."""

    def __init__(self, status: int, payload: bytes, retry_after: str | None) -> None:
        self.status, self.payload, self.retry_after = status, payload, retry_after


def backoff(attempt: int, base: float = 0.1, cap: float = 5.0) -> float:
    """Exponential delay with jitter in [d/2, d], so many clients do not retry in lockstep."""
    d = min(cap, base * (2 ** min(attempt, 30)))
    return random.uniform(d / 2, d)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 6
    base: float = 0.1
    cap: float = 5.0
    max_retry_after: float = 30.0


class TokenBucket:
    """`qps` sustained with `burst` at once; each caller reserves a token and sleeps off any debt."""

    def __init__(self, qps: float, burst: int) -> None:
        self.qps = qps
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._last = time.monotonic()

    def reserve(self) -> float:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    async def acquire(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)


class Client:
    """Async context manager; also usable with an explicit `await client.close()`."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        max_connections: int = 256,
        omit_managed_fields: bool = False,
    ) -> None:
        """omit_managed_fields: this client never reads metadata.managedFields (a controller's), so
        it asks the embedded API server to leave them out of every answer (kruise.api.wire)."""
        self.config = config
        self._lean_headers = {OMIT_MANAGED_FIELDS: "true"} if omit_managed_fields else {}
        self.retry = retry or RetryPolicy()
        self._total_timeout = timeout
        self._connect_timeout = min(timeout, 10.0)
        self._max_connections = max_connections
        self._bucket = TokenBucket(config.qps, config.burst) if config.qps else None
        self._session: aiohttp.ClientSession | None = None
        self._pool: ConnectionPool | None = None
        url = urlsplit(config.server)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"the server must be an http(s) URL, got {config.server!r}")
        self._base_path = url.path.rstrip("/")
        default_port = 443 if url.scheme == "https" else 80
        self._address = (url.hostname, url.port or default_port)
        self._host_header = url.netloc.rpartition("@")[2]
        self._token: str | None = config.token
        self._token_at = float("-inf")
        self._token_lock = asyncio.Lock()

    @classmethod
    def from_kubeconfig(cls, kubeconfig: str | None = None, context: str | None = None) -> Client:
        return cls(load_config(kubeconfig, context))

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _ensure_pool(self) -> ConnectionPool:
        if self._pool is None:
            self._pool = ConnectionPool(
                *self._address,
                ssl_context=self.config.ssl_context(),
                server_hostname=self.config.tls_server_name,
                limit=self._max_connections,
                connect_timeout=self._connect_timeout,
            )
        return self._pool

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            ssl_ctx = self.config.ssl_context()
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, ssl=ssl_ctx if ssl_ctx is not None else True
            )
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.config.user_agent}
            )
        return self._session

    # ------------------------------------------------------------------ read
    async def get(self, res: Resource, name: str, *, namespace: str | None = None) -> Obj:
        return await self._json("GET", res.path(_ns(res, namespace), name))

    async def list(
        self,
        res: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_: str | None = None,
        resource_version: str | None = None,
        resource_version_match: str | None = None,
        for_cache: bool = False,
    ) -> Obj:
        """One page (or everything when no limit). for_cache: the items go into a long-lived cache,
        so metadata.managedFields (never read from a cache) is dropped while decoding and the rest
        is settled out of the cyclic GC's sight (kruise.api.heap)."""
        params = _params(
            labelSelector=label_selector,
            fieldSelector=field_selector,
            limit=limit,
            resourceVersion=resource_version,
            resourceVersionMatch=resource_version_match,
        )
        if continue_:
            params["continue"] = continue_
        return await self._json("GET", res.path(namespace), params=params, for_cache=for_cache)

    async def list_pages(
        self,
        res: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int | None = 500,
        resource_version: str | None = None,
        for_cache: bool = False,
    ) -> AsyncIterator[Obj]:
        """Each page as the server sends it, following continue tokens; the first page's
        metadata.resourceVersion is the list's. Gone mid-way means the token expired: start over."""
        token: str | None = None
        while True:
            page = await self.list(
                res,
                namespace=namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                limit=page_size,
                continue_=token,
                resource_version=None if token else resource_version,
                for_cache=for_cache,
            )
            yield page
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return

    async def list_all(
        self,
        res: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int | None = 500,
        resource_version: str | None = None,
    ) -> Obj:
        """Every page joined into one list; metadata.resourceVersion is the first page's."""
        sel = {"namespace": namespace, "label_selector": label_selector, "field_selector": field_selector}
        items: list[Obj] = []
        first: Obj | None = None
        try:
            async for page in self.list_pages(
                res, **sel, page_size=page_size, resource_version=resource_version
            ):
                first = first or page
                items.extend(page.get("items") or [])
        except Gone:
            if first is None:
                raise
            # The continue token expired mid-way: fall back to one consistent unpaged list.
            first = await self.list(res, **sel)
            items = list(first.get("items") or [])
        assert first is not None
        meta = first.get("metadata") or {}
        return {
            "apiVersion": first.get("apiVersion", res.api_version),
            "kind": first.get("kind", res.kind + "List"),
            "metadata": {"resourceVersion": meta.get("resourceVersion", "")},
            "items": items,
        }

    async def watch(
        self,
        res: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resource_version: str | None = None,
        allow_bookmarks: bool = True,
        timeout_seconds: int | None = None,
        for_cache: bool = False,
    ) -> AsyncIterator[tuple[str, Obj]]:
        """(type, object) pairs: ADDED, MODIFIED, DELETED, BOOKMARK. An ERROR event raises its typed
        error (Gone when the resourceVersion is too old); a broken stream raises TransportError; the
        iterator ends when the server closes the watch normally (timeoutSeconds)."""
        batches = self.watch_batches(
            res,
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            resource_version=resource_version,
            allow_bookmarks=allow_bookmarks,
            timeout_seconds=timeout_seconds,
            for_cache=for_cache,
        )
        async with contextlib.aclosing(batches) as stream:
            async for batch in stream:
                for event in batch:
                    yield event

    async def watch_batches(
        self,
        res: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resource_version: str | None = None,
        allow_bookmarks: bool = True,
        timeout_seconds: int | None = None,
        for_cache: bool = False,
    ) -> AsyncIterator[list[tuple[str, Obj]]]:
        """As watch(), but the events already received arrive together, so a consumer draining a
        backlog can handle them in one synchronous step."""
        params = _params(
            watch="true",
            labelSelector=label_selector,
            fieldSelector=field_selector,
            resourceVersion=resource_version,
            allowWatchBookmarks="true" if allow_bookmarks else None,
            timeoutSeconds=timeout_seconds,
        )
        # a cache drops managedFields: the embedded API server can leave them out (kruise.api.wire)
        extra = {OMIT_MANAGED_FIELDS: "true"} if for_cache else {}
        resp = await self._open_stream(res.path(namespace), params, timeout_seconds, extra)
        try:
            async for lines in _line_batches(resp):
                batch: list[tuple[str, Obj]] = []
                for event in _loads_many(lines, for_cache):
                    kind, obj = event.get("type"), event.get("object")
                    if kind == "ERROR":
                        if batch:
                            yield batch
                        raise from_status(obj if isinstance(obj, dict) else {})
                    batch.append((kind, obj))
                yield batch
        except (aiohttp.ClientError, TimeoutError) as e:
            raise TransportError(f"watch {res.plural}: stream broken: {e!r}") from e
        finally:
            resp.close()

    # ------------------------------------------------------------------ write
    async def create(
        self,
        res: Resource,
        body: Obj,
        *,
        namespace: str | None = None,
        field_manager: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        ns = _ns(res, namespace or _body_namespace(res, body))
        params = _params(fieldManager=field_manager, dryRun="All" if dry_run else None)
        return await self._json("POST", res.path(ns), body=body, params=params)

    async def update(
        self,
        res: Resource,
        body: Obj,
        *,
        namespace: str | None = None,
        field_manager: str | None = None,
        dry_run: bool = False,
        subresource: str | None = None,
    ) -> Obj:
        """PUT the whole object; metadata.resourceVersion makes it a compare-and-swap (Conflict)."""
        ns = _ns(res, namespace or _body_namespace(res, body))
        name = _meta(body).get("name")
        if not name:
            raise ValueError("update needs metadata.name in the body")
        params = _params(fieldManager=field_manager, dryRun="All" if dry_run else None)
        path = res.path(ns, name, subresource)
        return await self._json("PUT", path, body=body, params=params)

    async def update_status(
        self,
        res: Resource,
        body: Obj,
        *,
        namespace: str | None = None,
        field_manager: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        return await self.update(
            res, body, namespace=namespace, field_manager=field_manager, dry_run=dry_run, subresource="status"
        )

    async def patch(
        self,
        res: Resource,
        name: str,
        body: Any,
        *,
        patch_type: PatchType = "merge",
        namespace: str | None = None,
        subresource: str | None = None,
        field_manager: str | None = None,
        force: bool | None = None,
        dry_run: bool = False,
    ) -> Obj:
        content_type = PATCH_CONTENT_TYPES.get(patch_type)
        if content_type is None:
            raise ValueError(f"unknown patch type {patch_type!r}; one of {sorted(PATCH_CONTENT_TYPES)}")
        if patch_type == "apply" and not field_manager:
            raise ValueError("server-side apply needs a field_manager")
        params = _params(
            fieldManager=field_manager,
            force=None if force is None else ("true" if force else "false"),
            dryRun="All" if dry_run else None,
        )
        return await self._json(
            "PATCH",
            res.path(_ns(res, namespace), name, subresource),
            body=body,
            params=params,
            content_type=content_type,
            idempotent=patch_type != "json",
        )

    async def delete(
        self,
        res: Resource,
        name: str,
        *,
        namespace: str | None = None,
        grace_period: int | None = None,
        propagation: str | None = None,
        preconditions: Mapping[str, str] | None = None,
        dry_run: bool = False,
    ) -> Obj | None:
        """The object (still present with a deletionTimestamp, or as it was when removed), or None
        when the server answers with a bare Status."""
        body = _delete_options(grace_period, propagation, preconditions, dry_run)
        out = await self._json("DELETE", res.path(_ns(res, namespace), name), body=body)
        return None if out.get("kind") == "Status" else out

    async def delete_collection(
        self,
        res: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        grace_period: int | None = None,
        propagation: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        body = _delete_options(grace_period, propagation, None, dry_run)
        params = _params(labelSelector=label_selector, fieldSelector=field_selector)
        return await self._json("DELETE", res.path(_ns(res, namespace)), body=body, params=params)

    # ------------------------------------------------------------------ raw
    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        content_type: str | None = None,
        accept: str = "application/json, */*",
    ) -> Any:
        """Any path (subresources such as binding, eviction, scale, log): decoded JSON, else text."""
        method = method.upper()
        idempotent = method in _IDEMPOTENT or (
            method == "PATCH" and content_type != PATCH_CONTENT_TYPES["json"]
        )
        data, ctype = _encode(body, content_type)
        resp = await self._call(
            method, path, params=params, body=data, content_type=ctype, accept=accept, idempotent=idempotent
        )
        if "json" in resp.content_type and resp.body:
            return _loads(resp.body)
        return resp.body.decode("utf-8", "replace")

    async def _json(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, str] | None = None,
        content_type: str | None = None,
        idempotent: bool | None = None,
        for_cache: bool = False,
    ) -> Obj:
        data, ctype = _encode(body, content_type)
        resp = await self._call(
            method,
            path,
            params=params,
            body=data,
            content_type=ctype,
            idempotent=method in _IDEMPOTENT if idempotent is None else idempotent,
        )
        out = _loads(resp.body, for_cache) if resp.body else {}
        if not isinstance(out, dict):
            raise ApiError(resp.status, "", f"expected a JSON object from {method} {path}")
        return out

    # ------------------------------------------------------------------ transport
    async def _authorization(self) -> str | None:
        provider = self.config.token_provider
        if provider is None:
            return self._token
        if time.monotonic() - self._token_at < _TOKEN_TTL:
            return self._token
        async with self._token_lock:
            if time.monotonic() - self._token_at >= _TOKEN_TTL:
                # Exec plugins run a subprocess: keep it off the event loop.
                self._token = await asyncio.to_thread(provider)
                self._token_at = time.monotonic()
        return self._token

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        accept: str = "application/json",
        idempotent: bool,
    ) -> Response:
        """A complete 2xx/3xx answer, or a typed error after retries."""
        pool = self._ensure_pool()
        target = self._base_path + quote(path, safe=_PATH_SAFE)
        if params:
            query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items())
            target += ("&" if "?" in target else "?") + query
        start = (
            f"{method} {target} HTTP/1.1\r\nHost: {self._host_header}\r\n"
            f"User-Agent: {self.config.user_agent}\r\n"
        )
        if body is not None or method in ("POST", "PUT", "PATCH"):
            start += f"Content-Length: {len(body or b'')}\r\n"

        async def once(headers: dict[str, str]) -> Response:
            head = start + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            data = head.encode("latin-1") + body if body else head.encode("latin-1")
            resp = await pool.request(data, timeout=self._total_timeout, head_only=method == "HEAD")
            if resp.status >= 400:
                raise _HttpError(resp.status, resp.body, resp.headers.get("retry-after"))
            return resp

        return await self._retrying(method, path, accept, content_type, idempotent, once)

    async def _open_stream(
        self, path: str, params: dict[str, str], timeout_seconds: int | None, extra_headers: dict[str, str]
    ) -> aiohttp.ClientResponse:
        """An open 2xx watch response (the caller closes it), or a typed error after retries."""
        session = self._ensure_session()
        url = self.config.server + path
        # No total deadline; a silent socket is dead after the server's own timeout plus slack.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=self._connect_timeout,
            sock_read=timeout_seconds + 30 if timeout_seconds else None,
        )

        async def once(headers: dict[str, str]) -> aiohttp.ClientResponse:
            try:
                resp = await session.get(
                    url, params=params, headers={**headers, **extra_headers}, timeout=timeout,
                    server_hostname=self.config.tls_server_name,
                )  # fmt: skip
            except aiohttp.ClientSSLError as e:
                raise TlsFailed(f"TLS: {e}") from e
            except aiohttp.ClientConnectorError as e:
                raise ConnectFailed(str(e)) from e
            except aiohttp.ClientError as e:
                raise ConnectionBroken(repr(e)) from e
            if resp.status < 400:
                return resp
            try:
                payload = await resp.read()
            except (aiohttp.ClientError, TimeoutError):
                payload = b""
            finally:
                resp.release()
            raise _HttpError(resp.status, payload, resp.headers.get("Retry-After"))

        return await self._retrying("GET", path, "application/json", None, True, once)

    async def _retrying(
        self,
        method: str,
        path: str,
        accept: str,
        content_type: str | None,
        idempotent: bool,
        once: Callable[[dict[str, str]], Awaitable[T]],
    ) -> T:
        """Run `once` with fresh headers until it answers or the retry policy gives up: a request
        that never left is always repeated, one that may have been processed only if idempotent,
        429 always (the server refused it unprocessed)."""
        attempt = 0
        while True:
            if self._bucket is not None:
                await self._bucket.acquire()
            headers = {"Accept": accept, **self._lean_headers}
            if content_type:
                headers["Content-Type"] = content_type
            token = await self._authorization()
            if token:
                headers["Authorization"] = f"Bearer {token}"
            delay: float | None
            try:
                return await once(headers)
            except TlsFailed as e:
                raise TransportError(f"{method} {path}: {e}") from e
            except ConnectFailed as e:  # nothing was sent: always safe to repeat
                failure: Exception = TransportError(f"{method} {path}: {e}")
                cause: BaseException = e
                delay = backoff(attempt, self.retry.base, self.retry.cap)
            except (ConnectionBroken, TimeoutError) as e:
                failure, cause = TransportError(f"{method} {path}: {e!r}"), e
                delay = backoff(attempt, self.retry.base, self.retry.cap) if idempotent else None
            except _HttpError as e:
                failure = cause = from_response(e.status, e.payload)
                delay = None
                if e.status == 401:
                    self._token_at = float("-inf")  # a provider's token may have been rotated: ask again
                if e.status == 429 or (e.status >= 500 and idempotent):
                    delay = _retry_after(e.retry_after) or failure.retry_after
                    delay = min(delay, self.retry.max_retry_after) if delay else None
                    delay = delay or backoff(attempt, self.retry.base, self.retry.cap)
            if delay is None or attempt >= self.retry.max_retries:
                raise failure from (cause if cause is not failure else None)
            log.debug(
                "event=retry method=%s path=%s attempt=%d delay=%.2f error=%s",
                method, path, attempt + 1, delay, type(cause).__name__,
            )  # fmt: skip
            attempt += 1
            await asyncio.sleep(delay)


# ---------------------------------------------------------------------- helpers
_GC_PAUSE_BYTES = 256 * 1024


def _loads(raw: bytes, for_cache: bool = False) -> Any:
    """orjson.loads; big bodies with the GC paused (see kruise.api.heap). For a cache,
    managedFields are dropped inside the pause and the items settled before it ends, so no
    collection ever scans them."""
    with heap.gc_paused(len(raw) >= _GC_PAUSE_BYTES or for_cache):
        out = orjson.loads(raw)
        if for_cache and isinstance(out, dict):
            for item in out.get("items") or ():
                _strip(item)
            heap.settle()
        return out


def _strip(obj: Any) -> None:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if meta:
        meta.pop("managedFields", None)


async def _line_batches(resp: aiohttp.ClientResponse) -> AsyncIterator[list[bytes]]:
    """The complete newline-delimited records of each chunk received, whatever the boundaries."""
    parts: list[bytes] = []
    async for chunk in resp.content.iter_any():
        lines = chunk.split(b"\n")
        if parts:  # the first piece completes a record begun in earlier chunks
            parts.append(lines[0])
            lines[0] = b"".join(parts)
            parts.clear()
        tail = lines.pop()  # after the last newline: incomplete (or empty)
        if tail:
            parts.append(tail)
        batch = [line for line in lines if line.strip()]
        if batch:
            yield batch
    rest = b"".join(parts)
    if rest.strip():
        yield [rest]


def _loads_many(lines: list[bytes], for_cache: bool) -> list[Any]:
    """Decode a batch of watch records with the GC paused once for all (see _loads)."""
    with heap.gc_paused(len(lines) >= 8 or for_cache):
        events = [orjson.loads(line) for line in lines]
        if for_cache:
            for event in events:
                _strip(event.get("object"))
            heap.settle()
        return events


def _ns(res: Resource, namespace: str | None) -> str | None:
    if res.namespaced and not namespace:
        raise ValueError(f"{res.plural} is namespaced: a namespace is required")
    if not res.namespaced and namespace:
        raise ValueError(f"{res.plural} is cluster-scoped: got namespace {namespace!r}")
    return namespace


def _body_namespace(res: Resource, body: Any) -> str | None:
    return _meta(body).get("namespace") if res.namespaced else None


def _meta(body: Any) -> Obj:
    return (body.get("metadata") or {}) if isinstance(body, dict) else {}


def _params(**values: Any) -> dict[str, str]:
    return {k: str(v) for k, v in values.items() if v is not None and v != ""}


def _encode(body: Any, content_type: str | None) -> tuple[bytes | None, str | None]:
    if body is None:
        return None, content_type
    if isinstance(body, bytes):
        return body, content_type or "application/json"
    if isinstance(body, str):
        return body.encode(), content_type or "application/json"
    return orjson.dumps(body), content_type or "application/json"


def _delete_options(
    grace_period: int | None, propagation: str | None, preconditions: Mapping[str, str] | None, dry_run: bool
) -> Obj | None:
    opts: Obj = {}
    if grace_period is not None:
        opts["gracePeriodSeconds"] = grace_period
    if propagation:
        opts["propagationPolicy"] = propagation
    if preconditions:
        opts["preconditions"] = dict(preconditions)
    if dry_run:
        opts["dryRun"] = ["All"]
    return {"kind": "DeleteOptions", "apiVersion": "v1", **opts} if opts else None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    with contextlib.suppress(ValueError):
        seconds = float(value)
        return seconds if seconds > 0 else None
    return None
