"""The namespace controller: empties a terminating namespace through the API, then releases
its `kubernetes` finalizer (PUT .../finalize) so the API server can remove it.

Like kube-controller-manager's, it deletes every namespaced resource found by discovery
(deletecollection where offered), reports progress in the namespace's status conditions and
comes back while anything remains: Pods still stopping on their node, objects held by
someone else's finalizer.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import Any

from kruise.client.controller import Controller, Result
from kruise.client.errors import ApiError, Conflict, NotFound
from kruise.client.informer import SharedInformerFactory
from kruise.client.resources import NAMESPACES
from kruise.client.rest import Client

from .. import discovery
from . import plan

log = logging.getLogger("kruise.cluster.namespace")

Obj = dict[str, Any]
_GONE = frozenset({404, 405})  # the resource went away, or offers no such verb after all


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class NamespaceController:
    def __init__(
        self,
        client: Client,
        informers: SharedInformerFactory,
        *,
        retry: float = 1.0,
        discovery_ttl: float = 5.0,
        workers: int = 2,
    ) -> None:
        self.client = client
        self.retry = retry
        self.discovery_ttl = discovery_ttl
        self.namespaces = informers.informer(NAMESPACES)
        self.controller = Controller("namespace", self._reconcile, workers=workers)
        self._clearable: list[plan.Clearable] = []
        self._discovered_at = float("-inf")
        self.namespaces.add_handler(on_add=self._enqueue, on_update=lambda _old, new: self._enqueue(new))

    def _enqueue(self, ns: Obj) -> None:
        if plan.awaits_cleanup(ns):
            self.controller.enqueue(ns["metadata"]["name"])

    async def run(self) -> None:
        await self.controller.run()

    async def _reconcile(self, name: str) -> Result | None:
        ns = self.namespaces.store.get(name)
        if ns is None or not plan.awaits_cleanup(ns):
            return None
        discovery_errors: list[str] = []
        try:
            clearable = await self._resources()
        except ApiError as e:
            discovery_errors.append(str(e))
            clearable = self._clearable  # what was known before, if anything
        deletion_errors: list[str] = []
        leftovers: list[plan.Leftover] = []
        for item in clearable:
            try:
                left = await self._clear(item, name)
            except ApiError as e:
                if e.status not in _GONE:
                    deletion_errors.append(f"{item.resource.plural}.{item.resource.group}: {e.message or e}")
                continue
            if left is not None:
                leftovers.append(left)
        outcome = plan.Pass(discovery_errors, deletion_errors, leftovers)
        ns = await self._report(ns, outcome)
        if ns is None:
            return None
        if not outcome.done:
            return Result(requeue_after=self.retry)
        try:
            await self.client.request("PUT", f"/api/v1/namespaces/{name}/finalize", body=plan.finalized(ns))
        except (NotFound, Conflict):
            return Result(requeue_after=self.retry)
        log.info("event=namespace_finalized name=%s", name)
        return None

    async def _resources(self) -> list[plan.Clearable]:
        if time.monotonic() - self._discovered_at >= self.discovery_ttl:
            core, groups = await discovery.fetch_index(self.client)
            lists = await discovery.fetch_lists(self.client, core, groups)
            self._clearable = plan.resources_to_clear(core, groups, lists)
            self._discovered_at = time.monotonic()
        return self._clearable

    async def _clear(self, item: plan.Clearable, namespace: str) -> plan.Leftover | None:
        res = item.resource
        if item.collection:
            await self.client.delete_collection(res, namespace=namespace, propagation="Background")
        else:
            for obj in (await self.client.list(res, namespace=namespace))["items"]:
                if not obj["metadata"].get("deletionTimestamp"):
                    with contextlib.suppress(NotFound):
                        await self.client.delete(res, obj["metadata"]["name"], namespace=namespace)
        return plan.leftover_of(res, (await self.client.list(res, namespace=namespace))["items"])

    async def _report(self, ns: Obj, outcome: plan.Pass) -> Obj | None:
        """Write the conditions when they changed; the namespace as it now is (None: gone)."""
        status = ns.get("status") or {}
        wanted = plan.conditions(status.get("conditions") or [], outcome, _now())
        if wanted == (status.get("conditions") or []):
            return ns
        try:
            return await self.client.update_status(
                NAMESPACES, {**ns, "status": {**status, "conditions": wanted}}
            )
        except NotFound:
            return None
        except Conflict:
            return await self.client.get(NAMESPACES, ns["metadata"]["name"])
