"""What may change in place between two revisions (kruise-behaviour.md §2.1)."""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

import pytest

from kruise.control.inplace.spec import (
    BEST_EFFORT,
    BURSTABLE,
    GUARANTEED,
    UpdateSpec,
    calculate_spec,
    can_update_in_place,
    diff_ops,
    parse_quantity,
    qos_class,
)

Obj = dict[str, Any]


def template(**overrides: Any) -> Obj:
    tpl: Obj = {
        "metadata": {"labels": {"app": "demo"}, "annotations": {"team": "a"}},
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "image": "nginx:1.0",
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "64Mi"},
                        "limits": {"cpu": "200m", "memory": "128Mi"},
                    },
                },
                {"name": "sidecar", "image": "busybox", "command": ["sleep", "3600"]},
            ]
        },
    }
    for path, value in overrides.items():
        _set(tpl, path, value)
    return tpl


def _set(doc: Obj, dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for k in keys[:-1]:
        doc = doc[int(k)] if isinstance(doc, list) else doc[k]
    last = keys[-1]
    if isinstance(doc, list):
        doc[int(last)] = value
    elif value is _DELETE:
        del doc[last]
    else:
        doc[last] = value


_DELETE = object()


def revision(name: str, tpl: Obj) -> Obj:
    data = {"spec": {"template": {**copy.deepcopy(tpl), "$patch": "replace"}}}
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": name}, "data": data}


OLD = revision("cs-aaa", template())


def with_env_ref(tpl: Obj, container: int, section: str, key: str) -> Obj:
    tpl["spec"]["containers"][container].setdefault("env", []).append(
        {
            "name": f"REF_{key.upper()}",
            "valueFrom": {"fieldRef": {"fieldPath": f"metadata.{section}['{key}']"}},
        }
    )
    return tpl


# (case id, new template, expected spec fields or None)
CASES: list[tuple[str, Obj, Obj | None]] = [
    (
        "image only",
        template(**{"spec.containers.0.image": "nginx:1.1"}),
        {"container_images": {"main": "nginx:1.1"}},
    ),
    (
        "two images",
        template(**{"spec.containers.0.image": "nginx:1.1", "spec.containers.1.image": "busybox:2"}),
        {"container_images": {"main": "nginx:1.1", "sidecar": "busybox:2"}},
    ),
    (
        "metadata only: label changed, label added, annotation removed",
        template(**{"metadata.labels": {"app": "demo", "tier": "web"}, "metadata.annotations": {}}),
        {"meta_patch": {"labels": {"tier": "web"}, "annotations": {"team": None}}},
    ),
    ("env value change", template(**{"spec.containers.0.env.0.value": "9"}), None),
    (
        "env reorder",
        template(**{"spec.containers.0.env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}),
        None,
    ),
    ("env added", template(**{"spec.containers.0.env": [{"name": "A", "value": "1"}]}), None),
    ("command change", template(**{"spec.containers.1.command": ["sleep", "10"]}), None),
    (
        "container added",
        template(
            **{
                "spec.containers": [
                    *template()["spec"]["containers"],
                    {"name": "extra", "image": "redis"},
                ]
            }
        ),
        None,
    ),
    (
        "containers reordered",
        template(**{"spec.containers": list(reversed(template()["spec"]["containers"]))}),
        None,
    ),
    ("volume added", template(**{"spec.volumes": [{"name": "v", "emptyDir": {}}]}), None),
    (
        "cpu limit change, QoS stays Burstable",
        template(**{"spec.containers.0.resources.limits.cpu": "400m"}),
        {"container_resources": {"main": {"limits": {"cpu": "400m"}}}},
    ),
    (
        "memory request + image",
        template(
            **{"spec.containers.0.resources.requests.memory": "96Mi", "spec.containers.0.image": "nginx:2"}
        ),
        {
            "container_images": {"main": "nginx:2"},
            "container_resources": {"main": {"requests": {"memory": "96Mi"}}},
        },
    ),
    (
        "resource key added (not a replace)",
        template(**{"spec.containers.0.resources.limits.ephemeral-storage": "1Gi"}),
        None,
    ),
]


@pytest.mark.parametrize(("new_tpl", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_calculate_spec(new_tpl: Obj, expected: Obj | None) -> None:
    spec = calculate_spec(OLD, revision("cs-bbb", new_tpl))
    if expected is None:
        assert spec is None
        assert not can_update_in_place(OLD, revision("cs-bbb", new_tpl))
        return
    assert spec is not None
    want = UpdateSpec(revision="cs-bbb", **expected)
    assert spec == want
    assert can_update_in_place(OLD, revision("cs-bbb", new_tpl))


def test_resource_change_that_alters_qos_is_not_in_place() -> None:
    # Guaranteed (requests == limits) -> Burstable by raising only the cpu limit.
    tpl = template()
    tpl["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "200m", "memory": "128Mi"},
        "limits": {"cpu": "200m", "memory": "128Mi"},
    }
    tpl["spec"]["containers"].pop(1)
    old = revision("cs-aaa", tpl)
    burstable = copy.deepcopy(tpl)
    burstable["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "300m"
    assert calculate_spec(old, revision("cs-bbb", burstable)) is None
    # Both sides moved together: still Guaranteed, so in place.
    guaranteed = copy.deepcopy(tpl)
    guaranteed["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "1"
    guaranteed["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "1"
    spec = calculate_spec(old, revision("cs-bbb", guaranteed))
    assert spec is not None
    assert spec.container_resources == {"main": {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}}


def test_non_resizable_resource_change_is_not_in_place() -> None:
    tpl = template()
    tpl["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] = "1"
    changed = copy.deepcopy(tpl)
    changed["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] = "2"
    assert calculate_spec(revision("a-1", tpl), revision("a-2", changed)) is None


def test_env_from_metadata_label_change() -> None:
    old_tpl = with_env_ref(template(), 0, "labels", "version")
    old_tpl["metadata"]["labels"]["version"] = "v1"
    new_tpl = copy.deepcopy(old_tpl)
    new_tpl["metadata"]["labels"]["version"] = "v2"
    new_tpl["metadata"]["labels"]["plain"] = "x"
    spec = calculate_spec(revision("cs-a", old_tpl), revision("cs-b", new_tpl))
    assert spec is not None
    assert spec.update_env_from_metadata is True
    assert spec.container_ref_metadata == {"main": {"labels": {"version": "v2"}}}
    # The referenced key goes with its container's batch; only the plain key is in the patch.
    assert spec.meta_patch == {"labels": {"plain": "x"}}
    assert spec.container_images == {}


def test_env_from_metadata_annotation_added_with_slash_key() -> None:
    old_tpl = with_env_ref(template(), 1, "annotations", "example.com/role")
    new_tpl = copy.deepcopy(old_tpl)
    new_tpl["metadata"]["annotations"]["example.com/role"] = "leader"
    spec = calculate_spec(revision("cs-a", old_tpl), revision("cs-b", new_tpl))
    assert spec is not None
    assert spec.container_ref_metadata == {"sidecar": {"annotations": {"example.com/role": "leader"}}}
    assert spec.update_env_from_metadata is True
    assert spec.meta_patch is None


def test_env_from_metadata_removed_key_is_plain_metadata() -> None:
    old_tpl = with_env_ref(template(), 0, "labels", "version")
    old_tpl["metadata"]["labels"]["version"] = "v1"
    new_tpl = copy.deepcopy(old_tpl)
    del new_tpl["metadata"]["labels"]["version"]
    spec = calculate_spec(revision("cs-a", old_tpl), revision("cs-b", new_tpl))
    assert spec is not None
    assert spec.update_env_from_metadata is False
    assert spec.meta_patch == {"labels": {"version": None}}


def test_env_from_metadata_gate_off() -> None:
    old_tpl = with_env_ref(template(), 0, "labels", "version")
    new_tpl = copy.deepcopy(old_tpl)
    new_tpl["metadata"]["labels"]["version"] = "v2"
    spec = calculate_spec(revision("cs-a", old_tpl), revision("cs-b", new_tpl), env_from_metadata=False)
    assert spec is not None
    assert spec.container_ref_metadata == {}
    assert spec.meta_patch == {"labels": {"version": "v2"}}


def test_no_old_revision_and_overrides() -> None:
    assert calculate_spec(None, OLD) is None
    new = revision("cs-bbb", template(**{"spec.containers.0.image": "x"}))
    spec = calculate_spec(OLD, new, grace_period_seconds=30, revision="bbb")
    assert spec is not None
    assert (spec.revision, spec.grace_period_seconds) == ("bbb", 30)


def test_identical_revisions_give_an_empty_spec() -> None:
    spec = calculate_spec(OLD, revision("cs-aaa", template()))
    assert spec == UpdateSpec(revision="cs-aaa")


def test_diff_ops_compares_same_length_lists_elementwise() -> None:
    old = {"c": [{"n": "a", "i": "1"}, {"n": "b", "i": "2"}]}
    new = {"c": [{"n": "a", "i": "1"}, {"n": "b", "i": "3"}]}
    assert diff_ops(old, new) == [{"op": "replace", "path": "/c/1/i", "value": "3"}]
    grown = {"c": [*old["c"], {"n": "z"}]}
    assert diff_ops(old, grown) == [{"op": "add", "path": "/c/-", "value": {"n": "z"}}]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100m", Fraction(1, 10)),
        ("1", Fraction(1)),
        ("0.5", Fraction(1, 2)),
        ("1Gi", Fraction(2**30)),
        ("128Mi", Fraction(128 * 2**20)),
        ("1k", Fraction(1000)),
        ("1e3", Fraction(1000)),
        ("2E-1", Fraction(1, 5)),
        (2, Fraction(2)),
    ],
)
def test_parse_quantity(text: Any, value: Fraction) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("bad", ["", "abc", "1Q", "1.2.3", True])
def test_parse_quantity_rejects(bad: Any) -> None:
    with pytest.raises(ValueError):
        parse_quantity(bad)


def _pod_spec(*resources: Obj | None, init: Obj | None = None) -> Obj:
    spec: Obj = {"containers": [{"name": f"c{i}", "resources": r or {}} for i, r in enumerate(resources)]}
    if init is not None:
        spec["initContainers"] = [{"name": "init", "resources": init}]
    return spec


FULL = {"cpu": "1", "memory": "1Gi"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (_pod_spec(None), BEST_EFFORT),
        (_pod_spec({"requests": {"cpu": "0"}}), BEST_EFFORT),
        (_pod_spec({"requests": FULL, "limits": FULL}), GUARANTEED),
        (_pod_spec({"limits": FULL}), GUARANTEED),  # requests default to limits
        (_pod_spec({"requests": {"cpu": "1000m", "memory": "1024Mi"}, "limits": FULL}), GUARANTEED),
        (_pod_spec({"requests": {"cpu": "500m"}, "limits": FULL}), BURSTABLE),
        (_pod_spec({"limits": {"cpu": "1"}}), BURSTABLE),
        (_pod_spec({"limits": FULL}, None), BURSTABLE),
        (_pod_spec({"limits": FULL}, init={"requests": {"cpu": "1"}}), BURSTABLE),
        (_pod_spec({"requests": {"ephemeral-storage": "1Gi"}}), BEST_EFFORT),
    ],
)
def test_qos_class(spec: Obj, expected: str) -> None:
    assert qos_class(spec) == expected


def test_update_spec_wire_round_trip() -> None:
    spec = UpdateSpec(
        revision="cs-b",
        container_images={"main": "nginx:2"},
        container_resources={"main": {"limits": {"cpu": "2"}}},
        meta_patch={"labels": {"a": "1", "gone": None}},
        container_ref_metadata={"main": {"labels": {"v": "2"}}},
        update_env_from_metadata=True,
        grace_period_seconds=15,
    )
    wire = spec.to_wire()
    assert set(wire) == {
        "revision",
        "containerImages",
        "containerRefMetadata",
        "containerResources",
        "metaDataPatch",
        "updateEnvFromMetadata",
        "graceSeconds",
    }
    assert UpdateSpec.from_wire(wire) == spec
    assert UpdateSpec(revision="r").to_wire() == {"revision": "r"}
