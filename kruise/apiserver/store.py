"""The server's single source of truth: revision log on disk + watch cache in memory.

All writes go through `Store.write`, which assigns the next resourceVersion, inserts the row and
updates the in-memory state synchronously (so a read-modify-write between two awaits is atomic).
Rows written during one event-loop turn share a transaction (group commit): the commit runs once
the turn's writes are in, and only then are watchers told and callers of `durable()` released —
a write is acknowledged only after it is committed, and no watcher ever sees an uncommitted one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from .storage import DELETED, RevisionLog, object_key
from .watchcache import Entry, WatchCache, WatchEvent

log = logging.getLogger("kruise.apiserver.store")


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
        self._batch: list[WatchEvent] = []
        self._batch_done: asyncio.Future[None] | None = None
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
        self.cache.published_rv = self.cache.rv

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
        """Record one revision of `obj` (its resourceVersion is set here); see `durable()`."""
        rv = self.log.next_rv()
        obj["metadata"]["resourceVersion"] = str(rv)
        raw = orjson.dumps(obj)
        meta = obj["metadata"]
        namespace = meta.get("namespace", "")
        name = meta["name"]
        self.log.insert(rv, object_key(storage_key, namespace, name), type_, raw)
        ev = WatchEvent(rv, type_, storage_key, namespace, name, obj, raw, prev)
        self.cache.apply(ev)
        for listener in self.listeners:
            listener(ev)
        self._batch.append(ev)
        self._schedule_commit()
        return Entry(obj, raw, rv)

    def delete(self, storage_key: str, obj: dict[str, Any]) -> Entry:
        return self.write(storage_key, DELETED, obj, prev=None)

    async def durable(self) -> None:
        """Wait until every write made so far is committed."""
        if self._batch_done is not None:
            await asyncio.shield(self._batch_done)

    def _schedule_commit(self) -> None:
        if self._batch_done is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (tools, unit tests): commit at once
            self.commit()
            return
        self._batch_done = loop.create_future()
        loop.call_soon(self.commit)

    def commit(self) -> None:
        """Commit the open batch, then publish it to watchers and release its writers."""
        batch, self._batch = self._batch, []
        done, self._batch_done = self._batch_done, None
        try:
            self.log.commit()
        except Exception as e:
            log.critical("event=commit_failed rows=%d error=%s", len(batch), e)
            # Memory ran ahead of the disk: forget what was not committed and re-read the truth.
            self.log.rollback()
            self.cache = WatchCache(self.history_size)
            self._load()
            if done is not None and not done.done():
                done.set_exception(e)
            return
        for ev in batch:
            self.cache.publish(ev)
        if done is not None and not done.done():
            done.set_result(None)

    def compact(self) -> int:
        if self._batch:
            self.commit()
        return self.log.compact(self.cache.floor)
