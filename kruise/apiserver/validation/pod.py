"""Pod validation as kube-apiserver does it: create, update, status and the resize subresource.

Only the commonly hit rules are implemented, each with kube's field path and message. Fields the
API server defaults (imagePullPolicy, restartPolicy, protocol, ...) are accepted when absent.
Metadata is not checked here: callers run validate_object_meta(_update) alongside.

This runs on every pod write, so the common (valid) case is kept cheap: string checks are memoized
(meta.memoized_check); containers, resource maps and toleration lists that passed are remembered by
their exact JSON (meta.json_key, meta.Memo), as is the QoS class of a set of resources; paths and
messages are only built for errors; and updates compare specs subtree by subtree (`_norm_equal`)
instead of normalizing and deep-copying whole specs. Only passing is remembered, and every fast path
falls back to the plain computation for input it does not recognise, so results never differ (see
tests/unit/apiserver/test_validation_fastpaths.py).
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from kruise.apiserver.errors import FieldError, forbidden, invalid, not_supported, required
from kruise.apiserver.validation.meta import (
    CHECK_CACHE_SIZE,
    JSON_OPTS,
    Memo,
    dns1123_label_msgs,
    dns1123_subdomain_msgs,
    inclusive_range_error,
    is_dns1123_subdomain,
    json_key,
    label_value_msgs,
    memoized_check,
    qualified_name_msgs,
    validate_label_name,
    validate_labels,
)
from kruise.apiserver.validation.quantity import parse_quantity

MAX_INT32 = 2**31 - 1

UPDATABLE_POD_SPEC_FIELDS = (
    "pod updates may not change fields other than "
    "`spec.containers[*].image`,"
    "`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)

_PROTOCOLS = ["SCTP", "TCP", "UDP"]
_PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
_RESTART_POLICIES = ["Always", "OnFailure", "Never"]
_DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
_TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
_VOLUME_SOURCES = (
    "hostPath",
    "emptyDir",
    "gitRepo",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "flocker",
    "persistentVolumeClaim",
    "rbd",
    "cinder",
    "cephfs",
    "quobyte",
    "downwardAPI",
    "fc",
    "flexVolume",
    "configMap",
    "azureFile",
    "vsphereVolume",
    "photonPersistentDisk",
    "portworxVolume",
    "azureDisk",
    "projected",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
)
_NOT_FOR_INIT = "may not be set for init containers without restartPolicy=Always"
_PORT_RANGE_ERROR = inclusive_range_error(1, 65535)


def _dedupe(errs: list[FieldError]) -> list[FieldError]:
    if not errs:
        return []
    seen: set[str] = set()
    out = []
    for e in errs:
        key = str(e)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


# -- containers ------------------------------------------------------------------------------------


def _port_name_errors(name: str) -> list[str]:
    errs = []
    if len(name) > 15:
        errs.append("must be no more than 15 characters")
    if not name or any(not (c.isdigit() or c == "-" or "a" <= c <= "z") for c in name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not any("a" <= c <= "z" for c in name):
        errs.append("must contain at least one letter (a-z)")
    if "--" in name:
        errs.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


_port_name_msgs = memoized_check(_port_name_errors)


def _validate_ports(ports: list[dict], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports or []):
        name = port.get("name") or ""
        if name:
            msgs = _port_name_msgs(name)
            if msgs:
                errs.extend(invalid(f"{path}[{i}].name", name, m) for m in msgs)
            elif name in names:
                errs.append(FieldError("Duplicate", f"{path}[{i}].name", value=name))
            else:
                names.add(name)
        cport = port.get("containerPort") or 0
        if not cport:
            errs.append(required(f"{path}[{i}].containerPort"))
        elif not (isinstance(cport, int) and 1 <= cport <= 65535):
            errs.append(invalid(f"{path}[{i}].containerPort", cport, _PORT_RANGE_ERROR))
        hport = port.get("hostPort") or 0
        if hport and not (isinstance(hport, int) and 1 <= hport <= 65535):
            errs.append(invalid(f"{path}[{i}].hostPort", hport, _PORT_RANGE_ERROR))
        proto = port.get("protocol")
        if proto and proto not in _PROTOCOLS:
            errs.append(not_supported(f"{path}[{i}].protocol", proto, _PROTOCOLS))
    return errs


def _env_name_errors(name: str) -> list[str]:
    # RelaxedEnvironmentVariableValidation is on by default in kube 1.33
    errs = []
    if not name:
        errs.append("environment variable name must be non-empty")
    if any(ord(c) > 126 or ord(c) < 32 or c == "=" for c in name):
        errs.append(
            "a valid environment variable name must consist only of printable ASCII characters other than '='"
        )
    return errs


_env_name_msgs = memoized_check(_env_name_errors)
_ENV_SOURCES = ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")


def _validate_env(env: list[dict], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, ev in enumerate(env or []):
        name = ev.get("name") or ""
        if not name:
            errs.append(required(f"{path}[{i}].name"))
        msgs = _env_name_msgs(name)
        if msgs:
            errs.extend(invalid(f"{path}[{i}].name", name, m) for m in msgs)
        source = ev.get("valueFrom")
        if source is not None:
            p = f"{path}[{i}]"
            n = sum(1 for k in _ENV_SOURCES if source.get(k))
            if ev.get("value"):
                errs.append(invalid(p + ".valueFrom", "", "may not be specified when `value` is not empty"))
            elif n == 0:
                errs.append(
                    invalid(
                        p + ".valueFrom",
                        "",
                        "must specify one of: `fieldRef`, `resourceFieldRef`, "
                        "`configMapKeyRef` or `secretKeyRef`",
                    )
                )
            elif n > 1:
                errs.append(
                    invalid(p + ".valueFrom", "", "may not have more than one field specified at a time")
                )
    return errs


def _validate_volume_mounts(mounts: list[dict], volumes: set[str], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    mount_points: set[str] = set()
    for i, mnt in enumerate(mounts or []):
        p = f"{path}[{i}]"
        name = mnt.get("name") or ""
        if not name:
            errs.append(required(p + ".name"))
        if name not in volumes:
            errs.append(FieldError("NotFound", p + ".name", value=name))
        mount_path = mnt.get("mountPath") or ""
        if not mount_path:
            errs.append(required(p + ".mountPath"))
        if mount_path in mount_points:
            errs.append(invalid(p + ".mountPath", mount_path, "must be unique"))
        mount_points.add(mount_path)
    return errs


def _is_standard_container_resource(name: str) -> bool:
    return name in ("cpu", "memory", "ephemeral-storage") or name.startswith("hugepages-")


def _overcommit_allowed(name: str) -> bool:
    native = "/" not in name or name.split("/", 1)[0].endswith("kubernetes.io")
    return native and not name.startswith("hugepages-")


def _validate_resource_list(resources: dict, path: str) -> tuple[list[FieldError], dict]:
    errs: list[FieldError] = []
    parsed = {}
    for name in sorted(resources or {}):
        p = f"{path}[{name}]"
        if "/" not in name:
            if not _is_standard_container_resource(name):
                errs.append(invalid(p, name, "must be a standard resource for containers"))
        else:
            errs.extend(invalid(p, name, m) for m in qualified_name_msgs(name))
        try:
            q = parse_quantity(resources[name])
        except ValueError as exc:
            errs.append(invalid(p, resources[name], str(exc)))
            continue
        parsed[name] = q
        if q.value < 0:
            errs.append(invalid(p, str(q), "must be greater than or equal to 0"))
    return errs, parsed


def _validate_resources_full(res: dict, path: str) -> list[FieldError]:
    res = res or {}
    lim_errs, limits = _validate_resource_list(res.get("limits") or {}, path + ".limits")
    req_errs, requests = _validate_resource_list(res.get("requests") or {}, path + ".requests")
    errs = lim_errs + req_errs
    for name, req in requests.items():
        lim = limits.get(name)
        if lim is not None:
            if req.value != lim.value and not _overcommit_allowed(name):
                errs.append(invalid(path + ".requests", str(req), f"must be equal to {name} limit of {lim}"))
            elif req.value > lim.value:
                errs.append(
                    invalid(
                        path + ".requests", str(req), f"must be less than or equal to {name} limit of {lim}"
                    )
                )
        elif not _overcommit_allowed(name):
            errs.append(required(path + ".limits", "Limit must be set for non overcommitable resources"))
    return errs


# resource maps that passed, by their exact JSON (the same few recur in every pod)
_RESOURCES_PASSED = Memo(CHECK_CACHE_SIZE)


def _validate_resources(res: dict, path: str) -> list[FieldError]:
    key = json_key(res) if res.__class__ is dict else None
    if key is not None and _RESOURCES_PASSED.get(key):
        return []
    errs = _validate_resources_full(res, path)
    if key is not None and not errs:
        _RESOURCES_PASSED.put(key, True)
    return errs


def _validate_probe(probe: dict | None, path: str, single_success: bool) -> list[FieldError]:
    if probe is None:
        return []
    errs: list[FieldError] = []
    handlers = [k for k in ("exec", "httpGet", "tcpSocket", "grpc") if probe.get(k) is not None]
    if not handlers:
        errs.append(required(path, "must specify a handler type"))
    elif len(handlers) > 1:
        errs.append(forbidden(f"{path}.{handlers[1]}", "may not specify more than 1 handler type"))
    success = probe.get("successThreshold")
    if single_success and success is not None and success != 1:
        errs.append(invalid(path + ".successThreshold", success, "must be 1"))
    return errs


_TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"]


def _validate_container_common(ctr: dict, volumes: set[str], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    name = ctr.get("name") or ""
    if not name:
        errs.append(required(path + ".name"))
    else:
        msgs = dns1123_label_msgs(name)
        if msgs:
            errs.extend(invalid(path + ".name", name, m) for m in msgs)
    if not ctr.get("image"):
        errs.append(required(path + ".image"))
    tmp = ctr.get("terminationMessagePolicy")
    if tmp and tmp not in ("File", "FallbackToLogsOnError"):
        errs.append(not_supported(path + ".terminationMessagePolicy", tmp, _TERMINATION_MESSAGE_POLICIES))
    ports = ctr.get("ports")
    if ports:
        errs.extend(_validate_ports(ports, path + ".ports"))
    env = ctr.get("env")
    if env:
        errs.extend(_validate_env(env, path + ".env"))
    mounts = ctr.get("volumeMounts")
    if mounts:
        errs.extend(_validate_volume_mounts(mounts, volumes, path + ".volumeMounts"))
    policy = ctr.get("imagePullPolicy")
    if policy and policy not in _PULL_POLICIES:
        errs.append(not_supported(path + ".imagePullPolicy", policy, _PULL_POLICIES))
    errs.extend(_validate_resources(ctr.get("resources") or {}, path + ".resources"))
    return errs


_PROBES = (("livenessProbe", True), ("readinessProbe", False), ("startupProbe", True))


def _validate_lifecycle_probes(ctr: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for key, single_success in _PROBES:
        probe = ctr.get(key)
        if probe is not None:
            errs.extend(_validate_probe(probe, f"{path}.{key}", single_success))
    return errs


def _host_port_conflicts(containers: list[dict], path: str, seen: set[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    for ci, ctr in enumerate(containers):
        for pi, port in enumerate(ctr.get("ports") or []):
            hport = port.get("hostPort") or 0
            if not hport:
                continue
            key = f"{port.get('protocol') or 'TCP'}/{port.get('hostIP') or ''}/{hport}"
            if key in seen:
                errs.append(FieldError("Duplicate", f"{path}[{ci}].ports[{pi}].hostPort", value=key))
            else:
                seen.add(key)
    return errs


# Pods of one workload share their containers, so a container that passed its own checks (all but
# the ones across containers: duplicate names, host ports) is remembered by its exact JSON. The
# image is left out of the key (only its presence is checked), so an image update still hits; the
# volume names are in it when the container mounts any. Only passing is remembered: a container
# that fails, or was not seen, is checked in full, so errors and their order are unchanged.
CONTAINER_CACHE_SIZE = 1024
_CONTAINERS_PASSED = Memo(CONTAINER_CACHE_SIZE)


def _container_key(ctr: Any, volumes: set[str], init: bool) -> tuple[Any, ...] | None:
    if ctr.__class__ is not dict:
        return None
    rest = ctr.copy()
    if not rest.pop("image", None):
        return None  # required: the full checks report it
    body = json_key(rest)
    if body is None:
        return None
    return init, body, frozenset(volumes) if rest.get("volumeMounts") else None


# what _CONTAINERS_PASSED holds for a container that passed: whether it has host ports to check
# against the other containers' (a container without any cannot conflict)
_NO_HOST_PORTS = 1
_HOST_PORTS = 2


def _passed_value(ctr: dict) -> int:
    for port in ctr.get("ports") or []:
        if port.get("hostPort"):
            return _HOST_PORTS
    return _NO_HOST_PORTS


def _validate_containers(containers: list[dict], volumes: set[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    host_ports = False  # whether a container may have host ports (unknown counts as may)
    for i, ctr in enumerate(containers):
        key = _container_key(ctr, volumes, False)
        passed = _CONTAINERS_PASSED.get(key) if key is not None else None
        if passed:
            host_ports = host_ports or passed is _HOST_PORTS
            name = ctr.get("name") or ""
            if name in names:
                errs.append(FieldError("Duplicate", f"spec.containers[{i}].name", value=name))
            else:
                names.add(name)
            continue
        host_ports = True
        p = f"spec.containers[{i}]"
        common = _validate_container_common(ctr, volumes, p)
        errs.extend(common)
        name = ctr.get("name") or ""
        if name in names:
            errs.append(FieldError("Duplicate", p + ".name", value=name))
        else:
            names.add(name)
        probes = _validate_lifecycle_probes(ctr, p)
        errs.extend(probes)
        restart_policy = ctr.get("restartPolicy") is not None
        if restart_policy:
            errs.append(forbidden(p + ".restartPolicy", "may not be set for non-init containers"))
        if key is not None and not (common or probes or restart_policy):
            _CONTAINERS_PASSED.put(key, _passed_value(ctr))
    if host_ports:
        errs.extend(_host_port_conflicts(containers, "spec.containers", set()))
    return errs


def _validate_init_containers(
    inits: list[dict], containers: list[dict], volumes: set[str]
) -> list[FieldError]:
    errs: list[FieldError] = []
    names = {c.get("name") or "" for c in containers}
    for i, ctr in enumerate(inits):
        key = _container_key(ctr, volumes, True)
        if key is not None and _CONTAINERS_PASSED.get(key):
            name = ctr.get("name") or ""
            if name in names:
                errs.append(FieldError("Duplicate", f"spec.initContainers[{i}].name", value=name))
            elif name:
                names.add(name)
            continue
        p = f"spec.initContainers[{i}]"
        start = len(errs)
        errs.extend(_validate_container_common(ctr, volumes, p))
        policy = ctr.get("restartPolicy")
        if policy is not None and policy != "Always":
            errs.append(not_supported(p + ".restartPolicy", policy, ["Always"]))
        name = ctr.get("name") or ""
        duplicate = name in names
        if duplicate:
            errs.append(FieldError("Duplicate", p + ".name", value=name))
        elif name:
            names.add(name)
        # init containers run one by one, so host ports only conflict within one container
        errs.extend(_host_port_conflicts([ctr], "spec.initContainers", set()))
        if policy == "Always":  # a native sidecar behaves like a regular container here
            errs.extend(_validate_lifecycle_probes(ctr, p))
        else:
            for key_ in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if ctr.get(key_) is not None:
                    errs.append(forbidden(f"{p}.{key_}", _NOT_FOR_INIT))
        if ctr.get("resizePolicy"):
            errs.append(
                invalid(p + ".resizePolicy", ctr["resizePolicy"], "must not be set for init containers")
            )
        if key is not None and len(errs) - start == int(duplicate):
            _CONTAINERS_PASSED.put(key, _passed_value(ctr))  # nothing but (maybe) the duplicate name
    return errs


def _validate_volumes(volumes: list[dict]) -> tuple[set[str], list[FieldError]]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, vol in enumerate(volumes):
        p = f"spec.volumes[{i}]"
        el: list[FieldError] = []
        sources = [k for k in _VOLUME_SOURCES if vol.get(k) is not None]
        if not sources:
            el.append(required(p, "must specify a volume type"))
        el.extend(forbidden(f"{p}.{k}", "may not specify more than 1 volume type") for k in sources[1:])
        if sources:
            el.extend(_validate_volume_source(sources[0], vol[sources[0]], f"{p}.{sources[0]}"))
        name = vol.get("name") or ""
        if not name:
            el.append(required(p + ".name"))
        else:
            el.extend(invalid(p + ".name", name, m) for m in dns1123_label_msgs(name))
        if name in names:
            el.append(FieldError("Duplicate", p + ".name", value=name))
        if el:
            errs.extend(el)
        else:
            names.add(name)
    return names, errs


_VOLUME_SOURCE_NAME_FIELD = {
    "configMap": "name",
    "secret": "secretName",
    "persistentVolumeClaim": "claimName",
    "hostPath": "path",
}


def _validate_volume_source(kind: str, source: Any, path: str) -> list[FieldError]:
    field_name = _VOLUME_SOURCE_NAME_FIELD.get(kind)
    if field_name and isinstance(source, dict) and not source.get(field_name):
        return [required(f"{path}.{field_name}")]
    return []


# toleration lists that passed, by their exact JSON (most pods carry the same defaulted ones)
_TOLERATIONS_PASSED = Memo(CHECK_CACHE_SIZE)


def validate_tolerations(tolerations: list[dict], path: str) -> list[FieldError]:
    key = json_key(tolerations) if tolerations.__class__ is list else None
    if key is not None and _TOLERATIONS_PASSED.get(key):
        return []
    errs = _validate_tolerations(tolerations, path)
    if key is not None and not errs:
        _TOLERATIONS_PASSED.put(key, True)
    return errs


def _validate_tolerations(tolerations: list[dict], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, tol in enumerate(tolerations or []):
        key = tol.get("key") or ""
        op = tol.get("operator") or ""
        effect = tol.get("effect") or ""
        value = tol.get("value") or ""
        if key:
            errs.extend(validate_label_name(key, f"{path}[{i}].key"))
        if not key and op != "Exists":
            errs.append(
                invalid(
                    f"{path}[{i}].operator",
                    op,
                    "operator must be Exists when `key` is empty, "
                    'which means "match all values and all keys"',
                )
            )
        if tol.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(
                invalid(
                    f"{path}[{i}].effect",
                    effect,
                    "effect must be 'NoExecute' when `tolerationSeconds` is set",
                )
            )
        if op in ("Equal", ""):
            msgs = label_value_msgs(value)
            if msgs:
                errs.append(invalid(f"{path}[{i}].operator", value, ";".join(msgs)))
        elif op == "Exists":
            if value:
                errs.append(
                    invalid(f"{path}[{i}].operator", tol, "value must be empty when `operator` is 'Exists'")
                )
        else:
            errs.append(not_supported(f"{path}[{i}].operator", op, ["Equal", "Exists"]))
        if effect and effect not in _TAINT_EFFECTS:
            errs.append(not_supported(f"{path}[{i}].effect", effect, _TAINT_EFFECTS))
    return errs


def _validate_pod_spec(spec: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    volumes = spec.get("volumes")
    if volumes:
        volume_names, vol_errs = _validate_volumes(volumes)
        errs.extend(vol_errs)
    else:
        volume_names = set()
    containers = spec.get("containers") or []
    if not containers:
        errs.append(required("spec.containers"))
    errs.extend(_validate_containers(containers, volume_names))
    inits = spec.get("initContainers")
    if inits:
        errs.extend(_validate_init_containers(inits, containers, volume_names))
    if spec.get("hostNetwork"):
        for i, ctr in enumerate(containers):
            for j, port in enumerate(ctr.get("ports") or []):
                if port.get("hostPort") and port.get("hostPort") != port.get("containerPort"):
                    errs.append(
                        invalid(
                            f"spec.containers[{i}].ports[{j}].containerPort",
                            port.get("containerPort"),
                            "must match `hostPort` when `hostNetwork` is true",
                        )
                    )
    restart = spec.get("restartPolicy")
    if restart and restart not in _RESTART_POLICIES:
        errs.append(not_supported("spec.restartPolicy", restart, _RESTART_POLICIES))
    dns = spec.get("dnsPolicy")
    if dns and dns not in _DNS_POLICIES:
        errs.append(not_supported("spec.dnsPolicy", dns, _DNS_POLICIES))
    selector = spec.get("nodeSelector")
    if selector:
        errs.extend(validate_labels(selector, "spec.nodeSelector"))
    if dns == "None" and spec.get("dnsConfig") is None:
        errs.append(required("spec.dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None"))
    for i, gate in enumerate(spec.get("readinessGates") or []):
        ctype = gate.get("conditionType") or ""
        errs.extend(
            invalid(f"spec.readinessGates[{i}].conditionType", ctype, m) for m in qualified_name_msgs(ctype)
        )
    for key in ("serviceAccountName", "nodeName", "priorityClassName"):
        value = spec.get(key)
        if value:
            msgs = dns1123_subdomain_msgs(value)
            if msgs:
                errs.extend(invalid(f"spec.{key}", value, m) for m in msgs)
    ads = spec.get("activeDeadlineSeconds")
    if ads is not None and not (isinstance(ads, int) and 1 <= ads <= MAX_INT32):
        errs.append(invalid("spec.activeDeadlineSeconds", ads, inclusive_range_error(1, MAX_INT32)))
    for key in ("hostname", "subdomain"):
        value = spec.get(key)
        if value:
            msgs = dns1123_label_msgs(value)
            if msgs:
                errs.extend(invalid(f"spec.{key}", value, m) for m in msgs)
    tolerations = spec.get("tolerations")
    if tolerations:
        errs.extend(validate_tolerations(tolerations, "spec.tolerations"))
    tgps = spec.get("terminationGracePeriodSeconds")
    if isinstance(tgps, int) and tgps < 0:
        errs.append(invalid("spec.terminationGracePeriodSeconds", tgps, "must be greater than or equal to 0"))
    gates: set[str] = set()
    for i, gate in enumerate(spec.get("schedulingGates") or []):
        gname = gate.get("name") or ""
        errs.extend(invalid(f"spec.schedulingGates[{i}].name", gname, m) for m in qualified_name_msgs(gname))
        if gname in gates:
            errs.append(FieldError("Duplicate", f"spec.schedulingGates[{i}]", value=gname))
        gates.add(gname)
    return errs


# Pods of one workload are created with one spec: a spec that passed is remembered by its exact
# JSON, as containers are (only passing, so errors and their order are unchanged).
_SPECS_PASSED = Memo(256)


def validate_pod_create(pod: dict) -> list[FieldError]:
    """Spec rules kube applies when a Pod is created (metadata is checked by validate_object_meta)."""
    spec = pod.get("spec") or {}
    key = json_key(spec) if spec.__class__ is dict else None
    if key is not None and _SPECS_PASSED.get(key):
        return []
    errs = _validate_pod_spec(spec)
    if spec.get("ephemeralContainers"):
        errs.append(forbidden("spec.ephemeralContainers", "cannot be set on create"))
    errs = _dedupe(errs)
    if key is not None and not errs:
        _SPECS_PASSED.put(key, True)
    return errs


# -- QoS ---------------------------------------------------------------------------------------------


def compute_qos(pod: dict) -> str:
    """kube's ComputePodQOS over cpu and memory (requests default to limits when unset)."""
    spec = pod.get("spec") or {}
    key = _qos_key(spec)
    if key is not None:
        qos = _QOS_BY_RESOURCES.get(key)
        if qos is not None:
            return qos
    qos = _compute_qos(spec)
    if key is not None:
        _QOS_BY_RESOURCES.put(key, qos)
    return qos


