"""The CloneSet diff calculation (kruise-behaviour.md §3.4): pure arithmetic over the pods' states.

Scale and update both start from these numbers; the consistency between the two steps comes from
running at most one of them per reconcile and from expectations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from kruise.api.intstr import IntOrPercent, partition_replicas, scaled
from kruise.control import pods as podutil

Obj = dict

MAX_INT32 = 2**31 - 1
DEFAULT_MAX_UNAVAILABLE = "20%"


@dataclass(frozen=True)
class DiffInputs:
    replicas: int
    partition: IntOrPercent | None = None
    max_surge: IntOrPercent | None = None
    max_unavailable: IntOrPercent | None = None
    scale_max_unavailable: IntOrPercent | None = None
    paused: bool = False
    min_ready_seconds: int = 0
    exclude_preparing_delete: bool = False
    partition_rollback: bool = False  # gate CloneSetPartitionRollback (off by default)


@dataclass
class RevisionCounts:
    total: int = 0
    pre_deleting: int = 0
    active: int = 0
    to_delete: int = 0
    unavailable: int = 0


@dataclass(frozen=True)
class Diff:
    scale_up_num: int = 0
    scale_up_num_old: int = 0
    scale_up_limit: int = 0
    scale_down_num: int = 0
    scale_down_num_old: int = 0
    delete_ready_limit: int = 0
    update_num: int = 0
    update_max_unavailable: int = 0
    use_surge: int = 0
    use_surge_old: int = 0
    total_unavailable: int = 0


def is_pod_available(pod: Obj, min_ready_seconds: int, now: dt.datetime) -> bool:
    """Available for CloneSet accounting: lifecycle ""/Normal, ready long enough, in-place update done."""
    return (
        podutil.lifecycle_state(pod) in ("", "Normal")
        and podutil.is_available(pod, min_ready_seconds, now)
        and podutil.in_place_update_ready(pod)
    )


def count_pods(
    pods: list[Obj],
    is_new: Callable[[Obj], bool],
    is_specified_delete: Callable[[Obj], bool],
    min_ready_seconds: int,
    now: dt.datetime,
) -> tuple[RevisionCounts, RevisionCounts]:
    new, old = RevisionCounts(), RevisionCounts()
    for pod in pods:
        c = new if is_new(pod) else old
        c.total += 1
        if podutil.lifecycle_state(pod) == "PreparingDelete":
            c.pre_deleting += 1
            continue
        c.active += 1
        if is_specified_delete(pod):
            c.to_delete += 1
        elif not is_pod_available(pod, min_ready_seconds, now):
            c.unavailable += 1
    return new, old


def calculate_diff(inputs: DiffInputs, new: RevisionCounts, old: RevisionCounts, same_revision: bool) -> Diff:
    """§3.4: how many pods to create, delete and update, and the unavailability budgets."""
    r = inputs.replicas
    partition = partition_replicas(inputs.partition, r)
    max_surge = 0 if inputs.paused else scaled(inputs.max_surge, r, round_up=True)
    max_unavailable = scaled(
        inputs.max_unavailable, r, round_up=max_surge == 0, default=DEFAULT_MAX_UNAVAILABLE
    )
    scale_max_unavailable = (
        MAX_INT32
        if inputs.scale_max_unavailable is None
        else scaled(inputs.scale_max_unavailable, r, round_up=True)
    )
    total_pods = new.total + old.total

    update_old_diff = old.active - partition
    update_new_diff = new.active - (r - partition)
    total_unavailable = new.pre_deleting + old.pre_deleting + new.unavailable + old.unavailable
    if same_revision or not inputs.partition_rollback:
        update_old_diff = max(update_old_diff, 0)
        update_new_diff = min(update_new_diff, 0)

    use_surge = use_surge_old = 0
    if max_surge > 0:
        to_delete = new.to_delete + old.to_delete
        scale_surge = scale_old_surge = 0
        if to_delete > 0:
            scale_surge = min(max(total_unavailable + to_delete - max_unavailable, 0), to_delete)
            if scale_surge > new.to_delete:
                scale_old_surge = scale_surge - new.to_delete
        update_surge = update_old_surge = 0
        if (update_old_diff > 0 > update_new_diff) or (update_old_diff < 0 < update_new_diff):
            if abs(update_old_diff) <= abs(update_new_diff):
                update_surge = abs(update_old_diff)
                if update_old_diff < 0:
                    update_old_surge = update_surge
            else:
                update_surge = abs(update_new_diff)
                if update_new_diff > 0:
                    update_old_surge = update_surge
        # scale and update never run in the same reconcile, so only the larger need is served
        if scale_surge >= update_surge:
            use_surge = min(max_surge, scale_surge)
            use_surge_old = min(use_surge, scale_old_surge)
        else:
            use_surge = min(max_surge, update_surge)
            use_surge_old = min(use_surge, update_old_surge)

    cur_total, cur_old = total_pods, old.total
    if inputs.exclude_preparing_delete:
        cur_total -= new.pre_deleting + old.pre_deleting
        cur_old -= old.pre_deleting

    expected_total = r + use_surge
    expected_old = partition + use_surge_old
    scale_up_num = scale_up_num_old = scale_up_limit = 0
    if expected_total - cur_total > 0:
        scale_up_num = expected_total - cur_total
        scale_up_num_old = max(expected_old - cur_old, 0)
        scale_up_limit = max(min(scale_up_num, scale_max_unavailable - total_unavailable), 0)
    scale_down_num = scale_down_num_old = 0
    if cur_total - old.to_delete - new.to_delete - expected_total > 0:
        scale_down_num = cur_total - old.to_delete - new.to_delete - expected_total
        scale_down_num_old = max(cur_old - old.to_delete - expected_old, 0)
    delete_ready_limit = 0
    if new.to_delete or old.to_delete or scale_down_num > 0:
        delete_ready_limit = max(max_unavailable + (total_pods - r) - total_unavailable, 0)

    update_num = update_old_diff if abs(update_old_diff) <= abs(update_new_diff) else -update_new_diff
    update_max_unavailable = max_unavailable + total_pods - r if update_num != 0 else 0
    return Diff(
        scale_up_num=scale_up_num,
        scale_up_num_old=scale_up_num_old,
        scale_up_limit=scale_up_limit,
        scale_down_num=scale_down_num,
        scale_down_num_old=scale_down_num_old,
        delete_ready_limit=delete_ready_limit,
        update_num=update_num,
        update_max_unavailable=update_max_unavailable,
        use_surge=use_surge,
        use_surge_old=use_surge_old,
        total_unavailable=total_unavailable,
    )
