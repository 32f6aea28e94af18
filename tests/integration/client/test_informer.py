"""Informers against a real API server process, including kill -9 and restart on the same port."""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kruise.api import heap
from kruise.client import Client, ClientConfig, Informer, SharedInformerFactory, load_config
from kruise.client.indexer import BY_NODE_NAME, BY_OWNER_UID, object_key
from kruise.client.resources import CONFIGMAPS, PODS
from tests.conftest import ServerProcess, start_server
from tests.integration.client.helpers import eventually, pod

Obj = dict[str, Any]


class Recorder:
    """Counts what handlers see, as a controller's enqueue-only handlers would."""

    def __init__(self, inf: Informer) -> None:
        self.added: Counter[str] = Counter()
        self.updated: Counter[str] = Counter()
        self.deleted: dict[str, Obj] = {}
        self.resyncs = 0
        inf.add_handler(self.on_add, self.on_update, self.on_delete)

    def on_add(self, obj: Obj) -> None:
        self.added[object_key(obj)] += 1

    def on_update(self, old: Obj, new: Obj) -> None:
        if old is new:
            self.resyncs += 1
        self.updated[object_key(new)] += 1

    def on_delete(self, obj: Obj) -> None:
        self.deleted[object_key(obj)] = obj


def cm(name: str, namespace: str = "default", **labels: str) -> Obj:
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels}, "data": {"v": "0"}}


async def matches_server(inf: Informer, client: Client) -> bool:
    """The cache equals a fresh list: same keys, same resourceVersions, same content."""
    fresh = await client.list_all(inf.resource, namespace=inf.namespace, label_selector=inf.label_selector)
    want = {object_key(o): o for o in fresh["items"]}
    have = {object_key(o): o for o in inf.store.list()}
    if want.keys() != have.keys():
        return False
    for key, obj in want.items():
        cached = have[key]
        assert cached is not None
        if cached["metadata"]["resourceVersion"] != obj["metadata"]["resourceVersion"]:
            return False
        if cached.get("data") != obj.get("data"):
            return False
    return True


@pytest.fixture
async def client(apiserver: ServerProcess) -> Any:
    async with Client(load_config(str(apiserver.kubeconfig))) as c:
        yield c


async def test_handlers_cache_and_selector(client: Client, namespace: str) -> None:
    await client.create(CONFIGMAPS, cm("before", namespace, app="a"))
    inf = Informer(client, CONFIGMAPS, namespace=namespace, label_selector="app=a")
    rec = Recorder(inf)
    inf.start()
    try:
        assert await inf.wait_synced(60)
        assert rec.added == {f"{namespace}/before": 1}
        cached = inf.store.get(f"{namespace}/before")
        assert cached is not None and "managedFields" not in cached["metadata"]
        assert cached["kind"] == "ConfigMap"

        await client.create(CONFIGMAPS, cm("after", namespace, app="a"))
        await client.create(CONFIGMAPS, cm("other", namespace, app="b"))
        await client.patch(CONFIGMAPS, "before", {"data": {"v": "1"}}, namespace=namespace)
        await eventually(lambda: rec.updated[f"{namespace}/before"] == 1)
        await eventually(lambda: f"{namespace}/after" in inf.store)
        assert f"{namespace}/other" not in inf.store

        # relabelled out of the selector: a delete for this informer
        await client.patch(CONFIGMAPS, "after", {"metadata": {"labels": {"app": "b"}}}, namespace=namespace)
        await eventually(lambda: f"{namespace}/after" in rec.deleted)
        await client.delete(CONFIGMAPS, "before", namespace=namespace)
        await eventually(lambda: f"{namespace}/before" in rec.deleted)
        assert rec.deleted[f"{namespace}/before"]["data"] == {"v": "1"}
        assert len(inf.store) == 0
        assert await matches_server(inf, client)

        # a handler added late first sees every cached object
        await client.create(CONFIGMAPS, cm("late", namespace, app="a"))
        await eventually(lambda: len(inf.store) == 1)
        late = Recorder(inf)
        assert late.added == {f"{namespace}/late": 1}
    finally:
        await inf.stop()


