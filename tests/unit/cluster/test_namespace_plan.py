"""The namespace controller's decisions as pure functions: what to empty, the conditions it
reports (kube-controller-manager's types, reasons and messages) and the finalize body."""

from __future__ import annotations

from typing import Any

import pytest
from discovery_docs import CORE, GROUPS

from kruise.client.resources import CONFIGMAPS, PODS, Resource
from kruise.cluster.namespace import plan

Obj = dict[str, Any]

ALL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
LISTS = {
    "v1": {
        "groupVersion": "v1",
        "resources": [
            {"name": "pods", "kind": "Pod", "namespaced": True, "verbs": ALL},
            {"name": "pods/status", "kind": "Pod", "namespaced": True, "verbs": ["get", "patch"]},
            {"name": "configmaps", "kind": "ConfigMap", "namespaced": True, "verbs": ["delete", "list"]},
            {"name": "namespaces", "kind": "Namespace", "namespaced": False, "verbs": ALL},
            {"name": "bindings", "kind": "Binding", "namespaced": True, "verbs": ["create"]},
        ],
    },
    "example.com/v2": {
        "groupVersion": "example.com/v2",
        "resources": [{"name": "widgets", "kind": "Widget", "namespaced": True, "verbs": ALL}],
    },
    "example.com/v1": {
        "groupVersion": "example.com/v1",
        "resources": [{"name": "widgets", "kind": "Widget", "namespaced": True, "verbs": ALL}],
    },
}
WIDGETS = Resource("example.com", "v2", "widgets", "Widget")
NOW, LATER = "2026-11-26T10:00:00Z", "2026-11-26T10:05:00Z"


def namespace(*, deleting: bool = True, finalizers: list[str] | None = None) -> Obj:
    meta: Obj = {"name": "team-a"}
    if deleting:
        meta["deletionTimestamp"] = NOW
    return {"metadata": meta, "spec": {"finalizers": ["kubernetes"] if finalizers is None else finalizers}}


def by_type(conditions: list[Obj]) -> dict[str, tuple[str, str, str]]:
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in conditions}


def test_resources_to_clear_are_namespaced_deletable_and_preferred() -> None:
    found = plan.resources_to_clear(CORE, GROUPS, LISTS)
    assert found == [
        plan.Clearable(PODS, collection=True),
        plan.Clearable(CONFIGMAPS, collection=False),  # no deletecollection: one by one
        plan.Clearable(WIDGETS, collection=True),  # v2 only: v1 holds the same objects
    ]


@pytest.mark.parametrize(
    ("ns", "expected"),
    [
        (namespace(), True),
        (namespace(deleting=False), False),
        (namespace(finalizers=[]), False),  # already released
        (namespace(finalizers=["example.com/other"]), False),  # someone else's turn
    ],
)
def test_awaits_cleanup(ns: Obj, expected: bool) -> None:
    assert plan.awaits_cleanup(ns) is expected


def test_finalized_drops_only_our_finalizer() -> None:
    ns = namespace(finalizers=["example.com/other", "kubernetes"])
    body = plan.finalized(ns)
    assert body["spec"]["finalizers"] == ["example.com/other"]
    assert ns["spec"]["finalizers"] == ["example.com/other", "kubernetes"]  # input untouched


def test_leftover_counts_instances_and_their_finalizers() -> None:
    items = [
        {"metadata": {"name": "a", "finalizers": ["example.com/hold", "example.com/audit"]}},
        {"metadata": {"name": "b", "finalizers": ["example.com/hold"]}},
        {"metadata": {"name": "c"}},
    ]
    assert plan.leftover_of(CONFIGMAPS, []) is None
    left = plan.leftover_of(CONFIGMAPS, items)
    assert left == plan.Leftover(CONFIGMAPS, 3, {"example.com/hold": 2, "example.com/audit": 1})


def test_conditions_while_content_remains() -> None:
    outcome = plan.Pass(
        leftovers=[
            plan.Leftover(WIDGETS, 1, {"example.com/hold": 1}),
            plan.Leftover(PODS, 2),
        ]
    )
    assert not outcome.done
    got = plan.conditions([], outcome, NOW)
    assert [c["type"] for c in got] == list(plan.CONDITION_TYPES)
    assert by_type(got) == {
        "NamespaceDeletionDiscoveryFailure": (
            "False",
            "ResourcesDiscovered",
            "All resources successfully discovered",
        ),
        "NamespaceDeletionGroupVersionParsingFailure": (
            "False",
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed",
        ),
        "NamespaceDeletionContentFailure": (
            "False",
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization",
        ),
        "NamespaceContentRemaining": (
            "True",
            "SomeResourcesRemain",
            "Some resources are remaining: pods. has 2 resource instances, "
            "widgets.example.com has 1 resource instances",
        ),
        "NamespaceFinalizersRemaining": (
            "True",
            "SomeFinalizersRemain",
            "Some content in the namespace has finalizers remaining: "
            "example.com/hold in 1 resource instances",
        ),
    }
    assert {c["lastTransitionTime"] for c in got} == {NOW}


def test_conditions_report_failures() -> None:
    outcome = plan.Pass(
        discovery_errors=["example.com/v2: 503"], deletion_errors=["widgets.example.com: boom"]
    )
    got = by_type(plan.conditions([], outcome, NOW))
    assert got["NamespaceDeletionDiscoveryFailure"] == (
        "True",
        "DiscoveryFailed",
        "Discovery failed for some groups, 1 failing: example.com/v2: 503",
    )
    assert got["NamespaceDeletionContentFailure"] == (
        "True",
        "ContentDeletionFailed",
        "Failed to delete all resource types, 1 remaining: widgets.example.com: boom",
    )


def test_transition_time_moves_only_with_status_and_other_conditions_stay() -> None:
    custom = {"type": "example.com/Audited", "status": "True", "lastTransitionTime": NOW}
    first = plan.conditions([custom], plan.Pass(leftovers=[plan.Leftover(PODS, 1)]), NOW)
    # Still remaining (a different count) later: same status, so the old time stays.
    second = plan.conditions(first, plan.Pass(leftovers=[plan.Leftover(PODS, 3)]), LATER)
    assert second[0] == custom
    remaining = {c["type"]: c for c in second}["NamespaceContentRemaining"]
    assert (remaining["lastTransitionTime"], remaining["message"]) == (
        NOW,
        "Some resources are remaining: pods. has 3 resource instances",
    )
    # Everything gone: the condition flips and takes the new time.
    done = plan.Pass()
    assert done.done
    third = {c["type"]: c for c in plan.conditions(second, done, LATER)}
    assert (
        third["NamespaceContentRemaining"]["status"],
        third["NamespaceContentRemaining"]["lastTransitionTime"],
    ) == (
        "False",
        LATER,
    )
    assert third["NamespaceDeletionDiscoveryFailure"]["lastTransitionTime"] == NOW  # never changed
