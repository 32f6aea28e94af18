"""The server's single source of truth: revision log on disk + watch cache in memory.

All writes go through `Store.write`, which assigns the next resourceVersion, appends to SQLite
(acknowledged only once committed) and then updates the cache and wakes watchers. Writes are
synchronous on the event loop, so a read-modify-write between two awaits is atomic.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from .storage import DELETED, RevisionLog, object_key
from .watchcache import Entry, WatchCache, WatchEvent


def split_key(key: str) -> tuple[str, str, str]:
    """storage key "group/resource/ns/name" -> ("group/resource", ns, name)."""
    group, resource, namespace, name = key.split("/", 3)
    return f"{group}/{resource}", namespace, name


class Store:
    def __init__(self, data_dir: Path, history: int = 20_000) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = RevisionLog(data_dir / "state.db")
        self.cache = WatchCache(history)
        self.history_size = history
        # called synchronously after every committed revision (e.g. to serve a new CRD at once)
        self.listeners: list[Callable[[WatchEvent], None]] = []
        self._load()

    def _load(self) -> None:
        for row in self.log.current():
            skey, ns, name = split_key(row.key)
            self.cache.load(skey, ns, name, Entry(orjson.loads(row.obj), row.obj, row.rv))
        floor = self.log.tail_start(self.history_size)
        events = []
        for row in self.log.since(floor):
            skey, ns, name = split_key(row.key)
            events.append(WatchEvent(row.rv, row.type, skey, ns, name, orjson.loads(row.obj), row.obj))
        self.cache.seed_history(events, floor)
        self.cache.rv = max(self.cache.rv, self.log.last_rv)

    @property
    def rv(self) -> int:
        return self.log.last_rv

    def close(self) -> None:
        self.log.close()

    def get(self, storage_key: str, namespace: str, name: str) -> Entry | None:
        return self.cache.get(storage_key, namespace, name)

    def list(self, storage_key: str, namespace: str | None = None) -> list[Entry]:
        return self.cache.list(storage_key, namespace)

    def write(
        self, storage_key: str, type_: str, obj: dict[str, Any], prev: dict[str, Any] | None = None
    ) -> Entry:
        """Commit one revision of `obj` (its resourceVersion is set here) and publish it."""
        rv = self.log.next_rv()
        obj["metadata"]["resourceVersion"] = str(rv)
        raw = orjson.dumps(obj)
        meta = obj["metadata"]
        namespace = meta.get("namespace", "")
        name = meta["name"]
        self.log.append(rv, object_key(storage_key, namespace, name), type_, raw)
        ev = WatchEvent(rv, type_, storage_key, namespace, name, obj, raw, prev)
        self.cache.record(ev)
        for listener in self.listeners:
            listener(ev)
        return Entry(obj, raw, rv)

    def delete(self, storage_key: str, obj: dict[str, Any]) -> Entry:
        return self.write(storage_key, DELETED, obj, prev=None)

    def compact(self) -> int:
        return self.log.compact(self.cache.floor)
