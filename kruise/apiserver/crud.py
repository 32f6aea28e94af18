"""Create, update, patch and delete with Kubernetes semantics, independent of HTTP.

The REST handlers, subresources and the server's own lifecycle tasks (namespace and CRD cleanup)
all write through `Resources`, so every write gets the same defaulting, validation, metadata
bookkeeping, status-subresource separation, managedFields tracking and finalizer handling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from . import errors, resize
from .apply import ApplyConflict, server_side_apply, track_update
from .builtin_types import schema_for_builtin
from .defaults import ServiceIPs, apply_builtin_defaults, default_service
from .errors import APIError, FieldError
from .meta import clone, generate_name, new_uid, now, now_rfc3339, rfc3339, spec_part, without_volatile_meta
from .patch import PatchError, apply_json_patch, apply_merge_patch, apply_strategic_merge_patch
from .registry import Registry, ResourceInfo
from .schema import apply_defaults as schema_defaults
from .schema import prune as schema_prune
from .schema import validate as schema_validate
from .storage import ADDED, MODIFIED
from .store import Store
from .typemeta import UNKNOWN, SchemaNode, from_openapi_v3
from .validation import crd as crd_validation
from .validation import meta as meta_validation
from .validation import pod as pod_validation
from .validation.core import (
    validate_configmap,
    validate_configmap_update,
    validate_namespace,
    validate_node,
    validate_secret,
    validate_secret_update,
    validate_service,
)

Obj = dict[str, Any]

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH)

# metadata the server owns: never taken from a client on create or update
_SERVER_META = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "selfLink",
)
_NAMESPACE_FINALIZER = "kubernetes"
_IDENTITY_META = ("name", "namespace", "uid", "resourceVersion")
# Metadata a pods/status write may change, as kube's pod status strategy (which resets only spec,
# deletionTimestamp and ownerReferences): kubelets and kruise-daemon report through it.
_POD_STATUS_META = ("labels", "annotations", "finalizers")
CRD_CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
# how often a read-modify-write is retried when the object changes while webhooks are awaited
_UPDATE_RETRIES = 5


@dataclass
class WriteOptions:
    manager: str = ""
    dry_run: bool = False
    subresource: str = ""
    force: bool = False


@dataclass
class DeleteOptions:
    grace_period: int | None = None
    propagation: str | None = None
    precondition_uid: str | None = None
    precondition_rv: str | None = None
    dry_run: bool = False

    @classmethod
    def from_body(
        cls,
        body: Obj | None,
        query_grace: str | None = None,
        query_propagation: str | None = None,
        dry_run: bool = False,
    ) -> DeleteOptions:
        body = body or {}
        grace = body.get("gracePeriodSeconds")
        if grace is None and query_grace not in (None, ""):
            try:
                grace = int(query_grace)  # type: ignore[arg-type]
            except ValueError as e:
                raise errors.bad_request(f"invalid gracePeriodSeconds: {query_grace!r}") from e
        if grace is not None and not isinstance(grace, int):
            raise errors.bad_request("gracePeriodSeconds must be an integer")
        prop = body.get("propagationPolicy") or query_propagation
        if body.get("orphanDependents") is True and prop is None:
            prop = "Orphan"
        if prop not in (None, "Background", "Foreground", "Orphan"):
            raise errors.invalid_object(
                "DeleteOptions",
                "",
                [
                    errors.not_supported(
                        "propagationPolicy", prop, ["Foreground", "Background", "Orphan", "nil"]
                    )
                ],
            )
        pre = body.get("preconditions") or {}
        return cls(
            grace,
            prop,
            pre.get("uid"),
            pre.get("resourceVersion"),
            dry_run or "All" in (body.get("dryRun") or []),
        )


@dataclass
class AdmissionRequest:
    """What admission sees of one write (the fields of an AdmissionReview request)."""

    operation: str  # CREATE, UPDATE, DELETE
    info: ResourceInfo
    namespace: str
    name: str
    obj: Obj | None
    old: Obj | None
    opts: WriteOptions
    subresource: str | None = None  # None: opts.subresource
    # (group, version, kind) of `obj` when a subresource takes another kind (Eviction, Scale, Binding)
    kind: tuple[str, str, str] | None = None
    delete_options: DeleteOptions | None = None
    user_info: Obj | None = None  # authentication/v1 UserInfo of the requester; None: from the context
    warnings: list[str] = field(default_factory=list)  # webhooks' warnings, for Warning headers


class Admission(Protocol):
    """The admission chain (mutating then validating webhooks) a write passes through."""

    async def mutate(self, request: AdmissionRequest) -> Obj: ...

    async def validate(self, request: AdmissionRequest) -> None: ...


class Conversion(Protocol):
    """Custom resource version conversion (conversion.Converter)."""

    async def convert(
        self, crd: Obj | None, objs: list[Obj], api_version: str, *, writing: bool
    ) -> list[Obj]: ...


class Resources:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        admission: Admission | None = None,
        converter: Conversion | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.admission = admission
        self.converter = converter
        self.service_ips = ServiceIPs(self._service_ips_in_use)

    # ------------------------------------------------------------------ reads
    def get(self, info: ResourceInfo, namespace: str, name: str) -> Obj:
        entry = self.store.get(info.storage_key, namespace, name)
        if entry is None:
            raise errors.not_found(info.resource, name, info.group)
        return entry.obj

    def find(self, info: ResourceInfo, namespace: str, name: str) -> Obj | None:
        entry = self.store.get(info.storage_key, namespace, name)
        return entry.obj if entry else None

    async def read(self, info: ResourceInfo, namespace: str, name: str) -> Obj:
        """The object as served in the request's version (custom resources are converted)."""
        return (await self.in_version(info, [self.get(info, namespace, name)]))[0]

    async def in_version(
        self, info: ResourceInfo, objs: list[Obj], api_version: str = "", *, writing: bool = False
    ) -> list[Obj]:
        """Objects in `api_version` (default: the request's); built-in kinds have one version."""
        target = api_version or info.api_version
        if not info.is_custom or all(o.get("apiVersion") == target for o in objs):
            return objs
        if self.converter is None:
            return [o if o.get("apiVersion") == target else {**o, "apiVersion": target} for o in objs]
        return await self.converter.convert(info.crd, objs, target, writing=writing)

    async def _to_storage(self, info: ResourceInfo, obj: Obj) -> Obj:
        return (await self.in_version(info, [obj], info.storage_api_version, writing=True))[0]

    # ------------------------------------------------------------------ create
    async def create(
        self,
        info: ResourceInfo,
        namespace: str,
        obj: Obj,
        opts: WriteOptions,
        managed_fields: list[Obj] | None = None,
    ) -> Obj:
        obj = self._check_identity(info, namespace, obj)
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = generate_name(str(meta["generateName"]))
        name = meta.get("name") or ""
        self._check_namespace_open(info, namespace, name)
        for k in _SERVER_META:
            meta.pop(k, None)
        meta.pop("resourceVersion", None)
        if info.subresources and "status" in info.subresources:
            self._reset_status_on_create(info, obj)
        self._default(info, obj)
        if self.admission is not None:
            mutated = await self.admission.mutate(
                AdmissionRequest("CREATE", info, namespace, name, obj, None, opts)
            )
            if mutated is not obj:  # a webhook patched it (patches make new objects)
                obj = self._check_identity(info, namespace, mutated)
                self._default(info, obj)
                meta = obj["metadata"]
        errs = self._validate_create(info, obj)
        if errs:
            raise errors.invalid_object(info.kind, name, errs, info.group)
        if self.admission is not None:
            await self.admission.validate(AdmissionRequest("CREATE", info, namespace, name, obj, None, opts))
            self._check_namespace_open(info, namespace, name)  # it may have changed while we waited
        if self.store.get(info.storage_key, namespace, name) is not None:
            raise errors.already_exists(info.resource, name, info.group)
        meta["uid"] = new_uid()
        meta["creationTimestamp"] = now_rfc3339()
        if info.has_generation:
            meta["generation"] = 1
        if managed_fields is not None:
            meta["managedFields"] = managed_fields
        else:
            self._track(info, None, obj, opts)
        self._before_create(info, obj)
        if opts.dry_run:
            return obj
        obj = await self._to_storage(info, obj)
        if self.store.get(info.storage_key, namespace, name) is not None:  # created while converting
            raise errors.already_exists(info.resource, name, info.group)
        entry = self.store.write(info.storage_key, ADDED, obj)
        await self.store.durable()
        return entry.obj

    # ------------------------------------------------------------------ update
    async def update(
        self,
        info: ResourceInfo,
        namespace: str,
        name: str,
        obj: Obj,
        opts: WriteOptions,
    ) -> Obj:
        """Replace an object (PUT). A resourceVersion in `obj` makes it conditional."""
        obj = self._check_identity(info, namespace, obj)
        body_name = obj["metadata"].get("name")
        if body_name and body_name != name:
            raise errors.bad_request(
                f"the name of the object ({body_name}) does not match the name on the URL ({name})"
            )
        obj["metadata"]["name"] = name
        return await self.update_with(info, namespace, name, lambda _current: clone(obj), opts)

    async def update_with(
        self,
        info: ResourceInfo,
        namespace: str,
        name: str,
        transform: Callable[[Obj], Obj],
        opts: WriteOptions,
        track_fields: bool = True,
    ) -> Obj:
        """Read-modify-write: `transform(current)` gives the desired object. When admission webhooks
        are awaited and the object changes meanwhile, the transform is re-run on the fresh object."""
        for _attempt in range(_UPDATE_RETRIES):
            stored = self.get(info, namespace, name)
            # the request works on the object in its own version; storage keeps the storage version
            old = (await self.in_version(info, [stored], writing=True))[0]
            obj = self._check_identity(info, namespace, transform(old))
            obj["metadata"]["name"] = name
            rv = obj["metadata"].get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise errors.stale_update(info.resource, name, info.group)
            new = self._prepare_update(info, obj, old, opts.subresource)
            if opts.subresource != "status":
                self._default(info, new)
            if self.admission is not None:
                mutated = await self.admission.mutate(
                    AdmissionRequest("UPDATE", info, namespace, name, new, old, opts)
                )
                if mutated is not new:  # a webhook patched it (patches make new objects)
                    new = self._prepare_update(
                        info, self._check_identity(info, namespace, mutated), old, opts.subresource
                    )
                    if opts.subresource != "status":
                        self._default(info, new)
            errs = self._validate_update(info, new, old, opts.subresource)
            if errs:
                raise errors.invalid_object(info.kind, name, errs, info.group)
            if info.has_generation and spec_part(new) != spec_part(old):
                new["metadata"]["generation"] = int(old["metadata"].get("generation") or 1) + 1
            if without_volatile_meta(new) == without_volatile_meta(old):
                # a no-op write is not persisted and keeps the resourceVersion, as kube-apiserver does
                return old
            if track_fields:
                self._track(info, old, new, opts)
            self._before_update(info, new, old)
            if self.admission is not None:
                await self.admission.validate(
                    AdmissionRequest("UPDATE", info, namespace, name, new, old, opts)
                )
                if self._changed_since(info, namespace, name, old):
                    continue
            if opts.dry_run:
                return new
            new = await self._to_storage(info, new)
            if self._changed_since(info, namespace, name, old):
                continue  # changed while the conversion webhook was called
            if self._ready_to_vanish(new):
                entry = self.store.delete(info.storage_key, new)
            else:
                entry = self.store.write(info.storage_key, MODIFIED, new, prev=stored)
            await self.store.durable()
            return entry.obj
        raise errors.conflict(
            info.resource, name, "the object kept changing while admission webhooks ran", info.group
        )

    def _changed_since(self, info: ResourceInfo, namespace: str, name: str, old: Obj) -> bool:
        current = self.store.get(info.storage_key, namespace, name)
        if current is None:
            raise errors.not_found(info.resource, name, info.group)
        return current.obj["metadata"]["resourceVersion"] != old["metadata"]["resourceVersion"]

    # ------------------------------------------------------------------ patch
    async def patch(
        self, info: ResourceInfo, namespace: str, name: str, content_type: str, body: Any, opts: WriteOptions
    ) -> tuple[Obj, bool]:
        """Apply a patch; returns (object, created)."""
        if content_type == APPLY_PATCH:
            return await self._server_side_apply(info, namespace, name, body, opts)
        if content_type == STRATEGIC_PATCH:
            if info.is_custom:
                raise APIError(
                    415,
                    "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types "
                    "include: application/json-patch+json, application/merge-patch+json, "
                    "application/apply-patch+yaml",
                )
            if not isinstance(body, dict):
                raise errors.bad_request("strategic merge patch must be a JSON object")
        elif content_type not in (JSON_PATCH, MERGE_PATCH):
            raise errors.unsupported_media_type(content_type)
        obj = await self.update_with(
            info,
            namespace,
            name,
            lambda old: self._patched(info, old, content_type, body, opts.subresource),
            opts,
        )
        return obj, False

    def _patched(self, info: ResourceInfo, old: Obj, content_type: str, body: Any, subresource: str) -> Obj:
        # the three patch functions copy what they keep and never mutate their input
        current = {**old, "apiVersion": info.api_version}
        if subresource == "status" and content_type != JSON_PATCH:
            # Only the patched status is kept, and the identity and resourceVersion read: spare
            # copying and merging the rest, which a merge patch cannot fail on (a JSON patch can,
            # so it sees everything).
            meta = old["metadata"]
            kept = _IDENTITY_META + _POD_STATUS_META if info.storage_key == "/pods" else _IDENTITY_META
            current = {
                "apiVersion": info.api_version,
                "kind": old.get("kind"),
                "metadata": {k: meta[k] for k in kept if k in meta},
                "status": old.get("status") or {},
            }
        try:
            if content_type == JSON_PATCH:
                patched = apply_json_patch(current, body)
            elif content_type == MERGE_PATCH:
                patched = apply_merge_patch(current, body)
            else:
                patched = apply_strategic_merge_patch(current, body, self.type_schema(info))
        except PatchError as e:
            raise APIError(e.code, "BadRequest" if e.code == 400 else "Invalid", e.message) from e
        if not isinstance(patched, dict):
            raise errors.bad_request("the patch must produce a JSON object")
        patched.setdefault("metadata", {})
        if not isinstance(patched["metadata"], dict):
            raise errors.bad_request("metadata must be an object")
        return patched

    async def _server_side_apply(
        self, info: ResourceInfo, namespace: str, name: str, applied: Any, opts: WriteOptions
    ) -> tuple[Obj, bool]:
        if not isinstance(applied, dict):
            raise errors.bad_request("the applied configuration must be a YAML or JSON object")
        if not opts.manager:
            raise errors.bad_request(
                "PATCH, application/apply-patch+yaml requests require fieldManager to be set"
            )
        meta = applied.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if meta.get("name") not in (None, name):
            raise errors.bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
            )
        meta["name"] = name
        if info.namespaced:
            meta.setdefault("namespace", namespace)
        live = self.find(info, namespace, name)
        if live is None:
            merged = self._apply_merge(info, None, applied, opts)
            managed = merged["metadata"].get("managedFields")
            return await self.create(info, namespace, merged, opts, managed_fields=managed), True

        def transform(current: Obj) -> Obj:
            merged = self._apply_merge(info, current, applied, opts)
            merged["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            return merged

        return await self.update_with(info, namespace, name, transform, opts, track_fields=False), False

    def _apply_merge(self, info: ResourceInfo, live: Obj | None, applied: Obj, opts: WriteOptions) -> Obj:
        if live is not None:
            live = clone(live)
            live["apiVersion"] = info.api_version
        try:
            return server_side_apply(
                live,
                applied,
                self.type_schema(info),
                manager=opts.manager,
                force=opts.force,
                now=now_rfc3339(),
                api_version=info.api_version,
                subresource=opts.subresource,
            )
        except ApplyConflict as e:
            raise APIError(409, "Conflict", e.message(), {"causes": e.causes()}) from e
        except ValueError as e:
            raise errors.bad_request(str(e)) from e

    # ------------------------------------------------------------------ delete
    async def delete(
        self, info: ResourceInfo, namespace: str, name: str, options: DeleteOptions, *, admitted: bool = False
    ) -> tuple[Obj, bool]:
        """Delete or begin graceful deletion; returns (object, gone). `admitted`: the request was
        already admitted as something else (an eviction is a CREATE of pods/eviction)."""
        for _attempt in range(_UPDATE_RETRIES):
            old = self.get(info, namespace, name)
            if self.admission is not None and not admitted:
                await self.admission.validate(
                    AdmissionRequest(
                        "DELETE",
                        info,
                        namespace,
                        name,
                        None,
                        (await self.in_version(info, [old], writing=True))[0],
                        WriteOptions(dry_run=options.dry_run),
                        delete_options=options,
                    )
                )
                if self._changed_since(info, namespace, name, old):
                    continue
            result = self._delete_now(info, namespace, name, old, options)
            await self.store.durable()
            return result
        raise errors.conflict(
            info.resource, name, "the object kept changing while admission webhooks ran", info.group
        )

    def _delete_now(
        self, info: ResourceInfo, namespace: str, name: str, old: Obj, options: DeleteOptions
    ) -> tuple[Obj, bool]:
        meta = old["metadata"]
        if options.precondition_uid and options.precondition_uid != meta.get("uid"):
            raise errors.conflict(
                info.resource,
                name,
                "Precondition failed: UID in precondition: "
                f"{options.precondition_uid}, UID in object meta: {meta.get('uid')}",
                info.group,
            )
        if options.precondition_rv and options.precondition_rv != meta.get("resourceVersion"):
            raise errors.conflict(
                info.resource,
                name,
                "Precondition failed: ResourceVersion in precondition: "
                f"{options.precondition_rv}, ResourceVersion in object meta: "
                f"{meta.get('resourceVersion')}",
                info.group,
            )
        new = clone(old)
        nmeta = new["metadata"]
        finalizers = list(nmeta.get("finalizers") or [])
        if options.propagation == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        elif options.propagation == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        if info.storage_key == "/namespaces":
            return self._begin_namespace_deletion(info, old, new, options)
        if (
            info.storage_key == "apiextensions.k8s.io/customresourcedefinitions"
            and CRD_CLEANUP_FINALIZER not in finalizers
        ):
            finalizers.append(CRD_CLEANUP_FINALIZER)
        grace = self._grace_period(info, old, options.grace_period)
        if nmeta.get("deletionTimestamp"):
            # already terminating: a shorter grace period may bring the deadline forward
            current = int(nmeta.get("deletionGracePeriodSeconds") or 0)
            if grace >= current and finalizers == list(meta.get("finalizers") or []):
                return old, False
            grace = min(grace, current)
        if finalizers:
            nmeta["finalizers"] = finalizers
        if grace == 0 and not finalizers:
            if options.dry_run:
                return new, True
            return self.store.delete(info.storage_key, new).obj, True
        deadline = now() + timedelta(seconds=grace)
        nmeta["deletionTimestamp"] = rfc3339(deadline)
        nmeta["deletionGracePeriodSeconds"] = grace
        if info.has_generation and not meta.get("deletionTimestamp"):
            nmeta["generation"] = int(meta.get("generation") or 1) + 1
        if options.dry_run:
            return new, False
        return self.store.write(info.storage_key, MODIFIED, new, prev=old).obj, False

    def _begin_namespace_deletion(
        self, info: ResourceInfo, old: Obj, new: Obj, options: DeleteOptions
    ) -> tuple[Obj, bool]:
        if old["metadata"].get("deletionTimestamp"):
            return old, False
        new["metadata"]["deletionTimestamp"] = now_rfc3339()
        new["metadata"]["deletionGracePeriodSeconds"] = 0
        new.setdefault("status", {})["phase"] = "Terminating"
        if options.dry_run:
            return new, False
        return self.store.write(info.storage_key, MODIFIED, new, prev=old).obj, False

    def _grace_period(self, info: ResourceInfo, obj: Obj, requested: int | None) -> int:
        if info.storage_key != "/pods":
            return 0
        spec = obj.get("spec") or {}
        if not spec.get("nodeName"):
            return 0  # never scheduled: nothing to stop
        if (obj.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return 0
        if requested is None:
            requested = spec.get("terminationGracePeriodSeconds", 30)
        return max(0, int(requested))

    # ------------------------------------------------------------------ helpers
    def type_schema(self, info: ResourceInfo) -> SchemaNode:
        if info.is_custom:
            schema = info.openapi_schema()
            return from_openapi_v3(schema) if schema else UNKNOWN
        return schema_for_builtin(info.group, info.kind) or UNKNOWN

    def _check_identity(self, info: ResourceInfo, namespace: str, obj: Any) -> Obj:
        if not isinstance(obj, dict):
            raise errors.bad_request(f"the body of the request must be a {info.kind} object")
        api_version = obj.get("apiVersion")
        kind = obj.get("kind")
        if api_version and api_version != info.api_version:
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected "
                f"API version ({info.api_version})"
            )
        if kind and kind != info.kind:
            raise errors.bad_request(
                f"the kind in the data ({kind}) does not match the expected kind ({info.kind})"
            )
        # the request's version until the write converts it to the CRD's storage version
        obj["apiVersion"] = info.api_version
        obj["kind"] = info.kind
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if info.namespaced:
            body_ns = meta.get("namespace")
            if body_ns and body_ns != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        return obj

    def _check_namespace_open(self, info: ResourceInfo, namespace: str, name: str) -> None:
        if not info.namespaced:
            return
        ns = self.store.get("/namespaces", "", namespace)
        if ns is None:
            raise errors.not_found("namespaces", namespace)
        if ns.obj["metadata"].get("deletionTimestamp"):
            qualified = f"{info.resource}.{info.group}" if info.group else info.resource
            raise APIError(
                403,
                "Forbidden",
                f'{qualified} "{name}" is forbidden: unable to create new content in namespace {namespace} '
                "because it is being terminated",
                {
                    "name": name,
                    "group": info.group,
                    "kind": info.resource,
                    "causes": [
                        {
                            "reason": "NamespaceTerminating",
                            "message": f"namespace {namespace} is being terminated",
                            "field": "metadata.namespace",
                        }
                    ],
                },
            )

    def _reset_status_on_create(self, info: ResourceInfo, obj: Obj) -> None:
        if info.storage_key == "/pods":
            obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj.get("spec") or {})}
        elif info.storage_key in ("/namespaces", "/persistentvolumeclaims", "/persistentvolumes", "/nodes"):
            return  # kept as sent (nodes register with their status) or defaulted below
        else:
            obj.pop("status", None)

    def _default(self, info: ResourceInfo, obj: Obj) -> None:
        if info.is_custom:
            schema = info.openapi_schema()
            if schema:
                schema_prune(obj, schema)
                schema_defaults(obj, schema)
            return
        apply_builtin_defaults(info.group, info.resource, obj)
        if info.storage_key == "/services":
            default_service(obj, self.service_ips)

    def _validate_create(self, info: ResourceInfo, obj: Obj) -> list[FieldError]:
        errs = meta_validation.validate_object_meta(
            obj["metadata"],
            namespaced=info.namespaced,
            name_rule=meta_validation.name_rule_for(info.group, info.resource),
        )
        errs += self._validate_kind(info, obj)
        if info.storage_key == "/pods":
            errs += pod_validation.validate_pod_create(obj)
        return errs

    def _validate_kind(self, info: ResourceInfo, obj: Obj) -> list[FieldError]:
        if info.is_custom:
            schema = info.openapi_schema()
            return schema_validate(obj, schema) if schema else []
        check = _KIND_VALIDATORS.get(info.storage_key)
        return check(obj) if check else []

    def _validate_update(self, info: ResourceInfo, new: Obj, old: Obj, subresource: str) -> list[FieldError]:
        errs = meta_validation.validate_object_meta(
            new["metadata"],
            namespaced=info.namespaced,
            name_rule=meta_validation.name_rule_for(info.group, info.resource),
        )
        errs += meta_validation.validate_object_meta_update(new["metadata"], old["metadata"])
        errs += self._validate_kind(info, new)
        if info.storage_key == "/pods":
            if subresource == "status":
                errs += pod_validation.validate_pod_status_update(new, old)
            elif subresource == resize.RESIZE:
                errs += resize.validate_resize(new, old)
            elif subresource != "binding":
                errs += pod_validation.validate_pod_update(new, old)
        elif info.storage_key == "apiextensions.k8s.io/customresourcedefinitions" and subresource != "status":
            errs += crd_validation.validate_crd_update(new, old)
        elif info.storage_key == "/configmaps":
            errs += validate_configmap_update(new, old)
        elif info.storage_key == "/secrets":
            errs += validate_secret_update(new, old)
        return errs

    def _prepare_update(self, info: ResourceInfo, obj: Obj, old: Obj, subresource: str) -> Obj:
        if subresource == "status":
            # Only top-level metadata keys are written from here on (managedFields is replaced,
            # resourceVersion set), so everything else may be shared with the stored revision:
            # stored objects are never mutated.
            new = {**old, "metadata": {**old["metadata"]}}
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
            if info.storage_key == "/pods":
                sent = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
                for key in _POD_STATUS_META:
                    if key in sent:
                        new["metadata"][key] = sent[key]
                    else:
                        new["metadata"].pop(key, None)
            return new
        if subresource == resize.RESIZE:
            obj = resize.prepare_resize(obj, old)
        new = obj
        meta = new["metadata"]
        for k in _SERVER_META:
            if k in old["metadata"]:
                meta[k] = old["metadata"][k]
            else:
                meta.pop(k, None)
        if "status" in info.subresources and subresource == "":
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        if info.storage_key == "/namespaces":
            new["status"] = old.get("status", {})
        if info.storage_key == "/pods" and subresource == "":
            # spec.nodeName is set only through the binding subresource
            new_spec = new.get("spec")
            if isinstance(new_spec, dict):
                node = (old.get("spec") or {}).get("nodeName")
                if node:
                    new_spec["nodeName"] = node
        return new

    def _track(self, info: ResourceInfo, old: Obj | None, new: Obj, opts: WriteOptions) -> None:
        managed = track_update(
            old,
            new,
            self.type_schema(info),
            manager=opts.manager or "unknown",
            now=now_rfc3339(),
            api_version=info.api_version,
            subresource=opts.subresource if opts.subresource in ("status", resize.RESIZE) else "",
        )
        if managed:
            new["metadata"]["managedFields"] = managed
        else:
            new["metadata"].pop("managedFields", None)

    def _ready_to_vanish(self, obj: Obj) -> bool:
        meta = obj["metadata"]
        return (
            bool(meta.get("deletionTimestamp"))
            and not meta.get("finalizers")
            and not meta.get("deletionGracePeriodSeconds")
            # a namespace is also held by spec.finalizers until its contents are gone
            and not (obj.get("kind") == "Namespace" and (obj.get("spec") or {}).get("finalizers"))
        )

    def _before_create(self, info: ResourceInfo, obj: Obj) -> None:
        if info.storage_key == "apiextensions.k8s.io/customresourcedefinitions":
            _establish_crd(obj)

    def _before_update(self, info: ResourceInfo, new: Obj, old: Obj) -> None:
        if info.storage_key == "apiextensions.k8s.io/customresourcedefinitions":
            _establish_crd(new)

    def _service_ips_in_use(self) -> set[str]:
        return {(e.obj.get("spec") or {}).get("clusterIP", "") for e in self.store.list("/services")}


