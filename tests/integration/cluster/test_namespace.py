"""The namespace controller (an API client) against the in-process API server: a deleted
namespace is emptied of every kind, custom resources included, reports what holds it in its
status conditions, and goes away once the last object does."""

from __future__ import annotations

from typing import Any

from cluster_helpers import eventually, schemaless_crd

from kruise.client import Client
from kruise.client.errors import Forbidden, NotFound
from kruise.client.resources import CONFIGMAPS, CRDS, NAMESPACES, PODS, Resource

Obj = dict[str, Any]
GADGETS = Resource("example.com", "v1", "gadgets", "Gadget")
CRD = schemaless_crd("gadget", "Gadget")


async def make_namespace(client: Client, name: str) -> None:
    await client.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


async def exists(client: Client, res: Resource, name: str, namespace: str | None = None) -> bool:
    try:
        await client.get(res, name, namespace=namespace)
    except NotFound:
        return False
    return True


def conditions(ns: Obj) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["message"]) for c in (ns.get("status") or {}).get("conditions") or []}


async def test_namespace_is_emptied_then_removed(client: Client, cluster: None) -> None:
    await client.create(CRDS, CRD)
    await make_namespace(client, "team-a")
    for i in range(3):
        await client.create(
            CONFIGMAPS, {"metadata": {"name": f"cm-{i}"}, "data": {"i": str(i)}}, namespace="team-a"
        )

    async def gadget_created() -> bool:
        try:
            await client.create(
                GADGETS,
                {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}},
                namespace="team-a",
            )
        except NotFound:  # the CRD is not served yet
            return False
        return True

    await eventually(gadget_created)
    # A Pod bound to a node stays (with a deletionTimestamp) until its node stops it.
    pod = {
        "metadata": {"name": "bound"},
        "spec": {"nodeName": "node-x", "containers": [{"name": "c", "image": "busybox"}]},
    }
    await client.create(PODS, pod, namespace="team-a")

    await client.delete(NAMESPACES, "team-a")

    # Everything but the stopping Pod goes; the namespace says what it still waits for.
    async def only_pod_left() -> Obj | None:
        ns = await client.get(NAMESPACES, "team-a")
        remaining = conditions(ns).get("NamespaceContentRemaining")
        if remaining == ("True", "Some resources are remaining: pods. has 1 resource instances"):
            return ns
        return None

    ns = await eventually(only_pod_left)
    assert ns["status"]["phase"] == "Terminating"
    assert ns["spec"]["finalizers"] == ["kubernetes"]
    assert (await client.list(CONFIGMAPS, namespace="team-a"))["items"] == []
    assert (await client.list(GADGETS, namespace="team-a"))["items"] == []
    assert (await client.get(PODS, "bound", namespace="team-a"))["metadata"].get("deletionTimestamp")
    assert conditions(ns)["NamespaceDeletionContentFailure"][0] == "False"
    try:
        await client.create(CONFIGMAPS, {"metadata": {"name": "late"}}, namespace="team-a")
        raise AssertionError("created in a terminating namespace")
    except Forbidden as e:
        assert "because it is being terminated" in e.message

    # The node finishes the Pod (grace 0 delete): the namespace is released and removed.
    await client.delete(PODS, "bound", namespace="team-a", grace_period=0)
    await eventually(lambda: _absent(client, "team-a"))


async def test_foreign_finalizer_holds_the_namespace_until_released(client: Client, cluster: None) -> None:
    await make_namespace(client, "held")
    body = {"metadata": {"name": "held-cm", "finalizers": ["example.com/hold"]}, "data": {"a": "1"}}
    await client.create(CONFIGMAPS, body, namespace="held")
    await client.delete(NAMESPACES, "held")

    async def reports_finalizer() -> bool:
        ns = await client.get(NAMESPACES, "held")
        return conditions(ns).get("NamespaceFinalizersRemaining") == (
            "True",
            "Some content in the namespace has finalizers remaining: "
            "example.com/hold in 1 resource instances",
        )

    await eventually(reports_finalizer)
    # Metadata updates of a terminating namespace keep its phase.
    labelled = await client.patch(NAMESPACES, "held", {"metadata": {"labels": {"team": "x"}}})
    assert labelled["status"]["phase"] == "Terminating"
    assert await exists(client, CONFIGMAPS, "held-cm", "held")

    await client.patch(CONFIGMAPS, "held-cm", {"metadata": {"finalizers": None}}, namespace="held")
    await eventually(lambda: _absent(client, "held"))


async def test_live_namespaces_are_left_alone(client: Client, cluster: None) -> None:
    await make_namespace(client, "alive")
    await client.create(CONFIGMAPS, {"metadata": {"name": "keep"}}, namespace="alive")
    await make_namespace(client, "doomed")
    await client.delete(NAMESPACES, "doomed")
    await eventually(lambda: _absent(client, "doomed"))
    assert await exists(client, CONFIGMAPS, "keep", "alive")
    ns = await client.get(NAMESPACES, "alive")
    assert ns["status"]["phase"] == "Active" and "conditions" not in ns["status"]


async def _absent(client: Client, name: str) -> bool:
    return not await exists(client, NAMESPACES, name)