@pytest.mark.parametrize("frozen_heap", [False, True], ids=["stock-gc", "heap-installed"])
async def test_hundreds_of_pods_with_counting_handler(
    client: Client, namespace: str, frozen_heap: bool
) -> None:
    """The same with kruise.api.heap installed, as in every long-running kruise process: cached
    objects are frozen out of the collector's sight and everything behaves the same."""
    n = 300
    await asyncio.gather(*(client.create(PODS, pod(f"early-{i}", namespace)) for i in range(50)))
    inf = Informer(client, PODS, namespace=namespace)
    rec = Recorder(inf)
    if frozen_heap:
        heap.install()
    inf.start()
    try:
        assert await inf.wait_synced(60)
        assert sum(rec.added.values()) == 50
        cached = inf.store.list()[0]
        in_generations = any(o is cached for o in gc.get_objects())  # frozen objects are in none
        assert gc.is_tracked(cached) and in_generations is not frozen_heap

        async def make(i: int) -> None:
            body = pod(f"p-{i}", namespace, app="bench")
            body["spec"]["nodeName"] = f"node-{i % 3}"
            owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "rs-uid"}
            body["metadata"]["ownerReferences"] = [owner]
            await client.create(PODS, body)

        for start in range(0, n, 50):
            await asyncio.gather(*(make(i) for i in range(start, min(n, start + 50))))
        await eventually(lambda: len(inf.store) == n + 50)
        assert set(rec.added.values()) == {1}  # exactly one add per pod
        assert len(inf.store.by_index(BY_NODE_NAME, "node-1")) == n // 3
        assert len(inf.store.by_index(BY_OWNER_UID, "rs-uid")) == n
        assert len(inf.store.list(namespace)) == n + 50

        await asyncio.gather(
            *(
                client.patch(PODS, f"p-{i}", {"metadata": {"labels": {"step": "2"}}}, namespace=namespace)
                for i in range(n)
            )
        )
        await eventually(lambda: sum(rec.updated.values()) >= n)
        await eventually(
            lambda: all(
                (o["metadata"].get("labels") or {}).get("step") == "2"
                for o in inf.store.by_index(BY_OWNER_UID, "rs-uid")
            )
        )
        await client.delete_collection(PODS, namespace=namespace, grace_period=0)
        await eventually(lambda: len(rec.deleted) == n + 50 and len(inf.store) == 0)
        assert await matches_server(inf, client)
        assert inf.lists == 1
    finally:
        await inf.stop()
        heap.uninstall()


async def test_periodic_resync_and_shared_factory(client: Client, namespace: str) -> None:
    await client.create(CONFIGMAPS, cm("r", namespace))
    factory = SharedInformerFactory(client)
    inf = factory.informer(CONFIGMAPS, namespace=namespace, resync_period=0.2)
    assert factory.informer(CONFIGMAPS, namespace=namespace) is inf
    assert factory.informer(CONFIGMAPS, namespace="default") is not inf
    assert factory.informer(CONFIGMAPS, namespace=namespace, label_selector="x=y") is not inf
    rec = Recorder(inf)
    factory.start_all()
    try:
        assert await factory.wait_for_cache_sync(timeout=60)
        await eventually(lambda: rec.resyncs >= 2)
        # informers asked for after start_all start at once
        late = factory.informer(PODS, namespace=namespace)
        assert await late.wait_synced(60)
    finally:
        await factory.stop_all()
    assert not inf.running


async def test_stop_then_start_resumes_without_relisting(client: Client, namespace: str) -> None:
    inf = Informer(client, CONFIGMAPS, namespace=namespace)
    rec = Recorder(inf)
    inf.start()
    assert await inf.wait_synced(60)
    await inf.stop()
    await client.create(CONFIGMAPS, cm("while-stopped", namespace))
    inf.start()
    try:
        await eventually(lambda: rec.added[f"{namespace}/while-stopped"] == 1)
        assert inf.lists == 1
    finally:
        await inf.stop()


@pytest.mark.parametrize(("history", "lists"), [(None, 1), ("3", 2)], ids=["resume", "relist-on-410"])
async def test_kill9_and_restart_on_the_same_port(tmp_path: Path, history: str | None, lists: int) -> None:
    """Changes made while the informer was cut off all arrive once it reconnects: from the watch
    history (resume), or by a relist diffed against the cache when the history is too short (410)."""
    data = tmp_path / "srv"
    server = start_server(data)
    port = int(server.url.rsplit(":", 1)[1])
    try:
        async with Client(ClientConfig(server=server.url)) as c:
            for i in range(10):
                for prefix in ("keep", "mod", "del"):
                    await c.create(CONFIGMAPS, cm(f"{prefix}-{i}"))
            inf = Informer(c, CONFIGMAPS, namespace="default")
            rec = Recorder(inf)
            inf.start()
            assert await inf.wait_synced(60)
            await eventually(lambda: len(inf.store) == 30)
            cached_before = {object_key(o): o for o in inf.store.list()}

            server.kill9()
            # The informer is now cut off. Make changes through the same data on another port, so
            # they certainly happen while it cannot see them.
            side = start_server(data)
            async with Client(ClientConfig(server=side.url)) as w:
                for i in range(10):
                    await w.create(CONFIGMAPS, cm(f"new-{i}"))
                    await w.patch(CONFIGMAPS, f"mod-{i}", {"data": {"v": "1"}}, namespace="default")
                    await w.delete(CONFIGMAPS, f"del-{i}", namespace="default")
            side.stop()
            extra = ("--watch-history", history) if history else ()
            server = start_server(data, *extra, port=port)

            await eventually(lambda: matches_server(inf, c), timeout=120)
            assert inf.lists == lists
            assert {f"default/new-{i}" for i in range(10)} <= set(rec.added)
            assert all(rec.added[f"default/new-{i}"] == 1 for i in range(10))
            for i in range(10):
                key = f"default/del-{i}"
                assert key in rec.deleted
                # the delete carries the object as last known (to the cache or the server)
                assert rec.deleted[key]["metadata"]["uid"] == cached_before[key]["metadata"]["uid"]
                assert rec.updated[f"default/mod-{i}"] == 1
                assert inf.store.get(f"default/mod-{i}")["data"] == {"v": "1"}  # type: ignore[index]
            assert not any(k.startswith("default/keep-") for k in rec.updated)
            await inf.stop()
    finally:
        server.stop()
