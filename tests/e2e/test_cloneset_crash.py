"""A manager killed with kill -9 in the middle of a 50-Pod rollout finishes it exactly once."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from typing import Any

import pytest

from tests.cluster import Up
from tests.e2e.test_cloneset import PodWatch, cloneset, pods, status, wait_status

pytestmark = pytest.mark.e2e

Obj = dict[str, Any]


def test_manager_killed_mid_rollout_finishes_with_exact_counts(tmp_path) -> None:
    up = Up(
        tmp_path / "cluster",
        f"crash-{os.getpid()}-{time.time_ns()}",
        nodes=2,
        runtime="sim",
        env={"KRUISE_SIM_STAGES": "realistic"},
    )
    try:
        ns = "crash-" + uuid.uuid4().hex[:6]
        up.kubectl("create", "namespace", ns)
        cs = cloneset("big", 50, updateStrategy={"type": "ReCreate", "maxUnavailable": 10})
        up.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(cs))
        wait_status(up, ns, "big", readyReplicas=50, availableReplicas=50, timeout=120)
        uids: set[str] = set()
        peak = 0

        def check(items: list[Obj]) -> str | None:
            nonlocal peak
            live = [p for p in items if not p["metadata"].get("deletionTimestamp")]
            uids.update(p["metadata"]["uid"] for p in items)
            peak = max(peak, len(live))
            return f"{len(live)} live pods" if len(live) > 50 else None

        watcher = PodWatch(up, ns, check)
        try:
            cs["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:1.37"
            up.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(cs))
            up.wait_for(
                lambda: 10 <= status(up, ns, "big").get("updatedReplicas", 0) < 45,
                "mid-rollout",
                120,
            )
            manager = up.component_pid("manager")
            os.kill(manager, signal.SIGKILL)
            up.wait_for(lambda: _restarted(up, manager), "the manager restarted", 60)
            st = wait_status(
                up, ns, "big", updatedReplicas=50, updatedReadyReplicas=50, availableReplicas=50, timeout=240
            )
        finally:
            watcher.stop()
        assert st["replicas"] == 50 and st["currentRevision"] == st["updateRevision"]
        final = pods(up, ns, "big")
        assert len(final) == 50
        ids = [p["metadata"]["labels"]["apps.kruise.io/cloneset-instance-id"] for p in final]
        assert len(set(ids)) == 50
        assert all(p["metadata"]["ownerReferences"][0]["name"] == "big" for p in final)
        assert {p["metadata"]["labels"]["controller-revision-hash"] for p in final} == {st["updateRevision"]}
        # every old pod was replaced exactly once: 50 old + 50 new, never more than 50 live
        assert watcher.violations == []
        assert peak == 50
        assert len(uids) == 100
    finally:
        up.stop()


def _restarted(up: Up, old_pid: int) -> bool:
    try:
        return up.component_pid("manager") != old_pid
    except AssertionError:
        return False
