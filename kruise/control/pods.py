"""Pod predicates with Kubernetes semantics (kruise-behaviour.md §0.3), over Pods as dicts."""

from __future__ import annotations

import datetime as dt
from typing import Any

Obj = dict[str, Any]

REVISION_LABEL = "controller-revision-hash"
POD_TEMPLATE_HASH_LABEL = "pod-template-hash"
SPECIFIED_DELETE_LABEL = "apps.kruise.io/specified-delete"
LIFECYCLE_STATE_LABEL = "lifecycle.apps.kruise.io/state"
LIFECYCLE_TIMESTAMP_ANNOTATION = "lifecycle.apps.kruise.io/timestamp"
INPLACE_UPDATE_READY = "InPlaceUpdateReady"
KRUISE_POD_READY = "KruisePodReady"


def parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_time(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def labels(pod: Obj) -> dict[str, str]:
    return pod.get("metadata", {}).get("labels") or {}


def annotations(pod: Obj) -> dict[str, str]:
    return pod.get("metadata", {}).get("annotations") or {}


def condition(pod: Obj, ctype: str) -> Obj | None:
    for c in pod.get("status", {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def is_terminating(pod: Obj) -> bool:
    return bool(pod.get("metadata", {}).get("deletionTimestamp"))


def is_active(pod: Obj) -> bool:
    """Not finished and not being deleted."""
    return pod.get("status", {}).get("phase") not in ("Succeeded", "Failed") and not is_terminating(pod)


def is_ready(pod: Obj) -> bool:
    c = condition(pod, "Ready")
    return c is not None and c.get("status") == "True"


def is_running_and_ready(pod: Obj) -> bool:
    return pod.get("status", {}).get("phase") == "Running" and is_ready(pod)


def ready_since(pod: Obj) -> dt.datetime | None:
    c = condition(pod, "Ready")
    if c is None or c.get("status") != "True":
        return None
    return parse_time(c.get("lastTransitionTime"))


def is_available(pod: Obj, min_ready_seconds: int, now: dt.datetime) -> bool:
    """Ready, and for at least minReadySeconds (0: ready suffices)."""
    if not is_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = ready_since(pod)
    return since is not None and (now - since).total_seconds() >= min_ready_seconds


def in_place_update_ready(pod: Obj) -> bool:
    """InPlaceUpdateReady is not False (absent counts as ready)."""
    c = condition(pod, INPLACE_UPDATE_READY)
    return c is None or c.get("status") != "False"


def is_scheduled(pod: Obj) -> bool:
    return bool(pod.get("spec", {}).get("nodeName"))


def max_restart_count(pod: Obj) -> int:
    statuses = pod.get("status", {}).get("containerStatuses") or ()
    return max((s.get("restartCount", 0) for s in statuses), default=0)


def lifecycle_state(pod: Obj) -> str:
    return labels(pod).get(LIFECYCLE_STATE_LABEL, "")


def revision_matches(pod: Obj, revision_name: str) -> bool:
    """The pod's revision label names this revision, in full (`<owner>-<hash>`) or short (`<hash>`) form."""
    value = labels(pod).get(REVISION_LABEL)
    if not value:
        return False
    return value == revision_name or value.rsplit("-", 1)[-1] == revision_name.rsplit("-", 1)[-1]
