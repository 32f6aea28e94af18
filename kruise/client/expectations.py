"""Expectations: what a controller has written but its informer cache has not shown yet.

A reconcile reads a cache that lags the API. Having created, deleted or updated objects, the
controller records what it expects to see and skips acting until the cache has caught up, so it
never creates a second pod for a create it cannot see yet (kruise-behaviour.md §0.4).

Three kinds:

- `ScaleExpectations`: per controller key, names of pods/PVCs whose create or delete is unobserved.
- `ResourceVersionExpectations`: per object UID, the resourceVersion a write returned; satisfied
  once the cache shows that version or a newer one.
- `UpdateExpectations`: per controller key, pods updated in place to a revision and not yet seen
  at it.

An expectation can leak (an event lost, e.g. a pod created and deleted before the watch saw it).
After `timeout` (5 min, `--expectation-timeout`) `check()` logs `event=expectation_leaked`; the
expectation is dropped only when `force_delete_timeout` is on (feature gate
ForceDeleteTimeoutExpectationGate), and then the controller requeues after 10 s. The raw queries
(`satisfied`, `is_satisfied`) report state only and never apply that policy.

Controllers use `check()`:

    verdict = scale_exp.check(key)
    if not verdict.proceed:
        return Result(requeue_after=verdict.requeue_after)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from .clock import Clock, RealClock

__all__ = [
    "DEFAULT_EXPECTATION_TIMEOUT",
    "LEAKED_REQUEUE_AFTER",
    "ExpectationCheck",
    "ResourceVersionExpectations",
    "ScaleAction",
    "ScaleExpectations",
    "UpdateExpectations",
    "revision_label_matches",
]

log = logging.getLogger("kruise.expectations")

Obj = dict[str, Any]
ScaleAction = Literal["create", "delete"]
_ACTIONS: tuple[ScaleAction, ...] = ("create", "delete")

DEFAULT_EXPECTATION_TIMEOUT = 300.0
# After force-dropping a leaked expectation nothing may trigger the controller again, so it
# schedules its own next pass.
LEAKED_REQUEUE_AFTER = 10.0

REVISION_LABEL = "controller-revision-hash"


class ExpectationCheck(NamedTuple):
    """What a reconcile should do about its expectations."""

    proceed: bool  # expectations satisfied: act on the cache
    requeue_after: float | None  # when not proceeding: look again after this (None: on the next event)
    unsatisfied_for: float  # seconds the expectation has been waiting
    leaked: bool  # waited past the timeout


_PROCEED = ExpectationCheck(True, None, 0.0, False)


class _Policy:
    """The timeout rule shared by the three kinds."""

    def __init__(self, clock: Clock | None, timeout: float, force_delete_timeout: bool) -> None:
        self.clock: Clock = clock or RealClock()
        self.timeout = timeout
        self.force_delete_timeout = force_delete_timeout

    def _decide(
        self, kind: str, key: str, satisfied: bool, waited: float, pending: object, drop: Callable[[], None]
    ) -> ExpectationCheck:
        if satisfied:
            return _PROCEED
        if waited < self.timeout:
            return ExpectationCheck(False, self.timeout - waited, waited, False)
        log.warning(
            "event=expectation_leaked key=%s pending=%s kind=%s unsatisfied_for=%.1f force_delete=%s",
            key,
            json.dumps(pending, separators=(",", ":"), sort_keys=True),
            kind,
            waited,
            self.force_delete_timeout,
        )
        if self.force_delete_timeout:
            drop()
            return ExpectationCheck(False, LEAKED_REQUEUE_AFTER, waited, True)
        # Without the gate the controller stays blocked until an event observes or deletes it.
        return ExpectationCheck(False, None, waited, True)


# ------------------------------------------------------------------------------------------ scale


@dataclass
class _ScaleEntry:
    since: float
    pending: dict[ScaleAction, set[str]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not any(self.pending.values())


class ScaleExpectations(_Policy):
    """Pending creates/deletes per controller key (`namespace/name` of the workload)."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        timeout: float = DEFAULT_EXPECTATION_TIMEOUT,
        force_delete_timeout: bool = False,
    ) -> None:
        super().__init__(clock, timeout, force_delete_timeout)
        self._entries: dict[str, _ScaleEntry] = {}

    def expect(self, key: str, action: ScaleAction, name: str) -> None:
        """Record that `name` is about to be created/deleted; call before the API request."""
        _check_action(action)
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _ScaleEntry(self.clock.now())
        entry.pending.setdefault(action, set()).add(name)

    def observe(self, key: str, action: ScaleAction, name: str) -> None:
        """The cache showed the create/delete of `name` (or the request failed: nothing to wait for)."""
        _check_action(action)
        entry = self._entries.get(key)
        if entry is None:
            return
        entry.pending.get(action, set()).discard(name)
        if entry.empty():
            del self._entries[key]

    def satisfied(self, key: str) -> tuple[bool, float, dict[str, list[str]]]:
        """(satisfied?, seconds unsatisfied, still pending {action: sorted names})."""
        entry = self._entries.get(key)
        if entry is None:
            return True, 0.0, {}
        if entry.empty():
            del self._entries[key]
            return True, 0.0, {}
        pending = {a: sorted(entry.pending[a]) for a in _ACTIONS if entry.pending.get(a)}
        return False, self.clock.now() - entry.since, pending

    def check(self, key: str) -> ExpectationCheck:
        ok, waited, pending = self.satisfied(key)
        return self._decide("scale", key, ok, waited, pending, lambda: self.delete(key))

    def delete(self, key: str) -> None:
        """Forget the key's expectations (the workload is gone)."""
        self._entries.pop(key, None)


