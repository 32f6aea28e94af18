"""AdmissionReview requests sent to webhooks and the checks applied to their responses."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..errors import APIError
from .match import Attributes, Invocation

Obj = dict[str, Any]

REVIEW_GROUP = "admission.k8s.io"
SUPPORTED_VERSIONS = ("v1", "v1beta1")


class CallError(Exception):
    """The webhook could not be called or answered nonsense: its failurePolicy decides what happens."""

    def __init__(self, webhook: str, reason: str) -> None:
        super().__init__(f'failed calling webhook "{webhook}": {reason}')
        self.webhook = webhook
        self.reason = reason


@dataclass
class Verdict:
    """The parts of a webhook's response the server acts on."""

    allowed: bool
    result: Obj | None = None
    patch: bytes = b""
    patch_type: str = ""
    warnings: list[str] = field(default_factory=list)


def review_version(webhook_name: str, accepted: tuple[str, ...]) -> str:
    """The first AdmissionReview version the webhook accepts that this server speaks."""
    for version in accepted:
        if version in SUPPORTED_VERSIONS:
            return version
    raise CallError(
        webhook_name,
        "could not create admission objects: webhook does not accept known AdmissionReview versions "
        "(v1, v1beta1)",
    )


def build_review(
    uid: str,
    version: str,
    invocation: Invocation,
    attrs: Attributes,
    user_info: Obj,
    options: Obj | None,
    obj: Obj | None,
    old: Obj | None,
) -> Obj:
    """`obj` and `old` are already in the invocation's version (see `as_version`)."""
    request: Obj = {
        "uid": uid,
        "kind": invocation.kind.as_dict(),
        "resource": invocation.resource.as_dict(),
        "requestKind": attrs.kind.as_dict(),
        "requestResource": attrs.resource.as_dict(),
    }
    if invocation.subresource:
        request["subResource"] = invocation.subresource
    if attrs.subresource:
        request["requestSubResource"] = attrs.subresource
    if attrs.name:
        request["name"] = attrs.name
    if attrs.namespace:
        request["namespace"] = attrs.namespace
    request.update(
        {
            "operation": attrs.operation,
            "userInfo": user_info,
            "object": obj,
            "oldObject": old,
            "dryRun": attrs.dry_run,
            "options": options,
        }
    )
    return {"kind": "AdmissionReview", "apiVersion": f"{REVIEW_GROUP}/{version}", "request": request}


def as_version(obj: Obj | None, attrs: Attributes, invocation: Invocation) -> Obj | None:
    """The object as served in the invocation's version. Versions of one resource differ only in
    apiVersion here (custom resources are served with conversion None)."""
    if obj is None:
        return None
    kind = invocation.kind if obj.get("kind") == invocation.kind.kind else attrs.kind
    if obj.get("apiVersion") == kind.api_version:
        return obj
    return {**obj, "apiVersion": kind.api_version}


def parse_response(webhook: str, body: bytes) -> Obj:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        why = f"couldn't get version/kind; json parse error: {e}"
        raise CallError(webhook, f"failed to call webhook: {why}") from e
    if not isinstance(doc, dict):
        raise CallError(
            webhook,
            "failed to call webhook: json: cannot unmarshal "
            f"{_json_type(doc)} into Go value of type v1.AdmissionReview",
        )
    return doc


