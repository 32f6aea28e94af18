"""HTTPS calls to webhooks: URL or Service reference, CA bundle verification, timeouts.

A Service reference is resolved to an Endpoints address here rather than through DNS: the embedded
cluster has no cluster DNS, and kube-apiserver does the same with aggregator routing. TLS still
verifies the server as `<service>.<namespace>.svc`, the name webhook certificates are issued for.
Errors read like the Go client's, since users see them inside kube's `failed calling webhook` text.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from ..store import Store
from .config import ClientConfig, ServiceRef, Webhook
from .review import CallError

Obj = dict[str, Any]

_SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
# kube-apiserver multiplexes webhook calls over one HTTP/2 connection; over HTTP/1.1 a burst of
# admissions would otherwise open (and TLS-handshake) a connection per concurrent call.
_CONNECTIONS_PER_WEBHOOK_HOST = 16


class ResolveError(Exception):
    """A Service reference that does not lead to a ready endpoint."""


@dataclass(frozen=True)
class Target:
    url: str  # as the Go client names it in errors: host is the URL's or <svc>.<ns>.svc
    connect_url: str  # where to connect
    server_name: str | None  # TLS server name when it differs from the connect host


class Transport:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.session: aiohttp.ClientSession | None = None
        self._contexts: dict[str, ssl.SSLContext] = {}

    async def start(self) -> None:
        if self.session is None:
            connector = aiohttp.TCPConnector(limit=0, limit_per_host=_CONNECTIONS_PER_WEBHOOK_HOST)
            self.session = aiohttp.ClientSession(connector=connector)

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def post(self, hook: Webhook, review: Obj) -> bytes:
        """POST the review; the response body of a 2xx answer. Raises CallError for anything else."""
        if self.session is None:
            await self.start()
        assert self.session is not None
        ctx = self._ssl_context(hook)
        # kube tells the webhook its deadline in the query
        query = f"timeout={hook.timeout_seconds}s"
        shown = _with_query(_display_url(hook.client), query)  # the URL as Go's errors name it
        try:
            async with asyncio.timeout(hook.timeout_seconds):
                target = self._target(hook.client, query)
                async with self.session.post(
                    target.connect_url,
                    data=orjson.dumps(review),
                    headers={
                        "Content-Type": "application/json",
                        "Accept": "application/json, */*",
                        "Host": urlsplit(target.url).netloc,
                    },
                    ssl=ctx,
                    server_hostname=target.server_name,
                    allow_redirects=False,
                ) as resp:
                    body = await resp.read()
                    status = resp.status
        except TimeoutError:
            raise _failed(hook, f'Post "{shown}": context deadline exceeded') from None
        except ResolveError as e:
            raise _failed(hook, f'Post "{shown}": {e}') from e
        except aiohttp.ClientError as e:
            raise _failed(hook, f'Post "{shown}": {_client_error(e)}') from e
        except (OSError, ValueError) as e:
            raise _failed(hook, f'Post "{shown}": {e}') from e
        if not 200 <= status <= 206:
            raise _failed(hook, _http_error(status, body))
        return body

    # ------------------------------------------------------------------ addressing
    def _target(self, cc: ClientConfig, query: str) -> Target:
        if cc.service is not None:
            svc = cc.service
            path = svc.path or "/"
            host, port = self.resolve(svc)
            server_name = f"{svc.name}.{svc.namespace}.svc"
            return Target(
                _with_query(f"https://{server_name}:{svc.port}{path}", query),
                _with_query(f"https://{_join_host(host, port)}{path}", query),
                server_name,
            )
        if not cc.url:
            raise ResolveError("webhook clientConfig has neither url nor service")
        parts = urlsplit(cc.url)
        if parts.scheme != "https":
            raise ResolveError(f'unsupported protocol scheme "{parts.scheme}"')
        url = _with_query(cc.url, query)
        return Target(url, url, None)

    def resolve(self, ref: ServiceRef) -> tuple[str, int]:
        """The first ready address of the Service's Endpoints, on the port named like the Service port."""
        entry = self.store.get("/services", ref.namespace, ref.name)
        if entry is None:
            raise ResolveError(f'service "{ref.name}" not found')
        spec = entry.obj.get("spec") or {}
        svc_type = spec.get("type") or "ClusterIP"
        if svc_type not in _SERVICE_TYPES:
            raise ResolveError(f'unsupported service type "{svc_type}"')
        svc_port = next((p for p in spec.get("ports") or [] if p.get("port") == ref.port), None)
        if svc_port is None:
            raise ResolveError(f'no service port {ref.port} found for service "{ref.name}"')
        endpoints = self.store.get("/endpoints", ref.namespace, ref.name)
        if endpoints is None:
            raise ResolveError(f'endpoints "{ref.name}" not found')
        port_name = svc_port.get("name") or ""
        for subset in endpoints.obj.get("subsets") or []:
            addresses = [a for a in subset.get("addresses") or [] if a.get("ip")]
            if not addresses:
                continue
            for port in subset.get("ports") or []:
                if (port.get("name") or "") == port_name and isinstance(port.get("port"), int):
                    return str(addresses[0]["ip"]), int(port["port"])
        raise ResolveError(f'no endpoints available for service "{ref.name}"')

    def _ssl_context(self, hook: Webhook) -> ssl.SSLContext:
        """One context per CA bundle, so connections to a webhook are pooled and reused."""
        bundle = hook.client.ca_bundle
        ctx = self._contexts.get(bundle)
        if ctx is not None:
            return ctx
        try:
            pem = base64.b64decode(bundle, validate=True).decode() if bundle else None
            ctx = ssl.create_default_context(cadata=pem) if pem else ssl.create_default_context()
        except (binascii.Error, ValueError, ssl.SSLError) as e:
            why = f"could not get REST client: unable to load root certificates: {e}"
            raise CallError(hook.name, why) from e
        if len(self._contexts) > 256:
            self._contexts.clear()
        self._contexts[bundle] = ctx
        return ctx


