"""meta.k8s.io/v1 Table columns and cells for built-in kinds, matching kube-apiserver's printers.

The server always sends every column (priority 1 included, as kube does); kubectl hides priority-1
columns unless `-o wide`. Resources without a printer get kube's default table: Name, Created At.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kruise.apiserver.validation.quantity import quantity_string

NAME_DOC = "Name of the object, unique within its namespace (or the cluster for cluster-scoped kinds)."
AGE_DOC = "Time since the object was created (from metadata.creationTimestamp)."


def _col(name: str, typ: str = "string", desc: str = "", priority: int = 0, fmt: str = "") -> dict:
    return {"name": name, "type": typ, "format": fmt, "description": desc, "priority": priority}


NAME = _col("Name", fmt="name", desc=NAME_DOC)
AGE = _col("Age", desc=AGE_DOC)
_CONTAINERS = _col("Containers", desc="Names of each container in the template.", priority=1)
_IMAGES = _col("Images", desc="Images referenced by each container in the template.", priority=1)
_SELECTOR = _col("Selector", desc="Label selector of the pods this object manages.", priority=1)


# -- time ------------------------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return None if t.year <= 1 else t


def human_duration(seconds: float) -> str:
    """kube's duration.HumanDuration: "45s", "3m2s", "15m", "5h3m", "2d3h", "400d", "3y20d"."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        sec = s % 60
        return f"{minutes}m" if sec == 0 else f"{minutes}m{sec}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        d = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if d == 0 else f"{hours // 24 // 365}y{d}d"
    return f"{hours // 24 // 365}y"


def _now(now: datetime) -> datetime:
    return now if now.tzinfo else now.replace(tzinfo=UTC)


def age(timestamp: str | None, now: datetime) -> str:
    """Time since `timestamp` as kubectl shows it; "<unknown>" when unset."""
    t = parse_time(timestamp)
    if t is None:
        return "<unknown>"
    return human_duration((_now(now) - t).total_seconds())


def _created(obj: dict, now: datetime) -> str:
    return age((obj.get("metadata") or {}).get("creationTimestamp"), now)


# -- formatting helpers ----------------------------------------------------------------------------


def _name(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name") or ""


def format_labels(labels: dict | None) -> str:
    if not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def selector_string(selector: dict | None) -> str | None:
    """labels.Selector.String() of a LabelSelector; None when it does not convert."""
    if not selector:
        return ""
    reqs: list[tuple[str, str]] = [(k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key") or "", expr.get("operator"), sorted(expr.get("values") or [])
        if op == "In":
            reqs.append((key, f"{key} in ({','.join(values)})"))
        elif op == "NotIn":
            reqs.append((key, f"{key} notin ({','.join(values)})"))
        elif op == "Exists":
            reqs.append((key, key))
        elif op == "DoesNotExist":
            reqs.append((key, "!" + key))
        else:
            return None
    return ",".join(text for _, text in sorted(reqs, key=lambda r: r[0]))


def format_label_selector(selector: dict | None) -> str:
    text = selector_string(selector)
    if text is None:
        return "<error>"
    return text or "<none>"


def _containers(template_spec: dict) -> tuple[str, str]:
    ctrs = template_spec.get("containers") or []
    return ",".join(c.get("name") or "" for c in ctrs), ",".join(c.get("image") or "" for c in ctrs)


def _template_spec(obj: dict) -> dict:
    return ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _replicas(spec: dict) -> int:
    # replicas defaults to 1 on the workload kinds
    value = spec.get("replicas")
    return value if isinstance(value, int) else 1


def _list_with_more(items: list[str], count: int, limit: int = 3, empty: str = "<unset>") -> str:
    text = ",".join(items[:limit])
    if count > limit:
        return f"{text} + {count - limit} more..."
    return text or empty


# -- pods ------------------------------------------------------------------------------------------

POD_COLUMNS = [
    NAME,
    _col("Ready", desc="The aggregate readiness state of this pod for accepting traffic."),
    _col("Status", desc="The aggregate status of the containers in this pod."),
    _col(
        "Restarts",
        desc="The number of times the containers in this pod have been restarted and when the "
        "last container in this pod has restarted.",
    ),
    AGE,
    _col("IP", desc="IP address allocated to the pod.", priority=1),
    _col("Node", desc="Node the pod is bound to.", priority=1),
    _col("Nominated Node", desc="Node the scheduler nominated for this pod after preemption.", priority=1),
    _col("Readiness Gates", desc="Readiness gates that are true, of those the pod declares.", priority=1),
]


def _restartable(ctr: dict | None) -> bool:
    return bool(ctr) and ctr.get("restartPolicy") == "Always"


def _finished_at(status: dict) -> datetime | None:
    return parse_time((((status.get("lastState") or {}).get("terminated")) or {}).get("finishedAt"))


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _has_condition(conditions: list[dict], ctype: str) -> bool:
    return any(c.get("type") == ctype and c.get("status") == "True" for c in conditions)


def pod_status_reason(pod: dict) -> tuple[str, int, int, datetime | None]:
    """kubectl's pod status logic: (reason, ready containers, restarts, last restart time)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    conditions = status.get("conditions") or []
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for cond in conditions:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    inits = {c.get("name"): c for c in spec.get("initContainers") or []}
    n_inits = len(spec.get("initContainers") or [])
    ready = restarts = sidecar_restarts = 0
    last_restart = last_sidecar_restart = None

    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        restarts += _int(cs.get("restartCount"))
        last_restart = _later(last_restart, _finished_at(cs))
        sidecar = _restartable(inits.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += _int(cs.get("restartCount"))
            last_sidecar_restart = _later(last_sidecar_restart, _finished_at(cs))
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if term is not None and _int(term.get("exitCode")) == 0:
            continue
        if sidecar and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if term is not None:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{_int(term.get('exitCode'))}"
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{n_inits}"
        initializing = True
        break

    if not initializing or _has_condition(conditions, "Initialized"):
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += _int(cs.get("restartCount"))
            last_restart = _later(last_restart, _finished_at(cs))
            state = cs.get("state") or {}
            term, waiting = state.get("terminated"), state.get("waiting")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif term is not None and term.get("reason"):
                reason = term["reason"]
            elif term is not None:
                reason = (
                    f"Signal:{term['signal']}"
                    if term.get("signal")
                    else f"ExitCode:{_int(term.get('exitCode'))}"
                )
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _has_condition(conditions, "Ready") else "NotReady"

    meta = pod.get("metadata") or {}
    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason, ready, restarts, last_restart


def _pod_cells(pod: dict, now: datetime) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    reason, ready, restarts, last_restart = pod_status_reason(pod)
    total = len(spec.get("containers") or []) + sum(
        1 for c in spec.get("initContainers") or [] if _restartable(c)
    )
    restarts_text = str(restarts)
    if restarts and last_restart is not None:
        restarts_text = f"{restarts} ({human_duration((_now(now) - last_restart).total_seconds())} ago)"
    ips = status.get("podIPs") or []
    ip = (ips[0].get("ip") if ips else "") or "<none>"
    gates_text = "<none>"
    gates = spec.get("readinessGates") or []
    if gates:
        conds = {}
        for c in status.get("conditions") or []:
            conds.setdefault(c.get("type"), c.get("status"))
        true = sum(1 for g in gates if conds.get(g.get("conditionType")) == "True")
        gates_text = f"{true}/{len(gates)}"
    return [
        _name(pod),
        f"{ready}/{total}",
        reason,
        restarts_text,
        _created(pod, now),
        ip,
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_text,
    ]


def row_conditions(group: str, resource: str, obj: dict) -> list[dict] | None:
    """TableRow conditions kube sets (completed pods), or None."""
    if (group, resource) != ("", "pods"):
        return None
    phase = (obj.get("status") or {}).get("phase")
    if phase == "Succeeded":
        return [
            {
                "type": "Completed",
                "status": "True",
                "reason": "Succeeded",
                "message": "The pod has completed successfully.",
            }
        ]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    return None


# -- core kinds ------------------------------------------------------------------------------------


def _namespace_cells(obj: dict, now: datetime) -> list[Any]:
    return [_name(obj), (obj.get("status") or {}).get("phase") or "", _created(obj, now)]


def _node_cells(obj: dict, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    states = []
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready":
            states = ["Ready" if cond.get("status") == "True" else "NotReady"]
    if not states:
        states = ["Unknown"]
    if spec.get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = set()
    for key, value in ((obj.get("metadata") or {}).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key[len("node-role.kubernetes.io/") :]:
            roles.add(key[len("node-role.kubernetes.io/") :])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    info = status.get("nodeInfo") or {}

    def address(kind: str) -> str:
        return next(
            (a.get("address") for a in status.get("addresses") or [] if a.get("type") == kind), "<none>"
        )

    return [
        _name(obj),
        ",".join(states),
        ",".join(sorted(roles)) or "<none>",
        _created(obj, now),
        info.get("kubeletVersion") or "",
        address("InternalIP"),
        address("ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _lb_ingress(status: dict, wide: bool) -> str:
    ips = sorted(
        {
            i.get("ip") or i.get("hostname")
            for i in (status.get("loadBalancer") or {}).get("ingress") or []
            if i.get("ip") or i.get("hostname")
        }
    )
    text = ",".join(ips)
    if not wide and len(text) > 16:
        text = text[:13] + "..."
    return text


def _service_external_ip(svc: dict) -> str:
    spec = svc.get("spec") or {}
    stype = spec.get("type") or "ClusterIP"
    external = spec.get("externalIPs") or []
    if stype in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if stype == "LoadBalancer":
        # the server renders wide cells, so the ingress list is never clipped
        lb = _lb_ingress(svc.get("status") or {}, True)
        if external:
            return ",".join(([*lb.split(",")] if lb else []) + external)
        return lb or "<pending>"
    if stype == "ExternalName":
        return spec.get("externalName") or ""
    return "<unknown>"


def _service_cells(obj: dict, now: datetime) -> list[Any]:
    spec = obj.get("spec") or {}
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    ports = []
    for p in spec.get("ports") or []:
        proto = p.get("protocol") or "TCP"
        ports.append(
            f"{p.get('port')}:{p['nodePort']}/{proto}" if p.get("nodePort") else f"{p.get('port')}/{proto}"
        )
    return [
        _name(obj),
        spec.get("type") or "ClusterIP",
        ips[0] if ips else "<none>",
        _service_external_ip(obj),
        ",".join(ports) or "<none>",
        _created(obj, now),
        format_labels(spec.get("selector")),
    ]


def _join_host_port(ip: str, port: Any) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def format_endpoints(obj: dict) -> str:
    subsets = obj.get("subsets") or []
    if not subsets:
        return "<none>"
    items: list[str] = []
    count = 0
    for ss in subsets:
        addresses = [a.get("ip") or "" for a in ss.get("addresses") or []]
        ports = ss.get("ports") or []
        if not ports:
            count += len(addresses)
            items.extend(addresses)
            continue
        for port in ports:
            count += len(addresses)
            items.extend(_join_host_port(ip, port.get("port")) for ip in addresses)
    if count > 3 and len(items) > 3:
        return f"{','.join(items[:3])} + {count - 3} more..."
    return ",".join(items) or "<none>"


def _endpoints_cells(obj: dict, now: datetime) -> list[Any]:
    return [_name(obj), format_endpoints(obj), _created(obj, now)]


def _endpointslice_cells(obj: dict, now: datetime) -> list[Any]:
    ports = obj.get("ports") or []
    port_items = [str(p["port"]) if p.get("port") is not None else (p.get("name") or "*") for p in ports]
    addresses = [a for ep in obj.get("endpoints") or [] for a in ep.get("addresses") or []]
    return [
        _name(obj),
        obj.get("addressType") or "",
        _list_with_more(port_items, len(port_items)),
        _list_with_more(addresses, len(addresses)),
        _created(obj, now),
    ]


def _configmap_cells(obj: dict, now: datetime) -> list[Any]:
    return [_name(obj), len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), _created(obj, now)]


def _secret_cells(obj: dict, now: datetime) -> list[Any]:
    keys = set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    return [_name(obj), obj.get("type") or "Opaque", len(keys), _created(obj, now)]


def _serviceaccount_cells(obj: dict, now: datetime) -> list[Any]:
    return [_name(obj), len(obj.get("secrets") or []), _created(obj, now)]


def _event_view(obj: dict) -> dict:
    """events.k8s.io/v1 fields mapped onto core/v1 Event names (kube converts them the same way)."""
    if "regarding" not in obj and "note" not in obj and "deprecatedCount" not in obj:
        return obj
    source = obj.get("deprecatedSource") or {}
    return {
        "metadata": obj.get("metadata") or {},
        "involvedObject": obj.get("regarding") or {},
        "message": obj.get("note") or "",
        "reason": obj.get("reason") or "",
        "type": obj.get("type") or "",
        "firstTimestamp": obj.get("deprecatedFirstTimestamp"),
        "lastTimestamp": obj.get("deprecatedLastTimestamp"),
        "count": obj.get("deprecatedCount") or 0,
        "eventTime": obj.get("eventTime"),
        "series": obj.get("series"),
        "source": source,
        "reportingComponent": obj.get("reportingController") or "",
        "reportingInstance": obj.get("reportingInstance") or "",
    }


def _event_cells(raw: dict, now: datetime) -> list[Any]:
    obj = _event_view(raw)
    first = age(obj.get("firstTimestamp"), now)
    if parse_time(obj.get("firstTimestamp")) is None:
        first = age(obj.get("eventTime"), now)
    last = age(obj.get("lastTimestamp"), now)
    if parse_time(obj.get("lastTimestamp")) is None:
        last = first
    count = _int(obj.get("count"))
    series = obj.get("series")
    if series:
        last = age(series.get("lastObservedTime"), now)
        count = _int(series.get("count"))
    elif count == 0:
        count = 1  # singleton events carry no count in the new API
    involved = obj.get("involvedObject") or {}
    kind = (involved.get("kind") or "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = obj.get("source") or {}
    component = source.get("component") or obj.get("reportingComponent") or ""
    instance = source.get("host") or obj.get("reportingInstance") or ""
    return [
        last,
        obj.get("type") or "",
        obj.get("reason") or "",
        target,
        involved.get("fieldPath") or "",
        f"{component}, {instance}" if instance else component,
        (obj.get("message") or "").strip(),
        first,
        count,
        _name(obj),
    ]


_ACCESS_MODES = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)


def access_modes(modes: list[str] | None) -> str:
    present = set(modes or [])
    return ",".join(short for mode, short in _ACCESS_MODES if mode in present)


def _pvc_cells(obj: dict, now: datetime) -> list[Any]:
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    phase = "Terminating" if meta.get("deletionTimestamp") else status.get("phase") or ""
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(status.get("accessModes"))
        capacity = quantity_string((status.get("capacity") or {}).get("storage", "0"))
    klass = (meta.get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class")
    if klass is None:
        klass = spec.get("storageClassName") or ""
    vac = spec.get("volumeAttributesClassName")
    return [
        _name(obj),
        phase,
        spec.get("volumeName") or "",
        capacity,
        modes,
        klass,
        "<unset>" if vac is None else vac,
        _created(obj, now),
        spec.get("volumeMode") or "<unset>",
    ]


def _pv_cells(obj: dict, now: datetime) -> list[Any]:
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    claim = spec.get("claimRef")
    klass = (meta.get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class")
    if klass is None:
        klass = spec.get("storageClassName") or ""
    vac = spec.get("volumeAttributesClassName")
    return [
        _name(obj),
        quantity_string((spec.get("capacity") or {}).get("storage", "0")),
        access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy") or "",
        "Terminating" if meta.get("deletionTimestamp") else status.get("phase") or "",
        f"{claim.get('namespace') or ''}/{claim.get('name') or ''}" if claim else "",
        klass,
        "<unset>" if vac is None else vac,
        status.get("reason") or "",
        _created(obj, now),
        spec.get("volumeMode") or "<unset>",
    ]


# -- workloads -------------------------------------------------------------------------------------


def _deployment_cells(obj: dict, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(_template_spec(obj))
    selector = selector_string(spec.get("selector"))
    return [
        _name(obj),
        f"{_int(status.get('readyReplicas'))}/{_replicas(spec)}",
        _int(status.get("updatedReplicas")),
        _int(status.get("availableReplicas")),
        _created(obj, now),
        names,
        images,
        "<invalid>" if selector is None else selector,
    ]


def _replicaset_cells(obj: dict, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(_template_spec(obj))
    return [
        _name(obj),
        _replicas(spec),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        _created(obj, now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


def _statefulset_cells(obj: dict, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(_template_spec(obj))
    return [
        _name(obj),
        f"{_int(status.get('readyReplicas'))}/{_replicas(spec)}",
        _created(obj, now),
        names,
        images,
    ]


def _daemonset_cells(obj: dict, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(_template_spec(obj))
    counts = [
        _int(status.get(k))
        for k in (
            "desiredNumberScheduled",
            "currentNumberScheduled",
            "numberReady",
            "updatedNumberScheduled",
            "numberAvailable",
        )
    ]
    return [
        _name(obj),
        *counts,
        format_labels(_template_spec(obj).get("nodeSelector")),
        _created(obj, now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


def _controllerrevision_cells(obj: dict, now: datetime) -> list[Any]:
    owner = next(
        (r for r in (obj.get("metadata") or {}).get("ownerReferences") or [] if r.get("controller")), None
    )
    controller = "<none>"
    if owner is not None:
        api_version = owner.get("apiVersion") or ""
        group = api_version.split("/")[0] if "/" in api_version else ""
        kind = owner.get("kind") or ""
        controller = (f"{kind}.{group}" if group else kind).lower() + "/" + (owner.get("name") or "")
        if not kind and not group:
            controller = owner.get("name") or ""
    return [_name(obj), controller, _int(obj.get("revision")), _created(obj, now)]


def _has_true(conditions: list[dict], ctype: str) -> bool:
    cond = next((c for c in conditions if c.get("type") == ctype), None)
    return cond is not None and cond.get("status") == "True"


def _job_cells(obj: dict, now: datetime) -> list[Any]:
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    succeeded = _int(status.get("succeeded"))
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif _int(spec.get("parallelism")) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    start, end = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    duration = ""
    if start is not None:
        duration = human_duration(((end or _now(now)) - start).total_seconds())
    conds = status.get("conditions") or []
    if _has_true(conds, "Complete"):
        state = "Complete"
    elif _has_true(conds, "Failed"):
        state = "Failed"
    elif meta.get("deletionTimestamp"):
        state = "Terminating"
    elif _has_true(conds, "Suspended"):
        state = "Suspended"
    elif _has_true(conds, "FailureTarget"):
        state = "FailureTarget"
    else:
        state = "Running"
    names, images = _containers(_template_spec(obj))
    return [
        _name(obj),
        state,
        completions,
        duration,
        _created(obj, now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


def _cronjob_cells(obj: dict, now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    suspend = spec.get("suspend")
    last = "<none>" if not status.get("lastScheduleTime") else age(status.get("lastScheduleTime"), now)
    job_spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    names, images = _containers((job_spec.get("template") or {}).get("spec") or {})
    return [
        _name(obj),
        spec.get("schedule") or "",
        spec.get("timeZone") or "<none>",
        "<unset>" if suspend is None else ("True" if suspend else "False"),
        len(status.get("active") or []),
        last,
        _created(obj, now),
        names,
        images,
        format_label_selector(job_spec.get("selector")),
    ]


def _lease_cells(obj: dict, now: datetime) -> list[Any]:
    return [_name(obj), (obj.get("spec") or {}).get("holderIdentity") or "", _created(obj, now)]


def _int_or_string(value: Any) -> str:
    return "N/A" if value is None else str(value)


def _pdb_cells(obj: dict, now: datetime) -> list[Any]:
    spec = obj.get("spec") or {}
    return [
        _name(obj),
        _int_or_string(spec.get("minAvailable")),
        _int_or_string(spec.get("maxUnavailable")),
        _int((obj.get("status") or {}).get("disruptionsAllowed")),
        _created(obj, now),
    ]


def _webhook_cells(obj: dict, now: datetime) -> list[Any]:
    return [_name(obj), len(obj.get("webhooks") or []), _created(obj, now)]


def _binding_cells(obj: dict, now: datetime) -> list[Any]:
    ref = obj.get("roleRef") or {}
    users, groups, sas = [], [], []
    for s in obj.get("subjects") or []:
        if s.get("kind") == "User":
            users.append(s.get("name") or "")
        elif s.get("kind") == "Group":
            groups.append(s.get("name") or "")
        elif s.get("kind") == "ServiceAccount":
            sas.append(f"{s.get('namespace') or ''}/{s.get('name') or ''}")
    return [
        _name(obj),
        f"{ref.get('kind') or ''}/{ref.get('name') or ''}",
        _created(obj, now),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(sas),
    ]


def _default_cells(obj: dict, now: datetime) -> list[Any]:
    t = parse_time((obj.get("metadata") or {}).get("creationTimestamp"))
    return [_name(obj), t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if t else "0001-01-01T00:00:00Z"]


# -- registry --------------------------------------------------------------------------------------

_EVENT_COLUMNS = [
    _col("Last Seen", desc="Time since the event was last observed."),
    _col("Type", desc="Type of the event (Normal, Warning)."),
    _col("Reason", desc="Short machine-readable reason for the event."),
    _col("Object", desc="The object this event is about."),
    _col("Subobject", desc="Field path within the object, such as a container.", priority=1),
    _col("Source", desc="Component that reported the event.", priority=1),
    _col("Message", desc="Human-readable description of the event."),
    _col("First Seen", desc="Time since the event was first observed.", priority=1),
    _col("Count", desc="Number of times the event occurred.", priority=1),
    _col("Name", fmt="name", desc=NAME_DOC, priority=1),
]
_BINDING_COLUMNS = [
    NAME,
    _col("Role", desc="The role this binding grants."),
    AGE,
    _col("Users", desc="Users in the binding", priority=1),
    _col("Groups", desc="Groups in the binding", priority=1),
    _col("ServiceAccounts", desc="ServiceAccounts in the binding", priority=1),
]
_WEBHOOK_COLUMNS = [
    NAME,
    _col("Webhooks", "integer", "Webhooks indicates the number of webhooks registered in this configuration"),
    AGE,
]
DEFAULT_COLUMNS = [
    NAME,
    {"name": "Created At", "type": "date", "format": "", "description": AGE_DOC, "priority": 0},
]

Printer = tuple[list[dict], Callable[[dict, datetime], list[Any]]]

PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "pods"): (POD_COLUMNS, _pod_cells),
    ("", "namespaces"): ([NAME, _col("Status", desc="The status of the namespace"), AGE], _namespace_cells),
    ("", "nodes"): (
        [
            NAME,
            _col("Status", desc="The status of the node"),
            _col("Roles", desc="The roles of the node"),
            AGE,
            _col("Version", desc="Kubelet version reported by the node."),
            _col("Internal-IP", desc="First InternalIP address of the node.", priority=1),
            _col("External-IP", desc="First ExternalIP address of the node.", priority=1),
            _col("OS-Image", desc="OS image reported by the node.", priority=1),
            _col("Kernel-Version", desc="Kernel version reported by the node.", priority=1),
            _col("Container-Runtime", desc="Container runtime version reported by the node.", priority=1),
        ],
        _node_cells,
    ),
    ("", "services"): (
        [
            NAME,
            _col("Type", desc="How the service is exposed."),
            _col("Cluster-IP", desc="Cluster IP of the service."),
            _col("External-IP", desc="External addresses of the service."),
            _col("Port(s)", desc="Ports the service exposes."),
            AGE,
            _col("Selector", desc="Labels of the pods this service routes to.", priority=1),
        ],
        _service_cells,
    ),
    ("", "endpoints"): (
        [NAME, _col("Endpoints", desc="Addresses and ports of the endpoints."), AGE],
        _endpoints_cells,
    ),
    ("discovery.k8s.io", "endpointslices"): (
        [
            NAME,
            _col("AddressType", desc="Type of the addresses in this slice."),
            _col("Ports", desc="Ports of this slice."),
            _col("Endpoints", desc="Addresses of this slice."),
            AGE,
        ],
        _endpointslice_cells,
    ),
    ("", "configmaps"): (
        [NAME, _col("Data", desc="Number of data and binaryData keys."), AGE],
        _configmap_cells,
    ),
    ("", "secrets"): (
        [
            NAME,
            _col("Type", desc="Type of the secret."),
            _col("Data", desc="Number of data keys."),
            AGE,
        ],
        _secret_cells,
    ),
    ("", "serviceaccounts"): (
        [NAME, _col("Secrets", desc="Number of secrets listed."), AGE],
        _serviceaccount_cells,
    ),
    ("", "events"): (_EVENT_COLUMNS, _event_cells),
    ("events.k8s.io", "events"): (_EVENT_COLUMNS, _event_cells),
    ("", "persistentvolumeclaims"): (
        [
            NAME,
            _col("Status", desc="Phase of the claim."),
            _col("Volume", desc="Bound volume."),
            _col("Capacity", desc="Capacity of the bound volume."),
            _col("Access Modes", desc="Access modes."),
            _col("StorageClass", desc="StorageClass of the pvc"),
            _col("VolumeAttributesClass", desc="VolumeAttributesClass of the pvc"),
            AGE,
            _col("VolumeMode", desc="Volume mode of the claim.", priority=1),
        ],
        _pvc_cells,
    ),
    ("", "persistentvolumes"): (
        [
            NAME,
            _col("Capacity", desc="Capacity of the volume."),
            _col("Access Modes", desc="Access modes."),
            _col("Reclaim Policy", desc="What happens to the volume when released."),
            _col("Status", desc="Phase of the volume."),
            _col("Claim", desc="Claim bound to the volume."),
            _col("StorageClass", desc="StorageClass of the pv"),
            _col("VolumeAttributesClass", desc="VolumeAttributesClass of the pv"),
            _col("Reason", desc="Reason for the phase."),
            AGE,
            _col("VolumeMode", desc="Volume mode of the volume.", priority=1),
        ],
        _pv_cells,
    ),
    ("apps", "deployments"): (
        [
            NAME,
            _col("Ready", desc="Number of the pod with ready state"),
            _col("Up-to-date", desc="Number of pods at the latest template."),
            _col("Available", desc="Number of available pods."),
            AGE,
            _CONTAINERS,
            _IMAGES,
            _SELECTOR,
        ],
        _deployment_cells,
    ),
    ("apps", "replicasets"): (
        [
            NAME,
            _col("Desired", "integer", "Desired number of pods."),
            _col("Current", "integer", "Current number of pods."),
            _col("Ready", "integer", "Number of ready pods."),
            AGE,
            _CONTAINERS,
            _IMAGES,
            _SELECTOR,
        ],
        _replicaset_cells,
    ),
    ("apps", "statefulsets"): (
        [NAME, _col("Ready", desc="Number of the pod with ready state"), AGE, _CONTAINERS, _IMAGES],
        _statefulset_cells,
    ),
    ("apps", "daemonsets"): (
        [
            NAME,
            _col("Desired", "integer", "Number of nodes that should run the pod."),
            _col("Current", "integer", "Number of nodes running the pod."),
            _col("Ready", "integer", "Number of nodes with a ready pod."),
            _col("Up-to-date", "integer", "Number of nodes running the latest template."),
            _col("Available", "integer", "Number of nodes with an available pod."),
            _col("Node Selector", desc="Node selector of the pod template."),
            AGE,
            _CONTAINERS,
            _IMAGES,
            _SELECTOR,
        ],
        _daemonset_cells,
    ),
    ("apps", "controllerrevisions"): (
        [
            NAME,
            _col("Controller", desc="Controller of the object"),
            _col("Revision", desc="Revision number."),
            AGE,
        ],
        _controllerrevision_cells,
    ),
    ("batch", "jobs"): (
        [
            NAME,
            _col("Status", desc="Status of the job."),
            _col("Completions", desc="Succeeded of desired pods."),
            _col("Duration", desc="Time required to complete the job."),
            AGE,
            _CONTAINERS,
            _IMAGES,
            _SELECTOR,
        ],
        _job_cells,
    ),
    ("batch", "cronjobs"): (
        [
            NAME,
            _col("Schedule", desc="Cron schedule."),
            _col("Timezone", desc="Time zone of the schedule."),
            _col("Suspend", "boolean", "Whether new runs are suspended."),
            _col("Active", "integer", "Number of running jobs."),
            _col("Last Schedule", desc="Time since the last run was scheduled."),
            AGE,
            _CONTAINERS,
            _IMAGES,
            _SELECTOR,
        ],
        _cronjob_cells,
    ),
    ("coordination.k8s.io", "leases"): (
        [NAME, _col("Holder", desc="Current holder of the lease."), AGE],
        _lease_cells,
    ),
    ("policy", "poddisruptionbudgets"): (
        [
            NAME,
            _col("Min Available", desc="The minimum number of pods that must be available."),
            _col("Max Unavailable", desc="The maximum number of pods that may be unavailable."),
            _col(
                "Allowed Disruptions",
                "integer",
                "Calculated number of pods that may be disrupted at this time.",
            ),
            AGE,
        ],
        _pdb_cells,
    ),
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): (_WEBHOOK_COLUMNS, _webhook_cells),
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): (_WEBHOOK_COLUMNS, _webhook_cells),
    ("rbac.authorization.k8s.io", "rolebindings"): (_BINDING_COLUMNS, _binding_cells),
    ("rbac.authorization.k8s.io", "clusterrolebindings"): (_BINDING_COLUMNS, _binding_cells),
}


def column_definitions(group: str, resource: str) -> list[dict]:
    """TableColumnDefinition dicts for the resource (kube's default table when it has no printer)."""
    columns, _ = PRINTERS.get((group, resource), (DEFAULT_COLUMNS, _default_cells))
    return [dict(c) for c in columns]


def row_cells(group: str, resource: str, obj: dict, now: datetime) -> list[Any]:
    """The cells of one TableRow, one per column of `column_definitions`."""
    _, cells = PRINTERS.get((group, resource), (DEFAULT_COLUMNS, _default_cells))
    return cells(obj, now)
