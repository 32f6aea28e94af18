"""The CRD conversion webhook (`/convert`): ConversionReview requests answered by pure converters.

The API server sends objects of one kind with `desiredAPIVersion`; each object is converted by the
converter registered for its group and kind. One object that cannot be converted fails the whole
review (result.status Failure with the reason), as controller-runtime's conversion webhook does.
The review is answered in the apiextensions.k8s.io version it was asked in (v1 or v1beta1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kruise.api import cloneset, cloneset_conversion

if TYPE_CHECKING:
    from .runtime import WebhookRuntime

Obj = dict[str, Any]

PATH = "/convert"
REVIEW_GROUP = "apiextensions.k8s.io"
# (object, desired apiVersion) -> the object in that version
Convert = Callable[[Obj, str], Obj]


class ConversionFailed(Exception):
    """An object the registered converters cannot bring to the desired version."""


def convert_cloneset(obj: Obj, desired: str) -> Obj:
    """CloneSet between v1alpha1 and v1beta1 (kruise.api.cloneset_conversion)."""
    current = obj.get("apiVersion")
    if current == desired:
        return obj
    if (current, desired) == (cloneset_conversion.V1ALPHA1, cloneset_conversion.V1BETA1):
        return cloneset_conversion.to_v1beta1(obj)
    if (current, desired) == (cloneset_conversion.V1BETA1, cloneset_conversion.V1ALPHA1):
        return cloneset_conversion.to_v1alpha1(obj)
    raise ConversionFailed(f"conversion from {current} to {desired} is not supported for CloneSet")


class ConversionWebhook:
    """Converters by (group, kind); `handle` answers one ConversionReview."""

    def __init__(self) -> None:
        self._converters: dict[tuple[str, str], Convert] = {}

    def register(self, group: str, kind: str, convert: Convert) -> None:
        self._converters[(group, kind)] = convert

    def kinds(self) -> set[tuple[str, str]]:
        return set(self._converters)

    def convert(self, obj: Any, desired: str) -> Obj:
        if not isinstance(obj, dict):
            raise ConversionFailed("each object must be a JSON object")
        group = str(obj.get("apiVersion") or "").rpartition("/")[0]
        desired_group = desired.rpartition("/")[0]
        kind = str(obj.get("kind") or "")
        if group != desired_group:
            raise ConversionFailed(
                f"cannot convert {obj.get('apiVersion')} {kind} to another group ({desired})"
            )
        convert = self._converters.get((group, kind))
        if convert is None:
            raise ConversionFailed(f"no conversion is registered for {kind} in group {group}")
        return convert(obj, desired)

    async def handle(self, review: Obj) -> Obj:
        return self.answer(review)

    def answer(self, review: Obj) -> Obj:
        """The ConversionReview response for a request (pure)."""
        api_version = review.get("apiVersion")
        if api_version not in (f"{REVIEW_GROUP}/v1", f"{REVIEW_GROUP}/v1beta1"):
            api_version = f"{REVIEW_GROUP}/v1"
        request = review.get("request")
        request = request if isinstance(request, dict) else {}
        response: Obj = {"uid": request.get("uid", "")}
        try:
            desired = request.get("desiredAPIVersion")
            if not isinstance(desired, str) or "/" not in desired:
                raise ConversionFailed(f"invalid desiredAPIVersion {desired!r}")
            objects = request.get("objects")
            if not isinstance(objects, list):
                raise ConversionFailed("request.objects must be a list")
            converted = [self.convert(obj, desired) for obj in objects]
        except ConversionFailed as e:
            response["convertedObjects"] = []
            response["result"] = {"status": "Failure", "message": str(e)}
        else:
            response["convertedObjects"] = converted
            response["result"] = {"status": "Success"}
        return {"apiVersion": api_version, "kind": "ConversionReview", "response": response}


def register(runtime: WebhookRuntime) -> None:
    """Every Kruise kind served in more than one version."""
    runtime.add_conversion(cloneset.GROUP, cloneset.KIND, convert_cloneset)
