"""CloneSet status arithmetic and the Progressing condition (spec §3.7); pods, claims and ids (§3.2)."""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace

import pytest

from kruise.controllers.cloneset import status as st
from kruise.controllers.cloneset.pods import new_instance_ids, new_pod, new_pvcs

NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
STAMP = "2026-01-01T12:00:00Z"


def pod(rev: str, *, ready: bool = True, state: str = "Normal", inplace: str | None = None) -> dict:
    conds = [
        {
            "type": "Ready",
            "status": "True" if ready else "False",
            "lastTransitionTime": "2026-01-01T11:00:00Z",
        }
    ]
    if inplace is not None:
        conds.append({"type": "InPlaceUpdateReady", "status": inplace})
    return {
        "metadata": {"labels": {"controller-revision-hash": rev, "lifecycle.apps.kruise.io/state": state}},
        "status": {"phase": "Running", "conditions": conds},
    }


def test_counters_follow_readiness_lifecycle_and_revision():
    pods = [
        pod("cs-new"),
        pod("cs-new", inplace="False"),  # in-place update running: neither ready nor available
        pod("cs-new", state="PreparingDelete"),  # ready, but not available
        pod("cs-old", ready=False),
        pod("cs-old"),
    ]
    got = st.counters(pods, 5, 2, "cs-new", 0, NOW)
    assert got == {
        "replicas": 5,
        "readyReplicas": 3,
        "availableReplicas": 2,
        "updatedReplicas": 3,
        "updatedReadyReplicas": 2,
        "updatedAvailableReplicas": 1,
        "expectedUpdatedReplicas": 3,
    }


def test_min_ready_seconds_delays_availability():
    got = st.counters([pod("a")], 1, 0, "a", 7200, NOW)  # ready for one hour only
    assert (got["readyReplicas"], got["availableReplicas"]) == (1, 0)


@pytest.mark.parametrize(
    ("selector", "text"),
    [
        ({"matchLabels": {"b": "2", "a": "1"}}, "a=1,b=2"),
        (
            {
                "matchLabels": {"app": "x"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}],
            },
            "app=x,tier in (a,b)",
        ),
        (
            {
                "matchExpressions": [
                    {"key": "z", "operator": "DoesNotExist"},
                    {"key": "k", "operator": "Exists"},
                ]
            },
            "k,!z",
        ),
    ],
)
def test_selector_string(selector, text):
    assert st.selector_string(selector) == text


def spec(replicas: int = 3, paused: bool = False, deadline: int | None = 60) -> SimpleNamespace:
    return SimpleNamespace(
        replicas=replicas, update_strategy=SimpleNamespace(paused=paused), progress_deadline_seconds=deadline
    )


def status(**kw) -> dict:
    base = {
        "replicas": 3,
        "updatedReplicas": 3,
        "updatedAvailableReplicas": 3,
        "expectedUpdatedReplicas": 3,
        "currentRevision": "r1",
        "updateRevision": "r1",
    }
    return {**base, **kw}


@pytest.mark.parametrize(
    ("s", "sp", "existing", "want"),
    [
        (status(), spec(), None, ("True", "CloneSetAvailable")),
        (status(updateRevision="r2", updatedReplicas=1), spec(paused=True), None, ("True", "CloneSetPaused")),
        (
            status(
                updateRevision="r2", updatedReplicas=1, updatedAvailableReplicas=1, expectedUpdatedReplicas=1
            ),
            spec(),
            None,
            ("True", "ProgressPartitionAvailable"),
        ),
        (
            status(updateRevision="r2", updatedReplicas=1, updatedAvailableReplicas=0),
            spec(),
            None,
            ("True", "CloneSetUpdated"),
        ),
        # the deadline counts from the moment the reason became CloneSetUpdated
        (
            status(updateRevision="r2", updatedReplicas=1, updatedAvailableReplicas=0),
            spec(deadline=60),
            {
                "type": "Progressing",
                "status": "True",
                "reason": "CloneSetUpdated",
                "lastUpdateTime": "2026-01-01T11:58:00Z",
            },
            ("False", "ProgressDeadlineExceeded"),
        ),
        # sticky until the CloneSet is available, paused or partition-ready
        (
            status(updateRevision="r2", updatedReplicas=2, updatedAvailableReplicas=1),
            spec(),
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": "CloneSet revision r2 has timed out progressing",
                "lastUpdateTime": STAMP,
            },
            ("False", "ProgressDeadlineExceeded"),
        ),
        (
            status(),
            spec(),
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": "CloneSet revision r2 has timed out progressing",
                "lastUpdateTime": STAMP,
            },
            ("True", "CloneSetAvailable"),
        ),
    ],
)
def test_progressing_condition(s, sp, existing, want):
    cond = st.progressing_condition(s, sp, existing, NOW)
    assert (cond["status"], cond["reason"]) == want
    if want == ("False", "ProgressDeadlineExceeded"):
        assert cond["message"] == "CloneSet revision r2 has timed out progressing"


