"""reconcile(key) for one CloneSet: read the caches, settle revisions, scale or update, write status
(kruise-behaviour.md §3.3). Planning is pure (plan.py, scale.py, update.py, status.py); the writes
go through CloneSetActions and the shared in-place and lifecycle controls."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pydantic

from kruise.api.cloneset import CloneSet, default_cloneset
from kruise.api.selectors import label_selector_from_dict
from kruise.client.controller import Result, split_key
from kruise.client.errors import AlreadyExists, Conflict, NotFound
from kruise.client.events import EventRecorder
from kruise.client.expectations import ResourceVersionExpectations, ScaleExpectations
from kruise.client.indexer import BY_NAMESPACE, BY_OWNER_UID
from kruise.client.informer import Informer
from kruise.client.ownerref import adopt_patch, claim, release_patch
from kruise.client.resources import CLONESETS, CONTROLLER_REVISIONS, NODES, PODS, PVCS
from kruise.client.rest import Client
from kruise.control import lifecycle
from kruise.control import pods as podutil
from kruise.control.batch import run_limited
from kruise.control.inplace import InPlaceControl, SettledPods, can_update_in_place
from kruise.control.lifecycle import LifecycleControl, apply_hook, is_hooked
from kruise.control.revision import plan_revisions, revisions_to_prune

from . import status as statusmod
from .actions import CloneSetActions
from .plan import DiffInputs, calculate_diff, count_pods
from .pods import instance_id, is_specified_delete, new_instance_ids, revision_hash
from .scale import needs_node_labels, plan_scale, topology_keys
from .update import plan_update

log = logging.getLogger("kruise.cloneset")
Obj = dict[str, Any]

EXCLUDE_PREPARING_DELETE_LABEL = "apps.kruise.io/cloneset-scaling-exclude-preparing-delete"
NODE_CACHE_SYNC_SECONDS = 10.0


@dataclass
class Sync:
    """What one reconcile learned and decided; feeds the status."""

    key: str
    cs: Obj
    model: CloneSet
    now: dt.datetime
    pods: list[Obj]
    pvcs: list[Obj]
    revisions: list[Obj]
    update_revision: Obj
    current_revision: Obj
    collision_count: int
    terminating_ids: set[str] = field(default_factory=set)
    requeue: list[float] = field(default_factory=list)
    scale_error: Exception | None = None
    update_error: Exception | None = None
    diff: Any = None  # calculate_diff of these pods, worked out once (scale and update both read it)

    @property
    def spec(self) -> Any:
        return self.model.spec

    def is_new(self, pod: Obj) -> bool:
        return podutil.revision_matches(pod, self.update_revision["metadata"]["name"])

    def is_specified_delete(self, pod: Obj) -> bool:
        return is_specified_delete(pod, self.spec.scale_strategy.pods_to_delete or ())


class CloneSetReconciler:
    def __init__(
        self,
        client: Client,
        informers: Any,
        recorder: EventRecorder,
        *,
        clock: Callable[[], dt.datetime] = podutil.now_utc,
    ) -> None:
        self.client = client
        self.clock = clock
        self.recorder = recorder
        self.informers = informers
        self.clonesets: Informer = informers.informer(CLONESETS)
        self.pods: Informer = informers.informer(PODS)
        self.pvcs: Informer = informers.informer(PVCS)
        self.revisions: Informer = informers.informer(CONTROLLER_REVISIONS)
        self.scale_exp = ScaleExpectations()
        self.rv_exp = ResourceVersionExpectations()
        self.inplace = InPlaceControl(client, clock=clock)
        lifecycle_control = LifecycleControl(client, clock=clock)
        self.actions = CloneSetActions(client, recorder, self.scale_exp, self.rv_exp, lifecycle_control)
        self.settled = SettledPods()

    # ------------------------------------------------------------------ reconcile
    async def reconcile(self, key: str) -> Result | None:
        obj = self.clonesets.store.get(key)
        if obj is None:
            self.scale_exp.delete(key)
            return None
        verdict = self.scale_exp.check(key)
        if not verdict.proceed:
            return Result(verdict.requeue_after) if verdict.requeue_after is not None else None
        try:
            # defaults as the mutating webhook sets them, in case it was bypassed
            model = CloneSet.model_validate(default_cloneset(obj, inject_template_defaults=False))
        except pydantic.ValidationError as e:
            self.recorder.event(obj, "Warning", "InvalidSpec", str(e).splitlines()[0])
            return None
        model.spec.min_ready_seconds = model.spec.min_ready_seconds or 0
        if obj["metadata"].get("deletionTimestamp"):
            return None
        now = self.clock()
        pods, terminating_ids, pvcs = await self._claim(obj, model)
        for pod in pods:
            check = self.rv_exp.check(pod)
            if not check.proceed:
                return Result(check.requeue_after) if check.requeue_after is not None else None
        sync = await self._revisions(key, obj, model, now, pods, pvcs)
        if sync is not None:
            sync.terminating_ids = terminating_ids
        if sync is None:
            return Result(requeue_after=0.5)
        await self._clean_pvcs(sync)
        scaled = False
        try:
            scaled = await self._scale(sync)
        except Exception as e:
            sync.scale_error = e
        if not scaled and sync.scale_error is None:
            try:
                await self._update(sync)
            except Exception as e:
                sync.update_error = e
        await self._write_status(sync)
        await self._truncate_pods_to_delete(sync)
        await self._prune_history(sync)
        if sync.scale_error or sync.update_error:
            raise sync.scale_error or sync.update_error  # type: ignore[misc]
        return Result(requeue_after=min(sync.requeue)) if sync.requeue else None

    # ------------------------------------------------------------------ pods, PVCs, revisions
    async def _claim(self, cs: Obj, model: CloneSet) -> tuple[list[Obj], set[str], list[Obj]]:
        """Owned active pods (adopting matching orphans, releasing owned pods that stopped matching),
        the instance ids of owned pods still terminating, and owned PVCs."""
        selector = label_selector_from_dict(model.spec.selector)
        ns = cs["metadata"]["namespace"]
        candidates = self.pods.store.by_index(BY_NAMESPACE, ns)
        claimed = claim(cs, lambda p: selector.matches(podutil.labels(p)), candidates)
        owned = list(claimed.owned)
        for pod in claimed.adopt:
            with contextlib.suppress(NotFound, Conflict):
                owned.append(await self.actions.patch_pod(pod, adopt_patch(cs, pod)))
        for pod in claimed.release:
            with contextlib.suppress(NotFound, Conflict):
                await self.actions.patch_pod(pod, release_patch(cs["metadata"]["uid"], pod))
        active = [p for p in owned if podutil.is_active(p)]
        terminating = {instance_id(p) for p in owned if podutil.is_terminating(p)}
        pvcs = self.pvcs.store.by_index(BY_OWNER_UID, cs["metadata"]["uid"])
        return active, terminating, pvcs

    async def _revisions(
        self, key: str, cs: Obj, model: CloneSet, now: dt.datetime, pods: list[Obj], pvcs: list[Obj]
    ) -> Sync | None:
        uid = cs["metadata"]["uid"]
        revisions = [r for r in self.revisions.store.by_index(BY_OWNER_UID, uid)]
        status = cs.get("status") or {}
        plan = plan_revisions(
            cs,
            revisions,
            cs["spec"]["template"],
            status.get("currentRevision"),
            status.get("collisionCount") or 0,
        )
        update = plan.update
        if plan.bump is not None:
            update = await self.client.update(CONTROLLER_REVISIONS, plan.bump)
        elif plan.create is not None:
            try:
                update = await self.client.create(CONTROLLER_REVISIONS, plan.create)
            except AlreadyExists:
                return None  # the cache lags our own create: look again shortly
            revisions = [*revisions, update]
        current = plan.current
        if current["metadata"]["name"] == update["metadata"]["name"]:
            current = update
        return Sync(key, cs, model, now, pods, pvcs, revisions, update, current, plan.collision_count)

    async def _clean_pvcs(self, sync: Sync) -> None:
        """With PVC reuse disabled, claims whose pod is gone are deleted so replacements start fresh."""
        if not sync.spec.scale_strategy.disable_pvc_reuse:
            return
        live = {instance_id(p) for p in sync.pods}
        for pvc in sync.pvcs:
            if instance_id(pvc) not in live:
                await self.actions.delete_pvc(pvc)

    # ------------------------------------------------------------------ scale
    def _diff(self, sync: Sync) -> Any:
        if sync.diff is None:
            sync.diff = self._calculate_diff(sync)
        return sync.diff

    def _calculate_diff(self, sync: Sync) -> Any:
        spec = sync.spec
        us = spec.update_strategy
        inputs = DiffInputs(
            replicas=spec.replicas,
            partition=us.partition,
            max_surge=us.max_surge,
            max_unavailable=us.max_unavailable,
            scale_max_unavailable=spec.scale_strategy.max_unavailable,
            paused=us.paused,
            min_ready_seconds=spec.min_ready_seconds,
            exclude_preparing_delete=podutil.labels(sync.cs).get(EXCLUDE_PREPARING_DELETE_LABEL) == "true",
        )
        new, old = count_pods(
            sync.pods, sync.is_new, sync.is_specified_delete, spec.min_ready_seconds, sync.now
        )
        same = sync.update_revision["metadata"]["name"] == sync.current_revision["metadata"]["name"]
        return calculate_diff(inputs, new, old, same)

    async def _scale(self, sync: Sync) -> bool:
        diff = self._diff(sync)
        keys = topology_keys(sync.cs["spec"].get("template") or {})
        plan = plan_scale(
            diff,
            sync.pods,
            sync.is_new,
            sync.is_specified_delete,
            sync.spec.lifecycle,
            sync.now,
            sync.spec.min_ready_seconds,
            keys,
            await self._node_labels() if needs_node_labels(diff, keys) else None,
        )
        if plan.regret:
            for pod in plan.regret:
                await self.actions.set_state(pod, "PreparingNormal")
            return True
        if plan.scale_up_limited:
            self.recorder.event(
                sync.cs,
                "Warning",
                "ScaleUpLimited",
                f"scaleUp is limited because of scaleStrategy.maxUnavailable, limit: {diff.scale_up_limit}",
            )
        if plan.create_current or plan.create_update:
            reuse = not sync.spec.scale_strategy.disable_pvc_reuse
            # A replacement reuses the claims of a pod that is still terminating, under the same
            # name: wait for that pod to go rather than collide with it.
            held = {instance_id(c) for c in sync.pvcs} & sync.terminating_ids if reuse else set()
            if held:
                sync.requeue.append(1.0)
                plan.create_update = max(plan.create_update - len(held), 0)
                plan.create_current = min(plan.create_current, max(diff.scale_up_limit - len(held), 0))
            ids = new_instance_ids(
                plan.create_current + plan.create_update,
                sync.pods,
                sync.pvcs,
                reuse_pvcs=reuse,
                reserved=sync.terminating_ids,
            )
            revs = [sync.current_revision] * plan.create_current + [sync.update_revision] * plan.create_update
            await self.actions.create_pods(
                sync.key, sync.cs, sync.model, list(zip(revs, ids, strict=True)), sync.pvcs
            )
            return True
        if plan.delete:
            return await self.actions.delete_pods(
                sync.key, sync.cs, sync.spec.lifecycle, plan.delete, sync.pvcs
            )
        return False

    async def _node_labels(self) -> dict[str, dict[str, str]]:
        """Node name -> labels, from a node cache started on first use (as controller-runtime's
        cache starts an informer on the first read of a kind): only CloneSets with
        topologySpreadConstraints that scale down need it. Nodes not yet cached rank 0."""
        nodes = self.informers.informer(NODES)
        if not await nodes.wait_synced(NODE_CACHE_SYNC_SECONDS):
            log.warning("event=node_cache_not_synced seconds=%s", NODE_CACHE_SYNC_SECONDS)
        return {n["metadata"]["name"]: n["metadata"].get("labels") or {} for n in nodes.store.list()}

    # ------------------------------------------------------------------ update
    async def _update(self, sync: Sync) -> None:
        if await self._refresh_all(sync):
            return
        us = sync.spec.update_strategy
        if us.type == "OnDelete" or us.paused:
            return
        diff = self._diff(sync)
        update_name = sync.update_revision["metadata"]["name"]
        target, picked = plan_update(
            sync.pods,
            diff,
            update_name,
            sync.current_revision["metadata"]["name"],
            us.priority_strategy,
            us.scatter_strategy,
            sync.spec.min_ready_seconds,
            sync.now,
        )
        target_rev = sync.update_revision if target == update_name else sync.current_revision
        await run_limited(self._update_pod(sync, pod, target_rev) for pod in picked)

    async def _refresh_all(self, sync: Sync) -> bool:
        """Finish in-place updates, move lifecycle states along, back-fill pod-template-hash.
        Returns whether any pod was written (then this round updates nothing more)."""
        # Planning is pure and cheap; only pods with something to write get a task.
        busy = []
        for pod in sync.pods:
            plan = self.settled.plan(pod, sync.now)
            if plan.pod is not None or plan.conditions is not None:
                busy.append(pod)
            elif plan.delay is not None:
                sync.requeue.append(plan.delay)
            elif self._next_state(sync, pod) is not None or _lacks_template_hash(pod):
                busy.append(pod)
        return any(await run_limited(self._refresh_one(sync, pod) for pod in busy))

    async def _refresh_one(self, sync: Sync, pod: Obj) -> bool:
        modified = False
        res = await self.inplace.refresh(pod)
        if res.delay is not None:
            sync.requeue.append(res.delay)
        if res.pod is not None:
            self.rv_exp.expect(res.pod)
            pod = res.pod
            modified = True
        state = self._next_state(sync, pod)
        if state is not None:
            hook = sync.spec.lifecycle.in_place_update if sync.spec.lifecycle else None
            mark = False if hook is not None and hook.mark_pod_not_ready else None
            pod = await self.actions.set_state(pod, state, mark_not_ready=mark)
            modified = True
        if _lacks_template_hash(pod):
            value = podutil.labels(pod)[podutil.REVISION_LABEL]
            patch = {"metadata": {"labels": {podutil.POD_TEMPLATE_HASH_LABEL: revision_hash(value)}}}
            await self.actions.patch_pod(pod, patch)
            modified = True
        return modified

    def _next_state(self, sync: Sync, pod: Obj) -> str | None:
        """Lifecycle transitions a refresh makes (§1.2)."""
        lc = sync.spec.lifecycle
        state = podutil.lifecycle_state(pod)
        if state == lifecycle.PREPARING_NORMAL:
            return lifecycle.NORMAL if lifecycle.preparing_normal_done(lc, pod) else None
        if state == lifecycle.PREPARING_UPDATE and sync.is_new(pod):
            return lifecycle.next_state_after_update(lc, pod)  # rolled back while waiting: no patch
        if state == lifecycle.UPDATING and self.inplace.is_completed(pod):
            return lifecycle.next_state_after_update(lc, pod)
        if state == lifecycle.UPDATED and lifecycle.updated_to_normal(lc, pod):
            return lifecycle.NORMAL
        return None

    async def _update_pod(self, sync: Sync, pod: Obj, target: Obj) -> None:
        spec = sync.spec
        policy = spec.update_strategy.type
        old = self._revision_of(sync, pod)
        if (
            policy in ("InPlaceIfPossible", "InPlaceOnly")
            and old is not None
            and can_update_in_place(old, target)
        ):
            lc = spec.lifecycle
            hook = lc.in_place_update if lc else None
            state = podutil.lifecycle_state(pod)
            if state in ("", lifecycle.PREPARING_NORMAL, lifecycle.NORMAL):
                if hook is not None and lifecycle.needs_preparing_update(lc, pod):
                    await self.actions.set_state(
                        pod, lifecycle.PREPARING_UPDATE, mark_not_ready=hook.mark_pod_not_ready or None
                    )
                    return
            elif state == "Updated":
                await self.actions.set_state(
                    pod, "PreparingUpdate", extra=(lambda p: apply_hook(hook, p)) if hook else None
                )
                return
            elif state == "PreparingUpdate":
                if hook is not None and is_hooked(hook, pod):
                    return
            elif state != "Updating":
                raise RuntimeError(
                    f"not allowed to in-place update pod {pod['metadata']['name']} in state {state}"
                )
            grace = spec.update_strategy.in_place_update_strategy
            res = await self.inplace.update(
                pod,
                old,
                target,
                grace_period_seconds=(grace.grace_period_seconds or 0) if grace else 0,
                mutate=lambda p: lifecycle.set_state(p, lifecycle.UPDATING, self.clock()),
            )
            name, rev = pod["metadata"]["name"], target["metadata"]["name"]
            if res.error is not None:
                self.recorder.event(
                    sync.cs,
                    "Warning",
                    "FailedUpdatePodInPlace",
                    f"failed to update pod {name} in-place(revision {rev}): {res.error}",
                )
                raise res.error
            if res.in_place_updated:
                if res.pod is not None:
                    self.rv_exp.expect(res.pod)
                if res.delay:
                    sync.requeue.append(res.delay)
                self.recorder.event(
                    sync.cs,
                    "Normal",
                    "SuccessfulUpdatePodInPlace",
                    f"successfully update pod {name} in-place(revision {rev})",
                )
                return
        if policy == "InPlaceOnly":
            name = pod["metadata"]["name"]
            raise RuntimeError(f"find Pod {name} update strategy is InPlaceOnly but can not update in-place")
        if podutil.SPECIFIED_DELETE_LABEL not in podutil.labels(pod):
            await self.actions.patch_pod(
                pod, {"metadata": {"labels": {podutil.SPECIFIED_DELETE_LABEL: "true"}}}
            )

    def _revision_of(self, sync: Sync, pod: Obj) -> Obj | None:
        for rev in sync.revisions:
            if podutil.revision_matches(pod, rev["metadata"]["name"]):
                return rev
        return None

    # ------------------------------------------------------------------ status and cleanup
    async def _write_status(self, sync: Sync) -> None:
        spec = sync.spec
        old = dict(sync.cs.get("status") or {})
        update_name = sync.update_revision["metadata"]["name"]
        counts = statusmod.counters(
            sync.pods,
            spec.replicas,
            spec.update_strategy.partition,
            update_name,
            spec.min_ready_seconds,
            sync.now,
        )
        new: Obj = {**old, **counts}
        new["observedGeneration"] = sync.cs["metadata"].get("generation", 0)
        new["updateRevision"] = update_name
        current = old.get("currentRevision") or sync.current_revision["metadata"]["name"]
        if counts["updatedReplicas"] == counts["replicas"] == spec.replicas:
            current = update_name
        new["currentRevision"] = current
        new["collisionCount"] = sync.collision_count
        new["labelSelector"] = statusmod.selector_string(spec.selector)
        conditions = list(old.get("conditions") or [])
        for ctype, err in (("FailedScale", sync.scale_error), ("FailedUpdate", sync.update_error)):
            if err is not None:
                conditions = statusmod.set_condition(
                    conditions, statusmod.failure_condition(ctype, err, sync.now)
                )
            else:
                conditions = statusmod.remove_condition(conditions, ctype)
        existing = next((c for c in conditions if c.get("type") == "Progressing"), None)
        if spec.progress_deadline_seconds is not None:
            cond = statusmod.progressing_condition(new, spec, existing, sync.now)
            conditions = statusmod.set_condition(conditions, cond)
            wait = statusmod.deadline_requeue(cond, spec.progress_deadline_seconds, sync.now)
            if wait is not None:
                sync.requeue.append(wait)
        else:
            conditions = statusmod.remove_condition(conditions, "Progressing")
        if conditions:
            new["conditions"] = conditions
        else:
            new.pop("conditions", None)
        if spec.min_ready_seconds > 0 and counts["readyReplicas"] > counts["availableReplicas"]:
            sync.requeue.append(1.0)
        if new == old:
            return
        body = {**sync.cs, "status": new}
        with contextlib.suppress(NotFound):
            await self.client.update_status(CLONESETS, body)

    async def _truncate_pods_to_delete(self, sync: Sync) -> None:
        names = sync.spec.scale_strategy.pods_to_delete
        if not names:
            return
        live = {p["metadata"]["name"] for p in sync.pods}
        kept = [n for n in names if n in live]
        if len(kept) == len(names):
            return
        ns, name = split_key(sync.key)
        patch = {"spec": {"scaleStrategy": {"podsToDelete": kept or None}}}
        with contextlib.suppress(NotFound):
            await self.client.patch(CLONESETS, name, patch, namespace=ns, patch_type="merge")

    async def _prune_history(self, sync: Sync) -> None:
        live = {podutil.labels(p).get(podutil.REVISION_LABEL, "") for p in sync.pods} - {""}
        doomed = revisions_to_prune(
            sync.revisions,
            sync.current_revision["metadata"]["name"],
            sync.update_revision["metadata"]["name"],
            live,
            sync.spec.revision_history_limit,
        )
        for rev in doomed:
            with contextlib.suppress(NotFound):
                await self.client.delete(
                    CONTROLLER_REVISIONS, rev["metadata"]["name"], namespace=rev["metadata"]["namespace"]
                )


def _lacks_template_hash(pod: Obj) -> bool:
    """Pods from before pod-template-hash was written get it back-filled."""
    labels = podutil.labels(pod)
    return bool(labels.get(podutil.REVISION_LABEL)) and podutil.POD_TEMPLATE_HASH_LABEL not in labels
