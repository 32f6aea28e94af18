"""Releasing the lease on a clean stop, against an in-memory lease with resourceVersion checks."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from kruise.client.errors import Conflict
from kruise.client.leaderelection import LeaderElectionConfig, LeaderElector

Obj = dict[str, Any]


class LeaseStore:
    """One Lease, updated only with the resourceVersion last read (as the API server does)."""

    def __init__(self, holder: str) -> None:
        self.lease: Obj = {
            "metadata": {"name": "kruise-manager", "namespace": "ns", "resourceVersion": "1"},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15},
        }
        self.after_get: list[Any] = []  # callbacks run once, each after one GET
        self.updates = 0

    async def get(self, res: Any, name: str, namespace: str = "") -> Obj:
        out = copy.deepcopy(self.lease)
        if self.after_get:
            self.after_get.pop(0)()
        return out

    async def update(self, res: Any, body: Obj, namespace: str = "") -> Obj:
        if body["metadata"]["resourceVersion"] != self.lease["metadata"]["resourceVersion"]:
            raise Conflict(409, "Conflict", "the object has been modified")
        self.updates += 1
        body = copy.deepcopy(body)
        body["metadata"]["resourceVersion"] = str(int(body["metadata"]["resourceVersion"]) + 1)
        self.lease = body
        return copy.deepcopy(body)

    def renew_lands(self) -> None:
        """Our own renew, cancelled on the client side, reaches the server after the read."""
        self.lease["spec"]["renewTime"] = "later"
        self.lease["metadata"]["resourceVersion"] = str(int(self.lease["metadata"]["resourceVersion"]) + 1)


def elector(store: LeaseStore, identity: str = "manager-a") -> LeaderElector:
    config = LeaderElectionConfig(namespace="ns", name="kruise-manager", identity=identity)
    return LeaderElector(store, config)  # type: ignore[arg-type]


def test_release_hands_the_lease_back() -> None:
    store = LeaseStore("manager-a")
    asyncio.run(elector(store)._release())
    assert store.lease["spec"]["holderIdentity"] == ""
    assert store.lease["spec"]["leaseDurationSeconds"] == 1


def test_release_reads_again_when_a_cancelled_renew_lands_after_its_read() -> None:
    store = LeaseStore("manager-a")
    store.after_get.append(store.renew_lands)
    asyncio.run(elector(store)._release())
    assert store.lease["spec"]["holderIdentity"] == ""
    assert store.lease["spec"]["renewTime"] == "later"  # written over the renew, not lost to it


def test_release_leaves_another_holders_lease_alone() -> None:
    store = LeaseStore("manager-b")
    asyncio.run(elector(store)._release())
    assert store.lease["spec"]["holderIdentity"] == "manager-b"
    assert store.updates == 0


def test_release_gives_up_after_repeated_conflicts() -> None:
    store = LeaseStore("manager-a")
    store.after_get.extend([store.renew_lands] * 5)
    asyncio.run(elector(store)._release())  # logs and returns: nothing raised
    assert store.lease["spec"]["holderIdentity"] == "manager-a"
    assert store.updates == 0
