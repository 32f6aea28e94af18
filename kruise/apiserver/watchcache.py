"""In-memory state and watch fan-out, fed by the revision log.

LIST and GET are answered from here. Each object keeps its serialized JSON next to the dict, so a
LIST is a byte join and a watch event is serialized once however many watchers receive it. The
recent history is kept so a watch can resume from a resourceVersion; older than that is 410 Gone.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from kruise.api.wire import without_managed_fields

from .storage import ADDED, DELETED, MODIFIED


@dataclass(slots=True)
class Entry:
    obj: dict[str, Any]
    raw: bytes
    rv: int


@dataclass(slots=True)
class WatchEvent:
    rv: int
    type: str
    storage_key: str
    namespace: str
    name: str
    obj: dict[str, Any]
    raw: bytes
    prev: dict[str, Any] | None = None
    _line: bytes | None = None
    _lean_raw: bytes | None = None
    _lean_line: bytes | None = None

    def line(self, type_: str | None = None) -> bytes:
        """`{"type":..,"object":..}\\n`, built once per event for the common case."""
        t = type_ or self.type
        if t == self.type:
            if self._line is None:
                self._line = b'{"type":"' + t.encode() + b'","object":' + self.raw + b"}\n"
            return self._line
        return b'{"type":"' + t.encode() + b'","object":' + self.raw + b"}\n"

    def lean_line(self, type_: str | None = None) -> bytes:
        """As line(), without metadata.managedFields (see kruise.api.wire), encoded once per event."""
        t = type_ or self.type
        if t == self.type and self._lean_line is not None:
            return self._lean_line
        if self._lean_raw is None:
            lean = without_managed_fields(self.obj)
            self._lean_raw = self.raw if lean is self.obj else orjson.dumps(lean)
        line = b'{"type":"' + t.encode() + b'","object":' + self._lean_raw + b"}\n"
        if t == self.type:
            self._lean_line = line
        return line


Predicate = Callable[[dict[str, Any]], bool]
Renderer = Callable[[str, WatchEvent], bytes]
Sink = Callable[[list[bytes]], bool]
"""Writes a batch of event lines straight to a watcher's client; False when the client has fallen
too far behind (the watcher is then dropped as overflowed). Watchers of one stream are flushed one
after another with batches of the same line objects, which a sink may use to encode a batch once."""


@dataclass(eq=False)
class Watcher:
    storage_key: str
    namespace: str | None
    predicate: Predicate | None
    render: Renderer | None = None
    max_pending: int = 50_000
    pending: list[bytes] = field(default_factory=list)
    closed: bool = False
    overflowed: bool = False
    # events at or below this were already delivered (initial state or history replay)
    min_rv: int = 0
    # (field, value, getter) when the field selector pins the resource's indexed field: the cache
    # then hands this watcher only events whose object, before or after, has that value
    index: tuple[str, str, Callable[[dict[str, Any]], str]] | None = None
    # the future `next_batch` awaits (a bare future and timer: a watcher under a stream of events
    # waits hundreds of times a second, and wait_for would wrap each wait in a task)
    _waiter: asyncio.Future[None] | None = None
    # set by `WatchCache.stream_to`: events then bypass `next_batch` and go to the sink when the
    # cache flushes, `_on_pending` telling it this watcher has some
    sink: Sink | None = None
    _on_pending: Callable[[Watcher], None] | None = None

    def offer(self, ev: WatchEvent) -> None:
        if self.closed or ev.rv <= self.min_rv:
            return
        if self.namespace is not None and ev.namespace != self.namespace:
            return
        type_ = ev.type
        if self.predicate is not None:
            now = self.predicate(ev.obj)
            if ev.type == MODIFIED:
                before = ev.prev is not None and self.predicate(ev.prev)
                if now and not before:
                    type_ = ADDED
                elif before and not now:
                    type_ = DELETED
                elif not now:
                    return
            elif not now:
                return
        self.push(self.render(type_, ev) if self.render else ev.line(type_))

    def push(self, line: bytes) -> None:
        if len(self.pending) >= self.max_pending:
            # A watcher that cannot keep up is dropped; its client relists.
            self.overflowed = True
            self.close()
            return
        self.pending.append(line)
        if self._on_pending is not None:
            if len(self.pending) == 1:
                self._on_pending(self)
        elif self._waiter is not None:
            _resolve(self._waiter)

    def flush(self) -> None:
        """Hand the pending lines to the sink in one write."""
        if self.closed or not self.pending or self.sink is None:
            return
        batch, self.pending = self.pending, []
        if not self.sink(batch):
            self.overflowed = True
            self.close()

    def close(self) -> None:
        self.closed = True
        if self._waiter is not None:
            _resolve(self._waiter)

    def take(self) -> list[bytes]:
        batch, self.pending = self.pending, []
        return batch

    async def next_batch(self, timeout: float | None) -> list[bytes]:
        """The pending lines, waiting up to `timeout` seconds for one ([] when none came). A
        streaming watcher's lines go to its sink instead: it only waits for a close or the timeout."""
        streaming = self.sink is not None
        if (streaming or not self.pending) and not self.closed:
            loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            timer = loop.call_later(timeout, _resolve, waiter) if timeout is not None else None
            try:
                await waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
        if streaming:
            return []
        batch, self.pending = self.pending, []
        return batch


class TooOld(Exception):
    def __init__(self, oldest: int) -> None:
        super().__init__(oldest)
        self.oldest = oldest


