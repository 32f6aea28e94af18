"""The garbage collector's graph, work and decisions, and discovery parsing, as pure functions."""

from __future__ import annotations

from typing import Any

import pytest
from discovery_docs import CORE, GROUPS

from kruise.client.resources import CONFIGMAPS, NAMESPACES, PODS, Resource
from kruise.cluster import discovery as api_index
from kruise.cluster.gc import discovery
from kruise.cluster.gc.graph import (
    Classification,
    DependentAction,
    ForegroundAction,
    Graph,
    GraphNode,
    OwnerRef,
    OwnerState,
    classify,
    node_from_object,
    plan_deleting_dependents,
    plan_dependent,
    unblocked,
    without_finalizer,
    without_owners,
    work_for_change,
    work_for_removal,
)

Obj = dict[str, Any]


def ref(uid: str, *, block: bool = False) -> OwnerRef:
    return OwnerRef("v1", "ConfigMap", f"cm-{uid}", uid, block)


def gnode(uid: str, *owners: OwnerRef, deleting: bool = False, finalizers: tuple[str, ...] = ()) -> GraphNode:
    return GraphNode(CONFIGMAPS, "ns", f"cm-{uid}", uid, tuple(owners), deleting, finalizers)


def graph_of(*nodes: GraphNode) -> Graph:
    g = Graph()
    for n in nodes:
        g.upsert(n)
    return g


# ---------------------------------------------------------------------- graph
def test_node_from_object() -> None:
    obj = {
        "metadata": {
            "name": "p",
            "namespace": "ns",
            "uid": "u1",
            "deletionTimestamp": "2024-01-01T00:00:00Z",
            "finalizers": ["foregroundDeletion"],
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "rs",
                    "uid": "o1",
                    "blockOwnerDeletion": True,
                },
                {"apiVersion": "v1", "kind": "X", "name": "no-uid"},
            ],
        }
    }
    n = node_from_object(PODS, obj)
    assert n.owners == (OwnerRef("apps/v1", "ReplicaSet", "rs", "o1", True),)
    assert n.deleting_dependents and not n.orphaning and n.namespace == "ns"


def test_graph_indexes_dependents_of_unknown_owners() -> None:
    g = graph_of(gnode("a"), gnode("b", ref("a", block=True)), gnode("c", ref("a"), ref("ghost")))
    assert [d.uid for d in g.dependents("a")] == ["b", "c"]
    assert [d.uid for d in g.blocking_dependents("a")] == ["b"]
    assert g.with_unknown_owner() == {"c"}
    g.upsert(gnode("c", ref("a")))  # the reference to the ghost is dropped
    assert g.with_unknown_owner() == set()
    g.remove("b")
    assert [d.uid for d in g.dependents("a")] == ["c"]
    g.remove("a")
    assert [d.uid for d in g.dependents("a")] == ["c"]  # still indexed under the vanished owner


# ---------------------------------------------------------------------- work from changes
def test_added_with_unknown_owner_is_examined_once_synced() -> None:
    g = graph_of(gnode("c", ref("ghost")))
    new = g.get("c")
    assert new is not None
    assert work_for_change(g, None, new).attempt_delete == {"c"}
    assert work_for_change(g, None, new, check_unknown_owners=False).attempt_delete == set()


def test_owner_starting_foreground_deletion() -> None:
    g = graph_of(gnode("o"), gnode("d1", ref("o", block=True)), gnode("d2", ref("o")))
    old = g.get("o")
    new = gnode("o", deleting=True, finalizers=("foregroundDeletion",))
    g.upsert(new)
    work = work_for_change(g, old, new)
    assert work.attempt_delete == {"o", "d1", "d2"} and work.orphan == set()
    # Unchanged afterwards: nothing new to do.
    assert work_for_change(g, new, new).attempt_delete == set()


def test_owner_starting_orphan_deletion() -> None:
    g = graph_of(gnode("o"))
    new = gnode("o", deleting=True, finalizers=("orphan",))
    work = work_for_change(g, g.get("o"), new)
    assert work.orphan == {"o"} and work.attempt_delete == set()


def test_released_reference_wakes_a_foreground_owner() -> None:
    owner = gnode("o", deleting=True, finalizers=("foregroundDeletion",))
    old = gnode("d", ref("o", block=True))
    g = graph_of(owner, old)
    unblocked_ref = gnode("d", ref("o", block=False))
    g.upsert(unblocked_ref)
    assert work_for_change(g, old, unblocked_ref).attempt_delete == {"o"}
    dropped = gnode("d")
    g.upsert(dropped)
    assert work_for_change(g, unblocked_ref, dropped).attempt_delete == {"o"}


def test_new_dependent_of_a_deleting_owner_is_examined() -> None:
    g = graph_of(gnode("o", deleting=True, finalizers=("foregroundDeletion",)), gnode("d", ref("o")))
    new = g.get("d")
    assert new is not None
    assert work_for_change(g, None, new).attempt_delete == {"d"}


def test_removal_wakes_dependents_and_waiting_owners() -> None:
    g = graph_of(
        gnode("o", deleting=True, finalizers=("foregroundDeletion",)),
        gnode("x", ref("o", block=True)),
        gnode("y", ref("x")),
        gnode("z", ref("x")),
    )
    gone = g.remove("x")
    assert gone is not None
    assert work_for_removal(g, gone).attempt_delete == {"y", "z", "o"}


