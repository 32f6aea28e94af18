"""CloneSet v1alpha1 <-> v1beta1 conversion: field mapping and lossless round trips."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kruise.api.cloneset import default_cloneset
from kruise.api.cloneset_conversion import POD_UPDATE_POLICY_ANNOTATION, to_v1alpha1, to_v1beta1

Obj = dict[str, Any]
EXCLUDE = "apps.kruise.io/cloneset-scaling-exclude-preparing-delete"
PARALLELISM = "apps.kruise.io/image-predownload-parallelism"
TIMEOUT = "apps.kruise.io/image-predownload-timeout-seconds"
MIN_READY = "apps.kruise.io/image-predownload-min-updated-ready-pods"


def alpha(**spec: Any) -> Obj:
    return default_cloneset(
        {
            "apiVersion": "apps.kruise.io/v1alpha1",
            "kind": "CloneSet",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]},
                },
                **spec,
            },
            "status": {"replicas": 3, "readyReplicas": 2, "updateRevision": "web-abc"},
        }
    )


def test_in_place_policy_moves_under_rolling_update() -> None:
    obj = alpha(
        updateStrategy={
            "type": "InPlaceIfPossible",
            "partition": "50%",
            "maxSurge": 1,
            "paused": True,
            "scatterStrategy": [{"key": "zone", "value": "a"}],
            "inPlaceUpdateStrategy": {"gracePeriodSeconds": 10},
        },
        scaleStrategy={"disablePVCReuse": True, "podsToDelete": ["p"]},
    )
    beta = to_v1beta1(obj)
    assert beta["apiVersion"] == "apps.kruise.io/v1beta1"
    assert beta["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {
            "podUpdatePolicy": "InPlaceIfPossible",
            "partition": "50%",
            "maxUnavailable": "20%",
            "maxSurge": 1,
            "paused": True,
            "scatterStrategy": [{"key": "zone", "value": "a"}],
            "inPlaceUpdateStrategy": {"gracePeriodSeconds": 10},
        },
    }
    assert beta["spec"]["scaleStrategy"] == {"podsToDelete": ["p"]}  # enablePVCReuse false: omitted
    assert beta["status"] == obj["status"]
    assert to_v1alpha1(beta) == obj


def test_pvc_reuse_flips_and_the_exclude_label_becomes_a_field() -> None:
    obj = alpha()
    obj["metadata"]["labels"] = {EXCLUDE: "true", "team": "a"}
    beta = to_v1beta1(obj)
    assert beta["spec"]["scaleStrategy"] == {"enablePVCReuse": True, "excludePreparingDelete": True}
    assert beta["metadata"]["labels"] == {"team": "a"}
    assert to_v1alpha1(beta) == obj


def test_exclude_label_other_than_true_stays_a_label() -> None:
    obj = alpha()
    obj["metadata"]["labels"] = {EXCLUDE: "false"}
    beta = to_v1beta1(obj)
    assert "excludePreparingDelete" not in beta["spec"]["scaleStrategy"]
    assert beta["metadata"]["labels"] == {EXCLUDE: "false"}
    assert to_v1alpha1(beta) == obj


def test_pre_download_annotations_fill_the_in_place_strategy() -> None:
    obj = alpha(updateStrategy={"type": "InPlaceOnly"})
    obj["metadata"]["annotations"] = {PARALLELISM: "05", TIMEOUT: "300", MIN_READY: "bad"}
    beta = to_v1beta1(obj)
    assert beta["spec"]["updateStrategy"]["rollingUpdate"]["inPlaceUpdateStrategy"] == {
        "imagePreDownloadParallelism": 5,
        "imagePreDownloadTimeoutSeconds": 300,
    }
    assert to_v1alpha1(beta) == obj  # "05" and "bad" survive as written


def test_on_delete_keeps_its_policy_in_an_annotation() -> None:
    beta = to_v1beta1(alpha())
    beta["spec"]["updateStrategy"] = {
        "type": "OnDelete",
        "rollingUpdate": {"podUpdatePolicy": "InPlaceIfPossible", "partition": 1},
    }
    back = to_v1alpha1(beta)
    assert back["spec"]["updateStrategy"] == {"type": "OnDelete", "partition": 1}
    assert back["metadata"]["annotations"] == {POD_UPDATE_POLICY_ANNOTATION: "InPlaceIfPossible"}
    assert to_v1beta1(back) == beta


def _beta_cases() -> list[Obj]:
    base = to_v1beta1(alpha())
    cases = []
    for strategy in (
        {"type": "RollingUpdate", "rollingUpdate": {"podUpdatePolicy": "ReCreate", "maxUnavailable": 2}},
        {"type": "RollingUpdate", "rollingUpdate": {"podUpdatePolicy": "InPlaceOnly", "partition": "10%"}},
        {"type": "OnDelete"},
        {"type": "OnDelete", "rollingUpdate": {"paused": True}},
        {
            "type": "RollingUpdate",
            "rollingUpdate": {
                "podUpdatePolicy": "InPlaceIfPossible",
                "inPlaceUpdateStrategy": {
                    "gracePeriodSeconds": 3,
                    "imagePreDownloadParallelism": "50%",
                    "imagePreDownloadTimeoutSeconds": 60,
                    "imagePreDownloadMinUpdatedReadyPods": 2,
                },
                "priorityStrategy": {"orderPriority": [{"orderedKey": "k"}]},
            },
        },
    ):
        for scale in ({}, {"enablePVCReuse": True}, {"excludePreparingDelete": True, "maxUnavailable": 1}):
            case = copy.deepcopy(base)
            case["spec"]["updateStrategy"] = strategy
            case["spec"]["scaleStrategy"] = scale
            cases.append(case)
    return cases


def _alpha_cases() -> list[Obj]:
    cases = []
    for strategy in (
        {"type": "ReCreate"},
        {"type": "InPlaceIfPossible", "inPlaceUpdateStrategy": {}},
        {"type": "InPlaceOnly", "inPlaceUpdateStrategy": {"gracePeriodSeconds": 2}, "maxSurge": 0},
        {"type": "OnDelete", "partition": 2},
        {"partition": 1},
    ):
        for scale in ({}, {"disablePVCReuse": True}, {"maxUnavailable": "10%", "podsToDelete": ["a"]}):
            obj = alpha(scaleStrategy=scale)
            obj["spec"]["updateStrategy"] = strategy
            cases.append(obj)
    bare = alpha()
    bare["metadata"]["annotations"] = {PARALLELISM: "3"}  # no inPlaceUpdateStrategy: nothing to fill
    cases.append(bare)
    return cases


@pytest.mark.parametrize("obj", _alpha_cases())
def test_alpha_round_trip(obj: Obj) -> None:
    assert to_v1alpha1(to_v1beta1(obj)) == obj


@pytest.mark.parametrize("obj", _beta_cases())
def test_beta_round_trip(obj: Obj) -> None:
    assert to_v1beta1(to_v1alpha1(obj)) == obj


def test_conversion_is_pure() -> None:
    obj = alpha(updateStrategy={"type": "InPlaceOnly"})
    before = copy.deepcopy(obj)
    to_v1alpha1(to_v1beta1(obj))
    assert obj == before
