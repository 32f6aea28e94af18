"""Default pod order, deletion order, priority and scatter strategies (spec §0.3, §1.5, §3.5)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from kruise.api.ordering import ScatterTerm, UpdatePriorityStrategy
from kruise.control.ordering import (
    POD_DELETION_COST_ANNOTATION,
    active_pods_key,
    deletion_cost,
    same_node_ranks,
    sort_active_pods,
    sort_by_priority,
    sort_by_scatter,
    sort_for_deletion,
    topology_spread_ranks,
)

NOW = dt.datetime(2026, 1, 1, 1, 0, 0, tzinfo=dt.UTC)


def ts(minute: int) -> str:
    return f"2026-01-01T00:{minute:02d}:00Z"


def pod(
    name: str,
    *,
    node: str | None = "n1",
    phase: str = "Running",
    ready: bool = True,
    ready_at: int | None = 0,
    restarts: int = 0,
    created: int | None = 0,
    cost: str | None = None,
    labels: dict[str, str] | None = None,
) -> dict:
    meta: dict = {"name": name, "namespace": "ns", "labels": labels or {}}
    if created is not None:
        meta["creationTimestamp"] = ts(created)
    if cost is not None:
        meta["annotations"] = {POD_DELETION_COST_ANNOTATION: cost}
    cond: dict = {"type": "Ready", "status": "True" if ready else "False"}
    if ready_at is not None:
        cond["lastTransitionTime"] = ts(ready_at)
    return {
        "metadata": meta,
        "spec": {"nodeName": node} if node else {},
        "status": {
            "phase": phase,
            "conditions": [cond],
            "containerStatuses": [{"name": "a", "restartCount": 0}, {"name": "b", "restartCount": restarts}],
        },
    }


def names(pods: list[dict]) -> list[str]:
    return [p["metadata"]["name"] for p in pods]


# Each rule in isolation: pods that differ in one property only, listed in the expected order.
COMMON_RULES = [
    ("unassigned first", [pod("a", node=None), pod("b")]),
    ("phase", [pod("a", phase="Pending"), pod("b", phase="Unknown"), pod("c", phase="Running")]),
    ("phase outside the map ranks as Pending", [pod("a", phase="Succeeded"), pod("b", phase="Unknown")]),
    ("not ready first", [pod("a", ready=False), pod("b")]),
    ("ready for shorter time first", [pod("a", ready_at=50), pod("b", ready_at=10)]),
    ("ready without a transition time first", [pod("a", ready_at=None), pod("b", ready_at=59)]),
    ("more restarts first", [pod("a", restarts=3), pod("b", restarts=1), pod("c")]),
    ("newer first", [pod("a", created=30), pod("b", created=5)]),
    ("empty creationTimestamp first", [pod("a", created=None), pod("b", created=59)]),
    # earlier rules win over later ones
    ("assigned beats phase", [pod("a", node=None, phase="Running"), pod("b", phase="Pending")]),
    ("phase beats readiness", [pod("a", phase="Pending"), pod("b", phase="Running", ready=False)]),
    ("readiness beats restarts", [pod("a", ready=False), pod("b", restarts=9)]),
    ("ready time beats restarts", [pod("a", ready_at=50), pod("b", ready_at=10, restarts=9)]),
    ("restarts beat age", [pod("a", restarts=1, created=1), pod("b", created=50)]),
    (
        "not-ready pods ignore ready time",
        [pod("a", ready=False, ready_at=1, created=9), pod("b", ready=False, ready_at=50, created=1)],
    ),
]


@pytest.mark.parametrize(("desc", "expected"), COMMON_RULES, ids=[d for d, _ in COMMON_RULES])
def test_active_pod_order_rules(desc: str, expected: list[dict]) -> None:
    assert names(sort_active_pods(list(reversed(expected)), NOW)) == names(expected)
    assert names(sort_active_pods(expected, NOW)) == names(expected)


@pytest.mark.parametrize(("desc", "expected"), COMMON_RULES, ids=[d for d, _ in COMMON_RULES])
def test_deletion_order_shares_the_common_rules(desc: str, expected: list[dict]) -> None:
    # one node per pod, so spread ranks are all 0
    expected = [{**p, "spec": {"nodeName": f"n-{i}"}} if p["spec"] else p for i, p in enumerate(expected)]
    assert names(sort_for_deletion(list(reversed(expected)), NOW)) == names(expected)


def test_active_order_combined_and_stable() -> None:
    pods = [
        pod("old-ready", created=1, ready_at=2),
        pod("twin-1", created=20, ready_at=30),
        pod("unassigned", node=None, phase="Pending", ready=False),
        pod("crashy", restarts=5, ready_at=2, created=1),
        pod("twin-2", created=20, ready_at=30),
        pod("pending", phase="Pending", ready=False),
        pod("not-ready", ready=False),
        pod("fresh", ready_at=58),
    ]
    assert names(sort_active_pods(pods, NOW)) == [
        "unassigned",
        "pending",
        "not-ready",
        "fresh",
        "twin-1",
        "twin-2",
        "crashy",
        "old-ready",
    ]
    assert active_pods_key(pods[1], NOW) == active_pods_key(pods[4], NOW)


# --------------------------------------------------------------------------------------------
# deletion order


@pytest.mark.parametrize(
    ("value", "cost"),
    [
        (None, 0),
        ("0", 0),
        ("10", 10),
        ("-5", -5),
        ("-007", -7),
        ("2147483647", 2147483647),
        ("-2147483648", -2147483648),
        ("2147483648", 0),
        ("+3", 0),
        ("007", 0),
        ("00", 0),
        ("", 0),
        ("-", 0),
        ("1_000", 0),
        (" 1", 0),
        ("abc", 0),
    ],
)
def test_deletion_cost_parsing(value: str | None, cost: int) -> None:
    assert deletion_cost(pod("p", cost=value)) == cost


def test_lower_deletion_cost_deleted_first() -> None:
    pods = [pod("high", cost="10", node="a"), pod("none", node="b"), pod("low", cost="-5", node="c")]
    assert names(sort_for_deletion(pods, NOW)) == ["low", "none", "high"]


def test_readiness_beats_deletion_cost_and_cost_beats_ready_time() -> None:
    pods = [
        pod("ready-cheap", cost="-100", node="a"),
        pod("not-ready-dear", ready=False, cost="100", node="b"),
        pod("fresh-dear", cost="1", ready_at=59, node="c"),
    ]
    assert names(sort_for_deletion(pods, NOW)) == ["not-ready-dear", "ready-cheap", "fresh-dear"]


def stacked() -> list[dict]:
    # node-a: p0, p1; node-b: p2; node-c: p3, p4, p5 (upstream's proposal example)
    return [
        pod("p0", node="node-a", created=45),
        pod("p1", node="node-a", created=20),
        pod("p2", node="node-b", created=30),
        pod("p3", node="node-c", created=40),
        pod("p4", node="node-c", created=10),
        pod("p5", node="node-c", created=50),
    ]


def test_same_node_ranks() -> None:
    # per node, sorted by deletion order (newest first here): first gets n-1, ..., the last 0
    ranks = same_node_ranks(stacked(), NOW)
    assert ranks == {
        ("ns", "p0"): 1,
        ("ns", "p1"): 0,
        ("ns", "p2"): 0,
        ("ns", "p3"): 1,
        ("ns", "p4"): 0,
        ("ns", "p5"): 2,
    }


def test_crowded_nodes_lose_pods_first() -> None:
    assert names(sort_for_deletion(stacked(), NOW)) == ["p5", "p0", "p3", "p2", "p1", "p4"]


def test_deletion_cost_beats_spread_rank() -> None:
    pods = stacked()
    pods[5]["metadata"]["annotations"] = {POD_DELETION_COST_ANNOTATION: "1"}
    assert names(sort_for_deletion(pods, NOW))[-1] == "p5"


def test_spread_rank_beats_ready_time() -> None:
    pods = [pod("lone-fresh", node="x", ready_at=59), pod("s1", node="y"), pod("s2", node="y", created=5)]
    assert names(sort_for_deletion(pods, NOW)) == ["s2", "lone-fresh", "s1"]


def test_ranks_come_from_the_pods_being_sorted() -> None:
    # as upstream's choosePodsToDelete: each group is ranked among itself, so a pod that shares its
    # node with a pod outside the group is not ranked up by it
    stacked_pod = pod("stacked", node="node-a", created=45)
    lone = pod("lone", node="node-b", created=55)
    assert names(sort_for_deletion([lone, stacked_pod], NOW)) == ["lone", "stacked"]
    assert names(sort_for_deletion([lone, stacked_pod, pod("keeper", node="node-a", created=20)], NOW)) == [
        "stacked",
        "lone",
        "keeper",
    ]


ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


def zoned_nodes(zones: dict[str, str]) -> dict[str, dict[str, str]]:
    return {node: {ZONE: zone, HOST: node} for node, zone in zones.items()}


def test_topology_spread_ranks_follow_the_crowded_zone() -> None:
    # zone-x holds four pods on four nodes, zone-y one: nobody is stacked on a node, so without the
    # constraint the newest pod (in zone-y) would go first
    nodes = zoned_nodes({"a": "x", "b": "x", "c": "x", "d": "x", "e": "y"})
    pods = [
        pod("a0", node="a", created=10),
        pod("b0", node="b", created=20),
        pod("c0", node="c", created=30),
        pod("d0", node="d", created=40),
        pod("e0", node="e", created=50),
    ]
    assert names(sort_for_deletion(pods, NOW)) == ["e0", "d0", "c0", "b0", "a0"]
    weight = math.log(2 + 2)
    ranks = topology_spread_ranks(pods, NOW, [ZONE], nodes)
    assert ranks == pytest.approx(
        {("ns", n): r * weight for n, r in {"d0": 4, "c0": 3, "b0": 2, "a0": 1, "e0": 1}.items()}
    )
    # e0 ties with a0 on rank and is newer
    order = sort_for_deletion(pods, NOW, topology_keys=[ZONE], node_labels=nodes)
    assert names(order) == ["d0", "c0", "b0", "e0", "a0"]


def test_topology_groups_sort_by_same_node_rank_except_for_the_hostname_key() -> None:
    nodes = zoned_nodes({"a": "x", "b": "x"})
    # on node a, a1 (newer) is the stacked one; b0 is the newest pod of all
    pods = [pod("a0", node="a", created=10), pod("a1", node="a", created=20), pod("b0", node="b", created=30)]
    w_zone, w_host = math.log(1 + 2), math.log(2 + 2)
    # zone: one group sorted with same-node ranks first: a1 (rank 1), then b0, a0 (newer first)
    assert topology_spread_ranks(pods, NOW, [ZONE], nodes) == pytest.approx(
        {("ns", "a1"): 3 * w_zone, ("ns", "b0"): 2 * w_zone, ("ns", "a0"): w_zone}
    )
    # hostname: a group per node, no same-node rank inside: a1, a0 on a; b0 alone on b
    assert topology_spread_ranks(pods, NOW, [HOST], nodes) == pytest.approx(
        {("ns", "a1"): 2 * w_host, ("ns", "a0"): w_host, ("ns", "b0"): w_host}
    )
    # ranks of several constraints add up
    both = topology_spread_ranks(pods, NOW, [ZONE, HOST], nodes)
    assert both[("ns", "a1")] == pytest.approx(3 * w_zone + 2 * w_host)


def test_topology_ranks_skip_unknown_nodes_unlabelled_nodes_and_unassigned_pods() -> None:
    nodes = {"a": {ZONE: "x"}, "b": {}}
    pods = [
        pod("on-a", node="a", created=10),
        pod("on-b", node="b", created=20),
        pod("on-gone", node="gone", created=30),
        pod("pending", node=None, phase="Pending", ready=False, created=40),
    ]
    assert topology_spread_ranks(pods, NOW, [ZONE], nodes) == pytest.approx({("ns", "on-a"): math.log(3)})
    order = sort_for_deletion(pods, NOW, topology_keys=[ZONE], node_labels=nodes)
    assert names(order) == ["pending", "on-a", "on-gone", "on-b"]


def test_available_predicate_orders_before_readiness() -> None:
    pods = [pod("available", node="a", created=50), pod("unavailable", node="b", created=1)]
    unavailable = {"unavailable"}

    def available(p: dict) -> bool:
        return p["metadata"]["name"] not in unavailable

    assert names(sort_for_deletion(pods, NOW)) == ["available", "unavailable"]
    assert names(sort_for_deletion(pods, NOW, available=available)) == ["unavailable", "available"]


# --------------------------------------------------------------------------------------------
# priorityStrategy


def labelled(name: str, **labels: str) -> dict:
    return pod(name, labels=labels)


def priority(**spec: object) -> UpdatePriorityStrategy:
    return UpdatePriorityStrategy.model_validate(spec)


def test_weight_priority_higher_total_first() -> None:
    strategy = priority(
        weightPriority=[
            {"weight": 50, "matchSelector": {"matchLabels": {"key": "val-a"}}},
            {"weight": 30, "matchSelector": {"matchLabels": {"key": "val-b"}}},
            {"weight": 40, "matchSelector": {"matchExpressions": [{"key": "zone", "operator": "Exists"}]}},
        ]
    )
    pods = [
        labelled("none"),
        labelled("b", key="val-b"),
        labelled("a", key="val-a"),
        labelled("b-zone", key="val-b", zone="z1"),  # 30 + 40
        labelled("none-2"),
        labelled("zone", zone="z2"),
    ]
    assert names(sort_by_priority(pods, strategy)) == ["b-zone", "a", "zone", "b", "none", "none-2"]


def test_weight_priority_skips_invalid_selectors() -> None:
    strategy = priority(
        weightPriority=[
            {"weight": 90, "matchSelector": {"matchExpressions": [{"key": "k", "operator": "Bogus"}]}},
            {"weight": 10, "matchSelector": {"matchLabels": {"k": "v"}}},
        ]
    )
    pods = [labelled("other", k="x"), labelled("hit", k="v")]
    assert names(sort_by_priority(pods, strategy)) == ["hit", "other"]


def test_order_priority_keyless_first_then_level_then_trailing_int_descending() -> None:
    strategy = priority(orderPriority=[{"orderedKey": "key1"}, {"orderedKey": "key2"}])
    pods = [
        labelled("k2-10", key2="10"),
        labelled("k1-sts-1", key1="sts-1"),
        labelled("keyless"),
        labelled("k1-sts-10", key1="sts-10"),
        labelled("k1-abc", key1="abc"),
        labelled("both", key1="sts-2", key2="99"),
        labelled("k2-x", key2="x-100"),
        labelled("keyless-2", other="5"),
    ]
    assert names(sort_by_priority(pods, strategy)) == [
        "keyless",
        "keyless-2",
        "k1-sts-10",
        "both",
        "k1-sts-1",
        "k1-abc",
        "k2-x",
        "k2-10",
    ]


def test_order_priority_trailing_int_edge_cases() -> None:
    strategy = priority(orderPriority=[{"orderedKey": "k"}])
    pods = [
        labelled("huge", k="v-99999999999999999999"),  # beyond int64 -> 0
        labelled("one", k="1"),
        labelled("zero", k="v0"),
        labelled("seven", k="a1b7"),
    ]
    assert names(sort_by_priority(pods, strategy)) == ["seven", "one", "huge", "zero"]


@pytest.mark.parametrize("strategy", [None, priority(), priority(weightPriority=[], orderPriority=[])])
def test_no_priority_keeps_order(strategy: UpdatePriorityStrategy | None) -> None:
    pods = [labelled("b"), labelled("a")]
    out = sort_by_priority(pods, strategy)
    assert names(out) == ["b", "a"] and out is not pods


def test_weight_priority_wins_over_order_priority() -> None:
    strategy = priority(
        weightPriority=[{"weight": 1, "matchSelector": {"matchLabels": {"w": "1"}}}],
        orderPriority=[{"orderedKey": "o"}],
    )
    pods = [labelled("ordered", o="9"), labelled("weighted", w="1")]
    assert names(sort_by_priority(pods, strategy)) == ["weighted", "ordered"]


# --------------------------------------------------------------------------------------------
# scatterStrategy


def scatter_pods(label_sets: list[dict[str, str]]) -> list[dict]:
    return [labelled(str(i), **ls) for i, ls in enumerate(label_sets)]


def terms(*pairs: str) -> list[ScatterTerm]:
    return [ScatterTerm(key=p.split("=")[0], value=p.split("=")[1]) for p in pairs]


@pytest.mark.parametrize("matched_at", [[7, 8, 9], [0, 1, 2], [2, 5, 6]])
def test_scatter_docs_example(matched_at: list[int]) -> None:
    # 10 pods, 3 labelled foo=bar: they are updated 1st, 6th and 10th
    pods = scatter_pods([{"foo": "bar"} if i in matched_at else {} for i in range(10)])
    out = sort_by_scatter(pods, terms("foo=bar"))
    positions = [i + 1 for i, p in enumerate(out) if p["metadata"]["labels"].get("foo") == "bar"]
    assert positions == [1, 6, 10]
    # relative order within the matched and unmatched groups is preserved
    assert [n for n in names(out) if int(n) in matched_at] == [str(i) for i in matched_at]


A, B, C = {"labelA": "AAA"}, {"labelB": "BBB"}, {"labelC": "CCC"}
AB = {**A, **B}

SCATTER_CASES = [
    # (description, pod labels, terms, expected order of pod indexes) — upstream updatesort vectors
    ("one label", [{}, {}, {}, {}, A, A], ["labelA=AAA"], [4, 0, 1, 2, 3, 5]),
    ("odd + odd", [{}, {}, {}, A, A, A], ["labelA=AAA"], [3, 0, 1, 4, 2, 5]),
    ("even matched + odd others", [{}, {}, {}, A, {}, {}, A], ["labelA=AAA"], [3, 0, 1, 2, 4, 5, 6]),
    (
        "odd matched + even others",
        [{}, {}, {}, {}, {}, {}, A, A, A],
        ["labelA=AAA"],
        [6, 0, 1, 2, 7, 3, 4, 5, 8],
    ),
    ("more matched than others", [{}, {}, A, A, A, A], ["labelA=AAA"], [2, 3, 0, 4, 1, 5]),
    ("more matched, odd", [{}, {}, A, {}, A, A, A, A, A], ["labelA=AAA"], [2, 4, 0, 5, 6, 1, 7, 3, 8]),
    ("interleaved input", [{}, A, {}, A, {}, {}, A, A, A], ["labelA=AAA"], [1, 0, 3, 2, 6, 4, 7, 5, 8]),
    ("one matched: unchanged", [{}, {}, A, {}], ["labelA=AAA"], [0, 1, 2, 3]),
    ("one unmatched: unchanged", [A, {}, A, A], ["labelA=AAA"], [0, 1, 2, 3]),
    ("two terms", [B, B, {}, {}, A, A], ["labelA=AAA", "labelB=BBB"], [0, 4, 2, 3, 5, 1]),
    ("two terms, shared pod", [{}, {}, {}, B, AB, A], ["labelA=AAA", "labelB=BBB"], [4, 0, 1, 2, 5, 3]),
    (
        "two terms tie: listed order A, B",
        [{}, {}, {}, {}, {"x": "e"}, {"y": "s"}, B, A, A, B],
        ["labelA=AAA", "labelB=BBB"],
        [6, 7, 0, 1, 2, 3, 4, 5, 8, 9],
    ),
    (
        "two terms tie: listed order B, A",
        [{}, {}, {}, {}, {"x": "e"}, {"y": "s"}, B, A, A, B],
        ["labelB=BBB", "labelA=AAA"],
        [7, 6, 0, 1, 2, 3, 4, 5, 9, 8],
    ),
    (
        "three terms",
        [{}, A, A, B, B, C, C, C, C, C],
        ["labelA=AAA", "labelB=BBB", "labelC=CCC"],
        [3, 1, 5, 0, 6, 7, 8, 9, 2, 4],
    ),
    (
        "three terms, overlapping labels",
        [{}, A, {**A, **C}, {**B, **C}, B, {}, {}, C, C, C],
        ["labelA=AAA", "labelB=BBB", "labelC=CCC"],
        [3, 2, 0, 7, 8, 5, 6, 9, 1, 4],
    ),
    (
        "term nobody matches is dropped",
        [{}, {}, {}, {}, A, A],
        ["labelA=AAA", "labelZ=Z"],
        [4, 0, 1, 2, 3, 5],
    ),
    ("duplicate terms count once", [{}, {}, {}, {}, A, A], ["labelA=AAA", "labelA=AAA"], [4, 0, 1, 2, 3, 5]),
]


@pytest.mark.parametrize(
    ("desc", "label_sets", "term_list", "expected"), SCATTER_CASES, ids=[c[0] for c in SCATTER_CASES]
)
def test_scatter_cases(desc: str, label_sets: list, term_list: list[str], expected: list[int]) -> None:
    pods = scatter_pods(label_sets)
    assert names(sort_by_scatter(pods, terms(*term_list))) == [str(i) for i in expected]


@pytest.mark.parametrize(
    ("label_sets", "candidates", "expected"),
    [
        # upstream "continuous sort" vectors: the population holds pods that are not candidates
        ([{}, {}, {}, {}, A, A, A], 6, [0, 1, 4, 2, 3, 5]),
        ([A, A, {}, {}, {}, {}, {}, {}, {}, A], 7, [2, 0, 3, 4, 5, 6, 1]),
    ],
)
def test_scatter_with_more_pods_than_candidates(
    label_sets: list, candidates: int, expected: list[int]
) -> None:
    population = scatter_pods(label_sets)
    out = sort_by_scatter(population[:candidates], terms("labelA=AAA"), all_pods=population)
    assert names(out) == [str(i) for i in expected]


def test_scatter_uses_population_density() -> None:
    # candidates: m1..m3 match, u1..u6 do not
    candidates = [labelled(f"m{i}", zone="a") for i in (1, 2, 3)] + [labelled(f"u{i}") for i in range(1, 7)]
    # own density (1 matching : 3 others after the reserved one) when the population is no denser
    assert names(sort_by_scatter(candidates, terms("zone=a"))) == [
        *("m1", "u1", "u2", "u3"),
        *("m2", "u4", "u5", "u6"),
        "m3",
    ]
    # a population of 7 matching / 6 not (1:1 after reserving one): groups of one and one, the
    # surplus non-matching candidates first
    denser = [*candidates, *(labelled(f"m{i}", zone="a") for i in (4, 5, 6, 7))]
    assert names(sort_by_scatter(candidates, terms("zone=a"), all_pods=denser)) == [
        *("u1", "u2", "u3", "u4"),
        *("m1", "u5", "m2", "u6"),
        "m3",
    ]
    # 5 matching / 6 not: 4 vs 6 after reserving, i.e. one matching pod per two others
    less_dense = [*candidates, *(labelled(f"m{i}", zone="a") for i in (4, 5))]
    assert names(sort_by_scatter(candidates, terms("zone=a"), all_pods=less_dense)) == [
        *("u1", "u2", "m1", "u3", "u4"),
        *("m2", "u5", "u6", "m3"),
    ]


def test_scatter_missing_label_matches_empty_value() -> None:
    # a single term is applied as given; a pod without the key reads as value ""
    pods = scatter_pods([{"k": "x"}, {"k": "x"}, {}, {}, {"k": "x"}])
    assert names(sort_by_scatter(pods, terms("k="))) == ["2", "0", "1", "4", "3"]


@pytest.mark.parametrize("term_list", [None, []])
def test_no_scatter_keeps_order(term_list: list[ScatterTerm] | None) -> None:
    pods = scatter_pods([{}, A, {}, A])
    out = sort_by_scatter(pods, term_list)
    assert names(out) == ["0", "1", "2", "3"] and out is not pods
