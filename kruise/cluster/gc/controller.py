"""The garbage collector: informers on every deletable resource feed the ownership graph; two
queues act on it ("attempt to delete" and "orphan"), as kube's collector does.

The graph (informer caches) only says what to look at. Before anything is deleted or patched the
object and each of its owners are read live from the API, so a cache that lags, or an owner
whose resource is not watched yet, never causes a wrong deletion. Resources come from discovery,
re-read every few seconds (cheaply: /api and /apis, with a full pass when they change) and at
once when a CustomResourceDefinition changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from kruise.client.controller import Controller, Result
from kruise.client.errors import Conflict, NotFound
from kruise.client.informer import Informer, SharedInformerFactory
from kruise.client.resources import Resource
from kruise.client.rest import Client

from .. import discovery as api_index
from . import discovery as disc
from .graph import (
    FOREGROUND,
    ORPHAN,
    Graph,
    GraphNode,
    OwnerRef,
    OwnerState,
    Work,
    classify,
    node_from_object,
    plan_deleting_dependents,
    plan_dependent,
    unblocked,
    without_finalizer,
    without_owners,
    work_for_change,
    work_for_removal,
)

log = logging.getLogger("kruise.cluster.gc")

Obj = dict[str, Any]
UNRESOLVED_RETRY = 10.0  # seconds before an owner of unknown kind is looked up again
NOT_SYNCED_RETRY = 1.0
_ABSENT_CACHE = 4096
_PATCH_ATTEMPTS = 5


def _is_crds(res: Resource) -> bool:
    return res.group == "apiextensions.k8s.io" and res.plural == "customresourcedefinitions"


class GarbageCollector:
    def __init__(
        self,
        client: Client,
        informers: SharedInformerFactory,
        *,
        rediscover_every: float = 5.0,
        full_rediscover_every: float = 60.0,
        sync_timeout: float = 30.0,
        workers: int = 4,
    ) -> None:
        self.client = client
        self.informers = informers
        self.rediscover_every = rediscover_every
        self.full_rediscover_every = full_rediscover_every
        self.sync_timeout = sync_timeout
        self.graph = Graph()
        self.discovery = disc.Discovery()
        self.deleter = Controller("garbage-collector", self._attempt_to_delete, workers=workers)
        self.orphaner = Controller("garbage-collector-orphan", self._attempt_to_orphan, workers=2)
        self._monitors: dict[Resource, Informer] = {}
        self._attached: set[Resource] = set()
        self._index_key: list[str] = []
        self._rediscover = asyncio.Event()
        self._sweep_pending = False
        self._initial_synced = False
        self._absent: OrderedDict[tuple[str, str], None] = OrderedDict()

    # ------------------------------------------------------------------ lifecycle
    async def run(self) -> None:
        while True:
            try:
                await self._sync_monitors()
                break
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("event=gc_discovery_failed error=%r", e)
                await asyncio.sleep(self.rediscover_every)
        await self._wait_synced(self.sync_timeout)
        self._initial_synced = True
        self._sweep()
        log.info("event=gc_started resources=%d objects=%d", len(self._monitors), len(self.graph))
        await asyncio.gather(self.deleter.run(), self.orphaner.run(), self._discovery_loop())

    def _caught_up_with(self, rv: int) -> bool:
        """Every watched resource has been observed up to resourceVersion `rv` (events or bookmarks)."""
        for inf in self._monitors.values():
            try:
                if int(inf.resource_version or 0) < rv:
                    return False
            except ValueError:  # an opaque resourceVersion (not our server): trust the sync
                continue
        return True

    def all_synced(self) -> bool:
        return all(inf.has_synced() for inf in self._monitors.values())

    async def _wait_synced(self, timeout: float) -> bool:
        infs = list(self._monitors.values())
        return all(await asyncio.gather(*(i.wait_synced(timeout) for i in infs)))

    # ------------------------------------------------------------------ discovery and monitors
    async def _discovery_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last_full = loop.time()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._rediscover.wait(), self.rediscover_every)
            forced = self._rediscover.is_set()
            self._rediscover.clear()
            try:
                index = await api_index.fetch_index(self.client)
                stale = loop.time() - last_full >= self.full_rediscover_every
                if forced or stale or api_index.group_versions(*index) != self._index_key:
                    await self._sync_monitors(index)
                    last_full = loop.time()
                    self._sweep_pending = self._sweep_pending or stale
                if self._sweep_pending and self.all_synced():
                    self._sweep()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("event=gc_discovery_failed error=%r", e)

    async def _sync_monitors(self, index: tuple[Obj, Obj] | None = None) -> None:
        index = index or await api_index.fetch_index(self.client)
        found = await disc.discover(self.client, index)
        self.discovery = found
        self._index_key = api_index.group_versions(*index)
        # Retire first: a resource whose preferred version changed comes back under a new key
        # with the same uids, and must not be removed after it was re-added.
        for res in [r for r in self._monitors if r not in found.monitored]:
            await self._retire(res)
        added = [r for r in sorted(found.monitored, key=str) if r not in self._monitors]
        for res in added:
            self._adopt(res)
        if added:
            log.info("event=gc_monitoring resources=%s", ",".join(_resource_name(r) for r in added))
            # An owner deleted before its resource was watched left no event behind.
            self._sweep_pending = self._initial_synced

    def _adopt(self, res: Resource) -> None:
        inf = self.informers.informer(res)
        self._monitors[res] = inf
        if res in self._attached:
            for obj in inf.store.list():  # watched before, retired, now back: re-seed
                self._observe(res, None, obj)
        else:
            self._attached.add(res)
            inf.add_handler(
                lambda obj: self._observe(res, None, obj),
                lambda old, new: self._observe(res, old, new),
                lambda obj: self._vanish(res, obj),
            )
        if not inf.running:
            inf.start()

    async def _retire(self, res: Resource) -> None:
        inf = self._monitors.pop(res)
        await inf.stop()
        for node in self.graph.nodes_of(res):
            self.graph.remove(node.uid)
            self._schedule(work_for_removal(self.graph, node))
        log.info("event=gc_unmonitored resource=%s", _resource_name(res))

    def _sweep(self) -> None:
        self._sweep_pending = False
        self._schedule(Work(attempt_delete=self.graph.with_unknown_owner()))

    # ------------------------------------------------------------------ handlers: graph + enqueue
    def _observe(self, res: Resource, _old: Obj | None, obj: Obj) -> None:
        if _is_crds(res):
            self._rediscover.set()
        if self._monitors.get(res) is None:
            return
        node = node_from_object(res, obj)
        if not node.uid:
            return
        old = self.graph.upsert(node)
        self._schedule(work_for_change(self.graph, old, node, check_unknown_owners=self._initial_synced))

    def _vanish(self, res: Resource, obj: Obj) -> None:
        if _is_crds(res):
            self._rediscover.set()
        uid = str((obj.get("metadata") or {}).get("uid") or "")
        node = self.graph.get(uid)
        if node is None or node.resource != res:
            return
        self.graph.remove(uid)
        self._schedule(work_for_removal(self.graph, node))

    def _schedule(self, work: Work) -> None:
        for uid in work.attempt_delete:
            self.deleter.enqueue(uid)
        for uid in work.orphan:
            self.orphaner.enqueue(uid)

    # ------------------------------------------------------------------ attempt to delete
    async def _attempt_to_delete(self, uid: str) -> Result | None:
        node = self.graph.get(uid)
        if node is None:
            return None
        latest = await self._latest(node)
        if latest is None:
            return None
        meta = latest["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if meta.get("deletionTimestamp"):
            if FOREGROUND in finalizers:
                return await self._process_deleting_dependents(node)
            return None
        owners = [OwnerRef.from_dict(r) for r in meta.get("ownerReferences") or [] if r.get("uid")]
        if not owners:
            return None
        states = {o.uid: await self._owner_state(o, node) for o in owners}
        dependents = self.graph.dependents(uid)
        action = plan_dependent(
            finalizers,
            classify(owners, states),
            has_dependents=bool(dependents),
            dependents_deleting=any(d.deleting_dependents for d in dependents),
        )
        if action.retry:
            return Result(requeue_after=UNRESOLVED_RETRY)
        if action.remove_owner_uids:
            drop = action.remove_owner_uids
            log.info("event=gc_drop_owner_refs object=%s owners=%s", _describe(node), ",".join(drop))
            await self._patch_metadata(node, "ownerReferences", lambda refs: without_owners(refs, drop))
            return None
        if action.unblock_owner_uids:
            keep = action.unblock_owner_uids
            await self._patch_metadata(node, "ownerReferences", lambda refs: unblocked(refs, keep))
        if action.delete:
            await self._delete(node, latest, action.delete)
        return None

    async def _process_deleting_dependents(self, node: GraphNode) -> Result | None:
        if not self.all_synced():
            return Result(requeue_after=NOT_SYNCED_RETRY)  # a dependent may not be observed yet
        action = plan_deleting_dependents(self.graph, node.uid)
        if action.remove_finalizer:
            # A dependent created just before the owner's deletion may not be in the graph yet:
            # decide only once every watch has caught up with the owner's deletion.
            latest = await self._latest(node)
            if latest is None:
                return None
            if not self._caught_up_with(int(latest["metadata"].get("resourceVersion") or 0)):
                return Result(requeue_after=NOT_SYNCED_RETRY)
            log.info("event=gc_dependents_gone object=%s", _describe(node))
            await self._patch_metadata(node, "finalizers", lambda f: without_finalizer(f, FOREGROUND))
        for dep in action.attempt_delete:
            self.deleter.enqueue(dep)
        return None

    async def _owner_state(self, ref: OwnerRef, dependent: GraphNode) -> OwnerState:
        res = self.discovery.resource_for(ref.api_version, ref.kind)
        if res is None or not ref.name:
            return OwnerState.UNRESOLVED
        if res.namespaced and not dependent.namespace:
            # A cluster-scoped object cannot be owned by a namespaced one: never collected.
            return OwnerState.UNRESOLVED
        namespace = dependent.namespace if res.namespaced else ""
        key = (ref.uid, namespace)
        if key in self._absent:
            return OwnerState.ABSENT
        try:
            owner = await self.client.get(res, ref.name, namespace=namespace or None)
        except NotFound:
            owner = None
        except ValueError:  # a name that cannot be a path segment
            return OwnerState.UNRESOLVED
        meta = (owner or {}).get("metadata") or {}
        if owner is None or meta.get("uid") != ref.uid:
            self._absent[key] = None
            while len(self._absent) > _ABSENT_CACHE:
                self._absent.popitem(last=False)
            return OwnerState.ABSENT
        if meta.get("deletionTimestamp") and FOREGROUND in (meta.get("finalizers") or []):
            return OwnerState.DELETING_DEPENDENTS
        return OwnerState.SOLID

    # ------------------------------------------------------------------ orphan
    async def _attempt_to_orphan(self, uid: str) -> Result | None:
        node = self.graph.get(uid)
        if node is None:
            return None
        latest = await self._latest(node)
        meta = (latest or {}).get("metadata") or {}
        if not meta.get("deletionTimestamp") or ORPHAN not in (meta.get("finalizers") or []):
            return None
        if not self.all_synced():
            return Result(requeue_after=NOT_SYNCED_RETRY)
        for dep in self.graph.dependents(uid):
            await self._patch_metadata(dep, "ownerReferences", lambda refs: without_owners(refs, [uid]))
        log.info("event=gc_orphaned object=%s", _describe(node))
        await self._patch_metadata(node, "finalizers", lambda f: without_finalizer(f, ORPHAN))
        return None

    # ------------------------------------------------------------------ API writes
    async def _latest(self, node: GraphNode) -> Obj | None:
        try:
            obj = await self.client.get(node.resource, node.name, namespace=node.namespace or None)
        except NotFound:
            return None
        return obj if (obj.get("metadata") or {}).get("uid") == node.uid else None

    async def _delete(self, node: GraphNode, latest: Obj, policy: str) -> None:
        log.info("event=gc_delete object=%s propagation=%s", _describe(node), policy)
        rv = str(latest["metadata"].get("resourceVersion") or "")
        preconditions = {"uid": node.uid, **({"resourceVersion": rv} if rv else {})}
        with contextlib.suppress(NotFound):
            await self.client.delete(
                node.resource,
                node.name,
                namespace=node.namespace or None,
                propagation=policy,
                preconditions=preconditions,
            )

    async def _patch_metadata(
        self, node: GraphNode, field: str, change: Callable[[list[Any]], list[Any]]
    ) -> None:
        """Rewrite one metadata list (ownerReferences, finalizers) guarded by resourceVersion."""
        for _ in range(_PATCH_ATTEMPTS):
            latest = await self._latest(node)
            if latest is None:
                return
            meta = latest["metadata"]
            current = list(meta.get(field) or [])
            wanted = change(current)
            if wanted == current:
                return
            body = {"metadata": {field: wanted or None, "resourceVersion": meta.get("resourceVersion")}}
            try:
                await self.client.patch(
                    node.resource, node.name, body, namespace=node.namespace or None, patch_type="merge"
                )
                return
            except NotFound:
                return
            except Conflict:
                continue
        raise Conflict(409, "Conflict", f"{_describe(node)} kept changing while updating {field}")


def _resource_name(res: Resource) -> str:
    return f"{res.plural}.{res.group}" if res.group else res.plural


def _describe(node: GraphNode) -> str:
    where = f"{node.namespace}/" if node.namespace else ""
    return f"{_resource_name(node.resource)}/{where}{node.name}"
