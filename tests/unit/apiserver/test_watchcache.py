"""Watch fan-out: selector transitions, overflow, namespaces."""

from __future__ import annotations

import asyncio

import orjson

from kruise.apiserver.storage import ADDED, DELETED, MODIFIED
from kruise.apiserver.watchcache import WatchCache, Watcher, WatchEvent


def ev(rv: int, type_: str, name: str, labels: dict, prev_labels: dict | None = None, ns: str = "default"):
    obj = {"metadata": {"name": name, "namespace": ns, "labels": labels, "resourceVersion": str(rv)}}
    prev = (
        None if prev_labels is None else {"metadata": {"name": name, "namespace": ns, "labels": prev_labels}}
    )
    return WatchEvent(rv, type_, "/pods", ns, name, obj, orjson.dumps(obj), prev)


def types(w: Watcher) -> list[tuple[str, str]]:
    out = []
    for line in w.pending:
        e = orjson.loads(line)
        out.append((e["type"], e["object"]["metadata"]["name"]))
    return out


def test_label_selector_watch_translates_transitions() -> None:
    cache = WatchCache()
    w = Watcher("/pods", None, lambda o: o["metadata"]["labels"].get("app") == "x")
    cache.add_watcher(w)
    cache.record(ev(1, ADDED, "a", {"app": "y"}))
    cache.record(ev(2, MODIFIED, "a", {"app": "x"}, {"app": "y"}))  # starts matching → ADDED
    cache.record(ev(3, MODIFIED, "a", {"app": "x", "v": "2"}, {"app": "x"}))
    cache.record(ev(4, MODIFIED, "a", {"app": "z"}, {"app": "x"}))  # stops matching → DELETED
    cache.record(ev(5, DELETED, "a", {"app": "z"}))
    assert types(w) == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]


def test_namespace_filter_and_other_resources_ignored() -> None:
    cache = WatchCache()
    w = Watcher("/pods", "ns1", None)
    cache.add_watcher(w)
    cache.record(ev(1, ADDED, "a", {}, ns="ns1"))
    cache.record(ev(2, ADDED, "b", {}, ns="ns2"))
    other = WatchEvent(3, ADDED, "/configmaps", "ns1", "c", {"metadata": {}}, b"{}")
    cache.record(other)
    assert types(w) == [("ADDED", "a")]


def test_slow_watcher_is_dropped_not_grown() -> None:
    cache = WatchCache()
    w = Watcher("/pods", None, None, max_pending=2)
    cache.add_watcher(w)
    for i in range(5):
        cache.record(ev(i + 1, ADDED, f"p{i}", {}))
    assert w.closed and w.overflowed
    assert len(w.pending) == 2
    assert cache.watcher_count() == 0


def pod_ev(rv: int, type_: str, name: str, node: str, prev_node: str | None = None) -> WatchEvent:
    def pod(n: str) -> dict:
        return {"metadata": {"name": name, "namespace": "default"}, "spec": {"nodeName": n} if n else {}}

    obj = pod(node)
    return WatchEvent(
        rv,
        type_,
        "/pods",
        "default",
        name,
        obj,
        orjson.dumps(obj),
        None if prev_node is None else pod(prev_node),
    )


def node_watcher(node: str) -> Watcher:
    def on_node(o: dict) -> bool:
        return (o.get("spec") or {}).get("nodeName", "") == node

    def getter(o: dict) -> str:
        return (o.get("spec") or {}).get("nodeName", "")

    return Watcher("/pods", None, on_node, index=("spec.nodeName", node, getter))


def test_indexed_watchers_see_only_their_value_and_bindings_as_transitions() -> None:
    cache = WatchCache()
    n1, n2, unbound = node_watcher("n1"), node_watcher("n2"), node_watcher("")
    plain = Watcher("/pods", None, None)
    for w in (n1, n2, unbound, plain):
        cache.add_watcher(w)
    assert cache.watcher_count() == 4
    assert set(cache.indexed["/pods"][2]) == {"n1", "n2", ""}
    cache.record(pod_ev(1, ADDED, "a", ""))
    cache.record(pod_ev(2, MODIFIED, "a", "n1", prev_node=""))  # bound: leaves "", joins n1
    cache.record(pod_ev(3, MODIFIED, "a", "n1", prev_node="n1"))
    cache.record(pod_ev(4, ADDED, "b", "n2"))
    cache.record(pod_ev(5, DELETED, "a", "n1"))
    assert types(n1) == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]
    assert types(n2) == [("ADDED", "b")]
    assert types(unbound) == [("ADDED", "a"), ("DELETED", "a")]
    assert [t for t, _ in types(plain)] == ["ADDED", "MODIFIED", "MODIFIED", "ADDED", "DELETED"]
    cache.remove_watcher(n1)
    assert n1.closed and cache.watcher_count() == 3
    assert "n1" not in cache.indexed["/pods"][2]


