"""What may change in place between two revisions (kruise-behaviour.md §2.1), as a pure calculation.

The two ControllerRevisions carry `{"spec":{"template":{...,"$patch":"replace"}}}`; we diff the templates
and accept only: metadata edits, container image replacements, and cpu/memory request/limit replacements
that keep the pod's QoS class (InPlaceWorkloadVerticalScaling, on in this project). Anything else means
the pod must be recreated, signalled by `None`.
"""

from __future__ import annotations

import base64
import copy
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import orjson

from kruise.api.jsondiff import json_patch
from kruise.api.quantity import parse_quantity

Obj = dict[str, Any]

GUARANTEED = "Guaranteed"
BURSTABLE = "Burstable"
BEST_EFFORT = "BestEffort"

# Only these resources can be resized in place (the kubelet rejects the rest).
RESIZABLE_RESOURCES = ("cpu", "memory")

_IMAGE_PATH = re.compile(r"^/spec/containers/(\d+)/image$")
_RESOURCE_PATH = re.compile(r"^/spec/containers/(\d+)/resources/(limits|requests)/([^/]+)$")


@dataclass
class UpdateSpec:
    """The in-place changes from one revision to the next (upstream `UpdateSpec`)."""

    revision: str
    container_images: dict[str, str] = field(default_factory=dict)
    # name -> {"limits": {...}, "requests": {...}} holding only the changed cpu/memory quantities
    container_resources: dict[str, Obj] = field(default_factory=dict)
    # {"labels": {k: v | None}, "annotations": {k: v | None}}; None marks a removed key
    meta_patch: Obj | None = None
    # name -> {"labels": {...}, "annotations": {...}} that the container's env reads via fieldRef
    container_ref_metadata: dict[str, Obj] = field(default_factory=dict)
    update_env_from_metadata: bool = False
    grace_period_seconds: int = 0

    def vertical_only(self) -> bool:
        """Only resources change: no image and no env-from-metadata restart."""
        return (
            bool(self.container_resources) and not self.container_images and not self.update_env_from_metadata
        )

    def to_wire(self) -> Obj:
        """The JSON kept in `apps.kruise.io/inplace-update-grace` (upstream field names; the metadata
        patch is a strategic-merge patch of the Pod, base64-encoded like Go's []byte)."""
        out: Obj = {"revision": self.revision}
        if self.container_images:
            out["containerImages"] = dict(self.container_images)
        if self.container_ref_metadata:
            out["containerRefMetadata"] = copy.deepcopy(self.container_ref_metadata)
        if self.container_resources:
            out["containerResources"] = copy.deepcopy(self.container_resources)
        if self.meta_patch:
            raw = orjson.dumps({"metadata": self.meta_patch})
            out["metaDataPatch"] = base64.b64encode(raw).decode()
        if self.update_env_from_metadata:
            out["updateEnvFromMetadata"] = True
        if self.grace_period_seconds:
            out["graceSeconds"] = self.grace_period_seconds
        return out

    @classmethod
    def from_wire(cls, data: Obj) -> UpdateSpec:
        patch = data.get("metaDataPatch")
        meta: Obj | None = None
        if isinstance(patch, str) and patch:
            meta = (orjson.loads(base64.b64decode(patch)) or {}).get("metadata")
        elif isinstance(patch, dict):
            meta = patch.get("metadata", patch)
        return cls(
            revision=str(data.get("revision") or ""),
            container_images=dict(data.get("containerImages") or {}),
            container_resources=copy.deepcopy(data.get("containerResources") or {}),
            meta_patch=meta or None,
            container_ref_metadata=copy.deepcopy(data.get("containerRefMetadata") or {}),
            update_env_from_metadata=bool(data.get("updateEnvFromMetadata")),
            grace_period_seconds=int(data.get("graceSeconds") or 0),
        )


# -- quantities and QoS ---------------------------------------------------------------------------------


def _positive(resources: Obj | None, key: str) -> dict[str, Fraction]:
    out: dict[str, Fraction] = {}
    for name, value in ((resources or {}).get(key) or {}).items():
        if name not in RESIZABLE_RESOURCES:
            continue
        q = parse_quantity(value)
        if q > 0:
            out[name] = q
    return out


def qos_class(pod_spec: Obj) -> str:
    """The pod QoS class as Kubernetes computes it, over containers and init containers. Requests
    missing beside a limit count as the limit (the API server defaults them that way)."""
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    for c in [*(pod_spec.get("containers") or ()), *(pod_spec.get("initContainers") or ())]:
        res = c.get("resources") or {}
        lim = _positive(res, "limits")
        req = {**lim, **_positive(res, "requests")}
        for name, q in req.items():
            requests[name] = requests.get(name, Fraction(0)) + q
        for name, q in lim.items():
            limits[name] = limits.get(name, Fraction(0)) + q
        if not set(RESIZABLE_RESOURCES) <= set(lim):
            guaranteed = False
    if not requests and not limits:
        return BEST_EFFORT
    if guaranteed and all(limits.get(n) == q for n, q in requests.items()) and len(requests) == len(limits):
        return GUARANTEED
    return BURSTABLE


# -- the diff ---------------------------------------------------------------------------------------------


def template_of(revision: Obj) -> Obj:
    """The pod template stored in a revision, without the strategic-merge `$patch` directive."""
    tpl = dict((((revision.get("data") or {}).get("spec") or {}).get("template")) or {})
    tpl.pop("$patch", None)
    return tpl


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _lookup(doc: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:] if pointer else ():
        doc = doc[int(token)] if isinstance(doc, list) else doc[_unescape(token)]
    return doc


