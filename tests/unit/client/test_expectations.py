"""Expectations (kruise-behaviour.md §0.4): scale, resourceVersion and update expectations, and the
5-minute leak timeout (logged; dropped only with ForceDeleteTimeoutExpectation, then requeue 10 s)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kruise.client.clock import FakeClock
from kruise.client.expectations import (
    LEAKED_REQUEUE_AFTER,
    ExpectationCheck,
    ResourceVersionExpectations,
    ScaleExpectations,
    UpdateExpectations,
    revision_label_matches,
)

KEY = "default/cs"


def pod(name: str, *, rv: str = "1", uid: str | None = None, revision: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": "default",
        "uid": uid or f"uid-{name}",
        "resourceVersion": rv,
    }
    if revision is not None:
        meta["labels"] = {"controller-revision-hash": revision}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta}


# ------------------------------------------------------------------ scale expectations

EXP, OBS, DEL = "expect", "observe", "delete"

SCALE_TABLE = [
    ("nothing recorded", [], True, {}),
    ("create pending", [(EXP, "create", "p1")], False, {"create": ["p1"]}),
    ("create observed", [(EXP, "create", "p1"), (OBS, "create", "p1")], True, {}),
    (
        "one of two creates observed",
        [(EXP, "create", "p1"), (EXP, "create", "p2"), (OBS, "create", "p1")],
        False,
        {"create": ["p2"]},
    ),
    (
        "observation of the other action does not count",
        [(EXP, "delete", "p1"), (OBS, "create", "p1")],
        False,
        {"delete": ["p1"]},
    ),
    (
        "creates and deletes pending",
        [(EXP, "delete", "p9"), (EXP, "create", "p1")],
        False,
        {"create": ["p1"], "delete": ["p9"]},
    ),
    ("observation without expectation", [(OBS, "create", "p1")], True, {}),
    (
        "expecting the same name twice is one expectation",
        [(EXP, "create", "p1"), (EXP, "create", "p1"), (OBS, "create", "p1")],
        True,
        {},
    ),
    ("delete drops everything", [(EXP, "create", "p1"), (EXP, "delete", "p2"), (DEL, "", "")], True, {}),
]


@pytest.mark.parametrize(
    ("ops", "ok", "pending"), [row[1:] for row in SCALE_TABLE], ids=[row[0] for row in SCALE_TABLE]
)
def test_scale_expectations_table(
    ops: list[tuple[str, str, str]], ok: bool, pending: dict[str, list[str]]
) -> None:
    exp = ScaleExpectations(FakeClock())
    for op, action, name in ops:
        if op == EXP:
            exp.expect(KEY, action, name)  # type: ignore[arg-type]
        elif op == OBS:
            exp.observe(KEY, action, name)  # type: ignore[arg-type]
        else:
            exp.delete(KEY)
    satisfied, _, still = exp.satisfied(KEY)
    assert (satisfied, still) == (ok, pending)
    assert exp.check(KEY).proceed is ok


def test_scale_expectations_are_per_controller_key() -> None:
    exp = ScaleExpectations(FakeClock())
    exp.expect("ns/a", "create", "p1")
    assert exp.satisfied("ns/b") == (True, 0.0, {})
    exp.observe("ns/b", "create", "p1")
    assert exp.satisfied("ns/a")[0] is False


def test_scale_rejects_unknown_action() -> None:
    exp = ScaleExpectations(FakeClock())
    with pytest.raises(ValueError):
        exp.expect(KEY, "update", "p1")  # type: ignore[arg-type]


def test_scale_unsatisfied_duration_and_requeue_until_timeout() -> None:
    clock = FakeClock(1000.0)
    exp = ScaleExpectations(clock)
    exp.expect(KEY, "create", "p1")
    clock.advance(30)
    assert exp.satisfied(KEY) == (False, 30.0, {"create": ["p1"]})
    # Skip this pass, look again when the expectation would time out.
    assert exp.check(KEY) == ExpectationCheck(
        proceed=False, requeue_after=270.0, unsatisfied_for=30.0, leaked=False
    )


def test_scale_timer_restarts_after_being_satisfied() -> None:
    clock = FakeClock()
    exp = ScaleExpectations(clock)
    exp.expect(KEY, "create", "p1")
    clock.advance(200)
    exp.observe(KEY, "create", "p1")
    exp.expect(KEY, "create", "p2")
    clock.advance(10)
    assert exp.satisfied(KEY)[1] == 10.0


def test_scale_leak_is_logged_and_kept_without_force_delete(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    exp = ScaleExpectations(clock)
    exp.expect(KEY, "create", "p1")
    clock.advance(300)
    with caplog.at_level(logging.WARNING, logger="kruise.expectations"):
        verdict = exp.check(KEY)
    assert verdict == ExpectationCheck(proceed=False, requeue_after=None, unsatisfied_for=300.0, leaked=True)
    assert 'event=expectation_leaked key=default/cs pending={"create":["p1"]}' in caplog.text
    # Not dropped: still blocks until observed or deleted.
    assert exp.satisfied(KEY)[0] is False
    exp.observe(KEY, "create", "p1")
    assert exp.check(KEY).proceed


def test_scale_leak_is_dropped_with_force_delete_and_requeues_after_10s(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    exp = ScaleExpectations(clock, force_delete_timeout=True)
    exp.expect(KEY, "delete", "p1")
    clock.advance(299.5)
    assert exp.check(KEY) == ExpectationCheck(False, 0.5, 299.5, False)
    clock.advance(0.5)
    with caplog.at_level(logging.WARNING, logger="kruise.expectations"):
        verdict = exp.check(KEY)
    assert verdict == ExpectationCheck(False, LEAKED_REQUEUE_AFTER, 300.0, True)
    assert LEAKED_REQUEUE_AFTER == 10.0
    assert "event=expectation_leaked" in caplog.text
    assert exp.satisfied(KEY) == (True, 0.0, {})
    assert exp.check(KEY).proceed


def test_scale_timeout_is_configurable() -> None:
    clock = FakeClock()
    exp = ScaleExpectations(clock, timeout=60.0)
    exp.expect(KEY, "create", "p1")
    clock.advance(59)
    assert exp.check(KEY).requeue_after == 1.0
    clock.advance(1)
    assert exp.check(KEY).leaked


# ------------------------------------------------------------------ resourceVersion expectations

RV_TABLE = [
    # (written rv, rv seen in the cache, satisfied?)
    ("5", "4", False),
    ("5", "5", True),
    ("5", "6", True),
    ("10", "9", False),  # integers, not strings: "9" > "10" as text
    ("9", "10", True),
    ("100", "99", False),
    ("5", "", False),  # a seen object without a version never meets a real one
    ("5", "x7", False),
    ("", "1", True),  # nothing sensible to wait for
    ("garbage", "1", True),
]


@pytest.mark.parametrize(("written", "seen", "ok"), RV_TABLE)
def test_resource_version_table(written: str, seen: str, ok: bool) -> None:
    exp = ResourceVersionExpectations(FakeClock())
    exp.expect(pod("p", rv=written))
    assert exp.is_satisfied(pod("p", rv=seen)) is ok


@pytest.mark.parametrize(("written", "seen", "ok"), RV_TABLE)
def test_resource_version_observe_table(written: str, seen: str, ok: bool) -> None:
    exp = ResourceVersionExpectations(FakeClock())
    exp.expect(pod("p", rv=written))
    exp.observe(pod("p", rv=seen))
    # After observing, even the old cached version is satisfied iff the observation cleared it.
    assert exp.is_satisfied(pod("p", rv="0")) is ok


def test_resource_version_keeps_the_newest_write() -> None:
    exp = ResourceVersionExpectations(FakeClock())
    exp.expect(pod("p", rv="7"))
    exp.expect(pod("p", rv="5"))  # an older write result does not lower the bar
    assert not exp.is_satisfied(pod("p", rv="6"))
    exp.expect(pod("p", rv="9"))
    assert not exp.is_satisfied(pod("p", rv="8"))
    assert exp.is_satisfied(pod("p", rv="9"))


def test_resource_version_is_per_uid() -> None:
    exp = ResourceVersionExpectations(FakeClock())
    exp.expect(pod("p", rv="5", uid="u1"))
    assert exp.is_satisfied(pod("p", rv="1", uid="u2"))  # same name, new incarnation
    assert exp.is_satisfied(pod("other", rv="1"))
    assert not exp.is_satisfied(pod("p", rv="1", uid="u1"))
    exp.delete(pod("p", uid="u1"))
    assert exp.is_satisfied(pod("p", rv="1", uid="u1"))


def test_resource_version_needs_a_uid() -> None:
    exp = ResourceVersionExpectations(FakeClock())
    obj = pod("p")
    del obj["metadata"]["uid"]
    with pytest.raises(ValueError):
        exp.expect(obj)
    assert exp.is_satisfied(obj)


def test_resource_version_timeout(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    exp = ResourceVersionExpectations(clock)
    exp.expect(pod("p", rv="5"))
    clock.advance(100)
    stale = pod("p", rv="4")
    assert exp.unsatisfied_for(stale) == 100.0
    assert exp.check(stale) == ExpectationCheck(False, 200.0, 100.0, False)
    clock.advance(200)
    with caplog.at_level(logging.WARNING, logger="kruise.expectations"):
        assert exp.check(stale) == ExpectationCheck(False, None, 300.0, True)
    assert "event=expectation_leaked key=default/p" in caplog.text
    assert not exp.is_satisfied(stale)

    forced = ResourceVersionExpectations(clock, force_delete_timeout=True)
    forced.expect(pod("p", rv="5"))
    clock.advance(300)
    assert forced.check(stale) == ExpectationCheck(False, 10.0, 300.0, True)
    assert forced.is_satisfied(stale)


def test_resource_version_satisfied_check_proceeds() -> None:
    exp = ResourceVersionExpectations(FakeClock())
    exp.expect(pod("p", rv="5"))
    assert exp.check(pod("p", rv="5")) == ExpectationCheck(True, None, 0.0, False)
    assert exp.unsatisfied_for(pod("p", rv="1")) == 0.0  # cleared by the check


# ------------------------------------------------------------------ update expectations


def test_update_expectation_waits_for_the_pod_at_the_revision() -> None:
    exp = UpdateExpectations(FakeClock())
    exp.expect_updated(KEY, "cs-rev2", pod("p1"))
    exp.expect_updated(KEY, "cs-rev2", pod("p2"))
    assert exp.is_satisfied(KEY) == (False, 0.0, ["default/p1", "default/p2"])

    exp.observe_updated(KEY, "cs-rev2", pod("p1", revision="cs-rev1"))  # not yet updated in the cache
    assert exp.is_satisfied(KEY)[2] == ["default/p1", "default/p2"]
    exp.observe_updated(KEY, "cs-rev2", pod("p1", revision="cs-rev2"))
    assert exp.is_satisfied(KEY)[2] == ["default/p2"]
    exp.observe_updated(KEY, "cs-rev2", pod("p2", revision="rev2"))  # short hash label
    assert exp.is_satisfied(KEY) == (True, 0.0, [])


def test_update_expectation_for_a_new_revision_replaces_the_old() -> None:
    exp = UpdateExpectations(FakeClock())
    exp.expect_updated(KEY, "r2", pod("p1"))
    exp.expect_updated(KEY, "r3", pod("p2"))
    assert exp.is_satisfied(KEY)[2] == ["default/p2"]


def test_update_expectation_for_another_revision_counts_as_satisfied() -> None:
    exp = UpdateExpectations(FakeClock())
    exp.expect_updated(KEY, "r2", pod("p1"))
    assert exp.is_satisfied(KEY, "r2")[0] is False
    assert exp.is_satisfied(KEY, "r3") == (True, 0.0, [])
    # Observing under a new revision means the controller moved on: the old set is dropped.
    exp.observe_updated(KEY, "r3", pod("p1", revision="r1"))
    assert exp.is_satisfied(KEY, "r2") == (True, 0.0, [])


def test_update_expectation_of_a_deleted_pod_does_not_leak() -> None:
    # kruise issue #1168: SidecarSet stuck on expectations for pods that no longer exist.
    exp = UpdateExpectations(FakeClock())
    exp.expect_updated(KEY, "r2", pod("p1"))
    exp.expect_updated(KEY, "r2", pod("p2"))
    exp.delete_object(KEY, pod("p1"))
    assert exp.is_satisfied(KEY)[2] == ["default/p2"]
    exp.delete_object(KEY, pod("p2"))
    assert exp.is_satisfied(KEY)[0] is True
    exp.delete_object("other/key", pod("p2"))  # harmless


def test_update_expectations_delete_and_per_key() -> None:
    exp = UpdateExpectations(FakeClock())
    exp.expect_updated("ns/a", "r2", pod("p1"))
    exp.expect_updated("ns/b", "r2", pod("p1"))
    exp.delete("ns/a")
    assert exp.is_satisfied("ns/a")[0] is True
    assert exp.is_satisfied("ns/b")[0] is False


def test_update_expectations_pluggable_revision_check() -> None:
    # SidecarSet: the pod's hash lives in an annotation keyed by SidecarSet name.
    def sidecarset_hash(controller_key: str, obj: dict[str, Any], revision: str) -> bool:
        annotations = obj["metadata"].get("annotations", {})
        return annotations.get("sidecar-hash/" + controller_key) == revision

    exp = UpdateExpectations(FakeClock(), is_at_revision=sidecarset_hash)
    exp.expect_updated("sc", "h2", pod("p1"))
    exp.observe_updated("sc", "h2", pod("p1", revision="h2"))  # the label means nothing here
    assert exp.is_satisfied("sc")[0] is False
    updated = pod("p1")
    updated["metadata"]["annotations"] = {"sidecar-hash/sc": "h2"}
    exp.observe_updated("sc", "h2", updated)
    assert exp.is_satisfied("sc")[0] is True


def test_update_expectation_timeout() -> None:
    clock = FakeClock()
    exp = UpdateExpectations(clock)
    exp.expect_updated(KEY, "r2", pod("p1"))
    clock.advance(1)
    assert exp.is_satisfied(KEY) == (False, 1.0, ["default/p1"])
    assert exp.check(KEY, "r2") == ExpectationCheck(False, 299.0, 1.0, False)
    clock.advance(299)
    assert exp.check(KEY, "r2") == ExpectationCheck(False, None, 300.0, True)

    forced = UpdateExpectations(clock, force_delete_timeout=True)
    forced.expect_updated(KEY, "r2", pod("p1"))
    clock.advance(300)
    assert forced.check(KEY) == ExpectationCheck(False, 10.0, 300.0, True)
    assert forced.check(KEY).proceed


@pytest.mark.parametrize(
    ("label", "revision", "ok"),
    [
        ("cs-abc", "cs-abc", True),
        ("abc", "cs-abc", True),
        ("cs-abc", "abc", True),
        ("cs-abd", "cs-abc", False),
        (None, "cs-abc", False),
    ],
)
def test_revision_label_matches(label: str | None, revision: str, ok: bool) -> None:
    assert revision_label_matches(KEY, pod("p", revision=label), revision) is ok
