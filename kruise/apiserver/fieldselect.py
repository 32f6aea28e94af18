"""Which fields each resource supports in a fieldSelector, and their values for one object."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Obj = dict[str, Any]


def _get(obj: Obj, path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


_EXTRA: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    ("", "events"): (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    ("", "namespaces"): ("status.phase",),
    ("", "nodes"): ("spec.unschedulable",),
    ("", "secrets"): ("type",),
    ("", "persistentvolumeclaims"): (),
    ("batch", "jobs"): ("status.successful",),
    ("apps", "replicasets"): ("status.replicas",),
}


# The one field per resource the watch cache indexes watchers by (kube-apiserver's watch cache
# triggers: pods by spec.nodeName), so each node's watch is not evaluated on every other node's pod.
_WATCH_INDEX: dict[tuple[str, str], str] = {("", "pods"): "spec.nodeName"}


def watch_index(group: str, resource: str) -> tuple[str, Callable[[Obj], str]] | None:
    """(field, value getter) of the resource's indexed watch field, if it has one."""
    name = _WATCH_INDEX.get((group, resource))
    if name is None:
        return None
    return name, lambda obj: _get(obj, name)


def supported_fields(group: str, resource: str) -> tuple[str, ...]:
    return ("metadata.name", "metadata.namespace", *_EXTRA.get((group, resource), ()))


def field_getter(
    group: str, resource: str, wanted: Iterable[str] | None = None
) -> Callable[[Obj], dict[str, str]]:
    """The object's selectable fields; with `wanted`, only those (a watch evaluates its selector on
    every event, so a node's spec.nodeName watch should not compute a dozen other fields)."""
    names = supported_fields(group, resource)
    if wanted is not None:
        keep = set(wanted)
        names = tuple(n for n in names if n in keep)

    def fields(obj: Obj) -> dict[str, str]:
        out = {n: _get(obj, n) for n in names}
        if (group, resource) == ("", "events") and "source" in out:
            out["source"] = _get(obj, "source.component") or _get(obj, "reportingComponent")
        return out

    return fields
