"""Server-side apply and managedFields tracking, checked against kube-apiserver's behaviour."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kruise.apiserver.apply import ApplyConflict, server_side_apply, track_update
from kruise.apiserver.typemeta import SchemaNode as S

CONTAINER = S(fields={"name": S(), "image": S(), "args": S(list_type="atomic", items=S())})
META = S(
    fields={
        "name": S(),
        "namespace": S(),
        "uid": S(),
        "resourceVersion": S(),
        "labels": S(values=S()),
        "annotations": S(values=S()),
        "finalizers": S(list_type="set", items=S()),
        "managedFields": S(list_type="atomic"),
    }
)
SCHEMA = S(
    fields={
        "apiVersion": S(),
        "kind": S(),
        "metadata": META,
        "spec": S(
            fields={
                "replicas": S(),
                "paused": S(),
                "containers": S(list_type="map", list_map_keys=("name",), items=CONTAINER),
            }
        ),
    }
)
V = "apps/v1"
T1, T2, T3, T4 = (f"2024-05-01T10:00:0{i}Z" for i in range(1, 5))
APP = 'k:{"name":"app"}'


def deploy(spec: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": V, "kind": "Deployment", "metadata": {"name": "web", **meta}}
    if spec is not None:
        obj["spec"] = spec
    return obj


def apply(live: dict[str, Any] | None, applied: dict[str, Any], manager: str, now: str, force: bool = False):
    before = copy.deepcopy((live, applied))
    out = server_side_apply(live, applied, SCHEMA, manager=manager, force=force, now=now, api_version=V)
    assert (live, applied) == before, "inputs must not be mutated"
    return out


def update(
    old: dict[str, Any] | None, new: dict[str, Any], manager: str, now: str, **kw: Any
) -> dict[str, Any]:
    """An ordinary write: returns `new` with the managedFields the server would store."""
    before = copy.deepcopy((old, new))
    fields = track_update(old, new, SCHEMA, manager=manager, now=now, api_version=V, **kw)
    assert (old, new) == before, "inputs must not be mutated"
    out = copy.deepcopy(new)
    out["metadata"]["managedFields"] = fields
    return out


def entry(manager: str, fields: dict[str, Any], time: str | None, op: str = "Apply", **extra: Any):
    e: dict[str, Any] = {"manager": manager, "operation": op, "apiVersion": V}
    if time:
        e["time"] = time
    e.update({"fieldsType": "FieldsV1", "fieldsV1": fields, **extra})
    return e


def managed(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return obj["metadata"]["managedFields"]


def without_managed(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    del out["metadata"]["managedFields"]
    return out


APP_FIELDS = {APP: {".": {}, "f:image": {}, "f:name": {}}}
FIRST = deploy({"replicas": 1, "containers": [{"name": "app", "image": "nginx:1"}]}, labels={"app": "web"})
FIRST_FIELDS = {
    "f:metadata": {"f:labels": {"f:app": {}}},
    "f:spec": {"f:containers": APP_FIELDS, "f:replicas": {}},
}


def first() -> dict[str, Any]:
    return apply(None, FIRST, "alice", T1)


# ---- apply ------------------------------------------------------------------------------


def test_first_apply_creates_the_object() -> None:
    out = first()
    assert without_managed(out) == FIRST
    assert managed(out) == [entry("alice", FIRST_FIELDS, T1)]


def test_reapply_unchanged_is_a_noop_and_keeps_the_time() -> None:
    # kube-apiserver only stamps an applier's time when the object changes, which keeps an
    # idempotent `kubectl apply --server-side` from writing at all.
    live = first()
    assert apply(live, FIRST, "alice", T2) == live


def test_reapply_with_a_change_stamps_the_time() -> None:
    live = first()
    changed = copy.deepcopy(FIRST)
    changed["spec"]["replicas"] = 2
    out = apply(live, changed, "alice", T2)
    assert out["spec"]["replicas"] == 2
    assert managed(out) == [entry("alice", FIRST_FIELDS, T2)]


def test_equal_values_are_shared_without_conflict() -> None:
    live = first()
    out = apply(live, deploy({"replicas": 1}), "bob", T2)
    assert without_managed(out) == without_managed(live)
    # the object did not change, so bob's entry has no time (and sorts first), as in kube
    assert managed(out) == [
        entry("bob", {"f:spec": {"f:replicas": {}}}, None),
        entry("alice", FIRST_FIELDS, T1),
    ]


def test_conflict_on_a_different_value() -> None:
    live = first()
    with pytest.raises(ApplyConflict) as err:
        apply(live, deploy({"replicas": 3}), "bob", T2)
    conflict = err.value
    assert conflict.conflicts == [("alice", ".spec.replicas")]
    assert conflict.message() == 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas'
    assert conflict.causes() == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "alice"', "field": ".spec.replicas"}
    ]


def test_several_conflicts_are_listed_per_manager() -> None:
    live = first()
    live = update(live, {**live, "spec": {**live["spec"], "paused": True}}, "kubectl-edit", T2)
    with pytest.raises(ApplyConflict) as err:
        apply(
            live,
            deploy({"replicas": 3, "paused": False, "containers": [{"name": "app", "image": "x"}]}),
            "bob",
            T3,
        )
    assert err.value.message() == (
        "Apply failed with 3 conflicts: "
        'conflicts with "alice":\n'
        "- .spec.replicas\n"
        '- .spec.containers[name="app"].image\n'
        'conflicts with "kubectl-edit" using apps/v1:\n'
        "- .spec.paused"
    )
    assert [c["field"] for c in err.value.causes()] == [
        ".spec.replicas",
        '.spec.containers[name="app"].image',
        ".spec.paused",
    ]


def test_force_moves_ownership() -> None:
    out = apply(first(), deploy({"replicas": 3}), "bob", T2, force=True)
    assert out["spec"]["replicas"] == 3
    assert managed(out) == [
        entry(
            "alice", {"f:metadata": {"f:labels": {"f:app": {}}}, "f:spec": {"f:containers": APP_FIELDS}}, T1
        ),
        entry("bob", {"f:spec": {"f:replicas": {}}}, T2),
    ]


def test_field_dropped_from_the_config_is_removed() -> None:
    live = first()
    config = deploy({"containers": [{"name": "app", "image": "nginx:1"}]})
    out = apply(live, config, "alice", T2)
    assert without_managed(out) == config
    assert managed(out) == [entry("alice", {"f:spec": {"f:containers": APP_FIELDS}}, T2)]


def test_field_dropped_but_co_owned_stays() -> None:
    live = apply(first(), deploy({"replicas": 1}), "bob", T2)
    out = apply(live, deploy({"containers": [{"name": "app", "image": "nginx:1"}]}), "alice", T3)
    assert out["spec"]["replicas"] == 1
    assert out["metadata"].get("labels") is None
    assert managed(out) == [
        entry("bob", {"f:spec": {"f:replicas": {}}}, None),
        entry("alice", {"f:spec": {"f:containers": APP_FIELDS}}, T3),
    ]


def test_map_list_merge_keeps_another_managers_container() -> None:
    live = first()
    sidecar = copy.deepcopy(live)
    sidecar["spec"]["containers"].append({"name": "sidecar", "image": "envoy"})
    live = update(live, sidecar, "injector", T2)
    side = 'k:{"name":"sidecar"}'
    assert managed(live)[-1] == entry(
        "injector", {"f:spec": {"f:containers": {side: {".": {}, "f:image": {}, "f:name": {}}}}}, T2, "Update"
    )

    changed = copy.deepcopy(FIRST)
    changed["spec"]["containers"][0]["image"] = "nginx:2"
    out = apply(live, changed, "alice", T3)
    assert out["spec"]["containers"] == [
        {"name": "app", "image": "nginx:2"},
        {"name": "sidecar", "image": "envoy"},
    ]
    assert managed(out) == [
        entry("alice", FIRST_FIELDS, T3),
        entry(
            "injector",
            {"f:spec": {"f:containers": {side: {".": {}, "f:image": {}, "f:name": {}}}}},
            T2,
            "Update",
        ),
    ]

    # alice dropping her container removes only hers
    out = apply(out, deploy({"replicas": 1}), "alice", T4)
    assert out["spec"]["containers"] == [{"name": "sidecar", "image": "envoy"}]
    assert managed(out)[0] == entry("alice", {"f:spec": {"f:replicas": {}}}, T4)


def test_set_list_union_and_per_item_removal() -> None:
    a = apply(None, deploy(finalizers=["a"]), "alice", T1)
    ab = apply(a, deploy(finalizers=["b"]), "bob", T2)
    assert ab["metadata"]["finalizers"] == ["a", "b"]
    assert managed(ab) == [
        entry("alice", {"f:metadata": {"f:finalizers": {'v:"a"': {}}}}, T1),
        entry("bob", {"f:metadata": {"f:finalizers": {'v:"b"': {}}}}, T2),
    ]
    out = apply(ab, deploy(finalizers=["c"]), "alice", T3)
    assert out["metadata"]["finalizers"] == ["b", "c"]


def test_atomic_list_is_replaced_and_owned_as_a_unit() -> None:
    live = apply(None, deploy({"containers": [{"name": "app", "args": ["-a", "-b"]}]}), "alice", T1)
    assert managed(live)[0]["fieldsV1"] == {
        "f:spec": {"f:containers": {APP: {".": {}, "f:args": {}, "f:name": {}}}}
    }
    out = apply(live, deploy({"containers": [{"name": "app", "args": ["-c"]}]}), "alice", T2)
    assert out["spec"]["containers"] == [{"name": "app", "args": ["-c"]}]
    with pytest.raises(ApplyConflict) as err:
        apply(out, deploy({"containers": [{"name": "app", "args": ["-c", "-d"]}]}), "bob", T3)
    assert err.value.conflicts == [("alice", '.spec.containers[name="app"].args')]


def test_untyped_fields_behave_like_granular_maps() -> None:
    live = apply(None, deploy({"extra": {"a": 1}}), "alice", T1)
    out = apply(live, deploy({"extra": {"b": 2}}), "bob", T2)
    assert out["spec"]["extra"] == {"a": 1, "b": 2}
    assert managed(out)[1]["fieldsV1"] == {"f:spec": {"f:extra": {".": {}, "f:b": {}}}}


def test_apply_keeps_server_metadata_and_never_owns_it() -> None:
    live = first()
    live["metadata"].update(uid="u1", resourceVersion="7", namespace="ns")
    out = apply(live, deploy({"replicas": 2}, namespace="ns"), "alice", T2)
    assert out["metadata"]["uid"] == "u1"
    assert out["metadata"]["resourceVersion"] == "7"
    assert "f:namespace" not in json.dumps(managed(out))


@pytest.mark.parametrize(
    ("applied", "message"),
    [
        ({"kind": "Deployment", "metadata": {"name": "x"}}, "apiVersion"),
        ({"apiVersion": V, "metadata": {"name": "x"}}, "kind"),
        ({"apiVersion": "v1", "kind": "Deployment"}, "Incorrect version specified in apply patch"),
        (
            {"apiVersion": V, "kind": "Deployment", "metadata": {"managedFields": []}},
            "metadata.managedFields must be nil",
        ),
        (
            {"apiVersion": V, "kind": "Deployment", "spec": {"containers": [{"name": "a"}, {"name": "a"}]}},
            "duplicate entries",
        ),
        (
            {"apiVersion": V, "kind": "Deployment", "spec": {"containers": [{"image": "a"}]}},
            'omits key field "name"',
        ),
    ],
)
def test_unusable_configurations(applied: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        server_side_apply(None, applied, SCHEMA, manager="m", force=False, now=T1, api_version=V)


def test_first_apply_to_an_untracked_object_records_before_first_apply() -> None:
    live = deploy({"replicas": 1, "paused": True})
    out = apply(live, deploy({"replicas": 1}), "alice", T1)
    assert managed(out) == [
        entry("alice", {"f:spec": {"f:replicas": {}}}, None),
        entry("before-first-apply", {"f:spec": {".": {}, "f:paused": {}, "f:replicas": {}}}, T1, "Update"),
    ]
    with pytest.raises(ApplyConflict) as err:
        apply(out, deploy({"paused": False}), "bob", T2)
    assert err.value.conflicts == [("before-first-apply", ".spec.paused")]
    assert 'conflict with "before-first-apply" using apps/v1: .spec.paused' in err.value.message()


def test_subresource_entries_are_separate() -> None:
    live = first()
    out = server_side_apply(
        live,
        deploy({"replicas": 1}),
        SCHEMA,
        manager="alice",
        force=False,
        now=T2,
        api_version=V,
        subresource="scale",
    )
    assert managed(out)[0] == entry("alice", {"f:spec": {"f:replicas": {}}}, None, subresource="scale")
    with pytest.raises(ApplyConflict) as err:
        apply(out, deploy({"replicas": 5}), "bob", T3)
    assert err.value.message() == (
        "Apply failed with 2 conflicts: "
        # ordered by kube's manager identifier JSON, where the subresource key sorts first
        'conflicts with "alice" with subresource "scale":\n- .spec.replicas\n'
        'conflicts with "alice":\n- .spec.replicas'
    )


# ---- client-side apply, then server-side apply ------------------------------------------

CSA = "kubectl-client-side-apply"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def client_side_applied() -> dict[str, Any]:
    config = deploy({"replicas": 1, "containers": [{"name": "app", "image": "nginx:1"}]})
    obj = copy.deepcopy(config)
    obj["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(config, sort_keys=True) + "\n"}
    return update(None, obj, CSA, T1)


def test_client_side_apply_records_an_update_entry() -> None:
    assert managed(client_side_applied()) == [
        entry(
            CSA,
            {
                "f:metadata": {"f:annotations": {".": {}, f"f:{LAST_APPLIED}": {}}},
                "f:spec": {".": {}, "f:containers": {".": {}, **APP_FIELDS}, "f:replicas": {}},
            },
            T1,
            "Update",
        )
    ]


def test_server_side_apply_after_client_side_apply_conflicts() -> None:
    live = client_side_applied()
    with pytest.raises(ApplyConflict) as err:
        apply(live, deploy({"replicas": 2}), "other", T2)
    assert err.value.message() == (
        "Apply failed with 1 conflict: "
        'conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas'
    )
    assert err.value.causes()[0]["message"] == 'conflict with "kubectl-client-side-apply" using apps/v1'


def test_kubectl_takes_over_fields_from_its_last_applied_configuration() -> None:
    live = client_side_applied()
    config = deploy({"replicas": 2, "containers": [{"name": "app", "image": "nginx:1"}]})
    out = apply(live, config, "kubectl", T2)
    assert out["spec"]["replicas"] == 2
    assert json.loads(out["metadata"]["annotations"][LAST_APPLIED]) == config
    assert managed(out) == [
        entry("kubectl", {"f:spec": {"f:containers": APP_FIELDS, "f:replicas": {}}}, T2),
        entry(
            CSA,
            {
                "f:metadata": {"f:annotations": {".": {}, f"f:{LAST_APPLIED}": {}}},
                "f:spec": {".": {}, "f:containers": {".": {}, **APP_FIELDS}},
            },
            T1,
            "Update",
        ),
    ]


def test_kubectl_still_conflicts_on_fields_changed_since_the_last_client_side_apply() -> None:
    live = client_side_applied()
    edited = copy.deepcopy(live)
    edited["spec"]["replicas"] = 5
    live = update(live, edited, "kubectl-edit", T2)
    with pytest.raises(ApplyConflict) as err:
        apply(
            live, deploy({"replicas": 2, "containers": [{"name": "app", "image": "nginx:2"}]}), "kubectl", T3
        )
    assert err.value.conflicts == [("kubectl-edit", ".spec.replicas")]


# ---- ordinary writes --------------------------------------------------------------------


def test_update_transfers_changed_fields_and_disowns_removed_ones() -> None:
    live = first()
    new = copy.deepcopy(live)
    new["spec"]["replicas"] = 4
    del new["metadata"]["labels"]
    out = update(live, new, "hpa", T2)
    assert managed(out) == [
        entry("alice", {"f:spec": {"f:containers": APP_FIELDS}}, T1),
        entry("hpa", {"f:spec": {"f:replicas": {}}}, T2, "Update"),
    ]


def test_update_that_changes_nothing_keeps_entries_and_times() -> None:
    live = update(first(), {**FIRST, "spec": {**FIRST["spec"], "paused": True}}, "ctl", T2)
    again = update(live, copy.deepcopy(live), "ctl", T3)
    assert managed(again) == managed(live)
    other = update(live, copy.deepcopy(live), "someone-else", T3)
    assert managed(other) == managed(live)


def test_update_merges_into_the_managers_previous_entry() -> None:
    live = update(None, deploy({"replicas": 1}), "ctl", T1)
    new = copy.deepcopy(live)
    new["spec"]["paused"] = True
    out = update(live, new, "ctl", T2)
    assert managed(live) == [entry("ctl", {"f:spec": {".": {}, "f:replicas": {}}}, T1, "Update")]
    assert managed(out) == [
        entry("ctl", {"f:spec": {".": {}, "f:paused": {}, "f:replicas": {}}}, T2, "Update")
    ]


def test_managed_fields_sent_by_the_client() -> None:
    live = first()
    reset = copy.deepcopy(live)
    reset["metadata"]["managedFields"] = []
    assert track_update(live, reset, SCHEMA, manager="m", now=T2, api_version=V) == []

    omitted = copy.deepcopy(live)
    del omitted["metadata"]["managedFields"]
    omitted["spec"]["paused"] = True
    assert managed(update(live, omitted, "m", T2))[0] == entry("alice", FIRST_FIELDS, T1)

    rewritten = copy.deepcopy(live)
    rewritten["metadata"]["managedFields"] = [entry("bob", {"f:spec": {"f:replicas": {}}}, T1)]
    assert managed(update(live, rewritten, "m", T2)) == [entry("bob", {"f:spec": {"f:replicas": {}}}, T1)]


def test_untracked_objects_stay_untracked_on_update() -> None:
    live = deploy({"replicas": 1})
    assert track_update(live, deploy({"replicas": 2}), SCHEMA, manager="m", now=T1, api_version=V) == []


def test_status_writes_are_recorded_with_their_subresource() -> None:
    live = first()
    new = copy.deepcopy(live)
    new["status"] = {"replicas": 1}
    new["metadata"]["managedFields"] = []  # ignored on a subresource
    fields = track_update(live, new, SCHEMA, manager="ctl", now=T2, api_version=V, subresource="status")
    assert fields == [
        entry("alice", FIRST_FIELDS, T1),
        entry("ctl", {"f:status": {".": {}, "f:replicas": {}}}, T2, "Update", subresource="status"),
    ]


def test_update_entries_are_capped() -> None:
    live = update(None, deploy({}), "creator", "2024-05-01T09:00:00Z")
    for i in range(11):
        new = copy.deepcopy(live)
        new["spec"][f"f{i}"] = i
        live = update(live, new, f"m{i:02}", f"2024-05-01T10:00:{i:02}Z")
    entries = managed(live)
    assert len(entries) == 10
    assert entries[0]["manager"] == "ancient-changes"
    assert entries[0]["time"] == "2024-05-01T10:00:01Z"
    assert set(entries[0]["fieldsV1"]["f:spec"]) == {".", "f:f0", "f:f1"}
    assert [e["manager"] for e in entries[1:]] == [f"m{i:02}" for i in range(2, 11)]
