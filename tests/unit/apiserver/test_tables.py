"""Table columns and cells as kube-apiserver's printers produce them."""

from datetime import UTC, datetime, timedelta

import pytest

from kruise.apiserver.tables import age, column_definitions, human_duration, row_cells, row_conditions

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def ts(seconds_ago: float) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (59, "59s"),
        (119, "119s"),
        (120, "2m"),
        (182, "3m2s"),
        (600, "10m"),
        (179 * 60, "179m"),
        (3 * 3600, "3h"),
        (5 * 3600 + 180, "5h3m"),
        (47 * 3600, "47h"),
        (2 * 86400 + 3 * 3600, "2d3h"),
        (7 * 86400, "7d"),
        (400 * 86400, "400d"),
        (3 * 365 * 86400 + 20 * 86400, "3y20d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


def test_age():
    assert age(None, NOW) == "<unknown>"
    assert age(ts(45), NOW) == "45s"


def test_pod_columns():
    cols = column_definitions("", "pods")
    assert [(c["name"], c["priority"]) for c in cols] == [
        ("Name", 0),
        ("Ready", 0),
        ("Status", 0),
        ("Restarts", 0),
        ("Age", 0),
        ("IP", 1),
        ("Node", 1),
        ("Nominated Node", 1),
        ("Readiness Gates", 1),
    ]
    assert cols[0]["format"] == "name"


def mkpod(statuses, phase="Running", spec_extra=None, meta_extra=None, init_statuses=None, conditions=None):
    spec = {"containers": [{"name": s["name"]} for s in statuses] or [{"name": "a"}]}
    spec.update(spec_extra or {})
    status = {"phase": phase, "containerStatuses": statuses, "conditions": conditions or []}
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    meta = {"name": "p", "creationTimestamp": ts(3600)}
    meta.update(meta_extra or {})
    return {"metadata": meta, "spec": spec, "status": status}


RUNNING = {"running": {"startedAt": ts(100)}}


@pytest.mark.parametrize(
    ("pod", "ready", "status", "restarts"),
    [
        (
            mkpod(
                [
                    {"name": "a", "ready": True, "state": RUNNING},
                    {"name": "b", "ready": False, "state": RUNNING},
                ]
            ),
            "1/2",
            "Running",
            "0",
        ),
        (
            mkpod([{"name": "a", "ready": True, "state": RUNNING}], meta_extra={"deletionTimestamp": ts(1)}),
            "1/1",
            "Terminating",
            "0",
        ),
        (
            mkpod(
                [
                    {
                        "name": "a",
                        "restartCount": 2,
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                        "lastState": {"terminated": {"exitCode": 1, "finishedAt": ts(40)}},
                    }
                ]
            ),
            "0/1",
            "CrashLoopBackOff",
            "2 (40s ago)",
        ),
        (
            mkpod([{"name": "a", "state": {"waiting": {"reason": "ContainerCreating"}}}], phase="Pending"),
            "0/1",
            "ContainerCreating",
            "0",
        ),
        (
            mkpod(
                [{"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
                phase="Succeeded",
            ),
            "0/1",
            "Completed",
            "0",
        ),
        (
            mkpod([{"name": "a", "state": {"terminated": {"exitCode": 3}}}], phase="Failed"),
            "0/1",
            "ExitCode:3",
            "0",
        ),
        (
            mkpod(
                [{"name": "a", "state": {"waiting": {"reason": "PodInitializing"}}}],
                phase="Pending",
                spec_extra={"initContainers": [{"name": "i1"}, {"name": "i2"}]},
                init_statuses=[
                    {"name": "i1", "state": {"terminated": {"exitCode": 0}}},
                    {"name": "i2", "state": {"running": {}}},
                ],
            ),
            "0/1",
            "Init:1/2",
            "0",
        ),
        (
            mkpod(
                [],
                phase="Pending",
                spec_extra={"initContainers": [{"name": "i1"}]},
                init_statuses=[{"name": "i1", "state": {"waiting": {"reason": "ErrImagePull"}}}],
            ),
            "0/1",
            "Init:ErrImagePull",
            "0",
        ),
        (
            mkpod(
                [{"name": "a", "ready": True, "state": RUNNING}],
                spec_extra={"initContainers": [{"name": "side", "restartPolicy": "Always"}]},
                init_statuses=[{"name": "side", "started": True, "ready": True, "state": RUNNING}],
            ),
            "2/2",
            "Running",
            "0",
        ),
        (
            mkpod(
                [],
                phase="Pending",
                conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}],
            ),
            "0/1",
            "SchedulingGated",
            "0",
        ),
    ],
)
def test_pod_status_cells(pod, ready, status, restarts):
    cells = row_cells("", "pods", pod, NOW)
    assert cells[:5] == ["p", ready, status, restarts, "60m"]


def test_pod_wide_cells_and_conditions():
    pod = mkpod(
        [{"name": "a", "ready": True, "state": RUNNING}],
        spec_extra={"nodeName": "n1", "readinessGates": [{"conditionType": "x.io/ok"}]},
        conditions=[{"type": "x.io/ok", "status": "True"}],
    )
    pod["status"]["podIPs"] = [{"ip": "10.0.0.5"}]
    assert row_cells("", "pods", pod, NOW)[5:] == ["10.0.0.5", "n1", "<none>", "1/1"]
    assert row_conditions("", "pods", mkpod([], phase="Succeeded"))[0]["reason"] == "Succeeded"


def test_core_kinds():
    node = {
        "metadata": {
            "name": "n1",
            "creationTimestamp": ts(7200),
            "labels": {"node-role.kubernetes.io/control-plane": ""},
        },
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "nodeInfo": {"kubeletVersion": "v1.33.0"},
            "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
        },
    }
    assert row_cells("", "nodes", node, NOW) == [
        "n1",
        "Ready,SchedulingDisabled",
        "control-plane",
        "120m",
        "v1.33.0",
        "10.0.0.1",
        "<none>",
        "<unknown>",
        "<unknown>",
        "<unknown>",
    ]
    ns = {"metadata": {"name": "default", "creationTimestamp": ts(30)}, "status": {"phase": "Active"}}
    assert row_cells("", "namespaces", ns, NOW) == ["default", "Active", "30s"]
    cm = {
        "metadata": {"name": "c", "creationTimestamp": ts(5)},
        "data": {"a": "1"},
        "binaryData": {"b": "AA=="},
    }
    assert row_cells("", "configmaps", cm, NOW) == ["c", 2, "5s"]
    secret = {"metadata": {"name": "s", "creationTimestamp": ts(5)}, "type": "Opaque", "data": {"a": "MQ=="}}
    assert row_cells("", "secrets", secret, NOW) == ["s", "Opaque", 1, "5s"]
    svc = {
        "metadata": {"name": "web", "creationTimestamp": ts(5)},
        "spec": {
            "type": "NodePort",
            "clusterIPs": ["10.96.0.10"],
            "selector": {"app": "web"},
            "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
        },
    }
    assert row_cells("", "services", svc, NOW) == [
        "web",
        "NodePort",
        "10.96.0.10",
        "<none>",
        "80:30080/TCP,53/UDP",
        "5s",
        "app=web",
    ]
    ep = {
        "metadata": {"name": "web", "creationTimestamp": ts(5)},
        "subsets": [{"addresses": [{"ip": f"10.0.0.{i}"} for i in range(5)], "ports": [{"port": 80}]}],
    }
    assert row_cells("", "endpoints", ep, NOW)[1] == "10.0.0.0:80,10.0.0.1:80,10.0.0.2:80 + 2 more..."


