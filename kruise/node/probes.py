"""Startup, readiness and liveness probes: one task per probe of a running container instance.

Results flip only after successThreshold successes or failureThreshold failures in a row, as on a
kubelet. Readiness starts failed, liveness starts healthy, startup starts unknown (not started).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .actions import ActionContext, Outcome, run_action

Obj = dict[str, Any]
OnResult = Callable[[str, Outcome, bool], None]  # (kind, this outcome, whether the result flipped)

KINDS = ("startupProbe", "readinessProbe", "livenessProbe")


@dataclass(frozen=True)
class ProbeSettings:
    initial_delay: float = 0.0
    period: float = 10.0
    timeout: float = 1.0
    success_threshold: int = 1
    failure_threshold: int = 3

    @classmethod
    def of(cls, probe: Obj) -> ProbeSettings:
        return cls(
            float(probe.get("initialDelaySeconds") or 0),
            float(probe.get("periodSeconds") or 10),
            float(probe.get("timeoutSeconds") or 1),
            int(probe.get("successThreshold") or 1),
            int(probe.get("failureThreshold") or 3),
        )


class Threshold:
    """Pure counter: feeds outcomes, reports when the result flips."""

    def __init__(self, settings: ProbeSettings, initial: bool | None) -> None:
        self.settings = settings
        self.result = initial
        self._streak = 0
        self._last: bool | None = None

    def observe(self, ok: bool) -> bool:
        """True when this observation changed the result."""
        self._streak = self._streak + 1 if ok == self._last else 1
        self._last = ok
        needed = self.settings.success_threshold if ok else self.settings.failure_threshold
        if self._streak >= needed and self.result != ok:
            self.result = ok
            return True
        return False


async def probe_loop(kind: str, probe: Obj, ctx: ActionContext, on_result: OnResult) -> None:
    """Runs until cancelled (the container stopped) or, for startup, until it succeeds; liveness
    and startup end after reporting a failure (the container is about to be killed)."""
    settings = ProbeSettings.of(probe)
    probe = ctx.runtime.route_action(kind, probe)
    initial = {"readinessProbe": False, "livenessProbe": True, "startupProbe": None}[kind]
    counter = Threshold(settings, initial)
    await asyncio.sleep(settings.initial_delay)
    while True:
        try:
            outcome = await run_action(probe, ctx, settings.timeout)
        except Exception as e:  # a probe that cannot run has failed, it must not end the loop
            outcome = Outcome(False, f"{type(e).__name__}: {e}")
        flipped = counter.observe(outcome.ok)
        on_result(kind, outcome, flipped)
        if flipped and kind != "readinessProbe":  # started, or about to be killed
            return
        await asyncio.sleep(settings.period)
