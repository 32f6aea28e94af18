"""Our webhook server end to end: certificates in a Secret, registration with the caBundle, the API
server calling it over HTTPS, denials, and certificate rotation."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ssl
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography import x509

from kruise.apiserver.app import APIServer
from kruise.client import Client
from kruise.client.config import ClientConfig
from kruise.client.errors import ApiError
from kruise.client.resources import MUTATING_WEBHOOKS, NAMESPACES, PODS, SECRETS
from kruise.webhooks.registration import WebhookSpec
from kruise.webhooks.runtime import WebhookConfig, WebhookRuntime
from kruise.webhooks.server import Decision, allow, deny, mutate

POD_RULES = [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]
SELECTED = {"matchLabels": {"webhooks": "on"}}


@pytest.fixture
async def client(server: APIServer) -> AsyncIterator[Client]:
    async with Client(ClientConfig(server=f"http://127.0.0.1:{server.port}")) as c:
        await c.create(NAMESPACES, {"metadata": {"name": "hooked", "labels": {"webhooks": "on"}}})
        await c.create(NAMESPACES, {"metadata": {"name": "kruise-system"}})
        yield c


async def add_label(request: dict[str, Any]) -> Decision:
    pod = request["object"]
    pod["metadata"].setdefault("labels", {})["injected"] = "true"
    return mutate(pod)


async def forbid_bad_names(request: dict[str, Any]) -> Decision:
    if request["object"]["metadata"]["name"].startswith("bad"):
        return deny("pods named bad* are not allowed here")
    return allow(["validated by kruise"])


def pod(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


async def served_cert(port: int, ca_pem: bytes) -> x509.Certificate:
    ctx = ssl.create_default_context(cadata=ca_pem.decode())
    _reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
    der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    writer.close()
    await writer.wait_closed()
    return x509.load_der_x509_certificate(der)


async def test_webhooks_serve_mutate_deny_and_rotate(client: Client) -> None:
    runtime = WebhookRuntime(
        client, WebhookConfig(port=0, validity=dt.timedelta(days=10), rotate_before=dt.timedelta(days=1))
    )
    runtime.add_mutating(
        WebhookSpec("label.kruise.io", "/mutate-pod", POD_RULES, namespace_selector=SELECTED), add_label
    )
    runtime.add_validating(
        WebhookSpec("names.kruise.io", "/validate-pod", POD_RULES, namespace_selector=SELECTED),
        forbid_bad_names,
    )
    task = asyncio.create_task(runtime.run())
    try:
        serving = asyncio.create_task(runtime.serving.wait())
        await asyncio.wait({serving, task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # surface why the runtime stopped
        assert serving.done()
        secret = await client.get(SECRETS, "kruise-webhook-certs", namespace="kruise-system")
        assert secret["type"] == "kubernetes.io/tls"
        assert sorted(secret["data"]) == ["ca.crt", "ca.key", "tls.crt", "tls.key"]

        created = await client.create(PODS, pod("good"), namespace="hooked")
        assert created["metadata"]["labels"] == {"injected": "true"}
        with pytest.raises(ApiError) as denied:
            await client.create(PODS, pod("bad-one"), namespace="hooked")
        assert denied.value.status == 403
        assert (
            'admission webhook "names.kruise.io" denied the request: pods named bad* are not allowed here'
            in denied.value.message
        )
        outside = await client.create(PODS, pod("bad-elsewhere"), namespace="default")
        assert "labels" not in outside["metadata"]  # not selected: neither mutated nor validated

        assert runtime.bundle is not None
        before = await served_cert(runtime.server.port, runtime.bundle.ca_pem)
        runtime.certs.rotate_before = dt.timedelta(days=20)  # now the 10-day certificate is due
        assert await runtime.rotate_if_needed()
        after = await served_cert(runtime.server.port, runtime.bundle.ca_pem)
        assert after.serial_number != before.serial_number
        config = await client.get(MUTATING_WEBHOOKS, "kruise-manager")
        ca_bundle = config["webhooks"][0]["clientConfig"]["caBundle"]
        assert base64.b64decode(ca_bundle) == runtime.bundle.ca_pem
        created = await client.create(PODS, pod("after-rotation"), namespace="hooked")
        assert created["metadata"]["labels"] == {"injected": "true"}
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
