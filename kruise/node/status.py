"""Pure Pod status computation: phase, conditions and container statuses from the worker's view.

No I/O and no clock: callers pass `now`. The rules follow the kubelet's: native sidecars do not
decide the phase, a container waiting after a termination counts as stopped, a terminal Pod is
Succeeded only when every regular container exited 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .resize import CONDITIONS as RESIZE_CONDITIONS

Obj = dict[str, Any]

# The conditions the node owns; anything else (readiness gates, DisruptionTarget) is left alone.
OWNED_CONDITIONS = (
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
    *RESIZE_CONDITIONS,
)


@dataclass(frozen=True)
class Waiting:
    reason: str = "ContainerCreating"
    message: str = ""


@dataclass(frozen=True)
class Running:
    started_at: str


@dataclass(frozen=True)
class Terminated:
    exit_code: int
    reason: str
    started_at: str
    finished_at: str
    container_id: str = ""
    message: str = ""


State = Waiting | Running | Terminated


@dataclass(frozen=True)
class ContainerView:
    name: str
    image: str
    state: State = field(default_factory=Waiting)
    image_id: str = ""
    container_id: str = ""
    last_state: Terminated | None = None
    restart_count: int = 0
    ready: bool = False
    started: bool = False
    resources: Obj | None = None  # applied requests/limits (reported for running containers)
    allocated: Obj | None = None  # the requests the node accepted (allocatedResources)


@dataclass(frozen=True)
class PodView:
    """What the worker knows about one Pod, as plain data."""

    init: tuple[ContainerView, ...] = ()
    containers: tuple[ContainerView, ...] = ()
    pod_ip: str = ""
    host_ip: str = ""
    start_time: str = ""
    sandbox_ready: bool = False
    terminal: bool = False  # the worker has stopped the Pod for good (deleted or completed)
    resize: tuple[Obj, ...] = ()  # PodResizePending / PodResizeInProgress, when they hold


def state_dict(state: State | None) -> Obj:
    if isinstance(state, Running):
        return {"running": {"startedAt": state.started_at}}
    if isinstance(state, Terminated):
        t: Obj = {
            "exitCode": state.exit_code,
            "reason": state.reason,
            "startedAt": state.started_at,
            "finishedAt": state.finished_at,
        }
        if state.message:
            t["message"] = state.message
        if state.container_id:
            t["containerID"] = state.container_id
        return {"terminated": t}
    if isinstance(state, Waiting):
        w: Obj = {"reason": state.reason}
        if state.message:
            w["message"] = state.message
        return {"waiting": w}
    return {}


def container_status(view: ContainerView) -> Obj:
    running = isinstance(view.state, Running)
    out: Obj = {
        "name": view.name,
        "state": state_dict(view.state),
        "lastState": state_dict(view.last_state),
        "ready": view.ready and running,
        "restartCount": view.restart_count,
        "image": view.image,
        "imageID": view.image_id,
        "started": view.started and running,
    }
    if view.container_id:
        out["containerID"] = view.container_id
    if view.allocated:
        out["allocatedResources"] = view.allocated
    if view.resources is not None:
        out["resources"] = view.resources
    return out


def sidecar_names(spec: Obj) -> set[str]:
    return {c["name"] for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"}


def _succeeded(view: ContainerView) -> bool:
    return isinstance(view.state, Terminated) and view.state.exit_code == 0


def _failed_init(view: ContainerView) -> bool:
    if isinstance(view.state, Terminated):
        return view.state.exit_code != 0
    return isinstance(view.state, Waiting) and view.last_state is not None and view.last_state.exit_code != 0


def initialized(spec: Obj, pod: PodView) -> tuple[bool, list[str]]:
    """Whether every init container completed (sidecars: started); else the incomplete ones."""
    sidecars = sidecar_names(spec)
    pending = []
    for v in pod.init:
        done = (v.started and isinstance(v.state, Running)) if v.name in sidecars else _succeeded(v)
        if not done:
            pending.append(v.name)
    if pending and _containers_ever_started(pod):
        return True, []  # once regular containers ran, a restarting sidecar does not un-initialize
    return not pending, pending


def _containers_ever_started(pod: PodView) -> bool:
    return any(not isinstance(v.state, Waiting) or v.last_state is not None for v in pod.containers)


def pod_phase(spec: Obj, pod: PodView) -> str:
    restart = spec.get("restartPolicy") or "Always"
    sidecars = sidecar_names(spec)
    init_done, _ = initialized(spec, pod)
    if not init_done:
        regular_init = [v for v in pod.init if v.name not in sidecars]
        if restart == "Never" and any(_failed_init(v) for v in regular_init):
            return "Failed"
        return "Pending"
    running = waiting = stopped = succeeded = 0
    for v in pod.containers:
        if isinstance(v.state, Running):
            running += 1
        elif isinstance(v.state, Terminated):
            stopped += 1
            succeeded += v.state.exit_code == 0
        elif v.last_state is not None:
            stopped += 1  # waiting to restart after a termination
            succeeded += v.last_state.exit_code == 0
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if not stopped:
        return "Pending"
    if pod.terminal:
        return "Succeeded" if stopped == succeeded else "Failed"
    if restart == "Always":
        return "Running"
    if stopped == succeeded:
        return "Succeeded"
    if restart == "OnFailure":
        return "Running"
    return "Failed"


def _cond(type_: str, ok: bool, reason: str = "", message: str = "") -> Obj:
    c: Obj = {"type": type_, "status": "True" if ok else "False"}
    if not ok and reason:
        c["reason"] = reason
    if not ok and message:
        c["message"] = message
    return c


def _gate_problem(gates: list[Obj], conditions: list[Obj]) -> str:
    by_type = {c.get("type"): c for c in conditions}
    for gate in gates:
        kind = gate.get("conditionType", "")
        c = by_type.get(kind)
        if c is None:
            return f'corresponding condition of pod readiness gate "{kind}" does not exist.'
        if c.get("status") != "True":
            return f'the status of pod readiness gate "{kind}" is not "True", but {c.get("status")}'
    return ""


def pod_conditions(spec: Obj, current: list[Obj], pod: PodView, phase: str) -> list[Obj]:
    """The node-owned conditions without timestamps, in the kubelet's order."""
    sidecars = sidecar_names(spec)
    init_ok, pending = initialized(spec, pod)
    out = [dict(c) for c in pod.resize]
    out.append(_cond("PodReadyToStartContainers", pod.sandbox_ready))
    out.append(
        _cond(
            "Initialized",
            init_ok,
            "ContainersNotInitialized",
            f"containers with incomplete status: [{' '.join(pending)}]",
        )
    )
    if phase == "Succeeded":
        containers_ready = _cond("ContainersReady", False, "PodCompleted")
    else:
        unready = [v.name for v in pod.init if v.name in sidecars and not _ready(v)]
        unready += [v.name for v in pod.containers if not _ready(v)]
        containers_ready = _cond(
            "ContainersReady",
            not unready,
            "ContainersNotReady",
            f"containers with unready status: [{' '.join(unready)}]",
        )
    if containers_ready["status"] != "True":
        ready = {**containers_ready, "type": "Ready"}
    else:
        problem = _gate_problem(spec.get("readinessGates") or [], current)
        ready = _cond("Ready", not problem, "ReadinessGatesNotReady", problem)
    out += [ready, containers_ready, _cond("PodScheduled", True)]
    return out


