"""CRD conversion: the spec.conversion stanza's validation, and the checks on a webhook's answer."""

from __future__ import annotations

from typing import Any

import pytest

from kruise.apiserver.conversion import (
    ConversionError,
    Converter,
    build_review,
    check_converted,
    converted_objects,
    gvk_string,
    webhook_target,
)
from kruise.apiserver.validation.crd import validate_conversion

Obj = dict[str, Any]
URL = {"url": "https://127.0.0.1:9443/convert"}
WCC = "spec.conversion.webhookClientConfig"
CRV = "spec.conversion.conversionReviewVersions"


def webhook(client: Any = None, versions: Any = None) -> Obj:
    hook: Obj = {}
    if client is not None:
        hook["clientConfig"] = client
    if versions is not None:
        hook["conversionReviewVersions"] = versions
    return {"strategy": "Webhook", "webhook": hook}


@pytest.mark.parametrize(
    ("conversion", "errors"),
    [
        (None, []),
        ({"strategy": "None"}, []),
        (webhook(URL, ["v1"]), []),
        (webhook({"service": {"name": "s", "namespace": "n", "path": "/convert"}}, ["v2", "v1beta1"]), []),
        (
            {"strategy": "Other"},
            ['spec.conversion.strategy: Unsupported value: "Other": supported values: "None", "Webhook"'],
        ),
        (
            {"strategy": "Webhook"},
            [
                f"{WCC}: Required value: required when strategy is set to Webhook",
                f"{CRV}: Required value",
            ],
        ),
        (
            webhook({}, ["v1"]),
            [f"{WCC}: Required value: exactly one of url or service is required"],
        ),
        (
            webhook({**URL, "service": {"name": "s", "namespace": "n"}}, ["v1"]),
            [f"{WCC}: Required value: exactly one of url or service is required"],
        ),
        (
            webhook(URL, ["v2"]),
            [f'{CRV}: Invalid value: ["v2"]: must include at least one of v1, v1beta1'],
        ),
        (
            webhook(URL, ["v1", "v1"]),
            [f'{CRV}[1]: Invalid value: "v1": duplicate version'],
        ),
        (
            webhook({"url": "http://127.0.0.1/convert"}, ["v1"]),
            [f"{WCC}.url: Invalid value: \"http\": 'https' is the only allowed URL scheme"],
        ),
        (
            webhook({"url": "https://127.0.0.1/convert?x=1"}, ["v1"]),
            [f'{WCC}.url: Invalid value: "x=1": query parameters are not permitted in the URL'],
        ),
        (
            webhook({"service": {"path": "convert", "port": 0}}, ["v1"]),
            [
                f"{WCC}.service.name: Required value: service name is required",
                f"{WCC}.service.namespace: Required value: service namespace is required",
                f"{WCC}.service.port: Invalid value: 0: port is not valid: must be "
                "between 1 and 65535, inclusive",
                f"{WCC}.service.path: Invalid value: \"convert\": must start with a '/'",
            ],
        ),
        (
            {"strategy": "None", "webhook": {"clientConfig": URL, "conversionReviewVersions": ["v1"]}},
            [
                f"{WCC}: Forbidden: should not be set when strategy is not set to Webhook",
                f"{CRV}: Forbidden: should not be set when strategy is not set to Webhook",
            ],
        ),
    ],
)
def test_conversion_stanza(conversion: Any, errors: list[str]) -> None:
    assert [str(e) for e in validate_conversion(conversion)] == errors


def test_target_and_review() -> None:
    crd = {
        "metadata": {"name": "clonesets.apps.kruise.io"},
        "spec": {"conversion": webhook({**URL, "caBundle": "Q0E="}, ["v9", "v1"])},
    }
    target = webhook_target(crd)
    assert (target.name, target.client.url, target.client.ca_bundle, target.review_versions) == (
        "conversion_webhook_for_clonesets.apps.kruise.io",
        URL["url"],
        "Q0E=",
        ("v9", "v1"),
    )
    assert build_review("u", "v1", "g/v2", [{"a": 1}]) == {
        "kind": "ConversionReview",
        "apiVersion": "apiextensions.k8s.io/v1",
        "request": {"uid": "u", "desiredAPIVersion": "g/v2", "objects": [{"a": 1}]},
    }
    assert gvk_string("apps.kruise.io/v1beta1", "CloneSet") == "apps.kruise.io/v1beta1, Kind=CloneSet"


