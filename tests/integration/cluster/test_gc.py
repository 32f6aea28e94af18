"""The garbage collector against the in-process API server."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from cluster_helpers import eventually, schemaless_crd

from kruise.client import Client
from kruise.client.errors import NotFound
from kruise.client.resources import CONFIGMAPS, CRDS, NAMESPACES, Resource

Obj = dict[str, Any]
NS = "default"


def owner_ref(owner: Obj, *, block: bool = False) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "blockOwnerDeletion": block,
    }


async def configmap(client: Client, name: str, *owners: Obj, finalizers: list[str] | None = None) -> Obj:
    meta: Obj = {"name": name}
    if owners:
        meta["ownerReferences"] = list(owners)
    if finalizers:
        meta["finalizers"] = finalizers
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}
    return await client.create(CONFIGMAPS, body, namespace=NS)


async def get_or_none(client: Client, res: Resource, name: str, namespace: str | None = NS) -> Obj | None:
    try:
        return await client.get(res, name, namespace=namespace)
    except NotFound:
        return None


def gone(client: Client, name: str, res: Resource = CONFIGMAPS, namespace: str | None = NS) -> Any:
    async def check() -> bool:
        return await get_or_none(client, res, name, namespace) is None

    return check


async def test_background_deletes_dependents_of_a_deleted_owner(client: Client, cluster: None) -> None:
    owner = await configmap(client, "owner")
    other = await configmap(client, "other-owner")
    await configmap(client, "child", owner_ref(owner))
    await configmap(client, "grandchild", owner_ref(await client.get(CONFIGMAPS, "child", namespace=NS)))
    await configmap(client, "shared", owner_ref(owner), owner_ref(other))
    await client.delete(CONFIGMAPS, "owner", namespace=NS)  # Background: the owner goes at once
    await eventually(gone(client, "child"))
    await eventually(gone(client, "grandchild"))

    # A dependent with another live owner stays, minus the dangling reference.
    async def shared_refs() -> list[str] | None:
        obj = await client.get(CONFIGMAPS, "shared", namespace=NS)
        refs = [r["name"] for r in obj["metadata"].get("ownerReferences") or []]
        return refs if refs == ["other-owner"] else None

    assert await eventually(shared_refs) == ["other-owner"]


async def test_dependent_of_an_owner_that_never_existed_is_deleted(client: Client, cluster: None) -> None:
    ghost_uid = "00000000-0000-0000-0000-000000000001"
    ghost = {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": ghost_uid}
    await configmap(client, "haunted", ghost)
    # An owner with the same name but another uid is not the owner.
    await configmap(client, "ghost")
    await eventually(gone(client, "haunted"))
    assert await get_or_none(client, CONFIGMAPS, "ghost") is not None


async def test_foreground_waits_for_blocking_dependents(client: Client, cluster: None) -> None:
    owner = await configmap(client, "fg-owner")
    # The held dependent has a finalizer of its own, so it lingers until we release it.
    await configmap(client, "fg-held", owner_ref(owner, block=True), finalizers=["example.com/hold"])
    await configmap(client, "fg-free", owner_ref(owner, block=True))
    await client.delete(CONFIGMAPS, "fg-owner", namespace=NS, propagation="Foreground")

    async def held_terminating() -> bool:
        held = await get_or_none(client, CONFIGMAPS, "fg-held")
        return bool(held and held["metadata"].get("deletionTimestamp"))

    await eventually(held_terminating)
    await eventually(gone(client, "fg-free"))
    # The owner waits, with its foregroundDeletion finalizer, for the blocking dependent.
    waiting = await client.get(CONFIGMAPS, "fg-owner", namespace=NS)
    assert waiting["metadata"]["deletionTimestamp"]
    assert "foregroundDeletion" in waiting["metadata"]["finalizers"]
    await client.patch(CONFIGMAPS, "fg-held", {"metadata": {"finalizers": None}}, namespace=NS)
    await eventually(gone(client, "fg-held"))
    await eventually(gone(client, "fg-owner"))


async def test_foreground_propagates_down_the_chain(client: Client, cluster: None) -> None:
    root = await configmap(client, "chain-root")
    middle = await configmap(client, "chain-middle", owner_ref(root, block=True))
    await configmap(client, "chain-leaf", owner_ref(middle, block=True), finalizers=["example.com/hold"])
    await client.delete(CONFIGMAPS, "chain-root", namespace=NS, propagation="Foreground")

    async def middle_deleting_in_foreground() -> bool:
        obj = await get_or_none(client, CONFIGMAPS, "chain-middle")
        meta = (obj or {}).get("metadata") or {}
        return bool(meta.get("deletionTimestamp")) and "foregroundDeletion" in meta.get("finalizers", [])

    await eventually(middle_deleting_in_foreground)
    assert await get_or_none(client, CONFIGMAPS, "chain-root") is not None
    await client.patch(CONFIGMAPS, "chain-leaf", {"metadata": {"finalizers": None}}, namespace=NS)
    for name in ("chain-leaf", "chain-middle", "chain-root"):
        await eventually(gone(client, name))


async def test_orphan_removes_the_owner_reference(client: Client, cluster: None) -> None:
    owner = await configmap(client, "orphan-owner")
    other = await configmap(client, "orphan-other")
    await configmap(client, "orphan-child", owner_ref(owner, block=True))
    await configmap(client, "orphan-both", owner_ref(owner), owner_ref(other))
    await client.delete(CONFIGMAPS, "orphan-owner", namespace=NS, propagation="Orphan")
    await eventually(gone(client, "orphan-owner"))
    child = await client.get(CONFIGMAPS, "orphan-child", namespace=NS)
    assert not child["metadata"].get("ownerReferences")
    both = await client.get(CONFIGMAPS, "orphan-both", namespace=NS)
    assert [r["name"] for r in both["metadata"]["ownerReferences"]] == ["orphan-other"]


CRD = schemaless_crd("widget", "Widget")
WIDGETS = Resource("example.com", "v1", "widgets", "Widget")


async def collector_running(client: Client) -> None:
    """Wait until the collector acts: a dependent of an owner that never existed is deleted."""
    ghost = {"apiVersion": "v1", "kind": "ConfigMap", "name": "nobody", "uid": "ghost-canary-uid"}
    await configmap(client, "canary", ghost)
    await eventually(gone(client, "canary"))


async def test_custom_resource_owner_added_after_start(
    client: Client, cluster: None, caplog: pytest.LogCaptureFixture
) -> None:
    # The CRD is created while the collector runs: discovery must pick the new kind up.
    await collector_running(client)
    await client.create(CRDS, CRD)

    async def widget_created() -> Obj | None:
        try:
            body = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
            return await client.create(WIDGETS, body, namespace=NS)
        except NotFound:
            return None

    widget = await eventually(widget_created)
    await configmap(client, "widget-config", owner_ref(widget))
    hold = ["example.com/hold"]
    await configmap(client, "widget-fg-config", owner_ref(widget, block=True), finalizers=hold)
    await client.delete(WIDGETS, "w", namespace=NS, propagation="Foreground")

    async def fg_dependent_terminating() -> bool:
        obj = await get_or_none(client, CONFIGMAPS, "widget-fg-config")
        return bool(obj and obj["metadata"].get("deletionTimestamp"))

    await eventually(fg_dependent_terminating)
    await eventually(gone(client, "widget-config"))
    assert await get_or_none(client, WIDGETS, "w") is not None  # still waiting
    await client.patch(CONFIGMAPS, "widget-fg-config", {"metadata": {"finalizers": None}}, namespace=NS)
    await eventually(gone(client, "w", WIDGETS))

    # The CRD goes away: its resource stops being watched.
    caplog.set_level(logging.INFO, logger="kruise.cluster.gc")
    await client.delete(CRDS, "widgets.example.com")

    async def unmonitored() -> bool:
        return any("gc_unmonitored resource=widgets.example.com" in r.getMessage() for r in caplog.records)

    await eventually(unmonitored)


async def test_cluster_scoped_owner_of_namespaced_dependent(client: Client, cluster: None) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gc-owner-ns"}}
    ns = await client.create(NAMESPACES, body)
    # A namespaced dependent in another namespace, owned by a cluster-scoped object.
    await configmap(client, "owned-by-namespace", owner_ref(ns))
    await client.delete(NAMESPACES, "gc-owner-ns")
    await eventually(gone(client, "owned-by-namespace"))
