"""Where a Pod goes: kube-scheduler's default filters and scores as pure functions.

Given a Pod, the nodes and the Pods already on each node, `schedule` returns the chosen node or
the unschedulable message in kube 1.33's words. Filters run in the default profile's order and a
node's first failing filter is its status, as the scheduling framework does:

    NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit

Scores (weights as the default profile): least allocated (1), balanced allocation (1), taint
toleration over PreferNoSchedule (3), preferred node affinity (2). Ties go to the node with the
smallest hash of (pod, node), so equal nodes are spread over deterministically.

This scheduler never preempts, so for the "preemption:" part of the message every node where
preemption might help reports that no victims were found.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import predicates as pr
from .requests import CPU, MEMORY, PODS, Resources, allocatable, pod_requests
from .usage import NodeUsage, host_ports, is_terminal, node_usage

Obj = dict[str, Any]

DEFAULT_SCHEDULER = "default-scheduler"
MAX_NODE_SCORE = 100

NO_NODES = "no nodes available to schedule pods"
NO_NODES_AVAILABLE = "0/{} nodes are available"
REASON_NODE_UNSCHEDULABLE = "node(s) were unschedulable"
REASON_NODE_NAME = "node(s) didn't match the requested node name"
REASON_TAINT = "node(s) had untolerated taint {{{}: {}}}"
REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
REASON_AFFINITY_PREFILTER = "node(s) didn't satisfy plugin(s) [NodeAffinity]"
REASON_AFFINITY_CONFLICT = "pod affinity terms conflict"
REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports"
REASON_TOO_MANY_PODS = "Too many pods"
PREEMPTION_NO_VICTIMS = "No preemption victims found for incoming pod"
PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling"
PREEMPTION_NEVER = "not eligible due to preemptionPolicy=Never."
GATED_REASON = "SchedulingGated"
GATED_MESSAGE = "Scheduling is blocked due to non-empty scheduling gates"

_WEIGHT_FIT, _WEIGHT_BALANCED, _WEIGHT_TAINT, _WEIGHT_AFFINITY = 1, 1, 3, 2


@dataclass(frozen=True)
class Status:
    """Why a node was filtered out. `resolvable` is kube's Unschedulable (evicting Pods could
    help) as opposed to UnschedulableAndUnresolvable."""

    reasons: tuple[str, ...]
    resolvable: bool = False


@dataclass(frozen=True)
class Decision:
    node: str | None
    message: str = ""  # set when node is None
    scores: Mapping[str, int] | None = None  # feasible node -> total score


# ---------------------------------------------------------------------- which Pods
def is_gated(pod: Obj) -> bool:
    return bool((pod.get("spec") or {}).get("schedulingGates"))


def wants_scheduling(pod: Obj, scheduler_name: str = DEFAULT_SCHEDULER) -> bool:
    """Pending, unassigned, alive, and addressed to this scheduler."""
    spec = pod.get("spec") or {}
    return (
        not spec.get("nodeName")
        and (spec.get("schedulerName") or DEFAULT_SCHEDULER) == scheduler_name
        and not (pod.get("metadata") or {}).get("deletionTimestamp")
        and not is_terminal(pod)
    )


# ---------------------------------------------------------------------- filters
def _ports_conflict(wanted: Sequence[tuple[str, str, int]], used: Sequence[tuple[str, str, int]]) -> bool:
    # Same port and protocol clash when the addresses are equal or either is the wildcard.
    return any(
        port == uport and proto == uproto and (ip == uip or "0.0.0.0" in (ip, uip))
        for ip, proto, port in wanted
        for uip, uproto, uport in used
    )


def fits_resources(request: Mapping[str, int], usage: NodeUsage, node: Obj) -> Status | None:
    """NodeResourcesFit: pod count, then every requested resource against what is left."""
    alloc = allocatable(node)
    used = usage.requested
    reasons: list[str] = []
    unresolvable = False
    if usage.pods + 1 > alloc.get(PODS, 0):
        reasons.append(REASON_TOO_MANY_PODS)
    ordered = [CPU, MEMORY, "ephemeral-storage"]
    ordered += sorted(k for k in request if k not in ordered)
    for name in ordered:
        want = request.get(name, 0)
        if want <= 0:
            continue
        if want > alloc.get(name, 0) - used.get(name, 0):
            reasons.append(f"Insufficient {name}")
            unresolvable = unresolvable or want > alloc.get(name, 0)
    if not reasons:
        return None
    return Status(tuple(reasons), resolvable=not unresolvable)


def filter_node(pod: Obj, node: Obj, usage: NodeUsage, request: Mapping[str, int]) -> Status | None:
    """The first failing filter's status, or None when the Pod fits the node."""
    spec = pod.get("spec") or {}
    tolerations = spec.get("tolerations") or []
    node_spec = node.get("spec") or {}
    name = (node.get("metadata") or {}).get("name", "")
    if node_spec.get("unschedulable") and not pr.tolerated(
        tolerations, {"key": pr.UNSCHEDULABLE_TAINT, "effect": pr.NO_SCHEDULE}
    ):
        return Status((REASON_NODE_UNSCHEDULABLE,))
    if spec.get("nodeName") and spec["nodeName"] != name:
        return Status((REASON_NODE_NAME,))
    taint = pr.first_untolerated(pr.effective_taints(node), tolerations, (pr.NO_SCHEDULE, pr.NO_EXECUTE))
    if taint is not None:
        return Status((REASON_TAINT.format(taint.get("key", ""), taint.get("value") or ""),))
    if not pr.matches_node_affinity(pod, node):
        return Status((REASON_NODE_AFFINITY,))
    wanted_ports = host_ports(pod)
    if wanted_ports and _ports_conflict(wanted_ports, usage.host_ports):
        return Status((REASON_NODE_PORTS,), resolvable=True)
    return fits_resources(request, usage, node)


