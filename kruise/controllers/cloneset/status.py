"""CloneSet status (§3.7): counters, revisions and the Progressing condition, as pure functions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kruise.api.intstr import partition_replicas
from kruise.control import pods as podutil

from .plan import is_pod_available

Obj = dict[str, Any]

COUNTERS = (
    "replicas",
    "readyReplicas",
    "availableReplicas",
    "updatedReplicas",
    "updatedReadyReplicas",
    "updatedAvailableReplicas",
    "expectedUpdatedReplicas",
)


def selector_string(selector: Obj | None) -> str:
    """metav1.LabelSelector rendered as kube's selector String(): requirements sorted by key."""
    if not selector:
        return ""
    reqs: list[tuple[str, str]] = [(k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for e in selector.get("matchExpressions") or []:
        key, op, values = e.get("key", ""), e.get("operator"), sorted(e.get("values") or [])
        text = {
            "In": f"{key} in ({','.join(values)})",
            "NotIn": f"{key} notin ({','.join(values)})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }.get(op or "", key)
        reqs.append((key, text))
    return ",".join(t for _, t in sorted(reqs, key=lambda r: r[0]))


def is_pod_ready(pod: Obj) -> bool:
    return podutil.is_running_and_ready(pod) and podutil.in_place_update_ready(pod)


def counters(
    pods: list[Obj],
    spec_replicas: int,
    partition: Any,
    update_revision: str,
    min_ready: int,
    now: dt.datetime,
) -> dict[str, int]:
    out = dict.fromkeys(COUNTERS, 0)
    out["replicas"] = len(pods)
    for pod in pods:
        ready = is_pod_ready(pod)
        available = is_pod_available(pod, min_ready, now)
        out["readyReplicas"] += ready
        out["availableReplicas"] += available
        if podutil.revision_matches(pod, update_revision):
            out["updatedReplicas"] += 1
            out["updatedReadyReplicas"] += ready
            out["updatedAvailableReplicas"] += available
    out["expectedUpdatedReplicas"] = spec_replicas - partition_replicas(partition, spec_replicas)
    return out


def _condition(type_: str, status: str, reason: str, message: str, now: str) -> Obj:
    return {
        "type": type_,
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def progressing_condition(status: Obj, spec: Any, existing: Obj | None, now: dt.datetime) -> Obj:
    """The Progressing condition to hold after this reconcile (§3.7 evaluation order)."""
    replicas = spec.replicas
    paused = spec.update_strategy.paused
    if (
        status.get("currentRevision") == status.get("updateRevision")
        and status["replicas"] == status["updatedReplicas"] == status["updatedAvailableReplicas"] == replicas
    ):
        want = ("True", "CloneSetAvailable", "CloneSet is available")
    elif paused:
        want = ("True", "CloneSetPaused", "CloneSet is paused")
    elif (
        status["expectedUpdatedReplicas"] < replicas
        and status["updatedAvailableReplicas"] >= status["expectedUpdatedReplicas"]
    ):
        want = ("True", "ProgressPartitionAvailable", "CloneSet has been paused due to partition ready")
    elif _deadline_exceeded(existing, spec.progress_deadline_seconds, now):
        want = (
            "False",
            "ProgressDeadlineExceeded",
            f"CloneSet revision {status.get('updateRevision')} has timed out progressing",
        )
    else:
        want = ("True", "CloneSetUpdated", "CloneSet is progressing")
    stamp = podutil.format_time(now)
    if existing is not None and (existing.get("status"), existing.get("reason")) == want[:2]:
        return existing
    cond = _condition("Progressing", *want, stamp)
    if existing is not None and existing.get("status") == want[0]:
        cond["lastTransitionTime"] = existing.get("lastTransitionTime", stamp)
    return cond


def _deadline_exceeded(existing: Obj | None, deadline: int | None, now: dt.datetime) -> bool:
    if existing is None or deadline is None:
        return False
    if existing.get("reason") == "ProgressDeadlineExceeded":
        return True
    since = podutil.parse_time(existing.get("lastUpdateTime"))
    return since is not None and (now - since).total_seconds() > deadline


def deadline_requeue(cond: Obj | None, deadline: int | None, now: dt.datetime) -> float | None:
    """Seconds until a CloneSetUpdated condition would time out (so the controller looks again)."""
    if cond is None or deadline is None or cond.get("reason") != "CloneSetUpdated":
        return None
    since = podutil.parse_time(cond.get("lastUpdateTime"))
    if since is None:
        return None
    return max(deadline - (now - since).total_seconds(), 0) + 1


def set_condition(conditions: list[Obj], cond: Obj) -> list[Obj]:
    return [c for c in conditions if c.get("type") != cond["type"]] + [cond]


def remove_condition(conditions: list[Obj], type_: str) -> list[Obj]:
    return [c for c in conditions if c.get("type") != type_]


def failure_condition(type_: str, error: Exception, now: dt.datetime) -> Obj:
    stamp = podutil.format_time(now)
    return {"type": type_, "status": "True", "lastTransitionTime": stamp, "message": str(error)}
