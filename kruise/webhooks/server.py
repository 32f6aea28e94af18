"""HTTPS server speaking admission.k8s.io/v1 AdmissionReview.

A handler gets the AdmissionReview `request` and returns a `Decision`; mutations are returned as
the changed object and turned into a JSONPatch here, so handlers stay pure functions of objects.
"""

from __future__ import annotations

import base64
import logging
import ssl
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from kruise.api.jsondiff import json_patch

from .certs import CertBundle

log = logging.getLogger("kruise.webhooks")

Obj = dict[str, Any]


@dataclass
class Decision:
    allowed: bool = True
    patched: Obj | None = None  # the mutated object; None = unchanged
    message: str = ""
    code: int = 403
    reason: str = ""
    warnings: list[str] = field(default_factory=list)


def allow(warnings: list[str] | None = None) -> Decision:
    return Decision(warnings=warnings or [])


def deny(message: str, code: int = 403, reason: str = "Forbidden") -> Decision:
    return Decision(allowed=False, message=message, code=code, reason=reason)


def mutate(obj: Obj) -> Decision:
    return Decision(patched=obj)


Handler = Callable[[Obj], Awaitable[Decision]]
# Other review kinds (ConversionReview): the whole request body in, the whole response body out.
RawHandler = Callable[[Obj], Awaitable[Obj]]


def review_response(request: Obj, decision: Decision) -> Obj:
    response: Obj = {"uid": request.get("uid", ""), "allowed": decision.allowed}
    if not decision.allowed:
        response["status"] = {
            "code": decision.code,
            "message": decision.message,
            "reason": decision.reason,
            "status": "Failure",
        }
    elif decision.patched is not None:
        ops = json_patch(request.get("object"), decision.patched)
        if ops:
            response["patchType"] = "JSONPatch"
            response["patch"] = base64.b64encode(orjson.dumps(ops)).decode()
    if decision.warnings:
        response["warnings"] = decision.warnings
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}


class WebhookServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 9443) -> None:
        self.host = host
        self.port = port
        self._handlers: dict[str, Handler] = {}
        self._raw: dict[str, RawHandler] = {}
        self._ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._runner: web.AppRunner | None = None

    def register(self, path: str, handler: Handler) -> None:
        self._handlers[path] = handler

    def register_raw(self, path: str, handler: RawHandler) -> None:
        """Serve a review other than AdmissionReview; the handler answers the full response body."""
        self._raw[path] = handler

    def load_certs(self, bundle: CertBundle) -> None:
        """(Re)load the serving certificate; new TLS handshakes use it at once."""
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
            cert.write_bytes(bundle.cert_pem + bundle.ca_pem)
            key.write_bytes(bundle.key_pem)
            self._ssl.load_cert_chain(str(cert), str(key))

    async def start(self) -> None:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/{path:.*}", self._serve)
        app.router.add_get("/healthz", _ok)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=self._ssl)
        await site.start()
        server = site._server
        if self.port == 0 and server is not None:
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info(
            "event=webhook_server_started address=%s:%d paths=%s",
            self.host,
            self.port,
            ",".join(sorted([*self._handlers, *self._raw])),
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _serve(self, request: web.Request) -> web.Response:
        raw = self._raw.get(request.path)
        if raw is not None:
            return await _serve_raw(request, raw)
        handler = self._handlers.get(request.path)
        if handler is None:
            return web.json_response({"message": f"no webhook at {request.path}"}, status=404)
        try:
            review = orjson.loads(await request.read())
            admission = review["request"]
            if not isinstance(admission, dict):
                raise TypeError("request must be an object")
        except (orjson.JSONDecodeError, KeyError, TypeError) as e:
            return web.json_response({"message": f"malformed AdmissionReview: {e}"}, status=400)
        try:
            # handlers may change the object they are given; the patch is computed against the original
            decision = await handler(orjson.loads(orjson.dumps(admission)))
        except Exception as e:  # a handler bug must not hang the API server: answer with a denial
            log.exception("event=webhook_handler_failed path=%s", request.path)
            decision = deny(
                f"internal error in webhook {request.path}: {e}", code=500, reason="InternalError"
            )
        return web.Response(
            body=orjson.dumps(review_response(admission, decision)), content_type="application/json"
        )


async def _serve_raw(request: web.Request, handler: RawHandler) -> web.Response:
    try:
        review = orjson.loads(await request.read())
        if not isinstance(review, dict):
            raise TypeError("the review must be an object")
    except (orjson.JSONDecodeError, TypeError) as e:
        return web.json_response({"message": f"malformed review: {e}"}, status=400)
    return web.Response(body=orjson.dumps(await handler(review)), content_type="application/json")


async def _ok(_request: web.Request) -> web.Response:
    return web.Response(text="ok")
