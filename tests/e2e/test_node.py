"""`kruise node --runtime process` against a real `kruise apiserver`: Pods bound to the node run as
real processes, driven and observed with kubectl and plain HTTP, as a user would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import REPO, ServerProcess

pytestmark = pytest.mark.e2e

Obj = dict[str, Any]
PY_SLEEPER = (
    "import signal,sys,time\n"
    "def stop(*_):\n"
    "    open(sys.argv[1], 'w').write(repr(time.time()))\n"
    "    time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 0)\n"
    "    sys.exit(0)\n"
    "signal.signal(signal.SIGTERM, stop)\n"
    "while True: time.sleep(3600)\n"
)


class NodeProcess:
    def __init__(self, server: ServerProcess, name: str, data_dir: Path, *extra: str) -> None:
        self.server, self.name, self.data_dir, self.extra = server, name, data_dir, extra
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self) -> None:
        log = (self.data_dir.parent / f"{self.name}.log").open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kruise.cli.main", "node", "--kubeconfig", str(self.server.kubeconfig),
             "--name", self.name, "--data-dir", str(self.data_dir), "--backoff-scale", "0.1", *self.extra],
            stdout=subprocess.PIPE, stderr=log, text=True, cwd=REPO,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert "ready on port" in line, f"node did not start: {line!r}"
        self.port = int(line.split()[-1])

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def node(apiserver: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    n = NodeProcess(apiserver, "node-a", tmp_path_factory.mktemp("node-a") / "data")
    n.start()
    yield n
    n.stop()


# ---------------------------------------------------------------------- helpers
def api(server: ServerProcess, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
    headers = {"Content-Type": kw.pop("content_type", "application/json")} if body is not None else {}
    return requests.request(
        method, server.url + path, data=None if body is None else json.dumps(body), headers=headers,
        timeout=30, **kw,
    )  # fmt: skip


def create_pod(server: ServerProcess, ns: str, pod: Obj) -> Obj:
    r = api(server, "POST", f"/api/v1/namespaces/{ns}/pods", pod)
    assert r.status_code == 201, r.text
    return r.json()


def get_pod(server: ServerProcess, ns: str, name: str) -> Obj | None:
    r = api(server, "GET", f"/api/v1/namespaces/{ns}/pods/{name}")
    return r.json() if r.status_code == 200 else None


def wait_for(what: str, fn: Callable[[], Any], timeout: float = 60, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last={last!r}")


def cstatus(pod: Obj, name: str) -> Obj:
    status = pod.get("status") or {}
    for s in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
        if s["name"] == name:
            return s
    return {}


def condition(pod: Obj, type_: str) -> str:
    return next((c["status"] for c in pod["status"].get("conditions") or [] if c["type"] == type_), "")


def marker_pids(marker: str) -> list[int]:
    """Processes whose environment carries the test's marker: the containers it started."""
    needle = f"TEST_MARKER={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes()
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if needle in env.split(b"\0") and stat.rsplit(")", 1)[1].split()[0] != "Z":
            found.append(int(entry.name))
    return found


def pod_body(name: str, node: str, marker: str, containers: list[Obj], **spec: Any) -> Obj:
    for c in containers + spec.get("initContainers", []):
        c.setdefault("env", []).append({"name": "TEST_MARKER", "value": marker})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"nodeName": node, "terminationGracePeriodSeconds": 5, "containers": containers, **spec},
    }


def delete_and_wait(server: ServerProcess, ns: str, name: str, marker: str) -> None:
    api(server, "DELETE", f"/api/v1/namespaces/{ns}/pods/{name}")
    wait_for(f"pod {name} to disappear", lambda: get_pod(server, ns, name) is None, 60)
    wait_for("no container processes left", lambda: not marker_pids(marker), 15)


@pytest.fixture
def marker() -> Iterator[str]:
    m = uuid.uuid4().hex
    yield m
    for pid in marker_pids(m):  # a failed test must not leave processes behind
        os.kill(pid, signal.SIGKILL)


