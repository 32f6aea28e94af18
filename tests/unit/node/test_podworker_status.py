"""The pod worker's status writes against a scripted API client (the sim runtime runs the Pod)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from kruise.node.backoff import Backoff
from kruise.node.images import Catalog, ImageStore
from kruise.node.podworker import NodeContext, PodWorker
from kruise.node.runtimes.base import SandboxConfig
from kruise.node.runtimes.sim import SimRuntime

Obj = dict[str, Any]


def pod(rv: int, conditions: list[Obj] | None = None) -> Obj:
    return {
        "metadata": {"name": "web-0", "namespace": "ns", "uid": "u-1", "resourceVersion": str(rv)},
        "spec": {
            "nodeName": "node-1",
            "containers": [{"name": "app", "image": "web:1"}],
            "readinessGates": [{"conditionType": "KruisePodReady"}],
        },
        "status": {"phase": "Pending", "conditions": conditions or []},
    }


class ScriptedClient:
    """Answers each status patch with the stored Pod at the next revision; `hold` keeps one
    patch in flight until released, so a watch event can arrive meanwhile."""

    def __init__(self) -> None:
        self.patches: list[Obj] = []
        self.rv = 10
        self.hold: asyncio.Event | None = None

    async def patch(self, _res: Any, _name: str, body: Obj, **_kw: Any) -> Obj:
        self.patches.append(body)
        self.rv += 1
        answer = pod(self.rv, body["status"].get("conditions"))
        if self.hold is not None:
            await self.hold.wait()
        return answer


class Silent:
    def event(self, *_args: Any) -> None: ...


def ready_in(patch: Obj) -> str | None:
    for c in patch["status"].get("conditions") or ():
        if c.get("type") == "Ready":
            return c.get("status")
    return None


async def test_a_gate_condition_seen_while_a_status_write_is_in_flight_is_not_forgotten(
    tmp_path: Path,
) -> None:
    client = ScriptedClient()
    ctx = NodeContext(
        node_name="node-1",
        host_ip="127.0.0.1",
        data_dir=tmp_path,
        client=client,  # type: ignore[arg-type]
        runtime=SimRuntime(tmp_path / "sim"),
        images=ImageStore(Catalog(), bandwidth=0),
        recorder=Silent(),
        backoff=Backoff(),
    )
    worker = PodWorker(ctx, pod(10))
    worker.pod_ip = await ctx.runtime.run_sandbox(SandboxConfig("u-1", "ns", "web-0", ""))
    await worker._sync()  # the container starts (no delays)
    client.hold = asyncio.Event()
    publish = asyncio.create_task(worker._publish())  # Running, Ready False: the gate is missing
    await asyncio.sleep(0)
    assert len(client.patches) == 1 and ready_in(client.patches[0]) == "False"
    # meanwhile another component sets the gate, and the watch delivers it (revision 12)
    gate = {"type": "KruisePodReady", "status": "True"}
    newer = pod(12, [*client.patches[0]["status"]["conditions"], gate])
    worker.update(newer)
    client.hold.set()
    await publish  # the write's answer is revision 11: older than what the watch delivered
    client.hold = None
    await worker._publish()
    assert ready_in(client.patches[-1]) == "True"
