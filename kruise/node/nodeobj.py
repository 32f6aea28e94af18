"""Pure builders for the Node object, its status and its Lease (no I/O; callers pass the time)."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from typing import Any

import kruise

Obj = dict[str, Any]
KUBELET_VERSION = "v1.30.0-kruise"
PULL_BYTES_ANNOTATION = "node.kruise.io/image-bytes-pulled"
LEASE_NAMESPACE = "kube-node-lease"

_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def arch() -> str:
    machine = platform.machine().lower()
    return _ARCH.get(machine, machine or "amd64")


@dataclass(frozen=True)
class NodeSpec:
    name: str
    cpu: str = "8"
    memory: str = "32Gi"
    pods: str = "110"
    ephemeral_storage: str = "100Gi"
    host_ip: str = "127.0.0.1"
    labels: dict[str, str] = field(default_factory=dict)
    runtime: str = "process"


def node_object(spec: NodeSpec) -> Obj:
    labels = {
        "kubernetes.io/hostname": spec.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": arch(),
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": arch(),
        **spec.labels,
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": spec.name,
            "labels": labels,
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {},
    }


def _condition(type_: str, status: str, reason: str, message: str, now: str) -> Obj:
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastHeartbeatTime": now,
        "lastTransitionTime": now,
    }


def node_status(spec: NodeSpec, port: int, images: list[Obj], now: str, current: Obj | None = None) -> Obj:
    """The node's status; transition times carry over from `current` where nothing changed."""
    resources = {
        "cpu": spec.cpu,
        "memory": spec.memory,
        "pods": spec.pods,
        "ephemeral-storage": spec.ephemeral_storage,
    }
    conditions = [
        _condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", now),  # noqa: E501
        _condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now),
        _condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", now),  # noqa: E501
        _condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now),
    ]  # fmt: skip
    old = {c.get("type"): c for c in (current or {}).get("conditions") or []}
    for c in conditions:
        prev = old.get(c["type"])
        if prev and prev.get("status") == c["status"] and prev.get("lastTransitionTime"):
            c["lastTransitionTime"] = prev["lastTransitionTime"]
    uname = platform.uname()
    return {
        "capacity": dict(resources),
        "allocatable": dict(resources),
        "conditions": conditions,
        "addresses": [
            {"type": "InternalIP", "address": spec.host_ip},
            {"type": "Hostname", "address": spec.name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
        "nodeInfo": {
            "machineID": spec.name,
            "systemUUID": spec.name,
            "bootID": "",
            "kernelVersion": uname.release,
            "osImage": f"kruise embedded node ({uname.system})",
            "containerRuntimeVersion": f"{spec.runtime}://{kruise.__version__}",
            "kubeletVersion": KUBELET_VERSION,
            "kubeProxyVersion": KUBELET_VERSION,
            "operatingSystem": "linux",
            "architecture": arch(),
        },
        "images": images,
    }


def without_heartbeats(status: Obj) -> Obj:
    """The status with heartbeat times removed: what decides whether a report is needed."""
    conds = [{k: v for k, v in c.items() if k != "lastHeartbeatTime"} for c in status.get("conditions") or []]
    return {**status, "conditions": conds}


def lease_object(name: str, node_uid: str, duration: int, renew_time: str) -> Obj:
    meta: Obj = {"name": name, "namespace": LEASE_NAMESPACE}
    if node_uid:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": name, "uid": node_uid}]
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": meta,
        "spec": {"holderIdentity": name, "leaseDurationSeconds": duration, "renewTime": renew_time},
    }
