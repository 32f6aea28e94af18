"""CloneSet validating-webhook rules with upstream's paths and messages (§3.1, §1.5)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from kruise.api.cloneset import (
    IMMUTABLE_SPEC_MESSAGE,
    default_cloneset,
    in_place_only_error,
    new_pods_to_delete,
    scaled_value,
    validate_cloneset,
    validate_cloneset_update,
)
from kruise.api.fielderrors import aggregate

Obj = dict[str, Any]
UID = "uid-1"


def valid() -> Obj:
    return default_cloneset(
        {
            "apiVersion": "apps.kruise.io/v1alpha1",
            "kind": "CloneSet",
            "metadata": {"name": "web", "namespace": "default", "uid": UID},
            "spec": {
                "replicas": 4,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]},
                },
            },
        }
    )


def edit(fn: Callable[[Obj], None]) -> Obj:
    obj = valid()
    fn(obj)
    return obj


def spec(**fields: Any) -> Callable[[Obj], None]:
    return lambda o: o["spec"].update(fields)


def strategy(**fields: Any) -> Callable[[Obj], None]:
    return lambda o: o["spec"]["updateStrategy"].update(fields)


def pod_spec(**fields: Any) -> Callable[[Obj], None]:
    return lambda o: o["spec"]["template"]["spec"].update(fields)


U = "spec.updateStrategy"
CREATE_CASES: list[tuple[str, Callable[[Obj], None], list[str]]] = [
    ("valid", lambda o: None, []),
    (
        "negative replicas",
        spec(replicas=-1),
        ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
    ),
    (
        "selector does not match",
        spec(selector={"matchLabels": {"app": "web", "tier": "x"}}),
        [
            'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
            "`selector` does not match template `labels`"
        ],
    ),
    (
        "empty selector",
        spec(selector={}),
        [
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for cloneset"
        ],
    ),
    (
        "bad selector operator",
        spec(selector={"matchExpressions": [{"key": "app", "operator": "Near", "values": ["web"]}]}),
        [
            'spec.selector.matchExpressions[0].operator: Invalid value: "Near": '
            "not a valid selector operator",
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
            'MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", '
            'Operator:"Near", Values:[]string{"web"}}}}',
        ],
    ),
    (
        "In without values",
        spec(selector={"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "a", "operator": "In"}]}),
        [
            "spec.selector.matchExpressions[0].values: Required value: "
            "must be specified when `operator` is 'In' or 'NotIn'",
            # the selector does not convert either, which skips the template checks (as upstream)
            'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, '
            'MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"a", '
            'Operator:"In", Values:[]string(nil)}}}',
        ],
    ),
    (
        "restartPolicy Never",
        pod_spec(restartPolicy="Never"),
        ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ),
    (
        "activeDeadlineSeconds",
        pod_spec(activeDeadlineSeconds=10),
        [
            "spec.template.spec.activeDeadlineSeconds: Forbidden: "
            "activeDeadlineSeconds in cloneset is not Supported"
        ],
    ),
    ("no containers", pod_spec(containers=[]), ["spec.template.spec.containers: Required value"]),
    (
        "container without image",
        pod_spec(containers=[{"name": "main"}]),
        ["spec.template.spec.containers[0].image: Required value"],
    ),
    (
        "unknown update type",
        strategy(type="RollingUpdate"),
        [
            f'{U}.type: Invalid value: "RollingUpdate": '
            "must be 'ReCreate', InPlaceIfPossible or 'InPlaceOnly'"
        ],
    ),
    (
        "OnDelete is not a v1alpha1 type",
        strategy(type="OnDelete"),
        [f"""{U}.type: Invalid value: "OnDelete": must be 'ReCreate', InPlaceIfPossible or 'InPlaceOnly'"""],
    ),
    (
        "negative partition",
        strategy(partition=-1),
        [f"{U}.partition: Invalid value: -1: must be greater than or equal to 0"],
    ),
    (
        "partition not a percent",
        strategy(partition="3"),
        [
            f'{U}.partition: Invalid value: "3": failed GetScaledValueFromIntOrPercent for partition: '
            "invalid value for IntOrString: invalid type: string is not a percentage"
        ],
    ),
    (
        "partition bad percent",
        strategy(partition="x%"),
        [
            f'{U}.partition: Invalid value: "x%": failed GetScaledValueFromIntOrPercent for partition: '
            'invalid value for IntOrString: invalid value "x%": strconv.Atoi: parsing "x": invalid syntax'
        ],
    ),
    (
        "maxUnavailable bad percent",
        strategy(maxUnavailable="a%"),
        [
            f'{U}.maxUnavailable: Invalid value: "a%": failed GetScaledValueFromIntOrPercent for '
            'maxUnavailable: invalid value for IntOrString: invalid value "a%": strconv.Atoi: parsing "a": '
            "invalid syntax",
            f"""{U}.maxUnavailable: Invalid value: intstr.IntOrString{{Type:1, IntVal:0, StrVal:"a%"}}: """
            "maxUnavailable and maxSurge should not both be less than 1",
        ],
    ),
    (
        "both zero",
        strategy(maxUnavailable=0, maxSurge=0),
        [
            f"""{U}.maxUnavailable: Invalid value: intstr.IntOrString{{Type:0, IntVal:0, StrVal:""}}: """
            "maxUnavailable and maxSurge should not both be less than 1"
        ],
    ),
    (
        "both zero without replicas is fine",
        lambda o: (spec(replicas=0)(o), strategy(maxUnavailable=0)(o)),
        [],
    ),
    ("surge instead of unavailable", strategy(maxUnavailable=0, maxSurge=1), []),
    ("120% unavailable is allowed", strategy(maxUnavailable="120%"), []),
    (
        "maxSurge with InPlaceOnly",
        strategy(type="InPlaceOnly", maxSurge="50%"),
        [f'{U}.maxSurge: Invalid value: "50%": can not use maxSurge with strategy type InPlaceOnly'],
    ),
    ("maxSurge 0 with InPlaceOnly", strategy(type="InPlaceOnly", maxSurge=0), []),
    (
        "both priority kinds",
        strategy(
            priorityStrategy={
                "weightPriority": [{"weight": 1, "matchSelector": {"matchLabels": {"a": "b"}}}],
                "orderPriority": [{"orderedKey": "k"}],
            }
        ),
        [f"{U}.priorityStrategy: Required value: only one of weightPriority and orderPriority can be used"],
    ),
    (
        "weight over 100",
        strategy(
            priorityStrategy={
                "weightPriority": [{"weight": 101, "matchSelector": {"matchLabels": {"a": "b"}}}]
            }
        ),
        [f"{U}.priorityStrategy: Required value: weight must be valid number in the range 1-100"],
    ),
    (
        "weight with empty selector",
        strategy(priorityStrategy={"weightPriority": [{"weight": 10, "matchSelector": {}}]}),
        [f"{U}.priorityStrategy: Required value: selector can not be empty"],
    ),
    (
        "empty ordered key",
        strategy(priorityStrategy={"orderPriority": [{"orderedKey": ""}]}),
        [f"{U}.priorityStrategy: Required value: order key can not be empty"],
    ),
    (
        "scatter empty key",
        strategy(scatterStrategy=[{"key": "", "value": "x"}]),
        [f"{U}.scatterStrategy: Required value: key should not be empty"],
    ),
    (
        "scatter duplicate",
        strategy(scatterStrategy=[{"key": "zone", "value": "a"}, {"key": "zone", "value": "a"}]),
        [f"{U}.scatterStrategy: Required value: duplicated key=zone value=a"],
    ),
    (
        "duplicate podsToDelete",
        spec(scaleStrategy={"podsToDelete": ["p0", "p0", "p1", "p0"]}),
        [
            'spec.scaleStrategy.podsToDelete: Invalid value: []string{"p0", "p0", "p1", "p0"}: '
            "duplicated items [p0 p0]"
        ],
    ),
    (
        "deadline not above minReadySeconds",
        spec(progressDeadlineSeconds=10, minReadySeconds=10),
        ["spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds"],
    ),
    (
        "negative deadline",
        spec(progressDeadlineSeconds=-1),
        [
            "spec.progressDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
            "spec.progressDeadlineSeconds: Invalid value: -1: must be greater than minReadySeconds",
        ],
    ),
    (
        "MaxInt32 deadline disables the check",
        spec(progressDeadlineSeconds=2**31 - 1, minReadySeconds=2**31 - 1),
        [],
    ),
    (
        "wrong type names the field",
        spec(replicas="3"),
        ['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"'],
    ),
    (
        "int-or-string of the wrong type",
        strategy(maxSurge=1.5),
        [
            f'{U}.maxSurge: Invalid value: "number": '
            f'{U}.maxSurge in body must be of type integer,string: "number"'
        ],
    ),
    ("missing selector", lambda o: o["spec"].pop("selector"), ["spec.selector: Required value"]),
]


@pytest.mark.parametrize(("name", "change", "expected"), CREATE_CASES, ids=[c[0] for c in CREATE_CASES])
def test_create(name: str, change: Callable[[Obj], None], expected: list[str]) -> None:
    assert [str(e) for e in validate_cloneset(edit(change))] == expected


def test_aggregate_message_lists_all_errors_like_kube() -> None:
    obj = edit(lambda o: (spec(replicas=-1)(o), pod_spec(restartPolicy="Never")(o)))
    assert aggregate(validate_cloneset(obj)) == (
        "[spec.replicas: Invalid value: -1: must be greater than or equal to 0, "
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"]'
    )


def _pod(name: str, uid: str = UID, deleting: bool = False) -> Obj:
    meta: Obj = {"name": name, "ownerReferences": [{"uid": uid, "controller": True, "kind": "CloneSet"}]}
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return {"metadata": meta}


def test_pods_to_delete_must_exist_be_live_and_owned() -> None:
    obj = edit(spec(scaleStrategy={"podsToDelete": ["a", "b", "c", "d"]}))
    pods = {
        "a": _pod("a"),
        "b": RuntimeError('pods "b" not found'),
        "c": _pod("c", deleting=True),
        "d": _pod("d", uid="other"),
    }
    assert [str(e) for e in validate_cloneset(obj, pods=pods)] == [
        'spec.scaleStrategy.podsToDelete: Invalid value: "b": find pod b failed: pods "b" not found',
        'spec.scaleStrategy.podsToDelete: Invalid value: "c": find pod c already terminating',
        'spec.scaleStrategy.podsToDelete: Invalid value: "d": find pod d owner is not this CloneSet',
    ]


def test_only_new_pods_to_delete_are_looked_up() -> None:
    old = edit(spec(scaleStrategy={"podsToDelete": ["a"]}))
    new = edit(spec(scaleStrategy={"podsToDelete": ["a", "c", "b"]}))
    assert new_pods_to_delete(new, old) == ["b", "c"]
    assert new_pods_to_delete(new) == ["a", "b", "c"]


def _set_image(image: str) -> Callable[[Obj], None]:
    return lambda o: o["spec"]["template"]["spec"]["containers"][0].update(image=image)


UPDATE_CASES: list[tuple[str, Callable[[Obj], None], Callable[[Obj], None], list[str]]] = [
    (
        "every mutable field may change",
        lambda o: None,
        lambda o: (
            spec(
                replicas=9,
                minReadySeconds=3,
                progressDeadlineSeconds=60,
                revisionHistoryLimit=2,
                lifecycle={"preDelete": {"finalizersHandler": ["x/y"]}},
                scaleStrategy={"disablePVCReuse": True},
                volumeClaimTemplates=[{"metadata": {"name": "d"}}],
            )(o),
            strategy(paused=True, partition=1)(o),
            _set_image("nginx:1.26")(o),
        ),
        [],
    ),
    (
        "selector is immutable",
        lambda o: None,
        lambda o: (
            spec(selector={"matchLabels": {"app": "web", "v": "2"}})(o),
            o["spec"]["template"]["metadata"]["labels"].update(v="2"),
        ),
        [f"spec: Forbidden: {IMMUTABLE_SPEC_MESSAGE}"],
    ),
    (
        "InPlaceOnly allows image changes",
        strategy(type="InPlaceOnly"),
        lambda o: (strategy(type="InPlaceOnly")(o), _set_image("nginx:1.26")(o)),
        [],
    ),
    (
        "InPlaceOnly refuses env changes",
        strategy(type="InPlaceOnly"),
        lambda o: (
            strategy(type="InPlaceOnly")(o),
            o["spec"]["template"]["spec"]["containers"][0].update(env=[{"name": "A", "value": "1"}]),
        ),
        [
            "spec: Forbidden: only allowed to update images in spec for InPlaceOnly, "
            "but found add /containers/0/env"
        ],
    ),
    (
        "InPlaceOnly refuses a new container",
        strategy(type="InPlaceOnly"),
        lambda o: (
            strategy(type="InPlaceOnly")(o),
            o["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "busybox:1"}),
        ),
        [
            "spec: Forbidden: only allowed to update images in spec for InPlaceOnly, "
            "but found add /containers/1"
        ],
    ),
    (
        "switching to InPlaceOnly with a non-image change is checked against the new type",
        lambda o: None,
        lambda o: (strategy(type="InPlaceOnly")(o), pod_spec(terminationGracePeriodSeconds=5)(o)),
        [
            "spec: Forbidden: only allowed to update images in spec for InPlaceOnly, "
            "but found replace /terminationGracePeriodSeconds"
        ],
    ),
    (
        "create rules still apply",
        lambda o: None,
        spec(replicas=-2),
        ["spec.replicas: Invalid value: -2: must be greater than or equal to 0"],
    ),
]


@pytest.mark.parametrize(
    ("name", "old_change", "new_change", "expected"), UPDATE_CASES, ids=[c[0] for c in UPDATE_CASES]
)
def test_update(
    name: str, old_change: Callable[[Obj], None], new_change: Callable[[Obj], None], expected: list[str]
) -> None:
    old = edit(old_change)
    new = copy.deepcopy(old)
    new_change(new)
    assert [str(e) for e in validate_cloneset_update(new, old)] == expected


def test_in_place_only_error_compares_lists_element_by_element() -> None:
    old = {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]}
    new = {"containers": [{"name": "a", "image": "x:2"}, {"name": "b", "image": "y:2"}]}
    assert in_place_only_error(old, new) is None
    new["containers"][1]["name"] = "c"
    assert in_place_only_error(old, new) == (
        "only allowed to update images in spec for InPlaceOnly, but found replace /containers/1/name"
    )


@pytest.mark.parametrize(
    ("value", "total", "round_up", "expected"),
    [
        (None, 10, True, (0, None)),
        (3, 10, True, (3, None)),
        ("25%", 10, True, (3, None)),
        ("25%", 10, False, (2, None)),
        ("-10%", 10, True, (-1, None)),
        ("+10%", 10, True, (1, None)),
    ],
)
def test_scaled_value(value: int | str | None, total: int, round_up: bool, expected: tuple) -> None:
    assert scaled_value(value, total, round_up) == expected
