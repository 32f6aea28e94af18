"""Validation of built-in kinds as kube-apiserver does it; every function returns [] when valid.

Kind-specific validators include the metadata rules (as kube's do), so the REST layer should call
`validate_create`/`validate_update`, which pick the kind validator or fall back to metadata only.
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

_CREATE: dict[tuple[str, str], Callable[[dict], list[FieldError]]] = {
    ("", "pods"): validate_pod_create,
    ("", "namespaces"): validate_namespace,
    ("", "services"): validate_service,
    ("", "configmaps"): validate_configmap,
    ("", "secrets"): validate_secret,
    ("", "nodes"): validate_node,
    _CRDS: validate_crd,
}

_UPDATE: dict[tuple[str, str], Callable[[dict, dict], list[FieldError]]] = {
    ("", "pods"): validate_pod_update,
    ("", "configmaps"): validate_configmap_update,
    ("", "secrets"): validate_secret_update,
    _CRDS: validate_crd_update,
}

# kinds whose create rules are all that an update needs, beyond the metadata update rules
_RECHECK_ON_UPDATE = {
    ("", "namespaces"): validate_namespace,
    ("", "services"): validate_service,
    ("", "nodes"): validate_node,
}


def validate_create(group: str, resource: str, obj: dict, *, namespaced: bool) -> list[FieldError]:
    """All create-time errors for `obj` of `group`/`resource` (metadata included)."""
    fn = _CREATE.get((group, resource))
    if fn is not None:
        return fn(obj)
    return validate_object_meta(
        obj.get("metadata") or {}, namespaced=namespaced, name_rule=name_rule_for(group, resource)
    )


def validate_update(group: str, resource: str, new: dict, old: dict) -> list[FieldError]:
    """All update-time errors (metadata included); subresources have their own functions."""
    fn = _UPDATE.get((group, resource))
    if fn is not None:
        return fn(new, old)
    errs = validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
    recheck = _RECHECK_ON_UPDATE.get((group, resource))
    if recheck is not None:
        # the create rules re-check metadata too; keep only the errors about the rest of the object
        errs.extend(e for e in recheck(new) if not e.field.startswith("metadata."))
    return errs
