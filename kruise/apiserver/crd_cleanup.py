"""Server-side cleanup that kube-apiserver does itself (apiextensions' finalizer controller):
removing a deleted CRD's objects before the CRD goes.

Emptying a terminating namespace is not done here: as on a real cluster that is a controller's
job (kruise.cluster.namespace), run by `kruise cluster` and, for a standalone server, by
`kruise apiserver` over its own loopback address."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from . import errors
from .crud import CRD_CLEANUP_FINALIZER, DeleteOptions, Resources, WriteOptions
from .registry import resources_from_crd

log = logging.getLogger("kruise.apiserver.crd_cleanup")

CRD_KEY = "apiextensions.k8s.io/customresourcedefinitions"


class CRDCleanup:
    def __init__(self, resources: Resources, interval: float = 0.2) -> None:
        self.resources = resources
        self.store = resources.store
        self.interval = interval
        self._wake = asyncio.Event()
        self.store.listeners.append(self._on_event)

    def _on_event(self, ev: Any) -> None:
        if ev.storage_key == CRD_KEY and ev.obj["metadata"].get("deletionTimestamp"):
            self._wake.set()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval * 5)
            self._wake.clear()
            try:
                busy = await self.sweep()
            except Exception:  # keep the loop alive; the next pass retries
                log.exception("event=crd_cleanup_failed")
                busy = True
            if busy:
                await asyncio.sleep(self.interval)

    async def sweep(self) -> bool:
        """One pass; True while something is still terminating."""
        busy = False
        for e in self.store.list(CRD_KEY):
            if e.obj["metadata"].get("deletionTimestamp"):
                busy |= not await self._finish_crd(e.obj)
        return busy

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
