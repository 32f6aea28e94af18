"""The CloneSet diff calculation, scale and update planning as tables (kruise-behaviour.md §3.4-§3.6)."""

from __future__ import annotations

import datetime as dt

import pytest

from kruise.api.lifecycle import Lifecycle, LifecycleHook
from kruise.controllers.cloneset.plan import DiffInputs, RevisionCounts, calculate_diff, count_pods
from kruise.controllers.cloneset.scale import needs_node_labels, plan_scale, topology_keys
from kruise.controllers.cloneset.update import plan_update

NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
OLD, NEW = "cs-old", "cs-new"


def pod(
    name: str, rev: str = OLD, *, ready: bool = True, state: str = "Normal", delete: bool = False
) -> dict:
    labels = {"controller-revision-hash": rev, "lifecycle.apps.kruise.io/state": state}
    if delete:
        labels["apps.kruise.io/specified-delete"] = "true"
    return {
        "metadata": {"name": name, "labels": labels, "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"nodeName": "n1"},
        "status": {
            "phase": "Running",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "lastTransitionTime": "2026-01-01T01:00:00Z",
                }
            ],
        },
    }


def diff_for(pods: list[dict], same_revision: bool = False, **inputs) -> object:
    ins = DiffInputs(**inputs)
    new, old = count_pods(
        pods,
        lambda p: p["metadata"]["labels"]["controller-revision-hash"] == NEW,
        lambda p: "apps.kruise.io/specified-delete" in p["metadata"]["labels"],
        ins.min_ready_seconds,
        NOW,
    )
    return calculate_diff(ins, new, old, same_revision)


def test_first_scale_up_creates_all_replicas_at_once():
    d = diff_for([], same_revision=True, replicas=3)
    assert (d.scale_up_num, d.scale_up_num_old, d.scale_up_limit, d.update_num) == (3, 0, 3, 0)


def test_partition_keeps_old_pods_and_limits_update_by_max_unavailable():
    # 5 replicas, partition 3: two pods to update, maxUnavailable 20% of 5 rounds up to 1
    d = diff_for([pod(f"p{i}") for i in range(5)], replicas=5, partition=3)
    assert (d.update_num, d.update_max_unavailable, d.scale_up_num, d.scale_down_num) == (2, 1, 0, 0)


def test_partition_percent_below_100_always_updates_one():
    d = diff_for([pod(f"p{i}") for i in range(4)], replicas=4, partition="99%")
    assert d.update_num == 1


def test_max_surge_creates_a_surge_pod_at_the_update_revision_first():
    d = diff_for([pod(f"p{i}") for i in range(4)], replicas=4, max_surge=1)
    assert (d.use_surge, d.use_surge_old, d.scale_up_num, d.scale_up_num_old) == (1, 0, 1, 0)


def test_specified_delete_within_budget_is_deleted_at_once():
    # docs: maxUnavailable 2, maxSurge 1, pod-a unavailable, pod-b (ready) specified → deleted at once
    pods = [pod("a", NEW, ready=False), pod("b", NEW, delete=True), pod("c", NEW), pod("d", NEW)]
    d = diff_for(pods, same_revision=True, replicas=4, max_unavailable=2, max_surge=1)
    assert (d.use_surge, d.scale_up_num, d.delete_ready_limit) == (0, 0, 1)
    plan = plan_scale(d, pods, _is_new, _specified, None, NOW)
    assert [p["metadata"]["name"] for p in plan.delete] == ["b"]


def test_specified_delete_without_budget_surges_first():
    # docs: maxUnavailable 1, maxSurge 1 → a new pod is created first, pod-b waits
    pods = [pod("a", NEW, ready=False), pod("b", NEW, delete=True), pod("c", NEW), pod("d", NEW)]
    d = diff_for(pods, same_revision=True, replicas=4, max_unavailable=1, max_surge=1)
    assert (d.use_surge, d.scale_up_num) == (1, 1)
    plan = plan_scale(d, pods, _is_new, _specified, None, NOW)
    assert (plan.create_current + plan.create_update, plan.delete) == (1, [])
    # once the surge pod is ready, pod-b goes
    pods.append(pod("e", NEW))
    d = diff_for(pods, same_revision=True, replicas=4, max_unavailable=1, max_surge=1)
    plan = plan_scale(d, pods, _is_new, _specified, None, NOW)
    assert [p["metadata"]["name"] for p in plan.delete] == ["b"]


def test_specifying_the_unavailable_pod_deletes_it_at_once():
    pods = [pod("a", NEW, ready=False, delete=True), pod("b", NEW), pod("c", NEW), pod("d", NEW)]
    d = diff_for(pods, same_revision=True, replicas=4, max_unavailable=1, max_surge=1)
    plan = plan_scale(d, pods, _is_new, _specified, None, NOW)
    assert [p["metadata"]["name"] for p in plan.delete] == ["a"]


def _is_new(p: dict) -> bool:
    return p["metadata"]["labels"]["controller-revision-hash"] == NEW


def _specified(p: dict) -> bool:
    return "apps.kruise.io/specified-delete" in p["metadata"]["labels"]


def test_scale_down_old_revision_first_then_unready_first():
    pods = [pod("n1", NEW), pod("o1"), pod("o2", ready=False), pod("n2", NEW, ready=False)]
    d = diff_for(pods, replicas=2, partition=0, max_unavailable=2)
    assert (d.scale_down_num, d.scale_down_num_old) == (2, 2)
    plan = plan_scale(
        d, pods, lambda p: p["metadata"]["labels"]["controller-revision-hash"] == NEW, _specified, None, NOW
    )
    assert [p["metadata"]["name"] for p in plan.delete] == ["o2", "o1"]