def diff_ops(old: Any, new: Any, path: str = "") -> list[Obj]:
    """RFC 6902 ops from `json_patch`, with same-length lists compared element by element so a
    changed container image shows up as `/spec/containers/<i>/image` (as upstream's differ does)."""
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            op for i, (a, b) in enumerate(zip(old, new, strict=True)) for op in diff_ops(a, b, f"{path}/{i}")
        ]
    out: list[Obj] = []
    for op in json_patch(old, new, path):
        if op["op"] == "replace" and isinstance(op["value"], list) and op["path"] != path:
            before = _lookup(old, op["path"][len(path) :])
            if isinstance(before, list) and len(before) == len(op["value"]):
                out.extend(diff_ops(before, op["value"], op["path"]))
                continue
        out.append(op)
    return out


def _references(container: Obj, section: str, key: str) -> bool:
    """The container has an env var reading `metadata.<section>['key']` through a fieldRef."""
    wanted = f"metadata.{section}"
    for env in container.get("env") or ():
        path = (((env.get("valueFrom") or {}).get("fieldRef")) or {}).get("fieldPath") or ""
        if not path.endswith("']") or "['" not in path:
            continue
        head, _, subscript = path[:-2].partition("['")
        if head == wanted and subscript == key:
            return True
    return False


def _metadata_patch(old_meta: Obj, new_meta: Obj) -> Obj | None:
    """Two-way merge patch of labels and annotations: changed or new keys set, removed keys None."""
    patch: Obj = {}
    for section in ("labels", "annotations"):
        before = old_meta.get(section) or {}
        after = new_meta.get(section) or {}
        changes: Obj = {k: v for k, v in after.items() if before.get(k) != v or k not in before}
        changes.update({k: None for k in before if k not in after})
        if changes:
            patch[section] = changes
    return patch or None


def calculate_spec(
    old_rev: Obj | None,
    new_rev: Obj,
    *,
    grace_period_seconds: int = 0,
    revision: str | None = None,
    env_from_metadata: bool = True,
) -> UpdateSpec | None:
    """The in-place update from `old_rev` to `new_rev`, or None when the pod must be recreated.
    `revision` overrides the target name (DaemonSet records the bare hash)."""
    if old_rev is None or new_rev is None:
        return None
    old_tpl, new_tpl = template_of(old_rev), template_of(new_rev)
    old_containers = (old_tpl.get("spec") or {}).get("containers") or []
    spec = UpdateSpec(
        revision=revision or (new_rev.get("metadata") or {}).get("name", ""),
        grace_period_seconds=grace_period_seconds,
    )
    metadata_ops: list[Obj] = []
    for op in diff_ops(old_tpl, new_tpl):
        path = op["path"]
        if not path.startswith("/spec/"):
            if path.startswith("/metadata/"):
                metadata_ops.append(op)
                continue
            return None
        if op["op"] != "replace":
            return None
        if m := _IMAGE_PATH.match(path):
            idx = int(m.group(1))
            if idx >= len(old_containers) or not isinstance(op["value"], str):
                return None
            spec.container_images[old_containers[idx]["name"]] = op["value"]
        elif m := _RESOURCE_PATH.match(path):
            idx, kind, name = int(m.group(1)), m.group(2), _unescape(m.group(3))
            if idx >= len(old_containers) or name not in RESIZABLE_RESOURCES:
                return None
            try:
                parse_quantity(op["value"])
            except ValueError:
                return None
            per = spec.container_resources.setdefault(old_containers[idx]["name"], {})
            per.setdefault(kind, {})[name] = op["value"]
        else:
            return None
    if spec.container_resources:
        try:
            if qos_class(old_tpl.get("spec") or {}) != qos_class(new_tpl.get("spec") or {}):
                return None
        except ValueError:
            return None
    if metadata_ops:
        old_meta = copy.deepcopy(old_tpl.get("metadata") or {})
        new_meta = copy.deepcopy(new_tpl.get("metadata") or {})
        if env_from_metadata:
            _collect_env_from_metadata(spec, metadata_ops, new_tpl, old_meta, new_meta)
        spec.meta_patch = _metadata_patch(old_meta, new_meta)
    return spec


def _collect_env_from_metadata(
    spec: UpdateSpec, ops: list[Obj], new_tpl: Obj, old_meta: Obj, new_meta: Obj
) -> None:
    """Label/annotation keys read by a container's env go to containerRefMetadata (applied in that
    container's batch, so it restarts in launch order) instead of the plain metadata patch."""
    containers = (new_tpl.get("spec") or {}).get("containers") or []
    for op in ops:
        if op["op"] not in ("add", "replace"):
            continue
        words = op["path"].split("/", 3)
        if len(words) != 4 or words[2] not in ("labels", "annotations") or not isinstance(op["value"], str):
            continue
        section, key = words[2], _unescape(words[3])
        for c in containers:
            if not _references(c, section, key):
                continue
            ref = spec.container_ref_metadata.setdefault(c["name"], {})
            ref.setdefault(section, {})[key] = op["value"]
            (old_meta.get(section) or {}).pop(key, None)
            (new_meta.get(section) or {}).pop(key, None)
            spec.update_env_from_metadata = True


def can_update_in_place(old_rev: Obj | None, new_rev: Obj) -> bool:
    return calculate_spec(old_rev, new_rev) is not None
