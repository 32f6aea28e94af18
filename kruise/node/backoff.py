"""CrashLoopBackOff: per-container restart delays, doubling from 10 s to 300 s, as the kubelet's.

The first restart after a failure is immediate; each later one waits the current delay, which
doubles. An entry untouched for twice the cap (10 min) is forgotten, so a container that ran
well for that long starts over at 10 s. `scale` shrinks every duration (tests).
"""

from __future__ import annotations

from dataclasses import dataclass

INITIAL = 10.0
CAP = 300.0


@dataclass
class _Entry:
    delay: float
    last_update: float


class Backoff:
    def __init__(self, scale: float = 1.0, initial: float = INITIAL, cap: float = CAP) -> None:
        self.initial = initial * scale
        self.cap = cap * scale
        self._entries: dict[str, _Entry] = {}

    def _live(self, key: str, now: float) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and now - entry.last_update > 2 * self.cap:
            del self._entries[key]
            return None
        return entry

    def wait_until(self, key: str, finished_at: float, now: float) -> float | None:
        """When a container that finished at `finished_at` may restart; None: right away."""
        entry = self._live(key, now)
        if entry is None or now - finished_at >= entry.delay:
            return None
        return finished_at + entry.delay

    def delay(self, key: str, now: float) -> float:
        entry = self._live(key, now)
        return entry.delay if entry else 0.0

    def next(self, key: str, now: float) -> None:
        """Record a restart: the following one waits longer."""
        entry = self._live(key, now)
        if entry is None:
            self._entries[key] = _Entry(self.initial, now)
        else:
            entry.delay = min(entry.delay * 2, self.cap)
            entry.last_update = now

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)
