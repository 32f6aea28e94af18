"""CloneSet end to end: `kruise up` with real processes, driven with kubectl and the official client."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch

from tests.cluster import Up

pytestmark = pytest.mark.e2e

Obj = dict[str, Any]
REVISION = "controller-revision-hash"
STATE = "lifecycle.apps.kruise.io/state"


# upstream CloneSet printer columns, as kubectl shows them for both served versions
PRINTER_COLUMNS = [
    *("NAME", "DESIRED", "UPDATED", "UPDATED_READY", "UPDATED_AVAILABLE"),
    *("READY", "TOTAL", "AGE"),
]


def cloneset(name: str, replicas: int, image: str = "busybox:1.36", **spec: Any) -> Obj:
    template_labels = {"app": name, **spec.pop("template_labels", {})}
    container: Obj = {"name": "main", "image": image, "env": [{"name": "MODE", "value": "a"}]}
    return {
        "apiVersion": "apps.kruise.io/v1alpha1",
        "kind": "CloneSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": template_labels}, "spec": {"containers": [container]}},
            **spec,
        },
    }


def apply(up: Up, ns: str, obj: Obj, check: bool = True) -> Any:
    return up.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(obj), check=check)


def status(up: Up, ns: str, name: str) -> Obj:
    # the storage version: reading it needs no conversion webhook (the manager may be restarting)
    return up.get("clonesets.v1alpha1.apps.kruise.io", name, "-n", ns).get("status") or {}


def pods(up: Up, ns: str, name: str) -> list[Obj]:
    items = up.get("pods", "-n", ns, "-l", f"app={name}")["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def wait_status(up: Up, ns: str, name: str, timeout: float = 90, **want: Any) -> Obj:
    seen: Obj = {}

    def done() -> bool:
        nonlocal seen
        seen = status(up, ns, name)
        return all(seen.get(k) == v for k, v in want.items())

    try:
        up.wait_for(done, f"status {want}", timeout)
    except AssertionError as e:
        raise AssertionError(f"{e}; last status {seen}") from None
    return seen


def container_status(pod: Obj, name: str = "main") -> Obj:
    return next(s for s in pod["status"]["containerStatuses"] if s["name"] == name)


def condition(obj: Obj, ctype: str) -> Obj | None:
    return next((c for c in obj.get("conditions") or [] if c["type"] == ctype), None)


# ---------------------------------------------------------------------------- basics
def test_defaults_ready_columns_and_scale(cluster: Up, ns: str) -> None:
    apply(cluster, ns, cloneset("web", 3))
    spec = cluster.get("clonesets.v1alpha1.apps.kruise.io", "web", "-n", ns)["spec"]
    strategy = spec["updateStrategy"]
    assert (strategy["type"], strategy["partition"], strategy["maxUnavailable"], strategy["maxSurge"]) == (
        "ReCreate",
        0,
        "20%",
        0,
    )
    assert spec["revisionHistoryLimit"] == 10
    st = wait_status(cluster, ns, "web", readyReplicas=3, availableReplicas=3, updatedReplicas=3)
    assert st["replicas"] == 3 and st["currentRevision"] == st["updateRevision"]
    assert st["labelSelector"] == "app=web"
    items = pods(cluster, ns, "web")
    assert len(items) == 3
    for p in items:
        labels = p["metadata"]["labels"]
        iid = labels["apps.kruise.io/cloneset-instance-id"]
        assert p["metadata"]["name"] == f"web-{iid}" and len(iid) == 5
        assert labels[REVISION] == st["updateRevision"]
        assert labels["pod-template-hash"] == st["updateRevision"].rsplit("-", 1)[1]
        assert labels[STATE] == "Normal"
        assert {"conditionType": "InPlaceUpdateReady"} in p["spec"]["readinessGates"]
        assert condition(p["status"], "InPlaceUpdateReady")["status"] == "True"
        assert p["metadata"]["ownerReferences"][0]["kind"] == "CloneSet"
    header = cluster.kubectl("get", "cloneset", "-n", ns).stdout.splitlines()[0].split()
    assert header == PRINTER_COLUMNS
    cluster.kubectl("scale", "cloneset", "web", "-n", ns, "--replicas=4")
    wait_status(cluster, ns, "web", readyReplicas=4, replicas=4)
    revisions = cluster.get("controllerrevisions", "-n", ns)["items"]
    assert [r["metadata"]["name"] for r in revisions] == [st["updateRevision"]]


def test_v1beta1_cloneset_runs_and_reads_back_as_v1alpha1(cluster: Up, ns: str) -> None:
    beta = cloneset("beta", 2)
    beta["apiVersion"] = "apps.kruise.io/v1beta1"
    beta["spec"]["updateStrategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"podUpdatePolicy": "InPlaceIfPossible", "maxUnavailable": 1},
    }
    apply(cluster, ns, beta)
    wait_status(cluster, ns, "beta", readyReplicas=2, updatedReplicas=2)
    alpha = cluster.get("clonesets.v1alpha1.apps.kruise.io", "beta", "-n", ns)
    assert alpha["apiVersion"] == "apps.kruise.io/v1alpha1"
    strategy = alpha["spec"]["updateStrategy"]
    assert (strategy["type"], strategy["maxUnavailable"], strategy["partition"]) == (
        "InPlaceIfPossible",
        1,
        0,
    )
    again = cluster.get("clonesets.v1beta1.apps.kruise.io", "beta", "-n", ns)
    assert again["spec"]["updateStrategy"]["rollingUpdate"]["podUpdatePolicy"] == "InPlaceIfPossible"
    lines = cluster.kubectl("get", "clonesets.v1beta1.apps.kruise.io", "beta", "-n", ns).stdout.splitlines()
    assert lines[0].split() == PRINTER_COLUMNS
    assert lines[1].split()[:7] == ["beta", "2", "2", "2", "2", "2", "2"]


def test_in_place_update_with_partition(cluster: Up, ns: str) -> None:
    apply(
        cluster,
        ns,
        cloneset(
            "ip",
            5,
            updateStrategy={"type": "InPlaceIfPossible", "partition": 3},
            progressDeadlineSeconds=600,
        ),
    )
    st = wait_status(cluster, ns, "ip", readyReplicas=5, updatedReplicas=5)
    first_revision = st["updateRevision"]
    before = {p["metadata"]["name"]: p for p in pods(cluster, ns, "ip")}
    cluster.kubectl(
        "patch",
        "cloneset",
        "ip",
        "-n",
        ns,
        "--type=json",
        "-p",
        '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"busybox:1.37"}]',
    )
    st = wait_status(cluster, ns, "ip", updatedReplicas=2, updatedReadyReplicas=2, readyReplicas=5)
    assert st["currentRevision"] == first_revision != st["updateRevision"]
    assert st["expectedUpdatedReplicas"] == 2
    after = {p["metadata"]["name"]: p for p in pods(cluster, ns, "ip")}
    assert after.keys() == before.keys()
    updated = [n for n, p in after.items() if p["metadata"]["labels"][REVISION] == st["updateRevision"]]
    assert len(updated) == 2
    for name, pod in after.items():
        old = before[name]
        assert pod["metadata"]["uid"] == old["metadata"]["uid"]
        assert pod["status"]["podIP"] == old["status"]["podIP"]
        assert pod["spec"]["nodeName"] == old["spec"]["nodeName"]
        restarts = container_status(pod)["restartCount"] - container_status(old)["restartCount"]
        if name in updated:
            assert restarts == 1
            assert container_status(pod)["image"].endswith("busybox:1.37")
            assert container_status(pod)["imageID"] != container_status(old)["imageID"]
            state = json.loads(pod["metadata"]["annotations"]["apps.kruise.io/inplace-update-state"])
            assert state["revision"] == st["updateRevision"]
        else:
            assert restarts == 0
            assert pod["metadata"]["labels"][REVISION] == first_revision
    progressing = condition(st, "Progressing")
    assert progressing is not None
    assert (progressing["status"], progressing["reason"]) == ("True", "ProgressPartitionAvailable")


def test_env_change_recreates_under_in_place_if_possible_and_is_rejected_in_place_only(
    cluster: Up, ns: str
) -> None:
    cs = cloneset("env", 2, updateStrategy={"type": "InPlaceIfPossible", "maxUnavailable": 1})
    apply(cluster, ns, cs)
    wait_status(cluster, ns, "env", readyReplicas=2, updatedReplicas=2)
    uids = {p["metadata"]["uid"] for p in pods(cluster, ns, "env")}
    cs["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = "b"
    apply(cluster, ns, cs)
    st = wait_status(
        cluster, ns, "env", updatedReplicas=2, updatedReadyReplicas=2, readyReplicas=2, replicas=2
    )
    assert st["currentRevision"] == st["updateRevision"]
    now = pods(cluster, ns, "env")
    assert len(now) == 2 and not uids & {p["metadata"]["uid"] for p in now}

    only = cloneset("only", 1, updateStrategy={"type": "InPlaceOnly"})
    apply(cluster, ns, only)
    only["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = "b"
    out = apply(cluster, ns, only, check=False)
    assert out.returncode != 0
    assert "InPlaceOnly" in out.stderr, out.stderr


def test_a_label_read_by_env_restarts_the_container_in_place_through_the_daemon(cluster: Up, ns: str) -> None:
    # InPlaceUpdateEnvFromMetadata: the manager relabels the Pod, kruise-daemon (in the node
    # process) stops the container whose env still has the old value, the kubelet starts it again
    cs = cloneset(
        "tier",
        2,
        updateStrategy={"type": "InPlaceIfPossible", "maxUnavailable": 1},
        template_labels={"tier": "a"},
    )
    main = cs["spec"]["template"]["spec"]["containers"][0]
    main["command"] = ["sh", "-c", 'echo "TIER=$TIER"; exec sleep 3600']
    main["env"].append({"name": "TIER", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['tier']"}}})
    apply(cluster, ns, cs)
    wait_status(cluster, ns, "tier", readyReplicas=2, updatedReplicas=2)

    def reported() -> dict[str, Obj]:
        out = {}
        for p in pods(cluster, ns, "tier"):
            raw = (p["metadata"].get("annotations") or {}).get("apps.kruise.io/runtime-containers-meta")
            if raw:
                out[p["metadata"]["name"]] = json.loads(raw)["containers"][0]
        return out

    cluster.wait_for(lambda: len(reported()) == 2, "kruise-daemon reported both pods' containers")
    before = {p["metadata"]["name"]: p for p in pods(cluster, ns, "tier")}
    for name, meta in reported().items():
        assert meta["containerID"] == container_status(before[name])["containerID"]
        assert meta["restartCount"] == 0 and meta["hashes"]["extractedEnvFromMetadataHash"] > 0

    cs["spec"]["template"]["metadata"]["labels"]["tier"] = "b"
    apply(cluster, ns, cs)
    st = wait_status(cluster, ns, "tier", updatedReplicas=2, updatedReadyReplicas=2, readyReplicas=2)
    assert st["currentRevision"] == st["updateRevision"]
    after = {p["metadata"]["name"]: p for p in pods(cluster, ns, "tier")}
    assert {p["metadata"]["uid"] for p in after.values()} == {p["metadata"]["uid"] for p in before.values()}
    for name, p in after.items():
        assert p["metadata"]["labels"]["tier"] == "b"
        status = container_status(p)
        assert status["restartCount"] == 1
        assert status["containerID"] != container_status(before[name])["containerID"]
        assert condition(p["status"], "InPlaceUpdateReady")["status"] == "True"
        assert cluster.kubectl("logs", "-n", ns, name).stdout.strip() == "TIER=b"
        assert cluster.kubectl("logs", "-n", ns, name, "--previous").stdout.strip() == "TIER=a"
    cluster.wait_for(
        lambda: all(
            m["containerID"] == container_status(after[n])["containerID"] for n, m in reported().items()
        ),
        "the new containers reported",
    )


# ---------------------------------------------------------------------------- rollouts under watch
class PodWatch:
    """Every Pod event in a namespace, through the official client, with a check run per event."""

    def __init__(self, up: Up, ns: str, check: Any) -> None:
        k8s_config.load_kube_config(config_file=str(up.kubeconfig))
        self.api = k8s.CoreV1Api()
        self.ns = ns
        self.check = check
        self.pods: dict[str, Obj] = {}
        self.violations: list[str] = []
        self.events = 0
        self.watch = k8s_watch.Watch()
        self.stopping = False
        # the starting state comes from a list, so the check never sees a half-loaded namespace
        listed = self.api.list_namespaced_pod(ns)
        for item in listed.items:
            pod = self.api.api_client.sanitize_for_serialization(item)
            self.pods[pod["metadata"]["name"]] = pod
        self.thread = threading.Thread(
            target=self._run, args=(listed.metadata.resource_version,), daemon=True
        )
        self.thread.start()

    def _run(self, resource_version: str) -> None:
        try:
            stream = self.watch.stream(
                self.api.list_namespaced_pod, self.ns, resource_version=resource_version, _request_timeout=300
            )
            for event in stream:
                pod = self.api.api_client.sanitize_for_serialization(event["object"])
                if event["type"] == "DELETED":
                    self.pods.pop(pod["metadata"]["name"], None)
                else:
                    self.pods[pod["metadata"]["name"]] = pod
                self.events += 1
                problem = self.check(list(self.pods.values()))
                if problem:
                    self.violations.append(problem)
        except Exception as e:
            if not self.stopping:
                self.violations.append(f"watch failed: {e!r}")

    def stop(self) -> None:
        self.stopping = True
        self.watch.stop()


def available(pod: Obj) -> bool:
    if pod["metadata"].get("deletionTimestamp"):
        return False
    conds = {c["type"]: c["status"] for c in pod.get("status", {}).get("conditions") or []}
    return conds.get("Ready") == "True" and conds.get("InPlaceUpdateReady") != "False"


def test_max_unavailable_is_never_exceeded_in_a_rollout_of_20(cluster: Up, ns: str) -> None:
    cs = cloneset("many", 20, updateStrategy={"type": "ReCreate", "maxUnavailable": 3})
    apply(cluster, ns, cs)
    wait_status(cluster, ns, "many", readyReplicas=20, availableReplicas=20, timeout=120)

    def check(items: list[Obj]) -> str | None:
        down = 20 - sum(available(p) for p in items)
        return f"{down} unavailable" if down > 3 else None

    watcher = PodWatch(cluster, ns, check)
    try:
        cs["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:1.37"
        apply(cluster, ns, cs)
        st = wait_status(
            cluster,
            ns,
            "many",
            updatedReplicas=20,
            updatedReadyReplicas=20,
            availableReplicas=20,
            timeout=180,
        )
    finally:
        watcher.stop()
    assert st["currentRevision"] == st["updateRevision"] and st["replicas"] == 20
    assert watcher.events > 40
    assert watcher.violations == []


def test_max_surge_never_exceeds_replicas_plus_one(cluster: Up, ns: str) -> None:
    cs = cloneset("surge", 4, updateStrategy={"type": "ReCreate", "maxSurge": 1, "maxUnavailable": 0})
    apply(cluster, ns, cs)
    wait_status(cluster, ns, "surge", readyReplicas=4)
    peak = 0

    def check(items: list[Obj]) -> str | None:
        nonlocal peak
        live = sum(1 for p in items if not p["metadata"].get("deletionTimestamp"))
        peak = max(peak, live)
        return f"{live} pods" if live > 5 else None

    watcher = PodWatch(cluster, ns, check)
    try:
        cs["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:1.37"
        apply(cluster, ns, cs)
        wait_status(cluster, ns, "surge", updatedReplicas=4, updatedReadyReplicas=4, replicas=4, timeout=120)
    finally:
        watcher.stop()
    assert watcher.violations == []
    assert peak == 5
    assert len(pods(cluster, ns, "surge")) == 4


# ---------------------------------------------------------------------------- lifecycle hooks
def test_pre_delete_hook_holds_a_scaled_in_pod_until_its_label_is_removed(cluster: Up, ns: str) -> None:
    cs = cloneset(
        "hold",
        3,
        template_labels={"hold": "true"},
        lifecycle={"preDelete": {"labelsHandler": {"hold": "true"}}},
    )
    apply(cluster, ns, cs)
    wait_status(cluster, ns, "hold", readyReplicas=3)
    cluster.kubectl("scale", "cloneset", "hold", "-n", ns, "--replicas=2")

    def waiting() -> list[Obj]:
        return [p for p in pods(cluster, ns, "hold") if p["metadata"]["labels"][STATE] == "PreparingDelete"]

    cluster.wait_for(lambda: len(waiting()) == 1, "one pod in PreparingDelete")
    held = waiting()[0]["metadata"]["name"]
    # the pod stays while hooked: several reconciles later it is still there and still waiting
    cluster.kubectl("annotate", "cloneset", "hold", "-n", ns, "poke=1")
    wait_status(cluster, ns, "hold", availableReplicas=2, replicas=3)
    assert [p["metadata"]["name"] for p in waiting()] == [held]
    cluster.kubectl("label", "pod", held, "-n", ns, "hold-")
    cluster.wait_for(
        lambda: held not in {p["metadata"]["name"] for p in pods(cluster, ns, "hold")}, "deletion"
    )
    st = wait_status(cluster, ns, "hold", replicas=2, readyReplicas=2)
    assert st["availableReplicas"] == 2


def test_in_place_update_hook_holds_pods_in_preparing_update(cluster: Up, ns: str) -> None:
    cs = cloneset(
        "gate",
        2,
        template_labels={"lb": "on"},
        updateStrategy={"type": "InPlaceIfPossible", "maxUnavailable": 2},
        lifecycle={"inPlaceUpdate": {"labelsHandler": {"lb": "on"}}},
    )
    apply(cluster, ns, cs)
    wait_status(cluster, ns, "gate", readyReplicas=2, availableReplicas=2)
    cs["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:1.37"
    apply(cluster, ns, cs)

    def states() -> dict[str, str]:
        return {p["metadata"]["name"]: p["metadata"]["labels"][STATE] for p in pods(cluster, ns, "gate")}

    cluster.wait_for(lambda: set(states().values()) == {"PreparingUpdate"}, "both pods in PreparingUpdate")
    st = wait_status(cluster, ns, "gate", availableReplicas=0)
    assert st["updatedReplicas"] == 0
    for p in pods(cluster, ns, "gate"):
        assert p["spec"]["containers"][0]["image"] == "busybox:1.36"
    # the load balancer lets go of one pod: it is updated in place and waits in Updated for the label
    first = sorted(states())[0]
    cluster.kubectl("label", "pod", first, "-n", ns, "lb-")
    cluster.wait_for(lambda: states()[first] == "Updated", "the released pod updated")
    pod = next(p for p in pods(cluster, ns, "gate") if p["metadata"]["name"] == first)
    assert pod["spec"]["containers"][0]["image"] == "busybox:1.37"
    assert states()[sorted(states())[1]] == "PreparingUpdate"
    cluster.kubectl("label", "pod", first, "-n", ns, "lb=on")
    cluster.wait_for(lambda: states()[first] == "Normal", "the pod back to Normal once the label is back")


def test_pre_normal_finalizers_keep_pods_unavailable(cluster: Up, ns: str) -> None:
    cs = cloneset("warm", 2, lifecycle={"preNormal": {"finalizersHandler": ["example.com/registered"]}})
    apply(cluster, ns, cs)
    st = wait_status(cluster, ns, "warm", readyReplicas=2)
    assert st["availableReplicas"] == 0
    assert {p["metadata"]["labels"][STATE] for p in pods(cluster, ns, "warm")} == {"PreparingNormal"}
    for p in pods(cluster, ns, "warm"):
        cluster.kubectl(
            "patch",
            "pod",
            p["metadata"]["name"],
            "-n",
            ns,
            "--type=json",
            "-p",
            '[{"op":"add","path":"/metadata/finalizers","value":["example.com/registered"]}]',
        )
    wait_status(cluster, ns, "warm", availableReplicas=2)
    assert {p["metadata"]["labels"][STATE] for p in pods(cluster, ns, "warm")} == {"Normal"}
    for p in pods(cluster, ns, "warm"):  # let the namespace go away
        cluster.kubectl(
            "patch",
            "pod",
            p["metadata"]["name"],
            "-n",
            ns,
            "--type=merge",
            "-p",
            '{"metadata":{"finalizers":null}}',
        )


# ---------------------------------------------------------------------------- specified delete, PVCs
def test_pods_to_delete_and_specified_delete_label(cluster: Up, ns: str) -> None:
    apply(cluster, ns, cloneset("pick", 3, updateStrategy={"maxUnavailable": 1}))
    wait_status(cluster, ns, "pick", readyReplicas=3)
    names = sorted(p["metadata"]["name"] for p in pods(cluster, ns, "pick"))
    victim, labelled, keeper = names
    cluster.kubectl(
        "patch",
        "cloneset",
        "pick",
        "-n",
        ns,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"scaleStrategy": {"podsToDelete": [victim]}}}),
    )
    cluster.wait_for(
        lambda: victim not in {p["metadata"]["name"] for p in pods(cluster, ns, "pick")}, "victim gone"
    )
    wait_status(cluster, ns, "pick", readyReplicas=3, replicas=3)
    cluster.wait_for(
        lambda: (
            not cluster.get("cloneset", "pick", "-n", ns)["spec"].get("scaleStrategy", {}).get("podsToDelete")
        ),
        "podsToDelete truncated",
    )
    cluster.kubectl("label", "pod", labelled, "-n", ns, "apps.kruise.io/specified-delete=true")
    cluster.wait_for(
        lambda: labelled not in {p["metadata"]["name"] for p in pods(cluster, ns, "pick")}, "gone"
    )
    wait_status(cluster, ns, "pick", readyReplicas=3, replicas=3)
    remaining = {p["metadata"]["name"] for p in pods(cluster, ns, "pick")}
    assert (
        keeper in remaining and victim not in remaining and labelled not in remaining and len(remaining) == 3
    )


def test_scale_down_follows_the_templates_topology_spread_constraints(cluster: Up, ns: str) -> None:
    # Only the first node carries the topology key: pods there rank above pods on nodes without it,
    # so a scale down takes them first (with same-node ranking alone, it would take one per node).
    node_names = sorted(n["metadata"]["name"] for n in cluster.get("nodes")["items"])
    key, zoned = f"test.kruise.io/zone-{ns}", node_names[0]
    cluster.kubectl("label", "node", zoned, f"{key}=a")
    try:
        obj = cloneset("spread", 4)
        template_spec = obj["spec"]["template"]["spec"]
        template_spec["containers"][0]["resources"] = {"requests": {"cpu": "100m", "memory": "64Mi"}}
        template_spec["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": key,
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app": "spread"}},
            }
        ]
        apply(cluster, ns, obj)
        wait_status(cluster, ns, "spread", readyReplicas=4, replicas=4)
        before = Counter(p["spec"]["nodeName"] for p in pods(cluster, ns, "spread"))
        assert before[zoned] >= 2, f"the scheduler did not spread the pods: {before}"
        cluster.kubectl("scale", "cloneset", "spread", "-n", ns, "--replicas=2")
        cluster.wait_for(lambda: len(pods(cluster, ns, "spread")) == 2, "scaled down to 2 pods")
        after = Counter(p["spec"]["nodeName"] for p in pods(cluster, ns, "spread"))
        assert after[zoned] == before[zoned] - 2, (before, after)
        wait_status(cluster, ns, "spread", readyReplicas=2, replicas=2)
    finally:
        cluster.kubectl("label", "node", zoned, f"{key}-")


def test_pvcs_per_instance_and_reuse_after_pod_deletion(cluster: Up, ns: str) -> None:
    claims = [
        {
            "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
        for name in ("data", "logs")
    ]
    apply(cluster, ns, cloneset("disk", 4, volumeClaimTemplates=claims))
    wait_status(cluster, ns, "disk", readyReplicas=4)
    pvcs = cluster.get("pvc", "-n", ns)["items"]
    assert len(pvcs) == 8
    ids = {p["metadata"]["labels"]["apps.kruise.io/cloneset-instance-id"] for p in pods(cluster, ns, "disk")}
    assert {c["metadata"]["name"] for c in pvcs} == {f"{c}-disk-{i}" for c in ("data", "logs") for i in ids}
    pod = pods(cluster, ns, "disk")[0]
    iid = pod["metadata"]["labels"]["apps.kruise.io/cloneset-instance-id"]
    volumes = {
        v["name"]: v["persistentVolumeClaim"]["claimName"]
        for v in pod["spec"]["volumes"]
        if "persistentVolumeClaim" in v
    }
    assert volumes == {"data": f"data-disk-{iid}", "logs": f"logs-disk-{iid}"}
    cluster.kubectl("delete", "pod", pod["metadata"]["name"], "-n", ns, "--wait=false")

    def replaced() -> bool:
        now = pods(cluster, ns, "disk")
        return len(now) == 4 and all(p["metadata"]["uid"] != pod["metadata"]["uid"] for p in now)

    cluster.wait_for(replaced, "a replacement pod")
    again = {
        p["metadata"]["labels"]["apps.kruise.io/cloneset-instance-id"] for p in pods(cluster, ns, "disk")
    }
    assert again == ids  # the replacement took over the deleted pod's id and claims
    assert len(cluster.get("pvc", "-n", ns)["items"]) == 8

    # scale-in deletes the removed Pod's claims, and only those
    cluster.kubectl("scale", "cloneset", "disk", "-n", ns, "--replicas=3")
    wait_status(cluster, ns, "disk", replicas=3, readyReplicas=3)

    def claims_follow_pods() -> bool:
        kept = {
            p["metadata"]["labels"]["apps.kruise.io/cloneset-instance-id"] for p in pods(cluster, ns, "disk")
        }
        names = {c["metadata"]["name"] for c in cluster.get("pvc", "-n", ns)["items"]}
        return len(kept) == 3 and names == {f"{c}-disk-{i}" for c in ("data", "logs") for i in kept}

    cluster.wait_for(claims_follow_pods, "the scaled-in pod's 2 claims deleted, 6 kept")


# ---------------------------------------------------------------------------- resources in place
def test_cpu_change_resizes_in_place_and_a_qos_change_recreates(cluster: Up, ns: str) -> None:
    cs = cloneset("fit", 2, updateStrategy={"type": "InPlaceIfPossible", "maxUnavailable": 2})
    container = cs["spec"]["template"]["spec"]["containers"][0]
    container["resources"] = {"requests": {"cpu": "100m", "memory": "64Mi"}}
    apply(cluster, ns, cs)
    wait_status(cluster, ns, "fit", readyReplicas=2, updatedReplicas=2)
    before = {p["metadata"]["uid"]: p for p in pods(cluster, ns, "fit")}

    container["resources"] = {"requests": {"cpu": "200m", "memory": "64Mi"}}  # Burstable stays Burstable
    apply(cluster, ns, cs)
    st = wait_status(cluster, ns, "fit", updatedReplicas=2, updatedReadyReplicas=2, readyReplicas=2)
    assert st["currentRevision"] == st["updateRevision"]

    def resized() -> bool:
        now = pods(cluster, ns, "fit")
        return all(
            container_status(p).get("resources", {}).get("requests", {}).get("cpu") == "200m" for p in now
        )

    cluster.wait_for(resized, "the new requests applied by the node")
    after = pods(cluster, ns, "fit")
    assert {p["metadata"]["uid"] for p in after} == set(before)
    for p in after:
        old = before[p["metadata"]["uid"]]
        assert p["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "200m"
        assert container_status(p)["containerID"] == container_status(old)["containerID"]
        assert container_status(p)["restartCount"] == container_status(old)["restartCount"]

    # requests == limits makes the pod Guaranteed: a different QoS class cannot be resized
    container["resources"] = {
        "requests": {"cpu": "200m", "memory": "64Mi"},
        "limits": {"cpu": "200m", "memory": "64Mi"},
    }
    apply(cluster, ns, cs)
    wait_status(cluster, ns, "fit", updatedReplicas=2, updatedReadyReplicas=2, readyReplicas=2, replicas=2)
    assert not {p["metadata"]["uid"] for p in pods(cluster, ns, "fit")} & set(before)


# ---------------------------------------------------------------------------- paused, OnDelete, history
def set_image(up: Up, ns: str, name: str, image: str) -> None:
    patch = [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": image}]
    up.kubectl(
        "patch", "clonesets.v1alpha1.apps.kruise.io", name, "-n", ns, "--type=json", "-p", json.dumps(patch)
    )


def revision_names(up: Up, ns: str) -> set[str]:
    return {r["metadata"]["name"] for r in up.get("controllerrevisions", "-n", ns)["items"]}


def test_paused_holds_the_rollout_and_history_is_truncated(cluster: Up, ns: str) -> None:
    cs = cloneset(
        "hist", 2, revisionHistoryLimit=1, updateStrategy={"type": "InPlaceIfPossible", "paused": True}
    )
    apply(cluster, ns, cs)
    first = wait_status(cluster, ns, "hist", readyReplicas=2)["updateRevision"]
    set_image(cluster, ns, "hist", "busybox:1.37")
    st = wait_status(cluster, ns, "hist", observedGeneration=2)
    assert st["updateRevision"] != first and st["updatedReplicas"] == 0 and st["currentRevision"] == first
    assert {p["metadata"]["labels"][REVISION] for p in pods(cluster, ns, "hist")} == {first}
    cluster.kubectl(
        "patch", "clonesets.v1alpha1.apps.kruise.io", "hist", "-n", ns, "--type=merge",
        "-p", '{"spec":{"updateStrategy":{"paused":false}}}',
    )  # fmt: skip
    second = wait_status(cluster, ns, "hist", updatedReadyReplicas=2, readyReplicas=2)["updateRevision"]
    set_image(cluster, ns, "hist", "busybox:1.38")
    third = wait_status(cluster, ns, "hist", updatedReadyReplicas=2, readyReplicas=2, observedGeneration=4)
    # current = update = third; one revision of history (the second); the first is pruned
    cluster.wait_for(
        lambda: revision_names(cluster, ns) == {third["updateRevision"], second}, "history pruned"
    )
    assert first not in revision_names(cluster, ns)


def test_v1beta1_on_delete_updates_only_pods_that_are_deleted(cluster: Up, ns: str) -> None:
    beta = cloneset("ondel", 2)
    beta["apiVersion"] = "apps.kruise.io/v1beta1"
    beta["spec"]["updateStrategy"] = {"type": "OnDelete"}
    apply(cluster, ns, beta)
    first = wait_status(cluster, ns, "ondel", readyReplicas=2)["updateRevision"]
    set_image(cluster, ns, "ondel", "busybox:1.37")
    st = wait_status(cluster, ns, "ondel", observedGeneration=2)
    assert st["updateRevision"] != first and st["updatedReplicas"] == 0
    victim = sorted(p["metadata"]["name"] for p in pods(cluster, ns, "ondel"))[0]
    cluster.kubectl("delete", "pod", victim, "-n", ns, "--wait=false")
    st = wait_status(cluster, ns, "ondel", updatedReplicas=1, readyReplicas=2, replicas=2)
    revisions = sorted(p["metadata"]["labels"][REVISION] for p in pods(cluster, ns, "ondel"))
    assert revisions == sorted([first, st["updateRevision"]])


def test_disable_pvc_reuse_gives_a_replacement_fresh_claims(cluster: Up, ns: str) -> None:
    claim = {
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    cs = cloneset("fresh", 2, volumeClaimTemplates=[claim], scaleStrategy={"disablePVCReuse": True})
    apply(cluster, ns, cs)
    wait_status(cluster, ns, "fresh", readyReplicas=2)
    pod = pods(cluster, ns, "fresh")[0]
    old_id = pod["metadata"]["labels"]["apps.kruise.io/cloneset-instance-id"]
    cluster.kubectl("delete", "pod", pod["metadata"]["name"], "-n", ns, "--wait=false")

    def claims() -> set[str]:
        return {c["metadata"]["name"] for c in cluster.get("pvc", "-n", ns)["items"]}

    def settled() -> bool:
        now = pods(cluster, ns, "fresh")
        ids = {p["metadata"]["labels"]["apps.kruise.io/cloneset-instance-id"] for p in now}
        return len(now) == 2 and old_id not in ids and claims() == {f"data-fresh-{i}" for i in ids}

    cluster.wait_for(settled, "a replacement with a new id and only live claims")
