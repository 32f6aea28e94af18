"""In-place Pod resize end to end in one process: the API server's pods/resize subresource and a
node agent (process and sim runtimes) that actuates it, as the kubelet of kube 1.33 does."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from kruise.apiserver.app import APIServer
from kruise.client import Client
from kruise.client.config import ClientConfig
from kruise.node.agent import AgentConfig, NodeAgent
from kruise.node.images import Catalog, ImageStore
from kruise.node.nodeobj import NodeSpec
from kruise.node.runtimes.base import Runtime
from kruise.node.runtimes.process import ProcessRuntime
from kruise.node.runtimes.sim import SimRuntime

Obj = dict[str, Any]
NODE = "resize-node"
SLEEPER = "import signal,sys,time\nsignal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\ntime.sleep(3600)\n"
BASE = "/api/v1/namespaces/default/pods"


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


class Http:
    """Raw HTTP, so status codes and Status bodies are asserted as a user sees them."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session, self.base = session, base

    async def call(self, method: str, path: str, body: Any, content_type: str) -> tuple[int, Obj]:
        headers = {"Content-Type": content_type}
        async with self.session.request(
            method, self.base + path, data=json.dumps(body), headers=headers
        ) as r:
            return r.status, await r.json(content_type=None)

    async def resize(self, name: str, patch: Any, patch_type: str = "strategic-merge") -> tuple[int, Obj]:
        return await self.call(
            "PATCH", f"{BASE}/{name}/resize", patch, f"application/{patch_type}-patch+json"
        )

    async def watch_conditions(self, name: str, rv: str, seen: list[str]) -> None:
        """Record every condition type each watched version of the Pod carries."""
        params = {"watch": "1", "fieldSelector": f"metadata.name={name}", "resourceVersion": rv}
        async with self.session.get(self.base + BASE, params=params) as r:
            async for line in r.content:
                obj = json.loads(line)["object"]
                seen.extend(c["type"] for c in obj.get("status", {}).get("conditions") or [])

    async def get(self, name: str) -> Obj:
        async with self.session.get(f"{self.base}{BASE}/{name}") as r:
            return await r.json(content_type=None)


@pytest.fixture(params=["process", "sim"])
async def node(request: pytest.FixtureRequest, server: APIServer, tmp_path: Path) -> AsyncIterator[Runtime]:
    runtime: Runtime
    if request.param == "sim":
        runtime = SimRuntime(tmp_path / "node", "127.77.0.0/24")
    else:
        runtime = ProcessRuntime(tmp_path / "node", "127.77.0.0/24")
    images = ImageStore(Catalog(), bandwidth=0)
    config = AgentConfig(NodeSpec(NODE, cpu="4", memory="8Gi"), tmp_path / "node", backoff_scale=0.1)
    async with Client(ClientConfig(server=f"http://127.0.0.1:{server.port}")) as client:
        agent = NodeAgent(client, config, runtime, images)
        if isinstance(runtime, SimRuntime):
            runtime.pod_source = lambda uid: w.pod if (w := agent.workers.get(uid)) else None
        await agent.start()
        try:
            yield runtime
        finally:
            await agent.stop()


@pytest.fixture
async def http(server: APIServer) -> AsyncIterator[Http]:
    async with aiohttp.ClientSession() as session:
        yield Http(session, f"http://127.0.0.1:{server.port}")


def res(cpu_req: str, mem_req: str, cpu_lim: str, mem_lim: str) -> Obj:
    return {"requests": {"cpu": cpu_req, "memory": mem_req}, "limits": {"cpu": cpu_lim, "memory": mem_lim}}


def container(name: str, resources: Obj, **extra: Any) -> Obj:
    return {
        "name": name,
        "image": "sleeper:1",
        "command": [sys.executable, "-c", SLEEPER],
        "resources": resources,
        **extra,
    }


async def run_pod(http: Http, name: str, containers: list[Obj]) -> Obj:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 5, "containers": containers},
    }
    status, out = await http.call("POST", BASE, body, "application/json")
    assert status == 201, out

    async def running() -> Obj | None:
        pod = await http.get(name)
        statuses = pod.get("status", {}).get("containerStatuses") or []
        ok = len(statuses) == len(containers) and all("running" in s["state"] for s in statuses)
        return pod if ok and all("resources" in s for s in statuses) else None

    return await eventually(running)