class WatchCache:
    def __init__(self, history: int = 20_000) -> None:
        self.objects: dict[str, dict[tuple[str, str], Entry]] = {}
        self.history: deque[WatchEvent] = deque(maxlen=history)
        self.watchers: dict[str, set[Watcher]] = {}  # watchers without an index, per storage key
        # per storage key: the indexed field, its getter and the watchers per pinned value
        self.indexed: dict[str, tuple[str, Callable[[dict[str, Any]], str], dict[str, set[Watcher]]]] = {}
        # streaming watchers with pending events, written together at most every flush_interval
        # seconds: under a stream of events each client gets one write per interval instead of
        # one per event, and no watcher's task wakes up for it
        self.flush_interval = 0.01
        self._unflushed: list[Watcher] = []
        self._flush_handle: asyncio.Handle | None = None
        self._last_flush = 0.0
        self.rv = 0  # newest revision applied (reads see it)
        self.published_rv = 0  # newest revision committed and handed to watchers
        # resume from rv > floor is served from history
        self.floor = 0

    # ---- state
    def bucket(self, storage_key: str) -> dict[tuple[str, str], Entry]:
        b = self.objects.get(storage_key)
        if b is None:
            b = self.objects[storage_key] = {}
        return b

    def get(self, storage_key: str, namespace: str, name: str) -> Entry | None:
        b = self.objects.get(storage_key)
        return b.get((namespace, name)) if b else None

    def list(self, storage_key: str, namespace: str | None = None) -> list[Entry]:
        b = self.objects.get(storage_key)
        if not b:
            return []
        if namespace is None:
            return [b[k] for k in sorted(b)]
        return [e for k, e in sorted(b.items()) if k[0] == namespace]

    def load(self, storage_key: str, namespace: str, name: str, entry: Entry) -> None:
        self.bucket(storage_key)[(namespace, name)] = entry

    def record(self, ev: WatchEvent) -> None:
        """Apply one committed revision and fan it out."""
        self.apply(ev)
        self.publish(ev)

    def apply(self, ev: WatchEvent) -> None:
        """Make a revision visible to reads."""
        b = self.bucket(ev.storage_key)
        key = (ev.namespace, ev.name)
        if ev.type == DELETED:
            b.pop(key, None)
        else:
            b[key] = Entry(ev.obj, ev.raw, ev.rv)
        self.rv = ev.rv

    def publish(self, ev: WatchEvent) -> None:
        """Add a committed revision to the history and hand it to watchers."""
        self.published_rv = ev.rv
        if len(self.history) == self.history.maxlen:
            self.floor = self.history[0].rv
        self.history.append(ev)
        _offer(self.watchers.get(ev.storage_key), ev)
        index = self.indexed.get(ev.storage_key)
        if index is not None:
            _field, getter, by_value = index
            value = getter(ev.obj)
            _offer(by_value.get(value), ev)
            if ev.prev is not None:
                before = getter(ev.prev)
                if before != value:  # e.g. a binding: the node's watch sees the pod ADDED
                    _offer(by_value.get(before), ev)

    def seed_history(self, events: list[WatchEvent], floor: int) -> None:
        self.history.extend(events)
        self.floor = floor
        if events:
            self.rv = max(self.rv, events[-1].rv)
        self.published_rv = self.rv

    # ---- watch
    def events_after(self, storage_key: str, rv: int) -> list[WatchEvent]:
        if rv < self.floor:
            raise TooOld(self.floor)
        out = []
        # history is ordered by rv; scan from the newest end back to rv
        for ev in reversed(self.history):
            if ev.rv <= rv:
                break
            if ev.storage_key == storage_key:
                out.append(ev)
        out.reverse()
        return out

    def add_watcher(self, w: Watcher) -> None:
        if w.index is not None:
            field_name, value, getter = w.index
            index = self.indexed.setdefault(w.storage_key, (field_name, getter, {}))
            if index[0] == field_name:
                index[2].setdefault(value, set()).add(w)
                return
            w.index = None
        self.watchers.setdefault(w.storage_key, set()).add(w)

    def stream_to(self, w: Watcher, sink: Sink) -> None:
        """From now on `w`'s events (pending ones first) are written to `sink` by the cache."""
        w.sink = sink
        w._on_pending = self._mark_unflushed
        if w.pending:
            self._mark_unflushed(w)

    def _mark_unflushed(self, w: Watcher) -> None:
        self._unflushed.append(w)
        if self._flush_handle is None:
            loop = asyncio.get_running_loop()
            delay = self._last_flush + self.flush_interval - loop.time()
            # a lone event goes out at once; under a stream, once per interval
            self._flush_handle = (
                loop.call_later(delay, self._flush) if delay > 0 else loop.call_soon(self._flush)
            )

    def _flush(self) -> None:
        self._flush_handle = None
        self._last_flush = asyncio.get_running_loop().time()
        unflushed, self._unflushed = self._unflushed, []
        for w in unflushed:
            w.flush()

    def remove_watcher(self, w: Watcher) -> None:
        if w.index is not None:
            by_value = self.indexed[w.storage_key][2]
            value = w.index[1]
            group = by_value.get(value)
            if group is not None:
                group.discard(w)
                if not group:
                    del by_value[value]
        else:
            s = self.watchers.get(w.storage_key)
            if s:
                s.discard(w)
        w.close()

    def watcher_count(self) -> int:
        indexed = sum(len(g) for _f, _g, by_value in self.indexed.values() for g in by_value.values())
        return indexed + sum(len(s) for s in self.watchers.values())


def _offer(watchers: set[Watcher] | None, ev: WatchEvent) -> None:
    if not watchers:
        return
    for w in list(watchers):
        w.offer(ev)
        if w.closed:
            watchers.discard(w)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
