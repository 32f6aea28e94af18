"""The node agent: registers the Node, renews its Lease, and runs a pod worker per bound Pod."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kruise.client import errors as api_errors
from kruise.client.events import EventRecorder
from kruise.client.informer import Informer
from kruise.client.manager import ClientEventSink
from kruise.client.resources import LEASES, NODES, PODS
from kruise.client.rest import Client

from .backoff import Backoff
from .container import rfc3339
from .http import AgentServer
from .images import ImageStore
from .nodeobj import (
    LEASE_NAMESPACE,
    PULL_BYTES_ANNOTATION,
    NodeSpec,
    lease_object,
    node_object,
    node_status,
    without_heartbeats,
)
from .podworker import NodeContext, PodWorker
from .resize import Amounts, amount
from .runtimes.base import Runtime

log = logging.getLogger("kruise.node")

Obj = dict[str, Any]


@dataclass
class AgentConfig:
    node: NodeSpec
    data_dir: Path
    port: int = 0
    backoff_scale: float = 1.0
    lease_duration: int = 40
    lease_renew: float = 10.0
    status_check: float = 10.0  # how often the node status is recomputed
    status_report: float = 60.0  # a heartbeat-only status report at least this often
    extra: dict[str, Any] = field(default_factory=dict)


class NodeAgent:
    def __init__(self, client: Client, config: AgentConfig, runtime: Runtime, images: ImageStore) -> None:
        self.client = client
        self.config = config
        self.name = config.node.name
        self.runtime = runtime
        self.images = images
        self.recorder = EventRecorder(ClientEventSink(client), "kubelet", self.name)
        self.server = AgentServer(self, config.node.host_ip, config.port)
        self.ctx = NodeContext(
            node_name=self.name,
            host_ip=config.node.host_ip,
            data_dir=config.data_dir,
            client=client,
            runtime=runtime,
            images=images,
            recorder=self.recorder,
            backoff=Backoff(config.backoff_scale),
            backoff_scale=config.backoff_scale,
            on_image_change=self._images_changed,
            allocatable={
                "cpu": amount("cpu", config.node.cpu),
                "memory": amount("memory", config.node.memory),
            },
            node_usage=self._usage_by_others,
        )
        self.workers: dict[str, PodWorker] = {}
        self.node_uid = ""
        self.recovered: list[str] = []
        self._informer: Informer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._watchers: set[asyncio.Task[None]] = set()
        self._status_due = asyncio.Event()
        self._reported: Obj | None = None
        self._reported_at = 0.0
        self._reported_pull_bytes = -1

    # ------------------------------------------------------------------ lifecycle
    @property
    def pod_informer(self) -> Informer | None:
        """The informer of the Pods bound to this node (once started); kruise daemon duties in
        the same process share it."""
        return self._informer

    async def start(self) -> None:
        self.recovered = await self.runtime.recover()
        for line in self.recovered:
            log.info("event=recovered_container node=%s %s", self.name, line)
        port = await self.server.start()
        self.recorder.start()
        await self._register(port)
        await self._report_status(force=True)
        await self._renew_lease()
        self._tasks = [
            asyncio.create_task(self._lease_loop(), name="node-lease"),
            asyncio.create_task(self._status_loop(), name="node-status"),
        ]
        informer = Informer(self.client, PODS, field_selector=f"spec.nodeName={self.name}")
        informer.add_handler(self._on_add, self._on_update, self._on_delete)
        informer.start()
        self._informer = informer
        await informer.wait_synced()

    async def stop(self) -> None:
        """Stop looking after Pods and stop every container; the Pod objects stay."""
        if self._informer is not None:
            await self._informer.stop()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        await asyncio.gather(*(w.cancel() for w in self.workers.values()))
        await self.runtime.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.recorder.stop(), 5)
        await self.server.stop()

    @property
    def port(self) -> int:
        return self.server.port

    # ------------------------------------------------------------------ pods
    def _on_add(self, pod: Obj) -> None:
        self._on_update(pod, pod)

    def _on_update(self, _old: Obj, pod: Obj) -> None:
        uid = pod["metadata"].get("uid", "")
        worker = self.workers.get(uid)
        if worker is None:
            worker = PodWorker(self.ctx, pod)
            self.workers[uid] = worker
            worker.done.clear()
            worker.start()
            task = asyncio.get_running_loop().create_task(self._forget_when_done(worker))
            self._watchers.add(task)
            task.add_done_callback(self._watchers.discard)
        else:
            worker.update(pod)

    def _on_delete(self, pod: Obj) -> None:
        worker = self.workers.get(pod["metadata"].get("uid", ""))
        if worker is not None:
            worker.vanished()

    async def _forget_when_done(self, worker: PodWorker) -> None:
        await worker.done.wait()
        if worker.gone or worker._deleting():
            self.workers.pop(worker.uid, None)

    def _usage_by_others(self, uid: str) -> Amounts:
        """cpu/memory allocated to every Pod on the node but `uid` (what a resize must fit beside)."""
        total: Amounts = {}
        for w in self.workers.values():
            if w.uid != uid:
                for k, v in w.allocated_requests().items():
                    total[k] = total.get(k, 0) + v
        return total

    def worker_for(self, namespace: str, name: str) -> PodWorker | None:
        found = [w for w in self.workers.values() if w.namespace == namespace and w.name == name]
        return max(found, key=lambda w: not w.done.is_set(), default=None)

    def pods(self) -> list[Obj]:
        return [w.pod for w in self.workers.values()]

    def stats(self) -> Obj:
        return {
            "node": self.name,
            "images": self.images.summary(),
            "pods": len(self.workers),
            "containers": sum(1 for c in self.runtime.list_containers() if c.state == "running"),
            "recovered": self.recovered,
        }

    # ------------------------------------------------------------------ node object
    async def _register(self, port: int) -> None:
        body = node_object(self.config.node)
        try:
            node = await self.client.create(NODES, body)
        except api_errors.AlreadyExists:
            patch = {"metadata": {"labels": body["metadata"]["labels"]}}
            node = await self.client.patch(NODES, self.name, patch)
        self.node_uid = node["metadata"].get("uid", "")
        log.info("event=node_registered node=%s port=%d", self.name, port)

    def _images_changed(self) -> None:
        self._status_due.set()

    async def _report_status(self, force: bool = False) -> None:
        now = time.time()
        status = node_status(
            self.config.node, self.port, self.images.node_images(), rfc3339(now), self._reported
        )
        same = self._reported is not None and without_heartbeats(status) == without_heartbeats(self._reported)
        if force or not same or now - self._reported_at >= self.config.status_report:
            await self.client.patch(NODES, self.name, {"status": status}, subresource="status")
            self._reported, self._reported_at = status, now
        pulled = self.images.stats.bytes_pulled
        if pulled != self._reported_pull_bytes:
            patch = {"metadata": {"annotations": {PULL_BYTES_ANNOTATION: str(pulled)}}}
            await self.client.patch(NODES, self.name, patch)
            self._reported_pull_bytes = pulled

    async def _status_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._status_due.wait(), self.config.status_check)
            self._status_due.clear()
            try:
                await self._report_status()
            except Exception as e:
                log.warning("event=node_status_failed node=%s error=%s", self.name, e)

    # ------------------------------------------------------------------ lease
    async def _renew_lease(self) -> None:
        now = time.time()
        renew = rfc3339(now).removesuffix("Z") + f".{int((now % 1) * 1e6):06d}Z"
        body = lease_object(self.name, self.node_uid, self.config.lease_duration, renew)
        try:
            current = await self.client.get(LEASES, self.name, namespace=LEASE_NAMESPACE)
        except api_errors.NotFound:
            with contextlib.suppress(api_errors.AlreadyExists):
                await self.client.create(LEASES, body)
            return
        current["spec"] = {**(current.get("spec") or {}), **body["spec"]}
        await self.client.update(LEASES, current)

    async def _lease_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.lease_renew)
            try:
                await self._renew_lease()
            except Exception as e:
                log.warning("event=lease_renew_failed node=%s error=%s", self.name, e)