# QoS classes by the exact JSON of every container's resources (all that the QoS depends on)
_QOS_BY_RESOURCES = Memo(CHECK_CACHE_SIZE)


def _qos_key(spec: Any) -> bytes | None:
    """Every container's resources as JSON when they are plain JSON without nulls, else None."""
    if spec.__class__ is not dict:
        return None
    resources = []
    for key in ("containers", "initContainers"):
        ctrs = spec.get(key)
        if not ctrs:
            continue
        if ctrs.__class__ is not list:
            return None
        for ctr in ctrs:
            if ctr.__class__ is not dict:
                return None
            resources.append(ctr.get("resources") or {})  # as _compute_qos reads it
    return json_key(resources)


def _compute_qos(spec: dict) -> str:
    requests: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    guaranteed = True
    for ctr in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        res = ctr.get("resources") or {}
        lim = res.get("limits") or {}
        req = {**lim, **(res.get("requests") or {})}
        for name in ("cpu", "memory"):
            if name in req and _positive(req[name]):
                requests[name] = requests.get(name, 0) + parse_quantity(req[name]).value
        found = set()
        for name in ("cpu", "memory"):
            if name in lim and _positive(lim[name]):
                found.add(name)
                limits[name] = limits.get(name, 0) + parse_quantity(lim[name]).value
        if found != {"cpu", "memory"}:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and all(limits.get(k) == v for k, v in requests.items()) and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"