def cstatus(pod: Obj, name: str) -> Obj:
    return next(s for s in pod["status"]["containerStatuses"] if s["name"] == name)


def condition(pod: Obj, type_: str) -> Obj | None:
    return next((c for c in pod["status"].get("conditions") or [] if c["type"] == type_), None)


async def test_resize_in_place_keeps_the_container(http: Http, node: Runtime) -> None:
    before = res("100m", "64Mi", "200m", "128Mi")
    pod = await run_pod(http, "inplace", [container("c", before)])
    st = cstatus(pod, "c")
    assert st["resources"] == before  # reported before any resize, as kube 1.33 does
    assert st["allocatedResources"] == before["requests"]
    uid, cid = pod["metadata"]["uid"], st["containerID"]

    seen: list[str] = []
    watching = asyncio.create_task(http.watch_conditions("inplace", pod["metadata"]["resourceVersion"], seen))
    after = res("150m", "96Mi", "300m", "256Mi")
    code, out = await http.resize("inplace", {"spec": {"containers": [{"name": "c", "resources": after}]}})
    assert code == 200, out
    assert out["spec"]["containers"][0]["resources"] == after

    async def applied() -> Obj | None:
        p = await http.get("inplace")
        return p if cstatus(p, "c").get("resources") == after else None

    pod = await eventually(applied)
    st = cstatus(pod, "c")
    assert (pod["metadata"]["uid"], st["containerID"], st["restartCount"]) == (uid, cid, 0)
    assert st["allocatedResources"] == after["requests"]
    assert condition(pod, "PodResizeInProgress") is None and condition(pod, "PodResizePending") is None
    info = node.status(cid)
    assert info is not None and info.resources == after  # actuated through the runtime
    await eventually(lambda: asyncio.sleep(0, "PodResizeInProgress" in seen))
    watching.cancel()


async def test_restart_container_policy_restarts_only_that_container(http: Http, node: Runtime) -> None:
    policy = [{"resourceName": "memory", "restartPolicy": "RestartContainer"}]
    pod = await run_pod(
        http,
        "restart",
        [
            container("keep", res("100m", "64Mi", "200m", "128Mi")),
            container("bounce", res("100m", "64Mi", "200m", "128Mi"), resizePolicy=policy),
        ],
    )
    ids = {n: cstatus(pod, n)["containerID"] for n in ("keep", "bounce")}
    grown = res("100m", "64Mi", "200m", "256Mi")
    patch = {
        "spec": {"containers": [{"name": "keep", "resources": grown}, {"name": "bounce", "resources": grown}]}
    }
    code, out = await http.resize("restart", patch)
    assert code == 200, out

    async def done() -> Obj | None:
        p = await http.get("restart")
        sts = [cstatus(p, n) for n in ("keep", "bounce")]
        ok = all(s.get("resources") == grown and "running" in s["state"] for s in sts)
        return p if ok and condition(p, "PodResizeInProgress") is None else None

    pod = await eventually(done)
    keep, bounce = cstatus(pod, "keep"), cstatus(pod, "bounce")
    assert (keep["containerID"], keep["restartCount"]) == (ids["keep"], 0)
    assert bounce["restartCount"] == 1 and bounce["containerID"] != ids["bounce"]


