"""REST verbs over resources: get, list, watch, create, update, patch, delete, deletecollection."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import orjson

from kruise.api.selectors import SelectorError, parse_field_selector, parse_label_selector
from kruise.api.wire import OMIT_MANAGED_FIELDS, without_managed_fields

from . import codec, errors, subresources, tableview
from .conversion import uses_webhook
from .crud import APPLY_PATCH, PATCH_TYPES, DeleteOptions, Resources, WriteOptions
from .fieldselect import field_getter, supported_fields, watch_index
from .httpserver import Request, Response, StreamResponse
from .paths import Target
from .registry import ResourceInfo
from .storage import ADDED
from .watchcache import Entry, TooOld, Watcher, WatchEvent

Obj = dict[str, Any]

BOOKMARK_INTERVAL = 5.0
_STREAM_LIST_ABOVE = 500  # items; smaller lists are answered in one piece
_LIST_CHUNK = 1 << 16  # 64 KB: measured 2-3 x faster end to end than 1 MB writes
_WATCH_COALESCE = 0.01
# bytes a watch's client may leave unread before it is dropped (410 Gone, the client relists):
# ~9,000 events of a typical Pod, seconds of a burst for any client that keeps reading
WATCH_BUFFER_LIMIT = 64 << 20


def _dry_run(request: Request) -> bool:
    values = request.query.getall("dryRun", [])
    for v in values:
        if v != "All":
            raise errors.bad_request(f'unsupported dry run value "{v}": only "All" is supported')
    return bool(values)


class ResourceHandlers:
    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.snapshots = ListSnapshots()
        self.store = resources.store
        self.registry = resources.registry
        self.watch_buffer_limit = WATCH_BUFFER_LIMIT

    # ------------------------------------------------------------------ dispatch
    async def handle(self, request: Request, target: Target) -> StreamResponse:
        info = self.registry.get(target.group, target.version, target.resource)
        if info is None or (target.namespace is not None and not info.namespaced):
            raise errors.APIError(404, "NotFound", "the server could not find the requested resource")
        namespace = target.namespace or "" if info.namespaced else ""
        method = request.method
        if target.subresource:
            if target.subresource not in info.subresources or target.name is None:
                raise errors.APIError(404, "NotFound", "the server could not find the requested resource")
            return await subresources.handle(self, request, info, namespace, target.name, target.subresource)
        if target.name is None:
            if method == "GET":
                if target.watch_path or _is_true(request.query.get("watch")):
                    return await self.watch(request, info, target.namespace)
                return await self.list(request, info, target.namespace)
            if method == "POST":
                if info.namespaced and target.namespace is None:
                    raise errors.method_not_allowed()
                return await self.create(request, info, namespace)
            if method == "DELETE":
                return await self.delete_collection(request, info, target.namespace)
            raise errors.method_not_allowed()
        if info.namespaced and target.namespace is None:
            raise errors.APIError(404, "NotFound", "the server could not find the requested resource")
        if method == "GET":
            if target.watch_path or _is_true(request.query.get("watch")):
                return await self.watch(request, info, target.namespace, only_name=target.name)
            return self.respond_object(request, info, await self.resources.read(info, namespace, target.name))
        if method == "PUT":
            return await self.update(request, info, namespace, target.name)
        if method == "PATCH":
            return await self.patch(request, info, namespace, target.name)
        if method == "DELETE":
            return await self.delete(request, info, namespace, target.name)
        raise errors.method_not_allowed()

    # ------------------------------------------------------------------ responses
    def respond_object(
        self,
        request: Request,
        info: ResourceInfo,
        obj: Obj,
        status: int = 200,
        raw: bytes | None = None,
    ) -> Response:
        view = tableview.wanted_view(request.headers.get("Accept"))
        if view is None:
            if _omits_managed_fields(request):
                return codec.json_response(without_managed_fields(obj), status)
            if raw is None:
                raw = self._stored_raw(info, obj)
            return codec.json_response(raw if raw is not None else obj, status)
        kind, version = view
        if kind == "Table":
            meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
            return codec.json_response(
                tableview.table(info, [obj], meta, request.query.get("includeObject", "Metadata"), version),
                status,
            )
        return codec.json_response(tableview.partial_metadata(obj, version), status)

    def _stored_raw(self, info: ResourceInfo, obj: Obj) -> bytes | None:
        """The bytes the store already serialized when `obj` is the stored revision itself (what
        a GET or a write answers), so the answer is not encoded a second time."""
        meta = obj.get("metadata") or {}
        entry = self.store.cache.get(info.storage_key, meta.get("namespace") or "", meta.get("name") or "")
        return entry.raw if entry is not None and entry.obj is obj else None

    # ------------------------------------------------------------------ read
    def _filters(self, request: Request, info: ResourceInfo) -> Callable[[Obj], bool] | None:
        checks: list[Callable[[Obj], bool]] = []
        label_text = request.query.get("labelSelector", "")
        if label_text:
            try:
                sel = parse_label_selector(label_text)
            except SelectorError as e:
                raise errors.bad_request(f"unable to parse requirement: {e}") from e
            checks.append(lambda o: sel.matches((o.get("metadata") or {}).get("labels") or {}))
        field_text = request.query.get("fieldSelector", "")
        if field_text:
            try:
                fsel = parse_field_selector(field_text)
            except SelectorError as e:
                raise errors.bad_request(str(e)) from e
            known = supported_fields(info.group, info.resource)
            for f in sorted(fsel.fields()):
                if f not in known:
                    raise errors.bad_request(f"field label not supported: {f}")
            getter = field_getter(info.group, info.resource, fsel.fields())
            checks.append(lambda o: fsel.matches(getter(o)))
        if not checks:
            return None
        if len(checks) == 1:
            return checks[0]
        return lambda o: all(c(o) for c in checks)

    async def list(self, request: Request, info: ResourceInfo, namespace: str | None) -> StreamResponse:
        q = request.query
        rv_param = q.get("resourceVersion", "")
        match = q.get("resourceVersionMatch", "")
        if match and match not in ("Exact", "NotOlderThan"):
            raise errors.bad_request(f'invalid resourceVersionMatch "{match}"')
        if match and not rv_param:
            raise errors.bad_request("resourceVersionMatch is forbidden unless resourceVersion is provided")
        current = self.store.rv
        if rv_param and rv_param != "0":
            wanted = _parse_rv(rv_param)
            if wanted > current:
                raise errors.APIError(
                    504,
                    "Timeout",
                    f"Too large resource version: {wanted}, current: {current}",
                    {
                        "causes": [
                            {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
                        ],
                        "retryAfterSeconds": 1,
                    },
                )
            if match == "Exact" and wanted != current:
                raise errors.gone(f"too old resource version: {wanted} ({current})")
        limit = _parse_int(q.get("limit"), "limit")
        token = q.get("continue")
        if token:
            # later pages come from the snapshot the first page took: one consistent list
            snapshot_id, offset, list_rv = _decode_continue(token)
            snapshot = self.snapshots.get(snapshot_id)
            if snapshot is None:
                raise errors.gone(
                    "The provided continue parameter is too old to display a consistent list result. "
                    "You can start a new list without the continue parameter."
                )
            entries = snapshot[offset:]
        else:
            predicate = self._filters(request, info)
            entries = self.store.list(info.storage_key, namespace)
            if predicate is not None:
                entries = [e for e in entries if predicate(e.obj)]
            snapshot_id, offset, list_rv = "", 0, current
        list_meta: Obj = {"resourceVersion": str(list_rv)}
        if limit and len(entries) > limit:
            if not snapshot_id:
                snapshot_id = self.snapshots.put(entries)
            list_meta["continue"] = _encode_continue(snapshot_id, offset + limit, list_rv)
            list_meta["remainingItemCount"] = len(entries) - limit
            entries = entries[:limit]
        return await self._list_response(request, info, entries, list_meta)

    async def _list_response(
        self, request: Request, info: ResourceInfo, entries: list[Entry], list_meta: Obj
    ) -> StreamResponse:
        view = tableview.wanted_view(request.headers.get("Accept"))
        if _converts(info, view):
            entries = await self._converted(info, entries)
        if view is not None:
            kind, version = view
            objs = [e.obj for e in entries]
            if kind == "Table":
                return codec.json_response(
                    tableview.table(
                        info, objs, list_meta, request.query.get("includeObject", "Metadata"), version
                    )
                )
            return codec.json_response(
                {
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": f"meta.k8s.io/{version}",
                    "metadata": list_meta,
                    "items": [tableview.partial_metadata(o, version) for o in objs],
                }
            )
        head = (
            b'{"kind":"'
            + info.list_kind.encode()
            + b'","apiVersion":"'
            + info.api_version.encode()
            + b'","metadata":'
            + orjson.dumps(list_meta)
            + b',"items":['
        )
        if len(entries) <= _STREAM_LIST_ABOVE:
            body = head + b",".join(self._raw_for(info, e) for e in entries) + b"]}"
            return codec.json_response(body)
        return await self._stream_list(request, info, head, entries)

    async def _stream_list(
        self, request: Request, info: ResourceInfo, head: bytes, entries: list[Entry]
    ) -> StreamResponse:
        """Large lists go out in ~64 KB chunks: no single copy of the whole body, first byte at once."""
        resp = StreamResponse(headers={"Content-Type": "application/json"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        chunk: list[bytes] = [head]
        size = 0
        for i, e in enumerate(entries):
            raw = self._raw_for(info, e)
            if i:
                chunk.append(b",")  # not `b"," + raw`: that copies every item once more
            chunk.append(raw)
            size += len(raw)
            if size >= _LIST_CHUNK:
                await resp.write(b"".join(chunk))
                chunk, size = [], 0
        chunk.append(b"]}")
        await resp.write(b"".join(chunk))
        await resp.write_eof()
        return resp

    async def _converted(self, info: ResourceInfo, entries: list[Entry]) -> list[Entry]:
        """Entries in the request's version, converted by the CRD's webhook (batched by the converter)."""
        objs = await self.resources.in_version(info, [e.obj for e in entries])
        return [
            e if obj is e.obj else Entry(obj, orjson.dumps(obj), e.rv)
            for e, obj in zip(entries, objs, strict=True)
        ]

    def _raw_for(self, info: ResourceInfo, e: Entry) -> bytes:
        """Stored bytes, or the object re-labelled when served through another CRD version."""
        if info.is_custom and e.obj.get("apiVersion") != info.api_version:
            return orjson.dumps(_as_version(e.obj, info))
        return e.raw

    # ------------------------------------------------------------------ watch
    async def watch(
        self,
        request: Request,
        info: ResourceInfo,
        namespace: str | None,
        only_name: str | None = None,
    ) -> StreamResponse:
        q = request.query
        predicate = self._filters(request, info)
        if only_name is not None:
            base = predicate
            predicate = (
                (lambda o: o["metadata"]["name"] == only_name and base(o))
                if base
                else (lambda o: o["metadata"]["name"] == only_name)
            )
        timeout = _parse_int(q.get("timeoutSeconds"), "timeoutSeconds") or 1800
        bookmarks = _is_true(q.get("allowWatchBookmarks"))
        rv_param = q.get("resourceVersion", "")
        view = tableview.wanted_view(request.headers.get("Accept"))
        render = self._renderer(info, view, request)
        converting = _converts(info, view)
        if converting:
            # events wait as (type, event) until the loop converts a batch of them in one review
            final_render, render = render, _deferred  # type: ignore[assignment]
        watcher = Watcher(info.storage_key, namespace, predicate, render, index=_watch_index(request, info))
        cache = self.store.cache
        # Register and take the starting point in one synchronous step: nothing is missed or doubled.
        initial: list[bytes] = []
        error_line: bytes | None = None
        if rv_param in ("", "0"):
            for e in self.store.list(info.storage_key, namespace):
                if predicate is None or predicate(e.obj):
                    ev = WatchEvent(e.rv, ADDED, info.storage_key, "", "", e.obj, self._raw_for(info, e))
                    initial.append(render(ADDED, ev) if render else ev.line())
            watcher.min_rv = cache.rv
        else:
            try:
                start = _parse_rv(rv_param)
                for ev in cache.events_after(info.storage_key, start):
                    watcher.offer(ev)
                # the listed state may include writes still being committed: never repeat those
                watcher.min_rv = max(start, cache.published_rv)
            except TooOld as e:
                status = errors.gone(f"too old resource version: {rv_param} ({e.oldest})").status()
                error_line = b'{"type":"ERROR","object":' + orjson.dumps(status) + b"}\n"
        if error_line is None:
            cache.add_watcher(watcher)
        resp = StreamResponse(
            status=200, headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        )
        await resp.prepare(request)
        try:
            if error_line is not None:
                await resp.write(error_line)
                return resp
            if initial:
                if converting:
                    initial = await self._render_converted(info, initial, final_render)
                await resp.write(b"".join(initial))
            sink = None
            if not converting and request.transport is not None:
                # from here the cache writes this watch's events itself (see WatchCache.stream_to);
                # this loop only ends the watch and sends bookmarks
                sink = _ChunkSink(request.transport, self.watch_buffer_limit)
                cache.stream_to(watcher, sink)
            deadline = time.monotonic() + timeout
            last_sent = time.monotonic()
            while not watcher.closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                batch = await watcher.next_batch(min(remaining, 1.0))  # [] when streaming
                transport = request.transport
                if transport is None or transport.is_closing():
                    break
                if batch:
                    # Under a stream of events, write at most every _WATCH_COALESCE seconds so a
                    # watcher does not pay a conversion review and a socket write per event; a
                    # lone event still goes out at once.
                    wait = _WATCH_COALESCE - (time.monotonic() - last_sent)
                    if wait > 0:
                        await asyncio.sleep(wait)
                        batch += watcher.take()
                    batch = await self._render_converted(info, batch, final_render)
                    await resp.write(b"".join(batch))
                    last_sent = time.monotonic()
                elif (
                    bookmarks
                    and time.monotonic() - max(last_sent, sink.last_write if sink else 0) >= BOOKMARK_INTERVAL
                ):
                    await resp.write(self._bookmark(info))
                    last_sent = time.monotonic()
            if watcher.overflowed:
                status = errors.gone("watch channel overflowed: the client is too slow; relist").status()
                await resp.write(b'{"type":"ERROR","object":' + orjson.dumps(status) + b"}\n")
        except errors.APIError as e:
            # a conversion webhook failed: kube ends the watch; the client relists and sees the error
            with contextlib.suppress(ConnectionResetError):
                await resp.write(b'{"type":"ERROR","object":' + orjson.dumps(e.status()) + b"}\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            cache.remove_watcher(watcher)
        return resp

    async def _render_converted(
        self, info: ResourceInfo, pending: list[Any], render: Callable[[str, WatchEvent], bytes] | None
    ) -> list[bytes]:
        """Deferred (type, event) pairs converted in one review per batch, then rendered."""
        # a long watch converts with the CRD as it is now (its webhook clientConfig may have changed)
        info = self.registry.get(info.group, info.version, info.resource) or info
        objs = await self.resources.in_version(info, [ev.obj for _t, ev in pending])
        out = []
        for (type_, ev), obj in zip(pending, objs, strict=True):
            if obj is not ev.obj:
                ev = WatchEvent(ev.rv, ev.type, ev.storage_key, ev.namespace, ev.name, obj, orjson.dumps(obj))
            out.append(render(type_, ev) if render else ev.line(type_))
        return out

    def _bookmark(self, info: ResourceInfo) -> bytes:
        obj = {
            "kind": info.kind,
            "apiVersion": info.api_version,
            "metadata": {"resourceVersion": str(self.store.rv)},
        }
        return b'{"type":"BOOKMARK","object":' + orjson.dumps(obj) + b"}\n"

    def _renderer(
        self, info: ResourceInfo, view: tuple[str, str] | None, request: Request
    ) -> Callable[[str, WatchEvent], bytes] | None:
        if view is None:
            lean = _omits_managed_fields(request)
            stored: Callable[[str, WatchEvent], bytes] = _lean_line if lean else _full_line
            if info.is_custom:
                trim = without_managed_fields if lean else _same
                return lambda t, ev: (
                    _line(t, orjson.dumps(trim(_as_version(ev.obj, info))))
                    if ev.obj.get("apiVersion") != info.api_version
                    else stored(t, ev)
                )
            return stored if lean else None
        kind, version = view
        include = request.query.get("includeObject", "Metadata")
        if kind == "Table":
            return lambda t, ev: _line(
                t,
                orjson.dumps(
                    tableview.table(
                        info,
                        [ev.obj],
                        {"resourceVersion": ev.obj["metadata"].get("resourceVersion", "")},
                        include,
                        version,
                    )
                ),
            )
        return lambda t, ev: _line(t, orjson.dumps(tableview.partial_metadata(ev.obj, version)))

    # ------------------------------------------------------------------ write
    def _write_options(self, request: Request, subresource: str = "") -> WriteOptions:
        return WriteOptions(
            manager=codec.field_manager(request),
            dry_run=_dry_run(request),
            subresource=subresource,
            force=_is_true(request.query.get("force")),
        )

    async def create(self, request: Request, info: ResourceInfo, namespace: str) -> Response:
        body = codec.decode_body(await codec.read_body(request), request.headers.get("Content-Type"))
        obj = await self.resources.create(info, namespace, body, self._write_options(request))
        return self.respond_object(request, info, await self._served(info, obj), 201)

    async def update(
        self, request: Request, info: ResourceInfo, namespace: str, name: str, subresource: str = ""
    ) -> Response:
        body = codec.decode_body(await codec.read_body(request), request.headers.get("Content-Type"))
        obj = await self.resources.update(
            info, namespace, name, body, self._write_options(request, subresource)
        )
        return self.respond_object(request, info, await self._served(info, obj))

    async def read_patch(self, request: Request) -> tuple[str, Any]:
        content_type = codec.media_type(request.headers.get("Content-Type"))
        if content_type not in PATCH_TYPES:
            raise errors.unsupported_media_type(content_type)
        raw = await codec.read_body(request)
        if not raw.strip():
            raise errors.bad_request("the body of the request was empty")
        body = codec.decode_yaml(raw) if content_type == APPLY_PATCH else codec.decode_json(raw)
        return content_type, body

    async def patch(
        self, request: Request, info: ResourceInfo, namespace: str, name: str, subresource: str = ""
    ) -> Response:
        content_type, body = await self.read_patch(request)
        obj, created = await self.resources.patch(
            info, namespace, name, content_type, body, self._write_options(request, subresource)
        )
        return self.respond_object(request, info, await self._served(info, obj), 201 if created else 200)

    async def _delete_options(self, request: Request) -> DeleteOptions:
        raw = await codec.read_body(request)
        body = codec.decode_json(raw) if raw.strip() else None
        if body is not None and not isinstance(body, dict):
            raise errors.bad_request("DeleteOptions must be a JSON object")
        return DeleteOptions.from_body(
            body,
            request.query.get("gracePeriodSeconds"),
            request.query.get("propagationPolicy"),
            _dry_run(request),
        )

    async def delete(self, request: Request, info: ResourceInfo, namespace: str, name: str) -> Response:
        options = await self._delete_options(request)
        if info.storage_key == "/namespaces" and name in ("default", "kube-system", "kube-public"):
            raise errors.forbidden_error("namespaces", name, "this namespace may not be deleted")
        obj, _gone = await self.resources.delete(info, namespace, name, options)
        return self.respond_object(request, info, await self._served(info, obj))

    async def delete_collection(
        self, request: Request, info: ResourceInfo, namespace: str | None
    ) -> Response:
        options = await self._delete_options(request)
        predicate = self._filters(request, info)
        deleted = []
        for e in self.store.list(info.storage_key, namespace):
            if predicate is not None and not predicate(e.obj):
                continue
            meta = e.obj["metadata"]
            try:
                obj, _ = await self.resources.delete(info, meta.get("namespace", ""), meta["name"], options)
            except errors.APIError as err:
                if err.code == 404:
                    continue
                raise
            deleted.append(obj)
        deleted = await self.resources.in_version(info, deleted)
        return codec.json_response(
            {
                "kind": info.list_kind,
                "apiVersion": info.api_version,
                "metadata": {"resourceVersion": str(self.store.rv)},
                "items": deleted,
            }
        )

    async def _served(self, info: ResourceInfo, obj: Obj) -> Obj:
        """A write's result (stored in the storage version) as the client's version serves it."""
        return (await self.resources.in_version(info, [obj]))[0]


# ---------------------------------------------------------------------- helpers
class _ChunkSink:
    """A streaming watch's writes: each batch one HTTP chunk put straight on the connection (framed
    as StreamResponse frames the response's other chunks), refused once the client has `limit`
    bytes unread, so a client that stopped reading costs bounded memory and relists."""

    def __init__(self, transport: asyncio.BaseTransport, limit: int) -> None:
        self.transport: Any = transport
        self.limit = limit
        self.last_write = time.monotonic()

    def __call__(self, lines: list[bytes]) -> bool:
        transport = self.transport
        if transport.is_closing():
            return True  # the client left: the watch loop notices and ends
        if transport.get_write_buffer_size() > self.limit:
            return False
        transport.write(_framed(lines))
        self.last_write = time.monotonic()
        return True


class _LastChunk:
    """The HTTP chunk of a batch of lines, built once for the watchers flushed one after another
    with the same line objects (a hundred watchers of one resource: one copy, not a hundred)."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.chunk = b""

    def __call__(self, lines: list[bytes]) -> bytes:
        last = self.lines
        if len(lines) != len(last) or any(a is not b for a, b in zip(lines, last, strict=True)):
            size = sum(map(len, lines))
            self.chunk = b"".join([b"%x\r\n" % size, *lines, b"\r\n"])
            self.lines = lines  # kept alive, so the identity test above stays sound
        return self.chunk