def _positive(raw: Any) -> bool:
    try:
        return parse_quantity(raw).value > 0
    except ValueError:
        return False


def _stored_qos(pod: dict) -> str:
    return (pod.get("status") or {}).get("qosClass") or compute_qos(pod)


# -- update ------------------------------------------------------------------------------------------


def _normalize(value: Any, key: str = "") -> Any:
    """Drop JSON zero values (as Go's omitempty does) and canonicalize quantities before comparing."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if key in ("limits", "requests") and v is not None:
                try:
                    out[k] = str(parse_quantity(v))
                    continue
                except ValueError:
                    pass
            nv = _normalize(v, k)
            if not _is_zero(nv):
                out[k] = nv
        return out
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    return value


def _is_zero(v: Any) -> bool:
    # numbers stay: 0 is meaningful for pointer fields such as terminationGracePeriodSeconds
    return v is None or v is False or (isinstance(v, str | list | dict) and not v)


# Equality of normalized values without building them. Specs are compared subtree by subtree: a
# subtree that is the same JSON value on both sides (`_same`) normalizes the same and is skipped;
# only the subtrees that differ are walked, down to the values that get normalized and compared.

_MISSING: Any = object()


def _same(a: Any, b: Any) -> bool:
    """True only when `a` and `b` are the same JSON value, types included (1 is neither True nor 1.0).

    `==` alone is not enough: False == 0, yet _normalize drops False and keeps 0. False negatives
    (e.g. keys in another order) are fine, the callers then look deeper.
    """
    if a is b:
        return True
    try:
        return bool(a == b) and orjson.dumps(a, option=JSON_OPTS) == orjson.dumps(b, option=JSON_OPTS)
    except (TypeError, ValueError):
        return False


def _entry(value: Any, parent: str, key: str) -> Any:
    """What `_normalize` stores for `parent`'s entry `key` (_MISSING when absent or dropped)."""
    if value is _MISSING:
        return _MISSING
    if parent in ("limits", "requests") and value is not None:
        try:
            return str(parse_quantity(value))
        except ValueError:
            pass
    nv = _normalize(value, key)
    return _MISSING if _is_zero(nv) else nv


