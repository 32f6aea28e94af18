"""Scale step planning (§3.5): which pods to create, which to send down the delete path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kruise.api.lifecycle import Lifecycle
from kruise.control import ordering
from kruise.control import pods as podutil

from .plan import Diff, is_pod_available

Obj = dict[str, Any]


@dataclass
class ScalePlan:
    regret: list[Obj] = field(default_factory=list)  # PreparingDelete pods taken back (→ PreparingNormal)
    create_current: int = 0  # new pods at the current revision (keeps `partition` old pods)
    create_update: int = 0  # new pods at the update revision
    scale_up_limited: bool = False  # scaleStrategy.maxUnavailable held creations back
    delete: list[Obj] = field(default_factory=list)  # go through the delete path (preDelete hooks)

    def acts(self) -> bool:
        return bool(self.regret or self.create_current or self.create_update or self.delete)


def plan_scale(
    diff: Diff,
    pods: list[Obj],
    is_new: Callable[[Obj], bool],
    is_specified_delete: Callable[[Obj], bool],
    lifecycle: Lifecycle | None,
    now: dt.datetime,
    min_ready_seconds: int = 0,
    topology_keys: Sequence[str] = (),
    node_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> ScalePlan:
    """`topology_keys`: the template's topologySpreadConstraints keys; `node_labels` (node name ->
    labels) is only read for a plain scale down with such keys (see `needs_node_labels`)."""
    plan = ScalePlan()
    pre_deleting = [p for p in pods if podutil.lifecycle_state(p) == "PreparingDelete"]

    # 1. replicas grew while pods wait in PreparingDelete: take some back instead of creating new ones
    hook = lifecycle.pre_delete if lifecycle else None
    if diff.scale_up_num > 0 and not (hook and hook.mark_pod_not_ready):
        regrettable = [p for p in pre_deleting if not is_specified_delete(p)]
        plan.regret = regrettable[: diff.scale_up_num]
        if plan.regret:
            return plan

    # 2. scale up, current-revision pods first so that `partition` old pods remain
    if diff.scale_up_num > 0:
        plan.scale_up_limited = diff.scale_up_num > diff.scale_up_limit
        plan.create_current = min(diff.scale_up_num_old, diff.scale_up_limit)
        plan.create_update = diff.scale_up_limit - plan.create_current
        return plan

    # 3. pods already waiting in PreparingDelete are re-checked against the hook
    plan.delete.extend(pre_deleting)

    # 4. specified deletes: unavailable ones always, available ones within the ready budget
    specified = [
        p for p in pods if is_specified_delete(p) and podutil.lifecycle_state(p) != "PreparingDelete"
    ]
    ready_budget = diff.delete_ready_limit
    for pod in specified:
        if not is_pod_available(pod, 0, now):
            plan.delete.append(pod)
        elif ready_budget > 0:
            ready_budget -= 1
            plan.delete.append(pod)
    if specified or pre_deleting or diff.scale_down_num <= 0:
        return plan

    # 5. plain scale down: old revision first, then new, each in deletion order
    def available(pod: Obj) -> bool:
        return is_pod_available(pod, min_ready_seconds, now)

    def deletion_order(group: list[Obj]) -> list[Obj]:
        # each revision's pods are ranked among themselves, as upstream's choosePodsToDelete does
        return ordering.sort_for_deletion(
            group, now, available, topology_keys=topology_keys, node_labels=node_labels
        )

    old = deletion_order([p for p in pods if not is_new(p)])
    new = deletion_order([p for p in pods if is_new(p)])
    total, from_old = diff.scale_down_num, diff.scale_down_num_old
    if from_old >= total:
        chosen = old[:total]
    else:
        chosen = old[:from_old] + new[: total - max(from_old, 0)]
    for pod in chosen:
        if not is_pod_available(pod, 0, now):
            plan.delete.append(pod)
        elif ready_budget > 0:
            ready_budget -= 1
            plan.delete.append(pod)
    return plan


def topology_keys(template: Obj) -> list[str]:
    """The topologyKey of each of the template's topologySpreadConstraints, in order."""
    constraints = ((template or {}).get("spec") or {}).get("topologySpreadConstraints") or []
    return [c["topologyKey"] for c in constraints if isinstance(c, dict) and c.get("topologyKey")]


def needs_node_labels(diff: Diff, keys: Sequence[str]) -> bool:
    """Whether `plan_scale` may rank pods by topology this round (only a scale down does)."""
    return bool(keys) and diff.scale_down_num > 0
