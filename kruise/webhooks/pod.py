"""Pod mutating webhook (mpod.kb.io): inject the KruisePodReady readiness gate (kruise-behaviour.md §1.3).

A pod whose controller is a Kruise workload (ownerReference apiVersion in group apps.kruise.io) gets
`readinessGates: [{conditionType: KruisePodReady}]` at CREATE, so that lifecycle hooks and CRRs can
hold it not-ready; with the KruisePodReadinessGate feature gate every pod gets it.

Availability (user complaint: pod creation failing while kruise-manager is down): as upstream's Helm
chart, failurePolicy is Ignore and namespaces labelled `control-plane=openkruise` are not sent here.
With the manager down or restarting a pod is still created, only without the gate; the podreadiness
controller has nothing to do for it and markPodNotReady is then a no-op for that pod.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kruise.api.objects import clone
from kruise.control.podreadiness import has_readiness_gate
from kruise.control.pods import KRUISE_POD_READY

from .registration import WebhookSpec
from .server import Decision, Handler, allow, mutate

if TYPE_CHECKING:
    from .runtime import WebhookRuntime

Obj = dict[str, Any]

KRUISE_GROUP = "apps.kruise.io"
MUTATING_PATH = "/mutate-pod"
RULES = [
    {
        "apiGroups": [""],
        "apiVersions": ["v1"],
        "operations": ["CREATE"],
        "resources": ["pods"],
        "scope": "*",
    }
]
# Upstream's chart excludes its own namespace by this label (kruise-system carries it there).
NAMESPACE_SELECTOR = {
    "matchExpressions": [{"key": "control-plane", "operator": "NotIn", "values": ["openkruise"]}]
}
MUTATING = WebhookSpec(
    name="mpod.kb.io",
    path=MUTATING_PATH,
    rules=RULES,
    failure_policy="Ignore",
    namespace_selector=NAMESPACE_SELECTOR,
)


def owned_by_kruise(pod: Obj) -> bool:
    """The pod's controller ownerReference is a kind of group apps.kruise.io (any version)."""
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or ():
        if isinstance(ref, dict) and ref.get("controller"):
            group, _, version = str(ref.get("apiVersion") or "").rpartition("/")
            return bool(version) and group == KRUISE_GROUP
    return False


def wants_kruise_pod_ready(pod: Obj, *, all_pods: bool = False) -> bool:
    """Whether a new pod must carry the KruisePodReady gate and does not yet.
    `all_pods` is the KruisePodReadinessGate feature gate (default off)."""
    return (all_pods or owned_by_kruise(pod)) and not has_readiness_gate(pod, KRUISE_POD_READY)


def inject_kruise_pod_ready(pod: Obj) -> Obj:
    """A copy of the pod with the gate appended to spec.readinessGates."""
    out = clone(pod)
    spec = out.setdefault("spec", {})
    spec["readinessGates"] = [*(spec.get("readinessGates") or []), {"conditionType": KRUISE_POD_READY}]
    return out


def mutating_handler(*, all_pods: bool = False) -> Handler:
    async def mutate_pod(request: Obj) -> Decision:
        obj = request.get("object")
        if request.get("operation") != "CREATE" or request.get("subResource") or not isinstance(obj, dict):
            return allow()
        if not wants_kruise_pod_ready(obj, all_pods=all_pods):
            return allow()
        return mutate(inject_kruise_pod_ready(obj))

    return mutate_pod


def register(runtime: WebhookRuntime) -> None:
    runtime.add_mutating(MUTATING, mutating_handler())