def _entry_equal(va: Any, vb: Any, parent: str, key: str) -> bool:
    """Whether dict entry `key` of `parent` compares equal after _normalize (as dict equality does)."""
    if va is vb:
        return True
    if va is not _MISSING and vb is not _MISSING:
        if _same(va, vb):
            return True
        cls = va.__class__
        if cls is vb.__class__ and parent not in ("limits", "requests"):
            # both normalize to a dict (or both to a list), dropped exactly when empty
            if cls is dict:
                return _norm_dict_equal(va, vb, key)
            if cls is list:
                return _norm_list_equal(va, vb)
    ea, eb = _entry(va, parent, key), _entry(vb, parent, key)
    return ea is eb or (ea is not _MISSING and eb is not _MISSING and ea == eb)


def _norm_dict_equal(a: dict, b: dict, key: str) -> bool:
    """_normalize(a, key) == _normalize(b, key) for two plain dicts."""
    for k, va in a.items():
        if not _entry_equal(va, b.get(k, _MISSING), key, k):
            return False
    # keys only in `b` must all be dropped by _normalize
    return all(k in a or _entry(vb, key, k) is _MISSING for k, vb in b.items())


def _norm_list_equal(a: list, b: list) -> bool:
    """_normalize(a) == _normalize(b) for two plain lists."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x is y or _same(x, y):
            continue
        cls = x.__class__
        if cls is y.__class__:
            if cls is dict:
                if not _norm_dict_equal(x, y, ""):
                    return False
                continue
            if cls is list:
                if not _norm_list_equal(x, y):
                    return False
                continue
        nx, ny = _normalize(x), _normalize(y)
        if not (nx is ny or nx == ny):
            return False
    return True


def _norm_equal(a: Any, b: Any) -> bool:
    """`_normalize(a) == _normalize(b)`, walking only the parts that differ."""
    if a.__class__ is dict and b.__class__ is dict:
        return _same(a, b) or _norm_dict_equal(a, b, "")
    return _normalize(a) == _normalize(b)


def _go_field(name: str) -> str:
    return name[:1].upper() + name[1:]


def _spec_diff(old: dict, new: dict) -> str:
    """A short cmp.Diff-like rendering of top-level PodSpec changes."""
    lines = ["  core.PodSpec{"]
    same = 0

    def flush() -> None:
        nonlocal same
        if same:
            lines.append(f"  \t... // {same} identical fields")
            same = 0

    for key in list(old) + [k for k in new if k not in old]:
        if old.get(key) == new.get(key):
            same += 1
            continue
        flush()
        if key in old:
            lines.append(f"- \t{_go_field(key)}: {orjson.dumps(old[key]).decode()},")
        if key in new:
            lines.append(f"+ \t{_go_field(key)}: {orjson.dumps(new[key]).decode()},")
    flush()
    lines.append("  }")
    return "\n".join(lines) + "\n"


def _validate_container_updates(new: list[dict], old: list[dict], path: str) -> tuple[list[FieldError], bool]:
    if len(new) != len(old):
        return [forbidden(path, "pod updates may not add or remove containers")], True
    errs: list[FieldError] = []
    for i, ctr in enumerate(new):
        image = ctr.get("image") or ""
        if not image:
            errs.append(required(f"{path}[{i}].image"))
        if image.strip() != image:
            errs.append(invalid(f"{path}[{i}].image", image, "must not have leading or trailing whitespace"))
    return errs, False


def _validate_only_added_tolerations(new: list[dict], old: list[dict]) -> list[FieldError]:
    def strip(t: dict) -> dict:
        return {k: v for k, v in _normalize(t).items() if k != "tolerationSeconds"}

    new_stripped = [strip(t) for t in new]
    for t in old:
        if strip(t) not in new_stripped:
            return [
                forbidden(
                    "spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"
                )
            ]
    return validate_tolerations(new, "spec.tolerations")


def _copy_for_images(nspec: Any) -> Any:
    """A copy of `nspec` whose containers may be changed: plain dicts and lists are copied only as
    deep as that (nothing changes the rest); anything else is deep-copied, as it always was."""
    if nspec.__class__ is not dict:
        return copy.deepcopy(nspec)
    munged = dict(nspec)
    for key in ("containers", "initContainers"):
        ctrs = munged.get(key)
        if not ctrs:
            continue
        if ctrs.__class__ is not list:
            return copy.deepcopy(nspec)
        copied = []
        for ctr in ctrs:
            if ctr.__class__ is not dict:
                return copy.deepcopy(nspec)
            copied.append(ctr.copy())
        munged[key] = copied
    return munged


def _munged(nspec: Any, ospec: dict) -> tuple[Any, list[str]]:
    """`nspec` with every change a pod update may make undone (taken back from `ospec`).

    Also gives the top-level fields it took from `ospec` besides the containers' images.
    """
    munged = _copy_for_images(nspec)
    for key in ("containers", "initContainers"):
        for ctr, old_ctr in zip(munged.get(key) or [], ospec.get(key) or [], strict=False):
            ctr["image"] = old_ctr.get("image")
    replaced = ["activeDeadlineSeconds", "tolerations", "schedulingGates"]
    for key in replaced:
        munged.pop(key, None)
        if key in ospec:
            munged[key] = ospec[key]
    old_tgps, new_tgps = (
        ospec.get("terminationGracePeriodSeconds"),
        munged.get("terminationGracePeriodSeconds"),
    )
    if isinstance(old_tgps, int) and old_tgps < 0 and new_tgps == 1:
        munged["terminationGracePeriodSeconds"] = old_tgps
        replaced.append("terminationGracePeriodSeconds")
    if ospec.get("schedulingGates"):
        # gated pods may gain nodeSelector entries (no mutation or removal)
        old_sel, new_sel = ospec.get("nodeSelector") or {}, munged.get("nodeSelector") or {}
        if all(new_sel.get(k) == v for k, v in old_sel.items()):
            munged.pop("nodeSelector", None)
            if "nodeSelector" in ospec:
                munged["nodeSelector"] = ospec["nodeSelector"]
            replaced.append("nodeSelector")
    return munged, replaced


def _plain_specs(nspec: Any, ospec: Any) -> bool:
    """Whether both specs are plain dicts with plain container lists, so _munged cannot fail."""
    if nspec.__class__ is not dict or ospec.__class__ is not dict:
        return False
    for spec in (nspec, ospec):
        for key in ("containers", "initContainers"):
            ctrs = spec.get(key)
            if ctrs:
                if ctrs.__class__ is not list:
                    return False
                for ctr in ctrs:
                    if ctr.__class__ is not dict:
                        return False
        selector = spec.get("nodeSelector")
        if selector and selector.__class__ is not dict:
            return False
    return True


def _only_replaced_differ(nspec: dict, ospec: dict, replaced: list[str]) -> bool:
    """Given N(munged) == N(ospec): whether N(nspec) == N(ospec) too, i.e. whether the fields that
    _munged took back from `ospec` (images and `replaced`) were unchanged in `nspec` already."""
    for key in ("containers", "initContainers"):  # images first: they are what usually changes
        for ctr, old_ctr in zip(nspec.get(key) or [], ospec.get(key) or [], strict=False):
            if not _entry_equal(ctr.get("image", _MISSING), old_ctr.get("image", _MISSING), "", "image"):
                return False
    return all(_entry_equal(nspec.get(key, _MISSING), ospec.get(key, _MISSING), "", key) for key in replaced)


def validate_pod_update(new: dict, old: dict) -> list[FieldError]:
    """kube's ValidatePodUpdate minus metadata: the new spec's own rules, then the mutable-field rules."""
    errs = _validate_pod_spec(new.get("spec") or {})
    nspec, ospec = new.get("spec") or {}, old.get("spec") or {}
    for key, path in (("containers", "spec.containers"), ("initContainers", "spec.initContainers")):
        cerrs, stop = _validate_container_updates(nspec.get(key) or [], ospec.get(key) or [], path)
        errs.extend(cerrs)
        if stop:
            return _dedupe(errs)

    new_ads, old_ads = nspec.get("activeDeadlineSeconds"), ospec.get("activeDeadlineSeconds")
    if new_ads is not None:
        if not isinstance(new_ads, int) or new_ads < 0 or new_ads > MAX_INT32:
            errs.append(invalid("spec.activeDeadlineSeconds", new_ads, inclusive_range_error(0, MAX_INT32)))
            return _dedupe(errs)
        if old_ads is not None and old_ads < new_ads:
            errs.append(
                invalid("spec.activeDeadlineSeconds", new_ads, "must be less than or equal to previous value")
            )
            return _dedupe(errs)
    elif old_ads is not None:
        errs.append(
            invalid(
                "spec.activeDeadlineSeconds", None, "must not update from a positive integer to nil value"
            )
        )

    new_tolerations, old_tolerations = nspec.get("tolerations") or [], ospec.get("tolerations") or []
    # Unchanged tolerations were not modified, and validate_tolerations(new) would only repeat the
    # errors _validate_pod_spec already reported for them (which _dedupe drops), so skip the work.
    if not _same(new_tolerations, old_tolerations):
        errs.extend(_validate_only_added_tolerations(new_tolerations, old_tolerations))
    old_gates = {g.get("name") for g in ospec.get("schedulingGates") or []}
    for gate in nspec.get("schedulingGates") or []:
        if gate.get("name") not in old_gates:
            errs.append(
                forbidden(
                    "spec.schedulingGates",
                    f"only deletion is allowed, but found new scheduling gate '{gate.get('name')}'",
                )
            )

    # kube compares the specs, then (when they differ) checks the QoS and compares the spec with
    # the allowed changes undone. Undoing first is cheaper: the undone spec usually is unchanged,
    # and then only the undone fields need comparing to tell whether anything changed at all. That
    # order is only taken for plain specs, where undoing cannot fail.
    if _plain_specs(nspec, ospec):
        munged, replaced = _munged(nspec, ospec)
        allowed_only = _norm_equal(ospec, munged)
        if allowed_only and _only_replaced_differ(nspec, ospec, replaced):
            return _dedupe(errs)
        errs.extend(_qos_errors(new, old))
    else:
        if _norm_equal(ospec, nspec):
            return _dedupe(errs)
        errs.extend(_qos_errors(new, old))
        munged, _ = _munged(nspec, ospec)
        allowed_only = _norm_equal(ospec, munged)
    if not allowed_only:
        norm_old, norm_munged = _normalize(ospec), _normalize(munged)
        errs.append(forbidden("spec", UPDATABLE_POD_SPEC_FIELDS + "\n" + _spec_diff(norm_old, norm_munged)))
    return _dedupe(errs)


def _qos_errors(new: dict, old: dict) -> list[FieldError]:
    if _stored_qos(old) != compute_qos(new):
        return [invalid("metadata", (new.get("status") or {}).get("qosClass") or "", "Pod QoS is immutable")]
    return []


# -- resize subresource ------------------------------------------------------------------------------


def apply_resize(new: dict, old: dict) -> dict:
    """The object a resize request stores: `old` with only containers' resources/resizePolicy from `new`.

    kube drops every other change a resize request carries; containers are matched by name.
    """
    out = copy.deepcopy(old)
    for key in ("containers", "initContainers"):
        by_name = {c.get("name"): i for i, c in enumerate((out.get("spec") or {}).get(key) or [])}
        for ctr in (new.get("spec") or {}).get(key) or []:
            idx = by_name.get(ctr.get("name"))
            if idx is None or (key == "initContainers" and ctr.get("restartPolicy") != "Always"):
                continue  # only native sidecars among init containers are resizable
            target = out["spec"][key][idx]
            for field in ("resources", "resizePolicy"):
                if ctr.get(field) is not None:
                    target[field] = copy.deepcopy(ctr[field])
                else:
                    target.pop(field, None)
    return out


def validate_pod_resize(new: dict, old: dict) -> list[FieldError]:
    """kube 1.33's ValidatePodResize; `new` should come from `apply_resize(request, old)`."""
    nspec, ospec = new.get("spec") or {}, old.get("spec") or {}
    errs = _dedupe(_validate_pod_spec(nspec))
    if "kubernetes.io/config.mirror" in ((old.get("metadata") or {}).get("annotations") or {}):
        return [forbidden("", "static pods cannot be resized")]
    if ((ospec.get("os") or {}).get("name")) == "windows":
        return [forbidden("", "windows pods cannot be resized")]
    if _stored_qos(old) != compute_qos(new):
        errs.append(invalid("spec", _stored_qos(old), "Pod QOS Class may not change as a result of resizing"))
    if not _resize_supported(old):
        errs.append(forbidden("spec", "Pod running on node without support for resize"))
    for key in ("containers", "initContainers"):
        old_ctrs, new_ctrs = ospec.get(key) or [], nspec.get(key) or []
        for i, (octr, nctr) in enumerate(zip(old_ctrs, new_ctrs, strict=False)):
            if key == "initContainers" and octr.get("restartPolicy") != "Always":
                continue
            if octr.get("name") != nctr.get("name"):
                errs.append(
                    forbidden(f"spec.{key}[{i}].name", "containers may not be renamed or reordered on resize")
                )
                continue
            ores, nres = octr.get("resources") or {}, nctr.get("resources") or {}
            for part in ("requests", "limits"):
                if set(ores.get(part) or {}) - set(nres.get(part) or {}):
                    errs.append(
                        forbidden(f"spec.{key}[{i}].resources.{part}", f"resource {part} cannot be removed")
                    )
            errs.extend(
                _memory_limit_errors(nres, ores, nctr.get("resizePolicy"), f"spec.{key}[{i}].resources")
            )
    if _without_cpu_memory_changes(nspec, ospec) != _normalize(ospec):
        errs.append(forbidden("spec", "only cpu and memory resources are mutable"))
    return errs