def _failed(hook: Webhook, reason: str) -> CallError:
    return CallError(hook.name, f"failed to call webhook: {reason}")


def _display_url(cc: ClientConfig) -> str:
    if cc.service is not None:
        svc = cc.service
        return f"https://{svc.name}.{svc.namespace}.svc:{svc.port}{svc.path or '/'}"
    return cc.url or ""


def _with_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _join_host(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _client_error(e: aiohttp.ClientError) -> str:
    if isinstance(e, aiohttp.ClientConnectorCertificateError):
        return f"tls: failed to verify certificate: x509: {_x509_reason(e.certificate_error)}"
    if isinstance(e, aiohttp.ClientConnectorError):
        cause = e.os_error
        address = _join_host(e.host, e.port)
        if isinstance(cause, ConnectionRefusedError):
            return f"dial tcp {address}: connect: connection refused"
        return f"dial tcp {address}: {cause.strerror or cause}"
    return str(e) or type(e).__name__


# OpenSSL verify codes -> Go's x509 wording, which is what webhook authors search for
_UNKNOWN_AUTHORITY = frozenset({18, 19, 20, 21})
_NOT_YET_OR_EXPIRED = frozenset({9, 10})
_NAME_MISMATCH = frozenset({62, 64})


def _x509_reason(err: Exception) -> str:
    code = getattr(err, "verify_code", None)
    if code in _UNKNOWN_AUTHORITY:
        return "certificate signed by unknown authority"
    if code in _NOT_YET_OR_EXPIRED:
        return "certificate has expired or is not yet valid"
    message = getattr(err, "verify_message", None) or str(err)
    if code in _NAME_MISMATCH:
        return message.replace("Hostname mismatch, c", "c").replace("IP address mismatch, c", "c").rstrip(".")
    return message


def _http_error(status: int, body: bytes) -> str:
    """What the Go REST client reports for a non-2xx answer: the Status message if it sent one."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        doc = None
    if isinstance(doc, dict) and doc.get("kind") == "Status" and doc.get("message"):
        return str(doc["message"])
    text = body.decode(errors="replace").strip()[:1024]
    if status >= 500:
        return f'an error on the server ("{text}") has prevented the request from succeeding'
    known = {
        400: "the server rejected our request for an unknown reason",
        401: "the server has asked for the client to provide credentials",
        403: "the server does not allow access to the requested resource",
        404: "the server could not find the requested resource",
        405: "the server does not allow this method on the requested resource",
        409: "the server reported a conflict",
        429: "the server has received too many requests and has asked us to try again later",
    }
    unknown = f"the server responded with the status code {status} but did not return more information"
    return known.get(status, unknown)
