"""The CloneSet's side effects: create, delete and relabel Pods and PVCs through the API.

Each write records an expectation first, so the next reconcile waits for the informer to show it
instead of acting again on a stale cache (§0.4).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from kruise.api.cloneset import CloneSet
from kruise.api.lifecycle import Lifecycle
from kruise.client.errors import AlreadyExists, NotFound
from kruise.client.events import EventRecorder
from kruise.client.expectations import ResourceVersionExpectations, ScaleExpectations
from kruise.client.resources import PODS, PVCS
from kruise.client.rest import Client
from kruise.control import pods as podutil
from kruise.control.batch import run_limited
from kruise.control.lifecycle import LifecycleControl, needs_preparing_delete

from .pods import instance_id, new_pod, new_pvcs

log = logging.getLogger("kruise.cloneset")
Obj = dict[str, Any]


class CloneSetActions:
    def __init__(
        self,
        client: Client,
        recorder: EventRecorder,
        scale_exp: ScaleExpectations,
        rv_exp: ResourceVersionExpectations,
        lifecycle: LifecycleControl,
    ) -> None:
        self.client = client
        self.recorder = recorder
        self.scale_exp = scale_exp
        self.rv_exp = rv_exp
        self.lifecycle = lifecycle

    # ------------------------------------------------------------------ create
    async def create_pods(
        self, key: str, cs: Obj, model: CloneSet, plan: list[tuple[Obj, str]], existing_pvcs: list[Obj]
    ) -> int:
        """Create pods (revision, instance id) in slow-start batches 1, 2, 4, ... stopping at the
        first failed batch, as a ReplicaSet does. Returns how many were created."""
        vcts = model.spec.volume_claim_templates or []
        have_pvcs = {c["metadata"]["name"] for c in existing_pvcs}
        created, batch, i = 0, 1, 0
        while i < len(plan):
            chunk = plan[i : i + batch]
            results = await asyncio.gather(
                *(self._create_one(key, cs, rev, iid, vcts, have_pvcs) for rev, iid in chunk),
                return_exceptions=True,
            )
            errors = [r for r in results if isinstance(r, BaseException)]
            created += len(chunk) - len(errors)
            if errors:
                raise errors[0]
            i += len(chunk)
            batch *= 2
        return created

    async def _create_one(
        self, key: str, cs: Obj, revision: Obj, iid: str, vcts: list[Obj], have_pvcs: set[str]
    ) -> None:
        for pvc in new_pvcs(cs, iid, vcts):
            if pvc["metadata"]["name"] in have_pvcs:
                continue
            with contextlib.suppress(AlreadyExists):
                await self.client.create(PVCS, pvc)
        pod = new_pod(cs, revision, iid, vcts)
        name = pod["metadata"]["name"]
        self.scale_exp.expect(key, "create", name)
        try:
            await self.client.create(PODS, pod)
        except Exception as e:
            self.scale_exp.observe(key, "create", name)
            self.recorder.event(cs, "Warning", "FailedCreate", f"failed to create pod: {e}")
            raise
        self.recorder.event(cs, "Normal", "SuccessfulCreate", f"succeed to create pod {name}")

    # ------------------------------------------------------------------ delete
    async def delete_pods(
        self, key: str, cs: Obj, lifecycle: Lifecycle | None, pods: list[Obj], pvcs: list[Obj]
    ) -> bool:
        """Send pods down the delete path: a pod hooked by preDelete moves to PreparingDelete and
        waits; an unhooked one is deleted with its PVCs. Returns whether anything was written."""
        hook = lifecycle.pre_delete if lifecycle else None
        claims: dict[str, list[Obj]] = {}  # by instance id: one pass, not one per deleted pod
        for pvc in pvcs:
            claims.setdefault(instance_id(pvc), []).append(pvc)

        async def one(pod: Obj) -> bool:
            if hook is not None and needs_preparing_delete(lifecycle, pod):
                if podutil.lifecycle_state(pod) == "PreparingDelete":
                    return False  # still held by the hook
                mark = True if hook.mark_pod_not_ready else None
                written = await self.lifecycle.update_state(pod, "PreparingDelete", mark_not_ready=mark)
                self.rv_exp.expect(written)
                return True
            iid = instance_id(pod)
            await self._delete_one(key, cs, pod, claims.get(iid, []) if iid else [])
            return True

        return any(await run_limited(one(pod) for pod in pods))

    async def _delete_one(self, key: str, cs: Obj, pod: Obj, claims: list[Obj]) -> None:
        """Delete the pod, then its claims (the PVCs of its instance id)."""
        name = pod["metadata"]["name"]
        self.scale_exp.expect(key, "delete", name)
        try:
            await self.client.delete(PODS, name, namespace=pod["metadata"]["namespace"])
        except NotFound:
            pass
        except Exception:
            self.scale_exp.observe(key, "delete", name)
            raise
        self.recorder.event(cs, "Normal", "SuccessfulDelete", f"succeed to delete pod {name}")
        for pvc in claims:
            await self.delete_pvc(pvc)

    async def delete_pvc(self, pvc: Obj) -> None:
        with contextlib.suppress(NotFound):
            await self.client.delete(PVCS, pvc["metadata"]["name"], namespace=pvc["metadata"]["namespace"])

    # ------------------------------------------------------------------ relabel
    async def patch_pod(self, pod: Obj, patch: Obj) -> Obj:
        meta = pod["metadata"]
        written = await self.client.patch(PODS, meta["name"], patch, namespace=meta["namespace"])
        self.rv_exp.expect(written)
        return written

    async def set_state(
        self,
        pod: Obj,
        state: str,
        mark_not_ready: bool | None = None,
        extra: Callable[[Obj], None] | None = None,
    ) -> Obj:
        written = await self.lifecycle.update_state(pod, state, mark_not_ready=mark_not_ready, extra=extra)
        self.rv_exp.expect(written)
        return written
