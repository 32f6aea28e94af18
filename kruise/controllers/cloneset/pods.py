"""Pure construction of a CloneSet's Pods and PVCs, and the instance ids that tie them (§3.2)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from kruise.api.objects import clone
from kruise.client.ownerref import new_controller_ref
from kruise.control import pods as podutil
from kruise.control.inplace import inject_inplace_readiness_gate
from kruise.control.inplace.spec import template_of

Obj = dict[str, Any]

INSTANCE_ID_LABEL = "apps.kruise.io/cloneset-instance-id"
ID_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
ID_LENGTH = 5


def instance_id(obj: Obj) -> str:
    return podutil.labels(obj).get(INSTANCE_ID_LABEL, "")


def random_id(rng: random.Random | None = None) -> str:
    r = rng or random
    return "".join(r.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def new_instance_ids(
    count: int,
    pods: Iterable[Obj],
    pvcs: Iterable[Obj],
    reuse_pvcs: bool,
    rng: random.Random | None = None,
    reserved: Iterable[str] = (),
) -> list[str]:
    """Ids of PVCs left by pods that are gone come first (their claims are reused), then fresh ones.
    `reserved` ids (pods still terminating) are never handed out."""
    used = {instance_id(p) for p in pods} | set(reserved)
    ids: list[str] = []
    if reuse_pvcs:
        for pvc_id in sorted({instance_id(c) for c in pvcs} - used - {""}):
            if len(ids) == count:
                break
            ids.append(pvc_id)
    taken = used | {instance_id(c) for c in pvcs} | set(ids)
    while len(ids) < count:
        candidate = random_id(rng)
        if candidate not in taken:
            taken.add(candidate)
            ids.append(candidate)
    return ids


def revision_hash(revision_name: str) -> str:
    return revision_name.rsplit("-", 1)[-1]


def pvc_name(claim_name: str, cloneset_name: str, iid: str) -> str:
    return f"{claim_name}-{cloneset_name}-{iid}"


def new_pod(cs: Obj, revision: Obj, iid: str, volume_claim_templates: list[Obj]) -> Obj:
    meta = cs["metadata"]
    template = clone(template_of(revision))  # the revision is the informer's: never mutate it
    tmeta = template.get("metadata") or {}
    spec = template.get("spec") or {}
    labels = dict(tmeta.get("labels") or {})
    labels[podutil.REVISION_LABEL] = revision["metadata"]["name"]
    labels[podutil.POD_TEMPLATE_HASH_LABEL] = revision_hash(revision["metadata"]["name"])
    labels[INSTANCE_ID_LABEL] = iid
    labels[podutil.LIFECYCLE_STATE_LABEL] = "PreparingNormal"
    pod_meta: Obj = {
        "name": f"{meta['name']}-{iid}",
        "namespace": meta["namespace"],
        "labels": labels,
        "ownerReferences": [new_controller_ref(cs)],
    }
    if tmeta.get("annotations"):
        pod_meta["annotations"] = dict(tmeta["annotations"])
    if tmeta.get("finalizers"):
        pod_meta["finalizers"] = list(tmeta["finalizers"])
    inject_inplace_readiness_gate(spec)
    if volume_claim_templates:
        claims = _claim_names(volume_claim_templates)
        volumes = [v for v in spec.get("volumes") or [] if v.get("name") not in claims]
        for claim in volume_claim_templates:
            name = claim["metadata"]["name"]
            volumes.append(
                {"name": name, "persistentVolumeClaim": {"claimName": pvc_name(name, meta["name"], iid)}}
            )
        spec["volumes"] = volumes
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec}


def _claim_names(templates: list[Obj]) -> set[str]:
    return {t["metadata"]["name"] for t in templates}


def new_pvcs(cs: Obj, iid: str, volume_claim_templates: list[Obj]) -> list[Obj]:
    meta = cs["metadata"]
    match_labels = ((cs.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    out = []
    for claim in volume_claim_templates:
        cmeta = claim.get("metadata") or {}
        labels = {**(cmeta.get("labels") or {}), **match_labels, INSTANCE_ID_LABEL: iid}
        out.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {
                    "name": pvc_name(cmeta["name"], meta["name"], iid),
                    "namespace": meta["namespace"],
                    "labels": labels,
                    **({"annotations": dict(cmeta["annotations"])} if cmeta.get("annotations") else {}),
                    "ownerReferences": [new_controller_ref(cs)],
                },
                "spec": clone(claim.get("spec") or {}),
            }
        )
    return out


def is_specified_delete(pod: Obj, pods_to_delete: Iterable[str]) -> bool:
    return podutil.SPECIFIED_DELETE_LABEL in podutil.labels(pod) or pod["metadata"]["name"] in pods_to_delete