def test_events():
    ev = {
        "metadata": {"name": "p.1"},
        "type": "Warning",
        "reason": "BackOff",
        "message": " Back-off \n",
        "involvedObject": {"kind": "Pod", "name": "p", "fieldPath": "spec.containers{a}"},
        "firstTimestamp": ts(300),
        "lastTimestamp": ts(10),
        "count": 4,
        "source": {"component": "kubelet", "host": "n1"},
    }
    assert [c["name"] for c in column_definitions("", "events")][:4] == [
        "Last Seen",
        "Type",
        "Reason",
        "Object",
    ]
    assert row_cells("", "events", ev, NOW) == [
        "10s",
        "Warning",
        "BackOff",
        "pod/p",
        "spec.containers{a}",
        "kubelet, n1",
        "Back-off",
        "5m",
        4,
        "p.1",
    ]


def test_workloads():
    dep = {
        "metadata": {"name": "d", "creationTimestamp": ts(60)},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "d"}},
            "template": {"spec": {"containers": [{"name": "a", "image": "nginx"}]}},
        },
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }
    assert [c["name"] for c in column_definitions("apps", "deployments")][:5] == [
        "Name",
        "Ready",
        "Up-to-date",
        "Available",
        "Age",
    ]
    assert row_cells("apps", "deployments", dep, NOW) == ["d", "2/3", 3, 2, "60s", "a", "nginx", "app=d"]
    job = {
        "metadata": {"name": "j", "creationTimestamp": ts(60)},
        "spec": {"completions": 2},
        "status": {
            "succeeded": 2,
            "startTime": ts(60),
            "completionTime": ts(10),
            "conditions": [{"type": "Complete", "status": "True"}],
        },
    }
    assert row_cells("batch", "jobs", job, NOW)[:5] == ["j", "Complete", "2/2", "50s", "60s"]
    rev = {
        "metadata": {
            "name": "web-abc",
            "creationTimestamp": ts(5),
            "ownerReferences": [
                {
                    "apiVersion": "apps.kruise.io/v1alpha1",
                    "kind": "CloneSet",
                    "name": "web",
                    "controller": True,
                }
            ],
        },
        "revision": 3,
    }
    assert row_cells("apps", "controllerrevisions", rev, NOW) == [
        "web-abc",
        "cloneset.apps.kruise.io/web",
        3,
        "5s",
    ]
    pdb = {
        "metadata": {"name": "b", "creationTimestamp": ts(5)},
        "spec": {"minAvailable": "50%"},
        "status": {"disruptionsAllowed": 1},
    }
    assert row_cells("policy", "poddisruptionbudgets", pdb, NOW) == ["b", "50%", "N/A", 1, "5s"]


