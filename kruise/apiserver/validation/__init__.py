"""Validation of built-in kinds as kube-apiserver does it; every function returns [] when valid.

Kind validators check only their kind's fields; metadata is checked by validate_object_meta and
validate_object_meta_update. `validate_create`/`validate_update` run the whole set for a resource.
"""

from __future__ import annotations

from collections.abc import Callable

from kruise.apiserver.errors import FieldError
from kruise.apiserver.validation.core import (
    validate_configmap,
    validate_configmap_update,
    validate_namespace,
    validate_node,
    validate_secret,
    validate_secret_update,
    validate_service,
)
from kruise.apiserver.validation.crd import validate_crd, validate_crd_update
from kruise.apiserver.validation.meta import name_rule_for, validate_object_meta, validate_object_meta_update
from kruise.apiserver.validation.pod import (
    apply_resize,
    compute_qos,
    validate_pod_create,
    validate_pod_resize,
    validate_pod_status_update,
    validate_pod_update,
)

__all__ = [
    "apply_resize",
    "compute_qos",
    "name_rule_for",
    "validate_configmap",
    "validate_configmap_update",
    "validate_crd",
    "validate_crd_update",
    "validate_create",
    "validate_namespace",
    "validate_node",
    "validate_object_meta",
    "validate_object_meta_update",
    "validate_pod_create",
    "validate_pod_resize",
    "validate_pod_status_update",
    "validate_pod_update",
    "validate_secret",
    "validate_secret_update",
    "validate_service",
    "validate_update",
]

_CRDS = ("apiextensions.k8s.io", "customresourcedefinitions")

_KIND: dict[tuple[str, str], Callable[[dict], list[FieldError]]] = {
    ("", "pods"): validate_pod_create,
    ("", "namespaces"): validate_namespace,
    ("", "services"): validate_service,
    ("", "configmaps"): validate_configmap,
    ("", "secrets"): validate_secret,
    ("", "nodes"): validate_node,
    _CRDS: validate_crd,
}

# update-only rules; kinds listed here do not re-run their create rules (pods check the spec themselves)
_UPDATE: dict[tuple[str, str], Callable[[dict, dict], list[FieldError]]] = {
    ("", "pods"): validate_pod_update,
    ("", "configmaps"): validate_configmap_update,
    ("", "secrets"): validate_secret_update,
    _CRDS: validate_crd_update,
}


def validate_create(group: str, resource: str, obj: dict, *, namespaced: bool) -> list[FieldError]:
    """All create-time errors for `obj` of `group`/`resource` (metadata included)."""
    errs = validate_object_meta(
        obj.get("metadata") or {}, namespaced=namespaced, name_rule=name_rule_for(group, resource)
    )
    kind = _KIND.get((group, resource))
    return errs + (kind(obj) if kind else [])


def validate_update(group: str, resource: str, new: dict, old: dict, *, namespaced: bool) -> list[FieldError]:
    """All update-time errors for the main resource (metadata included); subresources have their own."""
    errs = validate_object_meta(
        new.get("metadata") or {}, namespaced=namespaced, name_rule=name_rule_for(group, resource)
    )
    errs += validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
    key = (group, resource)
    if key != ("", "pods") and key in _KIND:
        errs += _KIND[key](new)
    if key in _UPDATE:
        errs += _UPDATE[key](new, old)
    return errs
