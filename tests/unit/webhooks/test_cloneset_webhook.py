"""CloneSet admission handlers on AdmissionReview requests."""

from __future__ import annotations

import base64
import copy
from typing import Any

import orjson

from kruise.api.cloneset import default_cloneset
from kruise.client.errors import NotFound
from kruise.webhooks.cloneset import MUTATING, VALIDATING, mutate_cloneset, validating_handler
from kruise.webhooks.server import review_response

Obj = dict[str, Any]


def cloneset(**spec: Any) -> Obj:
    return {
        "apiVersion": "apps.kruise.io/v1alpha1",
        "kind": "CloneSet",
        "metadata": {"name": "web", "namespace": "default", "uid": "u1"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]},
            },
            **spec,
        },
    }


def request(operation: str, obj: Obj, old: Obj | None = None) -> Obj:
    req: Obj = {"uid": "r1", "operation": operation, "object": obj, "namespace": "default", "name": "web"}
    if old is not None:
        req["oldObject"] = old
    return req


async def no_pods(namespace: str, name: str) -> Obj:
    raise NotFound(404, "NotFound", f'pods "{name}" not found')


def test_webhook_specs() -> None:
    assert (MUTATING.name, MUTATING.path) == ("mcloneset.kb.io", "/mutate-apps-kruise-io-v1alpha1-cloneset")
    assert (VALIDATING.name, VALIDATING.path) == (
        "vcloneset.kb.io",
        "/validate-apps-kruise-io-v1alpha1-cloneset",
    )
    for spec in (MUTATING, VALIDATING):
        assert spec.rules == [
            {
                "apiGroups": ["apps.kruise.io"],
                "apiVersions": ["v1alpha1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["clonesets"],
                "scope": "*",
            }
        ]


async def test_create_is_defaulted_through_a_json_patch() -> None:
    req = request("CREATE", cloneset())
    decision = await mutate_cloneset(copy.deepcopy(req))
    assert decision.allowed and decision.patched == default_cloneset(cloneset())
    response = review_response(req, decision)["response"]
    ops = orjson.loads(base64.b64decode(response["patch"]))
    assert {"op": "add", "path": "/spec/replicas", "value": 1} in ops
    assert {"op": "add", "path": "/spec/template/spec/restartPolicy", "value": "Always"} in ops


async def test_an_already_defaulted_object_is_allowed_unchanged() -> None:
    decision = await mutate_cloneset(request("CREATE", default_cloneset(cloneset())))
    assert decision.allowed and decision.patched is None


async def test_update_with_unchanged_template_gets_no_template_defaults() -> None:
    old = cloneset()
    new = cloneset(replicas=5)
    decision = await mutate_cloneset(request("UPDATE", new, old))
    assert decision.patched is not None
    assert decision.patched["spec"]["template"] == new["spec"]["template"]
    assert decision.patched["spec"]["updateStrategy"]["type"] == "ReCreate"
    changed = cloneset()
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    decision = await mutate_cloneset(request("UPDATE", changed, old))
    assert decision.patched is not None
    assert decision.patched["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirst"


async def test_valid_create_is_allowed() -> None:
    decision = await validating_handler(no_pods)(request("CREATE", default_cloneset(cloneset())))
    assert decision.allowed


async def test_invalid_create_is_denied_with_upstreams_status() -> None:
    obj = default_cloneset(cloneset(updateStrategy={"type": "InPlaceOnly", "maxSurge": 1}))
    req = request("CREATE", obj)
    decision = await validating_handler(no_pods)(req)
    assert review_response(req, decision)["response"] == {
        "uid": "r1",
        "allowed": False,
        "status": {
            "code": 422,
            "message": 'spec.updateStrategy.maxSurge: Invalid value: "1": '
            "can not use maxSurge with strategy type InPlaceOnly",
            "reason": "",
            "status": "Failure",
        },
    }


async def test_several_errors_are_aggregated() -> None:
    obj = default_cloneset(cloneset(replicas=-1))
    obj["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    decision = await validating_handler(no_pods)(request("CREATE", obj))
    assert decision.message == (
        "[spec.replicas: Invalid value: -1: must be greater than or equal to 0, "
        'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"]'
    )


async def test_pods_to_delete_are_looked_up_only_when_new() -> None:
    asked: list[tuple[str, str]] = []

    async def get_pod(namespace: str, name: str) -> Obj:
        asked.append((namespace, name))
        if name == "mine":
            return {"metadata": {"name": name, "ownerReferences": [{"uid": "u1", "controller": True}]}}
        raise NotFound(404, "NotFound", f'pods "{name}" not found')

    handler = validating_handler(get_pod)
    old = default_cloneset(cloneset(scaleStrategy={"podsToDelete": ["gone"]}))
    new = default_cloneset(cloneset(scaleStrategy={"podsToDelete": ["gone", "mine", "ghost"]}))
    decision = await handler(request("UPDATE", new, old))
    assert asked == [("default", "ghost"), ("default", "mine")]
    assert decision.message == (
        'spec.scaleStrategy.podsToDelete: Invalid value: "ghost": '
        'find pod ghost failed: pods "ghost" not found'
    )


async def test_update_of_the_selector_is_denied() -> None:
    old = default_cloneset(cloneset())
    new = copy.deepcopy(old)
    new["spec"]["selector"]["matchLabels"]["v"] = "2"
    new["spec"]["template"]["metadata"]["labels"]["v"] = "2"
    decision = await validating_handler(no_pods)(request("UPDATE", new, old))
    assert not decision.allowed and decision.code == 422
    assert decision.message.startswith("spec: Forbidden: updates to cloneset spec for fields other than")


async def test_wrong_types_are_named_not_crashed_on() -> None:
    obj = default_cloneset(cloneset())
    obj["spec"]["replicas"] = "three"
    decision = await validating_handler(no_pods)(request("CREATE", obj))
    assert decision.message == (
        'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"'
    )
    assert (await mutate_cloneset(request("CREATE", {"spec": "x"}))).allowed


async def test_delete_is_not_validated() -> None:
    decision = await validating_handler(no_pods)(request("DELETE", {"metadata": {"name": "web"}}))
    assert decision.allowed


def test_on_delete_is_accepted_only_from_the_v1beta1_shape():
    import asyncio

    from kruise.webhooks.cloneset import validating_handler

    async def no_pods(namespace: str, name: str) -> dict:
        raise AssertionError("no pod lookups expected")

    handler = validating_handler(no_pods)
    obj = {
        "apiVersion": "apps.kruise.io/v1alpha1",
        "kind": "CloneSet",
        "metadata": {"name": "x", "namespace": "ns"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
            "scaleStrategy": {},
            "updateStrategy": {"type": "OnDelete", "partition": 0, "maxUnavailable": "20%", "maxSurge": 0},
            "revisionHistoryLimit": 10,
        },
    }

    def review(version: str, operation: str = "CREATE", old: dict | None = None) -> dict:
        req = {
            "uid": "1",
            "operation": operation,
            "object": obj,
            "kind": {"group": "apps.kruise.io", "version": "v1alpha1", "kind": "CloneSet"},
            "requestKind": {"group": "apps.kruise.io", "version": version, "kind": "CloneSet"},
        }
        if old is not None:
            req["oldObject"] = old
        return req

    assert asyncio.run(handler(review("v1beta1"))).allowed
    denied = asyncio.run(handler(review("v1alpha1")))
    assert not denied.allowed and "spec.updateStrategy.type" in denied.message
    # an object that already is OnDelete may be changed through v1alpha1 (e.g. kubectl scale)
    assert asyncio.run(handler(review("v1alpha1", "UPDATE", old=obj))).allowed
