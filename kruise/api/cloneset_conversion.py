"""CloneSet v1alpha1 <-> v1beta1 conversion (pure, dict to dict; §3.1).

v1beta1 differs from v1alpha1 in three places:

- `updateStrategy`: `{type: RollingUpdate|OnDelete, rollingUpdate: {podUpdatePolicy, partition,
  maxUnavailable, maxSurge, paused, priorityStrategy, scatterStrategy, inPlaceUpdateStrategy}}`;
  v1alpha1's `type` (ReCreate|InPlaceIfPossible|InPlaceOnly) is `rollingUpdate.podUpdatePolicy`.
- `scaleStrategy.enablePVCReuse` is `not disablePVCReuse` (both default to false, so "unset" flips).
- `scaleStrategy.excludePreparingDelete` is the v1alpha1 label
  `apps.kruise.io/cloneset-scaling-exclude-preparing-delete: "true"`, and the image pre-download
  fields of `inPlaceUpdateStrategy` are v1alpha1 annotations.

Round trips are lossless for objects in canonical form, the form Go's encoder writes: false booleans
omitted, `scaleStrategy` always present (a struct value), v1beta1 `rollingUpdate.podUpdatePolicy` set
whenever `type` is RollingUpdate. Choices where v1alpha1 cannot say what v1beta1 says:

- v1beta1 `type: OnDelete` becomes v1alpha1 `type: OnDelete` (as upstream's Go types do; the
  v1alpha1 webhook still refuses it from users); a `rollingUpdate.podUpdatePolicy` given alongside
  OnDelete is kept in the annotation `POD_UPDATE_POLICY_ANNOTATION`, which converting back removes.
- the pre-download annotations move into v1beta1 fields only when v1alpha1 has an
  `inPlaceUpdateStrategy` object (so `{}` and "absent" both survive); an annotation whose text is not
  the canonical rendering of its value ("05") stays beside the field so it comes back as written.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from .cloneset import (
    GROUP,
    IMAGE_PREDOWNLOAD_MIN_UPDATED_READY_PODS_ANNOTATION,
    IMAGE_PREDOWNLOAD_PARALLELISM_ANNOTATION,
    IMAGE_PREDOWNLOAD_TIMEOUT_SECONDS_ANNOTATION,
    ON_DELETE,
    RECREATE,
    SCALING_EXCLUDE_PREPARING_DELETE_LABEL,
)

Obj = dict[str, Any]

V1ALPHA1 = f"{GROUP}/v1alpha1"
V1BETA1 = f"{GROUP}/v1beta1"
ROLLING_UPDATE = "RollingUpdate"
POD_UPDATE_POLICY_ANNOTATION = "conversion.apps.kruise.io/cloneset-pod-update-policy"

# fields of v1alpha1 updateStrategy that live in v1beta1 rollingUpdate (type aside)
_ROLLING_FIELDS = (
    "partition",
    "maxUnavailable",
    "maxSurge",
    "paused",
    "priorityStrategy",
    "scatterStrategy",
    "inPlaceUpdateStrategy",
)
_INT32 = re.compile(r"^[+-]?[0-9]+$")


def _parse_intstr(text: str) -> int | str:
    """intstr.Parse: an integer when the whole string is one, else the string."""
    return int(text) if _INT32.match(text) and -(2**31) <= int(text) < 2**31 else text


def _parse_int32(text: str) -> int | None:
    return int(text) if _INT32.match(text) and -(2**31) <= int(text) < 2**31 else None


# image pre-download: v1beta1 field -> (v1alpha1 annotation, parse)
_PREDOWNLOAD = {
    "imagePreDownloadParallelism": (IMAGE_PREDOWNLOAD_PARALLELISM_ANNOTATION, _parse_intstr),
    "imagePreDownloadTimeoutSeconds": (IMAGE_PREDOWNLOAD_TIMEOUT_SECONDS_ANNOTATION, _parse_int32),
    "imagePreDownloadMinUpdatedReadyPods": (
        IMAGE_PREDOWNLOAD_MIN_UPDATED_READY_PODS_ANNOTATION,
        _parse_int32,
    ),
}


def _meta_map(obj: Obj, key: str) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get(key) or {})


def _set_meta_map(obj: Obj, key: str, values: dict[str, str]) -> None:
    if values == _meta_map(obj, key):
        return
    meta = obj.setdefault("metadata", {})
    if values:
        meta[key] = values
    else:
        meta.pop(key, None)


def _put(d: Obj, key: str, value: Any) -> None:
    """Set a key unless the value is Go's omitted zero (None or false)."""
    if value is not None and value is not False:
        d[key] = value


