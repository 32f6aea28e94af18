"""The scheduler's per-node usage cache: incremental totals equal a fresh sum after any events."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kruise.cluster.scheduler.usage import NodeUsage, UsageTracker, node_usage

Obj = dict[str, Any]


def pod(name: str, node: str | None, cpu: str = "", phase: str = "Running", host_port: int = 0) -> Obj:
    container: Obj = {"name": "c", "image": "x"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu, "memory": "1Gi"}}
    if host_port:
        container["ports"] = [{"containerPort": 80, "hostPort": host_port}]
    spec: Obj = {"containers": [container]}
    if node:
        spec["nodeName"] = node
    return {
        "metadata": {"name": name, "namespace": "d", "uid": name},
        "spec": spec,
        "status": {"phase": phase},
    }


def test_bound_pods_are_summed_per_node_and_terminal_ones_leave() -> None:
    t = UsageTracker()
    t.upsert("d/a", pod("a", "n1", cpu="500m", host_port=8080))
    t.upsert("d/b", pod("b", "n1", cpu="1"))
    t.upsert("d/c", pod("c", None, cpu="2"))  # not bound: counts nowhere
    u = t.usage("n1")
    assert (u.pods, u.requested["cpu"], u.requested["memory"]) == (2, 1500, 2 * 1024**3)
    assert u.host_ports == (("0.0.0.0", "TCP", 8080),)
    t.upsert("d/a", pod("a", "n1", cpu="500m", phase="Succeeded", host_port=8080))
    u = t.usage("n1")
    assert (u.pods, u.requested["cpu"], u.host_ports) == (1, 1000, ())
    t.remove("d/b")
    t.remove("d/never-seen")
    assert t.usage("n1") == NodeUsage(0, {"cpu": 0, "memory": 0}, {"cpu": 0, "memory": 0}, ())
    assert t.usage("n9") == NodeUsage()


def test_non_zero_requests_use_the_scoring_defaults() -> None:
    t = UsageTracker()
    t.upsert("d/a", pod("a", "n1"))
    u = t.usage("n1")
    assert u.requested == {}
    assert u.requested_non_zero == {"cpu": 100, "memory": 200 * 1024 * 1024}


def test_plus_adds_assumed_pods_without_changing_the_snapshot() -> None:
    base = node_usage([pod("a", "n1", cpu="1")])
    more = base.plus([pod("b", None, cpu="1", host_port=9000), pod("c", None, phase="Failed")])
    assert (base.pods, base.requested["cpu"]) == (1, 1000)
    assert (more.pods, more.requested["cpu"]) == (2, 2000)
    assert more.host_ports == (("0.0.0.0", "TCP", 9000),)


def test_combined_adds_usages_computed_once_as_plus_adds_their_pods() -> None:
    base = node_usage([pod("a", "n1", cpu="1")])
    assumed = [pod("b", None, cpu="500m", host_port=9000), pod("c", None, phase="Failed"), pod("d", None)]
    own = [node_usage([p]) for p in assumed]
    assert base.combined(own) == base.plus(assumed)
    assert base.combined([]) == base and base.pods == 1


_events = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),  # pod
        st.sampled_from([None, "n1", "n2"]),  # node (None: removed, or unbound)
        st.sampled_from(["", "100m", "1"]),  # cpu request
        st.sampled_from(["Running", "Pending", "Failed"]),
        st.sampled_from([0, 80, 81]),  # host port
        st.booleans(),  # a delete event instead
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(_events)
def test_incremental_totals_equal_a_fresh_sum(events: list[tuple[Any, ...]]) -> None:
    t = UsageTracker()
    live: dict[str, Obj] = {}
    for name, node, cpu, phase, port, delete in events:
        key = f"d/{name}"
        if delete:
            t.remove(key)
            live.pop(key, None)
        else:
            p = pod(name, node, cpu, phase, port)
            t.upsert(key, p)
            live[key] = p
    for node in ("n1", "n2"):
        want = node_usage(p for p in live.values() if p["spec"].get("nodeName") == node)
        got = t.usage(node)
        assert got.pods == want.pods
        assert {k: v for k, v in got.requested.items() if v} == want.requested
        assert {k: v for k, v in got.requested_non_zero.items() if v} == want.requested_non_zero
        assert sorted(got.host_ports) == sorted(want.host_ports)
