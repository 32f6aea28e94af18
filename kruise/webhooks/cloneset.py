"""CloneSet admission webhooks: defaulting (mcloneset.kb.io) and validation (vcloneset.kb.io).

Thin handlers over kruise.api.cloneset. A denial carries what upstream's handler answers
(`admission.Errored(422, errs.ToAggregate())`: code 422, no reason, the aggregated field errors);
the API server prefixes it with `admission webhook "vcloneset.kb.io" denied the request: `.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from kruise.api.cloneset import (
    GROUP,
    ON_DELETE,
    PLURAL,
    VERSION,
    default_cloneset,
    new_pods_to_delete,
    validate_cloneset,
    validate_cloneset_update,
)
from kruise.api.fielderrors import aggregate
from kruise.client.errors import ApiError
from kruise.client.resources import PODS

from .registration import WebhookSpec
from .server import Decision, Handler, allow, deny, mutate

if TYPE_CHECKING:
    from .runtime import WebhookRuntime

Obj = dict[str, Any]
GetPod = Callable[[str, str], Awaitable[Obj]]

MUTATING_PATH = "/mutate-apps-kruise-io-v1alpha1-cloneset"
VALIDATING_PATH = "/validate-apps-kruise-io-v1alpha1-cloneset"
RULES = [
    {
        "apiGroups": [GROUP],
        "apiVersions": [VERSION],
        "operations": ["CREATE", "UPDATE"],
        "resources": [PLURAL],
        "scope": "*",
    }
]
MUTATING = WebhookSpec(name="mcloneset.kb.io", path=MUTATING_PATH, rules=RULES)
VALIDATING = WebhookSpec(name="vcloneset.kb.io", path=VALIDATING_PATH, rules=RULES)


def _template(obj: Any) -> Any:
    spec = obj.get("spec") if isinstance(obj, dict) else None
    return spec.get("template") if isinstance(spec, dict) else None


async def mutate_cloneset(request: Obj) -> Decision:
    obj = request.get("object")
    if not isinstance(obj, dict):
        return deny("the CloneSet object is missing", code=400, reason="")
    # pod template defaults only when the template is new (TemplateNoDefaults=false)
    inject = request.get("operation") != "UPDATE" or _template(obj) != _template(request.get("oldObject"))
    defaulted = default_cloneset(obj, inject_template_defaults=inject)
    return allow() if defaulted == obj else mutate(defaulted)


def validating_handler(get_pod: GetPod) -> Handler:
    """The validating handler; `get_pod(namespace, name)` reads the pods named in podsToDelete."""

    async def lookup(obj: Obj, old: Obj | None) -> dict[str, Obj | Exception]:
        namespace = (obj.get("metadata") or {}).get("namespace") or ""
        pods: dict[str, Obj | Exception] = {}
        for name in new_pods_to_delete(obj, old):
            try:
                pods[name] = await get_pod(namespace, name)
            except ApiError as e:
                pods[name] = RuntimeError(e.message or str(e))
        return pods

    async def validate(request: Obj) -> Decision:
        operation = request.get("operation")
        if operation not in ("CREATE", "UPDATE"):
            return allow()
        obj = request.get("object")
        if not isinstance(obj, dict):
            return deny("the CloneSet object is missing", code=400, reason="")
        # OnDelete exists only in the v1beta1 shape: allowed when the request came as v1beta1 (and
        # was converted for this v1alpha1 webhook) or the object already had it.
        from_beta = (request.get("requestKind") or {}).get("version") == "v1beta1"
        if operation == "CREATE":
            errs = validate_cloneset(obj, pods=await lookup(obj, None), allow_on_delete=from_beta)
        elif operation == "UPDATE":
            old = request.get("oldObject")
            if not isinstance(old, dict):
                return deny("the old CloneSet object is missing", code=400, reason="")
            was = ((old.get("spec") or {}).get("updateStrategy") or {}).get("type") == ON_DELETE
            errs = validate_cloneset_update(
                obj, old, pods=await lookup(obj, old), allow_on_delete=from_beta or was
            )
        return deny(aggregate(errs), code=422, reason="") if errs else allow()

    return validate


def register(runtime: WebhookRuntime) -> None:
    client = runtime.client

    async def get_pod(namespace: str, name: str) -> Obj:
        return await client.get(PODS, name, namespace=namespace)

    runtime.add_mutating(MUTATING, mutate_cloneset)
    runtime.add_validating(VALIDATING, validating_handler(get_pod))