def verify_response(webhook: str, version: str, uid: str, mutating: bool, doc: Obj) -> Verdict:
    """kube's VerifyAdmissionResponse: absent response, wrong uid or kind, stray or partial patches."""
    response = doc.get("response")
    if not isinstance(response, dict):
        raise _invalid(webhook, "webhook response was absent")
    verdict = _decode(webhook, response)
    patch_type = response.get("patchType")
    if version == "v1beta1":
        # v1beta1 responses were never checked for uid, kind or patchType
        verdict.patch_type = "JSONPatch" if mutating and verdict.patch else ""
        if not mutating:
            verdict.patch = b""
        return verdict
    got_uid = response.get("uid")
    if got_uid != uid:
        raise _invalid(webhook, f'expected response.uid="{uid}", got "{got_uid if got_uid else ""}"')
    expected = f"{REVIEW_GROUP}/v1, Kind=AdmissionReview"
    got = _gvk_string(doc.get("apiVersion"), doc.get("kind"))
    if got != expected:
        raise _invalid(webhook, f"expected webhook response of {expected}, got {got}")
    if mutating:
        if verdict.patch and patch_type is None:
            raise _invalid(webhook, "webhook returned response.patch but not response.patchType")
        if not verdict.patch and patch_type is not None:
            raise _invalid(webhook, "webhook returned response.patchType but not response.patch")
        if patch_type is not None and not patch_type:
            raise _invalid(webhook, 'webhook returned invalid response.patchType of ""')
        verdict.patch_type = str(patch_type or "")
    else:
        if verdict.patch:
            raise _invalid(webhook, "validating webhook may not return response.patch")
        if patch_type is not None:
            raise _invalid(webhook, "validating webhook may not return response.patchType")
    return verdict


def _decode(webhook: str, response: Obj) -> Verdict:
    """Type checks the Go client does while decoding the response."""
    allowed = response.get("allowed", False)
    if not isinstance(allowed, bool):
        raise _undecodable(webhook, "allowed", allowed, "bool")
    result = response.get("status")
    if result is not None and not isinstance(result, dict):
        raise _undecodable(webhook, "status", result, "v1.Status")
    warnings = response.get("warnings") or []
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise _undecodable(webhook, "warnings", warnings, "[]string")
    raw_patch = response.get("patch")
    patch = b""
    if raw_patch is not None:
        if not isinstance(raw_patch, str):
            raise _undecodable(webhook, "patch", raw_patch, "[]uint8")
        try:
            patch = base64.b64decode(raw_patch, validate=True)
        except (binascii.Error, ValueError) as e:
            raise CallError(webhook, f"failed to call webhook: illegal base64 data: {e}") from e
    return Verdict(allowed=allowed, result=result, patch=patch, warnings=list(warnings))


def decode_patch(webhook: str, patch: bytes) -> list[Any]:
    try:
        ops = orjson.loads(patch)
    except orjson.JSONDecodeError as e:
        raise CallError(webhook, f"received undecodable patch in webhook response: {e}") from e
    if not isinstance(ops, list):
        raise CallError(
            webhook,
            "received undecodable patch in webhook response: json: cannot unmarshal "
            f"{_json_type(ops)} into Go value of type jsonpatch.Patch",
        )
    return ops


def denial(webhook: str, result: Obj | None) -> APIError:
    """kube's ToStatusErr: the webhook's Status, forced to a failure code >= 400, message prefixed."""
    result = result or {}
    code = result.get("code")
    if not isinstance(code, int) or isinstance(code, bool) or code < 400:
        code = 400
    denied_by = f'admission webhook "{webhook}" denied the request'
    message, reason = result.get("message"), result.get("reason")
    if message:
        text = f"{denied_by}: {message}"
    elif reason:
        text = f"{denied_by}: {reason}"
    else:
        text = f"{denied_by} without explanation"
    details = result.get("details")
    return APIError(code, str(reason or ""), text, details if isinstance(details, dict) else None)


def _invalid(webhook: str, why: str) -> CallError:
    return CallError(webhook, f"received invalid webhook response: {why}")


def _undecodable(webhook: str, fieldname: str, value: Any, go_type: str) -> CallError:
    return CallError(
        webhook,
        f"failed to call webhook: json: cannot unmarshal {_json_type(value)} into Go struct field "
        f"AdmissionResponse.response.{fieldname} of type {go_type}",
    )


def _gvk_string(api_version: Any, kind: Any) -> str:
    api_version = api_version if isinstance(api_version, str) else ""
    group, _, version = api_version.rpartition("/")
    return f"{group}/{version}, Kind={kind if isinstance(kind, str) else ''}"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    return "object"