def _resize_supported(pod: dict) -> bool:
    """kube's version-skew guard: the first running container must report status resources (a node
    that does not report them cannot resize); with nothing running, resize is assumed supported."""
    for st in (pod.get("status") or {}).get("containerStatuses") or []:
        if "running" in (st.get("state") or {}):
            return st.get("resources") is not None
    return True


def _memory_limit_errors(nres: dict, ores: dict, policies: Any, path: str) -> list[FieldError]:
    """1.33: without a RestartContainer policy for memory, its limit may neither drop nor be added."""
    policy = next(
        (
            p.get("restartPolicy")
            for p in policies or []
            if isinstance(p, dict) and p.get("resourceName") == "memory"
        ),
        "",
    )
    if policy not in ("", "NotRequired"):
        return []
    new_lim, old_lim = (nres.get("limits") or {}).get("memory"), (ores.get("limits") or {}).get("memory")
    if new_lim is None:
        return []
    if old_lim is None:
        verb = "added"
    else:
        try:
            if parse_quantity(new_lim).value >= parse_quantity(old_lim).value:
                return []
        except ValueError:
            return []  # the spec checks report a malformed quantity
        verb = "decreased"
    return [
        forbidden(
            f"{path}.limits[memory]",
            f"memory limits cannot be {verb} unless resizePolicy is RestartContainer",
        )
    ]


