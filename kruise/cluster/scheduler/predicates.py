"""Node selectors, node affinity terms, taints and tolerations, as kube evaluates them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Obj = dict[str, Any]

NO_SCHEDULE = "NoSchedule"
NO_EXECUTE = "NoExecute"
PREFER_NO_SCHEDULE = "PreferNoSchedule"
NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"


# ---------------------------------------------------------------------- node selector terms
def _as_int(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def requirement_matches(req: Obj, values: Mapping[str, str]) -> bool:
    """One NodeSelectorRequirement against labels (or fields); a malformed one never matches."""
    key, op, wanted = req.get("key"), req.get("operator"), list(req.get("values") or [])
    present = key in values
    if op == "In":
        return present and values[key] in wanted
    if op == "NotIn":
        return not present or values[key] not in wanted
    if op == "Exists":
        return present and not wanted
    if op == "DoesNotExist":
        return not present and not wanted
    if op in ("Gt", "Lt"):
        if not present or len(wanted) != 1:
            return False
        have, limit = _as_int(values[key]), _as_int(wanted[0])
        if have is None or limit is None:
            return False
        return have > limit if op == "Gt" else have < limit
    return False


def term_matches(term: Obj, labels: Mapping[str, str], node_name: str) -> bool:
    """Requirements of one term are ANDed; an empty term matches nothing."""
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return False
    if not all(requirement_matches(r, labels) for r in exprs):
        return False
    # metadata.name is the only field a node selector may name.
    field_values = {"metadata.name": node_name}
    return all(r.get("key") == "metadata.name" and requirement_matches(r, field_values) for r in fields)


def required_terms(pod: Obj) -> list[Obj] | None:
    """The required node affinity terms, or None when the Pod has none."""
    affinity = ((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return None
    return list(required.get("nodeSelectorTerms") or [])


def matches_node_affinity(pod: Obj, node: Obj) -> bool:
    """nodeSelector (every label equal) and required node affinity (any term) both hold."""
    meta = node.get("metadata") or {}
    labels = meta.get("labels") or {}
    selector = (pod.get("spec") or {}).get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    terms = required_terms(pod)
    if terms is None:
        return True
    return any(term_matches(t, labels, meta.get("name", "")) for t in terms)


def node_names_from_affinity(pod: Obj) -> set[str] | None:
    """The node names the required terms pin the Pod to through `metadata.name In`, or None when
    some term leaves every node possible (kube's NodeAffinity PreFilter)."""
    terms = required_terms(pod)
    if not terms:
        return None
    names: set[str] = set()
    for t in terms:
        term_names: set[str] | None = None
        for r in t.get("matchFields") or []:
            if r.get("key") == "metadata.name" and r.get("operator") == "In":
                values = set(r.get("values") or [])
                term_names = values if term_names is None else term_names & values
        if term_names is None:
            return None
        names |= term_names
    return names


def preferred_affinity_score(pod: Obj, node: Obj) -> int:
    """Sum of the weights of the preferred node affinity terms the node matches."""
    affinity = ((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}
    meta = node.get("metadata") or {}
    labels, name = meta.get("labels") or {}, meta.get("name", "")
    total = 0
    for p in affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
        weight = int(p.get("weight") or 0)
        if weight and term_matches(p.get("preference") or {}, labels, name):
            total += weight
    return total


# ---------------------------------------------------------------------- taints
def tolerates(toleration: Obj, taint: Obj) -> bool:
    effect, key = toleration.get("effect") or "", toleration.get("key") or ""
    if effect and effect != taint.get("effect"):
        return False
    if key and key != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    if op == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def tolerated(tolerations: Iterable[Obj], taint: Obj) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


def node_ready(node: Obj) -> bool:
    for c in (node.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def effective_taints(node: Obj) -> list[Obj]:
    """spec.taints plus the NoSchedule taint kube's node lifecycle controller puts on a node that
    is not Ready (no such controller runs in the embedded cluster, so it is implied here)."""
    taints = list((node.get("spec") or {}).get("taints") or [])
    if node_ready(node):
        return taints
    status = "Unknown"
    for c in (node.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            status = c.get("status") or "Unknown"
    key = NOT_READY_TAINT if status == "False" else UNREACHABLE_TAINT
    if not any(t.get("key") == key and t.get("effect") == NO_SCHEDULE for t in taints):
        taints.append({"key": key, "effect": NO_SCHEDULE})
    return taints


def first_untolerated(
    taints: Sequence[Obj], tolerations: Sequence[Obj], effects: Iterable[str]
) -> Obj | None:
    wanted = set(effects)
    for taint in taints:
        if taint.get("effect") in wanted and not tolerated(tolerations, taint):
            return taint
    return None


def count_untolerated(taints: Sequence[Obj], tolerations: Sequence[Obj], effect: str) -> int:
    return sum(1 for t in taints if t.get("effect") == effect and not tolerated(tolerations, t))
