"""Pod status computation: phase, conditions and container states, as tables."""

from __future__ import annotations

from typing import Any

import pytest

from kruise.node.status import (
    ContainerView,
    PodView,
    Running,
    Terminated,
    Waiting,
    container_status,
    log_container_id,
    pod_conditions,
    pod_phase,
    pod_status,
    stamp_conditions,
    status_patch,
)

T0, T1 = "2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z"


def run(name: str = "app", ready: bool = True) -> ContainerView:
    return ContainerView(name, "img", Running(T0), ready=ready, started=True, container_id="process://1")


def done(name: str = "app", code: int = 0) -> ContainerView:
    return ContainerView(name, "img", Terminated(code, "Completed" if code == 0 else "Error", T0, T1))


def waiting(name: str = "app", reason: str = "ContainerCreating", last: int | None = None) -> ContainerView:
    last_state = Terminated(last, "Error", T0, T1, "process://0") if last is not None else None
    return ContainerView(
        name, "img", Waiting(reason), last_state=last_state, restart_count=int(last is not None)
    )


def spec(restart: str = "Always", init: list[str] = (), sidecars: list[str] = (), **extra: Any) -> dict:
    inits = [{"name": n} for n in init] + [{"name": n, "restartPolicy": "Always"} for n in sidecars]
    return {"restartPolicy": restart, "initContainers": inits, "containers": [{"name": "app"}], **extra}


@pytest.mark.parametrize(
    ("restart", "init", "containers", "terminal", "phase"),
    [
        ("Always", (), (waiting(),), False, "Pending"),
        ("Always", (), (run(),), False, "Running"),
        ("Always", (), (waiting(reason="CrashLoopBackOff", last=1),), False, "Running"),
        ("Always", (), (done(code=0),), False, "Running"),  # about to restart
        ("Always", (), (done(code=0),), True, "Succeeded"),  # stopped for deletion
        ("Always", (), (done(code=137),), True, "Failed"),
        ("Never", (), (done(code=0),), False, "Succeeded"),
        ("Never", (), (done(code=2),), False, "Failed"),
        ("OnFailure", (), (done(code=2),), False, "Running"),
        ("OnFailure", (), (done(code=0),), False, "Succeeded"),
        ("Never", (), (run("a"), done("b", 0)), False, "Running"),
        (
            "Always",
            (waiting("i", "PodInitializing"),),
            (waiting(reason="PodInitializing"),),
            False,
            "Pending",
        ),
        ("Always", (run("i"),), (waiting(reason="PodInitializing"),), False, "Pending"),
        ("Never", (done("i", 1),), (waiting(reason="PodInitializing"),), False, "Failed"),
        ("OnFailure", (done("i", 1),), (waiting(reason="PodInitializing"),), False, "Pending"),
        ("Always", (done("i", 0),), (run(),), False, "Running"),
    ],
)
def test_phase(restart: str, init: tuple, containers: tuple, terminal: bool, phase: str) -> None:
    names = [v.name for v in init]
    view = PodView(init=init, containers=containers, terminal=terminal)
    assert pod_phase(spec(restart, init=names), view) == phase


def test_sidecars_do_not_decide_the_phase() -> None:
    s = spec("Never", sidecars=["side"])
    view = PodView(init=(run("side"),), containers=(done("app", 0),))
    assert pod_phase(s, view) == "Succeeded"
    # a sidecar that is running but not yet started (startup probe) keeps the Pod initializing
    not_started = ContainerView("side", "img", Running(T0), started=False)
    assert pod_phase(s, PodView(init=(not_started,), containers=(waiting(),))) == "Pending"


def _conds(s: dict, view: PodView, current: list | None = None) -> dict[str, dict]:
    phase = pod_phase(s, view)
    return {c["type"]: c for c in pod_conditions(s, current or [], view, phase)}


def test_conditions_ready() -> None:
    c = _conds(spec(), PodView(containers=(run(),), sandbox_ready=True))
    assert [
        c[t]["status"] for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady")
    ] == ["True"] * 4
    assert c["PodScheduled"]["status"] == "True" and "reason" not in c["Ready"]


def test_conditions_not_ready_and_not_initialized() -> None:
    s = spec(init=["i"])
    view = PodView(init=(run("i"),), containers=(waiting(reason="PodInitializing"),))
    c = _conds(s, view)
    assert c["PodReadyToStartContainers"]["status"] == "False"
    assert c["Initialized"] == {
        "type": "Initialized",
        "status": "False",
        "reason": "ContainersNotInitialized",
        "message": "containers with incomplete status: [i]",
    }
    assert c["ContainersReady"]["message"] == "containers with unready status: [app]"
    assert c["Ready"]["reason"] == "ContainersNotReady"


def test_unready_sidecar_keeps_containers_unready() -> None:
    s = spec(sidecars=["side"])
    c = _conds(s, PodView(init=(run("side", ready=False),), containers=(run(),)))
    assert c["ContainersReady"]["message"] == "containers with unready status: [side]"