def _copy_as(obj: Mapping[str, Any], api_version: str) -> tuple[Obj, Obj | None, dict, dict]:
    """A deep copy in `api_version`, its spec (None when not an object), labels and annotations."""
    out = copy.deepcopy(dict(obj))
    out["apiVersion"] = api_version
    spec = out.get("spec")
    if not isinstance(spec, dict):
        return out, None, {}, {}
    return out, spec, _meta_map(out, "labels"), _meta_map(out, "annotations")


def to_v1beta1(obj: Mapping[str, Any]) -> Obj:
    """A v1alpha1 CloneSet in the v1beta1 shape."""
    out, spec, labels, annotations = _copy_as(obj, V1BETA1)
    if spec is None:
        return out

    scale = dict(spec.get("scaleStrategy") or {})
    disable = scale.pop("disablePVCReuse", None)
    _put(scale, "enablePVCReuse", not disable)
    if labels.get(SCALING_EXCLUDE_PREPARING_DELETE_LABEL) == "true":
        del labels[SCALING_EXCLUDE_PREPARING_DELETE_LABEL]
        _set_meta_map(out, "labels", labels)
        scale["excludePreparingDelete"] = True
    spec["scaleStrategy"] = scale

    if "updateStrategy" in spec:
        alpha = dict(spec["updateStrategy"] or {})
        beta: Obj = {}
        rolling = {k: alpha[k] for k in _ROLLING_FIELDS if k in alpha}
        if "inPlaceUpdateStrategy" in rolling and isinstance(rolling["inPlaceUpdateStrategy"], dict):
            ipus = dict(rolling["inPlaceUpdateStrategy"])
            for name, (key, parse) in _PREDOWNLOAD.items():
                if annotations.get(key):
                    value = parse(annotations[key])
                    if value is not None:
                        ipus[name] = value
                        if str(value) == annotations[key]:  # the field now says it; "05" stays
                            del annotations[key]
            rolling["inPlaceUpdateStrategy"] = ipus
            _set_meta_map(out, "annotations", annotations)
        policy = alpha.get("type")
        if policy == ON_DELETE:
            beta["type"] = ON_DELETE
            if POD_UPDATE_POLICY_ANNOTATION in annotations:
                rolling = {"podUpdatePolicy": annotations.pop(POD_UPDATE_POLICY_ANNOTATION), **rolling}
                _set_meta_map(out, "annotations", annotations)
        elif policy is not None:
            beta["type"] = ROLLING_UPDATE
            rolling = {"podUpdatePolicy": policy, **rolling}
        if rolling:
            beta["rollingUpdate"] = rolling
        for key, value in alpha.items():  # fields this code does not know travel unchanged
            if key != "type" and key not in _ROLLING_FIELDS:
                beta[key] = value
        spec["updateStrategy"] = beta
    return out


def to_v1alpha1(obj: Mapping[str, Any]) -> Obj:
    """A v1beta1 CloneSet in the v1alpha1 shape."""
    out, spec, labels, annotations = _copy_as(obj, V1ALPHA1)
    if spec is None:
        return out

    scale = dict(spec.get("scaleStrategy") or {})
    enable = scale.pop("enablePVCReuse", None)
    _put(scale, "disablePVCReuse", not enable)
    if scale.pop("excludePreparingDelete", None):
        labels[SCALING_EXCLUDE_PREPARING_DELETE_LABEL] = "true"
        _set_meta_map(out, "labels", labels)
    spec["scaleStrategy"] = scale

    if "updateStrategy" in spec:
        beta = dict(spec["updateStrategy"] or {})
        rolling = dict(beta.pop("rollingUpdate", None) or {})
        strategy_type = beta.pop("type", None)
        policy = rolling.pop("podUpdatePolicy", None)
        alpha: Obj = {}
        if strategy_type == ON_DELETE:
            alpha["type"] = ON_DELETE
            if policy is not None:
                annotations[POD_UPDATE_POLICY_ANNOTATION] = policy
        elif policy is not None:
            alpha["type"] = policy
        elif strategy_type is not None:
            alpha["type"] = RECREATE  # RollingUpdate without a policy recreates pods
        ipus = rolling.get("inPlaceUpdateStrategy")
        if isinstance(ipus, dict):
            ipus = dict(ipus)
            for name, (key, parse) in _PREDOWNLOAD.items():
                if name in ipus:
                    value = ipus.pop(name)
                    current = annotations.get(key)
                    # keep an equivalent annotation text as it was ("05" stays "05")
                    if current is None or parse(current) != value:
                        annotations[key] = str(value)
            rolling["inPlaceUpdateStrategy"] = ipus
        alpha.update(rolling)
        alpha.update(beta)
        spec["updateStrategy"] = alpha
        _set_meta_map(out, "annotations", annotations)
    return out