# ---------------------------------------------------------------------- one dependent
S, A, W, U = OwnerState.SOLID, OwnerState.ABSENT, OwnerState.DELETING_DEPENDENTS, OwnerState.UNRESOLVED

DEPENDENT_CASES: list[tuple[str, dict[str, OwnerState], tuple[str, ...], bool, bool, DependentAction]] = [
    ("owner alive", {"a": S}, (), False, False, DependentAction()),
    ("every owner gone", {"a": A, "b": A}, (), False, False, DependentAction(delete="Background")),
    ("one owner left: drop the dangling ref", {"a": S, "b": A}, (), False, False, DependentAction(("b",))),
    (
        "alive owner and a waiting one: drop the waiting ref",
        {"a": S, "b": W},
        (),
        True,
        False,
        DependentAction(("b",)),
    ),
    ("waiting owner, no dependents", {"a": W}, (), False, False, DependentAction(delete="Background")),
    ("waiting owner, has dependents", {"a": W}, (), True, False, DependentAction(delete="Foreground")),
    (
        "waiting owner, a dependent already cascading: unblock first",
        {"a": W},
        (),
        True,
        True,
        DependentAction(unblock_owner_uids=("a",), delete="Foreground"),
    ),
    ("own orphan finalizer honoured", {"a": A}, ("orphan",), False, False, DependentAction(delete="Orphan")),
    (
        "own foreground finalizer honoured",
        {"a": A},
        ("foregroundDeletion",),
        False,
        False,
        DependentAction(delete="Foreground"),
    ),
    ("unresolvable owner: look again later", {"a": A, "b": U}, (), False, False, DependentAction(retry=True)),
]


@pytest.mark.parametrize(
    ("case", "states", "finalizers", "has_deps", "deps_deleting", "expected"),
    DEPENDENT_CASES,
    ids=[c[0] for c in DEPENDENT_CASES],
)
def test_plan_dependent(
    case: str,
    states: dict[str, OwnerState],
    finalizers: tuple[str, ...],
    has_deps: bool,
    deps_deleting: bool,
    expected: DependentAction,
) -> None:
    owners = [ref(uid, block=True) for uid in states]
    c = classify(owners, states)
    got = plan_dependent(finalizers, c, has_dependents=has_deps, dependents_deleting=deps_deleting)
    assert got == expected


def test_classify_unknown_state_is_unresolved() -> None:
    assert classify([ref("a")], {}) == Classification(unresolved=(ref("a"),))


# ---------------------------------------------------------------------- owners being deleted
def test_plan_deleting_dependents() -> None:
    owner = gnode("o", deleting=True, finalizers=("foregroundDeletion",))
    g = graph_of(
        owner,
        gnode("blocking", ref("o", block=True)),
        gnode("cascading", ref("o", block=True), deleting=True, finalizers=("foregroundDeletion",)),
        gnode("not-blocking", ref("o")),
    )
    assert plan_deleting_dependents(g, "o") == ForegroundAction(attempt_delete=("blocking",))
    g.remove("blocking")
    assert plan_deleting_dependents(g, "o") == ForegroundAction()  # waits for the cascading one
    g.remove("cascading")
    # Only non-blocking dependents left: the owner may go.
    assert plan_deleting_dependents(g, "o") == ForegroundAction(remove_finalizer=True)


def test_patch_helpers() -> None:
    refs = [{"uid": "a", "name": "a"}, {"uid": "b", "name": "b", "blockOwnerDeletion": True}]
    assert without_owners(refs, ["a"]) == [refs[1]]
    assert unblocked(refs, ["b"])[1]["blockOwnerDeletion"] is False
    assert unblocked(refs, ["b"])[0] == refs[0]
    assert without_finalizer(["orphan", "x"], "orphan") == ["x"]


# ---------------------------------------------------------------------- discovery
ALL = ["create", "delete", "get", "list", "patch", "update", "watch"]
LISTS = {
    "v1": {
        "groupVersion": "v1",
        "resources": [
            {"name": "pods", "kind": "Pod", "namespaced": True, "verbs": ALL},
            {"name": "pods/status", "kind": "Pod", "namespaced": True, "verbs": ["get", "patch"]},
            {"name": "namespaces", "kind": "Namespace", "namespaced": False, "verbs": ALL},
            {"name": "events", "kind": "Event", "namespaced": True, "verbs": ALL},
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


def test_discovery_build() -> None:
    d = discovery.build(CORE, GROUPS, LISTS)
    widgets_v2 = Resource("example.com", "v2", "widgets", "Widget")
    # Preferred versions only; no subresources, no events, nothing that cannot be listed and deleted.
    assert d.monitored == {PODS, NAMESPACES, widgets_v2}
    # Owner references resolve in any served version.
    assert d.resource_for("example.com/v1", "Widget") == Resource("example.com", "v1", "widgets", "Widget")
    assert d.resource_for("v1", "Namespace") == NAMESPACES
    assert d.resource_for("v1", "Nope") is None
    assert api_index.group_versions(CORE, GROUPS) == ["v1", "example.com/v2", "example.com/v1"]
