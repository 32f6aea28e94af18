"""Custom resource version conversion, as apiextensions-apiserver does it.

A CRD with `spec.conversion.strategy: None` serves every version from the same stored object, only
`apiVersion` changes. With `Webhook`, objects not already in the wanted version are sent to the CRD's
conversion webhook in one ConversionReview (apiextensions.k8s.io/v1 or v1beta1), and the converted
objects are checked (kind, group/version, name, namespace, uid) and given back the original
metadata except labels and annotations, which the webhook may change.

Failures read like kube's `conversion webhook for <group/version, Kind=K> failed: ...`: a read
answers 500 with that message, a write 500 InternalError ("Internal error occurred: ...") and stores
nothing. The HTTPS side (CA bundles, Service references, Go-like error texts) is the admission
webhooks' Transport.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from .admission.config import ClientConfig, ServiceRef, Webhook
from .admission.match import internal_error
from .admission.review import CallError
from .admission.transport import Transport
from .errors import APIError

Obj = dict[str, Any]

REVIEW_GROUP = "apiextensions.k8s.io"
SUPPORTED_REVIEW_VERSIONS = ("v1", "v1beta1")
TIMEOUT_SECONDS = 30  # kube's conversion webhook client timeout
BATCH = 500  # objects per ConversionReview when lists and watches convert many


class ConversionError(Exception):
    """The webhook could not convert: the message is kube's, without the Status wrapping."""


@dataclass(frozen=True)
class WebhookTarget:
    name: str
    client: ClientConfig
    review_versions: tuple[str, ...]


def strategy(crd: Obj | None) -> str:
    conversion = ((crd or {}).get("spec") or {}).get("conversion") or {}
    return str(conversion.get("strategy") or "None")


def uses_webhook(crd: Obj | None) -> bool:
    return strategy(crd) == "Webhook"


def webhook_target(crd: Obj) -> WebhookTarget:
    webhook = ((crd.get("spec") or {}).get("conversion") or {}).get("webhook") or {}
    raw = webhook.get("clientConfig") or {}
    service = raw.get("service")
    ref = None
    if isinstance(service, dict):
        port = service.get("port")
        ref = ServiceRef(
            namespace=str(service.get("namespace", "")),
            name=str(service.get("name", "")),
            port=port if isinstance(port, int) and not isinstance(port, bool) else 443,
            path=str(service.get("path") or ""),
        )
    url = raw.get("url")
    client = ClientConfig(
        url=str(url) if url else None, service=ref, ca_bundle=str(raw.get("caBundle") or "")
    )
    versions = tuple(str(v) for v in webhook.get("conversionReviewVersions") or [])
    name = f"conversion_webhook_for_{(crd.get('metadata') or {}).get('name', '')}"
    return WebhookTarget(name, client, versions)


def gvk_string(api_version: str, kind: str) -> str:
    """Go's schema.GroupVersionKind String(): `group/version, Kind=Kind`."""
    group, _, version = api_version.rpartition("/")
    return f"{group}/{version}, Kind={kind}"


def review_version(accepted: tuple[str, ...]) -> str:
    for version in accepted:
        if version in SUPPORTED_REVIEW_VERSIONS:
            return version
    raise ConversionError("no supported conversion review versions")


def build_review(uid: str, version: str, desired: str, objs: list[Obj]) -> Obj:
    return {
        "kind": "ConversionReview",
        "apiVersion": f"{REVIEW_GROUP}/{version}",
        "request": {"uid": uid, "desiredAPIVersion": desired, "objects": objs},
    }


def converted_objects(uid: str, version: str, doc: Any) -> list[Any]:
    """response.convertedObjects of a ConversionReview answer; ConversionError when it failed."""
    if not isinstance(doc, dict):
        raise ConversionError("unrecognized response type")
    if version == "v1":  # v1beta1 answers were never checked for kind or uid
        expected = f"{REVIEW_GROUP}/v1, Kind=ConversionReview"
        got = gvk_string(str(doc.get("apiVersion") or ""), str(doc.get("kind") or ""))
        if got != expected:
            raise ConversionError(f"expected webhook response of {expected}, got {got}")
    response = doc.get("response")
    if not isinstance(response, dict):
        raise ConversionError("no response provided")
    if version == "v1" and response.get("uid") != uid:
        raise ConversionError(f'expected response.uid="{uid}", got "{response.get("uid") or ""}"')
    result = response.get("result") if isinstance(response.get("result"), dict) else {}
    if result.get("status") != "Success":
        if result.get("message"):
            raise ConversionError(str(result["message"]))
        raise ConversionError(f"response.result.status was '{result.get('status') or ''}', not 'Success'")
    objs = response.get("convertedObjects")
    return objs if isinstance(objs, list) else []


