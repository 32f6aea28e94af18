"""Pod-side bookkeeping of an in-place update (kruise-behaviour.md §2.2, §2.4): the
`apps.kruise.io/inplace-update-state` and `-grace` annotations, and completion detection.

Everything here is pure: functions read a Pod dict (or edit an annotations dict they are given).
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import orjson

from kruise.api.containermeta import RUNTIME_META_KEY, env_from_metadata_hash, plain_container_hash
from kruise.control.pods import annotations, format_time, parse_time

from .spec import RESIZABLE_RESOURCES, UpdateSpec, parse_quantity

Obj = dict[str, Any]

STATE_KEY = "apps.kruise.io/inplace-update-state"
STATE_KEY_OLD = "inplace-update-state"
GRACE_KEY = "apps.kruise.io/inplace-update-grace"
GRACE_KEY_OLD = "inplace-update-grace"
STATE_ANNOTATION = STATE_KEY  # aliases used by callers
GRACE_ANNOTATION = GRACE_KEY


class StateError(ValueError):
    """An in-place annotation is present but unreadable or inconsistent."""


@dataclass
class InPlaceUpdateState:
    """`apps.kruise.io/inplace-update-state`. Nested values stay in wire form (camelCase dicts)."""

    revision: str = ""
    update_timestamp: dt.datetime | None = None
    # name -> {"imageID": ...} for image updates, plus {"resources": {...}} (status before) for resizes
    last_container_statuses: dict[str, Obj] = field(default_factory=dict)
    update_env_from_metadata: bool = False
    update_images: bool = False
    update_resources: bool = False
    next_container_images: dict[str, str] = field(default_factory=dict)
    next_container_ref_metadata: dict[str, Obj] = field(default_factory=dict)
    next_container_resources: dict[str, Obj] = field(default_factory=dict)
    pre_check_before_next: Obj | None = None  # {"containersRequiredReady": [...]}
    container_batches_record: list[Obj] = field(default_factory=list)  # [{"timestamp", "containers"}]

    def has_next(self) -> bool:
        """Lower-priority containers are still waiting for a later batch."""
        return bool(
            self.next_container_images or self.next_container_ref_metadata or self.next_container_resources
        )

    def to_wire(self) -> Obj:
        out: Obj = {
            "revision": self.revision,
            "updateTimestamp": format_time(self.update_timestamp) if self.update_timestamp else None,
        }
        optional: list[tuple[str, Any]] = [
            ("lastContainerStatuses", self.last_container_statuses),
            ("updateEnvFromMetadata", self.update_env_from_metadata),
            ("updateImages", self.update_images),
            ("updateResources", self.update_resources),
            ("nextContainerImages", self.next_container_images),
            ("nextContainerRefMetadata", self.next_container_ref_metadata),
            ("nextContainerResources", self.next_container_resources),
            ("preCheckBeforeNext", self.pre_check_before_next),
            ("containerBatchesRecord", self.container_batches_record),
        ]
        for key, value in optional:
            if value:  # Go's omitempty
                out[key] = copy.deepcopy(value)
        return out

    @classmethod
    def from_wire(cls, data: Obj) -> InPlaceUpdateState:
        """The state from its decoded annotation; takes ownership of `data` (freshly decoded by
        read_state, so nothing is copied: this runs for every Pod on every reconcile)."""
        return cls(
            revision=str(data.get("revision") or ""),
            update_timestamp=parse_time(data.get("updateTimestamp")),
            last_container_statuses=data.get("lastContainerStatuses") or {},
            update_env_from_metadata=bool(data.get("updateEnvFromMetadata")),
            update_images=bool(data.get("updateImages")),
            update_resources=bool(data.get("updateResources")),
            next_container_images=dict(data.get("nextContainerImages") or {}),
            next_container_ref_metadata=data.get("nextContainerRefMetadata") or {},
            next_container_resources=data.get("nextContainerResources") or {},
            pre_check_before_next=data.get("preCheckBeforeNext") or None,
            container_batches_record=data.get("containerBatchesRecord") or [],
        )


# -- annotations ------------------------------------------------------------------------------------------


def _load(raw: str, what: str) -> Obj:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise StateError(f"invalid {what}: {e}") from None
    if not isinstance(data, dict):
        raise StateError(f"invalid {what}: not an object")
    return data


def read_state(pod: Obj) -> InPlaceUpdateState | None:
    """The state annotation (legacy key honoured), None when absent; StateError when unreadable."""
    ann = annotations(pod)
    raw = ann.get(STATE_KEY) or ann.get(STATE_KEY_OLD)
    if not raw:
        return None
    return InPlaceUpdateState.from_wire(_load(raw, STATE_KEY))


def write_state(pod: Obj, state: InPlaceUpdateState) -> None:
    ann = pod.setdefault("metadata", {}).setdefault("annotations", {})
    ann[STATE_KEY] = orjson.dumps(state.to_wire()).decode()
    ann.pop(STATE_KEY_OLD, None)


def has_grace(pod: Obj) -> bool:
    ann = annotations(pod)
    return bool(ann.get(GRACE_KEY) or ann.get(GRACE_KEY_OLD))


def read_grace(pod: Obj) -> UpdateSpec | None:
    """The update spec parked while a grace period runs."""
    ann = annotations(pod)
    raw = ann.get(GRACE_KEY) or ann.get(GRACE_KEY_OLD)
    if not raw:
        return None
    try:
        return UpdateSpec.from_wire(_load(raw, GRACE_KEY))
    except (ValueError, TypeError) as e:
        raise StateError(f"invalid {GRACE_KEY}: {e}") from None


def write_grace(pod: Obj, spec: UpdateSpec) -> None:
    ann = pod.setdefault("metadata", {}).setdefault("annotations", {})
    ann[GRACE_KEY] = orjson.dumps(spec.to_wire()).decode()
    ann.pop(GRACE_KEY_OLD, None)


def remove_grace(pod: Obj) -> None:
    ann = (pod.get("metadata") or {}).get("annotations")
    if ann:
        ann.pop(GRACE_KEY, None)
        ann.pop(GRACE_KEY_OLD, None)


# -- completion -----------------------------------------------------------------------------------------


def _runtime_meta(pod: Obj) -> list[Obj] | None:
    raw = annotations(pod).get(RUNTIME_META_KEY)
    if not raw:
        return None
    return list(_load(raw, RUNTIME_META_KEY).get("containers") or [])


def _status_of(pod: Obj, name: str) -> Obj | None:
    for cs in (pod.get("status") or {}).get("containerStatuses") or ():
        if cs.get("name") == name:
            return cs
    return None


def _hashes_consistent(pod: Obj, meta: list[Obj], kind: str) -> bool:
    """Every spec container is in status and in the runtime meta with the same containerID and the
    expected hash (`kind` is "plainHash" or "extractedEnvFromMetadataHash")."""
    by_name = {m.get("name"): m for m in meta}
    for c in (pod.get("spec") or {}).get("containers") or ():
        status, m = _status_of(pod, c["name"]), by_name.get(c["name"])
        if status is None or m is None or m.get("containerID") != status.get("containerID"):
            return False
        expected = plain_container_hash(c) if kind == "plainHash" else env_from_metadata_hash(c, pod)
        if (m.get("hashes") or {}).get(kind) != expected:
            return False
    return True


def _normalised_image(image: str) -> str:
    # A reference without any ':' means ":latest" (what the runtime reports back).
    return image if ":" in image else f"{image}:latest"


def _resources_match(spec_res: Obj | None, status_res: Obj | None) -> bool:
    """The cpu/memory the container runs with (status) equal what the spec asks for."""
    if status_res is None:
        return False
    for kind in ("limits", "requests"):
        wanted = (spec_res or {}).get(kind) or {}
        actual = status_res.get(kind) or {}
        for name in RESIZABLE_RESOURCES:
            if name not in wanted:
                continue
            if name not in actual or parse_quantity(wanted[name]) != parse_quantity(actual[name]):
                return False
    return True


def containers_update_completed(pod: Obj, state: InPlaceUpdateState) -> bool:
    """The containers touched so far run what the spec asks (§2.4 "containers completed")."""
    specs = {c["name"]: c for c in (pod.get("spec") or {}).get("containers") or ()}
    # Resizes: the kubelet reports the resources it actually applied in status.
    for name, record in state.last_container_statuses.items():
        if "resources" in record:
            status = _status_of(pod, name)
            if status is None or name not in specs:
                return False
            if not _resources_match(specs[name].get("resources"), status.get("resources")):
                return False

    meta = _runtime_meta(pod)
    if state.update_env_from_metadata and (
        meta is None or not _hashes_consistent(pod, meta, "extractedEnvFromMetadataHash")
    ):
        return False
    if meta is not None and _hashes_consistent(pod, meta, "plainHash"):
        return True
    # A stale runtime meta (daemon down) falls through to the image check.

    pending = {n for n, r in state.last_container_statuses.items() if "imageID" in r or "resources" not in r}
    for cs in (pod.get("status") or {}).get("containerStatuses") or ():
        name = cs.get("name")
        if name not in pending:
            continue
        record = state.last_container_statuses[name]
        if record.get("imageID", "") == cs.get("imageID", ""):
            # Same imageID: done only if the runtime already reports the new reference (a new tag
            # pointing at the very same image).
            wanted = _normalised_image((specs.get(name) or {}).get("image", ""))
            if wanted != cs.get("image"):
                return False
        pending.discard(name)
    return not pending


def pre_check_passed(pod: Obj, state: InPlaceUpdateState) -> bool:
    """Every container of the previous batch is ready, so the next batch may start."""
    for name in (state.pre_check_before_next or {}).get("containersRequiredReady") or ():
        status = _status_of(pod, name)
        if status is None or not status.get("ready"):
            return False
    return True


def is_update_completed(pod: Obj) -> bool:
    """The pod's in-place update has finished (used for lifecycle Updating -> Updated/Normal): no
    grace period pending, no later batch pending, and the containers completed. No state: completed."""
    if has_grace(pod):
        return False
    try:
        state = read_state(pod)
    except StateError:
        return False
    if state is None:
        return True
    if state.has_next():
        return False
    try:
        return containers_update_completed(pod, state)
    except (StateError, ValueError):
        return False