def qos_class(spec: Obj) -> str:
    requests_all, limits_all, any_set = True, True, False
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        res = (c.get("resources") or {}) if isinstance(c, dict) else {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in lim:
                limits_all = False
            if req.get(r, lim.get(r)) != lim.get(r):
                requests_all = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if limits_all and requests_all else "Burstable"


def _establish_crd(crd: Obj) -> None:
    """The API server serves a CRD as soon as it is stored, so it is at once Established. Spec and
    status are copied before they change: they may be shared with the stored revision."""
    spec = crd["spec"] = dict(crd.get("spec") or {})
    names = dict(spec.get("names") or {})
    if names.get("kind") and not names.get("listKind"):
        names["listKind"] = names["kind"] + "List"
    if names.get("kind") and not names.get("singular"):
        names["singular"] = names["kind"].lower()
    spec["names"] = names
    stamp = now_rfc3339()
    status = crd["status"] = dict(crd.get("status") or {})
    status["acceptedNames"] = names
    stored = list(status.get("storedVersions") or [])
    for v in spec.get("versions") or []:
        if v.get("storage") and v.get("name") not in stored:
            stored.append(v["name"])
    status["storedVersions"] = stored
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    for ctype, reason, message in (
        ("NamesAccepted", "NoConflicts", "no conflicts found"),
        ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
    ):
        if ctype not in conditions:
            conditions[ctype] = {
                "type": ctype,
                "status": "True",
                "lastTransitionTime": stamp,
                "reason": reason,
                "message": message,
            }
    status["conditions"] = list(conditions.values())


_KIND_VALIDATORS = {
    "/namespaces": validate_namespace,
    "/services": validate_service,
    "/configmaps": validate_configmap,
    "/secrets": validate_secret,
    "/nodes": validate_node,
    "apiextensions.k8s.io/customresourcedefinitions": crd_validation.validate_crd,
}