# ---------------------------------------------------------------------- tests
def test_http_pod_ready_logs_and_probes(
    apiserver: ServerProcess, node: NodeProcess, namespace: str, marker: str
) -> None:
    web = {
        "name": "web",
        "image": "python:3.11",
        "command": ["sh", "-c", "exec python3 -m http.server 8080 --bind $POD_IP"],
        "ports": [{"name": "http", "containerPort": 8080}],
        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 1},
    }
    sick = {
        "name": "sick",
        "image": "busybox:1.36",
        "command": ["python3", "-c", "import time; print('sick up', flush=True); time.sleep(3600)"],
        "livenessProbe": {"tcpSocket": {"port": 9}, "periodSeconds": 1, "failureThreshold": 2},
    }
    create_pod(apiserver, namespace, pod_body("web", node.name, marker, [web, sick]))

    pod = wait_for(
        "web ready",
        lambda: (p := get_pod(apiserver, namespace, "web")) and cstatus(p, "web").get("ready") and p,
    )
    ip = pod["status"]["podIP"]
    assert ip.startswith("127.") and ip != "127.0.0.1"
    assert pod["status"]["hostIP"] == "127.0.0.1" and pod["status"]["phase"] == "Running"
    assert requests.get(f"http://{ip}:8080/", timeout=5).status_code == 200
    web_status = cstatus(pod, "web")
    assert web_status["containerID"].startswith("process://") and web_status["started"] is True
    assert web_status["imageID"].startswith("docker-pullable://docker.io/library/python@sha256:")

    # kubectl logs: the probe's requests, as http.server logs them to stderr
    logs = wait_for(
        "probe requests in the log",
        lambda: (
            (out := apiserver.kubectl("logs", "-n", namespace, "web", "-c", "web").stdout)
            and '"GET / HTTP/1.1" 200' in out
            and out
        ),
    )
    assert ip in logs or "127." in logs
    tail = apiserver.kubectl("logs", "-n", namespace, "web", "-c", "web", "--tail=1").stdout
    assert tail.count("\n") == 1
    stamped = apiserver.kubectl("logs", "-n", namespace, "web", "-c", "sick", "--timestamps").stdout
    assert stamped.split(" ", 1)[1].startswith("sick up") and stamped[:4].isdigit()

    # the liveness probe can never connect: the container is restarted, again and again
    pod = wait_for(
        "liveness restarts",
        lambda: (p := get_pod(apiserver, namespace, "web")) and cstatus(p, "sick")["restartCount"] >= 2 and p,
    )
    last = cstatus(pod, "sick")["lastState"]["terminated"]
    assert last["reason"] in ("Error", "Completed") and last["containerID"].startswith("process://")
    prev = apiserver.kubectl("logs", "-n", namespace, "web", "-c", "sick", "--previous").stdout
    assert "sick up" in prev
    assert cstatus(pod, "web")["restartCount"] == 0  # the healthy neighbour is untouched

    # API errors as kube-apiserver words them
    r = api(apiserver, "GET", f"/api/v1/namespaces/{namespace}/pods/web/log")
    assert r.status_code == 400
    assert r.json()["message"] == "a container name must be specified for pod web, choose one of: [web sick]"
    r = api(apiserver, "GET", f"/api/v1/namespaces/{namespace}/pods/web/log?container=nope")
    assert r.status_code == 400 and r.json()["message"] == "container nope is not valid for pod web"
    r = api(apiserver, "GET", f"/api/v1/namespaces/{namespace}/pods/missing/log")
    assert r.status_code == 404
    stats = requests.get(f"http://127.0.0.1:{node.port}/stats", timeout=5).json()
    assert stats["images"]["bytesPulled"] > 0

    delete_and_wait(apiserver, namespace, "web", marker)