def test_an_overflowing_indexed_watcher_is_dropped() -> None:
    cache = WatchCache()
    w = node_watcher("n1")
    w.max_pending = 1
    cache.add_watcher(w)
    cache.record(pod_ev(1, ADDED, "a", "n1"))
    cache.record(pod_ev(2, ADDED, "b", "n1"))
    assert w.closed and w.overflowed and cache.watcher_count() == 0


async def test_next_batch_waits_for_a_push_a_close_or_its_timeout() -> None:
    cache = WatchCache()
    w = Watcher("/pods", None, None)
    cache.add_watcher(w)
    assert await w.next_batch(0.01) == []  # nothing came
    waiting = asyncio.ensure_future(w.next_batch(30))
    await asyncio.sleep(0)
    assert not waiting.done()
    cache.record(ev(1, ADDED, "a", {}))
    cache.record(ev(2, ADDED, "b", {}))
    assert [orjson.loads(line)["object"]["metadata"]["name"] for line in await waiting] == ["a", "b"]
    cache.record(ev(3, ADDED, "c", {}))
    assert len(await w.next_batch(30)) == 1  # already pending: no wait
    waiting = asyncio.ensure_future(w.next_batch(30))
    await asyncio.sleep(0)
    cache.remove_watcher(w)
    assert await asyncio.wait_for(waiting, 5) == [] and w.closed


async def test_a_streaming_watcher_gets_its_events_written_together_by_the_cache() -> None:
    cache = WatchCache()
    cache.flush_interval = 0.05
    writes: list[bytes] = []
    w = Watcher("/pods", None, None)
    cache.add_watcher(w)
    cache.record(ev(1, ADDED, "early", {}))  # before streaming starts: written first
    cache.stream_to(w, lambda lines: writes.append(b"".join(lines)) or True)
    cache.record(ev(2, ADDED, "a", {}))
    cache.record(ev(3, ADDED, "b", {}))
    assert writes == []  # not during the write itself: at the end of this loop iteration
    await asyncio.sleep(0)
    assert [[orjson.loads(x)["object"]["metadata"]["name"] for x in d.splitlines()] for d in writes] == [
        ["early", "a", "b"]
    ]
    # within the interval, events wait for the next flush, then go out in one write
    cache.record(ev(4, ADDED, "c", {}))
    cache.record(ev(5, ADDED, "d", {}))
    await asyncio.sleep(0)
    assert len(writes) == 1
    await asyncio.sleep(0.2)
    assert len(writes) == 2 and writes[1].count(b"\n") == 2
    # its task is never handed the events: it waits only for a close or its timeout
    cache.record(ev(6, ADDED, "e", {}))
    assert await w.next_batch(0.01) == []
    await asyncio.sleep(0.2)
    assert len(writes) == 3


async def test_a_streaming_watcher_whose_client_stopped_reading_is_dropped() -> None:
    cache = WatchCache()
    w = Watcher("/pods", None, None)
    cache.add_watcher(w)
    cache.stream_to(w, lambda lines: False)  # the sink refuses: the client has too much unread
    waiting = asyncio.ensure_future(w.next_batch(30))
    cache.record(ev(1, ADDED, "a", {}))
    assert await asyncio.wait_for(waiting, 5) == []
    assert w.closed and w.overflowed
    cache.record(ev(2, ADDED, "b", {}))
    assert cache.watcher_count() == 0


def test_a_batch_is_framed_as_one_http_chunk_built_once_for_the_same_lines() -> None:
    from kruise.apiserver.handlers import _LastChunk

    framed = _LastChunk()
    a, b = b'{"type":"ADDED"}\n', b'{"type":"DELETED"}\n'
    chunk = framed([a, b])
    assert chunk == b"%x\r\n" % (len(a) + len(b)) + a + b + b"\r\n"
    assert framed([a, b]) is chunk  # the next watcher's batch of the same events
    assert framed([a]) == b"%x\r\n" % len(a) + a + b"\r\n"
    equal_not_same = [bytes(bytearray(a)), b]
    assert framed(equal_not_same) == chunk and framed(equal_not_same) is not chunk


def test_an_events_lean_line_leaves_managed_fields_out_and_is_built_once() -> None:
    obj = {"metadata": {"name": "a", "managedFields": [{"manager": "m"}], "uid": "u"}, "data": {"k": "v"}}
    ev = WatchEvent(7, MODIFIED, "/configmaps", "ns", "a", obj, orjson.dumps(obj))
    line = ev.lean_line()
    assert orjson.loads(line) == {
        "type": "MODIFIED",
        "object": {"metadata": {"name": "a", "uid": "u"}, "data": {"k": "v"}},
    }
    assert ev.lean_line() is line  # one chunk for every lean watcher (see _LastChunk)
    assert orjson.loads(ev.lean_line(ADDED))["type"] == "ADDED"
    assert orjson.loads(ev.line())["object"] == obj  # the stored object is untouched
    bare = {"metadata": {"name": "b"}}
    raw = orjson.dumps(bare)
    assert (
        WatchEvent(8, ADDED, "/configmaps", "ns", "b", bare, raw).lean_line()
        == b'{"type":"ADDED","object":' + raw + b"}\n"
    )