# ---------------------------------------------------------------------- scores
def _least_allocated(requested: Resources, alloc: Resources) -> int:
    total = 0
    for name in (CPU, MEMORY):
        cap, req = alloc.get(name, 0), requested.get(name, 0)
        total += 0 if cap <= 0 or req > cap else (cap - req) * MAX_NODE_SCORE // cap
    return total // 2


def _balanced(requested: Resources, alloc: Resources) -> int:
    fractions = []
    for name in (CPU, MEMORY):
        cap = alloc.get(name, 0)
        fractions.append(1.0 if cap <= 0 else min(1.0, requested.get(name, 0) / cap))
    std = abs(fractions[0] - fractions[1]) / 2
    return int((1 - std) * MAX_NODE_SCORE)


def _normalize(raw: Mapping[str, int], *, reverse: bool) -> dict[str, int]:
    top = max(raw.values(), default=0)
    if top == 0:
        return {k: MAX_NODE_SCORE if reverse else 0 for k in raw}
    out = {}
    for k, v in raw.items():
        score = MAX_NODE_SCORE * v // top
        out[k] = MAX_NODE_SCORE - score if reverse else score
    return out


def score_nodes(pod: Obj, nodes: Sequence[Obj], usage: Mapping[str, NodeUsage]) -> dict[str, int]:
    """Total weighted score of each (feasible) node; higher is better."""
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    wanted = pod_requests(pod, non_zero=True)
    fit: dict[str, int] = {}
    taints: dict[str, int] = {}
    affinity: dict[str, int] = {}
    for node in nodes:
        name = node["metadata"]["name"]
        requested = dict(usage[name].requested_non_zero)
        for k, v in wanted.items():
            requested[k] = requested.get(k, 0) + v
        alloc = allocatable(node)
        fit[name] = _WEIGHT_FIT * _least_allocated(requested, alloc) + _WEIGHT_BALANCED * _balanced(
            requested, alloc
        )
        taints[name] = pr.count_untolerated(pr.effective_taints(node), tolerations, pr.PREFER_NO_SCHEDULE)
        affinity[name] = pr.preferred_affinity_score(pod, node)
    taint_scores = _normalize(taints, reverse=True)
    affinity_scores = _normalize(affinity, reverse=False)
    return {n: fit[n] + _WEIGHT_TAINT * taint_scores[n] + _WEIGHT_AFFINITY * affinity_scores[n] for n in fit}


