"""The admission chain of the API server: registered mutating, then validating, webhooks.

Behaviour follows kube-apiserver's webhook admission plugin: configurations sorted by name, webhooks
in order; mutating webhooks one after another, each seeing the previous one's patch; validating
webhooks concurrently, the first rejection (in webhook order) winning; failurePolicy deciding
what a failed call means; dry-run requests refused for webhooks with side effects.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import APIError
from ..patch import PatchError, apply_json_patch
from ..registry import Registry
from ..store import Store
from .config import MUTATING_KEY, VALIDATING_KEY, Webhook, parse_configurations
from .context import ANONYMOUS, scope_user, scope_warnings
from .match import GVK, GVR, Attributes, Invocation, internal_error, is_exempt, rule_names, should_call
from .review import (
    CallError,
    Verdict,
    as_version,
    build_review,
    decode_patch,
    denial,
    parse_response,
    review_version,
    verify_response,
)
from .transport import Transport

if TYPE_CHECKING:
    from ..crud import AdmissionRequest, Conversion

Obj = dict[str, Any]

log = logging.getLogger("kruise.apiserver.admission")

_BINDING = GVK("", "v1", "Binding")


@dataclass
class _Call:
    """What every webhook call of one request shares."""

    request: AdmissionRequest
    user_info: Obj
    options: Obj
    equivalents: Callable[[], list[tuple[GVR, GVK]]]  # computed once, only if a webhook needs them

    def warn(self, warnings: list[str]) -> None:
        self.request.warnings.extend(warnings)
        sink = scope_warnings()
        if sink is not None and sink is not self.request.warnings:
            sink.extend(warnings)


class WebhookAdmission:
    """crud.Admission backed by the Mutating/ValidatingWebhookConfigurations in the store."""

    def __init__(self, store: Store, registry: Registry) -> None:
        self.store = store
        self.registry = registry
        self.transport = Transport(store)
        # custom resources matched through an equivalent version are converted for the webhook
        self.converter: Conversion | None = None
        self._parsed: dict[str, tuple[tuple[int, ...], list[Webhook]]] = {}
        # (id of a parsed hook list, operation, resource, subresource) -> may any rule select it
        self._relevant: dict[tuple[int, str, str, str], bool] = {}

    async def start(self) -> None:
        await self.transport.start()

    async def close(self) -> None:
        await self.transport.close()

    # ------------------------------------------------------------------ Admission
    async def mutate(self, request: AdmissionRequest) -> Obj:
        obj = request.obj
        assert obj is not None, "mutate() is for writes that carry an object"
        if request.kind is None:
            obj["apiVersion"] = request.info.api_version  # crud wants the object in the request's version
        hooks = self._webhooks(MUTATING_KEY, mutating=True)
        if not hooks:
            return obj
        if not self._may_call(hooks, request):
            return obj
        attrs = self._attributes(request)
        if is_exempt(attrs.kind):
            return obj
        attrs = await self._run_mutating(hooks, attrs, self._call(request, attrs))
        assert attrs.obj is not None
        if attrs.kind == _BINDING and request.kind is None:
            return _bound(obj, attrs.obj)
        return attrs.obj

    async def validate(self, request: AdmissionRequest) -> None:
        # crud does not call mutate() for DELETE; kube runs mutating webhooks there too (they may
        # deny or warn, not patch), so both phases run here
        mutating = self._webhooks(MUTATING_KEY, mutating=True) if request.operation == "DELETE" else []
        validating = self._webhooks(VALIDATING_KEY, mutating=False)
        mutating = mutating if self._may_call(mutating, request) else []
        validating = validating if self._may_call(validating, request) else []
        if not mutating and not validating:
            return
        attrs = self._attributes(request)
        if is_exempt(attrs.kind):
            return
        call = self._call(request, attrs)
        if mutating:
            await self._run_mutating(mutating, attrs, call)
        if validating:
            await self._run_validating(validating, attrs, call)

    # ------------------------------------------------------------------ phases
    async def _run_mutating(self, hooks: list[Webhook], attrs: Attributes, call: _Call) -> Attributes:
        for hook in hooks:
            invocation = should_call(hook, attrs, self._namespace_labels, call.equivalents)
            if invocation is None:
                continue
            try:
                patched = await self._invoke(invocation, attrs, call)
            except CallError as e:
                _raise_unless_ignored(hook, e)
                continue
            if patched is not None:
                attrs = replace(attrs, obj=patched)
        return attrs

    async def _run_validating(self, hooks: list[Webhook], attrs: Attributes, call: _Call) -> None:
        invocations = []
        for hook in hooks:
            invocation = should_call(hook, attrs, self._namespace_labels, call.equivalents)
            if invocation is not None:
                invocations.append(invocation)
        if not invocations:
            return
        outcomes = await asyncio.gather(*(self._validate_one(inv, attrs, call) for inv in invocations))
        for err in outcomes:
            if err is not None:
                raise err

    async def _validate_one(self, invocation: Invocation, attrs: Attributes, call: _Call) -> APIError | None:
        try:
            await self._invoke(invocation, attrs, call)
        except CallError as e:
            try:
                _raise_unless_ignored(invocation.webhook, e)
            except APIError as rejected:
                return rejected
        except APIError as e:
            return e
        return None

    # ------------------------------------------------------------------ one call
    async def _invoke(self, invocation: Invocation, attrs: Attributes, call: _Call) -> Obj | None:
        """Call one webhook. Returns the patched object (mutating webhooks that patched), else None.
        Raises CallError (subject to failurePolicy) or APIError (a rejection, whatever the policy)."""
        hook = invocation.webhook
        if attrs.dry_run:
            if hook.side_effects is None:
                raise CallError(hook.name, "Webhook SideEffects is nil")
            if hook.side_effects not in ("None", "NoneOnDryRun"):
                raise APIError(400, "BadRequest", f'admission webhook "{hook.name}" does not support dry run')
        version = review_version(hook.name, hook.review_versions)
        uid = str(uuid.uuid4())
        obj, old = await self._in_invocation_version(attrs, invocation)
        review = build_review(uid, version, invocation, attrs, call.user_info, call.options, obj, old)
        body = await self.transport.post(hook, review)
        verdict = verify_response(hook.name, version, uid, hook.mutating, parse_response(hook.name, body))
        call.warn(verdict.warnings)
        if not verdict.allowed:
            raise denial(hook.name, verdict.result)
        if not hook.mutating or not verdict.patch:
            return None
        patched = _patched(hook, verdict, obj, attrs, invocation)
        if patched is not None and invocation.kind != attrs.kind and invocation.kind.kind == attrs.kind.kind:
            # patched in the equivalent version: back to the request's version
            patched = {**patched, "apiVersion": invocation.kind.api_version}
            patched = (await self._convert(attrs, [patched], attrs.kind.api_version))[0]
        return patched

    async def _in_invocation_version(
        self, attrs: Attributes, invocation: Invocation
    ) -> tuple[Obj | None, Obj | None]:
        """The object and old object as the invocation's (possibly equivalent) version serves them."""
        obj, old = as_version(attrs.obj, attrs, invocation), as_version(attrs.old, attrs, invocation)
        if invocation.kind == attrs.kind or invocation.kind.kind != attrs.kind.kind:
            return obj, old
        present = [o for o in (attrs.obj, attrs.old) if o is not None]
        converted = iter(await self._convert(attrs, present, invocation.kind.api_version))
        return (
            next(converted) if attrs.obj is not None else None,
            next(converted) if attrs.old is not None else None,
        )

    async def _convert(self, attrs: Attributes, objs: list[Obj], api_version: str) -> list[Obj]:
        crd = self.registry.crd_for_storage_key(f"{attrs.resource.group}/{attrs.resource.resource}")
        if self.converter is None or crd is None:
            return [{**o, "apiVersion": api_version} for o in objs]
        return await self.converter.convert(crd, objs, api_version, writing=True)

    # ------------------------------------------------------------------ lookups
    def _webhooks(self, key: str, mutating: bool) -> list[Webhook]:
        entries = self.store.list(key)
        if not entries:
            return []
        signature = tuple(sorted(e.rv for e in entries))
        cached = self._parsed.get(key)
        if cached is not None and cached[0] == signature:
            return cached[1]
        hooks = parse_configurations((e.obj for e in entries), mutating)
        self._parsed[key] = (signature, hooks)
        self._relevant.clear()
        return hooks

    def _may_call(self, hooks: list[Webhook], request: AdmissionRequest) -> bool:
        """Whether any rule of `hooks` names the request's operation and resource (any group,
        version or scope: equivalent resources share the name), remembered per hook list. Most
        requests (status writes, bindings, events) match no rule and skip building attributes."""
        if not hooks:
            return False
        operation, subresource = _operation(request), _subresource(request)
        key = (id(hooks), operation, request.info.resource, subresource)
        known = self._relevant.get(key)
        if known is None:
            known = self._relevant[key] = any(
                rule_names(rule, operation, request.info.resource, subresource)
                for hook in hooks
                for rule in hook.rules
            )
        return known

    def _namespace_labels(self, name: str) -> dict[str, str] | None:
        entry = self.store.get("/namespaces", "", name)
        if entry is None:
            return None
        labels = (entry.obj.get("metadata") or {}).get("labels")
        return labels if isinstance(labels, dict) else {}

    def _equivalents(self, attrs: Attributes) -> list[tuple[GVR, GVK]]:
        """Other served versions of the request's resource (matchPolicy Equivalent), preferred first."""
        group, resource = attrs.resource.group, attrs.resource.resource
        found = []
        for info in self.registry.versions_of(group, resource):
            # a subresource body of another kind (Scale, Eviction) keeps its kind in every version
            own_kind = attrs.kind.kind == info.kind and attrs.kind.group == info.group
            kind = GVK(info.group, info.version, info.kind) if own_kind else attrs.kind
            found.append((GVR(group, info.version, resource), kind))
        return found

    def _attributes(self, request: AdmissionRequest) -> Attributes:
        info = request.info
        subresource = _subresource(request)
        own = GVK(info.group, info.version, info.kind)
        kind = GVK(*request.kind) if request.kind else own
        # kube puts a Namespace's own name in the namespace attribute of its requests
        is_namespace = (info.group, info.resource) == ("", "namespaces")
        attrs = Attributes(
            operation=request.operation,
            resource=GVR(info.group, info.version, info.resource),
            subresource=subresource,
            kind=kind,
            namespace=request.name if is_namespace else request.namespace,
            name=request.name,
            obj=_in_version(request.obj, kind, own),
            old=_in_version(request.old, kind, own),
            dry_run=request.opts.dry_run,
        )
        if _is_binding(request):
            attrs = _as_binding(attrs)
        return attrs

    def _call(self, request: AdmissionRequest, attrs: Attributes) -> _Call:
        user = request.user_info or scope_user() or ANONYMOUS
        equivalents = functools.cache(lambda: self._equivalents(attrs))
        return _Call(request, user, _options(request, attrs.operation), equivalents)


