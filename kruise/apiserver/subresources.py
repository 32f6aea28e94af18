"""Subresources: status, scale, resize, binding, eviction, namespace finalize."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kruise.api.selectors import label_selector_from_dict

from . import codec, errors, podlogs
from .crud import APPLY_PATCH, AdmissionRequest, DeleteOptions, WriteOptions
from .httpserver import Request, Response, StreamResponse
from .meta import clone, now, rfc3339
from .patch import PatchError, apply_json_patch, apply_merge_patch
from .registry import ResourceInfo

if TYPE_CHECKING:
    from .handlers import ResourceHandlers

Obj = dict[str, Any]

_BUILTIN_SCALE = {  # storage key -> (spec path, status path)
    "apps/deployments": ("spec.replicas", "status.replicas"),
    "apps/replicasets": ("spec.replicas", "status.replicas"),
    "apps/statefulsets": ("spec.replicas", "status.replicas"),
}


async def handle(
    h: ResourceHandlers, request: Request, info: ResourceInfo, namespace: str, name: str, sub: str
) -> StreamResponse:
    method = request.method
    if sub == "status":
        if method == "GET":
            return h.respond_object(request, info, await h.resources.read(info, namespace, name))
        if method == "PUT":
            return await h.update(request, info, namespace, name, subresource="status")
        if method == "PATCH":
            return await h.patch(request, info, namespace, name, subresource="status")
    elif sub == "resize":  # pods/resize: the write path prepares and validates (see resize.py)
        if method == "GET":
            return h.respond_object(request, info, await h.resources.read(info, namespace, name))
        if method == "PUT":
            return await h.update(request, info, namespace, name, subresource="resize")
        if method == "PATCH":
            return await h.patch(request, info, namespace, name, subresource="resize")
    elif sub == "scale":
        return await _scale(h, request, info, namespace, name)
    elif sub == "binding" and method == "POST":
        return await _binding(h, request, info, namespace, name)
    elif sub == "eviction" and method == "POST":
        return await _eviction(h, request, info, namespace, name)
    elif sub == "finalize" and method == "PUT":
        return await _finalize(h, request, info, name)
    elif sub == "log" and method == "GET":
        return await podlogs.serve(h, request, info, namespace, name)
    raise errors.method_not_allowed()


# ---------------------------------------------------------------------- scale
def _paths(info: ResourceInfo) -> tuple[str, str, str | None]:
    if info.is_custom:
        scale = (info.crd_version().get("subresources") or {}).get("scale") or {}
        return (
            scale.get("specReplicasPath", ".spec.replicas").lstrip("."),
            scale.get("statusReplicasPath", ".status.replicas").lstrip("."),
            (scale.get("labelSelectorPath") or "").lstrip(".") or None,
        )
    spec, status = _BUILTIN_SCALE[info.storage_key]
    return spec, status, None


def _dig(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _set(obj: Obj, path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        nxt = obj.get(part)
        if not isinstance(nxt, dict):
            nxt = obj[part] = {}
        obj = nxt
    obj[parts[-1]] = value


def _scale_of(info: ResourceInfo, obj: Obj) -> Obj:
    spec_path, status_path, selector_path = _paths(info)
    meta = obj["metadata"]
    status: Obj = {"replicas": int(_dig(obj, status_path) or 0)}
    if selector_path:
        selector = _dig(obj, selector_path)
        if selector:
            status["selector"] = selector
    elif isinstance(_dig(obj, "spec.selector"), dict):
        status["selector"] = str(label_selector_from_dict(_dig(obj, "spec.selector")))
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": int(_dig(obj, spec_path) or 0)},
        "status": status,
    }


async def _scale(
    h: ResourceHandlers, request: Request, info: ResourceInfo, namespace: str, name: str
) -> Response:
    current = await h.resources.read(info, namespace, name)
    if request.method == "GET":
        return codec.json_response(_scale_of(info, current))
    scale = _scale_of(info, current)
    if request.method == "PUT":
        body = codec.decode_body(await codec.read_body(request), request.headers.get("Content-Type"))
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request must be a Scale object")
        new_scale = body
    elif request.method == "PATCH":
        content_type, patch = await h.read_patch(request)
        try:
            if content_type == "application/json-patch+json":
                new_scale = apply_json_patch(scale, patch)
            elif content_type == APPLY_PATCH:
                new_scale = apply_merge_patch(scale, patch)
            else:  # merge and strategic patches are the same on a Scale
                new_scale = apply_merge_patch(scale, patch)
        except PatchError as e:
            raise errors.APIError(e.code, "BadRequest" if e.code == 400 else "Invalid", e.message) from e
    else:
        raise errors.method_not_allowed()
    replicas = (new_scale.get("spec") or {}).get("replicas") if isinstance(new_scale, dict) else None
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise errors.invalid_object(
            "Scale",
            name,
            [errors.invalid("spec.replicas", replicas, "must be greater than or equal to 0")],
            "autoscaling",
        )
    rv = (new_scale.get("metadata") or {}).get("resourceVersion")
    if rv and rv != current["metadata"]["resourceVersion"]:
        raise errors.stale_update(info.resource, name, info.group)
    updated = clone(current)
    _set(updated, _paths(info)[0], replicas)
    obj = await h.resources.update(info, namespace, name, updated, h._write_options(request))
    return codec.json_response(_scale_of(info, obj))


# ---------------------------------------------------------------------- pods
async def _binding(
    h: ResourceHandlers, request: Request, info: ResourceInfo, namespace: str, name: str
) -> Response:
    body = codec.decode_body(await codec.read_body(request), request.headers.get("Content-Type"))
    target = (body.get("target") or {}) if isinstance(body, dict) else {}
    node = target.get("name")
    if not node:
        raise errors.invalid_object("Binding", name, [errors.required("target.name")])
    pod = h.resources.get(info, namespace, name)
    if pod["metadata"].get("deletionTimestamp"):
        raise errors.conflict("pods", name, "pod is being deleted, cannot be assigned to a host")
    current = (pod.get("spec") or {}).get("nodeName")
    if current:
        raise errors.conflict("pods", name, f'pod {name} is already assigned to node "{current}"')
    new = clone(pod)
    new["spec"]["nodeName"] = node
    conditions = [
        c for c in (new.setdefault("status", {}).get("conditions") or []) if c.get("type") != "PodScheduled"
    ]
    conditions.append(
        {
            "type": "PodScheduled",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": rfc3339(now()),
        }
    )
    new["status"]["conditions"] = conditions
    await h.resources.update(
        info, namespace, name, new, WriteOptions(manager="kube-scheduler", subresource="binding")
    )
    return codec.json_response(codec.success_status(), 201)


def _pdbs_blocking(h: ResourceHandlers, pod: Obj) -> Obj | None:
    labels = pod["metadata"].get("labels") or {}
    for e in h.store.list("policy/poddisruptionbudgets", pod["metadata"]["namespace"]):
        selector = (e.obj.get("spec") or {}).get("selector")
        if selector is None or not label_selector_from_dict(selector).matches(labels):
            continue
        status = e.obj.get("status") or {}
        if int(status.get("disruptionsAllowed") or 0) <= 0:
            return e.obj
    return None


async def _eviction(
    h: ResourceHandlers, request: Request, info: ResourceInfo, namespace: str, name: str
) -> Response:
    raw = await codec.read_body(request)
    body = codec.decode_body(raw, request.headers.get("Content-Type")) if raw.strip() else {}
    if not isinstance(body, dict):
        raise errors.bad_request("the body of the request must be an Eviction object")
    pod = h.resources.get(info, namespace, name)
    terminal = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
    if not terminal and not pod["metadata"].get("deletionTimestamp"):
        blocking = _pdbs_blocking(h, pod)
        if blocking is not None:
            raise errors.APIError(
                429,
                "TooManyRequests",
                "Cannot evict pod as it would violate the pod's disruption budget.",
                {
                    "causes": [
                        {
                            "reason": "DisruptionBudget",
                            "message": "The disruption budget "
                            f"{blocking['metadata']['name']} needs "
                            f"{(blocking.get('status') or {}).get('desiredHealthy', 0)} healthy pods and has "
                            f"{(blocking.get('status') or {}).get('currentHealthy', 0)} currently",
                        }
                    ]
                },
            )
    options = DeleteOptions.from_body(body.get("deleteOptions"))
    admission = h.resources.admission
    if admission is not None:
        eviction = {"apiVersion": "policy/v1", "kind": "Eviction", **body}
        eviction.setdefault("metadata", {}).update(name=name, namespace=namespace)
        opts = WriteOptions(manager=codec.field_manager(request), dry_run=options.dry_run)
        review = AdmissionRequest(
            "CREATE",
            info,
            namespace,
            name,
            eviction,
            None,
            opts,
            subresource="eviction",
            kind=("policy", "v1", "Eviction"),
        )
        await admission.validate(review)
    await h.resources.delete(info, namespace, name, options, admitted=True)
    return codec.json_response(codec.success_status(), 201)


# ---------------------------------------------------------------------- namespaces
async def _finalize(h: ResourceHandlers, request: Request, info: ResourceInfo, name: str) -> Response:
    body = codec.decode_body(await codec.read_body(request), request.headers.get("Content-Type"))
    ns = h.resources.get(info, "", name)
    finalizers = ((body.get("spec") or {}).get("finalizers") if isinstance(body, dict) else None) or []
    new = clone(ns)
    new.setdefault("spec", {})["finalizers"] = finalizers
    obj = await h.resources.update(info, "", name, new, WriteOptions(manager="namespace-controller"))
    return codec.json_response(obj)
