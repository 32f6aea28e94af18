"""The scheduler against the in-process API server: Nodes are plain objects, no node agent."""

from __future__ import annotations

from typing import Any

from cluster_helpers import create_node, eventually

from kruise.client import Client
from kruise.client.errors import NotFound
from kruise.client.resources import EVENTS, NODES, PODS

Obj = dict[str, Any]
NS = "default"


def pod_body(name: str, *, cpu: str | None = None, **spec: Any) -> Obj:
    container: Obj = {"name": "app", "image": "busybox"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    return {"metadata": {"name": name, "namespace": NS}, "spec": {"containers": [container], **spec}}


async def node_of(client: Client, name: str) -> str | None:
    try:
        pod = await client.get(PODS, name, namespace=NS)
    except NotFound:
        return None
    return (pod.get("spec") or {}).get("nodeName")


def scheduled_condition(pod: Obj) -> Obj | None:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "PodScheduled":
            return c
    return None


async def events_for(client: Client, name: str) -> list[Obj]:
    listed = await client.list(EVENTS, namespace=NS, field_selector=f"involvedObject.name={name}")
    return listed["items"]


async def test_node_selector_and_taints(client: Client, cluster: None) -> None:
    await create_node(client, "n-ssd", labels={"disk": "ssd"})
    await create_node(client, "n-hdd", labels={"disk": "hdd"})
    await create_node(client, "n-gpu", taints=[{"key": "gpu", "value": "yes", "effect": "NoSchedule"}])
    await client.create(PODS, pod_body("wants-ssd", nodeSelector={"disk": "ssd"}))
    await client.create(PODS, pod_body("wants-hdd", nodeSelector={"disk": "hdd"}))
    tolerant = pod_body(
        "tolerates-gpu",
        nodeSelector={"kubernetes.io/hostname": "n-gpu"},
        tolerations=[{"key": "gpu", "operator": "Equal", "value": "yes", "effect": "NoSchedule"}],
    )
    await client.create(PODS, tolerant)
    await client.create(PODS, pod_body("intolerant", nodeSelector={"kubernetes.io/hostname": "n-gpu"}))

    assert await eventually(lambda: node_of(client, "wants-ssd")) == "n-ssd"
    assert await eventually(lambda: node_of(client, "wants-hdd")) == "n-hdd"
    assert await eventually(lambda: node_of(client, "tolerates-gpu")) == "n-gpu"

    async def intolerant_condition() -> Obj | None:
        return scheduled_condition(await client.get(PODS, "intolerant", namespace=NS))

    cond = await eventually(intolerant_condition)
    assert (cond["status"], cond["reason"]) == ("False", "Unschedulable")
    assert cond["message"] == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {gpu: yes}, "
        "2 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    bound = await client.get(PODS, "wants-ssd", namespace=NS)
    cond = scheduled_condition(bound)
    assert cond is not None and cond["status"] == "True"

    async def scheduled_event() -> list[Obj]:
        return [e for e in await events_for(client, "wants-ssd") if e["reason"] == "Scheduled"]

    (event,) = await eventually(scheduled_event)
    assert event["message"] == "Successfully assigned default/wants-ssd to n-ssd"
    assert event["type"] == "Normal" and event["source"]["component"] == "default-scheduler"


async def test_insufficient_cpu_then_a_node_with_room(client: Client, cluster: None) -> None:
    await create_node(client, "small-1", cpu="1")
    await create_node(client, "small-2", cpu="1")
    await create_node(client, "tainted", cpu="8", taints=[{"key": "dedicated", "effect": "NoExecute"}])
    await client.create(PODS, pod_body("big", cpu="2"))

    async def unschedulable() -> Obj | None:
        cond = scheduled_condition(await client.get(PODS, "big", namespace=NS))
        return cond if cond and cond.get("reason") == "Unschedulable" else None

    cond = await eventually(unschedulable)
    assert cond["message"] == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: }, 2 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )

    async def failed_event() -> list[Obj]:
        # earlier attempts may have seen fewer nodes while they were being registered
        return [
            e
            for e in await events_for(client, "big")
            if e["reason"] == "FailedScheduling" and e["message"] == cond["message"]
        ]

    (event,) = await eventually(failed_event)
    assert event["type"] == "Warning" and event["message"] == cond["message"]
    assert await node_of(client, "big") is None

    await create_node(client, "roomy", cpu="4")
    assert await eventually(lambda: node_of(client, "big")) == "roomy"


async def test_resources_counted_and_spread(client: Client, cluster: None) -> None:
    for name in ("a", "b", "c"):
        await create_node(client, name, cpu="2")
    for i in range(6):
        await client.create(PODS, pod_body(f"p{i}", cpu="1"))

    async def all_bound() -> list[str] | None:
        nodes = [await node_of(client, f"p{i}") for i in range(6)]
        return nodes if all(nodes) else None

    placed = await eventually(all_bound)
    # 2 cpu per node, 1 cpu per pod: exactly two on each node.
    assert sorted(placed) == ["a", "a", "b", "b", "c", "c"]

    await client.create(PODS, pod_body("p-extra", cpu="1"))

    async def extra_unschedulable() -> Obj | None:
        cond = scheduled_condition(await client.get(PODS, "p-extra", namespace=NS))
        return cond if cond and cond.get("reason") == "Unschedulable" else None

    cond = await eventually(extra_unschedulable)
    assert cond["message"] == (
        "0/3 nodes are available: 3 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    )
    # Freeing room on a node brings the pending Pod in.
    await client.delete(PODS, "p0", namespace=NS, grace_period=0)
    assert await eventually(lambda: node_of(client, "p-extra")) == placed[0]


async def test_other_scheduler_and_unready_or_cordoned_nodes(client: Client, cluster: None) -> None:
    await create_node(client, "down", ready=False)
    await create_node(client, "cordoned", unschedulable=True)
    await client.create(PODS, pod_body("mine"))
    await client.create(PODS, pod_body("theirs", schedulerName="my-scheduler"))

    expected = (
        "0/2 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, "
        "1 node(s) were unschedulable. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )

    async def mine_condition() -> Obj | None:
        # A first attempt may have seen only one of the nodes; a node's arrival retries the Pod.
        cond = scheduled_condition(await client.get(PODS, "mine", namespace=NS))
        settled = cond and cond.get("reason") == "Unschedulable" and cond["message"] == expected
        return cond if settled else None

    cond = await eventually(mine_condition)
    assert cond["status"] == "False"
    # The node becomes Ready: the pending Pod is retried and bound there.
    node = await client.get(NODES, "down")
    node["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    await client.update_status(NODES, node)
    assert await eventually(lambda: node_of(client, "mine")) == "down"
    # Another scheduler's Pod is left alone: no binding, no PodScheduled condition from us.
    theirs = await client.get(PODS, "theirs", namespace=NS)
    assert not theirs["spec"].get("nodeName")
    assert scheduled_condition(theirs) is None
    assert await events_for(client, "theirs") == []
