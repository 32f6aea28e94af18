"""Update step planning (§3.6 steps 3-6): which pods move to the target revision this round."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kruise.api.ordering import ScatterTerm, UpdatePriorityStrategy
from kruise.control import ordering
from kruise.control import pods as podutil
from kruise.control.inplace.state import GRACE_ANNOTATION

from .plan import Diff, is_pod_available

Obj = dict[str, Any]


def update_candidates(pods: list[Obj], diff: Diff, update_revision: str) -> list[Obj]:
    """Pods behind the target revision that may be touched now: not being deleted, not in an in-place
    grace period (Updated pods that fell behind again are included)."""
    forward = diff.update_num > 0
    out = []
    for pod in pods:
        at_update = podutil.revision_matches(pod, update_revision)
        if at_update == forward:
            continue
        if podutil.lifecycle_state(pod) == "PreparingDelete":
            continue
        if GRACE_ANNOTATION in podutil.annotations(pod):
            continue
        out.append(pod)
    return out


def sort_candidates(
    candidates: list[Obj],
    pods: list[Obj],
    priority: UpdatePriorityStrategy | None,
    scatter: list[ScatterTerm] | None,
    now: dt.datetime,
) -> list[Obj]:
    ordered = ordering.sort_active_pods(candidates, now)
    if priority is not None:
        ordered = ordering.sort_by_priority(ordered, priority)
    if scatter:
        ordered = ordering.sort_by_scatter(ordered, scatter, all_pods=pods)
    # pods already waiting in PreparingUpdate go first, so a hook release is acted on at once
    return sorted(ordered, key=lambda p: podutil.lifecycle_state(p) != "PreparingUpdate")


def limit_updates(
    candidates: list[Obj],
    pods: list[Obj],
    diff: Diff,
    target_revision: str,
    min_ready_seconds: int,
    now: dt.datetime,
) -> list[Obj]:
    """At most |updateNum| pods, never pushing unavailability past updateMaxUnavailable. Updating a
    pod that is already unavailable costs nothing."""
    wanted = candidates[: abs(diff.update_num)]
    unavailable = target_unavailable = 0
    for pod in pods:
        if not is_pod_available(pod, min_ready_seconds, now):
            unavailable += 1
            if podutil.revision_matches(pod, target_revision):
                target_unavailable += 1
    picked: list[Obj] = []
    for pod in wanted:
        if target_unavailable + len(picked) >= diff.update_max_unavailable:
            break
        if is_pod_available(pod, min_ready_seconds, now):
            if unavailable >= diff.update_max_unavailable:
                break
            unavailable += 1
        picked.append(pod)
    return picked


def plan_update(
    pods: list[Obj],
    diff: Diff,
    update_revision: str,
    current_revision: str,
    priority: UpdatePriorityStrategy | None,
    scatter: list[ScatterTerm] | None,
    min_ready_seconds: int,
    now: dt.datetime,
) -> tuple[str, list[Obj]]:
    """(target revision name, pods to update this round)."""
    if diff.update_num == 0:
        return update_revision, []
    target = update_revision if diff.update_num > 0 else current_revision
    candidates = sort_candidates(update_candidates(pods, diff, update_revision), pods, priority, scatter, now)
    return target, limit_updates(candidates, pods, diff, target, min_ready_seconds, now)