def _ready(v: ContainerView) -> bool:
    return v.ready and isinstance(v.state, Running)


def stamp_conditions(new: list[Obj], current: list[Obj], now: str) -> list[Obj]:
    """Carry lastTransitionTime over from a condition whose status did not change."""
    by_type = {c.get("type"): c for c in current}
    out = []
    for c in new:
        old = by_type.get(c["type"])
        same = old is not None and old.get("status") == c["status"] and old.get("lastTransitionTime")
        out.append(
            {**c, "lastProbeTime": None, "lastTransitionTime": old["lastTransitionTime"] if same else now}
        )
    return out


def pod_status(pod_obj: Obj, pod: PodView, now: str) -> Obj:
    """The status fields the node owns, computed from the Pod object and the worker's view."""
    spec = pod_obj.get("spec") or {}
    current = (pod_obj.get("status") or {}).get("conditions") or []
    phase = pod_phase(spec, pod)
    status: Obj = {
        "phase": phase,
        "conditions": stamp_conditions(pod_conditions(spec, current, pod, phase), current, now),
        "initContainerStatuses": [container_status(v) for v in pod.init],
        "containerStatuses": [container_status(v) for v in pod.containers],
    }
    if pod.host_ip:
        status["hostIP"] = pod.host_ip
        status["hostIPs"] = [{"ip": pod.host_ip}]
    if pod.pod_ip:
        status["podIP"] = pod.pod_ip
        status["podIPs"] = [{"ip": pod.pod_ip}]
    if pod.start_time:
        status["startTime"] = pod.start_time
    if not pod.init:
        del status["initContainerStatuses"]
    return status


