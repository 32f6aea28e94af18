"""Which webhooks a request goes to: rules, scopes, selectors, match policy, exemptions; and the
checks applied to what webhooks answer."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import orjson
import pytest

from kruise.apiserver.admission import request_scope, set_user, unique_warnings, warning_header
from kruise.apiserver.admission.config import Rule, parse_configuration, parse_configurations
from kruise.apiserver.admission.context import scope_user, scope_warnings
from kruise.apiserver.admission.match import GVK, GVR, Attributes, is_exempt, rule_matches, should_call
from kruise.apiserver.admission.review import CallError, denial, verify_response
from kruise.apiserver.errors import APIError

POD = GVK("", "v1", "Pod")
PODS = GVR("", "v1", "pods")
NAMESPACES = {"default": {}, "prod": {"env": "prod"}, "kube-system": {"control-plane": "true"}}


def hook(**fields: Any) -> Any:
    raw = {
        "name": "h.example.com",
        "clientConfig": {"url": "https://127.0.0.1:1/x"},
        "rules": [
            {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}
        ],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        **fields,
    }
    return parse_configuration({"metadata": {"name": "cfg"}, "webhooks": [raw]}, mutating=False)[0]


def attrs(
    operation: str = "CREATE",
    resource: GVR = PODS,
    subresource: str = "",
    kind: GVK = POD,
    namespace: str = "default",
    labels: dict[str, str] | None = None,
    old_labels: dict[str, str] | None = None,
) -> Attributes:
    obj = {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "metadata": {"name": "p", "labels": labels or {}},
    }
    old = None
    if old_labels is not None:
        old = {"apiVersion": kind.api_version, "kind": kind.kind, "metadata": {"labels": old_labels}}
    if operation == "DELETE":
        obj, old = None, obj
    return Attributes(operation, resource, subresource, kind, namespace, "p", obj, old)


def calls(h: Any, a: Attributes, equivalents: list[tuple[GVR, GVK]] | None = None) -> bool:
    return should_call(h, a, NAMESPACES.get, lambda: equivalents or []) is not None


def rule(**fields: Any) -> Rule:
    base = {"operations": ("*",), "api_groups": ("*",), "api_versions": ("*",), "resources": ("*",)}
    base.update(fields)
    return Rule(**base)


# ---------------------------------------------------------------------- rules
@pytest.mark.parametrize(
    ("r", "a", "expected"),
    [
        (rule(operations=("CREATE",)), attrs("CREATE"), True),
        (rule(operations=("CREATE",)), attrs("UPDATE"), False),
        (rule(operations=("CREATE", "DELETE")), attrs("DELETE"), True),
        (rule(operations=("*",)), attrs("CONNECT"), True),
        (rule(api_groups=("apps",)), attrs(), False),
        (rule(api_groups=("",)), attrs(), True),
        (rule(api_versions=("v1beta1",)), attrs(), False),
        # resources: a bare resource never matches its subresources
        (rule(resources=("pods",)), attrs(), True),
        (rule(resources=("pods",)), attrs("UPDATE", subresource="status"), False),
        (rule(resources=("pods/status",)), attrs("UPDATE", subresource="status"), True),
        (rule(resources=("pods/status",)), attrs("UPDATE"), False),
        (rule(resources=("pods/*",)), attrs("UPDATE", subresource="status"), True),
        # "r/*" is the resource and all its subresources (as kube's rules matcher)
        (rule(resources=("pods/*",)), attrs("UPDATE"), True),
        (rule(resources=("*",)), attrs("UPDATE", subresource="status"), False),
        (rule(resources=("*",)), attrs(), True),
        (rule(resources=("*/*",)), attrs("UPDATE", subresource="status"), True),
        (rule(resources=("*/*",)), attrs(), True),
        (rule(resources=("*/status",)), attrs("UPDATE", subresource="status"), True),
        (rule(resources=("*/status",)), attrs("CREATE", subresource="eviction"), False),
        (rule(resources=("pods/eviction",)), attrs("CREATE", subresource="eviction"), True),
        (rule(resources=("deployments", "pods")), attrs(), True),
        (rule(resources=()), attrs(), False),
        (rule(operations=()), attrs(), False),
    ],
)
def test_rule_matching(r: Rule, a: Attributes, expected: bool) -> None:
    assert rule_matches(r, a) is expected


NS_RESOURCE = GVR("", "v1", "namespaces")
NS_KIND = GVK("", "v1", "Namespace")
NODES = GVR("", "v1", "nodes")


@pytest.mark.parametrize(
    ("scope", "a", "expected"),
    [
        ("*", attrs(), True),
        ("Namespaced", attrs(), True),
        ("Cluster", attrs(), False),
        ("Namespaced", attrs(resource=NODES, namespace=""), False),
        ("Cluster", attrs(resource=NODES, namespace=""), True),
        # a Namespace's requests carry its own name as namespace, yet it is cluster-scoped
        ("Namespaced", attrs(resource=NS_RESOURCE, kind=NS_KIND, namespace="prod"), False),
        ("Cluster", attrs(resource=NS_RESOURCE, kind=NS_KIND, namespace="prod"), True),
        ("Bogus", attrs(), False),
    ],
)
def test_scope(scope: str, a: Attributes, expected: bool) -> None:
    assert rule_matches(rule(scope=scope), a) is expected


# ---------------------------------------------------------------------- selectors
PROD_ONLY = {"matchLabels": {"env": "prod"}}
NOT_CONTROL_PLANE = {"matchExpressions": [{"key": "control-plane", "operator": "DoesNotExist"}]}


@pytest.mark.parametrize(
    ("selector", "a", "expected"),
    [
        (None, attrs(namespace="default"), True),
        ({}, attrs(namespace="default"), True),
        (PROD_ONLY, attrs(namespace="prod"), True),
        (PROD_ONLY, attrs(namespace="default"), False),
        (NOT_CONTROL_PLANE, attrs(namespace="kube-system"), False),
        (NOT_CONTROL_PLANE, attrs(namespace="default"), True),
        # cluster-scoped objects other than namespaces are never exempted
        (PROD_ONLY, attrs(resource=NODES, kind=GVK("", "v1", "Node"), namespace=""), True),
        # a Namespace being created or updated is matched on its own labels
        (PROD_ONLY, attrs(resource=NS_RESOURCE, kind=NS_KIND, namespace="new", labels={"env": "prod"}), True),
        (PROD_ONLY, attrs(resource=NS_RESOURCE, kind=NS_KIND, namespace="prod", labels={}), False),
        # ...and a deleted one on the stored namespace's labels
        (PROD_ONLY, attrs("DELETE", resource=NS_RESOURCE, kind=NS_KIND, namespace="prod"), True),
    ],
)
def test_namespace_selector(selector: Any, a: Attributes, expected: bool) -> None:
    h = hook(
        namespaceSelector=selector,
        rules=[{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"]}],
    )
    assert calls(h, a) is expected


def test_namespace_selector_on_a_missing_namespace_is_404_when_the_rules_match() -> None:
    h = hook(namespaceSelector=PROD_ONLY)
    with pytest.raises(APIError) as e:
        calls(h, attrs(namespace="gone"))
    assert (e.value.code, e.value.message) == (404, 'namespaces "gone" not found')
    # rules that do not select the request make the lookup irrelevant
    assert calls(h, attrs("UPDATE", namespace="gone")) is False


@pytest.mark.parametrize(
    ("selector", "a", "expected"),
    [
        ({}, attrs(), True),
        ({"matchLabels": {"inject": "yes"}}, attrs(labels={"inject": "yes"}), True),
        ({"matchLabels": {"inject": "yes"}}, attrs(labels={}), False),
        # UPDATE: the old object's labels count too (a label being removed still selects)
        ({"matchLabels": {"inject": "yes"}}, attrs("UPDATE", labels={}, old_labels={"inject": "yes"}), True),
        # DELETE: only the old object exists
        ({"matchLabels": {"a": "b"}}, attrs("DELETE", labels={"a": "b"}), True),
        ({"matchLabels": {"a": "b"}}, attrs("DELETE", labels={"a": "c"}), False),
        (
            {"matchExpressions": [{"key": "skip", "operator": "DoesNotExist"}]},
            attrs(labels={"skip": ""}),
            False,
        ),
    ],
)
def test_object_selector(selector: Any, a: Attributes, expected: bool) -> None:
    h = hook(
        objectSelector=selector,
        rules=[{"operations": ["*"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
    )
    assert calls(h, a) is expected


def test_unparsable_selector_is_an_internal_error_only_for_selected_requests() -> None:
    h = hook(objectSelector={"matchExpressions": [{"key": "a", "operator": "Near"}]})
    with pytest.raises(APIError) as e:
        calls(h, attrs())
    assert e.value.code == 500
    assert e.value.message.startswith("Internal error occurred: ")
    assert calls(h, attrs("DELETE")) is False


# ---------------------------------------------------------------------- match policy
V1BETA1 = GVR("apps.kruise.io", "v1beta1", "clonesets")
V1ALPHA1 = GVR("apps.kruise.io", "v1alpha1", "clonesets")
EQUIVALENTS = [
    (V1BETA1, GVK("apps.kruise.io", "v1beta1", "CloneSet")),
    (V1ALPHA1, GVK("apps.kruise.io", "v1alpha1", "CloneSet")),
]
ALPHA_RULE = [
    {
        "operations": ["CREATE"],
        "apiGroups": ["apps.kruise.io"],
        "apiVersions": ["v1alpha1"],
        "resources": ["clonesets"],
    }
]


def cloneset_request() -> Attributes:
    return attrs(resource=V1BETA1, kind=GVK("apps.kruise.io", "v1beta1", "CloneSet"))


def test_exact_policy_matches_only_the_requested_version() -> None:
    assert calls(hook(matchPolicy="Exact", rules=ALPHA_RULE), cloneset_request(), EQUIVALENTS) is False


def test_equivalent_policy_is_the_default_and_converts_the_invocation() -> None:
    h = hook(rules=ALPHA_RULE)
    assert h.match_policy == "Equivalent"
    inv = should_call(h, cloneset_request(), NAMESPACES.get, lambda: EQUIVALENTS)
    assert inv is not None
    assert inv.resource == V1ALPHA1
    assert inv.kind == GVK("apps.kruise.io", "v1alpha1", "CloneSet")


def test_equivalents_are_not_consulted_when_a_rule_matches_directly() -> None:
    def boom() -> list[tuple[GVR, GVK]]:
        raise AssertionError("not needed")

    assert should_call(hook(), attrs(), NAMESPACES.get, boom) is not None


# ---------------------------------------------------------------------- exemptions, order, defaults
@pytest.mark.parametrize(
    ("kind", "exempt"),
    [
        (GVK("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration"), True),
        (GVK("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration"), True),
        (GVK("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy"), True),
        (GVK("", "v1", "Pod"), False),
        (GVK("example.com", "v1", "MutatingWebhookConfiguration"), False),
    ],
)
def test_webhook_configurations_are_exempt(kind: GVK, exempt: bool) -> None:
    assert is_exempt(kind) is exempt


def test_configurations_sorted_by_name_webhooks_kept_in_order() -> None:
    def cfg(name: str, *hooks: str) -> dict[str, Any]:
        return {"metadata": {"name": name}, "webhooks": [{"name": h} for h in hooks]}

    hooks = parse_configurations(
        [cfg("zeta", "z1"), cfg("alpha", "a2", "a1"), cfg("mid", "m")], mutating=True
    )
    assert [(h.configuration, h.name) for h in hooks] == [
        ("alpha", "a2"),
        ("alpha", "a1"),
        ("mid", "m"),
        ("zeta", "z1"),
    ]


def test_v1_defaults_and_timeout_clamp() -> None:
    h = parse_configuration({"metadata": {"name": "c"}, "webhooks": [{"name": "w", "rules": [{}]}]}, True)[0]
    assert (h.failure_policy, h.match_policy, h.timeout_seconds, h.side_effects) == (
        "Fail",
        "Equivalent",
        10,
        None,
    )
    assert h.rules[0].scope == "*"
    assert h.namespace_selector.selector.empty() and h.object_selector.selector.empty()
    assert hook(timeoutSeconds=0).timeout_seconds == 1
    assert hook(timeoutSeconds=90).timeout_seconds == 30
    assert hook(clientConfig={"service": {"namespace": "ns", "name": "svc"}}).client.service.port == 443


# ---------------------------------------------------------------------- responses
def review(response: dict[str, Any] | None, api_version: str = "admission.k8s.io/v1") -> dict[str, Any]:
    doc: dict[str, Any] = {"apiVersion": api_version, "kind": "AdmissionReview"}
    if response is not None:
        doc["response"] = response
    return doc


def b64(ops: Any) -> str:
    return base64.b64encode(orjson.dumps(ops)).decode()


@pytest.mark.parametrize(
    ("doc", "mutating", "message"),
    [
        (review(None), False, "webhook response was absent"),
        (review({"uid": "other", "allowed": True}), False, 'expected response.uid="u1", got "other"'),
        (
            review({"uid": "u1", "allowed": True}, "admission.k8s.io/v1beta1"),
            False,
            "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, "
            "got admission.k8s.io/v1beta1, Kind=AdmissionReview",
        ),
        (
            {"response": {"uid": "u1", "allowed": True}},
            False,
            "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got /, Kind=",
        ),
        (
            review({"uid": "u1", "allowed": True, "patch": b64([])}),
            True,
            "webhook returned response.patch but not response.patchType",
        ),
        (
            review({"uid": "u1", "allowed": True, "patchType": "JSONPatch"}),
            True,
            "webhook returned response.patchType but not response.patch",
        ),
        (
            review({"uid": "u1", "allowed": True, "patch": b64([]), "patchType": "JSONPatch"}),
            False,
            "validating webhook may not return response.patch",
        ),
    ],
)
def test_invalid_responses(doc: dict[str, Any], mutating: bool, message: str) -> None:
    with pytest.raises(CallError) as e:
        verify_response("w", "v1", "u1", mutating, doc)
    assert str(e.value) == f'failed calling webhook "w": received invalid webhook response: {message}'


def test_valid_mutating_response() -> None:
    ops = [{"op": "add", "path": "/metadata/labels/a", "value": "b"}]
    verdict = verify_response(
        "w",
        "v1",
        "u1",
        True,
        review(
            {
                "uid": "u1",
                "allowed": True,
                "patch": b64(ops),
                "patchType": "JSONPatch",
                "warnings": ["careful"],
            }
        ),
    )
    assert verdict.allowed and verdict.patch_type == "JSONPatch"
    assert orjson.loads(verdict.patch) == ops
    assert verdict.warnings == ["careful"]


def test_wrongly_typed_field_is_a_call_failure() -> None:
    with pytest.raises(CallError) as e:
        verify_response("w", "v1", "u1", False, review({"uid": "u1", "allowed": "yes"}))
    assert (
        "cannot unmarshal string into Go struct field AdmissionResponse.response.allowed of type bool"
        in str(e.value)
    )


@pytest.mark.parametrize(
    ("status", "code", "reason", "message"),
    [
        (None, 400, "", 'admission webhook "w" denied the request without explanation'),
        ({"message": "no"}, 400, "", 'admission webhook "w" denied the request: no'),
        ({"code": 200, "message": "no"}, 400, "", 'admission webhook "w" denied the request: no'),
        (
            {"code": 403, "reason": "Forbidden", "message": "no"},
            403,
            "Forbidden",
            'admission webhook "w" denied the request: no',
        ),
        (
            {"code": 422, "reason": "Invalid"},
            422,
            "Invalid",
            'admission webhook "w" denied the request: Invalid',
        ),
    ],
)
def test_denial_status(status: Any, code: int, reason: str, message: str) -> None:
    err = denial("w", status)
    assert (err.code, err.reason, err.message) == (code, reason, message)


def test_attributes_are_frozen_values() -> None:
    a = attrs()
    assert replace(a, operation="UPDATE").operation == "UPDATE" and a.operation == "CREATE"


# ---------------------------------------------------------------------- warnings and request scope
@pytest.mark.parametrize(
    ("text", "header"),
    [
        ("image tag 'latest' is discouraged", "299 - \"image tag 'latest' is discouraged\""),
        ('say "hi"', '299 - "say \\"hi\\""'),
        ("two\nlines", '299 - "two\\nlines"'),
    ],
)
def test_warning_header(text: str, header: str) -> None:
    assert warning_header(text) == header


def test_request_scope_collects_warnings_and_the_user() -> None:
    assert scope_warnings() is None and scope_user() is None
    with request_scope() as sink:
        set_user({"username": "alice"})
        assert scope_user() == {"username": "alice"}
        assert scope_warnings() is sink
    assert scope_warnings() is None and scope_user() is None
    assert unique_warnings(["a", "b", "a", ""]) == ["a", "b"]
