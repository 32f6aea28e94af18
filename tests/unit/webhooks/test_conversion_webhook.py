"""The `/convert` handler: ConversionReview in, converted objects (or a Failure result) out."""

from __future__ import annotations

from typing import Any

import pytest

from kruise.api.cloneset_conversion import V1ALPHA1, V1BETA1
from kruise.webhooks.conversion import ConversionWebhook, convert_cloneset
from kruise.webhooks.crd_conversion import patched_crd
from kruise.webhooks.registration import Endpoint

Obj = dict[str, Any]


def alpha(name: str = "web", policy: str = "InPlaceIfPossible") -> Obj:
    return {
        "apiVersion": V1ALPHA1,
        "kind": "CloneSet",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "spec": {"replicas": 1, "scaleStrategy": {}, "updateStrategy": {"type": policy, "partition": 1}},
    }


def webhook() -> ConversionWebhook:
    hook = ConversionWebhook()
    hook.register("apps.kruise.io", "CloneSet", convert_cloneset)
    return hook


def review(objects: list[Any], desired: str = V1BETA1, version: str = "v1") -> Obj:
    return {
        "apiVersion": f"apiextensions.k8s.io/{version}",
        "kind": "ConversionReview",
        "request": {"uid": "abc", "desiredAPIVersion": desired, "objects": objects},
    }


def test_converts_every_object_and_echoes_uid() -> None:
    out = webhook().answer(review([alpha("a"), alpha("b", "ReCreate")]))
    assert out["apiVersion"] == "apiextensions.k8s.io/v1"
    assert out["kind"] == "ConversionReview"
    response = out["response"]
    assert response["uid"] == "abc"
    assert response["result"] == {"status": "Success"}
    assert [o["spec"]["updateStrategy"] for o in response["convertedObjects"]] == [
        {"type": "RollingUpdate", "rollingUpdate": {"podUpdatePolicy": "InPlaceIfPossible", "partition": 1}},
        {"type": "RollingUpdate", "rollingUpdate": {"podUpdatePolicy": "ReCreate", "partition": 1}},
    ]
    assert [o["apiVersion"] for o in response["convertedObjects"]] == [V1BETA1, V1BETA1]
    assert [o["metadata"]["uid"] for o in response["convertedObjects"]] == ["uid-a", "uid-b"]


def test_round_trip_through_the_handler_is_lossless() -> None:
    hook = webhook()
    beta = hook.answer(review([alpha()]))["response"]["convertedObjects"]
    back = hook.answer(review(beta, desired=V1ALPHA1, version="v1beta1"))
    assert back["apiVersion"] == "apiextensions.k8s.io/v1beta1"
    assert back["response"]["convertedObjects"] == [alpha()]


def test_objects_already_in_the_desired_version_are_returned_as_they_are() -> None:
    out = webhook().answer(review([alpha()], desired=V1ALPHA1))
    assert out["response"]["convertedObjects"] == [alpha()]


@pytest.mark.parametrize(
    ("objects", "desired", "message"),
    [
        (
            [{**alpha(), "kind": "Widget"}],
            V1BETA1,
            "no conversion is registered for Widget in group apps.kruise.io",
        ),
        (
            [alpha()],
            "apps.kruise.io/v2",
            "conversion from apps.kruise.io/v1alpha1 to apps.kruise.io/v2 is not supported for CloneSet",
        ),
        (
            [alpha()],
            "policy.kruise.io/v1beta1",
            "cannot convert apps.kruise.io/v1alpha1 CloneSet to another group (policy.kruise.io/v1beta1)",
        ),
        (["text"], V1BETA1, "each object must be a JSON object"),
        ([alpha()], "", "invalid desiredAPIVersion ''"),
        (None, V1BETA1, "request.objects must be a list"),
    ],
)
def test_failures_fail_the_whole_review(objects: Any, desired: str, message: str) -> None:
    out = webhook().answer(review(objects, desired=desired))
    assert out["response"] == {
        "uid": "abc",
        "convertedObjects": [],
        "result": {"status": "Failure", "message": message},
    }


def _crd(strategy: str = "Webhook", kind: str = "CloneSet") -> Obj:
    return {
        "metadata": {"name": "clonesets.apps.kruise.io"},
        "spec": {
            "group": "apps.kruise.io",
            "names": {"kind": kind},
            "conversion": {"strategy": strategy, "webhook": {"clientConfig": {"service": {"name": "x"}}}},
        },
    }


def test_crd_patch_sets_client_config_and_review_versions_only_for_our_webhook_crds() -> None:
    endpoint = Endpoint(url="https://127.0.0.1:9443")
    wanted = {
        "clientConfig": {"caBundle": "Q0E=", "url": "https://127.0.0.1:9443/convert"},
        "conversionReviewVersions": ["v1", "v1beta1"],
    }
    kinds = {("apps.kruise.io", "CloneSet")}
    new = patched_crd(
        _crd(),
        kinds,
        {
            "clientConfig": endpoint.client_config("/convert", b"CA"),
            "conversionReviewVersions": ["v1", "v1beta1"],
        },
    )
    assert new is not None and new["spec"]["conversion"] == {"strategy": "Webhook", "webhook": wanted}
    assert patched_crd(new, kinds, wanted) is None  # already there
    assert patched_crd(_crd(strategy="None"), kinds, wanted) is None
    assert patched_crd(_crd(kind="Widget"), kinds, wanted) is None
    service = Endpoint(service_namespace="kruise-system", service_name="kruise-webhook-service")
    assert service.client_config("/convert", b"CA")["service"] == {
        "namespace": "kruise-system",
        "name": "kruise-webhook-service",
        "port": 443,
        "path": "/convert",
    }