def status_patch(current: Obj, desired: Obj) -> Obj | None:
    """A strategic-merge patch body for pods/status, or None when nothing the node owns changed.
    Conditions merge by type, so only the node's own are sent; the rest stay as others wrote them."""
    changed = {k: v for k, v in desired.items() if k != "conditions" and current.get(k) != v}
    by_type = {c.get("type"): c for c in current.get("conditions") or []}
    wanted = {c["type"] for c in desired.get("conditions") or []}
    # a resize condition that no longer holds is removed (the node owns them)
    conds: list[Obj] = [
        {"type": t, "$patch": "delete"} for t in by_type if t in RESIZE_CONDITIONS and t not in wanted
    ]
    for c in desired.get("conditions") or []:
        old = by_type.get(c["type"])
        # the server drops a patch's nulls (lastProbeTime), so the stored condition lacks them
        if old is not None and _without_nulls(old) == _without_nulls(c):
            continue
        # Merged by type on the server: a field we no longer set must be removed explicitly.
        conds.append({**{k: None for k in old or {} if k not in c}, **c})
    if not changed and not conds:
        return None
    if conds:
        changed["conditions"] = conds
    return {"status": changed}


def _without_nulls(fields: Obj) -> Obj:
    return {k: v for k, v in fields.items() if v is not None}


def log_container_id(status: Obj, pod_name: str, previous: bool) -> tuple[str, str]:
    """Which container instance `kubectl logs [--previous]` reads, from one container status:
    (containerID, "") or ("", the error the kubelet answers)."""
    name = status.get("name", "")
    state = status.get("state") or {}
    last = (status.get("lastState") or {}).get("terminated") or {}
    where = f'container "{name}" in pod "{pod_name}"'
    if previous:
        if not last.get("containerID"):
            return "", f'previous terminated container "{name}" in pod "{pod_name}" not found'
        return last["containerID"], ""
    if "running" in state:
        return status.get("containerID") or "", ""
    if "terminated" in state:
        cid = state["terminated"].get("containerID") or last.get("containerID")
        return (cid, "") if cid else ("", f"{where} is terminated")
    if last:
        return (last["containerID"], "") if last.get("containerID") else ("", f"{where} is terminated")
    reason = (state.get("waiting") or {}).get("reason", "")
    if reason == "ErrImagePull":
        return "", f"{where} is waiting to start: image can't be pulled"
    if reason == "ImagePullBackOff":
        return "", f"{where} is waiting to start: trying and failing to pull image"
    if reason:
        return "", f"{where} is waiting to start: {reason}"
    return "", f"{where} is waiting to start - no logs yet"