def _pod_id(pod: Obj) -> str:
    meta = pod.get("metadata") or {}
    return meta.get("uid") or f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def pick(pod: Obj, scores: Mapping[str, int]) -> str:
    """The best node; ties broken by a stable hash so equal nodes share the Pods."""
    best = max(scores.values())
    pid = _pod_id(pod)
    tied = [n for n, s in scores.items() if s == best]
    return min(tied, key=lambda n: (zlib.crc32(f"{pid}/{n}".encode()), n))


# ---------------------------------------------------------------------- messages
def _histogram(counts: Mapping[str, int]) -> str:
    # kube sorts the "<count> <reason>" strings themselves, so "10 x" sorts before "2 y".
    return ", ".join(sorted(f"{n} {reason}" for reason, n in counts.items()))


def fit_error_message(num_nodes: int, statuses: Mapping[str, Status], prefilter: str = "") -> str:
    msg = NO_NODES_AVAILABLE.format(num_nodes) + ":"
    if prefilter:
        return msg + f" {prefilter}."
    counts: dict[str, int] = {}
    for status in statuses.values():
        for reason in status.reasons:
            counts[reason] = counts.get(reason, 0) + 1
    return msg + (f" {_histogram(counts)}." if counts else "")


def preemption_message(pod: Obj, num_nodes: int, statuses: Mapping[str, Status]) -> str:
    if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
        return PREEMPTION_NEVER
    helpful = sum(1 for s in statuses.values() if s.resolvable)
    counts = {PREEMPTION_NO_VICTIMS: helpful, PREEMPTION_NOT_HELPFUL: num_nodes - helpful}
    counts = {k: v for k, v in counts.items() if v}
    return NO_NODES_AVAILABLE.format(num_nodes) + f": {_histogram(counts)}."


def unschedulable_message(
    pod: Obj, num_nodes: int, statuses: Mapping[str, Status], prefilter: str = ""
) -> str:
    """kube's FitError text followed by what the preemption PostFilter reported."""
    main = fit_error_message(num_nodes, statuses, prefilter)
    return f"{main} preemption: {preemption_message(pod, num_nodes, statuses)}"


# ---------------------------------------------------------------------- the decision
def schedule(
    pod: Obj,
    nodes: Sequence[Obj],
    pods_by_node: Mapping[str, Sequence[Obj]] | None = None,
    *,
    usage: Mapping[str, NodeUsage] | None = None,
) -> Decision:
    """`usage` holds what each node already carries (the scheduler's cache); a node missing from it
    is summed from `pods_by_node`."""
    if not nodes:
        return Decision(None, NO_NODES)
    given, pods_by_node = usage or {}, pods_by_node or {}
    names = [n["metadata"]["name"] for n in nodes]
    live = {name: given.get(name) or node_usage(pods_by_node.get(name, ())) for name in names}
    pinned = pr.node_names_from_affinity(pod)
    if pinned is not None and not pinned:
        statuses = {n["metadata"]["name"]: Status((REASON_AFFINITY_CONFLICT,)) for n in nodes}
        return Decision(None, unschedulable_message(pod, len(nodes), statuses, REASON_AFFINITY_CONFLICT))
    request = pod_requests(pod)
    statuses: dict[str, Status] = {}
    feasible: list[Obj] = []
    for node in nodes:
        name = node["metadata"]["name"]
        if pinned is not None and name not in pinned:
            statuses[name] = Status((REASON_AFFINITY_PREFILTER,))
            continue
        status = filter_node(pod, node, live[name], request)
        if status is None:
            feasible.append(node)
        else:
            statuses[name] = status
    if not feasible:
        return Decision(None, unschedulable_message(pod, len(nodes), statuses))
    scores = score_nodes(pod, feasible, live)
    return Decision(pick(pod, scores), scores=scores)
