"""ControllerRevision handling shared by the Kruise workloads (kruise-behaviour.md §1.1). Pure: no I/O.

The reconciler lists the revisions it owns, calls `plan_revisions`, then executes the plan (create the
new revision, or raise the number of an older equal one) and later deletes `revisions_to_prune`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kruise.client.ownerref import new_controller_ref

Obj = dict[str, Any]

HASH_LABEL = "controller.kubernetes.io/hash"

# k8s.io/apimachinery/pkg/util/rand: the alphabet hashes are rendered in (no vowels, no 0/1/3).
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

_FNV32_OFFSET = 0x811C9DC5
_FNV32_PRIME = 0x01000193
_GO_JSON_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)
_MAX_NAME_PREFIX = 223  # revision name prefix is cut so `<prefix>-<hash>` stays a valid name


def revision_data(template: dict) -> dict:
    """The revision payload: a strategic-merge patch that restores exactly this pod template."""
    return {"spec": {"template": {**template, "$patch": "replace"}}}


def _json_bytes(data: Any) -> bytes:
    # Go marshals the patch from map[string]interface{}, so keys come out sorted and compact, with
    # <, >, & and U+2028/9 escaped. We mirror that so simple templates hash as upstream's do, but only
    # hash *equality* is a contract (typed Go structs also drop/normalise fields we keep as given).
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for raw, esc in _GO_JSON_ESCAPES:
        text = text.replace(raw, esc)
    return text.encode()


def fnv1_32(chunks: Iterable[bytes]) -> int:
    h = _FNV32_OFFSET
    for chunk in chunks:
        for b in chunk:
            h = (h * _FNV32_PRIME) & 0xFFFFFFFF
            h ^= b
    return h


def safe_encode(text: str) -> str:
    return "".join(SAFE_ALPHABET[ord(c) % len(SAFE_ALPHABET)] for c in text)


def hash_revision(data: dict, collision_count: int | None) -> str:
    """Kubernetes HashControllerRevision: FNV-1 32 over the data (+ decimal collision count), safe-encoded."""
    chunks = [_json_bytes(data)]
    if collision_count is not None:
        chunks.append(str(collision_count).encode())
    return safe_encode(str(fnv1_32(chunks)))


def revision_name(owner_name: str, hash_: str) -> str:
    return f"{owner_name[:_MAX_NAME_PREFIX]}-{hash_}"


def new_revision(owner: dict, template: dict, revision: int, collision_count: int | None) -> dict:
    """The ControllerRevision for `template`, owned by `owner`, numbered `revision`."""
    data = revision_data(template)
    hash_ = hash_revision(data, collision_count)
    meta = owner["metadata"]
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    labels[HASH_LABEL] = hash_
    rev_meta: Obj = {
        "name": revision_name(meta["name"], hash_),
        "labels": labels,
        "ownerReferences": [new_controller_ref(owner)],
    }
    if meta.get("namespace"):
        rev_meta["namespace"] = meta["namespace"]
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": rev_meta,
        "data": data,
        "revision": revision,
    }


def equal_revisions(a: dict | None, b: dict | None) -> bool:
    """Same payload (upstream compares the raw data bytes; parsed dicts compare semantically)."""
    if a is None or b is None:
        return a is b
    return a.get("data") == b.get("data")


def _name(rev: Obj) -> str:
    return rev.get("metadata", {}).get("name", "")


def sort_revisions(revisions: Iterable[dict]) -> list[dict]:
    """Oldest first: by .revision, then creationTimestamp, then name (as history.SortControllerRevisions)."""
    return sorted(
        revisions,
        key=lambda r: (
            r.get("revision", 0),
            r.get("metadata", {}).get("creationTimestamp") or "",
            _name(r),
        ),
    )


@dataclass
class RevisionPlan:
    update: dict  # the update revision as it should be after the plan is executed
    current: dict  # the current revision (status.currentRevision, else the update revision)
    create: dict | None  # a revision to create
    bump: dict | None  # an existing older equal revision, carrying its new (raised) .revision
    collision_count: int  # the value to write to status.collisionCount


def plan_revisions(
    owner: dict,
    revisions: list[dict],
    template: dict,
    current_revision_name: str | None,
    collision_count: int,
) -> RevisionPlan:
    """§1.1 steps 1-3: reuse the newest equal revision, bump an older equal one, or create a new one.

    A revision with the candidate's name but different data is a hash collision: the collision count
    goes up and the name is recomputed. A same-named revision the owner does not list (e.g. orphaned)
    only shows up as AlreadyExists on create; the executor then re-plans with it included.
    """
    ordered = sort_revisions(revisions)
    next_number = (ordered[-1].get("revision", 0) + 1) if ordered else 1
    by_name = {_name(r): r for r in ordered}

    create: dict | None = None
    bump: dict | None = None
    while True:
        candidate = new_revision(owner, template, next_number, collision_count)
        equal = [r for r in ordered if equal_revisions(r, candidate)]
        if equal and equal_revisions(ordered[-1], equal[-1]):
            update = ordered[-1]
        elif equal:
            bump = copy.deepcopy(equal[-1])
            bump["revision"] = next_number
            update = bump
        elif _name(candidate) in by_name:
            collision_count += 1
            continue
        else:
            create = update = candidate
        break

    current = by_name.get(current_revision_name or "")
    if current is None or _name(current) == _name(update):
        current = update
    return RevisionPlan(
        update=update, current=current, create=create, bump=bump, collision_count=collision_count
    )


def _hash_suffix(name: str) -> str:
    return name.rsplit("-", 1)[-1]


def revisions_to_prune(
    revisions: list[dict],
    current_name: str,
    update_name: str,
    live_revision_names: set[str],
    limit: int,
) -> list[dict]:
    """Non-live revisions beyond `limit`, oldest first.

    Live = current, update, or named by a pod's revision label. Pods may carry the full name
    (`<owner>-<hash>`) or only the hash, so names are compared by their suffix after the last '-'.
    """
    live = {_hash_suffix(n) for n in (current_name, update_name, *live_revision_names) if n}
    history = [r for r in sort_revisions(revisions) if _hash_suffix(_name(r)) not in live]
    excess = len(history) - max(limit, 0)
    return history[:excess] if excess > 0 else []
