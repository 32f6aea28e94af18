"""Built-in controllers of the embedded cluster: scheduler, garbage collector and namespace
lifecycle.

They are API clients like any other (kruise.client only, never the API server's internals), so
they run the same against a real API server. `run_cluster_controllers` runs them until `stop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from kruise.client.events import EventRecorder
from kruise.client.informer import SharedInformerFactory
from kruise.client.leaderelection import LeaderElectionConfig, LeaderElector
from kruise.client.manager import ClientEventSink
from kruise.client.rest import Client

from .gc import GarbageCollector
from .namespace import NamespaceController
from .scheduler import DEFAULT_SCHEDULER, Scheduler

__all__ = ["GarbageCollector", "NamespaceController", "Scheduler", "run_cluster_controllers"]

log = logging.getLogger("kruise.cluster")
_FLUSH_TIMEOUT = 5.0


async def run_cluster_controllers(
    client: Client,
    stop: asyncio.Event,
    *,
    leader_election: LeaderElectionConfig | None = None,
    scheduler: bool = True,
    garbage_collector: bool = True,
    namespace_controller: bool = True,
    identity: str = "",
) -> None:
    """Run the scheduler, the garbage collector and the namespace controller until `stop` is set
    (or leadership is lost).

    The embedded cluster runs one copy and needs no election; pass `leader_election` when
    several copies may run against the same API server.
    """
    informers = SharedInformerFactory(client)
    recorder = EventRecorder(ClientEventSink(client), DEFAULT_SCHEDULER, identity)
    parts: list[Scheduler | GarbageCollector | NamespaceController] = []
    if scheduler:
        parts.append(Scheduler(client, informers, recorder))
    if garbage_collector:
        parts.append(GarbageCollector(client, informers))
    if namespace_controller:
        parts.append(NamespaceController(client, informers))

    async def lead() -> None:
        informers.start_all()
        await informers.wait_for_cache_sync()
        log.info("event=cluster_controllers_started parts=%s", ",".join(type(p).__name__ for p in parts))
        await asyncio.gather(*(p.run() for p in parts))

    recorder.start()
    if leader_election is not None:
        work = asyncio.create_task(LeaderElector(client, leader_election).run(lead), name="cluster-leader")
    else:
        work = asyncio.create_task(lead(), name="cluster-controllers")
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({work, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if work in done:
            error = work.exception()
            if error is not None:
                raise error
            log.warning("event=cluster_controllers_ended reason=leadership_lost")
    finally:
        for t in (work, stopper):
            t.cancel()
        await asyncio.gather(work, stopper, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(recorder.stop(), _FLUSH_TIMEOUT)
        await informers.stop_all()