def _check_action(action: str) -> None:
    if action not in _ACTIONS:
        raise ValueError(f"scale action must be 'create' or 'delete', not {action!r}")


# ------------------------------------------------------------------------------- resourceVersion


def _newer_or_equal(expected: str, seen: str) -> bool:
    """True when `seen` is at least `expected`; resourceVersions compare as unsigned integers.

    Unknown or malformed expectations count as met (never block on garbage); a malformed seen
    version never meets a real one."""
    if not _is_uint(expected):
        return True
    if not _is_uint(seen):
        return False
    return int(seen) >= int(expected)


def _is_uint(s: str) -> bool:
    return s.isascii() and s.isdigit()


class ResourceVersionExpectations(_Policy):
    """The resourceVersion of our last write per object UID, until the cache shows it."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        timeout: float = DEFAULT_EXPECTATION_TIMEOUT,
        force_delete_timeout: bool = False,
    ) -> None:
        super().__init__(clock, timeout, force_delete_timeout)
        self._versions: dict[str, tuple[str, float]] = {}  # uid -> (resourceVersion, since)

    def expect(self, obj: Obj) -> None:
        """Record the object as returned by a write (its resourceVersion is the one to wait for)."""
        uid, rv = _uid_rv(obj)
        if not uid:
            raise ValueError("resourceVersion expectations need metadata.uid")
        current = self._versions.get(uid)
        if current is None:
            self._versions[uid] = (rv, self.clock.now())
        elif _newer_or_equal(current[0], rv):
            self._versions[uid] = (rv, current[1])  # keep waiting time: still the same wait

    def observe(self, obj: Obj) -> None:
        """The cache showed `obj`; clears the expectation once its version has arrived."""
        uid, rv = _uid_rv(obj)
        current = self._versions.get(uid)
        if current is not None and _newer_or_equal(current[0], rv):
            del self._versions[uid]

    def is_satisfied(self, obj: Obj) -> bool:
        """Does the cached `obj` reflect our last write? (Clears the expectation when it does.)"""
        self.observe(obj)
        return _uid_rv(obj)[0] not in self._versions

    def unsatisfied_for(self, obj: Obj) -> float:
        current = self._versions.get(_uid_rv(obj)[0])
        return 0.0 if current is None else self.clock.now() - current[1]

    def check(self, obj: Obj) -> ExpectationCheck:
        uid, rv = _uid_rv(obj)
        if uid not in self._versions:
            return _PROCEED  # the common case, asked for every pod on every reconcile
        ok = self.is_satisfied(obj)
        expected = self._versions.get(uid, ("", 0.0))[0]
        pending = {"uid": uid, "expected": expected, "seen": rv}
        return self._decide(
            "resourceVersion", _obj_key(obj), ok, self.unsatisfied_for(obj), pending, lambda: self.delete(obj)
        )

    def delete(self, obj: Obj) -> None:
        self._versions.pop(_uid_rv(obj)[0], None)


def _uid_rv(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("uid") or ""), str(meta.get("resourceVersion") or "")


def _obj_key(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    ns, name = meta.get("namespace") or "", meta.get("name") or ""
    return f"{ns}/{name}" if ns else name


# ----------------------------------------------------------------------------------------- update


def revision_label_matches(controller_key: str, obj: Obj, revision: str) -> bool:
    """Is `obj` at `revision` by its controller-revision-hash label? The label may hold only the
    short hash (the part after the last '-', as with CloneSetShortHash)."""
    label = ((obj.get("metadata") or {}).get("labels") or {}).get(REVISION_LABEL, "")
    if not label:
        return False
    return label == revision or label.rsplit("-", 1)[-1] == revision.rsplit("-", 1)[-1]


@dataclass
class _UpdateEntry:
    revision: str
    since: float
    pods: set[str] = field(default_factory=set)  # "namespace/name"


class UpdateExpectations(_Policy):
    """Pods updated in place to a revision, per controller key, until seen at that revision.

    Only the latest revision is tracked: expecting a new revision replaces the old set."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        is_at_revision: Callable[[str, Obj, str], bool] = revision_label_matches,
        timeout: float = DEFAULT_EXPECTATION_TIMEOUT,
        force_delete_timeout: bool = False,
    ) -> None:
        super().__init__(clock, timeout, force_delete_timeout)
        # SidecarSet keeps its hash in an annotation, so "is this pod at R" is pluggable.
        self.is_at_revision = is_at_revision
        self._entries: dict[str, _UpdateEntry] = {}

    def expect_updated(self, controller_key: str, revision: str, pod: Obj) -> None:
        entry = self._entries.get(controller_key)
        if entry is None or entry.revision != revision:
            entry = self._entries[controller_key] = _UpdateEntry(revision, self.clock.now())
        entry.pods.add(_obj_key(pod))

    def observe_updated(self, controller_key: str, revision: str, pod: Obj) -> None:
        """The cache shows `pod`; clears it once it is at the expected revision."""
        entry = self._entries.get(controller_key)
        if entry is None:
            return
        if entry.revision == revision and self.is_at_revision(controller_key, pod, revision):
            entry.pods.discard(_obj_key(pod))
        # Observing under a different revision means the controller has moved on: the old
        # expectations can never be met and must not block it.
        if entry.revision != revision or not entry.pods:
            del self._entries[controller_key]

    def delete_object(self, controller_key: str, pod: Obj) -> None:
        """The pod is gone: stop waiting for it (otherwise the expectation leaks, issue #1168)."""
        entry = self._entries.get(controller_key)
        if entry is None:
            return
        entry.pods.discard(_obj_key(pod))
        if not entry.pods:
            del self._entries[controller_key]

    def is_satisfied(self, controller_key: str, revision: str | None = None) -> tuple[bool, float, list[str]]:
        """(satisfied?, seconds unsatisfied, pods still pending). With `revision` (the current
        update revision), expectations recorded for another revision count as satisfied.

        Note: the tuple is always truthy; unpack it."""
        entry = self._entries.get(controller_key)
        if entry is None or not entry.pods or (revision is not None and entry.revision != revision):
            return True, 0.0, []
        return False, self.clock.now() - entry.since, sorted(entry.pods)

    def check(self, controller_key: str, revision: str | None = None) -> ExpectationCheck:
        ok, waited, pending = self.is_satisfied(controller_key, revision)
        return self._decide(
            "update", controller_key, ok, waited, pending, lambda: self.delete(controller_key)
        )

    def delete(self, controller_key: str) -> None:
        self._entries.pop(controller_key, None)
