"""Cheap, commonly hit rules for namespaces, services, configmaps, secrets and nodes (as kube).

Metadata is not checked here: callers run validate_object_meta(_update) alongside.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import orjson

from kruise.apiserver.errors import FieldError, invalid, not_supported, required
from kruise.apiserver.validation.meta import (
    FIELD_IMMUTABLE,
    immutable,
    inclusive_range_error,
    is_dns1123_label,
    is_qualified_name,
    is_valid_label_value,
    max_len_error,
    regex_error,
    too_long,
    validate_label_name,
    validate_labels,
)

MAX_SECRET_SIZE = 1024 * 1024
_SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
_PROTOCOLS = ["SCTP", "TCP", "UDP"]
_NOT_STANDARD_FINALIZER = "name is neither a standard finalizer name nor is it fully qualified"
_CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
_CONFIG_KEY_RE = re.compile("^" + _CONFIG_KEY_FMT + "$")


def is_config_map_key(key: str) -> list[str]:
    errs = []
    if len(key) > 253:
        errs.append(max_len_error(253))
    if not _CONFIG_KEY_RE.match(key):
        errs.append(
            regex_error(
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                _CONFIG_KEY_FMT,
                "key.name",
                "KEY_NAME",
                "key-name",
            )
        )
    if key == ".":
        errs.append("must not be '.'")
    elif key == "..":
        errs.append("must not be '..'")
    elif key.startswith(".."):
        errs.append("must not start with '..'")
    return errs


# -- namespaces ------------------------------------------------------------------------------------


def validate_namespace(ns: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    for fin in (ns.get("spec") or {}).get("finalizers") or []:
        errs.extend(invalid("spec.finalizers", fin, m) for m in is_qualified_name(fin))
        if "/" not in fin and fin not in ("kubernetes", "orphan", "foregroundDeletion"):
            errs.append(invalid("spec.finalizers", fin, _NOT_STANDARD_FINALIZER))
    return errs


# -- services --------------------------------------------------------------------------------------


def _port_name_errors(name: str) -> list[str]:
    errs = []
    if len(name) > 15:
        errs.append(max_len_error(15))
    if not re.fullmatch(r"[-a-z0-9]+", name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search(r"[a-z]", name):
        errs.append("must contain at least one letter (a-z)")
    if "--" in name:
        errs.append("must not contain consecutive hyphens")
    if name.startswith("-") or name.endswith("-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def _valid_port(port: Any) -> bool:
    return isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535


def _validate_service_port(port: dict, require_name: bool, names: set[str], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    name = port.get("name") or ""
    if require_name and not name:
        errs.append(required(path + ".name"))
    elif name:
        errs.extend(invalid(path + ".name", name, m) for m in is_dns1123_label(name))
        if name in names:
            errs.append(FieldError("Duplicate", path + ".name", value=name))
        names.add(name)
    number = port.get("port", 0)
    if not _valid_port(number):
        errs.append(invalid(path + ".port", number, inclusive_range_error(1, 65535)))
    proto = port.get("protocol")
    if proto and proto not in _PROTOCOLS:
        errs.append(not_supported(path + ".protocol", proto, _PROTOCOLS))
    target = port.get("targetPort")
    if isinstance(target, int) and not _valid_port(target) and target != 0:
        errs.append(invalid(path + ".targetPort", target, inclusive_range_error(1, 65535)))
    elif isinstance(target, str) and target:
        errs.extend(invalid(path + ".targetPort", target, m) for m in _port_name_errors(target))
    return errs


def validate_service(svc: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    spec = svc.get("spec") or {}
    stype = spec.get("type") or "ClusterIP"
    headless = spec.get("clusterIP") == "None"
    ports = spec.get("ports") or []
    if not ports and not headless and stype != "ExternalName":
        errs.append(required("spec.ports"))
    if stype == "ExternalName":
        external = spec.get("externalName") or ""
        if not external:
            errs.append(required("spec.externalName"))
    names: set[str] = set()
    for i, port in enumerate(ports):
        errs.extend(_validate_service_port(port, len(ports) > 1, names, f"spec.ports[{i}]"))
    errs.extend(validate_labels(spec.get("selector"), "spec.selector"))
    affinity = spec.get("sessionAffinity")
    if affinity and affinity not in ("ClientIP", "None"):
        errs.append(not_supported("spec.sessionAffinity", affinity, ["ClientIP", "None"]))
    if stype not in _SERVICE_TYPES:
        errs.append(not_supported("spec.type", stype, _SERVICE_TYPES))
    if stype == "ClusterIP":
        for i, port in enumerate(ports):
            if port.get("nodePort"):
                errs.append(
                    FieldError(
                        "Forbidden", f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'"
                    )
                )
    return errs


# -- configmaps and secrets ------------------------------------------------------------------------


def validate_configmap(cm: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    data, binary = cm.get("data") or {}, cm.get("binaryData") or {}
    size = 0
    for key in sorted(data):
        errs.extend(invalid(f"data[{key}]", key, m) for m in is_config_map_key(key))
        if key in binary:
            errs.append(invalid(f"data[{key}]", key, "duplicate of key present in binaryData"))
        size += len((data[key] or "").encode())
    for key in sorted(binary):
        errs.extend(invalid(f"binaryData[{key}]", key, m) for m in is_config_map_key(key))
        size += len(_decoded(binary[key]))
    if size > MAX_SECRET_SIZE:
        errs.append(too_long("", MAX_SECRET_SIZE))
    return errs


def _decoded(value: Any) -> bytes:
    try:
        return base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError):
        return (value or "").encode()


def _secret_data(secret: dict) -> dict[str, bytes]:
    # stringData is merged into data (as kube's conversion does) before validation
    out = {k: _decoded(v) for k, v in (secret.get("data") or {}).items()}
    out.update({k: (v or "").encode() for k, v in (secret.get("stringData") or {}).items()})
    return out


def validate_secret(secret: dict) -> list[FieldError]:
    meta = secret.get("metadata") or {}
    errs: list[FieldError] = []
    data = _secret_data(secret)
    for key in sorted(data):
        errs.extend(invalid(f"data[{key}]", key, m) for m in is_config_map_key(key))
    if sum(len(v) for v in data.values()) > MAX_SECRET_SIZE:
        errs.append(too_long("data", MAX_SECRET_SIZE))
    stype = secret.get("type") or "Opaque"
    if stype == "kubernetes.io/service-account-token":
        if not (meta.get("annotations") or {}).get("kubernetes.io/service-account.name"):
            errs.append(required("metadata.annotations[kubernetes.io/service-account.name]"))
    elif stype in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"):
        key = ".dockercfg" if stype == "kubernetes.io/dockercfg" else ".dockerconfigjson"
        if key not in data:
            errs.append(required(f"data[{key}]"))
        else:
            try:
                orjson.loads(data[key])
            except orjson.JSONDecodeError as exc:
                errs.append(invalid(f"data[{key}]", "<secret contents redacted>", str(exc)))
    elif stype == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            errs.extend([required("data[username]"), required("data[password]")])
    elif stype == "kubernetes.io/ssh-auth":
        if not data.get("ssh-privatekey"):
            errs.append(required("data[ssh-privatekey]"))
    elif stype == "kubernetes.io/tls":
        for key in ("tls.crt", "tls.key"):
            if key not in data:
                errs.append(required(f"data[{key}]"))
    return errs


def _validate_immutable_data(new: dict, old: dict, keys: tuple[str, ...]) -> list[FieldError]:
    errs: list[FieldError] = []
    if old.get("immutable"):
        for key in keys:
            if (new.get(key) or {}) != (old.get(key) or {}):
                errs.append(FieldError("Forbidden", key, "field is immutable when `immutable` is set"))
        if not new.get("immutable"):
            errs.append(FieldError("Forbidden", "immutable", "field is immutable when `immutable` is set"))
    return errs


def validate_configmap_update(new: dict, old: dict) -> list[FieldError]:
    """Update-only rules (run validate_configmap(new) too)."""
    return _validate_immutable_data(new, old, ("data", "binaryData"))


def validate_secret_update(new: dict, old: dict) -> list[FieldError]:
    """Update-only rules (run validate_secret(new) too)."""
    errs = immutable(new.get("type") or "Opaque", old.get("type") or "Opaque", "type", FIELD_IMMUTABLE)
    return errs + _validate_immutable_data(new, old, ("data",))


# -- nodes -----------------------------------------------------------------------------------------

_TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]


def validate_node(node: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for i, taint in enumerate((node.get("spec") or {}).get("taints") or []):
        p = f"spec.taints[{i}]"
        key, effect, value = taint.get("key") or "", taint.get("effect") or "", taint.get("value") or ""
        errs.extend(validate_label_name(key, p + ".key"))
        msgs = is_valid_label_value(value)
        if msgs:
            errs.append(invalid(p + ".value", value, ";".join(msgs)))
        if not effect:
            errs.append(required(p + ".effect"))
        elif effect not in _TAINT_EFFECTS:
            errs.append(not_supported(p + ".effect", effect, _TAINT_EFFECTS))
        if (key, effect) in seen:
            errs.append(FieldError("Duplicate", p, "taints must be unique by key and effect pair", taint))
        seen.add((key, effect))
    return errs
