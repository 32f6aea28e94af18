"""CloneSet served as v1alpha1 (storage) and v1beta1 through our conversion webhook: the runtime points
the CRD at `/convert` with its CA, every read, list, watch and write in v1beta1 is converted, the
v1alpha1 admission webhooks see v1alpha1 objects (matchPolicy Equivalent), and with the webhook down
reads fail and writes are refused without storing anything."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kruise.api.crds import cloneset_crd
from kruise.apiserver.app import APIServer
from kruise.cli.manager import install_crds
from kruise.client import Client
from kruise.client.config import ClientConfig
from kruise.client.errors import ApiError, NotFound
from kruise.client.resources import CRDS, NAMESPACES, Resource
from kruise.client.rest import RetryPolicy
from kruise.webhooks import cloneset as cloneset_webhooks
from kruise.webhooks import conversion
from kruise.webhooks.runtime import WebhookConfig, WebhookRuntime

ALPHA = Resource("apps.kruise.io", "v1alpha1", "clonesets", "CloneSet")
BETA = Resource("apps.kruise.io", "v1beta1", "clonesets", "CloneSet")
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def beta_cloneset(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps.kruise.io/v1beta1",
        "kind": "CloneSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]},
            },
            "scaleStrategy": {"enablePVCReuse": True, "excludePreparingDelete": True},
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"podUpdatePolicy": "InPlaceIfPossible", "maxUnavailable": 1},
            },
        },
    }


class Env:
    def __init__(self, client: Client, runtime: WebhookRuntime, task: asyncio.Task[None]) -> None:
        self.client = client
        self.runtime = runtime
        self.task = task

    async def stop_webhooks(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


@pytest.fixture
async def env(server: APIServer) -> AsyncIterator[Env]:
    # no client retries: a failed conversion is asserted at once
    config = ClientConfig(server=f"http://127.0.0.1:{server.port}")
    async with Client(config, retry=RetryPolicy(max_retries=0)) as client:
        await client.create(NAMESPACES, {"metadata": {"name": "kruise-system"}})
        await client.create(CRDS, cloneset_crd())
        runtime = WebhookRuntime(client, WebhookConfig(port=0))
        cloneset_webhooks.register(runtime)
        conversion.register(runtime)
        task = asyncio.create_task(runtime.run())
        serving = asyncio.create_task(runtime.serving.wait())
        await asyncio.wait({serving, task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
        assert serving.done()
        env = Env(client, runtime, task)
        try:
            yield env
        finally:
            await env.stop_webhooks()


async def test_runtime_points_the_crd_at_its_conversion_webhook(env: Env) -> None:
    crd = await env.client.get(CRDS, "clonesets.apps.kruise.io")
    assert env.runtime.bundle is not None
    assert crd["spec"]["conversion"] == {
        "strategy": "Webhook",
        "webhook": {
            "clientConfig": {
                "url": f"https://127.0.0.1:{env.runtime.server.port}/convert",
                "caBundle": base64.b64encode(env.runtime.bundle.ca_pem).decode(),
            },
            "conversionReviewVersions": ["v1", "v1beta1"],
        },
    }


async def test_rotation_repatches_and_install_crds_keeps_the_client_config(env: Env) -> None:
    c = env.client
    crd = await c.get(CRDS, "clonesets.apps.kruise.io")
    patched = crd["spec"]["conversion"]
    crd["spec"]["conversion"] = cloneset_crd()["spec"]["conversion"]  # back to the placeholder
    await c.update(CRDS, crd)
    env.runtime.certs.rotate_before = dt.timedelta(days=400)  # the 365-day certificate is due
    assert await env.runtime.rotate_if_needed()
    crd = await c.get(CRDS, "clonesets.apps.kruise.io")
    assert crd["spec"]["conversion"] == patched
    # a manager restart re-installs the CRDs: the runtime's clientConfig stays until it re-patches
    await install_crds(c)
    assert (await c.get(CRDS, "clonesets.apps.kruise.io"))["spec"]["conversion"] == patched


async def test_create_in_v1beta1_read_in_both_versions(env: Env) -> None:
    c = env.client
    created = await c.create(BETA, beta_cloneset("web"), namespace="default")
    assert created["apiVersion"] == "apps.kruise.io/v1beta1"
    # the v1alpha1 defaulting webhook ran on the converted object; its defaults came back converted
    assert created["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {
            "podUpdatePolicy": "InPlaceIfPossible",
            "maxUnavailable": 1,
            "partition": 0,
            "maxSurge": 0,
            "inPlaceUpdateStrategy": {},
        },
    }
    assert created["spec"]["scaleStrategy"] == {"enablePVCReuse": True, "excludePreparingDelete": True}
    assert "labels" not in created["metadata"]

    alpha = await c.get(ALPHA, "web", namespace="default")
    assert alpha["apiVersion"] == "apps.kruise.io/v1alpha1"
    assert alpha["spec"]["updateStrategy"] == {
        "type": "InPlaceIfPossible",
        "maxUnavailable": 1,
        "partition": 0,
        "maxSurge": 0,
        "inPlaceUpdateStrategy": {},
    }
    assert alpha["spec"]["scaleStrategy"] == {}
    assert alpha["metadata"]["labels"] == {"apps.kruise.io/cloneset-scaling-exclude-preparing-delete": "true"}
    assert alpha["metadata"]["uid"] == created["metadata"]["uid"]

    beta = await c.get(BETA, "web", namespace="default")
    assert beta["spec"] == created["spec"]
    assert beta["metadata"]["resourceVersion"] == alpha["metadata"]["resourceVersion"]

    # an update in v1alpha1 shows in v1beta1; a patch in v1beta1 is applied to the v1beta1 shape
    alpha["spec"]["updateStrategy"]["partition"] = 1
    await c.update(ALPHA, alpha)
    beta = await c.get(BETA, "web", namespace="default")
    assert beta["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == 1
    patched = await c.patch(
        BETA, "web", {"spec": {"updateStrategy": {"rollingUpdate": {"paused": True}}}}, namespace="default"
    )
    assert patched["spec"]["updateStrategy"]["rollingUpdate"]["paused"] is True
    alpha = await c.get(ALPHA, "web", namespace="default")
    assert (alpha["spec"]["updateStrategy"]["paused"], alpha["spec"]["updateStrategy"]["type"]) == (
        True,
        "InPlaceIfPossible",
    )

    scale = await c.request("GET", BETA.path("default", "web", "scale"))
    assert scale["spec"]["replicas"] == 2


async def test_list_table_and_watch_in_the_non_storage_version(env: Env) -> None:
    c = env.client
    await c.create(BETA, beta_cloneset("a"), namespace="default")
    alpha_b = beta_cloneset("b")
    alpha_b["apiVersion"] = "apps.kruise.io/v1alpha1"
    alpha_b["spec"]["updateStrategy"] = {"type": "ReCreate"}
    alpha_b["spec"]["scaleStrategy"] = {}
    await c.create(ALPHA, alpha_b, namespace="default")

    listed = await c.list(BETA, namespace="default")
    assert [i["apiVersion"] for i in listed["items"]] == ["apps.kruise.io/v1beta1"] * 2
    assert [i["spec"]["updateStrategy"]["rollingUpdate"]["podUpdatePolicy"] for i in listed["items"]] == [
        "InPlaceIfPossible",
        "ReCreate",
    ]
    assert listed["items"][1]["spec"]["scaleStrategy"] == {
        "enablePVCReuse": True
    }  # reuse is v1alpha1's default

    table = await c.request("GET", BETA.path("default"), accept=TABLE)
    assert [col["name"] for col in table["columnDefinitions"]][:3] == ["Name", "DESIRED", "UPDATED"]
    assert [r["cells"][0] for r in table["rows"]] == ["a", "b"]

    events: list[tuple[str, dict[str, Any]]] = []

    async def collect() -> None:
        async for type_, obj in c.watch(
            BETA, namespace="default", resource_version=listed["metadata"]["resourceVersion"]
        ):
            if type_ != "BOOKMARK":
                events.append((type_, obj))
                if len(events) == 2:
                    return

    watching = asyncio.create_task(collect())
    alpha = await c.get(ALPHA, "b", namespace="default")
    alpha["spec"]["updateStrategy"]["type"] = "InPlaceOnly"
    await c.update(ALPHA, alpha)
    await c.delete(ALPHA, "a", namespace="default")
    await asyncio.wait_for(watching, 10)
    assert [(t, o["apiVersion"], o["metadata"]["name"]) for t, o in events] == [
        ("MODIFIED", "apps.kruise.io/v1beta1", "b"),
        ("DELETED", "apps.kruise.io/v1beta1", "a"),
    ]
    assert events[0][1]["spec"]["updateStrategy"]["rollingUpdate"]["podUpdatePolicy"] == "InPlaceOnly"

    # a watch from "now" starts with the current state, converted in one review
    initial: list[dict[str, Any]] = []
    async for type_, obj in c.watch(BETA, namespace="default", timeout_seconds=1):
        if type_ == "ADDED":
            initial.append(obj)
            break
    assert initial[0]["spec"]["updateStrategy"]["type"] == "RollingUpdate"


async def test_webhook_down_reads_fail_and_writes_store_nothing(env: Env) -> None:
    c = env.client
    await c.create(BETA, beta_cloneset("kept"), namespace="default")
    await env.stop_webhooks()

    with pytest.raises(ApiError) as refused:
        await c.create(BETA, beta_cloneset("lost"), namespace="default")
    assert refused.value.status == 500
    assert refused.value.reason == "InternalError"
    assert refused.value.message.startswith(
        "Internal error occurred: conversion webhook for apps.kruise.io/v1beta1, Kind=CloneSet failed: "
        'Post "https://127.0.0.1:'
    )
    assert '/convert?timeout=30s": dial tcp 127.0.0.1:' in refused.value.message
    assert refused.value.message.endswith("connect: connection refused")
    with pytest.raises(NotFound):
        await c.get(ALPHA, "lost", namespace="default")

    with pytest.raises(ApiError) as failed:
        await c.get(BETA, "kept", namespace="default")
    assert (failed.value.status, failed.value.reason) == (500, "")
    assert failed.value.message.startswith(
        "conversion webhook for apps.kruise.io/v1alpha1, Kind=CloneSet failed: Post "
    )
    with pytest.raises(ApiError) as failed:
        await c.list(BETA, namespace="default")
    assert failed.value.status == 500
    # the storage version needs no conversion
    assert (await c.get(ALPHA, "kept", namespace="default"))["spec"]["updateStrategy"]["type"] == (
        "InPlaceIfPossible"
    )
