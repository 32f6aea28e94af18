"""kube-scheduler's filters, scores and unschedulable message, as pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from kruise.api.quantity import milli_value, value
from kruise.cluster.scheduler import plan
from kruise.cluster.scheduler.plan import Status
from kruise.cluster.scheduler.predicates import effective_taints, requirement_matches, term_matches
from kruise.cluster.scheduler.requests import allocatable, pod_requests

Obj = dict[str, Any]


def node(
    name: str,
    *,
    cpu: str = "4",
    memory: str = "8Gi",
    pods: str | None = "110",
    labels: dict[str, str] | None = None,
    taints: list[Obj] | None = None,
    ready: str | None = "True",
    unschedulable: bool = False,
) -> Obj:
    alloc = {"cpu": cpu, "memory": memory, **({"pods": pods} if pods is not None else {})}
    conditions = [] if ready is None else [{"type": "Ready", "status": ready}]
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"taints": taints or [], "unschedulable": unschedulable},
        "status": {"allocatable": alloc, "conditions": conditions},
    }


def pod(
    name: str = "p",
    *,
    cpu: str | None = None,
    memory: str | None = None,
    init: list[Obj] | None = None,
    phase: str = "Pending",
    **spec: Any,
) -> Obj:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    container: Obj = {"name": "c", "image": "i", "resources": {"requests": requests}}
    body: Obj = {"containers": [container], **spec}
    if init:
        body["initContainers"] = init
    return {
        "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}"},
        "spec": body,
        "status": {"phase": phase},
    }


def container(cpu: str, *, sidecar: bool = False) -> Obj:
    c: Obj = {"name": f"c{cpu}", "image": "i", "resources": {"requests": {"cpu": cpu}}}
    if sidecar:
        c["restartPolicy"] = "Always"
    return c


# ---------------------------------------------------------------------- quantities and requests
@pytest.mark.parametrize(
    ("raw", "milli", "whole"),
    [
        ("100m", 100, 1),
        ("1", 1000, 1),
        ("1.5", 1500, 2),
        ("2e3", 2_000_000, 2000),
        ("1Ki", 1_024_000, 1024),
        ("1Gi", 1024**3 * 1000, 1024**3),
        ("1k", 1_000_000, 1000),
        ("0.1m", 1, 1),  # rounded up, as MilliValue
        ("garbage", 0, 0),
        (2, 2000, 2),
    ],
)
def test_quantities(raw: Any, milli: int, whole: int) -> None:
    assert (milli_value(raw), value(raw)) == (milli, whole)


@pytest.mark.parametrize(
    ("containers", "init", "cpu"),
    [
        (["1", "2"], [], 3000),
        (["1"], ["3"], 3000),  # the biggest init container wins over the sum
        (["1", "1"], ["1500m"], 2000),  # the sum wins over a smaller init container
        (["1"], [("500m", True), "1"], 1500),  # a sidecar adds to both sides
        (["1"], ["2", ("500m", True)], 2000),
    ],
)
def test_pod_requests(containers: list[str], init: list[Any], cpu: int) -> None:
    inits = [container(c[0], sidecar=True) if isinstance(c, tuple) else container(c) for c in init]
    p = {"spec": {"containers": [container(c) for c in containers], "initContainers": inits}}
    assert pod_requests(p)["cpu"] == cpu


def test_non_zero_requests_for_scoring() -> None:
    got = pod_requests(pod(), non_zero=True)
    assert got == {"cpu": 100, "memory": 200 * 1024 * 1024}
    assert pod_requests(pod()) == {}


# ---------------------------------------------------------------------- node affinity
LABELS = {"zone": "a", "gen": "5", "disk": "ssd"}


@pytest.mark.parametrize(
    ("req", "matches"),
    [
        ({"key": "zone", "operator": "In", "values": ["a", "b"]}, True),
        ({"key": "zone", "operator": "In", "values": ["b"]}, False),
        ({"key": "zone", "operator": "NotIn", "values": ["b"]}, True),
        ({"key": "missing", "operator": "NotIn", "values": ["b"]}, True),
        ({"key": "zone", "operator": "Exists"}, True),
        ({"key": "missing", "operator": "Exists"}, False),
        ({"key": "missing", "operator": "DoesNotExist"}, True),
        ({"key": "zone", "operator": "DoesNotExist"}, False),
        ({"key": "gen", "operator": "Gt", "values": ["4"]}, True),
        ({"key": "gen", "operator": "Gt", "values": ["5"]}, False),
        ({"key": "gen", "operator": "Lt", "values": ["6"]}, True),
        ({"key": "zone", "operator": "Gt", "values": ["1"]}, False),  # not an integer
        ({"key": "gen", "operator": "Gt", "values": ["x"]}, False),
        ({"key": "missing", "operator": "Lt", "values": ["6"]}, False),
        ({"key": "zone", "operator": "Bogus", "values": ["a"]}, False),
    ],
)
def test_requirement(req: Obj, matches: bool) -> None:
    assert requirement_matches(req, LABELS) is matches


@pytest.mark.parametrize(
    ("term", "matches"),
    [
        ({}, False),  # an empty term matches nothing
        ({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}, True),
        ({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}, True),
        ({"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}]}, False),
        ({"matchFields": [{"key": "metadata.uid", "operator": "In", "values": ["n1"]}]}, False),
        (
            {
                "matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}],
                "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}],
            },
            False,  # ANDed
        ),
    ],
)
def test_term(term: Obj, matches: bool) -> None:
    assert term_matches(term, LABELS, "n1") is matches


def affinity(*terms: Obj) -> Obj:
    return {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}
    }


# ---------------------------------------------------------------------- filters, one at a time
NOT_HELPFUL_1 = "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
NO_VICTIMS_1 = "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
TOLERATE_ALL = [{"operator": "Exists"}]
ZONE_B = {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]}
ZONE_A = {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}

FILTER_CASES: list[tuple[str, Obj, Obj, list[Obj], str | None]] = [
    ("fits", pod(cpu="1"), node("n"), [], None),
    (
        "cordoned",
        pod(),
        node("n", unschedulable=True),
        [],
        "1 node(s) were unschedulable. " + NOT_HELPFUL_1,
    ),
    (
        "cordoned but tolerated",
        pod(tolerations=[{"key": "node.kubernetes.io/unschedulable", "operator": "Exists"}]),
        node("n", unschedulable=True),
        [],
        None,
    ),
    (
        "NoSchedule taint",
        pod(),
        node("n", taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}]),
        [],
        "1 node(s) had untolerated taint {k: v}. " + NOT_HELPFUL_1,
    ),
    (
        "NoExecute taint",
        pod(),
        node("n", taints=[{"key": "k", "effect": "NoExecute"}]),
        [],
        "1 node(s) had untolerated taint {k: }. " + NOT_HELPFUL_1,
    ),
    (
        "PreferNoSchedule is no filter",
        pod(),
        node("n", taints=[{"key": "k", "effect": "PreferNoSchedule"}]),
        [],
        None,
    ),
    (
        "toleration Equal",
        pod(tolerations=[{"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule"}]),
        node("n", taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}]),
        [],
        None,
    ),
    (
        "toleration with the wrong value",
        pod(tolerations=[{"key": "k", "value": "w"}]),
        node("n", taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}]),
        [],
        "1 node(s) had untolerated taint {k: v}. " + NOT_HELPFUL_1,
    ),
    (
        "toleration of another effect",
        pod(tolerations=[{"key": "k", "operator": "Exists", "effect": "NoExecute"}]),
        node("n", taints=[{"key": "k", "effect": "NoSchedule"}]),
        [],
        "1 node(s) had untolerated taint {k: }. " + NOT_HELPFUL_1,
    ),
    (
        "tolerate everything",
        pod(tolerations=TOLERATE_ALL),
        node("n", taints=[{"key": "k", "effect": "NoSchedule"}]),
        [],
        None,
    ),
    (
        "not ready",
        pod(),
        node("n", ready="False"),
        [],
        "1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. " + NOT_HELPFUL_1,
    ),
    (
        "no Ready condition",
        pod(),
        node("n", ready=None),
        [],
        "1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. " + NOT_HELPFUL_1,
    ),
    (
        "nodeSelector",
        pod(nodeSelector={"disk": "ssd"}),
        node("n", labels={"disk": "hdd"}),
        [],
        "1 node(s) didn't match Pod's node affinity/selector. " + NOT_HELPFUL_1,
    ),
    ("nodeSelector matches", pod(nodeSelector={"disk": "ssd"}), node("n", labels={"disk": "ssd"}), [], None),
    (
        "required affinity, no term matches",
        pod(affinity=affinity(ZONE_B)),
        node("n", labels={"zone": "a"}),
        [],
        "1 node(s) didn't match Pod's node affinity/selector. " + NOT_HELPFUL_1,
    ),
    (
        "required affinity, terms ORed",
        pod(affinity=affinity(ZONE_B, ZONE_A)),
        node("n", labels={"zone": "a"}),
        [],
        None,
    ),
    (
        "matchFields pins another node",
        pod(
            affinity=affinity({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["x"]}]})
        ),
        node("n"),
        [],
        "1 node(s) didn't satisfy plugin(s) [NodeAffinity]. " + NOT_HELPFUL_1,
    ),
    (
        "insufficient cpu",
        pod(cpu="3"),
        node("n", cpu="4"),
        [pod("other", cpu="2")],
        "1 Insufficient cpu. " + NO_VICTIMS_1,
    ),
    (
        "terminal pods free their resources",
        pod(cpu="3"),
        node("n", cpu="4"),
        [pod("done", cpu="2", phase="Succeeded")],
        None,
    ),
    (
        "bigger than the node: preemption cannot help",
        pod(cpu="5"),
        node("n", cpu="4"),
        [],
        "1 Insufficient cpu. " + NOT_HELPFUL_1,
    ),
    (
        "cpu and memory",
        pod(cpu="3", memory="1Gi"),
        node("n", cpu="2", memory="512Mi"),
        [],
        "1 Insufficient cpu, 1 Insufficient memory. " + NOT_HELPFUL_1,
    ),
    (
        "too many pods",
        pod(),
        node("n", pods="1"),
        [pod("other")],
        "1 Too many pods. " + NO_VICTIMS_1,
    ),
    ("max pods defaults to 110", pod(), node("n", pods=None), [pod(f"o{i}") for i in range(109)], None),
    (
        "max pods default reached",
        pod(),
        node("n", pods=None),
        [pod(f"o{i}") for i in range(110)],
        "1 Too many pods. " + NO_VICTIMS_1,
    ),
    (
        "host port in use",
        pod(containers=[{"name": "c", "image": "i", "ports": [{"containerPort": 80, "hostPort": 8080}]}]),
        node("n"),
        [
            pod(
                "o",
                containers=[{"name": "c", "image": "i", "ports": [{"containerPort": 1, "hostPort": 8080}]}],
            )
        ],
        "1 node(s) didn't have free ports for the requested pod ports. " + NO_VICTIMS_1,
    ),
    (
        "preemptionPolicy Never",
        pod(cpu="3", preemptionPolicy="Never"),
        node("n", cpu="2"),
        [],
        "1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.",
    ),
]


@pytest.mark.parametrize(
    ("case", "p", "n", "others", "message"), FILTER_CASES, ids=[c[0] for c in FILTER_CASES]
)
def test_filter(case: str, p: Obj, n: Obj, others: list[Obj], message: str | None) -> None:
    decision = plan.schedule(p, [n], {"n": others})
    if message is None:
        assert decision.node == "n", decision.message
    else:
        assert decision.node is None
        assert decision.message == "0/1 nodes are available: " + message


def test_first_failing_filter_wins_per_node() -> None:
    # Cordoned and tainted and too small: only the first filter in the profile's order counts.
    n = node("n", cpu="1", unschedulable=True, taints=[{"key": "k", "effect": "NoSchedule"}])
    decision = plan.schedule(pod(cpu="2"), [n], {})
    assert decision.message.startswith("0/1 nodes are available: 1 node(s) were unschedulable.")


def test_no_nodes() -> None:
    assert plan.schedule(pod(), [], {}) == plan.Decision(None, "no nodes available to schedule pods")


def test_conflicting_pins() -> None:
    pins = [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]}]},
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["b"]}]},
    ]
    term = {"matchFields": pins[0]["matchFields"] + pins[1]["matchFields"]}
    decision = plan.schedule(pod(affinity=affinity(term)), [node("a"), node("b")], {})
    assert decision.message == (
        "0/2 nodes are available: pod affinity terms conflict. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )
    assert plan.schedule(pod(affinity=affinity(*pins)), [node("a"), node("c")], {}).node == "a"


# ---------------------------------------------------------------------- the message
def test_message_histogram_is_sorted_as_strings() -> None:
    statuses = {f"n{i}": Status(("Insufficient cpu",), resolvable=True) for i in range(10)}
    statuses |= {"x": Status(("node(s) were unschedulable",)), "y": Status(("node(s) were unschedulable",))}
    # "10 ..." sorts before "2 ..." because kube sorts the formatted strings.
    assert plan.unschedulable_message(pod(), 12, statuses) == (
        "0/12 nodes are available: 10 Insufficient cpu, 2 node(s) were unschedulable. "
        "preemption: 0/12 nodes are available: 10 No preemption victims found for incoming pod, "
        "2 Preemption is not helpful for scheduling."
    )


def test_message_of_the_issue() -> None:
    nodes = [
        node("small", cpu="3"),
        node("x", labels={"zone": "x"}),
        node("y", labels={"zone": "y"}),
    ]
    p = pod(cpu="2", affinity=affinity({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}))
    assert plan.schedule(p, nodes, {"small": [pod("o", cpu="2")]}).message == (
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, "
        "2 Preemption is not helpful for scheduling."
    )


def test_every_reason_of_a_node_counts() -> None:
    decision = plan.schedule(pod(cpu="2", memory="2Gi"), [node("n", cpu="1", memory="1Gi", pods="0")], {})
    assert decision.message.startswith(
        "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 Too many pods."
    )


# ---------------------------------------------------------------------- which Pods
@pytest.mark.parametrize(
    ("p", "wanted"),
    [
        (pod(), True),
        (pod(schedulerName="default-scheduler"), True),
        (pod(schedulerName="other"), False),
        (pod(nodeName="n"), False),
        (pod(phase="Failed"), False),
        ({**pod(), "metadata": {"name": "p", "deletionTimestamp": "2024-01-01T00:00:00Z"}}, False),
    ],
)
def test_wants_scheduling(p: Obj, wanted: bool) -> None:
    assert plan.wants_scheduling(p) is wanted


def test_implied_not_ready_taint_is_not_doubled() -> None:
    taint = {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}
    assert effective_taints(node("n", ready="False", taints=[taint])) == [taint]
    assert effective_taints(node("n")) == []


# ---------------------------------------------------------------------- scores and spread
def test_least_allocated_node_wins() -> None:
    nodes = [node("busy", cpu="4"), node("idle", cpu="4")]
    busy = [pod(f"b{i}", cpu="1", memory="1Gi") for i in range(3)]
    assert plan.schedule(pod(cpu="1", memory="1Gi"), nodes, {"busy": busy}).node == "idle"


def test_bigger_node_is_less_allocated() -> None:
    nodes = [node("small", cpu="2", memory="4Gi"), node("large", cpu="16", memory="32Gi")]
    assert plan.schedule(pod(cpu="1", memory="1Gi"), nodes, {}).node == "large"


def test_prefer_no_schedule_and_preferred_affinity_steer() -> None:
    soft = [{"key": "k", "effect": "PreferNoSchedule"}]
    assert plan.schedule(pod(), [node("soft", taints=soft), node("plain")], {}).node == "plain"
    preferred = {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 10,
                    "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
                }
            ]
        }
    }
    nodes = [node("a", labels={"zone": "a"}), node("b", labels={"zone": "b"})]
    assert plan.schedule(pod(affinity=preferred), nodes, {}).node == "b"


def test_equal_nodes_spread_pods() -> None:
    nodes = [node(f"n{i}") for i in range(3)]
    placed: dict[str, list[Obj]] = {}
    for i in range(9):
        p = pod(f"p{i}")
        decision = plan.schedule(p, nodes, placed)
        assert decision.node is not None
        placed.setdefault(decision.node, []).append(p)
    assert sorted(len(v) for v in placed.values()) == [3, 3, 3]


def test_ties_are_broken_by_a_stable_hash() -> None:
    nodes = [node(f"n{i}") for i in range(5)]
    chosen = {plan.schedule(pod(f"p{i}"), nodes, {}).node for i in range(40)}
    assert len(chosen) > 1  # not always the first node
    assert plan.schedule(pod("same"), nodes, {}).node == plan.schedule(pod("same"), nodes, {}).node


def test_allocatable_is_parsed_once_per_quantities_and_each_caller_gets_its_own_copy() -> None:
    node = {"status": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}}}
    first = allocatable(node)
    assert first == {"cpu": 8000, "memory": 32 * 2**30, "pods": 110}
    first["cpu"] = 0  # a caller's change stays its own
    assert allocatable({"status": {"allocatable": dict(node["status"]["allocatable"])}})["cpu"] == 8000
    # capacity when allocatable is absent; kubelet's pod default when pods is absent
    assert allocatable({"status": {"capacity": {"cpu": "500m"}}}) == {"cpu": 500, "pods": 110}
    # an unhashable (malformed) value is parsed as any malformed quantity: as zero
    assert allocatable({"status": {"allocatable": {"cpu": ["8"]}}}) == {"cpu": 0, "pods": 110}
