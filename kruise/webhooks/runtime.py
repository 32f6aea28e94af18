"""Runs the webhook server inside the manager: certificates, registration, rotation."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field

from kruise.client.rest import Client

from .certs import CertBundle, CertManager
from .conversion import PATH as CONVERT_PATH
from .conversion import ConversionWebhook, Convert
from .crd_conversion import ensure_crd_conversion
from .registration import Endpoint, WebhookSpec, register
from .server import Handler, WebhookServer

log = logging.getLogger("kruise.webhooks")


@dataclass
class WebhookConfig:
    namespace: str = "kruise-system"
    secret_name: str = "kruise-webhook-certs"
    configuration_name: str = "kruise-manager"
    host: str = "127.0.0.1"
    port: int = 9443
    # None: the API server calls https://<host>:<bound port> (the embedded cluster)
    endpoint: Endpoint | None = None
    dns_names: list[str] = field(default_factory=lambda: ["localhost"])
    ips: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    validity: dt.timedelta = dt.timedelta(days=365)
    rotate_before: dt.timedelta = dt.timedelta(days=90)
    check_interval: float = 3600.0


@dataclass
class WebhookRuntime:
    client: Client
    config: WebhookConfig
    mutating: list[tuple[WebhookSpec, Handler]] = field(default_factory=list)
    validating: list[tuple[WebhookSpec, Handler]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server = WebhookServer(self.config.host, self.config.port)
        self.certs = CertManager(
            self.client,
            self.config.namespace,
            self.config.secret_name,
            self.config.dns_names,
            self.config.ips,
            self.config.validity,
            self.config.rotate_before,
        )
        self.bundle: CertBundle | None = None
        self.serving = asyncio.Event()
        self.conversion = ConversionWebhook()

    def add_conversion(self, group: str, kind: str, convert: Convert) -> None:
        """Serve `/convert` for this kind; its CRD is pointed here once certificates are ready."""
        if not self.conversion.kinds():
            self.server.register_raw(CONVERT_PATH, self.conversion.handle)
        self.conversion.register(group, kind, convert)

    @property
    def has_webhooks(self) -> bool:
        return bool(self.mutating or self.validating or self.conversion.kinds())

    def add_mutating(self, spec: WebhookSpec, handler: Handler) -> None:
        self.mutating.append((spec, handler))
        self.server.register(spec.path, handler)

    def add_validating(self, spec: WebhookSpec, handler: Handler) -> None:
        self.validating.append((spec, handler))
        self.server.register(spec.path, handler)

    def endpoint(self) -> Endpoint:
        if self.config.endpoint is not None:
            return self.config.endpoint
        host = "127.0.0.1" if self.config.host in ("0.0.0.0", "::") else self.config.host
        return Endpoint(url=f"https://{host}:{self.server.port}")

    async def _apply(self, bundle: CertBundle) -> None:
        self.server.load_certs(bundle)
        await register(self.client, self.config.configuration_name, self.endpoint(), bundle.ca_pem,
                       mutating=[s for s, _ in self.mutating], validating=[s for s, _ in self.validating])
        await ensure_crd_conversion(self.client, self.conversion.kinds(), self.endpoint(), bundle.ca_pem)
        self.bundle = bundle

    async def run(self) -> None:
        """Serve until cancelled (on every manager replica), re-checking the certificate periodically."""
        bundle = await self.certs.ensure()
        self.server.load_certs(bundle)
        await self.server.start()
        try:
            await self._apply(bundle)
            self.serving.set()
            while True:
                await asyncio.sleep(self.config.check_interval)
                await self.rotate_if_needed()
        finally:
            self.serving.clear()
            await self.server.stop()

    async def rotate_if_needed(self) -> bool:
        bundle = await self.certs.ensure()
        if bundle == self.bundle:
            return False
        await self._apply(bundle)
        log.info("event=webhook_cert_rotated not_after=%s", bundle.not_after.isoformat())
        return True
