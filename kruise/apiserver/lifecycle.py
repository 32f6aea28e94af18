"""Server-side cleanup that kube-apiserver's companions do: emptying terminating namespaces and
removing a deleted CRD's objects before the CRD itself goes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from . import errors
from .crud import CRD_CLEANUP_FINALIZER, DeleteOptions, Resources, WriteOptions
from .registry import resources_from_crd

log = logging.getLogger("kruise.apiserver.lifecycle")

CRD_KEY = "apiextensions.k8s.io/customresourcedefinitions"


class Lifecycle:
    def __init__(self, resources: Resources, interval: float = 0.2) -> None:
        self.resources = resources
        self.store = resources.store
        self.interval = interval
        self._wake = asyncio.Event()
        self.store.listeners.append(self._on_event)

    def _on_event(self, ev: Any) -> None:
        if ev.storage_key in ("/namespaces", CRD_KEY) and ev.obj["metadata"].get("deletionTimestamp"):
            self._wake.set()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval * 5)
            self._wake.clear()
            try:
                busy = await self.sweep()
            except Exception:  # keep the loop alive; the next pass retries
                log.exception("event=lifecycle_sweep_failed")
                busy = True
            if busy:
                await asyncio.sleep(self.interval)

    async def sweep(self) -> bool:
        """One pass; True while something is still terminating."""
        busy = False
        for e in self.store.list("/namespaces"):
            if e.obj["metadata"].get("deletionTimestamp"):
                busy |= not await self._finish_namespace(e.obj)
        for e in self.store.list(CRD_KEY):
            if e.obj["metadata"].get("deletionTimestamp"):
                busy |= not await self._finish_crd(e.obj)
        return busy

    async def _finish_namespace(self, ns: dict[str, Any]) -> bool:
        name = ns["metadata"]["name"]
        remaining = 0
        for info in self._namespaced_infos():
            for e in self.store.list(info.storage_key, name):
                remaining += 1
                if e.obj["metadata"].get("deletionTimestamp"):
                    continue
                await self._delete_quietly(info, name, e.obj["metadata"]["name"])
        if remaining:
            return False
        if ns["metadata"].get("finalizers"):
            return False  # someone else's finalizer still holds it
        self.store.delete("/namespaces", dict(ns, spec={**(ns.get("spec") or {}), "finalizers": []}))
        await self.store.durable()
        log.info("event=namespace_deleted name=%s", name)
        return True

    async def _finish_crd(self, crd: dict[str, Any]) -> bool:
        infos = resources_from_crd(crd)
        if infos:
            info = infos[0]
            left = self.store.list(info.storage_key)
            for e in left:
                if not e.obj["metadata"].get("deletionTimestamp"):
                    meta = e.obj["metadata"]
                    await self._delete_quietly(info, meta.get("namespace", ""), meta["name"])
            if self.store.list(info.storage_key):
                return False
        finalizers = [f for f in crd["metadata"].get("finalizers") or [] if f != CRD_CLEANUP_FINALIZER]
        if finalizers == (crd["metadata"].get("finalizers") or []):
            return not finalizers
        crd_info = self.resources.registry.get("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        assert crd_info is not None
        new = {**crd, "metadata": {**crd["metadata"], "finalizers": finalizers}}
        await self.resources.update(
            crd_info, "", crd["metadata"]["name"], new, WriteOptions(manager="apiextensions-apiserver")
        )
        return True

    def _namespaced_infos(self) -> list[Any]:
        seen: dict[str, Any] = {}
        for info in self.resources.registry.all():
            if info.namespaced:
                seen.setdefault(info.storage_key, info)
        return list(seen.values())

    async def _delete_quietly(self, info: Any, namespace: str, name: str) -> None:
        try:
            await self.resources.delete(info, namespace, name, DeleteOptions(propagation="Background"))
        except errors.APIError as e:
            if e.code != 404:
                log.warning(
                    "event=cleanup_delete_failed resource=%s name=%s/%s error=%s",
                    info.resource,
                    namespace,
                    name,
                    e,
                )
