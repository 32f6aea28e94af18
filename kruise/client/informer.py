"""Informers: a local cache of one resource kept current by list + watch, with event handlers.

The loop, as client-go's reflector: list (in pages of 500) → replace the cache, synthesizing
adds/updates/deletes against what was cached → watch from the list's resourceVersion, resuming from
the last seen one (bookmarks advance it) after a dropped connection → relist only on 410 Gone.
Errors and disconnects (an API server restart) back off with jitter and retry forever.

Handlers run inline on the informer's task right after the cache changed, so they must be cheap
(enqueue a key, nothing more) and must not mutate the objects they are given.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from ..api import heap
from .errors import Gone
from .indexer import Indexer, IndexerView, IndexFunc, object_key
from .resources import Resource
from .rest import Client, backoff

log = logging.getLogger("kruise.informer")

Obj = dict[str, Any]
OnAdd = Callable[[Obj], None]
OnUpdate = Callable[[Obj, Obj], None]
OnDelete = Callable[[Obj], None]

_YIELD_EVERY = 256  # events handled between yields to the loop while draining a backlog
_MIN_WATCH_SECONDS = 300  # watch timeouts are spread over [min, 2*min] so reconnects do not align
_HEALTHY_WATCH = 10.0  # a watch that lasted this long resets the error backoff


@dataclass(frozen=True)
class _Handler:
    on_add: OnAdd | None
    on_update: OnUpdate | None
    on_delete: OnDelete | None


class Informer:
    def __init__(
        self,
        client: Client,
        resource: Resource,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resync_period: float | None = None,
        *,
        page_size: int | None = 500,
        indexers: dict[str, IndexFunc] | None = None,
    ) -> None:
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.resync_period = resync_period
        # Pages bound the transient memory of a big list; None asks for everything at once.
        self.page_size = page_size
        self._cache = Indexer(indexers)
        self._handlers: list[_Handler] = []
        self._rv = ""
        self._synced = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.lists = 0  # how many times the loop listed (1 + relists); for tests and metrics
        self.name = f"{resource.plural}" + (f"/{namespace}" if namespace else "")

    # ------------------------------------------------------------------ consumers
    @property
    def store(self) -> IndexerView:
        return self._cache.view()

    @property
    def resource_version(self) -> str:
        return self._rv

    def add_index(self, name: str, fn: IndexFunc) -> None:
        self._cache.add_index(name, fn)

    def add_handler(
        self,
        on_add: OnAdd | None = None,
        on_update: OnUpdate | None = None,
        on_delete: OnDelete | None = None,
    ) -> None:
        """Register handlers; a late one first gets an add for every cached object."""
        handler = _Handler(on_add, on_update, on_delete)
        self._handlers.append(handler)
        if self.has_synced() and on_add is not None:
            for obj in self._cache.list():
                _call(on_add, obj)

    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_synced(self, timeout: float | None = None) -> bool:
        try:
            await asyncio.wait_for(self._synced.wait(), timeout)
        except TimeoutError:
            return False
        return True

    # ------------------------------------------------------------------ lifecycle
    @property
    def running(self) -> bool:
        return any(not t.done() for t in self._tasks)

    def start(self) -> None:
        """Start the loop; after stop() it resumes watching from the last resourceVersion."""
        if self.running:
            return
        self._tasks = [asyncio.create_task(self._run(), name=f"informer:{self.name}")]
        if self.resync_period:
            self._tasks.append(asyncio.create_task(self._resync(), name=f"resync:{self.name}"))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t

    # ------------------------------------------------------------------ the loop
    async def _run(self) -> None:
        failures = 0
        while True:
            started = time.monotonic()
            events = 0
            try:
                if not self._rv:
                    await self._list()
                    failures = 0
                events = await self._watch()
                if events == 0 and time.monotonic() - started < 1.0:
                    # A watch the server ends at once: do not spin.
                    await asyncio.sleep(backoff(failures, 0.2, 10.0))
                    failures += 1
                else:
                    failures = 0
            except asyncio.CancelledError:
                raise
            except Gone as e:
                log.info("event=informer_relist informer=%s reason=%s", self.name, e.message or e.reason)
                self._rv = ""
            except Exception as e:
                if events or time.monotonic() - started > _HEALTHY_WATCH:
                    failures = 0
                delay = backoff(failures, 0.2, 10.0)
                failures += 1
                log.warning(
                    "event=informer_error informer=%s error=%s retry_in=%.2fs",
                    self.name, _describe(e), delay,
                )  # fmt: skip
                await asyncio.sleep(delay)

    async def _list(self) -> None:
        fresh: dict[str, Obj] = {}
        rv = ""
        pages = self.client.list_pages(
            self.resource,
            namespace=self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            page_size=self.page_size,
            for_cache=True,
        )
        async with contextlib.aclosing(pages) as stream:
            async for page in stream:
                rv = rv or str((page.get("metadata") or {}).get("resourceVersion") or "")
                with heap.gc_paused():
                    for obj in page.get("items") or ():
                        self._prepare(obj)
                        fresh[object_key(obj)] = obj
        self.lists += 1
        with heap.gc_paused():
            previous = {object_key(o): o for o in self._cache.list()}
            self._cache.replace(fresh.values())
            heap.settle()
            self._rv = rv
            for key, old in previous.items():
                if key not in fresh:
                    self._dispatch_delete(old)
        # Handlers in slices, so a big relist does not hold the loop.
        items = list(fresh.items())
        for start in range(0, len(items), _YIELD_EVERY):
            with heap.gc_paused():
                for key, obj in items[start : start + _YIELD_EVERY]:
                    old = previous.get(key)
                    if old is None:
                        self._dispatch_add(obj)
                    elif _rv_of(old) != _rv_of(obj):
                        self._dispatch_update(old, obj)
            await asyncio.sleep(0)
        self._synced.set()
        log.debug("event=informer_listed informer=%s count=%d rv=%s", self.name, len(fresh), self._rv)

    async def _watch(self) -> int:
        """Follow the watch until the server ends it; returns how many events were handled."""
        handled = 0
        stream = self.client.watch_batches(
            self.resource,
            namespace=self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            resource_version=self._rv,
            allow_bookmarks=True,
            timeout_seconds=random.randint(_MIN_WATCH_SECONDS, 2 * _MIN_WATCH_SECONDS),
            for_cache=True,
        )
        async with contextlib.aclosing(stream) as batches:
            async for batch in batches:
                # A backlog arrives in big batches: cache and dispatch them in one GC-free step.
                for start in range(0, len(batch), _YIELD_EVERY):
                    with heap.gc_paused(len(batch) >= 8):
                        for kind, obj in batch[start : start + _YIELD_EVERY]:
                            self._apply(kind, obj)
                        heap.settle()
                    handled += min(_YIELD_EVERY, len(batch) - start)
                    if len(batch) > _YIELD_EVERY:
                        await asyncio.sleep(0)
        return handled

    def _apply(self, kind: str, obj: Obj) -> None:
        rv = _rv_of(obj)
        if kind == "BOOKMARK":
            if rv:
                self._rv = rv
            return
        self._prepare(obj)
        if kind == "DELETED":
            self._cache.delete(object_key(obj))
            self._dispatch_delete(obj)
        elif kind in ("ADDED", "MODIFIED"):
            old = self._cache.upsert(obj)
            if old is None:
                self._dispatch_add(obj)
            else:
                self._dispatch_update(old, obj)
        else:
            log.warning("event=informer_unknown_event informer=%s type=%s", self.name, kind)
            return
        if rv:
            self._rv = rv

    def _prepare(self, obj: Obj) -> None:
        # managedFields are large and no controller reads them from the cache.
        meta = obj.get("metadata")
        if meta:
            meta.pop("managedFields", None)
        # Items of a list carry no apiVersion/kind on kube-apiserver.
        if "kind" not in obj:
            obj["kind"] = self.resource.kind
            obj["apiVersion"] = self.resource.api_version

    async def _resync(self) -> None:
        while True:
            await asyncio.sleep(self.resync_period or 0)
            if not self.has_synced():
                continue
            for n, obj in enumerate(self._cache.list(), 1):
                self._dispatch_update(obj, obj)
                if n % _YIELD_EVERY == 0:
                    await asyncio.sleep(0)

    # ------------------------------------------------------------------ dispatch
    def _dispatch_add(self, obj: Obj) -> None:
        for h in self._handlers:
            if h.on_add is not None:
                _call(h.on_add, obj)

    def _dispatch_update(self, old: Obj, new: Obj) -> None:
        for h in self._handlers:
            if h.on_update is not None:
                _call(h.on_update, old, new)

    def _dispatch_delete(self, obj: Obj) -> None:
        for h in self._handlers:
            if h.on_delete is not None:
                _call(h.on_delete, obj)


class SharedInformerFactory:
    """One informer per (resource, namespace, selectors) in a process, however many controllers ask."""

    def __init__(self, client: Client, resync_period: float | None = None) -> None:
        self.client = client
        self.resync_period = resync_period
        self._informers: dict[Hashable, Informer] = {}
        self._started = False

    def informer(
        self,
        resource: Resource,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resync_period: float | None = None,
    ) -> Informer:
        key = (resource, namespace or None, label_selector or None, field_selector or None)
        inf = self._informers.get(key)
        wanted = resync_period or self.resync_period
        if inf is None:
            inf = Informer(self.client, resource, namespace, label_selector, field_selector, wanted)
            self._informers[key] = inf
            if self._started:
                inf.start()
        elif wanted and (inf.resync_period is None or wanted < inf.resync_period):
            # The shortest period asked for wins (applies from the informer's next start).
            inf.resync_period = wanted
        return inf

    def informers(self) -> list[Informer]:
        return list(self._informers.values())

    def start_all(self) -> None:
        self._started = True
        for inf in self._informers.values():
            inf.start()

    async def wait_for_cache_sync(self, timeout: float | None = None) -> bool:
        infs = list(self._informers.values())
        results = await asyncio.gather(*(i.wait_synced(timeout) for i in infs))
        return all(results)

    async def stop_all(self) -> None:
        self._started = False
        await asyncio.gather(*(i.stop() for i in self._informers.values()))


def _rv_of(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def _call(fn: Callable[..., None], *args: Obj) -> None:
    try:
        fn(*args)
    except Exception:
        # A broken handler must not stop the cache from following the server.
        log.exception("event=informer_handler_failed handler=%r", fn)


def _describe(e: Exception) -> str:
    return f"{type(e).__name__}: {e}"[:300]
