"""What a Pod asks of a node, and what a node offers: resource vectors as plain dicts.

cpu is in millicores, everything else in whole units. Init containers run one at a time before
the regular ones, so a Pod needs max(largest init container, sum of regular containers); a
restartable init container (a native sidecar) keeps running, so it adds to both sides.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from kruise.api.quantity import amount

Obj = dict[str, Any]
Resources = dict[str, int]

CPU = "cpu"
MEMORY = "memory"
PODS = "pods"
DEFAULT_MAX_PODS = 110
# What scoring assumes for a container that requests nothing, so empty Pods still spread (kube's
# DefaultMilliCPURequest and DefaultMemoryRequest).
DEFAULT_MILLI_CPU = 100
DEFAULT_MEMORY = 200 * 1024 * 1024
_IGNORED = frozenset({PODS})  # not a request: the pod count is checked on its own


def to_amount(name: str, raw: Any) -> int:
    return amount(name, raw)


def _container_requests(container: Obj, non_zero: bool) -> Resources:
    res = container.get("resources") or {}
    # The API server copies limits into absent requests; a raw object may not have been defaulted.
    raw = {**(res.get("limits") or {}), **(res.get("requests") or {})}
    out = {k: to_amount(k, v) for k, v in raw.items() if k not in _IGNORED}
    if non_zero:
        out.setdefault(CPU, DEFAULT_MILLI_CPU)
        out.setdefault(MEMORY, DEFAULT_MEMORY)
    return out


def _add(into: Resources, more: Mapping[str, int]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v


def _max(into: Resources, other: Mapping[str, int]) -> None:
    for k, v in other.items():
        if v > into.get(k, 0):
            into[k] = v


# (uid, generation or resourceVersion, non_zero) -> requests: a stored Pod's requests change only
# with a new spec, and every decision sums the requests of every Pod on every node.
_CACHE: dict[tuple[str, str, bool], Resources] = {}
_CACHE_LIMIT = 100_000


def pod_requests(pod: Obj, *, non_zero: bool = False) -> Resources:
    """The Pod's effective request; non_zero substitutes the scoring defaults for empty cpu/memory."""
    meta = pod.get("metadata") or {}
    # generation moves only with the spec (status writes leave it), so it keys the cache better
    uid, version = meta.get("uid"), meta.get("generation") or meta.get("resourceVersion")
    if not uid or not version:
        return _compute(pod, non_zero)
    key = (str(uid), str(version), non_zero)
    cached = _CACHE.get(key)
    if cached is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        cached = _CACHE[key] = _compute(pod, non_zero)
    return dict(cached)


def _compute(pod: Obj, non_zero: bool) -> Resources:
    spec = pod.get("spec") or {}
    total: Resources = {}
    for c in spec.get("containers") or ():
        _add(total, _container_requests(c, non_zero))
    sidecars: Resources = {}
    init_peak: Resources = {}
    for c in spec.get("initContainers") or ():
        req = _container_requests(c, non_zero)
        if c.get("restartPolicy") == "Always":
            _add(total, req)
            _add(sidecars, req)
            step = dict(sidecars)
        else:
            step = dict(req)
            _add(step, sidecars)  # sidecars started earlier are still running
        _max(init_peak, step)
    _max(total, init_peak)
    _add(total, {k: to_amount(k, v) for k, v in (spec.get("overhead") or {}).items()})
    return total


def allocatable(node: Obj) -> Resources:
    """status.allocatable (capacity when absent); a missing pod count means kubelet's default.
    The caller gets its own dict; parsing is remembered per distinct set of quantities, as every
    scheduling decision reads every node's."""
    status = node.get("status") or {}
    raw = status.get("allocatable") or status.get("capacity") or {}
    try:
        return dict(_parsed_allocatable(tuple(raw.items())))
    except TypeError:  # an unhashable (malformed) quantity: parsed as it is, not remembered
        return _parse_allocatable(raw)


@lru_cache(maxsize=256)
def _parsed_allocatable(items: tuple[tuple[str, Any], ...]) -> Resources:
    return _parse_allocatable(dict(items))


def _parse_allocatable(raw: Mapping[str, Any]) -> Resources:
    out = {k: to_amount(k, v) for k, v in raw.items()}
    if PODS not in raw:
        out[PODS] = DEFAULT_MAX_PODS
    return out
