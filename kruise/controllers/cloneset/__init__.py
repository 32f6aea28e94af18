"""CloneSet controller: informers and handlers that only enqueue; the work is in reconciler.py."""

from __future__ import annotations

from typing import Any

from kruise.api.selectors import label_selector_from_dict
from kruise.client.controller import Controller, object_key
from kruise.client.indexer import BY_NAMESPACE
from kruise.client.manager import Manager
from kruise.client.ownerref import controller_ref

from .reconciler import CloneSetReconciler

__all__ = ["CloneSetReconciler", "register"]

Obj = dict[str, Any]
KRUISE_GROUP = "apps.kruise.io/"


def _owner_key(obj: Obj) -> str | None:
    ref = controller_ref(obj)
    if ref is None or ref.get("kind") != "CloneSet" or not ref.get("apiVersion", "").startswith(KRUISE_GROUP):
        return None
    return f"{obj['metadata']['namespace']}/{ref['name']}"


def register(manager: Manager, *, workers: int = 4) -> CloneSetReconciler:
    rec = CloneSetReconciler(manager.client, manager.informers, manager.recorder)
    ctl = Controller("cloneset", rec.reconcile, workers=workers)

    def orphan_owners(pod: Obj) -> list[str]:
        """CloneSets in the pod's namespace whose selector matches it (so they may adopt it)."""
        labels = pod["metadata"].get("labels") or {}
        out = []
        for cs in rec.clonesets.store.by_index(BY_NAMESPACE, pod["metadata"]["namespace"]):
            selector = (cs.get("spec") or {}).get("selector")
            if selector and label_selector_from_dict(selector).matches(labels):
                out.append(object_key(cs))
        return out

    def on_pod(pod: Obj, *, deleted: bool = False) -> None:
        key = _owner_key(pod)
        if key is None:
            if not deleted and not pod["metadata"].get("deletionTimestamp"):
                for owner in orphan_owners(pod):
                    ctl.enqueue(owner)
            return
        name = pod["metadata"]["name"]
        if deleted or pod["metadata"].get("deletionTimestamp"):
            rec.scale_exp.observe(key, "delete", name)
        if deleted:
            rec.rv_exp.delete(pod)
        else:
            rec.rv_exp.observe(pod)
        ctl.enqueue(key)

    def on_pod_add(pod: Obj) -> None:
        key = _owner_key(pod)
        if key is not None:
            rec.scale_exp.observe(key, "create", pod["metadata"]["name"])
        on_pod(pod)

    def on_pod_update(old: Obj, new: Obj) -> None:
        old_key, new_key = _owner_key(old), _owner_key(new)
        if old_key is not None and old_key != new_key:
            ctl.enqueue(old_key)
        on_pod(new)

    rec.pods.add_handler(on_pod_add, on_pod_update, lambda pod: on_pod(pod, deleted=True))

    def on_owned(obj: Obj) -> None:
        key = _owner_key(obj)
        if key is not None:
            ctl.enqueue(key)

    for inf in (rec.pvcs, rec.revisions):
        inf.add_handler(on_owned, lambda _old, new: on_owned(new), on_owned)
    rec.clonesets.add_handler(
        ctl.enqueue_object, lambda _old, new: ctl.enqueue_object(new), ctl.enqueue_object
    )
    manager.add_controller(ctl)
    return rec
