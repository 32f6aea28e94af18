"""One task per Pod bound to the node: start, probe, restart and stop its containers, as the kubelet.

The worker loops: look at the latest Pod object, take the next actions (restart containers whose
image changed, init containers in order, native sidecars kept running, main containers started
in order with postStart blocking the next, restarts by restartPolicy with CrashLoopBackOff),
publish the status when it changed, then sleep until something happens. A deletionTimestamp (or
the Pod vanishing) ends the loop: regular containers stop concurrently, sidecars after them in
reverse order, and the Pod object is deleted with grace 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kruise.api.containermeta import CONTAINER_HASH_LABEL, plain_container_hash
from kruise.client import errors as api_errors
from kruise.client.resources import CONFIGMAPS, PODS, SECRETS
from kruise.client.rest import Client

from . import env as envmod
from .actions import ActionContext, Outcome
from .backoff import Backoff
from .container import ContainerRecord, Instance, rfc3339, seed_from_status
from .hooks import run_post_start, run_pre_stop
from .images import ImageError, ImageStore
from .probes import probe_loop
from .resize import (
    Amounts,
    Pending,
    check_fit,
    container_resources,
    needs_restart,
    pod_requests,
    resize_conditions,
    same_resources,
)
from .runtimes.base import ContainerConfig, ContainerRuntimeError, Runtime, SandboxConfig
from .status import (
    PodView,
    Waiting,
    container_status,
    log_container_id,
    pod_phase,
    pod_status,
    status_patch,
)

log = logging.getLogger("kruise.node.pod")

Obj = dict[str, Any]
MIN_GRACE = 2.0  # the kubelet never gives a container less than this after preStop
RESYNC = 10.0  # seconds between syncs when nothing happens
IMAGE_BACKOFF = 10.0  # first ImagePullBackOff / config-error retry delay (scaled)


class Recorder(Protocol):
    def event(self, obj: Obj, type_: str, reason: str, message: str) -> None: ...


@dataclass
class NodeContext:
    """What every pod worker of a node shares."""

    node_name: str
    host_ip: str
    data_dir: Path
    client: Client
    runtime: Runtime
    images: ImageStore
    recorder: Recorder
    backoff: Backoff
    backoff_scale: float = 1.0
    started_at: float = field(default_factory=time.time)
    on_image_change: Any = None  # callable: the node's image list / pull stats changed
    allocatable: Amounts = field(default_factory=dict)  # cpu (milli) / memory a resize must fit in
    node_usage: Any = None  # callable(pod uid) -> Amounts the node's other Pods hold


class PodWorker:
    def __init__(self, ctx: NodeContext, pod: Obj) -> None:
        self.ctx = ctx
        self.pod = pod
        meta = pod["metadata"]
        self.uid: str = meta["uid"]
        self.namespace: str = meta["namespace"]
        self.name: str = meta["name"]
        self.key = f"{self.namespace}/{self.name}"
        self.records: dict[str, ContainerRecord] = {}
        self.pod_ip = ""
        self.start_time = ""
        self.initialized = False
        self.terminal = False  # nothing will run again (completed, or stopped for deletion)
        self.gone = False  # the Pod object no longer exists
        self.done = asyncio.Event()
        # set by wake(); the loop sleeps on a bare future and timer (a wait_for would start a
        # task per round, a few percent of the node process with a thousand Pods starting)
        self._woken = False
        self._waiter: asyncio.Future[None] | None = None
        self._known: Obj = dict(pod.get("status") or {})
        self._known_rv = _rv(pod)
        self._task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        # in-place resize: per container, the resources the node accepted and those applied to
        # the running instance (see kruise.node.resize)
        self.allocated: dict[str, Obj] = {}
        self.applied: dict[str, Obj] = {}
        self.resize_pending: Pending | None = None
        self.resizing = False
        self._build_records()

    # ------------------------------------------------------------------ inputs
    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"pod:{self.key}")

    def update(self, pod: Obj) -> None:
        if pod["metadata"].get("uid") != self.uid:
            return
        rv = _rv(pod)
        # the revision our last status write produced, seen again: nothing new to act on
        echo = rv == self._known_rv
        self.pod = pod
        if rv >= self._known_rv:
            self._known, self._known_rv = dict(pod.get("status") or {}), rv
        if not echo:
            self.wake()

    def vanished(self) -> None:
        self.gone = True
        self.wake()

    async def cancel(self) -> None:
        """The agent is exiting: stop looking after the Pod (the runtime stops the processes)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for r in self.records.values():
            r.stop_probes()

    @property
    def spec(self) -> Obj:
        return self.pod.get("spec") or {}

    def _deleting(self) -> bool:
        return self.gone or bool(self.pod["metadata"].get("deletionTimestamp"))

    # ------------------------------------------------------------------ records
    def _build_records(self) -> None:
        status = self.pod.get("status") or {}
        old = {s.get("name"): s for s in status.get("initContainerStatuses") or []}
        old.update({s.get("name"): s for s in status.get("containerStatuses") or []})
        for c in self.spec.get("initContainers") or []:
            kind = "sidecar" if c.get("restartPolicy") == "Always" else "init"
            self.records[c["name"]] = ContainerRecord(c, kind, waiting=Waiting("PodInitializing"))
        for c in self.spec.get("containers") or []:
            self.records[c["name"]] = ContainerRecord(c, "main", waiting=Waiting("PodInitializing"))
        for r in self.records.values():
            seed_from_status(r, old.get(r.name), self.ctx.started_at)
            self.allocated[r.name] = container_resources(r.spec)
        self.pod_ip = status.get("podIP") or ""
        self.start_time = status.get("startTime") or ""
        if status.get("phase") in ("Succeeded", "Failed"):
            self.terminal = True
        mains = [r for r in self.records.values() if r.kind == "main"]
        self.initialized = any(r.current is not None for r in mains) or not any(
            r.kind != "main" for r in self.records.values()
        )

    def _by_kind(self, *kinds: str) -> list[ContainerRecord]:
        return [r for r in self.records.values() if r.kind in kinds]

    def _refresh_specs(self) -> list[ContainerRecord]:
        """Take the latest container specs; returns running containers whose image changed."""
        specs = {c["name"]: c for c in self.spec.get("initContainers") or []}
        specs.update({c["name"]: c for c in self.spec.get("containers") or []})
        changed = []
        for r in self.records.values():
            new = specs.get(r.name)
            if new is None:
                continue
            if r.current is not None and new.get("image") != r.current.image and r.kind != "init":
                if r.running:
                    changed.append(r)
                r.restart_now = True
            r.spec = new
        return changed

    # ------------------------------------------------------------------ the loop
    async def _run(self) -> None:
        try:
            if not self.terminal and not self._deleting():
                self.pod_ip = await self.ctx.runtime.run_sandbox(
                    SandboxConfig(self.uid, self.namespace, self.name, self.pod_ip)
                )
                self.start_time = self.start_time or rfc3339(time.time())
            while not self._deleting():
                wake_at = None if self.terminal else await self._sync()
                await self._publish()
                await self._sleep_until(wake_at)
            await self._terminate()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("event=pod_worker_failed pod=%s", self.key)
        finally:
            self.done.set()

    async def _sleep_until(self, wake_at: float | None) -> None:
        timeout = RESYNC if wake_at is None else max(0.0, min(RESYNC, wake_at - time.time()))
        if not self._woken:
            loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            timer = loop.call_later(timeout, _resolve, waiter)
            try:
                await waiter
            finally:
                self._waiter = None
                timer.cancel()
        self._woken = False

    def wake(self) -> None:
        self._woken = True
        if self._waiter is not None:
            _resolve(self._waiter)

    async def _sync(self) -> float | None:
        """One round of actions; returns when the next round is due (a backoff expiring)."""
        changed = self._refresh_specs()
        grace = float(self.spec.get("terminationGracePeriodSeconds", 30))
        if changed:
            await asyncio.gather(
                *(
                    self._kill(r, grace, f"Container {r.name} definition changed, will be restarted")
                    for r in changed
                )
            )
        await self._sync_resize(grace)
        wakes: list[float] = []
        restart = self.spec.get("restartPolicy") or "Always"
        if not self.initialized and not await self._sync_init(restart, wakes):
            return min(wakes, default=None)
        self.initialized = True
        for r in self._by_kind("sidecar"):
            if r.has_exited and r.killing is None:
                await self._maybe_start(r, wakes)
        for r in self._by_kind("main"):
            if self._deleting():
                break
            if r.current is None or (r.has_exited and r.killing is None and _restarts(restart, r)):
                await self._maybe_start(r, wakes)
        mains = self._by_kind("main")
        if mains and all(r.has_exited and not _restarts(restart, r) for r in mains):
            await self._complete()
        return min(wakes, default=None)

    async def _sync_init(self, restart: str, wakes: list[float]) -> bool:
        """Init containers in order; True once all completed (sidecars: started)."""
        for r in self._by_kind("init", "sidecar"):
            if r.kind == "sidecar":
                if not r.running:
                    await self._maybe_start(r, wakes)
                if not (r.running and r.started):
                    return False
                continue
            if r.succeeded:
                continue
            if r.running:
                return False
            if r.has_exited and restart == "Never":
                await self._complete()  # a failed init container fails the Pod
                return False
            await self._maybe_start(r, wakes)
            return False
        for r in self._by_kind("main"):
            if r.current is None:
                r.waiting = None
        return True

    async def _complete(self) -> None:
        """Every regular container is done for good: stop the sidecars, the Pod is terminal."""
        grace = float(self.spec.get("terminationGracePeriodSeconds", 30))
        for r in reversed(self._by_kind("sidecar")):
            await self._kill(r, grace)
        self.terminal = True
        self._release_probes()

    # ------------------------------------------------------------------ starting
    async def _maybe_start(self, r: ContainerRecord, wakes: list[float]) -> None:
        now = time.time()
        if r.retry_at is not None and now < r.retry_at:
            wakes.append(r.retry_at)
            return
        key = f"{self.uid}/{r.name}"
        if r.current is not None and not r.restart_now:
            finished = r.current.finished_at or now
            until = self.ctx.backoff.wait_until(key, finished, now)
            if until is not None:
                delay = self.ctx.backoff.delay(key, now)
                if r.waiting is None or r.waiting.reason != "CrashLoopBackOff":
                    self._event("Warning", "BackOff", f"Back-off restarting failed container {r.name}")
                r.waiting = Waiting(
                    "CrashLoopBackOff",
                    f"back-off {_duration(delay)} restarting failed container={r.name} "
                    f"pod={self.name}_{self.namespace}({self.uid})",
                )
                wakes.append(until)
                return
            self.ctx.backoff.next(key, now)
        await self._start(r, wakes)

    async def _start(self, r: ContainerRecord, wakes: list[float]) -> None:
        r.waiting = Waiting("ContainerCreating")
        try:
            pulled = await self._pull(r)
            env = await self._env(r, pulled.image.env)
        except ImageError as e:
            return self._retry_later(r, Waiting(e.reason, e.message), wakes)
        except envmod.EnvError as e:
            return self._retry_later(r, Waiting("CreateContainerConfigError", str(e)), wakes)
        r.retry_at = None
        argv = envmod.container_argv(r.spec, pulled.image.command, env)
        first = r.current is None and r.previous is None
        attempt = 0 if first else r.restart_count + 1
        log_path = self._log_dir(r.name) / f"{attempt}.log"
        config = ContainerConfig(
            self.uid, self.namespace, self.name, r.name, r.image, attempt, argv, env,
            r.spec.get("workingDir") or None, self.pod_ip, log_path,
            labels={CONTAINER_HASH_LABEL: str(plain_container_hash(r.spec))},
        )  # fmt: skip
        runtime = self.ctx.runtime
        cid = await runtime.create_container(config)
        if r.current is not None:
            r.previous, r.restart_count = r.current, attempt
            self._drop_old_logs(r.name, attempt)
        inst = Instance(cid, r.image, pulled.image.image_id, attempt, time.time(), log_path)
        self.applied[r.name] = self.allocated.get(r.name) or {}  # a new instance gets the allocation
        r.current, r.waiting, r.restart_now = inst, None, False
        r.post_started = r.started = r.ready = False
        r.exited = asyncio.Event()
        self._event("Normal", "Created", f"Created container {r.name}")
        try:
            await runtime.start_container(cid)
        except ContainerRuntimeError as e:
            inst.finished_at, inst.exit_code = time.time(), 128
            inst.reason, inst.message = "StartError", str(e)
            r.exited.set()
            self._event("Warning", "Failed", f"Error: {e}")
            return
        self._event("Normal", "Started", f"Started container {r.name}")
        self._spawn(self._watch_exit(r, inst), f"exit:{self.key}/{r.name}")
        ctx = self._action_ctx(r, env)
        outcome = await run_post_start(r.spec, ctx)
        if outcome is not None and not outcome.ok and inst.running:
            self._event("Warning", "FailedPostStartHook", outcome.message)
            await self._kill(r, float(self.spec.get("terminationGracePeriodSeconds", 30)))
            inst.reason, inst.message = "Error", f"PostStartHookError: {outcome.message}"
            return
        if not inst.running:
            return
        r.post_started = True
        self._start_probes(r, ctx)

    def _retry_later(self, r: ContainerRecord, waiting: Waiting, wakes: list[float]) -> None:
        r.waiting = waiting
        self._event("Warning", "Failed", f"Error: {waiting.reason}: {waiting.message}")
        r.retry_at = time.time() + IMAGE_BACKOFF * self.ctx.backoff_scale
        wakes.append(r.retry_at)

    async def _pull(self, r: ContainerRecord) -> Any:
        images = self.ctx.images
        policy = r.spec.get("imagePullPolicy")
        if policy != "Always" and images.present(r.image) is not None:
            result = await images.ensure(r.image, policy)
            self._event("Normal", "Pulled", f'Container image "{r.image}" already present on machine')
            return result
        self._event("Normal", "Pulling", f'Pulling image "{r.image}"')
        result = await images.ensure(r.image, policy)
        self._event(
            "Normal",
            "Pulled",
            f'Successfully pulled image "{r.image}" in {result.seconds:.3f}s. '
            f"Image size: {result.image.size} bytes.",
        )
        if self.ctx.on_image_change is not None:
            self.ctx.on_image_change()
        return result

    async def _env(self, r: ContainerRecord, image_env: tuple[tuple[str, str], ...]) -> dict[str, str]:
        base = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "HOSTNAME": self.name}
        if "HOME" in os.environ:
            base["HOME"] = os.environ["HOME"]
        base.update(dict(image_env))
        base["POD_IP"] = self.pod_ip
        return await envmod.container_env(self.pod, r.spec, base, self.pod_ip, self.ctx.host_ip, self._lookup)

    async def _lookup(self, kind: str, namespace: str, name: str) -> Obj | None:
        res = CONFIGMAPS if kind == "ConfigMap" else SECRETS
        try:
            return await self.ctx.client.get(res, name, namespace=namespace)
        except api_errors.NotFound:
            return None

    def _action_ctx(self, r: ContainerRecord, env: dict[str, str]) -> ActionContext:
        ports = {p["name"]: int(p["containerPort"]) for p in r.spec.get("ports") or [] if p.get("name")}
        cid = r.current.id if r.current else ""
        return ActionContext(self.ctx.runtime, cid, self.pod_ip, env, ports)

    # ------------------------------------------------------------------ in-place resize
    async def _sync_resize(self, grace: float) -> None:
        """Allocate a changed spec's resources when they fit the node, then apply them to the
        running containers: in place, or by restarting a container whose resizePolicy says so."""
        if self.terminal:
            return
        resizable = self._by_kind("sidecar", "main")
        desired = {r.name: container_resources(r.spec) for r in resizable}
        changed = [n for n, res in desired.items() if not same_resources(res, self.allocated.get(n))]
        self.resize_pending = None
        if changed:
            used = self.ctx.node_usage(self.uid) if self.ctx.node_usage is not None else {}
            pending = check_fit(pod_requests(desired.values()), self.ctx.allocatable, used)
            if pending is None:
                self.allocated.update((n, desired[n]) for n in changed)
            else:
                self.resize_pending = pending
        todo = [
            r
            for r in resizable
            if r.running and not same_resources(self.applied.get(r.name), self.allocated[r.name])
        ]
        if not todo:
            return
        self.resizing = True
        await self._publish()  # PodResizeInProgress while the resize is actuated
        restart = []
        for r in todo:
            target = self.allocated[r.name]
            if needs_restart(r.spec, self.applied.get(r.name) or {}, target):
                restart.append(r)
                continue
            assert r.current is not None
            try:
                await self.ctx.runtime.update_container_resources(r.current.id, target)
            except ContainerRuntimeError:
                continue  # it exited meanwhile: its next instance starts with the allocation
            self.applied[r.name] = target
        for r in restart:
            r.restart_now = True
        await asyncio.gather(
            *(self._kill(r, grace, f"Container {r.name} resize requires restart") for r in restart)
        )
        self.resizing = False

    def allocated_requests(self) -> Amounts:
        """The cpu/memory this Pod holds on the node (nothing once it is terminal)."""
        if self.terminal:
            return {}
        return pod_requests(self.allocated[r.name] for r in self._by_kind("sidecar", "main"))

    # ------------------------------------------------------------------ probes and exits
    def _start_probes(self, r: ContainerRecord, ctx: ActionContext) -> None:
        if r.spec.get("startupProbe"):
            self._probe(r, "startupProbe", ctx)
            return
        self._on_started(r, ctx)

    def _on_started(self, r: ContainerRecord, ctx: ActionContext) -> None:
        r.started = True
        if r.spec.get("readinessProbe"):
            self._probe(r, "readinessProbe", ctx)
        else:
            r.ready = True
        if r.spec.get("livenessProbe"):
            self._probe(r, "livenessProbe", ctx)
        self.wake()

    def _probe(self, r: ContainerRecord, kind: str, ctx: ActionContext) -> None:
        inst = r.current

        def on_result(kind: str, outcome: Outcome, flipped: bool) -> None:
            if r.current is not inst or inst is None or not inst.running:
                return
            label = kind.removesuffix("Probe").capitalize()
            if not outcome.ok:
                self._event("Warning", "Unhealthy", f"{label} probe failed: {outcome.message}")
            if not flipped:
                return
            if kind == "readinessProbe":
                r.ready = outcome.ok
                self.wake()
            elif kind == "startupProbe" and outcome.ok:
                self._on_started(r, ctx)
            elif not outcome.ok:  # liveness or startup failed: restart the container
                grace = r.spec[kind].get("terminationGracePeriodSeconds")
                if grace is None:
                    grace = self.spec.get("terminationGracePeriodSeconds", 30)
                why = f"Container {r.name} failed {kind[:-5]} probe, will be restarted"
                self._spawn(self._kill(r, float(grace), why), f"kill:{self.key}/{r.name}")

        r.probes.append(asyncio.create_task(probe_loop(kind, r.spec[kind], ctx, on_result)))

    async def _watch_exit(self, r: ContainerRecord, inst: Instance) -> None:
        code = await self.ctx.runtime.wait_container(inst.id)
        info = self.ctx.runtime.status(inst.id)
        inst.finished_at = (info.finished_at if info else None) or time.time()
        inst.exit_code = code
        if r.current is inst:
            r.stop_probes()
            r.ready = r.started = False
        r.exited.set()
        self.wake()

    async def _kill(self, r: ContainerRecord, grace: float, why: str = "") -> None:
        """preStop, SIGTERM, SIGKILL once the grace period is over. Concurrent calls share one kill.
        One Killing event, saying why when there is a reason (as the kubelet's killContainer)."""
        if r.killing is None:
            if not r.running:
                return
            r.killing = asyncio.create_task(self._do_kill(r, grace, why))
        task = r.killing
        try:
            await asyncio.shield(task)
        finally:
            if task.done() and r.killing is task:
                r.killing = None

    async def _do_kill(self, r: ContainerRecord, grace: float, why: str) -> None:
        inst = r.current
        assert inst is not None
        began = time.monotonic()
        self._event("Normal", "Killing", why or f"Stopping container {r.name}")
        if r.post_started:
            env = await self._env_quiet(r)
            outcome = await run_pre_stop(r.spec, self._action_ctx(r, env), grace)
            if outcome is not None and not outcome.ok:
                self._event("Warning", "FailedPreStopHook", f"PreStopHook failed: {outcome.message}")
        remaining = max(grace - (time.monotonic() - began), MIN_GRACE)
        r.stop_probes()
        await self.ctx.runtime.stop_container(inst.id, remaining)
        await r.exited.wait()

    async def _env_quiet(self, r: ContainerRecord) -> dict[str, str]:
        image = self.ctx.images.present(r.image)
        try:
            return await self._env(r, image.env if image else ())
        except Exception:
            return {"PATH": os.environ.get("PATH", ""), "POD_IP": self.pod_ip}

    # ------------------------------------------------------------------ termination
    async def _terminate(self) -> None:
        meta = self.pod["metadata"]
        grace = float(meta.get("deletionGracePeriodSeconds") or 0)
        if self.gone:
            grace = min(grace, MIN_GRACE) if grace else MIN_GRACE
        deadline = time.monotonic() + grace
        regular = [r for r in self.records.values() if r.kind != "sidecar" and r.running]
        await asyncio.gather(*(self._kill(r, grace) for r in regular))
        for r in reversed(self._by_kind("sidecar")):
            await self._kill(r, max(deadline - time.monotonic(), MIN_GRACE))
        for r in self.records.values():
            if r.has_exited:
                r.waiting = None
        self.terminal = True
        self._release_probes()
        if not self.gone:
            await self._publish()
            await self._delete()
        await self._cleanup()

    async def _delete(self) -> None:
        try:
            await self.ctx.client.delete(
                PODS, self.name, namespace=self.namespace, grace_period=0, preconditions={"uid": self.uid}
            )
        except (api_errors.NotFound, api_errors.Conflict):
            pass  # already gone, or another Pod now has the name
        except Exception as e:
            log.warning("event=pod_delete_failed pod=%s error=%s", self.key, e)

    async def _cleanup(self) -> None:
        runtime = self.ctx.runtime
        for r in self.records.values():
            for inst in (r.previous, r.current):
                if inst is not None and inst.id:
                    with contextlib.suppress(Exception):
                        await runtime.remove_container(inst.id)
        await runtime.stop_sandbox(self.uid)
        shutil.rmtree(self._pod_log_dir(), ignore_errors=True)

    def _release_probes(self) -> None:
        for r in self.records.values():
            r.stop_probes()

    # ------------------------------------------------------------------ status
    def _container_view(self, r: ContainerRecord) -> Any:
        requests = (self.allocated.get(r.name) or {}).get("requests")
        return dataclasses.replace(
            r.view(),
            # the kubelet reports applied resources for running containers only
            resources=(self.applied.get(r.name) or {}) if r.running and r.post_started else None,
            allocated=dict(requests) if requests else None,
        )

    def view(self) -> PodView:
        return PodView(
            init=tuple(self._container_view(r) for r in self._by_kind("init", "sidecar")),
            containers=tuple(self._container_view(r) for r in self._by_kind("main")),
            pod_ip=self.pod_ip,
            host_ip=self.ctx.host_ip,
            start_time=self.start_time,
            sandbox_ready=bool(self.pod_ip) and not self.terminal,
            terminal=self.terminal,
            resize=tuple(resize_conditions(self.resize_pending, self.resizing)),
        )

    def phase(self) -> str:
        return pod_phase(self.spec, self.view())

    async def _publish(self) -> None:
        pod = {**self.pod, "status": self._known}  # our last write may be newer than the cache
        desired = pod_status(pod, self.view(), rfc3339(time.time()))
        patch = status_patch(self._known, desired)
        if patch is None:
            return
        try:
            out = await self.ctx.client.patch(
                PODS, self.name, patch, patch_type="strategic", namespace=self.namespace, subresource="status"
            )
        except api_errors.NotFound:
            return
        except Exception as e:
            log.warning("event=pod_status_failed pod=%s error=%s", self.key, e)
            return
        # An event newer than our write may have arrived while it was in flight (another
        # component's condition, such as a readiness gate's): that one stays the known status,
        # or the gate's change would be forgotten and Ready never recomputed.
        if out.get("metadata", {}).get("uid") == self.uid and _rv(out) > self._known_rv:
            self._known, self._known_rv = dict(out.get("status") or {}), _rv(out)

    # ------------------------------------------------------------------ logs
    def _pod_log_dir(self) -> Path:
        return self.ctx.data_dir / "pods" / f"{self.namespace}_{self.name}_{self.uid}"

    def _log_dir(self, container: str) -> Path:
        return self._pod_log_dir() / container

    def _drop_old_logs(self, container: str, attempt: int) -> None:
        for path in self._log_dir(container).glob("*.log"):
            if path.stem.isdigit() and int(path.stem) < attempt - 1:
                path.unlink(missing_ok=True)

    def log_source(self, container: str, previous: bool) -> tuple[Instance | None, str]:
        """The instance whose log to serve, or an error message (as the kubelet words it)."""
        r = self.records.get(container)
        if r is None:
            return None, f'container "{container}" in pod "{self.name}" is not available'
        cid, problem = log_container_id(container_status(r.view()), self.name, previous)
        for inst in (r.current, r.previous):
            if cid and inst is not None and inst.id == cid and inst.log_path is not None:
                return inst, ""
        return None, problem or f'container "{container}" in pod "{self.name}" has no logs'

    # ------------------------------------------------------------------ helpers
    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._background.add(task)  # a reference, so it is not collected mid-flight
        task.add_done_callback(self._background.discard)

    def _event(self, type_: str, reason: str, message: str) -> None:
        pod = self.pod
        if "kind" not in pod:
            pod = {"apiVersion": "v1", "kind": "Pod", **pod}
        self.ctx.recorder.event(pod, type_, reason, message)


def _restarts(policy: str, r: ContainerRecord) -> bool:
    if r.current is None:
        return True
    if r.restart_now:
        return True
    if r.kind == "sidecar" or policy == "Always":
        return True
    return policy == "OnFailure" and r.current.exit_code != 0


def _duration(seconds: float) -> str:
    """Go's time.Duration formatting for the back-off message ("10s", "2m40s")."""
    total = round(seconds, 1)
    if total < 60:
        return f"{total:g}s"
    minutes, secs = divmod(total, 60)
    return f"{int(minutes)}m{secs:g}s"


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _rv(obj: Obj) -> int:
    try:
        return int(obj["metadata"].get("resourceVersion") or 0)
    except (ValueError, TypeError):
        return 0
