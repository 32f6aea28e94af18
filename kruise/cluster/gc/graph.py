"""The ownership graph and the garbage collector's decisions, as pure functions.

Nodes are objects by uid with their ownerReferences; the graph indexes owner uid -> dependents
(an owner need not be known: its dependents are still indexed under its uid). Changes observed
by the informers become work: uids to re-examine ("attempt to delete") and owners whose
dependents must be orphaned. What to do with one dependent follows kube's collector:

- some owner still exists and is not deleting its dependents: keep it (drop dangling refs);
- some owner is deleting dependents in the foreground and the item has dependents itself:
  delete it in the foreground too, so the wait propagates down the chain;
- otherwise (every owner gone): delete it, honouring its own orphan/foreground finalizer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from kruise.client.resources import Resource

Obj = dict[str, Any]

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


@dataclass(frozen=True)
class OwnerRef:
    api_version: str
    kind: str
    name: str
    uid: str
    block: bool = False  # blockOwnerDeletion

    @classmethod
    def from_dict(cls, ref: Obj) -> OwnerRef:
        return cls(
            str(ref.get("apiVersion") or ""),
            str(ref.get("kind") or ""),
            str(ref.get("name") or ""),
            str(ref.get("uid") or ""),
            bool(ref.get("blockOwnerDeletion")),
        )


@dataclass(frozen=True)
class GraphNode:
    resource: Resource
    namespace: str
    name: str
    uid: str
    owners: tuple[OwnerRef, ...] = ()
    deleting: bool = False
    finalizers: tuple[str, ...] = ()

    @property
    def deleting_dependents(self) -> bool:
        return self.deleting and FOREGROUND in self.finalizers

    @property
    def orphaning(self) -> bool:
        return self.deleting and ORPHAN in self.finalizers


def node_from_object(resource: Resource, obj: Obj) -> GraphNode:
    meta = obj.get("metadata") or {}
    return GraphNode(
        resource=resource,
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        uid=str(meta.get("uid") or ""),
        owners=tuple(OwnerRef.from_dict(r) for r in meta.get("ownerReferences") or [] if r.get("uid")),
        deleting=bool(meta.get("deletionTimestamp")),
        finalizers=tuple(meta.get("finalizers") or ()),
    )


class Graph:
    def __init__(self) -> None:
        self._nodes: dict[str, GraphNode] = {}
        self._dependents: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, uid: object) -> bool:
        return uid in self._nodes

    def get(self, uid: str) -> GraphNode | None:
        return self._nodes.get(uid)

    def upsert(self, node: GraphNode) -> GraphNode | None:
        old = self._nodes.get(node.uid)
        self._nodes[node.uid] = node
        self._unindex(old)
        for o in node.owners:
            self._dependents.setdefault(o.uid, set()).add(node.uid)
        return old

    def remove(self, uid: str) -> GraphNode | None:
        old = self._nodes.pop(uid, None)
        self._unindex(old)
        return old

    def _unindex(self, node: GraphNode | None) -> None:
        if node is None:
            return
        for o in node.owners:
            deps = self._dependents.get(o.uid)
            if deps is not None:
                deps.discard(node.uid)
                if not deps:
                    del self._dependents[o.uid]

    def nodes_of(self, resource: Resource) -> list[GraphNode]:
        return [n for n in self._nodes.values() if n.resource == resource]

    def dependents(self, uid: str) -> list[GraphNode]:
        return [self._nodes[d] for d in sorted(self._dependents.get(uid, ())) if d in self._nodes]

    def blocking_dependents(self, uid: str) -> list[GraphNode]:
        """Dependents whose reference to `uid` has blockOwnerDeletion: a foreground deletion of
        the owner waits for them."""
        return [d for d in self.dependents(uid) if any(o.uid == uid and o.block for o in d.owners)]

    def with_unknown_owner(self) -> set[str]:
        """Dependents with an owner uid the graph has not observed: worth a look at the API."""
        out: set[str] = set()
        for owner, deps in self._dependents.items():
            if owner not in self._nodes:
                out |= deps
        return out


# ---------------------------------------------------------------------- observed changes -> work
@dataclass
class Work:
    attempt_delete: set[str] = field(default_factory=set)
    orphan: set[str] = field(default_factory=set)


def work_for_change(
    graph: Graph, old: GraphNode | None, new: GraphNode, *, check_unknown_owners: bool = True
) -> Work:
    """What an add or update of `new` (already in `graph`) calls for."""
    work = Work()
    old_refs = {o.uid: o for o in old.owners} if old else {}
    new_refs = {o.uid: o for o in new.owners}
    added = [o for uid, o in new_refs.items() if uid not in old_refs]
    if check_unknown_owners and any(o.uid not in graph for o in added):
        work.attempt_delete.add(new.uid)
    for o in added:
        owner = graph.get(o.uid)
        if owner is not None and owner.deleting_dependents:
            work.attempt_delete.add(new.uid)  # a new dependent of an owner going away
    # A dropped or unblocked reference may be the last thing a foreground owner waits for.
    released = [
        o for uid, o in old_refs.items() if uid not in new_refs or (o.block and not new_refs[uid].block)
    ]
    for o in released:
        owner = graph.get(o.uid)
        if owner is not None and owner.deleting_dependents:
            work.attempt_delete.add(owner.uid)
    if new.orphaning and not (old and old.orphaning):
        work.orphan.add(new.uid)
    if new.deleting_dependents and not (old and old.deleting_dependents):
        work.attempt_delete.add(new.uid)
        work.attempt_delete |= {d.uid for d in graph.dependents(new.uid)}
    return work


def work_for_removal(graph: Graph, old: GraphNode) -> Work:
    """What the disappearance of `old` (already out of `graph`) calls for: its dependents may be
    orphans now, and a foreground owner may have been waiting for it."""
    work = Work(attempt_delete={d.uid for d in graph.dependents(old.uid)})
    for o in old.owners:
        owner = graph.get(o.uid)
        if owner is not None and owner.deleting_dependents:
            work.attempt_delete.add(owner.uid)
    return work


# ---------------------------------------------------------------------- one dependent
class OwnerState(Enum):
    ABSENT = "absent"  # no object with that uid where the reference points: dangling
    SOLID = "solid"
    DELETING_DEPENDENTS = "deleting-dependents"  # being deleted in the foreground
    UNRESOLVED = "unresolved"  # unknown kind, or a reference that cannot be followed


@dataclass(frozen=True)
class Classification:
    solid: tuple[OwnerRef, ...] = ()
    dangling: tuple[OwnerRef, ...] = ()
    waiting: tuple[OwnerRef, ...] = ()
    unresolved: tuple[OwnerRef, ...] = ()


def classify(owners: Iterable[OwnerRef], states: Mapping[str, OwnerState]) -> Classification:
    buckets: dict[OwnerState, list[OwnerRef]] = {s: [] for s in OwnerState}
    for o in owners:
        buckets[states.get(o.uid, OwnerState.UNRESOLVED)].append(o)
    return Classification(
        solid=tuple(buckets[OwnerState.SOLID]),
        dangling=tuple(buckets[OwnerState.ABSENT]),
        waiting=tuple(buckets[OwnerState.DELETING_DEPENDENTS]),
        unresolved=tuple(buckets[OwnerState.UNRESOLVED]),
    )


@dataclass(frozen=True)
class DependentAction:
    remove_owner_uids: tuple[str, ...] = ()  # patch these references away
    unblock_owner_uids: tuple[str, ...] = ()  # set blockOwnerDeletion=false on these first
    delete: str | None = None  # delete with this propagationPolicy
    retry: bool = False  # an owner could not be resolved: look again later, act on nothing


def plan_dependent(
    finalizers: Sequence[str], c: Classification, *, has_dependents: bool, dependents_deleting: bool
) -> DependentAction:
    """kube's attemptToDeleteItem decision for an object that is not itself being deleted."""
    if c.unresolved:
        return DependentAction(retry=True)
    if c.solid:
        drop = tuple(o.uid for o in c.dangling + c.waiting)
        return DependentAction(remove_owner_uids=drop)
    if c.waiting and has_dependents:
        # A dependent already deleting its own dependents while we wait on it would be a
        # cycle of blocking references: unblock ours first.
        unblock = tuple(o.uid for o in c.waiting if o.block) if dependents_deleting else ()
        return DependentAction(unblock_owner_uids=unblock, delete="Foreground")
    if ORPHAN in finalizers:
        return DependentAction(delete="Orphan")
    if FOREGROUND in finalizers:
        return DependentAction(delete="Foreground")
    return DependentAction(delete="Background")


# ---------------------------------------------------------------------- owners being deleted
@dataclass(frozen=True)
class ForegroundAction:
    remove_finalizer: bool = False
    attempt_delete: tuple[str, ...] = ()


def plan_deleting_dependents(graph: Graph, uid: str) -> ForegroundAction:
    """An owner with the foregroundDeletion finalizer: done when no blocking dependent is left;
    until then, make sure each (not already cascading) blocking dependent is being deleted."""
    blocking = graph.blocking_dependents(uid)
    if not blocking:
        return ForegroundAction(remove_finalizer=True)
    return ForegroundAction(attempt_delete=tuple(d.uid for d in blocking if not d.deleting_dependents))


def without_owners(refs: Sequence[Obj], uids: Iterable[str]) -> list[Obj]:
    drop = set(uids)
    return [r for r in refs if r.get("uid") not in drop]


def unblocked(refs: Sequence[Obj], uids: Iterable[str]) -> list[Obj]:
    targets = set(uids)
    return [{**r, "blockOwnerDeletion": False} if r.get("uid") in targets else r for r in refs]


def without_finalizer(finalizers: Sequence[str], name: str) -> list[str]:
    return [f for f in finalizers if f != name]
