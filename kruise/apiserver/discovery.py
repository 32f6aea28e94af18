"""Discovery documents (/version, /api, /apis, resource lists) and a minimal OpenAPI v2 document."""

from __future__ import annotations

from typing import Any

from .registry import ALL_VERBS, BUILTIN_GROUP_ORDER, Registry, ResourceInfo

# The Kubernetes API level this server mimics; kubectl picks its own client version from it.
KUBE_VERSION = {
    "major": "1",
    "minor": "33",
    "gitVersion": "v1.33.1",
    "gitCommit": "8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828",
    "gitTreeState": "clean",
    "buildDate": "2025-05-15T08:19:08Z",
    "goVersion": "go1.24.2",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_SUBRESOURCE_DOCS: dict[str, tuple[str, str, str, list[str]]] = {
    # name: (group, version, kind or "" for the parent's kind, verbs)
    "status": ("", "", "", ["get", "patch", "update"]),
    "scale": ("autoscaling", "v1", "Scale", ["get", "patch", "update"]),
    "binding": ("", "", "Binding", ["create"]),
    "eviction": ("policy", "v1", "Eviction", ["create"]),
    "finalize": ("", "", "", ["update"]),
    "log": ("", "", "Pod", ["get"]),
    "resize": ("", "", "", ["get", "patch", "update"]),
}


def _resource_doc(info: ResourceInfo) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": info.resource,
        "singularName": info.singular,
        "namespaced": info.namespaced,
        "kind": info.kind,
        "verbs": list(ALL_VERBS),
    }
    if info.short_names:
        doc["shortNames"] = list(info.short_names)
    if info.categories:
        doc["categories"] = list(info.categories)
    return doc


def resource_list(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    infos = sorted(
        (i for i in registry.all() if i.group == group and i.version == version), key=lambda i: i.resource
    )
    if not infos:
        return None
    resources = []
    for info in infos:
        resources.append(_resource_doc(info))
        for sub in sorted(info.subresources):
            g, v, kind, verbs = _SUBRESOURCE_DOCS[sub]
            sdoc: dict[str, Any] = {
                "name": f"{info.resource}/{sub}",
                "singularName": "",
                "namespaced": info.namespaced,
                "kind": kind or info.kind,
                "verbs": verbs,
            }
            if g:
                sdoc["group"], sdoc["version"] = g, v
            resources.append(sdoc)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def _group_doc(name: str, versions: list[str]) -> dict[str, Any]:
    vs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": vs, "preferredVersion": vs[0]}


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def group_list(registry: Registry) -> dict[str, Any]:
    groups = registry.groups()
    order = [g for g in BUILTIN_GROUP_ORDER if g in groups and g] + sorted(
        g for g in groups if g and g not in BUILTIN_GROUP_ORDER
    )
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group_doc(g, groups[g]) for g in order]}


def group(registry: Registry, name: str) -> dict[str, Any] | None:
    versions = registry.groups().get(name)
    if not versions or not name:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(name, versions)}


# ---- OpenAPI v2: kubectl downloads it (as protobuf) for client-side validation. An empty
# definitions section makes kubectl skip client-side schema checks and leave validation to us.


def _pb_field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (wire type 2); payloads here are < 128 bytes."""
    return bytes([(number << 3) | 2, len(payload)]) + payload


def openapi_v2_protobuf() -> bytes:
    info = _pb_field(1, b"Kubernetes") + _pb_field(2, KUBE_VERSION["gitVersion"].encode())
    return _pb_field(1, b"2.0") + _pb_field(2, info)


def openapi_v2_json() -> dict[str, Any]:
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": KUBE_VERSION["gitVersion"]},
        "paths": {},
        "definitions": {},
    }
