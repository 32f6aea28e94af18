"""Register Mutating/ValidatingWebhookConfigurations pointing at our server, with the caBundle."""

from __future__ import annotations

import base64
import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kruise.client.errors import AlreadyExists, Conflict, NotFound
from kruise.client.resources import MUTATING_WEBHOOKS, VALIDATING_WEBHOOKS, Resource
from kruise.client.rest import Client

Obj = dict[str, Any]


@dataclass
class WebhookSpec:
    """One webhook entry; `path` is appended to the server's base URL or service."""

    name: str
    path: str
    rules: list[Obj]
    failure_policy: str = "Fail"
    side_effects: str = "None"
    timeout_seconds: int = 10
    namespace_selector: Obj | None = None
    object_selector: Obj | None = None
    match_policy: str = "Equivalent"
    extra: Obj = field(default_factory=dict)


@dataclass
class Endpoint:
    """Where the API server reaches the webhook server: a URL (embedded cluster) or a Service."""

    url: str | None = None
    service_namespace: str = ""
    service_name: str = ""
    service_port: int = 443

    def client_config(self, path: str, ca_pem: bytes) -> Obj:
        cfg: Obj = {"caBundle": base64.b64encode(ca_pem).decode()}
        if self.url:
            cfg["url"] = self.url.rstrip("/") + path
        else:
            cfg["service"] = {
                "namespace": self.service_namespace,
                "name": self.service_name,
                "port": self.service_port,
                "path": path,
            }
        return cfg


def _entry(spec: WebhookSpec, endpoint: Endpoint, ca_pem: bytes) -> Obj:
    entry: Obj = {
        "name": spec.name,
        "clientConfig": endpoint.client_config(spec.path, ca_pem),
        "rules": spec.rules,
        "failurePolicy": spec.failure_policy,
        "sideEffects": spec.side_effects,
        "timeoutSeconds": spec.timeout_seconds,
        "admissionReviewVersions": ["v1"],
        "matchPolicy": spec.match_policy,
        **spec.extra,
    }
    if spec.namespace_selector is not None:
        entry["namespaceSelector"] = spec.namespace_selector
    if spec.object_selector is not None:
        entry["objectSelector"] = spec.object_selector
    return entry


async def _upsert(client: Client, res: Resource, kind: str, name: str, webhooks: list[Obj]) -> Obj:
    body = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": name},
        "webhooks": webhooks,
    }
    for _ in range(5):
        try:
            current = await client.get(res, name)
        except NotFound:
            try:
                return await client.create(res, body)
            except AlreadyExists:
                continue
        if current.get("webhooks") == webhooks:
            return current
        new = copy.deepcopy(current)
        new["webhooks"] = webhooks
        try:
            return await client.update(res, new)
        except Conflict:
            continue
    raise RuntimeError(f"could not register {kind} {name}")


async def register(
    client: Client,
    name: str,
    endpoint: Endpoint,
    ca_pem: bytes,
    *,
    mutating: Sequence[WebhookSpec] = (),
    validating: Sequence[WebhookSpec] = (),
) -> None:
    """Create or update `<name>` configurations so they match exactly the given webhooks."""
    if mutating:
        await _upsert(
            client,
            MUTATING_WEBHOOKS,
            "MutatingWebhookConfiguration",
            name,
            [_entry(s, endpoint, ca_pem) for s in mutating],
        )
    if validating:
        await _upsert(
            client,
            VALIDATING_WEBHOOKS,
            "ValidatingWebhookConfiguration",
            name,
            [_entry(s, endpoint, ca_pem) for s in validating],
        )