async def test_infeasible_resize_is_pending_until_it_fits(http: Http, node: Runtime) -> None:
    before = res("100m", "64Mi", "200m", "128Mi")
    pod = await run_pod(http, "big", [container("c", before)])
    cid = cstatus(pod, "c")["containerID"]
    huge = res("100m", "64Mi", "200m", "128Mi")
    huge["requests"]["cpu"] = huge["limits"]["cpu"] = "5"  # the node has 4 cpus: never fits
    code, out = await http.resize("big", {"spec": {"containers": [{"name": "c", "resources": huge}]}})
    assert code == 200, out

    async def pending() -> Obj | None:
        p = await http.get("big")
        return condition(p, "PodResizePending")

    cond = await eventually(pending)
    assert (cond["status"], cond["reason"]) == ("True", "Infeasible")
    assert cond["message"] == "Node didn't have enough capacity: cpu, requested: 5000, capacity: 4000"
    pod = await http.get("big")
    assert (
        cstatus(pod, "c")["resources"] == before
        and cstatus(pod, "c")["allocatedResources"] == before["requests"]
    )

    fits = res("1", "64Mi", "2", "128Mi")
    code, out = await http.resize("big", {"spec": {"containers": [{"name": "c", "resources": fits}]}})
    assert code == 200, out

    async def cleared() -> Obj | None:
        p = await http.get("big")
        ok = cstatus(p, "c").get("resources") == fits and condition(p, "PodResizePending") is None
        return p if ok else None

    pod = await eventually(cleared)
    assert cstatus(pod, "c")["containerID"] == cid


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            {"spec": {"containers": [{"name": "c", "resources": res("200m", "128Mi", "200m", "128Mi")}]}},
            'Pod "rules" is invalid: spec: Invalid value: "Burstable": '
            "Pod QOS Class may not change as a result of resizing",
        ),
        (
            {"spec": {"containers": [{"name": "c", "resources": res("100m", "64Mi", "200m", "96Mi")}]}},
            'Pod "rules" is invalid: spec.containers[0].resources.limits[memory]: Forbidden: '
            "memory limits cannot be decreased unless resizePolicy is RestartContainer",
        ),
        (
            {"spec": {"containers": [{"name": "c", "resources": {"limits": {"ephemeral-storage": "1Gi"}}}]}},
            'Pod "rules" is invalid: spec: Forbidden: only cpu and memory resources are mutable',
        ),
    ],
)
async def test_resize_rejections(http: Http, server: APIServer, patch: Obj, message: str) -> None:
    # no node: a Pod without nodeName may be resized too, and rules are the API server's alone
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "rules"},
        "spec": {
            "containers": [{"name": "c", "image": "x", "resources": res("100m", "64Mi", "200m", "128Mi")}]
        },
    }
    code, out = await http.call("POST", BASE, body, "application/json")
    assert code == 201, out
    code, out = await http.resize("rules", patch)
    assert code == 422, out
    assert (out["reason"], out["message"]) == ("Invalid", message)


async def test_resize_subresource_drops_other_changes_and_update_still_refuses_resources(http: Http) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "other", "labels": {"a": "1"}},
        "spec": {
            "containers": [{"name": "c", "image": "x:1", "resources": res("100m", "64Mi", "200m", "128Mi")}]
        },
    }
    code, created = await http.call("POST", BASE, body, "application/json")
    assert code == 201, created
    new = res("150m", "64Mi", "200m", "128Mi")
    patch = {
        "metadata": {"labels": {"a": "2"}},
        "spec": {"containers": [{"name": "c", "image": "x:2", "resources": new}]},
    }
    code, out = await http.resize("other", patch)
    assert code == 200, out
    assert out["metadata"]["labels"] == {"a": "1"}  # only resources move through pods/resize
    assert out["spec"]["containers"][0]["image"] == "x:1"
    assert out["spec"]["containers"][0]["resources"] == new

    # a JSON patch works too
    ops = [{"op": "replace", "path": "/spec/containers/0/resources/requests/cpu", "value": "120m"}]
    code, out = await http.resize("other", ops, "json")
    assert code == 200, out
    assert out["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "120m"

    # the ordinary update path keeps refusing resource changes
    plain = {"spec": {"containers": [{"name": "c", "resources": res("130m", "64Mi", "200m", "128Mi")}]}}
    code, out = await http.call("PATCH", f"{BASE}/other", plain, "application/strategic-merge-patch+json")
    assert code == 422, out
    assert "spec: Forbidden: pod updates may not change fields other than" in out["message"]

    # GET of the subresource answers the Pod; stale preconditions conflict as on any update
    async with http.session.get(f"{http.base}{BASE}/other/resize") as r:
        assert r.status == 200 and (await r.json())["kind"] == "Pod"
    stale = {"metadata": {"resourceVersion": created["metadata"]["resourceVersion"]}, **plain}
    code, out = await http.resize("other", stale, "merge")
    assert code == 409, out


async def test_discovery_lists_pods_resize(http: Http) -> None:
    async with http.session.get(f"{http.base}/api/v1") as r:
        doc = await r.json()
    sub = next(x for x in doc["resources"] if x["name"] == "pods/resize")
    assert (sub["kind"], sub["verbs"], sub["namespaced"]) == ("Pod", ["get", "patch", "update"], True)