@pytest.mark.parametrize(
    ("conditions", "status", "message"),
    [
        ([], "False", 'corresponding condition of pod readiness gate "g" does not exist.'),
        (
            [{"type": "g", "status": "False"}],
            "False",
            'the status of pod readiness gate "g" is not "True", but False',
        ),
        ([{"type": "g", "status": "True"}], "True", None),
    ],
)
def test_readiness_gates(conditions: list, status: str, message: str | None) -> None:
    s = spec(readinessGates=[{"conditionType": "g"}])
    c = _conds(s, PodView(containers=(run(),)), conditions)
    assert c["ContainersReady"]["status"] == "True"
    assert c["Ready"]["status"] == status
    assert c["Ready"].get("message") == message
    if message:
        assert c["Ready"]["reason"] == "ReadinessGatesNotReady"


def test_succeeded_pod_reports_pod_completed() -> None:
    c = _conds(spec("Never"), PodView(containers=(done(),)))
    assert c["ContainersReady"]["reason"] == "PodCompleted" and c["Ready"]["reason"] == "PodCompleted"


def test_container_status_states() -> None:
    st = container_status(waiting(reason="CrashLoopBackOff", last=1))
    assert st["state"] == {"waiting": {"reason": "CrashLoopBackOff"}}
    assert st["lastState"]["terminated"]["exitCode"] == 1 and st["restartCount"] == 1
    assert st["ready"] is False and st["started"] is False and "containerID" not in st
    st = container_status(run())
    assert st["state"] == {"running": {"startedAt": T0}} and st["ready"] and st["started"]
    assert st["lastState"] == {} and st["containerID"] == "process://1"
    st = container_status(done(code=137))
    assert st["state"]["terminated"] == {
        "exitCode": 137,
        "reason": "Error",
        "startedAt": T0,
        "finishedAt": T1,
    }
    # ready is only ever reported for a running container
    assert container_status(ContainerView("a", "i", Waiting(), ready=True))["ready"] is False


def test_transition_times_carry_over() -> None:
    current = [{"type": "Ready", "status": "True", "lastTransitionTime": T0}]
    new = stamp_conditions(
        [{"type": "Ready", "status": "True"}, {"type": "X", "status": "False"}], current, T1
    )
    assert new[0]["lastTransitionTime"] == T0 and new[1]["lastTransitionTime"] == T1
    flipped = stamp_conditions([{"type": "Ready", "status": "False"}], current, T1)
    assert flipped[0]["lastTransitionTime"] == T1


def test_status_patch_only_when_changed_and_clears_stale_fields() -> None:
    pod = {"spec": spec(), "status": {}}
    view = PodView(
        containers=(run(),), pod_ip="127.1.0.2", host_ip="127.0.0.1", start_time=T0, sandbox_ready=True
    )
    desired = pod_status(pod, view, T1)
    assert desired["podIPs"] == [{"ip": "127.1.0.2"}] and desired["phase"] == "Running"
    assert "initContainerStatuses" not in desired
    patch = status_patch({}, desired)
    assert patch is not None and patch["status"]["conditions"]
    assert status_patch(desired, desired) is None
    # as the server stores it: a patch's nulls (lastProbeTime) dropped; nothing to send again
    stored = {
        **desired,
        "conditions": [{k: v for k, v in c.items() if v is not None} for c in desired["conditions"]],
    }
    assert any("lastProbeTime" in c for c in desired["conditions"])
    assert status_patch(stored, desired) is None
    first, *rest = desired["conditions"]
    stale = {**desired, "conditions": [{**first, "status": "False", "reason": "Old"}, *rest]}
    patch = status_patch(stale, desired)
    assert patch == {"status": {"conditions": [{**desired["conditions"][0], "reason": None}]}}


@pytest.mark.parametrize(
    ("status", "previous", "expected"),
    [
        ({"name": "c", "state": {"running": {}}, "containerID": "x://1"}, False, ("x://1", "")),
        ({"name": "c", "state": {"waiting": {"reason": "ContainerCreating"}}}, False,
         ("", 'container "c" in pod "p" is waiting to start: ContainerCreating')),
        ({"name": "c", "state": {"waiting": {"reason": "CrashLoopBackOff"}},
          "lastState": {"terminated": {"containerID": "x://0"}}}, False, ("x://0", "")),
        ({"name": "c", "state": {"running": {}}, "containerID": "x://1"}, True,
         ("", 'previous terminated container "c" in pod "p" not found')),
        ({"name": "c", "state": {"running": {}}, "lastState": {"terminated": {"containerID": "x://0"}}}, True,
         ("x://0", "")),
    ],
)  # fmt: skip
def test_log_container_id(status: dict, previous: bool, expected: tuple[str, str]) -> None:
    assert log_container_id(status, "p", previous) == expected
