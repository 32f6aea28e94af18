"""ControllerRef helpers: who controls an object, and which objects a controller should adopt or release.

Pure functions over dicts; the controller executes the resulting patches through the client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]


def controller_ref(obj: Obj) -> Obj | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def is_controlled_by(obj: Obj, owner_uid: str) -> bool:
    ref = controller_ref(obj)
    return ref is not None and ref.get("uid") == owner_uid


def new_controller_ref(owner: Obj, *, block_owner_deletion: bool = True) -> Obj:
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": block_owner_deletion,
    }


@dataclass
class Claim:
    owned: list[Obj] = field(default_factory=list)  # controlled by the owner and matching: keep
    adopt: list[Obj] = field(default_factory=list)  # orphans that match: take ownership
    release: list[Obj] = field(default_factory=list)  # controlled but no longer matching: let go


def claim(owner: Obj, matches: Callable[[Obj], bool], candidates: Iterable[Obj]) -> Claim:
    """Split candidates as ReplicaSet-style controllers do. An owner being deleted adopts nothing."""
    uid = owner["metadata"]["uid"]
    deleting = bool(owner["metadata"].get("deletionTimestamp"))
    out = Claim()
    for obj in candidates:
        ref = controller_ref(obj)
        if ref is not None:
            if ref.get("uid") != uid:
                continue  # someone else's
            (out.owned if matches(obj) else out.release).append(obj)
        elif matches(obj) and not deleting and not obj["metadata"].get("deletionTimestamp"):
            out.adopt.append(obj)
    return out


def adopt_patch(owner: Obj, obj: Obj) -> Obj:
    """Strategic merge patch adding the owner as controller; the uid precondition guards against a
    recreated object with the same name."""
    return {
        "metadata": {
            "ownerReferences": [new_controller_ref(owner)],
            "uid": obj["metadata"]["uid"],
        }
    }


def release_patch(owner_uid: str, obj: Obj) -> Obj:
    return {
        "metadata": {
            "ownerReferences": [{"$patch": "delete", "uid": owner_uid}],
            "uid": obj["metadata"]["uid"],
        }
    }
