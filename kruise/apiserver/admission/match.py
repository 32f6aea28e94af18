"""Which webhooks a request is sent to: rules, scope, namespace and object selectors, match policy.

Pure functions over `Attributes` (what admission knows of one request), so they are tested with
tables. Lookups the server must do (a namespace's labels, the other served versions of a resource)
come in as callables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from .. import errors
from ..errors import APIError
from .config import Rule, Selector, Webhook

Obj = dict[str, Any]

_EXEMPT_KINDS = frozenset(
    {
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
    }
)


class GVR(NamedTuple):
    group: str
    version: str
    resource: str

    def as_dict(self) -> Obj:
        return {"group": self.group, "version": self.version, "resource": self.resource}


class GVK(NamedTuple):
    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def as_dict(self) -> Obj:
        return {"group": self.group, "version": self.version, "kind": self.kind}


_NAMESPACES = GVR("", "v1", "namespaces")


@dataclass(frozen=True)
class Attributes:
    """One request as admission sees it. For a Namespace, `namespace` is its own name (as kube)."""

    operation: str
    resource: GVR
    subresource: str
    kind: GVK
    namespace: str
    name: str
    obj: Obj | None = None
    old: Obj | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class Invocation:
    """A webhook to call and the resource/kind (possibly an equivalent version) it is called for."""

    webhook: Webhook
    resource: GVR
    subresource: str
    kind: GVK


# namespace name -> its labels, or None when there is no such namespace
NamespaceLabels = Callable[[str], dict[str, str] | None]
# the request's resource -> the other served versions of it, with the kind each version serves
Equivalents = Callable[[], Sequence[tuple[GVR, GVK]]]


def is_exempt(kind: GVK) -> bool:
    """Requests on admission configuration objects never go to webhooks, so they cannot lock you out."""
    return kind.group == "admissionregistration.k8s.io" and kind.kind in _EXEMPT_KINDS


def should_call(
    hook: Webhook, attrs: Attributes, namespace_labels: NamespaceLabels, equivalents: Equivalents
) -> Invocation | None:
    """The invocation for `hook`, None when it does not apply. Raises APIError when it applies but its
    selectors cannot be evaluated (a selector that does not parse, a missing namespace)."""
    ns_match, ns_err = match_namespace(hook, attrs, namespace_labels)
    if not ns_match and ns_err is None:
        return None
    obj_match, obj_err = match_object(hook, attrs)
    if not obj_match and obj_err is None:
        return None
    invocation = _match_rules(hook, attrs, equivalents)
    if invocation is None:
        return None
    # selector problems only matter for webhooks whose rules select the request
    if ns_err is not None:
        raise ns_err
    if obj_err is not None:
        raise obj_err
    return invocation


def _match_rules(hook: Webhook, attrs: Attributes, equivalents: Equivalents) -> Invocation | None:
    for rule in hook.rules:
        if rule_matches(rule, attrs):
            return Invocation(hook, attrs.resource, attrs.subresource, attrs.kind)
    if hook.match_policy != "Equivalent":
        return None
    others = [(gvr, gvk) for gvr, gvk in equivalents() if gvr != attrs.resource]
    for rule in hook.rules:  # earlier rules first
        for gvr, gvk in others:
            if rule_matches(rule, replace(attrs, resource=gvr)):
                return Invocation(hook, gvr, attrs.subresource, gvk)
    return None


def rule_matches(rule: Rule, attrs: Attributes) -> bool:
    return (
        _scope_matches(rule.scope, attrs)
        and rule_names(rule, attrs.operation, attrs.resource.resource, attrs.subresource)
        and _exact_or_wildcard(rule.api_groups, attrs.resource.group)
        and _exact_or_wildcard(rule.api_versions, attrs.resource.version)
    )


def rule_names(rule: Rule, operation: str, resource: str, subresource: str) -> bool:
    """The part of `rule_matches` that does not depend on group, version or scope."""
    return ("*" in rule.operations or operation in rule.operations) and _resource_matches(
        rule.resources, resource, subresource
    )


def _exact_or_wildcard(items: Sequence[str], requested: str) -> bool:
    return "*" in items or requested in items


def _scope_matches(scope: str, attrs: Attributes) -> bool:
    if scope == "*":
        return True
    # a Namespace is cluster-scoped even though its requests carry its name as their namespace
    is_namespace = attrs.resource == _NAMESPACES
    if scope == "Namespaced":
        return not is_namespace and attrs.namespace != ""
    if scope == "Cluster":
        return is_namespace or attrs.namespace == ""
    return False


def _resource_matches(patterns: Sequence[str], resource: str, subresource: str) -> bool:
    for pattern in patterns:
        res, _, sub = pattern.partition("/")
        if (res in ("*", resource)) and (sub in ("*", subresource)):
            return True
    return False


def match_namespace(
    hook: Webhook, attrs: Attributes, namespace_labels: NamespaceLabels
) -> tuple[bool, APIError | None]:
    if not attrs.namespace and attrs.resource.resource != "namespaces":
        return True, None  # cluster-scoped objects other than namespaces are never exempted
    selector = hook.namespace_selector
    if selector.error:
        return False, internal_error(selector.error)
    if selector.selector.empty():
        return True, None
    if (
        attrs.resource.resource == "namespaces"
        and not attrs.subresource
        and attrs.operation in ("CREATE", "UPDATE")
    ):
        labels = _labels(attrs.obj)  # the namespace being written is not stored yet
    else:
        found = namespace_labels(attrs.namespace)
        if found is None:
            return False, errors.not_found("namespaces", attrs.namespace)
        labels = found
    return selector.selector.matches(labels), None


def match_object(hook: Webhook, attrs: Attributes) -> tuple[bool, APIError | None]:
    selector: Selector = hook.object_selector
    if selector.error:
        return False, internal_error(selector.error)
    if selector.selector.empty():
        return True, None
    return _object_matches(attrs.obj, selector) or _object_matches(attrs.old, selector), None


def _object_matches(obj: Obj | None, selector: Selector) -> bool:
    if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
        return False
    return selector.selector.matches(_labels(obj))


def _labels(obj: Obj | None) -> dict[str, str]:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return labels if isinstance(labels, dict) else {}


def internal_error(message: str) -> APIError:
    """kube's NewInternalError: 500 InternalError with the cause repeated in details."""
    return APIError(
        500,
        "InternalError",
        f"Internal error occurred: {message}",
        {"causes": [{"message": message}]},
    )
