"""The informer cache: keys, built-in and custom indexes, updates that move index values, relists."""

from __future__ import annotations

from typing import Any

import pytest

from kruise.client.indexer import (
    BY_NAMESPACE,
    BY_NODE_NAME,
    BY_OWNER_UID,
    Indexer,
    object_key,
    split_key,
)


def pod(ns: str, name: str, node: str = "", owners: tuple[str, ...] = (), rv: str = "1") -> dict[str, Any]:
    meta: dict[str, Any] = {"namespace": ns, "name": name, "resourceVersion": rv}
    if owners:
        meta["ownerReferences"] = [{"uid": u, "kind": "ReplicaSet", "name": u} for u in owners]
    spec = {"nodeName": node} if node else {}
    return {"metadata": meta, "spec": spec}


def test_keys() -> None:
    assert object_key(pod("a", "p")) == "a/p"
    assert object_key({"metadata": {"name": "n1"}}) == "n1"
    assert split_key("a/p") == ("a", "p")
    assert split_key("n1") == ("", "n1")


def test_builtin_indexes() -> None:
    idx = Indexer()
    idx.upsert(pod("a", "p1", node="n1", owners=("rs1",)))
    idx.upsert(pod("a", "p2", node="n2", owners=("rs1", "rs2")))
    idx.upsert(pod("b", "p3"))
    assert idx.index_keys(BY_NAMESPACE, "a") == ["a/p1", "a/p2"]
    assert idx.index_keys(BY_OWNER_UID, "rs1") == ["a/p1", "a/p2"]
    assert idx.index_keys(BY_OWNER_UID, "rs2") == ["a/p2"]
    assert idx.index_keys(BY_NODE_NAME, "n1") == ["a/p1"]
    assert idx.by_index(BY_NODE_NAME, "missing") == []
    assert [o["metadata"]["name"] for o in idx.by_index(BY_NAMESPACE, "b")] == ["p3"]


def test_update_moves_index_entries_and_delete_removes_them() -> None:
    idx = Indexer()
    assert idx.upsert(pod("a", "p", node="n1")) is None
    old = idx.upsert(pod("a", "p", node="n2", rv="2"))
    assert old is not None and old["spec"]["nodeName"] == "n1"
    assert idx.index_keys(BY_NODE_NAME, "n1") == []
    assert "n1" not in idx.index_values(BY_NODE_NAME)  # empty buckets do not linger
    assert idx.index_keys(BY_NODE_NAME, "n2") == ["a/p"]
    gone = idx.delete("a/p")
    assert gone is not None and gone["metadata"]["resourceVersion"] == "2"
    assert idx.delete("a/p") is None
    assert idx.index_values(BY_NODE_NAME) == []
    assert len(idx) == 0


def test_custom_index_added_late_covers_existing_objects() -> None:
    idx = Indexer()
    idx.upsert(pod("a", "p1", node="n1"))
    idx.upsert(pod("b", "p2", node="n1"))
    idx.add_index("ns-node", lambda o: [f"{o['metadata']['namespace']}|{o['spec'].get('nodeName', '')}"])
    assert idx.index_keys("ns-node", "a|n1") == ["a/p1"]
    idx.upsert(pod("a", "p3", node="n1"))
    assert idx.index_keys("ns-node", "a|n1") == ["a/p1", "a/p3"]
    with pytest.raises(KeyError):
        idx.by_index("nope", "x")


def test_replace_rebuilds_everything() -> None:
    idx = Indexer()
    idx.upsert(pod("a", "p1", node="n1"))
    idx.upsert(pod("a", "p2", node="n1"))
    idx.replace([pod("a", "p2", node="n2"), pod("c", "p9")])
    assert sorted(idx.keys()) == ["a/p2", "c/p9"]
    assert idx.index_keys(BY_NODE_NAME, "n1") == []
    assert idx.index_keys(BY_NODE_NAME, "n2") == ["a/p2"]
    assert idx.index_keys(BY_NAMESPACE, "c") == ["c/p9"]
    assert idx.get("a/p1") is None and idx.get_by("a", "p2") is not None


def test_cluster_scoped_objects() -> None:
    idx = Indexer()
    idx.upsert({"metadata": {"name": "node-1"}})
    assert idx.get("node-1") is not None
    assert idx.get_by(None, "node-1") is not None
    assert idx.index_values(BY_NAMESPACE) == []


def test_view_is_read_only_and_lists_by_namespace() -> None:
    idx = Indexer()
    idx.upsert(pod("a", "p1"))
    idx.upsert(pod("b", "p2"))
    view = idx.view()
    assert len(view) == 2 and "a/p1" in view
    assert [o["metadata"]["name"] for o in view.list("b")] == ["p2"]
    assert sorted(view.keys()) == ["a/p1", "b/p2"]
    for writer in ("upsert", "delete", "replace", "add_index"):
        assert not hasattr(view, writer)
    # without a namespace index the view still filters
    bare = Indexer(indexers={})
    bare.upsert(pod("a", "p1"))
    assert len(bare.view().list("a")) == 1 and bare.view().list("z") == []