def test_scale_down_with_topology_spread_constraints_takes_from_the_crowded_zone():
    template = {"spec": {"topologySpreadConstraints": [{"topologyKey": "zone", "maxSkew": 1}]}}
    keys = topology_keys(template)
    assert keys == ["zone"]
    pods = [pod("b1", NEW), pod("a1", NEW), pod("a2", NEW), pod("a3", NEW)]
    for p, node in zip(pods, ["n4", "n1", "n2", "n3"], strict=True):
        p["spec"]["nodeName"] = node
    nodes = {"n1": {"zone": "a"}, "n2": {"zone": "a"}, "n3": {"zone": "a"}, "n4": {"zone": "b"}}
    d = diff_for(pods, same_revision=True, replicas=2)
    assert needs_node_labels(d, keys) and not needs_node_labels(d, [])
    # every pod alone on its node and alike: without the constraint the first two in order go
    plain = plan_scale(d, pods, _is_new, _specified, None, NOW)
    assert [p["metadata"]["name"] for p in plain.delete] == ["b1", "a1"]
    plan = plan_scale(d, pods, _is_new, _specified, None, NOW, 0, keys, nodes)
    assert sorted(p["metadata"]["name"] for p in plan.delete) == ["a1", "a2"]
    up = diff_for(pods, same_revision=True, replicas=5)
    assert not needs_node_labels(up, keys)


def test_scale_down_waits_while_a_pod_is_preparing_delete():
    pods = [pod("a"), pod("b"), pod("c", state="PreparingDelete")]
    d = diff_for(pods, same_revision=True, replicas=1)
    plan = plan_scale(d, pods, lambda p: False, _specified, None, NOW)
    assert [p["metadata"]["name"] for p in plan.delete] == ["c"]  # re-checked against its hook only


def test_regret_takes_back_preparing_delete_pods_when_replicas_grow():
    pods = [pod("a"), pod("b", state="PreparingDelete")]
    d = diff_for(pods, same_revision=True, replicas=3)
    lc = Lifecycle(pre_delete=LifecycleHook(labels_handler={"hold": "true"}))
    plan = plan_scale(d, pods, lambda p: False, _specified, lc, NOW)
    assert [p["metadata"]["name"] for p in plan.regret] == ["b"]
    assert plan.create_current + plan.create_update == 0
    marked = Lifecycle(pre_delete=LifecycleHook(labels_handler={"hold": "true"}, mark_pod_not_ready=True))
    plan = plan_scale(d, pods, lambda p: False, _specified, marked, NOW)
    assert plan.regret == [] and plan.create_update == 1


def test_scale_max_unavailable_limits_creation_while_pods_are_unavailable():
    pods = [pod("a", ready=False)]
    d = diff_for(pods, same_revision=True, replicas=4, scale_max_unavailable=2)
    assert (d.scale_up_num, d.scale_up_limit) == (3, 1)
    plan = plan_scale(d, pods, lambda p: False, _specified, None, NOW)
    assert plan.scale_up_limited and plan.create_current + plan.create_update == 1


def test_scale_up_keeps_partition_pods_at_the_current_revision():
    d = diff_for([pod("a", NEW)], replicas=4, partition=2)
    assert (d.scale_up_num, d.scale_up_num_old) == (3, 2)


@pytest.mark.parametrize(
    ("ready", "picked"),
    [
        # all 20 available, maxUnavailable 20% → 4 at a time
        ([True] * 20, 4),
        # 2 old pods already unavailable: they are updated first and cost nothing; 4 more available
        # ones would push unavailability past 4, so only 2 of them are taken
        ([False, False] + [True] * 18, 4),
    ],
)
def test_update_never_exceeds_max_unavailable(ready, picked):
    pods = [pod(f"p{i:02}", ready=r) for i, r in enumerate(ready)]
    d = diff_for(pods, replicas=20)
    _, chosen = plan_update(pods, d, NEW, OLD, None, None, 0, NOW)
    assert len(chosen) == picked
    unavailable_after = sum(1 for p in pods if p in chosen or not _ready(p))
    assert unavailable_after <= 4


def _ready(p: dict) -> bool:
    return p["status"]["conditions"][0]["status"] == "True"


def test_update_skips_preparing_delete_and_puts_preparing_update_first():
    pods = [pod("a"), pod("b", state="PreparingDelete"), pod("c", state="PreparingUpdate"), pod("d")]
    d = diff_for(pods, replicas=4, max_unavailable=4)
    _, chosen = plan_update(pods, d, NEW, OLD, None, None, 0, NOW)
    names = [p["metadata"]["name"] for p in chosen]
    assert names[0] == "c" and "b" not in names


def test_revision_counts_split_pre_deleting_from_active():
    pods = [pod("a", NEW, state="PreparingDelete"), pod("b", NEW, delete=True), pod("c", ready=False)]
    new, old = count_pods(
        pods, lambda p: p["metadata"]["labels"]["controller-revision-hash"] == NEW, _specified, 0, NOW
    )
    assert new == RevisionCounts(total=2, pre_deleting=1, active=1, to_delete=1, unavailable=0)
    assert old == RevisionCounts(total=1, pre_deleting=0, active=1, to_delete=0, unavailable=1)