def test_crash_loop_backs_off(
    apiserver: ServerProcess, node: NodeProcess, namespace: str, marker: str
) -> None:
    crash = {"name": "crash", "image": "busybox:1.36", "command": ["sh", "-c", "echo boom; exit 1"]}
    create_pod(apiserver, namespace, pod_body("crash", node.name, marker, [crash]))
    seen: dict[int, float] = {}
    reasons: set[str] = set()

    def progressed() -> bool:
        pod = get_pod(apiserver, namespace, "crash") or {}
        st = cstatus(pod, "crash")
        count = st.get("restartCount", 0)
        seen.setdefault(count, time.monotonic())
        reasons.update(s["reason"] for s in [(st.get("state") or {}).get("waiting") or {}] if s)
        return count >= 4

    wait_for("four restarts", progressed, 60, 0.1)
    assert "CrashLoopBackOff" in reasons
    # back-off at scale 0.1: restarts after 0 s, 1 s, 2 s, 4 s: the gaps grow
    assert seen[4] - seen[3] > seen[2] - seen[1]
    pod = get_pod(apiserver, namespace, "crash")
    assert pod is not None
    last = cstatus(pod, "crash")["lastState"]["terminated"]
    assert last["exitCode"] == 1 and last["reason"] == "Error"

    def not_ready_while_backing_off() -> bool:
        # each restart runs the container for an instant (Ready then, as kubelet without a
        # readiness probe); while it waits out the back-off the Pod is Running but not Ready
        pod = get_pod(apiserver, namespace, "crash") or {}
        waiting = (cstatus(pod, "crash").get("state") or {}).get("waiting") or {}
        return (
            waiting.get("reason") == "CrashLoopBackOff"
            and condition(pod, "Ready") == "False"
            and pod["status"]["phase"] == "Running"
        )

    wait_for("not Ready while backing off", not_ready_while_backing_off, 30, 0.05)
    delete_and_wait(apiserver, namespace, "crash", marker)


def test_image_change_restarts_only_that_container(
    apiserver: ServerProcess, node: NodeProcess, namespace: str, marker: str
) -> None:
    a = {"name": "a", "image": "busybox:1.36"}
    b = {"name": "b", "image": "busybox:1.36"}
    created = create_pod(apiserver, namespace, pod_body("two", node.name, marker, [a, b]))
    before = wait_for(
        "both running",
        lambda: (
            (p := get_pod(apiserver, namespace, "two"))
            and all("running" in cstatus(p, n).get("state", {}) for n in "ab")
            and condition(p, "Ready") == "True"
            and p
        ),
    )
    patch = {"spec": {"containers": [{"name": "b", "image": "busybox:1.37"}]}}
    r = api(apiserver, "PATCH", f"/api/v1/namespaces/{namespace}/pods/two", patch,
            content_type="application/strategic-merge-patch+json")  # fmt: skip
    assert r.status_code == 200, r.text
    after = wait_for(
        "b restarted",
        lambda: (
            (p := get_pod(apiserver, namespace, "two"))
            and cstatus(p, "b").get("restartCount") == 1
            and "running" in cstatus(p, "b")["state"]
            and p
        ),
    )
    assert after["metadata"]["uid"] == created["metadata"]["uid"]
    assert after["status"]["podIP"] == before["status"]["podIP"]
    assert after["spec"]["nodeName"] == node.name
    old_b, new_b = cstatus(before, "b"), cstatus(after, "b")
    assert new_b["containerID"] != old_b["containerID"]
    assert new_b["image"] == "busybox:1.37" and new_b["imageID"] != old_b["imageID"]
    assert new_b["lastState"]["terminated"]["containerID"] == old_b["containerID"]
    old_a, new_a = cstatus(before, "a"), cstatus(after, "a")
    assert new_a["containerID"] == old_a["containerID"] and new_a["restartCount"] == 0
    assert new_a["state"]["running"]["startedAt"] == old_a["state"]["running"]["startedAt"]

    def killing() -> list[str]:
        r = api(apiserver, "GET", f"/api/v1/namespaces/{namespace}/events")
        items = r.json()["items"]
        return [
            e["message"] for e in items if e["reason"] == "Killing" and e["involvedObject"]["name"] == "two"
        ]

    # one Killing event, saying why, as the kubelet (events are written in the background)
    wait_for("the Killing event", lambda: killing())
    assert killing() == ["Container b definition changed, will be restarted"]
    delete_and_wait(apiserver, namespace, "two", marker)