def test_pvc_capacity_is_canonical():
    pvc = {
        "metadata": {"name": "data", "creationTimestamp": ts(5)},
        "spec": {"volumeName": "pv1", "storageClassName": "standard"},
        "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1024Mi"}},
    }
    assert row_cells("", "persistentvolumeclaims", pvc, NOW) == [
        "data",
        "Bound",
        "pv1",
        "1Gi",
        "RWO",
        "standard",
        "<unset>",
        "5s",
        "<unset>",
    ]


def test_default_table_for_other_resources():
    cols = column_definitions("apiextensions.k8s.io", "customresourcedefinitions")
    assert [(c["name"], c["type"], c["format"]) for c in cols] == [
        ("Name", "string", "name"),
        ("Created At", "date", ""),
    ]
    crd = {"metadata": {"name": "clonesets.apps.kruise.io", "creationTimestamp": "2024-01-02T03:04:05Z"}}
    assert row_cells("apiextensions.k8s.io", "customresourcedefinitions", crd, NOW) == [
        "clonesets.apps.kruise.io",
        "2024-01-02T03:04:05Z",
    ]
    assert row_cells("example.io", "widgets", {"metadata": {"name": "w"}}, NOW) == [
        "w",
        "0001-01-01T00:00:00Z",
    ]


@pytest.mark.parametrize(
    ("group", "resource", "names"),
    [
        ("", "configmaps", ["Name", "Data", "Age"]),
        ("", "secrets", ["Name", "Type", "Data", "Age"]),
        ("", "namespaces", ["Name", "Status", "Age"]),
        ("apps", "statefulsets", ["Name", "Ready", "Age", "Containers", "Images"]),
        ("coordination.k8s.io", "leases", ["Name", "Holder", "Age"]),
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations", ["Name", "Webhooks", "Age"]),
    ],
)
def test_column_names(group, resource, names):
    assert [c["name"] for c in column_definitions(group, resource)] == names
