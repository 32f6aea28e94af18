"""What the namespace controller decides, as pure functions: which resources a terminating
namespace must be emptied of, the status conditions that report progress, and when the
`kubernetes` finalizer may be released.

The conditions, reasons and messages are kube-controller-manager's, so `kubectl describe
namespace` reads the same here as on a real cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kruise.client.resources import Resource

from ..discovery import group_versions, parse_resource_list, preferred_versions

Obj = dict[str, Any]

FINALIZER = "kubernetes"

DISCOVERY_FAILURE = "NamespaceDeletionDiscoveryFailure"
PARSING_FAILURE = "NamespaceDeletionGroupVersionParsingFailure"
CONTENT_FAILURE = "NamespaceDeletionContentFailure"
CONTENT_REMAINING = "NamespaceContentRemaining"
FINALIZERS_REMAINING = "NamespaceFinalizersRemaining"
CONDITION_TYPES = (
    DISCOVERY_FAILURE,
    PARSING_FAILURE,
    CONTENT_FAILURE,
    CONTENT_REMAINING,
    FINALIZERS_REMAINING,
)

# type -> (reason, message) while all is well
_HEALTHY: Mapping[str, tuple[str, str]] = {
    DISCOVERY_FAILURE: ("ResourcesDiscovered", "All resources successfully discovered"),
    PARSING_FAILURE: ("ParsedGroupVersions", "All legacy kube types successfully parsed"),
    CONTENT_FAILURE: ("ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
    CONTENT_REMAINING: ("ContentRemoved", "All content successfully removed"),
    FINALIZERS_REMAINING: ("ContentHasNoFinalizers", "All content-preserving finalizers finished"),
}


@dataclass(frozen=True)
class Clearable:
    """A namespaced resource to empty, in its group's preferred version."""

    resource: Resource
    collection: bool  # the server offers deletecollection; otherwise list and delete one by one


@dataclass(frozen=True)
class Leftover:
    """What is still in the namespace after a deletion pass, for one resource."""

    resource: Resource
    count: int
    finalizers: Mapping[str, int] = field(default_factory=dict)  # finalizer -> objects holding it


@dataclass(frozen=True)
class Pass:
    """The outcome of one deletion pass over a namespace."""

    discovery_errors: Sequence[str] = ()
    deletion_errors: Sequence[str] = ()
    leftovers: Sequence[Leftover] = ()

    @property
    def done(self) -> bool:
        return not (self.discovery_errors or self.deletion_errors or self.leftovers)


def awaits_cleanup(ns: Obj) -> bool:
    """A namespace being deleted that still carries our finalizer in spec.finalizers."""
    return bool(ns["metadata"].get("deletionTimestamp")) and FINALIZER in _spec_finalizers(ns)


def finalized(ns: Obj) -> Obj:
    """The body for PUT .../finalize: the namespace without our finalizer."""
    spec = {**(ns.get("spec") or {}), "finalizers": [f for f in _spec_finalizers(ns) if f != FINALIZER]}
    return {**ns, "spec": spec}


def resources_to_clear(core: Obj, groups: Obj, lists: Mapping[str, Obj]) -> list[Clearable]:
    """Every namespaced resource that can be listed and deleted, once per group (its preferred
    version: the objects are the same in every version)."""
    preferred = preferred_versions(core, groups)
    out: list[Clearable] = []
    for gv in group_versions(core, groups):
        doc = lists.get(gv)
        if doc is None:
            continue
        for res, verbs in parse_resource_list(doc):
            if (
                not res.namespaced
                or preferred.get(res.group) != res.version
                or not verbs >= {"list", "delete"}
            ):
                continue
            out.append(Clearable(res, "deletecollection" in verbs))
    return out


def leftover_of(resource: Resource, items: Sequence[Obj]) -> Leftover | None:
    if not items:
        return None
    finalizers: dict[str, int] = {}
    for item in items:
        for f in item["metadata"].get("finalizers") or []:
            finalizers[f] = finalizers.get(f, 0) + 1
    return Leftover(resource, len(items), finalizers)


def conditions(existing: Sequence[Obj], outcome: Pass, now: str) -> list[Obj]:
    """The five deletion conditions after a pass; lastTransitionTime moves only when a
    condition's status does."""
    failing: dict[str, tuple[str, str]] = {}
    if outcome.discovery_errors:
        failing[DISCOVERY_FAILURE] = (
            "DiscoveryFailed",
            f"Discovery failed for some groups, {len(outcome.discovery_errors)} failing: "
            + ", ".join(outcome.discovery_errors),
        )
    if outcome.deletion_errors:
        failing[CONTENT_FAILURE] = (
            "ContentDeletionFailed",
            f"Failed to delete all resource types, {len(outcome.deletion_errors)} remaining: "
            + ", ".join(outcome.deletion_errors),
        )
    if outcome.leftovers:
        counts = sorted(
            f"{lo.resource.plural}.{lo.resource.group} has {lo.count} resource instances"
            for lo in outcome.leftovers
        )
        failing[CONTENT_REMAINING] = (
            "SomeResourcesRemain",
            "Some resources are remaining: " + ", ".join(counts),
        )
        held: dict[str, int] = {}
        for lo in outcome.leftovers:
            for f, n in lo.finalizers.items():
                held[f] = held.get(f, 0) + n
        if held:
            failing[FINALIZERS_REMAINING] = (
                "SomeFinalizersRemain",
                "Some content in the namespace has finalizers remaining: "
                + ", ".join(f"{f} in {n} resource instances" for f, n in sorted(held.items())),
            )
    before = {c.get("type"): c for c in existing}
    out = [c for c in existing if c.get("type") not in CONDITION_TYPES]
    for kind in CONDITION_TYPES:
        status = "True" if kind in failing else "False"
        reason, message = failing.get(kind) or _HEALTHY[kind]
        old = before.get(kind) or {}
        since = old.get("lastTransitionTime") if old.get("status") == status else now
        out.append(
            {
                "type": kind,
                "status": status,
                "lastTransitionTime": since or now,
                "reason": reason,
                "message": message,
            }
        )
    return out


def _spec_finalizers(ns: Obj) -> list[str]:
    return list((ns.get("spec") or {}).get("finalizers") or [])