def test_delete_runs_prestop_and_stops_sidecars_last(
    apiserver: ServerProcess, node: NodeProcess, namespace: str, marker: str, tmp_path: Path
) -> None:
    tmp_path.chmod(0o777)
    main = {
        "name": "main",
        "image": "busybox:1.36",
        "command": ["python3", "-c", PY_SLEEPER, str(tmp_path / "main.stop"), "0.5"],
        "lifecycle": {
            "preStop": {"exec": {"command": ["sh", "-c", f"date +%s.%N > {tmp_path}/prestop; sleep 0.3"]}}
        },
    }
    sidecars = [
        {"name": f"side{i}", "image": "busybox:1.36", "restartPolicy": "Always",
         "command": ["python3", "-c", PY_SLEEPER, str(tmp_path / f"side{i}.stop"), "0.2"]}
        for i in (1, 2)
    ]  # fmt: skip
    create_pod(apiserver, namespace, pod_body("graceful", node.name, marker, [main], initContainers=sidecars))
    wait_for(
        "all running",
        lambda: (p := get_pod(apiserver, namespace, "graceful")) and condition(p, "Ready") == "True",
    )
    # (python3 may be a pyenv shim whose helper processes come and go at first)
    wait_for("three container processes", lambda: len(marker_pids(marker)) == 3)
    began = time.time()
    delete_and_wait(apiserver, namespace, "graceful", marker)
    prestop = float((tmp_path / "prestop").read_text())
    main_stop = float((tmp_path / "main.stop").read_text())
    side1, side2 = (float((tmp_path / f"side{i}.stop").read_text()) for i in (1, 2))
    assert began <= prestop < main_stop  # preStop, then SIGTERM
    assert main_stop + 0.5 <= side2 + 0.05  # sidecars only once the main container exited...
    assert side2 + 0.2 <= side1 + 0.05  # ...in reverse order


def test_agent_kill9_leaves_no_orphans(
    apiserver: ServerProcess, namespace: str, marker: str, tmp_path: Path
) -> None:
    n = NodeProcess(apiserver, "node-k", tmp_path / "data")
    n.start()
    try:
        c = {"name": "c", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 3600 & exec sleep 3600"]}
        create_pod(apiserver, namespace, pod_body("orphan", n.name, marker, [c]))
        before = wait_for(
            "running",
            lambda: (p := get_pod(apiserver, namespace, "orphan")) and condition(p, "Ready") == "True" and p,
        )
        old_pids = wait_for("two processes", lambda: len(pids := marker_pids(marker)) == 2 and pids)
        n.kill9()
        # The agent's watchdog kills the container's whole group (the backgrounded sleep too)
        # without waiting for the agent to come back.
        wait_for("container processes gone", lambda: not marker_pids(marker))
        n.start()
        after = wait_for(
            "restarted container",
            lambda: (
                (p := get_pod(apiserver, namespace, "orphan"))
                and cstatus(p, "c").get("restartCount") == 1
                and condition(p, "Ready") == "True"
                and p
            ),
        )
        assert not set(old_pids) & set(marker_pids(marker))
        wait_for("two new processes", lambda: len(marker_pids(marker)) == 2)
        assert after["status"]["podIP"] == before["status"]["podIP"]
        last = cstatus(after, "c")["lastState"]["terminated"]
        assert last["containerID"] == cstatus(before, "c")["containerID"]
        delete_and_wait(apiserver, namespace, "orphan", marker)
    finally:
        n.stop()
    assert not marker_pids(marker)
