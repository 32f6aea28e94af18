"""The KruisePodReady readiness gate shared by several writers (kruise-behaviour.md §1.3).

The condition's `message` is a JSON list of `{"userAgent", "key"}`; each writer adds its key to hold
the pod not-ready and removes it when done. Adding a key makes the condition False and forces the pod's
Ready condition False at once (the kubelet would only notice later); removing the last key makes it
True again and leaves Ready to the kubelet. Pods without the readiness gate are left alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import orjson

from kruise.api.objects import clone
from kruise.client.errors import Conflict
from kruise.client.resources import PODS
from kruise.client.rest import Client
from kruise.control.pods import KRUISE_POD_READY, format_time, now_utc

Obj = dict[str, Any]

CONFLICT_RETRIES = 5


def has_readiness_gate(pod: Obj, ctype: str) -> bool:
    return any(g.get("conditionType") == ctype for g in (pod.get("spec") or {}).get("readinessGates") or ())


def _conditions(pod: Obj) -> list[Obj]:
    return clone((pod.get("status") or {}).get("conditions") or [])


def _find(conditions: list[Obj], ctype: str) -> Obj | None:
    return next((c for c in conditions if c.get("type") == ctype), None)


def parse_messages(message: str | None) -> list[Obj]:
    if not message:
        return []
    try:
        data = orjson.loads(message)
    except orjson.JSONDecodeError:
        return []
    return [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []


def dump_messages(messages: list[Obj]) -> str:
    """Sorted by userAgent then key, compact, as every writer renders it."""
    ordered = sorted(messages, key=lambda m: (m.get("userAgent", ""), m.get("key", "")))
    return orjson.dumps(
        [{"userAgent": m.get("userAgent", ""), "key": m.get("key", "")} for m in ordered]
    ).decode()


def force_ready_from_gates(pod: Obj, conditions: list[Obj], now: dt.datetime) -> None:
    """Recompute the Ready condition from the readiness gates, as the kubelet will (only when the
    containers are ready; otherwise Ready is already False). Edits `conditions` in place."""
    ready = _find(conditions, "Ready")
    containers_ready = _find(conditions, "ContainersReady")
    if ready is None or containers_ready is None or containers_ready.get("status") != "True":
        return
    problems: list[str] = []
    for gate in (pod.get("spec") or {}).get("readinessGates") or ():
        ctype = gate.get("conditionType")
        c = _find(conditions, ctype)
        if c is None:
            problems.append(f'corresponding condition of pod readiness gate "{ctype}" does not exist.')
        elif c.get("status") != "True":
            problems.append(
                f'the status of pod readiness gate "{ctype}" is not "True", but {c.get("status")}'
            )
    if problems:
        new: Obj = {
            "type": "Ready",
            "status": "False",
            "reason": "ReadinessGatesNotReady",
            "message": ", ".join(problems),
            "lastTransitionTime": format_time(now),
        }
    else:
        new = {"type": "Ready", "status": "True", "lastTransitionTime": format_time(now)}
    set_condition(conditions, new)


def set_condition(conditions: list[Obj], new: Obj) -> None:
    """Add the condition, or replace an existing one of that type only when its status changes."""
    for i, c in enumerate(conditions):
        if c.get("type") == new["type"]:
            if c.get("status") != new.get("status"):
                conditions[i] = new
            return
    conditions.append(new)


def conditions_patch(before: list[Obj], after: list[Obj]) -> list[Obj]:
    """The conditions of `after` that differ from `before`, for a strategic-merge patch of
    status.conditions (merged by type): a field a condition no longer has is sent as null."""
    old = {c.get("type"): c for c in before}
    out = []
    for c in after:
        prev = old.get(c.get("type"))
        if prev != c:
            out.append({**{k: None for k in prev or {} if k not in c}, **c})
    return out


def add_not_ready_key(pod: Obj, user_agent: str, key: str, now: dt.datetime) -> list[Obj] | None:
    """New status.conditions with the key added (KruisePodReady False, Ready forced False), or None
    when there is nothing to change."""
    if not has_readiness_gate(pod, KRUISE_POD_READY):
        return None
    conditions = _conditions(pod)
    cond = _find(conditions, KRUISE_POD_READY)
    entry = {"userAgent": user_agent, "key": key}
    if cond is None:
        conditions.append(
            {
                "type": KRUISE_POD_READY,
                "status": "False",
                "message": dump_messages([entry]),
                "lastTransitionTime": format_time(now),
            }
        )
    else:
        messages = parse_messages(cond.get("message"))
        if any(m.get("userAgent") == user_agent and m.get("key") == key for m in messages):
            if cond.get("status") == "False":
                return None
        else:
            messages.append(entry)
        cond["status"] = "False"
        cond["message"] = dump_messages(messages)
        cond["lastTransitionTime"] = format_time(now)
    force_ready_from_gates(pod, conditions, now)
    return conditions


def remove_not_ready_key(pod: Obj, user_agent: str, key: str, now: dt.datetime) -> list[Obj] | None:
    """New status.conditions with the key removed (True once no key is left), or None when the key
    is not there."""
    if not has_readiness_gate(pod, KRUISE_POD_READY):
        return None
    conditions = _conditions(pod)
    cond = _find(conditions, KRUISE_POD_READY)
    if cond is None:
        return None
    messages = parse_messages(cond.get("message"))
    kept = [m for m in messages if not (m.get("userAgent") == user_agent and m.get("key") == key)]
    if len(kept) == len(messages):
        return None
    if not kept:
        cond["status"] = "True"
    cond["message"] = dump_messages(kept)
    cond["lastTransitionTime"] = format_time(now)
    return conditions


async def patch_not_ready_key(
    client: Client,
    pod: Obj,
    user_agent: str,
    key: str,
    add: bool,
    *,
    clock: Callable[[], dt.datetime] = now_utc,
) -> Obj:
    """Add or remove a not-ready key through the pods/status subresource; re-read and retry on
    Conflict. Returns the pod as last written, or `pod` itself when nothing had to change."""
    plan = add_not_ready_key if add else remove_not_ready_key
    meta = pod.get("metadata") or {}
    current = pod
    for attempt in range(CONFLICT_RETRIES):
        conditions = plan(current, user_agent, key, clock())
        if conditions is None:
            return current
        body = clone(current)
        body.setdefault("status", {})["conditions"] = conditions
        try:
            return await client.update_status(PODS, body, namespace=meta.get("namespace"))
        except Conflict:
            if attempt == CONFLICT_RETRIES - 1:
                raise
            current = await client.get(PODS, meta["name"], namespace=meta.get("namespace"))
    return current  # unreachable: the loop returns or raises
