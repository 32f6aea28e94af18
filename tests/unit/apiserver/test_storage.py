"""The SQLite revision log and the store built on it: resourceVersions, reload, compaction, history."""

from __future__ import annotations

from pathlib import Path

import pytest

from kruise.apiserver.storage import ADDED, DELETED, MODIFIED, RevisionLog
from kruise.apiserver.store import Store
from kruise.apiserver.watchcache import TooOld


def pod(name: str, ns: str = "default", **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels}}


def test_resource_versions_are_consecutive_row_ids(tmp_path: Path) -> None:
    store = Store(tmp_path)
    a = store.write("/pods", ADDED, pod("a"))
    b = store.write("/pods", ADDED, pod("b"))
    assert (a.rv, b.rv) == (1, 2)
    assert a.obj["metadata"]["resourceVersion"] == "1"
    assert store.rv == 2


def test_reload_restores_objects_rv_and_history(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.write("/pods", ADDED, pod("a"))
    store.write("/pods", ADDED, pod("b"))
    store.write("/pods", MODIFIED, pod("a", app="x"))
    store.delete("/pods", pod("b"))
    store.close()

    again = Store(tmp_path)
    assert again.rv == 4
    names = [e.obj["metadata"]["name"] for e in again.list("/pods")]
    assert names == ["a"]
    assert again.get("/pods", "default", "a").obj["metadata"]["labels"] == {"app": "x"}
    history = [(ev.rv, ev.type, ev.name) for ev in again.cache.events_after("/pods", 1)]
    assert history == [(2, ADDED, "b"), (3, MODIFIED, "a"), (4, DELETED, "b")]
    assert again.write("/pods", ADDED, pod("c")).rv == 5


def test_compaction_keeps_latest_revision_of_live_objects(tmp_path: Path) -> None:
    log = RevisionLog(tmp_path / "log.db")
    log.append(1, "/pods/default/a", ADDED, b"{}")
    log.append(2, "/pods/default/a", MODIFIED, b"{}")
    log.append(3, "/pods/default/b", ADDED, b"{}")
    log.append(4, "/pods/default/b", DELETED, b"{}")
    log.append(5, "/pods/default/c", ADDED, b"{}")
    removed = log.compact(4)
    assert removed == 3  # a@1, b@3, b@4
    assert [r.rv for r in log.current()] == [2, 5]
    assert [r.rv for r in log.since(4)] == [5]
    log.close()
    assert RevisionLog(tmp_path / "log.db").compacted_rv == 4


def test_history_window_answers_too_old(tmp_path: Path) -> None:
    store = Store(tmp_path, history=3)
    for i in range(6):
        store.write("/pods", ADDED, pod(f"p{i}"))
    # events 4..6 are kept; resuming from 3 still sees all later events
    assert [ev.rv for ev in store.cache.events_after("/pods", 3)] == [4, 5, 6]
    with pytest.raises(TooOld):
        store.cache.events_after("/pods", 2)
    store.compact()
    store.close()
    again = Store(tmp_path, history=3)
    assert [ev.rv for ev in again.cache.events_after("/pods", 3)] == [4, 5, 6]
    with pytest.raises(TooOld):
        again.cache.events_after("/pods", 1)