# ---------------------------------------------------------------------- helpers
def _subresource(request: AdmissionRequest) -> str:
    return (request.subresource if request.subresource is not None else request.opts.subresource) or ""


def _is_binding(request: AdmissionRequest) -> bool:
    # the server stores a binding as an update of the Pod; kube admits it as a CREATE of a Binding
    return _subresource(request) == "binding" and request.operation == "UPDATE" and request.kind is None


def _operation(request: AdmissionRequest) -> str:
    return "CREATE" if _is_binding(request) else request.operation


def _raise_unless_ignored(hook: Webhook, err: CallError) -> None:
    policy = "Ignore" if hook.ignores_failures else "Fail"
    log.warning(
        "event=webhook_call_failed webhook=%s policy=%s error=%s",
        hook.name,
        policy,
        orjson.dumps(str(err)).decode(),
    )
    if not hook.ignores_failures:
        raise internal_error(str(err))


def _patched(
    hook: Webhook, verdict: Verdict, obj: Obj | None, attrs: Attributes, invocation: Invocation
) -> Obj | None:
    ops = decode_patch(hook.name, verdict.patch)
    if not ops:
        return None
    if obj is None:
        raise internal_error(
            f'admission webhook "{hook.name}" attempted to modify the object, which is not supported '
            "for this operation"
        )
    if verdict.patch_type != "JSONPatch":
        raise CallError(hook.name, f'unsupported patch type "{verdict.patch_type}"')
    try:
        patched = apply_json_patch(obj, ops)
    except PatchError as e:
        # kube fails the request here whatever the failurePolicy: the webhook answered, wrongly
        raise internal_error(e.message) from e
    if not isinstance(patched, dict):
        raise internal_error(f'admission webhook "{hook.name}" patched the object into a non-object')
    if invocation.kind != attrs.kind and patched.get("apiVersion") == invocation.kind.api_version:
        patched["apiVersion"] = attrs.kind.api_version  # back from the equivalent version
    return patched