def test_progressing_condition_kept_when_status_and_reason_unchanged():
    existing = {
        "type": "Progressing",
        "status": "True",
        "reason": "CloneSetUpdated",
        "lastUpdateTime": "2026-01-01T11:59:30Z",
    }
    s = status(updateRevision="r2", updatedReplicas=1, updatedAvailableReplicas=0)
    assert st.progressing_condition(s, spec(), existing, NOW) is existing
    assert st.deadline_requeue(existing, 60, NOW) == pytest.approx(31.0)


def test_instance_ids_reuse_orphaned_claims_first_and_never_collide():
    pods = [{"metadata": {"labels": {"apps.kruise.io/cloneset-instance-id": "aaaaa"}}}]
    pvcs = [
        {"metadata": {"labels": {"apps.kruise.io/cloneset-instance-id": i}}}
        for i in ("aaaaa", "bbbbb", "ccccc")
    ]
    ids = new_instance_ids(3, pods, pvcs, reuse_pvcs=True, rng=random.Random(1), reserved={"ccccc"})
    assert ids[0] == "bbbbb" and len(set(ids)) == 3 and not {"aaaaa", "ccccc"} & set(ids[1:])
    fresh = new_instance_ids(2, pods, pvcs, reuse_pvcs=False, rng=random.Random(1))
    assert not set(fresh) & {"aaaaa", "bbbbb", "ccccc"}
    assert all(len(i) == 5 and set(i) <= set("bcdfghjklmnpqrstvwxz2456789") for i in fresh)


def test_new_pod_and_pvcs_carry_identity_revision_and_claims():
    cs = {
        "apiVersion": "apps.kruise.io/v1alpha1",
        "kind": "CloneSet",
        "metadata": {"name": "web", "namespace": "ns", "uid": "u1"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}},
    }
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    revision = {
        "metadata": {"name": "web-abc12"},
        "data": {"spec": {"template": {**template, "$patch": "replace"}}},
    }
    claims = [{"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}]
    p = new_pod(cs, revision, "x2x2x", claims)
    assert p["metadata"]["name"] == "web-x2x2x"
    assert p["metadata"]["labels"] == {
        "app": "web",
        "controller-revision-hash": "web-abc12",
        "pod-template-hash": "abc12",
        "apps.kruise.io/cloneset-instance-id": "x2x2x",
        "lifecycle.apps.kruise.io/state": "PreparingNormal",
    }
    assert p["spec"]["readinessGates"] == [{"conditionType": "InPlaceUpdateReady"}]
    assert p["spec"]["volumes"] == [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data-web-x2x2x"}}
    ]
    assert p["metadata"]["ownerReferences"][0]["uid"] == "u1"
    assert "readinessGates" not in revision["data"]["spec"]["template"]["spec"]  # the revision is untouched
    (pvc,) = new_pvcs(cs, "x2x2x", claims)
    assert pvc["metadata"]["name"] == "data-web-x2x2x"
    assert pvc["metadata"]["labels"] == {"app": "web", "apps.kruise.io/cloneset-instance-id": "x2x2x"}