def answer(
    uid: str = "u", result: Obj | None = None, objs: Any = None, kind: str = "ConversionReview"
) -> Obj:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": kind,
        "response": {"uid": uid, "result": result or {"status": "Success"}, "convertedObjects": objs or []},
    }


@pytest.mark.parametrize(
    ("doc", "version", "message"),
    [
        (answer(uid="x"), "v1", 'expected response.uid="u", got "x"'),
        (
            answer(kind="AdmissionReview"),
            "v1",
            "expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got "
            "apiextensions.k8s.io/v1, Kind=AdmissionReview",
        ),
        ({"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview"}, "v1", "no response provided"),
        (answer(result={"status": "Failure", "message": "nope"}), "v1", "nope"),
        (answer(result={"status": "Failure"}), "v1", "response.result.status was 'Failure', not 'Success'"),
    ],
)
def test_bad_answers(doc: Obj, version: str, message: str) -> None:
    with pytest.raises(ConversionError) as e:
        converted_objects("u", version, doc)
    assert str(e.value) == message


def test_v1beta1_answers_are_not_checked_for_uid_or_kind() -> None:
    assert converted_objects("u", "v1beta1", answer(uid="x", kind="Other", objs=[{"a": 1}])) == [{"a": 1}]


ORIGINAL = {
    "apiVersion": "g/v1",
    "kind": "K",
    "metadata": {"name": "n", "namespace": "d", "uid": "1", "resourceVersion": "7", "labels": {"a": "1"}},
    "spec": {"x": 1},
}


def test_converted_object_keeps_original_metadata_but_labels_and_annotations() -> None:
    converted = {
        "apiVersion": "g/v2",
        "kind": "K",
        "metadata": {
            "name": "n",
            "namespace": "d",
            "uid": "1",
            "resourceVersion": "0",
            "annotations": {"b": "2"},
        },
        "spec": {"y": 1},
    }
    assert check_converted(ORIGINAL, converted, "g/v2") == {
        "apiVersion": "g/v2",
        "kind": "K",
        "metadata": {
            "name": "n",
            "namespace": "d",
            "uid": "1",
            "resourceVersion": "7",
            "annotations": {"b": "2"},
        },
        "spec": {"y": 1},
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"apiVersion": "g/v3"}, "invalid groupVersion (expected g/v2, received g/v3)"),
        ({"kind": "J"}, "invalid kind (expected K, received J)"),
        ({"metadata": {"name": "m", "namespace": "d", "uid": "1"}}, "must have the same name: n != m"),
        ({"metadata": {"name": "n", "namespace": "d", "uid": "2"}}, "must have the same UID: 1 != 2"),
        ({"metadata": None}, "missing metadata in converted object"),
    ],
)
def test_converted_object_checks(change: Obj, message: str) -> None:
    converted = {"apiVersion": "g/v2", "kind": "K", "metadata": {"name": "n", "namespace": "d", "uid": "1"}}
    with pytest.raises(ConversionError) as e:
        check_converted(ORIGINAL, {**converted, **change}, "g/v2")
    assert str(e.value) == message


async def test_strategy_none_only_relabels_and_skips_objects_in_the_version() -> None:
    converter = Converter(transport=None)  # type: ignore[arg-type]
    crd = {"spec": {"conversion": {"strategy": "None"}}}
    there = {"apiVersion": "g/v2", "kind": "K"}
    out = await converter.convert(crd, [ORIGINAL, there], "g/v2", writing=False)
    assert out[0] == {**ORIGINAL, "apiVersion": "g/v2"} and out[1] is there
    webhook_crd = {"spec": {"conversion": webhook(URL, ["v1"])}}
    assert await converter.convert(webhook_crd, [there], "g/v2", writing=True) == [there]  # no call