def check_converted(original: Obj, converted: Any, desired: str) -> Obj:
    """kube's checks on one converted object, then its metadata restored but for labels/annotations."""
    if not isinstance(converted, dict):
        raise ConversionError("invalid converted object: must be a JSON object")
    if converted.get("apiVersion") != desired:
        raise ConversionError(
            f"invalid groupVersion (expected {desired}, received {converted.get('apiVersion') or ''})"
        )
    if converted.get("kind") != original.get("kind"):
        raise ConversionError(
            f"invalid kind (expected {original.get('kind')}, received {converted.get('kind') or ''})"
        )
    meta_in = original.get("metadata") or {}
    meta_out = converted.get("metadata")
    if not isinstance(meta_out, dict):
        raise ConversionError("missing metadata in converted object")
    for key, label in (("name", "name"), ("namespace", "namespace"), ("uid", "UID")):
        if (meta_in.get(key) or "") != (meta_out.get(key) or ""):
            raise ConversionError(
                f"must have the same {label}: {meta_in.get(key) or ''} != {meta_out.get(key) or ''}"
            )
    meta = orjson.loads(orjson.dumps(meta_in))
    for key in ("labels", "annotations"):
        value = meta_out.get(key)
        if not value:
            meta.pop(key, None)
            continue
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ConversionError(f"invalid metadata.{key} in converted object")
        meta[key] = value
    return {**converted, "metadata": meta}


class Converter:
    """Converts stored custom resources to the version a request wants, and back for writes."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    async def convert(
        self, crd: Obj | None, objs: list[Obj], api_version: str, *, writing: bool
    ) -> list[Obj]:
        """`objs` in `api_version`, in order. Objects already there are returned as they are."""
        if not uses_webhook(crd):
            return [
                o if o.get("apiVersion") == api_version else {**o, "apiVersion": api_version} for o in objs
            ]
        assert crd is not None
        todo = [i for i, o in enumerate(objs) if o.get("apiVersion") != api_version]
        if not todo:
            return objs
        out = list(objs)
        for start in range(0, len(todo), BATCH):
            chunk = todo[start : start + BATCH]
            try:
                converted = await self._call(crd, [objs[i] for i in chunk], api_version)
            except ConversionError as e:
                raise conversion_failure(str(e), writing) from e
            for i, obj in zip(chunk, converted, strict=True):
                out[i] = obj
        return out

    async def _call(self, crd: Obj, objs: list[Obj], desired: str) -> list[Obj]:
        source = gvk_string(str(objs[0].get("apiVersion") or ""), str(objs[0].get("kind") or ""))
        target = webhook_target(crd)
        try:
            version = review_version(target.review_versions)
        except ConversionError as e:
            raise ConversionError(f"conversion webhook for {source} failed: {e}") from e
        uid = str(uuid.uuid4())
        hook = Webhook(
            name=target.name,
            configuration="",
            mutating=False,
            timeout_seconds=TIMEOUT_SECONDS,
            client=target.client,
        )
        try:
            body = await self.transport.post(hook, build_review(uid, version, desired, objs))
        except CallError as e:
            reason = e.reason.removeprefix("failed to call webhook: ")
            raise ConversionError(f"conversion webhook for {source} failed: {reason}") from e
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as e:
            raise ConversionError(f"conversion webhook for {source} failed: {e}") from e
        try:
            items = converted_objects(uid, version, doc)
        except ConversionError as e:
            raise ConversionError(f"conversion webhook for {source} failed: {e}") from e
        if len(items) != len(objs):
            raise ConversionError(
                f"conversion webhook for {source} returned {len(items)} objects, expected {len(objs)}"
            )
        out = []
        for i, (original, item) in enumerate(zip(objs, items, strict=True)):
            try:
                out.append(check_converted(original, item, desired))
            except ConversionError as e:
                raise ConversionError(
                    f"conversion webhook for {source} returned invalid object at index {i}: {e}"
                ) from e
        return out


def conversion_failure(message: str, writing: bool) -> APIError:
    """A write answers kube's InternalError; a read the bare 500 kubectl prints as `Error from server`."""
    if writing:
        return internal_error(message)
    return APIError(500, "", message)