_framed = _LastChunk()


def _watch_index(request: Request, info: ResourceInfo) -> tuple[str, str, Callable[[Obj], str]] | None:
    """The watch cache index a watch can use: its field selector pins the indexed field to a value
    (the selector was validated by `_filters`; the predicate still checks every requirement)."""
    index = watch_index(info.group, info.resource)
    text = request.query.get("fieldSelector", "")
    if index is None or not text:
        return None
    field_name, getter = index
    value = parse_field_selector(text).requires_exact(field_name)
    return None if value is None else (field_name, value, getter)


def _converts(info: ResourceInfo, view: tuple[str, str] | None) -> bool:
    """Objects go through the CRD's conversion webhook, except for metadata-only views (metadata is
    the same in every version, and garbage collectors should not depend on the webhook)."""
    if not info.is_custom or not uses_webhook(info.crd):
        return False
    return view is None or view[0] == "Table"


def _deferred(type_: str, ev: WatchEvent) -> Any:
    return (type_, ev)


def _omits_managed_fields(request: Request) -> bool:
    return request.headers.get(OMIT_MANAGED_FIELDS, "").lower() == "true"


def _same(obj: Obj) -> Obj:
    return obj


def _full_line(type_: str, ev: WatchEvent) -> bytes:
    return ev.line(type_)


