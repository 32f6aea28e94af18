"""What the Pods on each node already take, kept current from Pod events (kube-scheduler's
NodeInfo cache), so a decision reads one total per node instead of re-summing every Pod on it:
with 1,000 Pods on 10 nodes that re-summing was most of the scheduler's CPU."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .requests import Resources, pod_requests

Obj = dict[str, Any]
HostPort = tuple[str, str, int]  # (hostIP, protocol, port)

_TERMINAL = frozenset({"Succeeded", "Failed"})


def is_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in _TERMINAL


def host_ports(pod: Obj) -> list[HostPort]:
    out = []
    spec = pod.get("spec") or {}
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        for p in c.get("ports") or []:
            port = int(p.get("hostPort") or 0)
            if port > 0:
                out.append((p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", port))
    return out


@dataclass(frozen=True)
class NodeUsage:
    """Non-terminal Pods on one node: how many, their requests (also with the scoring defaults
    for empty cpu/memory), and the host ports they hold."""

    pods: int = 0
    requested: Resources = field(default_factory=dict)
    requested_non_zero: Resources = field(default_factory=dict)
    host_ports: tuple[HostPort, ...] = ()

    def plus(self, pods: Iterable[Obj]) -> NodeUsage:
        """This usage with more Pods on the node (terminal ones do not count)."""
        count, req, non_zero, ports = self.pods, dict(self.requested), dict(self.requested_non_zero), []
        for pod in pods:
            if is_terminal(pod):
                continue
            count += 1
            _add(req, pod_requests(pod))
            _add(non_zero, pod_requests(pod, non_zero=True))
            ports += host_ports(pod)
        return NodeUsage(count, req, non_zero, self.host_ports + tuple(ports))

    def combined(self, others: Iterable[NodeUsage]) -> NodeUsage:
        """This usage with others added (e.g. the Pods assumed on the node, each counted once)."""
        count, req, non_zero, ports = self.pods, dict(self.requested), dict(self.requested_non_zero), []
        for other in others:
            count += other.pods
            _add(req, other.requested)
            _add(non_zero, other.requested_non_zero)
            ports += other.host_ports
        return NodeUsage(count, req, non_zero, self.host_ports + tuple(ports))


def node_usage(pods: Iterable[Obj]) -> NodeUsage:
    return NodeUsage().plus(pods)


@dataclass(frozen=True)
class _Share:
    node: str
    requested: Resources
    requested_non_zero: Resources
    host_ports: tuple[HostPort, ...]


@dataclass
class _Totals:
    pods: int = 0
    requested: Resources = field(default_factory=dict)
    requested_non_zero: Resources = field(default_factory=dict)
    host_ports: Counter[HostPort] = field(default_factory=Counter)

    def apply(self, share: _Share, sign: int) -> None:
        self.pods += sign
        for into, more in (
            (self.requested, share.requested),
            (self.requested_non_zero, share.requested_non_zero),
        ):
            for k, v in more.items():
                into[k] = into.get(k, 0) + sign * v
        for port in share.host_ports:
            self.host_ports[port] += sign
            if self.host_ports[port] <= 0:
                del self.host_ports[port]


class UsageTracker:
    """Per-node totals of bound, non-terminal Pods, updated by `upsert`/`remove` from informer
    handlers; each Pod's share is remembered so an update moves exactly its old share out."""

    def __init__(self) -> None:
        self._shares: dict[str, _Share] = {}
        self._totals: dict[str, _Totals] = {}

    def upsert(self, key: str, pod: Obj) -> None:
        node = (pod.get("spec") or {}).get("nodeName")
        if not node or is_terminal(pod):
            self.remove(key)
            return
        share = _Share(node, pod_requests(pod), pod_requests(pod, non_zero=True), tuple(host_ports(pod)))
        old = self._shares.get(key)
        if old == share:
            return
        if old is not None:
            self._totals[old.node].apply(old, -1)
        self._totals.setdefault(node, _Totals()).apply(share, +1)
        self._shares[key] = share

    def remove(self, key: str) -> None:
        old = self._shares.pop(key, None)
        if old is not None:
            self._totals[old.node].apply(old, -1)

    def usage(self, node: str) -> NodeUsage:
        t = self._totals.get(node)
        if t is None:
            return NodeUsage()
        return NodeUsage(
            t.pods, dict(t.requested), dict(t.requested_non_zero), tuple(t.host_ports.elements())
        )


def _add(into: Resources, more: Resources) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v
