"""In-place Pod resize on the node, as the kubelet does it (kube 1.33): pure decisions only.

A bound Pod's containers' resources may change through the API's pods/resize subresource. The node
keeps, per container, the resources it *allocated* (accepted, counted against the node) and those
*applied* to the running instance. When the spec differs from the allocation the node checks that
the new requests fit: above the node's allocatable the resize is Infeasible, above what the other
Pods leave free it is Deferred (both shown as the PodResizePending condition, retried on every
sync). A fitting resize is allocated, then actuated container by container (PodResizeInProgress
while it lasts): resources are updated in place, except where the container's resizePolicy for a
changed resource is RestartContainer, where that container alone is restarted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kruise.api.quantity import amount

Obj = dict[str, Any]
Amounts = dict[str, int]

PENDING = "PodResizePending"
IN_PROGRESS = "PodResizeInProgress"
CONDITIONS = (PENDING, IN_PROGRESS)
INFEASIBLE = "Infeasible"
DEFERRED = "Deferred"
RESIZABLE = ("cpu", "memory")


def container_resources(container: Obj) -> Obj:
    """A container spec's resources as the node records and reports them ({requests, limits})."""
    res = container.get("resources") or {}
    out: Obj = {}
    for part in ("requests", "limits"):
        if res.get(part):
            out[part] = dict(res[part])
    return out


def requests_of(resources: Obj) -> Amounts:
    """cpu/memory requests of one container's resources (requests default to limits)."""
    raw = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
    return {k: amount(k, raw[k]) for k in RESIZABLE if k in raw}


def pod_requests(allocations: Iterable[Obj]) -> Amounts:
    """The cpu/memory one Pod holds on the node: the sum of its running containers' allocations."""
    total: Amounts = {}
    for resources in allocations:
        for k, v in requests_of(resources).items():
            total[k] = total.get(k, 0) + v
    return total


@dataclass(frozen=True)
class Pending:
    reason: str  # Infeasible or Deferred
    message: str


def check_fit(
    wanted: Mapping[str, int], allocatable: Mapping[str, int], used: Mapping[str, int]
) -> Pending | None:
    """Whether a Pod needing `wanted` fits a node offering `allocatable` of which other Pods use
    `used`; None when it fits. Messages as the kubelet words them (cpu in millicores)."""
    for name in RESIZABLE:
        need, capacity = wanted.get(name, 0), allocatable.get(name)
        if capacity is not None and need > capacity:
            return Pending(
                INFEASIBLE,
                f"Node didn't have enough capacity: {name}, requested: {need}, capacity: {capacity}",
            )
    for name in RESIZABLE:
        need, capacity, taken = wanted.get(name, 0), allocatable.get(name), used.get(name, 0)
        if capacity is not None and need + taken > capacity:
            return Pending(
                DEFERRED,
                f"Node didn't have enough resource: {name}, requested: {need}, used: {taken}, "
                f"capacity: {capacity}",
            )
    return None


def changed_resources(old: Obj, new: Obj) -> set[str]:
    """Names of the resources whose request or limit differs between two allocations."""
    out = set()
    for part in ("requests", "limits"):
        a, b = old.get(part) or {}, new.get(part) or {}
        out |= {k for k in set(a) | set(b) if k not in a or k not in b or amount(k, a[k]) != amount(k, b[k])}
    return out


def needs_restart(container: Obj, old: Obj, new: Obj) -> bool:
    """True when the container's resizePolicy asks for a restart for a resource that changed."""
    policies = {p.get("resourceName"): p.get("restartPolicy") for p in container.get("resizePolicy") or []}
    return any(
        policies.get(name) == "RestartContainer" for name in changed_resources(old, new) & set(RESIZABLE)
    )


def same_resources(a: Obj | None, b: Obj | None) -> bool:
    """Equal allocations, comparing quantities by value ("1" == "1000m")."""
    if a is None or b is None:
        return a is b
    return a == b or not changed_resources(a, b)  # equal text first: this runs on every sync


def resize_conditions(pending: Pending | None, in_progress: bool) -> list[Obj]:
    """The resize conditions the node wants on the Pod (without timestamps)."""
    out: list[Obj] = []
    if pending is not None:
        out.append({"type": PENDING, "status": "True", "reason": pending.reason, "message": pending.message})
    if in_progress:
        out.append({"type": IN_PROGRESS, "status": "True"})
    return out
