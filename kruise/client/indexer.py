"""The informer's cache: objects by "namespace/name" plus named secondary indexes.

Objects are shared, not copied: whoever reads from the cache must not mutate what it gets back
(copy first). Consumers get an `IndexerView`, which has no way to write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

Obj = dict[str, Any]
IndexFunc = Callable[[Obj], list[str]]


def object_key(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{ns}/{meta['name']}" if ns else meta["name"]


def split_key(key: str) -> tuple[str, str]:
    """ "ns/name" -> ("ns", "name"); "name" -> ("", "name")."""
    ns, sep, name = key.partition("/")
    return (ns, name) if sep else ("", ns)


def by_namespace(obj: Obj) -> list[str]:
    ns = (obj.get("metadata") or {}).get("namespace")
    return [ns] if ns else []


def by_owner_uid(obj: Obj) -> list[str]:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return [r["uid"] for r in refs if r.get("uid")]


def by_node_name(obj: Obj) -> list[str]:
    node = (obj.get("spec") or {}).get("nodeName")
    return [node] if node else []


BY_NAMESPACE = "namespace"
BY_OWNER_UID = "owner-uid"
BY_NODE_NAME = "node-name"
DEFAULT_INDEXES: dict[str, IndexFunc] = {
    BY_NAMESPACE: by_namespace,
    BY_OWNER_UID: by_owner_uid,
    BY_NODE_NAME: by_node_name,
}


class Indexer:
    def __init__(self, indexers: dict[str, IndexFunc] | None = None) -> None:
        self._items: dict[str, Obj] = {}
        self._funcs: dict[str, IndexFunc] = {}
        self._indices: dict[str, dict[str, set[str]]] = {}
        for name, fn in (indexers if indexers is not None else DEFAULT_INDEXES).items():
            self.add_index(name, fn)

    # ---- indexes
    def add_index(self, name: str, fn: IndexFunc) -> None:
        """Add (or replace) a named index; existing objects are indexed at once."""
        self._funcs[name] = fn
        index: dict[str, set[str]] = {}
        for key, obj in self._items.items():
            for value in fn(obj):
                index.setdefault(value, set()).add(key)
        self._indices[name] = index

    def has_index(self, name: str) -> bool:
        return name in self._funcs

    def _index(self, key: str, old: Obj | None, new: Obj | None) -> None:
        for name, fn in self._funcs.items():
            before = fn(old) if old is not None else []
            after = fn(new) if new is not None else []
            if before == after:
                continue
            index = self._indices[name]
            for value in before:
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]
            for value in after:
                index.setdefault(value, set()).add(key)

    # ---- writes (the informer's)
    def upsert(self, obj: Obj) -> Obj | None:
        """Store obj; returns the object it replaced, if any."""
        key = object_key(obj)
        old = self._items.get(key)
        self._items[key] = obj
        self._index(key, old, obj)
        return old

    def delete(self, key: str) -> Obj | None:
        old = self._items.pop(key, None)
        if old is not None:
            self._index(key, old, None)
        return old

    def replace(self, objs: Iterable[Obj]) -> None:
        """Swap the whole content (a relist)."""
        self._items = {object_key(o): o for o in objs}
        for name in list(self._funcs):
            self.add_index(name, self._funcs[name])

    # ---- reads
    def get(self, key: str) -> Obj | None:
        return self._items.get(key)

    def get_by(self, namespace: str | None, name: str) -> Obj | None:
        return self._items.get(f"{namespace}/{name}" if namespace else name)

    def list(self) -> list[Obj]:
        return list(self._items.values())

    def keys(self) -> list[str]:
        return list(self._items)

    def by_index(self, index: str, value: str) -> list[Obj]:
        return [self._items[k] for k in self.index_keys(index, value)]

    def index_keys(self, index: str, value: str) -> list[str]:
        if index not in self._indices:
            raise KeyError(f"no index named {index!r}")
        return sorted(self._indices[index].get(value, ()))

    def index_values(self, index: str) -> list[str]:
        if index not in self._indices:
            raise KeyError(f"no index named {index!r}")
        return list(self._indices[index])

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[Obj]:
        return iter(list(self._items.values()))

    def view(self) -> IndexerView:
        return IndexerView(self)


class IndexerView:
    """Read-only access for listers: what a reconcile reads; only the informer writes."""

    __slots__ = ("_store",)

    def __init__(self, store: Indexer) -> None:
        self._store = store

    def get(self, key: str) -> Obj | None:
        return self._store.get(key)

    def get_by(self, namespace: str | None, name: str) -> Obj | None:
        return self._store.get_by(namespace, name)

    def list(self, namespace: str | None = None) -> list[Obj]:
        if namespace is None:
            return self._store.list()
        if self._store.has_index(BY_NAMESPACE):
            return self._store.by_index(BY_NAMESPACE, namespace)
        return [o for o in self._store.list() if (o.get("metadata") or {}).get("namespace") == namespace]

    def keys(self) -> list[str]:
        return self._store.keys()

    def by_index(self, index: str, value: str) -> list[Obj]:
        return self._store.by_index(index, value)

    def index_keys(self, index: str, value: str) -> list[str]:
        return self._store.index_keys(index, value)

    def __len__(self) -> int:
        return len(self._store)

    def __contains__(self, key: object) -> bool:
        return key in self._store
