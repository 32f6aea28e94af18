"""The controller runtime against a real API server: reconcile loop, events, manager endpoints."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from kruise.apiserver.app import APIServer
from kruise.client import Client
from kruise.client.config import ClientConfig
from kruise.client.controller import Controller, Result, split_key
from kruise.client.errors import NotFound
from kruise.client.events import EventRecorder
from kruise.client.manager import ClientEventSink, Manager, ManagerOptions
from kruise.client.resources import CONFIGMAPS, EVENTS


@pytest.fixture
async def client(server: APIServer) -> AsyncIterator[Client]:
    async with Client(ClientConfig(server=f"http://127.0.0.1:{server.port}")) as c:
        yield c


async def eventually(check: Any, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


class EchoReconciler:
    """Copies each ConfigMap's data.v into annotation echo; records concurrency per key."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.in_flight: set[str] = set()
        self.overlaps = 0
        self.calls = 0

    async def reconcile(self, key: str) -> Result | None:
        if key in self.in_flight:
            self.overlaps += 1
        self.in_flight.add(key)
        self.calls += 1
        try:
            ns, name = split_key(key)
            try:
                cm = await self.client.get(CONFIGMAPS, name, namespace=ns)
            except NotFound:
                return None
            value = (cm.get("data") or {}).get("v", "")
            if (cm["metadata"].get("annotations") or {}).get("echo") != value:
                await self.client.patch(
                    CONFIGMAPS,
                    name,
                    {"metadata": {"annotations": {"echo": value}}},
                    namespace=ns,
                    patch_type="merge",
                )
            await asyncio.sleep(0)  # let other workers interleave
            return None
        finally:
            self.in_flight.discard(key)


async def test_reconciler_converges_over_hundreds_of_objects(client: Client) -> None:
    count = 300
    for i in range(count):
        await client.create(
            CONFIGMAPS,
            {"metadata": {"name": f"cm{i}", "labels": {"echo": "yes"}}, "data": {"v": "1"}},
            namespace="default",
        )
    manager = Manager(client, ManagerOptions(identity="test", health_port=0))
    reconciler = EchoReconciler(client)
    controller = Controller("echo", reconciler.reconcile, workers=4)
    informer = manager.informers.informer(CONFIGMAPS, namespace="default", label_selector="echo=yes")
    informer.add_handler(
        controller.enqueue_object, lambda _old, new: controller.enqueue_object(new), controller.enqueue_object
    )
    manager.add_controller(controller)
    stop = asyncio.Event()
    task = asyncio.create_task(manager.run(stop))

    async def all_echo(value: str) -> bool:
        listed = await client.list(CONFIGMAPS, namespace="default", label_selector="echo=yes")
        items = listed["items"]
        return len(items) == count and all(
            (c["metadata"].get("annotations") or {}).get("echo") == value for c in items
        )

    try:
        await eventually(lambda: all_echo("1"))
        for i in range(count):
            await client.patch(
                CONFIGMAPS, f"cm{i}", {"data": {"v": "2"}}, namespace="default", patch_type="merge"
            )
        await eventually(lambda: all_echo("2"))
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{manager.health_port}"
            async with http.get(base + "/healthz") as r:
                assert (r.status, await r.text()) == (200, "ok")
            async with http.get(base + "/readyz") as r:
                assert r.status == 200
            async with http.get(base + "/metrics") as r:
                metrics = await r.text()
        assert 'workqueue_adds_total{name="echo"}' in metrics
        assert 'controller_runtime_reconcile_total{controller="echo",result="success"}' in metrics
    finally:
        stop.set()
        await task
    assert reconciler.overlaps == 0
    assert reconciler.calls >= 2 * count


async def test_reconcile_errors_are_retried_with_backoff(client: Client) -> None:
    attempts: list[str] = []

    async def flaky(key: str) -> Result | None:
        attempts.append(key)
        if len(attempts) < 3:
            raise RuntimeError("transient")
        return None

    controller = Controller("flaky", flaky, workers=1)
    task = asyncio.create_task(controller.run())
    controller.enqueue("default/x")
    try:
        await eventually(lambda: asyncio.sleep(0, len(attempts) >= 3), timeout=10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert attempts == ["default/x"] * 3
    assert controller.queue.num_requeues("default/x") == 0  # forgotten after the success


async def test_events_are_aggregated(client: Client) -> None:
    cm = await client.create(CONFIGMAPS, {"metadata": {"name": "evented"}}, namespace="default")
    recorder = EventRecorder(ClientEventSink(client), "test-controller", "host-1")
    recorder.start()
    for _ in range(3):
        recorder.event(cm, "Warning", "Broken", "it broke")
    recorder.event(cm, "Normal", "Fixed", "it is fixed")
    await recorder.stop()
    events = await client.list(EVENTS, namespace="default", field_selector="involvedObject.name=evented")
    got = sorted((e["reason"], e["type"], e["count"], e["source"]["component"]) for e in events["items"])
    assert got == [("Broken", "Warning", 3, "test-controller"), ("Fixed", "Normal", 1, "test-controller")]
