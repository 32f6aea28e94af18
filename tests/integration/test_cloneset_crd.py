"""The generated CloneSet CRD on the embedded API server: accepted, stores as sent, scales, rejects."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from kruise.api.crds import cloneset_crd
from kruise.apiserver.app import APIServer
from kruise.client import Client as KruiseClient
from kruise.client.config import ClientConfig
from kruise.client.errors import ApiError
from kruise.client.resources import CRDS as CRD_RESOURCE
from kruise.client.resources import NAMESPACES, Resource
from kruise.webhooks.runtime import WebhookConfig, WebhookRuntime
from tests.integration.conftest import Client

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
CLONESETS = "/apis/apps.kruise.io/v1alpha1/namespaces/default/clonesets"


def _cloneset(name: str = "web") -> dict[str, Any]:
    return {
        "apiVersion": "apps.kruise.io/v1alpha1",
        "kind": "CloneSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "nginx:1.25", "x-unknown": 1}]},
            },
            "updateStrategy": {"type": "InPlaceIfPossible", "maxUnavailable": "50%"},
        },
    }


async def _install(api: Client) -> dict[str, Any]:
    crd = await api.ok("POST", CRDS, cloneset_crd())
    conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert conditions["Established"] == "True"
    return crd


async def test_crd_is_accepted_and_cloneset_is_stored_as_sent(api: Client) -> None:
    crd = await _install(api)
    assert crd["spec"]["names"]["shortNames"] == ["clone"]
    sent = _cloneset()
    created = await api.ok("POST", CLONESETS, sent)
    # no schema defaults: only the webhook defaults, and the pod template is kept whole
    assert created["spec"] == sent["spec"]
    stored = await api.ok("GET", CLONESETS + "/web")
    assert stored["spec"] == sent["spec"]
    resources = await api.ok("GET", "/apis/apps.kruise.io/v1alpha1")
    names = {r["name"]: r for r in resources["resources"]}
    assert {"clonesets", "clonesets/status", "clonesets/scale"} <= set(names)
    assert names["clonesets"]["shortNames"] == ["clone"]


async def test_scale_subresource(api: Client) -> None:
    await _install(api)
    await api.ok("POST", CLONESETS, _cloneset())
    await api.ok(
        "PUT",
        CLONESETS + "/web/status",
        {
            **(await api.ok("GET", CLONESETS + "/web")),
            "status": {
                "replicas": 1,
                "readyReplicas": 1,
                "availableReplicas": 1,
                "updatedReplicas": 1,
                "updatedReadyReplicas": 1,
                "labelSelector": "app=web",
            },
        },
    )
    scale = await api.ok("GET", CLONESETS + "/web/scale")
    assert scale["kind"] == "Scale"
    assert (scale["spec"]["replicas"], scale["status"]["replicas"], scale["status"]["selector"]) == (
        2,
        1,
        "app=web",
    )
    scale["spec"]["replicas"] = 5
    await api.ok("PUT", CLONESETS + "/web/scale", scale)
    assert (await api.ok("GET", CLONESETS + "/web"))["spec"]["replicas"] == 5


async def test_wrong_typed_field_is_rejected_naming_it(api: Client) -> None:
    await _install(api)
    bad = _cloneset("bad")
    bad["spec"]["replicas"] = "two"
    bad["spec"]["updateStrategy"]["maxSurge"] = [1]
    status, out = await api.call("POST", CLONESETS, bad)
    assert status == 422, out
    assert out["reason"] == "Invalid"
    fields = {c["field"] for c in out["details"]["causes"]}
    assert {"spec.replicas", "spec.updateStrategy.maxSurge"} <= fields
    assert (
        'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer'
        in out["message"]
    )


async def test_missing_required_field_is_rejected(api: Client) -> None:
    await _install(api)
    bad = _cloneset("nosel")
    del bad["spec"]["selector"]
    status, out = await api.call("POST", CLONESETS, bad)
    assert status == 422, out
    assert [c["field"] for c in out["details"]["causes"]] == ["spec.selector"]


async def test_webhooks_default_and_validate_through_the_api_server(server: APIServer) -> None:
    from kruise.webhooks import cloneset as cloneset_webhooks

    clonesets = Resource("apps.kruise.io", "v1alpha1", "clonesets", "CloneSet")
    async with KruiseClient(ClientConfig(server=f"http://127.0.0.1:{server.port}")) as client:
        await client.create(NAMESPACES, {"metadata": {"name": "kruise-system"}})
        await client.create(CRD_RESOURCE, cloneset_crd())
        runtime = WebhookRuntime(client, WebhookConfig(port=0))
        cloneset_webhooks.register(runtime)
        task = asyncio.create_task(runtime.run())
        try:
            serving = asyncio.create_task(runtime.serving.wait())
            await asyncio.wait({serving, task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                task.result()
            created = await client.create(clonesets, _cloneset(), namespace="default")
            assert created["spec"]["updateStrategy"] == {
                "type": "InPlaceIfPossible",
                "maxUnavailable": "50%",
                "inPlaceUpdateStrategy": {},
                "partition": 0,
                "maxSurge": 0,
            }
            assert created["spec"]["template"]["spec"]["restartPolicy"] == "Always"

            bad = _cloneset("bad")
            bad["spec"]["updateStrategy"] = {"type": "InPlaceOnly", "maxSurge": "50%"}
            with pytest.raises(ApiError) as denied:
                await client.create(clonesets, bad, namespace="default")
            assert (denied.value.status, denied.value.message) == (
                422,
                'admission webhook "vcloneset.kb.io" denied the request: spec.updateStrategy.maxSurge: '
                'Invalid value: "50%": can not use maxSurge with strategy type InPlaceOnly',
            )

            changed = copy.deepcopy(created)
            changed["spec"]["selector"]["matchLabels"]["v"] = "2"
            changed["spec"]["template"]["metadata"]["labels"]["v"] = "2"
            with pytest.raises(ApiError) as denied:
                await client.update(clonesets, changed)
            assert "spec: Forbidden: updates to cloneset spec for fields other than" in denied.value.message
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
