"""podreadiness controller: a pod with the KruisePodReady readiness gate but no such condition yet gets
`KruisePodReady=True` (kruise-behaviour.md §1.3), so the gate alone never holds a pod not-ready; the
not-ready-key writers (lifecycle, CRR) turn it False when they need to."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from kruise.api.objects import clone
from kruise.client.controller import Controller, Result, split_key
from kruise.client.errors import Conflict, NotFound
from kruise.client.informer import Informer
from kruise.client.manager import Manager
from kruise.client.resources import PODS
from kruise.client.rest import Client
from kruise.control.podreadiness import has_readiness_gate
from kruise.control.pods import KRUISE_POD_READY, condition, format_time, is_terminating, now_utc

__all__ = ["PodReadinessReconciler", "needs_condition", "plan_conditions", "register"]

log = logging.getLogger("kruise.podreadiness")
Obj = dict[str, Any]

CONFLICT_RETRIES = 5


def needs_condition(pod: Obj) -> bool:
    """The pod has the gate, is not being deleted, and nobody has written the condition yet."""
    return (
        has_readiness_gate(pod, KRUISE_POD_READY)
        and not is_terminating(pod)
        and condition(pod, KRUISE_POD_READY) is None
    )


def plan_conditions(pod: Obj, now: dt.datetime) -> list[Obj] | None:
    """status.conditions with `KruisePodReady=True` appended, or None when nothing is to be done.
    Ready is left to the kubelet, which recomputes it from the gates."""
    if not needs_condition(pod):
        return None
    conditions = clone((pod.get("status") or {}).get("conditions") or [])
    conditions.append({"type": KRUISE_POD_READY, "status": "True", "lastTransitionTime": format_time(now)})
    return conditions


class PodReadinessReconciler:
    def __init__(
        self, client: Client, informers: Any, *, clock: Callable[[], dt.datetime] = now_utc
    ) -> None:
        self.client = client
        self.clock = clock
        self.pods: Informer = informers.informer(PODS)

    async def reconcile(self, key: str) -> Result | None:
        pod = self.pods.store.get(key)
        namespace, name = split_key(key)
        for _ in range(CONFLICT_RETRIES):
            if pod is None:
                return None
            conditions = plan_conditions(pod, self.clock())
            if conditions is None:
                return None
            # the cached Pod stays untouched; what is not replaced is only read (encoded)
            body = {**pod, "status": {**(pod.get("status") or {}), "conditions": conditions}}
            try:
                # a compare-and-swap: never overwrite a not-ready key written since our read
                await self.client.update_status(PODS, body, namespace=namespace)
                return None
            except NotFound:
                return None
            except Conflict:
                try:
                    pod = await self.client.get(PODS, name, namespace=namespace)
                except NotFound:
                    return None
        raise RuntimeError(f"pod {key}: KruisePodReady not written after {CONFLICT_RETRIES} conflicts")


def register(manager: Manager, *, workers: int = 16) -> PodReadinessReconciler:
    rec = PodReadinessReconciler(manager.client, manager.informers)
    ctl = Controller("podreadiness", rec.reconcile, workers=workers)

    def on_pod(pod: Obj) -> None:
        if needs_condition(pod):
            ctl.enqueue_object(pod)

    rec.pods.add_handler(on_pod, lambda _old, new: on_pod(new))
    manager.add_controller(ctl)
    return rec