def _lean_line(type_: str, ev: WatchEvent) -> bytes:
    return ev.lean_line(type_)


def _line(type_: str, raw: bytes) -> bytes:
    return b'{"type":"' + type_.encode() + b'","object":' + raw + b"}\n"


def _as_version(obj: Obj, info: ResourceInfo) -> Obj:
    """Custom resources are stored in one version and served in every served version (conversion None)."""
    if not info.is_custom or obj.get("apiVersion") == info.api_version:
        return obj
    out = copy.copy(obj)
    out["apiVersion"] = info.api_version
    return out


def _encode_continue(snapshot_id: str, offset: int, rv: int) -> str:
    raw = orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "id": snapshot_id, "offset": offset})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[str, int, int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded))
        return str(data["id"]), int(data["offset"]), int(data["rv"])
    except Exception as e:
        raise errors.bad_request(f"continue key is not valid: {e}") from e


class ListSnapshots:
    """Paged lists are served from the state the first page saw (references only, no copies).
    A bounded number live for a while; an older continue token answers 410 so the client relists."""

    def __init__(self, capacity: int = 64, ttl: float = 300.0) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self._items: OrderedDict[str, tuple[float, list[Entry]]] = OrderedDict()

    def put(self, entries: list[Entry]) -> str:
        self._expire()
        snapshot_id = uuid.uuid4().hex
        self._items[snapshot_id] = (time.monotonic(), entries)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return snapshot_id

    def get(self, snapshot_id: str) -> list[Entry] | None:
        self._expire()
        item = self._items.get(snapshot_id)
        return item[1] if item else None

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.ttl
        while self._items and next(iter(self._items.values()))[0] < cutoff:
            self._items.popitem(last=False)


def _parse_rv(text: str) -> int:
    try:
        value = int(text)
    except ValueError as e:
        raise errors.bad_request(f'invalid resource version "{text}"') from e
    if value < 0:
        raise errors.bad_request(f'invalid resource version "{text}"')
    return value


def _parse_int(text: str | None, name: str) -> int | None:
    if text in (None, ""):
        return None
    try:
        return int(text)  # type: ignore[arg-type]
    except ValueError as e:
        raise errors.bad_request(f"invalid value for {name}: {text!r}") from e


def _is_true(text: str | None) -> bool:
    return (text or "").lower() in ("true", "1")