def _without_cpu_memory_changes(nspec: dict, ospec: dict) -> Any:
    munged = copy.deepcopy(nspec)
    for key in ("containers", "initContainers"):
        for ctr, octr in zip(munged.get(key) or [], ospec.get(key) or [], strict=False):
            ores = octr.get("resources") or {}
            res = ctr.get("resources") or {}
            for part in ("requests", "limits"):
                merged = {k: v for k, v in (res.get(part) or {}).items() if k not in ("cpu", "memory")}
                merged.update({k: v for k, v in (ores.get(part) or {}).items() if k in ("cpu", "memory")})
                if merged:
                    res[part] = merged
                else:
                    res.pop(part, None)
            if res:
                ctr["resources"] = res
            # a changed resizePolicy is left in: 1.33 refuses it like any other change
    return _normalize(munged)


# -- status ------------------------------------------------------------------------------------------

_PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"]


def validate_pod_status_update(new: dict, old: dict) -> list[FieldError]:
    """Cheap status rules: phase values, nodeName, terminated containers staying terminated."""
    errs: list[FieldError] = []
    status, ostatus = new.get("status") or {}, old.get("status") or {}
    phase = status.get("phase")
    if phase and phase not in _PHASES:
        errs.append(not_supported("status.phase", phase, _PHASES))
    if (new.get("spec") or {}).get("nodeName") != (old.get("spec") or {}).get("nodeName"):
        errs.append(forbidden("status.nodeName", "may not be changed directly"))
    nominated = status.get("nominatedNodeName")
    if nominated and nominated != ostatus.get("nominatedNodeName"):
        errs.extend(
            invalid("status.nominatedNodeName", nominated, m) for m in is_dns1123_subdomain(nominated)
        )
    restart = (old.get("spec") or {}).get("restartPolicy") or "Always"
    for key in ("containerStatuses", "initContainerStatuses"):
        if key == "containerStatuses" and restart == "Always":
            continue  # containers may leave the terminated state when they always restart
        new_by_name = {s.get("name"): s for s in status.get(key) or []}
        for i, ost in enumerate(ostatus.get(key) or []):
            term = (ost.get("state") or {}).get("terminated")
            if term is None:
                continue
            if key == "initContainerStatuses" and restart == "Always":
                continue
            if term.get("exitCode", 0) != 0 and restart == "OnFailure":
                continue
            nst = new_by_name.get(ost.get("name"))
            if nst is not None and (nst.get("state") or {}).get("terminated") is None:
                errs.append(
                    forbidden(f"status.{key}[{i}].state", "may not be transitioned to non-terminated state")
                )
    return errs