def _in_version(obj: Obj | None, *kinds: GVK) -> Obj | None:
    """Stored objects carry the storage version; webhooks see the version of the request."""
    if obj is None:
        return None
    for kind in kinds:
        if obj.get("kind") == kind.kind:
            if obj.get("apiVersion") == kind.api_version:
                return obj
            return {**obj, "apiVersion": kind.api_version}
    return obj


def _as_binding(attrs: Attributes) -> Attributes:
    """Scheduling writes pods/binding as a CREATE of a Binding in kube; the server stores it as an
    update of the pod, so webhooks are shown what kube would show them."""
    node = ((attrs.obj or {}).get("spec") or {}).get("nodeName", "")
    binding: Obj = {
        "kind": "Binding",
        "apiVersion": "v1",
        "metadata": {"name": attrs.name, "namespace": attrs.namespace},
        "target": {"kind": "Node", "apiVersion": "v1", "name": node},
    }
    return replace(attrs, operation="CREATE", kind=_BINDING, obj=binding, old=None)


def _bound(pod: Obj, binding: Obj) -> Obj:
    node = (binding.get("target") or {}).get("name")
    if isinstance(node, str) and node:
        pod.setdefault("spec", {})["nodeName"] = node
    return pod


def _options(request: AdmissionRequest, operation: str) -> Obj:
    """The Create/Update/DeleteOptions of the request, as kube puts them in the review."""
    dry_run = ["All"] if request.opts.dry_run else None
    if operation == "DELETE":
        options: Obj = {"kind": "DeleteOptions", "apiVersion": "meta.k8s.io/v1"}
        d = request.delete_options
        if d is not None:
            if d.grace_period is not None:
                options["gracePeriodSeconds"] = d.grace_period
            pre = {"uid": d.precondition_uid, "resourceVersion": d.precondition_rv}
            pre = {k: v for k, v in pre.items() if v}
            if pre:
                options["preconditions"] = pre
            if d.propagation:
                options["propagationPolicy"] = d.propagation
        if dry_run:
            options["dryRun"] = dry_run
        return options
    kind = "CreateOptions" if operation == "CREATE" else "UpdateOptions"
    options = {"kind": kind, "apiVersion": "meta.k8s.io/v1"}
    if dry_run:
        options["dryRun"] = dry_run
    if request.opts.manager:
        options["fieldManager"] = request.opts.manager
    return options
