"""Leader election over a coordination.k8s.io/v1 Lease, with client-go's timing rules.

A candidate takes the lease when its holder has not renewed it for `lease_duration`, measured on
the candidate's own clock from when it last saw the record change (so clock skew between
machines does not matter). The leader renews every `retry_period`; if it cannot renew within
`renew_deadline` it stops leading. On a clean stop it releases the lease so a successor need not
wait out the duration.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .clock import Clock, RealClock
from .errors import AlreadyExists, ApiError, Conflict, NotFound
from .resources import LEASES
from .rest import Client

log = logging.getLogger("kruise.leaderelection")

Obj = dict[str, Any]


_RELEASE_ATTEMPTS = 3


def _micro_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class LeaderElectionConfig:
    namespace: str
    name: str
    identity: str
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0


class LeaderElector:
    def __init__(self, client: Client, config: LeaderElectionConfig, clock: Clock | None = None) -> None:
        if not config.lease_duration > config.renew_deadline > config.retry_period > 0:
            raise ValueError("need lease_duration > renew_deadline > retry_period > 0")
        self.client = client
        self.config = config
        self.clock = clock or RealClock()
        self._observed: Obj | None = None  # last lease record seen
        self._observed_at = 0.0  # our clock when that record last changed
        self.is_leader = False

    # ------------------------------------------------------------------ public
    async def run(self, lead: Callable[[], Awaitable[None]]) -> None:
        """Wait to become leader, run `lead()` while leading; returns when leadership is lost or
        `lead()` returns. Cancelling run() releases the lease."""
        await self._acquire()
        lead_task = asyncio.create_task(lead())
        renew_task = asyncio.create_task(self._renew_loop())
        try:
            done, _ = await asyncio.wait({lead_task, renew_task}, return_when=asyncio.FIRST_COMPLETED)
            if renew_task in done:
                log.warning(
                    "event=leadership_lost lease=%s/%s identity=%s",
                    self.config.namespace,
                    self.config.name,
                    self.config.identity,
                )
        finally:
            for t in (lead_task, renew_task):
                t.cancel()
            for t in (lead_task, renew_task):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            if self.is_leader:
                await self._release()
            self.is_leader = False

    # ------------------------------------------------------------------ internals
    async def _acquire(self) -> None:
        while True:
            if await self._try_acquire_or_renew():
                log.info(
                    "event=leadership_acquired lease=%s/%s identity=%s",
                    self.config.namespace,
                    self.config.name,
                    self.config.identity,
                )
                self.is_leader = True
                return
            await self.clock.sleep(self.config.retry_period)

    async def _renew_loop(self) -> None:
        last_renew = self.clock.now()
        while True:
            await self.clock.sleep(self.config.retry_period)
            try:
                ok = await asyncio.wait_for(self._try_acquire_or_renew(), self.config.renew_deadline)
            except (TimeoutError, ApiError, OSError) as e:
                log.warning("event=lease_renew_failed error=%s", e)
                ok = False
            if ok:
                last_renew = self.clock.now()
            elif self.clock.now() - last_renew >= self.config.renew_deadline:
                return

    def _spec(self, transitions: int, acquire_time: str | None) -> Obj:
        now = _micro_now()
        return {
            "holderIdentity": self.config.identity,
            "leaseDurationSeconds": int(self.config.lease_duration),
            "acquireTime": acquire_time or now,
            "renewTime": now,
            "leaseTransitions": transitions,
        }

    async def _try_acquire_or_renew(self) -> bool:
        cfg = self.config
        try:
            lease = await self.client.get(LEASES, cfg.name, namespace=cfg.namespace)
        except NotFound:
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": cfg.name, "namespace": cfg.namespace},
                "spec": self._spec(0, None),
            }
            try:
                created = await self.client.create(LEASES, body, namespace=cfg.namespace)
            except (AlreadyExists, Conflict):
                return False
            self._observe(created)
            return True
        spec = lease.get("spec") or {}
        self._observe(lease)
        holder = spec.get("holderIdentity") or ""
        mine = holder == cfg.identity
        duration = float(spec.get("leaseDurationSeconds") or cfg.lease_duration)
        if holder and not mine and self.clock.now() < self._observed_at + duration:
            return False  # someone else holds a live lease
        transitions = int(spec.get("leaseTransitions") or 0) + (0 if mine else 1)
        lease["spec"] = self._spec(transitions, spec.get("acquireTime") if mine else None)
        try:
            updated = await self.client.update(LEASES, lease, namespace=cfg.namespace)
        except (Conflict, NotFound):
            return False
        self._observe(updated)
        return True

    def _observe(self, lease: Obj) -> None:
        spec = lease.get("spec") or {}
        record = {k: spec.get(k) for k in ("holderIdentity", "renewTime", "leaseTransitions")}
        if record != self._observed:
            self._observed = record
            self._observed_at = self.clock.now()

    async def _release(self) -> None:
        """Hand the lease back. A renew cancelled in flight may still land after our read: on a
        conflict, read again (the holder check then says whether the lease is still ours)."""
        cfg = self.config
        for _ in range(_RELEASE_ATTEMPTS):
            try:
                lease = await self.client.get(LEASES, cfg.name, namespace=cfg.namespace)
                if (lease.get("spec") or {}).get("holderIdentity") != cfg.identity:
                    return
                lease["spec"]["holderIdentity"] = ""
                lease["spec"]["leaseDurationSeconds"] = 1
                await self.client.update(LEASES, lease, namespace=cfg.namespace)
            except Conflict:
                continue
            except (ApiError, OSError) as e:
                log.warning("event=lease_release_failed error=%s", e)
                return
            log.info(
                "event=leadership_released lease=%s/%s identity=%s", cfg.namespace, cfg.name, cfg.identity
            )
            return
        log.warning("event=lease_release_failed error=conflict attempts=%d", _RELEASE_ATTEMPTS)
