"""A container's environment and argv: image defaults, env/envFrom, fieldRef, $(VAR) expansion.

ConfigMaps and Secrets are fetched through a `Lookup` (the API); everything else is pure.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable
from typing import Any

Obj = dict[str, Any]
# (kind "ConfigMap"|"Secret", namespace, name) -> the object, or None when it does not exist
Lookup = Callable[[str, str, str], Awaitable[Obj | None]]

_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
PLACEHOLDER = [
    "python3",
    "-c",
    "import signal,time\nsignal.signal(signal.SIGTERM, lambda *a: exit(0))\nwhile True: time.sleep(3600)",
]


class EnvError(Exception):
    """CreateContainerConfigError: a referenced ConfigMap/Secret or key is missing."""


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes $(VAR) expansion: unknown references stay as written, $$ escapes a $."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)

    return _REF.sub(sub, text)


def field_value(pod: Obj, path: str, pod_ip: str, host_ip: str) -> str:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    m = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if m:
        return str((meta.get(m.group(1)) or {}).get(m.group(2), ""))
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.podIP": pod_ip,
        "status.podIPs": pod_ip,
        "status.hostIP": host_ip,
        "status.hostIPs": host_ip,
    }
    return str(simple.get(path) or "")


def _data(obj: Obj, kind: str) -> dict[str, str]:
    if kind == "Secret":
        out = {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in (obj.get("data") or {}).items()}
        out.update(obj.get("stringData") or {})
        return out
    return {**(obj.get("binaryData") or {}), **(obj.get("data") or {})}


async def _ref_value(ref: Obj, kind: str, namespace: str, lookup: Lookup) -> str | None:
    obj = await lookup(kind, namespace, ref.get("name", ""))
    optional = bool(ref.get("optional"))
    if obj is None:
        if optional:
            return None
        raise EnvError(f'{kind.lower()} "{ref.get("name", "")}" not found')
    data = _data(obj, kind)
    if ref.get("key") not in data:
        if optional:
            return None
        raise EnvError(f"couldn't find key {ref.get('key')} in {kind} {namespace}/{ref.get('name')}")
    return data[ref["key"]]


async def container_env(
    pod: Obj, container: Obj, base: dict[str, str], pod_ip: str, host_ip: str, lookup: Lookup
) -> dict[str, str]:
    """`base` (host PATH, image env, POD_IP) overlaid with envFrom, then env, in order."""
    namespace = (pod.get("metadata") or {}).get("namespace", "default")
    env = dict(base)
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix") or ""
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = source.get(key)
            if not ref:
                continue
            obj = await lookup(kind, namespace, ref.get("name", ""))
            if obj is None:
                if ref.get("optional"):
                    continue
                raise EnvError(f'{kind.lower()} "{ref.get("name", "")}" not found')
            env.update({prefix + k: v for k, v in _data(obj, kind).items()})
    for var in container.get("env") or []:
        name = var.get("name")
        if not name:
            continue
        if "value" in var or not var.get("valueFrom"):
            env[name] = expand(str(var.get("value") or ""), env)
            continue
        src = var["valueFrom"]
        value: str | None = ""
        if "fieldRef" in src:
            value = field_value(pod, src["fieldRef"].get("fieldPath", ""), pod_ip, host_ip)
        elif "configMapKeyRef" in src:
            value = await _ref_value(src["configMapKeyRef"], "ConfigMap", namespace, lookup)
        elif "secretKeyRef" in src:
            value = await _ref_value(src["secretKeyRef"], "Secret", namespace, lookup)
        if value is not None:
            env[name] = value
    return env


def container_argv(container: Obj, image_command: tuple[str, ...], env: dict[str, str]) -> list[str]:
    """command/args with the image's entrypoint as the default, $(VAR) expanded; a container with
    nothing to run gets a placeholder that stays up until SIGTERM."""
    command = [expand(str(c), env) for c in container.get("command") or []]
    args = [expand(str(a), env) for a in container.get("args") or []]
    if command:
        return command + args
    if image_command:
        return list(image_command) + args
    return args if args else list(PLACEHOLDER)
