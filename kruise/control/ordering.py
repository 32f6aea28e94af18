"""Pod orderings shared by the Kruise workloads. Pure: pods are dicts, `now` is passed in.

- `sort_active_pods`: the default order of update candidates (kruise-behaviour.md §0.3).
- `sort_for_deletion`: the scale-down order with deletion cost and spread rank (same-node stacking,
  or the template's topologySpreadConstraints over node labels) (§3.5 step 6).
- `sort_by_priority` / `sort_by_scatter`: the user's update ordering strategies (§1.5), applied in
  that order after the default order (§3.6 step 5).
All sorts are stable and return new lists.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import struct
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kruise.api.ordering import ScatterTerm, UpdatePriorityStrategy
from kruise.api.selectors import LabelSelector, SelectorError, label_selector_from_dict

from .pods import annotations, is_ready, labels, max_restart_count, parse_time, ready_since

Obj = dict[str, Any]

POD_DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost"
HOSTNAME_LABEL = "kubernetes.io/hostname"

# Phases outside this map read as 0 (Go's map zero value), i.e. like Pending.
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT64_MAX = 2**63 - 1
# As upstream: no "+" sign, no leading zeros ("008") unless negative ("-007" is -7).
_DELETION_COST_RE = re.compile(r"-[0-9]+|0|[1-9][0-9]*")


# ---------------------------------------------------------------------------------------------
# Default active-pod order and deletion order


def _unassigned_last(pod: Obj) -> int:
    return 1 if (pod.get("spec") or {}).get("nodeName") else 0


def _phase(pod: Obj) -> int:
    return _PHASE_ORDINAL.get((pod.get("status") or {}).get("phase"), 0)


def _ready_time(pod: Obj, now: dt.datetime) -> tuple[int, float]:
    # Only compared between two ready pods: a ready pod with no transition time sorts first, then the
    # pod ready for the shorter time.
    since = ready_since(pod) if is_ready(pod) else None
    if since is None:
        return (0, 0.0)
    return (1, (now - since).total_seconds())


def _creation(pod: Obj) -> tuple[int, float]:
    # Empty creationTimestamp first, then newer before older.
    created = parse_time((pod.get("metadata") or {}).get("creationTimestamp"))
    return (0, 0.0) if created is None else (1, -created.timestamp())


def active_pods_key(pod: dict, now: dt.datetime) -> tuple:
    """§0.3: lower sorts earlier (updated first)."""
    return (
        _unassigned_last(pod),
        _phase(pod),
        1 if is_ready(pod) else 0,
        _ready_time(pod, now),
        -max_restart_count(pod),
        _creation(pod),
    )


def sort_active_pods(pods: Sequence[dict], now: dt.datetime) -> list[dict]:
    return sorted(pods, key=lambda p: active_pods_key(p, now))


def deletion_cost(pod: dict) -> int:
    """The int32 pod-deletion-cost annotation; absent or invalid reads as 0."""
    value = annotations(pod).get(POD_DELETION_COST_ANNOTATION)
    if value is None or not _DELETION_COST_RE.fullmatch(value):
        return 0
    cost = int(value)
    return cost if _INT32_MIN <= cost <= _INT32_MAX else 0


def _pod_id(pod: Obj) -> tuple[str, str]:
    meta = pod.get("metadata") or {}
    return (meta.get("namespace", ""), meta.get("name", ""))


def _deletion_key(
    pod: Obj,
    now: dt.datetime,
    rank: float,
    available: Callable[[dict], bool] | None,
) -> tuple:
    return (
        _unassigned_last(pod),
        _phase(pod),
        (1 if available(pod) else 0) if available is not None else 0,
        1 if is_ready(pod) else 0,
        deletion_cost(pod),
        -rank,
        _ready_time(pod, now),
        -max_restart_count(pod),
        _creation(pod),
    )


def _node_name(pod: Obj) -> str:
    return (pod.get("spec") or {}).get("nodeName") or ""


def same_node_ranks(pods: Sequence[dict], now: dt.datetime) -> dict[tuple[str, str], float]:
    """Spread rank per pod (namespace, name): on a node with n pods, sorted by the deletion order
    without rank, the first gets n-1, ..., the last 0 (the one that stays); lone pods get 0."""
    by_node: dict[str, list[Obj]] = defaultdict(list)
    for pod in pods:
        node = _node_name(pod)
        if node:
            by_node[node].append(pod)
    ranks: dict[tuple[str, str], float] = {}
    for group in by_node.values():
        ordered = sorted(group, key=lambda p: _deletion_key(p, now, 0, None))
        for i, pod in enumerate(ordered):
            ranks[_pod_id(pod)] = len(ordered) - 1 - i
    return ranks


def topology_spread_ranks(
    pods: Sequence[dict],
    now: dt.datetime,
    topology_keys: Sequence[str],
    node_labels: Mapping[str, Mapping[str, str]],
) -> dict[tuple[str, str], float]:
    """Spread rank per pod under topologySpreadConstraints (one entry per constraint's topologyKey).

    Per key, the pods on nodes carrying the key are grouped by its value; each group is sorted by
    the deletion order (with same-node ranks inside a group, except for the hostname key, where a
    group is one node) and its pods get n, n-1, ..., 1 in that order, times log(groups + 2), so a
    pod in a crowded topology outranks one in a sparse topology. Ranks add up over the keys. Pods
    on unknown nodes (absent from `node_labels`) and unassigned pods get 0.
    """
    on_node: dict[str, list[Obj]] = {}  # in the order the nodes are first seen, as upstream
    for pod in pods:
        node = _node_name(pod)
        if node and node in node_labels:
            on_node.setdefault(node, []).append(pod)
    within_node = same_node_ranks(pods, now)
    ranks: dict[tuple[str, str], float] = defaultdict(float)
    for key in topology_keys:
        topologies: dict[str, list[Obj]] = {}
        for node, members in on_node.items():
            value = node_labels[node].get(key)
            if value is not None:
                topologies.setdefault(value, []).extend(members)
        weight = math.log(len(topologies) + 2)
        by_node = key != HOSTNAME_LABEL

        def order(p: Obj, by_node: bool = by_node) -> tuple:
            return _deletion_key(p, now, within_node.get(_pod_id(p), 0) if by_node else 0, None)

        for members in topologies.values():
            ordered = sorted(members, key=order)
            for i, pod in enumerate(ordered):
                ranks[_pod_id(pod)] += (len(ordered) - i) * weight
    return dict(ranks)


def sort_for_deletion(
    pods: Sequence[dict],
    now: dt.datetime,
    available: Callable[[dict], bool] | None = None,
    *,
    topology_keys: Sequence[str] = (),
    node_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> list[dict]:
    """§3.5 step 6: first = deleted first.

    Spread ranks come from `pods` themselves: same-node stacking, or with `topology_keys` (the
    template's topologySpreadConstraints) `topology_spread_ranks` over `node_labels` (node name ->
    labels). `available` (e.g. available with minReadySeconds) adds "not available < available"
    ahead of "not ready < ready", as CloneSet does.
    """
    if topology_keys:
        ranks = topology_spread_ranks(pods, now, topology_keys, node_labels or {})
    else:
        ranks = same_node_ranks(pods, now)
    return sorted(pods, key=lambda p: _deletion_key(p, now, ranks.get(_pod_id(p), 0), available))


# ---------------------------------------------------------------------------------------------
# priorityStrategy


def _trailing_int(value: str) -> int:
    """The integer in the trailing ASCII digits ("sts-10" -> 10); none, or beyond int64 -> 0."""
    i = len(value)
    while i > 0 and "0" <= value[i - 1] <= "9":
        i -= 1
    digits = value[i:]
    if not digits:
        return 0
    n = int(digits)
    return n if n <= _INT64_MAX else 0


def sort_by_priority(pods: Sequence[dict], strategy: UpdatePriorityStrategy | None) -> list[dict]:
    """Stable sort by weightPriority (higher total weight first) or, if no weights, orderPriority
    (level = index of the first orderedKey the pod has, -1 for none, so keyless pods come FIRST;
    within a level the trailing integer of the label value, descending)."""
    if strategy is None or not (strategy.weight_priority or strategy.order_priority):
        return list(pods)
    if strategy.weight_priority:
        terms: list[tuple[int, LabelSelector]] = []
        for term in strategy.weight_priority:
            try:
                terms.append((term.weight, label_selector_from_dict(term.match_selector)))
            except SelectorError:
                continue  # an invalid selector contributes nothing, as upstream

        def weight(pod: Obj) -> int:
            pod_labels = labels(pod)
            return -sum(w for w, sel in terms if sel.matches(pod_labels))

        return sorted(pods, key=weight)

    keys = [term.ordered_key for term in strategy.order_priority or ()]

    def order(pod: Obj) -> tuple[int, int]:
        pod_labels = labels(pod)
        for level, key in enumerate(keys):
            if key in pod_labels:
                return (level, -_trailing_int(pod_labels[key]))
        return (-1, 0)

    return sorted(pods, key=order)


# ---------------------------------------------------------------------------------------------
# scatterStrategy


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def _ratio32(a: int, b: int) -> float:
    # Upstream compares densities as float32; division rounded via float64 is still exact-rounded.
    return _f32(_f32(a) / _f32(b))


def _round_half_up(a: int, b: int) -> int:
    # Go's math.Round on a positive float64 quotient.
    x = a / b
    floor = math.floor(x)
    return floor + 1 if x - floor >= 0.5 else floor


def _group_sizes(matched: int, unmatched: int) -> tuple[int, int, int]:
    groups = min(matched, unmatched)
    return groups, _round_half_up(matched, groups), _round_half_up(unmatched, groups)


def _plan_groups(
    total_matched: int, total_unmatched: int, matched: int, unmatched: int
) -> tuple[int, int, int, int]:
    """(groups, matched per group, unmatched per group, unmatched placed first).

    When the candidates are at least as dense in matching pods as the whole population, they are
    interleaved by their own density; otherwise by the population's, and the surplus non-matching
    candidates go first.
    """
    if _ratio32(total_unmatched, total_matched) >= _ratio32(unmatched, matched):
        groups, m_size, u_size = _group_sizes(matched, unmatched)
        return groups, m_size, u_size, 0
    _, m_size, u_size = _group_sizes(total_matched, total_unmatched)
    groups = min(matched // m_size, unmatched // u_size)
    return groups, m_size, u_size, unmatched - groups * u_size


def _scatter_by_term(
    order: list[int], pods: Sequence[Obj], population: Sequence[Obj], key: str, value: str
) -> list[int]:
    # A missing label reads as "" here (Go map zero value), unlike when terms are counted.
    def hit(pod: Obj) -> bool:
        return labels(pod).get(key, "") == value

    matched = [i for i in order if hit(pods[i])]
    unmatched = [i for i in order if not hit(pods[i])]
    if len(matched) <= 1 or len(unmatched) <= 1:
        return order

    total_matched = max(sum(1 for p in population if hit(p)), len(matched))
    total_unmatched = max(len(population) - total_matched, len(unmatched))

    # The last matching candidate is kept aside and goes at the very end.
    reserved = matched.pop()
    total_matched -= 1

    groups, m_size, u_size, u_first = _plan_groups(
        total_matched, total_unmatched, len(matched), len(unmatched)
    )
    out = unmatched[:u_first]
    unmatched = unmatched[u_first:]
    for _ in range(groups):
        out += matched[:m_size]
        matched = matched[m_size:]
        out += unmatched[:u_size]
        unmatched = unmatched[u_size:]
    return [*out, *matched, *unmatched, reserved]


def _terms_by_count(order: list[int], pods: Sequence[Obj], terms: Sequence[ScatterTerm]) -> list[ScatterTerm]:
    """Several terms: drop duplicates and terms no candidate matches; most matching candidates first."""
    counts: dict[tuple[str, str], int] = {}
    for term in terms:
        for i in order:
            pod_labels = labels(pods[i])
            if term.key in pod_labels and pod_labels[term.key] == term.value:
                counts[(term.key, term.value)] = counts.get((term.key, term.value), 0) + 1
    ranked = sorted(counts, key=lambda kv: -counts[kv])
    return [ScatterTerm(key=k, value=v) for k, v in ranked]


def sort_by_scatter(
    pods: Sequence[dict],
    terms: Sequence[ScatterTerm] | None,
    all_pods: Sequence[dict] | None = None,
) -> list[dict]:
    """§1.5 scatterStrategy over the ordered candidates `pods`.

    `all_pods` is the workload's whole population (default: `pods`), whose density of matching pods
    sizes the interleaving groups. Docs example: 10 pods, 3 matching -> updated 1st, 6th and 10th.
    """
    if not terms or len(pods) <= 1:
        return list(pods)
    population = pods if all_pods is None else all_pods
    order = list(range(len(pods)))
    chosen = list(terms) if len(terms) == 1 else _terms_by_count(order, pods, terms)
    for term in chosen:
        order = _scatter_by_term(order, pods, population, term.key, term.value)
    return [pods[i] for i in order]
